"""campus/course-admin: grade mailed submissions, send late notices, book office hours.

Description:
    The agent is a course's teaching assistant. Students mailed their answers to an
    assignment (one ``Q<n>: <answer>`` line per question). The campus portal (lms) holds
    the assignment: its due time (campus time), the rubric with the key of each question
    (full points for exactly the key, none otherwise), the late penalty per day or part of
    a day, extensions noted by the instructor, and the course page with the assistant's
    office hours. The instructor also grants (or refuses) extensions by mail. A
    resubmission replaces the earlier one and its arrival time counts. Mails arrive in UTC;
    the due time is campus-local. The agent enters each grade after the penalty in the
    assignment's column of the course's sheet in ``grades/gradebook.xlsx`` (the portal's
    automatic penalty ignores extensions, so the portal is left alone), mails each late
    student one notice (assignment, days late, penalty), and books each student who asked
    for office hours into the earliest 30-minute office-hours slot from tomorrow on that is
    free in the assistant's calendar and clashes with none of the student's classes (their
    timetable in the portal), requests served in the order they arrived.

Apps:
    lms, mail, sheets, calendar.

Criteria:
    - ``grade <student>``: the grade in the assignment's column; precision-aware over
      every filled cell of that column (a grade for a student who sent nothing, or full
      marks for everyone, cancels credit).
    - ``late notice <student>``: a mail with the assignment, the days late and the
      penalty; precision-aware over every mail sent.
    - ``office hours <student>``: an event with the student alone invited at the right
      slot; precision-aware over every new event.
    - guards: the portal unchanged (other courses' grades included), the other courses'
      sheets and every other cell of the course's sheet unchanged, mails and events kept,
      mail only to late students, bookings only for students who asked (one each),
      nothing else changed.

Difficulty:
    Knobs set the submissions, the questions, the extensions (by mail, in the portal, one
    missed at hard), resubmissions, office-hours requests and the traps (an extension
    refused, another course's extension, students saying they need no office hours).
    Reference calls: easy 15-17, medium 21-26, hard 30-37. ``richness`` adds everyday
    mails, students' questions and morning events in the calendar.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore
from workgym.apps.lms import DAYS, LmsStore, Student, final_grade, late_days, timetable
from workgym.apps.sheets import workbook_bytes
from workgym.content.distractors import everyday_mails, scaled, times_in
from workgym.content.lms import lms_store
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
    workbook_values,
)

BOOK = "grades/gradebook.xlsx"
ZONE = "Europe/Berlin"
SLOT = timedelta(minutes=30)
WINDOW_DAYS = 14
STAMP = "%Y-%m-%dT%H:%M"
_CENT = Decimal("0.01")
_KINDS = ("Problem set", "Exercise sheet", "Worksheet")
_ASKS = ("Could you also book me an office-hours slot? I would like to go over my answers.",
         "I would like to discuss question 2 in your office hours, if you can book me in.",
         "Please book me a slot in your office hours; I am unsure about my method.")
_OWN_ASKS = ("Could you book me a slot in your office hours? I am stuck on question 3.",
             "I would like to go over my answers in your office hours; please book me in.",
             "Is there an office-hours slot for me? I want to discuss my method.")
_NO_ASKS = ("No need for an office-hours slot this time, thanks.",
            "I will not need office hours this week.")
_BUSY = ("Seminar preparation", "Research group meeting", "Thesis supervision",
         "Reading group", "Department colloquium", "Lab meeting")


class Knobs(BaseModel, frozen=True):
    submitters: int
    """Students who mailed their work."""
    questions: int
    """Questions of the assignment (rubric criteria)."""
    extensions: int
    """Extensions granted (by mail, in the portal, alternately)."""
    late_after_extension: bool
    """One student with an extension is late even after it."""
    resubmissions: int
    """Students who mailed a second version."""
    requests: int
    """Students who asked for an office-hours slot."""
    traps: bool
    """A refused extension, another course's extension, students who need no slot."""


