"""Bounded, linear-time parsing of agent-written content: zip archives, xlsx workbooks,
numbers and ``Key: value`` lines.

Tools and graders both read what an agent wrote, and an agent can write anything: a
zip bomb, a sheet with one cell at ``XFD1048576`` (openpyxl's ``iter_rows`` would walk
1.7e10 cells), a merged range over a whole sheet (openpyxl creates one object per merged
cell on load), a 5,000-digit number. Everything here checks declared and actual sizes
before it parses, never expands a range into cells, and raises ``ValueError`` naming the
limit that was hit. Callers turn that into their own error: a ``ToolError`` in a tool, a
failed criterion in a grader.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse

from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import column_index_from_string, get_column_letter

__all__ = [
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_MEMBERS",
    "SheetLimits",
    "SheetValues",
    "WorkbookValues",
    "line_values",
    "load_workbook_bounded",
    "parse_decimal",
    "unzip_bounded",
    "workbook_values",
]

MAX_UNZIPPED_BYTES = 16_000_000
"""Most bytes an archive may hold once unpacked (all members together)."""
MAX_ZIP_MEMBERS = 1_000
"""Most members an archive may hold."""
MAX_NUMBER_CHARS = 40
"""Longest text ``parse_decimal`` reads as a number (spaces and separators included)."""

_CHUNK = 1 << 16
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


# -- archives -----------------------------------------------------------------------------


def unzip_bounded(data: bytes, *, max_bytes: int = MAX_UNZIPPED_BYTES,
                  max_members: int = MAX_ZIP_MEMBERS) -> dict[str, bytes]:
    """Every member of the zip archive ``data``, unpacked within limits.

    The declared sizes in the central directory are checked before anything is
    decompressed, and the bytes actually produced are counted while decompressing, so a
    zip bomb (tiny archive, huge declared or undeclared content) stops at the limit.

    Raises:
        ValueError: not a zip archive, encrypted or duplicate members, too many members,
            or more than ``max_bytes`` unpacked.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValueError(f"not a zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > max_members:
            raise ValueError(f"the archive has {len(infos)} members, more than {max_members}")
        declared = sum(info.file_size for info in infos)
        if declared > max_bytes:
            raise ValueError(f"the archive unpacks to {declared} bytes, more than {max_bytes}")
        members: dict[str, bytes] = {}
        produced = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise ValueError(f"the archive member {info.filename!r} is encrypted")
            if info.filename in members:
                raise ValueError(f"the archive holds {info.filename!r} twice")
            out = bytearray()
            try:
                with archive.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        out += chunk
                        produced += len(chunk)
                        if len(out) > info.file_size or produced > max_bytes:
                            raise ValueError(f"the archive member {info.filename!r} unpacks "
                                             "to more than it declares")
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
                    zipfile.LargeZipFile) as exc:
                raise ValueError(f"the archive member {info.filename!r} is corrupt "
                                 f"({type(exc).__name__}: {exc})") from None
            except Exception as exc:  # noqa: BLE001 - zlib/bz2/lzma errors have no common base
                raise ValueError(f"the archive member {info.filename!r} cannot be unpacked "
                                 f"({type(exc).__name__}: {exc})") from None
            members[info.filename] = bytes(out)
    return members


