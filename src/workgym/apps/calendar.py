"""calendar: people's and rooms' calendars (events, free/busy, rooms), time-zone aware.

Times that tools accept are ISO 8601. A time with an offset (``2026-03-09T14:00:00+01:00``
or ``...Z``) is absolute; a time without one (``2026-03-09T14:00``) is local to the zone the
tool is given (or, where a tool says so, the calendar's own zone). Local times that do not
exist (the hour skipped when clocks go forward) are refused; local times that happen twice
(when clocks go back) mean the first of the two. Events are stored in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from workgym.core import App, Store, ToolError, tool

Response = Literal["needs_action", "accepted", "declined", "tentative"]
EventStatus = Literal["confirmed", "cancelled"]

MAX_WINDOW = timedelta(days=366)
"""Longest window list_events and free_busy accept."""
MAX_CALENDARS = 50
MAX_ATTENDEES = 100
MAX_DESCRIPTION_CHARS = 10_000
MIN_YEAR, MAX_YEAR = 1900, 2199
"""Times outside these years are refused."""
MAX_EVENTS = 5_000
"""Most events a calendar store holds; creating more is refused."""
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class CalendarPerson(BaseModel):
    """Someone in the directory, whose calendar can be read."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Full name."""
    timezone: str = "UTC"
    """IANA zone their calendar shows times in."""


class Room(BaseModel):
    """A bookable meeting room, which has a calendar of its own."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Unique name, e.g. ``Fjord``."""
    address: str
    """The room's calendar address, e.g. ``room.fjord@example.org``."""
    capacity: int = Field(ge=1)
    """How many people it seats."""
    timezone: str = "UTC"
    """IANA zone of the building; the room's calendar shows times in it."""


class Attendee(BaseModel):
    """One invited person and their answer."""

    model_config = ConfigDict(extra="forbid")

    email: str
    response: Response = "needs_action"


