"""logistics/shipment-tracking: check open shipments against carriers' tracking; notify, claim.

Description:
    An operations clerk at a distributor goes through the company's open shipments (the
    order database in the db app: customers with their service level, orders with the
    delivery date promised, shipments with carrier, tracking number and declared value)
    and looks each one up on its carrier's tracking website (the browser app; the
    carriers table gives each carrier's tracking address). The operations manager's
    latest mail states the contract's rule: a shipment is late when the carrier's current
    estimated delivery is more than a grace of business days (Monday to Friday) after the
    promised date, the grace set per service level (Standard, Priority); a delay the
    customer asked for (the carrier holds the parcel at the customer's request) does not
    count, a weather or other carrier delay does; a delivered shipment needs nothing. The
    agent mails each customer with a late shipment one notice listing each late shipment
    with its new estimated delivery, and files a claim row in
    ``claims/carrier-claims.xlsx`` for every shipment the carrier reports lost or damaged
    (its declared value). An earlier mail with another grace was superseded.

Apps:
    db (the order database), browser (the carriers' tracking sites), mail, sheets.

Criteria:
    - ``notice <shipment>``: a ``<shipment id>: <YYYY-MM-DD>`` line in a mail to the
      shipment's customer; precision-aware over every such line mailed.
    - ``notices exactly the late shipments`` (weight 2) and ``one notice per customer``.
    - ``claim <shipment>``: its row (shipment, carrier, tracking number, reason, amount);
      precision-aware over the new rows; ``claims exactly the lost and damaged shipments``
      (weight 2).
    - guards: mail only to the customers with a late shipment; no claim row for any other
      shipment; the earlier claims kept; the database and the mails untouched.

Difficulty:
    Knobs set the carriers and the open shipments of each kind: late, past the promised
    date but within the grace, held at the customer's request, lost or damaged, on time,
    already delivered; and a superseded rule mail. Reference calls: easy 15, medium 20,
    hard 27. ``richness`` adds everyday mails, customers and closed shipments (with their
    tracking pages).

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel, Field

from workgym import criteria as wc
from workgym.apps import (
    Button,
    Details,
    Form,
    Heading,
    Input,
    Link,
    NotFound,
    Page,
    Request,
    Site,
    Table,
    Text,
    page,
)
from workgym.apps.db import DbStore, SqlValue, database_bytes
from workgym.apps.sheets import workbook_bytes
from workgym.apps.shop import cents_text
from workgym.content.companies import companies
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.reports import amount_cents
from workgym.core import (
    Criterion,
    GradeContext,
    GradeError,
    Level,
    Levels,
    Store,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    World,
    WorldTemplate,
    register_family,
    rng_for,
)

FIRM = "Harbourline Distribution"
DOMAIN = "harbourline-distribution.example"
DB = "data/orders.db"
CLAIMS = "claims/carrier-claims.xlsx"
SHEET = "Claims"
COLUMNS = ("Shipment", "Carrier", "Tracking number", "Reason", "Amount")
LEVELS = ("Standard", "Priority")
_CARRIERS = (("SwiftParcel", "track.swiftparcel.example", "SP", 10),
             ("Northline Freight", "northline-freight.example", "NLF", 8),
             ("Meridian Express", "meridian-express.example", "ME", 9),
             ("Cobalt Couriers", "cobaltcouriers.example", "CC", 10))
_HUBS = ("Doncaster", "Birmingham", "Manchester", "Bristol", "Glasgow", "Northampton", "Rotterdam",
         "Lille", "Cologne", "Antwerp")
_SHIPMENT = re.compile(r"SH-\d{5}")
SCHEMA = (
    ("CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, service_level TEXT "
     "NOT NULL, contact_name TEXT NOT NULL, contact_email TEXT NOT NULL, city TEXT)"),
    ("CREATE TABLE carriers (code TEXT PRIMARY KEY, name TEXT NOT NULL, tracking_url TEXT "
     "NOT NULL)"),
    ("CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES "
     "customers(id), placed_on TEXT NOT NULL, promised_on TEXT NOT NULL, total REAL NOT NULL)"),
    ("CREATE TABLE shipments (id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES "
     "orders(id), carrier TEXT NOT NULL REFERENCES carriers(code), tracking_number TEXT NOT "
     "NULL UNIQUE, shipped_on TEXT NOT NULL, declared_value REAL NOT NULL, status TEXT NOT "
     "NULL CHECK (status IN ('open', 'delivered', 'claimed')))"),
)
OPEN_SQL = ("SELECT s.id, s.carrier, s.tracking_number, s.declared_value, o.promised_on, "
            "c.id AS customer, c.service_level, c.contact_email FROM shipments s JOIN orders o "
            "ON o.id = s.order_id JOIN customers c ON c.id = o.customer_id WHERE s.status = "
            "'open' ORDER BY s.id")


# -- the carriers' tracking sites ----------------------------------------------------------


class TrackingEvent(BaseModel):
    when: str
    """``YYYY-MM-DD HH:MM``."""
    place: str
    text: str


class Parcel(BaseModel):
    number: str
    service: str
    status: str
    """In transit, Delivered or Exception."""
    shipped: str
    estimate: str = ""
    delivered: str = ""
    destination: str = ""
    events: list[TrackingEvent] = Field(default_factory=list)


class Carrier(BaseModel):
    name: str
    host: str
    parcels: dict[str, Parcel] = Field(default_factory=dict)


class CarrierStore(Store):
    """The carriers' tracking data, served as one tracking website per carrier."""

    carriers: list[Carrier] = Field(default_factory=list)


