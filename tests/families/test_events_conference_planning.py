"""events/conference-planning: the contract, then the family's own wrong-answer tests."""

import random
from typing import cast

import pytest
from family_checks import assert_meets_contract, failed_criteria, grade_plan, make_task

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.mail import MailStore
from workgym.apps.payments import PaymentsStore
from workgym.apps.travel import TravelStore
from workgym.core import Task, ToolCall
from workgym.families.events.conference_planning import ConferencePlanning, greedy, solutions

FAMILY = "events/conference-planning-v1"


def _withdrawn(task: Task) -> str:
    mail = cast(MailStore, task.template.stores["mail"])
    found = next(m for m in mail.messages if m.subject.endswith("I have to withdraw"))
    return found.sender.partition("<")[2].rstrip(">")


@pytest.mark.slow
def test_events_conference_planning_meets_the_contract() -> None:
    assert_meets_contract(ConferencePlanning())


def test_the_reference_scores_one() -> None:
    task = make_task(FAMILY, 1, "hard")
    assert grade_plan(task, list(task.reference), calls_ok=False).score == 1.0


def test_the_programme_has_one_answer_that_no_greedy_filling_finds() -> None:
    knobs = ConferencePlanning.levels.hard.knobs
    for seed in range(6):
        puzzle, _ = ConferencePlanning._puzzle(random.Random(seed), knobs)
        assert solutions(puzzle, knobs.slots, limit=5) == [puzzle.answer]
        by_size = sorted(range(knobs.rooms), key=lambda r: -puzzle.caps[r])
        for order in (by_size, by_size[::-1], list(range(knobs.rooms))):
            for big in (False, True):
                assert greedy(puzzle, knobs.slots, order, biggest_first=big) != puzzle.answer


def test_two_sessions_with_their_rooms_swapped_lose_their_credit() -> None:
    task = make_task(FAMILY, 2, "hard")
    plan = list(task.reference)
    events = [n for n, c in enumerate(plan) if c.name == "calendar.create_event"]
    one, other = next((a, b) for a in events for b in events
                      if a < b and plan[a].args["start"] == plan[b].args["start"])
    first, second = plan[one].args, plan[other].args
    plan[one] = ToolCall(plan[one].name, {**first, "room": second["room"]})
    plan[other] = ToolCall(plan[other].name, {**second, "room": first["room"]})
    grade = grade_plan(task, plan, calls_ok=False)
    assert {f"session {first['title']}", f"session {second['title']}",
            "programme is exactly the sessions"} <= failed_criteria(grade)
    assert 0.0 < grade.score < 1.0


def test_mailing_the_withdrawn_speaker_zeroes_the_score() -> None:
    task = make_task(FAMILY, 3, "medium")
    extra = ToolCall("mail.send", {"to": [_withdrawn(task)], "subject": "Programme",
                                   "body": "Session: none"})
    grade = grade_plan(task, [*task.reference, extra], calls_ok=False)
    assert "mail only to the programme's speakers" in failed_criteria(grade)
    assert grade.score == 0.0


def test_paying_every_payee_zeroes_the_score() -> None:
    task = make_task(FAMILY, 4, "easy")
    account = next(c for c in task.reference if c.name == "payments.transfer").args[
        "from_account"]
    payees = cast(PaymentsStore, task.template.stores["payments"]).payees
    extra = [ToolCall("payments.transfer", {"from_account": account, "amount": "600.00",
                                            "payee_id": p.id, "reference": "Honorarium"})
             for p in payees]
    grade = grade_plan(task, [c for c in task.reference if c.name != "payments.transfer"] + extra,
                       calls_ok=False)
    assert "no payment but one honorarium each" in failed_criteria(grade)
    assert grade.score == 0.0


def test_booking_for_the_withdrawn_speaker_zeroes_the_score() -> None:
    task = make_task(FAMILY, 5, "medium")
    desk = cast(TravelStore, task.template.stores["travel"])
    who = next(t.id for t in desk.travellers if t.email == _withdrawn(task))
    leg = next(c for c in task.reference if c.name in ("travel.book_train",
                                                       "travel.book_flight"))
    grade = grade_plan(task, [*task.reference, ToolCall(leg.name, {**leg.args,
                                                                   "traveller_id": who})],
                       calls_ok=False)
    assert "no booking but the speakers' legs" in failed_criteria(grade)
    assert grade.score == 0.0


def test_the_cheapest_fare_of_each_leg_is_not_the_answer() -> None:
    """Booking each leg's cheapest train or flight of the day misses some leg."""
    for seed in range(2):
        task = make_task(FAMILY, seed, "easy")
        plan = [c for c in task.reference if c.name not in ("travel.book_train",
                                                            "travel.book_flight")]
        books = [c for c in task.reference if c.name in ("travel.book_train",
                                                         "travel.book_flight")]
        searches = [c for c in task.reference if c.name.startswith("travel.search_")]
        cheap = []
        with task.start() as episode:
            for n, book in enumerate(books):
                found = []
                for search in searches[2 * n:2 * n + 2]:
                    for leg in episode.call(search.name, search.args).value["results"]:
                        fare = next(f for f in leg["fares"]
                                    if f["fare_class"] in ("second", "economy"))
                        if fare["seats"] > 0:
                            found.append((float(fare["price"]), leg["id"]))
                _, leg_id = min(found)
                train = leg_id.startswith("TR")
                cheap.append(ToolCall("travel.book_train" if train else "travel.book_flight", {
                    "train_id" if train else "flight_id": leg_id,
                    "traveller_id": book.args["traveller_id"],
                    "travel_class" if train else "cabin": "second" if train else "economy"}))
        grade = grade_plan(task, [*plan, *cheap], calls_ok=False)
        assert "bookings are exactly the legs" in failed_criteria(grade)


def test_a_partial_job_earns_partial_credit() -> None:
    task = make_task(FAMILY, 6, "medium")
    grade = grade_plan(task, [c for c in task.reference if c.name != "payments.transfer"],
                       calls_ok=False)
    assert not grade.passed
    assert 0.0 < grade.score < 1.0


def test_richness_keeps_the_answer() -> None:
    lean, rich = make_task(FAMILY, 7, "medium", 0.0), make_task(FAMILY, 7, "medium", 1.0)
    assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]
    keep = ("calendar.create_event", "travel.book_train", "travel.book_flight",
            "payments.transfer", "mail.send")
    assert [c for c in lean.reference if c.name in keep] == \
        [c for c in rich.reference if c.name in keep]
