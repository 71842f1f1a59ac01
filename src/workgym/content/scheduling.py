"""Scheduling content: meetings, constraints, calendars built from drafts, the solver that
checks them, and the scheduling puzzle calendar families pose (the earliest slot that
fits everyone's hours, calendars and stated constraints, in the smallest free room).

Calendar families build a world from drafts (events, rooms, people), then check the world
itself (not their intentions) with :func:`earliest`, which reads a ``CalendarStore`` with
the calendar app's own busy semantics, the way an agent would see it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore, EventStatus, Room
from workgym.content.meetings import (
    BUSY_TITLES,
    DEPARTMENTS,
    ROOM_BOOKING_TITLES,
    ROOM_NAMES,
    TEAM_NAMES,
    WEEKDAYS,
    long_date,
)
from workgym.content.people import Person, directory, relocate

Slot = tuple[datetime, datetime]
"""Start and end, aware UTC datetimes."""
HOUR, HALF = timedelta(hours=1), timedelta(minutes=30)
STEP = HOUR
"""Candidate slots start on the hour (every zone used has a whole-hour offset)."""


@dataclass(frozen=True)
class Meeting:
    """What a meeting has to fit: who takes part, on which days, for how long."""

    participants: tuple[tuple[str, str], ...]
    """(address, IANA zone) of everyone taking part, the organizer first."""
    days: tuple[date, ...]
    """Allowed dates, in the organizer's zone."""
    hours: int
    """Length in hours."""
    work: tuple[int, int] = (8, 18)
    """Working hours (local start and end hour), Monday to Friday, in everyone's own zone."""

    @property
    def organizer_zone(self) -> ZoneInfo:
        return ZoneInfo(self.participants[0][1])

    def window(self) -> Slot:
        """From the first allowed day's midnight to the day after the last, organizer time."""
        local = self.organizer_zone
        first = datetime.combine(self.days[0], time(0), local)
        last = datetime.combine(self.days[-1] + timedelta(days=1), time(0), local)
        return first.astimezone(UTC), last.astimezone(UTC)

    def candidates(self) -> list[Slot]:
        """Every on-the-hour slot on an allowed day inside everyone's working hours."""
        lo, hi = self.window()
        length, days = timedelta(hours=self.hours), set(self.days)
        zones = {ZoneInfo(z) for _, z in self.participants}
        slots, start = [], lo
        while start + length <= hi:
            end = start + length
            if (start.astimezone(self.organizer_zone).date() in days
                    and all(self._working(start, end, z) for z in zones)):
                slots.append((start, end))
            start += STEP
        return slots

    def _working(self, start: datetime, end: datetime, where: ZoneInfo) -> bool:
        a, b = start.astimezone(where), end.astimezone(where)
        return (a.date() == b.date() and a.weekday() < 5 and a.hour >= self.work[0]
                and (b.hour, b.minute) <= (self.work[1], 0))


def overlaps(a: Slot, b: Slot) -> bool:
    """Whether two half-open intervals share any instant."""
    return a[0] < b[1] and b[0] < a[1]


RuleKind = Literal["no_mornings", "ends_by", "away", "back_on", "no_weekday", "guests",
                   "room_closed"]
PERSON_RULES: tuple[RuleKind, ...] = ("no_mornings", "ends_by", "away", "back_on")
"""Constraints a participant states about their own time."""
SLOT_RULES: tuple[RuleKind, ...] = (*PERSON_RULES, "no_weekday")
"""Constraints on the slot (the others are on the room)."""


