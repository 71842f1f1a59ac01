"""The values-only workbook reader of the graders and reading tools gives exactly what
openpyxl gives, on the families' workbooks and on whatever the tools can write."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.formula import ArrayFormula

from workgym.apps.sheets import workbook_bytes
from workgym.core import family_ids, get_family
from workgym.core._bounded import (
    DEFAULT_SHEET_LIMITS,
    SheetValues,
    WorkbookValues,
    _fast_values,
    _Unsupported,
    load_workbook_bounded,
    sheet_cells,
    unzip_bounded,
    workbook_values,
)


def _both(data: bytes) -> tuple[WorkbookValues, WorkbookValues]:
    fast = _fast_values(unzip_bounded(data), DEFAULT_SHEET_LIMITS)
    wb = load_workbook_bounded(data)
    slow = WorkbookValues(list(wb.sheetnames),
                          [SheetValues(ws.title, sheet_cells(ws)) for ws in wb.worksheets])
    return fast, slow


def _same(data: bytes) -> None:
    fast, slow = _both(data)
    assert fast.sheetnames == slow.sheetnames
    for a, b in zip(fast.worksheets, slow.worksheets, strict=True):
        assert a.title == b.title and a.cells == b.cells
        assert {k: type(v) for k, v in a.cells.items()} == {k: type(v) for k, v in b.cells.items()}


def test_every_kind_of_cell_reads_as_openpyxl_reads_it():
    wb = Workbook()
    ws = wb.active
    ws.title = "Kinds & <more>"
    ws.append(["text", 'quote " & <tag>', "", " spaced ", "ünïcödé \U0001f600", "line\nbreak"])
    ws.append([1, -2, 3.5, 1e308, 2**53, 0.1 + 0.2])
    ws.append([True, False, None, "=SUM(A2:C2)", "=A1&\"x\"", "#DIV/0!"])
    ws.append([date(2026, 3, 1), datetime(2026, 3, 1, 9, 30), time(14, 15),
               timedelta(hours=30, minutes=5)])
    ws["B4"].number_format = "dd/mm/yyyy hh:mm"
    ws["A5"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    ws["B5"] = 45_000
    ws["B5"].number_format = "yyyy-mm-dd"
    ws["C5"] = 1.5
    ws["C5"].number_format = "0.00"
    ws["XFD1048576"] = "far"
    wb.create_sheet("Second")["A1"] = "second"
    wb.create_sheet("Empty")
    data = workbook_bytes(wb)
    with pytest.raises(ValueError, match="beyond"):
        workbook_values(data)  # the far cell is past the default limits
    from workgym.apps.sheets import READ_LIMITS

    fast = _fast_values(unzip_bounded(data), READ_LIMITS)
    wb2 = load_workbook_bounded(data, READ_LIMITS)
    assert fast.sheetnames == list(wb2.sheetnames)
    for a, ws2 in zip(fast.worksheets, wb2.worksheets, strict=True):
        assert a.cells == sheet_cells(ws2), a.title


def test_the_1904_calendar():
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    wb.active.append([date(2026, 3, 1), datetime(2001, 1, 2, 3, 4, 5), 7])
    _same(workbook_bytes(wb))


def test_array_formulas_fall_back_to_openpyxl():
    wb = Workbook()
    wb.active["A1"] = ArrayFormula("A1:A2", "=SUM(B1:B2*C1:C2)")
    data = workbook_bytes(wb)
    with pytest.raises(_Unsupported):
        _fast_values(unzip_bounded(data), DEFAULT_SHEET_LIMITS)
    cell = workbook_values(data).worksheets[0].cells[(1, 1)]
    assert getattr(cell, "text", None) == "=SUM(B1:B2*C1:C2)"


@pytest.mark.parametrize("family", [f for f in family_ids() if not f.startswith("examples/")])
def test_family_workbooks_read_the_same(family):
    fam = get_family(family)
    for level in ("easy", "hard"):
        for seed in range(3):
            task = fam.task(fam.spec(seed, level, richness=1.0))  # type: ignore[arg-type]
            for rel, data in task.template.files.items():
                if rel.endswith(".xlsx"):
                    _same(data)


_CELL = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2199, 12, 31)),
    st.sampled_from(["=SUM(A1:A3)", "=1/0", "#N/A", "2026-03-01", " ", "x005F_y"]),
)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(rows=st.lists(st.lists(_CELL, max_size=6), max_size=8), title=st.sampled_from(
    ["Sheet", "Data 1", "ü & <x>"]))
def test_written_workbooks_read_the_same(rows, title):
    wb = Workbook()
    wb.active.title = title
    for row in rows:
        wb.active.append(row)
    _same(workbook_bytes(wb))
