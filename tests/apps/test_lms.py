import json
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_checks import crawl_site

from workgym.apps.lms import LmsStore, Meeting, final_grade, late_days, lms_of, overlaps
from workgym.content.lms import CATALOGUE, lms_store
from workgym.core import Episode, GradeError, Task, TaskSpec, WorldTemplate

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 4, 9, tzinfo=CET)  # 09:00 on the Berlin campus


def make_store(account: str | None = None) -> LmsStore:
    store = LmsStore(account=account, credit_limit=18, late_penalty_pct=10)
    store.add_instructor("Dr Rosa Marsh", "rosa.marsh@faculty.example")
    store.add_course("CS101", "Introduction to Programming", 6, department="Computer Science",
                     instructor="I-01")
    store.add_section("CS101", [("Mon", "10:00", "11:30", "A-101"),
                                ("Wed", "10:00", "11:30", "A-101")], capacity=2)
    store.add_section("CS101", [("Tue", "14:00", "15:30", "B-012")])
    store.add_course("CS102", "Data Structures", 6, department="Computer Science",
                     prerequisites=["CS101"], instructor="I-01")
    store.add_section("CS102", [("Mon", "11:00", "12:30", "A-204")])
    store.add_course("ECON101", "Microeconomics", 5, department="Economics")
    store.add_section("ECON101", [("Mon", "12:00", "13:00", "Hall 1")])
    store.add_section("ECON101", [("Fri", "14:00", "15:30", "Hall 1")])
    store.add_course("MATH101", "Calculus I", 6, department="Mathematics")
    store.add_section("MATH101", [("Thu", "08:15", "09:45", "C-220")])
    store.add_course("STAT201", "Probability", 5, department="Statistics",
                     prerequisites=["MATH101"])
    store.add_section("STAT201", [("Fri", "10:00", "11:30", "C-220")])
    store.add_course("WRIT100", "Academic Writing", 3, department="Humanities")
    store.add_section("WRIT100", [("Mon", "12:45", "13:45", "B-118")])
    store.add_student("Lena Novak", "lena@students.example", program="BSc CS", year=2,
                      completed=["CS101"])
    store.add_student("Omar Haddad", "omar@students.example", program="BSc CS")
    store.add_student("Mira Costa", "mira@students.example", program="BSc Economics")
    store.add_student("Niko Varga", "niko@students.example")
    store.add_enrolment("S-1002", "CS101-A", NOW.date() - timedelta(days=40))
    store.add_enrolment("S-1003", "CS101-A", NOW.date() - timedelta(days=40))
    store.add_assignment("CS101", "Problem set 1", datetime(2026, 3, 2, 23, 59),
                         [("Correctness", 10), ("Clarity", 5)],
                         descriptions=["Right answers", "Readable"])
    store.add_assignment("CS101", "Problem set 2", datetime(2026, 3, 16, 23, 59),
                         [("Correctness", 20)])
    store.add_submission("AS-001", "S-1002", datetime(2026, 3, 2, 22, 10), "Answers attached")
    store.add_submission("AS-001", "S-1003", datetime(2026, 3, 4, 8, 30), "Sorry, late")
    return store


def episode(start_episode, account: str | None = None) -> Episode:
    return start_episode(("lms",), family="tests/lms", now=NOW,
                         stores={"lms": make_store(account)})


@pytest.fixture
def staff(start_episode):
    return episode(start_episode)


@pytest.fixture
def lena(start_episode):
    return episode(start_episode, "S-1001")


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok, result.text
    assert match in result.text, result.text
    assert ep.world.digest() == before
    return result.text


def lms(ep: Episode) -> LmsStore:
    store = ep.world.stores["lms"]
    assert isinstance(store, LmsStore)
    return store


# -- courses ----------------------------------------------------------------------------------


def test_courses_are_listed_and_show_seats_and_missing_prerequisites(lena):
    listed = ok(lena, "lms.list_courses", query="data*")
    assert [c["code"] for c in listed["results"]] == ["CS102"] and listed["term"] == "Spring 2026"
    assert ok(lena, "lms.list_courses", department="economics")["results"][0]["code"] == \
        "ECON101"
    course = ok(lena, "lms.get_course", course_code="cs101")
    assert [(s["id"], s["enrolled"], s["seats_left"]) for s in course["sections"]] == [
        ("CS101-A", 2, 0), ("CS101-B", 0, 30)]
    assert course["sections"][0]["meetings"][0] == {"day": "Mon", "start": "10:00",
                                                    "end": "11:30", "room": "A-101"}
    assert course["assignments"] == ["AS-001", "AS-002"]
    assert ok(lena, "lms.get_course", course_code="STAT201")["prerequisites_missing"] == [
        "MATH101"]
    err(lena, "lms.get_course", "list_courses lists them", course_code="BIO999")


