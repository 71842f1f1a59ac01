"""calendar/team-offsite: schedule a team session across time zones, book a room, invite.

Description:
    The agent runs the calendar and mailbox of a team lead. The department head asked for
    a team offsite session of a given length within a window of dates; attendees, their
    constraints (no mornings, must end by a time, away on a day, back from leave on a
    day), the head's own constraints (no meetings on a weekday, guests who need seats)
    and facilities' notices (a room out of service) are spread over mails, and at higher
    levels the attendee list is a csv attachment. The agent must find the earliest slot
    that starts on the hour, fits every participant's working hours (08:00-18:00,
    Monday-Friday, in their own zone), is free on every participant's calendar and meets
    every constraint; book the smallest free room that seats everyone (ties: by name);
    create the event with exactly the attendees; and mail each attendee an invitation
    that gives the date and time in their own zone. Uniqueness is by construction: the
    prompt fixes the tie-breaks (earliest slot, smallest room) and the generator checks
    with an independent solver over the candidate grid that the answer is what it built
    and that ignoring any single constraint would change it.

Apps:
    calendar, mail, files.

Criteria:
    - ``event at the right time`` (weight 2): the new event starts and ends at the answer.
    - ``exactly the right attendees``: no attendee missing, none extra (the organizer,
      listed or not, is not an extra).
    - ``the right room``.
    - ``invitation to <name>`` (weight 2 shared by the attendees): every mail to that
      attendee with a ``When:`` line names the event's title in the subject and gives the
      right date and time in the attendee's zone, and there is at least one.
    - ``no invitations to others`` (weight 0.5): invitations were sent, and only to
      attendees.
    - guards (no credit; failing one zeroes the score): every event that existed is
      unchanged (not moved, edited or cancelled); at most one new event.

Difficulty:
    Knobs set the number of attendees and time zones, the length of the date window, the
    session length, how many constraints the mails state, how many earlier candidate
    slots the calendars rule out, the rooms, whether every attendee replies, whether the
    attendee list is a csv attachment and whether the window spans a daylight-saving
    change. ``richness`` adds colleagues, unrelated mails, events after the answer or on
    other people's calendars, declined and cancelled events over the answer, and rooms
    too small to matter; none of them changes the answer (the core of a task does not
    depend on richness).

    ======  =========  =====  ====  =====  =====  =====  =====  ======  ===  =========
    level   attendees  zones  days  hours  rules  depth  rooms  roster  DST  reference
    ======  =========  =====  ====  =====  =====  =====  =====  ======  ===  =========
    easy    3          2      5     1-2    1      2      3      body    no   10 calls
    medium  5          3      8     1-2    3      4      5      csv     no   15-16
    hard    9          3      10    2-3    5      7      7      csv     yes  27-28
    ======  =========  =====  ====  =====  =====  =====  =====  ======  ===  =========

Version history:
    v1: first version.
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore, Event, EventStatus, Room
from workgym.apps.mail import Attachment, MailStore
from workgym.content.filler import filler_mails
from workgym.content.meetings import (
    BUSY_TITLES,
    DEPARTMENTS,
    ROOM_BOOKING_TITLES,
    ROOM_NAMES,
    TEAM_NAMES,
    WEEKDAYS,
    long_date,
)
from workgym.content.people import Person, people
from workgym.core import (
    Criterion,
    GradeContext,
    GradeError,
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    WorldTemplate,
    register_family,
    rng_for,
)
from workgym.families.calendar._scheduling import (
    Meeting,
    Slot,
    earliest,
    overlaps,
)

CLUSTERS = (
    ("Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago"),
    ("America/New_York", "America/Chicago", "America/Los_Angeles"),
    ("Asia/Tokyo", "Asia/Singapore", "Australia/Sydney"),
)
"""Zones whose working hours overlap by a few hours all year."""
ROSTER = "offsite-attendees.csv"
HOUR, HALF = timedelta(hours=1), timedelta(minutes=30)
MAX_ATTEMPTS = 200
_WHEN = re.compile(r"^\s*When:\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}):(\d{2})\s*[-\u2013]\s*"
                   r"(\d{1,2}):(\d{2})\s+\(?([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*)\)?\s*$",
                   re.MULTILINE | re.IGNORECASE)

RuleKind = Literal["no_mornings", "ends_by", "away", "back_on", "no_weekday", "guests",
                   "room_closed"]
PERSON_RULES: tuple[RuleKind, ...] = ("no_mornings", "ends_by", "away", "back_on")
SLOT_RULES: tuple[RuleKind, ...] = (*PERSON_RULES, "no_weekday")


class Knobs(BaseModel, frozen=True):
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
    """Rooms in the building, before richness adds small ones."""
    all_reply: bool
    """Every attendee replies to the thread, most without a constraint."""
    roster_file: bool
    """The attendee list is a csv attachment rather than the mail's body."""
    dst_switch: bool
    """The window contains a daylight-saving change in some participant's zone."""


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