@dataclass(frozen=True)
class Rule:
    """One constraint from a mail. Slot rules read the slot in ``zone``."""

    kind: RuleKind
    who: Person
    zone: str
    hour: int = 0
    day: date | None = None
    weekday: int = 0
    count: int = 0
    room: str = ""

    def allows(self, slot: Slot) -> bool:
        start, end = (t.astimezone(ZoneInfo(self.zone)) for t in slot)
        if self.kind == "no_mornings":
            return start.hour >= 12
        if self.kind == "ends_by":
            return (end.hour, end.minute) <= (self.hour, 0)
        if self.kind == "away":
            return start.date() != self.day
        if self.kind == "back_on":
            return self.day is not None and start.date() >= self.day
        if self.kind == "no_weekday":
            return start.weekday() != self.weekday
        return True

    def text(self) -> str:
        """The constraint as its speaker writes it in a mail."""
        if self.kind == "no_mornings":
            return "I can't do mornings that fortnight: please nothing before 12:00 my time."
        if self.kind == "ends_by":
            return f"I have to leave by {self.hour}:00 my time every day, so it must end by then."
        if self.kind == "away" and self.day is not None:
            return f"I'm away on {long_date(self.day)} (my time); any other day is fine."
        if self.kind == "back_on" and self.day is not None:
            return (f"I'm on leave until {long_date(self.day - timedelta(days=1))} and back on "
                    f"{long_date(self.day)}, so please not before that (my time).")
        if self.kind == "no_weekday":
            return (f"Please don't put it on a {WEEKDAYS[self.weekday]} (your time); that is "
                    "our release day.")
        if self.kind == "guests":
            return (f"{self.count} guests from {DEPARTMENTS[self.count]} will join us in person, "
                    "so the room must seat them too. Don't invite them; I'll forward it.")
        return ""


def decoys(grid: Sequence[Slot], rules: Sequence[Rule]) -> list[Slot] | None:
    """For each slot rule, the first candidate only that rule forbids (kept free, it makes
    the rule matter: ignoring it leads there); None when a rule has no such slot."""
    slot_rules = [r for r in rules if r.kind in SLOT_RULES]
    found = []
    for rule in slot_rules:
        decoy = next((s for s in grid if not rule.allows(s)
                      and all(o.allows(s) for o in slot_rules if o is not rule)), None)
        if decoy is None:
            return None
        found.append(decoy)
    return found


@dataclass(frozen=True)
class EventDraft:
    """An event to put on the calendar."""

    title: str
    start: datetime
    end: datetime
    organizer: Person
    attendees: tuple[Attendee, ...] = ()
    room: str | None = None
    status: EventStatus = "confirmed"

    def busies(self, address: str) -> bool:
        return self.status == "confirmed" and (self.organizer.email == address or any(
            a.email == address and a.response != "declined" for a in self.attendees))


def calendar_store(owner: Person, people: Sequence[Person], rooms: Sequence[Room],
                   events: Sequence[EventDraft]) -> CalendarStore:
    """The calendar store of ``owner`` with the directory, the rooms and the events; ids
    follow time, so they say nothing about which events matter."""
    store = CalendarStore(
        owner=owner.email,
        people={p.email: CalendarPerson(name=p.name, timezone=p.timezone) for p in people},
        rooms=sorted(rooms, key=lambda r: r.name))
    for draft in sorted(events, key=lambda d: (d.start, d.end, d.title, d.organizer.email,
                                               d.room or "")):
        event = store.add_event(draft.title, draft.start, draft.end, draft.organizer.timezone,
                                draft.organizer.email, list(draft.attendees), draft.room)
        event.status = draft.status
    return store


def earliest(store: CalendarStore, meeting: Meeting, allows: Callable[[Slot], bool],
             rooms: Sequence[Room]) -> tuple[Slot, str] | None:
    """The earliest candidate slot that ``allows`` accepts, free for every participant and
    with one of ``rooms`` free, and the first such room (``rooms`` in preference order)."""
    people: list[Slot] = [(e.start_utc, e.end_utc) for e in store.events
                          if any(e.busies(a) for a, _ in meeting.participants)]
    booked: dict[str, list[Slot]] = {r.name: [] for r in store.rooms}
    for e in store.events:
        if e.status == "confirmed" and e.room in booked:
            booked[e.room].append((e.start_utc, e.end_utc))
    for slot in meeting.candidates():
        if not allows(slot) or any(overlaps(slot, span) for span in people):
            continue
        for room in rooms:
            if not any(overlaps(slot, span) for span in booked.get(room.name, ())):
                return slot, room.name
    return None