class CarrierSite(Site):
    """A carrier's public tracking site: a search form and one page per parcel."""

    store_name = "carriers"

    @classmethod
    def hosts(cls, world: World) -> tuple[str, ...]:
        store = world.stores.get(cls.store_name)
        return tuple(c.host for c in store.carriers) if isinstance(store, CarrierStore) else ()

    def _carrier(self) -> Carrier:
        store = self.world.stores.get(self.store_name)
        found = [c for c in getattr(store, "carriers", []) if c.host == self.host]
        if not found:
            raise NotFound(f"{self.host} tracks no parcels")
        return found[0]

    @property
    def name(self) -> str:
        return f"{self._carrier().name} Tracking"

    def nav(self) -> Sequence[Link]:
        return (Link("Track a parcel", "/"),)

    def _form(self, number: str = "") -> Form:
        return Form("track", [Input("number", "Tracking number", kind="search", value=number,
                                    required=True), Button("Track")],
                    label="Track a parcel", method="get", action="/track")

    @page("/")
    def home(self, request: Request) -> Page:
        return Page("Track a parcel", [Heading(f"{self._carrier().name}: track a parcel"),
                                       Text("Enter the tracking number from your receipt."),
                                       self._form()])

    @page("/track")
    def track(self, request: Request) -> Page:
        number = request.arg("number")
        parcel = self._carrier().parcels.get(number.upper())
        if parcel is None:
            raise NotFound(f"No parcel with tracking number {number[:40]!r} was found. "
                           "Check the number and try again.")
        facts: list[tuple[str, str | Link]] = [("Tracking number", parcel.number),
                                               ("Status", parcel.status),
                                               ("Service", parcel.service),
                                               ("Shipped", parcel.shipped)]
        if parcel.delivered:
            facts.append(("Delivered on", parcel.delivered))
        else:
            facts.append(("Estimated delivery", parcel.estimate or "Not available"))
        facts.append(("Destination", parcel.destination))
        rows = [[e.when, e.place, e.text] for e in reversed(parcel.events)]
        return Page(f"Parcel {parcel.number}", [
            Heading(f"Parcel {parcel.number}"), Details(facts),
            Table("Tracking history", ("Date", "Location", "Event"), rows),
            self._form(parcel.number)])


# -- the world ------------------------------------------------------------------------------


