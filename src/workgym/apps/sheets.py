"""sheets: .xlsx workbooks in the workspace, read and written through openpyxl.

The files are the state: there is no store. Every write saves through
:func:`workbook_bytes`, so the same content always gives the same bytes (and the same
world digest).

Bounded: a workbook is unpacked and checked before openpyxl parses it
(``workgym.core.SheetLimits``: at most ``MAX_CELLS`` cells, zip bombs refused), reads
use only the cells that exist (a cell at XFD1048576 costs nothing to skip), and writes
stay inside ``WRITE_LIMITS`` (rows 1-10000, columns A-IV).
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from workgym.core import (
    DEFAULT_SHEET_LIMITS,
    MAX_FILE_BYTES,
    App,
    SheetLimits,
    SheetValues,
    ToolError,
    WorkbookValues,
    load_workbook_bounded,
    sheet_cells,
    tool,
    workbook_values,
)

__all__ = [
    "CellValue", "SheetsApp", "cell_json", "load_workbook_bytes", "table_rows", "workbook_bytes",
]

CellValue = str | int | float | bool | None
"""What a tool may write into a cell (JSON scalars)."""

MAX_READ_CELLS = 5000
"""Most cells one ``read_range`` returns; larger reads must name a smaller range."""
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384
"""The last row and column of the file format (XFD1048576)."""
WRITE_LIMITS = DEFAULT_SHEET_LIMITS
"""Where the writing tools may put cells, and how many cells a workbook may hold."""
READ_LIMITS = SheetLimits(max_rows=MAX_ROW, max_columns=MAX_COLUMN,
                          max_cells=WRITE_LIMITS.max_cells)
"""What the reading tools accept: cells anywhere in the format (read sparsely), as many
as a written workbook may hold."""
MAX_SHEETS = 64
MAX_EXACT_INT = 2**53
"""Integers beyond this lose digits in a spreadsheet's numbers; they are written as text."""