# -- enrolment -------------------------------------------------------------------------------


def test_enrolment_follows_every_rule(lena):
    made = ok(lena, "lms.enrol", section_id="CS102-A")
    assert made["enrolled"] == [{"course": "CS102", "section": "CS102-A"}]
    assert made["credits"] == 6
    err(lena, "lms.enrol", "CS102-A (Mon 11:00-12:30)", section_id="ECON101-A")
    err(lena, "lms.enrol", "needs MATH101 first", section_id="STAT201-A")
    err(lena, "lms.enrol", "has completed CS101 already", section_id="CS101-B")
    err(lena, "lms.enrol", "is in CS102-A of CS102 already", section_id="CS102-A")
    ok(lena, "lms.enrol", section_id="MATH101-A")
    assert ok(lena, "lms.enrol", section_id="writ100-a")["credits"] == 15
    err(lena, "lms.enrol", "more than the limit of 18", section_id="ECON101-B")
    err(lena, "lms.enrol", "you act for yourself", section_id="ECON101-B",
        student_id="S-1002")
    err(lena, "lms.enrol", "get_course lists a course's sections", section_id="CS999-Z")
    assert ok(lena, "lms.get_timetable")["meetings"] == [
        {"day": "Mon", "start": "11:00", "end": "12:30", "course": "CS102",
         "title": "Data Structures", "section": "CS102-A", "kind": "lecture", "room": "A-204"},
        {"day": "Mon", "start": "12:45", "end": "13:45", "course": "WRIT100",
         "title": "Academic Writing", "section": "WRIT100-A", "kind": "lecture",
         "room": "B-118"},
        {"day": "Thu", "start": "08:15", "end": "09:45", "course": "MATH101",
         "title": "Calculus I", "section": "MATH101-A", "kind": "lecture", "room": "C-220"}]


def test_a_full_section_and_dropping_frees_a_seat(staff):
    err(staff, "lms.enrol", "CS101-A is full (2 seats)", section_id="CS101-A",
        student_id="S-1004")
    err(staff, "lms.enrol", "give the student's id", section_id="CS101-A")
    err(staff, "lms.enrol", "is in CS101-A of CS101 already", section_id="CS101-B",
        student_id="S-1002")
    dropped = ok(staff, "lms.drop", course_code="CS101", student_id="S-1003")
    assert dropped["enrolled"] == [] and dropped["credits"] == 0
    assert ok(staff, "lms.enrol", section_id="CS101-A", student_id="S-1004")["credits"] == 6
    err(staff, "lms.drop", "is not enrolled in CS101", course_code="CS101", student_id="S-1003")
    roster = ok(staff, "lms.list_enrolments", section_id="CS101-A")
    assert [e["student"] for e in roster["results"]] == ["S-1002", "S-1004"]


def test_students_see_only_themselves(lena):
    assert ok(lena, "lms.get_student")["id"] == "S-1001"
    err(lena, "lms.get_student", "you act for yourself", student_id="S-1002")
    err(lena, "lms.list_students", "for the teaching staff")
    assert ok(lena, "lms.list_enrolments")["total"] == 0  # not the others' rosters
    err(lena, "lms.list_enrolments", "no student 'S-1002'; you are S-1001",
        student_id="S-1002")
    assert ok(lena, "lms.list_submissions")["total"] == 0
    err(lena, "lms.get_submission", "list_submissions lists them", submission_id="SB-0001")


# -- submissions and grades ---------------------------------------------------------------


def test_a_student_submits_and_resubmits_until_graded(start_episode):
    omar = episode(start_episode, "S-1002")
    again = ok(omar, "lms.submit_assignment", assignment_id="AS-001", text="Corrected answers")
    assert (again["id"], again["submitted_at"], again["late_days"], again["text"]) == (
        "SB-0001", "2026-03-04T09:00", 2, "Corrected answers")
    fresh = ok(omar, "lms.submit_assignment", assignment_id="AS-002", text=" Draft ")
    assert (fresh["id"], fresh["late_days"], fresh["text"]) == ("SB-0003", 0, "Draft")
    err(omar, "lms.submit_assignment", "timed by the portal", assignment_id="AS-002",
        text="x", submitted_at="2026-03-01T10:00")
    listed = ok(omar, "lms.list_assignments", course_code="CS101")
    assert [(a["id"], a["my_submission"]) for a in listed["assignments"]] == [
        ("AS-001", "SB-0001"), ("AS-002", "SB-0003")]
    lena = episode(start_episode, "S-1001")
    err(lena, "lms.submit_assignment", "is not enrolled in CS101", assignment_id="AS-001",
        text="x")


