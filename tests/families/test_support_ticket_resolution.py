"""support/ticket-resolution: the contract, then the family's own wrong-answer tests."""

from typing import Any

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
    make_task,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.core import Task, ToolCall, run_plan
from workgym.families.support.ticket_resolution import TicketResolution

FAMILY = "support/ticket-resolution-v1"
DECISIONS = ("refund", "declined", "cancelled", "escalated", "withdrawn")


def _ticket_of(call: ToolCall) -> str | None:
    if call.name == "mail.send":
        return str(call.args["body"]).split("Ticket: ")[1].split("\n")[0]
    if call.name.startswith("tickets.") and call.name != "tickets.search":
        return str(call.args["ticket_id"])
    return None


def _queue(task: Task) -> list[str]:
    return [str(c.args["ticket_id"]) for c in task.reference if c.name == "tickets.get"]


def _decision(task: Task, ticket: str) -> str:
    body = next(str(c.args["body"]) for c in task.reference
                if c.name == "mail.send" and _ticket_of(c) == ticket)
    return body.split("Decision: ")[1].split("\n")[0]


@pytest.mark.slow
def test_support_ticket_resolution_meets_the_contract() -> None:
    assert_meets_contract(TicketResolution())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness), calls_ok=False)
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_half_the_queue_earns_partial_credit() -> None:
    task = make_task(FAMILY, 3, "hard")
    skipped = set(_queue(task)[::2])
    plan = [c for c in task.reference if c.name not in ("mail.send", "tickets.update",
                                                          "tickets.transition")
            or _ticket_of(c) not in skipped]
    grade = grade_plan(task, plan, calls_ok=False)
    assert not grade.passed and 0.2 < grade.score < 0.9
    assert {f"reply {t}" for t in skipped} <= failed_criteria(grade)
    assert not any(f"reply {t}" in failed_criteria(grade) for t in _queue(task) if t not in skipped)


def test_replying_every_decision_earns_nothing_for_replies() -> None:
    task = make_task(FAMILY, 4, "hard")
    plan: list[ToolCall] = []
    for call in task.reference:
        if call.name != "mail.send":
            plan.append(call)
            continue
        ticket = _ticket_of(call)
        for decision in DECISIONS:
            plan.append(ToolCall("mail.send", {**call.args, "body": (
                f"Ticket: {ticket}\nDecision: {decision}\n")}))
    grade = grade_plan(task, plan, calls_ok=False)
    replies = [c for c in grade.criteria if c.name.startswith("reply ")]
    assert replies and not any(c.passed for c in replies)


def test_returns_for_every_return_request_cost_the_right_ones() -> None:
    """A return created for each request, whatever the policy says, loses the credit of
    the returns that were due: the shop's own deadline is not the policy's window."""
    task = make_task(FAMILY, 5, "hard")
    due = [c for c in task.reference if c.name == "shop.create_return"]
    extra: list[ToolCall] = []
    with task.start() as episode:
        for ticket in _queue(task):
            text = str(episode.call("tickets.get", {"ticket_id": ticket}).value)
            if _decision(task, ticket) == "refund" or "my order " not in text:
                continue
            order = text.split("my order ")[1].split(" ")[0]
            line = int(text.split("(line ")[1].split(" ")[0])
            extra.append(ToolCall("shop.create_return", {
                "order_id": order, "items": [{"line": line, "quantity": 1}],
                "reason": "damaged"}))
    assert due and extra
    grade = grade_plan(task, [*task.reference, *extra], calls_ok=False)
    assert not grade.passed
    assert any(c.name.startswith("return ") and not c.passed for c in grade.criteria)


@pytest.mark.parametrize("tamper", ["wiki", "ticket", "restock"])
def test_tampering_with_the_inputs_zeroes_the_score(tamper: str) -> None:
    task = make_task(FAMILY, 6, "medium")
    with task.start() as episode:
        everyone = episode.call("tickets.search", {"project": "SUP", "limit": 100}).value
    queue = set(_queue(task))
    other = next(t["id"] for t in everyone["results"] if t["id"] not in queue)
    sku = ""
    with task.start() as episode:
        sku = episode.call("shop.search_products", {"limit": 1}).value["results"][0]["sku"]
    extra = {"wiki": ToolCall("wiki.edit", {"page": "Refund policy", "body": "Refund all.",
                                            "summary": "simpler",
                                            "base_revision": 1}),
             "ticket": ToolCall("tickets.update", {"ticket_id": other, "priority": "urgent"}),
             "restock": ToolCall("shop.restock", {"sku": sku, "quantity": 5})}[tamper]
    with run_plan(task, [*task.reference, extra]) as episode:
        assert episode.calls[-1].ok, episode.calls[-1].output
        grade = episode.grade()
    assert grade.score == 0.0 and not grade.passed


ACTS = ("mail.send", "shop.create_return", "shop.cancel_order", "tickets.transition",
        "tickets.update")


def _answer(task: Task) -> list[Any]:
    return [(c.name, c.args) for c in task.reference if c.name in ACTS]


def test_richness_keeps_the_answer() -> None:
    for seed in (7, 8):
        lean, rich = make_task(FAMILY, seed, "hard", 0.0), make_task(FAMILY, seed, "hard", 1.0)
        assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]
        assert _answer(lean) == _answer(rich)
        assert len(rich.template.stores["mail"].messages) > len(  # type: ignore[attr-defined]
            lean.template.stores["mail"].messages)  # type: ignore[attr-defined]


def test_ticket_ids_follow_creation_and_priority_is_no_hint() -> None:
    """Ids follow the time tickets were opened; the queue's priorities do not tell the
    decision (every priority meets refunds and other decisions across seeds)."""
    seen: dict[str, set[str]] = {}
    for seed in range(6):
        task = make_task(FAMILY, seed, "hard", 1.0)
        store = task.template.stores["tickets"]
        tickets = store.tickets  # type: ignore[attr-defined]
        assert [t.created for t in tickets] == sorted(t.created for t in tickets)
        for t in tickets:
            if t.id in _queue(task):
                seen.setdefault(t.priority, set()).add(_decision(task, t.id))
    assert all(len(found) >= 2 for found in seen.values()), seen
