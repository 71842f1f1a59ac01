"""ecommerce/inventory-restock: the contract, then the family's own wrong-answer tests."""

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
    make_task,
    passed_criteria,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.core import Task, ToolCall
from workgym.families.ecommerce.inventory_restock import InventoryRestock

FAMILY = "ecommerce/inventory-restock-v1"


def _sends(task: Task) -> list[ToolCall]:
    return [c for c in task.reference if c.name == "mail.send"]


@pytest.mark.slow
def test_ecommerce_inventory_restock_meets_the_contract() -> None:
    assert_meets_contract(InventoryRestock())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    assert_reference_solves(make_task(FAMILY, 1, difficulty, 1.0))


def test_one_supplier_left_out_earns_partial_credit() -> None:
    task = make_task(FAMILY, 2, "hard")
    first = _sends(task)[0]
    grade = grade_plan(task, [c for c in task.reference if c is not first])
    assert 0.0 < grade.score < 1.0
    assert "orders are exactly the reorders" in failed_criteria(grade)
    assert len(passed_criteria(grade, "ordered ")) == len(
        [c for c in task.criteria if c.name.startswith("ordered ")]) - len(
        [line for line in first.args["body"].splitlines() if " x " in line])


def test_ordering_every_article_from_every_supplier_earns_no_order_credit() -> None:
    """Shotgun: a line for every article in every price list, to every supplier."""
    task = make_task(FAMILY, 3, "hard")
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
    grade = grade_plan(task, plan)
    assert len(passed_criteria(grade, "ordered ")) == 0
    assert not grade.passed


def test_naive_low_stock_rule_misses_the_answer() -> None:
    """The side channel: ordering what shows stock at or below its level (before bookings,
    ignoring open orders) is not the answer; the reorders differ from that set."""
    for seed in range(4):
        task = make_task(FAMILY, seed, "hard")
        with task.start() as episode:
            naive = set()
            for p in episode.call("shop.search_products", {"limit": 100}).value["results"]:
                level = episode.call("shop.get_product", {"sku": p["sku"]}).value
                if p["stock"] <= level["reorder_level"]:
                    naive.add(p["sku"])
        wanted = {c.name.split()[1] for c in task.criteria if c.name.startswith("ordered ")}
        assert naive - wanted and wanted - naive, (seed, naive, wanted)


def test_booking_a_dispatch_notice_or_twice_costs_credit() -> None:
    task = make_task(FAMILY, 4, "medium")
    restock = next(c for c in task.reference if c.name == "shop.restock")
    grade = grade_plan(task, [*task.reference, restock])
    assert not grade.passed
    assert any(n.startswith("booked ") for n in failed_criteria(grade))


def test_editing_a_price_list_zeroes_the_score() -> None:
    task = make_task(FAMILY, 5, "easy")
    sheet = next(c.args["path"] for c in task.reference
                 if c.name == "sheets.read_range" and c.args["path"] != "suppliers/suppliers.xlsx")
    edit = ToolCall("sheets.write_cells", {"path": sheet, "sheet": "Prices", "cells": {"C2": 0.01}})
    grade = grade_plan(task, [*task.reference, edit])
    assert grade.score == 0.0
    assert "price lists, mails, orders and past stock moves untouched" in failed_criteria(grade)


def test_mail_to_another_supplier_zeroes_the_score() -> None:
    task = make_task(FAMILY, 6, "medium")
    send = _sends(task)[0]
    stranger = ToolCall("mail.send", {"to": ["sales@elsewhere.example"], "subject": "Hi",
                                      "body": "Hello"})
    grade = grade_plan(task, [*task.reference, stranger])
    assert grade.score == 0.0 and send.args["to"]


def test_richness_keeps_the_answer() -> None:
    for seed in range(3):
        bare, rich = make_task(FAMILY, seed, "hard", 0.0), make_task(FAMILY, seed, "hard", 1.0)
        assert [c.name for c in bare.criteria] == [c.name for c in rich.criteria]
        assert [c.args for c in _sends(bare)] == [c.args for c in _sends(rich)]
        assert len(rich.template.stores["mail"].messages) > len(
            bare.template.stores["mail"].messages)
