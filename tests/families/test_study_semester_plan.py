"""study/semester-plan: the contract, then the family's own wrong-answer tests."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from family_checks import assert_meets_contract, failed_criteria, grade_plan, make_task

import workgym  # noqa: F401  (registers apps and families)
from workgym.apps.calendar import CalendarStore
from workgym.apps.lms import LmsStore
from workgym.core import Episode, Task, ToolCall
from workgym.families.study.semester_plan import PLAN, SHEET, SemesterPlan

FAMILY = "study/semester-plan-v1"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _answer(task: Task) -> dict[str, str]:
    return {c.args["section_id"].split("-")[0]: c.args["section_id"]
            for c in task.reference if c.name == "lms.enrol"}


def _lms(task: Task) -> LmsStore:
    store = task.template.stores["lms"]
    assert isinstance(store, LmsStore)
    return store


def _calendar(task: Task) -> CalendarStore:
    store = task.template.stores["calendar"]
    assert isinstance(store, CalendarStore)
    return store


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def _plans_seen_by_an_agent(episode: Episode, task: Task, *, wrong_edition: bool = False,
                            prerequisites: bool = True, calendar: bool = True
                            ) -> list[dict[str, str]]:
    """Every plan the rules allow, worked out again from what the tools show (the PDF's
    tables, the portal, the calendar), by brute force over every subset and section."""
    me = episode.call("lms.get_student", {}).value
    term = int(episode.call("lms.list_courses", {}).value["term"].split()[1][:4])
    started = term - me["year"] + 1
    editions = [c.args["path"] for c in task.reference if c.name == "pdf.read_pages"]
    regs = next(path for path in editions
                if _applies(episode, path, started) != wrong_edition)
    pages = episode.call("pdf.info", {"path": regs}).value["pages"]
    tables: dict[str, list[list[str]]] = {}
    for page in range(1, pages + 1):
        for table in episode.call("pdf.read_tables", {"path": regs, "start_page": page}
                                  ).value["tables"]:
            head, *rows = table["rows"]
            tables.setdefault(" | ".join(head), []).extend(rows)
    mode = "Part-time" if "part-time" in me["program"] else "Full-time"
    low, high = next((int(lo), int(hi)) for m, lo, hi
                     in tables["Study mode | Minimum credits | Maximum credits"] if m == mode)
    semester = 2 * me["year"] - 1
    required = {code for n, code, _, _ in tables["Semester | Module | Title | Credits"]
                if int(n) == semester}
    electives = {code for code, _, _ in tables["Module | Title | Credits"]}
    rules = {code: [group.split(" or ") for group in text.split("; ")]
             for code, text in tables["Module | Prerequisites"]}
    passed = set(me["completed"])

    text = next(p["text"] for p in episode.call("pdf.read_pages", {"path": regs}
                                                ).value["entries"] if "begin on Monday" in p["text"])
    begin = next(c for c in task.reference if c.name == "calendar.list_events").args["start"]
    assert begin[8:10].lstrip("0") in text
    weeks: Counter[tuple[str, str, str, str]] = Counter()
    events = episode.call("calendar.list_events", {
        "calendar": _calendar(task).owner, "start": begin,
        "end": next(c for c in task.reference if c.name == "calendar.list_events").args["end"],
        "timezone": "Europe/Berlin"}).value["events"]
    for event in events:
        day = DAYS[int(_weekday(event["start"][:10]))]
        weeks[(event["title"], day, event["start"][11:16], event["end"][11:16])] += 1
    busy = [(day, _minutes(s), _minutes(e)) for (_, day, s, e), n in weeks.items() if n >= 2]

    courses = {}
    listed = episode.call("lms.list_courses", {"limit": 100}).value["results"]
    for course in listed:
        code = course["code"]
        if code in passed or (code not in required and code not in electives):
            continue
        if prerequisites and not all(any(p in passed for p in group)
                                     for group in rules.get(code, [])):
            continue
        found = episode.call("lms.get_course", {"course_code": code}).value
        sections = []
        for section in found["sections"]:
            times = [(m["day"], _minutes(m["start"]), _minutes(m["end"]))
                     for m in section["meetings"]]
            if section["seats_left"] > 0 and not (calendar and _overlapping(times, busy)):
                sections.append((section["id"], times))
        courses[code] = (found["credits"], sections)
    if not required <= set(courses):
        return []  # a required module not on offer, or not open to the student
    optional = sorted(set(courses) - required)
    plans = []
    for size in range(len(optional) + 1):
        for extra in itertools.combinations(optional, size):
            chosen = sorted(required | set(extra))
            if not low <= sum(courses[c][0] for c in chosen) <= high:
                continue
            for picks in itertools.product(*(courses[c][1] for c in chosen)):
                times = [t for _, ts in picks for t in ts]
                if all(not _overlapping([a], [b]) for a, b in itertools.combinations(times, 2)):
                    plans.append({c: s for c, (s, _) in zip(chosen, picks, strict=True)})
    return plans


def _applies(episode: Episode, path: str, started: int) -> bool:
    """Whether an edition's scope covers a student who began in the winter of ``started``."""
    text = " ".join(episode.call("pdf.read_pages", {"path": path, "end_page": 1}
                                 ).value["entries"][0]["text"].split())
    if "applies to every student" in text:
        return True
    year = int(text.split("the winter term ")[1][:4])
    return started >= year if "or later" in text.split("the winter term ")[1][:30] \
        else started < year