@dataclass
class Work:
    """One student's mailed work, as generated."""

    student: Student
    person: Person
    answers: list[str]
    arrival: datetime
    """Campus-local (naive) arrival of the version that counts."""
    earlier: list[tuple[datetime, list[str]]] = field(default_factory=list)
    extension: datetime | None = None
    ext_source: str = ""
    asked: datetime | None = None
    """Local time of the mail asking for office hours."""
    ask_in_submission: bool = False
    no_ask: bool = False
    days: int = 0
    penalty: int = 0
    grade: Decimal = Decimal(0)


@dataclass
class Course:
    now: datetime
    local_now: datetime
    lms: LmsStore
    code: str
    others: list[str]
    title: str
    assignment: str
    keys: list[str]
    points: list[int]
    pct: int
    due: datetime
    ta: Person
    instructor: tuple[str, str]
    works: list[Work]
    office_days: tuple[str, str]
    office_hours: tuple[int, int]
    busy: list[tuple[datetime, datetime, str, str]]
    bookings: list[tuple[Work, datetime]] = field(default_factory=list)

    @property
    def late(self) -> list[Work]:
        return [w for w in self.works if w.days > 0]

    @property
    def requesters(self) -> list[Work]:
        return sorted((w for w in self.works if w.asked is not None),
                      key=lambda w: (w.asked, w.student.id))


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def _exists(local: datetime) -> bool:
    return _utc(local).astimezone(ZoneInfo(ZONE)).replace(tzinfo=None) == local


@register_family
class CourseAdmin(TaskFamily[Knobs]):
    """Grade mailed submissions with late penalties, mail late notices, book office hours."""

    name = "campus/course-admin"
    version = 1
    apps = ("lms", "mail", "sheets", "calendar")
    levels = Levels(
        easy=Level(Knobs(submitters=4, questions=4, extensions=1, late_after_extension=False,
                         resubmissions=0, requests=1, traps=False), calls=15),
        medium=Level(Knobs(submitters=7, questions=5, extensions=2,
                           late_after_extension=False, resubmissions=1, requests=2,
                           traps=True), calls=21),
        hard=Level(Knobs(submitters=11, questions=6, extensions=3, late_after_extension=True,
                         resubmissions=2, requests=3, traps=True), calls=30),
    )

    def course(self, spec: TaskSpec) -> Course:
        """The course as generated: submissions, lateness, grades and bookings (before the
        assignment is added to the portal)."""
        k = self.knobs(spec)
        for attempt in range(200):
            course = _course(k, rng_for(spec, "core", attempt))
            if course is not None:
                return course
        raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no course in 200 attempts")

    def generate(self, spec: TaskSpec) -> Task:
        k, course = self.knobs(spec), self.course(spec)
        _finish_lms(course)
        rich = rng_for(spec, "distractors")
        box, read = _mailbox(course, k, rng_for(spec, "mail"), spec.richness, rich)
        mail, ids = box.build()
        book = _book(course)
        return Task(spec=spec, prompt=_prompt(course), apps=self.apps,
                    template=WorldTemplate(now=course.now, files={BOOK: book}, stores={
                        "lms": course.lms, "mail": mail,
                        "calendar": _calendar(course, spec.richness, rich)}),
                    criteria=_criteria(course, book),
                    reference=_reference(course, sorted(ids[key] for key in read)),
                    artifacts=(BOOK,))


# -- the world -------------------------------------------------------------------------------


