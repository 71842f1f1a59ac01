"""research/literature-review: find the papers on a topic, tabulate them, cite them.

Description:
    A researcher prepares a literature review on one topic (two at hard) of a field:
    every paper of the search engine on it, published in a given year or later. The
    papers' records are found through the search app (title, authors, journal, date,
    abstract, method; :mod:`workgym.content.corpus`); their volume, issue, pages and DOI
    are printed only in the papers' PDFs in ``library/`` (the team's library of the
    field, one PDF per paper, each with a reference list of other works). The agent fills
    the sheet ``Papers`` of ``review/literature-review.xlsx`` (Title, Authors, Venue, Year,
    Method) and writes ``review/references.docx``: a ``References`` title, then one entry
    per paper in the citation style the prompt states (APA or IEEE, by seed), sorted by
    first author's surname, year and title.

Apps:
    search, pdf, sheets, docs, files.

Criteria:
    - ``row: <title>``: a row with the paper's title, authors (in order), journal, year
      and method; precision-aware (each wrong, extra or repeated row cancels one).
    - ``sheet lists exactly the papers`` (weight 2).
    - ``entry: <title>``: its bibliography entry exactly in the style; precision-aware.
    - ``entries in order``: only right entries, each once, in the prescribed order.
    - guards: the library's PDFs and the workbook's other sheets are unchanged.

Difficulty:
    Knobs set the topics and how many papers the review holds (a publication year bounds
    them). Reference calls: easy 10-12, medium 14-18, hard 27-31.
    ``richness`` adds PDFs of other fields to the library, a reading log sheet listing
    papers drawn from the whole corpus, and everyday notes.

Version history:
    v1: first version.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.sheets import workbook_bytes
from workgym.content.corpus import CorpusSize, Paper, generate_corpus
from workgym.content.distractors import scaled
from workgym.content.filler import filler_notes
from workgym.content.pdf_writer import PdfHeading, write_pdf
from workgym.content.people import FIRST_NAMES, LAST_NAMES, people
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
    derive_seed,
    register_family,
    rng_for,
)

BOOK, SHEET, REFERENCES = "review/literature-review.xlsx", "Papers", "review/references.docx"
COLUMNS = ("Title", "Authors", "Venue", "Year", "Method")
SIZE = CorpusSize(companies=16, products=16, papers=160)
_ABSTRACT = re.compile(r"We study (.+?) using (.+?)\.")
_DASHES = str.maketrans({"–": "-", "—": "-", "“": '"', "”": '"', "‘": "'", "’": "'"})
STYLES = {
    "APA": (("Surname, I., Surname, I., & Surname, I. (Year). Title. Journal, "
             "Volume(Issue), first-last. https://doi.org/DOI"),
            ("Moreau, A., & Sato, K. (2020). An example title. Journal of Examples, 12(3), "
             "45-67. https://doi.org/10.1234/joe.2020.0001"),
            ("one author: \"Moreau, A. (2020).\"; two: \"Moreau, A., & Sato, K.\"; three or "
             "more: every author, the last after \", & \"")),
    "IEEE": (("[n] I. Surname, I. Surname, and I. Surname, \"Title,\" Journal, vol. Volume, "
              "no. Issue, pp. first-last, Year, doi: DOI."),
             ("[1] A. Moreau and K. Sato, \"An example title,\" Journal of Examples, vol. 12, "
              "no. 3, pp. 45-67, 2020, doi: 10.1234/joe.2020.0001."),
             ("one author: \"A. Moreau\"; two: \"A. Moreau and K. Sato\"; three or more: "
              "every author, the last after \", and \"; n numbers the entries from 1")),
}
"""Citation styles: (template, example, how authors are listed)."""


class Knobs(BaseModel, frozen=True):
    topics: int
    """Topics the review covers (of one field)."""
    papers: tuple[int, int]
    """Fewest and most papers the review holds."""


@dataclass(frozen=True)
class _Record:
    """A paper with what its PDF alone prints."""

    paper: Paper
    topic: str
    volume: int
    issue: int
    pages: tuple[int, int]
    doi: str
    pdf: str

    @property
    def surname(self) -> str:
        return self.paper.authors[0].split()[-1]

    def sort_key(self) -> tuple[str, int, str]:
        return self.surname.casefold(), self.paper.year, self.paper.title.casefold()


def _names(authors: tuple[str, ...], style: str) -> str:
    parts = [(f"{a.split()[-1]}, {a.split()[0][0]}." if style == "APA"
              else f"{a.split()[0][0]}. {a.split()[-1]}") for a in authors]
    if len(parts) == 1:
        return parts[0]
    if style == "APA":
        return ", ".join(parts[:-1]) + ", & " + parts[-1]
    if len(parts) == 2:
        return f"{parts[0]} and {parts[1]}"
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


def _entry(r: _Record, style: str, number: int) -> str:
    p = r.paper
    pages = f"{r.pages[0]}-{r.pages[1]}"
    if style == "APA":
        return (f"{_names(p.authors, style)} ({p.year}). {p.title}. {p.venue}, {r.volume}"
                f"({r.issue}), {pages}. https://doi.org/{r.doi}")
    return (f"[{number}] {_names(p.authors, style)}, \"{p.title},\" {p.venue}, vol. "
            f"{r.volume}, no. {r.issue}, pp. {pages}, {p.year}, doi: {r.doi}.")


def _text(value: str) -> str:
    return " ".join(value.translate(_DASHES).split()).casefold()


def _row(title: Any, authors: Any, venue: Any, year: Any, method: Any) -> tuple[Any, ...]:
    """A sheet row as compared: texts normalized, authors split on ";", the year a number."""
    def text(v: Any) -> str:
        return _text(str(v)[:2_000]) if v is not None else ""
    number = GradeContext.number(year, "Year", max_digits=6) if year not in (None, "") else None
    return (text(title), tuple(_text(a) for a in text(authors).split(";") if a.strip()),
            text(venue), int(number) if number is not None and number == int(number) else None,
            text(method))


@register_family
class LiteratureReview(TaskFamily[Knobs]):
    """Review the papers on a topic: a sheet of authors, venues, years, methods; references."""

    name = "research/literature-review"
    version = 1
    apps = ("search", "pdf", "sheets", "docs", "files")
    levels = Levels(
        easy=Level(Knobs(topics=1, papers=(2, 3)), calls=10),
        medium=Level(Knobs(topics=1, papers=(4, 6)), calls=14),
        hard=Level(Knobs(topics=2, papers=(10, 12)), calls=27),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # ignores richness: the review stays the same
        now = datetime(2026, 1, 12, 9, tzinfo=UTC) + timedelta(days=rng.randrange(300))
        me = people(rng, 1, domain=rng.choice(("uni.example", "example.org")))[0]
        corpus = generate_corpus(rng_for(spec, "corpus"), now.date(), SIZE)
        docs = {d.id: d for d in corpus.documents}
        topic_of = {}
        for p in corpus.papers:
            match = _ABSTRACT.match(docs[p.document].sections[0].text)
            if match is None or match.group(2) != p.method:
                raise ValueError(f"paper {p.document}: the abstract does not name its topic")
            topic_of[p.document] = match.group(1)
        field, topics, since = self._scope(corpus.papers, topic_of, k, rng)
        style = rng.choice(sorted(STYLES))
        records = self._records(corpus.papers, topic_of, field, rng.getrandbits(64))
        chosen = sorted((r for r in records if r.topic in topics and r.paper.year >= since),
                        key=_Record.sort_key)

        files = {r.pdf: self._pdf(r, rng.getrandbits(64), {p.title for p in corpus.papers})
                 for r in records}
        rich = rng_for(spec, "distractors")
        others = [p for p in corpus.papers if p.field != field]
        extra = self._records(rich.sample(others, scaled(spec.richness, 8)), topic_of, None,
                              rich.getrandbits(64))
        files.update((r.pdf, self._pdf(r, rich.getrandbits(64), set())) for r in extra
                     if r.pdf not in files)
        log = rich.sample(corpus.papers, scaled(spec.richness, 10))
        files[BOOK] = self._book(log, rich)
        files.update((p, t.encode()) for p, t in filler_notes(rich, scaled(spec.richness, 3)))

        entries = [_entry(r, style, n) for n, r in enumerate(chosen, 1)]
        rows = [[r.paper.title, "; ".join(r.paper.authors), r.paper.venue, r.paper.year,
                 r.paper.method] for r in chosen]
        plan = [ToolCall("files.list", {"path": "library"}),
                ToolCall("sheets.read_range", {"path": BOOK, "sheet": SHEET}),
                *(ToolCall("search.search", {"query": t, "kind": "paper", "limit": 50})
                  for t in topics)]
        for r in chosen:
            method = next(n for n, s in enumerate(docs[r.paper.document].sections, 1)
                          if s.heading == "Method")
            plan += [ToolCall("search.open", {"document": r.paper.document, "section": method}),
                     ToolCall("pdf.read_pages", {"path": r.pdf})]
        plan += [ToolCall("sheets.append_rows", {"path": BOOK, "sheet": SHEET, "rows": rows},
                          items={"rows": ()}),
                 ToolCall("docs.create", {"path": REFERENCES, "title": "References"}),
                 ToolCall("docs.insert_paragraphs", {"path": REFERENCES, "paragraphs": entries},
                          items={"paragraphs": ()})]
        return Task(spec=spec, prompt=self._prompt(me.name, field, topics, since, style),
                    apps=self.apps, template=WorldTemplate(now=now, files=files,
                                                           stores={"search": corpus.store()}),
                    criteria=self._criteria(chosen, entries, files),
                    reference=tuple(plan), artifacts=(BOOK, REFERENCES))

    # -- world pieces ---------------------------------------------------------------------

    @staticmethod
    def _scope(papers: tuple[Paper, ...], topic_of: dict[str, str], k: Knobs,
               rng: random.Random) -> tuple[str, tuple[str, ...], int]:
        """(field, topics, first year) of a review holding as many papers as ``k`` asks."""
        options = []
        lo, hi = k.papers
        for fld in sorted({p.field for p in papers}):
            mine = [p for p in papers if p.field == fld]
            names = sorted({topic_of[p.document] for p in mine})
            for topics in itertools.combinations(names, k.topics):
                years = sorted(p.year for p in mine if topic_of[p.document] in topics)
                for since in sorted(set(years)):
                    if lo <= sum(y >= since for y in years) <= hi:
                        options.append((fld, topics, since))
        if not options:
            raise ValueError(f"no topic has {lo} to {hi} papers; make the corpus larger")
        return rng.choice(options)

    @staticmethod
    def _records(papers: Any, topic_of: dict[str, str], field: str | None,
                 seed: int) -> list[_Record]:
        """Each paper's volume, issue, pages, DOI and PDF name, from a stream of its own."""
        chosen = sorted((p for p in papers if field is None or p.field == field),
                        key=lambda p: p.document)
        records, taken = [], set()
        for p in chosen:
            venue = random.Random(derive_seed(seed, "venue", p.venue))
            prefix, first = venue.randint(1000, 9999), venue.randint(1975, 2012)
            own = random.Random(derive_seed(seed, p.document))
            start = own.randint(1, 900)
            abbrev = "".join(w[0] for w in p.venue.lower().split() if w not in ("of", "on"))
            base = f"library/{p.authors[0].split()[-1].lower()}-{p.year}"
            name = next(f"{base}{s}.pdf" for s in ("", "b", "c", "d", "e", "f", "g")
                        if f"{base}{s}.pdf" not in taken)
            taken.add(name)
            records.append(_Record(p, topic_of[p.document], p.year - first + 1,
                                   own.randint(1, 6), (start, start + own.randint(8, 30)),
                                   f"10.{prefix}/{abbrev}.{p.year}.{own.randint(1, 9999):04d}",
                                   name))
        return records

    @staticmethod
    def _pdf(r: _Record, seed: int, titles: set[str]) -> bytes:
        """The paper as published: citation line, DOI, abstract, method, references."""
        rng = random.Random(seed)
        p = r.paper
        cited = []
        for _ in range(rng.randint(2, 3)):
            who = [f"{rng.choice(LAST_NAMES)}, {rng.choice(FIRST_NAMES)[0]}."
                   for _ in range(rng.randint(1, 3))]
            title = f"{rng.choice(('Notes on', 'Advances in', 'Revisiting'))} {r.topic}"
            if title in titles:
                continue
            year = rng.randint(p.year - 12, p.year - 1)
            cited.append(f"{' and '.join(who)} ({year}). {title}. {p.venue}, "
                         f"{rng.randint(1, 40)}({rng.randint(1, 6)}), "
                         f"{rng.randint(1, 300)}-{rng.randint(301, 400)}. doi:10."
                         f"{rng.randint(1000, 9999)}/x.{year}.{rng.randint(1, 9999):04d}")
        return write_pdf(p.title, [
            ", ".join(p.authors),
            (f"{p.venue}, Vol. {r.volume}, No. {r.issue} ({p.year}), pp. "
             f"{r.pages[0]}–{r.pages[1]}"),
            f"DOI: {r.doi}",
            PdfHeading("Abstract", 2), f"We study {r.topic} using {p.method}.",
            PdfHeading("Method", 2), f"The study applies {p.method} to {r.topic}.",
            PdfHeading("References", 2), *cited], author=p.authors[0], subject=p.venue)

    @staticmethod
    def _book(log: list[Paper], rng: random.Random) -> bytes:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = SHEET
        ws.append(list(COLUMNS))
        if log:
            reading = wb.create_sheet("Reading log")
            reading.append(["Title", "Status"])
            for p in log:
                reading.append([p.title, rng.choice(("read", "to read", "skimmed"))])
        return workbook_bytes(wb)

    def _prompt(self, me: str, field: str, topics: tuple[str, ...], since: int,
                style: str) -> str:
        template, example, authors = STYLES[style]
        subject = " or ".join(topics)
        return (
            f"You are {me}, preparing a literature review in {field}. It covers every paper "
            f"in the search engine on {subject} (as the paper's abstract says) published in "
            f"{since} or later.\n\n"
            f"1. Add one row per paper to the sheet \"{SHEET}\" of {BOOK}, under its header "
            f"({', '.join(COLUMNS)}): the title; the authors' full names in the paper's "
            f"order, separated by \"; \"; the journal; the year of publication; the method "
            f"the paper applies, as the paper names it.\n"
            f"2. Write {REFERENCES}: a first paragraph \"References\", then one paragraph per "
            f"paper in {style} style, sorted by the first author's surname, then year, then "
            f"title:\n   {template}\n   e.g. {example}\n   Authors: {authors}; initials from "
            f"first names.\n\n"
            f"Volume, issue, pages and DOI are printed in the papers' PDFs in library/. Do "
            f"not change the PDFs or the workbook's other sheets.")

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, chosen: list[_Record], entries: list[str],
                  files: dict[str, bytes]) -> tuple[Criterion, ...]:
        rows = wc.xlsx_rows(BOOK, SHEET, COLUMNS, row=_row)
        expected = [_row(r.paper.title, "; ".join(r.paper.authors), r.paper.venue,
                         r.paper.year, r.paper.method) for r in chosen]
        paragraphs = wc.docx_paragraphs(REFERENCES)

        def bibliography(ctx: GradeContext) -> list[str]:
            return [_text(p) for p in paragraphs(ctx)]

        wanted = [_text(e) for e in entries]
        return (
            *wc.item_credit([(f"row: {r.paper.title}", row) for r, row in zip(
                chosen, expected, strict=True)], rows, group="row"),
            wc.exact_items("sheet lists exactly the papers", expected, rows, weight=2.0),
            *wc.item_credit([(f"entry: {r.paper.title}", e) for r, e in zip(
                chosen, wanted, strict=True)], bibliography, group="entry",
                allowed=["references"]),
            wc.in_order("entries in order", ["references", *wanted], bibliography),
            wc.unchanged("library untouched", folders=["library"]),
            wc.sheets_unchanged("other sheets untouched", BOOK, files[BOOK], but=[SHEET]),
        )
