"""shopping/order-return: the contract, the browser surface against the API, and the wrong
answers the grader must refuse."""

from dataclasses import replace

import pytest
from family_checks import (
    assert_adversaries_fail,
    assert_meets_contract,
    assert_surfaces_agree,
    make_task,
    unmet_criteria,
)

from workgym.apps.shop import ShopStore
from workgym.core import Grade, Task, ToolCall, run_plan
from workgym.families.shopping.order_return import OrderReturn

FAMILY = "shopping/order-return-v1"


def _grade(task: Task, plan: list[ToolCall]) -> tuple[Grade, ShopStore]:
    with run_plan(task, plan) as episode:
        assert all(c.ok for c in episode.calls), [c.output for c in episode.calls if not c.ok]
        shop = episode.world.stores["shop"]
        assert isinstance(shop, ShopStore)
        return episode.grade(), shop.model_copy(deep=True)


def _shop(task: Task) -> ShopStore:
    store = task.template.stores["shop"]
    assert isinstance(store, ShopStore)
    return store


def _replace_returns(task: Task, change) -> list[ToolCall]:
    return [replace(c, args=change(dict(c.args))) if c.name == "shop.create_return" else c
            for c in task.reference]


@pytest.mark.slow
def test_shopping_order_return_meets_the_contract() -> None:
    assert_meets_contract(OrderReturn())


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_the_browser_reference_leaves_the_store_the_api_leaves(difficulty: str) -> None:
    api_shop, _ = assert_surfaces_agree(FAMILY, "shop", difficulty)
    assert api_shop.returns


@pytest.mark.slow
def test_the_adversaries_fail_on_the_browser_surface() -> None:
    assert_adversaries_fail(FAMILY, variant="browser")


def test_returning_an_article_the_policy_keeps_fails() -> None:
    for seed in range(10):
        task = make_task(FAMILY, seed, "hard")
        shop, body = _shop(task), task.reference[-1].args["body"]
        kept = [x.split(": ")[1] for x in body.splitlines() if x.startswith("Not returned: ")]
        mine = {c.args["order_id"] for c in task.reference if c.name == "shop.create_return"}
        # an article the shop itself accepts (not final sale, window open) but the policy keeps
        for order in (shop.order(o) for o in mine):
            assert order is not None
            line = next((x for x in order.lines if x.sku in kept), None)
            product = shop.product(line.sku) if line else None
            if line is None or product is None or not product.returnable:
                continue
            extra = ToolCall("shop.create_return", {"order_id": order.id, "items": [
                {"line": line.line, "quantity": line.quantity}], "reason": "wrong_size"})
            plan = [*task.reference[:-1], extra, task.reference[-1]]
            with run_plan(task, plan) as episode:
                grade = episode.grade()
            assert not grade.passed
            assert {"returns exactly right",
                    "one return per order and reason"} <= unmet_criteria(grade)
            return
    pytest.fail("no seed keeps an article the shop would accept")


def test_a_wrong_reason_fails() -> None:
    task = make_task(FAMILY, 2, "hard")
    swap = {"damaged": "defective", "defective": "damaged", "wrong_item": "not_as_described",
            "wrong_size": "no_longer_needed", "no_longer_needed": "wrong_size"}
    first = next(c for c in task.reference if c.name == "shop.create_return")

    def change(args: dict) -> dict:
        if args == first.args:
            args["reason"] = swap[args["reason"]]
        return args

    grade, _ = _grade(task, _replace_returns(task, change))
    assert not grade.passed and "returns exactly right" in unmet_criteria(grade)


def test_returning_every_unit_instead_of_the_one_asked_fails() -> None:
    task = make_task(FAMILY, 0, "medium")
    shop = _shop(task)

    def change(args: dict) -> dict:
        order = shop.order(args["order_id"])
        assert order is not None
        bought = {x.line: x.quantity for x in order.lines}
        args["items"] = [{**i, "quantity": bought[i["line"]]} for i in args["items"]]
        return args

    grade, _ = _grade(task, _replace_returns(task, change))
    assert not grade.passed and "returns exactly right" in unmet_criteria(grade)


def test_the_other_refund_method_fails() -> None:
    task = make_task(FAMILY, 3, "hard")

    def change(args: dict) -> dict:
        args["refund_method"] = ("store_credit" if args["refund_method"] == "original_payment"
                                 else "original_payment")
        return args

    grade, _ = _grade(task, _replace_returns(task, change))
    assert unmet_criteria(grade) >= {"refund method as asked"}
    assert "returns exactly right" not in unmet_criteria(grade)


@pytest.mark.parametrize("edit", ["total", "kept-all", "ids"])
def test_a_confirmation_that_is_not_right_fails(edit: str) -> None:
    task = make_task(FAMILY, 4, "hard")
    send = task.reference[-1]
    body = send.args["body"]
    lines = body.splitlines()
    if edit == "total":
        total = next(x for x in lines if x.startswith("Total refund: "))
        amount, cur = total.removeprefix("Total refund: ").split()
        cents = round(float(amount) * 100) + 1
        body = body.replace(total, f"Total refund: {cents // 100}.{cents % 100:02d} {cur}")
        expected = "total refund"
    elif edit == "kept-all":
        every = sorted({line.sku for o in _shop(task).orders for line in o.lines})
        body += "\n" + "\n".join(f"Not returned: {s}" for s in every)
        expected = "not-returned SKUs"
    else:
        body = body.replace("Return R-0001:", "Return R-0009:")
        expected = "confirmation lists each return"
    plan = [*task.reference[:-1], replace(send, args={**send.args, "body": body})]
    grade, _ = _grade(task, plan)
    assert not grade.passed and expected in unmet_criteria(grade)
