"""research/cited-answer: answer multi-hop questions from a search engine, citing sources.

Description:
    A manager's research request (``research/request.docx``) asks one to three questions
    whose answers chain several facts ("In which city was the founder of the company that
    makes the oat drink Trelo Pro born?"). The facts are stated by the documents of a
    search engine generated per world (encyclopedia articles, news items, papers;
    :mod:`workgym.content.corpus`), some of them outdated: a document dated before a
    company named a new chief executive still names the old one. The team's source policy
    (``research/source-policy.txt``) may bar one publication from being cited. The agent
    writes ``research/answer.docx`` (variant ``markdown``: ``research/answer.md``) with one
    ``Answer N: ...`` line per question and one table row per fact of each chain: the
    question's number, the fact's subject, its value and the ids of the documents that
    state it today.

Apps:
    search, docs, files.

Criteria:
    - ``answer N`` (weight 2 each): exactly one ``Answer N:`` line, with the right answer.
    - ``fact N.i: <subject> <relation>``: a row for the link with the right value;
      precision-aware (each wrong, extra or repeated row cancels one fact's credit).
    - ``citation N.i: <subject> <relation>``: that row's value is right and it cites at
      least one document, every one of which states the current value and is not barred
      by the policy; precision-aware the same way (an outdated, barred, unknown or
      unrelated id makes the row unsupported).
    - ``every row supported``: a supported row, and no row that is not.
    - guard: the request, the policy and every other input file are unchanged.

Difficulty:
    Knobs set the questions and their hops, how many hops of each question have outdated
    documents, and whether the policy bars a source. Reference calls: easy 11-12, medium
    21-22, hard 32-33 (one fewer in the markdown variant). ``richness`` adds the corpus's
    extra entities (more articles, news and papers, none about the core's entities), an
    archived older request and everyday notes.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.docs import DocxBlock, build_docx, read_docx
from workgym.apps.search import Document
from workgym.content.corpus import (
    ENCYCLOPEDIAS,
    Hop,
    Question,
    ResearchCorpus,
    generate_corpus,
    pick_question,
)
from workgym.content.distractors import scaled
from workgym.content.filler import filler_notes
from workgym.content.people import people
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

REQUEST, POLICY = "research/request.docx", "research/source-policy.txt"
ANSWER = {"default": "research/answer.docx", "markdown": "research/answer.md"}
HEADER = ("Question", "Subject", "Value", "Sources")
_ENDINGS = ("launched", "founder", "headquarters", "ceo", "located_in", "established",
            "president", "birthplace", "born", "alma_mater", "affiliation", "population",
            "capital", "first_author", "published", "maker")
"""Relations a question may end on: not ``founded`` (a founder's own article states the
year without the corpus recording it), nor those with a handful of values."""
_ANSWER_LINE = re.compile(r"(?:[-*] )?answer (\d{1,3}) ?: ?(.*)")
_RULE = re.compile(r":?-{3,}:?")
_SEPARATORS = re.compile(r"[\s,;]+")
MAX_ROWS = 500
"""Most table rows the grader reads; a longer table fails closed."""


class Knobs(BaseModel, frozen=True):
    hops: tuple[int, ...]
    """Facts each question chains, one entry per question."""
    outdated: int
    """Hops per question (at least) whose subject has documents stating an older value."""
    barred: bool
    """The source policy bars one publication from being cited."""
    extra: float
    """The corpus's extra entities at richness 1, as a share of its core."""


def _norm(text: str) -> str:
    """A cell or answer as compared: whitespace collapsed, case folded, outer quotes and a
    final full stop dropped, digit groups joined (``1,050,746`` is ``1050746``)."""
    text = " ".join(text.split()).strip("\"'“”‘’").rstrip(".").strip().casefold()
    if text and all(ch.isdigit() or ch in ", " for ch in text):
        text = text.replace(",", "").replace(" ", "")
    return text


@dataclass(frozen=True)
class _Report:
    """What an answer file says: its answer lines and its fact rows."""

    answers: list[tuple[str, str]]
    """(question number, answer), normalized."""
    rows: list[tuple[str, str, str, str]]
    """(question number, subject, value) normalized, and the raw Sources cell."""
    table: str
    """Why no table was read ("" when one was)."""


def _answer_lines(lines: list[str]) -> list[tuple[str, str]]:
    found = []
    for line in lines:
        match = _ANSWER_LINE.fullmatch(" ".join(line.split()).casefold()) if len(line) < 2_000 \
            else None
        if match:
            found.append((str(int(match.group(1))), _norm(match.group(2))))
    return found


