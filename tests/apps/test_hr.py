import json
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_checks import crawl_site

from workgym.apps.hr import (
    HrStore,
    TemplateTask,
    hr_of,
    payslips,
    timesheet_flags,
    week_of,
    working_days,
)
from workgym.content.hr import TEMPLATES, hr_store, week_hours
from workgym.core import Episode, GradeError, Task, TaskSpec, WorldTemplate

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 4, 9, tzinfo=CET)  # a Wednesday


def make_store(account: str | None = None) -> HrStore:
    store = HrStore(account=account, holidays=["2026-04-03"],
                    templates={"General": [
                        TemplateTask(title="Create accounts", owner="IT", offset_days=-3),
                        TemplateTask(title="Welcome meeting", owner="Manager", offset_days=0),
                        TemplateTask(title="Read the handbook", owner="Employee",
                                     offset_days=2)]})
    store.add_employee("Amara Okafor", "amara@staff.example", date(2019, 5, 1),
                       department="Management", title="Head of department",
                       hourly_rate="60", weekly_hours=40)
    store.add_employee("Bruno Silva", "bruno@staff.example", date(2021, 2, 1),
                       department="Data", title="Team lead", manager="E-001",
                       hourly_rate="40", weekly_hours=40)
    store.add_employee("Chen Larsen", "chen@staff.example", date(2023, 9, 1),
                       department="Data", title="Analyst", manager="E-002",
                       hourly_rate="30", weekly_hours=32, annual_allowance=10)
    store.add_employee("Dalia Fischer", "dalia@staff.example", date(2026, 3, 16),
                       department="Data", title="Engineer", manager="E-002",
                       status="onboarding", hourly_rate="35")
    store.add_leave("E-003", "annual", date(2026, 2, 9), date(2026, 2, 13),
                    created=date(2026, 1, 20), decided_by="E-002")
    store.add_timesheet("E-003", date(2026, 2, 23), [8, 8, 8, 8, 8], status="submitted",
                        notes=["Client audit"], submitted_on=date(2026, 2, 27))
    store.add_timesheet("E-003", date(2026, 2, 16), [8, 9, "13.5", 8, 8, 3],
                        status="approved")
    store.add_timesheet("E-002", date(2026, 2, 23), [8, 8, 8, 8, 8])
    store.add_timesheet("E-003", date(2026, 2, 9), [0, 0, 0, 4, 0], status="approved")
    store.add_period("PP-02", date(2026, 2, 2), 4, date(2026, 3, 6))
    store.add_period("PP-03", date(2026, 3, 2), 4, date(2026, 4, 3))
    return store


def episode(start_episode, account: str | None = None) -> Episode:
    return start_episode(("hr",), family="tests/hr", now=NOW,
                         stores={"hr": make_store(account)})


@pytest.fixture
def staff(start_episode):
    return episode(start_episode)


@pytest.fixture
def chen(start_episode):
    return episode(start_episode, "E-003")


@pytest.fixture
def bruno(start_episode):
    return episode(start_episode, "E-002")


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


def hr(ep: Episode) -> HrStore:
    store = ep.world.stores["hr"]
    assert isinstance(store, HrStore)
    return store


def ids(page) -> list[str]:
    return [row["id"] for row in page["results"]]


# -- employees ------------------------------------------------------------------------------


def test_the_directory_is_open_and_pay_is_private(chen):
    assert ids(ok(chen, "hr.list_employees")) == ["E-001", "E-002", "E-003", "E-004"]
    assert ids(ok(chen, "hr.list_employees", query="analyst")) == ["E-003"]
    assert ids(ok(chen, "hr.list_employees", department="data", status="onboarding")) == [
        "E-004"]
    assert ids(ok(chen, "hr.list_employees", manager_id="E-002")) == ["E-003", "E-004"]
    mine = ok(chen, "hr.get_employee", employee_id="E-003")
    assert (mine["hourly_rate"], mine["weekly_hours"]) == ("30.00", 32)
    assert mine["leave"]["annual"] == {"allowance": 10, "approved": 5, "pending": 0, "left": 5}
    boss = ok(chen, "hr.get_employee", employee_id="E-002")
    assert "hourly_rate" not in boss and boss["title"] == "Team lead"
    err(chen, "hr.get_employee", "list_employees lists them", employee_id="E-404")
    err(chen, "hr.add_employee", "for HR staff", name="X", email="x@staff.example",
        start_date="2026-04-01")


