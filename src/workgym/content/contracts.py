"""Contracts: a services agreement built from clauses, some with a negotiable value, and a
legal playbook that says which values each clause may take.

A :class:`Topic` is a clause with one value in it (a payment term, a liability cap): its
text, the values it can take (its grid) and the team that owns it. :func:`draft` lays
out an agreement (sections, numbered clauses, parties, a signature table) as docx blocks;
:func:`playbook_rules` draws the allowed range (or "fixed") of every topic.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from workgym.apps.docs import DocxBlock

TEAMS = ("Finance", "Legal", "Procurement", "Security")
"""The teams that review contracts and own their clauses."""


@dataclass(frozen=True)
class Topic:
    """A clause with one negotiable value."""

    key: str
    title: str
    """The clause's title, as the contract and the playbook name it."""
    text: str
    """The clause's sentence, with ``{p}`` where the value phrase goes."""
    unit: str
    """The value phrase, with ``{v}`` for the number and ``{s}`` for a plural ending:
    ``{v} day{s}``, ``EUR {v} million``."""
    grid: tuple[int, ...]
    """The values the clause can take, ascending."""
    owner: str
    """The team (one of ``TEAMS``) that owns the clause."""

    def phrase(self, value: int) -> str:
        """The value as the clause writes it, e.g. ``45 days`` (``1 day``)."""
        return self.unit.format(v=value, s="" if value == 1 else "s")

    def sentence(self, value: int) -> str:
        return self.text.format(p=self.phrase(value))


TOPICS = (
    Topic("response", "Support response", "The Supplier shall respond to priority one incidents "
          "within {p}.", "{v} hour{s}", (1, 2, 4, 8, 12, 24), "Security"),
    Topic("warranty", "Warranty period", "The Supplier warrants that each deliverable conforms "
          "to its specification for {p} after acceptance.", "{v} days",
          (30, 60, 90, 120, 180), "Procurement"),
    Topic("payment", "Payment terms", "The Customer shall pay each undisputed invoice within "
          "{p} of receipt.", "{v} days", (15, 30, 45, 60, 75, 90), "Finance"),
    Topic("disputes", "Invoice disputes", "The Customer shall notify the Supplier of any "
          "disputed invoice within {p} of the invoice date.", "{v} days",
          (7, 10, 14, 21, 30), "Finance"),
    Topic("interest", "Late payment", "Overdue amounts bear interest at {p} a year above the "
          "base rate.", "{v} per cent", (1, 2, 3, 4, 5, 6, 8, 10), "Finance"),
    Topic("increase", "Price changes", "The Supplier may raise its fees once a year, by no more "
          "than {p}.", "{v} per cent", (1, 2, 3, 4, 5, 6, 8), "Finance"),
    Topic("confidentiality", "Duration of confidentiality", "The obligations in this clause "
          "continue for {p} after this Agreement ends.", "{v} year{s}", (1, 2, 3, 5, 7, 10),
          "Legal"),
    Topic("breach", "Security incidents", "The Supplier shall notify the Customer of any "
          "security incident within {p} of becoming aware of it.", "{v} hours",
          (12, 24, 36, 48, 72, 96), "Security"),
    Topic("retention", "Return of data", "When this Agreement ends, the Supplier shall return "
          "or delete the Customer's data within {p}.", "{v} days", (14, 30, 60, 90, 120),
          "Security"),
    Topic("audit", "Audit", "The Customer may audit the Supplier's compliance once a year, "
          "giving {p} of notice.", "{v} business days", (5, 10, 15, 20, 30), "Security"),
    Topic("liability", "Limitation of liability", "Each party's total liability under this "
          "Agreement is limited to {p} of the fees paid in the twelve months before the claim.",
          "{v} per cent", (100, 125, 150, 200, 250, 300), "Legal"),
    Topic("insurance", "Insurance", "The Supplier shall hold professional indemnity insurance "
          "of at least {p}.", "EUR {v} million", (1, 2, 3, 5, 10, 15), "Legal"),
    Topic("term", "Initial term", "This Agreement starts on the Effective Date and runs for an "
          "initial term of {p}.", "{v} months", (6, 12, 18, 24, 36, 48), "Procurement"),
    Topic("renewal", "Renewal", "After the initial term, this Agreement renews for successive "
          "periods of {p} unless either party gives notice.", "{v} months", (6, 12, 24, 36),
          "Procurement"),
    Topic("notice", "Termination for convenience", "Either party may end this Agreement by "
          "giving the other written notice of {p}.", "{v} days", (15, 30, 45, 60, 90, 120),
          "Procurement"),
    Topic("nonsolicit", "Non-solicitation", "Neither party shall solicit the other's staff "
          "during the term and for {p} after it.", "{v} months", (3, 6, 9, 12, 18, 24),
          "Legal"),
)
BY_KEY = {t.key: t for t in TOPICS}

