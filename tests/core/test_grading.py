"""Grades fail closed and stay bounded: the grading holes of issue 10, each proven closed."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.sheets import workbook_bytes
from workgym.core import (
    Criterion,
    CriterionResult,
    Grade,
    GradeContext,
    GradeError,
    InvalidGradeError,
    SheetLimits,
    Task,
    TaskSpec,
    Trace,
    WorldTemplate,
    agent_content,
)
from workgym.core._bounded import line_values, parse_decimal, unzip_bounded, workbook_values
from workgym.eval import is_error, task_outcomes


@pytest.fixture
def ctx() -> Iterator[GradeContext]:
    files = {"out/total.txt": b"Total: 12.50\n", "book.xlsx": _book({"A1": "Amount",
                                                                      "A2": 12.5})}
    task = Task(spec=TaskSpec(family="tests/grading", version=1, seed=0), prompt="",
                apps=("files", "sheets"), criteria=(), reference=(),
                template=WorldTemplate(now=datetime(2026, 3, 2, tzinfo=UTC), files=files))
    with task.start() as ep:
        yield GradeContext(ep.world, ep.calls, None, ep.world.snapshot())


def _book(cells: dict[str, object]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for ref, value in cells.items():
        ws[ref] = value
    return workbook_bytes(wb)


def _results(*passed: bool | None, guards: tuple[bool | None, ...] = ()) -> Grade:
    crit = [CriterionResult(name=f"c{i}", kind="state", weight=1.0, guard=False, passed=p,
                            evidence="e") for i, p in enumerate(passed)]
    crit += [CriterionResult(name=f"g{i}", kind="state", weight=1.0, guard=True, passed=p,
                             evidence="e") for i, p in enumerate(guards)]
    return Grade(criteria=crit)


# -- hole 2: the agent must not knock criteria out of the score ---------------------------


def test_hole2_grader_bug_makes_the_grade_invalid_never_rescaled():
    grade = _results(True, None)
    assert not grade.valid and grade.errors == ["c1: e"] and not grade.passed
    for scheme in ("dense", "binary", "gamma"):
        with pytest.raises(InvalidGradeError, match="c1"):
            grade.reward(scheme)  # type: ignore[arg-type]
    with pytest.raises(InvalidGradeError):
        _ = grade.score
    assert json.loads(grade.model_dump_json())["score"] is None
    spec = TaskSpec(family="tests/grading", version=1, seed=0)
    trace = Trace(task_id=spec.id, spec=spec, policy="p", grade=grade)
    assert trace.error is not None and "invalid grade" in trace.error and trace.score is None
    assert is_error(trace) and task_outcomes([trace]) == []
    again = Trace.model_validate_json(trace.model_dump_json())
    assert not again.grade.valid and again.error == trace.error  # type: ignore[union-attr]


def test_hole2_unscored_guard_gates():
    grade = _results(True, guards=(None,))
    assert grade.gated and not grade.valid
    failed_guard = _results(True, guards=(False,))
    assert failed_guard.gated and failed_guard.score == 0.0


def test_hole2_overflow_in_agent_content_fails_closed(ctx):
    def parses_cells(c: GradeContext) -> tuple[bool, str]:
        with c.agent_content("the Amount cell"):
            return round(1e308 * 100) == 0, "unreachable"

    def uses_number(c: GradeContext) -> tuple[bool, str]:
        return c.number("1e308") == 0, "unreachable"

    for check in (parses_cells, uses_number):
        result = Criterion("amounts", check).evaluate(ctx)
        assert result.passed is False, result.evidence
    assert "OverflowError" in Criterion("a", parses_cells).evaluate(ctx).evidence


def test_hole2_a_grader_bug_outside_the_readers_stays_unscored(ctx):
    def buggy(c: GradeContext) -> tuple[bool, str]:
        return {}["missing"], ""  # a KeyError of the grader's own, not the agent's content

    assert Criterion("bug", buggy).evaluate(ctx).passed is None


def test_hole2_file_where_a_folder_was_fails_closed(ctx):
    os.rename(ctx.world.workspace / "out", ctx.world.workspace / "out-moved")
    (ctx.world.workspace / "out").write_text("a file where a folder was")
    result = Criterion("total", lambda c: (c.read_text("out/total.txt") == "", "")).evaluate(ctx)
    assert result.passed is False and "cannot be reached" in result.evidence


@pytest.mark.parametrize("kind", ["folder", "fifo", "link", "oversize", "binary"])
def test_hole2_wrong_kind_at_an_artifact_fails_closed(ctx, kind):
    target = ctx.world.workspace / "out" / "total.txt"
    target.unlink()
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "link":
        target.symlink_to("/etc/passwd")
    elif kind == "oversize":
        target.write_bytes(b"x" * 3_000_000)
    else:
        target.write_bytes(b"\xff\xfe\x00")
    result = Criterion("total", lambda c: (bool(c.read_text("out/total.txt")), "")).evaluate(ctx)
    assert result.passed is False and result.evidence


def test_hole2_5000_digit_total_fails_closed():
    for text in ("9" * 5000, "1e308", "NaN", "inf", " 12.5.3", "", "12" + "0" * 30):
        with pytest.raises(GradeError):
            GradeContext.number(text, "the Total line")
    assert GradeContext.number(" 1,234.50 ") == Decimal("1234.50")
    assert parse_decimal(12) == 12 and parse_decimal(0.5) == Decimal("0.5")
    # a float cell reads as the number typed, not as its exact binary expansion
    assert parse_decimal(12345.67) == Decimal("12345.67")
    assert parse_decimal(0.1) == Decimal("0.1")
    for value in (True, 1e308, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            parse_decimal(value)


def test_agent_content_lets_grade_errors_through():
    with pytest.raises(GradeError, match="the mail: ValueError"), agent_content("the mail"):
        int("x")
    with pytest.raises(GradeError, match="mine"), agent_content("the mail"):
        raise GradeError("mine")


# -- hole 3: grading cannot be made to hang ----------------------------------------------


def test_hole3_far_cell_fails_closed_fast(ctx):
    data = _book({"A1": "Amount", "A2": 1, "XFD1048576": 1})
    (ctx.world.workspace / "book.xlsx").write_bytes(data)
    started = time.perf_counter()
    result = Criterion("rows", lambda c: (bool(c.read_workbook("book.xlsx").worksheets), "")
                       ).evaluate(ctx)
    assert result.passed is False and "beyond" in result.evidence
    assert time.perf_counter() - started < 5  # was 120 s and more
    # read sparsely where far cells are allowed: one cell at XFD1048576 costs nothing
    book = workbook_values(data, SheetLimits(max_rows=1_048_576, max_columns=16_384))
    assert book.worksheets[0].bounds == (1_048_576, 16_384)
    assert len(book.worksheets[0].cells) == 3


def _patched(data: bytes, after: bytes, insert: bytes) -> bytes:
    """``data`` (an .xlsx) with ``insert`` added to its first sheet's XML after ``after``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            part = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = part.replace(after, after + insert, 1)
            dst.writestr(name, part)
    return out.getvalue()