def test_hr_adds_an_employee(staff):
    made = ok(staff, "hr.add_employee", name="Emeka Duarte", email="Emeka@Staff.example",
              start_date="2026-04-01", department="Data", manager_id="E-002",
              hourly_rate="32,50", weekly_hours=36)
    assert (made["id"], made["status"], made["email"], made["hourly_rate"]) == (
        "E-005", "onboarding", "emeka@staff.example", "32.50")
    assert ok(staff, "hr.get_employee", employee_id="E-002")["reports"] == [
        "E-003", "E-004", "E-005"]
    err(staff, "hr.add_employee", "already an employee's address", name="X",
        email="chen@staff.example", start_date="2026-04-01")
    err(staff, "hr.add_employee", "not an e-mail address", name="X", email="x",
        start_date="2026-04-01")
    err(staff, "hr.add_employee", "hourly rate as a number", name="X",
        email="x@staff.example", start_date="2026-04-01", hourly_rate="lots")
    err(staff, "hr.add_employee", "list_employees lists them", name="X",
        email="x@staff.example", start_date="2026-04-01", manager_id="E-99")


# -- leave --------------------------------------------------------------------------------


def test_a_request_counts_working_days_and_fits_the_balance(chen):
    made = ok(chen, "hr.request_leave", kind="annual", start="2026-03-30", end="2026-04-06",
              note="Easter")
    # Mon 30 Mar .. Mon 6 Apr: 6 weekdays, less the Good Friday holiday
    assert (made["id"], made["days"], made["status"], made["employee"]) == (
        "L-0002", 5, "requested", "E-003")
    assert ok(chen, "hr.get_leave_balance")["annual"] == {
        "allowance": 10, "approved": 5, "pending": 5, "left": 0}
    err(chen, "hr.request_leave", "has 0 days of annual leave left in 2026", kind="annual",
        start="2026-05-04", end="2026-05-04")
    assert ok(chen, "hr.request_leave", kind="unpaid", start="2026-05-04",
              end="2026-05-05")["days"] == 2
    err(chen, "hr.request_leave", "it overlaps L-0002", kind="unpaid", start="2026-04-02",
        end="2026-04-02")


@pytest.mark.parametrize(("args", "match"), [
    ({"kind": "annual", "start": "2026-03-03", "end": "2026-03-05"}, "is in the past"),
    ({"kind": "sick", "start": "2026-01-20", "end": "2026-01-21"}, "up to 30 days back"),
    ({"kind": "annual", "start": "2026-03-10", "end": "2026-03-09"}, "before it starts"),
    ({"kind": "annual", "start": "2026-12-30", "end": "2027-01-02"}, "one calendar year"),
    ({"kind": "annual", "start": "2026-03-07", "end": "2026-03-08"}, "holds no working day"),
    ({"kind": "annual", "start": "2026-03-07", "end": "soon"}, "ISO date such as"),
    ({"kind": "annual", "start": "2026-03-09", "end": "2026-03-09", "employee_id": "E-002"},
     "you act for yourself"),
    ({"kind": "holiday", "start": "2026-03-09", "end": "2026-03-09"}, "'kind'"),
])
def test_request_leave_refuses_what_the_rules_forbid(chen, args, match):
    err(chen, "hr.request_leave", match, **args)


def test_sick_leave_may_be_reported_afterwards(chen):
    made = ok(chen, "hr.request_leave", kind="sick", start="2026-03-02", end="2026-03-03")
    assert made["days"] == 2


