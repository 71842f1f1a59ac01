"""lms: a campus learning-management portal (courses with sections and timetables,
prerequisites and credits, enrolments, assignments with rubrics, submissions, grades).

One state, two surfaces: the ``lms`` app's tools (the API) and the campus website
(``https://campus.example/`` by default, the store's ``host``), which the browser app
opens. Both call the same rules below, so an enrolment made either way leaves the same
store.

Who is signed in decides what can be done. With ``account`` set to a student's id, the
portal is that student's: they enrol in and drop sections, submit assignments and see
their own submissions and grades. With ``account`` unset, it is the teaching staff's:
every student, roster and submission, recording submissions that arrived another way
(by mail, with the time they arrived), and grading.

Enrolment rules: one section per course; every prerequisite among the courses the
student has completed; no meeting of the new section overlapping a meeting of a section
the student is in (same day, overlapping times); the term's credits at most the
store's ``credit_limit``; a free seat in the section.

Grading: a submission is scored on every criterion of its assignment's rubric, in half
points from 0 to the criterion's maximum; the points are their sum. A submission is
late by whole days, any part of a day counting as one, after the due time; each late day
takes ``late_penalty_pct`` per cent of the points (at most all of them). The grade is
the points less the penalty, to two decimals (half up). A submission may be regraded;
a student may resubmit until theirs is graded.

Times are local to the campus (``timezone``), written ``2026-03-06T23:59``; "now" is the
world's frozen clock in that zone. Ids are assigned in sequence (``SB-0001``), listings
are sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import matches_terms, word_terms
from workgym.apps._web import (
    Alert,
    Button,
    Details,
    Form,
    Heading,
    Input,
    Invalid,
    Link,
    Node,
    Page,
    PortalSite,
    Redirect,
    Request,
    Section,
    Select,
    Table,
    Text,
    TextArea,
    action,
    page,
    paginate,
)
from workgym.core import App, GradeError, Store, ToolError, World, tool

__all__ = [
    "DAYS",
    "Assignment",
    "Course",
    "CourseSection",
    "Enrolment",
    "Instructor",
    "LmsApp",
    "LmsError",
    "LmsSite",
    "LmsStore",
    "Meeting",
    "RubricItem",
    "Student",
    "Submission",
    "final_grade",
    "late_days",
    "lms_of",
    "overlaps",
]

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
DAYS: tuple[str, ...] = get_args(Weekday)
SectionKind = Literal["lecture", "seminar", "lab"]

MAX_RESULTS = 100
MAX_TEXT = 20_000
"""Longest submission text."""
MAX_FEEDBACK = 5_000
MAX_SUBMISSIONS = 10_000
MAX_ENROLMENTS = 10_000
MAX_POINTS = 1_000
_CENT = Decimal("0.01")
_HALF = Decimal("0.5")

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Points = Annotated[str, Field(min_length=1, max_length=16)]


def clock(text: str) -> int:
    """Minutes after midnight of ``HH:MM``."""
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes)


def overlaps(one: Meeting, other: Meeting) -> bool:
    """Whether two weekly meetings overlap in time."""
    return one.day == other.day and clock(one.start) < clock(other.end) \
        and clock(other.start) < clock(one.end)


def late_days(due: str, submitted: str) -> int:
    """Whole days (any part counting as one) from ``due`` to ``submitted``; 0 if on time."""
    late = datetime.fromisoformat(submitted) - datetime.fromisoformat(due)
    if late <= timedelta(0):
        return 0
    return -(-late // timedelta(days=1))


def final_grade(points: Decimal, late: int, penalty_pct: int) -> tuple[int, Decimal]:
    """(penalty in per cent, grade) of ``points`` submitted ``late`` days late."""
    penalty = min(100, late * penalty_pct)
    return penalty, (points * (100 - penalty) / 100).quantize(_CENT, ROUND_HALF_UP)


def _num(value: Decimal) -> str:
    """A points value as text: ``Decimal("8.0")`` -> ``"8"``, ``"7.5"`` stays."""
    text = f"{value.quantize(_CENT):f}".rstrip("0").rstrip(".")
    return text or "0"


# -- the store ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Student(_Model):
    """A student."""

    id: str
    """``S-1001`` upwards."""
    name: str
    email: str
    program: str = ""
    year: int = Field(default=1, ge=1, le=10)
    completed: list[str] = Field(default_factory=list)
    """Codes of the courses passed in earlier terms."""


class Instructor(_Model):
    """A member of the teaching staff."""

    id: str
    """``I-01`` upwards."""
    name: str
    email: str


class Meeting(_Model):
    """A weekly class meeting."""

    day: Weekday
    start: str
    """``HH:MM``."""
    end: str
    room: str = ""


class CourseSection(_Model):
    """One section of a course: its own timetable and seats."""

    id: str
    """The course code and a letter, e.g. ``CS101-A``."""
    kind: SectionKind = "lecture"
    meetings: list[Meeting]
    capacity: int = Field(default=30, ge=0, le=1_000)
    instructor: str = ""


class Course(_Model):
    """A course of this term."""

    code: str
    """E.g. ``CS101``."""
    title: str
    credits: int = Field(ge=0, le=60)
    department: str = ""
    description: str = ""
    prerequisites: list[str] = Field(default_factory=list)
    instructor: str = ""
    sections: list[CourseSection] = Field(default_factory=list)


class Enrolment(_Model):
    """A student in a section."""

    student: str
    course: str
    section: str
    status: Literal["enrolled", "dropped"] = "enrolled"
    date: str


class RubricItem(_Model):
    """One criterion of an assignment's rubric."""

    id: str
    """``R1`` upwards."""
    title: str
    points: int = Field(ge=1, le=MAX_POINTS)
    description: str = ""


class Assignment(_Model):
    """An assignment of a course, graded on a rubric."""

    id: str
    """``AS-001`` upwards."""
    course: str
    title: str
    due: str
    """Local time, ``2026-03-06T23:59``."""
    instructions: str = ""
    rubric: list[RubricItem]

    @property
    def points(self) -> int:
        return sum(item.points for item in self.rubric)


class Submission(_Model):
    """A student's work for an assignment, and its grade once graded."""

    id: str
    """``SB-0001`` upwards."""
    assignment: str
    student: str
    submitted_at: str
    """Local time, ``2026-03-06T21:14``."""
    text: str = ""
    late_days: int = Field(default=0, ge=0)
    status: Literal["submitted", "graded"] = "submitted"
    scores: dict[str, str] = Field(default_factory=dict)
    """Rubric criterion id -> points given."""
    points: str = ""
    penalty_pct: int = Field(default=0, ge=0, le=100)
    grade: str = ""
    feedback: str = ""
    graded_at: str = ""


