"""A general ledger and a budget: departments with cost centres, a chart of accounts,
journal entries as a SQLite database, and monthly budgets per department and account.

Amounts in the ledger are integer cents; budgets are whole currency units (as budget
workbooks hold them). :func:`spread` splits an amount into entries; :func:`ledger_database`
writes the ``departments``, ``accounts`` and ``entries`` tables.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import openpyxl

from workgym.apps.db import SqlValue, database_bytes
from workgym.apps.sheets import workbook_bytes

DEPARTMENTS = ("Engineering", "Marketing", "Sales", "Finance", "People", "Operations",
               "Customer Support", "Legal", "Facilities", "Product")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    type: str
    """``opex``, ``capex`` or ``revenue``."""


OPEX = (Account("6000", "Salaries", "opex"), Account("6100", "Contractors", "opex"),
        Account("6200", "Travel", "opex"), Account("6300", "Software subscriptions", "opex"),
        Account("6400", "Marketing programmes", "opex"), Account("6500", "Training", "opex"),
        Account("6600", "Office costs", "opex"))
RECHARGES = Account("6900", "Internal recharges", "opex")
OTHER = (Account("1700", "Equipment purchases", "capex"),
         Account("1750", "Capitalised software", "capex"),
         Account("4000", "Sales revenue", "revenue"))
ACCOUNTS = (*OPEX, RECHARGES, *OTHER)

SCHEMA = (
    ("CREATE TABLE departments (id INTEGER PRIMARY KEY, cost_centre TEXT NOT NULL UNIQUE, "
    "name TEXT NOT NULL, head_email TEXT NOT NULL)"),
    "CREATE TABLE accounts (code TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL)",
    ("CREATE TABLE entries (id INTEGER PRIMARY KEY, posted_on TEXT NOT NULL, cost_centre TEXT "
    "NOT NULL, account TEXT NOT NULL REFERENCES accounts(code), amount_cents INTEGER NOT "
    "NULL, status TEXT NOT NULL, memo TEXT NOT NULL)"),
)


@dataclass(frozen=True)
class Department:
    name: str
    cost_centre: str
    head: str
    """The head's address."""
    accounts: tuple[Account, ...]
    """The operating accounts its budget has lines for."""


@dataclass(frozen=True)
class Entry:
    on: date
    cost_centre: str
    account: Account
    cents: int
    status: str = "posted"
    memo: str = ""


