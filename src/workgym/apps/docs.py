"""docs: Word documents (.docx, through python-docx) and Markdown files (.md) in the workspace.

The files are the state: there is no store. A .docx body is read as numbered blocks
(paragraphs and tables, from 1, in body order); a Markdown file as numbered lines with
``#`` headings. Every write saves through :func:`docx_bytes`, so the same content always
gives the same bytes (and the same world digest).

Every package is checked before it is opened (``_ooxml.check_package``: declared part
sizes, no zip bombs) and every document is bounded in blocks and table cells, so a read
does bounded work whatever file the agent wrote. Reads parse a file once per content
(:func:`parse_docx` is cached) and never change it.
"""

from __future__ import annotations

import bisect
import functools
import io
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from workgym.apps._ooxml import check_package, package_bytes
from workgym.core import MAX_FILE_BYTES, App, GradeError, ToolError, tool

__all__ = [
    "DocsApp", "DocxBlock", "DocxComment", "DocxContent", "MarkdownHeading", "build_docx",
    "docx_bytes", "markdown_outline", "markdown_section", "parse_docx", "read_docx",
]

MAX_BLOCKS = 5_000
"""Most blocks (paragraphs and tables) a document may have to be read or written."""
MAX_TABLE_CELLS = 20_000
"""Most table cells a document may have, all tables together."""
MAX_TEXT = 20_000
"""Longest text a tool writes into one paragraph (or a Markdown section)."""
MAX_CELL_TEXT = 5_000
MAX_PARAGRAPHS = 200
"""Most paragraphs one insert adds."""
MAX_TABLE_ROWS = 500
MAX_TABLE_COLUMNS = 50
MAX_READ = 200
"""Most blocks (or, for Markdown, 5x as many lines) one read returns."""
MAX_READ_CHARS = 60_000
"""Most characters of text one read returns; past that it stops and says where to go on."""
MAX_MATCHES = 100
MAX_REPLACEMENTS = 1_000
"""Most occurrences one replace_text replaces."""
MAX_GROWTH = 200_000
"""Most characters one replace_text may add to a document."""
READ_TABLE_ROWS = 25
"""Rows of a table that ``read`` shows; ``read_table`` pages through the rest."""

