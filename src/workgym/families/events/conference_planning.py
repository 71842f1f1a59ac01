"""events/conference-planning: finalise a one-day conference's speakers.

Description:
    The programme chair's mail sets the rules for the company's one-day conference; the
    workbook ``conference/programme.xlsx`` lists its sessions (format, track, expected
    audience), the invited speakers (organisation, city) and the budget (honorarium per
    format, a travel cap per leg). Each speaker mailed which sessions they can give, when
    they can be at the venue and, when they come from another city, the earliest time
    they can set off each way; one speaker may withdraw, which drops a session nobody else
    can give, and a later mail of the chair may change one honorarium. The rooms (with
    their capacities) and what already holds them that day are in the calendar.

    The agent matches each remaining session to a speaker who can give it and places it
    in one room and slot: a room that seats the session's audience and is free, a slot
    the speaker can make, never two sessions of one track at once and no speaker twice.
    The puzzle is drawn until exactly one programme fits (checked by an exhaustive
    search in the generator) and no greedy filling (sessions by code or biggest audience
    first, first slot, rooms by size or as listed) finds it. It creates one calendar event per session in its room with its speaker invited,
    books each travelling speaker's legs on the travel desk (of the trains and flights
    that leave at or after the speaker's time and cost at most the cap, the one that
    arrives first; drawn so that this is never tied and is neither the cheapest nor the
    first to leave on every leg), pays each guest speaker the honorarium of their
    session's format from the account the chair names, and mails each speaker on the
    programme their confirmation.

Apps:
    sheets, mail, calendar, travel, payments.

Criteria:
    - ``session <title>``: a new event with the session's title in its room and slot,
      inviting only its speaker, precision-aware; ``programme is exactly the sessions``
      (weight 2).
    - ``booked <speaker> <leg>``: the speaker's confirmed train or flight,
      precision-aware; ``bookings are exactly the legs`` (weight 2).
    - ``honorarium <speaker>``: a transfer of the right amount to the speaker's payee
      from the named account, precision-aware; ``payments are exactly the honoraria``.
    - ``confirmation <speaker>``: their mail's ``Session``, ``Room``, ``Start`` (and
      ``Outbound``, ``Return``, ``Honorarium`` where they apply) lines:
      ``confirmation``, ``outbound stated``, ``return stated``, ``honorarium stated``.
    - guards: mails, events and earlier bookings kept; no event but the sessions, each
      once; no booking but the travelling speakers' two legs; no payment but one per
      paid speaker; mail only to the speakers on the programme; nothing else changed.

Difficulty:
    Knobs set sessions, rooms, slots and tracks, the speakers who travel, staff and local
    speakers, a withdrawal and a changed honorarium. Reference calls: easy 35, medium 46,
    hard 62. ``richness`` adds everyday mails and events, cancelled room bookings
    anywhere that day, colleagues' bookings, other payees and notes.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import CalendarPerson, CalendarStore, Room
from workgym.apps.payments import PaymentsStore, iban, money_text
from workgym.apps.sheets import workbook_bytes
from workgym.apps.travel import Booking, Place, TravelStore
from workgym.content.companies import Company, companies
from workgym.content.distractors import everyday_mails, everyday_notes, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.travel import travel_store
from workgym.core import (
    Criterion,
    GradeContext,
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

PROGRAMME = "conference/programme.xlsx"
SLOTS = (("09:30", "10:30"), ("11:00", "12:00"), ("13:30", "14:30"), ("15:00", "16:00"))
ROOMS = ("Auditorium", "Hall A", "Hall B", "Studio", "Forum", "Loft", "Gallery", "Atrium")
FORMATS = ("Keynote", "Talk", "Workshop")
TRACKS = ("Data", "Product", "Engineering", "Design", "Operations")
TOPICS = (
    "Scaling data pipelines", "Designing for trust", "Pricing experiments that work",
    "Observability in practice", "From prototype to product", "Privacy by default",
    "Teams that ship weekly", "Search relevance tuning", "Forecasting demand",
    "Accessible interfaces", "Incident reviews without blame", "Edge caching patterns",
    "Roadmaps customers believe", "Feature stores explained", "Onboarding that sticks",
    "Testing in production", "Design systems at scale", "Supply chain analytics",
    "Migrating a monolith", "Retention metrics that matter", "Secure build pipelines",
    "Research operations", "Cost-aware cloud architecture", "Writing useful specs")
ACCOUNTS = ("Operating account", "Events account", "Marketing account", "Projects account")
_SET_OFF = ("07:00", "08:00", "09:00", "10:00", "12:00", "14:00", "16:00")
_CAPS = ("90.00", "100.00", "110.00", "120.00")
_BUSY = ("Sponsor workshop", "AV rehearsal", "Press briefing", "Partner meeting",
         "Catering set-up", "Board session")


class Knobs(BaseModel, frozen=True):
    sessions: int
    """Sessions on the programme (one speaker each)."""
    rooms: int
    """Rooms of the venue."""
    slots: int
    """Time slots of the day."""
    tracks: int
    """Tracks the sessions belong to."""
    staff: int
    """Speakers from the company itself (no honorarium, no travel)."""
    locals: int
    """Guest speakers from the conference city (honorarium, no travel)."""
    withdrawn: bool
    """A further speaker withdrew, dropping the one session only they could give."""
    rate_change: bool
    """A later mail of the chair changes one format's honorarium."""
    distractors: int
    """Distractor items at richness 1."""


@dataclass(frozen=True)
class _Session:
    code: str
    title: str
    format: str
    track: str
    audience: int


@dataclass(frozen=True)
class _Leg:
    kind: str
    id: str
    number: str
    origin: str
    destination: str
    depart: str
    arrive: str
    price: str