# -- workbooks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLimits:
    """How large a workbook the tools write and the readers accept."""

    max_rows: int = 10_000
    """Last row a cell may be in."""
    max_columns: int = 256
    """Last column a cell may be in (256 is IV)."""
    max_cells: int = 5_000
    """Most cells over all sheets: values, formats, merged and hyperlinked cells, and
    shared strings alike. openpyxl parses 5,000 cells in about 0.15 s."""
    max_bytes: int = 4_000_000
    """Most bytes the workbook's archive may unpack to."""

    @property
    def max_elements(self) -> int:
        """Most XML elements over all parts (a cell is two or three; styles and the
        like a few thousand)."""
        return 4 * self.max_cells + 5_000

    def __post_init__(self) -> None:
        for name in ("max_rows", "max_columns", "max_cells", "max_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"SheetLimits.{name} must be positive")

    @property
    def last_cell(self) -> str:
        return f"{get_column_letter(self.max_columns)}{self.max_rows}"


DEFAULT_SHEET_LIMITS = SheetLimits()


def _ref(text: str) -> tuple[int, int]:
    """``"B7"`` (or ``"$B$7"``) -> (7, 2); ValueError for anything else."""
    match = _REF.match(text)
    if not match:
        raise ValueError(f"bad cell reference {text[:40]!r}")
    return int(match.group(2)), column_index_from_string(match.group(1).upper())


def _area(ref: str) -> int:
    """Number of cells an ``A1:C3`` range (or one cell) covers."""
    first, _, last = ref.partition(":")
    top, left = _ref(first)
    bottom, right = _ref(last) if last else (top, left)
    return (abs(bottom - top) + 1) * (abs(right - left) + 1)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _check_xml(name: str, xml: bytes, limits: SheetLimits, budget: list[int]) -> None:
    """Walk one XML part once (linear), before openpyxl builds objects from it.

    ``budget`` holds the cells and the elements left for the whole workbook. Merged and
    hyperlinked ranges count every cell they cover, as openpyxl creates an object for
    each; shared strings count as cells, as openpyxl builds each one.
    """
    def spend(cells: int) -> None:
        budget[0] -= cells
        budget[1] -= 1
        if budget[0] < 0:
            raise ValueError(f"the workbook has more than {limits.max_cells} cells")
        if budget[1] < 0:
            raise ValueError(f"the workbook has more than {limits.max_elements} XML elements")

    try:
        for _, element in iterparse(io.BytesIO(xml), events=("end",)):
            tag = _local(element.tag)
            if tag == "c":
                spend(1)
                ref = element.get("r")
                if ref is not None:
                    row, column = _ref(ref)
                    if row > limits.max_rows or column > limits.max_columns:
                        raise ValueError(f"{name}: cell {ref} is beyond {limits.last_cell}")
            elif tag == "row":
                spend(0)
                r = element.get("r")
                if r is not None and (not r.isdigit() or len(r) > 7 or int(r) > limits.max_rows):
                    raise ValueError(f"{name}: row {r[:20]!r} is beyond row {limits.max_rows}")
            elif tag in ("mergeCell", "hyperlink"):
                ref = element.get("ref") or ""
                spend(sum(_area(part) for part in ref.split()) if ref else 0)
            elif tag == "si":
                spend(1)
            else:
                spend(0)
            element.clear()
    except ParseError as exc:
        raise ValueError(f"{name} is not well-formed XML ({exc})") from None


def load_workbook_bounded(data: bytes, limits: SheetLimits = DEFAULT_SHEET_LIMITS) -> Workbook:
    """Parse .xlsx bytes within ``limits`` (formulas kept as their text).

    The archive is unpacked with :func:`unzip_bounded`, every worksheet is checked in one
    linear pass (cell count, cell positions, merged and hyperlinked ranges), and only
    then does openpyxl parse the unpacked copy.

    Raises:
        ValueError: not a readable workbook, or one past ``limits``.
    """
    try:
        members = unzip_bounded(data, max_bytes=limits.max_bytes)
    except ValueError as exc:
        raise ValueError(f"not a readable .xlsx workbook: {exc}") from None
    budget = [limits.max_cells, limits.max_elements]
    for name, part in members.items():
        # Any member may be a worksheet (the workbook's relations name them), so every
        # member that is XML is checked, not only xl/worksheets/*.xml.
        if part[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise ValueError(f"{name} is UTF-16; workbook parts are read as UTF-8 XML only")
        if part.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] != b"<":
            continue  # images and other binary parts
        # A document type declaration is the only way to entities (and entity bombs);
        # no part of a workbook needs one.
        if b"<!DOCTYPE" in part or b"\x00" in part:
            raise ValueError(f"{name} holds a document type declaration or is not UTF-8")
        _check_xml(name, part, limits, budget)
    clean = io.BytesIO()
    with zipfile.ZipFile(clean, "w", zipfile.ZIP_STORED) as archive:
        for name, part in members.items():
            archive.writestr(name, part)
    try:
        return load_workbook(clean, data_only=False, rich_text=False)
    except Exception as exc:  # noqa: BLE001  (zip, XML and openpyxl errors all mean "corrupt")
        raise ValueError(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True)
class SheetValues:
    """The values of one worksheet, sparse: only cells that hold a value are stored."""

    title: str
    cells: dict[tuple[int, int], Any]
    """(row, column) -> value."""

    @functools.cached_property
    def bounds(self) -> tuple[int, int] | None:
        """(last row, last column) holding a value, or None for an empty sheet."""
        if not self.cells:
            return None
        return max(r for r, _ in self.cells), max(c for _, c in self.cells)

    def value(self, row: int, column: int) -> Any:
        return self.cells.get((row, column))

    def rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        """(row number, {column: value}) for every row that holds a value, top down."""
        by_row: dict[int, dict[int, Any]] = {}
        for (row, column), value in self.cells.items():
            by_row.setdefault(row, {})[column] = value
        for row in sorted(by_row):
            yield row, by_row[row]

    def table(self, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """The values of ``columns`` in every row under row 1 that holds any of them.

        Columns are found by their title in row 1 (case-insensitive), wherever they are.

        Raises:
            ValueError: a column is missing from the header.
        """
        head: dict[str, int] = {}
        for column in sorted(c for r, c in self.cells if r == 1):
            title = self.cells[(1, column)]
            head.setdefault(str(title).strip().casefold(), column)
        missing = [c for c in columns if c.casefold() not in head]
        if missing:
            raise ValueError(f"the header of {self.title!r} lacks columns {missing}")
        where = [head[c.casefold()] for c in columns]
        found = []
        for row, values in self.rows():
            if row == 1:
                continue
            picked = tuple(values.get(c) for c in where)
            if any(v is not None and str(v).strip() for v in picked):
                found.append(picked)
        return found


@dataclass(frozen=True)
class WorkbookValues:
    """The values of a workbook, as the reading tools and graders see them."""

    sheetnames: list[str]
    """Every sheet, chart sheets included."""
    worksheets: list[SheetValues]
    """The worksheets, in order."""

    def sheet(self, name: str) -> SheetValues:
        """The worksheet ``name``.

        Raises:
            KeyError: no such worksheet (a chart sheet is not one).
        """
        for ws in self.worksheets:
            if ws.title == name:
                return ws
        raise KeyError(name)


def sheet_cells(ws: Any) -> dict[tuple[int, int], Any]:
    """The cells of an openpyxl worksheet that hold a value, without walking its range.

    ``ws.iter_rows()`` visits every position of the used rectangle (1.7e10 of them for
    one cell at XFD1048576); the worksheet's own cell map holds only the cells that exist.
    """
    return {key: cell.value for key, cell in sorted(ws._cells.items())
            if cell.value is not None}


@functools.lru_cache(maxsize=32)
def _values(data: bytes, limits: SheetLimits) -> WorkbookValues:
    try:
        members = unzip_bounded(data, max_bytes=limits.max_bytes)
    except ValueError as exc:
        raise ValueError(f"not a readable .xlsx workbook: {exc}") from None
    try:
        return _fast_values(members, limits)
    except _Unsupported:
        # shared or array formulas and other rare parts: openpyxl reads those
        wb = load_workbook_bounded(data, limits)
        return WorkbookValues(list(wb.sheetnames),
                              [SheetValues(ws.title, sheet_cells(ws)) for ws in wb.worksheets])


# -- a values-only reader -----------------------------------------------------------------
#
# openpyxl builds a Cell object (with its style) for every cell, about 40 us each; graders
# and the reading tools need only values. This reader takes them from the XML in the
# pass that checks the limits, converting them as openpyxl's reader does (same numbers,
# strings, dates, booleans, errors and formula texts; tests compare the two). Anything it
# does not handle falls back to openpyxl.

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class _Unsupported(Exception):
    """The workbook uses something the values-only reader leaves to openpyxl."""


def _xml(members: dict[str, bytes], name: str) -> Any:
    from xml.etree.ElementTree import fromstring

    if name not in members:
        raise _Unsupported(name)
    part = members[name]
    if b"<!DOCTYPE" in part or b"\x00" in part or part[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError(f"{name} holds a document type declaration or is not UTF-8")
    try:
        return fromstring(part)
    except ParseError as exc:
        raise ValueError(f"{name} is not well-formed XML ({exc})") from None


def _rels(members: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type's last word, target part name) of ``part``."""
    folder, _, name = part.rpartition("/")
    root = _xml(members, f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels")
    found = {}
    for rel in root.iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        resolved = target.lstrip("/") if target.startswith("/") else \
            "/".join(p for p in f"{folder}/{target}".split("/") if p)
        parts: list[str] = []
        for piece in resolved.split("/"):
            if piece == "..":
                if parts:
                    parts.pop()
            elif piece != ".":
                parts.append(piece)
        found[rel.get("Id", "")] = (rel.get("Type", "").rpartition("/")[2], "/".join(parts))
    return found


def _text_of(node: Any) -> str:
    """The plain text of a string item (``si`` or ``is``), as openpyxl's Text.content:
    its own ``t``, then the ``t`` of each run (phonetic runs left out)."""
    snippets = []
    plain = node.find(f"{_MAIN}t")
    if plain is not None and plain.text is not None:
        snippets.append(plain.text)
    for run in node.findall(f"{_MAIN}r"):
        text = run.find(f"{_MAIN}t")
        if text is not None and text.text is not None:
            snippets.append(text.text)
    return "".join(snippets)


def _styles(members: dict[str, bytes], name: str | None) -> tuple[set[int], set[int]]:
    """The style indexes whose number format is a date, and those that are durations."""
    from openpyxl.styles.numbers import (
        builtin_format_code,
        is_date_format,
        is_timedelta_format,
    )

    if name is None or name not in members:
        return set(), set()
    root = _xml(members, name)
    custom = {int(f.get("numFmtId", "-1")): f.get("formatCode", "")
              for f in root.iter(f"{_MAIN}numFmt")}
    dates, durations = set(), set()
    xfs = root.find(f"{_MAIN}cellXfs")
    for index, xf in enumerate(xfs.findall(f"{_MAIN}xf") if xfs is not None else []):
        number = int(xf.get("numFmtId", "0"))
        code = custom[number] if number in custom else builtin_format_code(number)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def _fast_values(members: dict[str, bytes], limits: SheetLimits) -> WorkbookValues:
    from openpyxl.utils.datetime import (
        CALENDAR_MAC_1904,
        CALENDAR_WINDOWS_1900,
        from_excel,
        from_ISO8601,
    )

    budget = [limits.max_cells, limits.max_elements]
    office = [t for kind, t in _rels(members, "").values() if kind == "officeDocument"]
    if not office:
        raise _Unsupported("no office document")
    book_part = office[0]
    book = _xml(members, book_part)
    rels = _rels(members, book_part)
    pr = book.find(f"{_MAIN}workbookPr")
    epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") \
        else CALENDAR_WINDOWS_1900
    strings_part = next((t for kind, t in rels.values() if kind == "sharedStrings"), None)
    styles_part = next((t for kind, t in rels.values() if kind == "styles"), None)
    dates, durations = _styles(members, styles_part)
    shared: list[str] = []
    if strings_part is not None and strings_part in members:
        _check_xml(strings_part, members[strings_part], limits, budget)
        shared = [_text_of(si).replace("x005F_", "")
                  for si in _xml(members, strings_part).iter(f"{_MAIN}si")]
    sheetnames: list[str] = []
    worksheets: list[SheetValues] = []
    done = {strings_part}
    for sheet in book.iter(f"{_MAIN}sheet"):
        kind, target = rels.get(sheet.get(f"{_DOC_REL}id", ""), ("", ""))
        name = sheet.get("name", "")
        if kind == "chartsheet":
            sheetnames.append(name)
            continue
        if kind != "worksheet" or target not in members:
            raise _Unsupported(f"sheet {name!r} of kind {kind!r}")
        sheetnames.append(name)
        done.add(target)
        worksheets.append(SheetValues(name, _sheet_values(
            target, members[target], limits, budget, shared, dates, durations, epoch,
            from_excel, from_ISO8601)))
    for name, part in members.items():  # the rest is checked as load_workbook_bounded does
        if name in done or part.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] != b"<":
            continue
        if b"<!DOCTYPE" in part or b"\x00" in part:
            raise ValueError(f"{name} holds a document type declaration or is not UTF-8")
        _check_xml(name, part, limits, budget)
    return WorkbookValues(sheetnames, worksheets)


def _sheet_values(name: str, xml: bytes, limits: SheetLimits, budget: list[int],
                  shared: list[str], dates: set[int], durations: set[int], epoch: Any,
                  from_excel: Any, from_iso: Any) -> dict[tuple[int, int], Any]:
    """The cells of one worksheet that hold a value, with the limits checked on the way."""
    if b"<!DOCTYPE" in xml or b"\x00" in xml or xml[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError(f"{name} holds a document type declaration or is not UTF-8")
    cells: dict[tuple[int, int], Any] = {}
    row_number = column_number = 0
    c_tag, row_tag, v_tag, f_tag, is_tag = (f"{_MAIN}c", f"{_MAIN}row", f"{_MAIN}v",
                                            f"{_MAIN}f", f"{_MAIN}is")
    inside = {v_tag, f_tag, is_tag, f"{_MAIN}t", f"{_MAIN}r"}

    def spend(count: int) -> None:
        budget[0] -= count
        budget[1] -= 1
        if budget[0] < 0:
            raise ValueError(f"the workbook has more than {limits.max_cells} cells")
        if budget[1] < 0:
            raise ValueError(f"the workbook has more than {limits.max_elements} XML elements")

    try:
        for event, element in iterparse(io.BytesIO(xml), events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == row_tag:
                    r = element.get("r")
                    if r is not None:
                        if not r.isdigit() or len(r) > 7 or int(r) > limits.max_rows:
                            raise ValueError(f"{name}: row {r[:20]!r} is beyond row "
                                             f"{limits.max_rows}")
                        row_number = int(r)
                    else:
                        row_number += 1
                    column_number = 0
                continue
            if tag == c_tag:
                spend(1)
                ref = element.get("r")
                if ref is not None:
                    row, column = _ref(ref)
                    if row > limits.max_rows or column > limits.max_columns:
                        raise ValueError(f"{name}: cell {ref} is beyond {limits.last_cell}")
                    column_number = column
                else:
                    column_number += 1
                    row, column = row_number, column_number
                value = _cell_value(element, shared, dates, durations, epoch, from_excel,
                                    from_iso, v_tag, f_tag, is_tag)
                if value is not None:
                    cells[(row, column)] = value
                element.clear()
            elif tag in (f"{_MAIN}mergeCell", f"{_MAIN}hyperlink"):
                ref = element.get("ref") or ""
                spend(sum(_area(part) for part in ref.split()) if ref else 0)
                element.clear()
            elif tag not in inside:  # a cell's own parts are read with the cell
                spend(0)
                element.clear()
    except ParseError as exc:
        raise ValueError(f"{name} is not well-formed XML ({exc})") from None
    return dict(sorted(cells.items()))


def _cell_value(element: Any, shared: list[str], dates: set[int], durations: set[int],
                epoch: Any, from_excel: Any, from_iso: Any, v_tag: str, f_tag: str,
                is_tag: str) -> Any:
    """One cell's value, as openpyxl's WorkSheetParser.parse_cell gives it."""
    kind = element.get("t", "n")
    style = int(element.get("s") or 0)
    formula = element.find(f_tag)
    if formula is not None:
        if formula.get("t") in ("array", "shared", "dataTable"):
            raise _Unsupported("array or shared formula")
        return "=" + (formula.text or "")
    if kind == "inlineStr":
        child = element.find(is_tag)
        return _text_of(child) if child is not None else None
    value = element.findtext(v_tag, None) or None
    if value is None:
        return None
    if kind == "n":
        number = float(value) if "." in value or "E" in value or "e" in value else int(value)
        if style in dates:
            try:
                return from_excel(number, epoch, timedelta=style in durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if kind == "s":
        try:
            return shared[int(value)]
        except IndexError:
            raise ValueError(f"a cell names shared string {value}, which does not exist") \
                from None
    if kind == "b":
        return bool(int(value))
    if kind == "d":
        return from_iso(value)
    if kind in ("str", "e"):
        return value
    raise _Unsupported(f"cell type {kind!r}")


def workbook_values(data: bytes, limits: SheetLimits = DEFAULT_SHEET_LIMITS) -> WorkbookValues:
    """The values of the workbook ``data``, parsed once per content (shared read-only:
    callers must not change what they get).

    Raises:
        ValueError: not a readable workbook, or one past ``limits``.
    """
    return _values(data, limits)


# -- numbers and lines --------------------------------------------------------------------


def parse_decimal(value: object, *, max_digits: int = 18) -> Decimal:
    """A finite number from a cell value or text, exactly (no float rounding of text).

    Accepts ints, finite floats, Decimals and text such as ``"1,234.50"`` or ``"-3"``
    (surrounding spaces allowed). Bools, NaN, infinities, exponents, and anything with
    more than ``max_digits`` digits are refused, so no later arithmetic can overflow.

    Raises:
        ValueError: anything else, with the reason.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        if value.bit_length() > 4 * max_digits:
            raise ValueError(f"the number has more than {max_digits} digits")
        number = Decimal(value)
    elif isinstance(value, float):
        # the shortest text that reads back as this float (12345.67, not its exact binary
        # expansion of 40-odd digits): a cell's value as the person who typed it meant it
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS or not _NUMBER.match(text):
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise ValueError(f"{shown!r} is not a plain number such as 1234.50")
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a number") from None
    else:
        # ValueError like every other refusal here: callers catch one kind
        raise ValueError(f"a {type(value).__name__} is not a number")  # noqa: TRY004
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    digits = len(number.as_tuple().digits)
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or digits + max(0, exponent) > max_digits \
            or (exponent < 0 and -exponent > max_digits):
        raise ValueError(f"the number has more than {max_digits} digits")
    return number


def line_values(text: str, key: str) -> list[str]:
    """The values of the ``Key: value`` lines of ``text`` (key case-insensitive, spaces
    around key, colon and value ignored), in linear time.

    A regular expression such as ``(?im)^\\s*key\\s*:\\s*(.*?)\\s*$`` takes quadratic time
    on long runs of blank lines; this reads each line once.
    """
    wanted = key.strip().casefold()
    found = []
    for line in text.splitlines():
        head, sep, rest = line.partition(":")
        if sep and head.strip().casefold() == wanted:
            found.append(rest.strip())
    return found