def block_slots(events: list[EventDraft], slots: Sequence[Slot], keep_free: Sequence[Slot],
                participants: Sequence[Person], rooms: Sequence[str],
                colleagues: Sequence[Person], hours: int, rng: random.Random) -> bool:
    """Add events so that each slot in ``slots`` is taken (a participant busy, or every one
    of ``rooms`` booked) without touching ``keep_free``. False when a slot cannot be."""
    def taken(slot: Slot) -> bool:
        hits = [e for e in events if overlaps(slot, (e.start, e.end))]
        return (any(e.busies(p.email) for e in hits for p in participants)
                or all(any(e.room == name and e.status == "confirmed" for e in hits)
                       for name in rooms))

    for slot in slots:
        if taken(slot):
            continue
        pieces = [(t, t + length) for t in (slot[0] + HALF * i for i in range(hours * 2))
                  for length in (HALF, HOUR, HOUR + HALF) if t + length <= slot[1]]
        pieces = [p for p in pieces if not any(overlaps(p, f) for f in keep_free)]
        if not pieces:
            return False
        start, end = rng.choice(pieces)
        roll = rng.random()
        if roll < 0.2:
            organizer, title = rng.choice(colleagues), rng.choice(ROOM_BOOKING_TITLES)
            events += [EventDraft(title, start, end, organizer, room=name) for name in rooms]
        elif roll < 0.6:
            events.append(EventDraft(rng.choice(BUSY_TITLES), start, end,
                                     rng.choice(participants)))
        else:
            who = rng.choice(participants)
            events.append(EventDraft(rng.choice(BUSY_TITLES), start, end, rng.choice(colleagues),
                                     (Attendee(email=who.email, response="accepted"),)))
    return True


# -- the scheduling puzzle: the earliest slot under constraints, in the smallest room ----


CLUSTERS = (("Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago"),
            ("America/New_York", "America/Chicago", "America/Los_Angeles"),
            ("Asia/Tokyo", "Asia/Singapore", "Australia/Sydney"))
"""Zones whose working hours overlap by a few hours all year."""


class PuzzleKnobs(BaseModel, frozen=True):
    """The size of a scheduling puzzle (a family's knobs extend these)."""

    attendees: int
    """Invitees besides the organizer."""
    zones: int
    """Distinct time zones among the participants."""
    weekdays: int
    """Working days in the date window."""
    hours: tuple[int, ...]
    """Possible session lengths, in hours."""
    rules: int
    """Constraints stated in mails."""
    depth: int
    """Earlier candidate slots (meeting every stated constraint) that calendars rule out."""
    rooms: int
    """Rooms in the building."""
    dst_switch: bool
    """The window contains a daylight-saving change in some participant's zone."""


@dataclass
class Setup:
    """A scheduling puzzle: the cast, the window, the rules, the rooms and the events."""

    owner: Person
    head: Person
    attendees: list[Person]
    colleagues: list[Person]
    """People outside the team (organizers of other events)."""
    bystanders: list[Person]
    """More colleagues, for distractors."""
    days: list[date]
    hours: int
    team: str
    rules: list[Rule] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    events: list[EventDraft] = field(default_factory=list)

    @property
    def participants(self) -> list[Person]:
        return [self.owner, *self.attendees]

    @property
    def meeting(self) -> Meeting:
        return Meeting(tuple((p.email, p.timezone) for p in self.participants),
                       tuple(self.days), self.hours)

    def seats(self, rules: list[Rule] | None = None) -> int:
        """Participants plus the guests the rules announce."""
        return len(self.participants) + sum(r.count for r in (self.rules if rules is None
                                                               else rules) if r.kind == "guests")

    def fitting(self, rules: list[Rule] | None = None) -> list[Room]:
        """Rooms that seat everyone and are not closed, smallest first, then by name."""
        rules = self.rules if rules is None else rules
        closed = {r.room for r in rules if r.kind == "room_closed"}
        return sorted((r for r in self.rooms if r.capacity >= self.seats(rules)
                       and r.name not in closed), key=lambda r: (r.capacity, r.name))

    def store(self) -> CalendarStore:
        return calendar_store(self.owner, [self.owner, self.head, *self.attendees,
                                           *self.colleagues], self.rooms, self.events)

    def room(self, name: str, capacity: int) -> Room:
        domain = self.owner.email.split("@", 1)[1]
        return Room(name=name, address=f"room.{name.lower()}@{domain}", capacity=capacity,
                    timezone=self.owner.timezone)

    def solve(self, store: CalendarStore,
              rules: list[Rule] | None = None) -> tuple[Slot, str] | None:
        """The earliest valid slot and its room under ``rules`` (default: all), read from
        ``store``."""
        rules = self.rules if rules is None else rules
        slot_rules = [r for r in rules if r.kind in SLOT_RULES]
        return earliest(store, self.meeting, lambda s: all(r.allows(s) for r in slot_rules),
                        self.fitting(rules))