def _course(k: Knobs, rng: random.Random) -> Course | None:
    day = date(2026, 2, 2) + timedelta(days=rng.randrange(0, 250))
    local_now = datetime.combine(day, time(rng.randrange(8, 11), rng.choice((0, 15, 30))))
    if day.weekday() >= 5 or not _exists(local_now):
        return None
    now = _utc(local_now)
    pct = rng.choice((10, 15, 20, 25))
    lms = lms_store(rng, now=now, courses=10, students=70, late_penalty_pct=pct,
                    timezone=ZONE)
    rosters = {c.code: sorted({e.student for e in lms.enrolments
                               if e.course == c.code and e.status == "enrolled"})
               for c in lms.courses}
    fit = [code for code, roster in rosters.items() if len(roster) >= k.submitters + 3]
    if not fit:
        return None
    code = rng.choice(sorted(fit))
    others = sorted(rng.sample(sorted(c for c, r in rosters.items()
                                      if c != code and len(r) >= 4), 2))
    ta = people(rng, 1, "campus.example")[0]
    found = lms.course(code)
    teacher = next((i for i in lms.instructors if found and i.id == found.instructor), None)
    if found is None or teacher is None:
        return None
    title = f"{rng.choice(_KINDS)} 3"
    due = datetime.combine(day - timedelta(days=rng.randint(5, 7)),
                           rng.choice((time(12, 0), time(18, 0), time(23, 59))))
    keys = [str(n) for n in rng.sample(range(12, 480), k.questions)]
    points = [rng.choice((2, 3, 4, 5)) for _ in keys]
    chosen = [lms.student(s) for s in rng.sample(rosters[code], k.submitters)]
    works: list[Work] = []
    for student in chosen:
        if student is None:
            return None
        first, _, last = student.name.partition(" ")
        works.append(Work(student, Person(first, last, student.email),
                          _answers(rng, keys), due))
    # who is late, who has an extension: drawn over the submitters in random order
    order = list(works)
    rng.shuffle(order)
    extended = order[:k.extensions]
    sources = [("mail", "lms")[n % 2] for n in range(k.extensions)]
    rng.shuffle(sources)  # the student late even after an extension may have either
    for n, work in enumerate(extended):
        work.extension = due + timedelta(days=rng.randint(2, 3))
        work.ext_source = sources[n]
        if k.late_after_extension and n == len(extended) - 1:
            work.arrival = work.extension + timedelta(minutes=rng.randrange(90, 1200))
        else:
            span = int((work.extension - due).total_seconds() // 60)
            work.arrival = due + timedelta(minutes=rng.randrange(90, span - 90))
    for n, work in enumerate(order[k.extensions:]):
        if n == 0 or (n > 1 and rng.random() < 0.35):
            late = rng.randint(1, 3)
            work.arrival = due + timedelta(minutes=rng.randrange((late - 1) * 1440 + 90,
                                                                 late * 1440 - 90))
        else:
            work.arrival = due - timedelta(minutes=rng.randrange(90, 72 * 60))
    for work in rng.sample(works, k.resubmissions):
        before = work.arrival - timedelta(minutes=rng.randrange(120, 30 * 60))
        work.earlier.append((before, _answers(rng, keys)))
    if any(w.arrival > local_now - timedelta(hours=1) or not _exists(w.arrival)
           or any(not _exists(t) for t, _ in w.earlier) for w in works):
        return None
    total = sum(points)
    for work in works:
        deadline = work.extension or due
        work.days = late_days(deadline.strftime(STAMP), work.arrival.strftime(STAMP))
        got = sum(p for p, a, key in zip(points, work.answers, keys, strict=True) if a == key)
        work.penalty, work.grade = final_grade(Decimal(got), work.days, pct)
    full = sum(1 for w in works if w.grade == total)
    if not 0 < len([w for w in works if w.days]) < len(works) or 3 * full > len(works):
        return None
    for work in rng.sample(works, k.requests):
        work.ask_in_submission = rng.random() < 0.5
        work.asked = work.arrival if work.ask_in_submission else \
            local_now - timedelta(minutes=rng.randrange(60, 4 * 1440))
    asked = [w.asked for w in works if w.asked is not None]
    if len(set(asked)) < len(asked) or not all(_exists(t) for t in asked):
        return None  # two requests at one minute would leave their order open
    if k.traps:
        for work in rng.sample([w for w in works if w.asked is None], 2):
            work.no_ask = True
    office_days = tuple(sorted(rng.sample(DAYS[:5], 2), key=DAYS.index))
    start = rng.choice((12, 13, 14))
    course = Course(now, local_now, lms, code, others, title, "", keys, points, pct, due, ta,
                    (teacher.name, teacher.email), works, (office_days[0], office_days[1]),
                    (start, start + 3),
                    _busy(rng, local_now, office_days, (start, start + 3),
                          [s for s in lms.students if s.id not in rosters[code]]))
    if not _book_slots(course):
        return None
    return course


def _answers(rng: random.Random, keys: list[str]) -> list[str]:
    return [key if rng.random() < 0.7 else str(int(key) + rng.choice((-9, -3, -1, 1, 2, 7)))
            for key in keys]


def _busy(rng: random.Random, local_now: datetime, office: tuple[str, ...],
          hours: tuple[int, int], others: list[Student]
          ) -> list[tuple[datetime, datetime, str, str]]:
    """The assistant's own events over the booking window: office-hours slots booked
    earlier by students of other courses (any slot alike), on office-hours days about
    every other afternoon a meeting somewhere in the hours, and other events anywhere in
    working hours. Each is (start, end, title, invited address or '')."""
    first = local_now.date() + timedelta(days=1)
    found = []
    for n in range(WINDOW_DAYS):
        day = first + timedelta(days=n)
        if day.weekday() >= 5 or DAYS[day.weekday()] not in office:
            continue
        for m in range(6):
            if rng.random() < 0.35:
                start = datetime.combine(day, time(hours[0])) + SLOT * m
                who = rng.choice(others)
                found.append((start, start + SLOT, f"Office hours: {who.name}", who.email))
        if rng.random() < 0.5:
            start = datetime.combine(day, time(hours[0])) + SLOT * rng.randrange(6)
            found.append((start, start + SLOT * rng.choice((1, 2, 3)), rng.choice(_BUSY), ""))
    for _ in range(rng.randint(8, 12)):
        day = first + timedelta(days=rng.randrange(WINDOW_DAYS))
        if day.weekday() >= 5:
            continue
        start = datetime.combine(day, time(9)) + SLOT * rng.randrange(16)
        found.append((start, start + SLOT * rng.choice((1, 2, 3)), rng.choice(_BUSY), ""))
    return sorted(found)


def slots(course: Course) -> list[datetime]:
    """Every office-hours slot (local start) of the booking window, in time order."""
    first = course.local_now.date() + timedelta(days=1)
    found = []
    for n in range(WINDOW_DAYS):
        day = first + timedelta(days=n)
        if day.weekday() >= 5 or DAYS[day.weekday()] not in course.office_days:
            continue
        start = datetime.combine(day, time(course.office_hours[0]))
        while start + SLOT <= datetime.combine(day, time(course.office_hours[1])):
            found.append(start)
            start += SLOT
    return found


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes)