def test_the_manager_or_hr_decides_never_the_employee(start_episode):
    chen = episode(start_episode, "E-003")
    ok(chen, "hr.request_leave", kind="annual", start="2026-03-16", end="2026-03-17")
    err(chen, "hr.decide_leave", "cannot decide on your own leave", request_id="L-0002",
        decision="approve")
    dalia = episode(start_episode, "E-004")
    hr(dalia).leave = [r.model_copy(deep=True) for r in hr(chen).leave]
    err(dalia, "hr.decide_leave", "list_leave_requests lists them", request_id="L-0002",
        decision="approve")  # a colleague does not even see it
    bruno = episode(start_episode, "E-002")
    hr(bruno).leave = [r.model_copy(deep=True) for r in hr(chen).leave]
    assert ids(ok(bruno, "hr.list_leave_requests", status="requested")) == ["L-0002"]
    err(bruno, "hr.decide_leave", "say why the leave is rejected", request_id="L-0002",
        decision="reject")
    decided = ok(bruno, "hr.decide_leave", request_id="L-0002", decision="approve")
    assert (decided["status"], decided["decided_by"], decided["decided_on"]) == (
        "approved", "E-002", "2026-03-04")
    err(bruno, "hr.decide_leave", "only a requested leave is decided", request_id="L-0002",
        decision="reject", note="Changed my mind")


def test_cancel_leave_before_it_starts(chen):
    ok(chen, "hr.request_leave", kind="annual", start="2026-03-16", end="2026-03-18")
    assert ok(chen, "hr.cancel_leave", request_id="L-0002")["status"] == "cancelled"
    assert ok(chen, "hr.get_leave_balance")["annual"]["left"] == 5  # the days are back
    err(chen, "hr.cancel_leave", "only requested or approved leave", request_id="L-0002")
    err(chen, "hr.cancel_leave", "leave that has begun cannot be cancelled",
        request_id="L-0001")
    err(chen, "hr.get_leave_request", "list_leave_requests lists them", request_id="L-0099")


# -- timesheets ------------------------------------------------------------------------


def test_logging_hours_makes_the_weeks_sheet(chen):
    sheet = ok(chen, "hr.log_hours", date="2026-03-02", hours="7,5", note="Reporting")
    assert (sheet["id"], sheet["week"], sheet["status"], sheet["total"]) == (
        "TS-0005", "2026-03-02", "draft", "7.50")
    assert sheet["days"][0] == {"date": "2026-03-02", "hours": "7.50", "note": "Reporting"}
    again = ok(chen, "hr.log_hours", date="2026-03-03", hours="9")
    assert again["id"] == "TS-0005" and again["total"] == "16.50"
    err(chen, "hr.log_hours", "in the future", date="2026-03-05", hours="8")
    err(chen, "hr.log_hours", "quarter hours", date="2026-03-03", hours="7.1")
    err(chen, "hr.log_hours", "quarter hours", date="2026-03-03", hours="25")
    err(chen, "hr.log_hours", "a number such as 7.5", date="2026-03-03", hours="eight")
    err(chen, "hr.log_hours", "TS-0001 is submitted", date="2026-02-24", hours="8")
    err(chen, "hr.log_hours", "you act for yourself", date="2026-03-03", hours="8",
        employee_id="E-002")


def test_a_sheet_is_submitted_decided_and_corrected(start_episode):
    chen, bruno = episode(start_episode, "E-003"), episode(start_episode, "E-002")
    err(chen, "hr.decide_timesheet", "cannot decide on your own timesheet",
        timesheet_id="TS-0001", decision="approve")
    rejected = ok(bruno, "hr.decide_timesheet", timesheet_id="TS-0001", decision="reject",
                  note="Thursday was a holiday for the audit team")
    assert (rejected["status"], rejected["decided_by"]) == ("rejected", "E-002")
    hr(chen).timesheets = [t.model_copy(deep=True) for t in hr(bruno).timesheets]
    fixed = ok(chen, "hr.log_hours", date="2026-02-26", hours="0")
    assert (fixed["status"], fixed["total"]) == ("draft", "32.00")
    submitted = ok(chen, "hr.submit_timesheet", timesheet_id="TS-0001")
    assert (submitted["status"], submitted["submitted_on"], submitted["note"]) == (
        "submitted", "2026-03-04", "")
    err(chen, "hr.submit_timesheet", "only a draft or a rejected sheet", timesheet_id="TS-0001")
    err(chen, "hr.get_timesheet", "list_timesheets lists them", timesheet_id="TS-0003")
    assert ids(ok(bruno, "hr.list_timesheets", week="2026-02-25")) == ["TS-0003", "TS-0001"]


