"""documents/contract-review: apply mailed review comments to a contract under the playbook.

Description:
    A deal lead asks the contracts manager to finalise a services agreement with a
    supplier (``contracts/<supplier>-services-agreement.docx``) from the comments of the
    reviewers the lead names (one per team: Finance, Legal, Procurement, Security). Each
    comment asks to change the value of a numbered clause (a payment term, a liability
    cap). Later mails correct or withdraw earlier comments; two reviewers may ask for
    different values for one clause (the clause's owning team decides); someone who is not
    a reviewer asks too; at the hard level one reviewer leaves the comments in the document
    as Word comments. The legal team's playbook on the wiki (split over one page per team
    at the hard level) gives each clause's allowed range or marks it fixed. The agent
    amends the allowed clauses in place, changing nothing else, writes a change log table
    (``contracts/<supplier>-change-log.docx``) and mails the lead which clauses were applied
    and which rejected.

Apps:
    docs, mail, wiki.

Criteria:
    - ``clause <n> amended`` (one per applied comment): the clause reads exactly as drafted
      with the new value; precision-aware (every other changed clause cancels one item's
      credit). ``only allowed clauses changed``: nothing else changed.
    - ``change log: clause <n>`` (weight 0.5 each): a row Clause | Old | New | Requested by;
      precision-aware; ``change log: nothing else`` (0.5).
    - ``applied clauses``, ``rejected clauses``: the summary's two lines, exactly the sets.
    - ``summary sent after the edits`` (0.5, trajectory).
    - guards: the contract's layout (blocks, styles, headings, parties, signature table) is
      kept; mails and the wiki are untouched; mail only to the lead.

Difficulty:
    Knobs set the reviewers, the comments applied and rejected (out of range or on a fixed
    clause), conflicting comments, corrections, withdrawals, a non-reviewer's comment,
    comments inside the document and a playbook over several pages. Reference calls: easy
    12, medium 17, hard 26. ``richness`` adds everyday mails, another contract's review
    thread, an older revision of the playbook, an NDA playbook and other wiki pages.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.docs import DocxBlock, DocxComment, build_docx, parse_docx, read_docx
from workgym.apps.wiki import WikiStore
from workgym.content.companies import Company, companies
from workgym.content.contracts import (
    TEAMS,
    TOPICS,
    Agreement,
    Rule,
    Topic,
    draft,
    playbook_page,
    playbook_rules,
)
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.filler import filler_notes
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import bullets, letter
from workgym.core import (
    CallRecord,
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

PLAYBOOK = "Services Agreement Playbook"
LOG_COLUMNS = ("Clause", "Old", "New", "Requested by")
_EDITS = ("docs.replace_paragraph", "docs.replace_text", "docs.insert_paragraphs",
          "docs.delete_blocks", "docs.insert_table", "docs.fill_table", "docs.create")
_CLAUSE = re.compile(r"\d{1,2}\.\d{1,2}")


class Knobs(BaseModel, frozen=True):
    reviewers: int
    """Reviewers, one per team (2-4)."""
    applied: int
    """Standing comments the playbook allows."""
    rejected: int
    """Standing comments it does not allow."""
    on_fixed: int
    """Of the rejected, those on a clause the playbook marks fixed."""
    conflicts: int
    """Clauses where a second reviewer asks for another value (the owner decides)."""
    corrections: int
    """Standing comments that correct the reviewer's earlier value."""
    withdrawals: int
    """Comments withdrawn in a later mail."""
    outsider: bool
    """Someone who is not a reviewer asks for a change too."""
    in_document: bool
    """One reviewer's comments are Word comments in the contract."""
    sub_pages: bool
    """The playbook's rules are on one page per team, linked from its main page."""


@dataclass
class _Comment:
    author: Person
    topic: Topic
    value: int
    """The value asked for (the corrected one, for a correction)."""
    first: int | None = None
    """A correction's first value, asked for in the reviewer's first mail."""
    withdrawn: bool = False
    """Asked for in the first mail, withdrawn in a later one."""

    @property
    def asked(self) -> int:
        return self.value if self.first is None else self.first