def _row(cells: list[str]) -> tuple[str, str, str, str]:
    cells = [*cells, "", "", "", ""][:4]
    number = cells[0].strip()
    return (str(int(number)) if number.isdigit() and len(number) < 4 else _norm(number),
            _norm(cells[1]), _norm(cells[2]), cells[3])


def _is_header(cells: list[str]) -> bool:
    return tuple(_norm(c) for c in cells) == tuple(h.casefold() for h in HEADER)


def _read_docx_report(ctx: GradeContext, rel: str) -> _Report:
    members = ctx.read_zip(rel)
    if any(b"<!DOCTYPE" in part[:4096] for part in members.values()):
        raise GradeError(f"{rel} holds a document type declaration")
    content = read_docx(ctx.read_bytes(rel))
    rows: list[tuple[str, str, str, str]] = []
    headed = False
    for table in content.tables():
        if table.rows and _is_header(list(table.rows[0])):
            headed = True
            rows += [_row(list(r)) for r in table.rows[1:] if not _is_header(list(r))]
    return _Report(_answer_lines([p.text for p in content.paragraphs()]), rows,
                   "" if headed else f"{rel} has no table headed {' | '.join(HEADER)}")


def _read_markdown_report(ctx: GradeContext, rel: str) -> _Report:
    lines = ctx.read_text(rel).splitlines()
    rows: list[tuple[str, str, str, str]] = []
    headed = in_table = False
    for line in lines:
        text = line.strip()
        if not text.startswith("|") or len(text) > 4_000:
            in_table = False
            continue
        cells = [c.strip() for c in text.strip("|").split("|")]
        if _is_header(cells):
            headed = in_table = True
        elif in_table and not all(_RULE.fullmatch(c) for c in cells):
            rows.append(_row(cells))
    return _Report(_answer_lines(lines), rows,
                   "" if headed else f"{rel} has no table headed | {' | '.join(HEADER)} |")


def _sources(cell: str) -> list[str]:
    text = "".join(" " if ch in "[](){}" else ch for ch in cell[:2_000]).lower()
    return [token for token in _SEPARATORS.split(text) if token]


@dataclass(frozen=True)
class Fact:
    """One link of one question's chain, as the grader expects it."""

    question: int
    index: int
    hop: Hop
    allowed: frozenset[str]
    """Ids of the documents that state the current value and may be cited."""

    @property
    def key(self) -> tuple[str, str]:
        return str(self.question), _norm(self.hop.subject)

    @property
    def label(self) -> str:
        return f"{self.question}.{self.index}: {self.hop.subject} {self.hop.relation}"


@dataclass(frozen=True)
class Draw:
    """A task's core: who asks, the corpus, the policy's barred source and the questions."""

    now: datetime
    me: str
    manager: str
    corpus: ResearchCorpus
    barred: str | None
    facts: list[Fact]
    """Every link of every question, in order."""
    questions: list[Question]