class LmsStore(Store):
    """The campus portal's whole state."""

    host: str = "campus.example"
    """Host name of the portal's website."""
    name: str = "Campus Portal"
    term: str = "Spring 2026"
    timezone: str = "Europe/Berlin"
    """The campus's zone: every time in the store is local to it."""
    account: str | None = None
    """The signed-in student's id; None for the teaching staff."""
    credit_limit: int = Field(default=30, ge=0, le=200)
    late_penalty_pct: int = Field(default=10, ge=0, le=100)
    """Per cent of the points each day late takes."""
    students: list[Student] = Field(default_factory=list)
    instructors: list[Instructor] = Field(default_factory=list)
    courses: list[Course] = Field(default_factory=list)
    enrolments: list[Enrolment] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    submissions: list[Submission] = Field(default_factory=list)

    # lookups ------------------------------------------------------------------------

    def student(self, student_id: str) -> Student | None:
        return next((s for s in self.students if s.id == student_id), None)

    def course(self, code: str) -> Course | None:
        return next((c for c in self.courses if c.code == code), None)

    def section(self, section_id: str) -> tuple[Course, CourseSection] | None:
        for course in self.courses:
            for section in course.sections:
                if section.id == section_id:
                    return course, section
        return None

    def assignment(self, assignment_id: str) -> Assignment | None:
        return next((a for a in self.assignments if a.id == assignment_id), None)

    def submission(self, submission_id: str) -> Submission | None:
        return next((s for s in self.submissions if s.id == submission_id), None)

    def enrolled(self, student_id: str) -> list[Enrolment]:
        """A student's current enrolments."""
        return [e for e in self.enrolments if e.student == student_id and e.status == "enrolled"]

    def roster(self, section_id: str) -> list[Enrolment]:
        """The current enrolments of a section."""
        return [e for e in self.enrolments if e.section == section_id and e.status == "enrolled"]

    # builders for families ----------------------------------------------------------------

    def add_student(self, name: str, email: str, *, program: str = "", year: int = 1,
                    completed: Sequence[str] = ()) -> Student:
        """Add a student, with the next id ``S-1001``..."""
        made = Student(id=f"S-{1001 + len(self.students)}", name=name, email=email,
                       program=program, year=year, completed=list(completed))
        self.students.append(made)
        return made

    def add_instructor(self, name: str, email: str) -> Instructor:
        """Add a member of staff, with the next id ``I-01``..."""
        made = Instructor(id=f"I-{len(self.instructors) + 1:02d}", name=name, email=email)
        self.instructors.append(made)
        return made

    def add_course(self, code: str, title: str, credits: int, *, department: str = "",
                   description: str = "", prerequisites: Sequence[str] = (),
                   instructor: str = "") -> Course:
        """Add a course without sections (``add_section`` adds them).

        Raises:
            ValueError: a code taken.
        """
        if self.course(code) is not None:
            raise ValueError(f"course {code!r} exists")
        made = Course(code=code, title=title, credits=credits, department=department,
                      description=description, prerequisites=list(prerequisites),
                      instructor=instructor)
        self.courses.append(made)
        return made

    def add_section(self, code: str, meetings: Sequence[tuple[Weekday, str, str, str]], *,
                    kind: SectionKind = "lecture", capacity: int = 30,
                    instructor: str = "") -> CourseSection:
        """Add a section to a course (``CS101-A``, ``-B``...): ``meetings`` are (day,
        start, end, room).

        Raises:
            ValueError: an unknown course, or a meeting that ends before it starts.
        """
        course = self.course(code)
        if course is None:
            raise ValueError(f"no course {code!r}")
        for _, start, end, _room in meetings:
            if clock(end) <= clock(start):
                raise ValueError(f"a meeting from {start} to {end} ends before it starts")
        made = CourseSection(id=f"{code}-{chr(ord('A') + len(course.sections))}", kind=kind,
                             meetings=[Meeting(day=d, start=s, end=e, room=r)
                                       for d, s, e, r in meetings],
                             capacity=capacity, instructor=instructor or course.instructor)
        course.sections.append(made)
        return made

    def add_enrolment(self, student: str, section: str, on: date) -> Enrolment:
        """Put a student in a section as it stands (no rule checked).

        Raises:
            ValueError: an unknown student or section.
        """
        found = self.section(section)
        if found is None or self.student(student) is None:
            raise ValueError(f"no student {student!r} or section {section!r}")
        made = Enrolment(student=student, course=found[0].code, section=section,
                         date=on.isoformat())
        self.enrolments.append(made)
        return made

    def add_assignment(self, course: str, title: str, due: datetime,
                       rubric: Sequence[tuple[str, int]], *, instructions: str = "",
                       descriptions: Sequence[str] = ()) -> Assignment:
        """Add an assignment (``AS-001``...) due at a local time, with a rubric of
        (criterion, points) (criteria ``R1``, ``R2``...).

        Raises:
            ValueError: an unknown course or an empty rubric.
        """
        if self.course(course) is None:
            raise ValueError(f"no course {course!r}")
        if not rubric:
            raise ValueError("an assignment needs a rubric")
        texts = [*descriptions, *([""] * (len(rubric) - len(descriptions)))]
        made = Assignment(id=f"AS-{len(self.assignments) + 1:03d}", course=course, title=title,
                          due=due.strftime("%Y-%m-%dT%H:%M"), instructions=instructions,
                          rubric=[RubricItem(id=f"R{n}", title=t, points=p, description=d)
                                  for n, ((t, p), d) in enumerate(zip(rubric, texts,
                                                                      strict=False), start=1)])
        self.assignments.append(made)
        return made

    def add_submission(self, assignment: str, student: str, submitted_at: datetime,
                       text: str = "") -> Submission:
        """Add a submission received at a local time (late days counted).

        Raises:
            ValueError: an unknown assignment or student.
        """
        work = self.assignment(assignment)
        if work is None or self.student(student) is None:
            raise ValueError(f"no assignment {assignment!r} or student {student!r}")
        when = submitted_at.strftime("%Y-%m-%dT%H:%M")
        made = Submission(id=f"SB-{len(self.submissions) + 1:04d}", assignment=assignment,
                          student=student, submitted_at=when, text=text,
                          late_days=late_days(work.due, when))
        self.submissions.append(made)
        return made


def lms_of(world: World) -> LmsStore:
    """The world's campus portal, for graders.

    Raises:
        GradeError: the world has no LMS store.
    """
    store = world.stores.get("lms")
    if not isinstance(store, LmsStore):
        raise GradeError("the world has no campus portal")
    return store


# -- the rules both surfaces share --------------------------------------------------------


