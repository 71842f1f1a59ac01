"""Campus content: a catalogue of courses with prerequisite chains, sections on a weekly
timetable, instructors, students with their completed courses and enrolments, and
assignments with rubrics and submissions, drawn deterministically for the ``lms`` portal.

:func:`lms_store` builds a whole campus from one random stream; families then add the
student, assignment or submissions their task is about with the ``LmsStore`` builders.
Sections of one course at different times, courses one prerequisite away and graded
submissions of other students make the distractors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from workgym.apps.lms import DAYS, LmsError, LmsStore, Weekday, enrol, grade, local_now
from workgym.content.people import people

__all__ = ["CATALOGUE", "CRITERIA", "SLOTS", "CourseLine", "lms_store"]


@dataclass(frozen=True)
class CourseLine:
    """A course of the catalogue."""

    code: str
    title: str
    credits: int
    department: str
    prerequisites: tuple[str, ...] = ()
    description: str = ""


def _c(code: str, title: str, credits: int, department: str, *prerequisites: str,
       description: str = "") -> CourseLine:
    return CourseLine(code, title, credits, department, prerequisites, description)


CATALOGUE: tuple[CourseLine, ...] = (
    _c("CS101", "Introduction to Programming", 6, "Computer Science",
       description="Variables, control flow, functions and testing in Python."),
    _c("CS102", "Data Structures", 6, "Computer Science", "CS101",
       description="Lists, trees, hash tables and their costs."),
    _c("CS201", "Algorithms", 6, "Computer Science", "CS102", "MATH101"),
    _c("CS210", "Databases", 5, "Computer Science", "CS102",
       description="Relational modelling, SQL and transactions."),
    _c("CS220", "Operating Systems", 6, "Computer Science", "CS102"),
    _c("CS301", "Machine Learning", 6, "Computer Science", "CS201", "STAT201"),
    _c("MATH101", "Calculus I", 6, "Mathematics"),
    _c("MATH102", "Linear Algebra", 5, "Mathematics"),
    _c("MATH201", "Calculus II", 6, "Mathematics", "MATH101"),
    _c("STAT101", "Introduction to Statistics", 4, "Statistics"),
    _c("STAT201", "Probability", 5, "Statistics", "MATH101"),
    _c("STAT210", "Regression Models", 5, "Statistics", "STAT101", "MATH102"),
    _c("ECON101", "Microeconomics", 5, "Economics"),
    _c("ECON102", "Macroeconomics", 5, "Economics", "ECON101"),
    _c("ECON201", "Econometrics", 6, "Economics", "ECON101", "STAT101"),
    _c("WRIT100", "Academic Writing", 3, "Humanities",
       description="Structuring arguments, citing sources, revising drafts."),
    _c("PHIL110", "Ethics of Technology", 3, "Humanities"),
    _c("PHYS101", "Mechanics", 6, "Physics", "MATH101"),
)
"""The courses a campus offers (a term offers some of them)."""
SLOTS: tuple[tuple[str, str], ...] = (("08:15", "09:45"), ("10:00", "11:30"),
                                      ("12:15", "13:45"), ("14:00", "15:30"),
                                      ("15:45", "17:15"))
"""The timetable's slots (start, end)."""
CRITERIA: tuple[tuple[str, str], ...] = (
    ("Correctness", "The results are right and the method fits the question."),
    ("Analysis", "The reasoning is explained and the choices are justified."),
    ("Clarity", "The text and figures are easy to follow."),
    ("Code quality", "Readable, tested code."),
    ("References", "Sources are cited and used well."),
    ("Presentation", "Structure, spelling and layout."),
)
"""Rubric criteria (title, description) assignments draw from."""
_ROOMS = ("A-101", "A-204", "B-012", "B-118", "C-220", "Lab 3", "Lab 5", "Hall 1")
_PROGRAMS = ("BSc Computer Science", "BSc Economics", "BSc Mathematics", "BSc Data Science")
_TASKS = ("Problem set", "Lab report", "Essay", "Project milestone", "Case study")


