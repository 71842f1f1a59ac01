"""data/sql-report: the contract, and the family's own wrong-answer tests."""

import re

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
    make_task,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.core import Task, ToolCall
from workgym.families.data.sql_report import SqlReport

FAMILY = "data/sql-report-v1"


def _swap(task: Task, name: str, change) -> list[ToolCall]:  # type: ignore[no-untyped-def]
    """The reference with the first call of ``name`` changed by ``change(args)``."""
    plan, done = [], False
    for call in task.reference:
        if call.name == name and not done:
            call, done = ToolCall(call.name, change(dict(call.args))), True
        plan.append(call)
    assert done
    return plan


@pytest.mark.slow
def test_sql_report_meets_the_contract() -> None:
    assert_meets_contract(SqlReport())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness))
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_the_sheet_agrees_with_sql_over_the_database() -> None:
    """The generator's figures are what the reference's own SQL returns."""
    task = make_task(FAMILY, 3, "easy")
    rows = next(c for c in task.reference if c.name == "sheets.append_rows").args["rows"][1:]
    query = next(c for c in task.reference if c.name == "db.query"
                 and "GROUP BY c.region" in c.args["sql"])
    with task.start() as episode:
        answer = episode.call("db.query", dict(query.args)).value
    assert [[r, o, c, round(v * 100)] for r, o, c, v in rows] == answer["rows"]


def test_the_last_evening_of_the_quarter_counts() -> None:
    """Orders late on the quarter's last day are in the world: a BETWEEN on dates misses
    them."""
    task = make_task(FAMILY, 4, "easy")
    total = next(c for c in task.reference if c.name == "db.query"
                 and c.args["sql"].startswith("SELECT count(DISTINCT o.id)"))
    start, end = re.findall(r"'(\d{4}-\d\d-\d\d)'", total.args["sql"])[:2]
    with task.start() as episode:
        right = episode.call("db.query", dict(total.args)).value["rows"][0]
        last = episode.call("db.query", {"sql": (
            "SELECT max(ordered_at) FROM orders WHERE status = 'completed' AND ordered_at < ?"),
            "params": [end]}).value["rows"][0][0]
        naive = total.args["sql"].replace(f"o.ordered_at < '{end}'",
                                          f"o.ordered_at <= '{last[:10]}'")
        wrong = episode.call("db.query", {"sql": naive}).value["rows"][0]
    assert start < last < end and wrong[2] < right[2]


def test_one_cent_off_in_one_row_fails_that_row() -> None:
    task = make_task(FAMILY, 5)

    def off(args: dict) -> dict:  # type: ignore[type-arg]
        rows = [list(r) for r in args["rows"]]
        rows[1][-1] = round(rows[1][-1] + 0.01, 2)
        return {**args, "rows": rows}

    grade = grade_plan(task, _swap(task, "sheets.append_rows", off))
    region = [c for c in grade.criteria if c.group == "By region row"]
    # the wrong row earns nothing and, being wrong, cancels one right row's credit
    assert sum(not c.passed for c in region) == 2
    assert "By region: exactly these rows" in failed_criteria(grade) and not grade.passed


def test_a_total_row_or_a_formula_costs_credit() -> None:
    task = make_task(FAMILY, 6)
    total = _swap(task, "sheets.append_rows",
                  lambda a: {**a, "rows": [*a["rows"], ["Total", 1, 1, 1.0]]})
    grade = grade_plan(task, total)
    assert {"By region: exactly these rows", "By region: order"} <= failed_criteria(grade)
    formula = _swap(task, "sheets.append_rows", lambda a: {**a, "rows": [
        *a["rows"][:-1], [*a["rows"][-1][:-1], "=1+1"]]})
    assert "By region: exactly these rows" in failed_criteria(grade_plan(task, formula))


def test_rows_out_of_order_fail_only_the_order() -> None:
    task = make_task(FAMILY, 7)
    reordered = _swap(task, "sheets.append_rows",
                      lambda a: {**a, "rows": [a["rows"][0], *reversed(a["rows"][1:])]})
    assert failed_criteria(grade_plan(task, reordered)) == {"By region: order"}


def test_memo_lines_are_exact_and_once() -> None:
    task = make_task(FAMILY, 8)
    twice = _swap(task, "docs.insert_paragraphs", lambda a: {
        **a, "paragraphs": [*a["paragraphs"], a["paragraphs"][1]]})
    assert failed_criteria(grade_plan(task, twice)) == {"memo: Net revenue"}
    prefixed = _swap(task, "docs.insert_paragraphs", lambda a: {
        **a, "paragraphs": [p.replace("Orders: ", "Orders: about ") for p in a["paragraphs"]]})
    assert failed_criteria(grade_plan(task, prefixed)) == {"memo: Orders"}


def test_files_changed_after_the_mail_fail_the_attachment_check() -> None:
    task = make_task(FAMILY, 9)
    memo = next(c.args["path"] for c in task.reference if c.name == "docs.create")
    late = ToolCall("docs.insert_paragraphs", {"path": memo, "paragraphs": ["P.S."]})
    grade = grade_plan(task, [*task.reference, late])
    assert failed_criteria(grade) == {"report mailed with both files"}


def test_inputs_and_recipients_gate() -> None:
    task = make_task(FAMILY, 10, "medium")
    mapping = ToolCall("sheets.write_cells", {"path": "reference/sales-regions.xlsx",
                                              "sheet": "Regions", "cells": {"B2": "EMEA"}})
    grade = grade_plan(task, [mapping, *task.reference])
    assert grade.gated and "inputs untouched" in failed_criteria(grade)
    send = task.reference[-1]
    copied = grade_plan(task, [*task.reference[:-1], ToolCall(
        "mail.send", {**send.args, "cc": ["someone@example.net"]})])
    assert copied.gated and copied.score == 0


def test_the_database_is_read_only_and_richness_keeps_the_answer() -> None:
    plain, rich = make_task(FAMILY, 11, "hard", 0.0), make_task(FAMILY, 11, "hard", 1.0)
    assert [c for c in plain.reference if c.items] == [c for c in rich.reference if c.items]
    assert len(rich.template.files["data/sales.db"]) > len(plain.template.files["data/sales.db"])
    with plain.start() as episode:
        result = episode.call("db.execute", {"sql": "DELETE FROM orders"})
    assert not result.ok and "read-only" in result.text