def puzzle(k: PuzzleKnobs, rng: random.Random) -> tuple[Setup, Slot, str] | None:
    """One attempt at a puzzle: the setup, the answer slot and room; None if it fails.

    Every slot rule gets a decoy that stays free, so ignoring any one rule leads to an
    earlier slot; earlier slots that meet every rule are taken by events. An independent
    solve over the built store must agree, and must change when any rule is dropped.
    """
    setup = _cast(k, rng)
    grid = setup.meeting.candidates() if setup else []
    if setup is None or len(grid) < k.depth + k.rules + 2:
        return None
    setup.rules = _rules(setup, k, grid, rng) or []
    baits = decoys(grid, setup.rules) if setup.rules else None
    if baits is None:
        return None
    allowed = [s for s in grid if all(r.allows(s) for r in setup.rules if r.kind in SLOT_RULES)]
    last = max((d[0] for d in baits), default=None)
    index = next((i for i, s in enumerate(allowed)
                  if i >= k.depth and (last is None or s[0] > last)), None)
    if index is None:
        return None
    answer = allowed[index]
    chosen, smaller = _rooms(setup, k, rng)
    for name in smaller:  # smaller rooms are booked by others over part of the answer
        start = answer[0] + HALF * rng.randrange(-1, setup.hours * 2)
        setup.events.append(EventDraft(rng.choice(BUSY_TITLES), start, start + HOUR,
                                       rng.choice(setup.colleagues), room=name))
    if not block_slots(setup.events, allowed[:index], [answer, *baits], setup.participants,
                       [r.name for r in setup.fitting()], setup.colleagues, setup.hours, rng):
        return None
    store = setup.store()
    if setup.solve(store) != (answer, chosen) or any(
            setup.solve(store, [r for r in setup.rules if r is not rule]) == (answer, chosen)
            for rule in setup.rules):
        return None
    return setup, answer, chosen


def _cast(k: PuzzleKnobs, rng: random.Random) -> Setup | None:
    zones = rng.sample(rng.choice([c for c in CLUSTERS if len(c) >= k.zones]), k.zones)
    team, other = rng.sample(TEAM_NAMES, 2)
    org = directory(rng, [team, other], k.attendees + 1, zones=zones,
                    domain=rng.choice(("example.org", "example.com", "example.net")))
    owner, head = relocate(org.lead(team), zones[0]), relocate(org.head, zones[0])
    # every zone has someone in it; the rest keep the zone the directory gave them
    attendees = [relocate(p, zones[1 + i]) if i < len(zones) - 1 else p
                 for i, p in enumerate(org.reports(org.lead(team)))]
    others = [org.lead(other), *org.reports(org.lead(other))]
    mondays = [date(2026, 1, 5) + timedelta(weeks=w) for w in range(48)]
    days_of = {m: [d for d in (m + timedelta(days=i) for i in range(3 * k.weekdays))
                   if d.weekday() < 5][:k.weekdays] for m in mondays}
    if k.dst_switch:
        mondays = [m for m in mondays if any(
            datetime.combine(days_of[m][0], time(12), ZoneInfo(z)).utcoffset()
            != datetime.combine(days_of[m][-1], time(12), ZoneInfo(z)).utcoffset() for z in zones)]
    if not mondays:
        return None
    return Setup(owner, head, attendees, others[:2], others[2:], days_of[rng.choice(mondays)],
                 rng.choice(k.hours), team)


