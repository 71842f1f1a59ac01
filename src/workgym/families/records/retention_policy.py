"""records/retention-policy: apply the retention schedule and legal holds to a file tree.

Description:
    The records officer runs the annual retention review. The wiki's "Records retention
    schedule" gives, per record class, the date retention counts from (a contract's term
    end, the close of the fiscal year an invoice is dated in, the end of employment, a
    letter's date, ...), how many years a record stays in the office, and when it is
    destroyed (or that it is kept permanently in the archive). Amendment pages replace
    rows of the schedule (at hard a later amendment replaces a row an earlier one set).
    The "Legal holds" page lists holds by matter (the register links records to matters)
    and, from medium on, one by counterparty (read from the record itself); released holds
    no longer apply. A record's class is the one its own header names: the register
    (``records-register.xlsx``) has some records under a wrong class, filed in that
    class's folder, and at hard one without a class. Every record is read for its dates.
    The agent leaves each record where it is, moves it to ``archive/`` (keeping its path
    below ``records/``) or deletes it, writes one row per record to
    ``review/retention-manifest.xlsx`` (record, action, reason with the date the policy
    gives) and, from medium on, a memo ``review/retention-memo.docx`` with the counts. In
    the ``lines`` variant the manifest is the text file ``review/retention-manifest.txt``,
    one ``<record id> | <action> | <reason>`` line per record.

Apps:
    files, sheets, docs, wiki.

Criteria:
    - ``disposition <record>`` (weight 2): each record due for the archive is there (and
      gone from records/), each record due for destruction is gone; precision-aware over
      every record the agent moved, deleted, copied or changed.
    - ``manifest <record>``: its row or line (action and reason, exactly); precision-aware
      over the manifest's rows (a malformed line counts as wrong).
    - ``memo <count>`` (medium, hard): the ``Kept``, ``Archived`` and ``Deleted`` counts;
      precision-aware over the memo's count paragraphs.
    - guards: every record under an active hold in place with its bytes; nothing else
      changed (register, wiki, other files; new files only under archive/ and the
      review outputs).

Difficulty:
    Knobs set the records, the classes in play, the holds (by matter, by counterparty,
    released), the amendments, the misfiled and unclassified records and the memo.
    Reference calls: easy 16, medium 26-28, hard 38-42. Keeping, archiving or deleting every
    record scores 0 (each group is under half the records; a held record lost trips the
    guard). ``richness`` adds other wiki pages (a draft schedule not in force among them)
    and everyday notes outside records/.

Version history:
    v1: first version.
"""

from __future__ import annotations

import functools
import io
import random
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.docs import DocxBlock, build_docx, read_docx
from workgym.apps.sheets import workbook_bytes
from workgym.apps.wiki import WikiStore
from workgym.content.companies import Company, companies
from workgym.content.distractors import everyday_notes, scaled
from workgym.content.people import Person, people
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

REGISTER, REGISTER_SHEET = "records-register.xlsx", "Register"
REGISTER_COLUMNS = ("Record ID", "Title", "Class", "Department", "Matter", "Registered")
MANIFEST, MANIFEST_SHEET = "review/retention-manifest.xlsx", "Manifest"
MANIFEST_COLUMNS = ("Record ID", "Action", "Reason")
MANIFEST_LINES = "review/retention-manifest.txt"
"""The manifest in the ``lines`` variant: one ``<record id> | <action> | <reason>`` line each."""
MEMO = "review/retention-memo.docx"
SCHEDULE, HOLDS, AMENDMENT = ("Records retention schedule", "Legal holds",
                              "Retention schedule amendment")
MARGIN = 30
"""Fewest days between the review and any date where a record's action would change."""
MEMO_KEYS = ("kept", "archived", "deleted")


@dataclass(frozen=True)
class Kind:
    """A record class: where it is filed, what retention counts from, its usual periods."""

    name: str
    folder: str
    trigger: str
    """What the schedule says retention counts from."""
    offices: tuple[int, ...]
    """Years in the office it may get (empty: no archive stage, destroyed from the office)."""
    destroys: tuple[int | None, ...]
    """Years after the trigger it may be destroyed (None: kept permanently)."""
    party: str = ""
    """The header line naming its counterparty ('' for none)."""
    fiscal: bool = False


