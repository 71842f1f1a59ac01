"""calendar/interview-loop: schedule a candidate's interview panels across time zones.

Description:
    The agent is a recruiting coordinator. A hiring manager mails the loop for a remote
    candidate: panels in order, each with a length and its interviewers described by role
    and team ("the Staff Engineer on my team", "the engineering manager of the Search
    team", "my manager"), and the loop's video link. The candidate mails the days and hours
    they can do, in their own zone. Interviewers on leave over those days have said so in
    the #interviewers channel and named a stand-in; at the hard level someone else's leave
    falls outside the days and changes nothing. The agent resolves every interviewer in the
    directory, then books each panel in order at the earliest on-the-hour slot after the
    previous one that fits the candidate's hours, every interviewer's working hours and
    calendar, and (when an interviewer works at the hiring office) a room: the smallest
    free one seating them. It creates one event per panel with the video link, mails the
    candidate the schedule in their zone, and messages each interviewer their time in
    theirs. The generator solves the world it built with the scheduling solver of
    ``content.scheduling`` and checks that the candidate's hours matter.

Apps:
    calendar, contacts, mail, chat.

Criteria:
    - per panel (weights 1.5 / 1 / 0.5): ``<panel>: time``, ``<panel>: interviewers``
      (exactly), ``<panel>: room and video`` (the right room or none, one ``Video:`` line
      with the link), of the event titled ``<panel>: <candidate>``.
    - ``schedule line: <panel>`` (2 shared): the candidate's mail holds the panel's line in
      their zone; precision-aware; ``schedule: nothing else`` (0.5).
    - ``<interviewer> notified`` (2 shared): direct messages to them hold exactly their
      panel's ``When:`` line in their zone; ``no notices to others`` (0.5).
    - guards: events, mails and chat messages that existed are unchanged; new events are
      only the panels, one each; mail only to the candidate.

Difficulty:
    Knobs set the panels (and a two-person panel, a two-hour panel), the other teams, the
    time zones, the candidate's days, the stand-ins, a leave outside the days, the rooms
    and the earlier free slots that calendars take (depth). Reference calls: easy 13,
    medium 17, hard 26. ``richness`` adds other people's events, cancelled and
    declined events on the interviewers' calendars, events outside the days, chatter and
    others' leave notes in chat, everyday mails and another team in the directory: all
    placed without reference to the answer.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import Attendee, Event, Room
from workgym.apps.contacts import build_contacts
from workgym.apps.mail import MailStore
from workgym.content.distractors import everyday_mails, scaled, times_in
from workgym.content.mailbox import Mailbox
from workgym.content.meetings import BUSY_TITLES, ROOM_NAMES, TEAM_NAMES, long_date
from workgym.content.people import OFFICES, Person, people
from workgym.content.prose import letter
from workgym.content.scheduling import (
    CLUSTERS,
    HALF,
    HOUR,
    EventDraft,
    Meeting,
    Slot,
    calendar_store,
    earliest,
    overlaps,
    when_line,
    when_lines,
)
from workgym.content.teamwork import (
    NO_ROOM,
    Post,
    add_posts,
    chat_store,
    chatter,
    handle,
    posted,
)
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

ROLES = ("Staff Engineer", "Senior Engineer", "Software Engineer", "QA Engineer",
         "Product Manager", "Designer", "Data Scientist", "Site Reliability Engineer")
LEAD, HEAD = "Engineering Manager", "VP of Engineering"
POSITIONS = ("Senior Software Engineer", "Staff Engineer", "Software Engineer",
             "Senior Data Scientist", "Product Designer")
CHANNEL = "interviewers"
SUBJECT = "Your interview schedule"


class Knobs(BaseModel, frozen=True):
    panels: int
    """Panels in the loop (2-5)."""
    pair: bool
    """The technical interview has two interviewers."""
    long_panel: bool
    """One panel lasts two hours."""
    teams: int
    """Teams besides the hiring team."""
    zones: int
    """Time zones among the staff."""
    days: int
    """Days the candidate offers."""
    standins: int
    """Interviewers on leave who named a stand-in."""
    false_leave: bool
    """An interviewer announces a leave that falls outside the candidate's days."""
    change: bool
    """A later mail from the hiring manager changes one panel's interviewer."""
    rooms: int
    depth: tuple[int, int]
    """Earlier free slots blocked per panel (low, high)."""


def _city(zone: str) -> str:
    return zone.rsplit("/", 1)[1].replace("_", " ")


@dataclass
class Panel:
    title: str
    hours: int
    asked: str
    """How the request names its interviewers."""
    named: list[Person]
    """The people the request's words lead to."""
    people: list[Person] = field(default_factory=list)
    """Who interviews after stand-ins."""
    changed: str = ""
    """How the hiring manager's later mail names the interviewer instead."""