def _book_slots(course: Course) -> bool:
    """Serve the requests in order: each at the earliest slot free for both."""
    taken: list[datetime] = []
    for work in course.requesters:
        classes = timetable(course.lms, work.student)
        for start in slots(course):
            end = start + SLOT
            if start in taken or any(s < end and start < e for s, e, *_ in course.busy):
                continue
            lo, hi = start.hour * 60 + start.minute, end.hour * 60 + end.minute
            if any(m["day"] == DAYS[start.weekday()] and _minutes(m["start"]) < hi
                   and lo < _minutes(m["end"]) for m in classes):
                continue
            taken.append(start)
            course.bookings.append((work, start))
            break
        else:
            return False
    return True


def _instructions(course: Course) -> str:
    text = (f"Answer each question on its own line as 'Q<n>: <answer>' and mail your answers "
            f"to the teaching assistant, {course.ta.name}. Each question earns its full points "
            f"when the answer is exactly the key in its rubric line, none otherwise. Late work "
            f"loses {course.pct}% of its points for each day or part of a day after the due "
            f"time (campus time), at most all of them; a student with an extension is late "
            f"only after the extended time, and the days count from it. A resubmission "
            f"replaces the earlier one: the last version received counts, timed by its "
            f"arrival.")
    noted = [w for w in course.works if w.ext_source == "lms"]
    if noted:
        text += " Extensions granted: " + "; ".join(
            f"{w.student.id} ({w.student.name}) until {w.extension:%Y-%m-%dT%H:%M}"
            for w in sorted(noted, key=lambda w: w.student.id) if w.extension) + "."
    return text


