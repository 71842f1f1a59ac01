"""logistics/shipment-tracking: the contract, then the family's own wrong-answer tests."""

import re
from datetime import date

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
from workgym.families.logistics.shipment_tracking import (
    CLAIMS,
    OPEN_SQL,
    SHEET,
    ShipmentTracking,
    business_days_after,
)

FAMILY = "logistics/shipment-tracking-v1"


def _wanted(task: Task, prefix: str) -> set[str]:
    return {c.name.split()[1] for c in task.criteria if c.name.startswith(prefix)}


def _sends(task: Task) -> list[ToolCall]:
    return [c for c in task.reference if c.name == "mail.send"]


def _without(task: Task, names: tuple[str, ...]) -> list[ToolCall]:
    return [c for c in task.reference if c.name not in names]


def _seen(task: Task) -> dict[str, object]:
    """What an agent reads: the open shipments, their tracking pages and the latest rule."""
    rule_id = next(c.args["message_id"] for c in task.reference if c.name == "mail.read")
    with task.start() as episode:
        rows = episode.call("db.query", {"sql": OPEN_SQL}).value["rows"]
        urls = {r[0]: r[2] for r in episode.call(
            "db.query", {"sql": "SELECT * FROM carriers"}).value["rows"]}
        rule = episode.call("mail.read", {"message_id": rule_id}).value["body"]
        emails = [r[4] for r in episode.call(
            "db.query", {"sql": "SELECT * FROM customers"}).value["rows"]]
        pages = {}
        for sid, carrier, number, *_ in rows:
            url = urls[carrier].replace("<tracking number>", number)
            pages[sid] = episode.call("browser.navigate", {"url": url}).value
    grace = {}
    for level in ("Standard", "Priority"):
        found = re.search(rf"more than (\d+) business days? after the promised date for {level}",
                          rule)
        grace[level] = int(found.group(1)) if found else 0
    return {"rows": rows, "pages": pages, "grace": grace, "emails": emails}


def _fact(snapshot: str, label: str) -> str:
    found = re.search(rf'term "{label}": (\S+)', snapshot)
    return found.group(1) if found else ""


def _late(seen: dict[str, object], *, business: bool = True, tiers: bool = True,
          holds: bool = True) -> set[str]:
    """The late shipments under the rule, or under a careless reading of it."""
    late = set()
    grace: dict[str, int] = seen["grace"]  # type: ignore[assignment]
    for sid, _, _, _, promised, _, level, _ in seen["rows"]:  # type: ignore[attr-defined]
        page = seen["pages"][sid]  # type: ignore[index]
        eta = _fact(page, "Estimated delivery")
        if _fact(page, "Status") == "Delivered" or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", eta):
            continue
        if holds and "at the consignee's request" in page:
            continue
        start, end = date.fromisoformat(promised), date.fromisoformat(eta)
        days = business_days_after(start, end) if business else (end - start).days
        if days > grace[level if tiers else "Standard"]:
            late.add(sid)
    return late


@pytest.mark.slow
def test_logistics_shipment_tracking_meets_the_contract() -> None:
    assert_meets_contract(ShipmentTracking())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    assert_reference_solves(make_task(FAMILY, 1, difficulty, 1.0))


def test_the_answer_follows_from_the_pages_and_the_rule() -> None:
    """Read as an agent reads, the rule picks exactly the notified shipments, and the pages
    reporting a loss or damage are exactly the claimed ones."""
    for seed in range(2):
        task = make_task(FAMILY, seed, "hard")
        seen = _seen(task)
        assert _late(seen) == _wanted(task, "notice "), seed
        broken = {sid for sid, page in seen["pages"].items()  # type: ignore[attr-defined]
                  if "declared lost" in page or "Damaged in transit" in page}
        assert broken == _wanted(task, "claim "), seed


