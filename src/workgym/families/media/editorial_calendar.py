"""media/editorial-calendar: plan next month's stories from the pitches in chat.

Description:
    The agent is a newspaper's managing editor. Reporters posted pitches for next month
    in the ``#pitches`` channel (title, beat, embargo, run-by date); a reply in a pitch's
    thread can correct its embargo or run-by date. The wiki's "Editorial guidelines" say
    which desk covers which beats, which desk owns each weekday's publication slot and at
    what time, and when a pitch is declined: its beat belongs to no desk, it repeats a
    story already published (the archive ``archive/published.docx``), or its embargo
    lifts after the month. An accepted story must not run before its embargo lifts, nor
    after its run-by date, and takes a free slot of its desk (the stories already planned
    are in the agent's calendar). The "Desk roster" page lists the editors, their desks
    and the most stories each edits in a month; an editor on leave or at a conference (their
    calendar) edits nothing that day. The rules leave exactly one plan: the generator
    draws it, then adds embargoes, run-by dates, leave and limits until every other plan
    breaks a rule, and checks by search that one plan remains. The agent books each
    story's slot in its calendar (``Publish: <title>``, inviting the editor) and writes
    the brief ``briefs/<YYYY-MM>.docx``: ``<date> | <title> | <editor>`` per story.

Apps:
    wiki, chat, calendar, docs.

Criteria:
    - ``brief <title>``: the story's ``<date> | <title> | <editor>`` paragraph of the
      brief, precision-aware over every such paragraph; ``brief in date order``.
    - ``slot <title>``: a new event ``Publish: <title>`` at the slot's time, 30 minutes,
      inviting exactly its editor; precision-aware over every new event.
    - guards: no declined pitch in the brief or the calendar; the calendar's events, the
      wiki, the chat and the archive unchanged; no other file or store changed.

Difficulty:
    Knobs set the desks, the editors per desk, the accepted stories, the kinds of pitch
    to decline and the thread updates. Reference calls: easy 16, medium 20, hard 28.
    ``richness`` adds chatter (in the channel, in pitches' threads and elsewhere),
    meetings and leave on days no slot of the editor's desk falls on, more pitches to
    decline, older archive rows and other wiki pages.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore
from workgym.apps.chat import ChatStore
from workgym.apps.docs import DocxBlock, build_docx
from workgym.apps.wiki import WikiStore
from workgym.content.distractors import scaled
from workgym.content.people import Person, people
from workgym.content.teamwork import CHATTER, handle
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

GUIDE, ROSTER, CHANNEL = "Editorial guidelines", "Desk roster", "pitches"
ARCHIVE = "archive/published.docx"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
TIMES = ("06:00", "07:00", "08:00", "12:00", "17:00", "18:00")
DESKS: dict[str, tuple[str, ...]] = {
    "Politics": ("elections", "parliament", "local government", "policing"),
    "Business": ("markets", "startups", "energy", "housing"),
    "Science": ("climate", "health", "space", "technology"),
    "Culture": ("film", "books", "music", "theatre"),
    "Sport": ("football", "athletics", "cycling", "tennis"),
}
OTHER_BEATS = ("gaming", "motoring", "fashion", "gardening", "food", "travel")
SUBJECTS: dict[str, tuple[str, ...]] = {
    "elections": ("postal votes", "turnout", "campaign funding", "first-time voters"),
    "parliament": ("late-night sittings", "committee reports", "backbench rebels",
                   "select committees"),
    "local government": ("council budgets", "bin collections", "planning appeals",
                         "library closures"),
    "policing": ("response times", "community officers", "stop and search", "cold cases"),
    "markets": ("pension funds", "bond yields", "small investors", "currency swings"),
    "startups": ("seed funding", "founder burnout", "incubators", "tech layoffs"),
    "energy": ("heat pumps", "grid upgrades", "energy bills", "offshore wind"),
    "housing": ("rent caps", "empty homes", "first-time buyers", "social housing"),
    "climate": ("heatwave planning", "river flooding", "urban trees", "carbon budgets"),
    "health": ("waiting lists", "rural GPs", "hospital parking", "mental health beds"),
    "space": ("satellite debris", "lunar missions", "dark skies", "rocket launches"),
    "technology": ("facial recognition", "broadband gaps", "chip shortages", "data centres"),
    "film": ("independent cinemas", "film festivals", "streaming deals", "location shoots"),
    "books": ("small publishers", "library loans", "literary prizes", "translated fiction"),
    "music": ("grassroots venues", "festival tickets", "school orchestras", "vinyl sales"),
    "theatre": ("touring companies", "ticket prices", "regional stages", "new playwrights"),
    "football": ("youth academies", "ticket prices", "women's leagues", "stadium plans"),
    "athletics": ("indoor tracks", "marathon entries", "coaching shortages", "doping tests"),
    "cycling": ("bike lanes", "track funding", "road races", "cargo bikes"),
    "tennis": ("public courts", "junior rankings", "grass-court season", "line judges"),
    "gaming": ("esports arenas", "indie studios", "game prices", "retro consoles"),
    "motoring": ("electric cars", "speed cameras", "fuel prices", "driving tests"),
    "fashion": ("second-hand clothes", "fast fashion", "local tailors", "fashion week"),
    "gardening": ("allotments", "drought gardens", "community orchards", "peat-free soil"),
    "food": ("school dinners", "food banks", "street markets", "restaurant closures"),
    "travel": ("night trains", "overtourism", "budget airlines", "staycations"),
}
TEMPLATES = ("The quiet fight over {s} in {c}", "What {c} gets wrong about {s}",
             "Inside the new push on {s} in {c}", "Who pays for {s} in {c}?",
             "A year of {s} in {c}", "Why {c} is split over {s}", "The people behind {s} in {c}",
             "How {c} learned to love {s}")
CITIES = ("Leeds", "Bristol", "Cardiff", "Norwich", "York", "Derby", "Exeter", "Dundee",
          "Hull", "Bath", "Carlisle", "Swansea")
PAPERS = (("The Harbour Herald", "herald.example"), ("Northgate Courier", "courier.example"),
          ("The Valley Ledger", "ledger.example"), ("Riverside Times", "riverside.example"))
LEAVES = ("Annual leave", "Leave", "Out of office (leave)")
CONFERENCES = ("Conference: Data Journalism Summit", "Conference: Newsroom Futures",
               "Conference: Science Writers Forum", "Conference: Local News Congress")
MEETINGS = ("Desk meeting", "Morning news meeting", "Lunch with a source", "CMS training",
            "Budget review", "1:1")
BLURBS = ("I have two sources lined up and data from the council.",
          "Strong local angle; photos can be arranged.",
          "Would work as a long read with a graphic.",
          "Follows up on reader mail we have had about this.",
          "I can file a first draft within the week.",
          "Needs a day of reporting on location.")
REPLIES = ("Nice angle.", "Happy to help with the data on this one.",
           "Could pair well with a photo essay.", "Do we have a second source yet?",
           "I covered something close to this last year, ping me.")
DECLINES = ("offbeat", "duplicate", "late")


class Knobs(BaseModel, frozen=True):
    desks: int
    """Desks in the guidelines (they share the five weekdays' slots)."""
    editors: int
    """Editors per desk."""
    accepted: int
    """Pitches the rules accept (each desk at least one)."""
    declined: tuple[str, ...]
    """Pitches to decline, by reason: offbeat, duplicate, late (embargo past the month)."""
    updates: int
    """Pitches whose thread corrects their embargo or run-by date."""


@dataclass
class Pitch:
    title: str
    beat: str
    reporter: Person
    posted: datetime
    kind: str
    """accept, offbeat, duplicate or late."""
    embargo: datetime | None = None
    run_by: date | None = None
    shown: tuple[datetime | None, date | None] | None = None
    """The embargo and run-by date the post shows when a thread reply corrects them."""
    corrected: datetime | None = None
    """When the correcting reply came."""
    blurb: str = ""


@dataclass
class Editor:
    person: Person
    desk: str
    cap: int = 0


@dataclass
class Away:
    email: str
    title: str
    start: date
    end: date
    """Exclusive."""


@dataclass
class Newsroom:
    now: datetime
    first: date
    """The first day of the month planned."""
    last: date
    """Its last day."""
    me: Person
    paper: str
    desks: dict[str, tuple[str, ...]]
    slots: dict[int, tuple[str, str]]
    """Weekday (0 = Monday) -> (desk, HH:MM)."""
    editors: list[Editor]
    booked: list[tuple[datetime, str, str]] = field(default_factory=list)
    """Stories already in the calendar: (slot, title, editor's email)."""
    away: list[Away] = field(default_factory=list)
    pitches: list[Pitch] = field(default_factory=list)
    plan: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    """Accepted title -> (slot, editor's email)."""
    archive: list[tuple[date, str, str]] = field(default_factory=list)

    def desk_of(self, beat: str) -> str | None:
        return next((d for d, beats in self.desks.items() if beat in beats), None)

    def slots_of(self, desk: str) -> list[datetime]:
        found, day = [], self.first
        while day <= self.last:
            slot = self.slots.get(day.weekday())
            if slot is not None and slot[0] == desk:
                hour, minute = map(int, slot[1].split(":"))
                found.append(datetime.combine(day, time(hour, minute), UTC))
            day += timedelta(days=1)
        return found

    def free_of(self, desk: str) -> list[datetime]:
        taken = {at for at, _, _ in self.booked}
        return [at for at in self.slots_of(desk) if at not in taken]

    def is_away(self, email: str, day: date) -> bool:
        return any(a.email == email and a.start <= day < a.end for a in self.away)

    def editor(self, email: str) -> Editor:
        return next(e for e in self.editors if e.person.email == email)

    def used(self, email: str) -> int:
        return sum(1 for _, _, who in self.booked if who == email)

    def accepted(self, desk: str) -> list[Pitch]:
        return sorted((p for p in self.pitches
                       if p.kind == "accept" and self.desk_of(p.beat) == desk),
                      key=lambda p: p.title)

    def fits(self, p: Pitch, at: datetime, email: str) -> bool:
        return (p.embargo is None or at >= p.embargo) and \
            (p.run_by is None or at.date() <= p.run_by) and not self.is_away(email, at.date())

    def solutions(self, desk: str, limit: int = 2,
                  skip: dict[str, tuple[datetime, str]] | None = None,
                  ) -> list[dict[str, tuple[datetime, str]]]:
        """Up to ``limit`` plans of the desk's accepted stories that keep every rule (other
        than ``skip``)."""
        stories = self.accepted(desk)
        free = self.free_of(desk)
        staff = [e for e in self.editors if e.desk == desk]
        left = {e.person.email: e.cap - self.used(e.person.email) for e in staff}
        options = [[(at, e.person.email) for at in free for e in staff
                    if self.fits(p, at, e.person.email)] for p in stories]
        found: list[dict[str, tuple[datetime, str]]] = []
        chosen: dict[str, tuple[datetime, str]] = {}

        def search(n: int) -> None:
            if len(found) >= limit:
                return
            if n == len(stories):
                if chosen != skip:
                    found.append(dict(chosen))
                return
            taken = {at for at, _ in chosen.values()}
            for at, who in options[n]:
                if at in taken or left[who] <= 0:
                    continue
                left[who] -= 1
                chosen[stories[n].title] = (at, who)
                search(n + 1)
                del chosen[stories[n].title]
                left[who] += 1

        search(0)
        return found


def _titles(rng: random.Random, beat: str, taken: set[str]) -> str:
    for _ in range(200):
        title = rng.choice(TEMPLATES).format(s=rng.choice(SUBJECTS[beat]), c=rng.choice(CITIES))
        title = title[0].upper() + title[1:]
        if title.casefold() not in taken:
            taken.add(title.casefold())
            return title
    raise RuntimeError(f"no fresh title for the beat {beat}")


def _stamp(at: datetime | None) -> str:
    return "none" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


def _day(on: date | None) -> str:
    return "none" if on is None else on.isoformat()


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@register_family
class EditorialCalendar(TaskFamily[Knobs]):
    """Plan next month's stories from chat pitches under the wiki's guidelines; brief."""

    name = "media/editorial-calendar"
    version = 1
    apps = ("wiki", "chat", "calendar", "docs")
    levels = Levels(
        easy=Level(Knobs(desks=2, editors=2, accepted=3, declined=("offbeat", "late"),
                         updates=0), calls=16),
        medium=Level(Knobs(desks=3, editors=2, accepted=5, declined=DECLINES, updates=0),
                     calls=20),
        hard=Level(Knobs(desks=3, editors=3, accepted=8,
                         declined=(*DECLINES, "offbeat", "late"), updates=2), calls=28),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(100):
            room = _newsroom(k, rng_for(spec, "core", attempt))
            if room is not None:
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no plan in 100 attempts")
        reporters = _reporters(room, rng_for(spec, "staff"))
        rich = rng_for(spec, "distractors")
        extra = _more_declines(room, reporters, rich, scaled(spec.richness, 3))
        calendar = _calendar(room, rich, spec.richness)
        chat, threads = _chat(room, reporters, extra, rich, spec.richness)
        files = {ARCHIVE: _archive(room, extra, rich, spec.richness)}
        declined = [p.title for p in (*room.pitches, *extra) if p.kind != "accept"]
        return Task(spec=spec, prompt=_prompt(room), apps=self.apps,
                    template=WorldTemplate(now=room.now, files=files, stores={
                        "wiki": _wiki(room, rich, spec.richness), "chat": chat,
                        "calendar": calendar}),
                    criteria=_criteria(room, declined), reference=_reference(room, threads),
                    artifacts=(_brief(room),))


# -- the plan ------------------------------------------------------------------------------


def _newsroom(k: Knobs, rng: random.Random) -> Newsroom | None:
    """A newsroom whose rules leave exactly one plan, or None to draw again."""
    month = rng.randrange(1, 12)
    now = datetime(2026, month, rng.randint(14, 24), rng.randint(8, 16), 0, tzinfo=UTC)
    first = date(2026, month + 1, 1)
    last = (date(2026, month + 2, 1) if month < 11 else date(2027, 1, 1)) - timedelta(days=1)
    paper, domain = rng.choice(PAPERS)
    names = rng.sample(sorted(DESKS), k.desks)
    desks = {d: tuple(sorted(rng.sample(DESKS[d], 3))) for d in names}
    days = list(range(5))
    rng.shuffle(days)
    owners = [names[n % k.desks] for n in range(5)]
    slots = {day: (owner, rng.choice(TIMES)) for day, owner in zip(days, owners, strict=True)}
    staff = people(rng, 1 + k.desks * k.editors, domain=domain)
    me = staff[0]
    editors = [Editor(p, names[n // k.editors]) for n, p in enumerate(staff[1:])]
    room = Newsroom(now, first, last, me, paper, desks, slots, editors)
    taken: set[str] = set()
    counts = [1] * k.desks
    for _ in range(k.accepted - k.desks):
        counts[rng.randrange(k.desks)] += 1
    busy: dict[str, set[date]] = {e.person.email: set() for e in editors}
    for desk, count in zip(names, counts, strict=True):
        every = room.slots_of(desk)
        spare = rng.randint(1, 2)
        if len(every) < count + spare:
            return None
        order = rng.sample(every, len(every))
        planted, booked = order[:count], order[count + spare:]
        crew = [e.person.email for e in editors if e.desk == desk]
        for at in sorted(booked):
            who = rng.choice(crew)
            room.booked.append((at, _titles(rng, rng.choice(desks[desk]), taken), who))
            busy[who].add(at.date())
        for who in crew:
            for _ in range(rng.randint(0, 1)):
                _leave(room, rng, who, None, busy[who])
        for at in planted:
            free = [w for w in crew if not room.is_away(w, at.date())]
            if not free:
                return None
            who = rng.choice(free)
            busy[who].add(at.date())
            beat = rng.choice(desks[desk])
            title = _titles(rng, beat, taken)
            room.plan[title] = (at, who)
            room.pitches.append(Pitch(title, beat, me, now, "accept"))
    for e in editors:
        mine = sum(1 for at, who in room.plan.values() if who == e.person.email)
        e.cap = max(1, room.used(e.person.email) + mine + rng.choice((0, 1, 1, 2)))
    for p in room.pitches:
        at, _ = room.plan[p.title]
        if rng.random() < 0.4:
            p.embargo = _hour(rng, datetime.combine(first, time(0), UTC) - timedelta(days=8), at)
        if rng.random() < 0.3:
            p.run_by = at.date() + timedelta(days=rng.randint(0, 12))
    for desk in names:
        if not _tighten(room, desk, rng, busy):
            return None
    _declines(room, k, rng, taken)
    _posted(room, rng)
    _updates(room, k, rng)
    return room


def _hour(rng: random.Random, after: datetime, until: datetime) -> datetime:
    """Half past an hour in (after, until), in working hours where one is: never a slot's
    time (slots are on the hour), so no embargo lifts at the very minute of a slot."""
    hours = int((until - after).total_seconds() // 3600)
    found = [t for t in (after + timedelta(minutes=30 + 60 * h) for h in range(hours))
             if after < t < until]
    day = [t for t in found if 6 <= t.hour <= 20]
    return rng.choice(day or found)


def _leave(room: Newsroom, rng: random.Random, who: str, on: date | None,
           busy: set[date]) -> bool:
    """Leave or a conference for ``who`` (covering ``on`` if given) on none of ``busy``."""
    for _ in range(30):
        length = rng.randint(1, 4)
        if on is None:
            start = room.first + timedelta(days=rng.randrange(-3, (room.last - room.first).days))
        else:
            start = on - timedelta(days=rng.randrange(length))
        span = [start + timedelta(days=n) for n in range(length)]
        if any(d in busy for d in span):
            continue
        title = rng.choice(CONFERENCES if rng.random() < 0.4 else LEAVES)
        room.away.append(Away(who, title, start, start + timedelta(days=length)))
        return True
    return False


def _tighten(room: Newsroom, desk: str, rng: random.Random,
             busy: dict[str, set[date]]) -> bool:
    """Add embargoes, run-by dates, leave and limits until the planted plan of the desk is
    its only one; False if that fails."""
    stories = {p.title: p for p in room.accepted(desk)}
    planted = {t: room.plan[t] for t in stories}
    for _ in range(200):
        others = room.solutions(desk, 1, skip=planted)
        if not others:
            return len(room.solutions(desk, 2)) == 1  # the planted plan, and only it
        alt = others[0]
        title = rng.choice(sorted(t for t in stories if alt[t] != planted[t]))
        p = stories[title]
        (a_at, a_who), (p_at, _) = alt[title], planted[title]
        ways = []
        if a_at < p_at:
            ways.append("embargo")
        if a_at.date() > p_at.date():
            ways.append("run_by")
        if a_at.date() not in busy[a_who]:
            ways.append("leave")
        uses = sum(1 for at, who in alt.values() if who == a_who)
        mine = sum(1 for at, who in planted.values() if who == a_who)
        if uses > mine:
            ways.append("cap")
        way = rng.choice(ways)
        if way == "embargo":
            p.embargo = _hour(rng, a_at, p_at)
        elif way == "run_by":
            p.run_by = p_at.date() + timedelta(days=rng.randrange((a_at.date() - p_at.date()).days))
        elif way == "leave":
            if not _leave(room, rng, a_who, a_at.date(), busy[a_who]):
                return False
        else:
            room.editor(a_who).cap = room.used(a_who) + mine
    return False


def _declines(room: Newsroom, k: Knobs, rng: random.Random, taken: set[str]) -> None:
    covered = [b for beats in room.desks.values() for b in beats]
    off = sorted({*OTHER_BEATS, *(b for beats in DESKS.values() for b in beats)} - set(covered))
    for kind in k.declined:
        beat = rng.choice(off if kind == "offbeat" else covered)
        p = Pitch(_titles(rng, beat, taken), beat, room.me, room.now, kind)
        _fields(room, p, rng)
        room.pitches.append(p)
        if kind == "duplicate":
            room.archive.append((room.now.date() - timedelta(days=rng.randint(10, 80)), p.title,
                                 room.desk_of(beat) or ""))
    for _ in range(8):
        desk = rng.choice(sorted(room.desks))
        room.archive.append((room.now.date() - timedelta(days=rng.randint(3, 90)),
                             _titles(rng, rng.choice(room.desks[desk]), taken), desk))


def _fields(room: Newsroom, p: Pitch, rng: random.Random) -> None:
    """The embargo and run-by date of a pitch to decline (like an accepted one's)."""
    start = datetime.combine(room.first, time(0), UTC)
    if p.kind == "late":
        p.embargo = _hour(rng, start + timedelta(days=(room.last - room.first).days + 1),
                          start + timedelta(days=55))
        if rng.random() < 0.6:
            p.run_by = p.embargo.date() + timedelta(days=rng.randint(0, 10))
        return
    if rng.random() < 0.7:  # about as often as the accepted pitches end up with one
        p.embargo = _hour(rng, start - timedelta(days=8), start + timedelta(days=24))
    if rng.random() < 0.6:
        p.run_by = room.first + timedelta(days=rng.randint(3, 34))
        if p.embargo is not None and p.run_by < p.embargo.date():
            p.run_by = p.embargo.date() + timedelta(days=rng.randint(0, 10))


def _posted(room: Newsroom, rng: random.Random) -> None:
    """Posting times, uniform over the last three weeks, with a blurb each."""
    for p in room.pitches:
        p.posted = room.now - timedelta(minutes=rng.randrange(60, 21 * 24 * 60))
        p.blurb = rng.choice(BLURBS)


def _updates(room: Newsroom, k: Knobs, rng: random.Random) -> None:
    """Pitches whose post shows an older embargo or run-by date, corrected in a thread."""
    start = datetime.combine(room.first, time(0), UTC)
    for p in rng.sample(sorted(room.pitches, key=lambda p: p.title), k.updates):
        if p.embargo is not None or (p.run_by is None and rng.random() < 0.5):
            old = _hour(rng, start - timedelta(days=5), start + timedelta(days=25))
            p.shown = (old if old != p.embargo else None, p.run_by)
        else:
            moved = room.first + timedelta(days=rng.randint(3, 27))
            p.shown = (p.embargo, moved if moved != p.run_by else None)
        later = p.posted + (room.now - p.posted) * rng.uniform(0.2, 0.9)
        p.corrected = later.replace(second=0, microsecond=0)


def _reporters(room: Newsroom, rng: random.Random) -> list[Person]:
    domain = room.me.email.split("@", 1)[1]
    taken = {e.person.email for e in room.editors} | {room.me.email}
    crew = [p for p in people(rng, 12, domain=domain) if p.email not in taken][:5]
    for p in room.pitches:
        p.reporter = rng.choice(crew)
    return crew


def _more_declines(room: Newsroom, reporters: list[Person], rng: random.Random,
                   count: int) -> list[Pitch]:
    """Further pitches to decline, for richness; drawn without looking at the plan."""
    taken = {_norm(t) for t in [*(p.title for p in room.pitches),
                                *(t for _, t, _ in room.booked),
                                *(t for _, t, _ in room.archive)]}
    covered = [b for beats in room.desks.values() for b in beats]
    off = sorted({*OTHER_BEATS, *(b for beats in DESKS.values() for b in beats)} - set(covered))
    found = []
    for _ in range(count):
        kind = rng.choice(DECLINES)
        beat = rng.choice(off if kind == "offbeat" else covered)
        p = Pitch(_titles(rng, beat, taken), beat, rng.choice(reporters),
                  room.now - timedelta(minutes=rng.randrange(60, 21 * 24 * 60)), kind,
                  blurb=rng.choice(BLURBS))
        _fields(room, p, rng)
        found.append(p)
    return found


# -- the world -----------------------------------------------------------------------------


def _calendar(room: Newsroom, rng: random.Random, richness: float) -> CalendarStore:
    store = CalendarStore(owner=room.me.email, people={
        room.me.email: CalendarPerson(name=room.me.name),
        **{e.person.email: CalendarPerson(name=e.person.name) for e in room.editors}})
    for at, title, who in room.booked:
        store.add_event(f"Publish: {title}", at, at + timedelta(minutes=30), "UTC",
                        room.me.email, [Attendee(email=who, response="accepted")])
    away = _merged(room.away)
    span = (room.last - room.first).days + 1
    for _ in range(scaled(richness, 4)):
        e = rng.choice(room.editors)
        own = {d for d, (desk, _) in room.slots.items() if desk == e.desk}
        days = [room.first + timedelta(days=n) for n in range(span)]
        day = rng.choice([d for d in days if d.weekday() not in own])
        away.append(Away(e.person.email, rng.choice((*LEAVES, *CONFERENCES)), day,
                         day + timedelta(days=1)))
    for a in away:
        store.add_event(a.title, datetime.combine(a.start, time(0), UTC),
                        datetime.combine(a.end, time(0), UTC), "UTC", a.email)
    for _ in range(scaled(richness, 14)):
        host = rng.choice([room.me, *(e.person for e in room.editors)])
        day = room.first + timedelta(days=rng.randrange(-5, span))
        at = datetime.combine(day, time(rng.randrange(8, 18), rng.choice((0, 30))), UTC)
        guests = [e.person.email for e in room.editors if e.person.email != host.email]
        store.add_event(rng.choice(MEETINGS), at, at + timedelta(minutes=rng.choice((30, 60))),
                        "UTC", host.email, [Attendee(email=rng.choice(guests))])
    store.events.sort(key=lambda e: (e.start, e.title, e.organizer))
    for n, event in enumerate(store.events, 1):
        event.id = f"ev{n:04d}"
    return store


def _merged(away: list[Away]) -> list[Away]:
    """Each person's overlapping or touching absences as one (the days off are the same)."""
    found: list[Away] = []
    for a in sorted(away, key=lambda a: (a.email, a.start)):
        last = found[-1] if found else None
        if last is not None and last.email == a.email and a.start <= last.end:
            last.end = max(last.end, a.end)
        else:
            found.append(Away(a.email, a.title, a.start, a.end))
    return found


def _text(p: Pitch) -> str:
    embargo, run_by = p.shown if p.shown is not None else (p.embargo, p.run_by)
    return (f"Pitch: {p.title}\nBeat: {p.beat}\nEmbargo: {_stamp(embargo)}\n"
            f"Run by: {_day(run_by)}\n{p.blurb}")


def _chat(room: Newsroom, reporters: list[Person], extra: list[Pitch], rng: random.Random,
          richness: float) -> tuple[ChatStore, list[str]]:
    """The workspace, and the ids of the pitches whose thread corrects them."""
    editors = [e.person for e in room.editors]
    store = ChatStore(me=handle(room.me))
    for person in sorted([*reporters, *editors], key=lambda p: p.email):
        store.add_user(handle(person), person.name, person.email)
    everyone = [store.me, *(handle(p) for p in [*reporters, *editors])]
    store.add_channel(CHANNEL, everyone, topic=f"Pitches for {room.first:%B %Y}")
    store.add_channel("newsroom", everyone, topic="Everything else")
    # (time, channel, author, text, key of the post replied to, own key)
    posts: list[tuple[datetime, str, Person, str, str | None, str]] = []
    pitches = [*room.pitches, *extra]
    for n, p in enumerate(pitches):
        posts.append((p.posted, CHANNEL, p.reporter, _text(p), None, f"p{n}"))
        if p.shown is not None and p.corrected is not None:
            at = p.corrected
            what = (f"Embargo: {_stamp(p.embargo)}" if p.shown[0] != p.embargo
                    else f"Run by: {_day(p.run_by)}")
            note = f"Update on this pitch: {what} (this replaces what the pitch says)."
            posts.append((at, CHANNEL, p.reporter, note, f"p{n}", f"u{n}"))
    start = room.now - timedelta(days=21)
    minutes = 21 * 24 * 60
    for n in range(scaled(richness, 8)):
        posts.append((start + timedelta(minutes=rng.randrange(minutes)), "newsroom",
                      rng.choice([*reporters, *editors]), rng.choice(CHATTER), None, f"c{n}"))
    for n in range(scaled(richness, 2)):
        posts.append((start + timedelta(minutes=rng.randrange(minutes)), CHANNEL, room.me,
                      rng.choice(("Reminder: pitches for next month close on Friday.",
                                  "Thanks for all the pitches so far, keep them coming.")),
                      None, f"r{n}"))
    for n in range(scaled(richness, 4)):
        target = rng.randrange(len(pitches))
        at = pitches[target].posted + timedelta(minutes=rng.randrange(5, 600))
        posts.append((min(at, room.now - timedelta(minutes=1)), CHANNEL,
                      rng.choice([*reporters, *editors]), rng.choice(REPLIES), f"p{target}",
                      f"t{n}"))
    ids: dict[str, str] = {}
    for at, channel, author, text, parent, key in sorted(posts, key=lambda x: (x[0], x[5])):
        made = store.add_message(channel, handle(author), text, at,
                                 thread=ids[parent] if parent else None)
        ids[key] = made.id
    return store, [ids[f"p{n}"] for n, p in enumerate(pitches) if p.shown is not None]


def _archive(room: Newsroom, extra: list[Pitch], rng: random.Random,
             richness: float) -> bytes:
    rows = list(room.archive)
    rows += [(room.now.date() - timedelta(days=rng.randint(10, 80)), p.title,
              room.desk_of(p.beat) or "") for p in extra if p.kind == "duplicate"]
    taken = {_norm(t) for t in [*(p.title for p in [*room.pitches, *extra]),
                                *(t for _, t, _ in [*rows, *room.booked])]}
    for _ in range(scaled(richness, 6)):
        desk = rng.choice(sorted(room.desks))
        rows.append((room.now.date() - timedelta(days=rng.randint(3, 90)),
                     _titles(rng, rng.choice(room.desks[desk]), taken), desk))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return build_docx([
        DocxBlock.heading("Published stories", 0),
        DocxBlock.paragraph("Every story we ran in the last three months, newest first."),
        DocxBlock.table([["Date", "Title", "Desk"],
                         *([d.isoformat(), t, desk] for d, t, desk in rows)])])


def _wiki(room: Newsroom, rng: random.Random, richness: float) -> WikiStore:
    store = WikiStore(me=room.me.name)
    at = room.now - timedelta(days=60)
    desks = "\n".join(f"| {d} | {', '.join(b)} |" for d, b in sorted(room.desks.items()))
    slots = "\n".join(f"| {WEEKDAYS[n]} | {room.slots[n][0]} | {room.slots[n][1]} |"
                      for n in range(5))
    store.add_page(GUIDE, (
        f"# Editorial guidelines\n\n## Desks and beats\n\n| desk | beats |\n| --- | --- |\n"
        f"{desks}\n\n## Publication slots\n\nEach weekday has one publication slot, owned "
        f"by one desk; nothing runs at weekends. All times are UTC.\n\n| weekday | desk | "
        f"time |\n| --- | --- | --- |\n{slots}\n\nA story runs in a slot of its beat's desk, "
        f"one story per slot. A slot that already holds a story (a \"Publish: ...\" event "
        f"in the managing editor's calendar) is taken.\n\n## Pitches\n\nDecline a pitch "
        f"when its beat belongs to no desk, when it repeats a story we already published "
        f"(the same title in {ARCHIVE}), or when its embargo lifts after the end of the "
        f"month being planned. Accept every other pitch: it runs that month. A reporter's "
        f"update in the pitch's thread replaces what the pitch said.\n\n## Embargoes and "
        f"run-by dates\n\nA story under embargo must not publish before the embargo lifts "
        f"(its date and time). A story with a run-by date publishes on that day or "
        f"earlier.\n\n## Editors\n\nEvery story is edited by an editor of its desk (see "
        f"[[{ROSTER}]]) who is at work on the day it runs: not on leave and not at a "
        f"conference, as their calendar shows. Other meetings do not matter. No editor "
        f"edits more stories in a month than the roster allows, counting the stories "
        f"already in the calendar.\n"), room.me.name, at)
    rows = "\n".join(f"| {e.person.name} | {e.person.email} | {e.desk} | {e.cap} |"
                     for e in sorted(room.editors, key=lambda e: e.person.name))
    store.add_page(ROSTER, (
        f"# Desk roster\n\n| editor | email | desk | most stories a month |\n| --- | --- "
        f"| --- | --- |\n{rows}\n"), room.me.name, at + timedelta(days=1))
    extra = [("Style guide", "Write numbers one to nine as words; use the 24-hour clock."),
             ("Corrections policy", "Corrections run at the foot of the story, dated."),
             ("Social media", "Every story gets one post when it publishes, none before."),
             ("Photo desk", "Book photographers three days ahead through the photo desk.")]
    for title, body in rng.sample(extra, scaled(richness, len(extra))):
        store.add_page(title, f"# {title}\n\n{body}\n", room.me.name,
                       at + timedelta(days=rng.randrange(2, 50)))
    return store


def _brief(room: Newsroom) -> str:
    return f"briefs/{room.first:%Y-%m}.docx"


def _prompt(room: Newsroom) -> str:
    return (
        f"You are {room.me.name} ({room.me.email}), managing editor of {room.paper}. It is "
        f"now {room.now:%Y-%m-%d %H:%M} UTC. Plan {room.first:%B %Y} from the pitches in the "
        f"#{CHANNEL} chat channel under the wiki's \"{GUIDE}\" and \"{ROSTER}\" pages: "
        f"decline the pitches the guidelines decline (the stories already published are in "
        f"{ARCHIVE}), and give every accepted story its publication slot and its editor. "
        f"The stories already planned are in your calendar; the editors' calendars show "
        f"their leave and conferences. The rules leave exactly one plan.\n\n"
        f"For each accepted story create an event in your calendar titled \"Publish: "
        f"<title>\" at its slot's time, 30 minutes long, inviting only its editor. Then write "
        f"the brief to {_brief(room)} (docs): one paragraph per accepted story, in date "
        f"order, \"<YYYY-MM-DD> | <title> | <editor's full name>\". Declined pitches appear "
        f"nowhere. All times are UTC. Change nothing else.")


# -- grading -------------------------------------------------------------------------------


def _criteria(room: Newsroom, declined: list[str]) -> tuple[Criterion, ...]:
    brief = _brief(room)
    paragraphs = wc.docx_paragraphs(brief)
    names = {e.person.email: e.person.name for e in room.editors}

    def lines(ctx: GradeContext) -> list[str]:
        found = []
        for text in paragraphs(ctx):
            parts = [p.strip() for p in text.split("|")]
            if len(parts) == 3:
                found.append(" | ".join(_norm(p) for p in parts))
        return found

    def events(ctx: GradeContext) -> list[tuple[str, ...]]:
        return [(_norm(e.title), e.start_utc.isoformat(), e.end_utc.isoformat(),
                 *sorted(a.email.lower() for a in e.attendees))
                for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]

    read_lines, read_events = wc.per_grade(lines), wc.per_grade(events)
    order = sorted(room.plan.items(), key=lambda kv: kv[1][0])
    want_lines = [(f"brief {t}", f"{at.date().isoformat()} | {_norm(t)} | {_norm(names[who])}")
                  for t, (at, who) in order]
    want_events: list[tuple[str, tuple[str, ...]]] = [(f"slot {t}", (_norm(f"Publish: {t}"), at.isoformat(),
                                  (at + timedelta(minutes=30)).isoformat(), who.lower()))
                   for t, (at, who) in order]
    refused = {_norm(t) for t in declined}

    def no_declined(ctx: GradeContext) -> tuple[bool, str]:
        try:
            titles = [line.split(" | ")[1] for line in read_lines(ctx)]
        except GradeError:  # no readable brief: the brief's own criteria fail instead
            titles = []
        titles += [title.removeprefix("publish:").strip() for title, *_ in read_events(ctx)]
        bad = sorted({t for t in titles if t in refused})
        return not bad, f"declined pitches planned: {bad[:3]}" if bad else "none planned"

    return (
        *wc.item_credit(want_lines, read_lines, group="brief line"),
        wc.in_order("brief in date order", [i for _, i in want_lines], read_lines),
        *wc.item_credit(want_events, read_events, group="slot booked"),
        Criterion("no declined pitch planned", no_declined, guard=True),
        wc.unchanged("events, wiki, chat and archive kept", paths=[ARCHIVE],
                     stores=["wiki", "chat"], records=[("calendar", "events")]),
        wc.nothing_else_changed("nothing else changed", [brief], changing=["calendar"]),
    )


# -- the reference -------------------------------------------------------------------------


def _reference(room: Newsroom, threads: list[str]) -> tuple[ToolCall, ...]:
    window = {"start": room.first.isoformat(),
              "end": (room.last + timedelta(days=1)).isoformat(), "timezone": "UTC"}
    calls = [ToolCall("wiki.list_pages", {}), ToolCall("wiki.read", {"page": GUIDE}),
             ToolCall("wiki.read", {"page": ROSTER}),
             ToolCall("chat.read_channel", {"channel": f"#{CHANNEL}", "limit": 100}),
             *(ToolCall("chat.read_thread", {"message_id": t}) for t in threads),
             ToolCall("docs.read", {"path": ARCHIVE}),
             ToolCall("docs.read_table", {"path": ARCHIVE, "block": 3, "limit": 500}),
             ToolCall("calendar.list_events", {"calendar": room.me.email, **window}),
             *(ToolCall("calendar.list_events", {"calendar": e.person.email, **window})
               for e in room.editors)]
    names = {e.person.email: e.person.name for e in room.editors}
    order = sorted(room.plan.items(), key=lambda kv: kv[1][0])
    for title, (at, who) in order:
        calls.append(ToolCall("calendar.create_event", {
            "title": f"Publish: {title}", "start": f"{at:%Y-%m-%dT%H:%M}",
            "end": f"{at + timedelta(minutes=30):%Y-%m-%dT%H:%M}", "timezone": "UTC",
            "attendees": [who]}, items={"title": ()}))
    lines = [f"{at.date().isoformat()} | {t} | {names[who]}" for t, (at, who) in order]
    calls += [ToolCall("docs.create", {"path": _brief(room),
                                       "title": f"{room.first:%B %Y} brief"}),
              ToolCall("docs.insert_paragraphs", {"path": _brief(room), "paragraphs": lines},
                       items={"paragraphs": ()})]
    return tuple(calls)