class LmsError(Exception):
    """A request the portal refuses; ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _zone(store: LmsStore) -> ZoneInfo:
    try:
        return ZoneInfo(store.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise LmsError(f"the campus time zone {store.timezone!r} is unknown") from None


def local_now(store: LmsStore, now: datetime) -> str:
    """The world's clock on the campus, ``2026-03-06T09:00``."""
    return now.astimezone(_zone(store)).strftime("%Y-%m-%dT%H:%M")


def _staff(store: LmsStore, what: str) -> None:
    if store.account is not None:
        raise LmsError(f"{what} is for the teaching staff; you are signed in as student "
                       f"{store.account}")


def _may_see(store: LmsStore, student_id: str) -> bool:
    return store.account is None or store.account == student_id


def student_for(store: LmsStore, student_id: str) -> Student:
    """A student the account may see (a student sees only themself).

    Raises:
        LmsError: an unknown or hidden student.
    """
    found = store.student(student_id.strip())
    if found is None or not _may_see(store, found.id):
        hint = f"; you are {store.account}" if store.account else " (list_students lists them)"
        raise LmsError(f"no student {student_id!r}{hint}", "student")
    return found


def _subject(store: LmsStore, student_id: str | None) -> Student:
    """Whom an action is for: the signed-in student, or (for staff) the one named."""
    if store.account is not None:
        if student_id and student_id.strip() != store.account:
            raise LmsError(f"you act for yourself ({store.account}); leave the student out",
                           "student")
        return student_for(store, store.account)
    if not student_id:
        raise LmsError("staff act for a student: give the student's id", "student")
    return student_for(store, student_id)


def course_for(store: LmsStore, code: str) -> Course:
    """The course ``code`` (any case).

    Raises:
        LmsError: an unknown course.
    """
    found = store.course(code.strip().upper())
    if found is None:
        raise LmsError(f"no course {code!r}; list_courses lists them (codes like 'CS101')",
                       "course")
    return found


def section_for(store: LmsStore, section_id: str) -> tuple[Course, CourseSection]:
    """The section ``section_id`` (any case) and its course.

    Raises:
        LmsError: an unknown section.
    """
    found = store.section(section_id.strip().upper())
    if found is None:
        raise LmsError(f"no section {section_id!r}; get_course lists a course's sections "
                       "(ids like 'CS101-A')", "section")
    return found


def assignment_for(store: LmsStore, assignment_id: str) -> Assignment:
    """The assignment ``assignment_id``.

    Raises:
        LmsError: an unknown assignment.
    """
    found = store.assignment(assignment_id.strip().upper())
    if found is None:
        raise LmsError(f"no assignment {assignment_id!r}; list_assignments lists a course's "
                       "assignments (ids like 'AS-001')", "assignment")
    return found


def submission_for(store: LmsStore, submission_id: str) -> Submission:
    """A submission the account may see.

    Raises:
        LmsError: an unknown or someone else's submission.
    """
    found = store.submission(submission_id.strip().upper())
    if found is None or not _may_see(store, found.student):
        raise LmsError(f"no submission {submission_id!r}; list_submissions lists them (ids "
                       "like 'SB-0001')")
    return found


def credits_of(store: LmsStore, student: Student) -> int:
    """The credits of the courses a student is enrolled in this term."""
    codes = {e.course for e in store.enrolled(student.id)}
    return sum(c.credits for c in store.courses if c.code in codes)


def enrol(store: LmsStore, today: date, section_id: str, student_id: str | None = None
          ) -> Enrolment:
    """Enrol the signed-in student (or, for staff, the named one) in a section.

    Raises:
        LmsError: an unknown section, a course already taken this term, a missing
            prerequisite, a timetable clash, too many credits, or a full section.
    """
    student = _subject(store, student_id)
    course, section = section_for(store, section_id)
    current = store.enrolled(student.id)
    same = next((e for e in current if e.course == course.code), None)
    if same is not None:
        raise LmsError(f"{student.id} is in {same.section} of {course.code} already; drop it "
                       "first to change sections", "section")
    if course.code in student.completed:
        raise LmsError(f"{student.id} has completed {course.code} already", "section")
    missing = [p for p in course.prerequisites if p not in student.completed]
    if missing:
        raise LmsError(f"{course.code} needs {', '.join(missing)} first (prerequisites not "
                       f"completed by {student.id})", "section")
    for enrolment in current:
        found = store.section(enrolment.section)
        if found is None:
            continue
        for mine in found[1].meetings:
            for new in section.meetings:
                if overlaps(mine, new):
                    raise LmsError(f"{section.id} meets {new.day} {new.start}-{new.end}, "
                                   f"which clashes with {found[1].id} ({mine.day} "
                                   f"{mine.start}-{mine.end})", "section")
    total = credits_of(store, student) + course.credits
    if total > store.credit_limit:
        raise LmsError(f"{course.code} adds {course.credits} credits to "
                       f"{credits_of(store, student)}: {total}, more than the limit of "
                       f"{store.credit_limit} a term", "section")
    if len(store.roster(section.id)) >= section.capacity:
        raise LmsError(f"{section.id} is full ({section.capacity} seats)", "section")
    if len(store.enrolments) >= MAX_ENROLMENTS:
        raise LmsError(f"the portal holds {MAX_ENROLMENTS} enrolments, the most it can")
    made = Enrolment(student=student.id, course=course.code, section=section.id,
                     date=today.isoformat())
    store.enrolments.append(made)
    return made


def drop(store: LmsStore, today: date, course_code: str, student_id: str | None = None
         ) -> Enrolment:
    """Drop the signed-in student (or, for staff, the named one) from a course.

    Raises:
        LmsError: an unknown course, or one the student is not enrolled in.
    """
    student = _subject(store, student_id)
    course = course_for(store, course_code)
    found = next((e for e in store.enrolled(student.id) if e.course == course.code), None)
    if found is None:
        raise LmsError(f"{student.id} is not enrolled in {course.code}", "course")
    found.status, found.date = "dropped", today.isoformat()
    return found


def parse_time(store: LmsStore, text: str, field: str = "submitted_at") -> str:
    """A time as typed, as the campus's local ``2026-03-06T21:14``: without an offset it
    is local already; with one (``...+01:00``, ``...Z``) it is converted.

    Raises:
        LmsError: not such a time.
    """
    cleaned = text.strip().replace(" ", "T")
    try:
        if not 16 <= len(cleaned) <= 32:
            raise ValueError(cleaned)
        when = datetime.fromisoformat(cleaned)
    except ValueError:
        raise LmsError(f"give the time as 2026-03-06T21:14 (campus time) or with an offset "
                       f"(got {text!r})", field) from None
    if not 2000 <= when.year <= 2100:
        raise LmsError("the time must lie between 2000 and 2100", field)
    if when.tzinfo is not None:
        when = when.astimezone(_zone(store)).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M")