class Event(BaseModel):
    """One calendar event."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Deterministic id, ``ev0001`` upwards."""
    title: str
    start: str
    """UTC ISO 8601, e.g. ``2026-03-09T13:00:00Z``."""
    end: str
    """UTC ISO 8601; after ``start``."""
    timezone: str
    """IANA zone the event was created in."""
    organizer: str
    attendees: list[Attendee] = Field(default_factory=list)
    room: str | None = None
    """Room name, if one is booked."""
    description: str = ""
    status: EventStatus = "confirmed"

    @property
    def start_utc(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def end_utc(self) -> datetime:
        return datetime.fromisoformat(self.end)

    def involves(self, address: str) -> bool:
        """Whether ``address`` organizes or is invited to the event."""
        address = address.lower()
        return self.organizer.lower() == address or any(
            a.email.lower() == address for a in self.attendees
        )

    def busies(self, address: str) -> bool:
        """Whether the event makes ``address`` busy (confirmed, and not declined)."""
        if self.status != "confirmed":
            return False
        address = address.lower()
        if self.organizer.lower() == address:
            return True
        return any(a.email.lower() == address and a.response != "declined" for a in self.attendees)


class CalendarStore(Store):
    """The calendar app's state: the directory, the rooms and every event."""

    owner: str = ""
    """Address of the person the agent acts for; organizer of the events it creates."""
    people: dict[str, CalendarPerson] = Field(default_factory=dict)
    """Directory: address -> person."""
    rooms: list[Room] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    next_id: int = 1
    """Number of the next event id."""

    def add_event(
        self,
        title: str,
        start: datetime,
        end: datetime,
        timezone: str,
        organizer: str,
        attendees: list[Attendee] | None = None,
        room: str | None = None,
        description: str = "",
    ) -> Event:
        """Append an event with the next id (for generators; tools validate first)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("event times must be timezone-aware")
        if end <= start:
            raise ValueError("event must end after it starts")
        event = Event(
            id=f"ev{self.next_id:04d}",
            title=title,
            start=to_utc_text(start),
            end=to_utc_text(end),
            timezone=timezone,
            organizer=organizer,
            attendees=list(attendees or []),
            room=room,
            description=description,
        )
        self.next_id += 1
        self.events.append(event)
        return event

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.events if e.id == event_id), None)

    def room(self, key: str) -> Room | None:
        """A room by name or address (case-insensitive)."""
        key = key.strip().lower()
        return next((r for r in self.rooms if key in (r.name.lower(), r.address.lower())), None)

    def room_busy(self, room: str, start: datetime, end: datetime) -> list[Event]:
        """Confirmed events holding ``room`` that overlap [start, end)."""
        return [
            e for e in self.events
            if e.status == "confirmed" and e.room == room
            and e.start_utc < end and e.end_utc > start
        ]


# -- times -------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``.

    Raises:
        ToolError: unknown or malformed zone names.
    """
    if not isinstance(name, str) or not name.strip():
        raise ToolError("timezone must be an IANA zone name such as 'Europe/Berlin'")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ToolError(
            f"unknown time zone {name!r}; use an IANA zone name such as 'Europe/Berlin', "
            "'America/New_York' or 'UTC'"
        ) from None


def parse_time(text: str, local: ZoneInfo, what: str = "time") -> datetime:
    """An ISO 8601 time as an aware UTC datetime; times without an offset are in ``local``.

    Raises:
        ToolError: unparseable text, or a local time that does not exist in ``local``.
    """
    shown = text if not isinstance(text, str) or len(text) <= 64 else text[:61] + "..."
    try:
        if len(text) > 64:
            raise ValueError("too long")
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            aware = value.replace(tzinfo=local)
            # zoneinfo silently shifts a skipped wall time; a round trip shows the skip
            if aware.astimezone(UTC).astimezone(local).replace(tzinfo=None) != value:
                raise ToolError(
                    f"{what} {shown!r} does not exist in {local.key}: clocks skip that hour "
                    "(daylight saving time starts); choose another time or give an offset"
                )
            value = aware
        value = value.astimezone(UTC)
    except (ValueError, AttributeError, TypeError, OverflowError):
        # OverflowError: a time so near year 1 or 9999 that UTC falls outside the calendar
        raise ToolError(
            f"{what} {shown!r} is not an ISO 8601 time; write e.g. '2026-03-09T14:30' "
            "(local to the time zone given) or '2026-03-09T14:30:00+01:00'"
        ) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        # far times would overflow when shown in a zone ahead of or behind UTC
        raise ToolError(f"{what} {shown!r} is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return value


def to_utc_text(value: datetime) -> str:
    """UTC ISO 8601 text with a ``Z``, the form events are stored in."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def show_time(value: datetime, where: ZoneInfo) -> str:
    """ISO 8601 text in zone ``where``, with its offset."""
    return value.astimezone(where).isoformat()


def _check_description(text: str) -> None:
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise ToolError(f"description is longer than {MAX_DESCRIPTION_CHARS} characters")


def _window(start: str, end: str, local: ZoneInfo) -> tuple[datetime, datetime]:
    lo, hi = parse_time(start, local, "start"), parse_time(end, local, "end")
    if hi <= lo:
        raise ToolError(f"end {end!r} must be after start {start!r}")
    if hi - lo > MAX_WINDOW:
        raise ToolError(f"the window is longer than {MAX_WINDOW.days} days; ask for a shorter one")
    return lo, hi


# -- the app -----------------------------------------------------------------------------


class CalendarApp(App):
    """Calendars of the people in the directory and of the meeting rooms.

    The agent acts for the store's ``owner``: it organizes the events it creates, and it
    has delegate access to every calendar in the directory.
    """

    name = "calendar"

    @property
    def store(self) -> CalendarStore:
        return self.world.store("calendar", CalendarStore)

    @tool(read_only=True)
    def list_events(
        self, calendar: str, start: str, end: str, timezone: str | None = None
    ) -> dict[str, Any]:
        """List the events on a person's or a room's calendar that overlap a time window.

        Args:
            calendar: a person's e-mail address, or a room's name or address.
            start: window start, ISO 8601 (without an offset: local to ``timezone``).
            end: window end, ISO 8601, after ``start``.
            timezone: IANA zone to read and show times in; default the calendar's own zone.
        """
        key, own_zone, is_room = self._calendar(calendar)
        where = zone(timezone) if timezone is not None else zone(own_zone)
        lo, hi = _window(start, end, where)
        events = [
            e for e in self.store.events
            if e.status == "confirmed" and e.start_utc < hi and e.end_utc > lo
            and (e.room == key if is_room else e.involves(key))
        ]
        events.sort(key=lambda e: (e.start_utc, e.id))
        return {
            "calendar": key,
            "timezone": where.key,
            "events": [self._render(e, where) for e in events],
        }

    @tool(read_only=True)
    def get_event(self, event_id: str, timezone: str | None = None) -> dict[str, Any]:
        """Show one event in full, cancelled ones included.

        Args:
            event_id: the event's id, e.g. ``ev0007``.
            timezone: IANA zone to show times in; default the zone the event was created in.
        """
        event = self._event(event_id)
        return self._render(event, zone(timezone if timezone is not None else event.timezone))

    @tool(read_only=True)
    def free_busy(
        self, calendars: list[str], start: str, end: str, timezone: str | None = None
    ) -> dict[str, Any]:
        """Busy intervals of several calendars in a window (no event details).

        Overlapping events are merged and intervals are clipped to the window. Each
        calendar also reports its own time zone.

        Args:
            calendars: people's e-mail addresses and/or rooms' names or addresses.
            start: window start, ISO 8601 (without an offset: local to ``timezone``).
            end: window end, ISO 8601, after ``start``.
            timezone: IANA zone to read and show times in; default UTC.
        """
        if not calendars:
            raise ToolError("calendars must list at least one address or room")
        if len(calendars) > MAX_CALENDARS:
            raise ToolError(f"at most {MAX_CALENDARS} calendars per call")
        where = zone(timezone if timezone is not None else "UTC")
        lo, hi = _window(start, end, where)
        resolved = [self._calendar(c) for c in calendars]
        result: dict[str, Any] = {}
        for key, own_zone, is_room in resolved:
            spans = sorted(
                (max(e.start_utc, lo), min(e.end_utc, hi))
                for e in self.store.events
                if e.start_utc < hi and e.end_utc > lo
                and (e.status == "confirmed" and e.room == key if is_room else e.busies(key))
            )
            merged: list[list[datetime]] = []
            for s, t in spans:
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], t)
                else:
                    merged.append([s, t])
            result[key] = {
                "timezone": own_zone,
                "busy": [{"start": show_time(s, where), "end": show_time(t, where)}
                         for s, t in merged],
            }
        return {"timezone": where.key, "calendars": result}

    @tool(read_only=True)
    def list_rooms(self, min_capacity: int | None = None) -> list[dict[str, Any]]:
        """List the meeting rooms (name, address, capacity, time zone), largest first.

        Args:
            min_capacity: only rooms that seat at least this many people.
        """
        if min_capacity is not None and min_capacity < 1:
            raise ToolError("min_capacity must be at least 1")
        rooms = [r for r in self.store.rooms if min_capacity is None or r.capacity >= min_capacity]
        rooms.sort(key=lambda r: (-r.capacity, r.name))
        return [r.model_dump() for r in rooms]

    @tool(destructive=False)
    def create_event(
        self,
        title: str,
        start: str,
        end: str,
        timezone: str,
        attendees: list[str],
        room: str | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        """Create an event organized by you, inviting attendees and optionally booking a room.

        Args:
            title: the event's title.
            start: ISO 8601 start (without an offset: local to ``timezone``).
            end: ISO 8601 end, after ``start``.
            timezone: IANA zone of the event, e.g. ``Europe/Berlin``.
            attendees: e-mail addresses to invite (you, the organizer, attend anyway).
            room: a room's name or address to book; it must be free for the whole event.
            description: free text shown with the event.
        """
        title = self._title(title)
        _check_description(description)
        if len(self.store.events) >= MAX_EVENTS:
            raise ToolError(f"the calendar holds {MAX_EVENTS} events, the most one task allows")
        where = zone(timezone)
        lo = parse_time(start, where, "start")
        hi = parse_time(end, where, "end")
        if hi <= lo:
            raise ToolError(f"end {end!r} must be after start {start!r}")
        booked = self._bookable_room(room, lo, hi, None) if room is not None else None
        event = self.store.add_event(
            title, lo, hi, where.key, self.store.owner,
            attendees=[Attendee(email=a) for a in self._attendees(attendees)],
            room=booked, description=description,
        )
        return self._render(event, where)

    @tool(idempotent=True)
    def update_event(
        self,
        event_id: str,
        title: str | None = None,
        start: str | None = None,
        end: str | None = None,
        timezone: str | None = None,
        attendees: list[str] | None = None,
        room: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Change an event; only the fields given change.

        Args:
            event_id: the event's id, e.g. ``ev0007``.
            title: new title.
            start: new start, ISO 8601 (without an offset: local to ``timezone`` or the
                event's zone). Given without ``end``, the event keeps its length.
            end: new end, ISO 8601.
            timezone: new IANA zone of the event.
            attendees: the full new list of attendees' addresses (replaces the old list).
            room: a room's name or address to book instead; an empty string frees the room.
            description: new description.
        """
        event = self._event(event_id)
        if event.status == "cancelled":
            raise ToolError(f"event {event.id} is cancelled and cannot be changed")
        if all(v is None for v in (title, start, end, timezone, attendees, room, description)):
            raise ToolError("nothing to update: give at least one field to change")
        where = zone(timezone if timezone is not None else event.timezone)
        lo, hi = event.start_utc, event.end_utc
        if description is not None:
            _check_description(description)
        if start is not None:
            new_lo = parse_time(start, where, "start")
            try:
                hi = hi + (new_lo - lo) if end is None else hi
            except OverflowError:
                raise ToolError("the event would end after the year 9999; give an end") from None
            lo = new_lo
        if end is not None:
            hi = parse_time(end, where, "end")
        if hi <= lo:
            raise ToolError("the event's end must be after its start")
        new_room = event.room
        if room is not None:
            new_room = self._bookable_room(room, lo, hi, event.id) if room.strip() else None
        elif new_room is not None and (lo, hi) != (event.start_utc, event.end_utc):
            new_room = self._bookable_room(new_room, lo, hi, event.id)
        new_title = self._title(title) if title is not None else event.title
        new_attendees = event.attendees
        if attendees is not None:
            previous = {a.email: a.response for a in event.attendees}
            new_attendees = [Attendee(email=a, response=previous.get(a, "needs_action"))
                             for a in self._attendees(attendees, organizer=event.organizer)]
        event.title = new_title
        event.start, event.end = to_utc_text(lo), to_utc_text(hi)
        event.timezone = where.key
        event.attendees = new_attendees
        event.room = new_room
        if description is not None:
            event.description = description
        return self._render(event, where)

    @tool(idempotent=True)
    def cancel_event(self, event_id: str) -> str:
        """Cancel an event: it leaves every calendar and frees its room.

        Args:
            event_id: the event's id, e.g. ``ev0007``.
        """
        event = self._event(event_id)
        if event.status == "cancelled":
            raise ToolError(f"event {event.id} is already cancelled")
        event.status = "cancelled"
        return f"cancelled {event.id} ({event.title})"

    # -- helpers -------------------------------------------------------------------------

    def _calendar(self, key: str) -> tuple[str, str, bool]:
        """(calendar key, its zone, is a room) for an address or room name."""
        wanted = key.strip().lower()
        for address, person in self.store.people.items():
            if address.lower() == wanted:
                return address, person.timezone, False
        room = self.store.room(wanted)
        if room is not None:
            return room.name, room.timezone, True
        raise ToolError(
            f"unknown calendar {key!r}: give a person's e-mail address or a room's name or "
            "address (list_rooms lists the rooms)"
        )

    def _event(self, event_id: str) -> Event:
        event = self.store.event(event_id.strip())
        if event is None:
            raise ToolError(f"no event with id {event_id!r}")
        return event

    def _bookable_room(self, key: str, lo: datetime, hi: datetime, skip: str | None) -> str:
        room = self.store.room(key)
        if room is None:
            known = ", ".join(r.name for r in self.store.rooms) or "(none)"
            raise ToolError(f"unknown room {key!r}; rooms: {known}")
        clashes = [e for e in self.store.room_busy(room.name, lo, hi) if e.id != skip]
        if clashes:
            where = zone(room.timezone)
            spans = "; ".join(f"{show_time(e.start_utc, where)} to {show_time(e.end_utc, where)}"
                              for e in clashes)
            raise ToolError(f"room {room.name} is busy then (booked {spans})")
        return room.name

    def _attendees(self, addresses: list[str], organizer: str | None = None) -> list[str]:
        if len(addresses) > MAX_ATTENDEES:
            raise ToolError(f"at most {MAX_ATTENDEES} attendees")
        organizer = (organizer if organizer is not None else self.store.owner).lower()
        clean: list[str] = []
        for raw in addresses:
            address = raw.strip().lower()
            if not _EMAIL.match(address):
                raise ToolError(f"attendee {raw!r} is not an e-mail address")
            # the organizer attends anyway; listing them is not an extra invitation
            if address != organizer and address not in clean:
                clean.append(address)
        return clean

    @staticmethod
    def _title(title: str) -> str:
        title = title.strip()
        if not title:
            raise ToolError("title must not be empty")
        if len(title) > 200:
            raise ToolError("title is longer than 200 characters")
        return title

    def _render(self, event: Event, where: ZoneInfo) -> dict[str, Any]:
        names = {address.lower(): person.name for address, person in self.store.people.items()}
        return {
            "id": event.id,
            "title": event.title,
            "start": show_time(event.start_utc, where),
            "end": show_time(event.end_utc, where),
            "timezone": event.timezone,
            "organizer": event.organizer,
            "attendees": [
                {"email": a.email, "name": names.get(a.email.lower()), "response": a.response}
                for a in event.attendees
            ],
            "room": event.room,
            "description": event.description,
            "status": event.status,
        }
