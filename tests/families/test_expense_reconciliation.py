import json

import pytest
from family_checks import assert_reference_solves, grade_plan, make_task, passed_criteria
from typer.testing import CliRunner

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.mail import MailStore
from workgym.cli import _load_commands, app
from workgym.core import Task, ToolCall, run_plan

FAMILY = "finance/expense-reconciliation-v1"


def _path(task: Task) -> str:
    return next(p for p in task.template.files if p.endswith(".xlsx"))


def _without(task: Task, *names: str) -> list[ToolCall]:
    return [c for c in task.reference if c.name not in names]


def _before_send(plan: list[ToolCall], *extra: ToolCall) -> list[ToolCall]:
    return plan[:-1] + list(extra) + plan[-1:]


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
@pytest.mark.parametrize("richness", [0.0, 1.0])
def test_reference_solves_every_level(difficulty, richness):
    for seed in range(3):
        task = make_task(FAMILY, seed, difficulty, richness)
        assert_reference_solves(task)
        if difficulty == "hard":
            assert len(task.reference) >= 25


def test_richness_adds_distractors_but_keeps_the_answer():
    plain, rich = make_task(FAMILY, 4, "hard", 0.0), make_task(FAMILY, 4, "hard", 1.0)
    edits = ("sheets.write_cells", "sheets.delete_rows", "sheets.append_rows", "mail.send")
    assert [c for c in plain.reference if c.name in edits] == [
        c for c in rich.reference if c.name in edits]
    assert [c.name for c in plain.criteria] == [c.name for c in rich.criteria]
    assert len(rich.template.stores["mail"].messages) > len(plain.template.stores["mail"].messages)
    assert plain.prompt == rich.prompt


def test_correcting_only_some_rows_earns_partial_credit():
    task = make_task(FAMILY, 1)
    grade = grade_plan(task, _without(task, "sheets.append_rows"))
    assert 0 < grade.score < 1 and not grade.gated
    rows = passed_criteria(grade, "row ")
    assert rows and all(" corrected" in n for n in rows)
    assert not passed_criteria(grade, "sheet matches")
    fixes_only = grade_plan(task, _without(task, "sheets.append_rows", "sheets.delete_rows"))
    assert 0 < fixes_only.score < grade.score


def test_junk_rows_cost_credit_one_item_each():
    task = make_task(FAMILY, 1)
    partial = _without(task, "sheets.append_rows")
    base = grade_plan(task, partial)
    junk = [["2025-01-01", "Junk Ltd", "Meals", 9.99, f"XX-{n:05d}"] for n in range(2)]
    append = ToolCall("sheets.append_rows", {"path": _path(task), "sheet": "Expenses",
                                             "rows": junk[:1]})
    one = grade_plan(task, _before_send(partial, append))
    items = ("row ", "duplicate ")
    assert len(passed_criteria(one, *items)) == len(passed_criteria(base, *items)) - 1
    assert 0 < one.score < base.score
    # rows for every receipt plus junk never pays as much as the right rows alone
    full = grade_plan(task, _before_send(list(task.reference),
                                     ToolCall("sheets.append_rows", {**append.args, "rows": junk})))
    assert full.score < 1 and not full.passed


def test_deleting_a_right_row_zeroes_the_score():
    task = make_task(FAMILY, 2)
    with run_plan(task) as episode:
        rows = episode.call("sheets.read_range", {"path": _path(task), "sheet": "Expenses"}).value
        assert episode.grade().score == 1.0
        episode.call("sheets.delete_rows", {"path": _path(task), "sheet": "Expenses", "row": 2})
        grade = episode.grade()
    assert rows["rows"][1]["row"] == 2
    assert grade.gated and grade.score == 0
    assert next(c for c in grade.criteria if c.name == "right rows kept").passed is False


def test_rows_for_out_of_scope_receipts_are_gated():
    task = next(t for t in (make_task(FAMILY, s, "hard", 1.0) for s in range(20))
                if any("I paid this one" in m.body for m in t.template.stores["mail"].messages))
    other = next(m for m in task.template.stores["mail"].messages if "I paid this one" in m.body)
    number = other.attachments[0].filename.removeprefix("receipt-").rsplit(".", 1)[0]
    row = ToolCall("sheets.append_rows", {"path": _path(task), "sheet": "Expenses",
                                          "rows": [["2025-01-02", "X", "Meals", 1.0, number]]})
    grade = grade_plan(task, _before_send(list(task.reference), row))
    assert grade.gated and grade.score == 0
    assert next(c for c in grade.criteria
                if c.name == "no rows for out-of-scope receipts").passed is False


def test_summary_is_checked_line_by_line():
    task = make_task(FAMILY, 3)
    send = task.reference[-1]
    body = send.args["body"]
    wrong_total = body.replace("Total: ", "Total: 1", 1)
    grade = grade_plan(task, [*task.reference[:-1],
                          ToolCall("mail.send", {**send.args, "body": wrong_total})])
    failed = {c.name for c in grade.criteria if c.passed is False}
    assert failed == {"summary total"} and 0 < grade.score < 1
    stray = grade_plan(task, [*task.reference[:-1],
                          ToolCall("mail.send", {**send.args, "cc": ["someone@example.net"]})])
    assert stray.gated and stray.score == 0