KINDS = (
    Kind("Supplier contract", "legal", 'the end of the contract term ("Term ends")', (1, 2),
         (6, 7, 10), party="Counterparty"),
    Kind("Invoice", "finance", 'the close of the fiscal year the invoice is dated in '
         '("Invoice date")', (2, 3), (7, 8, 10), party="Supplier", fiscal=True),
    Kind("Personnel file", "hr", 'the end of employment ("Employment ended")', (1, 2), (5, 6)),
    Kind("Correspondence", "admin", 'the date of the letter ("Letter date")', (), (2, 3, 4),
         party="Correspondent"),
    Kind("Board minutes", "board", 'the meeting date ("Meeting date")', (3, 5), (None,)),
    Kind("Project report", "projects", 'the close of the project ("Project closed")',
         (1, 2, 3), (6, 8)),
    Kind("Tender offer", "procurement", 'the date the tender was decided ("Tender decided")',
         (), (1, 2), party="Bidder"),
)
BY_NAME = {k.name: k for k in KINDS}
FY_ENDS = ((3, 31, "31 March"), (6, 30, "30 June"), (9, 30, "30 September"),
           (12, 31, "31 December"))
SERVICES = ("Cleaning services", "Facilities maintenance", "Courier", "IT support",
            "Catering", "Office supplies", "Security services", "Printing")
PROJECTS = ("Harbour", "Lantern", "Meridian", "Juniper", "Beacon", "Summit", "Orchard",
            "Falcon", "Granite", "Willow")
TOPICS = ("late delivery", "price review", "site access", "insurance certificate",
          "change of address", "service levels", "a billing query", "the annual audit")
POSITIONS = ("Accountant", "Warehouse lead", "Sales assistant", "Engineer", "Receptionist",
             "Buyer", "Analyst", "Driver")


class Knobs(BaseModel, frozen=True):
    records: int
    """Records in the register (and under records/)."""
    kinds: int
    """Record classes in play."""
    held: int
    """Records under an active hold."""
    party_hold: bool
    """One active hold covers a counterparty's records (read from the records)."""
    released: int
    """Records whose matter's hold was released."""
    amendments: int
    """Amendment pages (the second replaces a row the first set)."""
    misfiled: int
    """Records the register puts under a wrong class, filed in that class's folder."""
    unclassified: int
    """Records the register gives no class."""
    memo: bool
    """A memo with the counts is asked for."""
    distractors: int
    """Distractor wiki pages and notes at richness 1."""


@dataclass(frozen=True)
class Rule:
    office: int
    destroy: int | None

    def act(self, trigger: date, now: date) -> tuple[str, str, int]:
        """(action, reason, days from the review to the nearest date that would change it)."""
        office = _years(trigger, self.office)
        gap = abs((now - office).days)
        if now < office:
            return "keep", f"retain until {office.isoformat()}", gap
        if self.destroy is None:
            return "archive", "archive permanently", gap
        end = _years(trigger, self.destroy)
        gap = min(gap, abs((now - end).days)) if self.destroy != self.office else gap
        if now < end:
            return "archive", f"archive until {end.isoformat()}", gap
        return "delete", f"retention ended {end.isoformat()}", gap


Rules = dict[str, Rule]


@dataclass
class Record:
    id: str
    kind: Kind
    trigger: date
    action: str
    reason: str
    fmt: str = "txt"
    party: str = ""
    matter: str = ""
    hold: str = ""
    """The active hold's matter that keeps it ('' when none)."""
    filed_as: str | None = None
    """The class the register gives: None for its own, "" for none, or another class."""
    fields: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""
    prose: list[str] = field(default_factory=list)
    registered: date = date(2000, 1, 1)

    @property
    def path(self) -> str:
        folder = BY_NAME[self.filed_as].folder if self.filed_as else self.kind.folder
        return f"records/{folder}/{self.id}.{self.fmt}"

    @property
    def archived(self) -> str:
        return "archive/" + self.path.removeprefix("records/")

    @property
    def row(self) -> tuple[str, str, str]:
        if self.hold:
            return self.id, "keep", f"legal hold {self.hold}"
        return self.id, self.action, self.reason


@dataclass
class Review:
    now: date
    org: Company
    me: Person
    fy: tuple[int, int, str]
    base: Rules
    amendments: list[tuple[date, Rules]]
    records: list[Record]
    holds: list[tuple[str, str, date, date | None]]
    """(matter, scope, placed, released or None)."""


def _years(day: date, years: int) -> date:
    return day.replace(year=day.year + years)


def _rules(base: Rules, amendments: Sequence[tuple[date, Rules]]) -> Rules:
    rules = dict(base)
    for _, rows in amendments:
        rules.update(rows)
    return rules