@dataclass
class Loop:
    owner: Person
    manager: Person
    candidate: Person
    staff: list[Person]
    office: str
    days: list[date]
    hours: tuple[int, int]
    link: str
    position: str
    panels: list[Panel]
    rooms: list[Room]
    leaves: list[tuple[Person, Person, date, date]]
    """(interviewer, stand-in, first day, last day) of every leave note of the core."""
    events: list[EventDraft] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    bystanders: list[Person] = field(default_factory=list)
    """Another team, in the directory only with richness."""
    replaced: set[str] = field(default_factory=set)
    """Addresses of the interviewers whose stand-ins take their panels."""
    other_leaves: list[tuple[Person, Person, date, date]] = field(default_factory=list)
    """Leave notes of people outside the loop (richness), with their absences."""

    def local(self, panel: Panel) -> int:
        return sum(p.office == self.office for p in panel.people)

    def fitting(self, panel: Panel) -> list[Room]:
        need = self.local(panel)
        if not need:
            return [NO_ROOM]
        return sorted((r for r in self.rooms if r.capacity >= need),
                      key=lambda r: (r.capacity, r.name))

    def meeting(self, panel: Panel) -> Meeting:
        return Meeting(((self.candidate.email, self.candidate.timezone),
                        *((p.email, p.timezone) for p in panel.people)),
                       tuple(self.days), panel.hours)

    def in_hours(self, slot: Slot) -> bool:
        zone = ZoneInfo(self.candidate.timezone)
        start, end = (t.astimezone(zone) for t in slot)
        return start.hour >= self.hours[0] and (end.hour, end.minute) <= (self.hours[1], 0)

    def solve(self, events: Sequence[EventDraft], hours: bool = True,
              ) -> list[tuple[Slot, str | None]] | None:
        """Each panel's slot and room (None: no room), in order, read from a calendar
        store built from ``events`` the way the agent sees it."""
        store = calendar_store(self.owner, self.staff, self.rooms, events)
        done: list[tuple[Slot, str | None]] = []
        after: datetime | None = None
        for panel in self.panels:
            def allows(slot: Slot, after: datetime | None = after) -> bool:
                return (after is None or slot[0] >= after) and (not hours or self.in_hours(slot))
            found = earliest(store, self.meeting(panel), allows, self.fitting(panel))
            if found is None:
                return None
            done.append((found[0], None if found[1] == NO_ROOM.name else found[1]))
            after = found[0][1]
        return done


def _title(loop: Loop, panel: Panel) -> str:
    return f"{panel.title}: {loop.candidate.name}"


