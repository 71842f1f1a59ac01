"""procurement/purchase-order: the contract, then the family's own wrong-answer tests."""

from dataclasses import replace

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.core import TaskSpec, ToolCall
from workgym.families.procurement.purchase_order import (
    Built,
    Order,
    PurchaseOrder,
    _orders,
    _reference,
)


def _built(seed: int = 0, difficulty: str = "hard", richness: float = 0.5) -> Built:
    spec = TaskSpec(family="procurement/purchase-order", version=1, seed=seed,
                    difficulty=difficulty, richness=richness)  # type: ignore[arg-type]
    return PurchaseOrder().build(spec)


def _plan(b: Built, orders: list[Order], refused: bool = True) -> list[ToolCall]:
    no = [r for r in b.reqs if r.fate != "order"] if refused else []
    return _reference(b.suppliers, b.others, b.keys, b.ids, orders, no)


@pytest.mark.slow
def test_procurement_purchase_order_meets_the_contract() -> None:
    assert_meets_contract(PurchaseOrder())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    assert_reference_solves(_built(1, difficulty, 1.0).task)


def test_ordering_every_requisition_scores_zero() -> None:
    for seed in (0, 7):
        b = _built(seed)
        everything = [replace(r, fate="order") for r in b.reqs]
        grade = grade_plan(b.task, _plan(b, _orders(everything, b.preferred, b.current, b.today),
                                refused=False))
        assert grade.score == 0.0, seed


def test_ignoring_a_withdrawn_approval_scores_zero() -> None:
    for seed in range(10):
        b = _built(seed)
        kept = [replace(r, fate="order") if r.mail == "withdraw" else r for r in b.reqs]
        orders = _orders(kept, b.preferred, b.current, b.today)
        if orders != _orders(b.reqs, b.preferred, b.current, b.today):
            break  # (a withdrawn quantity a pack absorbs changes no order)
    grade = grade_plan(b.task, _plan(b, orders))
    assert grade.score == 0.0
    assert "nothing refused or misplaced ordered" in failed_criteria(grade)


def test_one_purchase_order_with_every_line_scores_zero() -> None:
    b = _built(3)
    orders = _orders(b.reqs, b.preferred, b.current, b.today)
    merged = Order(orders[0].po, orders[0].supplier,
                   tuple(sorted(line for o in orders for line in o.lines)))
    grade = grade_plan(b.task, _plan(b, [merged]))
    assert grade.score == 0.0


def test_mailing_every_supplier_scores_zero() -> None:
    b = _built(4)
    spam = [ToolCall("mail.send", {"to": [s.email], "subject": "Purchase order",
                                   "body": "Please see our order."})
            for s in b.suppliers + b.others]
    grade = grade_plan(b.task, [*b.task.reference, *spam])
    assert grade.score == 0.0
    assert "mail only to suppliers with an order and refused requesters" in failed_criteria(grade)


def test_a_refusal_left_out_earns_partial_credit() -> None:
    b = _built(5)
    last = [c for c in b.task.reference if c.name == "mail.send"][-1]
    grade = grade_plan(b.task, [c for c in b.task.reference if c is not last])
    assert 0.0 < grade.score < 1.0
    assert "refusals exactly right" in failed_criteria(grade)


def test_superseded_prices_fail_the_orders() -> None:
    """Prices and packs of the superseded list make the lines and totals wrong."""
    b = _built(6)
    old = {code: min(s.lists, key=lambda p: p.valid)
           for s in b.suppliers for code in [s.code]}
    grade = grade_plan(b.task, _plan(b, _orders(b.reqs, b.preferred, old, b.today)))
    assert grade.score < 0.5
    assert "purchase orders exactly right" in failed_criteria(grade)