class Knobs(BaseModel, frozen=True):
    carriers: int
    """Carriers the shipments travel with."""
    late: int
    """Open shipments late under the rule (a notice each)."""
    within_grace: int
    """Expected after the promised date, but within the grace."""
    held: int
    """Late only because the customer asked the carrier to hold the parcel."""
    lost: int
    """Reported lost or damaged (a claim each)."""
    on_time: int
    """Expected by the promised date."""
    delivered: int
    """Already delivered by the carrier."""
    old_rule: bool
    """An earlier rule mail, with other graces, was superseded."""


@dataclass
class Shipment:
    id: str
    role: str
    customer: str
    carrier: int
    number: str
    promised: date
    shipped: date
    value: int
    """Declared value in cents."""
    eta: date | None = None
    delivered: date | None = None
    exception: str = ""
    order: str = ""
    placed: date = date.min
    total: int = 0
    """The order's total in cents."""


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    level: str
    contact: Person
    city: str


def add_business_days(day: date, n: int) -> date:
    """``day`` moved by ``n`` business days (Monday to Friday; ``n`` may be negative)."""
    step = 1 if n >= 0 else -1
    for _ in range(abs(n)):
        day += timedelta(days=step)
        while day.weekday() >= 5:
            day += timedelta(days=step)
    return day


def business_days_after(start: date, end: date) -> int:
    """Business days in (start, end]; negative when ``end`` comes first."""
    if end < start:
        return -business_days_after(end, start)
    return sum(1 for n in range(1, (end - start).days + 1)
               if (start + timedelta(days=n)).weekday() < 5)


