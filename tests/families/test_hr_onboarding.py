"""hr/onboarding: the contract, then the wrong answers the grader must refuse."""

import statistics
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from workgym.agent.adversarial import ADVERSARIES
from workgym.apps.hr import HrStore
from workgym.apps.mail import MailStore
from workgym.checks import check_family
from workgym.core import Grade, Task, ToolCall, make, run_plan
from workgym.families.hr.onboarding import Onboarding

FAMILY = "hr/onboarding-v1"


def _task(seed: int = 0, difficulty: str = "hard", variant: str = "default",
          richness: float = 0.5) -> Task:
    return make(FAMILY, seed=seed, difficulty=difficulty, richness=richness,  # type: ignore[arg-type]
                variant=variant)


def _grade(task: Task, plan: list[ToolCall]) -> Grade:
    with run_plan(task, plan) as episode:
        assert all(c.ok for c in episode.calls), [c.output for c in episode.calls if not c.ok]
        return episode.grade()


def _passed(grade: Grade, prefix: str) -> int:
    return sum(1 for c in grade.criteria if c.name.startswith(prefix) and c.passed)


@pytest.mark.slow
def test_hr_onboarding_meets_the_contract() -> None:
    report = check_family(Onboarding(), seeds=10, raise_on_failure=False)
    assert report.ok, "\n".join(report.failures)


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", ["easy", "hard"])
def test_the_browser_reference_leaves_the_portal_the_api_leaves(difficulty: str) -> None:
    api, gui = _task(1, difficulty), _task(1, difficulty, "browser")
    assert "hr" in api.apps and "browser" not in api.apps
    assert "browser" in gui.apps and "hr" not in gui.apps
    assert [c.name for c in api.criteria] == [c.name for c in gui.criteria]
    stores = []
    for task in (api, gui):
        with run_plan(task, list(task.reference)) as episode:
            assert all(c.ok for c in episode.calls)
            assert episode.grade().score == 1.0
            hr = episode.world.stores["hr"]
            assert isinstance(hr, HrStore)
            stores.append(hr.model_dump())
    assert stores[0] == stores[1]


@pytest.mark.slow
def test_the_adversaries_fail_on_the_browser_surface() -> None:
    for name, adversary in ADVERSARIES.items():
        scores = [adversary(_task(seed, "easy", "browser"), seed).score for seed in range(2)]
        assert statistics.fmean(scores) <= 0.05, (name, scores)


def test_one_person_onboarded_of_three_earns_part_of_the_credit() -> None:
    task = _task(2)
    first = next(c for c in task.reference if c.name == "hr.add_employee")
    onboard = next(c for c in task.reference if c.name == "hr.start_onboarding")
    email, letter = first.args["email"], "welcome/" + first.args["email"].split("@")[0].replace(
        ".", "-") + ".docx"
    acts = ("hr.add_employee", "hr.start_onboarding", "tickets.create",
            "calendar.create_event", "docs.create", "docs.insert_paragraphs")
    plan = [c for c in task.reference if not c.name.startswith(acts) or c == onboard
            or email in str(c.args) or c.args.get("path") == letter]
    grade = _grade(task, plan)
    assert 0.1 < grade.score < 0.6, grade.score
    assert _passed(grade, "employee ") == 1 and _passed(grade, "ticket ") == 1
    assert _passed(grade, "welcome letter ") == 1


def test_onboarding_the_withdrawn_candidates_too_costs_credit() -> None:
    task = _task(3, "medium", richness=0.0)
    mail = task.template.stores["mail"]
    assert isinstance(mail, MailStore)
    gone = [m.subject.removeprefix("Withdrawn: ") for m in mail.messages
            if m.subject.startswith("Withdrawn: ")]
    assert gone
    extra = [ToolCall("hr.add_employee", {
        "name": name, "email": name.lower().replace(" ", ".") + "@staff.example",
        "start_date": "2030-01-07", "hourly_rate": "30.00"}) for name in gone]
    full = _grade(task, list(task.reference))
    grade = _grade(task, [*task.reference, *extra])
    assert full.score == 1.0 and not grade.passed
    assert _passed(grade, "employee ") == 2 - len(gone)


def test_meetings_at_every_half_hour_earn_nothing() -> None:
    task = _task(4, "medium")
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
    grade = _grade(task, plan)
    assert _passed(grade, "meeting ") == 0
    assert _passed(grade, "employee ") == 2


def test_the_first_slot_of_the_day_regardless_of_the_managers_calendar_fails() -> None:
    task = _task(5)
    plan, moved = [], 0
    for call in task.reference:
        if call.name == "calendar.create_event" and not call.args["start"].endswith("09:00"):
            day = call.args["start"][:10]
            call = replace(call, args={**call.args, "start": f"{day}T09:00",
                                       "end": f"{day}T09:30"})
            moved += 1
        plan.append(call)
    assert moved, "some manager is busy at 09:00 on some first-week day"
    grade = _grade(task, plan)
    assert not grade.passed and _passed(grade, "meeting ") < len(
        [c for c in task.reference if c.name == "calendar.create_event"])


def test_the_start_date_of_the_offer_where_a_later_mail_moved_it_fails() -> None:
    task = _task(6)
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
    grade = _grade(task, plan)
    assert not grade.passed
    assert f"employee {moved}" in {c.name for c in grade.criteria if not c.passed}


@pytest.mark.parametrize("tamper", [
    ToolCall("docs.replace_text", {"path": "templates/Welcome letter.docx",
                                   "old": "Welcome", "new": "Hello"}),
    ToolCall("calendar.cancel_event", {"event_id": "ev0001"}),
    ToolCall("tickets.comment", {"ticket_id": "IT-1", "body": "closed"}),
])
def test_touching_the_inputs_zeroes_the_score(tamper: ToolCall) -> None:
    task = _task(7, "easy")
    grade = _grade(task, [*task.reference, tamper])
    assert grade.score == 0.0


def test_richness_keeps_the_answer() -> None:
    lean, rich = _task(8, richness=0.0), _task(8, richness=1.0)
    assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]
    keep = ("hr.", "tickets.create", "calendar.create_event", "docs.insert_paragraphs")
    assert [c for c in lean.reference if c.name.startswith(keep)] == \
        [c for c in rich.reference if c.name.startswith(keep)]
    assert _grade(rich, list(rich.reference)).score == 1.0
