"""hr: an HR portal (employees, leave requests and balances, timesheets, onboarding
checklists, payroll periods).

One state, two surfaces: the ``hr`` app's tools (the API) and the portal's website
(``https://hr.example/`` by default, the store's ``host``), which the browser app opens.
Both call the same rules below, so a leave request approved either way leaves the same
store.

Who is signed in decides what can be done. With ``account`` set to an employee's id, the
portal is that employee's self-service: they request and cancel their own leave, log and
submit their own hours and tick off their own onboarding tasks; if people report to
them, they also see their reports' requests and timesheets and approve or reject them.
With ``account`` unset, it is HR's back office: everything above for everyone, plus
adding employees, starting onboarding, and closing payroll periods.

Leave: annual and sick leave come out of the employee's yearly allowance (days per
calendar year); unpaid leave has no balance. A request counts working days (Monday to
Friday, less the company's public holidays), lies within one calendar year, and may not
overlap another open request of the same person. Annual and unpaid leave cannot start in
the past; sick leave may be reported up to 30 days back. Requested days count against
the balance at once; a rejected or cancelled request gives them back. A request goes
requested -> approved or rejected (a rejection says why), and the employee may cancel it
while it has not started.

Timesheets: one per employee and week (Monday to Sunday), hours per day in quarter
hours from 0 to 24. Hours are logged while a sheet is a draft or was rejected; a sheet
is then submitted and approved or rejected (with a reason). A week's hours beyond the
employee's contract hours are overtime. ``flags`` point out what payroll should look at:
more than 12 hours in a day, weekend or public-holiday hours, hours on approved leave.

Payroll: a period covers whole weeks. Closing it (once it has ended, and when no sheet
of the period still waits for approval) pays every approved sheet of its weeks: regular
hours at the hourly rate, overtime at the rate times the store's overtime multiplier,
to the cent (half up); the sheets are then marked paid in that period.

Onboarding: a checklist per new employee, built from a template (tasks with an owner -
HR, IT, the manager or the employee - and a due date counted from the start date). HR
ticks off any task; the employee ticks off theirs and the manager the manager's.

Money is a decimal string with two places, hours a decimal string (``"7.50"``). Ids are
assigned in sequence (``E-001``, ``L-0001``, ``TS-0001``, ``OB-001``), dates come from
the world's frozen clock, listings are sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, TypeVar, cast, get_args
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import matches_terms, word_terms
from workgym.apps._web import (
    Alert,
    Button,
    Details,
    Form,
    Heading,
    Input,
    Invalid,
    Link,
    Node,
    NotFound,
    Page,
    PortalSite,
    Redirect,
    Request,
    Section,
    Select,
    Table,
    Text,
    TextArea,
    action,
    page,
    paginate,
)
from workgym.core import App, GradeError, Store, ToolError, World, tool

__all__ = [
    "LEAVE_KINDS",
    "OWNERS",
    "Checklist",
    "ChecklistTask",
    "Employee",
    "HrApp",
    "HrError",
    "HrSite",
    "HrStore",
    "LeaveRequest",
    "PayrollPeriod",
    "Payslip",
    "TemplateTask",
    "Timesheet",
    "TimesheetDay",
    "hr_of",
    "leave_balance",
    "payslips",
    "timesheet_flags",
    "timesheet_totals",
    "week_of",
    "working_days",
]

LeaveKind = Literal["annual", "sick", "unpaid"]
LeaveStatus = Literal["requested", "approved", "rejected", "cancelled"]
SheetStatus = Literal["draft", "submitted", "approved", "rejected", "paid"]
EmployeeStatus = Literal["onboarding", "active", "left"]
Owner = Literal["HR", "IT", "Manager", "Employee"]
Decision = Literal["approve", "reject"]

LEAVE_KINDS: tuple[str, ...] = get_args(LeaveKind)
LEAVE_LABELS = {"annual": "Annual leave", "sick": "Sick leave", "unpaid": "Unpaid leave"}
OWNERS: tuple[str, ...] = get_args(Owner)
"""Who a checklist task is for."""
OPEN_LEAVE = frozenset({"requested", "approved"})
EDITABLE = frozenset({"draft", "rejected"})
SICK_BACKDATE_DAYS = 30
DAY_FLAG_HOURS = Decimal(12)
"""More hours than these in one day are flagged."""

MAX_RESULTS = 100
MAX_NAME = 200
MAX_NOTE = 1_000
MAX_EMPLOYEES = 2_000
MAX_LEAVE = 5_000
MAX_SHEETS = 10_000
MAX_TASKS = 100
"""Most tasks one checklist holds."""
MAX_LEAVE_SPAN = 120
"""Most calendar days one leave request spans."""
MAX_RATE = Decimal("10000.00")
_CENT = Decimal("0.01")
_QUARTER = Decimal("0.25")

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Note = Annotated[str, Field(max_length=MAX_NOTE)]
Day = Annotated[str, Field(min_length=1, max_length=32, description="an ISO date, e.g. "
                                                                    "\"2026-03-09\"")]


def money_text(value: Decimal) -> str:
    """A money value as the store's text: two decimals, half up."""
    return f"{value.quantize(_CENT, ROUND_HALF_UP):.2f}"


def hours_text(value: Decimal) -> str:
    """Hours as the store's text: ``Decimal("7.5")`` -> ``"7.50"``."""
    return f"{value.quantize(_CENT):.2f}"


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


# -- the store ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Employee(_Model):
    """Someone who works at the company."""

    id: str
    """``E-001`` upwards."""
    name: str
    email: str
    department: str = ""
    title: str = ""
    manager: str | None = None
    """The manager's employee id."""
    start_date: str
    status: EmployeeStatus = "active"
    hourly_rate: str = "0.00"
    weekly_hours: int = Field(default=40, ge=0, le=80)
    """Contract hours per week; more is overtime."""
    annual_allowance: int = Field(default=25, ge=0, le=100)
    """Days of annual leave per calendar year."""
    sick_allowance: int = Field(default=10, ge=0, le=365)
    iban: str = ""
    """The account the salary is paid to, without spaces ("" when payroll does not pay
    through the portal's records)."""
    overtime_multiplier: str = ""
    """The contract's own overtime multiplier ("" for the company's)."""


class LeaveRequest(_Model):
    """A request for days off."""

    id: str
    """``L-0001`` upwards."""
    employee: str
    kind: LeaveKind
    start: str
    end: str
    """ISO date, inclusive."""
    days: int = Field(ge=1)
    """Working days it takes."""
    status: LeaveStatus = "requested"
    note: str = ""
    created: str
    decided_by: str = ""
    """``HR`` or the deciding manager's id."""
    decided_on: str = ""
    decision_note: str = ""


class TimesheetDay(_Model):
    """The hours of one day."""

    date: str
    hours: str = "0.00"
    note: str = ""


class Timesheet(_Model):
    """One employee's hours of one week."""

    id: str
    """``TS-0001`` upwards."""
    employee: str
    week: str
    """ISO date of the week's Monday."""
    days: list[TimesheetDay]
    """Monday to Sunday."""
    status: SheetStatus = "draft"
    submitted_on: str = ""
    decided_by: str = ""
    decided_on: str = ""
    note: str = ""
    """Why it was rejected."""
    period: str = ""
    """The payroll period that paid it."""


class TemplateTask(_Model):
    """A task of an onboarding template."""

    title: str
    owner: Owner
    offset_days: int = Field(ge=-60, le=180)
    """Due this many days after the start date (negative: before it)."""


class ChecklistTask(_Model):
    """One task of an employee's onboarding checklist."""

    number: int = Field(ge=1)
    title: str
    owner: Owner
    due: str
    done_on: str = ""
    done_by: str = ""
    note: str = ""


class Checklist(_Model):
    """A new employee's onboarding checklist."""

    id: str
    """``OB-001`` upwards."""
    employee: str
    template: str
    created: str
    tasks: list[ChecklistTask]


class Payslip(_Model):
    """What one employee is paid for a period."""

    employee: str
    timesheets: list[str]
    regular_hours: str
    overtime_hours: str
    hourly_rate: str
    gross: str


class PayrollPeriod(_Model):
    """A pay period of whole weeks."""

    id: str
    """E.g. ``PP-2026-02``."""
    start: str
    """A Monday."""
    end: str
    """A Sunday."""
    pay_date: str
    status: Literal["open", "closed"] = "open"
    closed_on: str = ""
    payslips: list[Payslip] = Field(default_factory=list)


