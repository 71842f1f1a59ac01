"""budgeting/variance-memo: a quarter's actual vs budget by department, flags, and a memo.

Description:
    The CFO asks the FP&A analyst for last quarter's budget variance by department. The
    budget is a workbook (``finance/budget-<year>.xlsx``: one sheet of department totals,
    one of department and account lines, or one sheet per department, by level); the
    actuals are a general ledger in SQLite (``finance/ledger.db``: departments with cost
    centres, accounts with their type, entries). Only posted operating expenses in the
    quarter count (drafts, capital expenditure and revenue do not; internal recharges are
    left out where the mail says so; reversals cancel their entries). The financial
    controller mails the flagging threshold (changed by a later mail at the hard level),
    and at the hard level a mailed budget transfer moved budget between two departments
    after the workbook was approved. The agent writes the variance workbook
    (``finance/variance-<year>-q<n>.xlsx``), the memo (``...-memo.docx``) and mails both to
    the CFO (copying the heads of departments over budget at the hard level).

Apps:
    sheets, db, docs, mail.

Criteria:
    - ``Variance: <department>`` (one per department: budget, actual, variance, variance %,
      flag): precision-aware; ``Variance: exactly these rows``; ``Variance: order`` (0.5).
    - ``memo: <key>`` for Total budget, Total actual, Total variance, Over budget, Under
      budget: exactly one such line, with the right value.
    - ``variance mailed with both files`` (as they are at the end), ``mail: total
      variance``; at the hard level ``heads of over-budget departments copied``.
    - guards: the ledger, the budget and every other input unchanged; mails untouched;
      mail only to the CFO (and the department heads).

Difficulty:
    Knobs set the departments, the budget's layout, internal recharges, reversals, the
    controller's own mail, a budget transfer, a changed threshold and the copies to the
    heads. Reference calls: easy 16, medium 17, hard 27. ``richness`` adds everyday mails,
    last year's budget sheet, a closed cost centre with entries, unrelated tables and last
    quarter's memo thread.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.db import DbStore
from workgym.content import ledger as lg
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.reports import amount_cents, decimal_text, mailed_with, memo_value
from workgym.core import (
    Criterion,
    GradeContext,
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

LEDGER = "finance/ledger.db"
COLUMNS = ("Department", "Budget", "Actual", "Variance", "Variance %", "Flag")
SHEET = "Variance"


class Knobs(BaseModel, frozen=True):
    departments: int
    layout: str
    """``totals`` (department x month), ``accounts`` (department and account lines) or
    ``sheets`` (one sheet per department)."""
    recharges: bool
    """Internal recharges are booked, and the mail leaves them out."""
    reversals: bool
    """Some entries are reversed by later ones."""
    policy_mail: bool
    """The threshold comes in the controller's own mail (else in the CFO's)."""
    transfer: bool
    """A mailed budget transfer between two departments."""
    new_threshold: bool
    """A later mail changes the threshold."""
    copy_heads: bool
    """The mail copies the heads of departments over budget."""


@dataclass
class _Setting:
    me: Person
    cfo: Person
    controller: Person
    company: str
    currency: str
    year: int
    quarter: int
    now: datetime
    departments: list[lg.Department] = field(default_factory=list)

    @property
    def months(self) -> range:
        return range(3 * self.quarter - 2, 3 * self.quarter + 1)

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        return date(self.year + (self.quarter == 4), 1 if self.quarter == 4 else
                    self.months[-1] + 1, 1)

    @property
    def name(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def budget(self) -> str:
        return f"finance/budget-{self.year}.xlsx"

    @property
    def book(self) -> str:
        return f"finance/variance-{self.year}-q{self.quarter}.xlsx"

    @property
    def memo(self) -> str:
        return f"finance/variance-{self.year}-q{self.quarter}-memo.docx"


@dataclass(frozen=True)
class _Row:
    name: str
    budget: int
    """Cents."""
    actual: int

    @property
    def variance(self) -> int:
        return self.actual - self.budget

    @property
    def pct(self) -> Fraction:
        return Fraction(100 * self.variance, self.budget)

    def tenths(self) -> int:
        return int((self.pct * 10 + Fraction(1, 2)) // 1)  # half up; ties never drawn

    def flag(self, threshold: int) -> str:
        return "over" if self.pct > threshold else "under" if self.pct < -threshold else "ok"


def _label(value: Any) -> str:
    if not isinstance(value, str):
        raise GradeError(f"{value!r} is not a name")
    return " ".join(value.split()).casefold()


def _item(*values: Any) -> tuple[Any, ...]:
    """A sheet row as a comparable item (a malformed one matches nothing)."""
    try:
        name, budget, actual, variance, pct, flag = values
        tenths = GradeContext.number(repr(pct) if isinstance(pct, float) else pct, "%") * 10
        if tenths != tenths.to_integral_value():
            raise GradeError(f"Variance % {pct!r} has more than one decimal")
        return (_label(name), amount_cents(budget), amount_cents(actual),
                amount_cents(variance), int(tenths), _label(flag))
    except GradeError as exc:
        return ("malformed row", str(exc)[:120])


def _names(text: str) -> frozenset[str] | None:
    parts = [" ".join(p.split()).casefold() for p in text.split(",")]
    return None if len(set(parts)) != len(parts) else frozenset(parts)


def _sums(expected: str) -> Callable[[str], bool]:
    cents = amount_cents(expected)
    return lambda v: amount_cents(v) == cents


def _lists(expected: str) -> Callable[[str], bool]:
    names = _names(expected)
    return lambda v: _names(v) == names


@register_family
class VarianceMemo(TaskFamily[Knobs]):
    """Actual vs budget by department from a ledger and a budget workbook; flag; memo."""

    name = "budgeting/variance-memo"
    version = 1
    apps = ("sheets", "db", "docs", "mail")
    levels = Levels(
        easy=Level(Knobs(departments=4, layout="totals", recharges=False, reversals=False,
                         policy_mail=False, transfer=False, new_threshold=False,
                         copy_heads=False), calls=16),
        medium=Level(Knobs(departments=6, layout="accounts", recharges=True, reversals=True,
                           policy_mail=True, transfer=False, new_threshold=False,
                           copy_heads=False), calls=17),
        hard=Level(Knobs(departments=8, layout="sheets", recharges=True, reversals=True,
                         policy_mail=True, transfer=True, new_threshold=True,
                         copy_heads=True), calls=27),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(50):
            rng = rng_for(spec, "core", attempt)  # the answer's stream: it ignores richness
            s = self._setting(rng, k)
            drawn = self._draw(rng, k, s)
            if drawn is not None:
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no clear variance found")
        lines, rows, entries, thresholds, transfer = drawn
        threshold = thresholds[-1]
        rich = rng_for(spec, "distractors")
        departments, extra = self._ledger_distractors(rich, s, entries, scaled(spec.richness, 1))
        files = {LEDGER: lg.ledger_database(departments, entries, extra),
                 s.budget: lg.budget_workbook(s.departments, lines, s.year, k.layout,
                                              rich if spec.richness >= 0.5 else None)}
        box = Mailbox(s.me)
        reads = self._mails(k, s, box, rng, thresholds, transfer)
        self._mail_distractors(s, box, rich, spec.richness)
        mail, ids = box.build()
        flagged = {f: sorted(r.name for r in rows if r.flag(threshold) == f)
                   for f in ("over", "under")}
        heads = [d.head for d in s.departments if d.name in flagged["over"]] if k.copy_heads \
            else []
        memo = {"Total budget": decimal_text(sum(r.budget for r in rows)),
                "Total actual": decimal_text(sum(r.actual for r in rows)),
                "Total variance": decimal_text(sum(r.variance for r in rows)),
                "Over budget": ", ".join(flagged["over"]),
                "Under budget": ", ".join(flagged["under"])}
        table = [[r.name, float(decimal_text(r.budget)), float(decimal_text(r.actual)),
                  float(decimal_text(r.variance)), r.tenths() / 10, r.flag(threshold)]
                 for r in rows]
        plan = self._reference(k, s, [ids[key] for key in reads], table, memo, heads)
        return Task(spec=spec, prompt=self._prompt(k, s), apps=self.apps,
                    template=WorldTemplate(now=s.now, files=files, stores={
                        "mail": mail, "db": DbStore(path=LEDGER)}),
                    criteria=self._criteria(k, s, rows, threshold, memo, heads, list(files)),
                    reference=plan, artifacts=(s.book, s.memo))

    # -- the world --------------------------------------------------------------------------

    def _setting(self, rng: random.Random, k: Knobs) -> _Setting:
        company = rng.choice(("Arden Logistics", "Copperleaf Foods", "Ironbark Systems",
                              "Quayside Trading", "Saltmarsh Digital"))
        domain = company.lower().replace(" ", "-") + ".example"
        me, cfo, controller, *heads = people(rng, 3 + k.departments, domain=domain)
        year, quarter = rng.choice([(2024, 3), (2024, 4), (2025, 1), (2025, 2), (2025, 3),
                                    (2025, 4)])
        s = _Setting(me, cfo, controller, company, rng.choice(("EUR", "USD", "GBP")), year,
                     quarter, datetime(2000, 1, 1, tzinfo=UTC))
        s.now = datetime.combine(s.end, datetime.min.time(), UTC) + timedelta(
            days=rng.randint(4, 10), hours=9)
        centres = rng.sample(range(100, 990, 10), k.departments)
        for name, head, centre in zip(sorted(rng.sample(lg.DEPARTMENTS, k.departments)), heads,
                                      centres, strict=True):
            accounts = tuple(sorted(rng.sample(lg.OPEX, rng.randint(2, 4)), key=lambda a: a.code))
            s.departments.append(lg.Department(name, f"CC-{centre}", head.email, accounts))
        return s

    def _draw(self, rng: random.Random, k: Knobs, s: _Setting) -> tuple[
            dict[str, dict[str, list[int]]], list[_Row], list[lg.Entry], list[int],
            tuple[str, str, int] | None] | None:
        """Budgets, the rows, the entries, the thresholds (the last one counts) and the
        transfer; None when a variance lies too near a threshold."""
        lines = {d.name: lg.budget_lines(rng, d, rng.randint(20, 160) * 1000)
                 for d in s.departments}
        budget = {name: sum(v[m - 1] for v in by.values() for m in s.months)
                  for name, by in lines.items()}
        transfer = None
        if k.transfer:
            give, take = rng.sample(sorted(budget), 2)
            amount = rng.randint(2, max(2, budget[give] // 8000)) * 1000
            budget[give] -= amount
            budget[take] += amount
            transfer = (give, take, amount)
        thresholds = [rng.choice((8, 10, 12, 15))]
        if k.new_threshold:
            thresholds.append(thresholds[0] - rng.choice((2, 3)))
        low, high = min(thresholds), max(thresholds)
        # at least one department over, one under and one within; one between the two
        # thresholds when there are two, so the later mail matters
        kinds = ["over", "under", "ok"] + (["between"] if k.new_threshold else [])
        kinds += [rng.choice(("over", "under", "ok")) for _ in range(k.departments - len(kinds))]
        rng.shuffle(kinds)
        rows, entries = [], []
        for d, kind in zip(s.departments, kinds, strict=True):
            pct = {"over": rng.uniform(high + 1, high + 20), "under": -rng.uniform(high + 1, 35),
                   "ok": rng.uniform(-low + 1, low - 1),
                   "between": rng.choice((1, -1)) * rng.uniform(low + 0.6, high - 0.6)}[kind]
            cents = budget[d.name] * 100
            row = _Row(d.name, cents, round(cents * (1 + pct / 100)) + rng.randint(-99, 99))
            if any(abs(row.pct - t) < Fraction(3, 10) or abs(row.pct + t) < Fraction(3, 10)
                   for t in thresholds) or (row.pct * 10) % 1 == Fraction(1, 2):
                return None
            rows.append(row)
            entries += lg.department_entries(rng, d, s.year, s.quarter, row.actual,
                                             lines[d.name], recharges=k.recharges,
                                             reversals=k.reversals)
        return lines, rows, entries, thresholds, transfer

    def _ledger_distractors(self, rich: random.Random, s: _Setting, entries: list[lg.Entry],
                            count: int) -> tuple[list[lg.Department], list[tuple[str, list[Any]]]]:
        if not count:
            return s.departments, []
        closed = lg.Department("Projects (closed)", "CC-995",
                               "projects@" + s.me.email.split("@")[1], lg.OPEX[:2])
        for month in s.months:
            entries.append(lg.Entry(date(s.year, month, rich.randint(1, 28)), closed.cost_centre,
                                    lg.OPEX[1], rich.randint(1000, 30000) * 100,
                                    memo="Wind-down costs"))
        vendors = [(n, name, rich.choice(("GB", "DE", "US", "NL"))) for n, name in enumerate(
            ("Bluebird Supply", "Kestrel Freight", "Lumen Labs", "Oakridge Catering"), 1)]
        return [*s.departments, closed], [
            ("CREATE TABLE vendors (id INTEGER PRIMARY KEY, name TEXT, country TEXT)", vendors)]

    def _mails(self, k: Knobs, s: _Setting, box: Mailbox, rng: random.Random,
               thresholds: list[int], transfer: tuple[str, str, int] | None) -> list[str]:
        counted = ("actuals are the posted entries on operating expense accounts (type opex) "
                   "booked to each department's cost centre with a date in the quarter; "
                   "drafts, capital expenditure and revenue do not count")
        if k.recharges:
            counted += f"; leave out internal recharges (account {lg.RECHARGES.code})"
        flag = (f"Flag a department when its variance is more than {thresholds[0]}% of its "
                "budget either way.")
        start = s.now - timedelta(days=2, hours=rng.randint(1, 5))
        keys = [box.receive(s.cfo, f"Budget variance {s.name}", letter(
            s.me.first, f"please prepare the budget variance for {s.name} by department, "
            f"against the approved budget in {s.budget}. As always, {counted}."
            + ("" if k.policy_mail else f" {flag}") + " Send me the workbook and the memo.",
            s.cfo.first), start, key="request")]
        if k.policy_mail:
            keys.append(box.receive(s.controller, f"Re: Budget variance {s.name}", letter(
                s.me.first, f"for the flags, our policy this year: {flag}",
                f"{s.controller.first}\nFinancial controller"),
                start + timedelta(hours=2), key="policy", reply_to="request"))
        if transfer is not None:
            give, take, amount = transfer
            keys.append(box.receive(s.controller, f"Budget transfer {s.name}", letter(
                s.me.first, f"the board approved moving {amount:,} {s.currency} of the "
                f"{s.name} budget from {give} to {take}. The budget workbook still shows the "
                f"figures from before the transfer: for the variance, {give}'s budget is "
                f"{amount:,} {s.currency} lower and {take}'s {amount:,} {s.currency} higher.",
                f"{s.controller.first}\nFinancial controller"),
                start - timedelta(days=rng.randint(20, 40)), key="transfer"))
        if len(thresholds) > 1:
            keys.append(box.receive(s.cfo, f"Re: Budget variance {s.name}", letter(
                s.me.first, f"one change for this quarter: flag at {thresholds[-1]}% instead "
                f"of {thresholds[0]}%, either way.", s.cfo.first),
                start + timedelta(hours=20), key="update", reply_to="request"))
        return keys

    def _mail_distractors(self, s: _Setting, box: Mailbox, rich: random.Random,
                          richness: float) -> None:
        crowd = people(rich, 4, domain=s.me.email.split("@")[1])
        everyday_mails(box, rich, scaled(richness, 6), s.me, crowd, s.now - timedelta(days=12),
                       s.now - timedelta(hours=1))
        if richness >= 0.5:
            q, y = (s.quarter - 1, s.year) if s.quarter > 1 else (4, s.year - 1)
            box.receive(s.cfo, f"Re: Budget variance Q{q} {y}", letter(
                s.me.first, f"thanks for the Q{q} memo. Let's keep the same format next "
                "quarter.", s.cfo.first), s.now - timedelta(days=rich.randint(70, 85)))

    def _prompt(self, k: Knobs, s: _Setting) -> str:
        copies = (" Copy the heads of the departments that are over budget (their addresses "
                  "are in the ledger's departments table) and no one else." if k.copy_heads
                  else " Send it to no one else.")
        return (
            f"You are {s.me.name} ({s.me.email}), FP&A analyst at {s.company}. {s.cfo.name} "
            f"asked you by mail for the budget variance for {s.name}; the mails say what "
            f"counts and when to flag. Budgets are in {s.budget}, actuals in the general "
            f"ledger {LEDGER} (SQLite; read it with SQL).\n\n"
            f"1. Write the workbook {s.book} with the sheet \"{SHEET}\": a header row "
            f"{' | '.join(COLUMNS)}, then one row per department of the budget, sorted by "
            f"department name. Budget and Actual are the quarter's totals in {s.currency} "
            "with 2 decimals; Variance is Actual minus Budget; Variance % is Variance / "
            "Budget x 100 rounded to 1 decimal; Flag is over, under or ok. Every figure is "
            "a value, not a formula.\n"
            f"2. Write the memo {s.memo}: a short Word document whose paragraphs include these "
            "lines, each once (amounts with 2 decimals, no currency sign; names comma-"
            "separated):\n"
            "Total budget: <sum of the budgets>\nTotal actual: <sum of the actuals>\n"
            "Total variance: <sum of the variances>\nOver budget: <departments flagged over>"
            "\nUnder budget: <departments flagged under>\n"
            f"3. Mail {s.cfo.first} the workbook and the memo as attachments, with the Total "
            f"variance line in the body.{copies}")

    # -- the reference and the grading ------------------------------------------------------

    def _reference(self, k: Knobs, s: _Setting, reads: list[str], table: list[list[Any]],
                   memo: dict[str, str], heads: list[str]) -> tuple[ToolCall, ...]:
        def q(sql: str) -> ToolCall:
            return ToolCall("db.query", {"sql": sql, "max_rows": 500})

        sheets = [d.name for d in s.departments] if k.layout == "sheets" else [
            f"Budget {s.year}"]
        skip = f" AND e.account <> '{lg.RECHARGES.code}'" if k.recharges else ""
        plan = [ToolCall("mail.search", {"query": "budget"}),
                *(ToolCall("mail.read", {"message_id": i}) for i in reads),
                ToolCall("sheets.list_sheets", {"path": s.budget}),
                *(ToolCall("sheets.read_range", {"path": s.budget, "sheet": n}) for n in sheets),
                ToolCall("db.list_tables", {}),
                *(ToolCall("db.describe_table", {"table": t})
                  for t in ("departments", "accounts", "entries")),
                q("SELECT code, name, type FROM accounts ORDER BY code"),
                q("SELECT status, count(*) FROM entries GROUP BY status"),
                q("SELECT d.name, sum(e.amount_cents) FROM entries e JOIN departments d ON "
                  "d.cost_centre = e.cost_centre JOIN accounts a ON a.code = e.account WHERE "
                  f"e.status = 'posted' AND a.type = 'opex'{skip} AND e.posted_on >= "
                  f"'{s.start}' AND e.posted_on < '{s.end}' GROUP BY d.name ORDER BY d.name")]
        if k.copy_heads:
            plan.append(q("SELECT name, head_email FROM departments ORDER BY name"))
        lines = [f"{key}: {value}" for key, value in memo.items()]
        plan += [ToolCall("sheets.create_workbook", {"path": s.book, "sheet": SHEET}),
                 ToolCall("sheets.append_rows", {"path": s.book, "sheet": SHEET,
                                                 "rows": [list(COLUMNS), *table]},
                          items={"rows": tuple(table)}),
                 ToolCall("docs.create", {"path": s.memo, "title": f"Budget variance {s.name}"}),
                 ToolCall("docs.insert_paragraphs", {"path": s.memo, "paragraphs": [
                     f"Actual against budget by department for {s.name}.", *lines]},
                          items={"paragraphs": tuple(lines)})]
        total = lines[2]
        send: dict[str, Any] = {
            "to": [s.cfo.email], "subject": f"Budget variance {s.name}",
            "body": letter(s.cfo.first, f"the variance for {s.name} is attached.\n\n{total}",
                           s.me.first), "attachments": [s.book, s.memo]}
        items: dict[str, tuple[Any, ...]] = {"body": (total,)}
        if heads:
            send["cc"], items["cc"] = heads, ()
        plan.append(ToolCall("mail.send", send, items=items))
        return tuple(plan)

    def _criteria(self, k: Knobs, s: _Setting, rows: list[_Row], threshold: int,
                  memo: dict[str, str], heads: list[str], inputs: list[str],
                  ) -> tuple[Criterion, ...]:
        found = wc.xlsx_rows(s.book, SHEET, COLUMNS, row=_item)
        want = [(r.name.casefold(), r.budget, r.actual, r.variance, r.tenths(),
                 r.flag(threshold)) for r in rows]
        checks: list[Criterion] = [
            *wc.item_credit([(f"{SHEET}: {r.name}", item) for r, item in zip(rows, want,
                                                                            strict=True)],
                            found, group="variance row"),
            wc.exact_items(f"{SHEET}: exactly these rows", want, found),
            wc.in_order(f"{SHEET}: order", want, found, weight=0.5)]
        for key, value in memo.items():
            checks.append(memo_value(f"memo: {key}", s.memo, key, _sums(value)
                                     if key.startswith("Total") else _lists(value),
                                     expected=value))
        checks += [mailed_with("variance mailed with both files", s.cfo.email, [s.book, s.memo]),
                   wc.mail_values("mail: total variance", s.cfo.email, "Total variance",
                                  _sums(memo["Total variance"]), expected=memo["Total variance"])]
        if k.copy_heads:
            checks.append(self._copied(s, heads))
        everyone = [s.cfo.email, s.me.email, *(d.head for d in s.departments if k.copy_heads)]
        return (*checks,
                wc.unchanged("inputs untouched", paths=inputs, records=[("mail", "messages")]),
                wc.only_recipients("mail only to the CFO and the heads", everyone))

    def _copied(self, s: _Setting, heads: list[str]) -> Criterion:
        """The mails to the CFO that carry a Total variance line go to exactly the CFO and
        the heads of the departments over budget."""
        read, want = wc.sent_mails(), {s.cfo.email, *heads}

        def check(ctx: GradeContext) -> tuple[bool, str]:
            mine = [m for m in read(ctx) if s.cfo.email in m.recipients
                    and ctx.line_values(m.body, "Total variance")]
            wrong = [m.id for m in mine if set(m.recipients) - {s.me.email} != want]
            return bool(mine) and not wrong, (f"mails {[m.id for m in mine]}, with other "
                                              f"recipients: {wrong}; expected {sorted(want)}")
        return Criterion("heads of over-budget departments copied", check)