def test_totals_overtime_and_flags(staff):
    sheet = ok(staff, "hr.get_timesheet", timesheet_id="TS-0002")
    assert (sheet["total"], sheet["regular"], sheet["overtime"]) == ("49.50", "32.00", "17.50")
    assert sheet["flags"] == ["2026-02-18: 13.50 hours, more than 12 in a day",
                              "2026-02-21: 3.00 hours on a Saturday"]
    leave_week = ok(staff, "hr.get_timesheet", timesheet_id="TS-0004")
    assert leave_week["flags"] == ["2026-02-12: 4.00 hours on approved annual leave (L-0001)"]
    empty = ok(staff, "hr.add_employee", name="Zofia", email="z@staff.example",
               start_date="2026-02-02")
    err(staff, "hr.submit_timesheet", "has no hours", timesheet_id=ok(
        staff, "hr.log_hours", date="2026-03-02", hours="0", employee_id=empty["id"])["id"])


# -- payroll ------------------------------------------------------------------------------


def test_payroll_closes_once_no_sheet_waits_and_pays_overtime(staff):
    period = ok(staff, "hr.get_payroll_period", period_id="PP-02")
    assert period["blockers"] == [
        "TS-0001 (E-003, week of 2026-02-23) is submitted: approve or reject it"]
    err(staff, "hr.close_payroll", "waiting for a decision", period_id="PP-02")
    err(staff, "hr.close_payroll", "close it after it ends", period_id="PP-03")
    ok(staff, "hr.decide_timesheet", timesheet_id="TS-0001", decision="approve")
    closed = ok(staff, "hr.close_payroll", period_id="PP-02")
    # E-003: weeks of 9 Feb (4 h), 16 Feb (32 + 17.5 overtime), 23 Feb (32 + 8 overtime)
    assert closed["payslips"] == [{
        "employee": "E-003", "timesheets": ["TS-0004", "TS-0002", "TS-0001"],
        "regular_hours": "68.00", "overtime_hours": "25.50", "hourly_rate": "30.00",
        "gross": "3187.50"}]
    assert (closed["status"], closed["closed_on"], closed["total_gross"]) == (
        "closed", "2026-03-04", "3187.50")
    assert {t.id: (t.status, t.period) for t in hr(staff).timesheets}["TS-0001"] == (
        "paid", "PP-02")
    assert hr(staff).timesheet("TS-0003").status == "draft"  # a draft is not paid
    err(staff, "hr.close_payroll", "was closed on 2026-03-04", period_id="PP-02")
    assert [p["id"] for p in ok(staff, "hr.list_payroll_periods")["periods"]] == [
        "PP-03", "PP-02"]
    assert payslips(hr(staff), hr(staff).period("PP-02"))[0].gross == "3187.50"


def test_payroll_is_for_hr_only(chen):
    err(chen, "hr.list_payroll_periods", "for HR staff")
    err(chen, "hr.get_payroll_period", "for HR staff", period_id="PP-02")
    err(chen, "hr.close_payroll", "for HR staff", period_id="PP-02")


# -- onboarding ----------------------------------------------------------------------------