def spread(rng: random.Random, cents: int, parts: int) -> list[int]:
    """``cents`` split into ``parts`` positive amounts (each at least 1% of the mean)."""
    if parts < 1 or cents < parts * 100:
        raise ValueError(f"cannot split {cents} cents into {parts} entries")
    weights = [rng.randint(50, 150) for _ in range(parts)]
    shares = [cents * w // sum(weights) for w in weights]
    shares[-1] += cents - sum(shares)
    return shares


def budget_lines(rng: random.Random, department: Department, monthly: int,
                 ) -> dict[str, list[int]]:
    """Account code -> twelve monthly budgets (whole units) adding up to about ``monthly``
    a month for the department."""
    lines: dict[str, list[int]] = {}
    weights = [rng.randint(1, 6) for _ in department.accounts]
    for account, weight in zip(department.accounts, weights, strict=True):
        base = monthly * weight // sum(weights)
        lines[account.code] = [max(100, base * rng.randint(85, 115) // 10_000 * 100)
                               for _ in MONTHS]
    return lines


_MEMOS = {"6000": "Payroll", "6100": "Contractor invoice", "6200": "Travel expenses",
          "6300": "Subscription renewal", "6400": "Campaign costs", "6500": "Course fees",
          "6600": "Office supplies", "6900": "Recharge from shared services",
          "1700": "Laptop purchase", "1750": "Capitalised development",
          "4000": "Customer invoice"}


def memo(account: Account) -> str:
    return _MEMOS.get(account.code, account.name)


def department_entries(rng: random.Random, d: Department, year: int, quarter: int,
                       actual: int, lines: dict[str, list[int]], *, recharges: bool,
                       reversals: bool) -> list[Entry]:
    """The entries of a department for the year so far: the quarter's operating costs
    adding up to ``actual`` cents, the months before it and the first days after it, and
    what must not count (a draft, capital expenditure or revenue, internal recharges and
    an entry reversed by another, as asked)."""
    months = range(3 * quarter - 2, 3 * quarter + 1)
    found: list[Entry] = []

    def day(month: int) -> date:
        return date(year, month, rng.randint(1, 28))

    parts = [(m, a) for m in months for a in d.accounts for _ in range(rng.randint(1, 2))]
    for (m, a), cents in zip(parts, spread(rng, actual, len(parts)), strict=True):
        found.append(Entry(day(m), d.cost_centre, a, cents, memo=memo(a)))
    others = [m for m in range(1, 13) if m not in months and (
        m < months[0] or (quarter < 4 and m == months[-1] + 1))]
    for m in others:
        for a in d.accounts:
            on = day(m) if m < months[0] else date(year, m, rng.randint(1, 3))
            found.append(Entry(on, d.cost_centre, a, lines[a.code][m - 1] * rng.randint(
                80, 120), memo=memo(a)))
    if quarter == 4:
        found.append(Entry(date(year + 1, 1, rng.randint(1, 3)), d.cost_centre,
                           d.accounts[0], rng.randint(1000, 90000) * 100,
                           memo=memo(d.accounts[0])))
    found.append(Entry(day(rng.choice(months)), d.cost_centre, rng.choice(d.accounts),
                       rng.randint(500, 20000) * 100, "draft", "Accrual (to review)"))
    if rng.random() < 0.6:
        a = rng.choice(OTHER[:2] if d.name != "Sales" else OTHER)
        found.append(Entry(day(rng.choice(months)), d.cost_centre, a,
                           rng.randint(1000, 40000) * 100, memo=memo(a)))
    if recharges:
        for month in months:
            found.append(Entry(day(month), d.cost_centre, RECHARGES,
                               rng.randint(500, 9000) * 100, memo=memo(RECHARGES)))
    if reversals and rng.random() < 0.5:
        a, cents = rng.choice(d.accounts), rng.randint(300, 9000) * 100
        first = day(months[0])
        found += [Entry(first, d.cost_centre, a, cents, memo=f"{memo(a)} (duplicate)"),
                  Entry(first + timedelta(days=rng.randint(1, 20)), d.cost_centre, a,
                        -cents, memo=f"Reversal: {memo(a).lower()} booked twice")]
    return found


def budget_workbook(departments: Sequence[Department], lines: dict[str, dict[str, list[int]]],
                    year: int, layout: str, last_year: random.Random | None = None) -> bytes:
    """The budget workbook in one of three layouts: ``totals`` (a row per department and
    a column per month), ``accounts`` (a row per department and account) or ``sheets``
    (a sheet per department, a row per account). With ``last_year``, a sheet of last
    year's budget drawn from it is added."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    names = {a.code: f"{a.code} {a.name}" for a in ACCOUNTS}
    if layout == "sheets":
        for d in departments:
            ws = wb.create_sheet(d.name)
            ws.append(["Account", *MONTHS])
            for code, months in lines[d.name].items():
                ws.append([names[code], *months])
    else:
        ws = wb.create_sheet(f"Budget {year}")
        ws.append(["Department", *(["Account"] if layout == "accounts" else []), *MONTHS])
        for d in departments:
            if layout == "accounts":
                for code, months in lines[d.name].items():
                    ws.append([d.name, names[code], *months])
            else:
                ws.append([d.name, *(sum(v[m] for v in lines[d.name].values())
                                     for m in range(12))])
    if last_year is not None:
        old = wb.create_sheet(f"Budget {year - 1}")
        old.append(["Department", *MONTHS])
        for d in departments:
            old.append([d.name, *(last_year.randint(15, 150) * 1000 for _ in MONTHS)])
    return workbook_bytes(wb)


def ledger_database(departments: Sequence[Department], entries: Sequence[Entry],
                    extra: Sequence[tuple[str, Sequence[Sequence[SqlValue]]]] = ()) -> bytes:
    """The ledger: entries get ids in date order (then in the order given)."""
    ordered = sorted(enumerate(entries), key=lambda pair: (pair[1].on, pair[0]))
    rows: dict[str, list[Sequence[SqlValue]]] = {
        "departments": [(n, d.cost_centre, d.name, d.head)
                        for n, d in enumerate(departments, 1)],
        "accounts": [(a.code, a.name, a.type) for a in ACCOUNTS],
        "entries": [(n, e.on.isoformat(), e.cost_centre, e.account.code, e.cents, e.status,
                     e.memo) for n, (_, e) in enumerate(ordered, 1)],
    }
    for statement, values in extra:
        rows[statement.split()[2]] = list(values)
    return database_bytes([*SCHEMA, *(statement for statement, _ in extra)], rows)
