"""pdf: read PDF files of the workspace (page count and metadata, text by page, search,
tables).

Two well-kept readers, each for what it does best:

- pypdf reads the file, its metadata and each page's text (in its layout mode, which keeps
  a table's row on one line). pypdf bounds its own work through its ``Configuration``:
  output of every decompression filter, decoding and parsing work per stream, XObject
  invocations per page, page-tree size. This module tightens those limits and turns off
  the external JBIG2 decoder.
- pdfplumber (on pdfminer.six) finds tables from the ruling lines and the characters'
  positions, which pypdf cannot. pdfminer inflates streams without a limit, so a file is
  first decoded stream by stream by pypdf under the limits above, and pdfplumber only
  sees files (and pages) that passed; the characters and ruling lines of a page are
  counted before its table search, whose cost grows with them.

Every bound is on sizes and counts, never on the wall clock, so what a tool answers does
not depend on the machine's speed. Files are parsed once per content and pages on first
use (shared read-only between episodes); nothing here writes.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
from dataclasses import dataclass
from typing import Any

import pypdf
from pypdf.generic import IndirectObject, StreamObject

from workgym.core import App, GradeError, ToolError, tool

__all__ = ["PdfApp", "PdfFile", "parse_pdf", "read_pdf"]

MAX_PAGES = 200
"""Most pages a PDF may have to be read."""
MAX_DECODED_BYTES = 32_000_000
"""Most bytes all the streams of a file may decode to, together."""
MAX_PAGE_CONTENT_BYTES = 2_000_000
"""Largest decoded content stream a page may have to be read."""
MAX_PAGE_CHARS = 100_000
"""Longest text kept of one page."""
MAX_TABLE_CHARS = 50_000
"""Most characters a page may have for its tables to be searched."""
MAX_TABLE_EDGES = 4_000
"""Most ruling lines (rectangle sides, lines, curves) a page may have for its tables."""
MAX_READ_PAGES = 10
MAX_READ_CHARS = 60_000
MAX_MATCHES = 100
_SNIPPET = 60
# Both readers log their repairs of odd files as warnings; with no handler configured
# those would reach stderr, and the model sees the tool's answer anyway.
for _name in ("pypdf", "pdfminer"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

_PYPDF_LIMITS: dict[str, Any] = {
    "maximum_declared_stream_length": 8_000_000,
    "array_based_stream_maximum_output_length": 8_000_000,
    "jbig2_maximum_output_length": 8_000_000,
    "lzw_maximum_output_length": 8_000_000,
    "run_length_maximum_output_length": 8_000_000,
    "zlib_maximum_output_length": 8_000_000,
    "brotli_maximum_output_length": 8_000_000,
    "image_maximum_buffer_size": 8_000_000,
    "stream_decoding_work_maximum_length": 32_000_000,
    "stream_parsing_work_maximum_count": 1_000_000,
    "xform_maximum_invocations_per_extraction": 500,
    "page_tree_maximum_entries": 10_000,
    "outline_maximum_entries": 10_000,
    "jbig2dec_binary": None,
}


def _limits() -> Any:
    return pypdf.apply_configuration(**_PYPDF_LIMITS)


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    title: str
    author: str
    subject: str
    creator: str
    producer: str


class PdfFile:
    """A checked PDF: its metadata now, each page's text and tables on first use.

    Shared between the episodes that read the same bytes; a lock keeps one reader at a
    time on it (pypdf's reader is not safe to use from two threads at once).
    """

    def __init__(self, data: bytes) -> None:
        """Open and check ``data``.

        Raises:
            ValueError: not a readable PDF, encrypted, more than ``MAX_PAGES`` pages, or
                streams that decode past the limits.
        """
        self._data = data
        self._lock = threading.Lock()
        self._texts: dict[int, str] = {}
        self._tables: dict[int, tuple[tuple[tuple[str, ...], ...], ...]] = {}
        with _limits():
            try:
                reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
                if reader.is_encrypted and not reader.decrypt(""):
                    raise ValueError("the PDF is encrypted with a password")
                pages = len(reader.pages)
                meta = reader.metadata
            except ValueError:
                raise
            except Exception as exc:  # noqa: BLE001  (pypdf's errors all mean "unreadable")
                raise ValueError(f"not a readable PDF ({type(exc).__name__})") from None
            if pages > MAX_PAGES:
                raise ValueError(f"the PDF has {pages} pages; at most {MAX_PAGES} are read")
            _decode_every_stream(reader)
        self._reader = reader

        def field(name: str) -> str:
            value = meta.get(name) if meta is not None else None
            return str(value)[:1_000] if value is not None else ""

        self.info = PdfInfo(pages=pages, title=field("/Title"), author=field("/Author"),
                            subject=field("/Subject"), creator=field("/Creator"),
                            producer=field("/Producer"))

    @property
    def pages(self) -> int:
        return self.info.pages

    def text(self, page: int) -> str:
        """The text of page ``page`` (from 1), lines as laid out, runs of spaces shortened
        to two.

        Raises:
            ValueError: the page's content is too large or cannot be read.
        """
        with self._lock:
            if page not in self._texts:
                with _limits():
                    try:
                        target = self._reader.pages[page - 1]
                        self._check_content(target, page)
                        raw = target.extract_text(extraction_mode="layout")
                    except ValueError:
                        raise
                    except Exception as exc:  # noqa: BLE001
                        raise ValueError(f"the text of page {page} cannot be read "
                                         f"({type(exc).__name__})") from None
                self._texts[page] = _compact(raw)[:MAX_PAGE_CHARS]
            return self._texts[page]

    def tables(self, page: int) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """The tables pdfplumber finds on page ``page`` (from 1): rows of cell texts, a
        cell's lines joined by spaces.

        Raises:
            ValueError: the page has too many characters or lines for a table search, or
                cannot be read.
        """
        with self._lock:
            if page not in self._tables:
                with _limits():
                    try:
                        self._check_content(self._reader.pages[page - 1], page)
                    except ValueError:
                        raise
                    except Exception as exc:  # noqa: BLE001
                        raise ValueError(f"page {page} cannot be read "
                                         f"({type(exc).__name__})") from None
                self._tables[page] = _plumb_tables(self._data, page)
            return self._tables[page]

    def _check_content(self, target: Any, page: int) -> None:
        contents = target.get_contents()
        size = len(contents.get_data()) if contents is not None else 0
        if size > MAX_PAGE_CONTENT_BYTES:
            raise ValueError(f"page {page}'s content is {size} bytes; at most "
                             f"{MAX_PAGE_CONTENT_BYTES} are read")


def _decode_every_stream(reader: pypdf.PdfReader) -> None:
    """Decode each stream of the file once under pypdf's limits, so that no stream a later
    reader inflates (fonts, images, content, object streams) is a decompression bomb."""
    total = 0
    numbers = {(number, generation) for generation, entries in reader.xref.items()
               for number in entries}
    numbers |= {(number, 0) for number in reader.xref_objStm}
    try:
        for number, generation in sorted(numbers):
            found = IndirectObject(number, generation, reader).get_object()
            if isinstance(found, StreamObject):
                total += len(found.get_data())
                if total > MAX_DECODED_BYTES:
                    raise ValueError(f"the PDF's streams decode to more than "
                                     f"{MAX_DECODED_BYTES} bytes")
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001  (a limit reached, or a corrupt stream)
        raise ValueError(f"the PDF cannot be read within the limits ({type(exc).__name__})") \
            from None


def _plumb_tables(data: bytes, page: int) -> tuple[tuple[tuple[str, ...], ...], ...]:
    import pdfplumber  # imported on first use: it costs a quarter second

    try:
        with pdfplumber.open(io.BytesIO(data), pages=[page]) as document:
            target = document.pages[0]
            chars = len(target.chars)
            edges = 4 * len(target.rects) + len(target.lines) + len(target.curves)
            if chars > MAX_TABLE_CHARS or edges > MAX_TABLE_EDGES:
                raise ValueError(f"page {page} has {chars} characters and {edges} ruling "
                                 "lines, too many to search for tables; read its text "
                                 "with pdf.read_pages")
            found = target.extract_tables()
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001  (pdfminer's errors all mean "unreadable")
        raise ValueError(f"the tables of page {page} cannot be read "
                         f"({type(exc).__name__})") from None
    return tuple(
        tuple(tuple(" ".join((cell or "").split()) for cell in row) for row in table)
        for table in found)


def _compact(text: str) -> str:
    """Layout text without its padding: no trailing spaces, runs of 3+ spaces cut to two
    (the gap between columns stays visible), at most one blank line in a row."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        stripped = line.lstrip(" ")
        parts = stripped.split("   ")
        if len(parts) > 1:
            stripped = "  ".join(p.strip(" ") for p in parts if p.strip(" "))
        if stripped or (lines and lines[-1]):
            lines.append(stripped)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


@functools.lru_cache(maxsize=16)
def parse_pdf(data: bytes) -> PdfFile:
    """The checked PDF of ``data``, opened once per content.

    Raises:
        ValueError: not a readable PDF within the bounds.
    """
    return PdfFile(data)


def read_pdf(data: bytes) -> list[str]:
    """Every page's text, for graders: a file that cannot be read fails the criterion.

    Raises:
        GradeError: the bytes are not a PDF readable within the bounds.
    """
    try:
        document = parse_pdf(data)
        return [document.text(page) for page in range(1, document.pages + 1)]
    except ValueError as exc:
        raise GradeError(str(exc)) from None


def _fold(text: str) -> str:
    """Lower case of ``text`` with every offset kept (see ``docs._fold``)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


class PdfApp(App):
    """PDF files of the workspace, read-only. Pages are numbered from 1."""

    name = "pdf"

    @tool(read_only=True)
    def info(self, path: str) -> dict[str, Any]:
        """A PDF's page count and metadata: {"path", "pages", "title", "author", "subject",
        "creator", "producer"} (empty strings where the file has none).

        Args:
            path: a .pdf file, relative to the workspace root.
        """
        found = self._file(path).info
        return {"path": path, "pages": found.pages, "title": found.title,
                "author": found.author, "subject": found.subject, "creator": found.creator,
                "producer": found.producer}

    @tool(read_only=True)
    def read_pages(self, path: str, start_page: int = 1,
                   end_page: int | None = None) -> dict[str, Any]:
        """The text of a range of pages, as laid out: one line per printed line, columns
        apart by two spaces. At most 10 pages (and 60,000 characters) come back at once;
        "next" is the page to read from next (null at the end).

        Args:
            path: a .pdf file, relative to the workspace root.
            start_page: the first page, from 1.
            end_page: the last page (included); omit for as far as one call reads.
        """
        document = self._file(path)
        first = self._page(start_page, document.pages, "start_page")
        last = document.pages if end_page is None else self._page(end_page, document.pages,
                                                                   "end_page")
        if last < first:
            raise ToolError(f"end_page ({last}) comes before start_page ({first})")
        entries: list[dict[str, Any]] = []
        budget = MAX_READ_CHARS
        page = first
        while page <= last and len(entries) < MAX_READ_PAGES:
            text = self._text(document, page)
            if entries and len(text) > budget:
                break
            entry: dict[str, Any] = {"page": page, "text": text[:MAX_READ_CHARS]}
            if len(text) > MAX_READ_CHARS:
                entry["truncated"] = True
            entries.append(entry)
            budget -= len(text)
            page += 1
        return {"path": path, "pages": document.pages, "entries": entries,
                "next": page if page <= last else None}

    @tool(read_only=True)
    def search(self, path: str, query: str, match_case: bool = False,
               limit: int = 20) -> dict[str, Any]:
        """Find a piece of text in a PDF, as a viewer's Find does: line breaks and runs of
        spaces count as one space, so a phrase broken over two lines is found. Each match
        gives its "page" and "context"; "total" counts them all.

        Args:
            path: a .pdf file, relative to the workspace root.
            query: the text to look for (not a pattern).
            match_case: tell upper and lower case apart.
            limit: most matches to return (1-100).
        """
        needle = " ".join(query.split())
        if not needle:
            raise ToolError("query must not be empty")
        if len(needle) > 1_000:
            raise ToolError("query is longer than 1000 characters")
        if not 1 <= limit <= MAX_MATCHES:
            raise ToolError(f"limit must be between 1 and {MAX_MATCHES}")
        if not match_case:
            needle = _fold(needle)
        document = self._file(path)
        matches: list[dict[str, Any]] = []
        total = 0
        for page in range(1, document.pages + 1):
            flat = " ".join(self._text(document, page).split())
            haystack = flat if match_case else _fold(flat)
            at = haystack.find(needle)
            while at != -1:
                total += 1
                if len(matches) < limit:
                    left, right = max(0, at - _SNIPPET), at + len(needle) + _SNIPPET
                    matches.append({"page": page, "context": ("…" if left else "")
                                    + flat[left:right] + ("…" if right < len(flat) else "")})
                at = haystack.find(needle, at + len(needle))
        return {"path": path, "query": query, "total": total, "matches": matches}

    @tool(read_only=True)
    def read_tables(self, path: str, start_page: int = 1,
                    end_page: int | None = None) -> dict[str, Any]:
        """The tables on a range of pages (at most 5 pages at once), found from their
        ruling lines: {"page", "table" (its number on the page, from 1), "rows" (cell
        texts, row by row)}. A table that continues on the next page comes as one table
        per page. Text laid out in columns without lines is not a table here: read it with
        pdf.read_pages.

        Args:
            path: a .pdf file, relative to the workspace root.
            start_page: the first page, from 1.
            end_page: the last page (included); omit for start_page alone.
        """
        document = self._file(path)
        first = self._page(start_page, document.pages, "start_page")
        last = first if end_page is None else self._page(end_page, document.pages, "end_page")
        if last < first:
            raise ToolError(f"end_page ({last}) comes before start_page ({first})")
        if last - first + 1 > 5:
            raise ToolError("read the tables of at most 5 pages at once")
        tables: list[dict[str, Any]] = []
        for page in range(first, last + 1):
            try:
                found = document.tables(page)
            except ValueError as exc:
                raise ToolError(f"{path!r}: {exc}") from None
            tables.extend({"page": page, "table": n, "rows": [list(r) for r in rows]}
                          for n, rows in enumerate(found, 1))
        return {"path": path, "pages": document.pages, "tables": tables}

    # -- helpers -------------------------------------------------------------------------

    def _file(self, path: str) -> PdfFile:
        if not path.strip().lower().endswith(".pdf"):
            raise ToolError(f"{path!r} is not a .pdf file; the pdf tools read PDF files "
                            "(docs reads .docx and .md, sheets .xlsx, slides .pptx)")
        data = self.world.read_file(path)
        try:
            return parse_pdf(data)
        except ValueError as exc:
            raise ToolError(f"{path!r} cannot be read: {exc}") from None

    def _text(self, document: PdfFile, page: int) -> str:
        try:
            return document.text(page)
        except ValueError as exc:
            raise ToolError(str(exc)) from None

    def _page(self, page: int, total: int, name: str) -> int:
        if not 1 <= page <= total:
            raise ToolError(f"{name} {page} does not exist: the PDF has {total} pages, "
                            "numbered from 1")
        return page
