"""procurement/vendor-comparison: the contract, then the family's own wrong-answer tests."""

from typing import Any

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
from workgym.families.procurement.vendor_comparison import VendorComparison

FAMILY = "procurement/vendor-comparison-v1"


def _call(task: Task, name: str) -> ToolCall:
    return next(c for c in task.reference if c.name == name)


def _offers(task: Task) -> list[dict[str, Any]]:
    """Every offer on the marketplace, as its listing shows it."""
    shop = task.template.stores["shop"]
    return [{"sku": p.sku, "category": p.category, "price": p.price_cents,
             "vendor": p.description.split(".")[0].removeprefix("Sold by ")}
            for p in shop.products]


def _with(task: Task, old: ToolCall, new: ToolCall) -> list[ToolCall]:
    return [new if c is old else c for c in task.reference]


@pytest.mark.slow
def test_procurement_vendor_comparison_meets_the_contract() -> None:
    assert_meets_contract(VendorComparison())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    assert_reference_solves(make_task(FAMILY, 1, difficulty, 1.0))


def test_the_comparison_without_the_mail_earns_partial_credit() -> None:
    task = make_task(FAMILY, 2, "hard")
    grade = grade_plan(task, [c for c in task.reference if c.name != "mail.send"])
    assert 0.0 < grade.score < 1.0
    assert len(passed_criteria(grade, "compliant ")) == sum(
        1 for c in task.criteria if c.name.startswith("compliant "))
    assert len(passed_criteria(grade, "recommended ")) == 0


def test_listing_every_offer_earns_no_row_credit() -> None:
    """Shotgun: every offer on the marketplace as a compliant row."""
    task = make_task(FAMILY, 3, "hard")
    old = _call(task, "sheets.append_rows")
    right = {r[1]: r for r in old.args["rows"]}
    rows = [right.get(o["sku"], [o["category"], o["sku"], o["vendor"], o["price"] / 100,
                                 o["price"] / 10]) for o in _offers(task)]
    grade = grade_plan(task, _with(task, old, ToolCall(old.name, {**old.args, "rows": rows})))
    assert len(passed_criteria(grade, "compliant ")) == 0
    assert "comparison is exactly the compliant offers" in failed_criteria(grade)


@pytest.mark.parametrize("seed", range(4))
def test_the_cheapest_offer_of_a_category_is_never_the_answer(seed: int) -> None:
    """What stands out in the listing (the lowest price) fails a condition; recommending
    it per category earns nothing for those categories."""
    task = make_task(FAMILY, seed, "hard")
    old = _call(task, "mail.send")
    lines = [line for line in old.args["body"].splitlines() if ": " in line]
    cheapest = {}
    for o in sorted(_offers(task), key=lambda o: o["price"]):
        cheapest.setdefault(o["category"], o["sku"])
    picked = [f"{line.split(':')[0]}: {cheapest[line.split(':')[0]]}" for line in lines
              if not line.startswith(("Total", "Hi "))]
    assert all(p not in lines for p in picked)
    body = "\n".join(picked)
    grade = grade_plan(task, _with(task, old, ToolCall(old.name, {**old.args, "body": body})))
    assert len(passed_criteria(grade, "recommended ")) == 0


def test_recalled_offers_are_not_compliant() -> None:
    task = make_task(FAMILY, 4, "hard")
    news = task.template.stores["search"].corpus
    names = {p.name: p.sku for p in task.template.stores["shop"].products}
    recalled = {names[d.title.split(" recalls the ")[1]] for d in news.documents
                if " recalls the " in d.title and d.title.split(" recalls the ")[1] in names}
    rows = {r[1] for r in _call(task, "sheets.append_rows").args["rows"]}
    assert recalled and not recalled & rows


def test_editing_the_vendor_list_zeroes_the_score() -> None:
    task = make_task(FAMILY, 5, "easy")
    edit = ToolCall("sheets.write_cells", {"path": "procurement/approved-vendors.xlsx",
                                           "sheet": "Vendors", "cells": {"B2": "Revoked"}})
    grade = grade_plan(task, [*task.reference, edit])
    assert grade.score == 0.0
    assert "vendor list, mails and marketplace untouched" in failed_criteria(grade)


def test_mail_to_a_vendor_zeroes_the_score() -> None:
    task = make_task(FAMILY, 6, "medium")
    other = ToolCall("mail.send", {"to": ["sales@vendor.example"], "subject": "Quote",
                                   "body": "Hello"})
    assert grade_plan(task, [*task.reference, other]).score == 0.0


def test_richness_keeps_the_answer() -> None:
    for seed in range(3):
        bare, rich = make_task(FAMILY, seed, "hard", 0.0), make_task(FAMILY, seed, "hard", 1.0)
        assert [c.name for c in bare.criteria] == [c.name for c in rich.criteria]
        assert _call(bare, "mail.send").args == _call(rich, "mail.send").args
        assert len(rich.template.stores["search"].corpus) > len(
            bare.template.stores["search"].corpus)


def test_prices_end_alike_for_compliant_and_other_offers() -> None:
    """The cents of a price must not tell a compliant offer from another."""
    ends: dict[bool, set[int]] = {True: set(), False: set()}
    for seed in range(12):
        task = make_task(FAMILY, seed, "hard")
        rows = {r[1] for r in _call(task, "sheets.append_rows").args["rows"]}
        for o in _offers(task):
            ends[o["sku"] in rows].add(int(o["price"]) % 100)
    assert ends[True] == ends[False] == {0, 50, 99}
