"""slides/kpi-deck: build a quarter's KPI review deck from a workbook, mail it to the meeting.

Description:
    A KPI workbook (``reports/kpi-YYYY.xlsx``, sheet ``Monthly``) holds each region's
    actual and target per metric and month. A brief mailed by the head of operations
    names the deck's file, its title and the metrics to show, in order (at the hard level a
    later mail adds one). The agent builds the deck with the slides app: a title slide,
    then per metric a slide titled with the metric, a table of each region's quarter
    actual, target and attainment, and speaker notes naming the best region. It mails the
    deck to everyone invited to the quarter's review meeting on the calendar.

Apps:
    sheets, slides, calendar, mail, files.

Criteria:
    - ``slide <n>: <title>``: the slide at that place with that title, table and notes;
      precision-aware over every slide of the deck.
    - ``deck is exactly the brief's slides`` (weight 2).
    - ``deck mailed``: a sent mail carries the deck as it is now.
    - ``<address> mailed the deck``: each attendee, in one mail with the deck;
      precision-aware over every recipient of every mail sent.
    - guards: workbook, calendar and mails untouched; mail only to the attendees.

Difficulty:
    Knobs set the regions, the metrics, the months of the workbook beyond the quarter, a
    later mail adding a metric, and the meetings around the review (last quarter's review,
    a prep meeting). Reference calls: easy 12, medium 18, hard 25. ``richness`` adds
    everyday mails and notes, everyday meetings and an unrelated sheet.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore
from workgym.apps.sheets import workbook_bytes
from workgym.apps.slides import read_pptx
from workgym.content.companies import companies
from workgym.content.distractors import everyday_mails, everyday_notes, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
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

SHEET = "Monthly"
COLUMNS = ("Region", "Metric", "Month", "Actual", "Target")
HEADER = ("Region", "Actual", "Target", "Attainment")
REGIONS = ("North", "South", "East", "West", "Central", "Nordics", "Iberia", "Benelux",
           "Alps", "Baltics")
METRICS = ("Revenue (EUR k)", "New customers", "Orders", "Active users", "Renewals",
           "Support tickets closed", "Trial sign-ups", "Referrals")
EVERYDAY = ("Team sync", "1:1", "Budget check-in", "Hiring sync", "Design review",
            "Vendor call")


class Knobs(BaseModel, frozen=True):
    regions: int
    """Regions in the workbook (all are shown)."""
    metrics: int
    """Metrics the first brief asks for."""
    workbook_metrics: int
    """Metrics in the workbook (at least ``metrics`` + 1)."""
    extra_months: bool
    """The workbook also holds the previous quarter's months."""
    amended: bool
    """A later mail adds one metric at a stated place."""
    decoy_meetings: bool
    """Last quarter's review and a prep meeting sit on the calendar too."""
    distractors: int
    """Distractor items at richness 1."""


def _norm(value: Any) -> str:
    return " ".join(str(value or "").replace(",", "").split()).casefold()