_W_P = qn("w:p")
_W_TBL = qn("w:tbl")
_W_TC = qn("w:tc")
_W_R = qn("w:r")
_W_TR = qn("w:tr")
_W_VAL = qn("w:val")
# ElementPath lookups: python-docx's XPath queries cost tens of microseconds each
_PSTYLE_PATH = f"{qn('w:pPr')}/{qn('w:pStyle')}"
_TBLSTYLE_PATH = f"{qn('w:tblPr')}/{qn('w:tblStyle')}"
_SPAN_PATH = f"{qn('w:tcPr')}/{qn('w:gridSpan')}"
_VMERGE_PATH = f"{qn('w:tcPr')}/{qn('w:vMerge')}"
_W_ID = qn("w:id")
_W_HYPERLINK = qn("w:hyperlink")
_W_COMMENT_START = qn("w:commentRangeStart")
_W_COMMENT_REFERENCE = qn("w:commentReference")
_RUN_TEXT = {qn(f"w:{tag}") for tag in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab")}
_KEEP_IN_PARAGRAPH = {qn("w:pPr"), qn("w:commentRangeStart"), qn("w:commentRangeEnd"),
                      qn("w:bookmarkStart"), qn("w:bookmarkEnd")}
_MARKDOWN = (".md", ".markdown")
_SNIPPET = 40


# -- content model (what readers return and what families build from) ------------------


@dataclass(frozen=True)
class DocxBlock:
    """One block of a document body: a paragraph or a table.

    Families build documents from blocks (:func:`build_docx`) and graders read them back
    (:func:`read_docx`), so the two sides speak of the same things.
    """

    kind: Literal["paragraph", "table"]
    text: str = ""
    """The paragraph's text (tabs as ``\\t``, line breaks as ``\\n``); empty for a table."""
    style: str = ""
    """The paragraph's or table's style name, e.g. ``Heading 1`` or ``Table Grid``."""
    rows: tuple[tuple[str, ...], ...] = ()
    """A table's cell texts, row by row."""
    comments: tuple[int, ...] = ()
    """Ids of the comments anchored in this block."""

    @classmethod
    def paragraph(cls, text: str, style: str = "Normal") -> DocxBlock:
        """A paragraph block."""
        return cls("paragraph", text=text, style=style)

    @classmethod
    def heading(cls, text: str, level: int = 1) -> DocxBlock:
        """A heading paragraph: ``Title`` for level 0, ``Heading N`` for 1-9."""
        if not 0 <= level <= 9:
            raise ValueError(f"heading level must be 0-9, got {level}")
        return cls("paragraph", text=text, style="Title" if level == 0 else f"Heading {level}")

    @classmethod
    def table(cls, rows: Sequence[Sequence[str]], style: str = "Table Grid") -> DocxBlock:
        """A table block of cell texts (the first row is usually the header)."""
        return cls("table", style=style, rows=tuple(tuple(r) for r in rows))

    @property
    def level(self) -> int | None:
        """Heading level of a paragraph (0 for ``Title``), None for other blocks."""
        return _heading_level(self.style) if self.kind == "paragraph" else None


@dataclass(frozen=True)
class DocxComment:
    """A comment of a document."""

    id: int
    author: str
    text: str
    initials: str = ""
    date: str | None = None
    """ISO 8601, as stored in the document."""
    block: int | None = None
    """The block (from 1) the comment is anchored in; None when it has no anchor. When
    building a document, the block to anchor it on."""


@dataclass(frozen=True)
class DocxContent:
    """The readable content of a .docx file."""

    blocks: tuple[DocxBlock, ...]
    comments: tuple[DocxComment, ...] = ()
    paragraph_styles: tuple[str, ...] = field(default=(), compare=False)
    """The paragraph styles the document defines, sorted."""

    def paragraphs(self) -> list[DocxBlock]:
        return [b for b in self.blocks if b.kind == "paragraph"]

    def tables(self) -> list[DocxBlock]:
        return [b for b in self.blocks if b.kind == "table"]

    def text(self) -> str:
        """Every paragraph's text, one per line (tables' cells tab-separated)."""
        lines: list[str] = []
        for block in self.blocks:
            if block.kind == "paragraph":
                lines.append(block.text)
            else:
                lines.extend("\t".join(row) for row in block.rows)
        return "\n".join(lines)


@dataclass(frozen=True)
class MarkdownHeading:
    """An ATX heading (``## Title``) of a Markdown text."""

    line: int
    """Its line number, from 1."""
    level: int
    title: str


# -- reading and writing .docx ----------------------------------------------------------


def _open_document(data: bytes) -> DocxDocument:
    """Open .docx bytes after the package check.

    Raises:
        ValueError: the bytes are not a readable, bounded .docx document.
    """
    check_package(data, ".docx document")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001  (zip, XML and python-docx errors all mean "corrupt")
        raise ValueError(f"not a readable .docx document ({type(exc).__name__})") from None
    body = document.element.body
    blocks = sum(1 for child in body.iterchildren() if child.tag in (_W_P, _W_TBL))
    if blocks > MAX_BLOCKS:
        raise ValueError(f"the document has {blocks} blocks; at most {MAX_BLOCKS} are read")
    cells = sum(1 for _ in body.iter(_W_TC))
    if cells > MAX_TABLE_CELLS:
        raise ValueError(f"the document has {cells} table cells; at most {MAX_TABLE_CELLS} "
                         "are read")
    return document


@functools.lru_cache(maxsize=64)
def parse_docx(data: bytes) -> DocxContent:
    """The content of .docx bytes, parsed once per content and shared read-only.

    Raises:
        ValueError: the bytes are not a readable .docx document within the bounds.
    """
    document = _open_document(data)
    # Style names by id, looked up once: python-docx's Paragraph.style searches the whole
    # styles part for every paragraph that has no style of its own.
    names = {style.style_id: style.name or "" for style in document.styles}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = default.name or "" if default is not None else ""
    elements = _block_elements(document)
    numbers = {element: n for n, element in enumerate(elements, 1)}
    # Comment anchors found in one pass over the body, each climbed to its block.
    anchored: dict[int, set[int]] = {}
    anchors: dict[int, int] = {}
    body = document.element.body
    for mark in body.iter(_W_COMMENT_START, _W_COMMENT_REFERENCE):
        raw = mark.get(_W_ID, "")
        top = mark
        while top.getparent() is not None and top.getparent() is not body:
            top = top.getparent()
        if raw.lstrip("-").isdigit() and top in numbers:
            anchored.setdefault(numbers[top], set()).add(int(raw))
    for number in sorted(anchored):
        for comment_id in anchored[number]:
            anchors.setdefault(comment_id, number)
    blocks: list[DocxBlock] = []
    for number, element in enumerate(elements, 1):
        ids = tuple(sorted(anchored.get(number, ())))
        if element.tag == _W_P:
            style_id = _attribute(element, _PSTYLE_PATH)
            blocks.append(DocxBlock("paragraph", text=_paragraph_text(element),
                                    style=names.get(style_id, default_name), comments=ids))
        else:
            style_id = _attribute(element, _TBLSTYLE_PATH)
            blocks.append(DocxBlock("table", style=names.get(style_id, ""),
                                    rows=_table_rows(element), comments=ids))
    comments: list[DocxComment] = []
    comments_element = _comments_element(document)
    if comments_element is not None:
        for comment in document.comments:
            stamp = comment.timestamp
            comments.append(DocxComment(
                id=comment.comment_id, author=comment.author or "", text=comment.text,
                initials=comment.initials or "",
                date=stamp.isoformat() if stamp is not None else None,
                block=anchors.get(comment.comment_id)))
    styles = tuple(sorted({s.name for s in document.styles
                           if s.type == WD_STYLE_TYPE.PARAGRAPH and s.name}))
    return DocxContent(tuple(blocks), tuple(sorted(comments, key=lambda c: c.id)), styles)


def read_docx(data: bytes) -> DocxContent:
    """:func:`parse_docx` for graders: a file the agent left unreadable fails the criterion.

    Raises:
        GradeError: the bytes are not a readable .docx document within the bounds.
    """
    try:
        return parse_docx(data)
    except ValueError as exc:
        raise GradeError(str(exc)) from None


def docx_bytes(document: DocxDocument) -> bytes:
    """Serialize a python-docx document deterministically: same content, same bytes."""
    out = io.BytesIO()
    document.save(out)
    return package_bytes(out.getvalue())


def build_docx(blocks: Sequence[DocxBlock], comments: Sequence[DocxComment] = ()) -> bytes:
    """A .docx file of the given blocks (and comments), for families building worlds.

    Args:
        blocks: the body, in order; paragraph styles must exist in python-docx's default
            template (``Normal``, ``Title``, ``Heading 1``-``9``, ``List Bullet``, ...).
        comments: comments to anchor on whole paragraph blocks (``DocxComment.block``, from
            1); their ``date`` (ISO 8601 with an offset) is kept when given, and a
            comment without one is undated (never stamped with the wall clock).

    Raises:
        ValueError: an unknown style, an empty table, a comment on a table or an empty
            paragraph, or a bad comment block number.
    """
    document = docx.Document()
    elements: list[Any] = []
    for block in blocks:
        if block.kind == "paragraph":
            style = _find_style(document, block.style or "Normal", WD_STYLE_TYPE.PARAGRAPH)
            if style is None:
                raise ValueError(f"no paragraph style named {block.style!r}")
            paragraph = document.add_paragraph(block.text, style)
            elements.append(paragraph)
        else:
            width = max((len(r) for r in block.rows), default=0)
            if not block.rows or width == 0:
                raise ValueError("a table block needs at least one row and one column")
            table = document.add_table(rows=len(block.rows), cols=width)
            if block.style:
                table_style = _find_style(document, block.style, WD_STYLE_TYPE.TABLE)
                if table_style is None:
                    raise ValueError(f"no table style named {block.style!r}")
                table.style = table_style
            _fill_new_table(table, block.rows)
            elements.append(table)
    for comment in comments:
        if comment.block is None or not 1 <= comment.block <= len(elements):
            raise ValueError(f"comment {comment.id}: block must be 1-{len(elements)}")
        target = elements[comment.block - 1]
        if not isinstance(target, Paragraph) or not target.runs:
            raise ValueError(f"comment {comment.id}: block {comment.block} is not a paragraph "
                             "with text")
        added = document.add_comment(target.runs, text=comment.text, author=comment.author,
                                     initials=comment.initials)
        # python-docx dates a new comment with the wall clock: keep the given date, or none
        added._comment_elm.date = _parse_date(comment.date) if comment.date else None
    return docx_bytes(document)


def _parse_date(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"comment date {text!r} needs a UTC offset")
    return value


def _block_elements(document: DocxDocument) -> list[Any]:
    return [child for child in document.element.body.iterchildren()
            if child.tag in (_W_P, _W_TBL)]


def _attribute(element: Any, path: str) -> str:
    """The w:val of the child at ``path``, or ""."""
    found = element.find(path)
    return found.get(_W_VAL, "") if found is not None else ""


def _run_text(run: Any) -> str:
    # python-docx's Run.text, without an XPath query per run (the same children, each
    # rendered by its own element class: w:tab as a tab, w:br as a line break, ...)
    return "".join(str(child) for child in run if child.tag in _RUN_TEXT)


def _paragraph_text(paragraph: Any) -> str:
    """python-docx's Paragraph.text of a ``w:p`` element: its runs and hyperlinks."""
    parts: list[str] = []
    for child in paragraph:
        if child.tag == _W_R:
            parts.append(_run_text(child))
        elif child.tag == _W_HYPERLINK:
            parts.extend(_run_text(run) for run in child if run.tag == _W_R)
    return "".join(parts)


def _table_rows(table: Any) -> tuple[tuple[str, ...], ...]:
    """Cell texts of a ``w:tbl`` on python-docx's grid: a cell spanning n columns counts n
    times, a vertically merged cell repeats the text of the cell it continues."""
    rows: list[tuple[str, ...]] = []
    above: list[str] = []
    for tr in table.iterchildren(_W_TR):
        row: list[str] = []
        for tc in tr.iterchildren(_W_TC):
            span_raw = _attribute(tc, _SPAN_PATH)
            span = int(span_raw) if span_raw.isdigit() and 0 < int(span_raw) <= 64 else 1
            merge = tc.find(_VMERGE_PATH)
            if merge is not None and merge.get(_W_VAL) in (None, "continue") \
                    and len(above) > len(row):
                text = above[len(row)]
            else:
                text = "\n".join(_paragraph_text(p) for p in tc.iterchildren(_W_P))
            row.extend([text] * span)
        rows.append(tuple(row))
        above = row
    return tuple(rows)


def _style_name(paragraph: Paragraph) -> str:
    try:
        style = paragraph.style
    except (KeyError, ValueError):  # a style id the styles part does not define
        return ""
    return style.name or "" if style is not None else ""


def _heading_level(style: str) -> int | None:
    if style == "Title":
        return 0
    head, _, number = style.partition(" ")
    if head == "Heading" and number.isdigit() and 1 <= int(number) <= 9:
        return int(number)
    return None


def _find_style(document: DocxDocument, name: str, kind: WD_STYLE_TYPE) -> Any:
    """The style called ``name`` (exactly, else case-insensitively), or None."""
    styles = [s for s in document.styles if s.type == kind and s.name]
    exact = [s for s in styles if s.name == name]
    if exact:
        return exact[0]
    folded = [s for s in styles if s.name.casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _comments_element(document: DocxDocument) -> Any:
    """The document's ``w:comments`` element, or None; never creates a comments part (as
    ``document.comments`` would)."""
    try:
        part = document.part.part_related_by(RT.COMMENTS)
    except KeyError:
        return None
    return part.element  # type: ignore[attr-defined]


# -- Markdown ---------------------------------------------------------------------------


def markdown_outline(text: str) -> list[MarkdownHeading]:
    """The ATX headings (``#`` to ``######``) of a Markdown text, outside fenced code."""
    headings: list[MarkdownHeading] = []
    fence = ""
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) <= 3:
            marker = stripped[:3]
            if fence:
                if marker == fence * 3:
                    fence = ""
                continue
            if marker in ("```", "~~~"):
                fence = marker[0]
                continue
            heading = _atx_heading(stripped)
            if heading is not None:
                headings.append(MarkdownHeading(number, *heading))
    return headings


def _atx_heading(line: str) -> tuple[int, str] | None:
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6:
        return None
    rest = line[level:]
    if rest and rest[0] not in " \t":
        return None
    title = rest.strip()
    closing = title.rstrip("#")
    if closing != title and (not closing or closing[-1] in " \t"):
        title = closing.strip()
    return level, title


def _section_span(text: str, heading: str, occurrence: int) -> tuple[int, int, MarkdownHeading]:
    """(first line index after the heading, index of the line ending the section, heading).

    Raises:
        ValueError: no such heading (the message lists those that exist).
    """
    wanted = heading.strip()
    level_wanted: int | None = None
    parsed = _atx_heading(wanted)
    if parsed is not None:
        level_wanted, wanted = parsed
    outline = markdown_outline(text)
    found = [h for h in outline
             if h.title == wanted and (level_wanted is None or h.level == level_wanted)]
    if len(found) < occurrence:
        listing = ", ".join(repr(h.title) for h in outline[:40]) or "none"
        where = f"{len(found)} heading(s)" if found else "no heading"
        raise ValueError(f"{where} titled {heading.strip()!r} (occurrence {occurrence} asked "
                         f"for); the headings are: {listing}")
    chosen = found[occurrence - 1]
    lines = text.split("\n")
    end = len(lines) - 1 if lines[-1] == "" else len(lines)  # keep the final line break
    for h in outline:
        if h.line > chosen.line and h.level <= chosen.level:
            end = h.line - 1
            break
    return chosen.line, end, chosen


def markdown_section(text: str, heading: str, occurrence: int = 1) -> str | None:
    """The body of a Markdown section (the lines after its heading up to the next heading
    of the same or a higher level), or None when there is no such heading.

    Args:
        text: the Markdown text.
        heading: the heading's title (``Budget``), or with its level (``## Budget``).
        occurrence: which of several headings of that title (1 = the first).
    """
    try:
        start, end, _ = _section_span(text, heading, occurrence)
    except ValueError:
        return None
    return "\n".join(text.split("\n")[start:end])


# -- text helpers -----------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case of ``text`` with every offset kept (a character whose lower case is
    longer, such as "İ", stays as it is)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def _find_all(haystack: str, needle: str) -> list[int]:
    starts: list[int] = []
    at = haystack.find(needle)
    while at != -1:
        starts.append(at)
        at = haystack.find(needle, at + len(needle))
    return starts


