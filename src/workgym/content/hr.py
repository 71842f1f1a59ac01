"""HR content: a company's staff in teams with managers, their leave history, weeks of
timesheets, onboarding templates and checklists, and payroll periods, drawn
deterministically for the ``hr`` portal.

:func:`hr_store` builds a whole portal from one random stream; families then add the
new hires, requests and sheets their task is about with the ``HrStore`` builders. Past
periods are closed and paid, so only the weeks a task is about are open; colleagues'
sheets with the same hours and old approved leave make the distractors.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from workgym.apps.hr import (
    HrStore,
    LeaveKind,
    Owner,
    SheetStatus,
    TemplateTask,
    close_payroll,
    week_of,
    working_days,
)
from workgym.content.meetings import TEAM_NAMES
from workgym.content.people import directory

__all__ = ["TEMPLATES", "holidays", "hr_store", "week_hours"]

TEMPLATES: dict[str, tuple[tuple[str, Owner, int], ...]] = {
    "General": (
        ("Sign the employment contract", "HR", -14),
        ("Create accounts and e-mail", "IT", -3),
        ("Prepare laptop and badge", "IT", -1),
        ("Welcome meeting with the team", "Manager", 0),
        ("Read the employee handbook", "Employee", 2),
        ("Set up payroll and bank details", "HR", 3),
        ("First-week check-in", "Manager", 4),
        ("Complete security training", "Employee", 10),
    ),
    "Engineering": (
        ("Sign the employment contract", "HR", -14),
        ("Create accounts and e-mail", "IT", -3),
        ("Grant repository access", "IT", -1),
        ("Prepare laptop and badge", "IT", -1),
        ("Welcome meeting with the team", "Manager", 0),
        ("Pair on a first small change", "Manager", 3),
        ("Set up the development environment", "Employee", 1),
        ("Complete security training", "Employee", 10),
        ("30-day review", "Manager", 30),
    ),
}
"""Onboarding templates: (task, owner, days after the start date)."""
_TITLES = ("Analyst", "Engineer", "Specialist", "Coordinator", "Designer", "Consultant")


def holidays(year: int) -> list[str]:
    """The company's fixed public holidays of ``year`` (ISO dates)."""
    return [date(year, m, d).isoformat() for m, d in ((1, 1), (5, 1), (10, 3), (12, 25),
                                                      (12, 26))]


def week_hours(rng: random.Random, weekly: int, *, overtime: bool = False) -> list[Decimal]:
    """A plausible week of hours in quarter hours, Monday to Sunday: exactly ``weekly``
    contract hours over the weekdays, plus late evenings when ``overtime``."""
    daily = Decimal(weekly) / 5
    swing = ("-1", "-0.5", "0", "0", "0", "0.5", "1") if weekly >= 20 else ("0",)
    days = [_quarter(daily + Decimal(rng.choice(swing))) for _ in range(4)]
    days.append(Decimal(weekly) - sum(days, Decimal(0)))
    if overtime:
        for _ in range(rng.randint(1, 3)):
            day, extra = rng.randrange(5), Decimal(rng.choice(("1", "1.5", "2", "2.5")))
            if days[day] + extra <= 12:  # long, but not a day a payroll check flags
                days[day] += extra
    return [*days, Decimal(0), Decimal(0)]


def _quarter(value: Decimal) -> Decimal:
    return (value * 4).to_integral_value(ROUND_HALF_UP) / 4