def test_staff_record_mailed_work_at_the_time_it_arrived(staff):
    made = ok(staff, "lms.submit_assignment", assignment_id="AS-002", text="By mail",
              student_id="S-1003", submitted_at="2026-03-03T21:00:00+00:00")
    assert (made["submitted_at"], made["late_days"]) == ("2026-03-03T22:00", 0)  # campus time
    late = ok(staff, "lms.submit_assignment", assignment_id="AS-001", text="Resent",
              student_id="S-1002", submitted_at="2026-03-03 00:00")
    assert late["late_days"] == 1  # a minute late is a day late
    err(staff, "lms.submit_assignment", "is in the future", assignment_id="AS-002", text="x",
        student_id="S-1003", submitted_at="2026-03-04T09:30")
    err(staff, "lms.submit_assignment", "give the time as 2026-03-06T21:14",
        assignment_id="AS-002", text="x", student_id="S-1003", submitted_at="yesterday")


def test_grading_on_the_rubric_with_the_late_penalty(staff):
    graded = ok(staff, "lms.grade_submission", submission_id="SB-0002",
                scores={"R1": "9", "R2": "4,5"}, feedback="Good, but late")
    assert (graded["points"], graded["penalty_pct"], graded["grade"]) == ("13.5", 20, "10.80")
    assert graded["scores"] == {"R1": "9", "R2": "4.5"} and graded["status"] == "graded"
    assert graded["graded_at"] == "2026-03-04T09:00"
    regraded = ok(staff, "lms.grade_submission", submission_id="SB-0002",
                  scores={"R1": "10", "R2": "5"})
    assert regraded["grade"] == "12.00" and regraded["feedback"] == ""
    err(staff, "lms.grade_submission", "missing: R2", submission_id="SB-0001",
        scores={"R1": "8"})
    err(staff, "lms.grade_submission", "has no criterion R3", submission_id="SB-0001",
        scores={"R1": "8", "R2": "1", "R3": "1"})
    err(staff, "lms.grade_submission", "from 0 to 5 in halves", submission_id="SB-0001",
        scores={"R1": "8", "R2": "6"})
    err(staff, "lms.grade_submission", "from 0 to 10 in halves", submission_id="SB-0001",
        scores={"R1": "7.25", "R2": "1"})
    err(staff, "lms.grade_submission", "a number such as 7.5", submission_id="SB-0001",
        scores={"R1": "-1", "R2": "1"})
    omar = episode_from(staff, "S-1003")
    err(omar, "lms.submit_assignment", "is graded already", assignment_id="AS-001", text="x")


def episode_from(ep: Episode, account: str) -> Episode:
    """The same world seen by ``account`` (a student)."""
    lms(ep).account = account
    return ep


def test_a_student_cannot_grade(lena):
    err(lena, "lms.grade_submission", "for the teaching staff", submission_id="SB-0001",
        scores={"R1": "1", "R2": "1"})


def test_the_gradebook(staff):
    ok(staff, "lms.grade_submission", submission_id="SB-0001", scores={"R1": "8", "R2": "5"})
    book = ok(staff, "lms.get_gradebook", course_code="CS101")
    assert book["possible"] == 35
    assert book["students"] == [
        {"student": "S-1002", "grades": {"AS-001": "13.00", "AS-002": None}, "total": "13.00",
         "percent": "37.14"},
        {"student": "S-1003", "grades": {"AS-001": None, "AS-002": None}, "total": "0.00",
         "percent": "0.00"}]
    mine = ok(episode_from(staff, "S-1002"), "lms.get_gradebook", course_code="CS101")
    assert [row["student"] for row in mine["students"]] == ["S-1002"]


