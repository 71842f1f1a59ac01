"""data/sql-report: a quarterly sales report from a SQLite database, a sheet and a memo.

Description:
    The head of sales mails the analyst for last quarter's sales report: which orders
    count (completed ones placed in the quarter, at their net value, without internal test
    accounts or marketplace orders, where said) and, at the medium and hard levels, that
    regions come from a country-to-region workbook; at the hard level a later mail counts
    shipped orders too. The company's orders are a SQLite database
    (``data/sales.db``: customers, products, orders, order_items) with orders just
    outside the quarter. The agent computes the figures with SQL, writes the workbook
    ``reports/sales-<year>-q<n>.xlsx`` (sheets ``By region``, ``By category``, ``By
    month`` as the level asks), the memo ``reports/sales-<year>-q<n>-memo.docx`` with the
    headline figures, and mails both files to the requester.

Apps:
    db, sheets, docs, mail.

Criteria:
    - ``By region: <region>`` (one per row: orders, customers, revenue), and likewise
      ``By category: ...`` (units, revenue) and ``By month: ...`` (orders, revenue):
      precision-aware; ``<sheet>: exactly these rows`` and ``<sheet>: order`` (0.5) each.
    - ``memo: <key>`` for Net revenue, Orders, Customers, Top region (and Top category,
      Best month): exactly one such line, with the right value.
    - ``report mailed with both files`` (as they are at the end), ``mail: net revenue``.
    - guards: the database, the region workbook and every other input unchanged; mails
      untouched; mail only to the requester.

Difficulty:
    Knobs set the customers and orders, the breakdowns asked for, internal test accounts,
    the marketplace rule, regions through the workbook, and the follow-up mail. Reference
    calls: easy 14, medium 21, hard 26. ``richness`` adds everyday mails, unrelated tables
    (web sessions, support tickets), older orders, last quarter's report and its mail,
    and an outdated region sheet.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.db import DbStore
from workgym.apps.sheets import workbook_bytes
from workgym.content import sales as sl
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.reports import amount_cents, decimal_text, mailed_with, memo_value, whole
from workgym.core import (
    Criterion,
    GradeError,
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

DB, MAPPING = "data/sales.db", "reference/sales-regions.xlsx"
SHEETS = {"region": ("By region", ("Region", "Orders", "Customers", "Revenue")),
          "category": ("By category", ("Category", "Units", "Revenue")),
          "month": ("By month", ("Month", "Orders", "Revenue"))}
_NET = "i.quantity * i.unit_price_cents - i.discount_cents"


class Knobs(BaseModel, frozen=True):
    customers: int
    orders: int
    """Orders over the two quarters and the days since."""
    breakdowns: int
    """Sheets asked for: by region, then by category, then by month."""
    test_accounts: int
    """Internal test accounts with orders (to leave out); 0 for none."""
    marketplace_rule: bool
    """Marketplace orders are left out."""
    mapping: bool
    """Customers have a country; regions come from the workbook."""
    follow_up: bool
    """A later mail counts shipped orders as well."""


@dataclass(frozen=True)
class _Setting:
    me: Person
    boss: Person
    company: str
    currency: str
    year: int
    quarter: int
    now: datetime

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> datetime:
        q = self.quarter
        return datetime(self.year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)

    @property
    def name(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def book(self) -> str:
        return f"reports/sales-{self.year}-q{self.quarter}.xlsx"

    @property
    def memo(self) -> str:
        return f"reports/sales-{self.year}-q{self.quarter}-memo.docx"


def _label(value: Any) -> str:
    if not isinstance(value, str):
        raise GradeError(f"{value!r} is not a name")
    return " ".join(value.split()).casefold()


def _row(*values: Any) -> tuple[Any, ...]:
    """A sheet row as a comparable item: name, counts, cents; a malformed row is an item
    that matches nothing."""
    try:
        return (_label(values[0]), *(whole(v) for v in values[1:-1]),
                amount_cents(values[-1], "Revenue"))
    except GradeError as exc:
        return ("malformed row", str(exc)[:120])


@register_family
class SqlReport(TaskFamily[Knobs]):
    """Compute a quarter's sales report with SQL; write the sheet and the memo, mail them."""

    name = "data/sql-report"
    version = 1
    apps = ("db", "sheets", "docs", "mail")
    levels = Levels(
        easy=Level(Knobs(customers=25, orders=160, breakdowns=1, test_accounts=0,
                         marketplace_rule=False, mapping=False, follow_up=False), calls=14),
        medium=Level(Knobs(customers=45, orders=260, breakdowns=2, test_accounts=2,
                           marketplace_rule=False, mapping=True, follow_up=False), calls=21),
        hard=Level(Knobs(customers=80, orders=420, breakdowns=3, test_accounts=3,
                         marketplace_rule=True, mapping=True, follow_up=True), calls=26),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(20):
            rng = rng_for(spec, "core", attempt)  # the answer's stream: it ignores richness
            s = self._setting(rng)
            sales = self._sales(rng, k, s)
            rules = sl.Rules(s.start, s.end, frozenset({"completed", "shipped"} if k.follow_up
                                                       else {"completed"}),
                             k.test_accounts > 0, "marketplace" if k.marketplace_rule else None)
            figures = sl.report(sales, rules)
            if _clear(figures):
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no report without ties")
        rich = rng_for(spec, "distractors")
        extra = self._old_orders(rich, sales, s, scaled(spec.richness, 60))
        sales.number()
        files = {DB: sl.sales_database(sales, regions=not k.mapping, extra=extra)}
        if k.mapping:
            files[MAPPING] = self._mapping(sales, rich, spec.richness)
        box = Mailbox(s.me)
        asks = self._mails(k, s, box, rng)
        self._distractors(s, sales, box, files, rich, spec.richness)
        mail, ids = box.build()
        kinds = ("region", "category", "month")[:k.breakdowns]
        tables: dict[str, list[list[Any]]] = {
            kind: [[*r[:-1], float(decimal_text(r[-1]))] for r in rows]
            for kind, rows in (("region", figures.by_region), ("category", figures.by_category),
                               ("month", figures.by_month))}
        top = {"Top region": figures.by_region[0][0], "Top category": figures.by_category[0][0],
               "Best month": max(figures.by_month, key=lambda r: r[2])[0]}
        memo = {"Net revenue": decimal_text(figures.revenue), "Orders": str(figures.orders),
                "Customers": str(figures.customers),
                **dict(list(top.items())[:k.breakdowns])}
        plan = self._reference(k, s, rules, [ids[a] for a in asks], kinds, tables, memo)
        return Task(spec=spec, prompt=self._prompt(k, s, kinds), apps=self.apps,
                    template=WorldTemplate(now=s.now, files=files, stores={
                        "mail": mail, "db": DbStore(path=DB)}),
                    criteria=self._criteria(s, kinds, tables, memo, figures,
                                            [p for p in files]),
                    reference=plan, artifacts=(s.book, s.memo))

    # -- the world --------------------------------------------------------------------------

    def _setting(self, rng: random.Random) -> _Setting:
        company = rng.choice(("Northwind Systems", "Halcyon Digital", "Kestrel Labs",
                              "Meridian Systems", "Upland Software"))
        domain = company.lower().replace(" ", "-") + ".example"
        me, boss = people(rng, 2, domain=domain)
        year, quarter = rng.choice([(2024, 4), (2025, 1), (2025, 2), (2025, 3), (2025, 4),
                                    (2026, 1)])
        end = datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1,
                       tzinfo=UTC)
        return _Setting(me, boss, company, rng.choice(("EUR", "USD", "GBP")), year, quarter,
                        end + timedelta(days=rng.randint(3, 9), hours=9))

    def _sales(self, rng: random.Random, k: Knobs, s: _Setting) -> sl.Sales:
        """Orders from the quarter before to now, with some right at the quarter's edges
        and the test accounts' orders inside it."""
        begin = s.start - timedelta(days=92)
        sales = sl.draw_sales(rng, k.customers, k.orders, begin,
                              s.now.replace(tzinfo=None) - timedelta(hours=2), k.test_accounts)
        last = s.end - timedelta(days=1)
        for at in (last.replace(hour=rng.randint(12, 22)), last.replace(hour=23, minute=40),
                   s.start - timedelta(minutes=rng.randint(5, 90)),
                   s.end + timedelta(minutes=rng.randint(5, 90))):
            sales.orders.append(sl.draw_order(rng, sales, at, "completed"))
        for customer in [c for c in sales.customers if c.is_test]:
            for _ in range(2):
                order = sl.draw_order(rng, sales, s.start + timedelta(
                    minutes=rng.randrange(int((s.end - s.start).total_seconds() // 60))),
                    "completed")
                order.customer = customer
                sales.orders.append(order)
        return sales

    def _old_orders(self, rng: random.Random, sales: sl.Sales, s: _Setting,
                    count: int) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """Orders from a year before (never counted), and unrelated tables."""
        for _ in range(count):
            sales.orders.append(sl.draw_order(rng, sales, s.start - timedelta(
                days=rng.randint(200, 400), minutes=rng.randrange(1440))))
        if not count:
            return []
        ids = [c.id for c in sales.customers]
        sessions = [(n, rng.choice(ids), (f"{s.start - timedelta(days=rng.randint(0, 150)):%Y-%m-%d}"
                     f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"), rng.randint(1, 40))
                    for n in range(1, count + 1)]
        tickets = [(n, rng.choice(ids), rng.choice(("open", "closed", "waiting")),
                    rng.choice(("billing", "delivery", "login", "invoice copy")))
                   for n in range(1, count // 3 + 1)]
        return [(("CREATE TABLE web_sessions (id INTEGER PRIMARY KEY, customer_id INTEGER, "
                 "started_at TEXT, pages INTEGER)"), sessions),
                (("CREATE TABLE support_tickets (id INTEGER PRIMARY KEY, customer_id INTEGER, "
                 "status TEXT, topic TEXT)"), tickets)]

    def _mapping(self, sales: sl.Sales, rich: random.Random, richness: float) -> bytes:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Regions"
        ws.append(["Country", "Region"])
        for country in sorted(sales.mapping):
            ws.append([country, sales.mapping[country]])
        if richness >= 0.5:  # last year's sheet, one swing country the other way round
            old = wb.create_sheet("Regions 2023")
            old.append(["Country", "Region"])
            moved = rich.choice(sorted(sl.SWING))
            for country in sorted(sales.mapping):
                region = sales.mapping[country]
                if country == moved:
                    region = next(r for r in sl.SWING[moved] if r != region)
                old.append([country, region])
        return workbook_bytes(wb)

    def _mails(self, k: Knobs, s: _Setting, box: Mailbox, rng: random.Random) -> list[str]:
        last = s.end - timedelta(days=1)
        rules = [(f"count the completed orders placed in {s.name} (order time, UTC: from "
                  f"{s.start.day} {s.start:%B %Y} up to the end of {last.day} {last:%B %Y}), "
                  "each at its net value: quantity times unit price, less the line's "
                  "discount")]
        if k.test_accounts:
            rules.append("leave out our internal test accounts (is_test = 1)")
        if k.marketplace_rule:
            rules.append("leave out marketplace orders; the partner team reports those")
        if k.mapping:
            rules.append(f"take each customer's region from the Regions sheet of {MAPPING}, "
                         "by the customer's country")
        asked = box.receive(s.boss, f"Sales report {s.name}", letter(
            s.me.first, f"could you put together the sales report for {s.name}? For the "
            "figures:\n" + "\n".join(f"- {r}" for r in rules) + "\n\nThe layout is the usual "
            "one; send me the workbook and the memo.", s.boss.first),
            s.now - timedelta(days=1, hours=rng.randint(1, 6)), key="request")
        keys = [asked]
        if k.follow_up:
            keys.append(box.receive(s.boss, f"Re: Sales report {s.name}", letter(
                s.me.first, "one change: finance now books revenue when an order ships, so "
                "count shipped orders as well as completed ones. Everything else stays.",
                s.boss.first), s.now - timedelta(hours=rng.randint(1, 12)), key="follow-up",
                reply_to="request"))
        return keys

    def _distractors(self, s: _Setting, sales: sl.Sales, box: Mailbox, files: dict[str, bytes],
                     rich: random.Random, richness: float) -> None:
        crowd = people(rich, 4, domain=s.me.email.split("@")[1])
        everyday_mails(box, rich, scaled(richness, 6), s.me, crowd, s.now - timedelta(days=10),
                       s.now - timedelta(hours=1))
        if richness < 0.5:
            return
        q, y = (s.quarter - 1, s.year) if s.quarter > 1 else (4, s.year - 1)
        start = datetime(y, 3 * q - 2, 1)
        old = sl.report(sales, sl.Rules(start, s.start, skip_test=True))
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "By region"
        ws.append(list(SHEETS["region"][1]))
        for region, orders, customers, cents in old.by_region:
            ws.append([region, orders, customers, float(decimal_text(cents))])
        files[f"reports/sales-{y}-q{q}.xlsx"] = workbook_bytes(wb)
        box.receive(s.boss, f"Re: Sales report Q{q} {y}", letter(
            s.me.first, f"thanks for the Q{q} report, that went down well. Net revenue of "
            f"{decimal_text(old.revenue)} {s.currency} was a good quarter.", s.boss.first),
            s.start.replace(tzinfo=s.now.tzinfo) + timedelta(days=rich.randint(8, 20)))

    def _prompt(self, k: Knobs, s: _Setting, kinds: tuple[str, ...]) -> str:
        sheets = {
            "region": "one row per region with counted orders, sorted by revenue (highest "
                      "first): Region, Orders (counted orders), Customers (distinct "
                      "customers with a counted order), Revenue",
            "category": "one row per product category, sorted by revenue (highest first): "
                        "Category, Units (quantity sold), Revenue",
            "month": "one row per month of the quarter with counted orders, in month order: "
                     "Month (YYYY-MM), Orders, Revenue"}
        keys = ["Net revenue: <the quarter's revenue>", "Orders: <counted orders>",
                "Customers: <distinct customers>", ("Top region: <the region with the most "
                "revenue>"), "Top category: <the category with the most revenue>",
                "Best month: <the month with the most revenue, YYYY-MM>"][:3 + len(kinds)]
        return (
            f"You are {s.me.name} ({s.me.email}), data analyst at {s.company}. "
            f"{s.boss.name} asked you by mail for the sales report for {s.name}; the mail "
            f"(and any later one from {s.boss.first}) says which orders count. The data is "
            f"the SQLite database {DB} (read it with SQL).\n\n"
            f"1. Write the workbook {s.book} with "
            + "; ".join(f"the sheet \"{SHEETS[n][0]}\" holding a header row and {sheets[n]}"
                        for n in kinds)
            + f". Revenue is in {s.currency} with 2 decimals; every figure is a value, not "
            "a formula.\n"
            f"2. Write the memo {s.memo}: a short Word document whose paragraphs include these "
            "lines, each once:\n" + "\n".join(keys) + "\n(amounts with 2 decimals, no "
            "currency sign).\n"
            f"3. Mail {s.boss.first} (and no one else) the workbook and the memo as attachments, "
            "with the Net revenue line in the body as well.")

    # -- the reference and the grading ------------------------------------------------------

    def _reference(self, k: Knobs, s: _Setting, rules: sl.Rules, reads: list[str],
                   kinds: tuple[str, ...], tables: dict[str, list[list[Any]]],
                   memo: dict[str, str]) -> tuple[ToolCall, ...]:
        where = [f"o.ordered_at >= '{s.start:%Y-%m-%d}'", f"o.ordered_at < '{s.end:%Y-%m-%d}'",
                 "o.status IN (" + ", ".join(f"'{x}'" for x in sorted(rules.statuses)) + ")"]
        where += ["c.is_test = 0"] * rules.skip_test + [f"o.channel <> '{rules.skip_channel}'"
                                                        ] * (rules.skip_channel is not None)
        joins = ("FROM orders o JOIN customers c ON c.id = o.customer_id JOIN order_items i "
                 "ON i.order_id = o.id")
        cond = " WHERE " + " AND ".join(where)
        place = "c.country" if k.mapping else "c.region"

        def q(sql: str) -> ToolCall:
            return ToolCall("db.query", {"sql": sql, "max_rows": 500})

        plan = [ToolCall("mail.search", {"query": "sales report"}),
                *(ToolCall("mail.read", {"message_id": i}) for i in reads),
                ToolCall("db.list_tables", {}),
                *(ToolCall("db.describe_table", {"table": t}) for t in (
                    "customers", "orders", "order_items", "products")[:3 + (k.breakdowns > 1)]),
                q("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status")]
        if k.test_accounts:
            plan.append(q("SELECT id, name FROM customers WHERE is_test = 1"))
        if k.marketplace_rule:
            plan.append(q("SELECT channel, count(*) FROM orders GROUP BY channel"))
        if k.mapping:
            plan += [ToolCall("sheets.list_sheets", {"path": MAPPING}),
                     ToolCall("sheets.read_range", {"path": MAPPING, "sheet": "Regions"})]
        plan.append(q(f"SELECT {place}, count(DISTINCT o.id), count(DISTINCT c.id), "
                      f"sum({_NET}) {joins}{cond} GROUP BY {place} ORDER BY 4 DESC"))
        if "category" in kinds:
            plan.append(q(f"SELECT p.category, sum(i.quantity), sum({_NET}) {joins} JOIN "
                          f"products p ON p.id = i.product_id{cond} GROUP BY p.category "
                          "ORDER BY 3 DESC"))
        if "month" in kinds:
            plan.append(q(f"SELECT substr(o.ordered_at, 1, 7), count(DISTINCT o.id), "
                          f"sum({_NET}) {joins}{cond} GROUP BY 1 ORDER BY 1"))
        plan.append(q(f"SELECT count(DISTINCT o.id), count(DISTINCT c.id), sum({_NET}) "
                      f"{joins}{cond}"))
        for n, kind in enumerate(kinds):
            sheet, columns = SHEETS[kind]
            plan.append(ToolCall("sheets.create_workbook", {"path": s.book, "sheet": sheet})
                        if n == 0 else ToolCall("sheets.add_sheet", {"path": s.book,
                                                                     "name": sheet}))
            plan.append(ToolCall("sheets.append_rows", {
                "path": s.book, "sheet": sheet, "rows": [list(columns), *tables[kind]]},
                items={"rows": tuple(tables[kind])}))
        lines = [f"{key}: {value}" for key, value in memo.items()]
        plan += [ToolCall("docs.create", {"path": s.memo, "title": f"Sales report {s.name}"}),
                 ToolCall("docs.insert_paragraphs", {"path": s.memo, "paragraphs": [
                     f"Sales in {s.name}, counted as agreed.", *lines]},
                          items={"paragraphs": tuple(lines)})]
        net = lines[0]
        plan.append(ToolCall("mail.send", {
            "to": [s.boss.email], "subject": f"Sales report {s.name}",
            "body": letter(s.boss.first, f"the {s.name} report is attached.\n\n{net}",
                           s.me.first), "attachments": [s.book, s.memo]},
            items={"body": (net,)}))
        return tuple(plan)

    def _criteria(self, s: _Setting, kinds: tuple[str, ...], tables: dict[str, list[list[Any]]],
                  memo: dict[str, str], figures: sl.Figures, inputs: list[str],
                  ) -> tuple[Criterion, ...]:
        found: list[Criterion] = []
        for kind in kinds:
            sheet, columns = SHEETS[kind]
            rows = wc.xlsx_rows(s.book, sheet, columns, row=_row)
            want = [(r[0].casefold(), *r[1:-1], round(r[-1] * 100)) for r in tables[kind]]
            found += [*wc.item_credit([(f"{sheet}: {r[0]}", item) for r, item in
                                       zip(tables[kind], want, strict=True)], rows,
                                      group=f"{sheet} row"),
                      wc.exact_items(f"{sheet}: exactly these rows", want, rows),
                      wc.in_order(f"{sheet}: order", want, rows, weight=0.5)]
        accept = {"Net revenue": lambda v: amount_cents(v) == figures.revenue,
                  "Orders": lambda v: whole(v) == figures.orders,
                  "Customers": lambda v: whole(v) == figures.customers}
        for key, value in memo.items():
            check = accept.get(key, lambda v, want=value: _label(v) == want.casefold())
            found.append(memo_value(f"memo: {key}", s.memo, key, check, expected=value))
        return (
            *found,
            mailed_with("report mailed with both files", s.boss.email, [s.book, s.memo]),
            wc.mail_values("mail: net revenue", s.boss.email, "Net revenue",
                           accept["Net revenue"], expected=memo["Net revenue"]),
            wc.unchanged("inputs untouched", paths=inputs, records=[("mail", "messages")]),
            wc.only_recipients("mail only to the requester", [s.boss.email, s.me.email]),
        )


def _clear(figures: sl.Figures) -> bool:
    """Whether the report's leaders are unique (no tie for top region, category, month)."""
    def unique(values: list[int]) -> bool:
        return len(values) < 2 or max(values) != sorted(values)[-2]
    return (len(figures.by_region) >= 3 and unique([r[3] for r in figures.by_region])
            and unique([r[2] for r in figures.by_category])
            and unique([r[2] for r in figures.by_month]))
