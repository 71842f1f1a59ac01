"""finance/accounts-payable: the contract, then the family's own wrong-answer tests."""

from decimal import Decimal
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
from workgym.apps.pdf import read_pdf
from workgym.core import Task, ToolCall
from workgym.families.finance.accounts_payable import AccountsPayable

FAMILY = "finance/accounts-payable-v1"


def _calls(task: Task, name: str) -> list[ToolCall]:
    return [c for c in task.reference if c.name == name]


def _replace(task: Task, old: ToolCall, new: ToolCall | None) -> list[ToolCall]:
    plan = [new if c is old else c for c in task.reference]
    return [c for c in plan if c is not None]


@pytest.mark.slow
def test_finance_accounts_payable_meets_the_contract() -> None:
    assert_meets_contract(AccountsPayable())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness))
    assert len(make_task(FAMILY, 2, "hard").reference) >= 25


def test_invoice_pdfs_print_what_the_reference_pays() -> None:
    """Each payment's amount and reference can be read off its invoice PDF."""
    task = make_task(FAMILY, 5, "hard")
    for call in _calls(task, "payments.transfer"):
        number, amount = call.args["reference"], Decimal(call.args["amount"])
        text = "\n".join(read_pdf(task.template.files[f"invoices/{number}.pdf"]))
        assert f"Invoice number: {number}" in text
        assert f"Total due  EUR {amount:,.2f}" in text


def test_paying_every_invoice_fails() -> None:
    task = make_task(FAMILY, 3, "hard")
    accounts = _calls(task, "payments.transfer")[0].args["from_account"]
    extra = []
    for call in _calls(task, "mail.send"):
        number = call.args["subject"].split()[1]
        row = next(r for r in _calls(task, "sheets.append_rows")[0].args["rows"]
                   if r[0] == number)
        extra.append(number)
        assert row[2] == "Dispute"
    assert extra
    grade = grade_plan(task, [c for c in task.reference if c.name != "mail.send"])
    assert not grade.passed
    plan = list(task.reference)
    with task.start() as episode:
        payees = {p["name"]: p["id"] for p in episode.call("payments.list_payees", {}).value}
    rows = {r[0]: r for r in _calls(task, "sheets.append_rows")[0].args["rows"]}
    plan += [ToolCall("payments.transfer", {"from_account": accounts,
                                            "payee_id": payees[rows[n][1]],
                                            "amount": f"{rows[n][3]:.2f}", "reference": n})
             for n in extra]
    grade = grade_plan(task, plan)
    assert not grade.passed
    assert "payments are exactly the matching invoices" in failed_criteria(grade)


@pytest.mark.parametrize("change", ["reason", "two invoices", "account", "amount", "payee"])
def test_one_wrong_decision_fails(change: str) -> None:
    task = make_task(FAMILY, 4, "hard")
    if change in ("reason", "two invoices"):
        old = _calls(task, "mail.send")[0]
        body = old.args["body"]
        if change == "reason":
            reason = next(line for line in body.splitlines() if line.startswith("Reason:"))
            other = "price above PO" if "price" not in reason else "unknown PO"
            body = body.replace(reason, f"Reason: {other}")
        else:
            body += "\nInvoice: XYZ-0000"
        new = ToolCall("mail.send", {**old.args, "body": body})
    else:
        old = _calls(task, "payments.transfer")[0]
        args: dict[str, Any] = dict(old.args)
        if change == "account":
            args["from_account"] = "ACC-01" if args["from_account"] != "ACC-01" else "ACC-02"
        elif change == "amount":
            args["amount"] = f"{Decimal(args['amount']) + Decimal('0.01')}"
        else:
            payees = sorted({c.args["payee_id"] for c in _calls(task, "payments.transfer")})
            args["payee_id"] = next(p for p in payees if p != args["payee_id"])
        new = ToolCall("payments.transfer", args)
    grade = grade_plan(task, _replace(task, old, new))
    assert not grade.passed
    assert grade.score < 1.0


def test_a_log_row_with_the_wrong_decision_fails() -> None:
    task = make_task(FAMILY, 6, "medium")
    old = _calls(task, "sheets.append_rows")[0]
    rows = [list(r) for r in old.args["rows"]]
    rows[0][2] = "Dispute" if rows[0][2] == "Pay" else "Pay"
    grade = grade_plan(task, _replace(task, old, ToolCall(old.name, {**old.args, "rows": rows})))
    assert not grade.passed
    assert "log is exactly the decisions" in failed_criteria(grade)


def test_editing_the_orders_zeroes_the_score() -> None:
    task = make_task(FAMILY, 7, "easy")
    edit = ToolCall("sheets.write_cells", {"path": "purchasing/purchase-orders.xlsx",
                                           "sheet": "Lines", "cells": {"E2": 999}})
    grade = grade_plan(task, [*task.reference, edit])
    assert grade.score == 0.0
    assert "invoices, orders, receipts and mails untouched" in failed_criteria(grade)


def test_disputes_match_the_policy_and_the_sheets() -> None:
    """Recompute every decision from the world's own files: the generator's answer is the
    three-way match, with the tolerance the latest policy mail states."""
    import io
    import re

    from openpyxl import load_workbook

    for seed in range(4):
        task = make_task(FAMILY, seed, "hard", 1.0)
        files = task.template.files
        orders = list(load_workbook(io.BytesIO(files["purchasing/purchase-orders.xlsx"]))
                      ["Lines"].iter_rows(min_row=2, values_only=True))
        got = list(load_workbook(io.BytesIO(files["warehouse/goods-receipts.xlsx"]))
                   ["Receipts"].iter_rows(min_row=2, values_only=True))
        with task.start() as episode:
            policy = episode.call("mail.read", dict(_calls(task, "mail.read")[0].args)).value
        found = re.search(r"up to (\d+)%", policy["body"])
        tolerance = Decimal(found.group(1)) if found else Decimal(0)
        decisions = {r[0]: (r[2], r[4]) for r in _calls(task, "sheets.append_rows")[0]
                     .args["rows"]}
        for number, (decision, reason) in decisions.items():
            text = read_pdf(files[f"invoices/{number}.pdf"])
            lines = "\n".join(text).splitlines()
            supplier, po = lines[2], next(x.split(": ")[1] for x in lines
                                          if x.startswith("Your purchase order"))
            mine = {o[2]: o for o in orders if o[0] == po and o[1] == supplier}
            want = ""
            billed = [x.split("  ") for x in lines if re.match(r"^[A-Z]+-\d{3}  ", x)]
            if not mine:
                want = "unknown PO"
            elif any(int(b[2]) > sum(g[4] for g in got if g[2] == po and g[3] == b[0])
                     for b in billed):
                want = "quantity not received"
            elif any(Decimal(b[3].removeprefix("EUR ").replace(",", "")) >
                     Decimal(str(mine[b[0]][5])) * (1 + tolerance / 100) for b in billed):
                want = "price above PO"
            assert (decision, reason) == ("Dispute" if want else "Pay", want), number
