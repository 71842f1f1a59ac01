"""ecommerce/inventory-restock: the contract, then the family's own wrong-answer tests."""

import pytest

import workgym  # noqa: F401  (registers apps and families)
from workgym.checks import check_family
from workgym.core import Grade, Task, ToolCall, make, run_plan
from workgym.families.ecommerce.inventory_restock import InventoryRestock

FAMILY = "ecommerce/inventory-restock-v1"


def _task(seed: int = 0, difficulty: str = "medium", richness: float = 0.5) -> Task:
    return make(FAMILY, seed=seed, difficulty=difficulty, richness=richness)  # type: ignore[arg-type]


def _grade(task: Task, plan: list[ToolCall]) -> Grade:
    with run_plan(task, plan) as episode:
        assert all(c.ok for c in episode.calls), [c.output for c in episode.calls if not c.ok]
        return episode.grade()


def _failed(grade: Grade) -> set[str]:
    return {c.name for c in grade.criteria if c.passed is False}


def _passed(grade: Grade, prefix: str) -> int:
    return sum(1 for c in grade.criteria if c.passed and c.name.startswith(prefix))


def _sends(task: Task) -> list[ToolCall]:
    return [c for c in task.reference if c.name == "mail.send"]


@pytest.mark.slow
def test_ecommerce_inventory_restock_meets_the_contract() -> None:
    report = check_family(InventoryRestock(), seeds=10, raise_on_failure=False)
    assert report.ok, "\n".join(report.failures)


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    task = _task(1, difficulty, 1.0)
    grade = _grade(task, list(task.reference))
    assert grade.passed and grade.score == 1.0, _failed(grade)


def test_one_supplier_left_out_earns_partial_credit() -> None:
    task = _task(2, "hard")
    first = _sends(task)[0]
    grade = _grade(task, [c for c in task.reference if c is not first])
    assert 0.0 < grade.score < 1.0
    assert "orders are exactly the reorders" in _failed(grade)
    assert _passed(grade, "ordered ") == len(
        [c for c in task.criteria if c.name.startswith("ordered ")]) - len(
        [line for line in first.args["body"].splitlines() if " x " in line])


def test_ordering_every_article_from_every_supplier_earns_no_order_credit() -> None:
    """Shotgun: a line for every article in every price list, to every supplier."""
    task = _task(3, "hard")
    with task.start() as episode:
        index = episode.call("sheets.read_range", {"path": "suppliers/suppliers.xlsx"}).value
        emails = [row["values"][1] for row in index["rows"][1:]]
        skus = [p["sku"] for p in episode.call("shop.search_products",
                                               {"limit": 100}).value["results"]]
    ordered = {line.split()[0]: line for c in _sends(task) for line in
               c.args["body"].splitlines() if " x " in line}
    lines = [ordered.get(sku, f"{sku} x 10 @ 9.99") for sku in skus]
    plan = [c for c in task.reference if c.name != "mail.send"]
    plan += [ToolCall("mail.send", {"to": [e], "subject": "Purchase order",
                                    "body": "\n".join(lines)}) for e in emails]
    grade = _grade(task, plan)
    assert _passed(grade, "ordered ") == 0
    assert not grade.passed


def test_naive_low_stock_rule_misses_the_answer() -> None:
    """The side channel: ordering what shows stock at or below its level (before bookings,
    ignoring open orders) is not the answer; the reorders differ from that set."""
    for seed in range(4):
        task = _task(seed, "hard")
        with task.start() as episode:
            naive = set()
            for p in episode.call("shop.search_products", {"limit": 100}).value["results"]:
                level = episode.call("shop.get_product", {"sku": p["sku"]}).value
                if p["stock"] <= level["reorder_level"]:
                    naive.add(p["sku"])
        wanted = {c.name.split()[1] for c in task.criteria if c.name.startswith("ordered ")}
        assert naive - wanted and wanted - naive, (seed, naive, wanted)


def test_booking_a_dispatch_notice_or_twice_costs_credit() -> None:
    task = _task(4, "medium")
    restock = next(c for c in task.reference if c.name == "shop.restock")
    grade = _grade(task, [*task.reference, restock])
    assert not grade.passed
    assert any(n.startswith("booked ") for n in _failed(grade))


def test_editing_a_price_list_zeroes_the_score() -> None:
    task = _task(5, "easy")
    sheet = next(c.args["path"] for c in task.reference
                 if c.name == "sheets.read_range" and c.args["path"] != "suppliers/suppliers.xlsx")
    edit = ToolCall("sheets.write_cells", {"path": sheet, "sheet": "Prices", "cells": {"C2": 0.01}})
    grade = _grade(task, [*task.reference, edit])
    assert grade.score == 0.0
    assert "price lists, mails, orders and past stock moves untouched" in _failed(grade)


def test_mail_to_another_supplier_zeroes_the_score() -> None:
    task = _task(6, "medium")
    send = _sends(task)[0]
    stranger = ToolCall("mail.send", {"to": ["sales@elsewhere.example"], "subject": "Hi",
                                      "body": "Hello"})
    grade = _grade(task, [*task.reference, stranger])
    assert grade.score == 0.0 and send.args["to"]


def test_richness_keeps_the_answer() -> None:
    for seed in range(3):
        bare, rich = _task(seed, "hard", 0.0), _task(seed, "hard", 1.0)
        assert [c.name for c in bare.criteria] == [c.name for c in rich.criteria]
        assert [c.args for c in _sends(bare)] == [c.args for c in _sends(rich)]
        assert len(rich.template.stores["mail"].messages) > len(
            bare.template.stores["mail"].messages)