def lms_store(rng: random.Random, *, now: datetime, courses: int = 12, students: int = 30,
              instructors: int = 6, assignments: int = 2, account: str | None = None,
              credit_limit: int = 30, late_penalty_pct: int = 10,
              name: str = "Campus Portal", host: str = "campus.example",
              term: str = "Spring 2026", timezone: str = "Europe/Berlin") -> LmsStore:
    """A whole campus: ``courses`` of the catalogue (a prerequisite may be a course not
    offered this term, taken earlier) in one to three sections of one or two weekly
    meetings; ``instructors``; ``students`` (``S-1001``...) who have
    completed some introductory courses and are enrolled within the rules (no clash,
    within the credit limit, seats permitting); ``assignments`` per course, some past due
    with submissions (a few late), the older ones graded. ``account`` is who is signed
    in (a student id, or None for the teaching staff).

    Raises:
        ValueError: counts the content cannot fill.
    """
    if not 1 <= courses <= len(CATALOGUE) or students < 0 or instructors < 1:
        raise ValueError(f"courses must be between 1 and {len(CATALOGUE)}, instructors >= 1")
    store = LmsStore(name=name, host=host, term=term, timezone=timezone, account=None,
                     credit_limit=credit_limit, late_penalty_pct=late_penalty_pct)
    for person in people(rng, instructors, domain="faculty.example"):
        store.add_instructor(f"Dr {person.name}", person.email)
    offered = sorted(rng.sample(CATALOGUE, courses), key=lambda c: c.code)
    staff = [i.id for i in store.instructors]
    for line in offered:
        store.add_course(line.code, line.title, line.credits, department=line.department,
                         description=line.description, prerequisites=line.prerequisites,
                         instructor=rng.choice(staff))
        for n in range(rng.choice((1, 1, 2, 3))):
            meetings: list[tuple[Weekday, str, str, str]] = []
            for day in sorted(rng.sample(DAYS[:5], rng.choice((1, 2))), key=DAYS.index):
                start, end = rng.choice(SLOTS)
                meetings.append((cast(Weekday, day), start, end, rng.choice(_ROOMS)))
            store.add_section(line.code, meetings, kind="lab" if n == 2 else "lecture",
                              capacity=rng.choice((12, 20, 25, 40)))
    today = now.date()
    intro = [c.code for c in CATALOGUE if not c.prerequisites]
    for person in people(rng, students, domain="students.example"):
        year = rng.randint(1, 3)
        done = rng.sample(intro, min(len(intro), (year - 1) * 2 + rng.randint(0, 1)))
        done += [c.code for c in CATALOGUE if c.prerequisites and year > 1
                 and all(p in done for p in c.prerequisites) and rng.random() < 0.4]
        student = store.add_student(person.name, person.email, program=rng.choice(_PROGRAMS),
                                    year=year, completed=sorted(set(done)))
        _enrol(rng, store, student.id, today)
    for course in store.courses:
        for n in range(assignments):
            _assignment(rng, store, course.code, now, n)
    store.account = account
    return store


def _enrol(rng: random.Random, store: LmsStore, student: str, today: date) -> None:
    """Enrol a student in a few sections the rules allow."""
    sections = [s.id for c in store.courses for s in c.sections]
    rng.shuffle(sections)
    wanted = rng.randint(2, 5)
    for section in sections:
        if len(store.enrolled(student)) >= wanted:
            break
        try:
            enrol(store, today, section, student)
        except LmsError:
            continue  # a clash, a missing prerequisite, the credit limit: as in real life


def _assignment(rng: random.Random, store: LmsStore, code: str, now: datetime, n: int) -> None:
    local = datetime.fromisoformat(local_now(store, now))
    due = datetime.combine(local.date() + timedelta(days=rng.randrange(-20, 21)), time(23, 59))
    picked = rng.sample(CRITERIA, rng.randint(2, 4))
    work = store.add_assignment(code, f"{rng.choice(_TASKS)} {n + 1}", due,
                                [(title, rng.choice((5, 10, 10, 15, 20))) for title, _ in picked],
                                descriptions=[text for _, text in picked],
                                instructions="Submit one PDF through the portal.")
    if due >= local:
        return
    roster = sorted({e.student for e in store.enrolments
                     if e.course == code and e.status == "enrolled"})
    for student in roster:
        if rng.random() < 0.1:
            continue  # never handed in
        late = rng.random() < 0.2
        at = due + (timedelta(hours=rng.randrange(1, 80)) if late
                    else -timedelta(hours=rng.randrange(1, 72)))
        made = store.add_submission(work.id, student, min(at, local),
                                    text=f"{work.title} for {code}: see the attached PDF.")
        if (local - due).days > 7:
            scores = {item.id: str(rng.randint(item.points // 2, item.points))
                      for item in work.rubric}
            grade(store, now, made.id, scores, rng.choice(("Good work.", "See comments.", "")))
