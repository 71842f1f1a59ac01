"""calendar/interview-loop: the contract, then the family's own wrong-answer tests."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from family_checks import assert_meets_contract, criteria_results, play_calls

from workgym.core import Task, ToolCall
from workgym.families.calendar.interview_loop import InterviewLoop

FAMILY = InterviewLoop()


def task(seed: int, level: str = "hard", richness: float = 0.5) -> Task:
    return FAMILY.task(FAMILY.spec(seed, level, richness))  # type: ignore[arg-type]


def creates(t: Task) -> list[ToolCall]:
    return [c for c in t.reference if c.name == "calendar.create_event"]


def swap(t: Task, old: ToolCall, new: ToolCall | None) -> list[ToolCall]:
    return [new if c is old else c for c in t.reference if c is not old or new is not None]


def test_interview_loop_meets_the_contract() -> None:
    report = assert_meets_contract(InterviewLoop())
    assert min(report.reference_calls["hard"]) >= 25


def test_panels_follow_each_other_within_the_candidates_hours() -> None:
    for seed in range(6):
        t = task(seed)
        events = creates(t)
        zone = ZoneInfo(events[0].args["timezone"])
        spans = [tuple(datetime.fromisoformat(c.args[k]).replace(tzinfo=zone)
                       for k in ("start", "end")) for c in events]
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), seed
        mail = next(c for c in t.reference if c.name == "mail.send")
        assert len([x for x in mail.args["body"].splitlines() if x.endswith(zone.key)]) == \
            len(events)


def stand_ins(t: Task) -> list[tuple[str, str]]:
    """(who is away, their stand-in) as addresses, for the leave notes whose stand-in
    interviews."""
    contacts, chat = t.template.stores["contacts"], t.template.stores["chat"]
    by_name = {p.name: p.email for p in contacts.people}
    on_panels = {a for c in creates(t) for a in c.args["attendees"]}
    found = []
    for m in chat.messages:
        if m.text.startswith("Heads-up: I'm on leave") and " takes my interview" in m.text:
            name = m.text.split(". ", 1)[1].split(" takes my", 1)[0]
            away = next(p.email for p in contacts.people if p.email.startswith(m.user + "@"))
            if by_name[name] in on_panels:
                found.append((away, by_name[name]))
    return found


def test_the_named_interviewer_instead_of_the_stand_in_fails_that_panel() -> None:
    t = task(5)
    pairs = stand_ins(t)
    assert pairs, "hard tasks have stand-ins"
    away, stand = pairs[0]
    panel = next(c for c in creates(t) if stand in c.args["attendees"])
    wrong = ToolCall(panel.name, {**panel.args, "attendees": [
        away if a == stand else a for a in panel.args["attendees"]]})
    with play_calls(t, swap(t, panel, wrong)) as episode:
        got = criteria_results(episode.grade())
        assert got[f"{panel.args['title'].split(':')[0]}: interviewers"] is False
        assert not episode.grade().passed


def test_a_leave_outside_the_days_keeps_the_interviewer() -> None:
    for seed in range(5):
        t = task(seed)
        chat = t.template.stores["chat"]
        notes = {m.user for m in chat.messages if m.text.startswith("Heads-up: I'm on leave")}
        attendees = {a.split("@")[0] for c in creates(t) for a in c.args["attendees"]}
        # the one whose leave misses the days interviews; their stand-in does not
        assert notes & attendees, seed


@pytest.mark.parametrize("seed", [0, 3])
def test_a_wrong_time_costs_that_panel_and_its_schedule_line(seed: int) -> None:
    t = task(seed)
    last = creates(t)[-1]
    start = datetime.fromisoformat(last.args["start"])
    end = datetime.fromisoformat(last.args["end"])
    episode = play_calls(t, [c for c in t.reference if c is not last])
    for hours in range(1, 100):  # the next time the room, if any, is free
        moved = {**last.args, "start": (start + timedelta(hours=hours)).isoformat(),
                 "end": (end + timedelta(hours=hours)).isoformat()}
        if episode.call("calendar.create_event", moved).ok:
            break
    got = criteria_results(episode.grade())
    title = last.args["title"].split(":")[0]
    assert got[f"{title}: time"] is False
    assert got[f"{title}: interviewers"] is True
    assert 0 < episode.grade().score < 1 and not episode.grade().passed
    episode.close()


def test_listing_every_time_in_the_candidates_mail_earns_nothing() -> None:
    t = task(2)
    mail = next(c for c in t.reference if c.name == "mail.send")
    lines = [x for x in mail.args["body"].splitlines() if ": 20" in x]
    shotgun = [f"{x.split(':')[0]}: {y.split(': ', 1)[1]}" for x in lines for y in lines]
    new = ToolCall("mail.send", {**mail.args, "body": "\n".join(shotgun)})
    with play_calls(t, swap(t, mail, new)) as episode:
        got = criteria_results(episode.grade())
        assert not any(v for k, v in got.items() if k.startswith("schedule"))


def test_one_group_message_to_the_whole_panel_notifies_no_one() -> None:
    t = task(1)
    dms = [c for c in t.reference if c.name == "chat.send_direct"]
    group = ToolCall("chat.send_direct", {
        "to": [c.args["to"][0] for c in dms][:8],
        "text": "\n".join(c.args["text"] for c in dms)})
    calls = [c for c in t.reference if c not in dms] + [group]
    with play_calls(t, calls) as episode:
        got = criteria_results(episode.grade())
        assert not any(v for k, v in got.items() if k.endswith(" notified"))


def test_a_second_event_for_a_panel_gates_the_score() -> None:
    t = task(4, "medium")
    first = creates(t)[0]
    extra = ToolCall("calendar.create_event", {k: v for k, v in first.args.items()
                                               if k != "room"})
    with play_calls(t, [*t.reference, extra]) as episode:
        grade = episode.grade()
        assert grade.gated and grade.score == 0.0


def test_a_missing_video_line_or_a_needless_room_fails_room_and_video() -> None:
    for seed in range(10):
        t = task(seed, "medium")
        without = [c for c in creates(t) if "room" not in c.args]
        if without:
            break
    target = without[0]
    rooms = t.template.stores["calendar"].rooms
    title = target.args["title"].split(":")[0]
    for args in ({**target.args, "description": "Interview."},
                 {**target.args, "room": max(rooms, key=lambda r: r.capacity).name}):
        episode = t.start()
        for call in t.reference:
            given = args if call is target else call.args
            result = episode.call(call.name, dict(given))
            if call is target and not result.ok:  # the big room is busy: drop the case
                break
        got = criteria_results(episode.grade())
        if got.get(f"{title}: time"):
            assert got[f"{title}: room and video"] is False
        episode.close()
