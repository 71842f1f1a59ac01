"""hr/payroll-timesheets: the contract, then the wrong answers the grader must refuse."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from family_checks import assert_meets_contract, grade_plan, make_task, unmet_criteria

from workgym.content.people import Person
from workgym.core import Task, ToolCall, run_plan
from workgym.families.hr.payroll_timesheets import PayrollTimesheets, Staff

FAMILY = "hr/payroll-timesheets-v1"


def _edit(plan: list[ToolCall], name: str, change: dict[str, object], nth: int = 0) -> list[ToolCall]:
    """The plan with the ``nth`` call to ``name`` given other arguments."""
    out, seen = [], 0
    for call in plan:
        if call.name == name:
            if seen == nth:
                call = replace(call, args={**call.args, **change})
            seen += 1
        out.append(call)
    return out


@pytest.mark.slow
def test_hr_payroll_timesheets_meets_the_contract() -> None:
    assert_meets_contract(PayrollTimesheets())


@pytest.mark.parametrize(("difficulty", "richness"), [("easy", 0.0), ("hard", 1.0)])
def test_the_reference_scores_full_marks(difficulty: str, richness: float) -> None:
    task = make_task(FAMILY, 3, difficulty, richness)
    assert grade_plan(task, list(task.reference)).score == 1.0


def test_one_amount_a_cent_off_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 1, "hard")
    plan = list(task.reference)
    first = next(c for c in plan if c.name == "payments.transfer")
    wrong = f"{Decimal(str(first.args['amount'])) + Decimal('0.01'):.2f}"
    grade = grade_plan(task, _edit(plan, "payments.transfer", {"amount": wrong}))
    assert grade.score == 0.0
    assert any(n.startswith("every payment right") for n in unmet_criteria(grade))


def test_paying_everyone_the_same_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 2, "hard")
    plan = [replace(c, args={**c.args, "amount": "3000.00"}) if c.name == "payments.transfer"
            else c for c in task.reference]
    assert grade_plan(task, plan).score == 0.0


def test_paying_the_old_payee_of_a_changed_bank_fails() -> None:
    task = make_task(FAMILY, 4, "hard")
    with run_plan(task, []) as episode:
        payees = episode.call("payments.list_payees", {}).value
    old = {p["name"]: p["id"] for p in payees}
    added = [c.args["name"] for c in task.reference if c.name == "payments.add_payee"]
    instead = {f"PAY-{len(payees) + n:03d}": old[name] for n, name in enumerate(added, 1)}
    plan = [replace(c, args={**c.args, "payee_id": instead.get(c.args["payee_id"],
                                                                c.args["payee_id"])})
            if c.name == "payments.transfer" else c
            for c in task.reference if c.name != "payments.add_payee"]
    grade = grade_plan(task, plan)
    assert grade.score == 0.0
    assert any(n.startswith("payment ") for n in unmet_criteria(grade))


def test_mailing_anyone_but_the_managers_zeroes_the_grade() -> None:
    task = make_task(FAMILY, 5, "hard")
    plan = list(task.reference)
    sent = next(c for c in plan if c.name == "mail.send")
    employee = next(c for c in plan if c.name == "hr.get_employee")
    with run_plan(task, []) as episode:
        address = episode.call("hr.get_employee", employee.args).value["email"]
    grade = grade_plan(task, _edit(plan, "mail.send", {"to": [*sent.args["to"], address]}))
    assert grade.score == 0.0
    assert "mail only to managers with exceptions" in unmet_criteria(grade)


def test_a_wrong_payroll_row_costs_its_credit_and_one_more() -> None:
    task = make_task(FAMILY, 6, "hard")
    plan = list(task.reference)
    rows = next(c for c in plan if c.name == "sheets.append_rows").args["rows"]
    wrong = [list(r) for r in rows]
    wrong[0][3] = f"{Decimal(wrong[0][3]) - 1:.2f}"
    grade = grade_plan(task, _edit(plan, "sheets.append_rows", {"rows": wrong}))
    failed = unmet_criteria(grade)
    assert f"payroll row {rows[0][0]}" in failed  # precision-aware: the wrong row costs
    assert len(failed) == 2 and all(n.startswith("payroll row") for n in failed)  # one more
    assert 0 < grade.score < 1


def test_exception_lines_to_the_wrong_manager_do_not_count() -> None:
    task = make_task(FAMILY, 7, "hard")
    plan = list(task.reference)
    mails = [c for c in plan if c.name == "mail.send"]
    assert len(mails) >= 2
    swapped = [replace(c, args={**c.args, "to": mails[(n + 1) % len(mails)].args["to"]})
               if c.name == "mail.send" else c
               for n, c in ((mails.index(c) if c in mails else 0, c) for c in plan)]
    grade = grade_plan(task, swapped)
    assert all(c.passed is False for c in grade.criteria if c.name.startswith("exception "))


def test_staff_payee_ids_do_not_move_with_richness() -> None:
    plain, rich = make_task(FAMILY, 8, "hard", 0.0), make_task(FAMILY, 8, "hard", 1.0)

    def paid(task: Task) -> list[tuple[object, object]]:
        return [(c.args["payee_id"], c.args["amount"]) for c in task.reference
                if c.name == "payments.transfer"]

    assert paid(plain) == paid(rich)
    assert [c.name for c in plain.criteria] == [c.name for c in rich.criteria]


def test_the_pay_rules_on_a_week_worked_out_by_hand() -> None:
    start = date(2026, 3, 2)
    person = Person("Ada", "Kern", "ada.kern@staff.example")
    s = Staff("E-009", person, person, Decimal("20.00"), 32, Decimal("1.50"), "DE00")
    # Monday paid leave (6.40 h), Tuesday unpaid, 30 h worked from Wednesday to Saturday
    s.hours = [[Decimal(0), Decimal(0), Decimal(8), Decimal(8), Decimal(9), Decimal(5),
                Decimal(0)]]
    s.paid_days, s.unpaid_days = {start}, {start + timedelta(days=1)}
    assert s.pay(start, {}) == (Decimal("32.00"), Decimal("4.40"), Decimal("772.00"))
    # a correction of Friday to 7 hours: 34.40 h, 2.40 of them overtime
    fixed = {("E-009", start + timedelta(days=4)): Decimal(7)}
    assert s.pay(start, fixed) == (Decimal("32.00"), Decimal("2.40"), Decimal("712.00"))
