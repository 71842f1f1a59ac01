"""hr/onboarding: the contract, then the wrong answers the grader must refuse."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from family_checks import (
    assert_adversaries_fail,
    assert_meets_contract,
    assert_surfaces_agree,
    grade_plan,
    make_task,
    passed_criteria,
)

from workgym.apps.mail import MailStore
from workgym.core import ToolCall
from workgym.families.hr.onboarding import Onboarding

FAMILY = "hr/onboarding-v1"


@pytest.mark.slow
def test_hr_onboarding_meets_the_contract() -> None:
    assert_meets_contract(Onboarding())


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", ["easy", "hard"])
def test_the_browser_reference_leaves_the_portal_the_api_leaves(difficulty: str) -> None:
    assert_surfaces_agree(FAMILY, "hr", difficulty)


@pytest.mark.slow
def test_the_adversaries_fail_on_the_browser_surface() -> None:
    assert_adversaries_fail(FAMILY, ("easy",), variant="browser")


def test_one_person_onboarded_of_three_earns_part_of_the_credit() -> None:
    task = make_task(FAMILY, 2, "hard")
    first = next(c for c in task.reference if c.name == "hr.add_employee")
    onboard = next(c for c in task.reference if c.name == "hr.start_onboarding")
    email, letter = first.args["email"], "welcome/" + first.args["email"].split("@")[0].replace(
        ".", "-") + ".docx"
    acts = ("hr.add_employee", "hr.start_onboarding", "tickets.create",
            "calendar.create_event", "docs.create", "docs.insert_paragraphs")
    plan = [c for c in task.reference if not c.name.startswith(acts) or c == onboard
            or email in str(c.args) or c.args.get("path") == letter]
    grade = grade_plan(task, plan)
    assert 0.1 < grade.score < 0.6, grade.score
    assert len(passed_criteria(grade, "employee ")) == 1
    assert len(passed_criteria(grade, "ticket ")) == 1
    assert len(passed_criteria(grade, "welcome letter ")) == 1


def test_onboarding_the_withdrawn_candidates_too_costs_credit() -> None:
    task = make_task(FAMILY, 3, "medium", richness=0.0)
    mail = task.template.stores["mail"]
    assert isinstance(mail, MailStore)
    gone = [m.subject.removeprefix("Withdrawn: ") for m in mail.messages
            if m.subject.startswith("Withdrawn: ")]
    assert gone
    extra = [ToolCall("hr.add_employee", {
        "name": name, "email": name.lower().replace(" ", ".") + "@staff.example",
        "start_date": "2030-01-07", "hourly_rate": "30.00"}) for name in gone]
    full = grade_plan(task, list(task.reference))
    grade = grade_plan(task, [*task.reference, *extra])
    assert full.score == 1.0 and not grade.passed
    assert len(passed_criteria(grade, "employee ")) == 2 - len(gone)


def test_meetings_at_every_half_hour_earn_nothing() -> None:
    task = make_task(FAMILY, 4, "medium")
    plan: list[ToolCall] = []
    for call in task.reference:
        if call.name != "calendar.create_event":
            plan.append(call)
            continue
        day = call.args["start"][:10]
        for n in range(16):  # 09:00 to 16:30: the right slot is among them
            at = datetime.fromisoformat(f"{day}T09:00") + timedelta(minutes=30 * n)
            plan.append(replace(call, args={
                **call.args, "start": at.strftime("%Y-%m-%dT%H:%M"),
                "end": (at + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")}))
    grade = grade_plan(task, plan)
    assert len(passed_criteria(grade, "meeting ")) == 0
    assert len(passed_criteria(grade, "employee ")) == 2


def test_the_first_slot_of_the_day_regardless_of_the_managers_calendar_fails() -> None:
    task = make_task(FAMILY, 5, "hard")
    plan, moved = [], 0
    for call in task.reference:
        if call.name == "calendar.create_event" and not call.args["start"].endswith("09:00"):
            day = call.args["start"][:10]
            call = replace(call, args={**call.args, "start": f"{day}T09:00",
                                       "end": f"{day}T09:30"})
            moved += 1
        plan.append(call)
    assert moved, "some manager is busy at 09:00 on some first-week day"
    grade = grade_plan(task, plan)
    assert not grade.passed and len(passed_criteria(grade, "meeting ")) < len(
        [c for c in task.reference if c.name == "calendar.create_event"])


def test_the_start_date_of_the_offer_where_a_later_mail_moved_it_fails() -> None:
    task = make_task(FAMILY, 6, "hard")
    mail = task.template.stores["mail"]
    assert isinstance(mail, MailStore)
    moved = next(m.subject.removeprefix("Start date change: ") for m in mail.messages
                 if m.subject.startswith("Start date change: "))
    offer = next(m.body for m in mail.messages if m.subject == f"Offer accepted: {moved}")
    said = next(line for line in offer.splitlines() if line.startswith("- Start date: "))
    first = datetime.strptime(said.removeprefix("- Start date: "), "%A %d %B %Y").date()
    plan = [replace(c, args={**c.args, "start_date": first.isoformat()})
            if c.name == "hr.add_employee" and c.args["name"] == moved else c
            for c in task.reference]
    grade = grade_plan(task, plan)
    assert not grade.passed
    assert f"employee {moved}" in {c.name for c in grade.criteria if not c.passed}


@pytest.mark.parametrize("tamper", [
    ToolCall("docs.replace_text", {"path": "templates/Welcome letter.docx",
                                   "old": "Welcome", "new": "Hello"}),
    ToolCall("calendar.cancel_event", {"event_id": "ev0001"}),
    ToolCall("tickets.comment", {"ticket_id": "IT-1", "body": "closed"}),
])
def test_touching_the_inputs_zeroes_the_score(tamper: ToolCall) -> None:
    task = make_task(FAMILY, 7, "easy")
    grade = grade_plan(task, [*task.reference, tamper])
    assert grade.score == 0.0


def test_richness_keeps_the_answer() -> None:
    lean, rich = make_task(FAMILY, 8, "hard", 0.0), make_task(FAMILY, 8, "hard", 1.0)
    assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]
    keep = ("hr.", "tickets.create", "calendar.create_event", "docs.insert_paragraphs")
    assert [c for c in lean.reference if c.name.startswith(keep)] == \
        [c for c in rich.reference if c.name.startswith(keep)]
    assert grade_plan(rich, list(rich.reference)).score == 1.0