@dataclass(frozen=True)
class MailDraft:
    """A mail to put in the inbox; ``key`` names it for the reference and for replies."""

    key: str
    sender: str
    subject: str
    body: str
    date: datetime
    attachments: tuple[Attachment, ...] = ()
    reply: bool = False


@dataclass
class Setup:
    """Everything generated: the cast, the window, the rules, the rooms and the events."""

    owner: Person
    head: Person
    attendees: list[Person]
    colleagues: list[Person]
    """Colleagues outside the team (organizers of other events)."""
    bystanders: list[Person]
    """More colleagues that richness may add."""
    days: list[date]
    hours: int
    team: str
    rules: list[Rule] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    events: list[EventDraft] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.team} team offsite"

    @property
    def domain(self) -> str:
        return self.owner.email.split("@", 1)[1]

    @property
    def participants(self) -> list[Person]:
        return [self.owner, *self.attendees]

    @property
    def meeting(self) -> Meeting:
        return Meeting(tuple((p.email, p.timezone) for p in self.participants),
                       tuple(self.days), self.hours)

    def seats(self, rules: list[Rule] | None = None) -> int:
        guests = sum(r.count for r in (self.rules if rules is None else rules)
                     if r.kind == "guests")
        return len(self.participants) + guests

    def fitting(self, rules: list[Rule] | None = None) -> list[Room]:
        """Rooms that seat everyone and are not closed, smallest first, then by name."""
        rules = self.rules if rules is None else rules
        closed = {r.room for r in rules if r.kind == "room_closed"}
        seats = self.seats(rules)
        return sorted((r for r in self.rooms if r.capacity >= seats and r.name not in closed),
                      key=lambda r: (r.capacity, r.name))


def solve(store: CalendarStore, setup: Setup, rules: list[Rule]) -> tuple[Slot, str] | None:
    """The earliest valid slot and its room under ``rules``, read from the calendar store."""
    slot_rules = [r for r in rules if r.kind in SLOT_RULES]
    return earliest(store, setup.meeting, lambda s: all(r.allows(s) for r in slot_rules),
                    setup.fitting(rules))