@dataclass
class _Setting:
    me: Person
    lead: Person
    reviewers: dict[str, Person]
    customer: Company
    supplier: Company
    now: datetime
    comments: list[_Comment] = field(default_factory=list)
    """The reviewers' comments."""
    outsider: _Comment | None = None
    """A comment from someone who is not a reviewer."""

    @property
    def slug(self) -> str:
        return self.supplier.slug

    @property
    def contract(self) -> str:
        return f"contracts/{self.slug}-services-agreement.docx"

    @property
    def log(self) -> str:
        return f"contracts/{self.slug}-change-log.docx"

    @property
    def subject(self) -> str:
        return f"Review: {self.supplier.name} services agreement"


def _ask(rng: random.Random, number: str, topic: Topic, old: int, new: int) -> str:
    a, b = topic.phrase(old), topic.phrase(new)
    return rng.choice((f"Clause {number} ({topic.title}): change {a} to {b}.",
                       f"{number} {topic.title}: we need {b} instead of {a}.",
                       f"In clause {number} ({topic.title}), please replace {a} with {b}."))


def _clauses(text: str) -> frozenset[str] | None:
    """The clause numbers of a comma-separated list, or None if it is not one (or repeats)."""
    parts = [p.strip() for p in text.split(",")]
    if not all(_CLAUSE.fullmatch(p) for p in parts) or len(set(parts)) != len(parts):
        return None
    return frozenset(parts)