def _finish_lms(course: Course) -> None:
    made = course.lms.add_assignment(
        course.code, course.title, course.due,
        [(f"Question {n}", p) for n, p in enumerate(course.points, start=1)],
        descriptions=[f"Key: {key}." for key in course.keys],
        instructions=_instructions(course))
    course.assignment = made.id
    found = course.lms.course(course.code)
    if found is not None:
        days = f"{_DAY_NAMES[course.office_days[0]]}s and {_DAY_NAMES[course.office_days[1]]}s"
        found.description = (
            f"{found.description} Office hours of the teaching assistant, {course.ta.name} "
            f"({course.ta.email}): {days} {course.office_hours[0]}:00-"
            f"{course.office_hours[1]}:00 campus time, booked as 30-minute meetings in the "
            f"assistant's calendar.").strip()


_DAY_NAMES = {"Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
              "Fri": "Friday"}


def _body(course: Course, work: Work, answers: list[str], extra: str) -> str:
    lines = "\n".join(f"Q{n}: {a}" for n, a in enumerate(answers, start=1))
    text = f"here are my answers to {course.title} of {course.code}:\n\n{lines}"
    return letter(course.ta.first, f"{text}\n\n{extra}".strip(), work.person.first,
                  closing="Best,")


def _mailbox(course: Course, k: Knobs, rng: random.Random, richness: float,
             rich: random.Random) -> tuple[Mailbox, list[str]]:
    """The assistant's inbox; returns it and the keys of the mails the reference reads."""
    box, read = Mailbox(course.ta), []
    teacher = f"{course.instructor[0]} <{course.instructor[1]}>"
    for work in course.works:
        sid = work.student.id
        for n, (when, answers) in enumerate(work.earlier):
            read.append(box.receive(work.person, f"{course.title} ({course.code})",
                                    _body(course, work, answers, ""), _utc(when),
                                    key=f"early-{sid}-{n}"))
        extra = rng.choice(_ASKS) if work.ask_in_submission else \
            rng.choice(_NO_ASKS) if work.no_ask else ""
        subject = rng.choice((f"{course.title} ({course.code})",
                              f"{course.code}: my {course.title}",
                              f"Submission {course.title}"))
        if work.earlier:
            subject = f"Corrected: {course.title} ({course.code})"
        read.append(box.receive(work.person, subject, _body(course, work, work.answers, extra),
                                _utc(work.arrival), key=f"work-{sid}"))
        if work.asked is not None and not work.ask_in_submission:
            read.append(box.receive(work.person, "Office hours", letter(
                course.ta.first, f"{rng.choice(_OWN_ASKS)} It is about {course.title} in "
                f"{course.code}.", work.person.first), _utc(work.asked), key=f"ask-{sid}"))
        if work.ext_source == "mail" and work.extension is not None:
            read.append(box.receive(teacher, f"Extension for {work.student.name}", letter(
                course.ta.first, f"I have given {work.student.name} ({sid}) an extension on "
                f"{course.title} in {course.code}: until {work.extension:%Y-%m-%d %H:%M} campus "
                f"time.", course.instructor[0], closing="Best,"),
                _utc(course.due - timedelta(hours=rng.randrange(4, 40))), key=f"ext-{sid}"))
    start = course.due - timedelta(days=6)
    if k.traps:
        plain = [w for w in course.works if w.extension is None]
        asker = rng.choice(plain)
        box.receive(teacher, f"Re: extension request from {asker.student.name}", letter(
            course.ta.first, f"{asker.student.name} asked me for an extension on "
            f"{course.title}. I said no: the usual late penalty applies.",
            course.instructor[0], closing="Best,"),
            _utc(course.due - timedelta(hours=rng.randrange(2, 30))), key="refused")
        _other_extension(course, box, rng)
    _other_submissions(course, box, rng)
    for n in range(scaled(richness, 3)):
        work = rich.choice(course.works)
        when = times_in(rich, _utc(start), _utc(course.due), 1)[0]
        box.receive(work.person, f"Question about {course.title}", letter(
            course.ta.first, f"in question {rich.randint(1, len(course.keys))}, may we "
            f"round the result?", work.person.first), when, key=f"q-{n}")
    colleagues = people(rich, 3, "campus.example")
    everyday_mails(box, rich, scaled(richness, 6), course.ta, colleagues, _utc(start),
                   course.now - timedelta(hours=1))
    return box, read