@register_family
class TeamOffsite(TaskFamily[Knobs]):
    """Find the earliest slot that fits a team across time zones, book a room, invite."""

    name = "calendar/team-offsite"
    version = 1
    apps = ("calendar", "mail", "files")
    levels = Levels(
        easy=Level(Knobs(attendees=3, zones=2, weekdays=5, hours=(1, 2), rules=1, depth=2,
                         rooms=3, all_reply=False, roster_file=False, dst_switch=False),
                   calls=10, apps=2),
        medium=Level(Knobs(attendees=5, zones=3, weekdays=8, hours=(1, 2), rules=3, depth=4,
                           rooms=5, all_reply=False, roster_file=True, dst_switch=False),
                     calls=15),
        hard=Level(Knobs(attendees=9, zones=3, weekdays=10, hours=(2, 3), rules=5, depth=7,
                         rooms=7, all_reply=True, roster_file=True, dst_switch=True), calls=27),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k: Knobs = self.knobs(spec)
        # rng_for ignores richness, so the core (and the answer) is the same at every
        # richness; richness only scales the distractors
        for attempt in range(MAX_ATTEMPTS):
            built = build_core(k, rng_for(spec, "core", attempt))
            if built is not None:
                break
        else:  # pragma: no cover - the knobs are tuned so that this does not happen
            raise RuntimeError(f"{spec.family_id}: no task after {MAX_ATTEMPTS} attempts")
        setup, answer, room = built
        _add_distractors(setup, answer, spec.richness, rng_for(spec, "richness"))
        store = calendar_store(setup)
        if solve(store, setup, setup.rules) != (answer, room):
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: distractors changed the answer")
        mail, reads = _mailbox(setup, k, spec.richness, rng_for(spec, "mail"))
        now = datetime.combine(setup.days[0] - timedelta(days=4), time(9),
                               ZoneInfo(setup.owner.timezone))
        return Task(
            spec=spec,
            prompt=_prompt(setup),
            apps=self.apps,
            template=WorldTemplate(now=now, stores={"calendar": store, "mail": mail}),
            criteria=_criteria(setup, store, mail, answer, room),
            reference=_reference(setup, k, reads, answer, room),
        )


# -- the core: who, when, which constraints, and the calendars that rule slots out ---------


def build_core(k: Knobs, rng: random.Random) -> tuple[Setup, Slot, str] | None:
    """One attempt at a task: the setup, the answer slot and room; None if it fails.

    Every slot rule gets a decoy, the first candidate only that rule forbids; decoys stay
    free, so ignoring any one rule leads to an earlier slot. Earlier candidates that meet
    every rule are taken by events. An independent solve over the built store must agree.
    """
    setup = _cast(k, rng)
    if setup is None:
        return None
    grid = setup.meeting.candidates()
    if len(grid) < k.depth + k.rules + 2:
        return None
    rules = _rules(setup, k, grid, rng)
    if rules is None:
        return None
    setup.rules = rules
    slot_rules = [r for r in rules if r.kind in SLOT_RULES]
    decoys = []
    for rule in slot_rules:
        decoy = next((s for s in grid if not rule.allows(s)
                      and all(o.allows(s) for o in slot_rules if o is not rule)), None)
        if decoy is None:
            return None
        decoys.append(decoy)
    allowed = [s for s in grid if all(r.allows(s) for r in slot_rules)]
    last_decoy = max((d[0] for d in decoys), default=None)
    index = next((i for i, s in enumerate(allowed)
                  if i >= k.depth and (last_decoy is None or s[0] > last_decoy)), None)
    if index is None:
        return None
    answer = allowed[index]
    chosen, taken = _rooms(setup, k, rng)
    rules = setup.rules  # now naming the closed room
    for name in taken:  # smaller rooms are booked by others over part of the answer
        start = answer[0] + HALF * rng.randrange(-1, setup.hours * 2)
        setup.events.append(EventDraft(rng.choice(ROOM_BOOKING_TITLES), start, start + HOUR,
                                       rng.choice(setup.colleagues), room=name))
    if not _block_earlier(setup, allowed[:index], [answer, *decoys], rng):
        return None
    store = calendar_store(setup)
    if solve(store, setup, rules) != (answer, chosen):
        return None
    for rule in rules:
        if solve(store, setup, [r for r in rules if r is not rule]) == (answer, chosen):
            return None
    return setup, answer, chosen


def _cast(k: Knobs, rng: random.Random) -> Setup | None:
    cluster = rng.choice([c for c in CLUSTERS if len(c) >= k.zones])
    zones = rng.sample(cluster, k.zones)
    domain = rng.choice(("example.org", "example.com", "example.net"))
    crowd = people(rng, k.attendees + 8, domain=domain)
    owner = replace(crowd[0], timezone=zones[0])
    head = replace(crowd[1], timezone=zones[0])
    # every zone has someone in it; the rest are spread at random
    attendees = [replace(p, timezone=zones[1 + i] if i < len(zones) - 1 else rng.choice(zones))
                 for i, p in enumerate(crowd[2:2 + k.attendees])]
    others = [replace(p, timezone=rng.choice(zones)) for p in crowd[2 + k.attendees:]]
    mondays = [date(2026, 1, 5) + timedelta(weeks=w) for w in range(48)]
    days_of = {m: [d for d in (m + timedelta(days=i) for i in range(3 * k.weekdays))
                   if d.weekday() < 5][:k.weekdays] for m in mondays}
    if k.dst_switch:
        mondays = [m for m in mondays if _offset_changes(days_of[m][0], days_of[m][-1], zones)]
    if not mondays:
        return None
    return Setup(owner=owner, head=head, attendees=attendees, colleagues=others[:2],
                 bystanders=others[2:], days=days_of[rng.choice(mondays)],
                 hours=rng.choice(k.hours), team=rng.choice(TEAM_NAMES))


def _offset_changes(first: date, last: date, zones: list[str]) -> bool:
    return any(datetime.combine(first, time(12), ZoneInfo(z)).utcoffset()
               != datetime.combine(last, time(12), ZoneInfo(z)).utcoffset() for z in zones)


def _rules(setup: Setup, k: Knobs, grid: list[Slot], rng: random.Random) -> list[Rule] | None:
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


def _rooms(setup: Setup, k: Knobs, rng: random.Random) -> tuple[str, list[str]]:
    """Make the rooms. Returns the room the answer books and the smaller fitting rooms to
    book over the answer. A closed room (if a rule says so) is smaller than the answer's,
    and with guests a room seats the team but not the guests, so both rules matter."""
    base, seats = len(setup.participants), setup.seats()
    guests = any(r.kind == "guests" for r in setup.rules)
    closed = any(r.kind == "room_closed" for r in setup.rules)
    names = rng.sample(ROOM_NAMES, k.rooms)
    spare = k.rooms - 1 - int(guests) - int(closed)
    busy = rng.randint(0, min(2, spare))
    bigger = rng.randint(0, spare - busy)
    small = spare - busy - bigger
    smaller = ["closed"] * int(closed) + ["busy"] * busy
    rng.shuffle(smaller)
    capacities: list[tuple[int, str]] = []
    capacity = seats + rng.randint(0, 2)
    for role in [*smaller, "chosen", *["bigger"] * bigger]:
        capacities.append((capacity, role))
        capacity += rng.randint(1, 4)
    lows = rng.sample(range(2, base), min(small, base - 2))
    if guests:
        lows.append(rng.randrange(base, seats))
    capacities += [(c, "small") for c in lows]
    chosen, taken = "", []
    for (capacity, role), name in zip(capacities, names, strict=False):
        setup.rooms.append(_room(setup, name, capacity))
        if role == "chosen":
            chosen = name
        elif role == "busy":
            taken.append(name)
        elif role == "closed":
            setup.rules = [replace(r, room=name) if r.kind == "room_closed" else r
                           for r in setup.rules]
    setup.rooms.sort(key=lambda r: r.name)
    return chosen, taken


def _room(setup: Setup, name: str, capacity: int) -> Room:
    return Room(name=name, address=f"room.{name.lower()}@{setup.domain}", capacity=capacity,
                timezone=setup.owner.timezone)


def _block_earlier(setup: Setup, earlier: list[Slot], keep_free: list[Slot],
                   rng: random.Random) -> bool:
    """Book people (or every fitting room) so that each earlier allowed slot is taken,
    without touching the answer or the decoys."""
    fitting = [r.name for r in setup.fitting()]

    def taken(slot: Slot) -> bool:
        hits = [e for e in setup.events if overlaps(slot, (e.start, e.end))]
        return (any(e.busies(p.email) for e in hits for p in setup.participants)
                or all(any(e.room == name and e.status == "confirmed" for e in hits)
                       for name in fitting))

    for slot in earlier:
        if taken(slot):
            continue
        pieces = [(t, t + length)
                  for t in (slot[0] + HALF * i for i in range(setup.hours * 2))
                  for length in (HALF, HOUR, HOUR + HALF)
                  if t + length <= slot[1]]
        pieces = [p for p in pieces if not any(overlaps(p, f) for f in keep_free)]
        if not pieces:
            return False
        start, end = rng.choice(pieces)
        roll = rng.random()
        if roll < 0.2:
            organizer, title = rng.choice(setup.colleagues), rng.choice(ROOM_BOOKING_TITLES)
            setup.events += [EventDraft(title, start, end, organizer, room=name)
                             for name in fitting]
        elif roll < 0.6:
            who = rng.choice(setup.participants)
            setup.events.append(EventDraft(rng.choice(BUSY_TITLES), start, end, who))
        else:
            who = rng.choice(setup.participants)
            setup.events.append(EventDraft(
                rng.choice(BUSY_TITLES), start, end, rng.choice(setup.colleagues),
                (Attendee(email=who.email, response="accepted"),)))
    return True


# -- distractors ---------------------------------------------------------------------------


def _add_distractors(setup: Setup, answer: Slot, richness: float, rng: random.Random) -> None:
    """Colleagues, events and rooms that cannot change the answer: events after it or on
    other people's calendars, a declined and a cancelled event over it, rooms too small."""
    setup.colleagues += setup.bystanders[:round(richness * 4)]
    lo, hi = setup.meeting.window()
    base = len(setup.participants)
    used = {r.name for r in setup.rooms}
    for name in [n for n in ROOM_NAMES if n not in used][:round(richness * 3)]:
        setup.rooms.append(_room(setup, name, rng.randint(2, max(2, min(4, base - 1)))))
    setup.rooms.sort(key=lambda r: r.name)
    small = [r.name for r in setup.rooms if r.capacity < base]

    def span(after: datetime) -> tuple[datetime, datetime]:
        start = after + HALF * rng.randrange(0, max(1, int((hi - after) / HALF) - 2))
        return start, start + HALF * rng.randint(1, 3)

    for _ in range(round(richness * 3 * len(setup.participants))):
        start, end = span(answer[1])
        who = rng.choice(setup.participants)
        setup.events.append(EventDraft(rng.choice(BUSY_TITLES), start, end, who))
    for _ in range(round(richness * 12)):
        start, end = span(lo)
        room = rng.choice(small) if small and rng.random() < 0.3 else None
        setup.events.append(EventDraft(rng.choice(BUSY_TITLES), start, end,
                                       rng.choice(setup.colleagues), room=room))
    if richness >= 0.3:
        invitee = rng.choice(setup.participants)
        setup.events.append(EventDraft(
            rng.choice(BUSY_TITLES), answer[0], answer[0] + HOUR, rng.choice(setup.colleagues),
            (Attendee(email=invitee.email, response="declined"),)))
        setup.events.append(EventDraft(rng.choice(BUSY_TITLES), answer[0], answer[1],
                                       rng.choice(setup.participants), status="cancelled"))


# -- the world -----------------------------------------------------------------------------


def calendar_store(setup: Setup) -> CalendarStore:
    """The calendar store holding the setup's people, rooms and events."""
    everyone = [setup.owner, setup.head, *setup.attendees, *setup.colleagues]
    store = CalendarStore(
        owner=setup.owner.email,
        people={p.email: CalendarPerson(name=p.name, timezone=p.timezone) for p in everyone},
        rooms=list(setup.rooms),
    )
    # ids follow time, so they say nothing about which events matter
    for draft in sorted(setup.events, key=lambda d: (d.start, d.end, d.title,
                                                     d.organizer.email, d.room or "")):
        event = store.add_event(draft.title, draft.start, draft.end, draft.organizer.timezone,
                                draft.organizer.email, list(draft.attendees), draft.room)
        event.status = draft.status
    return store


_CALM_REPLIES = (
    "Any time in the window works for me.",
    "No constraints on my side; my calendar is up to date.",
    "Looking forward to it. Book whatever works for everyone.",
    "Fine with me, as long as it is not on top of something already in my calendar.",
)


def _rule_text(rule: Rule) -> str:
    if rule.kind == "no_mornings":
        return "I can't do mornings that fortnight: please nothing before 12:00 my time."
    if rule.kind == "ends_by":
        return f"I have to leave by {rule.hour}:00 my time every day, so it must end by then."
    if rule.kind == "away" and rule.day is not None:
        return f"I'm away on {long_date(rule.day)} (my time); any other day is fine."
    if rule.kind == "back_on" and rule.day is not None:
        return (f"I'm on leave until {long_date(rule.day - timedelta(days=1))} and back on "
                f"{long_date(rule.day)}, so please not before that (my time).")
    if rule.kind == "no_weekday":
        return (f"Please don't put it on a {WEEKDAYS[rule.weekday]} (your time); that is "
                "our release day.")
    if rule.kind == "guests":
        return (f"{rule.count} guests from {DEPARTMENTS[rule.count]} will join us in person, "
                "so the room must seat them too. Don't invite them; I'll forward it.")
    return ""


def _mailbox(setup: Setup, k: Knobs, richness: float,
             rng: random.Random) -> tuple[MailStore, list[str]]:
    """The mailbox, and the ids of the mails the reference reads (the request first)."""
    owner, head = setup.owner, setup.head
    kickoff = datetime.combine(setup.days[0] - timedelta(days=7), time(10, 12),
                               ZoneInfo(owner.timezone))
    subject = f"{setup.team} team offsite"
    roster = io.StringIO()
    csv.writer(roster, lineterminator="\n").writerows(
        [["name", "email"], *([p.name, p.email] for p in setup.attendees)])
    listing = "\n".join(f"- {p.name} <{p.email}>" for p in setup.attendees)
    who = (f"The attendees are in the attached list ({ROSTER})." if k.roster_file
           else f"Attendees:\n{listing}")
    drafts = [MailDraft(
        "kickoff", _from(head), subject,
        f"Hi {owner.first},\n\nplease schedule a {setup.hours}-hour offsite session for the "
        f"{setup.team} team, titled \"{setup.title}\". It has to happen between "
        f"{long_date(setup.days[0])} and {long_date(setup.days[-1])} (dates on your "
        f"calendar). {who}\n\nI have asked everyone to reply to this thread with their "
        f"constraints.\n\nThanks,\n{head.first}", kickoff,
        (Attachment.from_bytes(ROSTER, roster.getvalue().encode()),) if k.roster_file else ())]
    said: dict[str, list[str]] = {}
    for rule in setup.rules:
        if rule.kind in PERSON_RULES:
            said.setdefault(rule.who.email, []).append(_rule_text(rule))
    speakers = [p for p in setup.attendees if p.email in said or k.all_reply]
    rng.shuffle(speakers)
    for n, person in enumerate(speakers):
        text = " ".join(said.get(person.email, [])) or rng.choice(_CALM_REPLIES)
        drafts.append(MailDraft(f"reply-{person.email}", _from(person), f"Re: {subject}",
                                f"Hi {owner.first},\n\n{text}\n\n{person.first}",
                                kickoff + timedelta(hours=2 + 5 * n), reply=True))
    asks = [_rule_text(r) for r in setup.rules if r.kind in ("no_weekday", "guests")]
    if asks:
        more = "two more things" if len(asks) > 1 else "one more thing"
        drafts.append(MailDraft("head", _from(head), f"Re: {subject}",
                                f"{owner.first}, {more}:\n\n" + "\n".join(asks)
                                + f"\n\n{head.first}", kickoff + timedelta(days=1, hours=3),
                                reply=True))
    for rule in setup.rules:
        if rule.kind == "room_closed":
            drafts.append(MailDraft(
                "facilities", f"Facilities <facilities@{setup.domain}>",
                f"Room {rule.room} out of service",
                f"Hello,\n\nroom {rule.room} is closed for repairs from "
                f"{long_date(setup.days[0])} to {long_date(setup.days[-1])}. It shows as free "
                "in the calendar, but it cannot be used; please book another room.\n\n"
                "Facilities", kickoff + timedelta(days=2, hours=1)))
    senders = [*setup.attendees, *setup.colleagues, head]
    # the signature is filled in per mail, since each filler mail has its own sender
    for n, filler in enumerate(filler_mails(rng, round(richness * 8), owner.first, "{sender}")):
        sender = rng.choice(senders)
        drafts.append(MailDraft(f"filler-{n}", _from(sender), filler.subject,
                                filler.body.replace("{sender}", sender.first),
                                kickoff + timedelta(hours=rng.randint(-72, 60))))
    mail = MailStore(address=owner.email)
    ids: dict[str, str] = {}
    for draft in sorted(drafts, key=lambda d: (d.date, d.key)):
        ids[draft.key] = mail.add(sender=draft.sender, to=[owner.email], subject=draft.subject,
                                  body=draft.body, date=draft.date,
                                  attachments=draft.attachments,
                                  in_reply_to=ids["kickoff"] if draft.reply else None).id
    reads = sorted(i for key, i in ids.items() if key != "kickoff" and not key.startswith("filler-"))
    return mail, [ids["kickoff"], *reads]


def _from(person: Person) -> str:
    return f"{person.name} <{person.email}>"


def _prompt(setup: Setup) -> str:
    owner = setup.owner
    return (
        f"You manage the calendar and the mailbox of {owner.name} ({owner.email}), who "
        f"leads the {setup.team} team. {setup.head.name} asked {owner.first} to schedule "
        "the team offsite; the request and everyone's constraints are in the mailbox.\n\n"
        "1. Find the earliest slot that works. It starts on the hour, lasts as long as "
        "requested and lies within the requested dates. It must fit every participant's "
        "working hours (08:00-18:00, Monday to Friday, in their own time zone; the "
        f"participants are the attendees and {owner.first}), be free on every "
        "participant's calendar, and meet every constraint in the mails. Each calendar "
        "reports its own time zone.\n"
        "2. Book the smallest room that is free for the whole slot and seats everyone "
        "(participants plus any guests); if two rooms are equally small, the first by name.\n"
        f"3. Create the event titled \"{setup.title}\", inviting exactly the attendees named "
        f"in the request (not {owner.first}, who organizes it, and not guests), in that "
        "room.\n"
        f"4. Mail each attendee an invitation with the subject \"Invitation: {setup.title}\" "
        "and a body holding one line of the form\n"
        "   When: YYYY-MM-DD HH:MM-HH:MM <IANA time zone>\n"
        "   with the date and time in that attendee's own time zone, for example\n"
        "   When: 2026-03-12 14:00-16:00 Europe/Berlin\n\n"
        "Do not change or cancel any other event."
    )


# -- grading -------------------------------------------------------------------------------


def _local(slot: Slot, zone: str) -> tuple[str, str, str, str]:
    """(date, start, end, zone) of ``slot`` in ``zone``, as a When line writes them."""
    start, end = (t.astimezone(ZoneInfo(zone)) for t in slot)
    return f"{start:%Y-%m-%d}", f"{start:%H:%M}", f"{end:%H:%M}", zone


def _criteria(setup: Setup, store: CalendarStore, mail: MailStore, answer: Slot,
              room: str) -> tuple[Criterion, ...]:
    before = {e.id: e.model_dump_json() for e in store.events}
    old_mail = {m.id for m in mail.messages}
    owner, title = setup.owner, setup.title
    expected = {p.email for p in setup.attendees}
    shown = ZoneInfo(owner.timezone)

    def new_events(ctx: GradeContext) -> list[Event]:
        cal = ctx.world.store("calendar", CalendarStore)
        return [e for e in cal.events if e.id not in before and e.status == "confirmed"]

    def target(ctx: GradeContext) -> Event:
        made = new_events(ctx)
        if not made:
            raise GradeError("no new event on the calendar")
        return next((e for e in made if (e.start_utc, e.end_utc) == answer), made[0])

    def show(slot: Slot) -> str:
        return f"{slot[0].astimezone(shown):%Y-%m-%d %H:%M}-{slot[1].astimezone(shown):%H:%M}"

    def timing(ctx: GradeContext) -> tuple[bool, str]:
        event = target(ctx)
        got = (event.start_utc, event.end_utc)
        return got == answer, (f"{event.id} at {show(got)}, expected {show(answer)} "
                               f"({owner.timezone})")

    def attendees(ctx: GradeContext) -> tuple[bool, str]:
        got = {a.email.lower() for a in target(ctx).attendees} - {owner.email}
        missing, extra = sorted(expected - got), sorted(got - expected)
        return not missing and not extra, f"missing {missing}, extra {extra}"

    def booked(ctx: GradeContext) -> tuple[bool, str]:
        event = target(ctx)
        return event.room == room, f"{event.id} books {event.room!r}, expected {room!r}"

    def invitations(ctx: GradeContext) -> list[tuple[list[str], str, list[tuple[str, ...]]]]:
        """(recipients, subject, When lines) of every new sent mail with a When line."""
        found = []
        for message in ctx.world.store("mail", MailStore).messages:
            if message.id in old_mail or message.folder != "sent":
                continue
            lines: list[tuple[str, ...]] = [
                (d, f"{int(h1):02d}:{m1}", f"{int(h2):02d}:{m2}", z.casefold())
                for d, h1, m1, h2, m2, z in _WHEN.findall(message.body)]
            if lines:
                found.append((message.recipients(), message.subject, lines))
        return found

    def invited(person: Person):  # type: ignore[no-untyped-def]
        day, begin, finish, where = _local(answer, person.timezone)
        want = [(day, begin, finish, where.casefold())]

        def check(ctx: GradeContext) -> tuple[bool, str]:
            mine = [(s, lines) for to, s, lines in invitations(ctx) if person.email in to]
            if not mine:
                return False, f"no invitation mailed to {person.email}"
            bad = [f"{s!r}: {lines}" for s, lines in mine
                   if title.casefold() not in s.casefold() or lines != want]
            if bad:
                return False, f"wrong invitations {bad}; expected When: {day} {begin}-{finish} {where}"
            return True, f"{len(mine)} correct invitation(s)"
        return check

    def only_attendees(ctx: GradeContext) -> tuple[bool, str]:
        sent = invitations(ctx)
        strays = sorted({a for to, _, _ in sent for a in to} - expected - {owner.email})
        return bool(sent) and not strays, f"{len(sent)} invitation(s); to non-attendees: {strays}"

    def untouched(ctx: GradeContext) -> tuple[bool, str]:
        now = {e.id: e.model_dump_json() for e in ctx.world.store("calendar", CalendarStore).events}
        changed = sorted(i for i, dump in before.items() if now.get(i) != dump)
        return not changed, f"changed or cancelled: {changed}" if changed else "no event changed"

    def single(ctx: GradeContext) -> tuple[bool, str]:
        made = [e.id for e in new_events(ctx)]
        return len(made) <= 1, f"new events: {made}"

    share = 2.0 / len(setup.attendees)
    return (
        Criterion("event at the right time", timing, weight=2.0),
        Criterion("exactly the right attendees", attendees),
        Criterion("the right room", booked),
        *(Criterion(f"invitation to {p.name}", invited(p), weight=share,
                    group="invitation to an attendee") for p in setup.attendees),
        Criterion("no invitations to others", only_attendees, weight=0.5),
        Criterion("other events unchanged", untouched, guard=True),
        Criterion("no stray events", single, guard=True),
    )


def _reference(setup: Setup, k: Knobs, reads: list[str], answer: Slot,
               room: str) -> tuple[ToolCall, ...]:
    zone = setup.owner.timezone
    lo, hi = (t.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
              for t in setup.meeting.window())
    calls = [ToolCall("mail.search", {"folder": "inbox", "limit": 100}),
             ToolCall("mail.read", {"message_id": reads[0]})]
    if k.roster_file:
        calls += [ToolCall("mail.save_attachment", {"message_id": reads[0], "filename": ROSTER,
                                                    "path": ROSTER}),
                  ToolCall("files.read", {"path": ROSTER})]
    calls += [ToolCall("mail.read", {"message_id": m}) for m in reads[1:]]
    calls += [
        ToolCall("calendar.free_busy", {"calendars": [p.email for p in setup.participants],
                                        "start": lo, "end": hi, "timezone": zone}),
        ToolCall("calendar.list_rooms", {"min_capacity": setup.seats()}),
        ToolCall("calendar.free_busy", {"calendars": [r.name for r in setup.fitting()],
                                        "start": lo, "end": hi, "timezone": zone}),
    ]
    start, end = (t.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") for t in answer)
    calls.append(ToolCall("calendar.create_event", {
        "title": setup.title, "start": start, "end": end, "timezone": zone,
        "attendees": [p.email for p in setup.attendees], "room": room},
        items={"start": (), "attendees": (), "room": ()}))
    for person in setup.attendees:
        day, begin, finish, where = _local(answer, person.timezone)
        when = f"When: {day} {begin}-{finish} {where}"
        calls.append(ToolCall("mail.send", {
            "to": [person.email], "subject": f"Invitation: {setup.title}",
            "body": (f"Hi {person.first},\n\nyou are invited to the {setup.title}.\n\n"
                     f"{when}\nWhere: room {room} (or by video)\n\n{setup.owner.first}")},
            items={"body": (when,)}))
    return tuple(calls)