def test_hole3_merged_range_bomb_is_refused():
    # openpyxl makes one object per merged cell on load: 1.7e10 for this range
    data = _patched(_book({"A1": "x"}), b"</sheetData>",
                    b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')
    started = time.perf_counter()
    with pytest.raises(ValueError, match="more than 5000 cells"):
        workbook_values(data, SheetLimits(max_rows=1_048_576, max_columns=16_384))
    assert time.perf_counter() - started < 5


def test_hole3_zip_bomb_is_refused():
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 20_000_000)
    with pytest.raises(ValueError, match="unpacks to"):
        unzip_bounded(raw.getvalue())
    # a member that lies about its size is cut off at what it declares
    lying = bytearray(raw.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(lying))) as archive:
        info = archive.infolist()[0]
    start = lying.rfind(b"PK\x01\x02")  # central directory entry: patch its declared size
    lying[start + 24:start + 28] = (1000).to_bytes(4, "little")
    with pytest.raises(ValueError):
        unzip_bounded(bytes(lying))
    assert info.file_size == 20_000_000


def test_hole3_entity_bomb_is_refused():
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a '
                         '"aaaa">]><x>&a;</x>')
    with pytest.raises(ValueError, match="document type"):
        workbook_values(raw.getvalue())


def test_hole3_newline_flood_is_read_in_linear_time():
    body = "\n" * 400_000 + "Total: 12.50\n" + " \n" * 100_000 + "  total :  13 "
    started = time.perf_counter()
    assert line_values(body, "total") == ["12.50", "13"]
    assert time.perf_counter() - started < 5  # the ^\s* regexes took 41-77 s on 40k
    with pytest.raises(GradeError, match="longer than"):
        GradeContext.line_values("x" * 300_000, "total")
