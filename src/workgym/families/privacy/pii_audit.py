"""privacy/pii-audit: find and mask personal data across formats under a written policy.

Description:
    The company's data-protection policy (``privacy/personal-data-policy.docx``, and at
    hard an amendment beside it) says what counts as personal data and how to mask it:
    a person's e-mail address, phone number, date of birth and bank account (IBAN). It
    also says what does not: the business addresses of staff (at the company's domains),
    shared mailboxes (a listed set of names before the ``@``), the published phone
    numbers it lists, other dates, and the IBANs of companies. Support notes (text),
    a newsletter export (CSV), the CRM contacts (a workbook), escalation reports (Word
    documents) and the shop database (SQLite) hold personal data among values that only
    look like it. The agent masks each personal value in place with its category's token,
    keeping every other byte of the text files as it was, and logs every mask as one row
    of ``privacy/pii-audit-log.xlsx`` (file, location, category).

Apps:
    docs, files, sheets, db.

Criteria:
    - ``masked <file> <location>``: the slot (a text line, a cell, a document block, a
      database value) reads exactly as masked; precision-aware over every slot the agent
      changed in those files (a look-alike masked, a value garbled, a row deleted: each
      cancels one credit).
    - ``logged <file> <location>``: its log row; precision-aware over the log's rows.
    - ``<file> byte-identical apart from the masks`` for each text file.
    - ``masks are exactly the personal data`` and ``log is exactly the masks`` (weight 2).
    - guard: the policy, the files without personal data and everything else untouched.

Difficulty:
    Knobs set the lines of the support notes (one or two files), the newsletter rows,
    the contacts, the reports and their paragraphs, the customers and payouts in the
    database, and an amendment that adds a staff domain and a published number.
    Reference calls: easy 17, medium 23, hard 29. ``richness`` adds everyday notes and a
    press list of shared mailboxes and published numbers, none of them personal.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.db import DbStore, SqlValue, database_bytes, read_rows
from workgym.apps.docs import DocxBlock, build_docx, read_docx
from workgym.apps.payments import iban
from workgym.apps.sheets import workbook_bytes
from workgym.content.companies import Company, companies
from workgym.content.distractors import everyday_notes, scaled
from workgym.content.people import Person, people
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

POLICY, AMENDMENT = "privacy/personal-data-policy.docx", "privacy/policy-amendment-1.docx"
LOG, LOG_SHEET, LOG_COLUMNS = "privacy/pii-audit-log.xlsx", "Log", ("File", "Location",
                                                                   "Category")
NOTES = ("support/ticket-notes.txt", "support/call-notes.txt")
CSV, CONTACTS, CONTACTS_SHEET = "exports/newsletter.csv", "crm/contacts.xlsx", "Contacts"
REPORTS = ("support/escalation-report.docx", "support/complaints-review.docx")
DB, BANK = "data/shop.db", "finance/supplier-bank-details.txt"
TOKENS = {"email": "[EMAIL]", "phone": "[PHONE]", "date of birth": "[DOB]", "iban": "[IBAN]"}
ROLES = ("support", "billing", "info", "sales", "press", "orders", "careers", "accounts",
         "helpdesk", "office")
MAILHOSTS = ("postbox.example", "inbox-mail.example", "netpost.example", "mymail.example")
CONTACT_COLUMNS = ("Name", "Email", "Phone", "Date of birth", "Last contact")
DB_COLUMNS = {"customers": ("name", "email", "phone", "birth_date", "signed_up", "city"),
              "payouts": ("holder", "iban", "amount", "paid_on")}
DB_CATEGORY = {"email": "email", "phone": "phone", "birth_date": "date of birth",
               "iban": "iban"}
SCHEMA = (("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, "
           "phone TEXT, birth_date TEXT, signed_up TEXT, city TEXT)"),
          ("CREATE TABLE payouts (id INTEGER PRIMARY KEY, holder TEXT NOT NULL, iban TEXT, "
           "amount REAL, paid_on TEXT)"))
PersonalKind = str
"""A category of TOKENS, or a look-alike: staff, shared, published, date, company."""


class Knobs(BaseModel, frozen=True):
    notes: tuple[int, ...]
    """Lines of each support-notes text file."""
    newsletter: int
    """Rows of the newsletter export."""
    contacts: int
    """Rows of the CRM contacts workbook."""
    reports: tuple[int, ...]
    """Paragraphs of each escalation report."""
    customers: int
    """Rows of the database's customers table."""
    payouts: int
    """Rows of the database's payouts table."""
    amendment: bool
    """An amendment adds a second staff domain and a published number."""
    distractors: int
    """Distractor files at richness 1."""