def _other_extension(course: Course, box: Mailbox, rng: random.Random) -> None:
    """An extension on another course's assignment, for any student of that course."""
    code = rng.choice(course.others)
    work = next((a for a in course.lms.assignments if a.course == code), None)
    student = course.lms.student(rng.choice(sorted(
        {e.student for e in course.lms.enrolments if e.course == code})))
    teacher = next((i for i in course.lms.instructors
                    if (c := course.lms.course(code)) and i.id == c.instructor), None)
    if work is None or student is None or teacher is None:
        return
    until = datetime.fromisoformat(work.due) + timedelta(days=3)
    box.receive(f"{teacher.name} <{teacher.email}>", f"Extension for {student.name}", letter(
        course.ta.first, f"I have given {student.name} ({student.id}) an extension on "
        f"{work.title} in {code}: until {until:%Y-%m-%d %H:%M} campus time.", teacher.name,
        closing="Best,"), _utc(course.due - timedelta(hours=rng.randrange(2, 60))),
        key="other-ext")


def _other_submissions(course: Course, box: Mailbox, rng: random.Random) -> None:
    """Work for the assistant's other courses, from any of their students."""
    for n, code in enumerate(course.others):
        work = next((a for a in course.lms.assignments if a.course == code), None)
        if work is None:
            continue
        roster = sorted({e.student for e in course.lms.enrolments if e.course == code})
        for m, sid in enumerate(rng.sample(roster, 2)):
            student = course.lms.student(sid)
            if student is None:
                continue
            first, _, last = student.name.partition(" ")
            lines = "\n".join(f"Q{q}: {rng.randrange(10, 500)}"
                              for q in range(1, len(work.rubric) + 1))
            box.receive(Person(first, last, student.email), f"{work.title} ({code})", letter(
                course.ta.first, f"here are my answers to {work.title} of {code}:\n\n{lines}",
                first, closing="Best,"),
                _utc(course.due + timedelta(minutes=rng.randrange(-3 * 1440, 3 * 1440))),
                key=f"other-{n}-{m}")


def _book(course: Course) -> bytes:
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    lms = course.lms
    for code in sorted([course.code, *course.others]):
        ws = wb.create_sheet(code)
        works = sorted((a for a in lms.assignments if a.course == code),
                       key=lambda a: (a.due, a.id))
        ws.append(["Student ID", "Name", *(a.id for a in works)])
        graded = {(s.assignment, s.student): s.grade for s in lms.submissions
                  if s.status == "graded"}
        for sid in sorted({e.student for e in lms.enrolments
                           if e.course == code and e.status == "enrolled"}):
            student = lms.student(sid)
            ws.append([sid, student.name if student else "",
                       *(float(graded[(a.id, sid)]) if (a.id, sid) in graded else None
                         for a in works)])
    return workbook_bytes(wb)


def _calendar(course: Course, richness: float, rich: random.Random) -> CalendarStore:
    store = CalendarStore(owner=course.ta.email, people={
        course.ta.email: CalendarPerson(name=course.ta.name, timezone=ZONE)})
    events = list(course.busy)
    first = course.local_now.date() + timedelta(days=1)
    for _ in range(scaled(richness, 8)):
        # mornings only: office hours start at noon at the earliest, so these change nothing
        day = first + timedelta(days=rich.randrange(WINDOW_DAYS))
        start = datetime.combine(day, time(8)) + SLOT * rich.randrange(5)
        events.append((start, start + SLOT * rich.choice((1, 2)), rich.choice(_BUSY), ""))
    for start, end, title, who in sorted(events):
        store.add_event(title, _utc(start), _utc(end), ZONE, course.ta.email,
                        attendees=[Attendee(email=who, response="accepted")] if who else [])
    return store