def submit(store: LmsStore, now: datetime, assignment_id: str, text: str,
           student_id: str | None = None, submitted_at: str | None = None) -> Submission:
    """Submit work for an assignment: a student their own, now (a resubmission replaces
    the earlier one until it is graded); staff record a student's work that arrived
    another way, at the time it arrived (default now).

    Raises:
        LmsError: an unknown assignment, a student not enrolled in its course, a graded
            submission, a time in the future, a time given by a student, or text too long.
    """
    student = _subject(store, student_id)
    work = assignment_for(store, assignment_id)
    here = local_now(store, now)
    if submitted_at and store.account is not None:
        raise LmsError("your submission is timed by the portal; leave submitted_at out",
                       "submitted_at")
    when = parse_time(store, submitted_at) if submitted_at else here
    if when > here:
        raise LmsError(f"{when} is in the future (it is {here} on campus)", "submitted_at")
    if not any(e.course == work.course for e in store.enrolled(student.id)):
        raise LmsError(f"{student.id} is not enrolled in {work.course}", "student")
    body = text.strip()
    if not body:
        raise LmsError("the submission is empty", "text")
    if len(body) > MAX_TEXT:
        raise LmsError(f"the submission is longer than {MAX_TEXT} characters", "text")
    existing = next((s for s in store.submissions
                     if s.assignment == work.id and s.student == student.id), None)
    if existing is not None:
        if existing.status == "graded":
            raise LmsError(f"{existing.id} is graded already; ask the instructor to reopen it")
        existing.text, existing.submitted_at = body, when
        existing.late_days = late_days(work.due, when)
        return existing
    if len(store.submissions) >= MAX_SUBMISSIONS:
        raise LmsError(f"the portal holds {MAX_SUBMISSIONS} submissions, the most it can")
    made = Submission(id=f"SB-{len(store.submissions) + 1:04d}", assignment=work.id,
                      student=student.id, submitted_at=when, text=body,
                      late_days=late_days(work.due, when))
    store.submissions.append(made)
    return made


def parse_points(text: str, field: str, most: int) -> Decimal:
    """Points as typed, in halves from 0 to ``most``.

    Raises:
        LmsError: not such a number.
    """
    cleaned = text.strip().replace(",", ".")
    whole, dot, part = cleaned.partition(".")
    if (not whole.isascii() or not whole.isdigit() or len(whole) > 4
            or (dot and (not part.isascii() or not part.isdigit() or len(part) > 2))):
        raise LmsError(f"give points as a number such as 7.5 (got {text!r})", field)
    value = Decimal(cleaned)
    if value > most or value % _HALF:
        raise LmsError(f"points go from 0 to {most} in halves; got {text!r}", field)
    return value


def grade(store: LmsStore, now: datetime, submission_id: str, scores: dict[str, str],
          feedback: str = "") -> Submission:
    """Staff: grade a submission on its assignment's rubric (every criterion), with any
    late penalty; a graded submission is regraded.

    Raises:
        LmsError: a student account, an unknown submission, a criterion missing or not
            in the rubric, points out of range, or feedback too long.
    """
    _staff(store, "grading")
    found = submission_for(store, submission_id)
    work = assignment_for(store, found.assignment)
    rubric = {item.id: item for item in work.rubric}
    unknown = sorted(set(scores) - set(rubric))
    if unknown:
        raise LmsError(f"{work.id}'s rubric has no criterion {', '.join(unknown)}; its "
                       f"criteria: {', '.join(rubric)}")
    missing = [key for key in rubric if key not in scores]
    if missing:
        raise LmsError(f"score every criterion of {work.id}'s rubric; missing: "
                       f"{', '.join(missing)}", f"score_{missing[0]}")
    given = {key: parse_points(scores[key], f"score_{key}", rubric[key].points)
             for key in rubric}
    remark = feedback.strip()
    if len(remark) > MAX_FEEDBACK:
        raise LmsError(f"the feedback is longer than {MAX_FEEDBACK} characters", "feedback")
    points = sum(given.values(), Decimal(0))
    penalty, result = final_grade(points, found.late_days, store.late_penalty_pct)
    found.scores = {key: _num(value) for key, value in given.items()}
    found.points, found.penalty_pct, found.grade = _num(points), penalty, f"{result:.2f}"
    found.feedback, found.status = remark, "graded"
    found.graded_at = local_now(store, now)
    return found


# listings -----------------------------------------------------------------------------


def find_courses(store: LmsStore, query: str = "", department: str | None = None
                 ) -> list[Course]:
    """Courses whose code, title, department or description hold every word of
    ``query``, by code.

    Raises:
        LmsError: a query too long or without words.
    """
    try:
        wanted = word_terms(query)
    except ToolError as exc:
        raise LmsError(str(exc), "q") from None
    found = [c for c in store.courses
             if (department is None or c.department.casefold() == department.casefold())
             and (not wanted or matches_terms(f"{c.code} {c.title} {c.department} "
                                              f"{c.description}", wanted))]
    return sorted(found, key=lambda c: c.code)


def find_students(store: LmsStore, query: str = "") -> list[Student]:
    """Staff: students whose id, name, e-mail or program hold every word of ``query``,
    by id.

    Raises:
        LmsError: a student account, or a query too long or without words.
    """
    _staff(store, "the student list")
    try:
        wanted = word_terms(query)
    except ToolError as exc:
        raise LmsError(str(exc), "q") from None
    return [s for s in store.students
            if not wanted or matches_terms(f"{s.id} {s.name} {s.email} {s.program}", wanted)]


def visible_submissions(store: LmsStore, assignment: str | None = None,
                        status: str | None = None, student: str | None = None
                        ) -> list[Submission]:
    """Submissions the account may see, by id."""
    return [s for s in store.submissions if _may_see(store, s.student)
            and (assignment is None or s.assignment == assignment)
            and (status is None or s.status == status)
            and (student is None or s.student == student)]


def timetable(store: LmsStore, student: Student) -> list[dict[str, str]]:
    """A student's weekly meetings, by day and start time."""
    rows = []
    for enrolment in store.enrolled(student.id):
        found = store.section(enrolment.section)
        if found is None:
            continue
        course, section = found
        rows += [{"day": m.day, "start": m.start, "end": m.end, "course": course.code,
                  "title": course.title, "section": section.id, "kind": section.kind,
                  "room": m.room} for m in section.meetings]
    return sorted(rows, key=lambda r: (DAYS.index(r["day"]), r["start"], r["course"]))