@register_family
class InterviewLoop(TaskFamily[Knobs]):
    """Schedule a candidate's interview panels across zones, rooms and leave; notify all."""

    name = "calendar/interview-loop"
    version = 1
    apps = ("calendar", "contacts", "mail", "chat")
    levels = Levels(
        easy=Level(Knobs(panels=2, pair=False, long_panel=False, teams=1, zones=2, days=1,
                         standins=0, false_leave=False, change=False, rooms=3, depth=(1, 2)),
                   calls=13),
        medium=Level(Knobs(panels=3, pair=False, long_panel=False, teams=2, zones=3, days=2,
                           standins=1, false_leave=False, change=False, rooms=4,
                           depth=(1, 3)), calls=17),
        hard=Level(Knobs(panels=5, pair=True, long_panel=True, teams=3, zones=3, days=3,
                         standins=2, false_leave=True, change=True, rooms=5, depth=(1, 3)),
                   calls=26),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(200):
            built = _build(k, rng_for(spec, "core", attempt))
            if built is not None:
                loop, answer = built
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no loop after 200 attempts")
        rich = rng_for(spec, "distractors")
        extra = _distractors(loop, spec.richness, rich)
        if loop.solve(loop.events + extra) != answer:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: distractors changed it")
        staff = loop.staff + (loop.bystanders if spec.richness >= 0.5 else [])
        mail, reads = _mailbox(loop, spec.richness, rich)
        now = datetime.combine(loop.days[0] - timedelta(days=4), time(9),
                               ZoneInfo(loop.owner.timezone))
        offices = sorted({p.office for p in staff})
        zone_of = {_city(z): z for z in OFFICES}
        contacts = build_contacts(
            [{"email": p.email, "name": p.name, "role": p.role, "team": p.team,
              "manager": p.manager, "timezone": p.timezone, "office": p.office}
             for p in staff],
            [{"name": o, "address": OFFICES[zone_of[o]], "city": o,
              "timezone": zone_of[o]} for o in offices])
        chat = chat_store(loop.owner, staff, {
            CHANNEL: ("Interview panels: swaps, leave and stand-ins", staff),
            "general": ("Company-wide announcements", staff)})
        add_posts(chat, _posts(loop, now, spec.richness, rich))
        return Task(spec=spec, prompt=_prompt(loop), apps=self.apps,
                    template=WorldTemplate(now=now, stores={
                        "calendar": calendar_store(loop.owner, staff, loop.rooms,
                                                   loop.events + extra),
                        "contacts": contacts, "mail": mail, "chat": chat}),
                    criteria=_criteria(loop, answer),
                    reference=_reference(loop, reads, answer))


# -- the loop -------------------------------------------------------------------------------


def _build(k: Knobs, rng: random.Random) -> tuple[Loop, list[tuple[Slot, str | None]]] | None:
    """One attempt: the cast, the panels, the leave, the rooms and the calendars; None when
    it does not work out."""
    zones = rng.sample(rng.choice([c for c in CLUSTERS if len(c) >= k.zones]), k.zones)
    domain = rng.choice(("example.org", "example.com", "example.net"))
    staff, teams, candidate = _cast(k, rng, zones, domain)
    owner, head, hiring = staff[0], staff[1], teams[0]
    manager = next(p for p in staff if p.team == hiring and p.role == LEAD)
    chosen = _panels(k, rng, staff, teams[:-1], manager, head)
    if chosen is None:
        return None
    start = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 320))
    days = [d for d in (start + timedelta(days=i) for i in range(14)) if d.weekday() < 5][:k.days]
    link = f"https://meet.{domain}/" + "-".join(
        "".join(rng.choice(string.ascii_lowercase) for _ in range(n)) for n in (3, 4, 3))
    core = [p for p in staff if p.team != teams[-1]]  # the last team is richness's
    loop = Loop(owner, manager, candidate, core, _city(zones[0]), days,
                (rng.choice((8, 9, 10)), rng.choice((14, 15, 16, 17))), link,
                rng.choice(POSITIONS), chosen, [], [], teams=teams[:-1],
                bystanders=[p for p in staff if p.team == teams[-1]])
    _leave(loop, k, rng)
    if not any(loop.local(c) for c in chosen) or (k.panels > 3 and all(
            loop.local(c) for c in chosen)):
        return None
    names = rng.sample(ROOM_NAMES, k.rooms)
    top = max(loop.local(c) for c in chosen)
    caps = [rng.randint(1, top + 2) for _ in names[1:]] + [top + rng.randint(0, 2)]
    loop.rooms = [Room(name=n, address=f"room.{n.lower()}@{domain}", capacity=c,
                       timezone=zones[0]) for n, c in zip(names, caps, strict=True)]
    return _calendars(loop, k, rng)


def _cast(k: Knobs, rng: random.Random, zones: list[str], domain: str,
          ) -> tuple[list[Person], list[str], Person]:
    """The directory (the agent first, the head of engineering second, then each team's
    engineering manager and five people with distinct roles), the teams (the hiring team
    first) and the candidate."""
    crowd = people(rng, 2 + 8 * (k.teams + 2) + 1, domain=domain)
    teams = rng.sample(TEAM_NAMES, k.teams + 2)

    def staffer(p: Person, role: str, team: str, boss: str) -> Person:
        zone = rng.choice(zones)
        return replace(p, timezone=zone, office=_city(zone), role=role, team=team, manager=boss)

    head = staffer(crowd[0], HEAD, "Engineering", "")
    owner = replace(crowd[1], timezone=zones[0], office=_city(zones[0]),
                    role="Recruiting coordinator", team="People", manager="")
    staff, spare = [owner, head], crowd[2:-1]
    for team in teams:
        lead = staffer(spare.pop(), LEAD, team, head.email)
        staff += [lead, *(staffer(spare.pop(), role, team, lead.email)
                          for role in rng.sample(ROLES, 5))]
    who = crowd[-1]
    candidate = replace(who, email=f"{who.first}.{who.last}@mailbox.example".lower(),
                        timezone=rng.choice(zones))
    return staff, teams, candidate


