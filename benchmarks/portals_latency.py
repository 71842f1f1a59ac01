"""p50 latency of every tool of the crm, hr, lms and travel portals, and of their pages in
the browser.

Each tool is called through ``Episode.call`` (validation, lock, logging: the path a model
takes) on a portal of a realistic size built by its content generator: a CRM of 60
accounts, 400 deals and 1,500 activities; an HR portal of 49 employees with 12 weeks of
timesheets; a campus of 18 courses and 200 students; a travel desk of 10 cities over 21
days (about 2,500 flights and trains) with 40 hotels. Reads repeat on one world; writes
repeat where the rules allow (a deal moved back and forth, a booking made and cancelled,
a sheet submitted and rejected in turn) or run over distinct records; closing payroll,
which can happen once per period, is timed on fresh worlds.

The last rows time ``browser.navigate`` to a list page and a record's page of each site
(the site's handlers over the same store, and the accessibility snapshot).

    python benchmarks/portals_latency.py [--repeats 41]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.crm import CrmStore
from workgym.apps.hr import HrStore, week_of
from workgym.apps.lms import LmsStore
from workgym.apps.travel import TravelStore
from workgym.content.crm import crm_store
from workgym.content.hr import hr_store
from workgym.content.lms import lms_store
from workgym.content.travel import travel_store
from workgym.core import App, Episode, Store, Task, TaskSpec, WorldTemplate

NOW = datetime(2026, 3, 4, 9, tzinfo=timezone(timedelta(hours=1)))
Row = tuple[str, float]


def template(name: str, store: Store) -> Task:
    return Task(spec=TaskSpec(family=f"bench/{name}", version=1, seed=0), prompt="",
                apps=(name, "browser"), criteria=(), reference=(),
                template=WorldTemplate(now=NOW, stores={name: store}))


def timed(ep: Episode, name: str, args: dict[str, Any]) -> float:
    started = time.perf_counter()
    result = ep.call(name, args)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"{name} {args} failed: {result.text[:400]}")
    return elapsed


def p50(ep: Episode, name: str, make_args: Callable[[int], dict[str, Any]],
        repeats: int) -> float:
    """Median milliseconds of ``repeats`` calls, each with ``make_args(i)``."""
    return statistics.median(timed(ep, name, make_args(i)) for i in range(repeats)) * 1e3


def pairs(ep: Episode, first: tuple[str, Callable[[int], dict[str, Any]]],
          second: tuple[str, Callable[[int], dict[str, Any]]],
          repeats: int) -> tuple[float, float]:
    """Medians of two calls made in turn (a write and the one that undoes it)."""
    one, two = [], []
    for i in range(repeats):
        one.append(timed(ep, first[0], first[1](i)))
        two.append(timed(ep, second[0], second[1](i)))
    return statistics.median(one) * 1e3, statistics.median(two) * 1e3


def crm_rows(repeats: int) -> list[Row]:
    store = crm_store(random.Random(2026), now=NOW, reps=8, accounts=60, deals=400,
                      activities=1500)
    rows: list[Row] = []
    with template("crm", store).start() as ep:
        crm = ep.world.stores["crm"]
        assert isinstance(crm, CrmStore)
        accounts = [a.id for a in crm.accounts]
        open_deal = next(d.id for d in crm.deals if d.is_open)
        word = crm.accounts[0].name.split()[0]
        reads: list[tuple[str, Callable[[int], dict[str, Any]]]] = [
            ("list_users", lambda i: {}),
            ("list_accounts", lambda i: {"query": word}),
            ("get_account", lambda i: {"account_id": accounts[i % len(accounts)]}),
            ("list_contacts", lambda i: {"account_id": accounts[i % len(accounts)]}),
            ("get_contact", lambda i: {"contact_id": crm.contacts[i].id}),
            ("list_deals", lambda i: {"open_only": True}),
            ("get_deal", lambda i: {"deal_id": crm.deals[i].id}),
            ("list_activities", lambda i: {"account_id": accounts[i % len(accounts)]}),
            ("get_activity", lambda i: {"activity_id": crm.activities[i].id}),
            ("forecast", lambda i: {"closing_after": "2026-03-01",
                                    "closing_before": "2026-06-30"})]
        rows += [(name, p50(ep, f"crm.{name}", args, repeats)) for name, args in reads]
        if next(d for d in crm.deals if d.id == open_deal).stage == "proposal":
            timed(ep, "crm.move_deal", {"deal_id": open_deal, "stage": "qualification"})
        moved = [timed(ep, "crm.move_deal", {"deal_id": open_deal, "stage": s})
                 for _ in range(repeats) for s in ("proposal", "negotiation")]
        rows.append(("move_deal", statistics.median(moved) * 1e3))
        rows.append(("update_deal", p50(ep, "crm.update_deal", lambda i: {
            "deal_id": open_deal, "probability": 40 + i % 20}, repeats)))
        rows.append(("create_deal", p50(ep, "crm.create_deal", lambda i: {
            "account_id": accounts[i % len(accounts)], "name": f"Bench {i}", "amount": "9000",
            "close_date": "2026-06-30"}, repeats)))
        rows.append(("log_activity", p50(ep, "crm.log_activity", lambda i: {
            "kind": "call", "subject": f"Bench call {i}", "body": "Notes.",
            "deal_id": open_deal}, repeats)))
        rows.append(("add_contact", p50(ep, "crm.add_contact", lambda i: {
            "account_id": accounts[i % len(accounts)], "name": f"Bench Person {i}",
            "email": f"bench{i}@bench.example"}, repeats)))
        rows += browser_rows(ep, "crm.example", ["/deals", f"/deals/{open_deal}"], repeats)
    return rows


def hr_rows(repeats: int) -> list[Row]:
    teams = ("Platform", "Payments", "Search", "Mobile", "Data", "Growth")
    store = hr_store(random.Random(2026), now=NOW, teams=teams, team_size=8, weeks=12)
    today = NOW.date()
    for n, employee in enumerate(store.employees[1:repeats + 1]):  # requests to decide
        start = today + timedelta(days=60 + 7 * (n % 10))
        store.add_leave(employee.id, "unpaid", start, start + timedelta(days=1),
                        status="requested", created=today)
    task = template("hr", store)
    rows: list[Row] = []
    with task.start() as ep:
        hr = ep.world.stores["hr"]
        assert isinstance(hr, HrStore)
        people = [e.id for e in hr.employees]
        period = next(p.id for p in hr.periods if p.status == "open")
        waiting = [r.id for r in hr.leave if r.status == "requested"]
        reads: list[tuple[str, Callable[[int], dict[str, Any]]]] = [
            ("list_employees", lambda i: {"department": "Data"}),
            ("get_employee", lambda i: {"employee_id": people[i % len(people)]}),
            ("get_leave_balance", lambda i: {"employee_id": people[i % len(people)]}),
            ("list_leave_requests", lambda i: {}),
            ("get_leave_request", lambda i: {"request_id": hr.leave[i % len(hr.leave)].id}),
            ("list_timesheets", lambda i: {"status": "approved"}),
            ("get_timesheet", lambda i: {"timesheet_id": hr.timesheets[i].id}),
            ("list_checklists", lambda i: {}),
            ("list_payroll_periods", lambda i: {}),
            ("get_payroll_period", lambda i: {"period_id": period})]
        rows += [(name, p50(ep, f"hr.{name}", args, repeats)) for name, args in reads]
        rows.append(("decide_leave", statistics.median(
            timed(ep, "hr.decide_leave", {"request_id": r, "decision": "approve"})
            for r in waiting[:repeats]) * 1e3))
        ahead = (today + timedelta(days=30)).isoformat()
        request, cancel = pairs(
            ep, ("hr.request_leave", lambda i: {"kind": "unpaid", "start": ahead, "end": ahead,
                                                "employee_id": people[1]}),
            ("hr.cancel_leave", lambda i: {"request_id": hr.leave[-1].id}), repeats)
        rows += [("request_leave", request), ("cancel_leave", cancel)]
        rows.append(("log_hours", p50(ep, "hr.log_hours", lambda i: {
            "date": today.isoformat(), "hours": str(6 + i % 4), "employee_id": people[2]},
            repeats)))
        sheet = hr.sheet_of(people[2], week_of(today))
        assert sheet is not None
        sheet_id = sheet.id
        submit, reject = pairs(
            ep, ("hr.submit_timesheet", lambda i: {"timesheet_id": sheet_id}),
            ("hr.decide_timesheet", lambda i: {"timesheet_id": sheet_id, "decision": "reject",
                                               "note": "Check Monday"}), repeats)
        rows += [("submit_timesheet", submit), ("decide_timesheet", reject)]
        starts = [timed(ep, "hr.add_employee", {
            "name": f"Bench Hire {i}", "email": f"hire{i}@bench.example",
            "start_date": (today + timedelta(days=14)).isoformat()}) for i in range(repeats)]
        rows.append(("add_employee", statistics.median(starts) * 1e3))
        hires = [e.id for e in hr.employees[-repeats:]]
        rows.append(("start_onboarding", statistics.median(
            timed(ep, "hr.start_onboarding", {"employee_id": e, "template": "General"})
            for e in hires) * 1e3))
        checklist = hr.checklists[0].id
        rows.append(("get_checklist", p50(ep, "hr.get_checklist", lambda i: {
            "checklist_id": checklist}, repeats)))
        rows.append(("complete_task", statistics.median(
            timed(ep, "hr.complete_task", {"checklist_id": c.id, "task": 1})
            for c in hr.checklists[:repeats]) * 1e3))
        rows.append(("add_task", p50(ep, "hr.add_task", lambda i: {
            "checklist_id": checklist, "title": f"Bench task {i}", "owner": "HR",
            "due": "2026-04-01"}, repeats)))
        rows += browser_rows(ep, "hr.example", ["/timesheets?status=submitted",
                                                 f"/timesheets/{hr.timesheets[0].id}"], repeats)
    closes = []
    for _ in range(repeats):
        with task.start() as fresh:
            portal = fresh.world.stores["hr"]
            assert isinstance(portal, HrStore)
            for waiting_sheet in portal.timesheets:
                if waiting_sheet.status == "submitted":
                    waiting_sheet.status = "approved"
            closes.append(timed(fresh, "hr.close_payroll", {"period_id": period}))
    rows.append(("close_payroll (fresh worlds)", statistics.median(closes) * 1e3))
    return rows


def lms_rows(repeats: int) -> list[Row]:
    store = lms_store(random.Random(2026), now=NOW, courses=18, students=200, instructors=8,
                      assignments=3)
    rows: list[Row] = []
    with template("lms", store).start() as ep:
        lms = ep.world.stores["lms"]
        assert isinstance(lms, LmsStore)
        course = max(lms.courses, key=lambda c: len([e for e in lms.enrolments
                                                     if e.course == c.code])).code
        work = next(a for a in lms.assignments if a.course == course and a.due < "2026-03-04")
        graded = next(s for s in lms.submissions if s.assignment == work.id)
        student = graded.student
        reads: list[tuple[str, Callable[[int], dict[str, Any]]]] = [
            ("list_courses", lambda i: {"query": "introduction"}),
            ("get_course", lambda i: {"course_code": course}),
            ("list_students", lambda i: {"query": "bsc"}),
            ("get_student", lambda i: {"student_id": lms.students[i].id}),
            ("get_timetable", lambda i: {"student_id": lms.students[i].id}),
            ("list_enrolments", lambda i: {"course_code": course}),
            ("list_assignments", lambda i: {"course_code": course}),
            ("get_assignment", lambda i: {"assignment_id": work.id}),
            ("list_submissions", lambda i: {"assignment_id": work.id}),
            ("get_submission", lambda i: {"submission_id": graded.id}),
            ("get_gradebook", lambda i: {"course_code": course})]
        rows += [(name, p50(ep, f"lms.{name}", args, repeats)) for name, args in reads]
        rows.append(("grade_submission (regrade)", p50(ep, "lms.grade_submission", lambda i: {
            "submission_id": graded.id,
            "scores": {r.id: str(r.points - i % 2) for r in work.rubric}}, repeats)))
        pending = next(s for s in lms.submissions if s.status == "submitted")
        rows.append(("submit_assignment (staff, resubmit)", p50(
            ep, "lms.submit_assignment", lambda i: {
                "assignment_id": pending.assignment, "student_id": pending.student,
                "text": f"Mailed copy {i}", "submitted_at": "2026-03-03T20:00"}, repeats)))
        # a student and a section the rules let them into, found by trying
        student, section = next(
            (who.id, s.id) for who in lms.students for c in lms.courses for s in c.sections
            if ep.call("lms.enrol", {"section_id": s.id, "student_id": who.id}).ok)
        code = section.rsplit("-", 1)[0]
        drop, enrol = pairs(
            ep, ("lms.drop", lambda i: {"course_code": code, "student_id": student}),
            ("lms.enrol", lambda i: {"section_id": section, "student_id": student}), repeats)
        rows += [("enrol", enrol), ("drop", drop)]
        rows += browser_rows(ep, "campus.example", [f"/courses/{course}",
                                                     f"/submissions/{graded.id}"], repeats)
    return rows


def travel_rows(repeats: int) -> list[Row]:
    store = travel_store(random.Random(2026), now=NOW, places=10, days=21, travellers=20)
    rows: list[Row] = []
    with template("travel", store).start() as ep:
        desk = ep.world.stores["travel"]
        assert isinstance(desk, TravelStore)
        flight = next(f for f in desk.flights
                      if any(x.fare_class == "economy" and x.seats for x in f.fares))
        train = next(t for t in desk.trains
                     if any(x.fare_class == "second" and x.seats for x in t.fares))
        day = flight.depart[:10]
        stay_in = (date.fromisoformat(day) + timedelta(days=2)).isoformat()
        stay_out = (date.fromisoformat(day) + timedelta(days=4)).isoformat()
        hotel_hits = ep.call("travel.search_hotels", {"city": flight.destination,
                                                      "check_in": stay_in,
                                                      "check_out": stay_out}).value
        hotel = next(h["id"] for h in hotel_hits["results"])
        reads: list[tuple[str, Callable[[int], dict[str, Any]]]] = [
            ("list_places", lambda i: {}),
            ("get_distance", lambda i: {"origin": flight.origin,
                                        "destination": flight.destination}),
            ("search_flights", lambda i: {"origin": flight.origin,
                                          "destination": flight.destination, "date": day,
                                          "sort": "price"}),
            ("get_flight", lambda i: {"flight_id": desk.flights[i].id}),
            ("search_trains", lambda i: {"origin": train.origin,
                                         "destination": train.destination,
                                         "date": train.depart[:10]}),
            ("get_train", lambda i: {"train_id": desk.trains[i].id}),
            ("search_hotels", lambda i: {"city": flight.destination, "check_in": stay_in,
                                         "check_out": stay_out}),
            ("get_hotel", lambda i: {"hotel_id": hotel}),
            ("list_travellers", lambda i: {}),
            ("get_policies", lambda i: {})]
        rows += [(name, p50(ep, f"travel.{name}", args, repeats)) for name, args in reads]
        who = next(t.id for t in desk.travellers if t.policy_class == "standard")
        for label, call in (
                ("book_flight", ("travel.book_flight", lambda i: {"flight_id": flight.id,
                                                                  "traveller_id": who})),
                ("book_train", ("travel.book_train", lambda i: {"train_id": train.id,
                                                                "traveller_id": who})),
                ("book_hotel", ("travel.book_hotel", lambda i: {
                    "hotel_id": hotel, "traveller_id": who, "check_in": stay_in,
                    "check_out": stay_out, "exception_reason": "Only hotel near the venue"}))):
            book, cancel = pairs(ep, call, ("travel.cancel_booking", lambda i: {
                "booking_id": desk.bookings[-1].id}), repeats)
            rows += [(label, book), (f"cancel_booking ({label[5:]})", cancel)]
        ok_flight = ep.call("travel.book_flight", {"flight_id": flight.id, "traveller_id": who})
        assert ok_flight.ok, ok_flight.text
        rows.append(("list_bookings", p50(ep, "travel.list_bookings", lambda i: {
            "traveller_id": who}, repeats)))
        rows.append(("get_booking", p50(ep, "travel.get_booking", lambda i: {
            "booking_id": desk.bookings[i % len(desk.bookings)].id}, repeats)))
        rows.append(("get_itinerary", p50(ep, "travel.get_itinerary", lambda i: {
            "traveller_id": who}, repeats)))
        rows += browser_rows(ep, "travel.example", [
            f"/flights?origin={flight.origin}&destination={flight.destination}&date={day}",
            f"/hotels/{hotel}?check_in={stay_in}&check_out={stay_out}"], repeats)
    return rows


def browser_rows(ep: Episode, host: str, paths: list[str], repeats: int) -> list[Row]:
    def visit(url: str) -> Callable[[int], dict[str, Any]]:
        return lambda i: {"url": url}

    return [(f"browser.navigate {path.split('?')[0]}",
             p50(ep, "browser.navigate", visit(f"https://{host}{path}"), repeats))
            for path in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=41)
    args = parser.parse_args()
    for name, rows in (("crm", crm_rows(args.repeats)), ("hr", hr_rows(args.repeats)),
                       ("lms", lms_rows(args.repeats)), ("travel", travel_rows(args.repeats))):
        tools = sorted(App.registry[name].tool_specs())
        timed_tools = {label.split(" ")[0] for label, _ in rows}
        missing = [t for t in tools if t not in timed_tools]
        untimed = f", not timed: {', '.join(missing)}" if missing else ""
        print(f"\n{name} ({len(tools)} tools{untimed})")
        for label, ms in rows:
            print(f"  {label:<44} {ms:8.3f} ms")


if __name__ == "__main__":
    main()