@dataclass
class _Speaker:
    person: Person
    org: str
    city: Place
    can: list[int]
    """Sessions (indices) they can give."""
    window: tuple[int, int]
    """First and last slot they can make."""
    kind: str
    """``guest``, ``local``, ``staff`` or ``withdrawn``."""
    times: tuple[str, str] = ("", "")
    """Earliest set-off out and back (travelling guests)."""
    legs: tuple[_Leg, ...] = ()


@dataclass(frozen=True)
class _Puzzle:
    caps: list[int]
    busy: set[tuple[int, int]]
    sessions: list[_Session]
    can: list[list[int]]
    windows: list[tuple[int, int]]
    answer: dict[int, tuple[int, tuple[int, int]]]
    """Session -> (speaker, (room, slot))."""


def _feasible(p: _Puzzle, slots: int) -> list[list[tuple[int, tuple[int, int]]]]:
    """Per session, the (speaker, cell) pairs its own constraints allow."""
    out = []
    for s, session in enumerate(p.sessions):
        pairs = []
        for who, can in enumerate(p.can):
            if s not in can:
                continue
            lo, hi = p.windows[who]
            for room, cap in enumerate(p.caps):
                for slot in range(lo, hi + 1):
                    if slot < slots and cap >= session.audience and (room, slot) not in p.busy:
                        pairs.append((who, (room, slot)))
        out.append(pairs)
    return out


def solutions(p: _Puzzle, slots: int, limit: int = 2) -> list[dict[int, tuple[int, tuple[int,
                                                                                          int]]]]:
    """Up to ``limit`` programmes that meet every rule (an exhaustive search)."""
    feasible = _feasible(p, slots)
    order = sorted(range(len(p.sessions)), key=lambda s: len(feasible[s]))
    found: list[dict[int, tuple[int, tuple[int, int]]]] = []
    speakers: set[int] = set()
    cells: set[tuple[int, int]] = set()
    tracks: set[tuple[int, str]] = set()
    chosen: dict[int, tuple[int, tuple[int, int]]] = {}

    def search(i: int) -> None:
        if len(found) >= limit:
            return
        if i == len(order):
            found.append(dict(chosen))
            return
        s = order[i]
        track = p.sessions[s].track
        for who, cell in feasible[s]:
            if who in speakers or cell in cells or (cell[1], track) in tracks:
                continue
            speakers.add(who)
            cells.add(cell)
            tracks.add((cell[1], track))
            chosen[s] = (who, cell)
            search(i + 1)
            speakers.discard(who)
            cells.discard(cell)
            tracks.discard((cell[1], track))
            del chosen[s]

    search(0)
    return found


def greedy(p: _Puzzle, slots: int, rooms: list[int], *, biggest_first: bool = False
           ) -> dict[int, tuple[int, tuple[int, int]]]:
    """The programme a filler gets that takes sessions by code (or the biggest audience
    first), the first speaker who can, the first slot and the first room in ``rooms``
    order that fit (a shortcut the generator refuses)."""
    feasible = _feasible(p, slots)
    taken: dict[int, tuple[int, tuple[int, int]]] = {}
    for s in sorted(range(len(p.sessions)), key=lambda s: (
            -p.sessions[s].audience if biggest_first else 0, p.sessions[s].code)):
        track = p.sessions[s].track
        rank = {room: n for n, room in enumerate(rooms)}
        for who, cell in sorted(feasible[s], key=lambda x: (x[1][1], rank[x[1][0]], x[0])):
            if all(who != w and cell != c and (cell[1] != c[1] or
                                               p.sessions[t].track != track)
                   for t, (w, c) in taken.items()):
                taken[s] = (who, cell)
                break
    return taken




LegIndex = dict[tuple[str, str, str], list[tuple[str, Any]]]


def leg_index(store: TravelStore) -> LegIndex:
    """The desk's trains and flights by (origin, destination, departure date)."""
    index: LegIndex = {}
    for kind, legs in (("train", store.trains), ("flight", store.flights)):
        for leg in legs:
            index.setdefault((leg.origin, leg.destination, leg.depart[:10]), []).append(
                (kind, leg))
    return index


def pick_leg(store: TravelStore, index: LegIndex, origin: str, destination: str, day: date,
             earliest: str, cap: str) -> tuple[_Leg | None, dict[str, _Leg | None]]:
    """The leg the rule picks (None when none or a tie), and what shortcuts would pick:
    the cheapest in time, the first to leave in time, the first to arrive over any fare,
    the first to arrive at any time."""
    rows = []
    for kind, leg in index.get((origin, destination, day.isoformat()), []):
        fare = leg.fare("second" if kind == "train" else "economy")
        if fare is None or fare.seats < 1:
            continue
        rows.append((_Leg(kind, leg.id, leg.number, origin, destination, leg.depart,
                          leg.arrive, fare.price), _arrival(store, leg.arrive, destination)))
    timely = [r for r in rows if r[0].depart[11:] >= earliest]
    within = [r for r in timely if Decimal(r[0].price) <= Decimal(cap)]

    def first(found: list[tuple[_Leg, datetime]], key: Callable[[tuple[_Leg, datetime]],
                                                                 Any]) -> _Leg | None:
        ranked = sorted(found, key=key)
        if not ranked or (len(ranked) > 1 and key(ranked[0]) == key(ranked[1])):
            return None
        return ranked[0][0]

    pick = first(within, lambda r: r[1])
    return pick, {"cheapest": first(timely, lambda r: Decimal(r[0].price)),
                  "first out": first(within, lambda r: r[0].depart),
                  "any fare": first(timely, lambda r: r[1]),
                  "any time": first([r for r in rows if Decimal(r[0].price) <= Decimal(cap)],
                                    lambda r: r[1])}