def _weekday(day: str) -> int:
    from datetime import date

    return date.fromisoformat(day).weekday()


def _overlapping(one: list[tuple[str, int, int]], other: list[tuple[str, int, int]]) -> bool:
    return any(a == d and b < f and e < c for a, b, c in one for d, e, f in other)


@pytest.mark.slow
def test_study_semester_plan_meets_the_contract() -> None:
    assert_meets_contract(SemesterPlan())


@pytest.mark.parametrize(("seed", "level"), [(0, "easy"), (1, "medium"), (2, "hard")])
def test_what_the_tools_show_allows_exactly_the_reference_plan(seed: int, level: str) -> None:
    task = make_task(FAMILY, seed, level, 1.0)
    with task.start() as episode:
        plans = _plans_seen_by_an_agent(episode, task)
    assert plans == [_answer(task)]


@pytest.mark.slow
@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_many_worlds_allow_exactly_one_plan_and_every_rule_matters(level: str) -> None:
    for seed in range(10, 25):
        task = make_task(FAMILY, seed, level, 1.0)
        with task.start() as episode:
            assert _plans_seen_by_an_agent(episode, task) == [_answer(task)]
            assert len(_plans_seen_by_an_agent(episode, task, prerequisites=False)) >= 2
            assert len(_plans_seen_by_an_agent(episode, task, calendar=False)) >= 2


def test_ignoring_the_prerequisites_or_the_calendar_allows_other_plans() -> None:
    task = make_task(FAMILY, 8, "medium", 1.0)
    with task.start() as episode:
        assert len(_plans_seen_by_an_agent(episode, task, prerequisites=False)) >= 2
        assert len(_plans_seen_by_an_agent(episode, task, calendar=False)) >= 2


def test_the_other_cohorts_edition_does_not_give_the_plan() -> None:
    for seed in (1, 4):
        task = make_task(FAMILY, seed, "hard", 0.0)
        with task.start() as episode:
            assert _plans_seen_by_an_agent(episode, task, wrong_edition=True) != [_answer(task)]


def test_the_reference_scores_one_and_a_partial_plan_partial_credit() -> None:
    task = make_task(FAMILY, 1, "hard")
    assert grade_plan(task, list(task.reference), calls_ok=False).score == 1.0
    first = next(c for c in task.reference if c.name == "lms.enrol")
    grade = grade_plan(task, [c for c in task.reference if c is not first], calls_ok=False)
    assert not grade.passed
    assert 0.0 < grade.score < 1.0
    assert "enrolments are exactly the plan" in failed_criteria(grade)


def _every_section(task: Task) -> list[str]:
    return [s.id for c in _lms(task).courses for s in c.sections]


def test_enrolling_in_everything_the_portal_takes_scores_zero() -> None:
    for seed in range(2):
        task = make_task(FAMILY, seed, "medium")
        greedy = [ToolCall("lms.enrol", {"section_id": s}) for s in _every_section(task)]
        others = [c for c in task.reference if c.name != "lms.enrol"]
        grade = grade_plan(task, [*greedy, *others], calls_ok=False)
        assert grade.score == 0.0
        assert "enrolled credits within the maximum" in failed_criteria(grade)


