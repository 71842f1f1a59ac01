"""hr/payroll-timesheets: close a four-week payroll period from the timesheet workbook,
the contracts and leave in the HR portal and the managers' corrections by mail.

Description:
    The payroll clerk closes period ``PP-<start>`` (four weeks, Monday to Sunday). Hours
    worked per day come from the sheet ``Hours`` of ``payroll/Timesheets PP-<start>.xlsx``
    (one row per employee and week, Monday to Sunday). Managers' mails correct single
    days (``<name> worked <h> hours on <date>``); a later mail may withdraw a correction
    or replace it with another value. The HR portal holds each contract (hourly rate,
    weekly hours, overtime multiplier, the IBAN salaries go to) and the leave: each
    weekday of approved annual or sick leave counts the contract's daily hours (weekly
    hours / 5); unpaid leave counts nothing; requested, rejected and cancelled leave
    count nothing either. Per week the hours beyond the contract's weekly hours are
    overtime, paid at the rate times the contract's multiplier; gross is rounded to the
    cent once per employee. The agent appends one row per employee to the sheet
    ``Payroll`` (Employee, Regular hours, Overtime hours, Gross), pays each gross from the
    payroll account to a payee holding the IBAN on the HR record (some payees still hold
    an old IBAN an old mail also gives), and mails each manager one line per report with
    overtime or unpaid leave in the period.

Apps:
    hr, sheets, mail, payments.

Criteria:
    - ``payroll row <id>``: the row (regular, overtime, gross); precision-aware.
    - ``payment <id>``: a transfer of the gross to the HR record's IBAN; precision-aware
      over every transfer made.
    - ``exception <id>``: the line ``<id>: overtime <h> h, unpaid leave <n> days`` in a
      mail to the employee's manager; precision-aware over every such line sent.
    - guard ``every payment right``: a transfer of a wrong amount, to a wrong IBAN or
      made twice zeroes the grade (money sent cannot be taken back).
    - guards: portal records, mails and payees unchanged; the
      sheet ``Hours`` unchanged; mail only to the managers with an exception; no other
      file changed.

Difficulty:
    Knobs set the teams, the reports per team, the corrections (and of them the ones
    withdrawn or replaced) and the employees whose bank changed. Reference calls: easy
    15, medium 20, hard 28. ``richness`` adds everyday mails and leave outside the
    period.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.hr import HrStore, LeaveKind, LeaveStatus
from workgym.apps.payments import PaymentsStore, iban
from workgym.apps.sheets import workbook_bytes
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.hr import TEAM_NAMES, holidays, week_hours
from workgym.content.mailbox import Mailbox
from workgym.content.meetings import long_date
from workgym.content.people import Person, directory, people
from workgym.content.prose import letter
from workgym.core import (
    Criterion,
    GradeContext,
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    WorldTemplate,
    register_family,
    rng_for,
)

DOMAIN = "staff.example"
WEEKS = 4
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PAYROLL_COLUMNS = ("Employee", "Regular hours", "Overtime hours", "Gross")
_CENT = Decimal("0.01")
_TRADES = ("Print", "Catering", "Office Supply", "Cleaning")
_LINE = re.compile(r"(E-\d{3}): overtime (\d{1,4}\.\d{2}) h, unpaid leave (\d{1,3}) days?")


class Knobs(BaseModel, frozen=True):
    teams: int
    """Teams on the payroll, each with its own manager."""
    per_team: int
    """Hourly reports per team."""
    corrections: int
    """Days a manager's mail corrects."""
    withdrawn: int
    """Of them, corrections a later mail withdraws."""
    replaced: int
    """Of them, corrections a later mail replaces with another value."""
    bank_changes: int
    """Employees whose payee still holds an old IBAN."""


@dataclass
class Staff:
    """One hourly employee and what the period pays them."""

    id: str
    person: Person
    manager: Person
    rate: Decimal
    weekly: int
    multiplier: Decimal
    iban: str
    hours: list[list[Decimal]] = field(default_factory=list)
    """Per week, Monday to Sunday, as the workbook says."""
    paid_days: set[date] = field(default_factory=set)
    unpaid_days: set[date] = field(default_factory=set)

    def pay(self, start: date, fixed: dict[tuple[str, date], Decimal]) -> tuple[
            Decimal, Decimal, Decimal]:
        """Regular hours, overtime hours and gross (to the cent) after ``fixed``."""
        daily = Decimal(self.weekly) / 5
        regular = overtime = gross = Decimal(0)
        for w, week in enumerate(self.hours):
            total = Decimal(0)
            for d, h in enumerate(week):
                day = start + timedelta(weeks=w, days=d)
                total += fixed.get((self.id, day), h)
                if day in self.paid_days:
                    total += daily
            extra = max(Decimal(0), total - self.weekly)
            regular += total - extra
            overtime += extra
            gross += (total - extra) * self.rate + extra * self.rate * self.multiplier
        return regular, overtime, gross.quantize(_CENT, ROUND_HALF_UP)