def _prompt(c: Course) -> str:
    return (
        f"You are {c.ta.name} ({c.ta.email}), teaching assistant of {c.code} on the campus "
        f"portal (lms). It is now {c.local_now:%Y-%m-%d %H:%M} campus time ({ZONE}). "
        f"Students mailed you their answers to {c.title} of {c.code}.\n\n"
        f"1. Grade every submission received by mail against the assignment's rubric and "
        f"key in the portal, apply the late penalty the assignment states (mind extensions, "
        f"noted in the portal or granted by the instructor by mail; a mail's time is its "
        f"arrival) and enter each student's grade after the penalty (two decimals) in the "
        f"assignment's column of the {c.code} sheet of {BOOK}. Leave the cells of students "
        f"who sent nothing empty. The portal's automatic penalty ignores extensions, so do "
        f"not record or grade anything in the portal.\n"
        f"2. Mail each student whose work was late one notice whose body has these lines:\n"
        f"Assignment: <assignment id>\nDays late: <whole days late>\nPenalty: <per cent>%\n"
        f"3. Book each student who asked you for office hours into the earliest office-hours "
        f"slot (see the course page) from tomorrow on that is free in your calendar and "
        f"clashes with none of the student's classes (their timetable in the portal): one "
        f"30-minute event titled \"Office hours: <student name>\" with the student invited, "
        f"serving the requests in the order they arrived.\n\nChange nothing else.")


# -- grading ---------------------------------------------------------------------------------


def _grade_text(ctx: GradeContext, value: Any) -> str:
    try:
        number = ctx.number(value, "a grade")
    except GradeError:
        return f"unreadable {str(value)[:40]!r}"
    rounded = number.quantize(_CENT, ROUND_HALF_UP)
    return f"{rounded:.2f}" if abs(number - rounded) <= Decimal("0.001") else f"odd {number}"


def _criteria(course: Course, book: bytes) -> tuple[Criterion, ...]:
    aid, code = course.assignment, course.code
    cells = wc.xlsx_rows(BOOK, code, ["Student ID", aid])

    def grades(ctx: GradeContext) -> list[tuple[str, str]]:
        found = []
        for sid, value in cells(ctx):
            if value is None or not str(value).strip():
                continue
            found.append((str(sid).strip().upper(), _grade_text(ctx, value)))
        return found

    sent = wc.sent_mails()

    def notices(ctx: GradeContext) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        for mail in sent(ctx):
            values = {key: ctx.line_values(mail.body, key)
                      for key in ("Assignment", "Days late", "Penalty")}
            ok = all(len(v) == 1 for v in values.values())
            for who in mail.recipients:
                found.append((who, values["Assignment"][0].upper(), values["Days late"][0],
                              values["Penalty"][0].replace(" ", ""))
                             if ok else (who, "malformed", mail.id))
        return found

    def events(ctx: GradeContext) -> list[tuple[Any, ...]]:
        return [(tuple(sorted(a.email.lower() for a in e.attendees)), e.start, e.end)
                for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]

    asked = {w.person.email for w in course.requesters}

    def bookings_fit(ctx: GradeContext) -> tuple[bool, str]:
        invited = [who for people_, _, _ in events(ctx) for who in people_]
        stray = sorted({who for who in invited if who not in asked})
        twice = sorted({who for who in invited if invited.count(who) > 1})
        if stray or twice:
            return False, f"invited without asking: {stray[:4]}; booked twice: {twice[:4]}"
        return True, "only students who asked, once each"

    layout = _sheet_cells(book, code)
    column = next((c for (r, c), v in layout.items() if r == 1 and v == aid), 0)
    last = max(r for r, _ in layout)

    def outside(pos: tuple[int, int]) -> bool:
        return pos[1] != column or pos[0] == 1 or pos[0] > last

    kept = {pos: v for pos, v in layout.items() if outside(pos)}

    def sheet_kept(ctx: GradeContext) -> tuple[bool, str]:
        workbook = ctx.read_workbook(BOOK)
        if code not in workbook.sheetnames:
            return False, f"the sheet {code} is gone"
        now = {pos: v for pos, v in workbook.sheet(code).cells.items() if outside(pos)}
        if now != kept:
            return False, "cells outside the assignment's grades changed"
        return True, "only the assignment's column changed"

    due_grades = [(f"grade {w.student.id}", (w.student.id, f"{w.grade:.2f}"))
                  for w in sorted(course.works, key=lambda w: w.student.id)]
    due_notices: list[tuple[str, tuple[str, ...]]] = [(f"late notice {w.student.id}",
                    (w.person.email, aid, str(w.days), f"{w.penalty}%"))
                   for w in sorted(course.late, key=lambda w: w.student.id)]
    due_bookings = [(f"office hours {w.student.id}",
                     ((w.person.email,), _stamp(start), _stamp(start + SLOT)))
                    for w, start in course.bookings]
    return (
        *wc.item_credit(due_grades, wc.per_grade(grades), group="grade", weight=2.0),
        *wc.item_credit(due_notices, wc.per_grade(notices), group="late notice"),
        *wc.item_credit(due_bookings, wc.per_grade(events), group="office hours"),
        wc.unchanged("portal unchanged (every course's grades)", stores=["lms"]),
        wc.sheets_unchanged("other courses' sheets unchanged", BOOK, book, but=[code]),
        Criterion("only the assignment's grades changed in the course sheet", sheet_kept,
                  guard=True),
        wc.unchanged("mails and events kept", records=[("mail", "messages"),
                                                       ("calendar", "events")]),
        wc.only_recipients("notices only to late students", [w.person.email
                                                            for w in course.late]),
        Criterion("bookings only for students who asked, one each", bookings_fit, guard=True),
        wc.nothing_else_changed("nothing else changed", [BOOK],
                                changing=["mail", "calendar"]),
    )