def _panels(k: Knobs, rng: random.Random, staff: list[Person], teams: list[str],
            manager: Person, head: Person) -> list[Panel] | None:
    """The panels in the request's order, each with the people its words name (after
    the hiring manager's change, at hard); None when two panels name one person."""
    hiring, others = teams[0], teams[1:]

    def member(team: str, role: str) -> Person:
        return next(p for p in staff if p.team == team and p.role == role)

    def has(team: str, role: str) -> bool:
        return any(p.team == team and p.role == role for p in staff)

    def on(team: str) -> str:
        return "my team" if team == hiring else f"the {team} team"

    pair = rng.sample([r for r in ROLES if r != "Product Manager" and has(hiring, r)], 2)
    technical = Panel("Technical interview", 1, (
        f"the {pair[0]} and the {pair[1]} on my team" if k.pair else
        f"the {pair[0]} on my team"), [member(hiring, r) for r in pair[:1 + k.pair]])
    design_team, lead_team, product_team = (rng.sample(others, 3) if len(others) >= 3
                                            else [rng.choice(others) for _ in range(3)])
    design_role = rng.choice([r for r in ("Staff Engineer", "Senior Engineer",
                                          "Site Reliability Engineer") if has(design_team, r)]
                             or [LEAD])
    extras = [
        Panel("System design", 2 if k.long_panel else 1, f"the {design_role} on "
              f"{on(design_team)}", [member(design_team, design_role)]),
        Panel("Cross-team interview", 1, f"the engineering manager of {on(lead_team)}",
              [member(lead_team, LEAD)]),
        Panel("Bar raiser", 1, "my manager", [head]),
    ]
    if has(product_team, "Product Manager"):
        extras.append(Panel("Product interview", 1, f"the Product Manager on "
                            f"{on(product_team)}", [member(product_team, "Product Manager")]))
    if k.panels > 2 + len(extras):
        return None
    chosen = [Panel("Hiring manager interview", 1, "me", [manager]), technical,
              *rng.sample(extras, k.panels - 2)]
    named = [p.email for c in chosen for p in c.named]
    if len(set(named)) != len(named):
        return None
    rng.shuffle(chosen)
    if k.change:
        movable = [c for c in chosen if len(c.named) == 1 and c.named[0].role in ROLES]
        if not movable:
            return None
        panel = rng.choice(movable)
        team = panel.named[0].team
        new = rng.choice([p for p in staff if p.team == team and p.role in ROLES
                          and p.email not in named])
        panel.changed, panel.named = f"the {new.role} on {on(team)}", [new]
    for panel in chosen:
        panel.people = list(panel.named)
    return chosen


def _leave(loop: Loop, k: Knobs, rng: random.Random) -> None:
    """Leave notes of interviewers: over the candidate's days (a stand-in takes the
    panel), and at hard one after them (nothing changes); each on their calendar too."""
    days = loop.days
    busy = {p.email for c in loop.panels for p in c.people}
    leavers = rng.sample([p for c in loop.panels for p in c.people if p is not loop.manager],
                         k.standins + k.false_leave)
    for n, leaver in enumerate(leavers):
        pool = [p for p in loop.staff if p.email not in busy and p.role != HEAD
                and p is not loop.owner]
        stand = rng.choice([p for p in pool if p.team == leaver.team] or pool)
        busy.add(stand.email)
        if n < k.standins:
            first = days[0] - timedelta(days=rng.randint(0, 3))
            last = days[-1] + timedelta(days=rng.randint(1, 4))
            panel = next(c for c in loop.panels if leaver in c.people)
            panel.people = [stand if p is leaver else p for p in panel.people]
            loop.replaced.add(leaver.email)
        else:
            first = days[-1] + timedelta(days=rng.randint(2, 6))
            while first.weekday() >= 5:
                first += timedelta(days=1)
            last = first + timedelta(days=rng.choice((0, 0, 1, 2)))
        loop.leaves.append((leaver, stand, first, last))
        loop.events.append(EventDraft("Out of office", datetime.combine(
            first, time(0), ZoneInfo(leaver.timezone)), datetime.combine(
            last + timedelta(days=1), time(0), ZoneInfo(leaver.timezone)), leaver))


