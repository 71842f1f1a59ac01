"""slides/kpi-deck: the contract, then the family's own wrong-answer tests."""

import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
    make_task,
)
from openpyxl import load_workbook

import workgym  # noqa: F401  (registers apps and families)
from workgym.core import Task, ToolCall
from workgym.families.slides.kpi_deck import KpiDeck

FAMILY = "slides/kpi-deck-v1"


def _changed(task: Task, name: str, change: Any, nth: int = 0) -> list[ToolCall]:
    """The reference with the ``nth`` call of ``name`` changed by ``change(args)``."""
    plan, seen = [], 0
    for call in task.reference:
        if call.name == name:
            if seen == nth:
                call = ToolCall(call.name, change(dict(call.args)))
            seen += 1
        plan.append(call)
    assert seen > nth
    return plan


@pytest.mark.slow
def test_slides_kpi_deck_meets_the_contract() -> None:
    assert_meets_contract(KpiDeck())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness))
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_tables_are_the_quarter_totals_of_the_workbook() -> None:
    """Recompute each table from the workbook: only the quarter's months count."""
    task = make_task(FAMILY, 3, "hard", 1.0)
    book = next(p for p in task.template.files if p.startswith("reports/"))
    sheet = load_workbook(io.BytesIO(task.template.files[book]))["Monthly"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    months = sorted({r[2] for r in rows})[-3:]
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for region, metric, month, actual, target in rows:
        if month in months:
            totals[metric, region][0] += actual
            totals[metric, region][1] += target
    tables = [c for c in task.reference if c.name == "slides.add_table"]
    titles = [c.args["title"] for c in task.reference if c.name == "slides.add_slide"]
    assert len(tables) == len(titles) == 6
    for title, table in zip(titles, tables, strict=True):
        for region, actual, target, rate in table.args["rows"][1:]:
            a, t = totals[title, region]
            want = (Decimal(a * 100) / t).quantize(Decimal("0.1"), ROUND_HALF_UP)
            assert (actual, target, rate) == (str(a), str(t), f"{want}%")


def test_wrong_best_region_fails() -> None:
    task = make_task(FAMILY, 4, "medium")
    grade = grade_plan(task, _changed(task, "slides.set_notes",
                                  lambda a: {**a, "text": "Best: Nowhere"}))
    assert not grade.passed
    assert "deck is exactly the brief's slides" in failed_criteria(grade)


def test_regions_out_of_order_fail() -> None:
    task = make_task(FAMILY, 5, "medium")

    def swap(args: dict[str, Any]) -> dict[str, Any]:
        rows = list(args["rows"])
        rows[1], rows[2] = rows[2], rows[1]
        return {**args, "rows": rows}

    assert not grade_plan(task, _changed(task, "slides.add_table", swap)).passed


def test_skipping_the_amendment_fails() -> None:
    """A deck from the first brief alone (the later mail's metric left out) fails."""
    task = make_task(FAMILY, 6, "hard")
    with task.start() as episode:
        messages = episode.world.stores["mail"].messages  # type: ignore[attr-defined]
        amendment = next(m for m in messages if m.subject.startswith("Re:"))
    added = amendment.body.split("please add ", 1)[1].split(" right after ", 1)[0]
    plan: list[ToolCall] = []
    skip, shift = -1, 0
    for call in task.reference:
        if call.name == "slides.add_slide" and call.args["title"] == added:
            skip, shift = len([c for c in plan if c.name == "slides.add_slide"]) + 2, 1
            continue
        slide = call.args.get("slide")
        if call.name.startswith("slides.") and slide is not None:
            if slide == skip:
                continue
            if slide > skip > 0:
                call = ToolCall(call.name, {**call.args, "slide": slide - shift})
        plan.append(call)
    assert len(plan) == len(task.reference) - 3
    grade = grade_plan(task, plan)
    assert not grade.passed
    assert "deck is exactly the brief's slides" in failed_criteria(grade)


def test_mailing_last_quarters_attendees_fails() -> None:
    task = make_task(FAMILY, 7, "medium")
    with task.start() as episode:
        events = episode.world.stores["calendar"].events  # type: ignore[attr-defined]
        old = next(e for e in events if e.title.startswith("Q") and e.title.endswith(
            "KPI review") and e.organizer != episode.world.stores["calendar"].owner)  # type: ignore[attr-defined]
        wrong = [a.email for a in old.attendees]
    grade = grade_plan(task, _changed(task, "mail.send", lambda a: {**a, "to": wrong}))
    assert grade.score == 0.0


def test_a_deck_changed_after_mailing_or_not_attached_fails() -> None:
    task = make_task(FAMILY, 8, "easy")
    later = ToolCall("slides.set_notes", {"path": task.artifacts[0], "slide": 1, "text": "x"})
    grade = grade_plan(task, [*task.reference, later])
    assert "deck mailed" in failed_criteria(grade)
    grade = grade_plan(task, _changed(task, "mail.send", lambda a: {**a, "attachments": []}))
    assert {"deck mailed"} < failed_criteria(grade)
    assert grade.score < 0.7
