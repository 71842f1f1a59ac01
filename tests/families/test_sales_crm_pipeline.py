"""sales/crm-pipeline: the contract, then the wrong answers the grader must refuse."""

import re
from dataclasses import replace

import pytest
from family_checks import (
    assert_adversaries_fail,
    assert_meets_contract,
    assert_surfaces_agree,
    grade_plan,
    make_task,
    unmet_criteria,
)

from workgym.apps.calendar import CalendarStore
from workgym.apps.crm import CrmStore
from workgym.core import ToolCall, run_plan
from workgym.families.sales.crm_pipeline import CrmPipeline

FAMILY = "sales/crm-pipeline-v1"


@pytest.mark.slow
def test_sales_crm_pipeline_meets_the_contract() -> None:
    assert_meets_contract(CrmPipeline())


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_the_browser_reference_leaves_the_crm_the_api_leaves(difficulty: str) -> None:
    assert_surfaces_agree(FAMILY, "crm", difficulty)


@pytest.mark.slow
def test_the_adversaries_fail_on_the_browser_surface() -> None:
    assert_adversaries_fail(FAMILY, variant="browser")


def test_the_meetings_amount_where_a_later_mail_replaced_it_fails() -> None:
    task = make_task(FAMILY, 1, "hard")
    calendar = task.template.stores["calendar"]
    assert isinstance(calendar, CalendarStore)
    said = {}
    for event in calendar.events:
        found = re.search(r"the amount is now \w+ ([\d,]+\.\d\d)", event.description)
        if found:
            said[event.title] = found.group(1).replace(",", "")
    crm = task.template.stores["crm"]
    assert isinstance(crm, CrmStore)
    titles = {d.id: f"{crm.account(d.account).name}: {d.name}" for d in crm.deals}  # type: ignore[union-attr]
    plan, swapped = [], 0
    for call in task.reference:
        if call.name == "crm.update_deal":
            meeting = said[titles[call.args["deal_id"]]]
            if meeting != call.args["amount"] and not swapped:
                call, swapped = replace(call, args={**call.args, "amount": meeting}), 1
        plan.append(call)
    assert swapped, "hard has a mail that replaces a meeting's amount"
    grade = grade_plan(task, plan)
    assert not grade.passed and "deals exactly right" in unmet_criteria(grade)


def test_meetings_logged_today_instead_of_their_day_fail() -> None:
    task = make_task(FAMILY, 2, "hard")
    plan = [replace(c, args={k: v for k, v in c.args.items() if k != "date"})
            if c.name == "crm.log_activity" else c for c in task.reference]
    grade = grade_plan(task, plan)
    assert not grade.passed
    assert any(name.startswith("meeting ") for name in unmet_criteria(grade))


def test_moving_another_deal_fails() -> None:
    task = make_task(FAMILY, 3, "medium")
    crm = task.template.stores["crm"]
    assert isinstance(crm, CrmStore)
    touched = {c.args["deal_id"] for c in task.reference if c.name == "crm.move_deal"}
    other = next(d for d in crm.deals if d.is_open and d.id not in touched)
    stage = "proposal" if other.stage != "proposal" else "negotiation"
    plan = [*task.reference[:-2], ToolCall("crm.move_deal", {"deal_id": other.id,
                                                             "stage": stage}),
            *task.reference[-2:]]
    grade = grade_plan(task, plan)
    assert not grade.passed and "deals exactly right" in unmet_criteria(grade)


@pytest.mark.parametrize("edit", ["weighted", "count", "extra-row"])
def test_a_forecast_that_is_not_right_fails(edit: str) -> None:
    task = make_task(FAMILY, 4, "hard")
    write = task.reference[-1]
    header, *rows = [list(r) for r in write.args["rows"]]
    busy = next(r for r in rows if r[1])
    if edit == "weighted":
        busy[3] = f"{float(busy[3]) + 0.01:.2f}"
    elif edit == "count":
        busy[1] += 1
    else:
        rows.append(["Closed won", 1, "100.00", "100.00"])
    plan = [*task.reference[:-1], replace(write, args={**write.args, "rows": [header, *rows]})]
    grade = grade_plan(task, plan)
    assert not grade.passed and "forecast exactly right" in unmet_criteria(grade)


def test_a_forecast_under_the_crms_own_probabilities_fails() -> None:
    task = make_task(FAMILY, 5, "hard")
    with run_plan(task, list(task.reference[:-2])) as episode:
        crm = episode.world.stores["crm"]
        assert isinstance(crm, CrmStore)
        ours = episode.call("crm.forecast", {"closing_before": "2100-01-01",
                                             "owner_id": crm.user})
        assert ours.ok
    write = task.reference[-1]
    header, *rows = [list(r) for r in write.args["rows"]]
    by_crm = {r["stage"]: r["weighted"] for r in ours.value["stages"]}
    changed = [[r[0], r[1], r[2], by_crm[r[0].lower()]] for r in rows]
    assert changed != rows
    plan = [*task.reference[:-1], replace(write, args={**write.args, "rows": [header, *changed]})]
    grade = grade_plan(task, plan)
    assert not grade.passed and "forecast exactly right" in unmet_criteria(grade)
