"""travel/trip-booking: book a multi-city client trip under the travel policy.

Description:
    A manager's mail asks the traveller to visit two or three clients; the visits are
    full-day events in the traveller's calendar, each in another city. The latest
    travel-policy mail of the travel manager states the rules: each leg on the day before
    a visit (home afterwards on the day after the last), departing at or after a set hour;
    rail when a second-class train that day departs in time and takes at most a set number
    of hours (the cheapest such train), else the cheapest economy flight departing in
    time; per city the cheapest hotel within the traveller's nightly cap (their policy
    class on the travel desk) and within a set distance of the centre; registration fees
    that hosts invoiced paid from a named account. The agent books every leg and stay,
    pays the fees the hosts' mails cite, blocks each leg in the calendar, writes the
    itinerary into ``trip/itinerary.docx`` and mails the trip's total to the manager.

Apps:
    travel, calendar, payments, mail, docs.

Criteria:
    - ``booked <leg or stay>``: the traveller's confirmed bookings, precision-aware; and
      ``bookings are exactly the trip`` (weight 2).
    - ``fee paid <number>``: a transfer with the invoice number from the policy's
      account, precision-aware; ``payments are exactly the fees``.
    - ``blocked <leg>``: a new calendar event titled ``<number> <FROM>-<TO>`` from the
      departure to the arrival, precision-aware.
    - ``itinerary <line>``: ``<date> | <number or hotel> | <price>`` lines and a
      ``Total:`` line of the document, precision-aware, and in time order.
    - ``total mailed``: the manager's mail states the total of bookings and fees.
    - guards: mails, calendar events and other travellers' bookings kept; no other file
      or store changed; mail only to the manager.

Difficulty:
    Knobs set the cities, the fees, a superseded policy and a cancelled visit. Reference
    calls: easy 28, medium 34, hard 36. ``richness`` adds everyday mails and events,
    colleagues' bookings, other open invoices and notes.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore
from workgym.apps.payments import PaymentsStore, iban, money_text
from workgym.apps.travel import Booking, Hotel, Place, TravelStore
from workgym.content.companies import Company, companies
from workgym.content.distractors import everyday_mails, everyday_notes, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.travel import travel_store
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

ITINERARY = "trip/itinerary.docx"
HOME = "BER"
ACCOUNTS = ("Operating account", "Travel account", "Marketing account", "Events account")
_EARLIEST = ("07:00", "08:00", "09:00", "10:00")
_TRAIN_HOURS = (3, 4, 5)
_CENTRE_KM = ("2.0", "3.0", "4.0")
DESKS = 8
"""Desks drawn for a task before giving up: a desk on which no trip of the level has one
answer per leg and stay is redrawn (seed 66 at hard: one redraw)."""


class Knobs(BaseModel, frozen=True):
    cities: int
    """Cities visited (one visit each)."""
    fees: int
    """Visits whose host invoiced a registration fee."""
    old_policy: bool
    """An earlier policy mail with other rules was superseded."""
    cancelled_visit: bool
    """A visit to another client was cancelled (its event stays, cancelled)."""
    distractors: int
    """Distractor items at richness 1."""


@dataclass(frozen=True)
class _Rules:
    earliest: str
    train_hours: int
    centre_km: str
    account: str


@dataclass(frozen=True)
class _Leg:
    kind: str
    id: str
    number: str
    origin: Place
    destination: Place
    depart: str
    arrive: str
    price: str

    @property
    def title(self) -> str:
        return f"{self.number} {self.origin.code}-{self.destination.code}"

    def instants(self) -> tuple[datetime, datetime]:
        leave = datetime.fromisoformat(self.depart).replace(tzinfo=ZoneInfo(self.origin.timezone))
        land = datetime.fromisoformat(self.arrive).replace(
            tzinfo=ZoneInfo(self.destination.timezone))
        return leave.astimezone(UTC), land.astimezone(UTC)


@dataclass(frozen=True)
class _Stay:
    hotel: Hotel
    check_in: date
    check_out: date
    price: str




def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def pick_leg(store: TravelStore, origin: str, destination: str, day: date,
             rules: _Rules) -> _Leg | None:
    """The leg the policy picks, or None when none qualifies or two tie on price."""
    def timely(depart: str) -> bool:
        return depart[:10] == day.isoformat() and depart[11:] >= rules.earliest

    def seat(fares: list[Any], cls: str) -> Decimal | None:
        fare = next((f for f in fares if f.fare_class == cls and f.seats > 0), None)
        return Decimal(fare.price) if fare else None

    start, end = store.place(origin), store.place(destination)
    if start is None or end is None:
        return None
    trains = [(p, t) for t in store.trains if t.origin == origin and t.destination == destination
              and timely(t.depart) and (p := seat(t.fares, "second")) is not None
              and _minutes(t.depart, t.arrive, start, end) <= rules.train_hours * 60]
    flights = [(p, f) for f in store.flights if f.origin == origin
               and f.destination == destination and timely(f.depart)
               and (p := seat(f.fares, "economy")) is not None]
    kind, found = ("train", trains) if trains else ("flight", flights)
    found.sort(key=lambda pair: pair[0])
    if not found or (len(found) > 1 and found[0][0] == found[1][0]):
        return None
    price, leg = found[0]
    return _Leg(kind, leg.id, leg.number, start, end, leg.depart, leg.arrive, money_text(price))


def _minutes(depart: str, arrive: str, start: Place, end: Place) -> int:
    leave = datetime.fromisoformat(depart).replace(tzinfo=ZoneInfo(start.timezone))
    land = datetime.fromisoformat(arrive).replace(tzinfo=ZoneInfo(end.timezone))
    return int((land - leave).total_seconds() // 60)


def pick_stay(store: TravelStore, city: str, check_in: date, check_out: date, cap: str,
              rules: _Rules) -> _Stay | None:
    """The hotel the policy picks, or None when none qualifies or two tie on price."""
    days = [(check_in + timedelta(days=n)).isoformat() for n in range((check_out - check_in).days)]
    found = []
    for hotel in store.hotels:
        if hotel.city != city or Decimal(str(hotel.centre_km)) > Decimal(rules.centre_km):
            continue
        nights = [hotel.night(d) for d in days]
        if all(n is not None and n.rooms > 0 and Decimal(n.price) <= Decimal(cap) for n in nights):
            found.append((sum(Decimal(n.price) for n in nights if n is not None), hotel))
    found.sort(key=lambda pair: pair[0])
    if not found or (len(found) > 1 and found[0][0] == found[1][0]):
        return None
    return _Stay(found[0][1], check_in, check_out, money_text(found[0][0]))


def _renumber(pay: PaymentsStore, calendar: CalendarStore, core: set[str],
              rng: random.Random) -> None:
    """Ids that give nothing away: payees by name, events by start, invoices from a
    shuffled pool whose first draws go to the task's own invoices (``core``, by number),
    so that their ids do not move when richness adds other invoices."""
    payees = {p.id: f"PAY-{n:03d}" for n, p in
              enumerate(sorted(pay.payees, key=lambda p: (p.name, p.id)), 1)}
    for payee in pay.payees:
        payee.id = payees[payee.id]
    pay.payees.sort(key=lambda p: p.id)
    pool = iter(rng.sample(range(1000, 10000), 200))  # a fixed draw: the core ids stay put
    mine = [i for i in pay.invoices if i.number in core]
    rest = [i for i in pay.invoices if i.number not in core]
    for invoice in sorted(mine, key=lambda i: i.number) + rest:
        invoice.id, invoice.payee = f"INV-{next(pool)}", payees[invoice.payee]
    pay.invoices.sort(key=lambda i: i.id)
    calendar.events.sort(key=lambda e: (e.start, e.title))
    for n, event in enumerate(calendar.events, 1):
        event.id = f"ev{n:04d}"


@register_family
class TripBooking(TaskFamily[Knobs]):
    """Book a multi-city client trip under the travel policy; pay fees, itinerary, total."""

    name = "travel/trip-booking"
    version = 1
    apps = ("travel", "calendar", "payments", "mail", "docs")
    levels = Levels(
        easy=Level(Knobs(cities=2, fees=1, old_policy=False, cancelled_visit=False,
                         distractors=6), calls=28),
        medium=Level(Knobs(cities=3, fees=1, old_policy=False, cancelled_visit=True,
                           distractors=9), calls=34),
        hard=Level(Knobs(cities=3, fees=2, old_policy=True, cancelled_visit=True,
                         distractors=12), calls=36),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "task")  # the answer's stream: it ignores richness
        now = datetime(2026, rng.randint(1, 11), rng.randint(1, 20), 8, 0, tzinfo=UTC)
        firm, *hosts = companies(rng, 1 + k.cities + 4)
        me, manager, travel_mgr, *colleagues = people(rng, 7, domain=firm.domain)
        for attempt in range(DESKS):  # a desk with no trip of one answer is redrawn
            # the first desk's stream is "desk", so a seed whose first desk serves is unchanged
            desk = travel_store(rng_for(spec, "desk" if attempt == 0 else f"desk {attempt}"),
                                now=now, places=9, days=16, travellers=0, hotels_per_city=6)
            crew = [me, *colleagues]
            rng.shuffle(crew)
            for person in crew:
                desk.add_traveller(person.name, person.email,
                                   rng.choice(("standard", "senior")) if person is me
                                   else rng.choice(("standard", "senior", "executive")),
                                   home=HOME)
            traveller = next(t for t in desk.travellers if t.email == me.email)
            cap = desk.policies[traveller.policy_class].hotel_night_cap
            trip = self._trip(rng, desk, k, now, cap)
            if trip is not None:
                break
        else:
            raise ValueError(f"no trip with one answer per leg and stay on {DESKS} desks")
        rules, visits, legs, stays = trip
        fees = sorted(rng.sample(range(k.cities), k.fees))

        calendar = CalendarStore(owner=me.email, people={me.email: CalendarPerson(
            name=me.name, timezone="Europe/Berlin")})
        box = Mailbox(me)
        pay = PaymentsStore(owner=firm.name)
        for name in rng.sample(ACCOUNTS, len(ACCOUNTS)):
            pay.add_account(name, "checking", f"{rng.randint(20, 90) * 1000}.00",
                            number=iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"))
        account_id = next(a.id for a in pay.accounts if a.name == rules.account)
        invoices: list[tuple[str, str, str]] = []  # (key, number, amount)
        for n, (host, city, day) in enumerate(zip(hosts, visits, self._visit_days(legs),
                                                  strict=False)):
            start = datetime.combine(day, datetime.min.time()).replace(
                hour=9, minute=30, tzinfo=ZoneInfo(city.timezone))
            calendar.add_event(f"Visit: {host.name}", start, start + timedelta(hours=7),
                               city.timezone, me.email,
                               [Attendee(email=f"office@{host.domain}", response="accepted")],
                               description=f"Full day at {host.name}, {city.name}.")
            if n in fees:
                invoices.append(self._fee(rng, pay, box, host, me, day, now, n))
        self._policies(rng, box, k, now, me, travel_mgr, rules)
        self._ask(rng, box, k, now, me, manager, hosts, visits, calendar)
        files = self._distractors(rng_for(spec, "distractors"), scaled(spec.richness,
                                  k.distractors), now, me, [manager, travel_mgr, *colleagues],
                                  desk, calendar, pay, box, traveller.id)
        _renumber(pay, calendar, {number for _, number, _ in invoices},
                  rng_for(spec, "ids"))
        mail_store, ids = box.build()

        prices = [x.price for x in legs] + [s.price for s in stays]
        total = money_text(sum((Decimal(p) for p in prices), Decimal(0))
                           + sum((Decimal(a) for _, _, a in invoices), Decimal(0)))
        lines = self._itinerary(legs, stays)
        checks = self._criteria(traveller.id, legs, stays, invoices, account_id, lines, total,
                                manager, me)
        plan = self._plan(ids, me, manager, traveller.id, legs, stays, invoices, account_id,
                          {i.number: i.id for i in pay.invoices}, lines, total, now, cap)
        return Task(spec=spec, prompt=self._prompt(me, manager, travel_mgr), apps=self.apps,
                    criteria=checks, reference=plan, artifacts=(ITINERARY,),
                    template=WorldTemplate(now=now, files=files, stores={
                        "travel": desk, "calendar": calendar, "payments": pay,
                        "mail": mail_store}))

    # -- the trip ---------------------------------------------------------------------------

    def _trip(self, rng: random.Random, desk: TravelStore, k: Knobs, now: datetime,
              cap: str) -> tuple[_Rules, list[Place], list[_Leg], list[_Stay]] | None:
        """Rules, cities and days for which every leg and stay has one answer (redrawn
        until so); None when 2,000 draws find none on this desk."""
        away = [p for p in desk.places if p.code != HOME]
        first = now.date() + timedelta(days=1)
        account = rng.choice(ACCOUNTS)
        for _ in range(2000):
            rules = _Rules(rng.choice(_EARLIEST), rng.choice(_TRAIN_HOURS),
                           rng.choice(_CENTRE_KM), account)
            cities = rng.sample(away, k.cities)
            day = first + timedelta(days=rng.randint(2, 4))
            days = [day]
            for _ in cities[1:]:
                days.append(days[-1] + timedelta(days=rng.randint(2, 3)))
            days.append(days[-1] + timedelta(days=2))  # home the day after the last visit
            stops = [desk.place(HOME), *cities, desk.place(HOME)]
            legs = [pick_leg(desk, a.code, b.code, d, rules)
                    for a, b, d in zip(stops, stops[1:], days, strict=False) if a and b]
            stays = [pick_stay(desk, c.code, days[n], days[n + 1], cap, rules)
                     for n, c in enumerate(cities)]
            if all(legs) and all(stays):
                return rules, cities, [x for x in legs if x], [x for x in stays if x]
        return None

    @staticmethod
    def _visit_days(legs: list[_Leg]) -> list[date]:
        """A visit is the day after the leg that reaches its city."""
        return [date.fromisoformat(leg.depart[:10]) + timedelta(days=1) for leg in legs[:-1]]

    def _fee(self, rng: random.Random, pay: PaymentsStore, box: Mailbox, host: Company,
             me: Person, day: date, now: datetime, n: int) -> tuple[str, str, str]:
        payee = pay.add_payee(host.name, iban("DE", f"{rng.randint(10**17, 10**18 - 1)}"),
                              f"events@{host.domain}")
        number = f"REG-{rng.randint(10000, 99999)}"
        amount = f"{rng.randint(12, 60) * 10}.00"
        pay.add_invoice(payee.id, number, amount, (now - timedelta(days=rng.randint(2, 20))).date(),
                        now.date() + timedelta(days=14), f"Workshop registration {day}")
        box.receive(f"{host.name} Events <events@{host.domain}>",
                    f"Your registration for {day.isoformat()}",
                    letter(me.first, f"your seat at our partner workshop on {day.isoformat()} "
                           f"is reserved. The registration fee of EUR {amount} is invoice "
                           f"{number}; please pay it before the day.", f"{host.name} events"),
                    now - timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 9)),
                    key=f"fee{n}")
        return f"fee{n}", number, amount

    def _policies(self, rng: random.Random, box: Mailbox, k: Knobs, now: datetime, me: Person,
                  travel_mgr: Person, rules: _Rules) -> None:
        def text(r: _Rules) -> str:
            return letter(me.first, (
                f"the travel policy for client trips: travel to each city on the day before "
                f"the visit there, and home on the day after the last visit. Every leg departs "
                f"at or after {r.earliest} local time. Take the train when a second-class train "
                f"that day with a seat left departs in time and takes at most {r.train_hours} hours (the "
                f"cheapest such train); otherwise the cheapest economy flight that departs in "
                f"time. In each city book the cheapest hotel whose every night is within your "
                f"policy class's nightly cap and that lies at most {r.centre_km} km from the "
                f"centre, from your arrival to the morning you leave. Registration fees are "
                f"paid from the {r.account}."), f"{travel_mgr.first}\nTravel manager")
        if k.old_policy:
            old = _Rules(rng.choice([e for e in _EARLIEST if e != rules.earliest]),
                         rng.choice([h for h in _TRAIN_HOURS if h != rules.train_hours]),
                         rng.choice([c for c in _CENTRE_KM if c != rules.centre_km]),
                         rng.choice([a for a in ACCOUNTS if a != rules.account]))
            box.receive(travel_mgr, "Travel policy", text(old),
                        now - timedelta(days=rng.randint(40, 90)))
        box.receive(travel_mgr, "Travel policy (updated)" if k.old_policy else "Travel policy",
                    text(rules), now - timedelta(days=rng.randint(5, 20)), key="policy")

    def _ask(self, rng: random.Random, box: Mailbox, k: Knobs, now: datetime, me: Person,
             manager: Person, hosts: list[Company], visits: list[Place],
             calendar: CalendarStore) -> None:
        named = [f"{h.name} in {c.name}" for h, c in zip(hosts, visits, strict=False)]
        if k.cancelled_visit:
            other = hosts[len(visits)]
            day = now.date() + timedelta(days=rng.randint(2, 12))
            start = datetime.combine(day, datetime.min.time()).replace(hour=9, tzinfo=UTC)
            dropped = calendar.add_event(f"Visit: {other.name}", start,
                                         start + timedelta(hours=7), "Europe/Berlin", me.email,
                                         description=f"Full day at {other.name}.")
            dropped.status = "cancelled"
        box.receive(manager, "Client visits trip",
                    letter(me.first, f"please book your trip for the client visits in your "
                           f"calendar: {', '.join(named)}. Follow the travel policy, and "
                           f"send me the trip's total when it is booked.",
                           manager.first), now - timedelta(hours=rng.randint(2, 30)), key="ask")

    def _distractors(self, rng: random.Random, count: int, now: datetime, me: Person,
                     staff: list[Person], desk: TravelStore, calendar: CalendarStore,
                     pay: PaymentsStore, box: Mailbox, mine: str) -> dict[str, bytes]:
        """Answer-neutral content: everyday mails, events and notes, colleagues' bookings
        (made earlier: the seats left already count them) and other open invoices."""
        kinds = ["mail", "event", "note", "booking", "invoice"] * 4
        rng.shuffle(kinds)
        files: dict[str, bytes] = {}
        others = [t for t in desk.travellers if t.id != mine]
        for kind in kinds[:count]:
            if kind == "mail":
                everyday_mails(box, rng, 1, me, staff, now - timedelta(days=20), now)
            elif kind == "note":
                files.update(everyday_notes(rng, 1))
            elif kind == "event":
                day = now + timedelta(days=rng.randint(-5, 16), hours=rng.randint(1, 8))
                calendar.add_event(rng.choice(("Team sync", "1:1", "Quarterly review",
                                               "Client call")), day,
                                   day + timedelta(minutes=30), "Europe/Berlin", me.email)
            elif kind == "booking":
                leg = rng.choice([*desk.flights, *desk.trains])
                fare = rng.choice(leg.fares)
                who = rng.choice(others)
                desk.bookings.append(Booking(
                    id="", kind="flight" if leg.id.startswith("FL") else "train",
                    traveller=who.id, item=leg.id, fare_class=fare.fare_class, price=fare.price,
                    created=(now - timedelta(days=rng.randint(1, 20))).date().isoformat(),
                    policy_class=who.policy_class))
            else:
                company = companies(rng, 1)[0]
                payee = pay.add_payee(company.name, iban("DE", f"{rng.randint(10**17, 10**18-1)}"))
                number = f"{rng.choice(('INV', 'REG', 'BILL'))}-{rng.randint(10000, 99999)}"
                if all(i.number != number for i in pay.invoices):
                    pay.add_invoice(payee.id, number, f"{rng.randint(30, 900)}.00",
                                    (now - timedelta(days=rng.randint(2, 20))).date(),
                                    now.date() + timedelta(days=rng.randint(3, 30)))
        desk.bookings.sort(key=lambda b: (b.created, b.item))
        for n, booking in enumerate(desk.bookings, 1):
            booking.id = f"B-{n:04d}"
        return files

    # -- answer, plan and grading ----------------------------------------------------------

    @staticmethod
    def _itinerary(legs: list[_Leg], stays: list[_Stay]) -> list[str]:
        lines = []
        for n, leg in enumerate(legs):
            lines.append(f"{leg.depart[:10]} | {leg.number} | {leg.price}")
            if n < len(stays):
                s = stays[n]
                lines.append(f"{s.check_in.isoformat()} | {s.hotel.name} | {s.price}")
        return lines

    def _plan(self, ids: dict[str, str], me: Person, manager: Person, traveller: str,
              legs: list[_Leg], stays: list[_Stay], invoices: list[tuple[str, str, str]],
              account_id: str, invoice_ids: dict[str, str], lines: list[str], total: str,
              now: datetime, cap: str) -> tuple[ToolCall, ...]:
        plan = [ToolCall("mail.search", {"query": ""}),
                ToolCall("mail.read", {"message_id": ids["ask"]}),
                ToolCall("mail.read", {"message_id": ids["policy"]}),
                *(ToolCall("mail.read", {"message_id": ids[key]}) for key, _, _ in invoices),
                ToolCall("calendar.list_events", {
                    "calendar": me.email, "start": now.date().isoformat(),
                    "end": (now.date() + timedelta(days=17)).isoformat()}),
                ToolCall("travel.list_travellers", {})]
        for leg in legs:
            where = {"origin": leg.origin.code, "destination": leg.destination.code,
                     "date": leg.depart[:10]}
            plan += [ToolCall("travel.search_trains", {**where, "travel_class": "second"}),
                     ToolCall("travel.search_flights", {**where, "cabin": "economy"})]
        for stay in stays:
            plan.append(ToolCall("travel.search_hotels", {
                "city": stay.hotel.city, "check_in": stay.check_in.isoformat(),
                "check_out": stay.check_out.isoformat(), "max_price_per_night": cap}))
        for n, leg in enumerate(legs):
            if leg.kind == "train":
                plan.append(ToolCall("travel.book_train", {
                    "train_id": leg.id, "traveller_id": traveller, "travel_class": "second"},
                    items={"train_id": ()}))
            else:
                plan.append(ToolCall("travel.book_flight", {
                    "flight_id": leg.id, "traveller_id": traveller, "cabin": "economy"},
                    items={"flight_id": ()}))
            if n < len(stays):
                s = stays[n]
                plan.append(ToolCall("travel.book_hotel", {
                    "hotel_id": s.hotel.id, "traveller_id": traveller,
                    "check_in": s.check_in.isoformat(), "check_out": s.check_out.isoformat()},
                    items={"hotel_id": ()}))
        plan += [ToolCall("payments.list_accounts", {}),
                 ToolCall("payments.list_invoices", {"status": "open"})]
        for _, number, _ in invoices:
            plan.append(ToolCall("payments.pay_invoice", {
                "invoice_id": invoice_ids[number], "from_account": account_id},
                items={"invoice_id": ()}))
        for leg in legs:
            start, end = leg.instants()
            local = ZoneInfo(leg.origin.timezone)
            plan.append(ToolCall("calendar.create_event", {
                "title": leg.title, "start": start.astimezone(local).strftime("%Y-%m-%dT%H:%M"),
                "end": end.astimezone(local).strftime("%Y-%m-%dT%H:%M"),
                "timezone": leg.origin.timezone, "attendees": []}, items={"title": ()}))
        plan += [ToolCall("docs.create", {"path": ITINERARY, "title": "Itinerary"}),
                 ToolCall("docs.insert_paragraphs", {
                     "path": ITINERARY, "paragraphs": [*lines, f"Total: {total}"]},
                     items={"paragraphs": ()}),
                 ToolCall("mail.send", {
                     "to": [manager.email], "subject": "Client visits trip booked",
                     "body": f"Hi {manager.first},\n\nthe trip is booked; the itinerary is in "
                             f"{ITINERARY}.\n\nTotal: EUR {total}\n\n{me.first}"},
                     items={"body": (f"Total: EUR {total}",)})]
        return tuple(plan)

    def _prompt(self, me: Person, manager: Person, travel_mgr: Person) -> str:
        return (
            f"You act for {me.name} ({me.email}), with their mailbox, calendar, the company's "
            f"travel desk (travel), its bank (payments) and documents (docs). {manager.name} "
            f"asked by mail for a trip to client visits in the calendar. Book it for "
            f"{me.first} under the latest travel-policy mail of {travel_mgr.name}, the travel "
            f"manager: every leg and hotel stay on the travel desk, and pay from the account "
            f"the policy names each registration fee a visit's host invoiced you for (their "
            f"mails cite the invoice).\n\n"
            f"Block each leg in {me.first}'s calendar as an event titled "
            f"\"<flight or train number> <FROM>-<TO>\" (place codes, e.g. \"WF 123 BER-LIS\") "
            f"from its departure to its arrival. Write the itinerary to {ITINERARY}: one "
            f"paragraph per booking in time order (a leg before the stay it leads to), "
            f"\"<YYYY-MM-DD> | <flight or train number, or hotel name> | <price>\" (the "
            f"departure or check-in date, the booking's price with 2 decimals), then "
            f"\"Total: <amount>\", the bookings and the fees paid together. Mail "
            f"{manager.first} the total as a line \"Total: EUR <amount>\". Change nothing "
            f"else.")

    def _criteria(self, traveller: str, legs: list[_Leg], stays: list[_Stay],
                  invoices: list[tuple[str, str, str]], account_id: str, lines: list[str],
                  total: str, manager: Person, me: Person) -> tuple[Criterion, ...]:
        def bookings(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(b.kind, b.item, b.fare_class, b.check_in, b.check_out)
                    for b in wc.new_records(ctx, "travel", "bookings")
                    if b.traveller == traveller and b.status == "confirmed"]

        def transfers(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(t.reference.strip(), t.from_account, t.amount)
                    for t in wc.new_records(ctx, "payments", "transfers")]

        def blocked(ctx: GradeContext) -> list[tuple[str, ...]]:
            return [(_norm(e.title), e.start_utc.isoformat(), e.end_utc.isoformat())
                    for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]

        paragraphs = wc.docx_paragraphs(ITINERARY)

        def itinerary(ctx: GradeContext) -> list[str]:
            found = []
            for text in paragraphs(ctx):
                key, colon, value = text.partition(":")
                parts = [p.strip() for p in text.split("|")]
                with ctx.agent_content("an itinerary line"):
                    try:
                        if colon and _norm(key) == "total" and "|" not in text:
                            found.append(f"total: {wc.money(value)}")
                        elif len(parts) == 3:
                            found.append(f"{parts[0]} | {_norm(parts[1])} | {wc.money(parts[2])}")
                    except ValueError as exc:
                        raise GradeError(f"{ITINERARY}: {exc}") from None
            return found

        want_book: list[tuple[str, tuple[str, ...]]] = [(f"booked {x.title}", (x.kind, x.id, "second" if x.kind == "train"
                                           else "economy", "", "")) for x in legs]
        want_book += [(f"booked {s.hotel.name}", ("hotel", s.hotel.id, "", s.check_in.isoformat(),
                                                 s.check_out.isoformat())) for s in stays]
        want_pay: list[tuple[str, tuple[str, ...]]] = [(f"fee paid {number}", (number, account_id, amount))
                    for _, number, amount in invoices]
        want_block: list[tuple[str, tuple[str, ...]]] = [(f"blocked {x.title}", (_norm(x.title), *(t.isoformat()
                                                                for t in x.instants())))
                      for x in legs]
        doc = [f"{d} | {_norm(w)} | {p}" for d, w, p in (line.split(" | ") for line in lines)]
        want_doc = [(f"itinerary {line}", line) for line in [*doc, f"total: {total}"]]
        booked, paid, events = wc.per_grade(bookings), wc.per_grade(transfers), \
            wc.per_grade(blocked)
        lines_read = wc.per_grade(itinerary)
        return (
            *wc.item_credit(want_book, booked, group="booked"),
            wc.exact_items("bookings are exactly the trip", [i for _, i in want_book], booked,
                           weight=2),
            *wc.item_credit(want_pay, paid, group="fee paid"),
            wc.exact_items("payments are exactly the fees", [i for _, i in want_pay], paid),
            *wc.item_credit(want_block, events, group="leg blocked"),
            *wc.item_credit(want_doc, lines_read, group="itinerary line"),
            wc.in_order("itinerary in time order", [i for _, i in want_doc], lines_read),
            wc.mail_values("total mailed", manager.email, "Total",
                           lambda v: wc.money(v) == total, expected=f"EUR {total}", weight=2),
            wc.unchanged("mails, events and colleagues' bookings kept", records=[
                ("mail", "messages"), ("calendar", "events"), ("travel", "bookings")]),
            wc.nothing_else_changed("nothing else changed", [ITINERARY],
                                    changing=["mail", "calendar", "travel", "payments"]),
            wc.only_recipients("mail only to the manager", [manager.email, me.email]),
        )
