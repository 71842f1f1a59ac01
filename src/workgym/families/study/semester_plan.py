"""study/semester-plan: choose next semester's courses within the programme's rules, enrol,
put the lectures in the calendar and write the plan.

Description:
    A student signed in to the campus portal (lms) plans the coming winter semester. The
    programme's regulations (a PDF in the workspace) set the credits a semester may carry
    per study mode (a minimum and a maximum), the required modules of each semester, the
    elective catalogue and the prerequisite rules (``A; B or C``: A and one of B, C
    passed); they also say how the year of study gives the semester and when lectures
    begin. The portal holds the student's year, study mode and passed courses, and this
    term's courses with their sections (weekly meetings, seats left); it enforces neither
    the programme's prerequisites nor its credit maximum (its own limit is higher). The
    calendar holds the student's job shifts and other weekly obligations, which no class
    may overlap; one-off appointments, and a weekly series that ends before lectures
    begin, do not count.

    Exactly one choice meets every rule (the generator draws until a brute force over
    every subset of courses and every choice of sections finds exactly one): every
    required module of the semester, electives from the catalogue whose prerequisites are
    passed, one section per course with a free seat, no two meetings overlapping and none
    over a commitment, the credits within the study mode's range. The agent enrols in each
    chosen section, adds each meeting of the first lecture week to the calendar as
    ``<code> <title>`` and writes the plan into ``plan/semester-plan.xlsx`` (Course,
    Section, Credits).

    The traps: attractive electives whose prerequisite is not passed (often a required
    module of this very semester) or whose every section meets during a shift, sections
    of a chosen course that clash, a required module of the next semester on offer, full
    sections, a passed course on offer again, the other study mode's range and the
    portal's looser credit limit. The world is redrawn until ignoring the prerequisites,
    the calendar or the credit maximum would each allow another plan, so every rule
    matters. At hard the regulations come in two editions, each for the cohorts that
    began in some years (the year of study gives the student's); the other edition's
    rules never give the same plan.

Apps:
    lms, calendar, pdf, sheets.

Criteria:
    - ``enrolled <code>``: the student's enrolment in the course's section, precision-aware;
      ``enrolments are exactly the plan`` (weight 2).
    - ``lecture <section> <day>``: a new confirmed event ``<code> <title>`` at the meeting's
      time in the first lecture week, precision-aware; ``calendar holds exactly the
      lectures``.
    - ``plan row <code>``: a row (code, section, credits) of sheet Plan, precision-aware;
      ``plan is exactly the choice``.
    - guards: enrolled credits and the plan's credits at most the regulations' maximum
      (enrolling in or listing everything zeroes the score); calendar events kept; the
      portal changed only by the student's own enrolments; nothing else changed.

Difficulty:
    Knobs set the required modules, the electives on offer, the sections per course, the
    weekly commitments, an ended weekly series and the editions of the regulations.
    Reference calls: easy 20, medium 21, hard 27. ``richness`` adds one-off appointments
    to the calendar and courses of other programmes to the portal.

Version history:
    v1: first version.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import CalendarPerson, CalendarStore
from workgym.apps.lms import DAYS, LmsStore, Weekday, clock, lms_of
from workgym.apps.sheets import workbook_bytes
from workgym.content.distractors import scaled
from workgym.content.lms import SLOTS
from workgym.content.pdf_writer import PdfBlock, PdfHeading, PdfTable, write_pdf
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

PLAN = "plan/semester-plan.xlsx"
SHEET = "Plan"
COLUMNS = ("Course", "Section", "Credits")
ZONE = "Europe/Berlin"
PORTAL_LIMIT = 45
"""The portal's own credit limit, above every programme's maximum."""
SEMESTERS = 6
PART_TIME_MOST = 20
"""Most credits a part-time range allows."""
FULL_TIME_LEAST = 24
"""Fewest credits a full-time range asks for."""


@dataclass(frozen=True)
class _Module:
    code: str
    title: str
    credits: int
    level: int
    """1 for CS110, 3 for STAT310."""


def _m(code: str, title: str, credits: int) -> _Module:
    return _Module(code, title, credits, int("".join(ch for ch in code if ch.isdigit())) // 100)


MODULES: tuple[_Module, ...] = (
    _m("CS110", "Programming Fundamentals", 6), _m("CS120", "Data Structures", 6),
    _m("CS210", "Algorithms and Complexity", 6), _m("CS220", "Databases", 5),
    _m("CS230", "Software Engineering", 6), _m("CS240", "Computer Networks", 5),
    _m("CS250", "Operating Systems", 6), _m("CS310", "Machine Learning", 6),
    _m("CS320", "Information Retrieval", 5), _m("CS330", "Distributed Systems", 5),
    _m("CS340", "Computer Vision", 5), _m("CS350", "Natural Language Processing", 5),
    _m("MATH110", "Calculus", 6), _m("MATH120", "Linear Algebra", 6),
    _m("MATH210", "Discrete Mathematics", 5), _m("MATH220", "Numerical Methods", 5),
    _m("MATH230", "Optimisation", 4), _m("STAT110", "Descriptive Statistics", 4),
    _m("STAT210", "Probability Theory", 5), _m("STAT220", "Statistical Inference", 5),
    _m("STAT230", "Regression Analysis", 4), _m("STAT310", "Time Series Analysis", 4),
    _m("STAT320", "Bayesian Statistics", 4), _m("DS210", "Data Visualisation", 4),
    _m("DS220", "Data Wrangling", 3), _m("DS310", "Big Data Platforms", 5),
    _m("DS320", "Responsible Data Science", 3), _m("ECON110", "Principles of Economics", 4),
    _m("ECON210", "Econometrics", 5), _m("PHIL210", "Ethics of Computing", 3),
    _m("WRIT110", "Scientific Writing", 3), _m("LAW210", "Data Protection Law", 3),
    _m("BUS210", "Project Management", 3), _m("LING210", "Computational Linguistics", 4),
)
"""The modules the programmes draw their required and elective modules from."""
OTHER_MODULES: tuple[_Module, ...] = (
    _m("ART110", "Drawing Studio", 4), _m("MUS120", "Music Theory", 3),
    _m("SPAN101", "Spanish for Beginners", 4), _m("GEO150", "Physical Geography", 5),
    _m("PSY110", "Introduction to Psychology", 5), _m("BIO101", "Cell Biology", 6),
    _m("HIST140", "Modern European History", 4), _m("CHEM101", "General Chemistry", 6),
)
"""Courses of other programmes (richness): on the portal, in no regulations."""
DEPARTMENTS = {"CS": "Computer Science", "MATH": "Mathematics", "STAT": "Statistics",
               "DS": "Data Science", "ECON": "Economics", "PHIL": "Humanities",
               "WRIT": "Humanities", "LAW": "Law", "BUS": "Business", "LING": "Linguistics",
               "ART": "Arts", "MUS": "Arts", "SPAN": "Languages", "GEO": "Geography",
               "PSY": "Psychology", "BIO": "Biology", "HIST": "History", "CHEM": "Chemistry"}
PROGRAMMES = ("BSc Data Science", "BSc Computer Science", "BSc Business Informatics",
              "BSc Applied Statistics")
EMPLOYERS = ("Café Lindgren", "Bookshop Halden", "the university library", "Bistro Marin",
             "the climbing gym", "Supermarket Nord")
OBLIGATIONS = ("Choir rehearsal", "Volunteering at the food bank", "Swim training",
               "Tutoring (homework club)", "Physiotherapy", "Orchestra rehearsal",
               "Care shift for grandmother")
ENDED = ("Summer internship stand-up", "Summer language course", "Holiday job: inventory")
ONE_OFFS = ("Dentist", "Bike repair", "Coffee with Jonas", "Birthday lunch", "Flat viewing",
            "Doctor's appointment", "Library induction", "Haircut", "Call with the bank")
_STARTS = ("08:00", "09:00", "10:30", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00")
_ROOMS = ("A-101", "A-204", "B-012", "B-118", "C-220", "Hall 1", "Hall 2", "Lab 3")
_SECTION_CAPACITY = (12, 16, 20, 24)

Window = tuple[str, str, str]
"""A weekly time: (day, start, end)."""


class Knobs(BaseModel, frozen=True):
    required: int
    """Required modules of the student's semester."""
    electives: int
    """Electives of the catalogue on offer this term (not passed yet)."""
    sections: int
    """Most sections a course has."""
    commitments: int
    """Weekly commitments (job shifts and obligations) in the calendar."""
    ended_series: bool
    """A weekly series in the calendar that ends before lectures begin."""
    editions: int
    """Editions of the regulations (2: each for the cohorts that began in some years)."""
    distractors: int
    """One-off appointments and other programmes' courses at richness 1."""