def test_careless_readings_of_the_rule_miss_the_answer() -> None:
    """Calendar days, one grace for every service level, or counting held parcels as late
    each give another set of shipments on every seed; a date past the promised one alone
    always lists more than the late ones."""
    for seed in range(2):
        task = make_task(FAMILY, seed, "hard")
        seen, wanted = _seen(task), _wanted(task, "notice ")
        assert _late(seen, business=False) != wanted, seed
        assert _late(seen, tiers=False) != wanted, seed
        assert _late(seen, holds=False) != wanted, seed
        past = _late({**seen, "grace": {"Standard": 0, "Priority": 0}}, holds=False)
        assert wanted < past, seed


def test_mailing_every_customer_zeroes_the_score() -> None:
    task = make_task(FAMILY, 2, "hard")
    emails = _seen(task)["emails"]
    body = _sends(task)[0].args["body"]
    plan = [*_without(task, ("mail.send",)), *(ToolCall("mail.send", {
        "to": [e], "subject": "Your shipments", "body": body}) for e in emails)]  # type: ignore[attr-defined]
    grade = grade_plan(task, plan)
    assert grade.score == 0.0
    assert "mail only to the customers with a late shipment" in failed_criteria(grade)


def test_claiming_every_open_shipment_zeroes_the_score() -> None:
    task = make_task(FAMILY, 3, "hard")
    append = next(c for c in task.reference if c.name == "sheets.append_rows")
    rows = [[sid, "SwiftParcel", number, "Lost", value]
            for sid, _, number, value, *_ in _seen(task)["rows"]]  # type: ignore[attr-defined]
    claimed = {r[0] for r in append.args["rows"]}
    rows = [r for r in rows if r[0] not in claimed] + append.args["rows"]
    plan = [*_without(task, ("sheets.append_rows",)), ToolCall("sheets.append_rows", {
        "path": CLAIMS, "sheet": SHEET, "rows": rows})]
    grade = grade_plan(task, plan)
    assert grade.score == 0.0
    assert "no claim for a shipment not lost or damaged" in failed_criteria(grade)


def test_listing_every_open_shipment_earns_no_notice_credit() -> None:
    """Each affected customer told of every open shipment: the wrong lines cancel all."""
    task = make_task(FAMILY, 4, "hard")
    seen = _seen(task)
    lines = [f"{sid}: {_fact(seen['pages'][sid], 'Estimated delivery')}"  # type: ignore[index]
             for sid, *_ in seen["rows"]]  # type: ignore[attr-defined]
    plan = [*_without(task, ("mail.send",)), *(ToolCall("mail.send", {
        "to": c.args["to"], "subject": "Delays", "body": "\n".join(lines)}) for c in _sends(task))]
    grade = grade_plan(task, plan)
    assert len(passed_criteria(grade, "notice ")) == 0
    assert "notices exactly the late shipments" in failed_criteria(grade)


def test_one_notice_left_out_earns_partial_credit() -> None:
    task = make_task(FAMILY, 5, "hard")
    first = _sends(task)[0]
    grade = grade_plan(task, [c for c in task.reference if c is not first])
    assert 0.0 < grade.score < 1.0
    assert {"notices exactly the late shipments",
            "one notice per customer"} <= failed_criteria(grade)


def test_a_wrong_claim_amount_costs_that_claim() -> None:
    task = make_task(FAMILY, 6, "medium")
    append = next(c for c in task.reference if c.name == "sheets.append_rows")
    rows = [list(r) for r in append.args["rows"]]
    rows[0][4] = round(rows[0][4] + 10, 2)
    plan = [ToolCall("sheets.append_rows", {**append.args, "rows": rows}) if c is append else c
            for c in task.reference]
    grade = grade_plan(task, plan)
    assert 0.0 < grade.score < 1.0
    assert f"claim {rows[0][0]}" in failed_criteria(grade)


def test_editing_an_earlier_claim_zeroes_the_score() -> None:
    task = make_task(FAMILY, 7, "easy")
    edit = ToolCall("sheets.write_cells", {"path": CLAIMS, "sheet": SHEET, "cells": {"E2": 1.0}})
    grade = grade_plan(task, [*task.reference, edit])
    assert grade.score == 0.0
    assert "earlier claims kept" in failed_criteria(grade)