def test_summary_before_the_edits_misses_the_trajectory_criterion():
    task = make_task(FAMILY, 5)
    plan = list(task.reference)
    reordered = [*plan[:-5], plan[-1], *plan[-5:-1]]
    grade = grade_plan(task, reordered)
    failed = {c.name for c in grade.criteria if c.passed is False}
    assert failed == {"summary sent after the sheet edits"}


def test_reading_leaves_the_world_unchanged_and_corrupt_sheets_fail_closed():
    task = make_task(FAMILY, 6, "hard", 1.0)
    with task.start() as episode:
        before = episode.world.digest()
        for call in task.reference:
            saved = call.args.get("path", "").startswith("receipts/mail/")
            if call.name in ("mail.search", "mail.read", "files.list", "files.read",
                             "sheets.read_range") and not saved:
                assert episode.call(call.name, dict(call.args)).ok
        assert episode.world.digest() == before
        (episode.world.workspace / _path(task)).write_bytes(b"not a zip")
        grade = episode.grade()
    assert grade.score == 0 and grade.unscored == []
    assert "not a readable .xlsx" in grade.criteria[0].evidence


def test_the_mailbox_is_consistent():
    task = make_task(FAMILY, 7, "hard", 1.0)
    store = task.template.stores["mail"]
    assert isinstance(store, MailStore)
    dates = [m.when() for m in store.messages]
    assert dates == sorted(dates) and max(dates) < task.template.now
    assert [m.id for m in store.messages] == [f"m{n:04d}" for n in range(1, len(dates) + 1)]


@pytest.mark.parametrize("seeds", ["0-4", pytest.param("0-99", marks=pytest.mark.slow)])
def test_cli_run_reference_scores_one_on_hard(seeds):
    _load_commands()
    result = CliRunner().invoke(app, ["run", FAMILY, "--policy", "reference", "--seeds", seeds,
                                      "--difficulty", "hard", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mean_score"] == 1.0 and report["solved"] == report["seeds"]


def _sheet_cell(task: Task, cell: str, value) -> ToolCall:
    return ToolCall("sheets.write_cells", {"path": _path(task), "sheet": "Expenses",
                                           "cells": {cell: value}})


def test_an_overflowing_amount_fails_closed_and_a_summary_alone_earns_nothing():
    """Issue 10: 1e308 in an Amount cell left 13 criteria unscored, and a summary worked
    out by reading alone then scored 1.0."""
    task = make_task(FAMILY, 8, "medium")
    reads = [c for c in task.reference if c.name.startswith(("mail.search", "mail.read",
                                                              "files.read", "files.list"))
             and not c.args.get("path", "").startswith("receipts/mail/")]
    grade = grade_plan(task, [*reads, _sheet_cell(task, "D2", 1e308), task.reference[-1]])
    assert grade.valid and grade.unscored == []
    assert grade.score < 0.5 and not grade.passed
    rows = [c for c in grade.criteria if c.name.startswith(("row ", "duplicate "))]
    assert rows and not any(c.passed for c in rows)


def test_a_file_where_the_sheet_folder_was_fails_closed():
    task = make_task(FAMILY, 9, "easy")
    with task.start() as episode:
        for call in (ToolCall("files.delete", {"path": _path(task)}),
                     ToolCall("files.delete", {"path": "expenses"}),
                     ToolCall("files.write", {"path": "expenses", "content": "x"}),
                     task.reference[-1]):
            assert episode.call(call.name, dict(call.args)).ok, call
        grade = episode.grade()
    assert grade.valid and grade.score == 0.0 and grade.gated
    sheet = next(c for c in grade.criteria if c.name == "sheet matches the receipts")
    assert sheet.passed is False and "expenses" in sheet.evidence


def test_a_huge_total_fails_its_criterion_and_an_empty_mail_is_no_summary():
    task = make_task(FAMILY, 10)
    send = task.reference[-1]
    huge = ToolCall("mail.send", {**send.args, "body": "Total: " + "9" * 5000})
    grade = grade_plan(task, [*task.reference[:-1], huge])
    results = {c.name: c.passed for c in grade.criteria}
    assert grade.valid and results["summary total"] is False
    empty = grade_plan(task, [*task.reference[:-1],
                              ToolCall("mail.send", {**send.args, "body": ""})])
    assert {c.name: c.passed for c in empty.criteria}["summary mailed to the approver"] is False


def test_edits_of_another_workbook_are_not_the_sheet_edits():
    """Issue 10, lenient case: a write to any workbook counted as 'the sheet edits'."""
    task = make_task(FAMILY, 11)
    plan = list(task.reference)
    edits = [c for c in plan if c.name in ("sheets.write_cells", "sheets.delete_rows",
                                           "sheets.append_rows")]
    others = [ToolCall("sheets.create_workbook", {"path": "scratch.xlsx", "sheet": "S"}),
              ToolCall("sheets.write_cells", {"path": "scratch.xlsx", "sheet": "S",
                                              "cells": {"A1": 1}})]
    rest = [c for c in plan[:-1] if c not in edits]
    grade = grade_plan(task, [*rest, *edits, plan[-1], *others])
    after = next(c for c in grade.criteria if c.name == "summary sent after the sheet edits")
    assert after.passed is True
    elsewhere = grade_plan(task, [*rest, *others, plan[-1]])  # the sheet never edited
    assert next(c for c in elsewhere.criteria
                if c.name == "summary sent after the sheet edits").passed is False