def _calendars(loop: Loop, k: Knobs, rng: random.Random,
               ) -> tuple[Loop, list[tuple[Slot, str | None]]] | None:
    """Background events, then per panel the first free slots taken (depth); the answer
    is what the solver reads from the result, and the candidate's hours must matter."""
    cand = ZoneInfo(loop.candidate.timezone)
    lo = datetime.combine(loop.days[0], time(0), cand)
    hi = datetime.combine(loop.days[-1] + timedelta(days=1), time(0), cand)
    panelists = [p for c in loop.panels for p in c.people]
    colleagues = [p for p in loop.staff if p not in panelists and p is not loop.owner]
    everyone = [p for p in loop.staff if p is not loop.owner]
    # everyone's calendar is as full as an interviewer's, so fullness marks no one
    for when in times_in(rng, lo, hi, 2 * len(everyone) * len(loop.days)):
        loop.events.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HALF * rng.randint(
            1, 3), rng.choice(everyone)))
    for when in times_in(rng, lo, hi, 2 * len(loop.rooms)):
        loop.events.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HOUR,
                                      rng.choice(colleagues), room=rng.choice(loop.rooms).name))
    answers: list[Slot] = []
    for panel in loop.panels:
        after = answers[-1][1] if answers else None
        fits = loop.fitting(panel)
        grid = [slot for slot in loop.meeting(panel).candidates()
                if (after is None or slot[0] >= after) and loop.in_hours(slot)
                and _free(loop.events, panel, fits, slot)]
        depth = rng.randint(*k.depth)
        if len(grid) <= depth:
            return None
        target = grid[depth]
        for slot in grid[:depth]:
            pieces = [(t, t + n) for t in (slot[0] + HALF * i for i in range(panel.hours * 2))
                      for n in (HALF, HOUR) if t + n <= slot[1]]
            pieces = [p for p in pieces if not overlaps(p, target)
                      and not any(overlaps(p, a) for a in answers)]
            if not pieces:
                return None
            s, e = rng.choice(pieces)
            if fits[0] is not NO_ROOM and rng.random() < 0.25:
                loop.events += [EventDraft(rng.choice(BUSY_TITLES), s, e,
                                           rng.choice(colleagues), room=r.name) for r in fits]
            else:
                who = rng.choice(panel.people)
                loop.events.append(EventDraft(rng.choice(BUSY_TITLES), s, e, rng.choice(
                    colleagues), (Attendee(email=who.email, response="accepted"),))
                    if rng.random() < 0.5 else EventDraft(rng.choice(BUSY_TITLES), s, e, who))
        answers.append(target)
    solved = loop.solve(loop.events)
    if solved is None or [s for s, _ in solved] != answers or loop.solve(
            loop.events, hours=False) == solved:
        return None
    return loop, solved


def _free(events: Sequence[EventDraft], panel: Panel, fits: Sequence[Room], slot: Slot) -> bool:
    """Whether every interviewer and one fitting room (or no room) is free for ``slot``."""
    hits = [e for e in events if overlaps(slot, (e.start, e.end))]
    if any(e.busies(p.email) for e in hits for p in panel.people):
        return False
    return fits[0] is NO_ROOM or any(
        not any(e.room == r.name and e.status == "confirmed" for e in hits) for r in fits)


def _distractors(loop: Loop, richness: float, rng: random.Random) -> list[EventDraft]:
    """Events that cannot change the answer, placed without reference to it: others'
    events over the days, anyone's events in the weeks around them, cancelled events and
    declined invitations of anyone anywhere on the days (only the busy ones avoid the
    interviewers, as any event that is not theirs must)."""
    cand = ZoneInfo(loop.candidate.timezone)
    lo = datetime.combine(loop.days[0], time(0), cand)
    hi = datetime.combine(loop.days[-1] + timedelta(days=1), time(0), cand)
    panelists = [p for c in loop.panels for p in c.people]
    others = [p for p in loop.staff if p not in panelists]
    week = timedelta(days=7)
    extra = []

    def busy(start: datetime, who: Person, **more: object) -> EventDraft:
        return EventDraft(rng.choice(BUSY_TITLES), start, start + HALF * rng.randint(1, 3),
                          who, **more)  # type: ignore[arg-type]

    for when in times_in(rng, lo, hi, scaled(richness, 12)):
        extra.append(busy(when, rng.choice(others)))
    for when in times_in(rng, lo - week, lo - timedelta(days=1), scaled(richness, 8)) + \
            times_in(rng, hi + timedelta(days=1), hi + week, scaled(richness, 8)):
        extra.append(busy(when, rng.choice(loop.staff)))
    for when in times_in(rng, lo, hi, scaled(richness, 4)):
        extra.append(busy(when, rng.choice(loop.staff), status="cancelled"))
        extra.append(busy(when, rng.choice(others), attendees=(Attendee(
            email=rng.choice(loop.staff).email, response="declined"),)))
    named = {who.email for who, *_ in loop.leaves}
    quiet = [p for p in others if p.email not in named and p is not loop.owner]
    for _ in range(scaled(richness, 3)):  # others' leave, any days, on their calendars too
        who, stand = rng.sample(quiet, 2)
        first = loop.days[0] + timedelta(days=rng.randint(-10, 10))
        last = first + timedelta(days=rng.choice((0, 0, 1, 3, 6)))
        loop.other_leaves.append((who, stand, first, last))
        extra.append(EventDraft("Out of office", datetime.combine(
            first, time(0), ZoneInfo(who.timezone)), datetime.combine(
            last + timedelta(days=1), time(0), ZoneInfo(who.timezone)), who))
    return extra


# -- the mailbox, the chat and the prompt ---------------------------------------------------


