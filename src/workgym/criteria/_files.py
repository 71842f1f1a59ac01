"""Readers of agent-written files (text lines, csv and xlsx rows, docx paragraphs) and the
checks that such a file is well formed.

Every reader goes through ``GradeContext``'s bounded readers, so a missing file, a link,
a folder, an oversized or unparseable file fails the criterion with the reason (fail
closed), and parsing is linear in the file's size.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from workgym.core import Criterion, GradeContext, GradeError, workbook_values
from workgym.criteria._memo import Found, per_grade

MAX_LINE_CHARS = 2_000
"""Longest line a line reader accepts; a longer one is malformed (and matches no item)."""

Normalize = Callable[[str], str]


def collapse(line: str) -> str:
    """A line with outer whitespace removed and inner runs of whitespace made one space."""
    return " ".join(line.split())


def text_lines(rel: str, normalize: Normalize = collapse) -> Found[list[str]]:
    """A reader of the non-blank lines of the text file ``rel``, each normalized.

    A line longer than ``MAX_LINE_CHARS`` is kept unnormalized, cut to that length: it
    matches no required item and fails any line pattern.
    """
    def read(ctx: GradeContext) -> list[str]:
        lines = []
        for line in ctx.read_text(rel).splitlines():
            if len(line) > MAX_LINE_CHARS:
                lines.append(line[:MAX_LINE_CHARS])
            elif line.strip():
                lines.append(normalize(line))
        return lines
    return per_grade(read)


def csv_rows(rel: str, columns: Sequence[str],
             cell: Callable[[str], Any] = str.strip) -> Found[list[tuple[Any, ...]]]:
    """A reader of the ``columns`` of every data row of the csv file ``rel`` (found by
    header title, case-insensitive, wherever they are; blank rows skipped).

    Raises (in the reader):
        GradeError: the file is unreadable, not csv, or its header lacks a column.
    """
    def read(ctx: GradeContext) -> list[tuple[Any, ...]]:
        text = ctx.read_text(rel)
        with ctx.agent_content(rel):
            table = list(csv.reader(io.StringIO(text, newline="")))
        if not table:
            raise GradeError(f"{rel} is empty")
        head = [h.strip().casefold() for h in table[0]]
        missing = [c for c in columns if c.casefold() not in head]
        if missing:
            raise GradeError(f"the header of {rel} lacks columns {missing}")
        where = [head.index(c.casefold()) for c in columns]
        return [tuple(cell(row[i]) if i < len(row) else cell("") for i in where)
                for row in table[1:] if any(v.strip() for v in row)]
    return per_grade(read)


def xlsx_rows(rel: str, sheet: str, columns: Sequence[str],
              row: Callable[..., Any] | None = None) -> Found[list[Any]]:
    """A reader of the ``columns`` of every data row of ``sheet`` in the workbook ``rel``
    (found by header title in row 1, case-insensitive), each passed through ``row`` (a
    function of the cell values, in ``columns`` order) when given.

    Raises (in the reader):
        GradeError: unreadable or oversized workbook, no such sheet, a missing column, or
            a value ``row`` cannot take (``row`` runs as agent content: its ValueError,
            TypeError and OverflowError fail the criterion).
    """
    def read(ctx: GradeContext) -> list[Any]:
        book = ctx.read_workbook(rel)
        if sheet not in book.sheetnames:
            raise GradeError(f"{rel} has no sheet {sheet!r}")
        with ctx.agent_content(f"{rel}, sheet {sheet!r}"):
            table = book.sheet(sheet).table(columns)
            return [row(*values) for values in table] if row else list(table)
    return per_grade(read)


def sheets_unchanged(name: str, rel: str, template: bytes, *, but: Iterable[str] = ()) -> Criterion:
    """A guard: every sheet of the workbook ``rel`` as it was in ``template`` (its bytes at
    the start), except the sheets ``but`` names, is there with the same values."""
    skip = set(but)
    before = {ws.title: ws.cells for ws in workbook_values(template).worksheets
              if ws.title not in skip}

    def check(ctx: GradeContext) -> tuple[bool, str]:
        book = ctx.read_workbook(rel)
        changed = [title for title, cells in before.items()
                   if title not in book.sheetnames or book.sheet(title).cells != cells]
        return not changed, f"changed or removed: {changed}" if changed else "unchanged"

    return Criterion(name, check, guard=True)


def docx_paragraphs(rel: str) -> Found[list[str]]:
    """A reader of the non-blank paragraphs of the Word document ``rel`` (python-docx,
    after a bounded unzip), each with whitespace collapsed."""
    def read(ctx: GradeContext) -> list[str]:
        import docx  # python-docx: imported on first use, it takes a while

        members = ctx.read_zip(rel)
        clean = io.BytesIO()
        with zipfile.ZipFile(clean, "w", zipfile.ZIP_STORED) as archive:
            for name, part in members.items():
                if b"<!DOCTYPE" in part[:4096]:
                    raise GradeError(f"{rel}: {name} holds a document type declaration")
                archive.writestr(name, part)
        with ctx.agent_content(rel):
            document = docx.Document(io.BytesIO(clean.getvalue()))
            texts = [collapse(p.text) for p in document.paragraphs]
        return [t for t in texts if t]
    return per_grade(read)


def well_formed_lines(name: str, rel: str, line: re.Pattern[str] | str, *,
                      expected: Iterable[str] = (), normalize: Normalize = collapse,
                      weight: float = 1.0) -> Criterion:
    """The text file ``rel`` has lines, every one matching ``line`` in full.

    With ``expected`` (the required lines), the file must also earn item credit under the
    precision rule of :func:`item_credit`: more distinct required lines than wrong or
    repeated ones. So neither made-up lines in the right shape nor a shotgun of every
    candidate (a few right lines among many wrong ones) earns "well-formed". Keep ``line``
    free of nested repetition: lines are short (``MAX_LINE_CHARS``), the pattern must
    still be linear.
    """
    pattern = re.compile(line) if isinstance(line, str) else line
    read = text_lines(rel, normalize)
    wanted = set(expected)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        found = read(ctx)
        if not found:
            return False, f"{rel} has no lines"
        bad = [x for x in found if len(x) >= MAX_LINE_CHARS or not pattern.fullmatch(x)]
        if bad:
            return False, f"{len(bad)} malformed line(s), e.g. {bad[0][:120]!r}"
        if wanted:
            right = len(wanted & set(found))
            wrong = len(found) - right
            if right <= wrong:
                return False, (f"{len(found)} well-formed line(s), but only {right} required "
                               f"one(s) against {wrong} wrong or repeated")
        return True, f"{len(found)} well-formed line(s)"

    return Criterion(name, check, weight=weight)


def well_formed_csv(name: str, rel: str, columns: Sequence[str], *, min_rows: int = 1,
                    weight: float = 1.0) -> Criterion:
    """The csv file ``rel`` parses, its header has ``columns``, and it has ``min_rows``
    data rows."""
    read = csv_rows(rel, columns)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        rows = read(ctx)
        return len(rows) >= min_rows, f"{rel}: {len(rows)} data row(s) under {list(columns)}"

    return Criterion(name, check, weight=weight)


def well_formed_xlsx(name: str, rel: str, sheet: str, columns: Sequence[str], *,
                     min_rows: int = 1, weight: float = 1.0) -> Criterion:
    """The workbook ``rel`` opens within bounds, has ``sheet`` with ``columns`` in its
    header, and ``min_rows`` data rows."""
    read = xlsx_rows(rel, sheet, columns)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        rows = read(ctx)
        return len(rows) >= min_rows, f"{rel} [{sheet}]: {len(rows)} data row(s)"

    return Criterion(name, check, weight=weight)


def well_formed_docx(name: str, rel: str, *, min_paragraphs: int = 1,
                     weight: float = 1.0) -> Criterion:
    """The Word document ``rel`` opens within bounds and has ``min_paragraphs`` non-blank
    paragraphs."""
    read = docx_paragraphs(rel)

    def check(ctx: GradeContext) -> tuple[bool, str]:
        found = read(ctx)
        return len(found) >= min_paragraphs, f"{rel}: {len(found)} non-blank paragraph(s)"

    return Criterion(name, check, weight=weight)
