from datetime import UTC, datetime

import pytest

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore, Room
from workgym.core import Episode, Task, TaskSpec, WorldTemplate

OWNER = "olga.moreau@example.org"
NY = "nadia.silva@example.org"
TOKYO = "kemal.tanaka@example.org"


def _store() -> CalendarStore:
    store = CalendarStore(
        owner=OWNER,
        people={
            OWNER: CalendarPerson(name="Olga Moreau", timezone="Europe/London"),
            NY: CalendarPerson(name="Nadia Silva", timezone="America/New_York"),
            TOKYO: CalendarPerson(name="Kemal Tanaka", timezone="Asia/Tokyo"),
        },
        rooms=[
            Room(name="Fjord", address="room.fjord@example.org", capacity=8,
                 timezone="Europe/London"),
            Room(name="Nook", address="room.nook@example.org", capacity=2,
                 timezone="Europe/London"),
        ],
    )
    # ev0001: Nadia, Tue 10 March 2026 14:00-15:00 UTC, in Fjord
    store.add_event("Budget review", datetime(2026, 3, 10, 14, tzinfo=UTC),
                    datetime(2026, 3, 10, 15, tzinfo=UTC), "America/New_York", NY,
                    room="Fjord")
    # ev0002: Nadia invited, 14:30-16:00 UTC, overlapping ev0001
    store.add_event("Vendor call", datetime(2026, 3, 10, 14, 30, tzinfo=UTC),
                    datetime(2026, 3, 10, 16, tzinfo=UTC), "Asia/Tokyo", TOKYO,
                    attendees=[Attendee(email=NY, response="accepted")])
    # ev0003: Kemal declined: not busy for him, busy for Nadia (organizer)
    store.add_event("Hiring sync", datetime(2026, 3, 10, 18, tzinfo=UTC),
                    datetime(2026, 3, 10, 19, tzinfo=UTC), "America/New_York", NY,
                    attendees=[Attendee(email=TOKYO, response="declined")])
    return store


@pytest.fixture
def ep(start_episode):
    return start_episode(("calendar",), family="tests/calendar",
                         now=datetime(2026, 3, 2, 9, tzinfo=UTC), stores={"calendar": _store()})


def ok(ep: Episode, name: str, **args):
    result = ep.call(name, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, name: str, match: str, **args) -> str:
    result = ep.call(name, args)
    assert not result.ok and ep.calls[-1].error in ("tool_error", "invalid_args"), result.text
    assert match in result.text, result.text
    return result.text


def test_tools_are_listed_in_both_forms(ep):
    names = {t["function"]["name"] for t in ep.tools("openai")}
    assert names == {"calendar_list_events", "calendar_get_event", "calendar_free_busy",
                     "calendar_list_rooms", "calendar_create_event", "calendar_update_event",
                     "calendar_cancel_event"}
    create = next(t for t in ep.tools("mcp") if t["name"] == "calendar_create_event")
    assert set(create["inputSchema"]["required"]) == {"title", "start", "end", "timezone",
                                                       "attendees"}
    assert "title" in create["inputSchema"]["properties"]


def test_local_times_follow_dst_of_the_given_zone(ep):
    # New York moves to daylight time on 8 March 2026; London only on 29 March
    before = ok(ep, "calendar.create_event", title="Before", start="2026-03-06T09:00",
                end="2026-03-06T10:00", timezone="America/New_York", attendees=[NY])
    after = ok(ep, "calendar_create_event", title="After", start="2026-03-09T09:00",
               end="2026-03-09T10:00", timezone="America/New_York", attendees=[NY])
    assert before["id"] == "ev0004" and after["id"] == "ev0005"
    assert before["start"] == "2026-03-06T09:00:00-05:00"
    assert after["start"] == "2026-03-09T09:00:00-04:00"
    store = ep.world.store("calendar", CalendarStore)
    assert store.event("ev0004").start == "2026-03-06T14:00:00Z"
    assert store.event("ev0005").start == "2026-03-09T13:00:00Z"
    assert store.event("ev0005").timezone == "America/New_York"
    # the same instant, seen from London and from Tokyo
    london = ok(ep, "calendar.get_event", event_id="ev0005", timezone="Europe/London")
    assert (london["start"], london["end"]) == ("2026-03-09T13:00:00+00:00",
                                                "2026-03-09T14:00:00+00:00")
    tokyo = ok(ep, "calendar.get_event", event_id="ev0005", timezone="Asia/Tokyo")
    assert tokyo["start"] == "2026-03-09T22:00:00+09:00"