def _mailbox(loop: Loop, richness: float, rng: random.Random) -> tuple[MailStore, list[str]]:
    owner, hm, cand = loop.owner, loop.manager, loop.candidate
    box = Mailbox(owner)
    sent = datetime.combine(loop.days[0] - timedelta(days=6), time(11, 5),
                            ZoneInfo(owner.timezone))
    lines = [f"{n}. {c.title} ({c.hours} hour{'s' if c.hours > 1 else ''}): {c.asked}"
             for n, c in enumerate(loop.panels, 1)]
    box.receive(hm, f"Interview loop: {cand.name} ({loop.position})", letter(
        owner.first, f"please set up the interview loop for {cand.name} ({cand.email}), "
        f"our candidate for the {loop.position} role on the {hm.team} team. The panels, in "
        "this order:\n\n" + "\n".join(lines) + f"\n\nEveryone joins by video: {loop.link}\n"
        f"{cand.first} will send you their availability.", hm.first), sent, key="request")
    named = [long_date(d) for d in loop.days]
    day_text = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
    box.receive(cand, "Availability for interviews", letter(
        owner.first, f"thank you for the invitation! I can do {day_text}, between "
        f"{loop.hours[0]:02d}:00 and {loop.hours[1]:02d}:00 my time ({cand.timezone}). "
        "Looking forward to it.", cand.name, "Best regards,", greeting="Dear"),
        sent + timedelta(days=1, hours=3), key="candidate")
    keys = ["request", "candidate"]
    for panel in [c for c in loop.panels if c.changed]:
        keys.append(box.receive(hm, f"Re: Interview loop: {cand.name} ({loop.position})", letter(
            owner.first, f"one change: for the {panel.title.lower()}, please take "
            f"{panel.changed} instead of {panel.asked}.", hm.first), sent + timedelta(
                hours=rng.randint(20, 40)), key="change", reply_to="request"))
    everyday_mails(box, rng, scaled(richness, 8), owner, loop.staff[1:12],
                   sent - timedelta(days=3), sent + timedelta(days=2))
    store, ids = box.build()
    return store, sorted(ids[key] for key in keys)


def _posts(loop: Loop, now: datetime, richness: float, rng: random.Random) -> list[Post]:
    posts = []
    for n, (who, stand, first, last) in enumerate(loop.leaves):
        when = now - timedelta(days=2 + n, hours=rng.randint(0, 5))
        posts.append(Post(CHANNEL, who, _leave_note(first, last, stand), when))
    for who, stand, first, last in loop.other_leaves:
        posts.append(Post(CHANNEL, who, _leave_note(first, last, stand),
                          now - timedelta(days=rng.randint(1, 12), hours=3)))
    week = timedelta(days=14)
    posts += chatter(rng, CHANNEL, loop.staff[1:], scaled(richness, 6), now - week, now)
    posts += chatter(rng, "general", loop.staff[1:], 2 + scaled(richness, 10), now - week, now)
    return posts


def _leave_note(first: date, last: date, stand: Person) -> str:
    if first == last:
        return (f"Heads-up: I'm on leave on {long_date(first)}. {stand.name} takes my "
                "interview panels that day.")
    return (f"Heads-up: I'm on leave from {long_date(first)} to {long_date(last)}. "
            f"{stand.name} takes my interview panels meanwhile.")


def _prompt(loop: Loop) -> str:
    owner, hm = loop.owner, loop.manager
    return (
        f"You are {owner.name} ({owner.email}), recruiting coordinator, working in "
        f"{owner.first}'s calendar, mailbox and chat. {hm.name} asked you by mail to set up "
        "an interview loop; the candidate has mailed their availability.\n\n"
        "1. Interviewers: find the people the request describes (by role and team) in the "
        "company directory. If one of them has posted in #interviewers that they are on "
        "leave on a day the candidate offered, the stand-in they named takes their place.\n"
        "2. Times: schedule the panels in the order the request lists them, each as long "
        "as it says, starting on the hour and never before the previous panel has ended. "
        "Each panel goes at the earliest time that lies within the candidate's stated days "
        "and hours (in their time zone), within every interviewer's working hours "
        "(08:00-18:00, Monday to Friday, in their own time zone), free on every "
        "interviewer's calendar, and at which the panel's room (see 3) is free.\n"
        f"3. Rooms: a panel with interviewers who work at the {loop.office} office gets the "
        "smallest room that is free for it and seats those interviewers (if two are equally "
        "small, the first by name); other panels get no room.\n"
        "4. Events: create one event per panel titled \"<panel name>: <candidate's full "
        "name>\", inviting exactly that panel's interviewers (not the candidate), with a line "
        "\"Video: <the link from the request>\" in its description.\n"
        f"5. Mail the candidate (and no one else) one mail with the subject \"{SUBJECT}\" "
        "holding one line per panel of the form\n"
        "   <panel name>: YYYY-MM-DD HH:MM-HH:MM <IANA time zone>\n"
        "   in the candidate's time zone, e.g. Technical interview: 2026-03-12 "
        "14:00-15:00 America/New_York\n"
        "6. Send each interviewer a direct chat message of their own with one line\n"
        "   When: YYYY-MM-DD HH:MM-HH:MM <IANA time zone>\n"
        "   giving their panel's time in their own time zone.\n\n"
        "Do not change or cancel any other event.")