def _two(value: Decimal) -> str:
    return f"{value.quantize(_CENT, ROUND_HALF_UP):.2f}"


@register_family
class PayrollTimesheets(TaskFamily[Knobs]):
    """Close a payroll period: hours, leave, corrections, overtime, pay and tell managers."""

    name = "hr/payroll-timesheets"
    version = 1
    apps = ("hr", "sheets", "mail", "payments")
    levels = Levels(
        easy=Level(Knobs(teams=1, per_team=3, corrections=1, withdrawn=0, replaced=0,
                         bank_changes=1), calls=15),
        medium=Level(Knobs(teams=2, per_team=2, corrections=2, withdrawn=1, replaced=0,
                           bank_changes=1), calls=20),
        hard=Level(Knobs(teams=3, per_team=2, corrections=3, withdrawn=1, replaced=1,
                         bank_changes=2), calls=28),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")
        start, now = _period(rng)
        year_off = set(holidays(start.year))
        org = directory(rng, rng.sample(TEAM_NAMES, k.teams), k.per_team + 1, domain=DOMAIN)
        me, = [p for p in people(rng, 12, DOMAIN) if p.email not in
               {q.email for q in org.people}][:1]
        hr = HrStore(holidays=sorted(year_off | set(holidays(start.year - 1))
                                     | set(holidays(start.year + 1))))
        by_mail = {p.email: p for p in org.people}
        ids: dict[str, str] = {}
        staff: list[Staff] = []
        for person in org.people:
            rate = Decimal(rng.randrange(1800, 5200, 25)) / 100
            weekly = rng.choice((40, 40, 32, 24))
            multiplier = Decimal(rng.choice(("1.25", "1.50", "1.50", "2.00")))
            account = iban("DE", f"{rng.randrange(10**17, 10**18)}")
            made = hr.add_employee(
                person.name, person.email, start - timedelta(days=rng.randrange(200, 3000)),
                department=person.team or "Management", title=person.role or "Specialist",
                manager=ids.get(person.manager), hourly_rate=rate, weekly_hours=weekly)
            made.iban, made.overtime_multiplier = account, f"{multiplier:.2f}"
            ids[person.email] = made.id
            if person.manager and by_mail[person.manager].role == "Team lead":
                staff.append(Staff(made.id, person, by_mail[person.manager], rate, weekly,
                                   multiplier, account))
        leave: list[tuple[date, str, LeaveKind, date, date, LeaveStatus]] = []
        days = [start + timedelta(days=n) for n in range(7 * WEEKS)
                if (start + timedelta(days=n)).weekday() < 5]
        for s in staff:
            used: set[date] = set()
            for _ in range(rng.randint(1, 3)):
                first = rng.choice(days)
                span = [d for d in (first + timedelta(days=n) for n in range(rng.randint(1, 3)))
                        if d.weekday() < 5 and d < start + timedelta(weeks=WEEKS)]
                if used & set(span):
                    continue
                used |= set(span)
                kind: LeaveKind = rng.choice(("annual", "annual", "sick", "unpaid"))
                status: LeaveStatus = rng.choice(("approved", "approved", "approved",
                                                  "rejected", "cancelled"))
                leave.append((first - timedelta(days=rng.randint(3, 20)), s.id, kind, span[0],
                              span[-1], status))
                if status == "approved":
                    (s.unpaid_days if kind == "unpaid" else s.paid_days).update(span)
        rich = rng_for(spec, "distractors")
        taken: set[tuple[str, date]] = set()
        for _ in range(scaled(spec.richness, 6)):
            s = rich.choice(staff)
            first = start + timedelta(days=rich.choice((-40, -25, -12, 35, 45)) +
                                      rich.randrange(5))
            if first.weekday() > 4:
                first -= timedelta(days=first.weekday() - 4)
            if first.isoformat() in hr.holidays or (s.id, first) in taken:
                continue
            taken.add((s.id, first))
            leave.append((first - timedelta(days=10), s.id, rich.choice(("annual", "sick")),
                          first, first, "approved"))
        for created, who, kind, lo, hi, status in sorted(leave):  # ids follow time
            hr.add_leave(who, kind, lo, hi, status=status, created=created)
        for s in staff:
            for w in range(WEEKS):
                monday = start + timedelta(weeks=w)
                week = week_hours(rng, s.weekly, overtime=rng.random() < 0.45)
                s.hours.append([Decimal(0) if monday + timedelta(days=d) in
                                s.paid_days | s.unpaid_days else h for d, h in enumerate(week)])
        box = Mailbox(me)
        fixed = _corrections(rng, box, me.first, k, staff, start, now)
        changed = set(rng.sample([s.id for s in staff], k.bank_changes))
        payments = PaymentsStore(owner="Payroll")
        payroll = payments.add_account("Payroll account", "checking", "250000.00")
        payments.add_account("Reserve account", "savings", "40000.00")
        payees: list[tuple[str, str, str]] = []
        for s in staff:
            old = iban("DE", f"{rng.randrange(10**17, 10**18)}")
            payees.append((s.person.name, old if s.id in changed else s.iban, s.person.email))
            if s.id in changed or rng.random() < 0.4:
                given = old if s.id in changed else s.iban
                box.receive(s.person, "My bank details", letter(
                    me.first, f"please pay my salary to {given}. Thanks!", s.person.first),
                    now - timedelta(days=rng.randrange(60, 200), hours=rng.randrange(9)))
        for name, account, email in sorted(payees):
            payments.add_payee(name, account, email)
        # the vendors are as many at every richness: the payee the agent adds gets the
        # same id at all of them
        vendors = rng_for(spec, "vendors")
        for trade in vendors.sample(_TRADES, 3):
            vendor = vendors.choice(("Nordlicht", "Kestrel", "Bergmann", "Alder"))
            payments.add_payee(f"{vendor} {trade} GmbH",
                               iban("DE", f"{vendors.randrange(10**17, 10**18)}"))
        everyday_mails(box, rich, scaled(spec.richness, 6), me,
                       [s.person for s in staff[:3]] + [s.manager for s in staff[:1]],
                       now - timedelta(days=20), now - timedelta(hours=3))
        mail, mail_ids = box.build()

        book_path = f"payroll/Timesheets PP-{start.isoformat()}.xlsx"
        book_bytes = _workbook(staff, start)
        results = {s.id: s.pay(start, fixed) for s in staff}
        exceptions = {s.id: (results[s.id][1], len(s.unpaid_days)) for s in staff
                      if results[s.id][1] > 0 or s.unpaid_days}
        managers = sorted({s.manager.email for s in staff if s.id in exceptions})
        reference = _reference(book_path, mail_ids, staff, results, exceptions, payments,
                               payroll.id, changed)
        prompt = (
            f"You are {me.name} ({me.email}), payroll clerk; the HR portal is signed in as HR "
            f"staff. Close payroll period PP-{start.isoformat()} (the four weeks from "
            f"{long_date(start)} {start.year}) for the employees in the sheet \"Hours\" of "
            f"\"{book_path}\" (hours worked per day, Monday to Sunday). Managers' mails "
            "correct single days; a later mail may withdraw a correction or replace it. Per "
            "week, an employee's hours are the hours worked plus, for each weekday of "
            "approved annual or sick leave, the contract's weekly hours / 5; unpaid leave "
            "and leave not approved count nothing. Hours beyond the contract's weekly hours "
            "in a week are overtime, paid at the hourly rate times the contract's overtime "
            "multiplier; the rest at the hourly rate. Round the period's gross to the cent "
            "once per employee. Append one row per employee to the sheet \"Payroll\" of the "
            "same workbook (Employee id, regular hours, overtime hours, gross, all with two "
            "decimals); pay each employee's gross once from the \"Payroll account\" to a "
            "payee holding the IBAN on their HR record (add a payee where none holds it); "
            "and mail each manager whose reports had overtime or unpaid leave in the period "
            "one line per such report, exactly \"<employee id>: overtime <hours, two "
            "decimals> h, unpaid leave <n> days\". Change nothing else.")
        return Task(spec=spec, prompt=prompt, apps=self.apps,
                    template=WorldTemplate(now=now, files={book_path: book_bytes}, stores={
                        "hr": hr, "mail": mail, "payments": payments}),
                    criteria=_criteria(book_path, book_bytes, staff, results, exceptions,
                                       managers),
                    reference=tuple(reference), artifacts=(book_path,))


def _period(rng: random.Random) -> tuple[date, datetime]:
    """A four-week period without a public holiday, and the Monday after it."""
    while True:
        start = date(2026, 1, 5) + timedelta(weeks=rng.randrange(45))
        off = set(holidays(start.year)) | set(holidays(start.year + 1))
        span = {(start + timedelta(days=n)).isoformat() for n in range(7 * WEEKS)}
        if not off & span:
            return start, datetime.combine(start + timedelta(weeks=WEEKS, days=1),
                                           datetime.min.time(), UTC) + timedelta(hours=8)


def _corrections(rng: random.Random, box: Mailbox, reader: str, k: Knobs, staff: list[Staff],
                 start: date, now: datetime) -> dict[tuple[str, date], Decimal]:
    """File the managers' corrections; what finally holds, per (employee, day)."""
    worked = [(s, w, d) for s in staff for w in range(WEEKS) for d in range(5)
              if s.hours[w][d] > 0]
    fixed: dict[tuple[str, date], Decimal] = {}
    for n, (s, w, d) in enumerate(rng.sample(worked, k.corrections)):
        day = start + timedelta(weeks=w, days=d)
        was = s.hours[w][d]
        new = was + Decimal(rng.choice(("-2", "-1.5", "-1", "1", "1.5", "2", "2.5", "3")))
        sent = now - timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
        when = f"{long_date(day)} {day.year}"
        box.receive(s.manager, f"Timesheet correction: {s.person.name}", letter(
            reader, f"{s.person.name} worked {_two(new)} hours on {when}, not "
            f"{_two(was)} as the sheet says. Please pay it that way.", s.manager.first),
            sent, key=f"fix{n}")
        fixed[(s.id, day)] = new
        later = sent + timedelta(hours=rng.randint(3, 30))
        if n < k.withdrawn:
            box.receive(s.manager, f"Re: Timesheet correction: {s.person.name}", letter(
                reader, f"please ignore my correction of {s.person.first}'s hours on "
                f"{when}: the sheet was right after all.", s.manager.first), later,
                key=f"undo{n}")
            del fixed[(s.id, day)]
        elif n < k.withdrawn + k.replaced:
            again = new + Decimal(rng.choice(("0.5", "1", "-0.5")))
            box.receive(s.manager, f"Re: Timesheet correction: {s.person.name}", letter(
                reader, f"sorry, I misread: {s.person.first} worked {_two(again)} hours on "
                f"{when}. This replaces my earlier mail.", s.manager.first), later,
                key=f"again{n}")
            fixed[(s.id, day)] = again
    return fixed


def _workbook(staff: list[Staff], start: date) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = "Hours"
    ws.append(["Employee", "Name", "Week of", *DAYS])
    for s in sorted(staff, key=lambda x: x.id):
        for w, week in enumerate(s.hours):
            ws.append([s.id, s.person.name, (start + timedelta(weeks=w)).isoformat(),
                       *(float(h) for h in week)])
    out = wb.create_sheet("Payroll")
    out.append(list(PAYROLL_COLUMNS))
    return workbook_bytes(wb)


def _reference(book: str, mail_ids: dict[str, str], staff: list[Staff],
               results: dict[str, tuple[Decimal, Decimal, Decimal]],
               exceptions: dict[str, tuple[Decimal, int]], payments: PaymentsStore,
               account: str, changed: set[str]) -> list[ToolCall]:
    calls = [ToolCall("sheets.read_range", {"path": book, "sheet": "Hours"}),
             ToolCall("mail.search", {"query": "correction", "limit": 50}),
             *(ToolCall("mail.read", {"message_id": mail_ids[key]}) for key in sorted(mail_ids)
               if key.startswith(("fix", "undo", "again"))),
             ToolCall("hr.list_leave_requests", {"limit": 100}),
             *(ToolCall("hr.get_employee", {"employee_id": s.id}) for s in staff),
             ToolCall("payments.list_accounts", {}),
             ToolCall("payments.list_payees", {})]
    payee = {p.iban: p.id for p in payments.payees}
    next_id = len(payments.payees) + 1
    for s in staff:
        if s.id in changed:
            calls.append(ToolCall("payments.add_payee", {"name": s.person.name, "iban": s.iban,
                                                         "email": s.person.email}))
            payee[s.iban] = f"PAY-{next_id:03d}"
            next_id += 1
    for s in staff:
        calls.append(ToolCall("payments.transfer", {
            "from_account": account, "amount": _two(results[s.id][2]),
            "payee_id": payee[s.iban], "reference": f"Salary {s.id}"},
            items={"amount": ()}))
    calls.append(ToolCall("sheets.append_rows", {"path": book, "sheet": "Payroll", "rows": [
        [s.id, _two(results[s.id][0]), _two(results[s.id][1]), _two(results[s.id][2])]
        for s in sorted(staff, key=lambda x: x.id)]}, items={"rows": ()}))
    for manager in sorted({s.manager.email for s in staff if s.id in exceptions}):
        lines = [_exception_line(s.id, *exceptions[s.id]) for s in staff
                 if s.manager.email == manager and s.id in exceptions]
        calls.append(ToolCall("mail.send", {
            "to": [manager], "subject": "Payroll exceptions",
            "body": "Hello,\n\n" + "\n".join(lines) + "\n\nPayroll"}, items={"body": tuple(
                lines)}))
    return calls


def _exception_line(employee: str, overtime: Decimal, unpaid: int) -> str:
    return f"{employee}: overtime {_two(overtime)} h, unpaid leave {unpaid} days"


def _criteria(book: str, template: bytes, staff: list[Staff],
              results: dict[str, tuple[Decimal, Decimal, Decimal]],
              exceptions: dict[str, tuple[Decimal, int]],
              managers: list[str]) -> tuple[Criterion, ...]:
    def row(employee: Any, regular: Any, overtime: Any, gross: Any) -> tuple[str, ...]:
        return (str(employee).strip(), wc.money(regular), wc.money(overtime), wc.money(gross))

    def transfers(ctx: GradeContext) -> list[tuple[str, str]]:
        store = ctx.world.stores.get("payments")
        held = {p.id: p.iban for p in getattr(store, "payees", [])}
        with ctx.agent_content("the transfers"):
            return [(held.get(t.payee or "", "-"), wc.money(t.amount))
                    for t in getattr(store, "transfers", [])]

    read_mails = wc.sent_mails()

    def lines(ctx: GradeContext) -> list[tuple[str, str, str, int]]:
        found = []
        for m in read_mails(ctx):
            with ctx.agent_content("a mail's body"):
                for text in m.body.splitlines()[:500]:
                    hit = _LINE.fullmatch(text.strip())
                    if hit is None:
                        continue
                    for who in m.recipients:
                        found.append((who, hit[1], hit[2], int(hit[3])))
        return found

    manager_of = {s.id: s.manager.email for s in staff}
    paid = [(f"payment {s.id}", (s.iban, _two(results[s.id][2]))) for s in staff]
    out: list[Criterion] = [
        *wc.item_credit([(f"payroll row {s.id}", (s.id, *map(_two, results[s.id])))
                         for s in sorted(staff, key=lambda x: x.id)],
                        wc.xlsx_rows(book, "Payroll", PAYROLL_COLUMNS, row),
                        group="payroll row"),
        *wc.item_credit(paid, wc.per_grade(transfers), group="payment"),
        *wc.item_credit([(f"exception {e}", (manager_of[e], e, _two(ot), unpaid))
                         for e, (ot, unpaid) in sorted(exceptions.items())],
                        wc.per_grade(lines), group="exception line"),
        Criterion("every payment right (money sent wrong cannot be taken back)",
                  _all_right([item for _, item in paid], wc.per_grade(transfers)), guard=True),
        wc.unchanged("portal, mails and payees untouched", records=[
            ("hr", "employees"), ("hr", "leave"), ("hr", "timesheets"), ("hr", "periods"),
            ("mail", "messages"), ("payments", "payees"), ("payments", "invoices")]),
        wc.sheets_unchanged("hours sheet untouched", book, template, but=["Payroll"]),
        wc.only_recipients("mail only to managers with exceptions", managers),
        wc.nothing_else_changed("no other file changed", [book],
                                changing=["hr", "mail", "payments"]),
    ]
    return tuple(out)


def _all_right(expected: list[tuple[str, str]],
               read: Callable[[GradeContext], list[tuple[str, str]]],
               ) -> Callable[[GradeContext], tuple[bool, str]]:
    """A check that every transfer made is one expected payment, none twice."""
    def check(ctx: GradeContext) -> tuple[bool, str]:
        left = list(expected)
        wrong = []
        for item in read(ctx):
            if item in left:
                left.remove(item)
            else:
                wrong.append(item)
        return not wrong, f"wrong or repeated: {wrong[:3]}" if wrong else "no wrong payment"
    return check