class HrStore(Store):
    """The HR portal's whole state."""

    host: str = "hr.example"
    """Host name of the portal's website."""
    name: str = "People Portal"
    currency: str = "EUR"
    account: str | None = None
    """The signed-in employee's id; None for HR staff."""
    holidays: list[str] = Field(default_factory=list)
    """Public holidays (ISO dates): not working days."""
    overtime_multiplier: str = "1.50"
    employees: list[Employee] = Field(default_factory=list)
    leave: list[LeaveRequest] = Field(default_factory=list)
    timesheets: list[Timesheet] = Field(default_factory=list)
    templates: dict[str, list[TemplateTask]] = Field(default_factory=dict)
    """Onboarding templates by name."""
    checklists: list[Checklist] = Field(default_factory=list)
    periods: list[PayrollPeriod] = Field(default_factory=list)

    # lookups ------------------------------------------------------------------------

    def employee(self, employee_id: str) -> Employee | None:
        return next((e for e in self.employees if e.id == employee_id), None)

    def request(self, request_id: str) -> LeaveRequest | None:
        return next((r for r in self.leave if r.id == request_id), None)

    def timesheet(self, timesheet_id: str) -> Timesheet | None:
        return next((t for t in self.timesheets if t.id == timesheet_id), None)

    def sheet_of(self, employee_id: str, week: date) -> Timesheet | None:
        """The timesheet of an employee's week, if there is one."""
        key = week.isoformat()
        return next((t for t in self.timesheets if t.employee == employee_id and t.week == key),
                    None)

    def checklist(self, checklist_id: str) -> Checklist | None:
        return next((c for c in self.checklists if c.id == checklist_id), None)

    def period(self, period_id: str) -> PayrollPeriod | None:
        return next((p for p in self.periods if p.id == period_id), None)

    # builders for families ----------------------------------------------------------------

    def add_employee(self, name: str, email: str, start_date: date, *, department: str = "",
                     title: str = "", manager: str | None = None,
                     status: EmployeeStatus = "active", hourly_rate: str | Decimal = "0.00",
                     weekly_hours: int = 40, annual_allowance: int = 25,
                     sick_allowance: int = 10) -> Employee:
        """Add an employee, with the next id ``E-001``...

        Raises:
            ValueError: an unknown manager or an address already taken.
        """
        if manager is not None and self.employee(manager) is None:
            raise ValueError(f"no employee {manager!r}")
        if any(e.email == email for e in self.employees):
            raise ValueError(f"{email} is already an employee's address")
        made = Employee(id=_next_id("E-", [e.id for e in self.employees], 3), name=name,
                        email=email, department=department, title=title, manager=manager,
                        start_date=start_date.isoformat(), status=status,
                        hourly_rate=money_text(Decimal(hourly_rate)),
                        weekly_hours=weekly_hours, annual_allowance=annual_allowance,
                        sick_allowance=sick_allowance)
        self.employees.append(made)
        return made

    def add_leave(self, employee: str, kind: LeaveKind, start: date, end: date, *,
                  status: LeaveStatus = "approved", created: date, note: str = "",
                  decided_by: str = "HR") -> LeaveRequest:
        """Add a past or pending leave request as it stands (no rules checked but the
        working-day count).

        Raises:
            ValueError: an unknown employee, or no working day in the range.
        """
        if self.employee(employee) is None:
            raise ValueError(f"no employee {employee!r}")
        days = working_days(self, start, end)
        if days < 1:
            raise ValueError(f"{start}..{end} holds no working day")
        made = LeaveRequest(id=_next_id("L-", [r.id for r in self.leave], 4), employee=employee,
                            kind=kind, start=start.isoformat(), end=end.isoformat(), days=days,
                            status=status, note=note, created=created.isoformat(),
                            decided_by="" if status == "requested" else decided_by,
                            decided_on="" if status == "requested" else created.isoformat())
        self.leave.append(made)
        return made

    def add_timesheet(self, employee: str, week: date, hours: Sequence[str | Decimal | int], *,
                      status: SheetStatus = "draft", notes: Sequence[str] = (),
                      submitted_on: date | None = None) -> Timesheet:
        """Add a week's timesheet: ``hours`` for Monday to Sunday (seven values; fewer
        are padded with zeros).

        Raises:
            ValueError: an unknown employee, a week that does not start on a Monday, a
                sheet of that week already, or more than seven days.
        """
        if self.employee(employee) is None:
            raise ValueError(f"no employee {employee!r}")
        if week.weekday() != 0:
            raise ValueError(f"a timesheet week starts on a Monday, not {week}")
        if self.sheet_of(employee, week) is not None:
            raise ValueError(f"{employee} has a timesheet for the week of {week}")
        if len(hours) > 7:
            raise ValueError("a week has seven days")
        values = [*hours, *([0] * (7 - len(hours)))]
        texts = [*notes, *([""] * (7 - len(notes)))]
        days = [TimesheetDay(date=(week + timedelta(days=n)).isoformat(),
                             hours=hours_text(Decimal(values[n])), note=texts[n])
                for n in range(7)]
        made = Timesheet(id=_next_id("TS-", [t.id for t in self.timesheets], 4),
                         employee=employee, week=week.isoformat(), days=days, status=status,
                         submitted_on=submitted_on.isoformat() if submitted_on else "")
        self.timesheets.append(made)
        return made

    def add_period(self, period_id: str, start: date, weeks: int, pay_date: date) -> PayrollPeriod:
        """Add an open payroll period of ``weeks`` whole weeks from the Monday ``start``.

        Raises:
            ValueError: a start that is not a Monday, no weeks, or a taken id.
        """
        if start.weekday() != 0 or weeks < 1:
            raise ValueError("a payroll period starts on a Monday and has whole weeks")
        if self.period(period_id) is not None:
            raise ValueError(f"period id {period_id!r} is taken")
        made = PayrollPeriod(id=period_id, start=start.isoformat(),
                             end=(start + timedelta(days=7 * weeks - 1)).isoformat(),
                             pay_date=pay_date.isoformat())
        self.periods.append(made)
        return made