def gradebook(store: LmsStore, course: Course) -> dict[str, Any]:
    """A course's grades: per enrolled student (a student: only themself) the grade of
    each assignment (null until graded) and their sum against the points possible."""
    works = sorted((a for a in store.assignments if a.course == course.code),
                   key=lambda a: (a.due, a.id))
    by_key = {(s.assignment, s.student): s for s in store.submissions}
    students = sorted({e.student for e in store.enrolments
                       if e.course == course.code and e.status == "enrolled"
                       and _may_see(store, e.student)})
    rows = []
    possible = sum(a.points for a in works)
    for student in students:
        grades = {}
        earned = Decimal(0)
        for work in works:
            made = by_key.get((work.id, student))
            value = made.grade if made is not None and made.status == "graded" else None
            grades[work.id] = value
            earned += Decimal(value) if value else 0
        rows.append({"student": student, "grades": grades, "total": f"{earned:.2f}",
                     "percent": f"{(earned * 100 / possible).quantize(_CENT, ROUND_HALF_UP)}"
                     if possible else None})
    return {"course": course.code, "assignments": [{"id": a.id, "title": a.title,
                                                   "points": a.points} for a in works],
            "possible": possible, "students": rows}


# -- views (the same data for the tools and the pages) ----------------------------------------


def course_summary(course: Course) -> dict[str, Any]:
    return {"code": course.code, "title": course.title, "credits": course.credits,
            "department": course.department, "prerequisites": list(course.prerequisites),
            "instructor": course.instructor, "sections": [s.id for s in course.sections]}


def section_view(store: LmsStore, section: CourseSection) -> dict[str, Any]:
    taken = len(store.roster(section.id))
    return {"id": section.id, "kind": section.kind, "instructor": section.instructor,
            "meetings": [m.model_dump() for m in section.meetings],
            "capacity": section.capacity, "enrolled": taken,
            "seats_left": max(0, section.capacity - taken)}


def course_view(store: LmsStore, course: Course) -> dict[str, Any]:
    view = course_summary(course)
    view.update(description=course.description,
                sections=[section_view(store, s) for s in course.sections],
                assignments=[a.id for a in store.assignments if a.course == course.code])
    if store.account is not None:
        me = store.student(store.account)
        mine = next((e.section for e in store.enrolled(store.account)
                     if e.course == course.code), None)
        view.update(enrolled_section=mine, prerequisites_missing=[
            p for p in course.prerequisites if me is None or p not in me.completed])
    return view


def student_view(store: LmsStore, student: Student) -> dict[str, Any]:
    return {"id": student.id, "name": student.name, "email": student.email,
            "program": student.program, "year": student.year,
            "completed": list(student.completed),
            "enrolled": [{"course": e.course, "section": e.section}
                         for e in sorted(store.enrolled(student.id), key=lambda e: e.course)],
            "credits": credits_of(store, student), "credit_limit": store.credit_limit}


