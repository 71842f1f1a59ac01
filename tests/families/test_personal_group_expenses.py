"""personal/group-expenses: the contract, then the family's own wrong-answer tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from family_checks import assert_meets_contract, make_task

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.contacts import ContactsStore
from workgym.apps.mail import MailStore
from workgym.apps.memory import MemoryStore
from workgym.apps.payments import PaymentsStore
from workgym.apps.sheets import load_workbook_bytes
from workgym.core import Grade, Task
from workgym.families.personal.group_expenses import (
    SHEET,
    GroupExpenses,
    _Cost,
    balances,
    shares,
)

FAMILY = "personal/group-expenses-v1"
T = TypeVar("T")


def _answer(task: Task) -> dict[str, Decimal]:
    """The balances the reference writes, by full name."""
    rows = next(c for c in task.reference if c.name == "sheets.append_rows").args["rows"]
    return {name: Decimal(str(value)).quantize(Decimal("0.01")) for name, value in rows[1:]}


def _store(task: Task, name: str, kind: type[T]) -> T:
    store = task.template.stores[name]
    assert isinstance(store, kind)
    return store


def _owner(task: Task) -> str:
    return _store(task, "payments", PaymentsStore).owner


def _book(task: Task) -> str:
    return next(iter(task.template.files))


def _settle(task: Task, balances: dict[str, Decimal], *, pay_all: bool = False,
            mail_all: bool = False, stale: bool = False, with_iban: bool = True) -> Grade:
    """Act on ``balances`` as an agent would: the sheet, a transfer to each friend owed
    money (to the contact's IBAN, or with ``stale`` to the first payee of that name), a
    request to each friend who owes."""
    owner = _owner(task)
    book = _book(task)
    with task.start() as ep:
        def call(tool: str, /, **args: Any) -> Any:
            result = ep.call(tool, args)
            assert result.ok, (tool, args, result.value)
            return result.value

        own = call("payments.list_accounts")["accounts"][0]["number"]
        call("sheets.add_sheet", path=book, name="Settlement")
        call("sheets.append_rows", path=book, sheet="Settlement",
             rows=[["Person", "Balance"], *([n, float(b)] for n, b in balances.items())])
        for name, balance in balances.items():
            if name == owner:
                continue
            card = call("contacts.get", person=name)
            if balance > 0 or pay_all:
                payees = call("payments.list_payees")
                ours = [p for p in payees if p["iban"].replace(" ", "") == card["iban"]]
                named = [p for p in payees if p["name"] == name]
                if stale and named:
                    payee = named[0]["id"]
                elif ours:
                    payee = ours[0]["id"]
                else:
                    payee = call("payments.add_payee", name=name, iban=card["iban"])["added"]
                call("payments.transfer", from_account="ACC-01", amount=f"{abs(balance):.2f}",
                     payee_id=payee, reference="trip")
            if balance < 0 or mail_all:
                body = f"Hi,\n\nAmount: EUR {abs(balance):.2f}\n"
                body += f"IBAN: {own}\n" if with_iban else ""
                call("mail.send", to=[card["email"]], subject="Settling up", body=body)
        return ep.grade()


def _even_split(task: Task) -> dict[str, Decimal]:
    """What a lazy policy computes: every logged amount and every receipt of the trip,
    shared by the whole group, corrections, absences and transfers ignored."""
    owner = _owner(task)
    plan = next(v for k, v in _store(task, "memory", MemoryStore).entries.items()
                if k.endswith("/plan") and k.split("/")[1] in _book(task))
    names = [owner, *plan.split("Group: me, ")[1].split(". ")[0].split(", ")]
    first = {n.split()[0]: n for n in names}
    paid = dict.fromkeys(names, Decimal(0))
    sheet = load_workbook_bytes(task.template.files[_book(task)])[SHEET]
    for row in list(sheet.iter_rows(values_only=True))[1:]:
        paid[first[row[2]]] += Decimal(str(row[3])).quantize(Decimal("0.01"))
    start, end = plan.split(", ")[1].split(".")[0].split(" to ")
    for message in _store(task, "mail", MailStore).messages:
        lines = message.body.splitlines()
        if not lines or not lines[0].startswith("Receipt no."):
            continue
        day = lines[1].removeprefix("Date: ")
        if start <= day <= end:
            total = next(x for x in lines if x.startswith("Total: EUR "))
            paid[owner] += Decimal(total.removeprefix("Total: EUR "))
    share = (sum(paid.values(), Decimal(0)) / len(names)).quantize(Decimal("0.01"))
    return {n: p - share for n, p in paid.items()}


@pytest.mark.slow
def test_personal_group_expenses_meets_the_contract() -> None:
    assert_meets_contract(GroupExpenses())


@pytest.mark.parametrize(("seed", "level"), [(0, "easy"), (1, "medium"), (2, "hard")])
def test_settling_the_right_balances_scores_one(seed: int, level: str) -> None:
    task = make_task(FAMILY, seed, level)
    grade = _settle(task, _answer(task))
    assert grade.passed and grade.score == 1.0, [c for c in grade.criteria if not c.passed]


@pytest.mark.parametrize(("seed", "level"), [(s, lv) for s in range(2)
                                             for lv in ("easy", "medium", "hard")])
def test_an_even_split_of_the_total_scores_nothing(seed: int, level: str) -> None:
    task = make_task(FAMILY, seed, level)
    naive = _even_split(task)
    assert naive != _answer(task)
    assert _settle(task, naive).score == 0.0


def test_paying_everyone_or_mailing_everyone_scores_nothing() -> None:
    task = make_task(FAMILY, 3, "hard")
    right = _answer(task)
    assert _settle(task, right, pay_all=True).score == 0.0
    assert _settle(task, right, mail_all=True).score == 0.0


def test_a_payee_with_an_old_iban_is_the_wrong_person() -> None:
    """A friend owed money whose payee on file holds an old IBAN: paying that payee
    zeroes the score (the contact card holds the current IBAN)."""
    for seed in range(40):
        task = make_task(FAMILY, seed, "hard", 0.0)
        owner = _owner(task)
        people = {p.name: p for p in _store(task, "contacts", ContactsStore).people}
        payees = _store(task, "payments", PaymentsStore).payees
        old = [n for n, b in _answer(task).items() if n != owner and b > 0
               and any(p.name == n for p in payees)
               and all(p.iban != people[n].iban for p in payees if p.name == n)]
        if old:
            break
    else:
        pytest.fail("no seed has a friend owed money with an old payee")
    assert _settle(task, _answer(task)).score == 1.0
    assert _settle(task, _answer(task), stale=True).score == 0.0


def test_a_wrong_amount_is_caught_exactly() -> None:
    task = make_task(FAMILY, 4, "medium")
    right = _answer(task)
    owner = _owner(task)
    creditor = next(n for n, b in right.items() if n != owner and b > 0)
    grade = _settle(task, {**right, creditor: right[creditor] + Decimal("0.01")})
    failed = {c.name for c in grade.criteria if not c.passed}
    assert {f"balance {creditor}", f"paid {creditor}",
            "payments are exactly what is owed"} <= failed
    assert 0.0 < grade.score < 1.0


def test_a_request_without_the_iban_earns_nothing_for_it() -> None:
    task = make_task(FAMILY, 5, "hard")
    grade = _settle(task, _answer(task), with_iban=False)
    failed = {c.name for c in grade.criteria if not c.passed}
    assert failed and all(name.startswith("requested ") for name in failed)


def test_richness_keeps_the_answer() -> None:
    lean, rich = make_task(FAMILY, 6, "hard", 0.0), make_task(FAMILY, 6, "hard", 1.0)
    assert _answer(lean) == _answer(rich)
    assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]


def test_the_balances_add_up_to_zero_and_both_sides_exist() -> None:
    for seed in range(6):
        answer = _answer(make_task(FAMILY, seed, "hard"))
        owner = _owner(make_task(FAMILY, seed, "hard"))
        assert sum(answer.values()) == 0
        friends = [b for n, b in answer.items() if n != owner]
        assert any(b > 0 for b in friends) and any(b < 0 for b in friends)


def test_shares_round_down_and_the_payer_takes_the_cents_left() -> None:
    cost = _Cost(date(2026, 5, 1), "Dinner", payer=2, logged=10000, amount=10000,
                 shared=(0, 1, 2), source="sheet")
    assert shares(cost) == {0: 3333, 1: 3333, 2: 3334}
    assert balances(3, [cost], [(1, 2, 500)]) == [-3333, -2833, 6166]
