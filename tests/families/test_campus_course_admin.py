"""campus/course-admin: the contract, then the family's own wrong-answer tests."""

from datetime import timedelta
from decimal import Decimal

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    failed_criteria,
    grade_plan,
    make_task,
)

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.lms import final_grade, late_days
from workgym.core import Task, TaskSpec, ToolCall, run_plan
from workgym.families.campus.course_admin import (
    BOOK,
    SLOT,
    STAMP,
    ZONE,
    Course,
    CourseAdmin,
    slots,
)

FAMILY = "campus/course-admin-v1"


def _course(task: Task) -> Course:
    return CourseAdmin().course(task.spec)


def _write(task: Task) -> ToolCall:
    return next(c for c in task.reference if c.name == "sheets.write_cells")


def _assignment(task: Task) -> str:
    return str(next(c.args["assignment_id"] for c in task.reference
                    if c.name == "lms.get_assignment"))


def _notice(task: Task, email: str, days: int, penalty: int) -> ToolCall:
    return ToolCall("mail.send", {"to": [email], "subject": "Late", "body": (
        f"Assignment: {_assignment(task)}\nDays late: {days}\nPenalty: {penalty}%")})


@pytest.mark.slow
def test_campus_course_admin_meets_the_contract() -> None:
    assert_meets_contract(CourseAdmin())


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_reference_solves_every_level(difficulty: str) -> None:
    for seed, richness in ((0, 0.0), (1, 1.0)):
        assert_reference_solves(make_task(FAMILY, seed, difficulty, richness))
    assert len(make_task(FAMILY, 2, "hard").reference) >= 30


def test_full_marks_for_everyone_earns_nothing() -> None:
    task = make_task(FAMILY, 3, "hard")
    course = _course(task)
    full = float(sum(course.points))
    write = _write(task)
    cells = {ref: full for ref in write.args["cells"]}
    grade = grade_plan(task, [ToolCall("sheets.write_cells", {**write.args, "cells": cells})])
    assert grade.score == 0.0
    assert not any(c.passed for c in grade.criteria if c.name.startswith("grade "))


def test_half_the_grades_earn_partial_credit() -> None:
    task = make_task(FAMILY, 4, "hard")
    write = _write(task)
    kept = dict(list(write.args["cells"].items())[::2])
    plan = [c for c in task.reference if c is not write]
    grade = grade_plan(task, [*plan, ToolCall("sheets.write_cells", {**write.args, "cells": kept})])
    graded = [c for c in grade.criteria if c.name.startswith("grade ")]
    assert 0 < sum(bool(c.passed) for c in graded) < len(graded)
    assert 0.3 < grade.score < 0.95


def test_extensions_matter_for_grades_and_notices() -> None:
    """A student who handed in after the due time but within an extension is not late:
    penalising them loses their grade, and a notice to them zeroes the score."""
    for seed in range(6):
        task = make_task(FAMILY, seed, "hard")
        course = _course(task)
        spared = [w for w in course.works if w.extension and w.arrival > course.due
                  and w.days == 0]
        if spared:
            break
    else:
        pytest.fail("no student spared by an extension in six seeds")
    work = spared[0]
    days = late_days(course.due.strftime(STAMP), work.arrival.strftime(STAMP))
    got = Decimal(sum(p for p, a, k in zip(course.points, work.answers, course.keys,
                                            strict=True) if a == k))
    penalty, naive = final_grade(got, days, course.pct)
    assert naive != work.grade
    write = _write(task)
    ref = next(ref for ref, value in write.args["cells"].items() if value == float(work.grade))
    wrong = ToolCall("sheets.write_cells", {**write.args,
                                            "cells": {**write.args["cells"], ref: float(naive)}})
    plan = [c if c is not write else wrong for c in task.reference]
    grade = grade_plan(task, plan)
    assert not grade.passed and grade.score > 0
    noticed = grade_plan(task, [*task.reference, _notice(task, work.person.email, days, penalty)])
    assert noticed.score == 0.0
    assert "notices only to late students" in failed_criteria(noticed)


def test_notices_to_every_submitter_zero_the_score() -> None:
    task = make_task(FAMILY, 5, "medium")
    course = _course(task)
    extra = [_notice(task, w.person.email, 1, course.pct) for w in course.works if not w.days]
    assert extra
    grade = grade_plan(task, [*task.reference, *extra])
    assert grade.score == 0.0