# -- grading and the reference ---------------------------------------------------------------


def _schedule_line(panel: Panel, slot: Slot, zone: str) -> str:
    return f"{panel.title}: {when_line(slot, zone).removeprefix('When: ')}"


def _norm(line: str) -> tuple[str, str] | None:
    """(panel name, time in normal form) of a schedule line; None for other lines."""
    key, sep, rest = line.partition(":")
    if not sep or len(line) > 300:
        return None
    found = when_lines([f"When: {rest.strip()}"])
    return key.strip().casefold(), found[0] if found else rest.strip().casefold()


def _criteria(loop: Loop, answer: list[tuple[Slot, str | None]]) -> tuple[Criterion, ...]:
    cand = loop.candidate
    titles = {_title(loop, p).casefold(): p for p in loop.panels}
    names = {p.title.casefold() for p in loop.panels}
    sent = wc.sent_mails()

    @wc.per_grade
    def made(ctx: GradeContext) -> list[Event]:
        return [e for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]

    def event_of(panel: Panel, slot: Slot) -> Callable[[GradeContext], Event]:
        def find(ctx: GradeContext) -> Event:
            mine = [e for e in made(ctx) if " ".join(e.title.split()).casefold()
                    == _title(loop, panel).casefold()]
            if not mine:
                raise GradeError(f"no event titled {_title(loop, panel)!r}")
            return next((e for e in mine if (e.start_utc, e.end_utc) == slot), mine[0])
        return find

    def per_panel(panel: Panel, slot: Slot, room: str | None) -> list[Criterion]:
        find = event_of(panel, slot)
        want = {p.email for p in panel.people}

        def timing(ctx: GradeContext) -> tuple[bool, str]:
            e = find(ctx)
            return (e.start_utc, e.end_utc) == slot, (
                f"{e.id} {e.start}-{e.end}; expected {slot[0]:%Y-%m-%dT%H:%MZ}-{slot[1]:%H:%MZ}")

        def people_(ctx: GradeContext) -> tuple[bool, str]:
            got = {a.email.lower() for a in find(ctx).attendees} - {loop.owner.email}
            return got == want, f"missing {sorted(want - got)}, extra {sorted(got - want)}"

        def place(ctx: GradeContext) -> tuple[bool, str]:
            e = find(ctx)
            links = ctx.line_values(e.description, "video", f"the description of {e.id}")
            ok = e.room == room and links == [loop.link]
            return ok, f"room {e.room!r} (expected {room!r}); video lines {links[:3]}"

        return [Criterion(f"{panel.title}: time", timing, weight=1.5, group="panel time"),
                Criterion(f"{panel.title}: interviewers", people_, group="panel interviewers"),
                Criterion(f"{panel.title}: room and video", place, weight=0.5,
                          group="panel room and video")]

    def schedule(ctx: GradeContext) -> list[tuple[str, str]]:
        found = []
        for m in sent(ctx):
            if cand.email in m.recipients:
                found += [n for line in m.lines() if (n := _norm(line)) and n[0] in names]
        return found

    lines = wc.per_grade(schedule)
    wanted = [(p.title, _norm(_schedule_line(p, s, cand.timezone)) or ("", ""))
              for p, (s, _) in zip(loop.panels, answer, strict=True)]
    crew = [(p, panel, slot) for panel, (slot, _) in zip(loop.panels, answer, strict=True)
            for p in panel.people]

    @wc.per_grade
    def notices(ctx: GradeContext) -> dict[frozenset[str], list[str]]:
        found: dict[frozenset[str], list[str]] = {}
        for post in posted(ctx):
            if not post.channel:
                found.setdefault(post.members, []).extend(when_lines(post.lines()))
        return found

    def notified(person: Person, slot: Slot) -> Callable[[GradeContext], tuple[bool, str]]:
        key = frozenset({handle(loop.owner), handle(person)})
        want = when_lines([when_line(slot, person.timezone)])

        def check(ctx: GradeContext) -> tuple[bool, str]:
            got = notices(ctx).get(key, [])
            return got == want, f"When lines sent to {handle(person)}: {got[:3]}; expected {want}"
        return check

    def only_panel(ctx: GradeContext) -> tuple[bool, str]:
        keys = {frozenset({handle(loop.owner), handle(p)}) for p, _, _ in crew}
        found = notices(ctx)
        stray = sorted(sorted(k) for k, v in found.items() if v and k not in keys)
        good = any(found.get(k) for k in keys)
        return good and not stray, f"notices to others: {stray[:3]}"

    def stray_events(ctx: GradeContext) -> tuple[bool, str]:
        seen = [" ".join(e.title.split()).casefold() for e in made(ctx)]
        bad = [t for t in seen if t not in titles or seen.count(t) > 1]
        return not bad, f"new events beyond one per panel: {bad[:4]}"

    share = 2.0 / len(crew)
    return (
        *(c for panel, (slot, room) in zip(loop.panels, answer, strict=True)
          for c in per_panel(panel, slot, room)),
        *wc.item_credit([(f"schedule line: {t}", n) for t, n in wanted], lines,
                        group="schedule line", weight=2.0 / len(wanted)),
        wc.no_wrong_items("schedule: nothing else", [n for _, n in wanted], lines, weight=0.5),
        *(Criterion(f"{p.name} notified", notified(p, slot), weight=share,
                    group="interviewer notified") for p, _, slot in crew),
        Criterion("no notices to others", only_panel, weight=0.5),
        Criterion("no stray events", stray_events, guard=True),
        wc.unchanged("other events, mails and messages unchanged", stores=["contacts"],
                     records=[("calendar", "events"), ("mail", "messages"),
                              ("chat", "messages")]),
        wc.only_recipients("mail only to the candidate", [cand.email, loop.owner.email]),
    )