# Fixed stamps: openpyxl writes the save time into docProps/core.xml and zip entries
# carry the current time, either of which would make equal content differ in bytes.
_FIXED_PROPS_TIME = datetime(2000, 1, 1)
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CELL = re.compile(r"^([A-Za-z]{1,3})([1-9][0-9]{0,6})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BAD_SHEET_CHARS = set("[]:*?/\\")


class _Entries:
    """Takes the parts openpyxl's writer would put in a zip, to zip them once, in order."""

    def __init__(self) -> None:
        self.parts: dict[str, bytes] = {}

    def writestr(self, name: str, data: str | bytes, *args: Any, **kwargs: Any) -> None:
        self.parts[name] = data.encode("utf-8") if isinstance(data, str) else bytes(data)

    def write(self, filename: str, arcname: str, *args: Any, **kwargs: Any) -> None:
        self.parts[arcname] = Path(filename).read_bytes()

    def namelist(self) -> list[str]:
        return list(self.parts)

    def close(self) -> None:
        pass


class _InMemoryWriter(ExcelWriter):
    """openpyxl's ExcelWriter, serializing each worksheet in memory.

    The stock writer streams every worksheet into a temporary file, adds it to the zip and
    deletes it: three filesystem operations per sheet that cost more than the XML itself
    on a busy disk. The XML written is the same.
    """

    def write_worksheet(self, ws: Worksheet) -> None:
        if self.workbook.write_only:
            super().write_worksheet(ws)
            return
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialize a workbook deterministically: same content, same bytes.

    The document's created/modified stamps are fixed and the parts are zipped in sorted
    order with constant timestamps.
    """
    props = wb.properties
    saved = (props.created, props.modified, props.lastModifiedBy)
    props.created = props.modified = _FIXED_PROPS_TIME
    props.lastModifiedBy = None
    entries = _Entries()
    try:
        _InMemoryWriter(wb, entries).save()
    finally:
        props.created, props.modified, props.lastModifiedBy = saved
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(entries.parts):
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, entries.parts[name])
    return out.getvalue()


def load_workbook_bytes(data: bytes, limits: SheetLimits = WRITE_LIMITS) -> Workbook:
    """Parse .xlsx bytes (formulas kept as their text) within ``limits``: bounded unzip,
    bounded cells (see ``workgym.core.SheetLimits``).

    Raises:
        ValueError: the bytes are not a readable .xlsx workbook, or one past ``limits``.
    """
    return load_workbook_bounded(data, limits)


def table_rows(wb: Workbook, sheet: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """The values of ``columns`` in every row under the header that holds any of them.

    Columns are found by their title in row 1 (case-insensitive), wherever they are, so a
    grader does not depend on the column order. Only cells that exist are visited.

    Raises:
        ValueError: no such sheet, or a column is missing from the header.
    """
    if sheet not in wb.sheetnames or not isinstance(wb[sheet], Worksheet):
        raise ValueError(f"the workbook has no sheet {sheet!r}")
    return SheetValues(sheet, sheet_cells(wb[sheet])).table(columns)


def cell_json(value: Any) -> Any:
    """A cell's value as JSON: dates as ISO strings (date-only at midnight), formulas as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    text = getattr(value, "text", None)  # ArrayFormula
    return text if isinstance(text, str) else str(value)


def _parse_cell(ref: str, *, writing: bool = False) -> tuple[int, int]:
    """``"B7"`` -> (row 7, column 2).

    Args:
        ref: the reference.
        writing: a cell to write: it must lie inside ``WRITE_LIMITS``.
    """
    match = _CELL.match(ref.strip()) if isinstance(ref, str) and len(ref) < 40 else None
    if not match:
        shown = ref if len(ref) < 40 else ref[:37] + "..."
        raise ToolError(f"bad cell reference {shown!r}; use A1-style references such as 'B7'")
    column = column_index_from_string(match.group(1).upper())
    row = int(match.group(2))
    if column > MAX_COLUMN or row > MAX_ROW:
        raise ToolError(f"cell reference {ref!r} is outside the sheet (last cell is XFD1048576)")
    if writing and (row > WRITE_LIMITS.max_rows or column > WRITE_LIMITS.max_columns):
        raise ToolError(f"cell {ref.strip().upper()} is beyond {WRITE_LIMITS.last_cell}, the "
                        "last row and column the tools write")
    return row, column


def _used_bounds(ws: Worksheet) -> tuple[int, int] | None:
    """(last row, last column) holding a value, or None for an empty sheet; only the
    cells that exist are visited (``iter_rows`` would walk the whole rectangle)."""
    return SheetValues(ws.title, sheet_cells(ws)).bounds


def _sheet(book: WorkbookValues, name: str) -> SheetValues:
    if name in book.sheetnames:
        try:
            return book.sheet(name)
        except KeyError:
            raise ToolError(f"{name!r} is a chart sheet, not a worksheet") from None
    listing = ", ".join(repr(n) for n in book.sheetnames)
    raise ToolError(f"no sheet named {name!r}; the workbook has {listing}")


def _book_values(data: bytes) -> WorkbookValues:
    """The values of the workbook ``data``, parsed once per content and shared read-only:
    an agent reads the same workbook many times, and every episode of a task starts from
    the same bytes. The reading tools never touch openpyxl objects, which change when
    read.

    Raises:
        ValueError: the bytes are not a readable .xlsx workbook, or one too large.
    """
    return workbook_values(data, READ_LIMITS)


def _to_cell(value: CellValue) -> Any:
    # ISO dates become real date cells, as a spreadsheet program would parse them
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _area(rows: int, columns: int, top: int = 1, left: int = 1) -> str:
    first = f"{get_column_letter(left)}{top}"
    last = f"{get_column_letter(left + columns - 1)}{top + rows - 1}"
    return first if first == last else f"{first}:{last}"


class SheetsApp(App):
    """Spreadsheets: .xlsx workbooks in the workspace. Cells use A1-style references."""

    name = "sheets"

    @tool(read_only=True)
    def list_sheets(self, path: str) -> list[dict[str, Any]]:
        """List the sheets of a workbook with the area each one uses.

        Args:
            path: .xlsx file relative to the workspace root.
        """
        book = self._read(path)
        result = []
        for ws in book.worksheets:
            bounds = ws.bounds
            rows, columns = bounds or (0, 0)
            result.append({"name": ws.title, "range": _area(rows, columns) if bounds else None,
                           "rows": rows, "columns": columns})
        return result

    @tool(read_only=True)
    def read_range(self, path: str, sheet: str | None = None,
                   range: str | None = None) -> dict[str, Any]:
        """Read cell values. Dates come back as ISO strings, formulas as their text ("=SUM(..)").

        Returns the sheet, the range read, the header (row 1 of the sheet, for the columns
        read) and every row of the range with its row number.

        Args:
            path: .xlsx file relative to the workspace root.
            sheet: sheet name; the first sheet when omitted.
            range: A1-style range such as "A1:E20", "B7", "A:C" or "2:5"; the sheet's used
                area when omitted.
        """
        book = self._read(path)
        if sheet is not None:
            ws = _sheet(book, sheet)
        elif book.worksheets:
            ws = book.worksheets[0]
        else:
            raise ToolError(f"{path!r} has no worksheet (only chart sheets)")
        bounds = ws.bounds
        if range is None:
            if bounds is None:
                return {"sheet": ws.title, "range": None, "header": [], "rows": []}
            top, left, bottom, right = 1, 1, bounds[0], bounds[1]
        else:
            top, left, bottom, right = self._range(range, bounds)
        if bottom < top or right < left:  # a whole-column range over an empty sheet
            return {"sheet": ws.title, "range": None, "header": [], "rows": []}
        cells = (bottom - top + 1) * (right - left + 1)
        if cells > MAX_READ_CELLS:
            raise ToolError(f"range {range or 'used area'} has {cells} cells; read at most "
                            f"{MAX_READ_CELLS} at a time by giving a smaller range")
        header = [cell_json(ws.value(1, c)) for c in _columns(left, right)]
        rows = [{"row": r, "values": [cell_json(ws.value(r, c)) for c in _columns(left, right)]}
                for r in _rows(top, bottom)]
        return {"sheet": ws.title, "range": _area(bottom - top + 1, right - left + 1, top, left),
                "header": header, "rows": rows}

    @tool(idempotent=True)
    def write_cells(self, path: str, sheet: str, cells: dict[str, CellValue]) -> str:
        """Set cell values. Strings "YYYY-MM-DD" become dates; strings starting with "=" are
        formulas; null clears a cell.

        Args:
            path: .xlsx file relative to the workspace root.
            sheet: sheet name.
            cells: mapping from cell reference to value, e.g. {"B7": 12.5, "C7": "Meals"}.
        """
        if not cells:
            raise ToolError("cells must name at least one cell")
        if len(cells) > WRITE_LIMITS.max_cells:
            raise ToolError(f"at most {WRITE_LIMITS.max_cells} cells per call")
        targets = [(_parse_cell(ref, writing=True), value) for ref, value in cells.items()]
        wb = self._load(path)
        ws = self._sheet(wb, sheet)
        for (row, column), value in targets:
            self._set(ws, row, column, value)
        self._save(path, wb)
        refs = ", ".join(ref.strip().upper() for ref in cells)
        return f"wrote {len(cells)} cell{'s' if len(cells) != 1 else ''} in {ws.title}: {refs}"

    @tool(destructive=False)
    def append_rows(self, path: str, sheet: str, rows: list[list[CellValue]]) -> str:
        """Append rows below the last row that holds a value, starting in column A.

        Args:
            path: .xlsx file relative to the workspace root.
            sheet: sheet name.
            rows: the rows to add, each a list of cell values (same conversions as write_cells).
        """
        if not rows or not any(rows):
            raise ToolError("rows must hold at least one non-empty row")
        wb = self._load(path)
        ws = self._sheet(wb, sheet)
        if len(rows) > WRITE_LIMITS.max_rows:
            raise ToolError(f"at most {WRITE_LIMITS.max_rows} rows per call")
        width = max(len(row) for row in rows)
        if width > WRITE_LIMITS.max_columns:
            raise ToolError(f"a row has more than {WRITE_LIMITS.max_columns} values; the "
                            f"tools write columns A to {get_column_letter(WRITE_LIMITS.max_columns)}")
        bounds = _used_bounds(ws)
        first = (bounds[0] if bounds else 0) + 1
        if first + len(rows) - 1 > WRITE_LIMITS.max_rows:
            raise ToolError(f"the rows would end below row {WRITE_LIMITS.max_rows}, the last "
                            "row the tools write")
        for offset, row in enumerate(rows):
            for column, value in enumerate(row, 1):
                self._set(ws, first + offset, column, value)
        self._save(path, wb)
        return f"appended {len(rows)} row{'s' if len(rows) != 1 else ''} to {ws.title} at " + \
            _area(len(rows), max(width, 1), first)

    @tool
    def delete_rows(self, path: str, sheet: str, row: int, count: int = 1) -> str:
        """Delete whole rows; the rows below move up.

        Args:
            path: .xlsx file relative to the workspace root.
            sheet: sheet name.
            row: number of the first row to delete (1 is the top row).
            count: how many rows to delete.
        """
        if row < 1 or count < 1 or row + count - 1 > MAX_ROW:
            raise ToolError("row and count must be positive and stay inside the sheet")
        wb = self._load(path)
        ws = self._sheet(wb, sheet)
        bounds = _used_bounds(ws)
        if bounds is None or row > bounds[0]:
            raise ToolError(f"row {row} is below the last used row of {ws.title} "
                            f"({bounds[0] if bounds else 0})")
        ws.delete_rows(row, count)
        self._save(path, wb)
        last = row + count - 1
        return f"deleted row{'s' if count != 1 else ''} {row}{f'-{last}' if count != 1 else ''} " \
            f"of {ws.title}"

    @tool(destructive=False, idempotent=True)
    def add_sheet(self, path: str, name: str) -> str:
        """Add an empty sheet at the end of a workbook.

        Args:
            path: .xlsx file relative to the workspace root.
            name: the new sheet's name (at most 31 characters, none of []:*?/\\).
        """
        _check_sheet_name(name)
        wb = self._load(path)
        if name.lower() in (title.lower() for title in wb.sheetnames):
            raise ToolError(f"sheet {name!r} already exists in {path}")
        if len(wb.sheetnames) >= MAX_SHEETS:
            raise ToolError(f"a workbook holds at most {MAX_SHEETS} sheets")
        wb.create_sheet(name)
        self._save(path, wb)
        return f"added sheet {name!r} to {path}"

    @tool(destructive=False, idempotent=True)
    def create_workbook(self, path: str, sheet: str = "Sheet1") -> str:
        """Create a new workbook with one empty sheet. The file must not exist yet.

        Args:
            path: new .xlsx file relative to the workspace root; folders are created.
            sheet: name of its sheet.
        """
        _check_sheet_name(sheet)
        target = self._xlsx_path(path)
        if os.path.lexists(target):
            raise ToolError(f"{path!r} already exists")
        wb = Workbook()
        wb.active.title = sheet
        self.world.write_file(path, workbook_bytes(wb), overwrite=False)
        return f"created {self.world.relative(target)} with sheet {sheet!r}"

    # -- helpers -------------------------------------------------------------------------

    def _xlsx_path(self, path: str, must_exist: bool = False) -> Path:
        target = self.world.resolve(path, must_exist=must_exist)
        if target.suffix.lower() != ".xlsx":
            raise ToolError(f"{path!r} is not an .xlsx file; the sheets tools read .xlsx workbooks")
        return target

    def _bytes(self, path: str) -> bytes:
        self._xlsx_path(path, must_exist=True)
        return self.world.read_file(path)

    def _load(self, path: str) -> Workbook:
        """A workbook of its own, for a tool that changes it."""
        try:
            return load_workbook_bytes(self._bytes(path), READ_LIMITS)
        except ValueError as exc:
            raise ToolError(f"{path!r} cannot be read as an .xlsx workbook (corrupt or too large): "
                            f"{exc}") from None

    def _read(self, path: str) -> WorkbookValues:
        """The values of a workbook, for a tool that only reads it (parsed once per content)."""
        try:
            return _book_values(self._bytes(path))
        except ValueError as exc:
            raise ToolError(f"{path!r} cannot be read as an .xlsx workbook (corrupt or too large): "
                            f"{exc}") from None

    def _save(self, path: str, wb: Workbook) -> None:
        cells = sum(len(ws._cells) for ws in wb.worksheets)
        if cells > WRITE_LIMITS.max_cells:
            raise ToolError(f"the workbook would hold {cells} cells, more than "
                            f"{WRITE_LIMITS.max_cells}; not saved")
        data = workbook_bytes(wb)
        if len(data) > MAX_FILE_BYTES:
            raise ToolError(f"the workbook would be larger than {MAX_FILE_BYTES} bytes; not saved")
        self.world.write_file(path, data)

    def _sheet(self, wb: Workbook, name: str) -> Worksheet:
        if name in wb.sheetnames:
            ws = wb[name]
            if isinstance(ws, Worksheet):
                return ws
            raise ToolError(f"{name!r} is a chart sheet, not a worksheet")
        listing = ", ".join(repr(n) for n in wb.sheetnames)
        raise ToolError(f"no sheet named {name!r}; the workbook has {listing}")

    def _range(self, text: str, bounds: tuple[int, int] | None) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of an A1 range; open ends are clamped to the used area."""
        try:
            if len(text) > 40:
                raise ValueError("too long")
            left, top, right, bottom = range_boundaries(text.strip().upper())
        except (ValueError, TypeError):
            raise ToolError(f"bad range {text!r}; use forms such as 'A1:E20', 'B7', 'A:C' "
                            "or '2:5'") from None
        if 0 in (top, left, bottom, right):
            raise ToolError(f"bad range {text!r}: rows and columns start at 1")
        used_rows, used_cols = bounds or (0, 0)
        top, left = top or 1, left or 1
        bottom = bottom if bottom is not None else used_rows
        right = right if right is not None else used_cols
        if max(top, bottom) > MAX_ROW or max(left, right) > MAX_COLUMN:
            raise ToolError(f"range {text!r} is outside the sheet")
        if (bottom and bottom < top) or (right and right < left):
            raise ToolError(f"bad range {text!r}: its end comes before its start")
        return top, left, bottom, right

    def _set(self, ws: Worksheet, row: int, column: int, value: CellValue) -> None:
        where = f"{get_column_letter(column)}{row}"
        if isinstance(value, str) and len(value) > 32_767:
            raise ToolError("a cell holds at most 32767 characters")
        if isinstance(value, float) and not math.isfinite(value):
            raise ToolError(f"cannot write {value!r} to {where}: cells hold finite numbers")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_EXACT_INT:
            raise ToolError(f"cannot write the integer to {where}: it has more digits than a "
                            "spreadsheet number keeps; write it as text")
        try:
            cell = ws.cell(row=row, column=column)
            cell.value = _to_cell(value)
        except (ValueError, TypeError, IllegalCharacterError) as exc:  # e.g. control characters
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise ToolError(f"cannot write {shown} to {where}: {exc}") from None
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"


def _check_sheet_name(name: str) -> None:
    if not name or not name.strip() or len(name) > 31 or _BAD_SHEET_CHARS & set(name) \
            or ILLEGAL_CHARACTERS_RE.search(name):
        raise ToolError(f"bad sheet name {name!r}: use 1-31 characters, none of []:*?/\\ "
                        "and no control characters")


def _columns(left: int, right: int) -> Iterator[int]:
    return iter(range(left, right + 1))


def _rows(top: int, bottom: int) -> Iterator[int]:
    return iter(range(top, bottom + 1))