def test_helpers():
    assert late_days("2026-03-02T23:59", "2026-03-02T23:59") == 0
    assert late_days("2026-03-02T23:59", "2026-03-03T00:00") == 1
    assert late_days("2026-03-02T23:59", "2026-03-04T23:59") == 2
    assert final_grade(Decimal("13.5"), 2, 10) == (20, Decimal("10.80"))
    assert final_grade(Decimal(10), 15, 10) == (100, Decimal("0.00"))
    a = Meeting(day="Mon", start="10:00", end="11:30")
    assert overlaps(a, Meeting(day="Mon", start="11:00", end="12:00"))
    assert not overlaps(a, Meeting(day="Mon", start="11:30", end="12:00"))  # back to back
    assert not overlaps(a, Meeting(day="Tue", start="10:00", end="11:30"))


# -- state, readers and content -------------------------------------------------------------


def test_reads_keep_the_digest_and_writes_move_it(staff):
    before = staff.world.digest()
    for tool, args in [("lms.list_courses", {}), ("lms.get_course", {"course_code": "CS101"}),
                       ("lms.list_students", {}), ("lms.get_student", {"student_id": "S-1002"}),
                       ("lms.get_timetable", {"student_id": "S-1002"}),
                       ("lms.list_assignments", {"course_code": "CS101"}),
                       ("lms.get_assignment", {"assignment_id": "AS-001"}),
                       ("lms.list_submissions", {}),
                       ("lms.get_gradebook", {"course_code": "CS101"}),
                       ("lms.list_enrolments", {})]:
        ok(staff, tool, **args)
    assert staff.world.digest() == before
    ok(staff, "lms.enrol", section_id="WRIT100-A", student_id="S-1004")
    assert staff.world.digest() != before


def test_a_world_without_a_campus(start_episode):
    ep = start_episode(("lms",), family="tests/lms", now=NOW)
    before = ep.world.digest()
    assert ok(ep, "lms.list_courses")["total"] == 0
    err(ep, "lms.enrol", "list_students lists them", section_id="X", student_id="S-1")
    assert "lms" not in ep.world.stores and ep.world.digest() == before
    with pytest.raises(GradeError, match="no campus portal"):
        lms_of(ep.world)


def test_same_calls_give_the_same_world(start_episode):
    digests = []
    for _ in range(2):
        ep = episode(start_episode)
        ok(ep, "lms.enrol", section_id="CS102-A", student_id="S-1001")
        ok(ep, "lms.grade_submission", submission_id="SB-0001", scores={"R1": "7", "R2": "3"})
        digests.append(ep.world.digest())
    assert digests[0] == digests[1]


def test_lms_store_is_a_pure_function_of_its_stream():
    one = lms_store(random.Random(8), now=NOW, courses=10, students=25)
    two = lms_store(random.Random(8), now=NOW, courses=10, students=25)
    other = lms_store(random.Random(9), now=NOW, courses=10, students=25)
    assert one.model_dump_json() == two.model_dump_json() != other.model_dump_json()
    json.loads(one.model_dump_json())
    assert len(one.courses) == 10 and len(one.students) == 25
    codes = {c.code for c in CATALOGUE}
    for student in one.students:
        current = one.enrolled(student.id)
        assert sum(one.course(e.course).credits for e in current) <= one.credit_limit
        assert len({e.course for e in current}) == len(current)
        meetings = [m for e in current for m in one.section(e.section)[1].meetings]
        assert not any(overlaps(a, b) for i, a in enumerate(meetings) for b in meetings[i + 1:])
        for enrolment in current:
            assert set(one.course(enrolment.course).prerequisites) <= set(student.completed)
        assert set(student.completed) <= codes
    for course in one.courses:
        for section in course.sections:
            assert len(one.roster(section.id)) <= section.capacity
    for submission in one.submissions:
        work = one.assignment(submission.assignment)
        assert submission.late_days == late_days(work.due, submission.submitted_at)
        assert submission.submitted_at <= "2026-03-04T09:00"


# -- the same change through the API and through the site -------------------------------------


def _ref(text: str, role: str, name: str) -> str:
    for line in text.splitlines():
        if f'- {role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise AssertionError(f"no {role} {name!r} in\n{text}")


def test_an_enrolment_through_the_site_matches_the_api(start_episode):
    api = episode(start_episode, "S-1001")
    ok(api, "lms.enrol", section_id="CS102-A")
    gui = start_episode(("browser",), family="tests/lms", now=NOW,
                        stores={"lms": make_store("S-1001")})
    text = ok(gui, "browser.navigate", url="https://campus.example/courses?q=data")
    text = ok(gui, "browser.click", ref=_ref(text, "link", "CS102"))
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Enrol in CS102-A"))
    assert "status: You are enrolled in CS102-A." in text
    text = ok(gui, "browser.navigate", url="https://campus.example/courses/ECON101")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Enrol in ECON101-A"))
    assert "the form was refused" in text and "clashes with CS102-A" in text
    assert lms(gui).model_dump() == lms(api).model_dump()