def _reference(loop: Loop, reads: list[str],
               answer: list[tuple[Slot, str | None]]) -> tuple[ToolCall, ...]:
    cand, zone = loop.candidate, loop.candidate.timezone

    def local(t: datetime) -> str:
        return t.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")

    lo = datetime.combine(loop.days[0], time(0), ZoneInfo(zone))
    hi = datetime.combine(loop.days[-1] + timedelta(days=1), time(0), ZoneInfo(zone))
    calls = [ToolCall("mail.search", {"folder": "inbox", "limit": 100}),
             *(ToolCall("mail.read", {"message_id": m}) for m in reads),
             ToolCall("chat.read_channel", {"channel": f"#{CHANNEL}", "limit": 100})]
    teams = [t for t in loop.teams if any(t == p.team for c in loop.panels for p in c.named
                                          if p.role != HEAD)]
    calls += [ToolCall("contacts.list_team", {"team": t}) for t in teams]
    if any(c.asked == "my manager" for c in loop.panels):
        calls.append(ToolCall("contacts.manager_chain", {"person": loop.manager.email}))
    calls += [ToolCall("contacts.search", {"query": stand.name})
              for who, stand, *_ in loop.leaves if who.email in loop.replaced]
    everyone = [p.email for c in loop.panels for p in c.people]
    calls += [ToolCall("calendar.free_busy", {"calendars": everyone, "start": local(lo),
                                              "end": local(hi), "timezone": zone}),
              ToolCall("calendar.list_rooms", {}),
              ToolCall("calendar.free_busy", {"calendars": [r.name for r in loop.rooms],
                                              "start": local(lo), "end": local(hi),
                                              "timezone": zone})]
    for panel, (slot, room) in zip(loop.panels, answer, strict=True):
        args = {"title": _title(loop, panel), "start": local(slot[0]), "end": local(slot[1]),
                "timezone": zone, "attendees": [p.email for p in panel.people],
                "description": f"Interview with {cand.name}.\nVideo: {loop.link}"}
        if room is not None:
            args["room"] = room
        calls.append(ToolCall("calendar.create_event", args, items={
            "start": (), "attendees": (), **({"room": ()} if room else {})}))
    lines = [_schedule_line(p, s, zone) for p, (s, _) in zip(loop.panels, answer, strict=True)]
    calls.append(ToolCall("mail.send", {
        "to": [cand.email], "subject": SUBJECT,
        "body": letter(cand.first, "here is your interview schedule (all by video, "
                       f"{loop.link}):\n\n" + "\n".join(lines), loop.owner.first,
                       "Best regards,")}, items={"body": tuple(lines)}))
    for panel, (slot, _) in zip(loop.panels, answer, strict=True):
        for p in panel.people:
            when = when_line(slot, p.timezone)
            calls.append(ToolCall("chat.send_direct", {
                "to": [p.email], "text": f"Hi {p.first}, you're on the {panel.title.lower()} "
                f"with {cand.name}.\n{when}\nVideo: {loop.link}"}, items={"text": (when,)}))
    return tuple(calls)