def _next_id(prefix: str, taken: Sequence[str], width: int) -> str:
    numbers = [int(t[len(prefix):]) for t in taken
               if t.startswith(prefix) and t[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def hr_of(world: World) -> HrStore:
    """The world's HR portal, for graders.

    Raises:
        GradeError: the world has no HR store.
    """
    store = world.stores.get("hr")
    if not isinstance(store, HrStore):
        raise GradeError("the world has no HR portal")
    return store


def working_days(store: HrStore, start: date, end: date) -> int:
    """Working days from ``start`` to ``end`` (inclusive): Monday to Friday, less the
    store's public holidays."""
    holidays = set(store.holidays)
    count = 0
    day = start
    while day <= end:
        if day.weekday() < 5 and day.isoformat() not in holidays:
            count += 1
        day += timedelta(days=1)
    return count


def leave_balance(store: HrStore, employee: Employee, year: int) -> dict[str, Any]:
    """Per kind of leave in ``year``: the allowance (None for unpaid leave), the days
    approved, the days requested and waiting, and what is left."""
    out: dict[str, Any] = {}
    for kind in LEAVE_KINDS:
        taken = [r for r in store.leave if r.employee == employee.id and r.kind == kind
                 and r.start[:4] == str(year)]
        approved = sum(r.days for r in taken if r.status == "approved")
        pending = sum(r.days for r in taken if r.status == "requested")
        allowance = {"annual": employee.annual_allowance,
                     "sick": employee.sick_allowance}.get(kind)
        out[kind] = {"allowance": allowance, "approved": approved, "pending": pending,
                     "left": None if allowance is None else allowance - approved - pending}
    return out


def timesheet_totals(store: HrStore, sheet: Timesheet) -> dict[str, str]:
    """A sheet's total, regular and overtime hours (beyond the contract hours)."""
    employee = store.employee(sheet.employee)
    total = sum((Decimal(d.hours) for d in sheet.days), Decimal(0))
    contract = Decimal(employee.weekly_hours if employee else 0)
    regular = min(total, contract)
    return {"total": hours_text(total), "regular": hours_text(regular),
            "overtime": hours_text(total - regular)}


def timesheet_flags(store: HrStore, sheet: Timesheet) -> list[str]:
    """What payroll should look at in a sheet, day by day: more than 12 hours, hours on a
    weekend, on a public holiday or on approved leave."""
    holidays = set(store.holidays)
    leave = [r for r in store.leave if r.employee == sheet.employee and r.status == "approved"
             and r.start <= sheet.days[-1].date and r.end >= sheet.days[0].date]
    flags = []
    for day in sheet.days:
        hours = Decimal(day.hours)
        if hours == 0:
            continue
        when = date.fromisoformat(day.date)
        if hours > DAY_FLAG_HOURS:
            flags.append(f"{day.date}: {day.hours} hours, more than {DAY_FLAG_HOURS} in a day")
        if when.weekday() >= 5:
            flags.append(f"{day.date}: {day.hours} hours on a {when.strftime('%A')}")
        if day.date in holidays:
            flags.append(f"{day.date}: {day.hours} hours on a public holiday")
        for request in leave:
            if request.start <= day.date <= request.end and when.weekday() < 5:
                flags.append(f"{day.date}: {day.hours} hours on approved "
                             f"{request.kind} leave ({request.id})")
    return flags


def payslips(store: HrStore, period: PayrollPeriod) -> list[Payslip]:
    """What each employee is paid for a period from its approved sheets, by employee."""
    multiplier = Decimal(store.overtime_multiplier)
    by_employee: dict[str, list[Timesheet]] = {}
    for sheet in sorted(store.timesheets, key=lambda t: (t.employee, t.week)):
        if period.start <= sheet.week <= period.end and (
                sheet.status == "approved" or (sheet.status == "paid"
                                               and sheet.period == period.id)):
            by_employee.setdefault(sheet.employee, []).append(sheet)
    slips = []
    for employee_id, sheets in sorted(by_employee.items()):
        employee = store.employee(employee_id)
        rate = Decimal(employee.hourly_rate if employee else 0)
        regular = overtime = Decimal(0)
        for sheet in sheets:
            totals = timesheet_totals(store, sheet)
            regular += Decimal(totals["regular"])
            overtime += Decimal(totals["overtime"])
        gross = regular * rate + overtime * rate * multiplier
        slips.append(Payslip(employee=employee_id, timesheets=[s.id for s in sheets],
                             regular_hours=hours_text(regular),
                             overtime_hours=hours_text(overtime), hourly_rate=money_text(rate),
                             gross=money_text(gross)))
    return slips


# -- the rules both surfaces share --------------------------------------------------------


class HrError(Exception):
    """A request the portal refuses; ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _staff(store: HrStore, what: str) -> None:
    if store.account is not None:
        raise HrError(f"{what} is for HR staff; you are signed in as employee "
                      f"{store.account}")


def _may_see(store: HrStore, employee: Employee) -> bool:
    return store.account is None or store.account in (employee.id, employee.manager)


def _decider(store: HrStore, employee: Employee, what: str) -> str:
    """Who decides on ``employee``'s ``what``: ``HR`` or their manager's id.

    Raises:
        HrError: the signed-in employee is not their manager.
    """
    if store.account is None:
        return "HR"
    if store.account == employee.manager:
        return store.account
    if store.account == employee.id:
        raise HrError(f"you cannot decide on your own {what}; your manager or HR does")
    raise HrError(f"only {employee.id}'s manager or HR decides on their {what}")


def employee_for(store: HrStore, employee_id: str) -> Employee:
    """The employee ``employee_id`` (the directory is open to everyone).

    Raises:
        HrError: an unknown employee.
    """
    found = store.employee(employee_id.strip())
    if found is None:
        raise HrError(f"no employee {employee_id!r}; list_employees lists them (ids like "
                      "'E-001')", "employee")
    return found


def _private(store: HrStore, employee_id: str) -> Employee:
    """An employee whose leave, hours and pay the signed-in account may see."""
    employee = employee_for(store, employee_id)
    if not _may_see(store, employee):
        raise HrError(f"{employee.id}'s leave, hours and pay are visible to them, their "
                      f"manager and HR; you are {store.account}", "employee")
    return employee


def _subject(store: HrStore, employee_id: str | None) -> Employee:
    """Whom a self-service action is for: the signed-in employee, or (for HR) the one
    named."""
    if store.account is not None:
        if employee_id and employee_id.strip() != store.account:
            raise HrError(f"you act for yourself ({store.account}); leave the employee out",
                          "employee")
        return employee_for(store, store.account)
    if not employee_id:
        raise HrError("HR acts for an employee: give the employee's id", "employee")
    return employee_for(store, employee_id)


def request_for(store: HrStore, request_id: str) -> LeaveRequest:
    """The leave request ``request_id`` if the signed-in account may see it.

    Raises:
        HrError: an unknown or hidden request.
    """
    found = store.request(request_id.strip())
    employee = store.employee(found.employee) if found else None
    if found is None or employee is None or not _may_see(store, employee):
        raise HrError(f"no leave request {request_id!r}; list_leave_requests lists them "
                      "(ids like 'L-0001')")
    return found


def sheet_for(store: HrStore, timesheet_id: str) -> Timesheet:
    """The timesheet ``timesheet_id`` if the signed-in account may see it.

    Raises:
        HrError: an unknown or hidden timesheet.
    """
    found = store.timesheet(timesheet_id.strip())
    employee = store.employee(found.employee) if found else None
    if found is None or employee is None or not _may_see(store, employee):
        raise HrError(f"no timesheet {timesheet_id!r}; list_timesheets lists them (ids like "
                      "'TS-0001')")
    return found


def checklist_for(store: HrStore, checklist_id: str) -> Checklist:
    """The checklist ``checklist_id`` if the signed-in account may see it.

    Raises:
        HrError: an unknown or hidden checklist.
    """
    found = store.checklist(checklist_id.strip())
    employee = store.employee(found.employee) if found else None
    if found is None or employee is None or not _may_see(store, employee):
        raise HrError(f"no onboarding checklist {checklist_id!r}; list_checklists lists them "
                      "(ids like 'OB-001')")
    return found


def period_for(store: HrStore, period_id: str) -> PayrollPeriod:
    """The payroll period ``period_id`` (HR staff).

    Raises:
        HrError: an employee account or an unknown period.
    """
    _staff(store, "payroll")
    found = store.period(period_id.strip())
    if found is None:
        raise HrError(f"no payroll period {period_id!r}; list_payroll_periods lists them")
    return found


def parse_day(text: str, field: str) -> date:
    """An ISO date as typed.

    Raises:
        HrError: not a date such as 2026-03-09.
    """
    try:
        if len(text.strip()) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise HrError(f"give the {field.replace('_', ' ')} as an ISO date such as 2026-03-09 "
                      f"(got {text!r})", field) from None
    if not 2000 <= day.year <= 2100:
        raise HrError(f"the {field.replace('_', ' ')} must lie between 2000 and 2100", field)
    return day


def parse_hours(text: str, field: str = "hours") -> Decimal:
    """Hours as typed: ``"7.5"``, ``"7,5"`` or ``"8"``, in quarter hours from 0 to 24.

    Raises:
        HrError: not such a number.
    """
    cleaned = text.strip().replace(",", ".") or "0"
    whole, dot, part = cleaned.partition(".")
    if (not whole.isascii() or not whole.isdigit() or len(whole) > 2
            or (dot and (not part.isascii() or not part.isdigit() or len(part) > 2))):
        raise HrError(f"give hours as a number such as 7.5 (got {text!r})", field)
    value = Decimal(cleaned)
    if value > 24 or value % _QUARTER:
        raise HrError(f"hours go from 0 to 24 in quarter hours (7.25, 7.5, 7.75); got {text!r}",
                      field)
    return value


def _text(text: str, field: str, limit: int, *, required: bool = False) -> str:
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise HrError(f"the {field.replace('_', ' ')} is longer than {limit} characters",
                      field)
    if required and not cleaned:
        raise HrError(f"give the {field.replace('_', ' ')}", field)
    return cleaned


def _terms(query: str) -> list[tuple[str, bool]]:
    try:
        return word_terms(query)
    except ToolError as exc:
        raise HrError(str(exc), "q") from None


# leave ----------------------------------------------------------------------------------


def request_leave(store: HrStore, today: date, kind: str, start: str, end: str,
                  note: str = "", employee_id: str | None = None) -> LeaveRequest:
    """Request leave from ``start`` to ``end`` (inclusive) for the signed-in employee
    (or, for HR, the one named).

    Raises:
        HrError: any rule of a request broken (see the module docstring).
    """
    employee = _subject(store, employee_id)
    if kind not in LEAVE_KINDS:
        raise HrError(f"the kind of leave is one of: {', '.join(LEAVE_KINDS)}", "kind")
    first, last = parse_day(start, "start"), parse_day(end, "end")
    remark = _text(note, "note", MAX_NOTE)
    if last < first:
        raise HrError(f"the leave ends ({last}) before it starts ({first})", "end")
    if first.year != last.year:
        raise HrError("a request lies within one calendar year; split it at New Year", "end")
    if (last - first).days >= MAX_LEAVE_SPAN:
        raise HrError(f"one request spans at most {MAX_LEAVE_SPAN} days", "end")
    if kind == "sick" and first < today - timedelta(days=SICK_BACKDATE_DAYS):
        raise HrError(f"sick leave can be reported up to {SICK_BACKDATE_DAYS} days back "
                      f"(from {today - timedelta(days=SICK_BACKDATE_DAYS)})", "start")
    if kind != "sick" and first < today:
        raise HrError(f"{kind} leave is requested ahead; {first} is in the past (today is "
                      f"{today})", "start")
    if first.isoformat() < employee.start_date:
        raise HrError(f"{employee.id} starts on {employee.start_date}", "start")
    days = working_days(store, first, last)
    if days < 1:
        raise HrError(f"{first}..{last} holds no working day (weekends and public holidays "
                      "are not taken)", "end")
    for other in store.leave:
        if other.employee == employee.id and other.status in OPEN_LEAVE \
                and other.start <= last.isoformat() and other.end >= first.isoformat():
            raise HrError(f"it overlaps {other.id} ({other.kind}, {other.start} to "
                          f"{other.end}, {other.status}); cancel that one or choose other "
                          "days", "start")
    left = leave_balance(store, employee, first.year)[kind]["left"]
    if left is not None and days > left:
        raise HrError(f"{employee.id} has {left} day{'s' if left != 1 else ''} of {kind} "
                      f"leave left in {first.year} (counting requests waiting for a "
                      f"decision); this request takes {days}", "end")
    if len(store.leave) >= MAX_LEAVE:
        raise HrError(f"the portal holds {MAX_LEAVE} leave requests, the most it can")
    made = LeaveRequest(id=_next_id("L-", [r.id for r in store.leave], 4),
                        employee=employee.id, kind=cast(LeaveKind, kind),
                        start=first.isoformat(), end=last.isoformat(), days=days, note=remark,
                        created=today.isoformat())
    store.leave.append(made)
    return made


def decide_leave(store: HrStore, today: date, request_id: str, decision: str,
                 note: str = "") -> LeaveRequest:
    """Approve or reject a requested leave (a rejection says why in ``note``).

    Raises:
        HrError: an unknown request, someone who may not decide, a request already
            decided, an unknown decision or a rejection without a reason.
    """
    found = request_for(store, request_id)
    employee = employee_for(store, found.employee)
    who = _decider(store, employee, "leave")
    if decision not in ("approve", "reject"):
        raise HrError("the decision is approve or reject", "decision")
    remark = _text(note, "note", MAX_NOTE)
    if found.status != "requested":
        raise HrError(f"{found.id} is {found.status}; only a requested leave is decided")
    if decision == "reject" and not remark:
        raise HrError("say why the leave is rejected in the note", "note")
    found.status = "approved" if decision == "approve" else "rejected"
    found.decided_by, found.decided_on, found.decision_note = who, today.isoformat(), remark
    return found


def cancel_leave(store: HrStore, today: date, request_id: str) -> LeaveRequest:
    """Cancel a requested or approved leave that has not started (the employee's own, or
    anyone's for HR).

    Raises:
        HrError: an unknown request, someone else's, or one decided against, cancelled
            or already begun.
    """
    found = request_for(store, request_id)
    if store.account is not None and found.employee != store.account:
        raise HrError(f"{found.id} is {found.employee}'s; only they or HR cancel it")
    if found.status not in OPEN_LEAVE:
        raise HrError(f"{found.id} is {found.status}; only requested or approved leave is "
                      "cancelled")
    if found.start <= today.isoformat():
        raise HrError(f"{found.id} started on {found.start}; leave that has begun cannot be "
                      "cancelled (ask HR to correct it)")
    found.status = "cancelled"
    return found


# timesheets -----------------------------------------------------------------------------


def set_hours(store: HrStore, today: date, week: date, entries: dict[date, tuple[str, str]],
              employee_id: str | None = None) -> Timesheet:
    """Log hours (and a note) for days of one week (``entries``: day -> (hours, note)),
    on the signed-in employee's sheet (or, for HR, the named one's); the sheet is made
    when the week has none. All or nothing.

    Raises:
        HrError: a day outside the week, in the future or before the start date, hours
            that are not quarter hours from 0 to 24, a sheet that is not a draft or
            rejected, or an employee who has left.
    """
    employee = _subject(store, employee_id)
    monday = week_of(week)
    if employee.status == "left":
        raise HrError(f"{employee.id} has left the company; no more hours are logged")
    if not entries:
        raise HrError("give at least one day's hours")
    parsed: dict[str, tuple[Decimal, str]] = {}
    for day, (hours, note) in sorted(entries.items()):
        key = f"hours_{day.isoformat()}"
        if week_of(day) != monday:
            raise HrError(f"{day} is not in the week of {monday}", key)
        if day > today:
            raise HrError(f"{day} is in the future; hours are logged once worked", key)
        if day.isoformat() < employee.start_date:
            raise HrError(f"{employee.id} starts on {employee.start_date}", key)
        parsed[day.isoformat()] = (parse_hours(hours, key),
                                   _text(note, f"note_{day.isoformat()}", MAX_NOTE))
    sheet = store.sheet_of(employee.id, monday)
    if sheet is not None and sheet.status not in EDITABLE:
        raise HrError(f"{sheet.id} is {sheet.status}; hours change only on a draft or a "
                      "rejected sheet")
    if sheet is None:
        if len(store.timesheets) >= MAX_SHEETS:
            raise HrError(f"the portal holds {MAX_SHEETS} timesheets, the most it can")
        sheet = Timesheet(id=_next_id("TS-", [t.id for t in store.timesheets], 4),
                          employee=employee.id, week=monday.isoformat(),
                          days=[TimesheetDay(date=(monday + timedelta(days=n)).isoformat())
                                for n in range(7)])
        store.timesheets.append(sheet)
    for day_entry in sheet.days:
        if day_entry.date in parsed:
            hours_value, remark = parsed[day_entry.date]
            day_entry.hours, day_entry.note = hours_text(hours_value), remark
    if sheet.status == "rejected":
        sheet.status = "draft"
    return sheet


def submit_timesheet(store: HrStore, today: date, timesheet_id: str) -> Timesheet:
    """Submit a draft (or corrected rejected) sheet for approval.

    Raises:
        HrError: an unknown sheet, someone else's (for an employee), one not editable, or
            one with no hours.
    """
    sheet = sheet_for(store, timesheet_id)
    if store.account is not None and sheet.employee != store.account:
        raise HrError(f"{sheet.id} is {sheet.employee}'s; only they or HR submit it")
    if sheet.status not in EDITABLE:
        raise HrError(f"{sheet.id} is {sheet.status}; only a draft or a rejected sheet is "
                      "submitted")
    if all(Decimal(d.hours) == 0 for d in sheet.days):
        raise HrError(f"{sheet.id} has no hours; log them first")
    sheet.status, sheet.submitted_on, sheet.note = "submitted", today.isoformat(), ""
    return sheet


def decide_timesheet(store: HrStore, today: date, timesheet_id: str, decision: str,
                     note: str = "") -> Timesheet:
    """Approve or reject a submitted sheet (a rejection says why in ``note``).

    Raises:
        HrError: an unknown sheet, someone who may not decide, a sheet not submitted, an
            unknown decision or a rejection without a reason.
    """
    sheet = sheet_for(store, timesheet_id)
    employee = employee_for(store, sheet.employee)
    who = _decider(store, employee, "timesheet")
    if decision not in ("approve", "reject"):
        raise HrError("the decision is approve or reject", "decision")
    remark = _text(note, "note", MAX_NOTE)
    if sheet.status != "submitted":
        raise HrError(f"{sheet.id} is {sheet.status}; only a submitted sheet is decided")
    if decision == "reject" and not remark:
        raise HrError("say why the timesheet is rejected in the note", "note")
    sheet.status = "approved" if decision == "approve" else "rejected"
    sheet.decided_by, sheet.decided_on, sheet.note = who, today.isoformat(), remark
    return sheet


# payroll --------------------------------------------------------------------------------


def payroll_blockers(store: HrStore, period: PayrollPeriod) -> list[str]:
    """The sheets of a period still waiting for a decision (they stop it closing)."""
    return [f"{t.id} ({t.employee}, week of {t.week}) is submitted: approve or reject it"
            for t in sorted(store.timesheets, key=lambda t: t.id)
            if period.start <= t.week <= period.end and t.status == "submitted"]


def close_payroll(store: HrStore, today: date, period_id: str) -> PayrollPeriod:
    """Close a payroll period that has ended: pay its approved sheets.

    Raises:
        HrError: an employee account, an unknown or closed period, one not yet ended, or
            sheets still waiting for approval.
    """
    period = period_for(store, period_id)
    if period.status != "open":
        raise HrError(f"{period.id} was closed on {period.closed_on}")
    if period.end >= today.isoformat():
        raise HrError(f"{period.id} runs until {period.end}; close it after it ends")
    blockers = payroll_blockers(store, period)
    if blockers:
        raise HrError("the period has sheets waiting for a decision: " + "; ".join(blockers[:10])
                      + (f" (and {len(blockers) - 10} more)" if len(blockers) > 10 else ""))
    period.payslips = payslips(store, period)
    paid = {s for slip in period.payslips for s in slip.timesheets}
    for sheet in store.timesheets:
        if sheet.id in paid:
            sheet.status, sheet.period = "paid", period.id
    period.status, period.closed_on = "closed", today.isoformat()
    return period


# employees and onboarding ----------------------------------------------------------------


def add_employee(store: HrStore, today: date, name: str, email: str, start_date: str,
                 department: str = "", title: str = "", manager_id: str | None = None,
                 hourly_rate: str = "0", weekly_hours: int = 40) -> Employee:
    """HR: add an employee (onboarding until their start date, active from it).

    Raises:
        HrError: an employee account, a missing name, a bad or taken address, an unknown
            manager, a bad rate or hours.
    """
    _staff(store, "adding an employee")
    full = _text(name, "name", MAX_NAME, required=True)
    address = _text(email, "email", MAX_NAME, required=True).lower()
    local, at, domain = address.partition("@")
    if not (at and local and "." in domain and " " not in address and "@" not in domain):
        raise HrError(f"{email!r} is not an e-mail address such as name@company.example",
                      "email")
    if any(e.email.lower() == address for e in store.employees):
        raise HrError(f"{address} is already an employee's address", "email")
    start = parse_day(start_date, "start_date")
    manager = employee_for(store, manager_id).id if manager_id else None
    rate_text = hourly_rate.strip().replace(",", ".")
    whole, _, part = rate_text.partition(".")
    if not (whole.isascii() and whole.isdigit() and len(whole) <= 5
            and (not part or (part.isascii() and part.isdigit() and len(part) <= 2))):
        raise HrError(f"give the hourly rate as a number such as 24.50 (got {hourly_rate!r})",
                      "hourly_rate")
    rate = Decimal(rate_text)
    if rate > MAX_RATE:
        raise HrError(f"the hourly rate is at most {MAX_RATE}", "hourly_rate")
    if not 0 <= weekly_hours <= 80:
        raise HrError("contract hours are between 0 and 80 a week", "weekly_hours")
    if len(store.employees) >= MAX_EMPLOYEES:
        raise HrError(f"the portal holds {MAX_EMPLOYEES} employees, the most it can")
    made = Employee(id=_next_id("E-", [e.id for e in store.employees], 3), name=full,
                    email=address, department=_text(department, "department", MAX_NAME),
                    title=_text(title, "title", MAX_NAME), manager=manager,
                    start_date=start.isoformat(),
                    status="onboarding" if start > today else "active",
                    hourly_rate=money_text(rate), weekly_hours=weekly_hours)
    store.employees.append(made)
    return made


def start_onboarding(store: HrStore, today: date, employee_id: str, template: str) -> Checklist:
    """HR: give an employee an onboarding checklist from a template.

    Raises:
        HrError: an employee account, an unknown employee or template, or a checklist
            the employee already has.
    """
    _staff(store, "starting onboarding")
    employee = employee_for(store, employee_id)
    tasks = store.templates.get(template.strip())
    if tasks is None:
        names = ", ".join(sorted(store.templates)) or "none"
        raise HrError(f"no onboarding template {template!r}; the templates: {names}",
                      "template")
    existing = next((c for c in store.checklists if c.employee == employee.id), None)
    if existing is not None:
        raise HrError(f"{employee.id} has onboarding checklist {existing.id} already",
                      "employee")
    start = date.fromisoformat(employee.start_date)
    made = Checklist(id=_next_id("OB-", [c.id for c in store.checklists], 3),
                     employee=employee.id, template=template.strip(), created=today.isoformat(),
                     tasks=[ChecklistTask(number=n, title=t.title, owner=t.owner,
                                          due=(start + timedelta(days=t.offset_days)).isoformat())
                            for n, t in enumerate(tasks[:MAX_TASKS], start=1)])
    store.checklists.append(made)
    return made


def complete_task(store: HrStore, today: date, checklist_id: str, number: int,
                  note: str = "") -> Checklist:
    """Tick off a task of a checklist: HR any, the employee their own (owner Employee),
    the manager the manager's.

    Raises:
        HrError: an unknown checklist or task, a task done already, or one that is not
            the signed-in employee's to tick off.
    """
    checklist = checklist_for(store, checklist_id)
    task = next((t for t in checklist.tasks if t.number == number), None)
    if task is None:
        raise HrError(f"{checklist.id} has no task {number}; its tasks are numbered 1 to "
                      f"{len(checklist.tasks)} (get_checklist shows them)", "task")
    employee = employee_for(store, checklist.employee)
    who = "HR"
    if store.account is not None:
        mine = (task.owner == "Employee" and store.account == employee.id) or (
            task.owner == "Manager" and store.account == employee.manager)
        if not mine:
            raise HrError(f"task {number} ({task.title}) is for {task.owner}; you can tick off "
                          "only the tasks that are yours", "task")
        who = store.account
    if task.done_on:
        raise HrError(f"task {number} ({task.title}) was done on {task.done_on}", "task")
    task.done_on, task.done_by, task.note = today.isoformat(), who, _text(note, "note", MAX_NOTE)
    return checklist


def add_task(store: HrStore, checklist_id: str, title: str, owner: str, due: str) -> Checklist:
    """HR: add a task to a checklist.

    Raises:
        HrError: an employee account, an unknown checklist or owner, a bad date, no
            title, or a full checklist.
    """
    _staff(store, "adding a checklist task")
    checklist = checklist_for(store, checklist_id)
    text = _text(title, "title", MAX_NAME, required=True)
    if owner not in OWNERS:
        raise HrError(f"the owner is one of: {', '.join(OWNERS)}", "owner")
    when = parse_day(due, "due")
    if len(checklist.tasks) >= MAX_TASKS:
        raise HrError(f"a checklist holds at most {MAX_TASKS} tasks")
    checklist.tasks.append(ChecklistTask(number=len(checklist.tasks) + 1, title=text,
                                         owner=cast(Owner, owner), due=when.isoformat()))
    return checklist


# listings -----------------------------------------------------------------------------


def find_employees(store: HrStore, query: str = "", department: str | None = None,
                   status: str | None = None, manager: str | None = None) -> list[Employee]:
    """Employees whose id, name, e-mail, department or title hold every word of
    ``query``, by name.

    Raises:
        HrError: a query too long or without words.
    """
    wanted = _terms(query)
    found = [e for e in store.employees
             if (department is None or e.department.casefold() == department.casefold())
             and (status is None or e.status == status)
             and (manager is None or e.manager == manager)
             and (not wanted or matches_terms(f"{e.id} {e.name} {e.email} {e.department} "
                                              f"{e.title}", wanted))]
    return sorted(found, key=lambda e: (e.name.casefold(), e.id))


def visible_leave(store: HrStore, status: str | None = None,
                  employee: str | None = None) -> list[LeaveRequest]:
    """Leave requests the account may see, by start date (latest first), then id."""
    people = {e.id: e for e in store.employees}
    found = [r for r in store.leave if r.employee in people and _may_see(store, people[r.employee])
             and (status is None or r.status == status)
             and (employee is None or r.employee == employee)]
    return sorted(found, key=lambda r: (r.start, r.id), reverse=True)


def visible_sheets(store: HrStore, status: str | None = None, employee: str | None = None,
                   week: date | None = None) -> list[Timesheet]:
    """Timesheets the account may see, latest week first, then by employee."""
    people = {e.id: e for e in store.employees}
    found = [t for t in store.timesheets
             if t.employee in people and _may_see(store, people[t.employee])
             and (status is None or t.status == status)
             and (employee is None or t.employee == employee)
             and (week is None or t.week == week_of(week).isoformat())]
    by_employee = sorted(found, key=lambda t: t.employee)
    return sorted(by_employee, key=lambda t: t.week, reverse=True)  # stable: employees stay


def visible_checklists(store: HrStore) -> list[Checklist]:
    """Checklists the account may see, by id."""
    people = {e.id: e for e in store.employees}
    return [c for c in store.checklists
            if c.employee in people and _may_see(store, people[c.employee])]


# -- views (the same data for the tools and the pages) ----------------------------------------


def employee_view(store: HrStore, employee: Employee, today: date,
                  full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"id": employee.id, "name": employee.name, "email": employee.email,
                            "department": employee.department, "title": employee.title,
                            "manager": employee.manager, "start_date": employee.start_date,
                            "status": employee.status}
    if full and _may_see(store, employee):
        view.update(hourly_rate=employee.hourly_rate, weekly_hours=employee.weekly_hours,
                    leave=leave_balance(store, employee, today.year),
                    reports=[e.id for e in store.employees if e.manager == employee.id],
                    checklist=next((c.id for c in store.checklists
                                    if c.employee == employee.id), None))
        if employee.iban:
            view["iban"] = employee.iban
        if employee.overtime_multiplier:
            view["overtime_multiplier"] = employee.overtime_multiplier
    return view


def leave_view(request: LeaveRequest) -> dict[str, Any]:
    return request.model_dump()


def sheet_view(store: HrStore, sheet: Timesheet, full: bool = True) -> dict[str, Any]:
    totals = timesheet_totals(store, sheet)
    view: dict[str, Any] = {"id": sheet.id, "employee": sheet.employee, "week": sheet.week,
                            "status": sheet.status, **totals}
    if full:
        view.update(days=[d.model_dump() for d in sheet.days], submitted_on=sheet.submitted_on,
                    decided_by=sheet.decided_by, decided_on=sheet.decided_on, note=sheet.note,
                    period=sheet.period, flags=timesheet_flags(store, sheet))
    return view


def checklist_view(checklist: Checklist, full: bool = True) -> dict[str, Any]:
    done = sum(1 for t in checklist.tasks if t.done_on)
    view: dict[str, Any] = {"id": checklist.id, "employee": checklist.employee,
                            "template": checklist.template, "created": checklist.created,
                            "done": done, "tasks_total": len(checklist.tasks),
                            "complete": done == len(checklist.tasks)}
    if full:
        view["tasks"] = [t.model_dump() for t in checklist.tasks]
    return view


def period_view(store: HrStore, period: PayrollPeriod, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {"id": period.id, "start": period.start, "end": period.end,
                            "pay_date": period.pay_date, "status": period.status,
                            "closed_on": period.closed_on, "currency": store.currency}
    if full:
        slips = period.payslips if period.status == "closed" else payslips(store, period)
        view.update(payslips=[s.model_dump() for s in slips],
                    total_gross=money_text(sum((Decimal(s.gross) for s in slips), Decimal(0))),
                    blockers=payroll_blockers(store, period) if period.status == "open" else [])
    return view


T = TypeVar("T")


def _paged(found: Sequence[T], view: Callable[[T], dict[str, Any]], limit: int,
           offset: int) -> dict[str, Any]:
    """One page of ``found``, each shown through ``view`` (only the page's rows are)."""
    return {"total": len(found), "offset": offset,
            "results": [view(item) for item in found[offset:offset + limit]]}


# -- the API -----------------------------------------------------------------------------------


class HrApp(App):
    """The HR portal: employees, leave and balances, timesheets, onboarding checklists and
    payroll. Dates are ISO 8601, hours and money decimal strings."""

    name = "hr"

    @property
    def store(self) -> HrStore:
        """The world's portal; an empty one (not added to the world) when it has none, so
        that a read leaves the world as it was (every write needs a record, so fails)."""
        store = self.world.existing_store("hr", HrStore)
        return HrStore() if store is None else store

    @property
    def _today(self) -> date:
        return self.world.now.date()

    def _run(self, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return rule(*args, **kwargs)
        except HrError as exc:
            raise ToolError(str(exc)) from None

    # employees ------------------------------------------------------------------------

    @tool(read_only=True, concurrent=False)
    def list_employees(self, query: Annotated[str, Field(max_length=500)] = "",
                       department: Annotated[str, Field(max_length=100)] | None = None,
                       status: EmployeeStatus | None = None, manager_id: Id | None = None,
                       limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """The company directory, sorted by name. Every word of the query must occur as a
        word of the employee's id, name, e-mail, department or title.

        Returns ``{"total", "offset", "results": [{id, name, email, department, title,
        manager, start_date, status}]}``.

        Args:
            query: words to look for, e.g. "payroll analyst"; empty lists everyone.
            department: only this department, e.g. "Finance".
            status: only onboarding, active or left employees.
            manager_id: only the people reporting to this employee.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        found = self._run(find_employees, store, query, department, status, manager_id)
        return _paged(found, lambda e: employee_view(store, e, self._today), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_employee(self, employee_id: Id) -> dict[str, Any]:
        """One employee. For themselves, their manager and HR also the hourly rate, contract
        hours per week, this year's leave balance per kind, their reports and their
        onboarding checklist id.

        Args:
            employee_id: the employee's id, e.g. "E-004".
        """
        store = self.store
        return employee_view(store, self._run(employee_for, store, employee_id), self._today,
                             full=True)

    @tool(destructive=False)
    def add_employee(self, name: Name, email: Name, start_date: Day,
                     department: Annotated[str, Field(max_length=MAX_NAME)] = "",
                     title: Annotated[str, Field(max_length=MAX_NAME)] = "",
                     manager_id: Id | None = None,
                     hourly_rate: Annotated[str, Field(max_length=32)] = "0",
                     weekly_hours: Annotated[int, Field(ge=0, le=80)] = 40) -> dict[str, Any]:
        """HR: add an employee (status onboarding until the start date). Returns the new
        employee (id ``E-...``).

        Args:
            name: full name.
            email: work e-mail address (unique).
            start_date: first working day, an ISO date.
            department: e.g. "Finance".
            title: job title.
            manager_id: the manager's employee id.
            hourly_rate: pay per hour, e.g. "24.50".
            weekly_hours: contract hours per week (0-80); more is overtime.
        """
        # adding needs no record: a world without a portal gets one, but only on success
        store = self.store
        made = self._run(add_employee, store, self._today, name, email, start_date, department,
                         title, manager_id, hourly_rate, weekly_hours)
        self.world.stores.setdefault("hr", store)
        return employee_view(store, made, self._today, full=True)

    # leave ------------------------------------------------------------------------------

    @tool(read_only=True, concurrent=False)
    def get_leave_balance(self, employee_id: Id | None = None,
                          year: Annotated[int, Field(ge=2000, le=2100)] | None = None
                          ) -> dict[str, Any]:
        """Leave balance per kind (annual, sick, unpaid) for a year: allowance (null for
        unpaid), days approved, days requested and waiting, and days left.

        Args:
            employee_id: whose balance (default: the signed-in employee's).
            year: the calendar year (default: this year).
        """
        store = self.store
        if employee_id is None and store.account is None:
            raise ToolError("HR reads an employee's balance: give employee_id")
        employee = self._run(_private, store, employee_id or store.account or "")
        chosen = year or self._today.year
        return {"employee": employee.id, "year": chosen,
                **leave_balance(store, employee, chosen)}

    @tool(read_only=True, concurrent=False)
    def list_leave_requests(self, status: LeaveStatus | None = None,
                            employee_id: Id | None = None, limit: Limit = 20,
                            offset: Offset = 0) -> dict[str, Any]:
        """Leave requests you may see (your own and your reports'; HR sees all), latest
        start first.

        Returns ``{"total", "offset", "results": [{id, employee, kind, start, end, days,
        status, note, created, decided_by, decided_on, decision_note}]}``.

        Args:
            status: only requested, approved, rejected or cancelled ones.
            employee_id: only this employee's.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        if employee_id is not None:
            self._run(_private, store, employee_id)
        found = visible_leave(store, status, employee_id.strip() if employee_id else None)
        return _paged(found, leave_view, limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_leave_request(self, request_id: Id) -> dict[str, Any]:
        """One leave request.

        Args:
            request_id: the request's id, e.g. "L-0003".
        """
        return leave_view(self._run(request_for, self.store, request_id))

    @tool(destructive=False)
    def request_leave(self, kind: LeaveKind, start: Day, end: Day, note: Note = "",
                      employee_id: Id | None = None) -> dict[str, Any]:
        """Request leave for working days from start to end (inclusive). Annual and sick
        leave must fit the year's balance (requests waiting count); annual and unpaid
        leave cannot start in the past, sick leave up to 30 days back. Returns the
        request (id ``L-...``, status requested) with the working days it takes.

        Args:
            kind: annual, sick or unpaid.
            start: first day off, an ISO date.
            end: last day off, an ISO date (the same calendar year).
            note: a note for the approver.
            employee_id: HR only: whom the request is for (an employee requests their own).
        """
        return leave_view(self._run(request_leave, self.store, self._today, kind, start, end,
                                    note, employee_id))

    @tool
    def decide_leave(self, request_id: Id, decision: Decision, note: Note = "") -> dict[str, Any]:
        """Approve or reject a requested leave (the employee's manager or HR). A rejection
        needs a note saying why. Returns the request.

        Args:
            request_id: the request's id, e.g. "L-0003".
            decision: approve or reject.
            note: the reason, shown to the employee.
        """
        return leave_view(self._run(decide_leave, self.store, self._today, request_id,
                                    decision, note))

    @tool
    def cancel_leave(self, request_id: Id) -> dict[str, Any]:
        """Cancel your requested or approved leave that has not started (HR: anyone's); its
        days go back to the balance. Returns the request.

        Args:
            request_id: the request's id, e.g. "L-0003".
        """
        return leave_view(self._run(cancel_leave, self.store, self._today, request_id))

    # timesheets ---------------------------------------------------------------------------

    @tool(read_only=True, concurrent=False)
    def list_timesheets(self, status: SheetStatus | None = None, employee_id: Id | None = None,
                        week: Day | None = None, limit: Limit = 20,
                        offset: Offset = 0) -> dict[str, Any]:
        """Timesheets you may see (your own and your reports'; HR sees all), latest week
        first.

        Returns ``{"total", "offset", "results": [{id, employee, week, status, total,
        regular, overtime}]}`` (hours as decimal strings).

        Args:
            status: only draft, submitted, approved, rejected or paid sheets.
            employee_id: only this employee's.
            week: only the week holding this date.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        if employee_id is not None:
            self._run(_private, store, employee_id)
        when = self._run(parse_day, week, "week") if week else None
        found = visible_sheets(store, status, employee_id.strip() if employee_id else None, when)
        return _paged(found, lambda t: sheet_view(store, t, full=False), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_timesheet(self, timesheet_id: Id) -> dict[str, Any]:
        """One timesheet: its days (date, hours, note), status, total, regular and overtime
        hours, the payroll period that paid it, and ``flags`` (days over 12 hours, weekend,
        public-holiday or leave hours).

        Args:
            timesheet_id: the sheet's id, e.g. "TS-0012".
        """
        store = self.store
        return sheet_view(store, self._run(sheet_for, store, timesheet_id))

    @tool
    def log_hours(self, date: Day, hours: Annotated[str, Field(min_length=1, max_length=8)],
                  note: Note = "", employee_id: Id | None = None) -> dict[str, Any]:
        """Set the hours worked on a day (replacing what was logged), on the week's sheet,
        which is made when there is none. Only on a draft or rejected sheet; a rejected
        sheet goes back to draft. Returns the sheet.

        Args:
            date: the day worked, an ISO date (not in the future).
            hours: hours in quarter hours, e.g. "7.5" (0 clears the day).
            note: what the hours were for.
            employee_id: HR only: whose hours (an employee logs their own).
        """
        store = self.store
        day = self._run(parse_day, date, "date")
        sheet = self._run(set_hours, store, self._today, day, {day: (hours, note)}, employee_id)
        return sheet_view(store, sheet)

    @tool
    def submit_timesheet(self, timesheet_id: Id) -> dict[str, Any]:
        """Submit a draft or rejected sheet for approval. Returns the sheet.

        Args:
            timesheet_id: the sheet's id, e.g. "TS-0012".
        """
        store = self.store
        return sheet_view(store, self._run(submit_timesheet, store, self._today, timesheet_id))

    @tool
    def decide_timesheet(self, timesheet_id: Id, decision: Decision,
                         note: Note = "") -> dict[str, Any]:
        """Approve or reject a submitted sheet (the employee's manager or HR). A rejection
        needs a note saying why. Returns the sheet.

        Args:
            timesheet_id: the sheet's id, e.g. "TS-0012".
            decision: approve or reject.
            note: the reason, shown to the employee.
        """
        store = self.store
        return sheet_view(store, self._run(decide_timesheet, store, self._today, timesheet_id,
                                           decision, note))

    # onboarding ---------------------------------------------------------------------------

    @tool(read_only=True, concurrent=False)
    def list_checklists(self, incomplete_only: bool = False, limit: Limit = 20,
                        offset: Offset = 0) -> dict[str, Any]:
        """Onboarding checklists you may see, by id, and the templates HR can start new
        ones from.

        Returns ``{"total", "offset", "results": [{id, employee, template, created, done,
        tasks_total, complete}], "templates": [names]}``.

        Args:
            incomplete_only: only checklists with tasks left to do.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        found = [c for c in visible_checklists(store)
                 if not incomplete_only or any(not t.done_on for t in c.tasks)]
        listed = _paged(found, lambda c: checklist_view(c, full=False), limit, offset)
        listed["templates"] = sorted(store.templates)
        return listed

    @tool(read_only=True, concurrent=False)
    def get_checklist(self, checklist_id: Id) -> dict[str, Any]:
        """One onboarding checklist with its tasks (number, title, owner, due, done_on,
        done_by, note).

        Args:
            checklist_id: the checklist's id, e.g. "OB-002".
        """
        return checklist_view(self._run(checklist_for, self.store, checklist_id))

    @tool(destructive=False)
    def start_onboarding(self, employee_id: Id, template: Name) -> dict[str, Any]:
        """HR: give an employee an onboarding checklist from a template (list_checklists
        names them); task due dates count from the start date. Returns the checklist.

        Args:
            employee_id: the new employee's id, e.g. "E-031".
            template: the template's name, e.g. "Engineering".
        """
        return checklist_view(self._run(start_onboarding, self.store, self._today,
                                        employee_id, template))

    @tool
    def complete_task(self, checklist_id: Id, task: Annotated[int, Field(ge=1, le=MAX_TASKS)],
                      note: Note = "") -> dict[str, Any]:
        """Tick off a task of a checklist (HR: any; the employee: tasks for Employee; the
        manager: tasks for Manager). Returns the checklist.

        Args:
            checklist_id: the checklist's id, e.g. "OB-002".
            task: the task's number.
            note: e.g. where the laptop was handed over.
        """
        return checklist_view(self._run(complete_task, self.store, self._today, checklist_id,
                                        task, note))

    @tool(destructive=False)
    def add_task(self, checklist_id: Id, title: Name, owner: Owner, due: Day) -> dict[str, Any]:
        """HR: add a task to a checklist. Returns the checklist.

        Args:
            checklist_id: the checklist's id, e.g. "OB-002".
            title: what is to be done.
            owner: HR, IT, Manager or Employee.
            due: when, an ISO date.
        """
        return checklist_view(self._run(add_task, self.store, checklist_id, title, owner, due))

    # payroll ----------------------------------------------------------------------------------

    @tool(read_only=True, concurrent=False)
    def list_payroll_periods(self) -> dict[str, Any]:
        """HR: the payroll periods, latest first: ``{"periods": [{id, start, end, pay_date,
        status, closed_on, currency}]}``."""
        store = self.store
        self._run(_staff, store, "payroll")
        periods = sorted(store.periods, key=lambda p: p.start, reverse=True)
        return {"periods": [period_view(store, p, full=False) for p in periods[:MAX_RESULTS]]}

    @tool(read_only=True, concurrent=False)
    def get_payroll_period(self, period_id: Id) -> dict[str, Any]:
        """HR: a payroll period with its payslips (per employee: the sheets paid, regular
        and overtime hours, hourly rate, gross pay) and their total; for an open period
        what closing it now would pay and the ``blockers`` that stop it closing.

        Args:
            period_id: the period's id, e.g. "PP-2026-02".
        """
        store = self.store
        return period_view(store, self._run(period_for, store, period_id))

    @tool
    def close_payroll(self, period_id: Id) -> dict[str, Any]:
        """HR: close a payroll period that has ended, paying every approved sheet of its
        weeks (overtime at the overtime multiplier); its sheets become paid. Refused while
        a sheet of the period waits for a decision. Returns the period with its payslips.

        Args:
            period_id: the period's id, e.g. "PP-2026-02".
        """
        store = self.store
        return period_view(store, self._run(close_payroll, store, self._today, period_id))


# -- the website ---------------------------------------------------------------------------------

_SHEET_STATES: tuple[str, ...] = get_args(SheetStatus)
_LEAVE_STATES: tuple[str, ...] = get_args(LeaveStatus)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class HrSite(PortalSite[HrStore]):
    """The HR portal's website over the same store (see the module docstring)."""

    store_name = "hr"
    store_type = HrStore
    lookup_error = HrError

    def nav(self) -> Sequence[Link]:
        links = [Link("Employees", "/employees"), Link("Leave", "/leave"),
                 Link("Timesheets", "/timesheets"), Link("Onboarding", "/onboarding")]
        if self.store.account is None:
            links.append(Link("Payroll", "/payroll"))
        return links

    def _employee_select(self, name: str = "employee") -> Select:
        return Select(name, "Employee", [(e.id, f"{e.name} ({e.id})")
                                         for e in find_employees(self.store)])

    # pages -----------------------------------------------------------------------------

    @page("/")
    def home(self, request: Request) -> Page:
        store = self.store
        me = store.employee(store.account) if store.account else None
        who = f"Signed in as {me.name} ({me.id})." if me else "Signed in as HR staff."
        waiting_leave = visible_leave(store, "requested")
        waiting_sheets = visible_sheets(store, "submitted")
        return Page(store.name, [
            Heading(store.name), Text(who),
            Section("To do", [
                Link(f"Leave requests waiting: {len(waiting_leave)}", "/leave?status=requested"),
                Link(f"Timesheets waiting: {len(waiting_sheets)}",
                     "/timesheets?status=submitted")]),
            Section("Self-service" if me else "Back office", [
                Link("Request leave", "/leave/new"), Link("Log hours", "/timesheets"),
                *([Link("Your profile", f"/employees/{_q(me.id)}")] if me else
                  [Link("Add an employee", "/employees/new"),
                   Link("Payroll periods", "/payroll")])])])

    @page("/employees")
    def employees(self, request: Request) -> Page:
        store = self.store
        departments = sorted({e.department for e in store.employees if e.department})
        department = request.arg("department")
        try:
            found, problem = find_employees(store, request.arg("q"), department or None), ""
        except HrError as exc:
            found, problem = [], str(exc)
        rows, pager = paginate(found, request)
        body: list[Node] = [
            Heading("Employees"),
            Form("filter", [Input("q", "Search employees", "search", request.arg("q")),
                            Select("department", "Department", [
                                ("", "All departments"), *((d, d) for d in departments)],
                                department),
                            Button("Search")], label="Filter employees", method="get")]
        if problem:
            body.append(Alert(problem, "error"))
        body.append(Table("Employees", ["Employee", "Name", "Department", "Title", "Manager",
                                        "Status"], [
            [Link(e.id, f"/employees/{_q(e.id)}"), e.name, e.department, e.title,
             e.manager or "", e.status] for e in rows]))
        if store.account is None:
            body.append(Link("Add an employee", "/employees/new"))
        return Page("Employees", [*body, *pager])

    @page("/employees/new")
    def new_employee(self, request: Request) -> Page:
        if self.store.account is not None:
            return _staff_only()
        return Page("Add an employee", [
            Heading("Add an employee"),
            Form("employee", [
                Input("name", "Full name", required=True),
                Input("email", "E-mail", "email", required=True),
                Input("start_date", "Start date", "date", required=True),
                Input("department", "Department"), Input("title", "Title"),
                Select("manager", "Manager", [("", "None"), *(
                    (e.id, f"{e.name} ({e.id})") for e in find_employees(self.store))]),
                Input("hourly_rate", "Hourly rate", value="0"),
                Input("weekly_hours", "Contract hours per week", "number", "40", min=0, max=80),
                Button("Add employee")], label="Add an employee")])

    @action("/employees/new")
    def new_employee_post(self, request: Request) -> Redirect | Invalid:
        form = request.form
        hours = _whole(form.get("weekly_hours", ""))
        if hours is None:
            return Invalid({"weekly_hours": "enter whole hours, such as 40"})
        try:
            made = add_employee(self.store, self._today, form.get("name", ""),
                                form.get("email", ""), form.get("start_date", ""),
                                form.get("department", ""), form.get("title", ""),
                                form.get("manager", "") or None, form.get("hourly_rate", "0"),
                                hours)
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/employees/{_q(made.id)}", f"Employee {made.id} added.")

    @page("/employees/{employee_id}")
    def employee(self, request: Request, employee_id: str) -> Page:
        store = self.store
        person = self._find(employee_for, store, employee_id)
        manager = store.employee(person.manager) if person.manager else None
        items: list[tuple[str, str | Link]] = [
            ("Employee", person.id), ("E-mail", person.email), ("Department", person.department),
            ("Title", person.title),
            ("Manager", Link(manager.name, f"/employees/{_q(manager.id)}") if manager else "—"),
            ("Start date", person.start_date), ("Status", person.status)]
        body: list[Node] = [Heading(person.name)]
        if not _may_see(store, person):
            return Page(person.name, [*body, Details(items, "Employee details")])
        items += [("Hourly rate", f"{person.hourly_rate} {store.currency}"),
                  ("Contract hours", f"{person.weekly_hours} a week")]
        balance = leave_balance(store, person, self._today.year)
        body += [
            Details(items, "Employee details"),
            Table(f"Leave balance {self._today.year}", ["Kind", "Allowance", "Approved",
                                                        "Requested", "Left"], [
                [LEAVE_LABELS[k], "—" if v["allowance"] is None else str(v["allowance"]),
                 str(v["approved"]), str(v["pending"]), "—" if v["left"] is None else
                 str(v["left"])] for k, v in balance.items()]),
            Link("Leave requests", f"/leave?employee={_q(person.id)}"),
            Link("Timesheets", f"/timesheets?employee={_q(person.id)}")]
        checklist = next((c for c in store.checklists if c.employee == person.id), None)
        if checklist is not None:
            body.append(Link(f"Onboarding checklist {checklist.id}",
                             f"/onboarding/{_q(checklist.id)}"))
        elif store.account is None:
            body.append(Form("onboarding", [
                Select("template", "Template", [(t, t) for t in sorted(store.templates)]),
                Button("Start onboarding")], label="Start onboarding"))
        return Page(person.name, body)

    @action("/employees/{employee_id}")
    def employee_post(self, request: Request, employee_id: str) -> Redirect | Invalid:
        person = self._find(employee_for, self.store, employee_id)
        try:
            made = start_onboarding(self.store, self._today, person.id,
                                    request.form.get("template", ""))
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/onboarding/{_q(made.id)}", f"Onboarding checklist {made.id} started.")

    @page("/leave")
    def leave(self, request: Request) -> Page:
        store = self.store
        status = request.arg("status")
        employee = request.arg("employee")
        found = visible_leave(store, status if status in _LEAVE_STATES else None,
                              employee or None)
        rows, pager = paginate(found, request)
        return Page("Leave", [
            Heading("Leave requests"),
            Link("Request leave", "/leave/new"),
            Form("filter", [Select("status", "Status", [("", "Any status"),
                                                        *((s, s) for s in _LEAVE_STATES)],
                                   status),
                            Input("employee", "Employee id", value=employee),
                            Button("Filter")], label="Filter leave", method="get"),
            Table("Leave requests", ["Request", "Employee", "Kind", "From", "To", "Days",
                                     "Status"], [
                [Link(r.id, f"/leave/{_q(r.id)}"), r.employee, LEAVE_LABELS[r.kind], r.start,
                 r.end, str(r.days), r.status] for r in rows]),
            *pager])

    @page("/leave/new")
    def new_leave(self, request: Request) -> Page:
        store = self.store
        fields: list[Node] = [] if store.account else [self._employee_select()]
        fields += [Select("kind", "Kind of leave", list(LEAVE_LABELS.items())),
                   Input("start", "First day", "date", required=True),
                   Input("end", "Last day", "date", required=True),
                   TextArea("note", "Note"), Button("Request leave")]
        return Page("Request leave", [Heading("Request leave"),
                                      Form("leave", fields, label="Request leave")])

    @action("/leave/new")
    def new_leave_post(self, request: Request) -> Redirect | Invalid:
        form = request.form
        try:
            made = request_leave(self.store, self._today, form.get("kind", ""),
                                 form.get("start", ""), form.get("end", ""),
                                 form.get("note", ""), form.get("employee") or None)
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/leave/{_q(made.id)}",
                        f"Leave {made.id} requested: {made.days} working days.")

    @page("/leave/{request_id}")
    def leave_request(self, request: Request, request_id: str) -> Page:
        store = self.store
        item = self._find(request_for, store, request_id)
        person = store.employee(item.employee)
        body: list[Node] = [
            Heading(f"Leave {item.id}"),
            Details([("Request", item.id),
                     ("Employee", Link(person.name if person else item.employee,
                                       f"/employees/{_q(item.employee)}")),
                     ("Kind", LEAVE_LABELS[item.kind]), ("From", item.start), ("To", item.end),
                     ("Working days", str(item.days)), ("Status", item.status),
                     ("Note", item.note or "—"), ("Requested on", item.created),
                     ("Decided by", item.decided_by or "—"),
                     ("Decision note", item.decision_note or "—")], "Leave details")]
        deciding = person is not None and item.status == "requested" and (
            store.account is None or store.account == person.manager)
        if deciding:
            body.append(Form("decide", [TextArea("note", "Note"),
                                        Button("Approve", "decision", "approve"),
                                        Button("Reject", "decision", "reject")],
                             label="Decide"))
        if item.status in OPEN_LEAVE and item.start > self._today.isoformat() and (
                store.account is None or store.account == item.employee):
            body.append(Form("cancel", [Button("Cancel leave")], label="Cancel leave"))
        body.append(Link("All leave requests", "/leave"))
        return Page(f"Leave {item.id}", body)

    @action("/leave/{request_id}")
    def leave_request_post(self, request: Request, request_id: str) -> Redirect | Invalid:
        store = self.store
        item = self._find(request_for, store, request_id)
        try:
            if request.form.get("_form") == "decide":
                decide_leave(store, self._today, item.id, request.form.get("decision", ""),
                             request.form.get("note", ""))
            else:
                cancel_leave(store, self._today, item.id)
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/leave/{_q(item.id)}", f"Leave {item.id} is {item.status}.")

    @page("/timesheets")
    def timesheets(self, request: Request) -> Page:
        store = self.store
        status = request.arg("status")
        employee = request.arg("employee")
        found = visible_sheets(store, status if status in _SHEET_STATES else None,
                               employee or None)
        rows, pager = paginate(found, request)
        opener: list[Node] = [] if store.account else [self._employee_select()]
        return Page("Timesheets", [
            Heading("Timesheets"),
            Form("week", [*opener, Input("week", "Week of", "date", self._today.isoformat()),
                          Button("Open week")], label="Open a week", method="get",
                 action="/timesheets/week"),
            Form("filter", [Select("status", "Status", [("", "Any status"),
                                                        *((s, s) for s in _SHEET_STATES)],
                                   status),
                            Input("employee", "Employee id", value=employee),
                            Button("Filter")], label="Filter timesheets", method="get"),
            Table("Timesheets", ["Timesheet", "Employee", "Week", "Status", "Total",
                                 "Overtime"], [
                [Link(t.id, f"/timesheets/{_q(t.id)}"), t.employee, t.week, t.status,
                 view["total"], view["overtime"]]
                for t, view in ((t, timesheet_totals(store, t)) for t in rows)]),
            *pager])

    @page("/timesheets/week")
    def week(self, request: Request) -> Page | Redirect:
        store = self.store
        try:
            person = _subject(store, request.arg("employee") or None)
            monday = week_of(parse_day(request.arg("week"), "week"))
        except HrError as exc:
            return Page("Open a week", [Heading("Open a week"), Alert(str(exc), "error"),
                                        Link("Timesheets", "/timesheets")], status=400)
        sheet = store.sheet_of(person.id, monday)
        if sheet is not None:
            if not _may_see(store, person):
                raise NotFound(f"No timesheet of {person.id} for you.")
            return Redirect(f"/timesheets/{_q(sheet.id)}")
        return Page(f"Week of {monday}", [
            Heading(f"{person.name}: week of {monday}"),
            Text("No hours are logged for this week yet."),
            self._hours_form(person.id, monday, None)])

    @action("/timesheets/week")
    def week_post(self, request: Request) -> Redirect | Invalid:
        return self._save_hours(request)

    def _hours_form(self, employee: str, monday: date, sheet: Timesheet | None) -> Form:
        rows: list[list[str | Link | Input | Select | Button]] = []
        for n in range(7):
            day = monday + timedelta(days=n)
            entry = sheet.days[n] if sheet else TimesheetDay(date=day.isoformat())
            rows.append([_WEEKDAYS[n], day.isoformat(),
                         Input(f"hours_{day.isoformat()}", f"Hours on {_WEEKDAYS[n]} "
                               f"{day.isoformat()}", "text", entry.hours),
                         Input(f"note_{day.isoformat()}", f"Note on {_WEEKDAYS[n]} "
                               f"{day.isoformat()}", "text", entry.note)])
        return Form("hours", [
            Input("employee", "", "hidden", employee), Input("week", "", "hidden",
                                                             monday.isoformat()),
            Table("Hours", ["Day", "Date", "Hours", "Note"], rows),
            Button("Save hours")], label="Hours worked")

    def _save_hours(self, request: Request) -> Redirect | Invalid:
        store = self.store
        form = request.form
        try:
            person = _subject(store, form.get("employee") if store.account is None else None)
            monday = week_of(parse_day(form.get("week", ""), "week"))
            sheet = store.sheet_of(person.id, monday)
            entries: dict[date, tuple[str, str]] = {}
            for n in range(7):
                day = monday + timedelta(days=n)
                key = day.isoformat()
                if f"hours_{key}" not in form:
                    continue
                hours, note = form[f"hours_{key}"], form.get(f"note_{key}", "")
                current = sheet.days[n] if sheet else TimesheetDay(date=key)
                if parse_hours(hours, f"hours_{key}") != Decimal(current.hours) \
                        or note.strip() != current.note:
                    entries[day] = (hours, note)
            if not entries:
                return Invalid({}, "Nothing was changed.")
            saved = set_hours(store, self._today, monday, entries,
                              person.id if store.account is None else None)
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/timesheets/{_q(saved.id)}", f"Hours of {saved.id} saved.")

    @page("/timesheets/{timesheet_id}")
    def timesheet(self, request: Request, timesheet_id: str) -> Page:
        store = self.store
        sheet = self._find(sheet_for, store, timesheet_id)
        person = store.employee(sheet.employee)
        totals = timesheet_totals(store, sheet)
        body: list[Node] = [
            Heading(f"Timesheet {sheet.id}"),
            Details([("Employee", Link(person.name if person else sheet.employee,
                                       f"/employees/{_q(sheet.employee)}")),
                     ("Week of", sheet.week), ("Status", sheet.status),
                     ("Total hours", totals["total"]), ("Regular", totals["regular"]),
                     ("Overtime", totals["overtime"]), ("Submitted", sheet.submitted_on or "—"),
                     ("Decided by", sheet.decided_by or "—"), ("Note", sheet.note or "—"),
                     ("Paid in", sheet.period or "—")], "Timesheet details")]
        flags = timesheet_flags(store, sheet)
        if flags:
            body.append(Section("Flags", [Text(f) for f in flags]))
        mine = store.account is None or store.account == sheet.employee
        if sheet.status in EDITABLE and mine:
            body.append(self._hours_form(sheet.employee, date.fromisoformat(sheet.week), sheet))
            body.append(Form("submit", [Button("Submit for approval")], label="Submit"))
        else:
            body.append(Table("Hours", ["Day", "Date", "Hours", "Note"], [
                [_WEEKDAYS[n], d.date, d.hours, d.note] for n, d in enumerate(sheet.days)]))
        if sheet.status == "submitted" and person is not None and (
                store.account is None or store.account == person.manager):
            body.append(Form("decide", [TextArea("note", "Note"),
                                        Button("Approve", "decision", "approve"),
                                        Button("Reject", "decision", "reject")],
                             label="Decide"))
        return Page(f"Timesheet {sheet.id}", body)

    @action("/timesheets/{timesheet_id}")
    def timesheet_post(self, request: Request, timesheet_id: str) -> Redirect | Invalid:
        store = self.store
        sheet = self._find(sheet_for, store, timesheet_id)
        which = request.form.get("_form")
        if which == "hours":
            return self._save_hours(request)
        try:
            if which == "submit":
                submit_timesheet(store, self._today, sheet.id)
            else:
                decide_timesheet(store, self._today, sheet.id,
                                 request.form.get("decision", ""), request.form.get("note", ""))
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/timesheets/{_q(sheet.id)}", f"Timesheet {sheet.id} is {sheet.status}.")

    @page("/onboarding")
    def onboarding(self, request: Request) -> Page:
        found = visible_checklists(self.store)
        rows, pager = paginate(found, request)
        return Page("Onboarding", [
            Heading("Onboarding checklists"),
            Table("Checklists", ["Checklist", "Employee", "Template", "Done"], [
                [Link(c.id, f"/onboarding/{_q(c.id)}"), c.employee, c.template,
                 f"{sum(1 for t in c.tasks if t.done_on)} of {len(c.tasks)}"] for c in rows]),
            *pager])

    @page("/onboarding/{checklist_id}")
    def checklist(self, request: Request, checklist_id: str) -> Page:
        store = self.store
        item = self._find(checklist_for, store, checklist_id)
        person = store.employee(item.employee)
        rows: list[list[str | Link | Input | Select | Button]] = []
        for task in item.tasks:
            may = store.account is None or (person is not None and (
                (task.owner == "Employee" and store.account == person.id)
                or (task.owner == "Manager" and store.account == person.manager)))
            rows.append([str(task.number), task.title, task.owner, task.due,
                         f"done {task.done_on} by {task.done_by}" if task.done_on else
                         (Button(f"Mark task {task.number} done", "task", str(task.number))
                          if may else "open")])
        body: list[Node] = [
            Heading(f"Onboarding of {person.name if person else item.employee}"),
            Details([("Checklist", item.id), ("Employee", Link(item.employee,
                                                               f"/employees/{_q(item.employee)}")),
                     ("Template", item.template), ("Created", item.created)],
                    "Checklist details"),
            Form("tasks", [Table("Tasks", ["Task", "Title", "Owner", "Due", "Done"], rows),
                           TextArea("note", "Note for the task marked done")],
                 label="Tasks")]
        if store.account is None:
            body.append(Form("add", [Input("title", "Task title", required=True),
                                     Select("owner", "Owner", [(o, o) for o in OWNERS]),
                                     Input("due", "Due", "date", required=True),
                                     Button("Add task")], label="Add a task"))
        return Page(f"Onboarding {item.id}", body)

    @action("/onboarding/{checklist_id}")
    def checklist_post(self, request: Request, checklist_id: str) -> Redirect | Invalid:
        store = self.store
        item = self._find(checklist_for, store, checklist_id)
        form = request.form
        try:
            if form.get("_form") == "add":
                add_task(store, item.id, form.get("title", ""), form.get("owner", ""),
                         form.get("due", ""))
                notice = f"Task {len(item.tasks)} added."
            else:
                number = _whole(form.get("task", ""))
                if number is None:
                    return Invalid({}, "Press the button of the task that is done.")
                complete_task(store, self._today, item.id, number, form.get("note", ""))
                notice = f"Task {number} is done."
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/onboarding/{_q(item.id)}", notice)

    @page("/payroll")
    def payroll(self, request: Request) -> Page:
        store = self.store
        if store.account is not None:
            return _staff_only()
        periods = sorted(store.periods, key=lambda p: p.start, reverse=True)
        return Page("Payroll", [
            Heading("Payroll periods"),
            Table("Periods", ["Period", "From", "To", "Pay date", "Status"], [
                [Link(p.id, f"/payroll/{_q(p.id)}"), p.start, p.end, p.pay_date, p.status]
                for p in periods[:MAX_RESULTS]])])

    @page("/payroll/{period_id}")
    def period(self, request: Request, period_id: str) -> Page:
        store = self.store
        if store.account is not None:
            return _staff_only()
        item = self._find(period_for, store, period_id)
        view = period_view(store, item)
        body: list[Node] = [
            Heading(f"Payroll {item.id}"),
            Details([("Period", item.id), ("From", item.start), ("To", item.end),
                     ("Pay date", item.pay_date), ("Status", item.status),
                     ("Total gross", f"{view['total_gross']} {store.currency}")],
                    "Period details"),
            Table("Payslips" if item.status == "closed" else "Payslips if closed now",
                  ["Employee", "Timesheets", "Regular hours", "Overtime hours", "Rate",
                   "Gross"], [
                [s["employee"], ", ".join(s["timesheets"]), s["regular_hours"],
                 s["overtime_hours"], s["hourly_rate"], s["gross"]] for s in view["payslips"]])]
        if view["blockers"]:
            body.append(Section("Waiting for a decision", [Text(b) for b in view["blockers"]]))
        if item.status == "open":
            body.append(Form("close", [Button("Close period")], label="Close the period"))
        return Page(f"Payroll {item.id}", body)

    @action("/payroll/{period_id}")
    def period_post(self, request: Request, period_id: str) -> Redirect | Invalid:
        store = self.store
        if store.account is not None:
            return Invalid({}, "Payroll is for HR staff.")
        item = self._find(period_for, store, period_id)
        try:
            close_payroll(store, self._today, item.id)
        except HrError as exc:
            return _invalid(exc, request)
        return Redirect(f"/payroll/{_q(item.id)}", f"Payroll {item.id} is closed.")


def _q(text: str) -> str:
    """``text`` as one URL path segment or query value."""
    return quote(text, safe="")


def _whole(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 9:
        return None
    return int(text)


_BUTTONS = frozenset({"task", "decision"})
"""Names the site's buttons send: a refusal about one is said over the whole form."""


def _invalid(exc: HrError, request: Request) -> Invalid:
    """A refusal shown at the field it is about when the form has that field, else over
    the whole form."""
    message = str(exc)
    if exc.field and exc.field in request.form and exc.field not in _BUTTONS:
        return Invalid({exc.field: message})
    return Invalid({}, message[0].upper() + message[1:] + ".")


def _staff_only() -> Page:
    return Page("HR staff only", [Heading("HR staff only"),
                                  Text("This page is for HR staff."), Link("Home", "/")],
                status=403)