@register_family
class ShipmentTracking(TaskFamily[Knobs]):
    """Check open shipments on the carriers' tracking sites; notify late ones, claim lost."""

    name = "logistics/shipment-tracking"
    version = 1
    apps = ("db", "browser", "mail", "sheets")
    levels = Levels(
        easy=Level(Knobs(carriers=2, late=2, within_grace=1, held=0, lost=1, on_time=1,
                         delivered=1, old_rule=False), calls=15),
        medium=Level(Knobs(carriers=2, late=3, within_grace=2, held=1, lost=1, on_time=2,
                           delivered=1, old_rule=True), calls=20),
        hard=Level(Knobs(carriers=3, late=5, within_grace=2, held=1, lost=2, on_time=3,
                         delivered=2, old_rule=True), calls=27),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        now = datetime(2026, rng.randint(2, 11), rng.randint(2, 24), 8, 30, tzinfo=UTC)
        while now.weekday() >= 5:
            now += timedelta(days=1)
        today = now.date()
        me, lead, *staff = people(rng, 5, domain=DOMAIN)
        carriers = rng.sample(_CARRIERS, k.carriers)
        grace = {"Standard": rng.choice((2, 3)), "Priority": rng.choice((0, 1))}
        affected = max(1, k.late - 1)
        firms = companies(rng, affected + 3)
        customers = self._customers(rng, firms, set())
        customers[0] = _with_level(customers[0], "Priority")
        customers[1] = _with_level(customers[1], "Standard")
        taken: set[str] = set()
        shipments = self._shipments(rng, k, customers, affected, grace, carriers, today, taken)
        shipments += self._closed(rng, customers, carriers, today, taken, 2, "claimed")
        shipments += self._closed(rng, customers, carriers, today, taken, 2, "delivered")

        rich = rng_for(spec, "distractors")
        extra = self._customers(rich, companies(rich, 12)[:scaled(spec.richness, 4)],
                                {c.name for c in customers} | {c.id for c in customers})
        closed = self._closed(rich, customers + extra, carriers, today, taken,
                              scaled(spec.richness, 8), "delivered")

        box = Mailbox(me)
        self._rule_mails(rng, box, k, now, me, lead, grace)
        everyday_mails(box, rich, scaled(spec.richness, 5), me, [lead, *staff],
                       now - timedelta(days=20), now - timedelta(hours=1))
        mail, ids = box.build()

        everything = shipments + closed
        by_id = {c.id: c for c in customers + extra}
        old_claims = [(s.id, carriers[s.carrier][0], s.number, s.exception, s.value)
                      for s in shipments if s.role == "claimed"]
        files = {DB: self._database(customers + extra, carriers, everything),
                 CLAIMS: _claims_book(old_claims)}
        stores = {"db": DbStore(path=DB), "mail": mail,
                  "carriers": _carrier_store(carriers, everything, by_id, today)}
        open_ = sorted((s for s in shipments if s.role not in ("claimed", "closed")),
                       key=lambda s: s.id)
        late = [s for s in open_ if s.role == "late"]
        claims = [s for s in open_ if s.role == "lost"]
        notices = {c.contact.email: [s for s in late if s.customer == c.id]
                   for c in customers if any(s.customer == c.id for s in late)}
        reference = self._reference(k, ids, carriers, open_, claims, notices, by_id, me)
        return Task(spec=spec, prompt=_prompt(me, lead), apps=self.apps,
                    template=WorldTemplate(now=now, files=files, stores=stores),
                    criteria=_criteria(notices, claims, carriers, old_claims),
                    reference=tuple(reference), artifacts=(CLAIMS,))

    @staticmethod
    def _customers(rng: random.Random, firms: Sequence[Any], taken: set[str]) -> list[Customer]:
        found = []
        for firm in firms:
            if firm.name in taken:
                continue
            while (ident := f"CU-{rng.randint(1000, 9999)}") in taken:
                pass
            taken.add(ident)
            contact = people(rng, 1, domain=firm.domain)[0]
            found.append(Customer(ident, firm.name, rng.choice(LEVELS), contact, firm.city))
        return found

    @staticmethod
    def _shipments(rng: random.Random, k: Knobs, customers: list[Customer], affected: int,
                   grace: dict[str, int], carriers: Sequence[tuple[str, str, str, int]],
                   today: date, taken: set[str]) -> list[Shipment]:
        """The open shipments, each of one role; the late ones among the first
        ``affected`` customers (one of them has two when there are more), the others
        with any customer."""
        roles = (["late"] * k.late + ["grace"] * k.within_grace + ["held"] * k.held
                 + ["lost"] * k.lost + ["on time"] * k.on_time + ["delivered"] * k.delivered)
        late_owners = [c.id for c in customers[:affected]]
        late_owners += [rng.choice(late_owners) for _ in range(k.late - affected)]
        made: list[Shipment] = []
        standard = [c for c in customers if c.level == "Standard"]
        for n, role in enumerate(roles):
            if role == "late":
                owner = next(c for c in customers if c.id == late_owners[n])
            elif role == "grace":  # the grace must allow a delay: a Standard customer
                owner = rng.choice(standard if grace["Priority"] == 0 else customers)
            else:
                owner = rng.choice(customers)
            g = grace[owner.level]
            while True:
                promised = add_business_days(today, rng.randint(-3, 7))
                if role == "late":
                    # the first is late for Priority by a delay Standard would allow
                    low = g + 1
                    high = grace["Standard"] if n == 0 and owner.level == "Priority" else g + 4
                    eta = add_business_days(promised, rng.randint(low, max(low, high)))
                elif role == "held":
                    eta = add_business_days(promised, rng.randint(g + 1, g + 5))
                elif role == "grace":
                    if n == k.late:  # one over a weekend: more calendar days than the grace
                        promised -= timedelta(days=(promised.weekday() - 4) % 7)
                        eta = add_business_days(promised, g)
                    else:
                        eta = add_business_days(promised, rng.randint(1, g))
                elif role == "on time":
                    eta = add_business_days(promised, -rng.randint(0, 2))
                else:
                    eta = None
                if eta is None or eta > today:
                    break
            shipped = min(add_business_days(promised, -rng.randint(2, 5)),
                          add_business_days(today, -2))
            s = Shipment(_shipment_id(rng, taken), role, owner.id, rng.randrange(len(carriers)),
                         "", promised, shipped, _value(rng), eta=eta)
            _number(rng, s, carriers, taken)
            if role == "late" and rng.random() < 0.5 or role in ("grace", "on time") \
                    and rng.random() < 0.4:
                s.exception = "weather"
            elif role == "held":
                s.exception = "hold"
            elif role == "lost":
                s.exception = rng.choice(("Lost", "Damaged"))
                s.eta = None
            elif role == "delivered":
                s.delivered = min(add_business_days(promised, rng.randint(-1, 3)),
                                  add_business_days(today, -rng.randint(1, 2)))
                s.delivered = max(s.delivered, add_business_days(shipped, 1))
            made.append(s)
        return made

    @staticmethod
    def _closed(rng: random.Random, customers: list[Customer],
                carriers: Sequence[tuple[str, str, str, int]], today: date, taken: set[str],
                count: int, status: str) -> list[Shipment]:
        """Shipments closed weeks ago: delivered, or lost or damaged and claimed then."""
        made = []
        for _ in range(count):
            promised = add_business_days(today, -rng.randint(15, 60))
            shipped = add_business_days(promised, -rng.randint(2, 5))
            s = Shipment(_shipment_id(rng, taken), status, rng.choice(customers).id,
                         rng.randrange(len(carriers)), "", promised, shipped, _value(rng))
            _number(rng, s, carriers, taken)
            if status == "claimed":
                s.exception = rng.choice(("Lost", "Damaged"))
            else:
                s.role = "closed"
                s.delivered = add_business_days(promised, rng.randint(-1, 2))
            made.append(s)
        return made

    @staticmethod
    def _rule_mails(rng: random.Random, box: Mailbox, k: Knobs, now: datetime, me: Person,
                    lead: Person, grace: dict[str, int]) -> None:
        if k.old_rule:
            old = {"Standard": grace["Standard"] + rng.choice((-1, 1)),
                   "Priority": 1 - grace["Priority"]}
            box.receive(lead, "Late shipments: how we handle them", _rule_text(me, lead, old),
                        now - timedelta(days=rng.randint(70, 160)))
        box.receive(lead, "Late shipments: the rule from this quarter" if k.old_rule else
                    "Late shipments: how we handle them", _rule_text(me, lead, grace),
                    now - timedelta(days=rng.randint(5, 30), hours=rng.randint(0, 6)),
                    key="rule")

    @staticmethod
    def _database(customers: list[Customer], carriers: Sequence[tuple[str, str, str, int]],
                  shipments: list[Shipment]) -> bytes:
        orders: list[list[SqlValue]] = [
            [s.order, s.customer, s.placed.isoformat(), s.promised.isoformat(), s.total / 100]
            for s in shipments]
        rows: dict[str, list[list[SqlValue]]] = {
            "customers": [[c.id, c.name, c.level, c.contact.name, c.contact.email, c.city]
                          for c in sorted(customers, key=lambda c: c.id)],
            "carriers": [[code, name, f"https://{host}/track?number=<tracking number>"]
                         for name, host, code, _ in sorted(carriers, key=lambda c: c[2])],
            "orders": sorted(orders, key=lambda r: (str(r[2]), str(r[0]))),
            "shipments": [[s.id, s.order, carriers[s.carrier][2], s.number, s.shipped.isoformat(),
                           s.value / 100, "open" if s.role not in ("claimed", "closed")
                           else "claimed" if s.role == "claimed" else "delivered"]
                          for s in sorted(shipments, key=lambda s: (s.shipped, s.id))],
        }
        return database_bytes(SCHEMA, rows)

    @staticmethod
    def _reference(k: Knobs, ids: dict[str, str], carriers: Sequence[tuple[str, str, str, int]],
                   open_: list[Shipment], claims: list[Shipment],
                   notices: dict[str, list[Shipment]], customers: dict[str, Customer],
                   me: Person) -> list[ToolCall]:
        calls = [ToolCall("mail.search", {"query": "", "limit": 50}),
                 ToolCall("mail.read", {"message_id": ids["rule"]}),
                 ToolCall("db.list_tables", {}),
                 ToolCall("db.query", {"sql": "SELECT * FROM carriers ORDER BY code"}),
                 ToolCall("db.query", {"sql": "SELECT * FROM customers ORDER BY id"}),
                 ToolCall("db.query", {"sql": OPEN_SQL})]
        calls += [ToolCall("browser.navigate", {
            "url": f"https://{carriers[s.carrier][1]}/track?number={s.number}"}) for s in open_]
        rows = [[s.id, carriers[s.carrier][0], s.number, s.exception, s.value / 100]
                for s in claims]
        calls += [ToolCall("sheets.read_range", {"path": CLAIMS, "sheet": SHEET}),
                  ToolCall("sheets.append_rows", {"path": CLAIMS, "sheet": SHEET, "rows": rows},
                           items={"rows": ()})]
        for email, late in sorted(notices.items()):
            contact = next(c.contact for c in customers.values() if c.contact.email == email)
            lines = [f"{s.id}: {s.eta.isoformat() if s.eta else ''}" for s in late]
            body = letter(contact.first, "some of your shipments will reach you later than we "
                          "promised. The new estimated delivery dates:\n\n" + "\n".join(lines)
                          + "\n\nWe are sorry for the delay.", f"{me.name}\n{FIRM}",
                          closing="Kind regards,")
            calls.append(ToolCall("mail.send", {"to": [email], "subject":
                                                "Your shipments: new delivery dates",
                                                "body": body}, items={"body": tuple(lines)}))
        return calls


def _with_level(customer: Customer, level: str) -> Customer:
    return Customer(customer.id, customer.name, level, customer.contact, customer.city)


def _shipment_id(rng: random.Random, taken: set[str]) -> str:
    while (ident := f"SH-{rng.randint(10000, 99999)}") in taken:
        pass
    taken.add(ident)
    return ident


def _number(rng: random.Random, s: Shipment, carriers: Sequence[tuple[str, str, str, int]],
            taken: set[str]) -> None:
    """Give ``s`` its tracking number and its order (id, date placed, total), drawn from
    the stream that made it, so distractors never shift the core's."""
    _, _, prefix, digits = carriers[s.carrier]
    while (number := prefix + "".join(str(rng.randrange(10)) for _ in range(digits))) in taken:
        pass
    while (order := f"SO-{rng.randint(100000, 999999)}") in taken:
        pass
    taken.update((number, order))
    s.number, s.order = number, order
    s.placed = s.shipped - timedelta(days=rng.randint(1, 6))
    s.total = s.value * rng.randint(105, 160) // 100


def _value(rng: random.Random) -> int:
    return rng.randint(120, 4800) * 100 + rng.choice((0, 0, 50, 90, 25))


def _rule_text(me: Person, lead: Person, grace: dict[str, int]) -> str:
    def allowed(level: str) -> str:
        n = grace[level]
        return (f"any later than the promised date for {level} customers" if n == 0 else
                f"more than {n} business day{'s' if n != 1 else ''} after the promised date "
                f"for {level} customers")
    return letter(me.first, (
        "how we handle open shipments under our customer contracts. Look each open shipment "
        "up on its carrier's tracking site. A shipment is late when the carrier's current "
        f"estimated delivery date is {allowed('Standard')}, or {allowed('Priority')} "
        "(business days are Monday to Friday; count from the day after the promised date). "
        "A delay the customer asked for does not count: when the carrier holds a parcel at "
        "the customer's request, the shipment is not late, whatever its new date. Delays for "
        "weather or anything else on the carrier's side do count. A shipment the carrier "
        "has already delivered needs nothing from us.\n\nSend each customer with a late "
        "shipment one notice with the new estimated delivery date of each late shipment. "
        "For a shipment the carrier reports lost or damaged, file a claim with the carrier "
        "for its declared value in the claims sheet; customer service arranges the "
        "replacement, so those customers get no notice from us."), f"{lead.first}\nOperations")


def _claims_book(rows: list[tuple[str, str, str, str, int]]) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = SHEET
    ws.append(list(COLUMNS))
    for shipment, carrier, number, reason, value in rows:
        ws.append([shipment, carrier, number, reason, value / 100])
    return workbook_bytes(wb)


def _carrier_store(carriers: Sequence[tuple[str, str, str, int]], shipments: list[Shipment],
                   customers: dict[str, Customer], today: date) -> CarrierStore:
    store = CarrierStore(carriers=[Carrier(name=name, host=host)
                                   for name, host, _, _ in carriers])
    for s in sorted(shipments, key=lambda s: s.number):
        rng = random.Random(s.number)  # the page's wording, fixed by the parcel alone
        customer = customers[s.customer]
        store.carriers[s.carrier].parcels[s.number] = _parcel(rng, s, customer, today)
    return store


def _parcel(rng: random.Random, s: Shipment, customer: Customer, today: date) -> Parcel:
    hubs = rng.sample(_HUBS, 2)
    origin = "Wakefield"  # the distributor's warehouse

    def at(day: date, hour: int) -> str:
        return f"{day.isoformat()} {hour:02d}:{rng.randrange(60):02d}"

    events = [TrackingEvent(when=at(s.shipped, rng.randint(15, 18)), place=origin,
                            text="Picked up from the sender"),
              TrackingEvent(when=at(add_business_days(s.shipped, 1), rng.randint(2, 6)),
                            place=hubs[0], text="Arrived at sorting hub")]
    moved = add_business_days(s.shipped, 1)
    # the latest scan: some day between leaving the hub and yesterday
    latest = add_business_days(moved, rng.randint(0, max(0, business_days_after(
        moved, add_business_days(today, -1)))))
    if s.role == "claimed":  # lost or damaged weeks ago, and claimed then
        latest = add_business_days(moved, rng.randint(1, 3))
    if s.delivered:
        events.append(TrackingEvent(when=at(s.delivered, rng.randint(7, 9)), place=customer.city,
                                    text="Out for delivery"))
        events.append(TrackingEvent(when=at(s.delivered, rng.randint(10, 16)),
                                    place=customer.city,
                                    text=f"Delivered, signed for by {customer.contact.last}"))
        status = "Delivered"
    else:
        events.append(TrackingEvent(when=at(moved, rng.randint(8, 12)), place=hubs[0],
                                    text="Departed sorting hub"))
        status = "In transit"
        if s.exception == "weather":
            events.append(TrackingEvent(when=at(latest, rng.randint(14, 20)), place=hubs[1],
                                        text="Delayed: severe weather on the route; a new "
                                             "delivery date has been set"))
            status = "Exception"
        elif s.exception == "hold":
            events.append(TrackingEvent(when=at(latest, rng.randint(14, 20)), place=hubs[1],
                                        text="Held at the consignee's request; delivery "
                                             "rescheduled"))
            status = "Exception"
        elif s.exception == "Lost":
            events.append(TrackingEvent(when=at(latest, rng.randint(14, 20)), place=hubs[1],
                                        text="Shipment could not be located; declared lost "
                                             "after a search"))
            status = "Exception"
        elif s.exception == "Damaged":
            events.append(TrackingEvent(when=at(latest, rng.randint(14, 20)), place=hubs[1],
                                        text="Damaged in transit; contents not deliverable, "
                                             "returned to sender"))
            status = "Exception"
        else:
            events.append(TrackingEvent(when=at(latest, rng.randint(14, 20)), place=hubs[1],
                                        text="In transit to the delivery depot"))
    return Parcel(number=s.number, service=rng.choice(("Standard parcel", "Economy",
                                                       "Business 48")),
                  status=status, shipped=s.shipped.isoformat(),
                  estimate=s.eta.isoformat() if s.eta else "",
                  delivered=s.delivered.isoformat() if s.delivered else "",
                  destination=customer.city, events=events)


def _prompt(me: Person, lead: Person) -> str:
    return (
        f"You are {me.name} ({me.email}), operations clerk at {FIRM}. Check every open "
        f"shipment in the order database (the db app; shipments with status 'open') on its "
        f"carrier's tracking website (open it in the browser; the carriers table gives each "
        f"carrier's tracking address). Apply the latest rule for late shipments that "
        f"{lead.name} mailed. Mail each customer with a late shipment one notice, to the "
        f"customer's contact address in the database, with one line per late shipment of "
        f"theirs: \"<shipment id>: <new estimated delivery date, YYYY-MM-DD>\". For every "
        f"shipment the carrier reports lost or damaged, add a row to {CLAIMS} (sheet "
        f"\"{SHEET}\", columns {', '.join(COLUMNS)}): the shipment id, the carrier's name, "
        f"the tracking number, the reason (Lost or Damaged) and the amount to claim (2 "
        f"decimals). Mail no one else, file no other claims, and do not change the database, "
        f"the earlier claims or the mails.")


# -- grading ---------------------------------------------------------------------------------


def _norm(value: object) -> str:
    return " ".join(str(value if value is not None else "").split()).casefold()


def _money(value: object) -> str:
    if value is None or value == "":
        return ""
    try:
        return cents_text(amount_cents(value, "Amount"))
    except (GradeError, ValueError, OverflowError):
        return "?"


def _criteria(notices: dict[str, list[Shipment]], claims: list[Shipment],
              carriers: Sequence[tuple[str, str, str, int]],
              old: list[tuple[str, str, str, str, int]]) -> tuple[Criterion, ...]:
    sent = wc.sent_mails()

    def noticed(ctx: GradeContext) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []
        for mail in sent(ctx):
            for line in mail.lines():
                key, colon, value = line.partition(":")
                if colon and _SHIPMENT.fullmatch(key.strip()):
                    eta = value.strip().removesuffix(".")
                    found += [(who, key.strip(), eta) for who in mail.recipients]
        return found

    def claim_row(shipment: Any, carrier: Any, number: Any, reason: Any, amount: Any
                  ) -> tuple[str, ...]:
        return (_norm(shipment).upper(), _norm(carrier), _norm(number).upper(), _norm(reason),
                _money(amount))

    def one_each(ctx: GradeContext) -> tuple[bool, str]:
        counts = Counter(who for m in sent(ctx) for who in set(m.recipients))
        wrong = {who: counts[who] for who in notices if counts[who] != 1}
        return not wrong, f"mails per customer not one: {wrong}" if wrong else \
            f"one notice to each of the {len(notices)} customers"

    lines = [(f"notice {s.id}", (email, s.id, s.eta.isoformat() if s.eta else ""))
             for email, late in sorted(notices.items()) for s in late]
    rows = [(f"claim {s.id}", (s.id, _norm(carriers[s.carrier][0]), s.number,
                               s.exception.casefold(), cents_text(s.value))) for s in claims]
    kept = [(sid, _norm(carrier), number, reason.casefold(), cents_text(value))
            for sid, carrier, number, reason, value in old]
    claimed = {s.id for s in claims}
    mailed = wc.per_grade(noticed)
    table = wc.xlsx_rows(CLAIMS, SHEET, COLUMNS, row=claim_row)
    return (
        *wc.item_credit(lines, mailed, group="late shipment notified"),
        wc.exact_items("notices exactly the late shipments", [i for _, i in lines], mailed,
                       weight=2),
        Criterion("one notice per customer", one_each),
        *wc.item_credit(rows, table, group="claim filed", allowed=kept),
        wc.exact_items("claims exactly the lost and damaged shipments",
                       [*kept, *(i for _, i in rows)], table, weight=2),
        wc.only_recipients("mail only to the customers with a late shipment", list(notices)),
        wc.no_items("no claim for a shipment not lost or damaged", table,
                    lambda r: r not in kept and r[0] not in claimed and any(r),
                    what="claims for other shipments"),
        wc.items_kept("earlier claims kept", kept, table),
        wc.unchanged("database and mails untouched", paths=[DB],
                     records=[("mail", "messages")]),
    )