def test_event_spanning_the_dst_switch_keeps_absolute_length(ep):
    # 00:00 to 05:00 local on the switch night is only four hours long
    event = ok(ep, "calendar.create_event", title="Night batch", start="2026-03-08T00:00",
               end="2026-03-08T05:00", timezone="America/New_York", attendees=[])
    assert event["start"].endswith("-05:00") and event["end"].endswith("-04:00")
    stored = ep.world.store("calendar", CalendarStore).event(event["id"])
    assert (stored.end_utc - stored.start_utc).total_seconds() == 4 * 3600


def test_skipped_and_repeated_local_times(ep):
    err(ep, "calendar.create_event", "does not exist in America/New_York", title="x",
        start="2026-03-08T02:30", end="2026-03-08T03:30", timezone="America/New_York",
        attendees=[])
    # 01:30 happens twice on 1 November 2026; the first (daylight time) is meant
    event = ok(ep, "calendar.create_event", title="Twice", start="2026-11-01T01:30",
               end="2026-11-01T03:00", timezone="America/New_York", attendees=[])
    stored = ep.world.store("calendar", CalendarStore).event(event["id"])
    assert stored.start == "2026-11-01T05:30:00Z" and stored.end == "2026-11-01T08:00:00Z"


def test_offsets_are_absolute_whatever_the_zone_argument(ep):
    event = ok(ep, "calendar.create_event", title="Abs", start="2026-03-11T09:00:00Z",
               end="2026-03-11T11:00:00+01:00", timezone="Asia/Tokyo", attendees=[])
    assert event["start"] == "2026-03-11T18:00:00+09:00"
    stored = ep.world.store("calendar", CalendarStore).event(event["id"])
    assert (stored.start, stored.end) == ("2026-03-11T09:00:00Z", "2026-03-11T10:00:00Z")


def test_list_events_uses_the_calendars_zone_and_overlap(ep):
    listing = ok(ep, "calendar.list_events", calendar=NY, start="2026-03-10T10:30",
                 end="2026-03-10T11:00")
    # window 14:30-15:00 UTC in New York time: ev0001 and ev0002 overlap it, ev0003 not
    assert listing["timezone"] == "America/New_York"
    assert [e["id"] for e in listing["events"]] == ["ev0001", "ev0002"]
    assert listing["events"][0]["start"] == "2026-03-10T10:00:00-04:00"
    tokyo = ok(ep, "calendar.list_events", calendar="NADIA.SILVA@example.org",
               start="2026-03-10T00:00", end="2026-03-11T12:00", timezone="Asia/Tokyo")
    assert tokyo["calendar"] == NY and tokyo["timezone"] == "Asia/Tokyo"
    assert [e["id"] for e in tokyo["events"]] == ["ev0001", "ev0002", "ev0003"]
    assert tokyo["events"][2]["start"] == "2026-03-11T03:00:00+09:00"
    # an event ending exactly at the window start does not overlap it
    edge = ok(ep, "calendar.list_events", calendar=NY, start="2026-03-10T16:00:00Z",
              end="2026-03-10T17:00:00Z")
    assert edge["events"] == []
    room = ok(ep, "calendar.list_events", calendar="room.fjord@example.org",
              start="2026-03-10", end="2026-03-11")
    assert room["calendar"] == "Fjord" and [e["id"] for e in room["events"]] == ["ev0001"]