def test_onboarding_from_a_template_and_who_ticks_off_what(start_episode):
    staff = episode(start_episode)
    made = ok(staff, "hr.start_onboarding", employee_id="E-004", template="General")
    assert [(t["number"], t["owner"], t["due"]) for t in made["tasks"]] == [
        (1, "IT", "2026-03-13"), (2, "Manager", "2026-03-16"), (3, "Employee", "2026-03-18")]
    err(staff, "hr.start_onboarding", "has onboarding checklist OB-001 already",
        employee_id="E-004", template="General")
    err(staff, "hr.start_onboarding", "the templates: General", employee_id="E-003",
        template="Sales")
    added = ok(staff, "hr.add_task", checklist_id="OB-001", title="Order a standing desk",
               owner="HR", due="2026-03-20")
    assert added["tasks_total"] == 4
    listed = ok(staff, "hr.list_checklists")
    assert listed["templates"] == ["General"] and ids(listed) == ["OB-001"]
    for account, task, match in (("E-004", 2, "is for Manager"), ("E-002", 3, "is for Employee"),
                                 ("E-003", 1, "list_checklists lists them")):
        other = episode(start_episode, account)
        hr(other).checklists = [c.model_copy(deep=True) for c in hr(staff).checklists]
        err(other, "hr.complete_task", match, checklist_id="OB-001", task=task)
    dalia = episode(start_episode, "E-004")
    hr(dalia).checklists = [c.model_copy(deep=True) for c in hr(staff).checklists]
    done = ok(dalia, "hr.complete_task", checklist_id="OB-001", task=3, note="Read it")
    assert done["tasks"][2] == {"number": 3, "title": "Read the handbook",
                                      "owner": "Employee", "due": "2026-03-18",
                                      "done_on": "2026-03-04", "done_by": "E-004",
                                      "note": "Read it"}
    err(dalia, "hr.complete_task", "was done on 2026-03-04", checklist_id="OB-001", task=3)
    err(dalia, "hr.complete_task", "has no task 9", checklist_id="OB-001", task=9)
    for task in (1, 2, 4):
        ok(staff, "hr.complete_task", checklist_id="OB-001", task=task)
    assert ok(staff, "hr.get_checklist", checklist_id="OB-001")["done"] == 3  # staff's copy
    assert ok(staff, "hr.list_checklists", incomplete_only=True)["total"] == 1


# -- state, readers and content -------------------------------------------------------------


def test_reads_keep_the_digest_and_writes_move_it(staff):
    before = staff.world.digest()
    for tool, args in [("hr.list_employees", {}), ("hr.get_employee", {"employee_id": "E-003"}),
                       ("hr.list_leave_requests", {}), ("hr.list_timesheets", {}),
                       ("hr.get_timesheet", {"timesheet_id": "TS-0001"}),
                       ("hr.get_payroll_period", {"period_id": "PP-02"}),
                       ("hr.list_checklists", {}),
                       ("hr.get_leave_balance", {"employee_id": "E-003"})]:
        ok(staff, tool, **args)
    assert staff.world.digest() == before
    ok(staff, "hr.decide_timesheet", timesheet_id="TS-0001", decision="approve")
    assert staff.world.digest() != before


def test_a_world_without_a_portal(start_episode):
    ep = start_episode(("hr",), family="tests/hr", now=NOW)
    before = ep.world.digest()
    assert ok(ep, "hr.list_employees")["total"] == 0
    err(ep, "hr.decide_leave", "list_leave_requests lists them", request_id="L-0001",
        decision="approve")
    assert "hr" not in ep.world.stores and ep.world.digest() == before
    with pytest.raises(GradeError, match="no HR portal"):
        hr_of(ep.world)
    err(ep, "hr.add_employee", "not an e-mail address", name="First Hire", email="first",
        start_date="2026-03-09")
    assert "hr" not in ep.world.stores
    ok(ep, "hr.add_employee", name="First Hire", email="first@staff.example",
       start_date="2026-03-09")
    assert hr_of(ep.world).employees[0].id == "E-001"


