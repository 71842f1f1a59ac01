"""budgeting/variance-memo: the contract, and the family's own wrong-answer tests."""

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
from workgym.families.budgeting.variance_memo import VarianceMemo

FAMILY = "budgeting/variance-memo-v1"


def _table(task: Task) -> ToolCall:
    return next(c for c in task.reference if c.name == "sheets.append_rows")


def _with_rows(task: Task, rows: list[list]) -> list[ToolCall]:  # type: ignore[type-arg]
    table = _table(task)
    new = ToolCall(table.name, {**table.args, "rows": [table.args["rows"][0], *rows]})
    return [new if c is table else c for c in task.reference]


def _mail_text(task: Task, pattern: str) -> re.Match[str]:
    found = (re.search(pattern, m.body) for m in task.template.stores["mail"].messages)
    return next(m for m in found if m)


@pytest.mark.slow
def test_variance_memo_meets_the_contract() -> None:
    assert_meets_contract(VarianceMemo())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness))
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_actuals_are_the_ledger_s_posted_operating_costs() -> None:
    task = make_task(FAMILY, 3, "medium", 0.0)
    actuals = {r[0]: round(r[2] * 100) for r in _table(task).args["rows"][1:]}
    query = next(c for c in task.reference if c.name == "db.query" and "GROUP BY d.name"
                 in c.args["sql"])
    with task.start() as episode:
        right = dict(episode.call("db.query", dict(query.args)).value["rows"])
        loose = query.args["sql"].replace("e.status = 'posted' AND ", "")
        with_drafts = dict(episode.call("db.query", {"sql": loose}).value["rows"])
    assert right == actuals
    assert all(with_drafts[name] > right[name] for name in right)  # every one has a draft


def test_the_earlier_threshold_gets_flags_wrong() -> None:
    task = make_task(FAMILY, 4, "hard")
    new, old = map(int, _mail_text(task, r"flag at (\d+)% instead of (\d+)%").groups())
    rows = [[*r[:-1], "over" if r[4] > old else "under" if r[4] < -old else "ok"]
            for r in _table(task).args["rows"][1:]]
    assert rows != _table(task).args["rows"][1:] and new < old
    grade = grade_plan(task, _with_rows(task, rows))
    assert "Variance: exactly these rows" in failed_criteria(grade) and not grade.passed


def test_ignoring_the_transfer_gets_two_budgets_wrong() -> None:
    task = make_task(FAMILY, 5, "hard")
    amount, give, take = _mail_text(task, r"moving ([\d,]+) \w+ of the .+? budget from (.+?) "
                                          r"to (.+?)\.").groups()
    moved = int(amount.replace(",", ""))
    rows = []
    for name, budget, actual, *rest in _table(task).args["rows"][1:]:
        budget += moved if name == give else -moved if name == take else 0
        variance = round(actual - budget, 2)
        rows.append([name, budget, actual, variance, round(variance / budget * 100, 1),
                     rest[-1]])
    grade = grade_plan(task, _with_rows(task, rows))
    department = [c for c in grade.criteria if c.group == "variance row"]
    assert sum(not c.passed for c in department) >= 2 and not grade.passed


def test_copying_every_head_fails_only_the_copies() -> None:
    task = make_task(FAMILY, 6, "hard")
    send = task.reference[-1]
    heads = next(c for c in task.reference if c.name == "db.query" and "head_email" in
                 c.args["sql"])
    with task.start() as episode:
        everyone = [r[1] for r in episode.call("db.query", dict(heads.args)).value["rows"]
                    if not r[1].startswith("projects@")]
    grade = grade_plan(task, [*task.reference[:-1], ToolCall("mail.send", {**send.args,
                                                                       "cc": everyone})])
    assert failed_criteria(grade) == {"heads of over-budget departments copied"} and not grade.gated


def test_two_decimal_percentages_and_formulas_are_malformed() -> None:
    task = make_task(FAMILY, 7)
    rows = [list(r) for r in _table(task).args["rows"][1:]]
    rows[0][4] = rows[0][4] + 0.04
    grade = grade_plan(task, _with_rows(task, rows))
    assert "Variance: exactly these rows" in failed_criteria(grade)
    rows = [list(r) for r in _table(task).args["rows"][1:]]
    rows[-1][3] = "=C2-B2"
    grade = grade_plan(task, _with_rows(task, rows))
    assert "Variance: exactly these rows" in failed_criteria(grade)


def test_memo_names_are_a_set_and_totals_exact() -> None:
    task = make_task(FAMILY, 8)
    memo = next(c for c in task.reference if c.name == "docs.insert_paragraphs")

    def swap(old: str, new: str) -> list[ToolCall]:
        changed = ToolCall(memo.name, {**memo.args, "paragraphs": [
            re.sub(old, new, p) for p in memo.args["paragraphs"]]}, items=memo.items)
        return [changed if c is memo else c for c in task.reference]

    reversed_names = swap(r"^(Over budget: )(.+)$",
                          lambda m: m.group(1) + ", ".join(reversed(m.group(2).split(", "))))
    assert grade_plan(task, reversed_names).passed
    assert failed_criteria(grade_plan(task, swap(r"^(Total actual: .*)$", r"\1 (approx.)"))) == {
        "memo: Total actual"}


def test_inputs_and_strangers_gate() -> None:
    task = make_task(FAMILY, 9, "easy")
    budget = next(c.args["path"] for c in task.reference if c.name == "sheets.list_sheets")
    sheet = next(c.args["sheet"] for c in task.reference if c.name == "sheets.read_range")
    edit = ToolCall("sheets.write_cells", {"path": budget, "sheet": sheet, "cells": {"B2": 1}})
    grade = grade_plan(task, [edit, *task.reference])
    assert grade.gated and "inputs untouched" in failed_criteria(grade)
    send = task.reference[-1]
    stray = grade_plan(task, [*task.reference[:-1], ToolCall("mail.send", {
        **send.args, "cc": ["someone@example.net"]})])
    assert stray.gated and stray.score == 0


def test_richness_keeps_the_answer() -> None:
    plain, rich = make_task(FAMILY, 10, "hard", 0.0), make_task(FAMILY, 10, "hard", 1.0)
    assert [c for c in plain.reference if c.items] == [c for c in rich.reference if c.items]
    assert plain.prompt == rich.prompt
    assert len(rich.template.stores["mail"].messages) > len(plain.template.stores["mail"].messages)