@dataclass(frozen=True)
class _Slot:
    """One place that may hold personal data: a line, a cell, a block, a database value."""

    file: str
    location: str
    original: str
    masked: str
    category: str = ""
    """The TOKENS category masked here; "" for a slot that stays as it is."""


@dataclass
class _Cast:
    """Who and what the world's values are about, and the values drawn so far."""

    rng: random.Random
    firm: Company
    staff_domains: list[str]
    staff: list[Person]
    customers: list[Person]
    firms: list[Company]
    roles: list[str]
    published: list[str]
    taken: set[str] = field(default_factory=set)

    def unique(self, make: Callable[[], str]) -> str:
        while (value := make()) in self.taken:
            pass
        self.taken.add(value)
        return value

    def phone(self) -> str:
        r = self.rng
        return self.unique(lambda: f"+{r.choice((44, 49, 31, 33))} {r.randint(20, 99)} "
                                   f"{r.randint(1000, 9999)} {r.randint(100, 9999)}")

    def account(self) -> str:
        return self.unique(lambda: iban("DE", f"{self.rng.randint(10**17, 10**18 - 1)}"))

    def day(self, first: int, last: int) -> str:
        start = date(first, 1, 1)
        span = (date(last, 12, 31) - start).days
        return self.unique(lambda: (start + timedelta(days=self.rng.randrange(span)))
                           .isoformat())

    def email(self, person: Person) -> str:
        r = self.rng
        return self.unique(lambda: f"{person.first.lower()}.{person.last.lower()}"
                                   f"{r.choice(('', '', str(r.randint(1, 99))))}"
                                   f"@{r.choice(MAILHOSTS)}")

    def value(self, kind: PersonalKind) -> tuple[str, str]:
        """(value, holder) for a kind: the holder names whose value it is, where it shows."""
        r = self.rng
        person = r.choice(self.customers)
        if kind == "email":
            return self.email(person), person.name
        if kind == "staff":
            worker = r.choice(self.staff)
            local = worker.email.partition("@")[0]
            return f"{local}@{r.choice(self.staff_domains)}", worker.name
        if kind == "shared":
            return f"{r.choice(self.roles)}@{r.choice([self.firm, *self.firms]).domain}", ""
        if kind == "phone":
            return self.phone(), person.name
        if kind == "published":
            return r.choice(self.published), ""
        if kind == "date of birth":
            return self.day(1948, 2006), person.name
        if kind == "date":
            return self.day(1990, 2025), person.name
        if kind == "iban":
            return self.account(), person.name
        return self.account(), r.choice(self.firms).name  # a company's IBAN


SENTENCES: dict[str, tuple[str, ...]] = {
    "email": ("reply sent to {v}.", "{h} asked that the invoice go to {v}.",
              "copy of the order confirmation sent to {v}."),
    "phone": ("{h} wants a call back on {v}.", "asked to ring {v} after 2 pm.",
              "call noted from {v}, about the missing refund."),
    "date of birth": ("identity check: {h} gave the date of birth {v}.",
                      "{h} confirmed the date of birth {v} for the account."),
    "date": ("{h} has been a customer since {v}.", "{h} says the first order was on {v}."),
    "iban": ("refund approved, to be paid to {v} (account holder: {h}).",
             "bank details on file changed to {v} for {h}."),
    "plain": ("{h} reports that the parcel arrived damaged.",
              "{h} asked about delivery times to the islands.",
              "{h} wants to cancel the subscription at the end of the month."),
}
LOOKALIKE = {"staff": "email", "shared": "email", "published": "phone", "date": "date of birth",
             "company": "iban"}