def test_same_calls_give_the_same_world(start_episode):
    digests = []
    for _ in range(2):
        ep = episode(start_episode)
        ok(ep, "hr.request_leave", kind="annual", start="2026-03-16", end="2026-03-17",
           employee_id="E-002")
        ok(ep, "hr.log_hours", date="2026-03-02", hours="8", employee_id="E-002")
        digests.append(ep.world.digest())
    assert digests[0] == digests[1]


def test_helpers():
    store = make_store()
    assert working_days(store, date(2026, 3, 30), date(2026, 4, 6)) == 5
    assert week_of(date(2026, 3, 8)) == date(2026, 3, 2)
    assert timesheet_flags(store, store.timesheet("TS-0001")) == []
    rng = random.Random(1)
    for weekly in (40, 32, 24):
        week = week_hours(rng, weekly)
        assert sum(week) == weekly and week[5:] == [0, 0]
        assert all(h % Decimal("0.25") == 0 for h in week)


def test_hr_store_is_a_pure_function_of_its_stream():
    one = hr_store(random.Random(4), now=NOW, team_size=4, weeks=9)
    two = hr_store(random.Random(4), now=NOW, team_size=4, weeks=9)
    other = hr_store(random.Random(5), now=NOW, team_size=4, weeks=9)
    assert one.model_dump_json() == two.model_dump_json() != other.model_dump_json()
    json.loads(one.model_dump_json())
    assert len(one.employees) == 13 and one.employees[0].manager is None
    assert all(one.employee(e.manager) for e in one.employees[1:] if e.manager)
    assert sorted(one.templates) == sorted(TEMPLATES)
    closed = [p for p in one.periods if p.status == "closed"]
    assert closed and one.periods[-1].status == "open"
    assert all(t.status == "paid" for t in one.timesheets if t.week <= closed[-1].end)
    last = (week_of(NOW.date()) - timedelta(weeks=1)).isoformat()
    assert {t.status for t in one.timesheets if t.week == last} <= {"submitted", "draft"}
    for sheet in one.timesheets:
        assert timesheet_flags(one, sheet) == []  # anomalies are what a family adds
    for request in one.leave:
        assert request.start[:4] == request.end[:4] and request.days >= 1


# -- the same change through the API and through the site -------------------------------------


def _ref(text: str, role: str, name: str) -> str:
    for line in text.splitlines():
        if f'- {role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise AssertionError(f"no {role} {name!r} in\n{text}")


def test_leave_requested_and_approved_through_the_site_matches_the_api(start_episode):
    def pair(account: str) -> tuple[Episode, Episode]:
        api = start_episode(("hr",), family="tests/hr", now=NOW,
                            stores={"hr": make_store(account)})
        gui = start_episode(("browser",), family="tests/hr", now=NOW,
                            stores={"hr": make_store(account)})
        return api, gui

    api, gui = pair("E-003")
    ok(api, "hr.request_leave", kind="annual", start="2026-03-16", end="2026-03-18",
       note="Family visit")
    text = ok(gui, "browser.navigate", url="https://hr.example/leave/new")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "First day"), text="2026-03-16")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Last day"), text="2026-03-18")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Note"), text="Family visit")
    done = ok(gui, "browser.click", ref=_ref(text, "button", "Request leave"))
    assert "status: Leave L-0002 requested: 3 working days." in done
    assert hr(gui).model_dump() == hr(api).model_dump()

    manager_api, manager_gui = pair("E-002")
    for ep, source in ((manager_api, api), (manager_gui, gui)):
        hr(ep).leave = [r.model_copy(deep=True) for r in hr(source).leave]
    ok(manager_api, "hr.decide_leave", request_id="L-0002", decision="reject",
       note="Quarter close")
    text = ok(manager_gui, "browser.navigate", url="https://hr.example/leave?status=requested")
    text = ok(manager_gui, "browser.click", ref=_ref(text, "link", "L-0002"))
    refused = ok(manager_gui, "browser.click", ref=_ref(text, "button", "Reject"))
    assert "say why the leave is rejected" in refused
    ok(manager_gui, "browser.type", ref=_ref(refused, "textbox", "Note"), text="Quarter close")
    done = ok(manager_gui, "browser.click", ref=_ref(refused, "button", "Reject"))
    assert "status: Leave L-0002 is rejected." in done
    assert hr(manager_gui).model_dump() == hr(manager_api).model_dump()