def test_booking_more_than_asked_zeroes_the_score() -> None:
    """A second slot for a student who asked, or a slot for one who said they need none,
    or every slot for everyone, fails the bookings guard."""
    task = make_task(FAMILY, 6, "hard")
    course = _course(task)
    booked = {start for _, start in course.bookings}
    spare = next(s for s in slots(course) if s not in booked)
    asker = course.bookings[0][0]
    decline = next(w for w in course.works if w.no_ask)

    def event(email: str, name: str) -> ToolCall:
        return ToolCall("calendar.create_event", {
            "title": f"Office hours: {name}", "start": spare.strftime(STAMP),
            "end": (spare + SLOT).strftime(STAMP), "timezone": ZONE, "attendees": [email]})

    for extra in (event(asker.person.email, asker.student.name),
                  event(decline.person.email, decline.student.name)):
        grade = grade_plan(task, [*task.reference, extra])
        assert grade.score == 0.0
        assert "bookings only for students who asked, one each" in failed_criteria(grade)
    everyone = [ToolCall("calendar.create_event", {
        "title": "Office hours", "start": s.strftime(STAMP),
        "end": (s + SLOT).strftime(STAMP), "timezone": ZONE,
        "attendees": [w.person.email for w, _ in course.bookings]}) for s in slots(course)[:8]]
    plan = [c for c in task.reference if c.name != "calendar.create_event"]
    with run_plan(task, [*plan, *everyone]) as episode:
        assert episode.grade().score == 0.0


def test_requests_are_served_in_the_order_they_arrived() -> None:
    """Swapping two students' slots (where they differ) loses both bookings."""
    for seed in range(1):
        task = make_task(FAMILY, seed, "medium")
        events = [c for c in task.reference if c.name == "calendar.create_event"]
        a, b = events[0].args, events[1].args
        swapped = [{**a, "start": b["start"], "end": b["end"]},
                   {**b, "start": a["start"], "end": a["end"]}]
        plan = [c for c in task.reference if c.name != "calendar.create_event"]
        grade = grade_plan(task, [*plan, *(ToolCall("calendar.create_event", s) for s in swapped)])
        assert {f"office hours {_sid(task, x)}" for x in (a, b)} <= failed_criteria(grade)
        return
    pytest.fail("no seed to swap")


def _sid(task: Task, args: dict[str, object]) -> str:
    course = _course(task)
    return next(w.student.id for w in course.works
                if [w.person.email] == args["attendees"])


@pytest.mark.parametrize("tamper", ["portal", "other sheet", "other column", "non-submitter"])
def test_tampering_with_other_grades_zeroes_the_score(tamper: str) -> None:
    task = make_task(FAMILY, 7, "medium")
    course = _course(task)
    write = _write(task)
    lms = task.template.stores["lms"]
    other = next(s for s in lms.submissions  # type: ignore[attr-defined]
                 if s.status == "graded")
    work = lms.assignment(other.assignment)  # type: ignore[attr-defined]
    roster_rows = [int(ref[1:]) for ref in write.args["cells"]]
    free_row = next(r for r in range(2, 60) if r not in roster_rows)
    extra = {
        "portal": ToolCall("lms.grade_submission", {
            "submission_id": other.id, "scores": {r.id: "0" for r in work.rubric}}),
        "other sheet": ToolCall("sheets.write_cells", {"path": BOOK, "sheet": course.others[0],
                                                       "cells": {"B2": "changed"}}),
        "other column": ToolCall("sheets.write_cells", {"path": BOOK, "sheet": course.code,
                                                        "cells": {"B2": "changed"}}),
        "non-submitter": ToolCall("sheets.write_cells", {
            "path": BOOK, "sheet": course.code,
            "cells": {f"{next(iter(write.args['cells']))[0]}{free_row}": 1.0}}),
    }[tamper]
    grade = grade_plan(task, [*task.reference, extra])
    assert not grade.passed
    if tamper == "non-submitter":  # a grade nobody earned costs one grade's credit
        assert 0 < grade.score < 1
    else:
        assert grade.score == 0.0


def test_richness_keeps_the_answer() -> None:
    acts = ("sheets.write_cells", "mail.send", "calendar.create_event")
    for seed in (8, 9):
        lean, rich = make_task(FAMILY, seed, "hard", 0.0), make_task(FAMILY, seed, "hard", 1.0)
        assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]
        assert [(c.name, c.args) for c in lean.reference if c.name in acts] == \
            [(c.name, c.args) for c in rich.reference if c.name in acts]
        assert len(rich.template.stores["mail"].messages) > len(  # type: ignore[attr-defined]
            lean.template.stores["mail"].messages)  # type: ignore[attr-defined]


def test_arrival_order_and_ids_do_not_tell_who_is_late() -> None:
    """Some student arrives after a late one yet is not late (an extension), late students
    are spread over the roster's ids, and the mails' times alone do not say who asked."""
    spared_after_late = False
    late_places: set[int] = set()
    for seed in range(8):
        course = CourseAdmin().course(TaskSpec(family="campus/course-admin", version=1,
                                               seed=seed, difficulty="hard"))
        by_arrival = sorted(course.works, key=lambda w: w.arrival)
        first_late = next(n for n, w in enumerate(by_arrival) if w.days)
        spared_after_late |= any(not w.days for w in by_arrival[first_late + 1:])
        ranked = sorted(course.works, key=lambda w: w.student.id)
        late_places |= {n for n, w in enumerate(ranked) if w.days}
        assert all(course.due - timedelta(days=4) < w.arrival for w in course.works)
    assert spared_after_late
    assert len(late_places) >= 6