@dataclass(frozen=True)
class _Regs:
    programme: str
    minimum: int
    maximum: int
    required: tuple[tuple[str, ...], ...]
    """Codes of the required modules of semesters 1..6."""
    electives: tuple[str, ...]
    prerequisites: dict[str, tuple[tuple[str, ...], ...]]
    """Code -> groups that must all be met; a group is met by any one of its codes."""
    lectures_begin: date
    modes: tuple[tuple[str, int, int], ...] = ()
    """(study mode, minimum, maximum) of every mode."""
    edition: int = 0
    scope: str = ""
    """Whom the edition applies to."""


@dataclass(frozen=True)
class _Section:
    id: str
    meetings: tuple[Window, ...]
    full: bool


@dataclass(frozen=True)
class _Offer:
    module: _Module
    sections: tuple[_Section, ...]


def _overlap(one: Window, other: Window) -> bool:
    return one[0] == other[0] and clock(one[1]) < clock(other[2]) \
        and clock(other[1]) < clock(one[2])


Span = tuple[int, int]
"""A weekly time as minutes from Monday 00:00: [start, end)."""


def _spans(windows: Sequence[Window]) -> tuple[Span, ...]:
    return tuple((DAYS.index(d) * 1440 + clock(s), DAYS.index(d) * 1440 + clock(e))
                 for d, s, e in windows)