def _rules(setup: Setup, k: PuzzleKnobs, grid: list[Slot], rng: random.Random) -> list[Rule] | None:
    kinds: list[RuleKind] = rng.sample([*SLOT_RULES, "guests", "room_closed"], k.rules)
    speakers = rng.sample(setup.attendees, min(len(setup.attendees), k.rules))
    owner_zone = setup.owner.timezone
    rules = []
    for i, kind in enumerate(kinds):
        who = speakers[i % len(speakers)]
        local_days = sorted({s[0].astimezone(ZoneInfo(who.timezone)).date() for s in grid})
        if kind == "no_mornings":
            rules.append(Rule(kind, who, who.timezone))
        elif kind == "ends_by":
            rules.append(Rule(kind, who, who.timezone, hour=rng.choice((15, 16, 17))))
        elif kind == "away":
            rules.append(Rule(kind, who, who.timezone, day=rng.choice(local_days[:4])))
        elif kind == "back_on":
            if len(local_days) < 2:
                return None
            rules.append(Rule(kind, who, who.timezone,
                              day=rng.choice(local_days[1:max(2, len(local_days) // 3)])))
        elif kind == "no_weekday":
            early = grid[:len(grid) // 2 + 1]
            weekday = rng.choice(sorted({s[0].astimezone(ZoneInfo(owner_zone)).weekday()
                                         for s in early}))
            rules.append(Rule(kind, setup.head, owner_zone, weekday=weekday))
        elif kind == "guests":
            rules.append(Rule(kind, setup.head, owner_zone, count=rng.randint(2, 4)))
        else:  # the closed room is named once the rooms exist
            rules.append(Rule(kind, setup.head, owner_zone))
    return rules


def _rooms(setup: Setup, k: PuzzleKnobs, rng: random.Random) -> tuple[str, list[str]]:
    """Make the rooms. Returns the room the answer books and the smaller fitting rooms to
    book over the answer. A closed room (if a rule says so) is smaller than the answer's,
    and with guests a room seats the team but not the guests, so both rules matter."""
    base, seats = len(setup.participants), setup.seats()
    guests, closed = (any(r.kind == kind for r in setup.rules)
                      for kind in ("guests", "room_closed"))
    names = rng.sample(ROOM_NAMES, k.rooms)
    spare = k.rooms - 1 - int(guests) - int(closed)
    busy = rng.randint(0, min(2, spare))
    bigger = rng.randint(0, spare - busy)
    roles = ["closed"] * int(closed) + ["busy"] * busy
    rng.shuffle(roles)
    capacities, capacity = [], seats + rng.randint(0, 2)
    for role in [*roles, "chosen", *["bigger"] * bigger]:
        capacities.append((capacity, role))
        capacity += rng.randint(1, 4)
    lows = rng.sample(range(2, base), min(spare - busy - bigger, base - 2))
    capacities += [(c, "small") for c in lows + ([rng.randrange(base, seats)] if guests else [])]
    chosen, smaller = "", []
    for (capacity, role), name in zip(capacities, names, strict=False):
        setup.rooms.append(setup.room(name, capacity))
        chosen = name if role == "chosen" else chosen
        smaller += [name] if role == "busy" else []
        if role == "closed":
            setup.rules = [replace(r, room=name) if r.kind == "room_closed" else r
                           for r in setup.rules]
    return chosen, smaller


def first_puzzle(k: PuzzleKnobs, rngs: Callable[[int], random.Random],
                 attempts: int = 200) -> tuple[Setup, Slot, str]:
    """The first puzzle that ``puzzle`` builds from ``rngs(0)``, ``rngs(1)``, ...

    Raises:
        RuntimeError: none in ``attempts`` tries (the knobs ask for too much).
    """
    for attempt in range(attempts):
        built = puzzle(k, rngs(attempt))
        if built is not None:
            return built
    raise RuntimeError(f"no scheduling puzzle after {attempts} attempts; ease the knobs")


_WHEN = re.compile(r"When:\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):"
                   r"(\d{2})\s+\(?([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*)\)?", re.IGNORECASE)


def when_line(slot: Slot, zone: str) -> str:
    """The invitation line of ``slot`` in ``zone``, e.g.
    ``When: 2026-03-12 14:00-16:00 Europe/Berlin``."""
    start, end = (t.astimezone(ZoneInfo(zone)) for t in slot)
    return f"When: {start:%Y-%m-%d} {start:%H:%M}-{end:%H:%M} {zone}"


def when_lines(lines: Iterable[str]) -> list[str]:
    """The ``When:`` lines among ``lines``, in one normal form (hours with two digits, the
    zone case-folded), so that two spellings of one time compare equal. Linear: each line
    is matched once, and lines over 200 characters are no When lines."""
    found = []
    for line in lines:
        text = line.strip()
        if len(text) < 200 and text[:5].casefold() == "when:" and (m := _WHEN.fullmatch(text)):
            d, h1, m1, h2, m2, zone = m.groups()
            found.append(f"{d} {int(h1):02d}:{m1}-{int(h2):02d}:{m2} {zone.casefold()}")
    return found