def _attainment(actual: int, target: int) -> Decimal:
    return (Decimal(actual * 100) / Decimal(target)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@register_family
class KpiDeck(TaskFamily[Knobs]):
    """Build a KPI review deck from a workbook as a mailed brief prescribes; mail the meeting."""

    name = "slides/kpi-deck"
    version = 1
    apps = ("sheets", "slides", "calendar", "mail", "files")
    levels = Levels(
        easy=Level(Knobs(regions=3, metrics=2, workbook_metrics=3, extra_months=False,
                         amended=False, decoy_meetings=False, distractors=4), calls=12, apps=4),
        medium=Level(Knobs(regions=4, metrics=4, workbook_metrics=6, extra_months=True,
                           amended=False, decoy_meetings=True, distractors=7), calls=18, apps=4),
        hard=Level(Knobs(regions=6, metrics=5, workbook_metrics=8, extra_months=True,
                         amended=True, decoy_meetings=True, distractors=10), calls=25, apps=4),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # not richness-dependent: the answer stays the same
        year, quarter = 2026, rng.randint(2, 4)
        first = 3 * quarter - 2
        now = datetime(year, first + 3, 1, 9, tzinfo=UTC) + timedelta(days=rng.randint(1, 8)) \
            if quarter < 4 else datetime(year + 1, 1, rng.randint(2, 9), 9, tzinfo=UTC)
        firm = companies(rng, 1)[0]
        me, head, *staff = people(rng, 14, domain=firm.domain)
        label = f"Q{quarter} {year}"
        regions = sorted(rng.sample(REGIONS, k.regions))
        metrics = rng.sample(METRICS, k.workbook_metrics)
        months = [f"{year}-{m:02d}" for m in range(first, first + 3)]
        before = [f"{year}-{m:02d}" for m in range(first - 3, first)] if k.extra_months else []
        rows, tables = self._figures(rng, regions, metrics, months, before)
        shown = metrics[:k.metrics]
        added = metrics[k.metrics] if k.amended else None
        after = rng.randrange(k.metrics) if added else 0
        final = list(shown)
        if added:
            final.insert(after + 1, added)
        deck = f"decks/kpi-review-q{quarter}-{year}.pptx"

        box = Mailbox(me)
        brief_at = now - timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 6))
        box.receive(head, f"Deck for the {label} KPI review", letter(me.first, (
            f"could you build the deck for the {label} KPI review as {deck}? Start with a "
            f"title slide titled \"{label} KPI review\", then one slide per metric, in this "
            f"order: {'; '.join(shown)}. Then send it to everyone invited to the review."),
            head.first), brief_at, key="brief")
        if added:
            box.receive(head, f"Re: Deck for the {label} KPI review", letter(me.first, (
                f"one more metric for the deck: please add {added} right after "
                f"{shown[after]}."), head.first), brief_at + timedelta(hours=rng.randint(2, 20)),
                key="amendment")
        invited = rng.sample(staff, rng.randint(3, 6)) + [head]
        rng.shuffle(invited)
        events = self._meetings(rng, k, now, label, quarter, year, me, head, invited, staff)

        rich = rng_for(spec, "distractors")
        files: dict[str, bytes] = {}
        extra_sheet = False
        kinds = ["mail", "note", "meeting", "meeting", "sheet"] * 3
        rich.shuffle(kinds)
        for kind in kinds[:scaled(spec.richness, k.distractors)]:
            if kind == "mail":
                everyday_mails(box, rich, 1, me, staff, now - timedelta(days=20), now)
            elif kind == "note":
                files.update(everyday_notes(rich, 1))
            elif kind == "meeting":
                start = now + timedelta(days=rich.randint(-10, 12), hours=rich.randint(0, 8))
                events.append((start, rich.choice(EVERYDAY), me.email,
                               [p.email for p in rich.sample(staff, rich.randint(1, 4))]))
            else:
                extra_sheet = True
        calendar = CalendarStore(owner=me.email, people={
            p.email: CalendarPerson(name=p.name, timezone="Europe/London")
            for p in [me, head, *staff]})
        for start, title, organizer, guests in sorted(events):
            calendar.add_event(title, start, start + timedelta(hours=1), "Europe/London",
                               organizer, [Attendee(email=g, response="accepted")
                                           for g in guests])
        book = f"reports/kpi-{year}.xlsx"
        files[book] = self._book(rows, extra_sheet, rich, regions)
        store, ids = box.build()

        attendees = sorted(p.email for p in invited)
        slides: list[tuple[Any, ...]] = [(1, _norm(f"{label} KPI review"), (), "")]
        slides += [(n, _norm(m), tables[m][0], _norm(tables[m][1]))
                   for n, m in enumerate(final, 2)]
        checks = self._criteria(deck, slides, attendees, me, book)

        plan = [ToolCall("mail.search", {"query": "KPI review deck"}),
                ToolCall("mail.read", {"message_id": ids["brief"]})]
        if added:
            plan.append(ToolCall("mail.read", {"message_id": ids["amendment"]}))
        plan += [ToolCall("sheets.read_range", {"path": book, "sheet": SHEET}),
                 ToolCall("calendar.list_events", {
                     "calendar": me.email, "start": f"{now:%Y-%m-%d}T00:00",
                     "end": f"{now + timedelta(days=21):%Y-%m-%d}T00:00"}),
                 ToolCall("slides.create", {"path": deck, "title": f"{label} KPI review"},
                          items={"title": ()})]
        for n, metric in enumerate(final, 2):
            table, best = tables[metric][2], tables[metric][1]
            plan += [ToolCall("slides.add_slide", {"path": deck, "layout": "Title Only",
                                                   "title": metric}, items={"title": ()}),
                     ToolCall("slides.add_table", {"path": deck, "slide": n, "rows": table},
                              items={"rows": ()}),
                     ToolCall("slides.set_notes", {"path": deck, "slide": n,
                                                   "text": f"Best: {best}"},
                              items={"text": ()})]
        plan.append(ToolCall("mail.send", {
            "to": attendees, "subject": f"{label} KPI review deck",
            "body": f"Hello all,\n\nattached is the deck for the {label} KPI review.\n\n"
                    f"{me.first}", "attachments": [deck]}, items={"to": ()}))
        return Task(spec=spec, prompt=self._prompt(me, head, book, label), apps=self.apps,
                    criteria=checks, reference=tuple(plan), artifacts=(deck,),
                    template=WorldTemplate(now=now, files=files,
                                           stores={"mail": store, "calendar": calendar}))

    # -- world pieces ---------------------------------------------------------------------

    def _figures(self, rng: random.Random, regions: list[str], metrics: list[str],
                 months: list[str], before: list[str],
                 ) -> tuple[list[tuple[Any, ...]], dict[str, tuple[tuple[tuple[str, ...], ...],
                                                                   str, list[list[str]]]]]:
        """Monthly rows, and per metric (normalized table, best region, table as written).
        Figures are redrawn until the best attainment is unique after rounding."""
        rows: list[tuple[Any, ...]] = []
        tables = {}
        for metric in metrics:
            scale = rng.choice((40, 120, 600, 2500))
            while True:
                figures = {(r, m): (rng.randint(scale // 2, scale * 2), 0)
                           for r in regions for m in [*before, *months]}
                figures = {key: (a, max(1, round(a * rng.uniform(0.8, 1.25))))
                           for key, (a, _) in figures.items()}
                totals = {r: (sum(figures[r, m][0] for m in months),
                              sum(figures[r, m][1] for m in months)) for r in regions}
                rates = {r: _attainment(*totals[r]) for r in regions}
                top = max(rates.values())
                if list(rates.values()).count(top) == 1:
                    break
            best = next(r for r in regions if rates[r] == top)
            written = [list(HEADER)] + [[r, str(totals[r][0]), str(totals[r][1]),
                                         f"{rates[r]}%"] for r in regions]
            tables[metric] = (tuple(tuple(_norm(c) for c in row) for row in written), best,
                              written)
            rows += [(r, metric, m, a, t) for (r, m), (a, t) in figures.items()]
        rows.sort(key=lambda row: (row[2], row[0], METRICS.index(row[1])))
        return rows, tables

    def _meetings(self, rng: random.Random, k: Knobs, now: datetime, label: str, quarter: int,
                  year: int, me: Person, head: Person, invited: list[Person],
                  staff: list[Person]) -> list[tuple[datetime, str, str, list[str]]]:
        review = now + timedelta(days=rng.randint(4, 12), hours=rng.randint(0, 6))
        events = [(review, f"{label} KPI review", me.email, [p.email for p in invited])]
        if k.decoy_meetings:
            last = f"Q{quarter - 1} {year} KPI review"
            events.append((now - timedelta(days=rng.randint(80, 95)), last, head.email,
                           [me.email] + [p.email for p in rng.sample(staff, 5)]))
            events.append((review - timedelta(days=rng.randint(1, 3)),
                           f"{label} KPI review: prep", me.email, [head.email]))
        return events

    def _book(self, rows: list[tuple[Any, ...]], extra_sheet: bool, rng: random.Random,
              regions: list[str]) -> bytes:
        wb = Workbook()
        ws = wb.worksheets[0]
        ws.title = SHEET
        ws.append(list(COLUMNS))
        for row in rows:
            ws.append(list(row))
        if extra_sheet:
            other = wb.create_sheet("Headcount")
            other.append(["Region", "Headcount"])
            for region in regions:
                other.append([region, rng.randint(8, 90)])
        return workbook_bytes(wb)

    def _prompt(self, me: Person, head: Person, book: str, label: str) -> str:
        return (
            f"You act for {me.name} ({me.email}) and can use their mailbox, calendar, files, "
            f"workbooks and decks. {head.name} mailed a brief for the {label} KPI review "
            f"deck (read any later mail from them about it too). Build the deck the brief "
            f"asks for with the slides tools, from the figures in {book} (sheet "
            f"\"{SHEET}\"; the quarter's months only).\n\n"
            f"The title slide has only its title. Each metric slide has the metric's name, "
            f"exactly as the workbook writes it, as its title and one table with the header "
            f"row {' | '.join(HEADER)} and one row per region in alphabetical order: the "
            f"region, the quarter's actual and target totals (whole numbers) and the "
            f"attainment, actual / target as a percentage rounded half up to one decimal "
            f"(e.g. 97.5%). Its speaker notes are one line, Best: <region>, naming the "
            f"region with the highest attainment. No other slides.\n\n"
            f"Then send the deck as an attachment, in one mail, to everyone invited to the "
            f"{label} KPI review meeting on the calendar (and to no one else).")

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, deck: str, slides: list[tuple[Any, ...]], attendees: list[str],
                  me: Person, book: str) -> tuple[Criterion, ...]:
        def read(ctx: GradeContext) -> list[tuple[Any, ...]]:
            content = read_pptx(ctx.read_bytes(deck))
            found: list[tuple[Any, ...]] = []
            for n, slide in enumerate(content.slides, 1):
                tables = [s.rows for s in slide.shapes if s.kind == "table"]
                bests = [line.partition(":")[2] for line in slide.notes.splitlines()
                         if _norm(line.partition(":")[0]) == "best"]
                found.append((n, _norm(slide.title),
                              () if not tables else
                              tuple(tuple(_norm(c) for c in row) for row in tables[0])
                              if len(tables) == 1 else ("tables", len(tables)),
                              _norm(bests[0]) if len(bests) == 1 else
                              ("notes", _norm(slide.notes)) if slide.notes.strip() else ""))
            return found

        def carriers(ctx: GradeContext) -> list[Any]:
            """Sent messages carrying the deck as it is now."""
            name = deck.rsplit("/", 1)[-1]
            try:
                now = ctx.read_bytes(deck)
            except GradeError:
                return []
            return [m for m in wc.new_records(ctx, "mail", "messages") if m.folder == "sent"
                    and any(a.filename == name and a.data() == now for a in m.attachments)]

        def recipients(ctx: GradeContext) -> list[str]:
            with_deck = {m.id for m in carriers(ctx)}
            return [wc.address(a) if mail.id in with_deck else f"{wc.address(a)} (no deck)"
                    for mail in sent(ctx) for a in mail.recipients]

        def mailed(ctx: GradeContext) -> tuple[bool, str]:
            found = carriers(ctx)
            return bool(found), (f"{len(found)} mail(s) carry the deck" if found
                                 else "no sent mail carries the deck as it is now")

        sent = wc.sent_mails()
        found = wc.per_grade(read)
        to = wc.per_grade(recipients)
        return (
            *wc.item_credit([(f"slide {s[0]}: {s[1]}", s) for s in slides], found,
                            group=lambda name: "title slide" if name.startswith("slide 1:")
                            else "metric slide"),
            wc.exact_items("deck is exactly the brief's slides", slides, found, weight=2),
            Criterion("deck mailed", mailed),
            *wc.item_credit([(f"{a} mailed the deck", a) for a in attendees], to,
                            group="attendee mailed"),
            wc.unchanged("workbook, calendar and mails untouched", paths=[book],
                         stores=["calendar"], records=[("mail", "messages")]),
            wc.only_recipients("mail only to the attendees", [*attendees, me.email]),
        )