def test_free_busy_merges_clips_and_skips_declined(ep):
    fb = ok(ep, "calendar.free_busy", calendars=[NY, TOKYO, "Fjord", "Nook"],
            start="2026-03-10T14:15:00Z", end="2026-03-10T23:00:00Z")
    assert fb["timezone"] == "UTC"
    cals = fb["calendars"]
    assert cals[NY]["timezone"] == "America/New_York"
    assert cals[NY]["busy"] == [
        {"start": "2026-03-10T14:15:00+00:00", "end": "2026-03-10T16:00:00+00:00"},
        {"start": "2026-03-10T18:00:00+00:00", "end": "2026-03-10T19:00:00+00:00"},
    ]
    # Kemal organizes ev0002 and declined ev0003
    assert cals[TOKYO]["busy"] == [
        {"start": "2026-03-10T14:30:00+00:00", "end": "2026-03-10T16:00:00+00:00"}]
    assert cals["Fjord"]["busy"] == [
        {"start": "2026-03-10T14:15:00+00:00", "end": "2026-03-10T15:00:00+00:00"}]
    assert cals["Nook"] == {"timezone": "Europe/London", "busy": []}
    local = ok(ep, "calendar.free_busy", calendars=[TOKYO], start="2026-03-10T00:00",
               end="2026-03-11T00:00", timezone="America/New_York")
    assert local["calendars"][TOKYO]["busy"] == [
        {"start": "2026-03-10T10:30:00-04:00", "end": "2026-03-10T12:00:00-04:00"}]


def test_cancelled_events_leave_calendars(ep):
    assert ok(ep, "calendar.cancel_event", event_id="ev0002").startswith("cancelled ev0002")
    fb = ok(ep, "calendar.free_busy", calendars=[TOKYO], start="2026-03-10T00:00:00Z",
            end="2026-03-11T00:00:00Z")
    assert fb["calendars"][TOKYO]["busy"] == []
    assert ok(ep, "calendar.get_event", event_id="ev0002")["status"] == "cancelled"
    listing = ok(ep, "calendar.list_events", calendar=TOKYO, start="2026-03-10T00:00:00Z",
                 end="2026-03-11T00:00:00Z")
    # only the declined invitation is left on Kemal's calendar
    assert [(e["id"], e["attendees"][0]["response"]) for e in listing["events"]] == [
        ("ev0003", "declined")]


def test_rooms_and_room_conflicts(ep):
    assert [r["name"] for r in ok(ep, "calendar.list_rooms")] == ["Fjord", "Nook"]
    assert [r["name"] for r in ok(ep, "calendar.list_rooms", min_capacity=3)] == ["Fjord"]
    assert ok(ep, "calendar.list_rooms", min_capacity=9) == []
    err(ep, "calendar.create_event", "room Fjord is busy", title="Clash",
        start="2026-03-10T14:59:00Z", end="2026-03-10T15:30:00Z", timezone="UTC",
        attendees=[], room="Fjord")
    # back to back is fine, and rooms are found by address too, any case
    event = ok(ep, "calendar.create_event", title="Next", start="2026-03-10T15:00",
               end="2026-03-10T15:30", timezone="Europe/London", attendees=[TOKYO],
               room="ROOM.FJORD@example.org")
    assert event["room"] == "Fjord"
    # moving an event keeps its room only if the room is free at the new time
    err(ep, "calendar.update_event", "room Fjord is busy", event_id=event["id"],
        start="2026-03-10T14:30:00Z")
    moved = ok(ep, "calendar.update_event", event_id=event["id"], start="2026-03-10T15:15")
    assert (moved["start"], moved["end"]) == ("2026-03-10T15:15:00+00:00",
                                              "2026-03-10T15:45:00+00:00")
    # cancelling frees the room
    ok(ep, "calendar.cancel_event", event_id="ev0001")
    ok(ep, "calendar.update_event", event_id=event["id"], start="2026-03-10T14:00:00Z",
       end="2026-03-10T15:00:00Z")
    freed = ok(ep, "calendar.update_event", event_id=event["id"], room="")
    assert freed["room"] is None


def test_create_event_organizer_attendees_and_ids(ep):
    event = ok(ep, "calendar.create_event", title="  Planning  ", start="2026-03-12T10:00",
               end="2026-03-12T11:00", timezone="Europe/London",
               attendees=[NY, " Kemal.Tanaka@example.org", NY, OWNER], description="agenda")
    assert event["id"] == "ev0004" and event["title"] == "Planning"
    assert event["organizer"] == OWNER and event["status"] == "confirmed"
    assert [(a["email"], a["name"], a["response"]) for a in event["attendees"]] == [
        (NY, "Nadia Silva", "needs_action"), (TOKYO, "Kemal Tanaka", "needs_action")]
    owner_view = ok(ep, "calendar.list_events", calendar=OWNER, start="2026-03-12",
                    end="2026-03-13")
    assert [e["id"] for e in owner_view["events"]] == ["ev0004"]
    updated = ok(ep, "calendar.update_event", event_id="ev0002", attendees=[NY, OWNER],
                 title="Vendor call (moved)")
    assert [(a["email"], a["response"]) for a in updated["attendees"]] == [
        (NY, "accepted"), (OWNER, "needs_action")]
    assert updated["start"] == "2026-03-10T23:30:00+09:00"  # shown in the event's zone