# Sections in contract order: clauses are topic keys or (title, text, optional) boilerplate.
_Boiler = tuple[str, str, bool]
_SECTIONS: tuple[tuple[str, tuple[str | _Boiler, ...]], ...] = (
    ("Definitions and interpretation", (
        ("Definitions", "Capitalised terms have the meanings given in Schedule 1.", False),
        ("Interpretation", "Headings do not affect the interpretation of this Agreement.",
         True))),
    ("Services", (
        ("Services", ("The Supplier shall provide the Services described in Schedule 2 with "
         "reasonable skill and care."), False),
        ("Cooperation", ("The Customer shall give the Supplier the information and access it "
         "reasonably needs to provide the Services."), True),
        "response", "warranty")),
    ("Fees and payment", (
        ("Fees", "The Customer shall pay the fees set out in Schedule 3.", False),
        ("Invoices", "The Supplier shall invoice the fees monthly in arrears.", True),
        "payment", "disputes", "interest", "increase")),
    ("Confidentiality and data", (
        ("Confidential information", ("Each party shall keep the other's confidential "
         "information secret and use it only for this Agreement."), False),
        "confidentiality", "breach", "retention", "audit")),
    ("Liability and insurance", (
        "liability",
        ("Exclusions", "Neither party is liable for indirect or consequential loss.", True),
        "insurance")),
    ("Term and termination", (
        "term", "renewal", "notice",
        ("Termination for cause", ("Either party may end this Agreement at once if the other "
         "commits a material breach that it does not remedy within the time allowed."),
         False))),
    ("General", (
        "nonsolicit",
        ("Assignment", ("Neither party may assign this Agreement without the other's written "
         "consent."), True),
        ("Notices", ("Notices under this Agreement are given in writing to the addresses "
         "above."), True),
        ("Entire agreement", "This Agreement is the entire agreement between the parties.",
         False),
        ("Governing law", "This Agreement is governed by the laws of England and Wales.",
         False))),
)


@dataclass(frozen=True)
class Clause:
    """A numbered clause of a drafted agreement."""

    number: str
    """e.g. ``4.2``."""
    title: str
    block: int
    """Its block in the document, from 1."""
    topic: Topic | None


@dataclass(frozen=True)
class Agreement:
    """A drafted agreement: its blocks and its clauses."""

    blocks: tuple[DocxBlock, ...]
    clauses: tuple[Clause, ...]
    values: dict[str, int]
    """Topic key -> the value the draft holds."""

    def clause(self, key: str) -> Clause:
        return next(c for c in self.clauses if c.topic is not None and c.topic.key == key)

    def text(self, key: str, value: int) -> str:
        """The paragraph of topic ``key``'s clause with ``value`` in it."""
        c = self.clause(key)
        return f"{c.number} {c.title}. {BY_KEY[key].sentence(value)}"


def draft(rng: random.Random, customer: str, supplier: str, values: dict[str, int],
          title: str = "Services Agreement") -> Agreement:
    """An agreement between ``customer`` and ``supplier`` holding every topic with its value
    from ``values``; optional boilerplate clauses come and go (so numbers differ)."""
    blocks = [DocxBlock.heading(title, 0), DocxBlock.paragraph(
        f"This {title} is made between {customer} (the Customer) and {supplier} "
        "(the Supplier).")]
    clauses: list[Clause] = []
    for s, (heading, items) in enumerate(_SECTIONS, 1):
        blocks.append(DocxBlock.heading(f"{s}. {heading}", 1))
        n = 0
        for item in items:
            if isinstance(item, str):
                topic: Topic | None = BY_KEY[item]
                name, sentence = BY_KEY[item].title, BY_KEY[item].sentence(values[item])
            else:
                name, sentence, optional = item
                if optional and rng.random() < 0.5:
                    continue
                topic = None
            n += 1
            blocks.append(DocxBlock.paragraph(f"{s}.{n} {name}. {sentence}"))
            clauses.append(Clause(f"{s}.{n}", name, len(blocks), topic))
    blocks.append(DocxBlock.paragraph("Signed by the parties' authorised representatives."))
    blocks.append(DocxBlock.table([["For the Customer", "For the Supplier"],
                                   [customer, supplier], ["Name:", "Name:"],
                                   ["Signature:", "Signature:"], ["Date:", "Date:"]]))
    return Agreement(tuple(blocks), tuple(clauses), dict(values))


@dataclass(frozen=True)
class Rule:
    """What the playbook allows for one topic: a range (ends included) or nothing."""

    topic: Topic
    low: int | None = None
    high: int | None = None

    @property
    def fixed(self) -> bool:
        return self.low is None

    def allows(self, value: int) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high

    def line(self) -> str:
        t = self.topic
        if self.low is None or self.high is None:
            return f"- {t.title}: fixed; the clause stays as drafted. Owner: {t.owner}."
        return (f"- {t.title}: from {t.phrase(self.low)} to {t.phrase(self.high)}, both "
                f"included. Owner: {t.owner}.")


def playbook_rules(rng: random.Random, fixed: Sequence[str]) -> dict[str, Rule]:
    """A rule per topic: ``fixed`` topics may not change; every other one gets a range of
    at least two grid values that leaves at least one grid value outside it."""
    rules = {}
    for t in TOPICS:
        if t.key in fixed:
            rules[t.key] = Rule(t)
            continue
        size = len(t.grid)
        width = rng.randint(2, size - 1)
        start = rng.randint(0, size - width)
        rules[t.key] = Rule(t, t.grid[start], t.grid[start + width - 1])
    return rules


def playbook_page(rules: dict[str, Rule], teams: Sequence[str] = TEAMS) -> str:
    """The playbook's rules for the topics owned by ``teams``, one line each, by team."""
    parts = []
    for team in teams:
        lines = [r.line() for r in rules.values() if r.topic.owner == team]
        parts.append(f"== {team} clauses ==\n" + "\n".join(lines))
    return "\n\n".join(parts)