CATEGORIES = tuple(TOKENS)
DECOYS = tuple(LOOKALIKE)


def _kinds(rng: random.Random, count: int, plain: bool = True) -> list[str]:
    """``count`` slot kinds: about half personal, the rest look-alikes (and plain)."""
    personal = count // 2
    extra = count // 6 if plain else 0
    kinds = [CATEGORIES[(i + rng.randrange(4)) % 4] for i in range(personal)]
    kinds += [rng.choice(DECOYS) for _ in range(count - personal - extra)] + ["plain"] * extra
    rng.shuffle(kinds)
    return kinds


def _sentence(cast: _Cast, kind: str) -> tuple[str, str, str]:
    """(original, masked, category) of one sentence of a kind."""
    if kind == "plain":
        text = cast.rng.choice(SENTENCES["plain"]).format(h=cast.rng.choice(cast.customers).name)
        return text, text, ""
    value, holder = cast.value(kind)
    pattern = cast.rng.choice(SENTENCES[kind if kind in SENTENCES else LOOKALIKE[kind]])
    text = pattern.format(v=value, h=holder or cast.rng.choice(cast.customers).name)
    if kind in TOKENS:
        return text, pattern.format(v=TOKENS[kind], h=holder), kind
    return text, text, ""


class _Files:
    """The world's files and slots as they are built."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.slots: list[_Slot] = []
        self.texts: dict[str, tuple[str, str]] = {}
        """text file -> (original, masked)."""

    def text(self, path: str, lines: Sequence[tuple[str, str, str]]) -> None:
        original = "".join(o + "\n" for o, _, _ in lines)
        masked = "".join(m + "\n" for _, m, _ in lines)
        self.files[path] = original.encode()
        self.texts[path] = (original, masked)
        for n, (o, m, category) in enumerate(lines, 1):
            self.slots.append(_Slot(path, f"line {n}", o, m, category))


@register_family
class PiiAudit(TaskFamily[Knobs]):
    """Mask the personal data a written policy defines across text, sheets, docs and a db."""

    name = "privacy/pii-audit"
    version = 1
    apps = ("docs", "files", "sheets", "db")
    levels = Levels(
        easy=Level(Knobs(notes=(8,), newsletter=5, contacts=4, reports=(6,), customers=4,
                         payouts=4, amendment=False, distractors=3), calls=17),
        medium=Level(Knobs(notes=(10, 6), newsletter=8, contacts=6, reports=(8,), customers=6,
                           payouts=6, amendment=False, distractors=5), calls=23),
        hard=Level(Knobs(notes=(12, 10), newsletter=10, contacts=8, reports=(8, 8),
                         customers=8, payouts=7, amendment=True, distractors=7), calls=29),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: it ignores richness
        now = datetime(2026, rng.randint(2, 11), rng.randint(3, 26), 9, 0, tzinfo=UTC)
        firm, sister, *firms = companies(rng, 8)
        me, *staff = people(rng, 6, domain=firm.domain)
        roles = rng.sample(ROLES, 6)
        domains = [firm.domain, sister.domain] if k.amendment else [firm.domain]
        cast = _Cast(rng, firm, domains, staff, people(rng, 14, domain="customers.example"),
                     firms, roles, [])
        cast.published = published = [cast.phone() for _ in range(3)]
        out = _Files()
        self._notes(cast, k, now, out)
        self._newsletter(cast, k, out)
        self._contacts(cast, k, now, out)
        self._reports(cast, k, now, out)
        sql = self._database(cast, k, now, out)
        self._bank(cast, out)
        out.files[POLICY] = self._policy(firm, roles[:5] if k.amendment else roles,
                                         published[:2] if k.amendment else published)
        if k.amendment:
            out.files[AMENDMENT] = self._amendment(firm, sister, roles[5], published[2], now)
        out.files[LOG] = self._book(LOG_SHEET, LOG_COLUMNS, [])
        rich = rng_for(spec, "distractors")
        out.files.update(self._distractors(rich, scaled(spec.richness, k.distractors),
                                           firms, published))

        masks = [s for s in out.slots if s.category]
        scoped = sorted({s.file for s in out.slots})
        plan = self._plan(k, out, masks, sql)
        return Task(spec=spec, prompt=self._prompt(me, firm, k), apps=self.apps,
                    criteria=self._criteria(out, masks, scoped, now), reference=tuple(plan),
                    artifacts=(LOG, *scoped),
                    template=WorldTemplate(now=now, files=out.files,
                                           stores={"db": DbStore(path=DB, allow_writes=True)}))

    # -- world pieces ---------------------------------------------------------------------

    def _notes(self, cast: _Cast, k: Knobs, now: datetime, out: _Files) -> None:
        for path, count in zip(NOTES, k.notes, strict=False):
            days = sorted(cast.rng.sample(range(1, 60), count), reverse=True)
            first = cast.rng.randint(1000, 8000)
            lines = []
            for n, (ago, kind) in enumerate(zip(days, _kinds(cast.rng, count), strict=True)):
                stamp = f"{(now - timedelta(days=ago)).date().isoformat()} T-{first + n * 7}"
                o, m, category = _sentence(cast, kind)
                lines.append((f"{stamp} {o}", f"{stamp} {m}", category))
            out.text(path, lines)

    def _newsletter(self, cast: _Cast, k: Knobs, out: _Files) -> None:
        rows = [("signed_up,name,email", "signed_up,name,email", "")]
        for kind in _kinds(cast.rng, k.newsletter, plain=False):
            kind = "email" if kind in CATEGORIES else cast.rng.choice(("staff", "shared"))
            value, holder = cast.value(kind)
            name = holder or f"{value.partition('@')[0].title()} team"
            joined = cast.day(2019, 2025)
            rows.append((f"{joined},{name},{value}",
                         f"{joined},{name},{TOKENS['email'] if kind == 'email' else value}",
                         "email" if kind == "email" else ""))
        out.text(CSV, rows)

    def _contacts(self, cast: _Cast, k: Knobs, now: datetime, out: _Files) -> None:
        rows: list[list[tuple[str, str, str]]] = []
        for n in range(k.contacts):
            last = cast.day(now.year - 1, now.year - 1)
            if n % 2 == 0:
                person = cast.rng.choice(cast.customers)
                cells = [(person.name, ""), (cast.email(person), "email"),
                         (cast.phone(), "phone"), (cast.day(1948, 2006), "date of birth")]
            elif n % 4 == 1:
                value, holder = cast.value("staff")
                cells = [(holder, ""), (value, ""), (cast.rng.choice(cast.published), ""),
                         ("", "")]
            else:
                value, _ = cast.value("shared")
                cells = [(f"{value.partition('@')[0].title()} team", ""), (value, ""),
                         ("", ""), ("", "")]
            cells.append((last, ""))
            rows.append([(v, TOKENS[c] if c else v, c) for v, c in cells])
        cast.rng.shuffle(rows)
        wb = Workbook()
        ws = wb.worksheets[0]
        ws.title = CONTACTS_SHEET
        ws.append(list(CONTACT_COLUMNS))
        for c, name in enumerate(CONTACT_COLUMNS, 1):
            out.slots.append(_Slot(CONTACTS, f"{CONTACTS_SHEET}!{get_column_letter(c)}1",
                                   name, name))
        for r, row in enumerate(rows, 2):
            ws.append([v or None for v, _, _ in row])
            for c, (v, m, category) in enumerate(row, 1):
                if v:
                    out.slots.append(_Slot(CONTACTS, f"{CONTACTS_SHEET}!"
                                           f"{get_column_letter(c)}{r}", v, m, category))
        out.files[CONTACTS] = workbook_bytes(wb)

    def _reports(self, cast: _Cast, k: Knobs, now: datetime, out: _Files) -> None:
        titles = ("Escalation report", "Complaints review")
        for path, title, count in zip(REPORTS, titles, k.reports, strict=False):
            blocks = [DocxBlock("paragraph", f"{title}, {now:%B %Y}", "Title")]
            out.slots.append(_Slot(path, "block 1", blocks[0].text, blocks[0].text))
            for kind in _kinds(cast.rng, count):
                case = f"Case T-{cast.rng.randint(1000, 9999)}: "
                o, m, category = _sentence(cast, kind)
                o, m = case + o[0].upper() + o[1:], case + m[0].upper() + m[1:]
                blocks.append(DocxBlock("paragraph", o, "Normal"))
                out.slots.append(_Slot(path, f"block {len(blocks)}", o, m, category))
            out.files[path] = build_docx(blocks)

    def _database(self, cast: _Cast, k: Knobs, now: datetime, out: _Files,
                  ) -> list[tuple[str, list[SqlValue]]]:
        """The shop database; returns the reference's updates (statement, parameters)."""
        cities = [c.city for c in cast.firms]
        customers: list[tuple[tuple[SqlValue, ...], tuple[str, ...]]] = []
        for _ in range(k.customers):
            joined = cast.day(2001, now.year - 1)
            if cast.rng.random() < 0.6:
                person = cast.rng.choice(cast.customers)
                customers.append(((person.name, cast.email(person), cast.phone(),
                                   cast.day(1948, 2006), joined, cast.rng.choice(cities)),
                                  ("", "email", "phone", "date of birth", "", "")))
            else:
                value, holder = cast.value("staff")
                customers.append(((holder, value, cast.rng.choice(cast.published), None,
                                   joined, cast.firm.city), ("",) * 6))
        payouts: list[tuple[tuple[SqlValue, ...], tuple[str, ...]]] = []
        for n in range(k.payouts):
            kind = "iban" if n % 2 == 0 else "company"
            value, holder = cast.value(kind)
            payouts.append(((holder, value, cast.rng.randint(1500, 90000) / 100,
                             cast.day(now.year - 1, now.year - 1)),
                            ("", "iban" if kind == "iban" else "", "", "")))
        cast.rng.shuffle(payouts)
        masked: dict[tuple[str, str], list[int]] = {}
        tables = {"customers": (DB_COLUMNS["customers"], customers),
                  "payouts": (DB_COLUMNS["payouts"], payouts)}
        rows: dict[str, list[tuple[SqlValue, ...]]] = {}
        for table, (columns, entries) in tables.items():
            rows[table] = [(n, *values) for n, (values, _) in enumerate(entries, 1)]
            for n, (values, categories) in enumerate(entries, 1):
                for column, cell, category in zip(columns, values, categories, strict=True):
                    if cell is None:
                        continue
                    token = TOKENS[category] if category else str(cell)
                    out.slots.append(_Slot(DB, f"{table}.{column}:{n}", str(cell), token,
                                           category))
                    if category:
                        masked.setdefault((table, column), []).append(n)
        out.files[DB] = database_bytes(SCHEMA, rows)
        updates: list[tuple[str, list[SqlValue]]] = []
        for (table, column), ids in masked.items():
            token = TOKENS[DB_CATEGORY[column]]
            marks = ", ".join("?" * len(ids))
            updates.append((f"UPDATE {table} SET {column} = ? WHERE id IN ({marks})",
                            [token, *ids]))
        return updates

    def _bank(self, cast: _Cast, out: _Files) -> None:
        lines = [f"{c.name}: {cast.account()}, remittance advice to "
                 f"{cast.rng.choice(cast.roles)}@{c.domain}" for c in cast.firms]
        out.files[BANK] = ("Supplier bank details\n\n" + "\n".join(lines) + "\n").encode()

    def _policy(self, firm: Company, roles: Sequence[str], published: Sequence[str]) -> bytes:
        def p(text: str, style: str = "Normal") -> DocxBlock:
            return DocxBlock("paragraph", text, style)

        return build_docx([
            p(f"{firm.name}: personal data policy", "Title"),
            p("Personal data", "Heading 1"),
            p("Under this policy the following are personal data and are masked wherever "
              "they are stored, each with its token:"),
            p("the e-mail address of a person: [EMAIL]", "List Bullet"),
            p("the phone number of a person: [PHONE]", "List Bullet"),
            p("a person's date of birth: [DOB]", "List Bullet"),
            p("the bank account (IBAN) of a person: [IBAN]", "List Bullet"),
            p("Not personal data", "Heading 1"),
            p(f"Business addresses of our staff, ending @{firm.domain}, are business contact "
              f"data and stay as they are."),
            p("Shared mailboxes of a team or function, at any domain, stay as they are: "
              "addresses whose part before the @ is " + ", ".join(roles) + "."),
            p("Our published phone numbers stay as they are: " + ", ".join(published) + "."),
            p("Dates other than dates of birth (orders, sign-ups, contacts, the date someone "
              "became a customer) stay as they are."),
            p("IBANs of companies (suppliers, partners, business customers) stay as they are."),
            p("Names are pseudonymised in a separate process and are out of scope here."),
            p("Masking", "Heading 1"),
            p("Replace the value itself with its token and change nothing else: the rest of "
              "the line, cell or paragraph stays exactly as it was."),
        ])

    def _amendment(self, firm: Company, sister: Company, role: str, number: str,
                   now: datetime) -> bytes:
        return build_docx([
            DocxBlock("paragraph", "Amendment 1 to the personal data policy", "Title"),
            DocxBlock("paragraph", f"In force from {(now - timedelta(days=20)).date()}.",
                      "Normal"),
            DocxBlock("paragraph", f"Since {sister.name} joined {firm.name}, addresses ending "
                      f"@{sister.domain} are business addresses of our staff as well.",
                      "Normal"),
            DocxBlock("paragraph", f"The shared mailbox names now also include {role}.",
                      "Normal"),
            DocxBlock("paragraph", f"{number} is now a published number of ours.", "Normal"),
        ])

    def _book(self, sheet: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
        wb = Workbook()
        ws = wb.worksheets[0]
        ws.title = sheet
        ws.append(list(columns))
        for row in rows:
            ws.append(list(row))
        return workbook_bytes(wb)

    def _distractors(self, rng: random.Random, count: int, firms: list[Company],
                     published: list[str]) -> dict[str, bytes]:
        """Everyday notes and a press list: shared mailboxes and published numbers only."""
        files = everyday_notes(rng, count - count // 3)
        if count // 3:
            lines = [f"{c.name} press desk: press@{c.domain}" for c in
                     rng.sample(firms, min(len(firms), count))]
            lines.append(f"Our press line: {rng.choice(published)}")
            files["marketing/press-contacts.txt"] = ("\n".join(lines) + "\n").encode()
        return files

    def _prompt(self, me: Person, firm: Company, k: Knobs) -> str:
        amendments = " and its amendment in the same folder" if k.amendment else ""
        return (
            f"You act for {me.name} ({me.email}), data-protection officer at {firm.name}. "
            f"Audit the workspace for personal data as defined by the policy in {POLICY}"
            f"{amendments}: the support notes (support/*.txt), the newsletter export {CSV}, "
            f"the CRM contacts in {CONTACTS} (sheet \"{CONTACTS_SHEET}\"), the reports "
            f"(support/*.docx) and the shop database {DB} (tables customers and payouts).\n\n"
            f"Mask every value that is personal data under the policy in place, replacing the "
            f"value itself with its token ([EMAIL], [PHONE], [DOB] or [IBAN]) and changing "
            f"nothing else: keep every other byte of the text files as it was, every other "
            f"cell, paragraph and database value, and leave values that are not personal "
            f"data under the policy untouched.\n\n"
            f"Log every masked value as one row of {LOG} (sheet \"{LOG_SHEET}\", columns "
            f"{', '.join(LOG_COLUMNS)}): the file's path; the location: \"line N\" for a "
            f"text file (lines from 1, the CSV header being line 1), \"Sheet!Cell\" for a "
            f"workbook (e.g. {CONTACTS_SHEET}!C4), \"block N\" for a document (blocks as "
            f"docs.read numbers them) or \"table.column:id\" for the database (e.g. "
            f"customers.email:3); and the category: email, phone, date of birth or iban.")

    def _plan(self, k: Knobs, out: _Files, masks: list[_Slot],
              sql: list[tuple[str, list[SqlValue]]]) -> list[ToolCall]:
        plan = [ToolCall("docs.read", {"path": POLICY})]
        if k.amendment:
            plan.append(ToolCall("docs.read", {"path": AMENDMENT}))
        plan.append(ToolCall("files.list", {"path": ".", "recursive": True}))
        for path, (original, masked) in out.texts.items():
            plan.append(ToolCall("files.read", {"path": path}))
            if masked != original:
                plan.append(ToolCall("files.write", {"path": path, "content": masked},
                                     items={"content": ()}))
        plan.append(ToolCall("sheets.read_range", {"path": CONTACTS, "sheet": CONTACTS_SHEET}))
        cells = {s.location.partition("!")[2]: s.masked for s in masks if s.file == CONTACTS}
        if cells:
            plan.append(ToolCall("sheets.write_cells", {"path": CONTACTS, "sheet":
                                                        CONTACTS_SHEET, "cells": cells},
                                 items={"cells": ()}))
        for path in REPORTS[:len(k.reports)]:
            plan.append(ToolCall("docs.read", {"path": path}))
            for s in masks:
                if s.file == path:
                    old, new = _changed_part(s.original, s.masked)
                    plan.append(ToolCall("docs.replace_text", {"path": path, "old": old,
                                                               "new": new},
                                         items={"new": ()}))
        plan += [ToolCall("db.list_tables", {}),
                 ToolCall("db.query", {"sql": "SELECT * FROM customers ORDER BY id"}),
                 ToolCall("db.query", {"sql": "SELECT * FROM payouts ORDER BY id"})]
        plan += [ToolCall("db.execute", {"sql": s, "params": p}) for s, p in sql]
        rows = [[s.file, s.location, s.category] for s in masks]
        plan.append(ToolCall("sheets.append_rows", {"path": LOG, "sheet": LOG_SHEET,
                                                    "rows": rows}, items={"rows": ()}))
        return plan

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, out: _Files, masks: list[_Slot], scoped: list[str], now: datetime,
                  ) -> tuple[Criterion, ...]:
        originals: dict[str, dict[str, str]] = {}
        for s in out.slots:
            originals.setdefault(s.file, {})[s.location] = s.original
        texts = dict(out.texts)

        def changed(ctx: GradeContext) -> list[tuple[str, str, str]]:
            found: list[tuple[str, str, str]] = []
            for path in scoped:
                now_values = _slot_values(ctx, path, texts, now)
                was = originals[path] if path not in texts else _lines(texts[path][0])
                for location in sorted(set(was) | set(now_values)):
                    value = now_values.get(location, "<removed>")
                    if value != was.get(location, "<absent>"):
                        found.append((path, location, value))
            return found

        def log_row(file: Any, location: Any, category: Any) -> tuple[str, str, str]:
            return (str(file or "").strip().removeprefix("./"), _location(location),
                    " ".join(str(category or "").split()).casefold())

        slots = wc.per_grade(changed)
        log = wc.xlsx_rows(LOG, LOG_SHEET, LOG_COLUMNS, row=log_row)
        mask_items = [(f"masked {s.file} {s.location}", (s.file, s.location, s.masked))
                      for s in masks]
        log_items = [(f"logged {s.file} {s.location}", (s.file, _location(s.location),
                                                         s.category)) for s in masks]
        exact = [self._byte_identical(path, masked.encode()) for path, (original, masked)
                 in texts.items() if masked != original]
        return (
            *wc.item_credit(mask_items, slots, group="value masked"),
            *wc.item_credit(log_items, log, group="mask logged"),
            *exact,
            wc.exact_items("masks are exactly the personal data",
                           [item for _, item in mask_items], slots, weight=2),
            wc.exact_items("log is exactly the masks", [item for _, item in log_items], log,
                           weight=2),
            wc.nothing_else_changed("the policy and the other files untouched",
                                    [LOG, *scoped]),
        )

    @staticmethod
    def _byte_identical(path: str, expected: bytes) -> Criterion:
        def check(ctx: GradeContext) -> tuple[bool, str]:
            data = ctx.read_bytes(path)
            if data == expected:
                return True, "every byte but the masks as it was"
            at = next((i for i, (a, b) in enumerate(zip(data, expected, strict=False))
                       if a != b), min(len(data), len(expected)))
            return False, f"differs from the masked original at byte {at}"

        return Criterion(f"{path} byte-identical apart from the masks", check,
                         group="file byte-identical")


def _changed_part(original: str, masked: str) -> tuple[str, str]:
    """The value a mask replaces and its token: the differing middle of the two texts."""
    head = 0
    while original[head] == masked[head]:
        head += 1
    tail = 0
    while original[-1 - tail] == masked[-1 - tail]:
        tail += 1
    return original[head:len(original) - tail], masked[head:len(masked) - tail]


def _lines(text: str) -> dict[str, str]:
    """A text's lines by location (``line N``); a final newline ends the last line."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return {f"line {n}": line for n, line in enumerate(parts, 1)}


def _location(value: Any) -> str:
    return " ".join(str(value or "").replace("$", "").split()).casefold()


def _slot_values(ctx: GradeContext, path: str, texts: dict[str, tuple[str, str]],
                 now: datetime) -> dict[str, str]:
    """Every slot's value in the file as it is now, by location."""
    if path in texts:
        return _lines(ctx.read_text(path))
    if path.endswith(".xlsx"):
        book = ctx.read_workbook(path)
        values: dict[str, str] = {}
        for ws in book.worksheets:
            for (row, column), value in ws.cells.items():
                values[f"{ws.title}!{get_column_letter(column)}{row}"] = str(value)
        return values
    if path.endswith(".docx"):
        content = read_docx(ctx.read_bytes(path))
        return {f"block {n}": block.text if block.kind == "paragraph" else "<table>"
                for n, block in enumerate(content.blocks, 1)}
    data = ctx.read_bytes(path)
    found: dict[str, str] = {}
    for table, columns in DB_COLUMNS.items():
        for record in read_rows(data, f"SELECT id, {', '.join(columns)} FROM {table}", now=now):
            if not isinstance(record[0], int):
                raise GradeError(f"{table} has a row whose id is {record[0]!r}")
            for name, cell in zip(columns, record[1:], strict=True):
                if cell is not None:
                    found[f"{table}.{name}:{record[0]}"] = str(cell)
    return found


__all__ = ["PiiAudit"]