@register_family
class ContractReview(TaskFamily[Knobs]):
    """Apply mailed review comments to a contract as the wiki playbook allows; log them."""

    name = "documents/contract-review"
    version = 1
    apps = ("docs", "mail", "wiki")
    levels = Levels(
        easy=Level(Knobs(reviewers=2, applied=2, rejected=1, on_fixed=0, conflicts=0,
                         corrections=0, withdrawals=0, outsider=False, in_document=False,
                         sub_pages=False), calls=12),
        medium=Level(Knobs(reviewers=3, applied=3, rejected=2, on_fixed=1, conflicts=1,
                           corrections=1, withdrawals=1, outsider=True, in_document=False,
                           sub_pages=False), calls=17),
        hard=Level(Knobs(reviewers=4, applied=5, rejected=3, on_fixed=1, conflicts=2,
                         corrections=2, withdrawals=1, outsider=True, in_document=True,
                         sub_pages=True), calls=26),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        s = self._setting(rng, k)
        rules, values, applied, rejected = self._comments(rng, k, s)
        agreement = draft(rng, s.customer.name, s.supplier.name, values)
        box = Mailbox(s.me)
        doc_comments, keys = self._mails(rng, k, s, agreement, box)
        rich = rng_for(spec, "distractors")
        wiki = self._wiki(k, s, rules, rich, spec.richness)
        self._mail_distractors(s, box, rich, spec.richness)
        contract = build_docx(agreement.blocks, doc_comments)
        mail, ids = box.build()
        reads = sorted(ids[key] for key in keys)

        # The reference: read the request and every comment, the playbook, the contract;
        # amend, log, report.
        plan = [ToolCall("mail.search", {"folder": "inbox", "limit": 100}),
                *(ToolCall("mail.read", {"message_id": i}) for i in reads)]
        if doc_comments:
            plan.append(ToolCall("docs.list_comments", {"path": s.contract}))
        plan.append(ToolCall("wiki.search", {"query": "services agreement playbook"}))
        plan.append(ToolCall("wiki.read", {"page": PLAYBOOK}))
        if k.sub_pages:
            plan += [ToolCall("wiki.read", {"page": f"{PLAYBOOK}: {team}"}) for team in TEAMS]
        plan.append(ToolCall("docs.read", {"path": s.contract, "limit": 200}))
        rows, edits = [], []
        for c in applied:
            clause = agreement.clause(c.topic.key)
            edits.append((clause.number, agreement.text(c.topic.key, c.value)))
            plan.append(ToolCall("docs.replace_paragraph", {
                "path": s.contract, "block": clause.block,
                "text": agreement.text(c.topic.key, c.value)}, items={"text": ()}))
            rows.append([clause.number, c.topic.phrase(values[c.topic.key]),
                         c.topic.phrase(c.value), c.author.name])
        plan += [ToolCall("docs.create", {"path": s.log, "title": "Change log"}),
                 ToolCall("docs.insert_table", {"path": s.log, "rows": [list(LOG_COLUMNS), *rows]},
                          items={"rows": tuple(rows)})]
        numbers = {name: sorted((agreement.clause(c.topic.key).number for c in group),
                                key=lambda n: tuple(map(int, n.split("."))))
                   for name, group in (("Applied", applied), ("Rejected", rejected))}
        lines = [f"{key}: {', '.join(value)}" for key, value in numbers.items()]
        plan.append(ToolCall("mail.send", {
            "to": [s.lead.email], "subject": f"Re: {s.subject}",
            "body": letter(s.lead.first, "the agreement is updated and the change log is "
                           "next to it.\n\n" + "\n".join(lines), s.me.first)},
            items={"body": tuple(lines)}))
        criteria = self._criteria(s, contract, edits, rows, numbers)
        return Task(spec=spec, prompt=self._prompt(s), apps=self.apps, criteria=criteria,
                    template=WorldTemplate(now=s.now, files={s.contract: contract},
                                           stores={"mail": mail, "wiki": wiki}),
                    reference=tuple(plan), artifacts=(s.contract, s.log))

    # -- the puzzle -------------------------------------------------------------------------

    def _setting(self, rng: random.Random, k: Knobs) -> _Setting:
        customer, supplier = companies(rng, 2)
        me, lead, *staff = people(rng, 2 + k.reviewers, domain=customer.domain)
        teams = rng.sample(TEAMS, k.reviewers)
        now = datetime(2025, 1, 6, 9, tzinfo=timezone(timedelta(hours=rng.choice((0, 1))))) \
            + timedelta(days=rng.randrange(0, 420))
        return _Setting(me, lead, dict(zip(teams, staff, strict=True)), customer, supplier, now)

    def _comments(self, rng: random.Random, k: Knobs, s: _Setting) -> tuple[
            dict[str, Rule], dict[str, int], list[_Comment], list[_Comment]]:
        """Draw the rules, the draft's values and every comment. Returns the rules, the
        values, and the standing comments that are applied and rejected."""
        pool = list(TOPICS)
        rng.shuffle(pool)
        owned = [t for t in pool if t.owner in s.reviewers]
        rivalled = owned[:k.conflicts]
        rest = [t for t in pool if t not in rivalled]
        standing = rivalled + rest[:k.applied + k.rejected - k.conflicts]
        rest = rest[k.applied + k.rejected - k.conflicts:]
        order = rng.sample(standing, len(standing))
        good, bad = order[:k.applied], order[k.applied:]
        fixed = [t.key for t in bad[:k.on_fixed]] + [rest[-1].key]
        rules = playbook_rules(rng, fixed)
        values: dict[str, int] = {}

        def pick(options: list[int], avoid: set[int]) -> int:
            left = [v for v in options if v not in avoid]
            return rng.choice(left)

        def author(t: Topic) -> Person:
            return s.reviewers.get(t.owner) or rng.choice(list(s.reviewers.values()))

        inside = {t.key: [v for v in t.grid if rules[t.key].allows(v)] for t in TOPICS}
        outside = {t.key: [v for v in t.grid if not rules[t.key].allows(v)] for t in TOPICS}
        applied, rejected = [], []
        for t in standing:
            if t in good:
                value = rng.choice(inside[t.key])
                values[t.key] = pick(list(t.grid), {value})
                applied.append(_Comment(author(t), t, value))
            else:
                value = rng.choice(outside[t.key] if not rules[t.key].fixed else list(t.grid))
                values[t.key] = pick(list(t.grid), {value})
                rejected.append(_Comment(author(t), t, value))
        for t in rest:
            values[t.key] = rng.choice(t.grid)
        s.comments = applied + rejected
        for t in rivalled:  # a rival from another team; a value the playbook may allow
            c = next(c for c in s.comments if c.topic is t)
            others = [p for team, p in s.reviewers.items() if team != t.owner]
            tempting = inside[t.key] if len(inside[t.key]) > 2 else list(t.grid)
            s.comments.append(_Comment(rng.choice(others), t, pick(
                tempting, {c.value, values[t.key]})))
        plain = [c for c in applied + rejected if c.topic not in rivalled]
        for c in rng.sample(plain, min(k.corrections, len(plain))):
            c.first = pick(list(c.topic.grid), {c.value, values[c.topic.key]})
        for t in rest[:k.withdrawals]:
            s.comments.append(_Comment(author(t), t, pick(inside[t.key], {values[t.key]}),
                                       withdrawn=True))
        if k.outsider:
            t = rest[k.withdrawals]
            contact = people(rng, 1, domain=s.supplier.domain)[0]
            s.outsider = _Comment(contact, t, pick(inside[t.key], {values[t.key]}))
        return rules, values, applied, rejected

    def _mails(self, rng: random.Random, k: Knobs, s: _Setting, agreement: Agreement,
               box: Mailbox) -> tuple[list[DocxComment], list[str]]:
        """File the request, the comments and the follow-ups. Returns the Word comments and
        the keys of the mails that matter."""
        start = s.now - timedelta(days=3, hours=rng.randint(0, 5))
        names = "\n".join(f"- {p.name} ({team})" for team, p in s.reviewers.items())
        box.receive(s.lead, s.subject, letter(
            s.me.first, f"please finalise our services agreement with {s.supplier.name} "
            f"({s.contract}) from the review comments. The reviewers are:\n{names}\n\nThey "
            "will send you their comments. Apply what our playbook on the wiki allows and "
            "send me a short summary when you are done.", s.lead.first),
            start, key="request", cc=[p.email for p in s.reviewers.values()])
        keys = ["request"]
        number = {t.key: agreement.clause(t.key).number for t in TOPICS}
        by_author: dict[str, list[_Comment]] = {}
        for c in s.comments:
            by_author.setdefault(c.author.email, []).append(c)
        in_doc = max(s.reviewers.values(), key=lambda p: len(by_author.get(p.email, []))) \
            if k.in_document else None
        doc_comments: list[DocxComment] = []
        for n, person in enumerate(rng.sample(list(s.reviewers.values()), len(s.reviewers))):
            when = start + timedelta(hours=3 + 4 * n, minutes=rng.randint(0, 59))
            mine = [(c, _ask(rng, number[c.topic.key], c.topic, agreement.values[c.topic.key],
                             c.asked)) for c in by_author.get(person.email, [])]
            if person is in_doc:
                for c, text in mine:
                    doc_comments.append(DocxComment(
                        id=len(doc_comments), author=person.name, text=text,
                        initials=person.first[0] + person.last[0], date=when.isoformat(),
                        block=agreement.clause(c.topic.key).block))
                body = "I have left my comments in the document itself, as Word comments."
            else:
                body = ("My comments:\n" + bullets(text for _, text in mine)) if mine else \
                    "No comments from me; the draft is fine as it is."
            keys.append(box.receive(person, f"Re: {s.subject}", letter(
                s.me.first, body, person.first), when, key=f"review-{n}", reply_to="request"))
        later = start + timedelta(days=1, hours=2)
        followed = [c for c in s.comments if c.withdrawn or c.first is not None]
        for n, c in enumerate(rng.sample(followed, len(followed))):
            t, no = c.topic, number[c.topic.key]
            text = (f"please disregard my comment on clause {no} ({t.title}); the current "
                    "wording can stay." if c.withdrawn else
                    f"a correction on clause {no} ({t.title}): please make it "
                    f"{t.phrase(c.value)}, not {t.phrase(c.asked)}.")
            keys.append(box.receive(c.author, f"Re: {s.subject}", letter(
                s.me.first, text, c.author.first), later + timedelta(
                    hours=3 * n, minutes=rng.randint(0, 59)), key=f"later-{n}",
                reply_to="request"))
        if s.outsider is not None:
            c, who = s.outsider, s.outsider.author
            keys.append(box.receive(who, f"{s.customer.name} agreement: our comments", letter(
                s.me.first, "we went through the draft on our side. One request: " + _ask(
                    rng, number[c.topic.key], c.topic, agreement.values[c.topic.key], c.value),
                f"{who.name}\n{s.supplier.name}"), start + timedelta(hours=9), key="outsider"))
        return doc_comments, keys

    # -- distractors ------------------------------------------------------------------------

    def _wiki(self, k: Knobs, s: _Setting, rules: dict[str, Rule], rich: random.Random,
              richness: float) -> WikiStore:
        wiki = WikiStore(me=s.me.name)
        owner = people(rich, 1, domain=s.customer.domain)[0].name
        made = s.now - timedelta(days=200)
        intro = ("How we negotiate services agreements. Every clause below may take a value "
                 "in its range, ends included; a fixed clause stays as drafted. Each clause "
                 "has an owning team.\n\n")
        text = intro + (bullets(f"[[{PLAYBOOK}: {team}]]" for team in TEAMS) if k.sub_pages
                        else playbook_page(rules))
        if richness >= 0.5:  # an older revision, its ranges drawn without the answer
            old = playbook_rules(rich, [rich.choice(TOPICS).key])
            page = wiki.add_page(PLAYBOOK, intro + playbook_page(old), owner, made)
            wiki.add_revision(page.id, text, owner, made + timedelta(days=120),
                              "ranges agreed with Finance")
        else:
            wiki.add_page(PLAYBOOK, text, owner, made + timedelta(days=120))
        if k.sub_pages:
            for team in TEAMS:
                wiki.add_page(f"{PLAYBOOK}: {team}", playbook_page(rules, [team]), owner,
                              made + timedelta(days=120))
        extras = [("NDA Playbook", "Rules for non-disclosure agreements.\n\n" + "\n".join(
                      r.line() for r in playbook_rules(rich, ["nonsolicit"]).values()
                      if r.topic.key in ("confidentiality", "nonsolicit", "liability"))),
                  ("Signing authority", ("Agreements up to EUR 250,000 a year: the head of "
                   "the department signs. Above that: the CFO.")),
                  ("Contract templates", f"Our templates: [[{PLAYBOOK}]], [[NDA Playbook]]."),
                  *((path.rsplit("/", 1)[-1].split(".")[0].replace("-", " ").title(), text)
                    for path, text in filler_notes(rich, 3))]
        for title, body in extras[:scaled(richness, len(extras))]:
            wiki.add_page(title, body, owner, made + timedelta(days=rich.randint(0, 150)))
        return wiki

    def _mail_distractors(self, s: _Setting, box: Mailbox, rich: random.Random,
                          richness: float) -> None:
        others = people(rich, 3, domain=s.customer.domain)
        crowd = [*others, *s.reviewers.values()]
        everyday_mails(box, rich, scaled(richness, 6), s.me, crowd, s.now - timedelta(days=8),
                       s.now - timedelta(hours=1))
        if richness >= 0.5:
            other = next(c for c in companies(rich, 4)
                         if c.name not in (s.customer.name, s.supplier.name))
            asks = [f"Clause {rich.randint(2, 7)}.{rich.randint(1, 4)}: change "
                    f"{rich.choice((30, 60))} days to {rich.choice((45, 90))} days."
                    for _ in range(2)]
            box.receive(rich.choice(list(s.reviewers.values())),
                        f"Review: {other.name} NDA", letter(s.me.first, "my comments on the NDA "
                        f"with {other.name}:\n" + bullets(asks), "Legal team"),
                        s.now - timedelta(days=rich.randint(4, 9)))

    def _prompt(self, s: _Setting) -> str:
        return (
            f"You act for {s.me.name} ({s.me.email}), contracts manager at {s.customer.name}. "
            f"{s.lead.name} asked {s.me.first} by mail to finalise the services agreement with "
            f"{s.supplier.name}, {s.contract}, from the reviewers' comments. The request and "
            f"the comments are in the mailbox; the legal team's current playbook for services "
            f"agreements is on the wiki.\n\n"
            "Rules:\n"
            f"1. Only comments from the reviewers named in {s.lead.first}'s request count. A "
            "reviewer's later mail replaces what they said earlier about the same clause (a "
            "correction, or a withdrawal).\n"
            "2. When reviewers ask for different values for the same clause, only the comment "
            "of the reviewer from the team the playbook names as the clause's owner counts.\n"
            "3. Apply a comment only if the playbook allows the value it asks for (inside the "
            "clause's range, ends included; a clause the playbook marks fixed never changes). "
            "Otherwise the comment is rejected and the clause stays as it is.\n"
            "4. In each clause you amend change only its value. Every other word of the "
            "contract, its headings and its signature table stay exactly as they are. Edit "
            "the file in place.\n\n"
            f"Then create the change log {s.log} holding one table with the header row "
            f"{' | '.join(LOG_COLUMNS)} and one row per clause you changed: the clause "
            "number (e.g. 4.2), its old and new value as the clause writes them (e.g. 30 "
            "days), and the full name of the reviewer whose comment you applied.\n\n"
            f"Finally mail {s.lead.name} a summary (and no one else), with these two lines in "
            "its body:\n"
            "Applied: <the numbers of the clauses you changed, comma-separated>\n"
            "Rejected: <the numbers of the clauses whose comments rule 3 rejected, "
            "comma-separated>")

    # -- grading ----------------------------------------------------------------------------

    def _criteria(self, s: _Setting, contract: bytes, edits: list[tuple[str, str]],
                  rows: list[list[str]], numbers: dict[str, list[str]],
                  ) -> tuple[Criterion, ...]:
        before = parse_docx(contract).blocks
        clause_at = {n: b.text.split(" ", 1)[0] for n, b in enumerate(before, 1)
                     if b.kind == "paragraph" and _CLAUSE.fullmatch(b.text.split(" ", 1)[0])}

        @wc.per_grade
        def final(ctx: GradeContext) -> tuple[DocxBlock, ...]:
            with ctx.agent_content(s.contract):
                return read_docx(ctx.read_bytes(s.contract)).blocks

        def layout(ctx: GradeContext) -> tuple[bool, str]:
            after = final(ctx)
            if len(after) != len(before):
                return False, f"{len(after)} blocks, {len(before)} drafted"
            for n, (was, now) in enumerate(zip(before, after, strict=True), 1):
                same = (was.kind, was.style) == (now.kind, now.style) and (
                    n in clause_at or (was.text, was.rows) == (now.text, now.rows))
                if not same:
                    return False, f"block {n} changed: {now.text[:80] or now.kind!r}"
            return True, "every heading, the parties and the signature table kept"

        def changed(ctx: GradeContext) -> list[tuple[str, str]]:
            after = final(ctx)
            if len(after) != len(before):
                raise GradeError(f"the contract has {len(after)} blocks, {len(before)} drafted")
            return [(clause_at[n], wc.collapse(now.text)) for n, (was, now)
                    in enumerate(zip(before, after, strict=True), 1)
                    if n in clause_at and wc.collapse(now.text) != wc.collapse(was.text)]

        def log_rows(ctx: GradeContext) -> list[tuple[str, ...]]:
            with ctx.agent_content(s.log):
                tables = read_docx(ctx.read_bytes(s.log)).tables()
            want = [c.casefold() for c in LOG_COLUMNS]
            for table in tables:
                head = [wc.collapse(c).casefold() for c in table.rows[0]]
                if all(c in head for c in want):
                    where = [head.index(c) for c in want]
                    return [tuple(wc.collapse(row[i]).casefold() if i < len(row) else ""
                                  for i in where) for row in table.rows[1:]
                            if any(cell.strip() for cell in row)]
            raise GradeError(f"{s.log} has no table headed {' | '.join(LOG_COLUMNS)}")

        found, logged = wc.per_grade(changed), wc.per_grade(log_rows)
        items = [(f"clause {n} amended", (n, text)) for n, text in edits]
        entries = [(f"change log: clause {r[0]}", tuple(v.casefold() for v in r)) for r in rows]

        def listed(key: str) -> Criterion:
            want = frozenset(numbers[key])
            return wc.mail_values(f"{key.lower()} clauses", s.lead.email, key,
                                  lambda v: _clauses(v) == want,
                                  expected=", ".join(numbers[key]))

        def edited(call: CallRecord) -> bool:
            return any(wc.calls_to(_EDITS, path=p)(call) for p in (s.contract, s.log))

        return (
            *wc.item_credit(items, found, group="clause amended"),
            wc.no_wrong_items("only allowed clauses changed", [i for _, i in items], found),
            *wc.item_credit(entries, logged, group="change log row", weight=0.5),
            wc.no_wrong_items("change log: nothing else", [e for _, e in entries], logged,
                              weight=0.5),
            listed("Applied"),
            listed("Rejected"),
            wc.sent_after("summary sent after the edits", s.lead.email, edited,
                          what="edits of the contract and the log", weight=0.5),
            Criterion("contract layout kept", layout, guard=True),
            wc.unchanged("mails and wiki untouched", stores=["wiki"],
                         records=[("mail", "messages")]),
            wc.only_recipients("mail only to the lead", [s.lead.email, s.me.email]),
        )

