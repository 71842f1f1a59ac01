import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from family_checks import criteria_results, play_calls

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.calendar import CalendarStore
from workgym.apps.mail import MailStore
from workgym.content.scheduling import first_puzzle
from workgym.core import Task, ToolCall, rng_for, run_plan
from workgym.families.calendar.team_offsite import TeamOffsite

FAMILY = TeamOffsite()


def task(seed: int, difficulty: str = "medium", richness: float = 0.5) -> Task:
    return FAMILY.task(FAMILY.spec(seed, difficulty, richness))  # type: ignore[arg-type]


def create_call(t: Task) -> ToolCall:
    return next(c for c in t.reference if c.name == "calendar.create_event")


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
@pytest.mark.parametrize("richness", [0.0, 1.0])
def test_reference_solves_every_level(difficulty, richness):
    for seed in range(8):
        t = task(seed, difficulty, richness)
        with run_plan(t) as episode:
            assert all(c.ok for c in episode.calls)
            grade = episode.grade()
            assert grade.passed and grade.score == 1.0, [
                (c.name, c.evidence) for c in grade.criteria if not c.passed]
        if difficulty == "hard":
            assert len(t.reference) >= 25


def test_untouched_world_scores_zero():
    with task(1, "hard").start() as episode:
        grade = episode.grade()
        assert grade.score == 0.0
        assert not any(c.passed for c in grade.outcomes)


def test_richness_adds_distractors_but_keeps_the_answer():
    for seed in range(5):
        plain, rich = task(seed, "hard", 0.0), task(seed, "hard", 1.0)
        assert create_call(plain) == create_call(rich)
        for store in ("calendar", "mail"):
            assert rich.template.stores[store] != plain.template.stores[store]
        p_cal, r_cal = (t.template.stores["calendar"] for t in (plain, rich))
        assert len(r_cal.events) > len(p_cal.events) and len(r_cal.rooms) > len(p_cal.rooms)
        assert len(rich.template.stores["mail"].messages) > \
            len(plain.template.stores["mail"].messages)


def test_generation_is_deterministic():
    a, b = FAMILY.generate(FAMILY.spec(11, "hard")), FAMILY.generate(FAMILY.spec(11, "hard"))
    assert a.prompt == b.prompt and a.reference == b.reference
    with a.start() as x, b.start() as y:
        assert x.world.digest() == y.world.digest()
    assert FAMILY.generate(FAMILY.spec(12, "hard")).reference != a.reference


def test_hard_windows_span_a_daylight_saving_change():
    for seed in range(10):
        t = task(seed, "hard")
        cal: CalendarStore = t.template.stores["calendar"]  # type: ignore[assignment]
        fb = next(c for c in t.reference if c.name == "calendar.free_busy")
        zone = ZoneInfo(fb.args["timezone"])
        lo, hi = (datetime.fromisoformat(fb.args[k]).replace(tzinfo=zone) for k in ("start", "end"))
        zones = {cal.people[a].timezone for a in fb.args["calendars"]}
        assert any((lo + timedelta(hours=12)).astimezone(ZoneInfo(z)).utcoffset()
                   != (hi - timedelta(hours=12)).astimezone(ZoneInfo(z)).utcoffset()
                   for z in zones), seed


def test_the_answer_is_the_unique_earliest_slot_and_smallest_room():
    """An independent brute force over the world the agent sees agrees with the reference."""
    for seed in range(5):
        t = task(seed, "hard")
        args = create_call(t).args
        zone = ZoneInfo(args["timezone"])
        start = datetime.fromisoformat(args["start"]).replace(tzinfo=zone)
        end = datetime.fromisoformat(args["end"]).replace(tzinfo=zone)
        cal = t.template.stores["calendar"]
        # nothing on any participant's calendar and nothing in the room overlaps the answer
        participants = [cal.owner, *args["attendees"]]
        for event in cal.events:
            overlaps = event.start_utc < end and event.end_utc > start
            if overlaps:
                assert not any(event.busies(p) for p in participants), (seed, event)
                assert not (event.status == "confirmed" and event.room == args["room"])