def test_listing_every_course_in_the_plan_scores_zero() -> None:
    task = make_task(FAMILY, 2, "hard")
    lms = _lms(task)
    rows = [[c.code, s.id, c.credits] for c in lms.courses for s in c.sections]
    plan = [ToolCall("sheets.append_rows", {"path": PLAN, "sheet": SHEET, "rows": rows})
            if c.name == "sheets.append_rows" else c for c in task.reference]
    grade = grade_plan(task, plan, calls_ok=False)
    assert grade.score == 0.0
    assert "planned credits within the maximum" in failed_criteria(grade)


def test_a_wrong_section_dropped_again_is_forgiven() -> None:
    task = make_task(FAMILY, 4, "medium")
    answer = set(_answer(task).values())
    wrong = next(s for s in _every_section(task) if s not in answer
                 and s.split("-")[0] not in _answer(task))
    course = wrong.split("-")[0]
    fix = [ToolCall("lms.enrol", {"section_id": wrong}),
           ToolCall("lms.drop", {"course_code": course})]
    with task.start() as episode:
        attempt = episode.call("lms.enrol", {"section_id": wrong})
    plan = [*fix, *task.reference] if attempt.ok else list(task.reference)
    assert grade_plan(task, plan, calls_ok=False).score == 1.0


def test_moving_a_shift_out_of_the_way_zeroes_the_score() -> None:
    task = make_task(FAMILY, 5, "hard")
    shift = next(e for e in _calendar(task).events
                 if e.title.startswith("Shift at"))
    grade = grade_plan(task, [ToolCall("calendar.cancel_event", {"event_id": shift.id}),
                          *task.reference], calls_ok=False)
    assert grade.score == 0.0
    assert "calendar events kept" in failed_criteria(grade)


def test_wrong_lecture_times_fail_their_items() -> None:
    task = make_task(FAMILY, 6, "easy")
    plan: list[ToolCall] = []
    for call in task.reference:
        if call.name == "calendar.create_event":
            args: dict[str, Any] = dict(call.args)
            args["timezone"] = "UTC"  # the meeting's clock time, read in the wrong zone
            call = ToolCall(call.name, args)
        plan.append(call)
    grade = grade_plan(task, plan, calls_ok=False)
    assert not grade.passed
    assert any(name.startswith("lecture ") for name in failed_criteria(grade))


def test_richness_keeps_the_answer_and_its_ids() -> None:
    lean, rich = make_task(FAMILY, 7, "hard", 0.0), make_task(FAMILY, 7, "hard", 1.0)
    assert [c.name for c in lean.criteria] == [c.name for c in rich.criteria]
    items = [[(c.name, c.args) for c in t.reference if c.items] for t in (lean, rich)]
    assert items[0] == items[1]
    assert len(_lms(rich).courses) > len(_lms(lean).courses)


def test_the_answer_does_not_stand_out_by_section_letter_or_order() -> None:
    letters: Counter[str] = Counter()
    firsts: set[bool] = set()
    for seed in range(8):
        task = make_task(FAMILY, seed, "easy", 0.0)
        answer = _answer(task)
        letters.update(s[-1] for s in answer.values())
        offered = sorted(c.code for c in _lms(task).courses)
        firsts.add(offered[0] in answer)
    assert len(letters) >= 2
    assert firsts == {True, False}


def test_no_commitment_merely_touches_a_class() -> None:
    """A shift that ends as a class begins would leave "overlap" open to two readings."""
    for seed in range(4):
        task = make_task(FAMILY, seed, "hard", 0.0)
        starts = {m.start for c in _lms(task).courses for s in c.sections for m in s.meetings}
        ends = {m.end for c in _lms(task).courses for s in c.sections for m in s.meetings}
        for event in _calendar(task).events:
            shown = event.start_utc.astimezone(ZoneInfo("Europe/Berlin")), \
                event.end_utc.astimezone(ZoneInfo("Europe/Berlin"))
            assert f"{shown[1]:%H:%M}" not in starts and f"{shown[0]:%H:%M}" not in ends