def hr_store(rng: random.Random, *, now: datetime, teams: Sequence[str] | None = None,
             team_size: int = 5, weeks: int = 8, period_weeks: int = 4,
             account: str | None = None, name: str = "People Portal",
             host: str = "hr.example", currency: str = "EUR") -> HrStore:
    """A whole portal: a head of department and ``teams`` of ``team_size`` (a lead and
    reports, ``E-001`` the head), each with an hourly rate and contract hours; approved
    past leave and a few requests waiting; timesheets for the last ``weeks`` full weeks
    (approved, the last week's submitted or draft); payroll periods of
    ``period_weeks`` weeks ending before the last week, closed and paid, and the current
    one open; the onboarding templates of :data:`TEMPLATES`. ``account`` is who is
    signed in (an employee id, or None for HR staff).

    Raises:
        ValueError: counts the content cannot fill.
    """
    if team_size < 1 or weeks < 1 or period_weeks < 1:
        raise ValueError("team_size, weeks and period_weeks must be at least 1")
    chosen = list(teams) if teams is not None else rng.sample(TEAM_NAMES, 3)
    today = now.date()
    store = HrStore(name=name, host=host, currency=currency,
                    holidays=holidays(today.year - 1) + holidays(today.year),
                    templates={n: [TemplateTask(title=t, owner=o, offset_days=d)
                                   for t, o, d in tasks] for n, tasks in TEMPLATES.items()})
    org = directory(rng, chosen, team_size, domain="staff.example")
    ids: dict[str, str] = {}
    for person in org.people:
        started = today - timedelta(days=rng.randrange(200, 3000))
        weekly = rng.choice((40, 40, 40, 32, 24))
        made = store.add_employee(
            person.name, person.email, started, department=person.team or "Management",
            title=person.role if person.role in ("Head of department", "Team lead")
            else rng.choice(_TITLES), manager=ids.get(person.manager),
            hourly_rate=Decimal(rng.randrange(1800, 5200, 25)) / 100, weekly_hours=weekly,
            annual_allowance=rng.choice((25, 28, 30)))
        ids[person.email] = made.id
    first_week = week_of(today) - timedelta(weeks=weeks)
    for employee in store.employees:
        _leave(rng, store, employee.id, today)
    off = set(store.holidays)
    for employee in store.employees:
        away = {(date.fromisoformat(r.start) + timedelta(days=n)).isoformat()
                for r in store.leave if r.employee == employee.id and r.status == "approved"
                for n in range((date.fromisoformat(r.end) - date.fromisoformat(r.start)).days
                               + 1)}
        for n in range(weeks):
            monday = first_week + timedelta(weeks=n)
            status: SheetStatus = "approved"
            if n == weeks - 1:
                status = "submitted" if rng.random() < 0.5 else "draft"
            hours = week_hours(rng, employee.weekly_hours, overtime=rng.random() < 0.2)
            # no hours on days off: the anomalies a task is about are the ones it adds
            hours = [Decimal(0) if (monday + timedelta(days=d)).isoformat() in off | away
                     else h for d, h in enumerate(hours)]
            store.add_timesheet(employee.id, monday, hours, status=status,
                                submitted_on=monday + timedelta(days=5)
                                if status != "draft" else None)
    start = first_week
    while start + timedelta(weeks=period_weeks) <= week_of(today) - timedelta(weeks=1):
        period = store.add_period(f"PP-{start.isoformat()}", start, period_weeks,
                                  start + timedelta(weeks=period_weeks, days=4))
        close_payroll(store, date.fromisoformat(period.end) + timedelta(days=1), period.id)
        start += timedelta(weeks=period_weeks)
    store.add_period(f"PP-{start.isoformat()}", start, period_weeks,
                     start + timedelta(weeks=period_weeks, days=4))
    store.account = account
    return store


def _leave(rng: random.Random, store: HrStore, employee: str, today: date) -> None:
    """A few approved past days off and, sometimes, a request waiting."""
    for _ in range(rng.randint(0, 3)):
        start = today - timedelta(days=rng.randrange(15, 300))
        end = start + timedelta(days=rng.randint(0, 4))
        kind: LeaveKind = rng.choice(("annual", "annual", "sick"))
        if end.year != start.year or _overlaps(store, employee, start, end) \
                or working_days(store, start, end) < 1:
            continue
        store.add_leave(employee, kind, start, end, created=start - timedelta(days=10))
    if rng.random() < 0.3:
        start = today + timedelta(days=rng.randrange(10, 60))
        end = start + timedelta(days=rng.randint(1, 6))
        if start.year == end.year and not _overlaps(store, employee, start, end) \
                and working_days(store, start, end) >= 1:
            store.add_leave(employee, "annual", start, end, status="requested", created=today)


def _overlaps(store: HrStore, employee: str, start: date, end: date) -> bool:
    return any(r.employee == employee and r.start <= end.isoformat() and r.end >= start.isoformat()
               for r in store.leave)