def _hits(one: Sequence[Span], other: Sequence[Span]) -> bool:
    return any(a < d and c < b for a, b in one for c, d in other)


def _met(groups: tuple[tuple[str, ...], ...], passed: set[str]) -> bool:
    return all(any(code in passed for code in group) for group in groups)


def solve(offers: Sequence[_Offer], required: set[str], electives: set[str],
          prerequisites: dict[str, tuple[tuple[str, ...], ...]], passed: set[str],
          commitments: Sequence[Window], window: tuple[int, int] | None, *,
          check_prerequisites: bool = True, check_calendar: bool = True,
          limit: int = 2) -> list[dict[str, str]]:
    """Up to ``limit`` plans (course code -> section id) that meet the rules: every
    required module, electives of the catalogue (prerequisites passed), one free section
    per course, no overlap among the meetings or with a commitment, credits within
    ``window`` (None: any). The relaxations drop one rule each."""
    busy = _spans(commitments)
    options: list[tuple[_Offer, list[tuple[str, tuple[Span, ...]]], bool]] = []
    for offer in offers:
        code = offer.module.code
        if code in passed or (code not in required and code not in electives):
            continue
        if check_prerequisites and not _met(prerequisites.get(code, ()), passed):
            if code in required:
                return []
            continue
        usable = [(s.id, _spans(s.meetings)) for s in offer.sections if not s.full]
        if check_calendar:
            usable = [(key, spans) for key, spans in usable if not _hits(spans, busy)]
        if code in required and not usable:
            return []
        if usable:
            options.append((offer, usable, code in required))
    low, high = window if window is not None else (0, 10 ** 6)
    found: list[dict[str, str]] = []

    def walk(n: int, chosen: dict[str, str], taken: tuple[Span, ...], credits: int) -> None:
        if len(found) >= limit or credits > high:
            return
        if n == len(options):
            if credits >= low:
                found.append(dict(chosen))
            return
        offer, usable, must = options[n]
        for section, spans in usable:
            if not _hits(spans, taken):
                chosen[offer.module.code] = section
                walk(n + 1, chosen, taken + spans, credits + offer.module.credits)
                del chosen[offer.module.code]
        if not must:
            walk(n + 1, chosen, taken, credits)

    walk(0, {}, (), 0)
    return found


@dataclass(frozen=True)
class _World:
    regs: _Regs
    semester: int
    passed: tuple[str, ...]
    offers: tuple[_Offer, ...]
    commitments: tuple[tuple[str, Window], ...]
    """(title, weekly time) of each commitment."""
    ended: tuple[str, Window] | None
    plan: dict[str, str]


def _window(rng: random.Random, taken: Sequence[Window]) -> Window:
    """A weekly time apart from ``taken`` that never merely touches a class slot (ending
    as one begins, or beginning as one ends), where "overlap" could be read two ways."""
    while True:
        day = rng.choice(DAYS[:5])
        start = rng.choice(_STARTS)
        end = f"{min(clock(start) // 60 + rng.choice((2, 3, 4)), 18):02d}:{start[3:]}"
        made = (day, start, end)
        touching = any(end == lo or start == hi for lo, hi in SLOTS)
        if clock(end) > clock(start) and not touching \
                and not any(_overlap(made, w) for w in taken):
            return made


def _sections(rng: random.Random, module: _Module, most: int) -> tuple[_Section, ...]:
    made = []
    for n in range(rng.randint(1, most)):
        days = sorted(rng.sample(DAYS[:5], rng.choice((1, 2, 2))), key=DAYS.index)
        meetings = tuple((day, *rng.choice(SLOTS)) for day in days)
        made.append(_Section(f"{module.code}-{chr(ord('A') + n)}", meetings,
                             full=rng.random() < 0.1))
    return tuple(made)


def _prerequisites(rng: random.Random, earlier: Sequence[str], chance: float,
                   most: int) -> tuple[tuple[str, ...], ...]:
    if not earlier or rng.random() >= chance:
        return ()
    picks = rng.sample(list(earlier), min(len(earlier), rng.randint(1, most)))
    groups = []
    for code in picks:
        others = [c for c in earlier if c not in picks]
        if others and rng.random() < 0.3:
            groups.append(tuple(sorted((code, rng.choice(others)))))
        else:
            groups.append((code,))
    return tuple(groups)


Curriculum = tuple[list[tuple[_Module, ...]], list[_Module],
                   dict[str, tuple[tuple[str, ...], ...]]]
"""Required modules per semester, the elective catalogue, the prerequisites."""


def _curriculum(rng: random.Random, required_now: int, semester: int) -> Curriculum:
    pool = list(MODULES)
    rng.shuffle(pool)
    counts = [2] * SEMESTERS
    counts[semester - 1] = required_now
    picked = sorted(pool[:sum(counts)], key=lambda m: m.level)
    required: list[tuple[_Module, ...]] = []
    for count in counts:
        required.append(tuple(picked[:count]))
        picked = picked[count:]
    electives = pool[sum(counts):sum(counts) + 10]
    # a prerequisite is a module of a lower level: an earlier required module, a
    # required module of this or the next semester, or another elective
    prerequisites: dict[str, tuple[tuple[str, ...], ...]] = {}
    for n, modules in enumerate(required[1:], start=1):
        for module in modules:
            earlier = [m.code for ms in required[:n] for m in ms if m.level < module.level]
            prerequisites[module.code] = _prerequisites(rng, earlier, 0.7, 1)
    near = [m for ms in required[:semester + 1] for m in ms]
    for module in electives:
        lower = [m.code for m in (*near, *electives) if m.level < module.level]
        prerequisites[module.code] = _prerequisites(rng, lower, 0.85, 2)
    return required, electives, prerequisites


