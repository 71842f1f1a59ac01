"""A deterministic PDF writer, for families that give the agent PDF files to read.

Built on ReportLab's page layout (``platypus``) with ``invariant=1``, which fixes the
creation date and the document id, so the same data always gives byte-identical files.
Text uses the standard Helvetica fonts (no font files embedded), whose WinAnsi encoding
covers Western European text (cp1252: accents, the euro sign, typographic quotes and
dashes); other characters are refused rather than drawn as boxes. Tables are drawn with
ruled cell borders, so table-aware readers (the pdf app) find them as tables.

Example:
    >>> data = write_pdf("Invoice INV-0042", [
    ...     PdfHeading("Bill to"), "Vera Jensen, Example Ltd.",
    ...     PdfTable([["Item", "Qty", "Price"], ["Widget", "2", "EUR 10.00"]]),
    ... ])
    >>> data.startswith(b"%PDF-")
    True
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

__all__ = ["PdfBlock", "PdfHeading", "PdfTable", "write_pdf"]

MAX_BLOCKS = 5_000
MAX_TABLE_ROWS = 2_000
MAX_TABLE_COLUMNS = 20
MAX_TEXT = 20_000
_PAGE_SIZES = {"A4": A4, "letter": LETTER}
_MARGIN = 20 * mm


@dataclass(frozen=True)
class PdfHeading:
    """A heading line; level 1 is the largest."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class PdfTable:
    """A table with ruled borders; the first row is the header when ``header`` is true (set
    in bold and repeated at the top of each page the table continues on)."""

    rows: Sequence[Sequence[str]]
    header: bool = True


PdfBlock = str | PdfHeading | PdfTable
"""A block of a PDF's body: a paragraph (a string), a heading or a table."""


def write_pdf(title: str, blocks: Sequence[PdfBlock], *, author: str = "",
              subject: str = "", page_size: Literal["A4", "letter"] = "A4") -> bytes:
    """Lay out a PDF document and return its bytes; the same arguments give the same bytes.

    Args:
        title: the document's title, set as its first line and in its metadata.
        blocks: the body in order: strings are paragraphs ("\\n" breaks a line),
            ``PdfHeading`` and ``PdfTable`` are headings and tables.
        author: the metadata's author.
        subject: the metadata's subject.
        page_size: "A4" or "letter".

    Raises:
        ValueError: a character outside the fonts' encoding (cp1252), an empty or ragged
            table, a bad heading level, or content past the writer's bounds.
        TypeError: a block (or a text) of another type.
    """
    if page_size not in _PAGE_SIZES:
        raise ValueError(f"page_size must be 'A4' or 'letter', got {page_size!r}")
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"at most {MAX_BLOCKS} blocks, got {len(blocks)}")
    for label, value in (("title", title), ("author", author), ("subject", subject)):
        _check_text(value, label)
    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=9, leading=11)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    width = _PAGE_SIZES[page_size][0] - 2 * _MARGIN
    story: list[Flowable] = []
    if title:
        story.append(Paragraph(_markup(title), styles["Title"]))
    for number, block in enumerate(blocks, 1):
        where = f"block {number}"
        if isinstance(block, str):
            _check_text(block, where)
            story.append(Paragraph(_markup(block), styles["BodyText"]))
        elif isinstance(block, PdfHeading):
            if not 1 <= block.level <= 6:
                raise ValueError(f"{where}: heading level must be 1-6, got {block.level}")
            _check_text(block.text, where)
            story.append(Paragraph(_markup(block.text), styles[f"Heading{block.level}"]))
        elif isinstance(block, PdfTable):
            story.append(_table(block, where, width, cell, head))
            story.append(Spacer(1, 4 * mm))
        else:
            raise TypeError(f"{where}: expected a string, PdfHeading or PdfTable, got "
                            f"{type(block).__name__}")
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=_PAGE_SIZES[page_size], leftMargin=_MARGIN, rightMargin=_MARGIN,
        topMargin=_MARGIN, bottomMargin=_MARGIN, title=title, author=author,
        subject=subject, creator="workgym", invariant=1)
    document.build(story)
    return out.getvalue()


def _table(block: PdfTable, where: str, width: float, cell: ParagraphStyle,
           head: ParagraphStyle) -> Table:
    rows = [list(row) for row in block.rows]
    columns = max((len(r) for r in rows), default=0)
    if not rows or columns == 0:
        raise ValueError(f"{where}: a table needs at least one row with one cell")
    if any(len(r) != columns for r in rows):
        raise ValueError(f"{where}: every table row needs {columns} cells")
    if len(rows) > MAX_TABLE_ROWS or columns > MAX_TABLE_COLUMNS:
        raise ValueError(f"{where}: a table has at most {MAX_TABLE_ROWS} rows and "
                         f"{MAX_TABLE_COLUMNS} columns")
    for r, row in enumerate(rows, 1):
        for c, text in enumerate(row, 1):
            _check_text(text, f"{where}, cell {r},{c}")
    # Columns share the width by their longest text (capped, so one long cell cannot
    # squeeze the others to nothing); cells wrap inside it.
    weights = [min(max(len(rows[r][c]) for r in range(len(rows))), 40) + 4
               for c in range(columns)]
    widths = [width * w / sum(weights) for w in weights]
    body = [[Paragraph(_markup(text), head if block.header and r == 0 else cell)
             for text in row] for r, row in enumerate(rows)]
    table = Table(body, colWidths=widths, repeatRows=1 if block.header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if block.header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")))
    table.setStyle(TableStyle(style))
    return table


def _check_text(text: str, where: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{where}: expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{where}: at most {MAX_TEXT} characters, got {len(text)}")
    for ch in text:
        if ch == "\n":
            continue
        try:
            ch.encode("cp1252")
        except UnicodeEncodeError:
            raise ValueError(f"{where}: the character {ch!r} (U+{ord(ch):04X}) is not in the "
                             "PDF fonts' encoding (cp1252); replace it") from None
        if ord(ch) < 0x20 and ch != "\t":
            raise ValueError(f"{where}: control character U+{ord(ch):04X}")


def _markup(text: str) -> str:
    """Text as ReportLab paragraph markup: escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in text.replace("\t", "    ").split("\n"))