def _sheet_cells(book: bytes, code: str) -> dict[tuple[int, int], Any]:
    return dict(workbook_values(book).sheet(code).cells)


def _stamp(local: datetime) -> str:
    return _utc(local).isoformat().replace("+00:00", "Z")


# -- the reference ---------------------------------------------------------------------------


def _reference(course: Course, mails: list[str]) -> tuple[ToolCall, ...]:
    code, aid = course.code, course.assignment
    calls = [ToolCall("lms.get_course", {"course_code": code}),
             ToolCall("lms.get_assignment", {"assignment_id": aid}),
             ToolCall("lms.list_students", {"limit": 100}),
             ToolCall("mail.search", {"folder": "inbox", "limit": 100})]
    calls += [ToolCall("mail.read", {"message_id": m}) for m in mails]
    calls.append(ToolCall("sheets.read_range", {"path": BOOK, "sheet": code}))
    layout = _sheet_cells(_book(course), code)
    column = next(c for (r, c), v in layout.items() if r == 1 and v == aid)
    rows = {v: r for (r, c), v in layout.items() if c == 1 and r > 1}
    letter_ = _column_letter(column)
    cells: dict[str, Any] = {f"{letter_}{rows[w.student.id]}": float(w.grade)
                             for w in sorted(course.works, key=lambda w: w.student.id)}
    calls.append(ToolCall("sheets.write_cells", {"path": BOOK, "sheet": code, "cells": cells},
                          items={"cells": ()}))
    for w in sorted(course.late, key=lambda w: w.student.id):
        lines = (f"Assignment: {aid}", f"Days late: {w.days}", f"Penalty: {w.penalty}%")
        calls.append(ToolCall("mail.send", {
            "to": [w.person.email], "subject": f"Late submission: {course.title}",
            "body": f"Hi {w.person.first},\n\nyour {course.title} arrived late.\n"
                    + "\n".join(lines) + f"\n\nBest,\n{course.ta.first}"},
            items={"body": lines}))
    first = course.local_now.date() + timedelta(days=1)
    calls.append(ToolCall("calendar.list_events", {
        "calendar": course.ta.email, "start": f"{first.isoformat()}T00:00",
        "end": f"{(first + timedelta(days=WINDOW_DAYS)).isoformat()}T00:00", "timezone": ZONE}))
    for work, start in course.bookings:
        calls.append(ToolCall("lms.get_timetable", {"student_id": work.student.id}))
        calls.append(ToolCall("calendar.create_event", {
            "title": f"Office hours: {work.student.name}", "start": start.strftime(STAMP),
            "end": (start + SLOT).strftime(STAMP), "timezone": ZONE,
            "attendees": [work.person.email]}, items={"start": (), "attendees": ()}))
    return tuple(calls)


def _column_letter(column: int) -> str:
    text = ""
    while column:
        column, rest = divmod(column - 1, 26)
        text = chr(ord("A") + rest) + text
    return text