def _draw(rng: random.Random, k: Knobs, programme: str, begin: date) -> _World | None:
    """One world, or None when no credit range gives it exactly one plan with every
    rule mattering."""
    semester = rng.choice((3, 5))
    required, electives, prerequisites = _curriculum(rng, k.required, semester)
    passed = {m.code for ms in required[:semester - 1] for m in ms}
    ready = [m for m in electives if _met(prerequisites[m.code], passed)]
    passed |= {m.code for m in rng.sample(ready, min(len(ready), rng.randint(1, semester - 1)))}
    open_electives = [m for m in electives if m.code not in passed]
    if len(open_electives) < k.electives:
        return None
    offered = [*required[semester - 1], *rng.sample(open_electives, k.electives),
               rng.choice(required[semester])]
    done = [m for m in electives if m.code in passed]
    offered += [rng.choice(done)] if done else []  # passed already: the portal refuses it
    offers = tuple(_Offer(m, _sections(rng, m, k.sections))
                   for m in sorted(offered, key=lambda m: m.code))
    taken: list[Window] = []
    shifts = max(1, k.commitments // 2)
    employer = rng.choice(EMPLOYERS)
    titles = [f"Shift at {employer}"] * shifts + rng.sample(OBLIGATIONS, k.commitments - shifts)
    commitments = []
    for title in titles:
        taken.append(_window(rng, taken))
        commitments.append((title, taken[-1]))
    ended = (rng.choice(ENDED), _window(rng, [])) if k.ended_series else None

    must = {m.code for m in required[semester - 1]}
    allowed = {m.code for m in electives}
    busy = [w for _, w in commitments]

    def totals(**relax: bool) -> list[tuple[int, dict[str, str]]]:
        plans = solve(offers, must, allowed, prerequisites, passed, busy, None,
                      limit=20_000, **relax)
        credit = {o.module.code: o.module.credits for o in offers}
        return [(sum(credit[c] for c in p), p) for p in plans]

    strict = totals()
    if not strict or len(strict) >= 20_000:
        return None
    loose_pre = [t for t, _ in totals(check_prerequisites=False)]
    loose_cal = [t for t, _ in totals(check_calendar=False)]
    ranges = []
    for low in range(10, 37):
        for width in (2, 3, 4):
            high = low + width
            if high > PART_TIME_MOST and low < FULL_TIME_LEAST:
                continue  # neither a part-time nor a full-time range
            inside = [p for t, p in strict if low <= t <= high]
            if (len(inside) == 1 and len(inside[0]) > len(must)
                    and sum(low <= t <= high for t in loose_pre) >= 2
                    and sum(low <= t <= high for t in loose_cal) >= 2
                    and sum(t >= low for t, _ in strict) >= 2):
                ranges.append((low, high, inside[0]))
    if not ranges:
        return None
    low, high, plan = rng.choice(ranges)
    regs = _Regs(programme, low, high, tuple(tuple(m.code for m in ms) for ms in required),
                 tuple(m.code for m in electives), prerequisites, begin)
    return _World(regs, semester, tuple(sorted(passed)), offers, tuple(commitments), ended,
                  plan)


def _modes(rng: random.Random, mine: tuple[str, int, int] | None
           ) -> tuple[tuple[str, int, int], ...]:
    """Credit ranges of both study modes: ``mine`` for its mode, the other drawn."""
    full = rng.randint(FULL_TIME_LEAST + 2, 30)
    part = rng.randint(10, 13)
    drawn = {"Full-time": (full, full + rng.randint(4, 6)),
             "Part-time": (part, part + rng.randint(3, 5))}
    if mine is not None:
        drawn[mine[0]] = (mine[1], mine[2])
    return tuple((mode, lo, hi) for mode, (lo, hi) in drawn.items())


def _local(day: date, at: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(at)).replace(tzinfo=ZoneInfo(ZONE))


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _code(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.strip().upper() if len(text) <= 64 else "?"


def _credits(value: Any) -> int | None:
    """Agent-written credits as a whole number, or None (matching no item) if not one."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if len(text) > 12:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value() or abs(number) > 1000:
        return None
    return int(number)


def _row(course: Any, section: Any, credits: Any) -> tuple[str, str, int | None]:
    return _code(course), _code(section), _credits(credits)


def _rules(groups: tuple[tuple[str, ...], ...]) -> str:
    return "; ".join(" or ".join(group) for group in groups)


CREDITS = {m.code: m.credits for m in (*MODULES, *OTHER_MODULES)}
TITLES = {m.code: m.title for m in (*MODULES, *OTHER_MODULES)}


@register_family
class SemesterPlan(TaskFamily[Knobs]):
    """Choose next semester's courses under the regulations; enrol, calendar, plan sheet."""

    name = "study/semester-plan"
    version = 1
    apps = ("lms", "calendar", "pdf", "sheets")
    levels = Levels(
        easy=Level(Knobs(required=2, electives=4, sections=2, commitments=2,
                         ended_series=False, editions=1, distractors=8), calls=20),
        medium=Level(Knobs(required=2, electives=5, sections=3, commitments=3,
                           ended_series=True, editions=1, distractors=10), calls=21),
        hard=Level(Knobs(required=3, electives=7, sections=3, commitments=4,
                         ended_series=True, editions=2, distractors=12), calls=27),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: it ignores richness
        begin = date(2026, 10, 5) + timedelta(weeks=rng.randrange(3))
        now = datetime.combine(begin - timedelta(days=rng.randint(8, 16)), time(7, 0),
                               tzinfo=UTC)
        programme = rng.choice(PROGRAMMES)
        for _ in range(5000):
            world = _draw(rng, k, programme, begin)
            if world is not None:
                break
        else:
            raise ValueError("no world with exactly one plan; change the knobs")
        part_time = world.regs.maximum <= PART_TIME_MOST
        editions = self._editions(rng, k, world, part_time)
        roster = people(rng, 25, domain="students.example")
        me = roster[rng.randrange(len(roster))]
        lms = self._portal(rng, now, world, roster, me, part_time)
        student = next(s.id for s in lms.students if s.email == me.email)
        calendar = self._calendar(rng, now, world, me)
        slug = "-".join(programme.lower().split())
        files = {f"regulations/{slug}-{regs.edition}.pdf": self._regulations(regs)
                 for regs in editions}
        files[PLAN] = self._template()
        paths = sorted(p for p in files if p.endswith(".pdf"))

        rich = rng_for(spec, "distractors")  # distractors never look at the answer
        self._distractors(rich, scaled(spec.richness, k.distractors), now, world, lms,
                          calendar, me)
        calendar.events.sort(key=lambda e: (e.start, e.title))
        for n, event in enumerate(calendar.events, 1):
            event.id = f"ev{n:04d}"
        calendar.next_id = len(calendar.events) + 1
        lms.account = student

        meetings = self._meetings(world)
        criteria = self._criteria(world, student, meetings)
        plan = self._plan(world, me, paths, meetings)
        return Task(spec=spec, prompt=self._prompt(me, programme, lms.term, paths),
                    apps=self.apps, criteria=criteria, reference=plan, artifacts=(PLAN,),
                    template=WorldTemplate(now=now, files=files, stores={
                        "lms": lms, "calendar": calendar}))

    # -- the world ------------------------------------------------------------------------

    @staticmethod
    def _editions(rng: random.Random, k: Knobs, world: _World,
                  part_time: bool) -> list[_Regs]:
        """The editions of the regulations: the one that applies (with its ranges for
        both study modes), and with two editions another for other cohorts, whose rules
        would not give the same plan."""
        regs, begin = world.regs, world.regs.lectures_begin
        mine = ("Part-time" if part_time else "Full-time", regs.minimum, regs.maximum)
        started = begin.year - (world.semester + 1) // 2 + 1
        if k.editions == 1:
            return [replace(regs, modes=_modes(rng, mine), edition=started - rng.randint(1, 4),
                            scope="This edition applies to every student of the programme.")]
        newer = rng.random() < 0.5
        cutoff = rng.choice((started - 1, started)) if newer else started + 1
        term = f"the winter term {cutoff}/{(cutoff + 1) % 100:02d}"
        old, new = cutoff - rng.randint(3, 5), cutoff
        scopes = {new: f"This edition applies to students who began the programme in {term} "
                       "or later.",
                  old: f"This edition applies to students who began the programme before "
                       f"{term}; later cohorts follow the {new} edition."}
        mode, lo, hi = mine
        for _ in range(200):
            required, electives, prerequisites = _curriculum(rng, len(regs.required[
                world.semester - 1]), world.semester)
            other = replace(regs, required=tuple(tuple(m.code for m in ms) for ms in required),
                            electives=tuple(m.code for m in electives),
                            prerequisites=prerequisites, modes=_modes(rng, None))
            _, low, high = next(m for m in other.modes if m[0] == mode)
            plans = solve(world.offers, set(other.required[world.semester - 1]),
                          set(other.electives), other.prerequisites, set(world.passed),
                          [w for _, w in world.commitments], (low, high))
            if plans != [world.plan] and (low, high) != (lo, hi):
                break
        else:
            raise ValueError("no second edition that differs; change the knobs")
        right = replace(regs, modes=_modes(rng, mine))
        mine_year, other_year = (new, old) if newer else (old, new)
        return [replace(right, edition=mine_year, scope=scopes[mine_year]),
                replace(other, edition=other_year, scope=scopes[other_year])]

    @staticmethod
    def _portal(rng: random.Random, now: datetime, world: _World, roster: list[Person],
                me: Person, part_time: bool) -> LmsStore:
        begin = world.regs.lectures_begin
        store = LmsStore(name="Campus Portal", host="campus.example",
                         term=f"Winter {begin.year}/{(begin.year + 1) % 100:02d}",
                         timezone=ZONE, credit_limit=PORTAL_LIMIT)
        for person in people(rng, 6, domain="faculty.example"):
            store.add_instructor(f"Dr {person.name}", person.email)
        staff = [i.id for i in store.instructors]
        for person in roster:
            if person is me:
                mode = "part-time" if part_time else "full-time"
                store.add_student(person.name, person.email,
                                  program=f"{world.regs.programme} ({mode})",
                                  year=(world.semester + 1) // 2, completed=world.passed)
            else:
                store.add_student(person.name, person.email,
                                  program=f"{rng.choice(PROGRAMMES)} (full-time)",
                                  year=rng.randint(1, 3))
        others = [s.id for s in store.students if s.email != me.email]
        today = now.date()
        for offer in world.offers:
            _course(rng, store, offer.module, staff)
            for section in offer.sections:
                _section(rng, store, offer.module.code, section.meetings, section.full,
                         others, today)
        return store

    @staticmethod
    def _calendar(rng: random.Random, now: datetime, world: _World,
                  me: Person) -> CalendarStore:
        calendar = CalendarStore(owner=me.email, people={
            me.email: CalendarPerson(name=me.name, timezone=ZONE)})
        begin = world.regs.lectures_begin
        local = now.astimezone(ZoneInfo(ZONE)).date()
        first = local - timedelta(days=local.weekday())
        weeks = (begin - first).days // 7 + 5
        for title, (day, start, end) in world.commitments:
            for week in range(weeks):
                on = first + timedelta(weeks=week, days=DAYS.index(day))
                calendar.add_event(title, _local(on, start), _local(on, end), ZONE, me.email)
        if world.ended is not None:
            title, (day, start, end) = world.ended
            for week in range(-rng.randint(5, 9), (begin - first).days // 7):
                on = first + timedelta(weeks=week, days=DAYS.index(day))
                if on < begin:
                    calendar.add_event(title, _local(on, start), _local(on, end), ZONE,
                                       me.email)
        return calendar

    @staticmethod
    def _regulations(regs: _Regs) -> bytes:
        begin = regs.lectures_begin
        blocks: list[PdfBlock] = [
            (f"Study and examination regulations, edition {regs.edition}. Faculty of "
             "Computing and Data."),
            PdfHeading("§ 1 Scope", 2),
            (f"These regulations govern the {regs.programme}: the modules a student takes in "
             "each semester of study, the credits a semester carries and the order in which "
             f"modules may be taken. {regs.scope}"),
            PdfHeading("§ 2 Semesters of study", 2),
            ("The year of study counts from the winter term in which a student began the "
             "programme: year 1 in that academic year, year 2 in the next, and so on. The "
             "semester of study follows from the year: in a winter term, year 1 is semester "
             "1, year 2 is semester 3 and year 3 is semester 5; in a summer term, semesters "
             "2, 4 and 6."),
            PdfHeading("§ 3 Credits per semester", 2),
            ("A student's plan for a semester carries at least the minimum and at most the "
             "maximum credits of their study mode, both included. A module carries the "
             "credits the module catalogue gives it."),
            PdfTable([["Study mode", "Minimum credits", "Maximum credits"],
                      *([mode, str(lo), str(hi)] for mode, lo, hi in regs.modes)]),
            PdfHeading("§ 4 Required modules", 2),
            ("The required modules of a semester are taken in that semester. A required "
             "module of a later semester may not be taken before its semester."),
            PdfTable([["Semester", "Module", "Title", "Credits"],
                      *([str(n), code, TITLES[code], str(CREDITS[code])]
                        for n, codes in enumerate(regs.required, 1) for code in codes)]),
            PdfHeading("§ 5 Elective modules", 2),
            ("Besides the required modules of their semester, a student takes electives from "
             "this catalogue only. Other modules do not count towards the degree and are no "
             "part of a semester's plan."),
            PdfTable([["Module", "Title", "Credits"],
                      *([code, TITLES[code], str(CREDITS[code])]
                        for code in sorted(regs.electives))]),
            PdfHeading("§ 6 Prerequisites", 2),
            ("A module may be taken only when each of its prerequisites has been passed. A "
             "semicolon separates prerequisites that must all be met; \"or\" joins "
             "alternatives of which one suffices. A module taken in the same semester does "
             "not count as passed. Modules not listed have no prerequisites."),
            PdfTable([["Module", "Prerequisites"],
                      *([code, _rules(groups)] for code, groups
                        in sorted(regs.prerequisites.items()) if groups)]),
            PdfHeading("§ 7 Lecture period", 2),
            (f"Lectures of the winter semester {begin.year}/{(begin.year + 1) % 100:02d} "
             f"begin on Monday, {begin.day} {begin:%B %Y}, and run for fifteen weeks."),
            PdfHeading("§ 8 Examinations", 2),
            ("Each module ends with an examination in the two weeks after the lecture "
             "period. A failed examination may be retaken twice; a module counts as passed "
             "once its examination is passed."),
        ]
        return write_pdf(f"{regs.programme}: study and examination regulations", blocks,
                         author="Faculty of Computing and Data",
                         subject=f"Regulations of the {regs.programme}")

    @staticmethod
    def _template() -> bytes:
        book = Workbook()
        sheet = book.worksheets[0]
        sheet.title = SHEET
        sheet.append(list(COLUMNS))
        return workbook_bytes(book)

    @staticmethod
    def _distractors(rng: random.Random, count: int, now: datetime, world: _World,
                     lms: LmsStore, calendar: CalendarStore, me: Person) -> None:
        """Answer-neutral content: one-off appointments anywhere in the weeks around the
        start of lectures, and courses of other programmes (in no regulations)."""
        begin = world.regs.lectures_begin
        local = now.astimezone(ZoneInfo(ZONE)).date()
        span = (begin - local).days + 28
        extra = list(OTHER_MODULES)
        rng.shuffle(extra)
        staff = [i.id for i in lms.instructors]
        students = [s.id for s in lms.students if s.email != me.email]
        kinds = ["event", "event", "course"] * count
        rng.shuffle(kinds)
        for kind in kinds[:count]:
            if kind == "event":
                on = local + timedelta(days=rng.randrange(span))
                start = f"{rng.randint(8, 17):02d}:{rng.choice(('00', '30'))}"
                lo = _local(on, start)
                calendar.add_event(rng.choice(ONE_OFFS), lo,
                                   lo + timedelta(minutes=rng.choice((45, 60, 90))), ZONE,
                                   me.email)
            elif extra:
                module = extra.pop()
                _course(rng, lms, module, staff)
                for section in _sections(rng, module, 2):
                    _section(rng, lms, module.code, section.meetings, section.full, students,
                             now.date())

    # -- the answer -----------------------------------------------------------------------

    @staticmethod
    def _meetings(world: _World) -> list[tuple[str, str, datetime, datetime]]:
        """(course code, section id, start, end) of every meeting of the first week."""
        found = []
        begin = world.regs.lectures_begin
        sections = {s.id: s for o in world.offers for s in o.sections}
        for code, section in sorted(world.plan.items()):
            for day, start, end in sections[section].meetings:
                on = begin + timedelta(days=DAYS.index(day))
                found.append((code, section, _local(on, start), _local(on, end)))
        return sorted(found, key=lambda m: (m[2], m[0]))

    def _criteria(self, world: _World, student: str,
                  meetings: list[tuple[str, str, datetime, datetime]]
                  ) -> tuple[Criterion, ...]:
        most = world.regs.maximum

        def enrolled(ctx: GradeContext) -> list[tuple[str, str]]:
            return [(e.course, e.section) for e in lms_of(ctx.world).enrolled(student)]

        def events(ctx: GradeContext) -> list[tuple[str, datetime, datetime]]:
            return [(_norm(e.title), e.start_utc, e.end_utc)
                    for e in wc.new_records(ctx, "calendar", "events")
                    if e.status == "confirmed"]

        rows = wc.xlsx_rows(PLAN, SHEET, COLUMNS, row=_row)
        taken, added = wc.per_grade(enrolled), wc.per_grade(events)

        def enrolled_credits(ctx: GradeContext) -> tuple[bool, str]:
            total = sum(CREDITS.get(code, 0) for code, _ in taken(ctx))
            return total <= most, f"{total} credits enrolled; the regulations allow {most}"

        def planned_credits(ctx: GradeContext) -> tuple[bool, str]:
            try:
                codes = {code for code, _, _ in rows(ctx)}
            except GradeError as exc:  # an unreadable plan lists nothing; its rows fail
                return True, f"no plan rows to count ({exc})"
            total = sum(CREDITS.get(code, 0) for code in codes)
            return total <= most, f"{total} credits planned; the regulations allow {most}"

        def portal_kept(ctx: GradeContext) -> tuple[bool, str]:
            before = json.loads(ctx.initial.stores["lms"])
            after = lms_of(ctx.world).model_dump(mode="json")
            for dump in (before, after):
                dump["enrolments"] = [e for e in dump["enrolments"] if e["student"] != student]
            return before == after, ("only your enrolments changed" if before == after
                                     else "the portal changed beyond your own enrolments")

        credit = {o.module.code: o.module.credits for o in world.offers}
        want_enrol = [(f"enrolled {code}", (code, section))
                      for code, section in sorted(world.plan.items())]
        want_event = [(f"lecture {section} {start:%a}", (_norm(f"{code} {TITLES[code]}"),
                                                         start.astimezone(UTC),
                                                         end.astimezone(UTC)))
                      for code, section, start, end in meetings]
        want_row = [(f"plan row {code}", (code, section, credit[code]))
                    for code, section in sorted(world.plan.items())]
        return (
            *wc.item_credit(want_enrol, taken, group="enrolled"),
            wc.exact_items("enrolments are exactly the plan", [i for _, i in want_enrol],
                           taken, weight=2),
            *wc.item_credit(want_event, added, group="lecture in calendar"),
            wc.exact_items("calendar holds exactly the lectures", [i for _, i in want_event],
                           added),
            *wc.item_credit(want_row, rows, group="plan row"),
            wc.exact_items("plan is exactly the choice", [i for _, i in want_row], rows),
            Criterion("enrolled credits within the maximum", enrolled_credits, guard=True),
            Criterion("planned credits within the maximum", planned_credits, guard=True),
            Criterion("portal changed only by your enrolments", portal_kept, guard=True),
            wc.unchanged("calendar events kept", records=[("calendar", "events")]),
            wc.nothing_else_changed("nothing else changed", [PLAN],
                                    changing=["lms", "calendar"]),
        )

    def _plan(self, world: _World, me: Person, paths: list[str],
              meetings: list[tuple[str, str, datetime, datetime]]) -> tuple[ToolCall, ...]:
        begin = world.regs.lectures_begin
        relevant = set(world.regs.electives) | {c for cs in world.regs.required for c in cs}
        read = [o.module.code for o in world.offers
                if o.module.code in relevant and o.module.code not in world.passed]
        credit = {o.module.code: o.module.credits for o in world.offers}
        plan = [ToolCall("lms.get_student", {}),
                *(ToolCall("pdf.read_pages", {"path": path}) for path in paths),
                ToolCall("lms.list_courses", {"limit": 100}),
                *(ToolCall("lms.get_course", {"course_code": code}) for code in read),
                ToolCall("calendar.list_events", {
                    "calendar": me.email, "start": begin.isoformat(),
                    "end": (begin + timedelta(days=14)).isoformat(), "timezone": ZONE})]
        plan += [ToolCall("lms.enrol", {"section_id": section}, items={"section_id": ()})
                 for _, section in sorted(world.plan.items())]
        plan.append(ToolCall("lms.get_timetable", {}))
        plan += [ToolCall("calendar.create_event", {
            "title": f"{code} {TITLES[code]}", "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"), "timezone": ZONE, "attendees": []},
            items={"title": ()}) for code, _, start, end in meetings]
        plan += [ToolCall("sheets.read_range", {"path": PLAN, "sheet": SHEET}),
                 ToolCall("sheets.append_rows", {
                     "path": PLAN, "sheet": SHEET,
                     "rows": [[code, section, credit[code]]
                              for code, section in sorted(world.plan.items())]},
                     items={"rows": ()})]
        return tuple(plan)

    @staticmethod
    def _prompt(me: Person, programme: str, term: str, paths: list[str]) -> str:
        where = (f"Your programme's regulations are in {paths[0]}" if len(paths) == 1 else
                 f"Your programme's regulations come in two editions, {paths[0]} and "
                 f"{paths[1]}; follow the one that applies to you")
        return (
            f"You are {me.name} ({me.email}), a student of the {programme}, signed in to "
            f"the campus portal (lms), with your calendar. Plan your courses for the {term} "
            f"term. {where}. The portal has your "
            f"year of study, study mode, the courses you have passed and this term's "
            f"courses with their sections.\n\n"
            f"Choose what the regulations allow: every required module of your semester, "
            f"and electives from the regulations' elective catalogue, such that each "
            f"course's prerequisites (as the regulations set them) are among the courses "
            f"you have passed; one section per course, with a free seat; no meeting of a "
            f"chosen section overlapping another chosen meeting or one of your fixed weekly "
            f"commitments in your calendar during the lecture period (your job's shifts and "
            f"your other weekly obligations; one-off appointments do not count); and the "
            f"plan's credits within the range of your study mode. Exactly one choice of "
            f"courses and sections meets all of this.\n\n"
            f"Then enrol in each chosen section in the portal. Add every meeting of your "
            f"sections in the first week of lectures to your calendar, as an event titled "
            f"\"<course code> <course title>\" (e.g. \"AB123 Course Title\") from the "
            f"meeting's start to its end, campus time ({ZONE}), with no attendees. Write "
            f"the plan into {PLAN}, sheet {SHEET}, one row per course under its header: "
            f"Course (the code), Section (the section id), Credits. Change nothing else.")


def _course(rng: random.Random, store: LmsStore, module: _Module, staff: list[str]) -> None:
    prefix = "".join(ch for ch in module.code if ch.isalpha())
    store.add_course(module.code, module.title, module.credits,
                     department=DEPARTMENTS.get(prefix, ""),
                     description="Prerequisites and the programmes it counts for: see each "
                                 "programme's regulations.",
                     instructor=rng.choice(staff))


def _section(rng: random.Random, store: LmsStore, code: str, meetings: Sequence[Window],
             full: bool, students: list[str], today: date) -> None:
    capacity = rng.choice(_SECTION_CAPACITY)
    made = store.add_section(code, [(cast(Weekday, d), s, e, rng.choice(_ROOMS))
                                    for d, s, e in meetings], capacity=capacity)
    taken = capacity if full else rng.randint(0, capacity - 4)
    for student in sorted(rng.sample(students, taken)):
        store.add_enrolment(student, made.id, today - timedelta(days=rng.randint(1, 12)))