@register_family
class CitedAnswer(TaskFamily[Knobs]):
    """Answer multi-hop questions from a search engine, citing current documents per fact."""

    name = "research/cited-answer"
    version = 1
    apps = ("search", "docs", "files")
    variants = ("default", "markdown")
    levels = Levels(
        easy=Level(Knobs(hops=(2,), outdated=0, barred=False, extra=0.5), calls=10),
        medium=Level(Knobs(hops=(3, 3), outdated=1, barred=True, extra=0.8), calls=20),
        hard=Level(Knobs(hops=(4, 4, 3), outdated=1, barred=True, extra=1.0), calls=31),
    )

    def draw(self, spec: TaskSpec) -> Draw:
        """The research world and the questions a task is built on (tests read the facts
        the grader expects from it)."""
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # ignores richness: the questions stay the same
        now = datetime(2025, 3, 3, 9, tzinfo=UTC) + timedelta(days=rng.randrange(400),
                                                             hours=rng.randrange(8))
        me, manager = people(rng, 2, domain=rng.choice(("insight.example", "example.org")))
        corpus = generate_corpus(rng_for(spec, "corpus"), now.date(),
                                 extra=round(spec.richness * k.extra, 3))
        outlets = sorted({d.source for d in corpus.documents if d.kind == "news"})
        barred = rng.choice([ENCYCLOPEDIAS[1], *outlets[:3]]) if k.barred else None
        facts, questions = self._questions(corpus, rng, k, barred)
        return Draw(now, me.name, manager.name, corpus, barred, facts, questions)

    def generate(self, spec: TaskSpec) -> Task:
        d = self.draw(spec)
        now, manager, corpus, facts, questions = d.now, d.manager, d.corpus, d.facts, d.questions
        answer = ANSWER[spec.variant]
        files = {REQUEST: self._request(manager, now.date(), questions),
                 POLICY: self._policy(d.barred)}
        rich = rng_for(spec, "distractors")
        if spec.richness > 0:
            older = [pick_question(corpus, rich, rich.choice((1, 2))) for _ in range(2)]
            when = now.date() - timedelta(days=rich.randint(60, 300))
            files[f"research/archive/request-{when:%Y-%m}.docx"] = self._request(
                manager, when, older)
        files.update((p, t.encode()) for p, t in filler_notes(rich, scaled(spec.richness, 3)))

        return Task(spec=spec, prompt=self._prompt(d.me, manager, answer),
                    apps=self.apps, criteria=self._criteria(facts, questions, answer, files),
                    template=WorldTemplate(now=now, files=files,
                                           stores={"search": corpus.store()}),
                    reference=self._reference(corpus, facts, questions, answer),
                    artifacts=(answer,))

    # -- world pieces ---------------------------------------------------------------------

    def _questions(self, corpus: ResearchCorpus, rng: random.Random, k: Knobs,
                   barred: str | None) -> tuple[list[Fact], list[Question]]:
        """Questions with distinct subjects, each hop citable under the policy."""
        source = {d.id: d.source for d in corpus.documents}
        questions: list[Question] = []
        facts: list[Fact] = []
        for number, hops in enumerate(k.hops, 1):
            for _ in range(300):
                q = pick_question(corpus, rng, hops, min_outdated=k.outdated, last=_ENDINGS)
                allowed = [frozenset(d for d in h.documents if source[d] != barred)
                           for h in q.hops]
                subjects = {_norm(h.subject) for h in q.hops}
                if all(allowed) and not subjects & {f.key[1] for f in facts}:
                    break
            else:
                raise ValueError(f"no question with {hops} citable hops in this corpus")
            questions.append(q)
            facts += [Fact(number, i, h, a) for i, (h, a) in enumerate(zip(q.hops, allowed,
                                                                          strict=True), 1)]
        return facts, questions

    @staticmethod
    def _request(manager: str, day: date, questions: list[Question]) -> bytes:
        return build_docx([
            DocxBlock.heading("Research request", 0),
            DocxBlock.paragraph(f"From: {manager}, {day:%d %B %Y}"),
            DocxBlock.paragraph("Please answer the questions below from the search engine "
                                "and cite your sources."),
            *(DocxBlock.paragraph(f"{n}. {q.text}") for n, q in enumerate(questions, 1))])

    @staticmethod
    def _policy(barred: str | None) -> bytes:
        rule = (f"Every publication in the search engine may be read, but documents of "
                f"{barred} must not be cited: our licence for it has lapsed."
                if barred else "Every publication in the search engine may be cited.")
        return (f"Source policy of the research team\n\n{rule}\nCite documents by their id "
                "(for example art-3f9a2c).\n").encode()

    def _prompt(self, me: str, manager: str, answer: str) -> str:
        kind = "a Markdown file" if answer.endswith(".md") else "a Word document"
        table = ("a Markdown table" if answer.endswith(".md") else "a table")
        return (
            f"You are {me}, research analyst. {manager} left a research request in "
            f"{REQUEST}. Answer each of its questions from the documents of the search "
            f"engine, following the source policy in {POLICY}.\n\n"
            f"Write {answer} ({kind}) with:\n"
            f"- one line \"Answer N: <answer>\" per question, N being its number in the "
            f"request;\n"
            f"- {table} whose header row is exactly: {' | '.join(HEADER)}, with one row for "
            f"each fact an answer rests on. A question that chains facts (\"the city where "
            f"the founder of X was born\") needs a row for every link (X's founder, then "
            f"that person's birthplace), in order. Question is the question's number, "
            f"Subject the entity the fact is about as the documents name it (a paper by its "
            f"title), Value the fact's value (a name as the documents spell it, a year or a "
            f"number in digits), Sources the ids of the documents that state the fact, "
            f"separated by commas.\n\n"
            f"Cite only documents that support the fact as it stands today: a document "
            f"states facts as of its date, so one written before a change (a new chief "
            f"executive, a move) gives a value that no longer holds and is no support. Do "
            f"not change the request or the policy.")

    # -- the reference --------------------------------------------------------------------

    def _reference(self, corpus: ResearchCorpus, facts: list[Fact], questions: list[Question],
                   answer: str) -> tuple[ToolCall, ...]:
        docs = {d.id: d for d in corpus.documents}
        plan = [ToolCall("files.list", {"path": "research"}),
                ToolCall("docs.read", {"path": REQUEST}),
                ToolCall("files.read", {"path": POLICY})]
        cited: list[str] = []
        for fact in facts:
            hop = fact.hop
            best = max(fact.allowed, key=lambda d: (docs[d].date, d))
            plan += [ToolCall("search.search", {"query": hop.subject, "limit": 10}),
                     ToolCall("search.open", {"document": best,
                                              "section": _section(docs[best], hop.value)})]
            if hop.outdated:  # the older account, to see which value is current
                old = max(hop.outdated, key=lambda d: (docs[d].date, d))
                plan.append(ToolCall("search.open", {"document": old}))
            cited.append(best)
        lines = [f"Answer {n}: {q.answer}" for n, q in enumerate(questions, 1)]
        rows = [[str(f.question), f.hop.subject, f.hop.value, c] for f, c in zip(facts, cited,
                                                                                 strict=True)]
        plan.append(ToolCall("docs.create", {"path": answer, "title": "Research answers"}))
        if answer.endswith(".md"):
            table = [f"| {' | '.join(HEADER)} |", "| --- | --- | --- | --- |",
                     *(f"| {' | '.join(r)} |" for r in rows)]
            plan.append(ToolCall("docs.replace_section", {
                "path": answer, "heading": "Research answers",
                "content": "\n".join(["", *lines, "", *table])},
                items={"content": (*lines, *table[2:])}))
        else:
            plan += [ToolCall("docs.insert_paragraphs", {"path": answer, "paragraphs": lines},
                              items={"paragraphs": ()}),
                     ToolCall("docs.insert_table", {"path": answer, "rows": [list(HEADER), *rows]},
                              items={"rows": tuple(rows)})]
        plan.append(ToolCall("docs.read", {"path": answer}))  # proofread what was written
        return tuple(plan)

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, facts: list[Fact], questions: list[Question], answer: str,
                  inputs: dict[str, bytes]) -> tuple[Criterion, ...]:
        reader = _read_markdown_report if answer.endswith(".md") else _read_docx_report

        @wc.per_grade
        def report(ctx: GradeContext) -> _Report:
            return reader(ctx, answer)

        expected = {f.key: f for f in facts}

        def supported(row: tuple[str, str, str, str]) -> bool:
            fact = expected.get(row[:2])
            if fact is None or row[2] != _norm(fact.hop.value):
                return False
            cited = _sources(row[3])
            return bool(cited) and len(cited) <= 50 and set(cited) <= fact.allowed

        def answers(ctx: GradeContext) -> list[tuple[str, str]]:
            return report(ctx).answers

        def rows(ctx: GradeContext) -> list[tuple[str, str, str, str]]:
            found = report(ctx)
            if found.table:
                raise GradeError(found.table)
            if len(found.rows) > MAX_ROWS:
                raise GradeError(f"{answer} has {len(found.rows)} table rows; at most "
                                 f"{MAX_ROWS} are read")
            return found.rows

        def values(ctx: GradeContext) -> list[tuple[str, str, str]]:
            return [r[:3] for r in rows(ctx)]

        def citations(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(*r[:2], "supported") if supported(r) else ("unsupported", *r[:3])
                    for r in rows(ctx)]

        cites: list[tuple[str, tuple[str, ...]]] = [
            (f"citation {f.label}", (*f.key, "supported")) for f in facts]
        return (
            *wc.item_credit([(f"answer {n}", (str(n), _norm(q.answer)))
                             for n, q in enumerate(questions, 1)], answers, group="answer",
                            weight=2.0),
            *wc.item_credit([(f"fact {f.label}", (*f.key, _norm(f.hop.value))) for f in facts],
                            values, group="fact"),
            *wc.item_credit(cites, citations, group="citation"),
            wc.no_wrong_items("every row supported", [c for _, c in cites], citations),
            wc.unchanged("inputs untouched", paths=sorted(inputs)),
        )


def _section(document: Document, value: str) -> int:
    """The first section of a document that states ``value`` (1 when none does)."""
    shown = {value, f"{int(value):,}"} if value.isdigit() else {value}
    return next((n for n, s in enumerate(document.sections, 1)
                 if any(v in s.text for v in shown)), 1)