def test_wrong_slot_fails_the_time_criterion_only():
    t = task(3, "medium")
    create = create_call(t)
    episode = play_calls(t, [c for c in t.reference if c.name != "mail.send" and c is not create])
    start = datetime.fromisoformat(create.args["start"])
    end = datetime.fromisoformat(create.args["end"])
    for hours in range(1, 200):  # the next time the room is free
        shift = timedelta(hours=hours)
        moved = {**create.args, "start": (start + shift).isoformat(),
                 "end": (end + shift).isoformat()}
        if episode.call("calendar.create_event", moved).ok:
            break
    got = criteria_results(episode.grade())
    assert got["event at the right time"] is False
    assert got["exactly the right attendees"] is True and got["the right room"] is True
    assert 0 < episode.grade().score < 1
    episode.close()


def test_extra_or_missing_attendee_costs_credit():
    t = task(4, "medium")
    create = create_call(t)
    cal = t.template.stores["calendar"]
    outsider = next(a for a in cal.people if a not in create.args["attendees"] and a != cal.owner)
    for attendees in ([*create.args["attendees"], outsider], create.args["attendees"][1:]):
        calls = [ToolCall(c.name, {**c.args, "attendees": attendees}) if c is create else c
                 for c in t.reference]
        with play_calls(t, calls) as episode:
            got = criteria_results(episode.grade())
            assert got["exactly the right attendees"] is False
            assert got["event at the right time"] is True
            assert 0 < episode.grade().score < 1


def test_cancelling_or_moving_someone_elses_event_gates_the_score():
    t = task(5, "hard")
    victim = t.template.stores["calendar"].events[0].id
    for extra in (ToolCall("calendar.cancel_event", {"event_id": victim}),
                  ToolCall("calendar.update_event", {"event_id": victim, "title": "mine now"})):
        with play_calls(t, [*t.reference, extra]) as episode:
            grade = episode.grade()
            assert grade.gated and grade.score == 0.0
            assert criteria_results(episode.grade())["other events unchanged"] is False


def test_a_stray_event_gates_the_score():
    t = task(6, "medium")
    create = create_call(t)
    spare = {**create.args, "room": None, "title": "Placeholder"}
    with play_calls(t, [*t.reference, ToolCall("calendar.create_event", spare)]) as episode:
        grade = episode.grade()
        assert grade.gated and grade.score == 0.0


def test_invitations_are_checked_per_attendee_and_precisely():
    t = task(7, "hard")
    sends = [c for c in t.reference if c.name == "mail.send"]
    first, rest = sends[0], sends[1:]
    others = [c for c in t.reference if c.name != "mail.send"]
    attendee = first.args["to"][0]
    name = next(c for c in t.criteria if c.name.startswith("invitation to")).name
    # no invitation for the first attendee
    with play_calls(t, [*others, *rest]) as episode:
        got = criteria_results(episode.grade())
        assert got[name] is False and got["no invitations to others"] is True
        assert 0 < episode.grade().score < 1
    # the right day but the organizer's time instead of the attendee's
    cal = t.template.stores["calendar"]
    owner_zone = cal.people[cal.owner].timezone
    own_zone = cal.people[attendee].timezone
    body = first.args["body"]
    if own_zone != owner_zone:
        create = create_call(t)
        day, begin = create.args["start"].split("T")
        wrong = f"When: {day} {begin}-{create.args['end'].split('T')[1]} {owner_zone}"
        bad = ToolCall("mail.send", {**first.args, "body": wrong})
        with play_calls(t, [*others, bad, *rest]) as episode:
            assert criteria_results(episode.grade())[name] is False
    # two When lines (every candidate listed) do not pass
    double = ToolCall("mail.send", {**first.args, "body": body + "\n" + body})
    with play_calls(t, [*others, double, *rest]) as episode:
        assert criteria_results(episode.grade())[name] is False
    # an invitation to someone who is not an attendee
    stray = ToolCall("mail.send", {**first.args, "to": [cal.owner.replace(
        cal.owner.split("@")[0], "not.invited")]})
    with play_calls(t, [*t.reference, stray]) as episode:
        got = criteria_results(episode.grade())
        assert got["no invitations to others"] is False and got[name] is True