def test_grading_and_recording_through_the_site_match_the_api(start_episode):
    api = episode(start_episode)
    ok(api, "lms.submit_assignment", assignment_id="AS-002", text="Mailed PDF",
       student_id="S-1003", submitted_at="2026-03-03T18:00")
    ok(api, "lms.grade_submission", submission_id="SB-0002", scores={"R1": "9", "R2": "4.5"},
       feedback="Late")
    gui = start_episode(("browser",), family="tests/lms", now=NOW, stores={"lms": make_store()})
    text = ok(gui, "browser.navigate", url="https://campus.example/assignments/AS-002")
    ok(gui, "browser.select_option", ref=_ref(text, "combobox", "Student"), values=["S-1003"])
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Received at (campus time)"),
       text="2026-03-03T18:00")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Work received"), text="Mailed PDF")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Record submission"))
    assert "status: Submission SB-0003 received." in text
    text = ok(gui, "browser.navigate", url="https://campus.example/submissions/SB-0002")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Points for R1: Correctness (of 10)"),
       text="9")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Save grade"))
    assert "missing: R2" in text
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Points for R2: Clarity (of 5)"),
       text="4.5")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Feedback"), text="Late")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Save grade"))
    assert "status: Submission SB-0002 graded: 10.80 points." in text
    assert lms(gui).model_dump() == lms(api).model_dump()


# -- hostile arguments over a populated campus ----------------------------------------------------

_HOSTILE = ["", " ", "x" * 300, "\x00", "é", "*", "-1", "0", "1.5", "12,50", "1e9", "99999999999",
            "2026-03-02", "2026-02-30", "9999-12-31", "2026-03-10T08:00", None, 0, -1, 10**9,
            True, 2.5, [], {}, [""], {"": ""}]

_POPULATED = lms_store(random.Random(1), now=NOW, courses=8, students=12)


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_arguments_never_break_a_populated_lms(data):
    store = _POPULATED
    pool = _HOSTILE + [
        "S-1001", "S-1002", "CS101", "CS101-A", "MATH101-B", "AS-001", "AS-002", "SB-0001",
        "SB-0002", "graded", {"R1": "5", "R2": "2.5"}, {"R1": "100"}]
    task = Task(spec=TaskSpec(family="tests/lms", version=1, seed=0), prompt="",
                apps=("lms",), criteria=(), reference=(),
                template=WorldTemplate(now=NOW, stores={"lms": store}))
    with task.start() as ep:
        for _ in range(12):
            spec = data.draw(st.sampled_from(sorted(ep.tool_specs(), key=lambda s: s.name)))
            names = list(spec.parameters["properties"])
            args = {key: data.draw(st.sampled_from(pool)) for key in names
                    if data.draw(st.booleans())}
            before = ep.world.digest()
            result = ep.call(spec.name, args)
            assert ep.calls[-1].error != "internal", (spec.name, args, result.text)
            if not result.ok or spec.read_only:
                assert ep.world.digest() == before, (spec.name, args)


# -- over MCP ------------------------------------------------------------------------------------


async def test_the_mcp_path_gives_the_same_results_and_world(start_episode):
    from mcp.types import TextContent

    from workgym.serve import connect_in_process

    served, direct = episode(start_episode), episode(start_episode)
    async with connect_in_process(served, mode="legacy") as client:
        for name, args in [
                ("lms_enrol", {"section_id": "CS102-A", "student_id": "S-1001"}),
                ("lms_enrol", {"section_id": "CS101-A", "student_id": "S-1004"}),
                ("lms_grade_submission", {"submission_id": "SB-0002",
                                          "scores": {"R1": "9", "R2": "4.5"}}),
                ("lms_get_gradebook", {"course_code": "CS101"})]:
            result = await client.call_tool(name, args)
            assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text), name
    assert served.world.digest() == direct.world.digest()


# -- real HTML over loopback HTTP ----------------------------------------------------------------


@pytest.mark.parametrize("account", [None, "S-1001"])
def test_every_page_a_visitor_can_reach_is_html_over_http(account):
    store = lms_store(random.Random(3), now=NOW, courses=6, students=8)
    store.account = account
    assert len(crawl_site({"lms": store}, NOW, "campus.example")) >= 20