def test_error_paths(ep):
    create = {"title": "x", "start": "2026-03-12T10:00", "end": "2026-03-12T11:00",
              "timezone": "Europe/London", "attendees": []}
    err(ep, "calendar.create_event", "not an ISO 8601 time", **{**create, "start": "tomorrow"})
    err(ep, "calendar.create_event", "not an ISO 8601 time", **{**create, "end": "2026-13-01"})
    err(ep, "calendar.create_event", "unknown time zone", **{**create, "timezone": "Mars/Base"})
    err(ep, "calendar.create_event", "unknown time zone", **{**create, "timezone": "../etc"})
    err(ep, "calendar.create_event", "IANA zone name", **{**create, "timezone": ""})
    err(ep, "calendar.create_event", "must be after start", **{**create, "end": "2026-03-12T10:00"})
    err(ep, "calendar.create_event", "must be after start", **{**create, "end": "2026-03-12T09:00"})
    err(ep, "calendar.create_event", "unknown room", **{**create, "room": "Attic"})
    err(ep, "calendar.create_event", "not an e-mail address", **{**create, "attendees": ["bob"]})
    err(ep, "calendar.create_event", "title must not be empty", **{**create, "title": "  "})
    err(ep, "calendar.create_event", "missing required argument 'timezone'",
        **{k: v for k, v in create.items() if k != "timezone"})
    err(ep, "calendar.get_event", "no event with id", event_id="ev9999")
    err(ep, "calendar.get_event", "unknown time zone", event_id="ev0001", timezone="Nowhere")
    err(ep, "calendar.list_events", "unknown calendar", calendar="ghost@example.org",
        start="2026-03-10", end="2026-03-11")
    err(ep, "calendar.list_events", "must be after start", calendar=NY, start="2026-03-11",
        end="2026-03-10")
    err(ep, "calendar.list_events", "longer than 366 days", calendar=NY, start="2026-01-01",
        end="2027-06-01")
    err(ep, "calendar.free_busy", "at least one", calendars=[], start="2026-03-10",
        end="2026-03-11")
    err(ep, "calendar.free_busy", "unknown calendar", calendars=[NY, "Attic"],
        start="2026-03-10", end="2026-03-11")
    err(ep, "calendar.free_busy", "does not exist", calendars=[NY], start="2026-03-08T02:00",
        end="2026-03-08T05:00", timezone="America/New_York")
    err(ep, "calendar.list_rooms", "min_capacity must be at least 1", min_capacity=0)
    err(ep, "calendar.update_event", "no event with id", event_id="nope", title="y")
    err(ep, "calendar.update_event", "nothing to update", event_id="ev0001")
    err(ep, "calendar.update_event", "must be after its start", event_id="ev0001",
        end="2026-03-10T13:00:00Z")
    err(ep, "calendar.update_event", "unknown room", event_id="ev0001", room="Attic")
    err(ep, "calendar.cancel_event", "no event with id", event_id="ev0000")
    ok(ep, "calendar.cancel_event", event_id="ev0003")
    err(ep, "calendar.cancel_event", "already cancelled", event_id="ev0003")
    err(ep, "calendar.update_event", "is cancelled", event_id="ev0003", title="again")
    # none of the failed calls changed anything
    store = ep.world.store("calendar", CalendarStore)
    assert [e.id for e in store.events] == ["ev0001", "ev0002", "ev0003"]
    assert store.event("ev0001").end == "2026-03-10T15:00:00Z"


def test_same_template_gives_identical_worlds(ep):
    spec = TaskSpec(family="tests/calendar", version=1, seed=0)
    task = Task(spec=spec, prompt="", apps=("calendar",), criteria=(), reference=(),
                template=WorldTemplate(now=datetime(2026, 3, 2, 9, tzinfo=UTC),
                                       stores={"calendar": _store()}))
    with task.start() as a, task.start() as b:
        assert a.world.digest() == b.world.digest() == ep.world.digest()
        a.call("calendar.cancel_event", {"event_id": "ev0001"})
        assert a.world.digest() != b.world.digest()