def _lines(text: str) -> list[str]:
    """The lines of a text; a final line break ends the last line, it starts no new one."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def _snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - _SNIPPET)
    right = min(len(text), end + _SNIPPET)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def _check_text(value: str, what: str, limit: int) -> str:
    if len(value) > limit:
        raise ToolError(f"{what} is {len(value)} characters long; at most {limit} are allowed")
    for ch in value:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF \
                or code in (0xFFFE, 0xFFFF):
            raise ToolError(f"{what} contains the control character U+{code:04X}, which a "
                            "document cannot hold; remove it")
    return value


def _splice_runs(runs: list[Run], starts: list[int], length: int, new: str) -> None:
    """Replace ``length`` characters at each of ``starts`` (sorted offsets of matches that
    do not overlap, into the runs' joined text) with ``new``. The replacement goes into
    the run where its match begins, so it takes that run's formatting; the text around
    each match keeps its own run."""
    ends = [at + length for at in starts]
    offset = 0
    for run in runs:
        text = run.text
        first, last = offset, offset + len(text)
        offset = last
        j = bisect.bisect_right(ends, first)  # the first match ending inside or after it
        if not text or j == len(starts) or starts[j] >= last:
            continue
        pieces: list[str] = []
        cursor = first
        while j < len(starts) and starts[j] < last:
            if starts[j] >= first:
                pieces += [text[cursor - first:starts[j] - first], new]
            cursor = max(cursor, min(ends[j], last))
            j += 1
        pieces.append(text[cursor - first:])
        run.text = "".join(pieces)


def _set_paragraph_text(paragraph: Paragraph, text: str) -> None:
    """Give a paragraph new text: one run, formatted like its first run of text. Its
    properties, comment anchors and bookmarks stay."""
    element = paragraph._p
    first_format = None
    for run in element.iter(_W_R):
        if run.find(qn("w:t")) is not None and run.find(qn("w:rPr")) is not None:
            first_format = deepcopy(run.find(qn("w:rPr")))
            break
    anchor = None
    for child in list(element):
        if child.tag in _KEEP_IN_PARAGRAPH:
            if child.tag == qn("w:commentRangeEnd") and anchor is None:
                anchor = child
            continue
        if child.tag == _W_R and child.find(qn("w:commentReference")) is not None:
            anchor = child if anchor is None else anchor
            continue
        element.remove(child)
    run = paragraph.add_run(text)
    if first_format is not None:
        run._r.insert(0, first_format)
    if anchor is not None:
        anchor.addprevious(run._r)


# -- the app ----------------------------------------------------------------------------


class DocsApp(App):
    """Documents in the workspace: Word files (.docx) read as numbered blocks (paragraphs
    and tables, from 1), and Markdown files (.md) read as numbered lines with # headings."""

    name = "docs"

    @tool(destructive=False)
    def create(self, path: str, title: str = "") -> str:
        """Create a new, empty document: a .docx file, or a .md file for Markdown.

        Args:
            path: where to create it, relative to the workspace root; must not exist.
            title: a first line: a Title paragraph in a .docx, a "# title" heading in
                Markdown; empty for none.
        """
        kind = self._kind(path)
        _check_text(title, "title", MAX_TEXT)
        if self.world.resolve(path).exists():
            raise ToolError(f"{path!r} already exists; edit it with the other docs tools")
        if kind == "md":
            self._write(path, (f"# {title}\n" if title.strip() else "").encode("utf-8"),
                        overwrite=False)
        else:
            document = docx.Document()
            if title.strip():
                document.add_paragraph(title, "Title")
            self._save(path, document, overwrite=False)
        return f"created {path}"

    @tool(read_only=True)
    def read(self, path: str, start: int = 1, limit: int = 50) -> dict[str, Any]:
        """Read a document from a given block (or line) on.

        A .docx gives its blocks in body order: {"block", "type": "paragraph", "style",
        "text"} (with "comments": ids anchored there, when any; docs.list_comments reads
        them) or {"block", "type": "table", "style", "rows", "columns", "cells"} (the first
        25 rows; docs.read_table reads the rest). Markdown gives {"line", "text"} entries.
        The answer says the total and "next", the block or line to read from next (null at
        the end).

        Args:
            path: a .docx or .md file, relative to the workspace root.
            start: the first block (or line) to read, from 1.
            limit: most blocks to read (1-200); for Markdown, most lines (1-1000).
        """
        kind = self._kind(path)
        cap = MAX_READ if kind == "docx" else MAX_READ * 5
        if not 1 <= limit <= cap:
            raise ToolError(f"limit must be between 1 and {cap}")
        if start < 1:
            raise ToolError("start must be 1 or more (blocks and lines are numbered from 1)")
        if kind == "md":
            lines = _lines(self._markdown(path))
            shown: list[dict[str, Any]] = []
            budget = MAX_READ_CHARS
            number = start
            while number <= len(lines) and len(shown) < limit:
                text = lines[number - 1].rstrip("\r")
                if shown and len(text) > budget:
                    break
                shown.append({"line": number, "text": text[:MAX_READ_CHARS]})
                budget -= len(text)
                number += 1
            return {"path": path, "lines": len(lines), "entries": shown,
                    "next": number if number <= len(lines) else None}
        content = self._content(path)
        total = len(content.blocks)
        blocks: list[dict[str, Any]] = []
        budget = MAX_READ_CHARS
        number = start
        while number <= total and len(blocks) < limit:
            shown_block = _block_json(number, content.blocks[number - 1])
            size = _size(shown_block)
            if blocks and size > budget:
                break
            blocks.append(shown_block)
            budget -= size
            number += 1
        return {"path": path, "blocks": total, "entries": blocks,
                "next": number if number <= total else None}

    @tool(read_only=True)
    def read_table(self, path: str, block: int, start_row: int = 1,
                   limit: int = 100) -> dict[str, Any]:
        """Read the rows of a table block of a .docx document.

        Args:
            path: a .docx file, relative to the workspace root.
            block: the table's block number, as docs.read shows it.
            start_row: the first row to return, from 1.
            limit: most rows to return (1-500).
        """
        self._docx_only(path, "read_table")
        if not 1 <= limit <= MAX_TABLE_ROWS:
            raise ToolError(f"limit must be between 1 and {MAX_TABLE_ROWS}")
        content = self._content(path)
        table = self._block(content.blocks, block, "table")
        if start_row < 1:
            raise ToolError("start_row must be 1 or more")
        rows = table.rows[start_row - 1:start_row - 1 + limit]
        after = start_row + len(rows)
        return {"path": path, "block": block, "rows": len(table.rows),
                "columns": max((len(r) for r in table.rows), default=0),
                "start_row": start_row, "cells": [list(r) for r in rows],
                "next": after if after <= len(table.rows) else None}

    @tool(read_only=True)
    def outline(self, path: str) -> list[dict[str, Any]]:
        """The headings of a document, in order: {"block", "level", "text"} for a .docx
        (level 0 is the Title style, 1-9 the Heading styles) or {"line", "level", "text"}
        for Markdown. At most 500 are listed.

        Args:
            path: a .docx or .md file, relative to the workspace root.
        """
        if self._kind(path) == "md":
            return [{"line": h.line, "level": h.level, "text": h.title}
                    for h in markdown_outline(self._markdown(path))[:500]]
        return [{"block": n, "level": b.level, "text": b.text}
                for n, b in enumerate(self._content(path).blocks, 1)
                if b.level is not None][:500]

    @tool(read_only=True)
    def find(self, path: str, text: str, match_case: bool = False,
             limit: int = 20) -> dict[str, Any]:
        """Find a piece of text in a document, as a word processor's Find does.

        Each match gives where it is ({"block"} for a paragraph, {"block", "row",
        "column"} for a table cell, {"line"} in Markdown; all from 1) and "context", the
        text around it. "total" counts every match (up to 1000).

        Args:
            path: a .docx or .md file, relative to the workspace root.
            text: the text to look for (not a pattern); it never spans two paragraphs,
                cells or lines.
            match_case: tell upper and lower case apart.
            limit: most matches to return (1-100).
        """
        if not text:
            raise ToolError("text must not be empty")
        _check_text(text, "text", 1_000)
        if not 1 <= limit <= MAX_MATCHES:
            raise ToolError(f"limit must be between 1 and {MAX_MATCHES}")
        fold: Callable[[str], str] = (lambda s: s) if match_case else _fold
        needle = fold(text)
        places: list[tuple[dict[str, Any], str]] = []
        if self._kind(path) == "md":
            for number, line in enumerate(_lines(self._markdown(path)), 1):
                places.append(({"line": number}, line.rstrip("\r")))
        else:
            for number, block in enumerate(self._content(path).blocks, 1):
                if block.kind == "paragraph":
                    places.append(({"block": number}, block.text))
                for r, row in enumerate(block.rows, 1):
                    for c, cell in enumerate(row, 1):
                        places.append(({"block": number, "row": r, "column": c}, cell))
        matches: list[dict[str, Any]] = []
        total = 0
        for where, haystack in places:
            for at in _find_all(fold(haystack), needle):
                total += 1
                if len(matches) < limit:
                    matches.append({**where, "context": _snippet(haystack, at, at + len(text))})
                if total >= 1_000:
                    break
            if total >= 1_000:
                break
        return {"path": path, "total": total, "matches": matches}

    @tool(destructive=False)
    def insert_paragraphs(self, path: str, paragraphs: list[str], at: int | None = None,
                          style: str | None = None) -> dict[str, Any]:
        """Insert paragraphs into a .docx document.

        Args:
            path: a .docx file, relative to the workspace root.
            paragraphs: the texts, one per paragraph ("\\n" inside one is a line break,
                "\\t" a tab).
            at: the block number the first new paragraph takes; the blocks from there on
                move down. Omit it to add at the end.
            style: paragraph style for all of them, e.g. "Heading 2" or "List Bullet";
                omit for the document's default (Normal).
        """
        self._docx_only(path, "insert_paragraphs")
        if not 1 <= len(paragraphs) <= MAX_PARAGRAPHS:
            raise ToolError(f"give between 1 and {MAX_PARAGRAPHS} paragraphs")
        for number, text in enumerate(paragraphs, 1):
            _check_text(text, f"paragraph {number}", MAX_TEXT)
        document = self._open(path)
        elements = _block_elements(document)
        position = self._insert_position(at, len(elements))
        if len(elements) + len(paragraphs) > MAX_BLOCKS:
            raise ToolError(f"a document holds at most {MAX_BLOCKS} blocks")
        chosen = self._style(document, style, WD_STYLE_TYPE.PARAGRAPH)
        for text in paragraphs:
            paragraph = document.add_paragraph(text, chosen)
            if position <= len(elements):
                elements[position - 1].addprevious(paragraph._p)
        self._save(path, document)
        numbers = list(range(position, position + len(paragraphs)))
        return {"path": path, "inserted": numbers, "blocks": len(elements) + len(paragraphs)}

    @tool(idempotent=True)
    def replace_paragraph(self, path: str, block: int, text: str,
                          style: str | None = None) -> dict[str, Any]:
        """Replace the whole text of a paragraph of a .docx document. The paragraph keeps
        its style (unless a new one is given), the formatting of its first run, and the
        comments anchored on it.

        Args:
            path: a .docx file, relative to the workspace root.
            block: the paragraph's block number, as docs.read shows it.
            text: its new text ("\\n" is a line break, "\\t" a tab).
            style: a new paragraph style, e.g. "Heading 1"; omit to keep the current one.
        """
        self._docx_only(path, "replace_paragraph")
        _check_text(text, "text", MAX_TEXT)
        document = self._open(path)
        element = self._element(document, block, "paragraph")
        paragraph = Paragraph(element, document._body)
        if style is not None:
            paragraph.style = self._style(document, style, WD_STYLE_TYPE.PARAGRAPH)
        _set_paragraph_text(paragraph, text)
        self._save(path, document)
        return {"path": path, "block": block, "style": _style_name(paragraph),
                "text": paragraph.text}

    @tool
    def replace_text(self, path: str, old: str, new: str,
                     match_case: bool = True) -> dict[str, Any]:
        """Replace every occurrence of a piece of text in a document (.docx or .md).

        In a .docx the text may cross runs of different formatting inside one paragraph or
        table cell (the new text takes the formatting where the old one began); it never
        spans two paragraphs.

        Args:
            path: a .docx or .md file, relative to the workspace root.
            old: the text to replace (not a pattern).
            new: what to put in its place; empty to delete it.
            match_case: tell upper and lower case apart when looking for ``old``.
        """
        if not old:
            raise ToolError("old must not be empty")
        _check_text(old, "old", 1_000)
        _check_text(new, "new", MAX_TEXT)
        fold: Callable[[str], str] = (lambda s: s) if match_case else _fold
        needle = fold(old)
        if self._kind(path) == "md":
            text = self._markdown(path)
            starts = _find_all(fold(text), needle)
            self._check_found(starts, old, path)
            self._check_growth(len(starts), old, new)
            pieces: list[str] = []
            last = 0
            for at in starts:
                pieces += [text[last:at], new]
                last = at + len(old)
            pieces.append(text[last:])
            self._write(path, "".join(pieces).encode("utf-8"))
            lines: list[int] = []
            line, last = 1, 0
            for at in starts:
                line += text.count("\n", last, at)
                last = at
                if not lines or lines[-1] != line:
                    lines.append(line)
            return {"path": path, "replaced": len(starts), "lines": lines}
        document = self._open(path)
        plan: list[tuple[int, list[Run], list[int]]] = []
        for number, element in enumerate(_block_elements(document), 1):
            paragraphs = [element] if element.tag == _W_P else list(element.iter(_W_P))
            for p in paragraphs:
                runs = [Run(r, document._body) for r in p.xpath("./w:r | ./w:hyperlink/w:r")]
                starts = _find_all(fold("".join(run.text for run in runs)), needle)
                if starts:
                    plan.append((number, runs, starts))
        found = [at for _, _, starts in plan for at in starts]
        self._check_found(found, old, path)
        self._check_growth(len(found), old, new)
        for _, runs, starts in plan:
            _splice_runs(runs, starts, len(old), new)
        self._save(path, document)
        return {"path": path, "replaced": len(found),
                "blocks": sorted({number for number, _, _ in plan})}

    @tool
    def delete_blocks(self, path: str, block: int, count: int = 1) -> dict[str, Any]:
        """Delete paragraphs or tables of a .docx document; later blocks move up. Comments
        anchored only in the deleted blocks go with them.

        Args:
            path: a .docx file, relative to the workspace root.
            block: the first block to delete, as docs.read numbers it.
            count: how many consecutive blocks to delete.
        """
        self._docx_only(path, "delete_blocks")
        document = self._open(path)
        elements = _block_elements(document)
        if count < 1:
            raise ToolError("count must be 1 or more")
        self._element(document, block, None)
        if block + count - 1 > len(elements):
            raise ToolError(f"blocks {block}-{block + count - 1} do not all exist; the "
                            f"document has {len(elements)} blocks")
        doomed = elements[block - 1:block - 1 + count]
        for element in doomed:
            element.getparent().remove(element)
        comments = _comments_element(document)
        if comments is not None:
            anchored = {str(i) for i in document.element.body.xpath(
                ".//w:commentRangeStart/@w:id | .//w:commentReference/@w:id")}
            for comment in list(comments.iterchildren(qn("w:comment"))):
                if comment.get(qn("w:id")) not in anchored:
                    comments.remove(comment)
        self._save(path, document)
        return {"path": path, "deleted": list(range(block, block + count)),
                "blocks": len(elements) - count}

    @tool(destructive=False)
    def insert_table(self, path: str, rows: list[list[str]], at: int | None = None,
                     style: str | None = None) -> dict[str, Any]:
        """Insert a table into a .docx document.

        Args:
            path: a .docx file, relative to the workspace root.
            rows: the cell texts, row by row (the first row is usually the header); short
                rows are padded with empty cells.
            at: the block number the table takes; omit it to add at the end.
            style: a table style, e.g. "Table Grid" (the default, when the document has
                it).
        """
        self._docx_only(path, "insert_table")
        width = max((len(r) for r in rows), default=0)
        if not rows or width == 0:
            raise ToolError("rows must hold at least one row with one cell")
        if len(rows) > MAX_TABLE_ROWS or width > MAX_TABLE_COLUMNS:
            raise ToolError(f"a table has at most {MAX_TABLE_ROWS} rows and "
                            f"{MAX_TABLE_COLUMNS} columns")
        for r, row in enumerate(rows, 1):
            for c, text in enumerate(row, 1):
                _check_text(text, f"cell {r},{c}", MAX_CELL_TEXT)
        document = self._open(path)
        elements = _block_elements(document)
        position = self._insert_position(at, len(elements))
        self._check_cells(document, len(rows) * width)
        if len(elements) + 1 > MAX_BLOCKS:
            raise ToolError(f"a document holds at most {MAX_BLOCKS} blocks")
        chosen = None
        if style is not None:
            chosen = self._style(document, style, WD_STYLE_TYPE.TABLE)
        elif (grid := _find_style(document, "Table Grid", WD_STYLE_TYPE.TABLE)) is not None:
            chosen = grid
        table = document.add_table(rows=len(rows), cols=width)
        if chosen is not None:
            table.style = chosen
        _fill_new_table(table, rows)
        if position <= len(elements):
            elements[position - 1].addprevious(table._tbl)
        self._save(path, document)
        return {"path": path, "block": position, "rows": len(rows), "columns": width}

    @tool(idempotent=True)
    def fill_table(self, path: str, block: int, values: list[list[str | None]],
                   row: int = 1, column: int = 1) -> dict[str, Any]:
        """Write cell texts into a table of a .docx document, as a rectangle whose top-left
        cell is (row, column). Rows past the table's end are added; each cell keeps its
        formatting.

        Args:
            path: a .docx file, relative to the workspace root.
            block: the table's block number, as docs.read shows it.
            values: the texts, row by row; null leaves a cell as it is.
            row: the row of the first value, from 1 (one past the last row appends rows).
            column: the column of the first value, from 1.
        """
        self._docx_only(path, "fill_table")
        if not values or not any(values):
            raise ToolError("values must hold at least one row with one value")
        if len(values) > MAX_TABLE_ROWS:
            raise ToolError(f"give at most {MAX_TABLE_ROWS} rows at a time")
        for r, line in enumerate(values, row):
            for c, text in enumerate(line, column):
                if text is not None:
                    _check_text(text, f"cell {r},{c}", MAX_CELL_TEXT)
        document = self._open(path)
        table = Table(self._element(document, block, "table"), document._body)
        rows_now, columns = len(table.rows), len(table.columns)
        if row < 1 or column < 1:
            raise ToolError("row and column are numbered from 1")
        if row > rows_now + 1:
            raise ToolError(f"row {row} is past the end: the table has {rows_now} rows (give "
                            f"row {rows_now + 1} to append)")
        width = max(len(line) for line in values)
        if column + width - 1 > columns:
            raise ToolError(f"the values reach column {column + width - 1}, but the table has "
                            f"{columns} columns")
        needed = row + len(values) - 1 - rows_now
        if rows_now + max(needed, 0) > MAX_TABLE_ROWS:
            raise ToolError(f"a table has at most {MAX_TABLE_ROWS} rows")
        if needed > 0:
            self._check_cells(document, needed * columns)
            for _ in range(needed):
                table.add_row()
        for r, line in enumerate(values, row - 1):
            cells = table.rows[r].cells
            for c, text in enumerate(line, column - 1):
                if c >= len(cells):
                    raise ToolError(f"row {r + 1} of the table has only {len(cells)} cells")
                if text is not None:
                    _set_cell_text(cells[c], text)
        self._save(path, document)
        return {"path": path, "block": block, "rows": len(table.rows), "columns": columns,
                "written": sum(v is not None for line in values for v in line)}

    @tool(destructive=False)
    def add_comment(self, path: str, block: int, text: str, author: str = "") -> dict[str, Any]:
        """Add a comment on a whole paragraph of a .docx document.

        Args:
            path: a .docx file, relative to the workspace root.
            block: the paragraph's block number, as docs.read shows it.
            text: the comment ("\\n" starts a new paragraph of the comment).
            author: the name to sign it with.
        """
        self._docx_only(path, "add_comment")
        _check_text(text, "text", MAX_CELL_TEXT)
        _check_text(author, "author", 200)
        if not text.strip():
            raise ToolError("text must not be empty")
        document = self._open(path)
        paragraph = Paragraph(self._element(document, block, "paragraph"), document._body)
        if not paragraph.runs:
            raise ToolError(f"block {block} has no text to anchor a comment on")
        initials = "".join(word[0] for word in author.split())[:8]
        comment = document.add_comment(paragraph.runs, text=text, author=author,
                                       initials=initials)
        comment._comment_elm.date = self.world.now
        self._save(path, document)
        return {"path": path, "comment": comment.comment_id, "block": block}

    @tool(read_only=True)
    def list_comments(self, path: str) -> list[dict[str, Any]]:
        """The comments of a .docx document: {"id", "author", "date", "block" (where it is
        anchored; null if nowhere), "text"}, by id.

        Args:
            path: a .docx file, relative to the workspace root.
        """
        self._docx_only(path, "list_comments")
        return [{"id": c.id, "author": c.author, "date": c.date, "block": c.block,
                 "text": c.text} for c in self._content(path).comments]

    @tool(idempotent=True)
    def replace_section(self, path: str, heading: str, content: str,
                        occurrence: int = 1) -> dict[str, Any]:
        """Replace the body of a section of a Markdown file: the lines after its heading up
        to the next heading of the same or a higher level. The heading line stays.

        Args:
            path: a .md file, relative to the workspace root.
            heading: the heading's title, e.g. "Budget" (or "## Budget" to name its level).
            content: the section's new Markdown text; empty to leave just the heading.
            occurrence: which of several headings with that title (1 = the first).
        """
        if self._kind(path) != "md":
            raise ToolError("replace_section edits Markdown files; in a .docx use "
                            "docs.outline, then replace_paragraph, insert_paragraphs and "
                            "delete_blocks")
        _check_text(content, "content", MAX_TEXT)
        if occurrence < 1:
            raise ToolError("occurrence must be 1 or more")
        text = self._markdown(path)
        try:
            start, end, chosen = _section_span(text, heading, occurrence)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        lines = text.split("\n")
        body = content.split("\n") if content else []
        if body and body[-1] == "":
            body.pop()
        followed = end < len(lines) - (lines[-1] == "")  # by a heading, not the end
        if body and followed and body[-1].strip():
            body.append("")  # a blank line before the next heading
        updated = lines[:start] + body + lines[end:]
        self._write(path, "\n".join(updated).encode("utf-8"))
        return {"path": path, "heading": chosen.title, "line": chosen.line,
                "lines": len(body)}

    # -- helpers -------------------------------------------------------------------------

    def _kind(self, path: str) -> Literal["docx", "md"]:
        lowered = path.strip().lower()
        if lowered.endswith(".docx"):
            return "docx"
        if lowered.endswith(_MARKDOWN):
            return "md"
        raise ToolError(f"{path!r} is neither a .docx nor a .md file; the docs tools read "
                        "Word and Markdown documents (sheets reads .xlsx, slides .pptx, pdf "
                        ".pdf, files any text)")

    def _docx_only(self, path: str, what: str) -> None:
        if self._kind(path) != "docx":
            raise ToolError(f"{what} edits .docx documents; for Markdown use docs.read, "
                            "docs.replace_text or docs.replace_section (or files.write)")

    def _content(self, path: str) -> DocxContent:
        try:
            return parse_docx(self.world.read_file(path))
        except ValueError as exc:
            raise ToolError(f"{path!r} cannot be read: {exc}") from None

    def _open(self, path: str) -> DocxDocument:
        """A document of its own, for a tool that changes it."""
        try:
            return _open_document(self.world.read_file(path))
        except ValueError as exc:
            raise ToolError(f"{path!r} cannot be read: {exc}") from None

    def _markdown(self, path: str) -> str:
        try:
            return self.world.read_file(path).decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{path!r} is not UTF-8 text") from None

    def _save(self, path: str, document: DocxDocument, overwrite: bool = True) -> None:
        data = docx_bytes(document)
        try:
            check_package(data, ".docx document")
        except ValueError as exc:
            raise ToolError(f"not saved: {exc}") from None
        self._write(path, data, overwrite=overwrite)

    def _write(self, path: str, data: bytes, overwrite: bool = True) -> None:
        if len(data) > MAX_FILE_BYTES:
            raise ToolError(f"the document would be larger than {MAX_FILE_BYTES} bytes; not "
                            "saved")
        self.world.write_file(path, data, overwrite=overwrite)

    def _block(self, blocks: Sequence[DocxBlock], number: int,
               kind: Literal["paragraph", "table"]) -> DocxBlock:
        if not 1 <= number <= len(blocks):
            raise ToolError(f"block {number} does not exist: the document has {len(blocks)} "
                            "blocks, numbered from 1 (docs.read lists them)")
        found = blocks[number - 1]
        if found.kind != kind:
            raise ToolError(f"block {number} is a {found.kind}, not a {kind}")
        return found

    def _element(self, document: DocxDocument, number: int,
                 kind: Literal["paragraph", "table"] | None) -> Any:
        elements = _block_elements(document)
        if not 1 <= number <= len(elements):
            raise ToolError(f"block {number} does not exist: the document has "
                            f"{len(elements)} blocks, numbered from 1 (docs.read lists them)")
        element = elements[number - 1]
        found = "paragraph" if element.tag == _W_P else "table"
        if kind is not None and found != kind:
            hint = " (docs.fill_table edits a table's cells)" if found == "table" else ""
            raise ToolError(f"block {number} is a {found}, not a {kind}{hint}")
        return element

    def _insert_position(self, at: int | None, total: int) -> int:
        if at is None:
            return total + 1
        if not 1 <= at <= total + 1:
            raise ToolError(f"at must be between 1 and {total + 1} (the document has {total} "
                            "blocks; omit at to add at the end)")
        return at

    def _style(self, document: DocxDocument, name: str | None, kind: WD_STYLE_TYPE) -> Any:
        if name is None:
            return None
        found = _find_style(document, name, kind)
        if found is None:
            names = sorted(s.name for s in document.styles if s.type == kind and s.name)
            what = "paragraph" if kind == WD_STYLE_TYPE.PARAGRAPH else "table"
            listing = ", ".join(repr(n) for n in names[:60])
            raise ToolError(f"the document has no {what} style named {name!r}; its {what} "
                            f"styles are: {listing}")
        return found

    def _check_cells(self, document: DocxDocument, adding: int) -> None:
        cells = sum(1 for _ in document.element.body.iter(_W_TC))
        if cells + adding > MAX_TABLE_CELLS:
            raise ToolError(f"a document holds at most {MAX_TABLE_CELLS} table cells")

    def _check_found(self, found: Sequence[int], old: str, path: str) -> None:
        if not found:
            raise ToolError(f"{old!r} does not occur in {path}; docs.find shows where text "
                            "occurs (try match_case=false)")

    def _check_growth(self, count: int, old: str, new: str) -> None:
        if count > MAX_REPLACEMENTS:
            raise ToolError(f"{old!r} occurs {count} times; at most {MAX_REPLACEMENTS} are "
                            "replaced at once: give a longer piece of text")
        if count * (len(new) - len(old)) > MAX_GROWTH:
            raise ToolError(f"replacing {count} occurrences would add more than {MAX_GROWTH} "
                            "characters; replace fewer at a time")


def _fill_new_table(table: Table, rows: Sequence[Sequence[str]]) -> None:
    # Row by row: python-docx's Table.cell(r, c) lists every cell of the table per call.
    for row, texts in zip(table.rows, rows, strict=False):
        for cell, text in zip(row.cells, texts, strict=False):
            cell.text = text


def _set_cell_text(cell: Any, text: str) -> None:
    """Give a cell new text in its first paragraph (keeping its formatting); any other
    paragraphs of the cell go."""
    paragraphs = cell.paragraphs
    if not paragraphs:
        cell.add_paragraph(text)
        return
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    _set_paragraph_text(paragraphs[0], text)


def _block_json(number: int, block: DocxBlock) -> dict[str, Any]:
    if block.kind == "paragraph":
        shown: dict[str, Any] = {"block": number, "type": "paragraph", "style": block.style,
                                 "text": block.text[:MAX_READ_CHARS]}
        if len(block.text) > MAX_READ_CHARS:
            shown["truncated"] = True
    else:
        shown = {"block": number, "type": "table", "style": block.style,
                 "rows": len(block.rows), "columns": max((len(r) for r in block.rows), default=0),
                 "cells": [list(r) for r in block.rows[:READ_TABLE_ROWS]]}
    if block.comments:
        shown["comments"] = list(block.comments)
    return shown


def _size(shown: dict[str, Any]) -> int:
    if shown["type"] == "paragraph":
        return len(shown["text"])
    return sum(len(cell) for row in shown["cells"] for cell in row)
