"""travel/trip-booking: the contract, then the family's own wrong-answer tests."""

import pytest
from family_checks import assert_meets_contract, assert_reference_solves, grade_plan, make_task

import workgym  # noqa: F401  (registers apps and families)
from workgym.core import ToolCall
from workgym.families.travel.trip_booking import TripBooking

FAMILY = "travel/trip-booking-v1"


@pytest.mark.slow
def test_travel_trip_booking_meets_the_contract() -> None:
    assert_meets_contract(TripBooking())


def test_a_partial_trip_earns_partial_credit() -> None:
    task = make_task(FAMILY, 1, "hard")
    plan = [c for c in task.reference if c.name != "travel.book_hotel"]
    grade = grade_plan(task, plan, calls_ok=False)
    assert not grade.passed
    assert 0.0 < grade.score < 1.0


def test_booking_every_flight_of_a_leg_earns_no_booking_credit() -> None:
    task = make_task(FAMILY, 2, "medium")
    leg = next(c for c in task.reference if c.name == "travel.search_flights")
    with task.start() as episode:
        found = episode.call("travel.search_flights", {**leg.args, "cabin": None}).value
    traveller = next(c for c in task.reference if c.name == "travel.book_hotel").args[
        "traveller_id"]
    extra = [ToolCall("travel.book_flight", {"flight_id": f["id"], "traveller_id": traveller,
                                             "cabin": "economy"}) for f in found["results"]]
    grade = grade_plan(task, [*task.reference, *extra], calls_ok=False)
    assert "bookings are exactly the trip" in {c.name for c in grade.criteria
                                               if c.passed is False}


def test_cancelling_a_calendar_event_zeroes_the_score() -> None:
    task = make_task(FAMILY, 3, "easy")
    event = task.template.stores["calendar"].events[0].id
    grade = grade_plan(task, [*task.reference, ToolCall("calendar.cancel_event",
                                                    {"event_id": event})], calls_ok=False)
    assert grade.score == 0.0


def test_richness_keeps_the_answer() -> None:
    lean, rich = make_task(FAMILY, 4, "hard", 0.0), make_task(FAMILY, 4, "hard", 1.0)
    assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]


def test_fee_invoices_do_not_stand_out_by_id() -> None:
    """Invoice ids come from a shuffled pool: the fees are sometimes the lowest ids, sometimes
    not, and richness never moves them."""
    lowest = set()
    for seed in range(8):
        task = make_task(FAMILY, seed, "hard", 1.0)
        paid = {c.args["invoice_id"] for c in task.reference if c.name == "payments.pay_invoice"}
        ids = sorted(i.id for i in task.template.stores["payments"].invoices)  # type: ignore[attr-defined]
        lowest.add(ids[0] in paid)
        plain = make_task(FAMILY, seed, "hard", 0.0)
        assert paid == {c.args["invoice_id"] for c in plain.reference
                        if c.name == "payments.pay_invoice"}
    assert lowest == {True, False}


def test_a_desk_without_a_trip_of_one_answer_is_redrawn() -> None:
    """Hard seed 66's first desk has no trip whose every leg and stay has one answer (its
    generation raised before); another desk is drawn, and the task is sound on it."""
    assert_reference_solves(make_task(FAMILY, 66, "hard"))