def assignment_view(store: LmsStore, work: Assignment, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {"id": work.id, "course": work.course, "title": work.title,
                            "due": work.due, "points": work.points}
    if full:
        view.update(instructions=work.instructions,
                    rubric=[item.model_dump() for item in work.rubric],
                    late_penalty_pct=store.late_penalty_pct, timezone=store.timezone)
    if store.account is not None:
        mine = next((s for s in store.submissions
                     if s.assignment == work.id and s.student == store.account), None)
        view["my_submission"] = mine.id if mine else None
    return view


def submission_view(submission: Submission, full: bool = True) -> dict[str, Any]:
    view = submission.model_dump()
    if not full:
        view.pop("text")
        view.pop("scores")
        view.pop("feedback")
    return view


T = TypeVar("T")


def _paged(found: Sequence[T], view: Callable[[T], dict[str, Any]], limit: int,
           offset: int) -> dict[str, Any]:
    """One page of ``found``, each shown through ``view`` (only the page's rows are)."""
    return {"total": len(found), "offset": offset,
            "results": [view(item) for item in found[offset:offset + limit]]}


# -- the API -----------------------------------------------------------------------------------


class LmsApp(App):
    """The campus portal: courses, sections and timetables, enrolments, assignments with
    rubrics, submissions and grades. Times are campus-local (``2026-03-06T23:59``)."""

    name = "lms"

    @property
    def store(self) -> LmsStore:
        """The world's portal; an empty one (not added to the world) when it has none, so
        that a read leaves the world as it was (every write needs a record, so fails)."""
        store = self.world.existing_store("lms", LmsStore)
        return LmsStore() if store is None else store

    @property
    def _today(self) -> date:
        return self.world.now.date()

    def _run(self, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return rule(*args, **kwargs)
        except LmsError as exc:
            raise ToolError(str(exc)) from None

    @tool(read_only=True, concurrent=False)
    def list_courses(self, query: Annotated[str, Field(max_length=500)] = "",
                     department: Annotated[str, Field(max_length=100)] | None = None,
                     limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """This term's courses, by code. Every word of the query must occur as a word of the
        course's code, title, department or description.

        Returns ``{"term", "total", "offset", "results": [{code, title, credits, department,
        prerequisites, instructor, sections}]}``.

        Args:
            query: words to look for, e.g. "statistics"; empty lists every course.
            department: only this department, e.g. "Mathematics".
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        found = self._run(find_courses, store, query, department)
        return {"term": store.term, **_paged(found, course_summary, limit, offset)}

    @tool(read_only=True, concurrent=False)
    def get_course(self, course_code: Id) -> dict[str, Any]:
        """One course: credits, prerequisites, description, its sections (kind, weekly
        meetings with day, start, end and room, capacity, seats left) and assignment ids.
        For a student also the section they are in and the prerequisites they lack.

        Args:
            course_code: the course's code, e.g. "CS101".
        """
        store = self.store
        return course_view(store, self._run(course_for, store, course_code))

    @tool(read_only=True, concurrent=False)
    def list_students(self, query: Annotated[str, Field(max_length=500)] = "",
                      limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Staff: students whose id, name, e-mail or program hold every word of the query,
        by id.

        Returns ``{"total", "offset", "results": [{id, name, email, program, year,
        completed, enrolled, credits, credit_limit}]}``.

        Args:
            query: words to look for; empty lists everyone.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        found = self._run(find_students, store, query)
        return _paged(found, lambda s: student_view(store, s), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_student(self, student_id: Id | None = None) -> dict[str, Any]:
        """A student: program, year, the courses completed, this term's sections, credits
        and the credit limit (a student reads their own; the default).

        Args:
            student_id: the student's id, e.g. "S-1004".
        """
        store = self.store
        return student_view(store, self._run(_subject, store, student_id))

    @tool(read_only=True, concurrent=False)
    def get_timetable(self, student_id: Id | None = None) -> dict[str, Any]:
        """A student's weekly timetable: ``{"student", "meetings": [{day, start, end,
        course, title, section, kind, room}]}`` by day and time.

        Args:
            student_id: the student's id (a student reads their own; the default).
        """
        store = self.store
        student = self._run(_subject, store, student_id)
        return {"student": student.id, "meetings": timetable(store, student)}

    @tool(destructive=False)
    def enrol(self, section_id: Id, student_id: Id | None = None) -> dict[str, Any]:
        """Enrol in a section of a course, if the prerequisites are completed, no meeting
        clashes with the timetable, the term's credits stay within the limit and a seat is
        free. Returns the student with their sections and credits.

        Args:
            section_id: the section's id, e.g. "CS101-A".
            student_id: staff only: whom to enrol (a student enrols themself).
        """
        store = self.store
        made = self._run(enrol, store, self._today, section_id, student_id)
        return student_view(store, self._run(student_for, store, made.student))

    @tool
    def drop(self, course_code: Id, student_id: Id | None = None) -> dict[str, Any]:
        """Drop a course (its section frees a seat). Returns the student with their sections
        and credits.

        Args:
            course_code: the course's code, e.g. "CS101".
            student_id: staff only: whom to drop (a student drops themself).
        """
        store = self.store
        made = self._run(drop, store, self._today, course_code, student_id)
        return student_view(store, self._run(student_for, store, made.student))

    @tool(read_only=True, concurrent=False)
    def list_enrolments(self, course_code: Id | None = None, section_id: Id | None = None,
                        student_id: Id | None = None, limit: Limit = 100,
                        offset: Offset = 0) -> dict[str, Any]:
        """Current enrolments you may see (a student: their own; staff: any roster), by
        section then student.

        Returns ``{"total", "offset", "results": [{student, course, section, status,
        date}]}``.

        Args:
            course_code: only this course's.
            section_id: only this section's.
            student_id: only this student's.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        course = self._run(course_for, store, course_code).code if course_code else None
        section = self._run(section_for, store, section_id)[1].id if section_id else None
        student = self._run(student_for, store, student_id).id if student_id else None
        found = sorted((e for e in store.enrolments if e.status == "enrolled"
                        and _may_see(store, e.student)
                        and (course is None or e.course == course)
                        and (section is None or e.section == section)
                        and (student is None or e.student == student)),
                       key=lambda e: (e.section, e.student))
        return _paged(found, lambda e: e.model_dump(), limit, offset)

    @tool(read_only=True, concurrent=False)
    def list_assignments(self, course_code: Id) -> dict[str, Any]:
        """A course's assignments by due time: ``{"course", "assignments": [{id, course,
        title, due, points}]}`` (a student also sees ``my_submission``).

        Args:
            course_code: the course's code, e.g. "CS101".
        """
        store = self.store
        course = self._run(course_for, store, course_code)
        works = sorted((a for a in store.assignments if a.course == course.code),
                       key=lambda a: (a.due, a.id))
        return {"course": course.code,
                "assignments": [assignment_view(store, a, full=False) for a in works]}

    @tool(read_only=True, concurrent=False)
    def get_assignment(self, assignment_id: Id) -> dict[str, Any]:
        """One assignment: due time (campus-local), instructions, the rubric (criteria with
        id, title, points, description), total points and the late penalty per day.

        Args:
            assignment_id: the assignment's id, e.g. "AS-003".
        """
        store = self.store
        return assignment_view(store, self._run(assignment_for, store, assignment_id))

    @tool(read_only=True, concurrent=False)
    def list_submissions(self, assignment_id: Id | None = None,
                         status: Literal["submitted", "graded"] | None = None,
                         student_id: Id | None = None, limit: Limit = 20,
                         offset: Offset = 0) -> dict[str, Any]:
        """Submissions you may see (a student: their own), by id, without their text (see
        get_submission).

        Returns ``{"total", "offset", "results": [{id, assignment, student, submitted_at,
        late_days, status, points, penalty_pct, grade, graded_at}]}``.

        Args:
            assignment_id: only this assignment's.
            status: only submitted (not yet graded) or graded ones.
            student_id: only this student's.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        work = self._run(assignment_for, store, assignment_id).id if assignment_id else None
        student = self._run(student_for, store, student_id).id if student_id else None
        found = visible_submissions(store, work, status, student)
        return _paged(found, lambda s: submission_view(s, full=False), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_submission(self, submission_id: Id) -> dict[str, Any]:
        """One submission with its text, the days it was late, and once graded the score per
        rubric criterion, points, late penalty, grade and feedback.

        Args:
            submission_id: the submission's id, e.g. "SB-0007".
        """
        return submission_view(self._run(submission_for, self.store, submission_id))

    @tool(destructive=False)
    def submit_assignment(self, assignment_id: Id,
                          text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)],
                          student_id: Id | None = None,
                          submitted_at: Annotated[str, Field(max_length=32)] | None = None
                          ) -> dict[str, Any]:
        """Submit work for an assignment. A student submits their own, now (again, to
        replace it, until it is graded). Staff record a student's work that arrived another
        way (e.g. by mail) at the time it arrived. Returns the submission with the days it
        is late.

        Args:
            assignment_id: the assignment's id, e.g. "AS-003".
            text: the work, or where it is (e.g. the attachment's name and a summary).
            student_id: staff only: whose work.
            submitted_at: staff only: when it arrived, campus time "2026-03-06T21:14" or
                with an offset (default now).
        """
        return submission_view(self._run(submit, self.store, self.world.now, assignment_id,
                                         text, student_id, submitted_at))

    @tool
    def grade_submission(self, submission_id: Id,
                         scores: Annotated[dict[Annotated[str, Field(max_length=16)], Points],
                                           Field(min_length=1, max_length=50)],
                         feedback: Annotated[str, Field(max_length=MAX_FEEDBACK)] = ""
                         ) -> dict[str, Any]:
        """Staff: grade a submission on every criterion of its rubric (half points allowed).
        The late penalty is applied to the points. Grading again replaces the grade.
        Returns the submission with points, penalty and grade.

        Args:
            scores: points per rubric criterion id, e.g. {"R1": "8", "R2": "4.5"}.
            submission_id: the submission's id, e.g. "SB-0007".
            feedback: comments for the student.
        """
        return submission_view(self._run(grade, self.store, self.world.now, submission_id,
                                         dict(scores), feedback))

    @tool(read_only=True, concurrent=False)
    def get_gradebook(self, course_code: Id) -> dict[str, Any]:
        """A course's gradebook: the assignments with their points, and per enrolled student
        (a student: only themself) the grade of each (null until graded), the total and the
        percentage of the points possible.

        Args:
            course_code: the course's code, e.g. "CS101".
        """
        store = self.store
        return gradebook(store, self._run(course_for, store, course_code))


# -- the website ---------------------------------------------------------------------------------


class LmsSite(PortalSite[LmsStore]):
    """The campus portal's website over the same store (see the module docstring)."""

    store_name = "lms"
    store_type = LmsStore
    lookup_error = LmsError

    def nav(self) -> Sequence[Link]:
        links = [Link("Courses", "/courses")]
        if self.store.account is None:
            links.append(Link("Students", "/students"))
        else:
            links += [Link("Timetable", "/timetable"),
                      Link("My grades", f"/students/{_q(self.store.account)}")]
        return links

    @page("/")
    def home(self, request: Request) -> Page:
        store = self.store
        me = store.student(store.account) if store.account else None
        return Page(store.name, [
            Heading(store.name),
            Text(f"{store.term}. " + (f"Signed in as {me.name} ({me.id}), "
                                      f"{credits_of(store, me)} of {store.credit_limit} "
                                      "credits." if me else "Signed in as teaching staff.")),
            Form("search", [Input("q", "Search courses", "search"), Button("Search")],
                 label="Search courses", method="get", action="/courses")])

    @page("/courses")
    def courses(self, request: Request) -> Page:
        store = self.store
        try:
            found, problem = find_courses(store, request.arg("q")), ""
        except LmsError as exc:
            found, problem = [], str(exc)
        rows, pager = paginate(found, request)
        body: list[Node] = [
            Heading(f"Courses · {store.term}"),
            Form("search", [Input("q", "Search courses", "search", request.arg("q")),
                            Button("Search")], label="Search courses", method="get")]
        if problem:
            body.append(Alert(problem, "error"))
        body.append(Table("Courses", ["Code", "Title", "Credits", "Department",
                                      "Prerequisites"], [
            [Link(c.code, f"/courses/{_q(c.code)}"), c.title, str(c.credits), c.department,
             ", ".join(c.prerequisites) or "—"] for c in rows]))
        return Page("Courses", [*body, *pager])

    @page("/courses/{code}")
    def course(self, request: Request, code: str) -> Page:
        store = self.store
        item = self._find(course_for, store, code)
        view = course_view(store, item)
        student = store.account is not None
        rows: list[list[str | Link | Input | Select | Button]] = []
        for section in view["sections"]:
            times = "; ".join(f"{m['day']} {m['start']}-{m['end']} {m['room']}".strip()
                              for m in section["meetings"])
            cell: str | Button = ""
            if student:
                cell = "enrolled" if view["enrolled_section"] == section["id"] else \
                    Button(f"Enrol in {section['id']}", "section", section["id"])
            else:
                cell = f"{section['enrolled']} enrolled"
            rows.append([section["id"], section["kind"], times,
                         f"{section['seats_left']} of {section['capacity']}", cell])
        body: list[Node] = [
            Heading(f"{item.code} {item.title}"),
            Details([("Credits", str(item.credits)), ("Department", item.department),
                     ("Prerequisites", ", ".join(item.prerequisites) or "none"),
                     ("Instructor", item.instructor)], "Course details")]
        if item.description:
            body.append(Text(item.description))
        if student and view["prerequisites_missing"]:
            body.append(Alert(f"You have not completed {', '.join(view['prerequisites_missing'])}.",
                              "error"))
        body.append(Form("enrol", [Table("Sections", ["Section", "Kind", "Meets", "Seats left",
                                                      "Enrolment"], rows)],
                         label="Sections"))
        if student and view["enrolled_section"]:
            body.append(Form("drop", [Button(f"Drop {item.code}")], label="Drop the course"))
        works = sorted((a for a in store.assignments if a.course == item.code),
                       key=lambda a: (a.due, a.id))
        body.append(Table("Assignments", ["Assignment", "Title", "Due", "Points"], [
            [Link(a.id, f"/assignments/{_q(a.id)}"), a.title, a.due, str(a.points)]
            for a in works]))
        if not student:
            body.append(Link("Gradebook", f"/courses/{_q(item.code)}/gradebook"))
        return Page(f"{item.code} {item.title}", body)

    @action("/courses/{code}")
    def course_post(self, request: Request, code: str) -> Redirect | Invalid:
        store = self.store
        item = self._find(course_for, store, code)
        try:
            if request.form.get("_form") == "drop":
                drop(store, self._today, item.code)
                notice = f"You dropped {item.code}."
            else:
                made = enrol(store, self._today, request.form.get("section", ""))
                notice = f"You are enrolled in {made.section}."
        except LmsError as exc:
            message = str(exc)  # the section is a button, not a field: say it over the form
            return Invalid({}, message[0].upper() + message[1:] + ".")
        return Redirect(f"/courses/{_q(item.code)}", notice)

    @page("/courses/{code}/gradebook")
    def course_gradebook(self, request: Request, code: str) -> Page:
        store = self.store
        item = self._find(course_for, store, code)
        book = gradebook(store, item)
        columns = ["Student", *(a["id"] for a in book["assignments"]), "Total", "Percent"]
        return Page(f"Gradebook {item.code}", [
            Heading(f"Gradebook {item.code}"),
            Text(f"{book['possible']} points possible."),
            Table("Gradebook", columns, [
                [row["student"], *(row["grades"][a["id"]] or "—" for a in book["assignments"]),
                 row["total"], row["percent"] or "—"] for row in book["students"]])])

    @page("/timetable")
    def timetable_page(self, request: Request) -> Page:
        store = self.store
        try:
            student = _subject(store, request.arg("student") or None)
        except LmsError as exc:
            return Page("Timetable", [Heading("Timetable"), Alert(str(exc), "error"),
                                      Form("who", [Input("student", "Student id"),
                                                   Button("Show")], label="Whose timetable",
                                           method="get")], status=400)
        return Page("Timetable", [
            Heading(f"Timetable of {student.name}"),
            Table("Week", ["Day", "Start", "End", "Course", "Section", "Room"], [
                [m["day"], m["start"], m["end"], Link(m["course"], f"/courses/{m['course']}"),
                 m["section"], m["room"]] for m in timetable(store, student)])])

    @page("/students")
    def students(self, request: Request) -> Page:
        store = self.store
        try:
            found, problem = find_students(store, request.arg("q")), ""
        except LmsError as exc:
            found, problem = [], str(exc)
        if store.account is not None:
            return Page("Staff only", [Heading("Staff only"), Text(problem), Link("Home", "/")],
                        status=403)
        rows, pager = paginate(found, request)
        body: list[Node] = [
            Heading("Students"),
            Form("search", [Input("q", "Search students", "search", request.arg("q")),
                            Button("Search")], label="Search students", method="get")]
        if problem:
            body.append(Alert(problem, "error"))
        body.append(Table("Students", ["Student", "Name", "Program", "Year", "Credits"], [
            [Link(s.id, f"/students/{_q(s.id)}"), s.name, s.program, str(s.year),
             str(credits_of(store, s))] for s in rows]))
        return Page("Students", [*body, *pager])

    @page("/students/{student_id}")
    def student(self, request: Request, student_id: str) -> Page:
        store = self.store
        person = self._find(student_for, store, student_id)
        view = student_view(store, person)
        graded = visible_submissions(store, student=person.id)
        return Page(person.name, [
            Heading(person.name),
            Details([("Student", person.id), ("E-mail", person.email),
                     ("Program", person.program), ("Year", str(person.year)),
                     ("Completed", ", ".join(person.completed) or "—"),
                     ("Credits", f"{view['credits']} of {view['credit_limit']}")],
                    "Student details"),
            Table("Enrolled", ["Course", "Section"], [
                [Link(e["course"], f"/courses/{_q(e['course'])}"), e["section"]]
                for e in view["enrolled"]]),
            Link("Timetable", f"/timetable?student={_q(person.id)}"
                 if store.account is None else "/timetable"),
            Table("Submissions", ["Submission", "Assignment", "Submitted", "Late days",
                                  "Status", "Grade"], [
                [Link(s.id, f"/submissions/{_q(s.id)}"), s.assignment, s.submitted_at,
                 str(s.late_days), s.status, s.grade or "—"] for s in graded])])

    @page("/assignments/{assignment_id}")
    def assignment(self, request: Request, assignment_id: str) -> Page:
        store = self.store
        work = self._find(assignment_for, store, assignment_id)
        body: list[Node] = [
            Heading(f"{work.course}: {work.title}"),
            Details([("Assignment", work.id), ("Course", Link(work.course,
                                                              f"/courses/{_q(work.course)}")),
                     ("Due", f"{work.due} ({store.timezone})"), ("Points", str(work.points)),
                     ("Late penalty", f"{store.late_penalty_pct}% per day late")],
                    "Assignment details"),
            Table("Rubric", ["Criterion", "Title", "Points", "Description"], [
                [r.id, r.title, str(r.points), r.description] for r in work.rubric])]
        if work.instructions:
            body.append(Section("Instructions", [Text(work.instructions)]))
        if store.account is not None:
            mine = next((s for s in store.submissions
                         if s.assignment == work.id and s.student == store.account), None)
            if mine is not None:
                body.append(Link(f"Your submission {mine.id} ({mine.status})",
                                 f"/submissions/{_q(mine.id)}"))
            if mine is None or mine.status != "graded":
                body.append(Form("submit", [TextArea("text", "Your work"),
                                            Button("Submit")], label="Submit your work"))
        else:
            found = visible_submissions(store, work.id)
            body.append(Table("Submissions", ["Submission", "Student", "Submitted",
                                              "Late days", "Status", "Grade"], [
                [Link(s.id, f"/submissions/{_q(s.id)}"), s.student, s.submitted_at,
                 str(s.late_days), s.status, s.grade or "—"] for s in found]))
            roster = sorted({e.student for e in store.enrolments
                             if e.course == work.course and e.status == "enrolled"})
            body.append(Form("record", [
                Select("student", "Student", [(s, s) for s in roster]),
                Input("submitted_at", "Received at (campus time)",
                      value=local_now(store, self.world.now)),
                TextArea("text", "Work received"), Button("Record submission")],
                label="Record a submission received by mail"))
        return Page(f"{work.id} {work.title}", body)

    @action("/assignments/{assignment_id}")
    def assignment_post(self, request: Request, assignment_id: str) -> Redirect | Invalid:
        store = self.store
        work = self._find(assignment_for, store, assignment_id)
        form = request.form
        try:
            if store.account is None:
                made = submit(store, self.world.now, work.id, form.get("text", ""),
                              form.get("student", ""), form.get("submitted_at", "") or None)
            else:
                made = submit(store, self.world.now, work.id, form.get("text", ""))
        except LmsError as exc:
            return _invalid(exc, request)
        late = f", {made.late_days} day{'s' if made.late_days != 1 else ''} late" \
            if made.late_days else ""
        return Redirect(f"/submissions/{_q(made.id)}", f"Submission {made.id} received{late}.")

    @page("/submissions/{submission_id}")
    def submission(self, request: Request, submission_id: str) -> Page:
        store = self.store
        item = self._find(submission_for, store, submission_id)
        work = store.assignment(item.assignment)
        items: list[tuple[str, str | Link]] = [
            ("Submission", item.id),
            ("Assignment", Link(item.assignment, f"/assignments/{_q(item.assignment)}")),
            ("Student", item.student), ("Submitted", item.submitted_at),
            ("Late days", str(item.late_days)), ("Status", item.status)]
        if item.status == "graded":
            items += [("Points", item.points), ("Late penalty", f"{item.penalty_pct}%"),
                      ("Grade", item.grade), ("Feedback", item.feedback or "—")]
        body: list[Node] = [Heading(f"Submission {item.id}"), Details(items, "Submission"),
                            Section("Work", [Text(par) for par in item.text.split("\n\n")
                                             if par.strip()] or [Text("—")])]
        if work is not None and item.scores:
            body.append(Table("Scores", ["Criterion", "Title", "Points", "Of"], [
                [r.id, r.title, item.scores.get(r.id, "—"), str(r.points)] for r in work.rubric]))
        if work is not None and store.account is None:
            body.append(Form("grade", [
                *(Input(f"score_{r.id}", f"Points for {r.id}: {r.title} (of {r.points})",
                        "text", item.scores.get(r.id, "")) for r in work.rubric),
                TextArea("feedback", "Feedback", item.feedback),
                Button("Save grade")], label="Grade"))
        return Page(f"Submission {item.id}", body)

    @action("/submissions/{submission_id}")
    def submission_post(self, request: Request, submission_id: str) -> Redirect | Invalid:
        store = self.store
        item = self._find(submission_for, store, submission_id)
        scores = {key[len("score_"):]: value for key, value in request.form.items()
                  if key.startswith("score_") and value.strip()}
        try:
            grade(store, self.world.now, item.id, scores, request.form.get("feedback", ""))
        except LmsError as exc:
            return _invalid(exc, request)
        return Redirect(f"/submissions/{_q(item.id)}",
                        f"Submission {item.id} graded: {item.grade} points.")


def _q(text: str) -> str:
    """``text`` as one URL path segment or query value."""
    return quote(text, safe="")


def _invalid(exc: LmsError, request: Request) -> Invalid:
    """A refusal shown at the field it is about when the form has that field, else over
    the whole form."""
    message = str(exc)
    if exc.field and exc.field in request.form:
        return Invalid({exc.field: message})
    return Invalid({}, message[0].upper() + message[1:] + ".")