def _arrival(store: TravelStore, local: str, code: str) -> datetime:
    place = store.place(code)
    zone = ZoneInfo(place.timezone if place else "UTC")
    return datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(UTC)


def _seats(store: TravelStore, leg: _Leg) -> int:
    """Seats left in the class the rule books (two speakers may share a leg)."""
    found = store.train(leg.id) if leg.kind == "train" else store.flight(leg.id)
    fare = found.fare("second" if leg.kind == "train" else "economy") if found else None
    return fare.seats if fare else 0


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _at(day: date, hhmm: str, zone: ZoneInfo, minutes: int = 0) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), zone) + timedelta(minutes=minutes)


def _hhmm(value: datetime) -> str:
    return value.strftime("%H:%M")


@register_family
class ConferencePlanning(TaskFamily[Knobs]):
    """Finalise a one-day conference's speakers: programme, travel, honoraria, mails."""

    name = "events/conference-planning"
    version = 1
    apps = ("sheets", "mail", "calendar", "travel", "payments")
    levels = Levels(
        easy=Level(Knobs(sessions=3, rooms=2, slots=3, tracks=2, staff=0, locals=1,
                         withdrawn=False, rate_change=False, distractors=6), calls=35),
        medium=Level(Knobs(sessions=4, rooms=2, slots=3, tracks=2, staff=1, locals=0,
                           withdrawn=True, rate_change=False, distractors=9), calls=46),
        hard=Level(Knobs(sessions=6, rooms=3, slots=4, tracks=3, staff=1, locals=1,
                         withdrawn=True, rate_change=True, distractors=12), calls=62),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: it ignores richness
        now = datetime(2026, rng.randint(1, 11), rng.randint(1, 18), 8, 0, tzinfo=UTC)
        puzzle, extra = self._puzzle(rng, k)
        firm, *orgs = companies(rng, 3 + k.sessions + 1)
        crowd = people(rng, 6 + k.sessions + 1)
        for attempt in range(8):  # a desk too sparse for one answer per leg is redrawn
            desk = travel_store(rng_for(spec, f"desk{attempt}"), now=now, places=9, days=16,
                                travellers=0, hotels_per_city=2)
            speakers = self._speakers(rng, k, crowd[6:], firm, orgs, desk.places[0], puzzle)
            try:
                venue, day, cap = self._travel(rng, desk, now,
                                               [s for s in speakers if s.kind == "guest"])
                break
            except ValueError:
                continue
        else:
            raise ValueError("no desk gives every leg one answer; change the knobs")
        away = [p for p in desk.places if p.code != venue.code]
        for s in speakers:
            if s.kind in ("staff", "local"):
                s.city = venue
            elif s.kind == "withdrawn":
                s.city = rng.choice(away)
                s.times = (rng.choice(_SET_OFF), rng.choice(_SET_OFF))
        zone = ZoneInfo(venue.timezone)
        me, chair, host, *colleagues = (_with(p, firm.domain) for p in crowd[:6])
        rates = {"Keynote": f"{rng.randrange(900, 1550, 50)}.00",
                 "Talk": f"{rng.randrange(400, 850, 50)}.00",
                 "Workshop": f"{rng.randrange(600, 1050, 50)}.00"}
        changed = None
        if k.rate_change:
            paid = sorted({puzzle.sessions[s].format for s, (w, _) in puzzle.answer.items()
                           if speakers[w].kind in ("guest", "local")})
            fmt = rng.choice(paid)
            changed = (fmt, rng.choice([f"{n}.00" for n in range(300, 1600, 50)
                                        if f"{n}.00" != rates[fmt]]))
        final = {**rates, **dict([changed] if changed else [])}
        conf = f"{firm.name.split()[0]} Forum {day.year}"
        rooms = rng.sample(ROOMS, k.rooms)
        account = rng.choice(ACCOUNTS)

        calendar = CalendarStore(owner=me.email, people={p.email: CalendarPerson(
            name=p.name, timezone=venue.timezone) for p in (me, chair, host, *colleagues)})
        calendar.rooms = [Room(name=n, address=f"room.{n.lower().replace(' ', '')}@"
                               f"{firm.domain}", capacity=c, timezone=venue.timezone)
                          for n, c in zip(rooms, puzzle.caps, strict=True)]
        self._room_bookings(rng, calendar, puzzle, rooms, day, zone, host)
        box = Mailbox(me)
        self._mails(rng, box, k, now, me, chair, conf, day, venue, firm, speakers, puzzle,
                    extra, account, changed, rates)
        pay = PaymentsStore(owner=firm.name, allow_new_payees=False)
        for name in rng.sample(ACCOUNTS, len(ACCOUNTS)):
            pay.add_account(name, "checking", f"{rng.randint(20, 60) * 1000}.00",
                            number=iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"))
        for s in speakers:
            if s.kind != "staff":
                pay.add_payee(s.person.name, iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"),
                              s.person.email)
        for vendor in orgs[k.sessions + 1:]:
            pay.add_payee(vendor.name, iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"),
                          f"billing@{vendor.domain}")
        core_payees = len(pay.payees)
        everyone = [(s.person, s.city.code, "standard") for s in speakers]
        everyone += [(p, venue.code, rng.choice(("standard", "senior"))) for p in colleagues]
        rng.shuffle(everyone)
        for person, home, policy in everyone:
            desk.add_traveller(person.name, person.email, policy, home=home)
        files = self._distractors(rng_for(spec, "distractors"), scaled(spec.richness,
                                  k.distractors), now, day, zone, me, [chair, host, *colleagues],
                                  desk, calendar, pay, box, rooms, {s.person.email for s in
                                                                    speakers})
        calendar.events.sort(key=lambda e: (e.start, e.title))
        for n, event in enumerate(calendar.events, 1):
            event.id = f"ev{n:04d}"
        # payee ids from a shuffled pool, the task's own payees drawing first: they say
        # nothing of the order, and added distractors cannot move them
        pool = iter(rng_for(spec, "ids").sample(range(100, 1000), 300))
        for payee in pay.payees[:core_payees] + sorted(pay.payees[core_payees:],
                                                       key=lambda p: p.name):
            payee.id = f"PAY-{next(pool)}"
        pay.payees.sort(key=lambda p: p.id)
        mail_store, ids = box.build()

        account_id = next(a.id for a in pay.accounts if a.name == account)
        plan = _Plan(puzzle, speakers, rooms, day, zone, final, account_id,
                     {p.email: p.id for p in pay.payees},
                     {t.email: t.id for t in desk.travellers}, conf, me)
        files[PROGRAMME] = self._workbook(puzzle, extra if k.withdrawn else None, speakers,
                                          rates, cap, firm)
        return Task(spec=spec, prompt=self._prompt(me, chair, conf), apps=self.apps,
                    criteria=plan.criteria(), reference=plan.reference(ids),
                    template=WorldTemplate(now=now, files=files, stores={
                        "travel": desk, "calendar": calendar, "payments": pay,
                        "mail": mail_store}))

    # -- the programme ---------------------------------------------------------------------

    @staticmethod
    def _puzzle(rng: random.Random, k: Knobs) -> tuple[_Puzzle, _Session]:
        """A programme with exactly one answer that no greedy filling finds (redrawn until
        so); the extra session is the one only the withdrawn speaker could give."""
        n = k.sessions
        cells = [(r, s) for r in range(k.rooms) for s in range(k.slots)]
        for _ in range(50_000):
            caps = [10 * c for c in rng.sample(range(4, 33), k.rooms)]
            tracks = rng.sample(TRACKS, k.tracks)
            chosen = rng.sample(cells, n)
            track_of = [rng.choice(tracks) for _ in range(n)]
            if len({(c[1], t) for c, t in zip(chosen, track_of, strict=True)}) < n:
                continue
            titles = rng.sample(TOPICS, n + 1)
            codes = [f"S{c:02d}" for c in rng.sample(range(1, n + 2), n + 1)]
            sessions = []
            for s in range(n):
                cap = caps[chosen[s][0]]
                # audiences near their room's size, so that capacity tells rooms apart
                lower = max([c for c in caps if c < cap], default=20) // 10
                low = min(max(3, lower + (1 if rng.random() < 0.5 else -2)), cap // 10)
                sessions.append(_Session(codes[s], titles[s], rng.choice(FORMATS),
                                         track_of[s], 10 * rng.randint(low, cap // 10)))
            extra = _Session(codes[n], titles[n], rng.choice(FORMATS), rng.choice(tracks),
                             10 * rng.randint(3, max(caps) // 10))
            free = [c for c in cells if c not in chosen]
            busy = set(rng.sample(free, rng.randint(0, max(0, len(free) - 2))))
            giver = list(range(n))
            rng.shuffle(giver)  # giver[s] gives session s
            can: list[list[int]] = [[] for _ in range(n)]
            windows: list[tuple[int, int]] = [(0, k.slots - 1)] * n
            for s, who in enumerate(giver):
                mine = {s}
                if rng.random() < 0.4:
                    mine.add(rng.randrange(n))
                can[who] = sorted(mine)
                slot = chosen[s][1]
                windows[who] = (rng.randint(0, slot) if rng.random() < 0.95 else 0,
                                rng.randint(slot, k.slots - 1) if rng.random() < 0.95
                                else k.slots - 1)
            answer = {s: (giver[s], chosen[s]) for s in range(n)}
            puzzle = _Puzzle(caps, busy, sessions, can, windows, answer)
            if len(solutions(puzzle, k.slots)) != 1:
                continue
            by_size = sorted(range(k.rooms), key=lambda r: -caps[r])
            orders = (by_size, by_size[::-1], list(range(k.rooms)))
            if any(greedy(puzzle, k.slots, order, biggest_first=big) == answer
                   for order in orders for big in (False, True)):
                continue
            return puzzle, extra
        raise ValueError("no programme with one answer; change the knobs")

    @staticmethod
    def _speakers(rng: random.Random, k: Knobs, persons: list[Person], firm: Company,
                  orgs: list[Company], venue: Place, puzzle: _Puzzle) -> list[_Speaker]:
        n = k.sessions
        kinds = ["staff"] * k.staff + ["local"] * k.locals + ["guest"] * (n - k.staff - k.locals)
        rng.shuffle(kinds)
        found = []
        for who, kind in enumerate(kinds):
            person = persons[who]
            org = firm if kind == "staff" else orgs[who]
            found.append(_Speaker(_with(person, org.domain), org.name, venue,
                                  puzzle.can[who], puzzle.windows[who], kind))
        if k.withdrawn:
            can = sorted({n, *([rng.randrange(n)] if rng.random() < 0.6 else [])})
            found.append(_Speaker(_with(persons[n], orgs[n].domain),
                                  orgs[n].name, venue, can, (0, k.slots - 1), "withdrawn"))
        return found

    @staticmethod
    def _travel(rng: random.Random, desk: TravelStore, now: datetime,
                guests: list[_Speaker]) -> tuple[Place, date, str]:
        """The venue, the day, homes, set-off times and a cap for which every guest's two
        legs have one answer and each shortcut (cheapest, first out, any fare, any time)
        misses some leg; the cap is drawn among the fares into the venue, so it binds."""
        index = leg_index(desk)
        for _ in range(300):
            venue = rng.choice(desk.places)
            day = now.date() + timedelta(days=rng.randint(8, 12))
            before = (day - timedelta(days=1)).isoformat()
            fares = sorted(Decimal(f.price) for leg in [*desk.trains, *desk.flights]
                           if leg.destination == venue.code and leg.depart[:10] == before
                           for f in leg.fares if f.fare_class in ("second", "economy"))
            if len(fares) < 8:
                continue
            cap = money_text(Decimal(10 * round(fares[int(len(fares) * rng.choice(
                (0.4, 0.5, 0.6, 0.7)))] / 10)))
            away = [p for p in desk.places if p.code != venue.code]
            drawn: list[tuple[Place, tuple[str, str], tuple[_Leg, _Leg]]] = []
            misses: set[str] = set()
            for _guest in guests:
                for _ in range(30):
                    home = rng.choice(away)
                    times = (rng.choice(_SET_OFF), rng.choice(_SET_OFF))
                    out, short_out = pick_leg(desk, index, home.code, venue.code,
                                              day - timedelta(days=1), times[0], cap)
                    back, short_back = pick_leg(desk, index, venue.code, home.code,
                                                day + timedelta(days=1), times[1], cap)
                    if out is not None and back is not None:
                        misses |= {key for key, leg in short_out.items() if leg != out}
                        misses |= {key for key, leg in short_back.items() if leg != back}
                        drawn.append((home, times, (out, back)))
                        break
            taken = Counter(leg.id for *_, legs in drawn for leg in legs)
            if len(drawn) == len(guests) and len(misses) == 4 and all(
                    _seats(desk, leg) >= taken[leg.id] for *_, legs in drawn for leg in legs):
                for guest, (home, times, legs) in zip(guests, drawn, strict=True):
                    guest.city, guest.times, guest.legs = home, times, legs
                return venue, day, cap
        raise ValueError("no travel with one answer per leg; change the desk")

    @staticmethod
    def _room_bookings(rng: random.Random, calendar: CalendarStore, puzzle: _Puzzle,
                       rooms: list[str], day: date, zone: ZoneInfo, host: Person) -> None:
        """What already holds the rooms that day: one booking per run of busy slots."""
        for r, room in enumerate(rooms):
            run: list[int] = []
            for slot in [*range(len(SLOTS)), len(SLOTS)]:
                if (r, slot) in puzzle.busy:
                    run.append(slot)
                    continue
                if run:
                    start = _at(day, SLOTS[run[0]][0], zone, -rng.choice((0, 15)))
                    end = _at(day, SLOTS[run[-1]][1], zone, rng.choice((0, 15)))
                    calendar.add_event(rng.choice(_BUSY), start, end, zone.key, host.email,
                                       room=room, description=f"Held by {host.name}.")
                    run = []
        start = _at(day, "08:15", zone)
        calendar.add_event("Registration and coffee", start, start + timedelta(hours=1),
                           zone.key, host.email, room=rooms[0])
        dinner = _at(day, "19:00", zone)
        calendar.add_event("Speakers' dinner", dinner, dinner + timedelta(hours=3), zone.key,
                           host.email)

    # -- mails, workbook, distractors ------------------------------------------------------

    @staticmethod
    def _mails(rng: random.Random, box: Mailbox, k: Knobs, now: datetime, me: Person,
               chair: Person, conf: str, day: date, venue: Place, firm: Company,
               speakers: list[_Speaker], puzzle: _Puzzle, extra: _Session, account: str,
               changed: tuple[str, str] | None, rates: dict[str, str]) -> None:
        slots = ", ".join(f"{a}-{b}" for a, b in SLOTS[:k.slots])
        box.receive(chair, f"Speakers for {conf}", letter(me.first, (
            f"please finalise the speakers for {conf} on {day.isoformat()} at our venue in "
            f"{venue.name}. The sessions, the invited speakers and the budget are in "
            f"{PROGRAMME}; the speakers have mailed you what they can do.\n\n"
            f"- Programme: every speaker gives exactly one session, one they told you they "
            f"can give, and no session has two speakers; a session that none of the "
            f"remaining speakers can give is dropped. The day's slots are {slots}. Each "
            f"session takes one slot in one room: a room that seats its expected audience "
            f"and that nothing else holds during the slot, at a time its speaker can be "
            f"there. Two sessions of the same track never run at the same time.\n"
            f"- Travel: speakers from another city travel on "
            f"{(day - timedelta(days=1)).isoformat()} and home on "
            f"{(day + timedelta(days=1)).isoformat()}. For each way book, of the "
            f"second-class trains and economy flights with a seat left that depart at or "
            f"after the time the speaker gave and cost at most the workbook's travel cap "
            f"per leg, the one that arrives first. Speakers from {venue.name} need no "
            f"travel.\n"
            f"- Honoraria: every guest speaker on the programme gets the honorarium of "
            f"their session's format from the workbook; our own staff ({firm.name}) get "
            f"none. Pay them from the {account}."), f"{chair.first}\nProgramme chair"),
            now - timedelta(days=rng.randint(6, 9), hours=rng.randint(0, 8)), key="chair")
        if changed is not None:
            fmt, new = changed
            box.receive(chair, f"{conf}: {fmt.lower()} honorarium", letter(me.first, (
                f"the board has set the {fmt.lower()} honorarium for {conf} at EUR {new}; "
                f"the workbook still shows the old EUR {rates[fmt]}. Please pay the new "
                f"amount."), chair.first),
                now - timedelta(hours=rng.randint(3, 30)), key="rate")
        everything = [*puzzle.sessions, extra]
        for n, s in enumerate(speakers):
            titles = [f"\"{everything[i].title}\"" for i in s.can]
            lines = [f"I'd be glad to speak at {conf}. " + (
                f"I can give {titles[0]}." if len(titles) == 1
                else f"I could give either {titles[0]} or {titles[1]}.")]
            lo, hi = s.window
            if lo > 0 or hi < k.slots - 1:
                parts = []
                if lo > 0:
                    parts.append("I can't be at the venue before "
                                 f"{_minus(SLOTS[lo][0], rng.choice((0, 30)))}")
                if hi < k.slots - 1:
                    parts.append("I have to leave by "
                                 f"{_minus(SLOTS[hi][1], -rng.choice((0, 15, 30)))}")
                lines.append(" and ".join(parts) + " that day.")
            else:
                lines.append("Any time of the day works for me.")
            if s.city.code != venue.code:
                out, back = s.times
                lines.append(f"I'm coming from {s.city.name}: on the way there I can't set "
                             f"off before {out}, and on the way home not before {back}.")
            when = now - timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 20))
            box.receive(s.person, f"{conf}: my session", letter(me.first, " ".join(lines),
                                                                s.person.first),
                        when, key=f"speaker{n}")
            if s.kind == "withdrawn":
                box.receive(s.person, f"{conf}: I have to withdraw", letter(me.first, (
                    f"I'm very sorry, but I can no longer speak at {conf}: something has "
                    f"come up that I cannot move. Please take me off the programme."),
                    s.person.first), when + timedelta(hours=rng.randint(6, 60)),
                    key="withdrawal")

    @staticmethod
    def _workbook(puzzle: _Puzzle, extra: _Session | None, speakers: list[_Speaker],
                  rates: dict[str, str], cap: str, firm: Company) -> bytes:
        book = Workbook()
        sheet = book.active
        if sheet is None:
            raise ValueError("a new workbook has no sheet")
        sheet.title = "Sessions"
        sheet.append(["Code", "Title", "Format", "Track", "Expected audience"])
        for s in sorted([*puzzle.sessions, *([extra] if extra else [])], key=lambda s: s.code):
            sheet.append([s.code, s.title, s.format, s.track, s.audience])
        people_sheet = book.create_sheet("Speakers")
        people_sheet.append(["Name", "Email", "Organisation", "City"])
        for sp in sorted(speakers, key=lambda sp: sp.person.name):
            people_sheet.append([sp.person.name, sp.person.email, sp.org, sp.city.name])
        budget = book.create_sheet("Budget")
        budget.append(["Item", "EUR"])
        for fmt in FORMATS:
            budget.append([f"{fmt} honorarium", float(rates[fmt])])
        budget.append(["Travel cap per leg", float(cap)])
        budget.append(["Organiser", firm.name])
        return workbook_bytes(book)

    @staticmethod
    def _distractors(rng: random.Random, count: int, now: datetime, day: date, zone: ZoneInfo,
                     me: Person, staff: list[Person], desk: TravelStore,
                     calendar: CalendarStore, pay: PaymentsStore, box: Mailbox,
                     rooms: list[str], speakers: set[str]) -> dict[str, bytes]:
        """Answer-neutral content: everyday mails, notes and events, room bookings of the
        day that were cancelled (anywhere, so they free nothing the answer needs and say
        nothing of it), colleagues' earlier bookings and other payees."""
        kinds = ["mail", "note", "event", "cancelled", "booking", "payee"] * 4
        rng.shuffle(kinds)
        files: dict[str, bytes] = {}
        others = [t for t in desk.travellers if t.email not in speakers]
        for kind in kinds[:count]:
            if kind == "mail":
                everyday_mails(box, rng, 1, me, staff, now - timedelta(days=20), now)
            elif kind == "note":
                files.update(everyday_notes(rng, 1))
            elif kind == "event":
                start = now + timedelta(days=rng.randint(-5, 14), hours=rng.randint(1, 8))
                calendar.add_event(rng.choice(("Team sync", "1:1", "Budget review",
                                               "Vendor call")), start,
                                   start + timedelta(minutes=30), zone.key, me.email)
            elif kind == "cancelled":
                a, b = rng.choice(SLOTS)
                event = calendar.add_event(rng.choice(_BUSY), _at(day, a, zone),
                                           _at(day, b, zone), zone.key, rng.choice(staff).email,
                                           room=rng.choice(rooms))
                event.status = "cancelled"
            elif kind == "booking" and others:
                leg = rng.choice([*desk.flights, *desk.trains])
                fare = rng.choice(leg.fares)
                who = rng.choice(others)
                desk.bookings.append(Booking(
                    id="", kind="flight" if leg.id.startswith("FL") else "train",
                    traveller=who.id, item=leg.id, fare_class=fare.fare_class, price=fare.price,
                    created=(now - timedelta(days=rng.randint(1, 20))).date().isoformat(),
                    policy_class=who.policy_class))
            elif kind == "payee":
                company = companies(rng, 1)[0]
                if all(p.name != company.name for p in pay.payees):
                    pay.add_payee(company.name, iban("DE", f"{rng.randint(10**17, 10**18-1)}"))
        desk.bookings.sort(key=lambda b: (b.created, b.item))
        for n, booking in enumerate(desk.bookings, 1):
            booking.id = f"B-{n:04d}"
        return files

    @staticmethod
    def _prompt(me: Person, chair: Person, conf: str) -> str:
        return (
            f"You act for {me.name} ({me.email}), the event coordinator, with their "
            f"mailbox, the workbook {PROGRAMME} (sheets), the venue's calendar and rooms, "
            f"the company's travel desk (travel) and its bank (payments). {chair.name}, "
            f"the programme chair, asked by mail to finalise the speakers of {conf} under "
            f"the rules of that mail (and any later one of theirs); the speakers mailed "
            f"what they can do.\n\n"
            f"For every session on the programme create one calendar event titled exactly "
            f"as the session, in its room (book the room) for its slot, inviting only its "
            f"speaker. Book each travelling speaker's two legs on the travel desk for that "
            f"speaker. Pay each honorarium by transfer to the speaker's payee. Mail each "
            f"speaker on the programme one confirmation with the lines \"Session: <title>\", "
            f"\"Room: <room>\", \"Start: <HH:MM>\", for a travelling speaker \"Outbound: "
            f"<train or flight number>\" and \"Return: <number>\", and for a paid speaker "
            f"\"Honorarium: EUR <amount>\". Mail no one else and change nothing else.")


def _with(person: Person, domain: str) -> Person:
    """The person at another mail domain."""
    return Person(person.first, person.last, f"{person.first.lower()}.{person.last.lower()}"
                  f"@{domain}", person.timezone)


def _minus(hhmm: str, minutes: int) -> str:
    hour, minute = map(int, hhmm.split(":"))
    total = hour * 60 + minute - minutes
    return f"{total // 60:02d}:{total % 60:02d}"


@dataclass(frozen=True)
class _Entry:
    """One session of the answer as the tools and the grader see it."""

    session: _Session
    speaker: _Speaker
    room: str
    slot: int
    start: datetime
    end: datetime


class _Plan:
    """The answer of one task, its reference calls and its criteria."""

    def __init__(self, puzzle: _Puzzle, speakers: list[_Speaker], rooms: list[str],
                 day: date, zone: ZoneInfo, rates: dict[str, str], account: str,
                 payee_of: dict[str, str], traveller_of: dict[str, str], conf: str,
                 me: Person) -> None:
        self.day, self.zone, self.account = day, zone, account
        self.rooms, self.conf, self.me, self.speakers = rooms, conf, me, speakers
        self.entries = sorted((_Entry(puzzle.sessions[s], speakers[who], rooms[room], slot,
                                      _at(day, SLOTS[slot][0], zone),
                                      _at(day, SLOTS[slot][1], zone))
                               for s, (who, (room, slot)) in puzzle.answer.items()),
                              key=lambda e: (e.slot, e.room))
        self.travelling = sorted((e for e in self.entries if e.speaker.legs),
                                 key=lambda e: e.speaker.person.name)
        self.paid = sorted((e for e in self.entries if e.speaker.kind in ("guest", "local")),
                           key=lambda e: e.speaker.person.name)
        self.amount = {e.speaker.person.email: rates[e.session.format] for e in self.paid}
        self.payee_of, self.traveller_of = payee_of, traveller_of

    def _lines(self, e: _Entry) -> list[str]:
        lines = [f"Session: {e.session.title}", f"Room: {e.room}", f"Start: {_hhmm(e.start)}"]
        if e.speaker.legs:
            lines += [f"Outbound: {e.speaker.legs[0].number}",
                      f"Return: {e.speaker.legs[1].number}"]
        if e.speaker.person.email in self.amount:
            lines.append(f"Honorarium: EUR {self.amount[e.speaker.person.email]}")
        return lines

    def reference(self, ids: dict[str, str]) -> tuple[ToolCall, ...]:
        keys = ["chair", *(["rate"] if "rate" in ids else []),
                *(f"speaker{n}" for n in range(len(self.speakers))),
                *(["withdrawal"] if "withdrawal" in ids else [])]
        plan = [ToolCall("mail.search", {"query": "", "limit": 100}),
                *(ToolCall("mail.read", {"message_id": ids[key]}) for key in keys),
                *(ToolCall("sheets.read_range", {"path": PROGRAMME, "sheet": sheet})
                  for sheet in ("Sessions", "Speakers", "Budget")),
                ToolCall("calendar.list_rooms", {}),
                *(ToolCall("calendar.list_events", {
                    "calendar": room, "start": f"{self.day.isoformat()}T08:00",
                    "end": f"{self.day.isoformat()}T18:00"}) for room in self.rooms),
                ToolCall("travel.list_travellers", {})]
        for e in self.travelling:
            for leg in e.speaker.legs:
                where = {"origin": leg.origin, "destination": leg.destination,
                         "date": leg.depart[:10]}
                plan += [ToolCall("travel.search_trains", {**where, "travel_class": "second"}),
                         ToolCall("travel.search_flights", {**where, "cabin": "economy"})]
        for e in self.travelling:
            who = self.traveller_of[e.speaker.person.email]
            for leg in e.speaker.legs:
                if leg.kind == "train":
                    plan.append(ToolCall("travel.book_train", {
                        "train_id": leg.id, "traveller_id": who, "travel_class": "second"},
                        items={"train_id": ()}))
                else:
                    plan.append(ToolCall("travel.book_flight", {
                        "flight_id": leg.id, "traveller_id": who, "cabin": "economy"},
                        items={"flight_id": ()}))
        for e in self.entries:
            plan.append(ToolCall("calendar.create_event", {
                "title": e.session.title, "start": e.start.strftime("%Y-%m-%dT%H:%M"),
                "end": e.end.strftime("%Y-%m-%dT%H:%M"), "timezone": self.zone.key,
                "attendees": [e.speaker.person.email], "room": e.room},
                items={"room": ()}))
        plan += [ToolCall("payments.list_accounts", {}), ToolCall("payments.list_payees", {})]
        for e in self.paid:
            email = e.speaker.person.email
            plan.append(ToolCall("payments.transfer", {
                "from_account": self.account, "amount": self.amount[email],
                "payee_id": self.payee_of[email], "reference": f"Honorarium {self.conf}"},
                items={"amount": ()}))
        for e in self.entries:
            lines = self._lines(e)
            plan.append(ToolCall("mail.send", {
                "to": [e.speaker.person.email], "subject": f"{self.conf}: your session",
                "body": f"Hi {e.speaker.person.first},\n\nthank you for speaking at "
                        f"{self.conf}. Your session:\n\n" + "\n".join(lines) +
                        f"\n\nBest regards,\n{self.me.first}"},
                items={"body": tuple(lines)}))
        return tuple(plan)

    def criteria(self) -> tuple[Criterion, ...]:
        titles = {_norm(e.session.title) for e in self.entries}

        def events(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(_norm(ev.title), ev.room or "", ev.start_utc.isoformat(),
                     ev.end_utc.isoformat(), *sorted(a.email.lower() for a in ev.attendees))
                    for ev in wc.new_records(ctx, "calendar", "events")
                    if ev.status == "confirmed"]

        def bookings(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(b.traveller, b.kind, b.item, b.fare_class)
                    for b in wc.new_records(ctx, "travel", "bookings")
                    if b.status == "confirmed"]

        def transfers(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(t.payee or "", t.amount, t.from_account)
                    for t in wc.new_records(ctx, "payments", "transfers")]

        held, booked, paid = wc.per_grade(events), wc.per_grade(bookings), \
            wc.per_grade(transfers)
        want_events: list[tuple[str, tuple[str, ...]]] = [(f"session {e.session.title}", (
            _norm(e.session.title), e.room, e.start.astimezone(UTC).isoformat(),
            e.end.astimezone(UTC).isoformat(), e.speaker.person.email.lower()))
            for e in self.entries]
        want_legs: list[tuple[str, tuple[str, ...]]] = [(f"booked {e.speaker.person.name} {leg.number}", (
            self.traveller_of[e.speaker.person.email], leg.kind, leg.id,
            "second" if leg.kind == "train" else "economy"))
            for e in self.travelling for leg in e.speaker.legs]
        want_pay: list[tuple[str, tuple[str, ...]]] = [(f"honorarium {e.speaker.person.name}", (
            self.payee_of[e.speaker.person.email], self.amount[e.speaker.person.email],
            self.account)) for e in self.paid]
        travellers = {self.traveller_of[e.speaker.person.email] for e in self.travelling}
        payees = {self.payee_of[e.speaker.person.email] for e in self.paid}

        def only_sessions(ctx: GradeContext) -> tuple[bool, str]:
            names = [row[0] for row in held(ctx)]
            stray = [n for n in names if n not in titles or names.count(n) > 1]
            return not stray, f"other or repeated events: {stray[:3]}" if stray \
                else f"{len(names)} session event(s)"

        def only_legs(ctx: GradeContext) -> tuple[bool, str]:
            rows = booked(ctx)
            who = [row[0] for row in rows]
            stray = [row for row in rows if row[1] == "hotel" or row[0] not in travellers
                     or who.count(row[0]) > 2]
            return not stray, f"bookings beyond the legs: {stray[:3]}" if stray \
                else f"{len(rows)} leg booking(s)"

        def only_honoraria(ctx: GradeContext) -> tuple[bool, str]:
            rows = paid(ctx)
            to = [row[0] for row in rows]
            stray = [row for row in rows if row[0] not in payees or to.count(row[0]) > 1]
            return not stray, f"payments beyond the honoraria: {stray[:3]}" if stray \
                else f"{len(rows)} honorarium payment(s)"

        mails: list[Criterion] = []
        for e in self.entries:
            email, name = e.speaker.person.email, e.speaker.person.name
            mails.append(wc.mail_fields(f"confirmation {name}", email, {
                "Session": e.session.title, "Room": e.room, "Start": _hhmm(e.start)}))
            for key, number in zip(("Outbound", "Return"), (x.number for x in e.speaker.legs),
                                   strict=False):
                mails.append(wc.mail_values(f"{key.lower()} stated {name}", email, key,
                                            _same_number(number), expected=number))
            if email in self.amount:
                amount = self.amount[email]
                mails.append(wc.mail_values(f"honorarium stated {name}", email, "Honorarium",
                                            _same_amount(amount),
                                            expected=f"EUR {amount}"))
        allowed = [e.speaker.person.email for e in self.entries] + [self.me.email]
        return (
            *wc.item_credit(want_events, held, group="session"),
            wc.exact_items("programme is exactly the sessions", [i for _, i in want_events],
                           held, weight=2),
            *wc.item_credit(want_legs, booked, group="booked"),
            wc.exact_items("bookings are exactly the legs", [i for _, i in want_legs], booked,
                           weight=2),
            *wc.item_credit(want_pay, paid, group="honorarium"),
            wc.exact_items("payments are exactly the honoraria", [i for _, i in want_pay],
                           paid),
            *mails,
            Criterion("no event but the sessions, each once", only_sessions, guard=True),
            Criterion("no booking but the speakers' legs", only_legs, guard=True),
            Criterion("no payment but one honorarium each", only_honoraria, guard=True),
            wc.unchanged("mails, events and earlier bookings kept", records=[
                ("mail", "messages"), ("calendar", "events"), ("travel", "bookings")]),
            wc.nothing_else_changed("nothing else changed", [],
                                    changing=["mail", "calendar", "travel", "payments"]),
            wc.only_recipients("mail only to the programme's speakers", allowed),
        )


def _same_amount(amount: str) -> Callable[[str], bool]:
    return lambda value: wc.money(value) == amount


def _same_number(number: str) -> Callable[[str], bool]:
    want = number.replace(" ", "").casefold()
    return lambda value: value.replace(" ", "").casefold() == want