def _rule(kind: Kind, rng: random.Random, wide: bool = False) -> Rule:
    destroys = [d for d in kind.destroys]
    if wide:
        destroys += [d + 2 for d in kind.destroys if d is not None]
    destroy = rng.choice(destroys)
    if not kind.offices:
        return Rule(destroy or 1, destroy)
    offices = [*kind.offices, *((max(kind.offices) + 1,) if wide else ())]
    return Rule(rng.choice([o for o in offices if destroy is None or destroy - o >= 3]),
                destroy)


def _amended(kind: Kind, old: Rule, rng: random.Random) -> Rule:
    while (new := _rule(kind, rng, wide=True)) == old:
        pass
    return new


# -- the world -------------------------------------------------------------------------------


def _review(k: Knobs, rng: random.Random) -> Review | None:
    """One review drawn from ``rng``, or None when the draw breaks a constraint."""
    now = date(2026, 2, 2) + timedelta(days=rng.randrange(280))
    org, party, *others = companies(rng, 9)
    me = people(rng, 1, domain=org.domain)[0]
    fy = rng.choice(FY_ENDS)
    chosen = [BY_NAME["Invoice"], *rng.sample([x for x in KINDS if x.name != "Invoice"],
                                              k.kinds - 1)]
    base = {x.name: _rule(x, rng) for x in chosen}
    amendments: list[tuple[date, Rules]] = []
    if k.amendments:
        first = rng.sample(chosen, 2 if k.amendments > 1 else 1)
        rules = {x.name: _amended(x, base[x.name], rng) for x in first}
        amendments.append((now - timedelta(days=rng.randrange(300, 700)), rules))
        if k.amendments > 1:
            again = first[0]
            amendments.append((now - timedelta(days=rng.randrange(40, 250)),
                               {again.name: _amended(again, rules[again.name], rng)}))
    final = _rules(base, amendments)
    stale = [dict(base)] if k.amendments else []
    if k.amendments > 1:
        stale += [_rules(base, amendments[:1]), _rules(base, amendments[1:])]

    ids = [f"R-{n}" for n in rng.sample(range(10000, 99999), k.records)]
    records: list[Record] = []

    def draw(kind: Kind, want: str | None, other: Rules | None = None) -> Record | None:
        for _ in range(300):
            trigger = _trigger(kind, fy, now, rng)
            action, reason, gap = final[kind.name].act(trigger, now)
            if gap < MARGIN or (want is not None and action != want):
                continue
            if other is not None:
                was, _, was_gap = other[kind.name].act(trigger, now)
                if was == action or was_gap < MARGIN:
                    continue
            return Record(ids[len(records)], kind, trigger, action, reason)
        return None

    for rules in stale:  # a record whose action shows whether each amendment was applied
        record = draw(rng.choice([x for x in chosen if rules[x.name] != final[x.name]]),
                      None, rules)
        if record is None:
            return None
        records.append(record)
    ceiling = (k.records - 1) // 2
    early = Counter(r.action for r in records)
    rest = k.records - len(records) - k.held
    keep = rng.randint(1, max(1, ceiling - k.held - early["keep"]))
    low = max(1, rest - keep - ceiling + early["delete"])
    high = min(ceiling - early["archive"], rest - keep - 1)
    if low > high:
        return None
    archive = rng.randint(low, high)
    wants = ["keep"] * keep + ["archive"] * archive + ["delete"] * (rest - keep - archive)
    held = [rng.choice(("archive", "delete")) for _ in range(k.held)]
    held_records: list[Record] = []
    for n, want in enumerate(held + wants):
        record = draw(rng.choice([x for x in chosen if _can(final[x.name], want)]), want)
        if record is None:
            return None
        records.append(record)
        if n < k.held:
            held_records.append(record)
    counts = Counter("keep" if r in held_records else r.action for r in records)
    if max(counts.values()) > ceiling or len(counts) < 3:
        return None
    for r in records:
        r.fmt = rng.choice(("docx", "docx", "txt", "txt", "md"))
        r.party = rng.choice(others[:5]).name if r.kind.party else ""
    if not {"docx", "txt"} <= {r.fmt for r in records}:
        return None

    # holds: by counterparty (read from the record) and by matter (from the register)
    free = [r for r in records if r not in held_records]
    codes = [f"M-{n}" for n in rng.sample(range(1000, 9999), 8)]
    holds: list[tuple[str, str, date, date | None]] = []
    if k.party_hold:
        by_party = [r for r in held_records if r.kind.party]
        if not by_party:
            return None
        code = codes.pop()
        by_party[0].party, by_party[0].hold = party.name, code
        holds.append((code, f"every record whose counterparty is {party.name}",
                      now - timedelta(days=rng.randrange(30, 400)), None))
    matter_held = [r for r in held_records if not r.hold]
    groups = [matter_held[:1], matter_held[1:]] if len(matter_held) > 2 else [matter_held]
    for group in filter(None, groups):
        code = codes.pop()
        for r in group:
            r.matter = r.hold = code
        holds.append((code, f"every record the register links to matter {code}",
                      now - timedelta(days=rng.randrange(30, 700)), None))
    due = [r for r in free if r.action != "keep"]
    if len(due) < k.released:
        return None
    for r in rng.sample(due, k.released):
        r.matter = codes.pop()
        placed = now - timedelta(days=rng.randrange(500, 1500))
        holds.append((r.matter, f"every record the register links to matter {r.matter}",
                      placed, placed + timedelta(days=rng.randrange(120, 400))))
    for r in rng.sample([r for r in free if not r.matter], max(1, k.records // 6)):
        r.matter = codes.pop()  # a matter without a hold
    odd = rng.sample(free, k.misfiled + k.unclassified)
    for r in odd[:k.misfiled]:
        r.filed_as = rng.choice([x.name for x in chosen if x.name != r.kind.name])
    for r in odd[k.misfiled:]:
        r.filed_as = ""
    for r in records:
        _content(r, org, fy, rng)
    if not (_overlapping(records, lambda r: r.trigger)
            and _overlapping(records, lambda r: r.registered)):
        return None
    records.sort(key=lambda r: r.id)
    holds.sort(key=lambda h: h[0])
    return Review(now, org, me, fy, base, amendments, records, holds)


def _can(rule: Rule, action: str) -> bool:
    if action == "archive":
        return rule.destroy is None or rule.destroy > rule.office
    if action == "delete":
        return rule.destroy is not None
    return True


def _trigger(kind: Kind, fy: tuple[int, int, str], now: date, rng: random.Random) -> date:
    if kind.fiscal:
        month, last, _ = fy
        return date(now.year - rng.randint(1, 15), month, last)
    while (day := now - timedelta(days=rng.randrange(45, 15 * 365))).month == 2 and \
            day.day == 29:
        pass
    return day


def _overlapping(records: Sequence[Record], when: Callable[[Record], date]) -> bool:
    """No threshold on a date parts the records kept, archived and deleted."""
    spans: dict[str, list[date]] = {}
    for r in records:
        spans.setdefault("keep" if r.hold else r.action, []).append(when(r))
    groups = list(spans.values())
    return len(groups) == 3 and all(min(a) < max(b) and min(b) < max(a)
                                    for a in groups for b in groups if a is not b)


def _content(r: Record, org: Company, fy: tuple[int, int, str], rng: random.Random) -> None:
    """The record's title, header fields and prose, from its class and trigger date."""
    t = r.trigger

    def ago(low: int, high: int) -> date:
        return t - timedelta(days=rng.randint(low, high))

    def after(low: int, high: int) -> date:
        return t + timedelta(days=rng.randint(low, high))

    name = r.kind.name
    fields: list[tuple[str, str | date]]
    if name == "Supplier contract":
        start = ago(365, 5 * 365)
        service = rng.choice(SERVICES)
        r.title = f"{service} agreement"
        fields = [("Counterparty", r.party),
                  ("Signed", start - timedelta(days=rng.randint(5, 40))),
                  ("Term starts", start), ("Term ends", t)]
        r.prose = [f"{r.party} provides {service.lower()} to {org.name} for the term above.",
                   (f"Either party may end the agreement with three months' notice; a price "
                   f"review was held on {ago(60, 300).isoformat()}.")]
    elif name == "Invoice":
        month, _, _ = fy
        close = t
        opened = date(close.year - 1, month, 1) + timedelta(days=31)
        opened = opened.replace(day=1)
        issued = opened + timedelta(days=rng.randint(10, max(11, (close - opened).days - 15)))
        number = f"INV-{rng.randint(10000, 99999)}"
        r.title = f"Invoice {number}"
        fields = [("Supplier", r.party), ("Invoice number", number), ("Invoice date", issued),
                  ("Due date", issued + timedelta(days=30)),
                  ("Paid on", issued + timedelta(days=rng.randint(5, 29))),
                  ("Amount", f"EUR {rng.randint(200, 48000)}.{rng.choice(('00', '50'))}")]
        r.prose = [f"Invoice from {r.party} for goods and services to {org.name}.",
                   "Checked against the purchase order and approved for payment."]
    elif name == "Personnel file":
        person = people(rng, 1, domain=org.domain)[0]
        r.title = f"Personnel file {person.name}"
        fields = [("Employee", person.name), ("Position", rng.choice(POSITIONS)),
                  ("Hired", ago(400, 12 * 365)), ("Employment ended", t)]
        r.prose = ["Contract, appraisals and leave records of the employee.",
                   f"Last appraisal on {ago(60, 330).isoformat()}."]
    elif name == "Correspondence":
        topic = rng.choice(TOPICS)
        r.title = f"Letter about {topic}"
        fields = [("Correspondent", r.party), ("Letter date", t), ("Received", after(2, 6)),
                  ("Subject", topic)]
        r.prose = [f"{r.party} wrote to {org.name} about {topic}.",
                   f"Answered on {after(8, 30).isoformat()}; no further action."]
    elif name == "Board minutes":
        r.title = "Minutes of the board meeting"
        fields = [("Meeting date", t), ("Minutes approved", after(20, 45)),
                  ("Chair", people(rng, 1)[0].name)]
        r.prose = ["The board approved the accounts and the budget for the coming year.",
                   f"Next meeting set for {after(80, 100).isoformat()}."]
    elif name == "Project report":
        project = rng.choice(PROJECTS)
        r.title = f"Closing report, project {project}"
        fields = [("Project", project), ("Project started", ago(180, 3 * 365)),
                  ("Project closed", t), ("Report date", after(10, 40))]
        r.prose = [f"Project {project} delivered its scope and closed.",
                   "Lessons learned are listed in the appendix."]
    else:
        topic = rng.choice(SERVICES)
        r.title = f"Tender offer for {topic.lower()}"
        fields = [("Bidder", r.party), ("Offer date", ago(20, 60)), ("Tender decided", t),
                  ("Outcome", "not awarded")]
        r.prose = [f"{r.party} bid for the {topic.lower()} tender.",
                   "The contract went to another bidder."]
    r.fields = [("Record ID", r.id), ("Record class", name),
                *((label, v.isoformat() if isinstance(v, date) else v) for label, v in fields)]
    r.registered = min(v for _, v in fields if isinstance(v, date)) + \
        timedelta(days=rng.randint(1, 9))


def _record_bytes(r: Record, org: Company) -> bytes:
    head = f"{org.name}: {r.title}"
    lines = [f"{label}: {value}" for label, value in r.fields]
    if r.fmt == "docx":
        return _docx([head, "\n".join(lines), *r.prose])
    if r.fmt == "md":
        body = "\n".join(f"- {line}" for line in lines)
        return (f"# {head}\n\n{body}\n\n" + "\n\n".join(r.prose) + "\n").encode()
    return (f"{head}\n\n" + "\n".join(lines) + "\n\n" + "\n".join(r.prose) + "\n").encode()


@functools.cache
def _docx_parts() -> tuple[tuple[str, bytes], ...]:
    """The parts of a document of a title and three paragraphs, each a placeholder."""
    data = build_docx([DocxBlock("paragraph", "@@0@@", "Title"),
                       *(DocxBlock("paragraph", f"@@{n}@@", "Normal") for n in (1, 2, 3))])
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return tuple((info.filename, package.read(info)) for info in package.infolist())


def _docx(texts: Sequence[str]) -> bytes:
    """A .docx of a title and three paragraphs (python-docx builds the package once; each
    record's texts replace its placeholders, "\n" as a line break)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, part in _docx_parts():
            if name == "word/document.xml":
                xml = part.decode()
                for n, text in enumerate(texts):
                    runs = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>'
                                          for line in text.split("\n"))
                    xml = xml.replace(f"<w:t>@@{n}@@</w:t>", runs)
                part = xml.encode()
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            package.writestr(entry, part)
    return out.getvalue()


def _register(review: Review) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = REGISTER_SHEET
    ws.append(list(REGISTER_COLUMNS))
    for r in review.records:
        ws.append([r.id, r.title, r.kind.name if r.filed_as is None else r.filed_as,
                   r.path.split("/")[1], r.matter, r.registered])
    return workbook_bytes(wb)


def _manifest_template() -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = MANIFEST_SHEET
    ws.append(list(MANIFEST_COLUMNS))
    return workbook_bytes(wb)


def _table(rules: Rules, names: Sequence[str]) -> str:
    rows = ["| Class | Retention counts from | In the office | Then | Destroyed |",
            "| --- | --- | --- | --- | --- |"]
    for name in names:
        rule = rules[name]
        if rule.destroy == rule.office:
            then, end = "destroyed", f"{_span(rule.office)} after that date"
        else:
            then = "moved to the archive"
            end = ("never: kept permanently" if rule.destroy is None
                   else f"{_span(rule.destroy)} after that date")
        rows.append(f"| {name} | {BY_NAME[name].trigger} | {_span(rule.office)} | {then} | "
                    f"{end} |")
    return "\n".join(rows)


def _span(years: int) -> str:
    return f"{years} year{'s' if years != 1 else ''}"


def _wiki(review: Review, owner: Person, richness: float, rich: random.Random) -> WikiStore:
    store = WikiStore(me=review.me.name)
    now = datetime.combine(review.now, datetime.min.time(), UTC)
    names = sorted(review.base)
    fy_text = review.fy[2]
    example = date(2019, review.fy[0], review.fy[1])
    store.add_page(SCHEDULE, (
        f"# Records retention schedule\n\nEvery record of {review.org.name} is reviewed "
        f"against this schedule once a year.\n\nA record's class is the class its own "
        f"header names (its \"Record class\" line). The register is kept by hand and the "
        f"folder a record is filed in may be wrong; where they disagree with the record, the "
        f"record wins.\n\n{_table(review.base, names)}\n\nPeriods are whole years counted "
        f"from the date the table names: 3 years after 2019-04-30 is 2022-04-30. Our fiscal "
        f"year ends on {fy_text}: an invoice belongs to the fiscal year in which it is dated, "
        f"and that fiscal year closes on the next {fy_text} (an invoice dated in the twelve "
        f"months up to {example.isoformat()} belongs to the fiscal year closing "
        f"{example.isoformat()}).\n\nAt the review:\n- a record whose time in the office "
        f"has not ended stays where it is;\n- a record past its time in the office whose "
        f"destruction is not due is moved to the archive (archive/, keeping its path below "
        f"records/);\n- a record whose destruction date has come is destroyed (deleted), "
        f"wherever it is.\nA period that ends on the day of the review has ended.\n\n"
        f"Legal holds come first: see [[{HOLDS}]].\n\nAmendments to this schedule are "
        f"published as their own pages, titled \"{AMENDMENT} N\"; each replaces the rows it "
        f"gives, from the day it is in force.\n"),
        owner.name, now - timedelta(days=1400))
    holds = "\n".join(
        f"| {code} | {scope} | {placed.isoformat()} | "
        f"{'released on ' + released.isoformat() if released else 'active'} |"
        for code, scope, placed, released in review.holds)
    store.add_page(HOLDS, (
        f"# Legal holds\n\nA record under an active legal hold stays where it is, unchanged, "
        f"whatever the retention schedule says: it is neither archived nor destroyed until "
        f"the hold is released. A released hold no longer applies. A record's counterparty "
        f"is the supplier, bidder or correspondent its header names.\n\n| Matter | Covers | "
        f"Placed | Status |\n| --- | --- | --- | --- |\n{holds}\n"),
        owner.name, now - timedelta(days=20))
    for n, (start, rows) in enumerate(review.amendments, 1):
        extra = (" Its row for that class replaces the one an earlier amendment gave."
                 if n > 1 else "")
        store.add_page(f"{AMENDMENT} {n}", (
            f"# {AMENDMENT} {n}\n\nIn force from {start.isoformat()}. It replaces the rows "
            f"of [[{SCHEDULE}]] for the classes below, for every record of those classes "
            f"whatever its date.{extra}\n\n{_table(rows, sorted(rows))}\n"),
            owner.name, datetime.combine(start, datetime.min.time(), UTC)
            - timedelta(days=14))
    pages = [("Filing conventions", ("Records are filed by department under records/, one "
              "file per record named by its record id.")),
             ("Scanning guidelines", ("Paper records are scanned at 300 dpi and the scan "
              "replaces the paper copy.")),
             ("Archive room access", ("The archive room opens on request; ask the records "
              "officer for the key.")),
             ("Retention schedule review (draft)", ("Draft for discussion, not in force: "
              "every class might be kept two years longer in the office. Do not apply it."))]
    for title, body in rich.sample(pages, scaled(richness, len(pages))):
        store.add_page(title, f"# {title}\n\n{body}\n", owner.name,
                       now - timedelta(days=rich.randrange(30, 900)))
    return store


def _prompt(review: Review, k: Knobs, lines: bool) -> str:
    memo = (f"\n\nThen create the memo {MEMO} with the three paragraphs \"Kept: <n>\", "
            f"\"Archived: <n>\" and \"Deleted: <n>\": how many records of the register you "
            f"kept, archived and deleted." if k.memo else "")
    manifest = (f"Write the manifest {MANIFEST_LINES}, one line per record: <record id> | "
                f"<action> | <reason>" if lines else
                f"Write one row per record to {MANIFEST} (sheet \"{MANIFEST_SHEET}\", columns "
                f"{', '.join(MANIFEST_COLUMNS)})")
    return (
        f"You are {review.me.name} ({review.me.email}), records officer at {review.org.name}. "
        f"Today, {review.now.isoformat()}, you run the annual retention review. Apply the "
        f"retention policy on the wiki (the \"{SCHEDULE}\" page with its amendments, and the "
        f"\"{HOLDS}\" page) to every record in the register {REGISTER} (sheet "
        f"\"{REGISTER_SHEET}\"); the records are the files under records/, one per record.\n\n"
        f"Leave each record where it is, move it to the archive (archive/ followed by its "
        f"path below records/: records/<folder>/<file> goes to archive/<folder>/<file>), or "
        f"delete it, as the policy says.\n\n{manifest}: the action keep, archive or delete, "
        f"and the reason, exactly one of:\n"
        f"legal hold <matter> (kept under an active hold on that matter)\n"
        f"retain until <YYYY-MM-DD> (kept: its time in the office ends that day)\n"
        f"archive until <YYYY-MM-DD> (archived: its destruction is due that day)\n"
        f"archive permanently (archived: never destroyed)\n"
        f"retention ended <YYYY-MM-DD> (deleted: its destruction was due that day)"
        f"{memo}\n\nChange nothing else.")


# -- grading ---------------------------------------------------------------------------------


def _criteria(review: Review, k: Knobs, lines: bool) -> tuple[Criterion, ...]:
    records = review.records

    def dispositions(ctx: GradeContext) -> list[tuple[str, str]]:
        now = ctx.world.file_hashes()
        where: dict[str, list[str]] = {}
        for rel, digest in now.items():
            where.setdefault(digest, []).append(rel)
        found = []
        for r in records:
            was = ctx.initial.files.get(r.path)
            at = sorted(where.get(was, [])) if was else []
            if at == [r.path] and r.path in now:
                continue  # kept as it was
            if at == [r.archived]:
                state = "archived"
            elif not at and r.path not in now:
                state = "deleted"
            else:
                state = "changed or misplaced"
            found.append((r.id, state))
        return found

    def manifest_row(record: Any, action: Any, reason: Any) -> tuple[str, str, str]:
        return (wc.collapse(str(record or "")).upper(),
                wc.collapse(str(action or "")).casefold(),
                wc.collapse(str(reason or "")).casefold())

    text = wc.text_lines(MANIFEST_LINES)

    def manifest_lines(ctx: GradeContext) -> list[Any]:
        found: list[Any] = []
        for line in text(ctx):
            parts = line.split("|")
            found.append(manifest_row(*parts) if len(parts) == 3 else ("malformed", line))
        return found

    manifest: wc.Found[list[Any]] = wc.per_grade(manifest_lines) if lines else wc.xlsx_rows(
        MANIFEST, MANIFEST_SHEET, MANIFEST_COLUMNS, row=manifest_row)
    moved = [(f"disposition {r.id}", (r.id, "archived" if r.action == "archive" else
                                      "deleted")) for r in records
             if not r.hold and r.action != "keep"]
    rows = [(f"manifest {r.id}", (r.id, r.row[1], r.row[2].casefold())) for r in records]
    criteria = [
        *wc.item_credit(moved, wc.per_grade(dispositions), group="record disposed", weight=2),
        *wc.item_credit(rows, manifest, group="manifest row"),
    ]
    if k.memo:
        counts = _counts(records)

        def memo(ctx: GradeContext) -> list[tuple[str, str]]:
            content = read_docx(ctx.read_bytes(MEMO))
            found = []
            for block in content.blocks:
                key, colon, value = block.text.partition(":")
                if colon and key.strip().casefold() in MEMO_KEYS:
                    found.append((key.strip().casefold(), wc.collapse(value)))
            return found

        criteria += wc.item_credit([(f"memo {key}", (key, str(counts[key])))
                                    for key in MEMO_KEYS], wc.per_grade(memo), group="memo count")
    held = [r for r in records if r.hold]

    def held_kept(ctx: GradeContext) -> tuple[bool, str]:
        lost = [r.id for r in held if ctx.world.file_hash(r.path) != ctx.initial.files.get(
            r.path)]
        return not lost, f"held records moved, changed or destroyed: {lost}" if lost else \
            "every held record in place"

    criteria += [
        Criterion("records under an active legal hold kept in place", held_kept, guard=True),
        wc.nothing_else_changed("register, wiki and other files unchanged",
                                [MANIFEST_LINES if lines else MANIFEST, MEMO,
                                 *(r.path for r in records)],
                                scratch=["archive"]),
    ]
    return tuple(criteria)


def _counts(records: Sequence[Record]) -> dict[str, int]:
    tally = Counter("keep" if r.hold else r.action for r in records)
    return {"kept": tally["keep"], "archived": tally["archive"], "deleted": tally["delete"]}


def _reference(review: Review, k: Knobs, lines: bool) -> tuple[ToolCall, ...]:
    calls = [ToolCall("wiki.read", {"page": SCHEDULE}),
             ToolCall("wiki.list_pages", {"prefix": AMENDMENT})]
    calls += [ToolCall("wiki.read", {"page": f"{AMENDMENT} {n}"})
              for n in range(1, len(review.amendments) + 1)]
    calls += [ToolCall("wiki.read", {"page": HOLDS}),
              ToolCall("sheets.read_range", {"path": REGISTER, "sheet": REGISTER_SHEET}),
              ToolCall("files.list", {"path": "records", "recursive": True})]
    for r in review.records:
        calls.append(ToolCall("files.read", {"path": r.path}) if r.fmt == "txt" else
                     ToolCall("docs.read", {"path": r.path}))
    for r in review.records:
        if r.hold or r.action == "keep":
            continue
        if r.action == "archive":
            calls.append(ToolCall("files.move", {"source": r.path, "destination": r.archived},
                                  items={"destination": ()}))
        else:
            calls.append(ToolCall("files.delete", {"path": r.path}, items={"path": ()}))
    if lines:
        calls.append(ToolCall("files.write", {"path": MANIFEST_LINES, "content": "".join(
            " | ".join(r.row) + "\n" for r in review.records)}, items={"content": ()}))
    else:
        calls.append(ToolCall("sheets.append_rows", {
            "path": MANIFEST, "sheet": MANIFEST_SHEET,
            "rows": [list(r.row) for r in review.records]}, items={"rows": ()}))
    if k.memo:
        counts = _counts(review.records)
        calls += [ToolCall("docs.create", {"path": MEMO,
                                           "title": f"Retention review {review.now.isoformat()}"}),
                  ToolCall("docs.insert_paragraphs", {
                      "path": MEMO, "paragraphs": [f"{key.title()}: {counts[key]}"
                                                   for key in MEMO_KEYS]},
                      items={"paragraphs": ()})]
    return tuple(calls)


@register_family
class RetentionPolicy(TaskFamily[Knobs]):
    """Apply the wiki's retention schedule and legal holds to the records under records/."""

    name = "records/retention-policy"
    version = 1
    apps = ("files", "sheets", "docs", "wiki")
    variants = ("default", "lines")
    levels = Levels(
        easy=Level(Knobs(records=6, kinds=4, held=1, party_hold=False, released=0,
                         amendments=0, misfiled=1, unclassified=0, memo=False,
                         distractors=3), calls=16),
        medium=Level(Knobs(records=11, kinds=5, held=2, party_hold=True, released=1,
                           amendments=1, misfiled=2, unclassified=0, memo=True,
                           distractors=5), calls=26),
        hard=Level(Knobs(records=18, kinds=7, held=3, party_hold=True, released=2,
                         amendments=2, misfiled=2, unclassified=1, memo=True,
                         distractors=7), calls=38),
    )

    def review(self, spec: TaskSpec) -> Review:
        """The review a spec draws: its date, rules, holds and records with their answers."""
        k = self.knobs(spec)
        for attempt in range(300):
            review = _review(k, rng_for(spec, "core", attempt))
            if review is not None:
                return review
        raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no review in 300 attempts")

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        lines = spec.variant == "lines"
        review = self.review(spec)
        owner = people(rng_for(spec, "owner"), 1, domain=review.org.domain)[0]
        rich = rng_for(spec, "distractors")
        files = {r.path: _record_bytes(r, review.org) for r in review.records}
        files[REGISTER] = _register(review)
        if not lines:
            files[MANIFEST] = _manifest_template()
        files.update({f"notes/{path.rpartition('/')[2]}": data for path, data in
                      everyday_notes(rich, scaled(spec.richness, k.distractors)).items()})
        wiki = _wiki(review, owner, spec.richness, rich)
        return Task(spec=spec, prompt=_prompt(review, k, lines), apps=self.apps,
                    criteria=_criteria(review, k, lines), reference=_reference(review, k, lines),
                    artifacts=(MANIFEST_LINES if lines else MANIFEST, *((MEMO,) if k.memo else ())),
                    template=WorldTemplate(
                        now=datetime.combine(review.now, datetime.min.time(), UTC)
                        + timedelta(hours=9), files=files, stores={"wiki": wiki}))


__all__ = ["RetentionPolicy"]