def test_hours_logged_and_submitted_through_the_site_match_the_api(start_episode):
    api = episode(start_episode, "E-003")
    ok(api, "hr.log_hours", date="2026-03-02", hours="8", note="Audit")
    ok(api, "hr.log_hours", date="2026-03-03", hours="6.75")
    ok(api, "hr.submit_timesheet", timesheet_id="TS-0005")
    gui = start_episode(("browser",), family="tests/hr", now=NOW,
                        stores={"hr": make_store("E-003")})
    text = ok(gui, "browser.navigate", url="https://hr.example/timesheets")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Week of"), text="2026-03-03")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Open week"))
    assert "- Page URL: https://hr.example/timesheets/week?" in text
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Hours on Mon 2026-03-02"), text="8")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Note on Mon 2026-03-02"), text="Audit")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Hours on Tue 2026-03-03"), text="6.75")
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Hours on Thu 2026-03-05"), text="8")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Save hours"))
    assert "is in the future" in text and "the form was refused" in text
    ok(gui, "browser.type", ref=_ref(text, "textbox", "Hours on Thu 2026-03-05"), text="0")
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Save hours"))
    assert "status: Hours of TS-0005 saved." in text
    text = ok(gui, "browser.click", ref=_ref(text, "button", "Submit for approval"))
    assert "status: Timesheet TS-0005 is submitted." in text
    assert hr(gui).model_dump() == hr(api).model_dump()


# -- hostile arguments over a populated HR portal -------------------------------------------------

_HOSTILE = ["", " ", "x" * 300, "\x00", "é", "*", "-1", "0", "1.5", "12,50", "1e9", "99999999999",
            "2026-03-02", "2026-02-30", "9999-12-31", "2026-03-10T08:00", None, 0, -1, 10**9,
            True, 2.5, [], {}, [""], {"": ""}]

_POPULATED = hr_store(random.Random(1), now=NOW, team_size=3, weeks=4)


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_arguments_never_break_a_populated_hr(data):
    store = _POPULATED
    pool = _HOSTILE + [
        "E-001", "E-002", "E-003", "L-0001", "TS-0001", "TS-0004", "OB-001", "PP-2026-02-02",
        "General", "annual", "sick", "approve", "reject", "HR", "Employee", "7.5"]
    task = Task(spec=TaskSpec(family="tests/hr", version=1, seed=0), prompt="",
                apps=("hr",), criteria=(), reference=(),
                template=WorldTemplate(now=NOW, stores={"hr": store}))
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

    served, direct = episode(start_episode, "E-002"), episode(start_episode, "E-002")
    async with connect_in_process(served, mode="legacy") as client:
        for name, args in [
                ("hr_decide_timesheet", {"timesheet_id": "TS-0001", "decision": "approve"}),
                ("hr_request_leave", {"kind": "annual", "start": "2026-03-16",
                                      "end": "2026-03-16"}),
                ("hr_log_hours", {"date": "2026-03-02", "hours": "8"}),
                ("hr_get_leave_balance", {"employee_id": "E-003"}),
                ("hr_close_payroll", {"period_id": "PP-02"})]:
            result = await client.call_tool(name, args)
            assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text), name
    assert served.world.digest() == direct.world.digest()


# -- real HTML over loopback HTTP ----------------------------------------------------------------


@pytest.mark.parametrize("account", [None, "E-002", "E-003"])
def test_every_page_a_visitor_can_reach_is_html_over_http(account):
    store = hr_store(random.Random(3), now=NOW, team_size=3, weeks=3)
    store.account = account
    assert len(crawl_site({"hr": store}, NOW, "hr.example")) >= 20