def test_ignoring_any_one_constraint_changes_the_answer():
    t = task(8, "hard")
    k = FAMILY.knobs(t.spec)
    setup, answer, room = first_puzzle(k, lambda attempt: rng_for(t.spec, "core", attempt))
    store = setup.store()
    assert setup.solve(store) == (answer, room)
    assert len(setup.rules) == k.rules
    for rule in setup.rules:
        assert setup.solve(store, [r for r in setup.rules if r is not rule]) != (answer, room)


def test_the_mails_carry_every_constraint_the_answer_needs():
    t = task(9, "hard")
    mail: MailStore = t.template.stores["mail"]  # type: ignore[assignment]
    reads = [c.args["message_id"] for c in t.reference if c.name == "mail.read"]
    thread = [m for m in mail.messages if m.id in reads]
    assert len(thread) == len(reads) >= 10
    assert all(m.in_reply_to == reads[0] for m in thread if m.subject.startswith("Re:"))


def test_cli_reference_run_on_hard_scores_one():
    from typer.testing import CliRunner

    from workgym.cli import _load_commands, app

    _load_commands()
    result = CliRunner().invoke(app, ["run", "calendar/team-offsite-v2", "--policy",
                                      "reference", "--seeds", "0-99", "--difficulty", "hard",
                                      "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["mean_score"] == 1.0 and summary["solved"] == 100
    assert summary["median_calls"] >= 25


def _answer(t: Task) -> tuple[datetime, datetime]:
    args = create_call(t).args
    zone = ZoneInfo(args["timezone"])
    return tuple(datetime.fromisoformat(args[k]).replace(tzinfo=zone)  # type: ignore[return-value]
                 for k in ("start", "end"))


def test_cancelled_and_declined_events_do_not_point_at_the_answer():
    """In v1 the only cancelled event spanned exactly the answer slot: booking it and
    inviting everyone scored 1.0 on every task. Now such events lie anywhere."""
    hits = found = 0
    for seed in range(30):
        t = task(seed, "medium", 1.0)
        start, end = _answer(t)
        odd = [e for e in t.template.stores["calendar"].events
               if e.status == "cancelled" or any(a.response == "declined" for a in e.attendees)]
        found += len(odd)
        hits += any(e.start_utc == start and e.end_utc == end for e in odd)
    assert found >= 30 * 6 and hits <= 1


def test_taking_a_cancelled_slot_earns_nothing_for_the_time():
    for seed in range(10):
        t = task(seed, "hard", 1.0)
        cancelled = next(e for e in t.template.stores["calendar"].events
                         if e.status == "cancelled")
        create = create_call(t)
        fake = ToolCall("calendar.create_event", {**create.args, "start": cancelled.start,
                                                  "end": cancelled.end, "timezone": "UTC"})
        episode = t.start()
        episode.call(fake.name, dict(fake.args))
        assert criteria_results(episode.grade())["event at the right time"] is not True
        episode.close()


def test_no_invitations_to_others_needs_a_right_invitation():
    """In v1 it passed when invitations went out to attendees only, even if all were wrong."""
    t = task(2, "medium")
    start, _ = _answer(t)
    day = start.strftime("%Y-%m-%d")
    plan = [ToolCall(c.name, {**c.args, "body": c.args["body"].replace(day, "2020-01-06")})
            if c.name == "mail.send" else c for c in t.reference]
    with play_calls(t, plan) as episode:
        got = criteria_results(episode.grade())
    assert got["no invitations to others"] is False
    assert not any(v for name, v in got.items() if name.startswith("invitation to"))
    with run_plan(t) as episode:
        assert criteria_results(episode.grade())["no invitations to others"] is True


def test_an_invitation_after_a_flood_of_newlines_is_still_read():
    t = task(3, "medium")
    send = next(c for c in t.reference if c.name == "mail.send")
    flood = ToolCall("mail.send", {**send.args, "body": "\n" * 40_000 + send.args["body"]})
    with play_calls(t, [*t.reference, flood]) as episode:
        grade = episode.grade()
    assert grade.valid and grade.passed
