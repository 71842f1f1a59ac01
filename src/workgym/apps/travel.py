"""travel: a company's travel desk (flights, trains, hotels with prices and availability
per date, places and distances, bookings for travellers under a travel policy).

One state, two surfaces: the ``travel`` app's tools (the API) and the booking website
(``https://travel.example/`` by default, the store's ``host``), which the browser app
opens. Both call the same rules below, so a booking made either way leaves the same
store.

Places have a code (``BER``), a time zone and coordinates; the distance between two is
the great-circle distance in whole kilometres. A flight or train runs on one date from
one place to another: it departs at a local time of its origin and arrives at a local
time of its destination, and sells fares per class (flights: economy, premium, business;
trains: second, first), each with a price and the seats left. A hotel sells rooms per
night, each night at its own price with the rooms left.

Every booking is for a traveller, who has a policy class (``standard``, ``senior``,
``executive``...). The class's policy caps the flight cabin, the train class and the
price of a hotel night. A booking above the policy is refused unless it gives an
``exception_reason``; it is then booked and marked out of policy, with the reason. A
traveller cannot be on two flights or trains at once, nor in two hotels the same night.
A booking takes a seat or a room per night (refused when none is left) and is priced at
the fares of the time; cancelling one that has not begun gives them back.

Money is a decimal string with two places (``"189.00"``) in the store's currency, in the
store and on the wire. Ids are assigned in sequence (``B-0001``), times come from the
world's frozen clock, listings are sorted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, TypeVar, cast
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._web import (
    Alert,
    Button,
    Details,
    Form,
    Heading,
    Input,
    Invalid,
    Link,
    Node,
    Page,
    PortalSite,
    Redirect,
    Request,
    Select,
    Table,
    Text,
    TextArea,
    action,
    page,
    paginate,
)
from workgym.core import App, GradeError, Store, ToolError, World, tool

__all__ = [
    "CABINS",
    "TRAIN_CLASSES",
    "Booking",
    "Fare",
    "Flight",
    "Hotel",
    "Night",
    "Place",
    "Policy",
    "Train",
    "TravelApp",
    "TravelError",
    "TravelSite",
    "TravelStore",
    "Traveller",
    "distance_km",
    "itinerary",
    "travel_of",
]

Kind = Literal["flight", "train", "hotel"]
FareClass = Literal["economy", "premium", "business", "second", "first"]
CABINS: tuple[str, ...] = ("economy", "premium", "business")
"""Flight cabins, lowest first."""
TRAIN_CLASSES: tuple[str, ...] = ("second", "first")
"""Train classes, lowest first."""
SortBy = Literal["price", "departure", "duration"]

MAX_RESULTS = 100
MAX_NAME = 200
MAX_NOTE = 1_000
MAX_BOOKINGS = 5_000
MAX_NIGHTS = 30
"""Longest hotel stay one booking holds."""
MAX_AMOUNT = Decimal("1000000.00")
_CENT = Decimal("0.01")

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=64, description=(
    "a place's code or name, e.g. \"BER\" or \"Berlin\""))]
Day = Annotated[str, Field(min_length=1, max_length=32, description="an ISO date, e.g. "
                                                                    "\"2026-03-10\"")]
Note = Annotated[str, Field(max_length=MAX_NOTE)]
Amount = Annotated[str, Field(min_length=1, max_length=32, description=(
    "a decimal string, e.g. \"250.00\""))]


def money_text(value: Decimal) -> str:
    """A money value as the store's text: two decimals, half up."""
    return f"{value.quantize(_CENT, ROUND_HALF_UP):.2f}"


# -- the store ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Place(_Model):
    """A city with its airport and station."""

    code: str
    """Three letters, e.g. ``BER``."""
    name: str
    country: str = ""
    timezone: str = "UTC"
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Fare(_Model):
    """What one class of a flight or train costs, and the seats left at that price."""

    fare_class: FareClass
    price: str
    seats: int = Field(ge=0)


class _Leg(_Model):
    id: str
    number: str
    """E.g. ``WF 214`` or ``ICE 1537``."""
    origin: str
    destination: str
    depart: str
    """Local time at the origin, ``2026-03-10T07:05``."""
    arrive: str
    """Local time at the destination."""
    fares: list[Fare]

    def fare(self, fare_class: str) -> Fare | None:
        return next((f for f in self.fares if f.fare_class == fare_class), None)


class Flight(_Leg):
    """A flight on one date (``FL-0001`` upwards)."""

    carrier: str = ""


class Train(_Leg):
    """A train on one date (``TR-0001`` upwards)."""

    operator: str = ""


class Night(_Model):
    """One night at a hotel: its price and the rooms left."""

    date: str
    price: str
    rooms: int = Field(ge=0)


class Hotel(_Model):
    """A hotel and its nights for sale."""

    id: str
    """``H-001`` upwards."""
    name: str
    city: str
    """The place code."""
    stars: int = Field(default=3, ge=1, le=5)
    address: str = ""
    centre_km: float = Field(default=1.0, ge=0)
    """Distance from the city centre."""
    nights: list[Night] = Field(default_factory=list)

    def night(self, day: str) -> Night | None:
        return next((n for n in self.nights if n.date == day), None)


class Policy(_Model):
    """What a policy class may book."""

    flight_cabin: Literal["economy", "premium", "business"] = "economy"
    """The highest cabin allowed."""
    train_class: Literal["second", "first"] = "second"
    hotel_night_cap: str = "150.00"
    """The most a hotel night may cost."""


class Traveller(_Model):
    """Someone the desk books for."""

    id: str
    """``T-001`` upwards."""
    name: str
    email: str = ""
    policy_class: str = "standard"
    home: str = ""
    """The place code of their home city."""


class Booking(_Model):
    """A flight, train or hotel booking."""

    id: str
    """``B-0001`` upwards."""
    kind: Kind
    traveller: str
    item: str
    """The flight, train or hotel id."""
    fare_class: str = ""
    """For a flight or train."""
    check_in: str = ""
    check_out: str = ""
    """For a hotel: the morning of leaving."""
    price: str
    status: Literal["confirmed", "cancelled"] = "confirmed"
    created: str
    policy_class: str
    in_policy: bool = True
    policy_notes: list[str] = Field(default_factory=list)
    """What was above the policy."""
    exception_reason: str = ""
    reference: str = ""
    """The booker's trip or cost-centre reference."""
    cancelled_on: str = ""


class TravelStore(Store):
    """The travel desk's whole state."""

    host: str = "travel.example"
    """Host name of the booking website."""
    name: str = "Travel Desk"
    currency: str = "EUR"
    places: list[Place] = Field(default_factory=list)
    flights: list[Flight] = Field(default_factory=list)
    trains: list[Train] = Field(default_factory=list)
    hotels: list[Hotel] = Field(default_factory=list)
    travellers: list[Traveller] = Field(default_factory=list)
    policies: dict[str, Policy] = Field(default_factory=lambda: {"standard": Policy()})
    bookings: list[Booking] = Field(default_factory=list)

    # lookups ------------------------------------------------------------------------

    def place(self, code: str) -> Place | None:
        return next((p for p in self.places if p.code == code), None)

    def flight(self, flight_id: str) -> Flight | None:
        return next((f for f in self.flights if f.id == flight_id), None)

    def train(self, train_id: str) -> Train | None:
        return next((t for t in self.trains if t.id == train_id), None)

    def hotel(self, hotel_id: str) -> Hotel | None:
        return next((h for h in self.hotels if h.id == hotel_id), None)

    def traveller(self, traveller_id: str) -> Traveller | None:
        return next((t for t in self.travellers if t.id == traveller_id), None)

    def booking(self, booking_id: str) -> Booking | None:
        return next((b for b in self.bookings if b.id == booking_id), None)

    # builders for families ----------------------------------------------------------------

    def add_place(self, code: str, name: str, timezone: str, lat: float, lon: float,
                  country: str = "") -> Place:
        """Add a place.

        Raises:
            ValueError: a code taken or an unknown time zone.
        """
        if self.place(code) is not None:
            raise ValueError(f"place {code!r} exists")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {timezone!r}") from None
        made = Place(code=code, name=name, country=country, timezone=timezone, lat=lat, lon=lon)
        self.places.append(made)
        return made

    def add_flight(self, number: str, origin: str, destination: str, depart: datetime,
                   minutes: int, fares: Sequence[tuple[FareClass, str | Decimal, int]], *,
                   carrier: str = "") -> Flight:
        """Add a flight (``FL-0001``...) departing at a local time of ``origin`` and taking
        ``minutes``; ``fares`` are (cabin, price, seats).

        Raises:
            ValueError: an unknown place or a fare class that is not a cabin.
        """
        made = Flight(carrier=carrier, **self._leg("FL-", len(self.flights), number, origin,
                                                   destination, depart, minutes, fares,
                                                   CABINS))
        self.flights.append(made)
        return made

    def add_train(self, number: str, origin: str, destination: str, depart: datetime,
                  minutes: int, fares: Sequence[tuple[FareClass, str | Decimal, int]], *,
                  operator: str = "") -> Train:
        """Add a train (``TR-0001``...), as ``add_flight`` does; fares are (class, price,
        seats) with the classes second and first.

        Raises:
            ValueError: an unknown place or a fare class that is not a train class.
        """
        made = Train(operator=operator, **self._leg("TR-", len(self.trains), number, origin,
                                                    destination, depart, minutes, fares,
                                                    TRAIN_CLASSES))
        self.trains.append(made)
        return made

    def _leg(self, prefix: str, count: int, number: str, origin: str, destination: str,
             depart: datetime, minutes: int,
             fares: Sequence[tuple[FareClass, str | Decimal, int]],
             classes: tuple[str, ...]) -> dict[str, Any]:
        start, end = self.place(origin), self.place(destination)
        if start is None or end is None:
            raise ValueError(f"no place {origin!r} or {destination!r}")
        for fare_class, _, _ in fares:
            if fare_class not in classes:
                raise ValueError(f"{fare_class!r} is not one of {', '.join(classes)}")
        leaving = depart.replace(tzinfo=ZoneInfo(start.timezone))
        arriving = (leaving + timedelta(minutes=minutes)).astimezone(ZoneInfo(end.timezone))
        return {"id": f"{prefix}{count + 1:04d}", "number": number, "origin": origin,
                "destination": destination, "depart": leaving.strftime("%Y-%m-%dT%H:%M"),
                "arrive": arriving.strftime("%Y-%m-%dT%H:%M"),
                "fares": [Fare(fare_class=c, price=money_text(Decimal(p)), seats=s)
                          for c, p, s in fares]}

    def add_hotel(self, name: str, city: str, nights: Sequence[tuple[date, str | Decimal, int]],
                  *, stars: int = 3, address: str = "", centre_km: float = 1.0) -> Hotel:
        """Add a hotel (``H-001``...) with its nights for sale: (date, price, rooms).

        Raises:
            ValueError: an unknown place.
        """
        if self.place(city) is None:
            raise ValueError(f"no place {city!r}")
        made = Hotel(id=f"H-{len(self.hotels) + 1:03d}", name=name, city=city, stars=stars,
                     address=address, centre_km=centre_km,
                     nights=[Night(date=d.isoformat(), price=money_text(Decimal(p)), rooms=r)
                             for d, p, r in sorted(nights)])
        self.hotels.append(made)
        return made

    def add_traveller(self, name: str, email: str = "", policy_class: str = "standard",
                      home: str = "") -> Traveller:
        """Add a traveller (``T-001``...).

        Raises:
            ValueError: a policy class without a policy.
        """
        if policy_class not in self.policies:
            raise ValueError(f"no policy for class {policy_class!r}; add it to policies")
        made = Traveller(id=f"T-{len(self.travellers) + 1:03d}", name=name, email=email,
                         policy_class=policy_class, home=home)
        self.travellers.append(made)
        return made


def travel_of(world: World) -> TravelStore:
    """The world's travel desk, for graders.

    Raises:
        GradeError: the world has no travel store.
    """
    store = world.stores.get("travel")
    if not isinstance(store, TravelStore):
        raise GradeError("the world has no travel desk")
    return store


def distance_km(one: Place, other: Place) -> int:
    """The great-circle distance between two places, in whole kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (one.lat, one.lon, other.lat, other.lon))
    half = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) \
        * math.sin((lon2 - lon1) / 2) ** 2
    return round(2 * 6371.0 * math.asin(min(1.0, math.sqrt(half))))


# -- the rules both surfaces share --------------------------------------------------------


class TravelError(Exception):
    """A request the desk refuses; ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _zone(place: Place) -> ZoneInfo:
    try:
        return ZoneInfo(place.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TravelError(f"{place.code} has an unknown time zone {place.timezone!r}") from None


def leg_times(store: TravelStore, leg: _Leg) -> tuple[datetime, datetime]:
    """A flight's or train's departure and arrival as aware times."""
    origin, destination = store.place(leg.origin), store.place(leg.destination)
    if origin is None or destination is None:
        raise TravelError(f"{leg.id} runs between places the desk does not know")
    return (datetime.fromisoformat(leg.depart).replace(tzinfo=_zone(origin)),
            datetime.fromisoformat(leg.arrive).replace(tzinfo=_zone(destination)))


def minutes_of(store: TravelStore, leg: _Leg) -> int:
    """How long a flight or train takes, in minutes."""
    leaving, arriving = leg_times(store, leg)
    return int((arriving - leaving).total_seconds() // 60)


def place_for(store: TravelStore, text: str, field: str = "place") -> Place:
    """The place with a code or name (any case).

    Raises:
        TravelError: no such place.
    """
    wanted = text.strip().casefold()
    found = next((p for p in store.places if wanted in (p.code.casefold(), p.name.casefold())),
                 None)
    if found is None:
        raise TravelError(f"no place {text!r}; list_places lists them (codes like 'BER')", field)
    return found


def traveller_for(store: TravelStore, traveller_id: str) -> Traveller:
    """The traveller ``traveller_id``.

    Raises:
        TravelError: an unknown traveller.
    """
    found = store.traveller(traveller_id.strip())
    if found is None:
        raise TravelError(f"no traveller {traveller_id!r}; list_travellers lists them (ids "
                          "like 'T-001')", "traveller")
    return found


def leg_for(store: TravelStore, kind: str, leg_id: str) -> _Leg:
    """The flight or train ``leg_id``.

    Raises:
        TravelError: an unknown one.
    """
    wanted = leg_id.strip().upper()
    found: _Leg | None = store.flight(wanted) if kind == "flight" else store.train(wanted)
    if found is None:
        tool = "search_flights" if kind == "flight" else "search_trains"
        raise TravelError(f"no {kind} {leg_id!r}; {tool} finds them (ids like "
                          f"'{'FL' if kind == 'flight' else 'TR'}-0001')", kind)
    return found


def hotel_for(store: TravelStore, hotel_id: str) -> Hotel:
    """The hotel ``hotel_id``.

    Raises:
        TravelError: an unknown hotel.
    """
    found = store.hotel(hotel_id.strip().upper())
    if found is None:
        raise TravelError(f"no hotel {hotel_id!r}; search_hotels finds them (ids like "
                          "'H-001')", "hotel")
    return found


def booking_for(store: TravelStore, booking_id: str) -> Booking:
    """The booking ``booking_id``.

    Raises:
        TravelError: an unknown booking.
    """
    found = store.booking(booking_id.strip().upper())
    if found is None:
        raise TravelError(f"no booking {booking_id!r}; list_bookings lists them (ids like "
                          "'B-0001')")
    return found


def policy_of(store: TravelStore, traveller: Traveller) -> Policy:
    """The policy of a traveller's class (the strictest default when it is missing)."""
    return store.policies.get(traveller.policy_class, Policy())


def parse_day(text: str, field: str) -> date:
    """An ISO date as typed.

    Raises:
        TravelError: not a date such as 2026-03-10.
    """
    try:
        if len(text.strip()) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise TravelError(f"give the {field.replace('_', ' ')} as an ISO date such as "
                          f"2026-03-10 (got {text!r})", field) from None
    if not 2000 <= day.year <= 2100:
        raise TravelError(f"the {field.replace('_', ' ')} must lie between 2000 and 2100", field)
    return day


def parse_amount(text: str, field: str) -> Decimal:
    """A non-negative amount as typed.

    Raises:
        TravelError: not a number of at most two decimals.
    """
    cleaned = text.strip().replace(",", "")
    whole, dot, part = cleaned.partition(".")
    if (not whole.isascii() or not whole.isdigit() or len(whole) > 7
            or (dot and (not part.isascii() or not part.isdigit() or len(part) > 2))):
        raise TravelError(f"give the amount as a number such as 250.00 (got {text!r})", field)
    return Decimal(cleaned)


def _text(text: str, field: str, limit: int) -> str:
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise TravelError(f"the {field.replace('_', ' ')} is longer than {limit} characters",
                          field)
    return cleaned


def _confirmed(store: TravelStore, traveller: str, kind: Kind | None = None) -> list[Booking]:
    return [b for b in store.bookings if b.traveller == traveller and b.status == "confirmed"
            and (kind is None or b.kind == kind)]


def _new_id(store: TravelStore) -> str:
    if len(store.bookings) >= MAX_BOOKINGS:
        raise TravelError(f"the desk holds {MAX_BOOKINGS} bookings, the most it can")
    return f"B-{len(store.bookings) + 1:04d}"


def book_leg(store: TravelStore, now: datetime, kind: str, leg_id: str, traveller_id: str,
             fare_class: str, exception_reason: str = "", reference: str = "") -> Booking:
    """Book a seat on a flight or train for a traveller.

    Raises:
        TravelError: an unknown flight, train or traveller, a class it does not sell or
            with no seat left, a departure in the past, a clash with another flight or
            train of the traveller, or a class above the policy without a reason.
    """
    leg = leg_for(store, kind, leg_id)
    traveller = traveller_for(store, traveller_id)
    classes = CABINS if kind == "flight" else TRAIN_CLASSES
    if fare_class not in classes:
        raise TravelError(f"a {kind} sells {', '.join(classes)}", "fare_class")
    fare = leg.fare(fare_class)
    if fare is None:
        raise TravelError(f"{leg.id} sells no {fare_class}; it sells "
                          f"{', '.join(f.fare_class for f in leg.fares)}", "fare_class")
    if fare.seats < 1:
        raise TravelError(f"{leg.id} has no {fare_class} seat left", "fare_class")
    leaving, arriving = leg_times(store, leg)
    if leaving <= now:
        raise TravelError(f"{leg.id} departed at {leg.depart} (local time)")
    for other in _confirmed(store, traveller.id):
        if other.kind == "hotel":
            continue
        found = store.flight(other.item) if other.kind == "flight" else store.train(other.item)
        if found is None:
            continue
        start, end = leg_times(store, found)
        if start < arriving and leaving < end:
            raise TravelError(f"{traveller.id} is on {found.id} ({found.number}, "
                              f"{found.depart} to {found.arrive}) then ({other.id})")
    reason = _text(exception_reason, "exception_reason", MAX_NOTE)
    ref = _text(reference, "reference", MAX_NAME)
    policy = policy_of(store, traveller)
    allowed = policy.flight_cabin if kind == "flight" else policy.train_class
    notes = []
    if classes.index(fare_class) > classes.index(allowed):
        notes.append(f"{fare_class} is above the {traveller.policy_class} policy's {allowed}")
    if notes and not reason:
        raise TravelError(f"{notes[0]}; book {allowed}, or give an exception_reason to book "
                          "it out of policy", "exception_reason")
    made = Booking(id=_new_id(store), kind=cast(Kind, kind), traveller=traveller.id,
                   item=leg.id, fare_class=fare_class, price=fare.price,
                   created=now.date().isoformat(), policy_class=traveller.policy_class,
                   in_policy=not notes, policy_notes=notes,
                   exception_reason=reason if notes else "", reference=ref)
    fare.seats -= 1
    store.bookings.append(made)
    return made


def _stay(check_in: date, check_out: date) -> list[str]:
    return [(check_in + timedelta(days=n)).isoformat()
            for n in range((check_out - check_in).days)]


def book_hotel(store: TravelStore, now: datetime, hotel_id: str, traveller_id: str,
               check_in: str, check_out: str, exception_reason: str = "",
               reference: str = "") -> Booking:
    """Book a room at a hotel for a traveller from ``check_in`` to the morning of
    ``check_out``.

    Raises:
        TravelError: an unknown hotel or traveller, bad or past dates, a stay too long,
            a night not sold or with no room left, another stay of the traveller the same
            night, or a night above the policy's cap without a reason.
    """
    hotel = hotel_for(store, hotel_id)
    traveller = traveller_for(store, traveller_id)
    first, leave = parse_day(check_in, "check_in"), parse_day(check_out, "check_out")
    if leave <= first:
        raise TravelError(f"check-out ({leave}) must come after check-in ({first})",
                          "check_out")
    if (leave - first).days > MAX_NIGHTS:
        raise TravelError(f"one booking holds at most {MAX_NIGHTS} nights", "check_out")
    if first < now.date():
        raise TravelError(f"check-in {first} is in the past", "check_in")
    nights = _stay(first, leave)
    sold = [hotel.night(n) for n in nights]
    missing = [n for n, s in zip(nights, sold, strict=True) if s is None]
    if missing:
        raise TravelError(f"{hotel.id} sells no room for the night of {', '.join(missing)}",
                          "check_in")
    full = [n for n, s in zip(nights, sold, strict=True) if s is not None and s.rooms < 1]
    if full:
        raise TravelError(f"{hotel.id} is full the night of {', '.join(full)}", "check_in")
    for other in _confirmed(store, traveller.id, "hotel"):
        if other.check_in < leave.isoformat() and first.isoformat() < other.check_out:
            raise TravelError(f"{traveller.id} stays at {other.item} from {other.check_in} to "
                              f"{other.check_out} ({other.id}) then", "check_in")
    reason = _text(exception_reason, "exception_reason", MAX_NOTE)
    ref = _text(reference, "reference", MAX_NAME)
    cap = Decimal(policy_of(store, traveller).hotel_night_cap)
    notes = [f"the night of {n.date} costs {n.price}, above the {traveller.policy_class} "
             f"policy's cap of {money_text(cap)}" for n in sold if n is not None
             and Decimal(n.price) > cap]
    if notes and not reason:
        raise TravelError(f"{notes[0]}; choose a cheaper hotel, or give an exception_reason "
                          "to book it out of policy", "exception_reason")
    total = sum((Decimal(n.price) for n in sold if n is not None), Decimal(0))
    made = Booking(id=_new_id(store), kind="hotel", traveller=traveller.id, item=hotel.id,
                   check_in=first.isoformat(), check_out=leave.isoformat(),
                   price=money_text(total), created=now.date().isoformat(),
                   policy_class=traveller.policy_class, in_policy=not notes,
                   policy_notes=notes, exception_reason=reason if notes else "", reference=ref)
    for night in sold:
        if night is not None:
            night.rooms -= 1
    store.bookings.append(made)
    return made


def cancel_booking(store: TravelStore, now: datetime, booking_id: str) -> Booking:
    """Cancel a confirmed booking that has not begun; its seat or rooms are sold again.

    Raises:
        TravelError: an unknown or cancelled booking, or one under way.
    """
    found = booking_for(store, booking_id)
    if found.status != "confirmed":
        raise TravelError(f"{found.id} was cancelled on {found.cancelled_on}")
    if found.kind == "hotel":
        hotel = store.hotel(found.item)
        if found.check_in <= now.date().isoformat():
            raise TravelError(f"{found.id}'s stay began on {found.check_in}; it cannot be "
                              "cancelled")
        for day in _stay(date.fromisoformat(found.check_in), date.fromisoformat(found.check_out)):
            night = hotel.night(day) if hotel else None
            if night is not None:
                night.rooms += 1
    else:
        leg = store.flight(found.item) if found.kind == "flight" else store.train(found.item)
        if leg is not None:
            if leg_times(store, leg)[0] <= now:
                raise TravelError(f"{found.id}'s {found.kind} departed at {leg.depart}")
            fare = leg.fare(found.fare_class)
            if fare is not None:
                fare.seats += 1
    found.status, found.cancelled_on = "cancelled", now.date().isoformat()
    return found


# searches -----------------------------------------------------------------------------


def search_legs(store: TravelStore, kind: str, origin: str, destination: str, day: str,
                fare_class: str | None = None, max_price: str | None = None,
                sort: str = "departure") -> list[_Leg]:
    """Flights or trains from ``origin`` to ``destination`` departing on ``day`` (local),
    with a seat left (in ``fare_class`` if given, at most ``max_price`` if given).

    Raises:
        TravelError: an unknown place, a bad date or price, or an unknown sort.
    """
    start = place_for(store, origin, "origin")
    end = place_for(store, destination, "destination")
    when = parse_day(day, "date").isoformat()
    cap = parse_amount(max_price, "max_price") if max_price else None
    legs: Sequence[_Leg] = store.flights if kind == "flight" else store.trains
    found = []
    for leg in legs:
        if leg.origin != start.code or leg.destination != end.code or leg.depart[:10] != when:
            continue
        fares = [f for f in leg.fares if f.seats > 0
                 and (fare_class is None or f.fare_class == fare_class)
                 and (cap is None or Decimal(f.price) <= cap)]
        if fares:
            found.append(leg)
    if sort == "price":
        return sorted(found, key=lambda leg: (_cheapest(leg, fare_class), leg.depart, leg.id))
    if sort == "duration":
        return sorted(found, key=lambda leg: (minutes_of(store, leg), leg.depart, leg.id))
    if sort != "departure":
        raise TravelError("sort is price, departure or duration", "sort")
    return sorted(found, key=lambda leg: (leg.depart, leg.id))


def _cheapest(leg: _Leg, fare_class: str | None) -> Decimal:
    prices = [Decimal(f.price) for f in leg.fares if f.seats > 0
              and (fare_class is None or f.fare_class == fare_class)]
    return min(prices, default=Decimal(0))


def search_hotels(store: TravelStore, city: str, check_in: str, check_out: str,
                  max_night: str | None = None, min_stars: int | None = None
                  ) -> list[tuple[Hotel, list[Night]]]:
    """Hotels in ``city`` with a room every night of the stay (each night at most
    ``max_night`` if given), cheapest stay first.

    Raises:
        TravelError: an unknown place, bad dates, or a bad price.
    """
    place = place_for(store, city, "city")
    first, leave = parse_day(check_in, "check_in"), parse_day(check_out, "check_out")
    if leave <= first:
        raise TravelError(f"check-out ({leave}) must come after check-in ({first})",
                          "check_out")
    if (leave - first).days > MAX_NIGHTS:
        raise TravelError(f"a stay holds at most {MAX_NIGHTS} nights", "check_out")
    cap = parse_amount(max_night, "max_price") if max_night else None
    nights = _stay(first, leave)
    found = []
    for hotel in store.hotels:
        if hotel.city != place.code or (min_stars is not None and hotel.stars < min_stars):
            continue
        sold = [hotel.night(n) for n in nights]
        if all(s is not None and s.rooms > 0 and (cap is None or Decimal(s.price) <= cap)
               for s in sold):
            found.append((hotel, [s for s in sold if s is not None]))
    return sorted(found, key=lambda pair: (sum(Decimal(n.price) for n in pair[1]), pair[0].id))


def itinerary(store: TravelStore, traveller: Traveller) -> dict[str, Any]:
    """A traveller's confirmed bookings in time order, with what they cost in all and per
    kind, and how many are out of policy."""
    rows: list[dict[str, Any]] = []
    for booking in _confirmed(store, traveller.id):
        if booking.kind == "hotel":
            hotel = store.hotel(booking.item)
            rows.append({"start": f"{booking.check_in}T15:00", "booking": booking.id,
                         "kind": "hotel", "what": hotel.name if hotel else booking.item,
                         "where": hotel.city if hotel else "", "from": booking.check_in,
                         "to": booking.check_out, "price": booking.price,
                         "in_policy": booking.in_policy})
            continue
        leg = store.flight(booking.item) if booking.kind == "flight" else \
            store.train(booking.item)
        if leg is None:
            continue
        rows.append({"start": leg.depart, "booking": booking.id, "kind": booking.kind,
                     "what": f"{leg.number} {booking.fare_class}",
                     "where": f"{leg.origin}-{leg.destination}", "from": leg.depart,
                     "to": leg.arrive, "price": booking.price,
                     "in_policy": booking.in_policy})
    rows.sort(key=lambda r: (r["start"], r["booking"]))
    totals = {kind: money_text(sum((Decimal(r["price"]) for r in rows if r["kind"] == kind),
                                   Decimal(0))) for kind in ("flight", "train", "hotel")}
    return {"traveller": traveller.id, "currency": store.currency,
            "items": [{k: v for k, v in r.items() if k != "start"} for r in rows],
            "total": money_text(sum((Decimal(r["price"]) for r in rows), Decimal(0))),
            "by_kind": totals, "out_of_policy": sum(1 for r in rows if not r["in_policy"])}


# -- views (the same data for the tools and the pages) ----------------------------------------


def leg_view(store: TravelStore, leg: _Leg) -> dict[str, Any]:
    return {"id": leg.id, "number": leg.number, "origin": leg.origin,
            "destination": leg.destination, "depart": leg.depart, "arrive": leg.arrive,
            "minutes": minutes_of(store, leg), "currency": store.currency,
            "fares": [f.model_dump() for f in leg.fares]}


def hotel_view(store: TravelStore, hotel: Hotel, nights: Sequence[Night]) -> dict[str, Any]:
    return {"id": hotel.id, "name": hotel.name, "city": hotel.city, "stars": hotel.stars,
            "address": hotel.address, "centre_km": hotel.centre_km, "currency": store.currency,
            "nights": [n.model_dump() for n in nights],
            "total": money_text(sum((Decimal(n.price) for n in nights), Decimal(0)))}


def traveller_view(store: TravelStore, traveller: Traveller) -> dict[str, Any]:
    return {**traveller.model_dump(), "policy": policy_of(store, traveller).model_dump()}


T = TypeVar("T")


def _paged(found: Sequence[T], view: Callable[[T], dict[str, Any]], limit: int,
           offset: int) -> dict[str, Any]:
    """One page of ``found``, each shown through ``view`` (only the page's rows are)."""
    return {"total": len(found), "offset": offset,
            "results": [view(item) for item in found[offset:offset + limit]]}


# -- the API -----------------------------------------------------------------------------------


class TravelApp(App):
    """The company travel desk: places and distances, flights, trains and hotels with
    prices and availability per date, travellers and their policies, bookings. Local
    times are ``2026-03-10T07:05`` at the place they refer to; money is decimal text."""

    name = "travel"

    @property
    def store(self) -> TravelStore:
        """The world's desk; an empty one (not added to the world) when it has none, so
        that a read leaves the world as it was (every write needs a record, so fails)."""
        store = self.world.existing_store("travel", TravelStore)
        return TravelStore() if store is None else store

    def _run(self, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return rule(*args, **kwargs)
        except TravelError as exc:
            raise ToolError(str(exc)) from None

    @tool(read_only=True, concurrent=False)
    def list_places(self) -> dict[str, Any]:
        """The places the desk books to: ``{"places": [{code, name, country, timezone, lat,
        lon}]}`` by code."""
        return {"places": [p.model_dump() for p in sorted(self.store.places,
                                                          key=lambda p: p.code)]}

    @tool(read_only=True, concurrent=False)
    def get_distance(self, origin: Code, destination: Code) -> dict[str, Any]:
        """The great-circle distance between two places: ``{"origin", "destination",
        "km"}``.

        Args:
            origin: a place's code or name, e.g. "BER".
            destination: another place's code or name, e.g. "Lisbon".
        """
        store = self.store
        start = self._run(place_for, store, origin, "origin")
        end = self._run(place_for, store, destination, "destination")
        return {"origin": start.code, "destination": end.code, "km": distance_km(start, end)}

    def _search(self, kind: str, origin: str, destination: str, date: str,
                fare_class: str | None, max_price: str | None, sort: str, limit: int,
                offset: int) -> dict[str, Any]:
        store = self.store
        found = self._run(search_legs, store, kind, origin, destination, date, fare_class,
                          max_price, sort)
        return _paged(found, lambda leg: leg_view(store, leg), limit, offset)

    @tool(read_only=True, concurrent=False)
    def search_flights(self, origin: Code, destination: Code, date: Day,
                       cabin: Literal["economy", "premium", "business"] | None = None,
                       max_price: Amount | None = None, sort: SortBy = "departure",
                       limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Flights from one place to another departing on a date (local), with a seat left.

        Returns ``{"total", "offset", "results": [{id, number, origin, destination, depart,
        arrive, minutes, currency, fares: [{fare_class, price, seats}]}]}``; depart is
        local to the origin, arrive to the destination.

        Args:
            origin: where from, a code or name, e.g. "BER".
            destination: where to, e.g. "LIS".
            date: the departure date, e.g. "2026-03-10".
            cabin: only flights with a seat left in this cabin.
            max_price: only fares at most this price, e.g. "250".
            sort: departure (default), price (cheapest fare first) or duration.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        return self._search("flight", origin, destination, date, cabin, max_price, sort,
                            limit, offset)

    @tool(read_only=True, concurrent=False)
    def search_trains(self, origin: Code, destination: Code, date: Day,
                      travel_class: Literal["second", "first"] | None = None,
                      max_price: Amount | None = None, sort: SortBy = "departure",
                      limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Trains from one place to another departing on a date (local), with a seat left.

        Returns ``{"total", "offset", "results": [{id, number, origin, destination, depart,
        arrive, minutes, currency, fares: [{fare_class, price, seats}]}]}``.

        Args:
            origin: where from, a code or name, e.g. "BER".
            destination: where to, e.g. "PRG".
            date: the departure date, e.g. "2026-03-10".
            travel_class: only trains with a seat left in this class.
            max_price: only fares at most this price, e.g. "90".
            sort: departure (default), price (cheapest fare first) or duration.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        return self._search("train", origin, destination, date, travel_class, max_price,
                            sort, limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_flight(self, flight_id: Id) -> dict[str, Any]:
        """One flight: number, places, local departure and arrival, minutes, and its fares
        (cabin, price, seats left).

        Args:
            flight_id: the flight's id, e.g. "FL-0042".
        """
        store = self.store
        return leg_view(store, self._run(leg_for, store, "flight", flight_id))

    @tool(read_only=True, concurrent=False)
    def get_train(self, train_id: Id) -> dict[str, Any]:
        """One train: number, places, local departure and arrival, minutes, and its fares
        (class, price, seats left).

        Args:
            train_id: the train's id, e.g. "TR-0042".
        """
        store = self.store
        return leg_view(store, self._run(leg_for, store, "train", train_id))

    @tool(read_only=True, concurrent=False)
    def search_hotels(self, city: Code, check_in: Day, check_out: Day,
                      max_price_per_night: Amount | None = None,
                      min_stars: Annotated[int, Field(ge=1, le=5)] | None = None,
                      limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Hotels in a city with a room every night from check-in to check-out, cheapest
        stay first, with each night's price and rooms left and the stay's total.

        Returns ``{"total", "offset", "results": [{id, name, city, stars, address,
        centre_km, currency, nights: [{date, price, rooms}], total}]}``.

        Args:
            city: a place's code or name, e.g. "LIS".
            check_in: the first night, e.g. "2026-03-10".
            check_out: the morning of leaving, e.g. "2026-03-12" (two nights).
            max_price_per_night: only hotels whose every night costs at most this.
            min_stars: only hotels of at least these stars.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        found = self._run(search_hotels, store, city, check_in, check_out,
                          max_price_per_night, min_stars)
        return _paged(found, lambda pair: hotel_view(store, *pair), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_hotel(self, hotel_id: Id, check_in: Day | None = None,
                  check_out: Day | None = None) -> dict[str, Any]:
        """One hotel with its nights for sale (price and rooms left), all of them or those
        from check-in to check-out.

        Args:
            hotel_id: the hotel's id, e.g. "H-004".
            check_in: the first night to show.
            check_out: the morning after the last night to show.
        """
        store = self.store
        hotel = self._run(hotel_for, store, hotel_id)
        nights = hotel.nights
        if check_in or check_out:
            first = self._run(parse_day, check_in or "", "check_in")
            leave = self._run(parse_day, check_out or "", "check_out")
            nights = [n for n in hotel.nights if first.isoformat() <= n.date < leave.isoformat()]
        return hotel_view(store, hotel, nights[:MAX_RESULTS])

    @tool(read_only=True, concurrent=False)
    def list_travellers(self) -> dict[str, Any]:
        """The travellers the desk books for, with their policy class and what it allows:
        ``{"travellers": [{id, name, email, policy_class, home, policy: {flight_cabin,
        train_class, hotel_night_cap}}]}``."""
        store = self.store
        return {"travellers": [traveller_view(store, t) for t in store.travellers[:500]]}

    @tool(read_only=True, concurrent=False)
    def get_policies(self) -> dict[str, Any]:
        """The travel policy per class: the highest flight cabin, the highest train class
        and the most a hotel night may cost: ``{"currency", "policies": {class: {...}}}``."""
        store = self.store
        return {"currency": store.currency,
                "policies": {k: v.model_dump() for k, v in sorted(store.policies.items())}}

    @tool(destructive=False)
    def book_flight(self, flight_id: Id, traveller_id: Id,
                    cabin: Literal["economy", "premium", "business"] = "economy",
                    exception_reason: Note = "", reference: Note = "") -> dict[str, Any]:
        """Book a seat on a flight for a traveller. A cabin above their policy is refused
        unless exception_reason says why (the booking is then out of policy). Returns the
        booking (id ``B-...``, price, in_policy).

        Args:
            flight_id: the flight's id, e.g. "FL-0042".
            traveller_id: the traveller's id, e.g. "T-002".
            cabin: economy (default), premium or business.
            exception_reason: why a booking above the policy is needed.
            reference: a trip or cost-centre reference, e.g. "Lisbon sales summit".
        """
        return self._run(book_leg, self.store, self.world.now, "flight", flight_id,
                         traveller_id, cabin, exception_reason, reference).model_dump()

    @tool(destructive=False)
    def book_train(self, train_id: Id, traveller_id: Id,
                   travel_class: Literal["second", "first"] = "second",
                   exception_reason: Note = "", reference: Note = "") -> dict[str, Any]:
        """Book a seat on a train for a traveller. A class above their policy is refused
        unless exception_reason says why. Returns the booking.

        Args:
            train_id: the train's id, e.g. "TR-0042".
            traveller_id: the traveller's id, e.g. "T-002".
            travel_class: second (default) or first.
            exception_reason: why a booking above the policy is needed.
            reference: a trip or cost-centre reference.
        """
        return self._run(book_leg, self.store, self.world.now, "train", train_id,
                         traveller_id, travel_class, exception_reason, reference).model_dump()

    @tool(destructive=False)
    def book_hotel(self, hotel_id: Id, traveller_id: Id, check_in: Day, check_out: Day,
                   exception_reason: Note = "", reference: Note = "") -> dict[str, Any]:
        """Book a room for a traveller from check-in to check-out, priced night by night.
        A night above their policy's cap is refused unless exception_reason says why.
        Returns the booking (price is the stay's total).

        Args:
            hotel_id: the hotel's id, e.g. "H-004".
            traveller_id: the traveller's id, e.g. "T-002".
            check_in: the first night, e.g. "2026-03-10".
            check_out: the morning of leaving, e.g. "2026-03-12".
            exception_reason: why a booking above the policy is needed.
            reference: a trip or cost-centre reference.
        """
        return self._run(book_hotel, self.store, self.world.now, hotel_id, traveller_id,
                         check_in, check_out, exception_reason, reference).model_dump()

    @tool
    def cancel_booking(self, booking_id: Id) -> dict[str, Any]:
        """Cancel a booking that has not begun; its seat or rooms go back on sale. Returns
        the booking.

        Args:
            booking_id: the booking's id, e.g. "B-0003".
        """
        return self._run(cancel_booking, self.store, self.world.now, booking_id).model_dump()

    @tool(read_only=True, concurrent=False)
    def list_bookings(self, traveller_id: Id | None = None,
                      status: Literal["confirmed", "cancelled"] | None = None,
                      kind: Kind | None = None, limit: Limit = 20,
                      offset: Offset = 0) -> dict[str, Any]:
        """Bookings, by id.

        Returns ``{"total", "offset", "results": [{id, kind, traveller, item, fare_class,
        check_in, check_out, price, status, created, policy_class, in_policy, policy_notes,
        exception_reason, reference, cancelled_on}]}``.

        Args:
            traveller_id: only this traveller's.
            status: only confirmed or cancelled ones.
            kind: only flight, train or hotel bookings.
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        who = self._run(traveller_for, store, traveller_id).id if traveller_id else None
        found = [b for b in store.bookings if (who is None or b.traveller == who)
                 and (status is None or b.status == status) and (kind is None or b.kind == kind)]
        return _paged(found, lambda b: b.model_dump(), limit, offset)

    @tool(read_only=True, concurrent=False)
    def get_booking(self, booking_id: Id) -> dict[str, Any]:
        """One booking.

        Args:
            booking_id: the booking's id, e.g. "B-0003".
        """
        return self._run(booking_for, self.store, booking_id).model_dump()

    @tool(read_only=True, concurrent=False)
    def get_itinerary(self, traveller_id: Id) -> dict[str, Any]:
        """A traveller's confirmed bookings in time order (what, where, from, to, price,
        in_policy), the total, the total per kind and how many are out of policy.

        Args:
            traveller_id: the traveller's id, e.g. "T-002".
        """
        store = self.store
        return itinerary(store, self._run(traveller_for, store, traveller_id))


# -- the website ---------------------------------------------------------------------------------


class TravelSite(PortalSite[TravelStore]):
    """The travel desk's website over the same store (see the module docstring)."""

    store_name = "travel"
    store_type = TravelStore
    lookup_error = TravelError

    def nav(self) -> Sequence[Link]:
        return [Link("Flights", "/flights"), Link("Trains", "/trains"),
                Link("Hotels", "/hotels"), Link("Bookings", "/bookings"),
                Link("Travellers", "/travellers"), Link("Places", "/places")]

    def _places(self, name: str, label: str, value: str) -> Select:
        return Select(name, label, [("", "Choose a place"), *(
            (p.code, f"{p.name} ({p.code})") for p in sorted(self.store.places,
                                                            key=lambda p: p.name))], value)

    def _travellers(self) -> Select:
        return Select("traveller", "Traveller", [(t.id, f"{t.name} ({t.id}, {t.policy_class})")
                                                 for t in self.store.travellers])

    @page("/")
    def home(self, request: Request) -> Page:
        store = self.store
        return Page(store.name, [
            Heading(store.name),
            Text(f"{len(store.places)} places, {len(store.travellers)} travellers. Prices in "
                 f"{store.currency}."),
            self._leg_search("flight", request), self._leg_search("train", request),
            self._hotel_search(request)])

    def _leg_search(self, kind: str, request: Request) -> Form:
        path = "/flights" if kind == "flight" else "/trains"
        return Form(f"{kind}s", [
            self._places("origin", "From", request.arg("origin")),
            self._places("destination", "To", request.arg("destination")),
            Input("date", "Date", "date", request.arg("date")),
            Select("sort", "Sort by", [("departure", "Departure"), ("price", "Price"),
                                       ("duration", "Duration")], request.arg("sort")),
            Button(f"Search {kind}s")], label=f"Search {kind}s", method="get", action=path)

    def _hotel_search(self, request: Request) -> Form:
        return Form("hotels", [
            self._places("city", "City", request.arg("city")),
            Input("check_in", "Check-in", "date", request.arg("check_in")),
            Input("check_out", "Check-out", "date", request.arg("check_out")),
            Input("max_price", "Most per night", value=request.arg("max_price")),
            Button("Search hotels")], label="Search hotels", method="get", action="/hotels")

    def _legs(self, kind: str, request: Request) -> Page:
        store = self.store
        title = "Flights" if kind == "flight" else "Trains"
        body: list[Node] = [Heading(title), self._leg_search(kind, request)]
        if request.arg("origin") and request.arg("destination") and request.arg("date"):
            try:
                found = search_legs(store, kind, request.arg("origin"),
                                    request.arg("destination"), request.arg("date"),
                                    sort=request.arg("sort") or "departure")
            except TravelError as exc:
                return Page(title, [*body, Alert(str(exc), "error")])
            rows, pager = paginate(found, request)
            prefix = "/flights" if kind == "flight" else "/trains"
            body += [Table(title, ["Number", "Departs", "Arrives", "Duration", "Fares"], [
                [Link(leg.number, f"{prefix}/{_q(leg.id)}"), leg.depart, leg.arrive,
                 _duration(minutes_of(store, leg)),
                 "; ".join(f"{f.fare_class} {f.price} ({f.seats} left)" for f in leg.fares)]
                for leg in rows]), *pager]
        else:
            body.append(Text("Choose where from, where to and the date."))
        return Page(title, body)

    @page("/flights")
    def flights(self, request: Request) -> Page:
        return self._legs("flight", request)

    @page("/trains")
    def trains(self, request: Request) -> Page:
        return self._legs("train", request)

    def _leg_page(self, kind: str, leg_id: str) -> Page:
        store = self.store
        leg = self._find(leg_for, store, kind, leg_id)
        origin, destination = store.place(leg.origin), store.place(leg.destination)
        classes = CABINS if kind == "flight" else TRAIN_CLASSES
        label = "Cabin" if kind == "flight" else "Class"
        return Page(f"{leg.number} {leg.origin}-{leg.destination}", [
            Heading(f"{leg.number}: {origin.name if origin else leg.origin} to "
                    f"{destination.name if destination else leg.destination}"),
            Details([(kind.capitalize(), leg.id), ("Departs", f"{leg.depart} local"),
                     ("Arrives", f"{leg.arrive} local"),
                     ("Duration", _duration(minutes_of(store, leg)))], f"{kind.capitalize()} "
                                                                        "details"),
            Table("Fares", [label, "Price", "Seats left"], [
                [f.fare_class, f"{f.price} {store.currency}", str(f.seats)] for f in leg.fares]),
            Form("book", [self._travellers(),
                          Select("fare_class", label, [(f.fare_class, f.fare_class)
                                                       for f in leg.fares
                                                       if f.fare_class in classes]),
                          TextArea("exception_reason", "Reason for booking above the policy"),
                          Input("reference", "Trip reference"),
                          Button(f"Book this {kind}")], label=f"Book this {kind}")])

    def _leg_post(self, kind: str, request: Request, leg_id: str) -> Redirect | Invalid:
        form = request.form
        try:
            made = book_leg(self.store, self.world.now, kind, leg_id, form.get("traveller", ""),
                            form.get("fare_class", ""), form.get("exception_reason", ""),
                            form.get("reference", ""))
        except TravelError as exc:
            return _invalid(exc, request)
        return Redirect(f"/bookings/{_q(made.id)}", f"Booked {made.id}: {made.price} "
                        f"{self.store.currency}" + ("" if made.in_policy else
                                                   ", out of policy") + ".")

    @page("/flights/{flight_id}")
    def flight(self, request: Request, flight_id: str) -> Page:
        return self._leg_page("flight", flight_id)

    @action("/flights/{flight_id}")
    def flight_post(self, request: Request, flight_id: str) -> Redirect | Invalid:
        return self._leg_post("flight", request, flight_id)

    @page("/trains/{train_id}")
    def train(self, request: Request, train_id: str) -> Page:
        return self._leg_page("train", train_id)

    @action("/trains/{train_id}")
    def train_post(self, request: Request, train_id: str) -> Redirect | Invalid:
        return self._leg_post("train", request, train_id)

    @page("/hotels")
    def hotels(self, request: Request) -> Page:
        store = self.store
        body: list[Node] = [Heading("Hotels"), self._hotel_search(request)]
        if request.arg("city") and request.arg("check_in") and request.arg("check_out"):
            try:
                found = search_hotels(store, request.arg("city"), request.arg("check_in"),
                                      request.arg("check_out"), request.arg("max_price") or None)
            except TravelError as exc:
                return Page("Hotels", [*body, Alert(str(exc), "error")])
            rows, pager = paginate(found, request)
            stay = f"?check_in={_q(request.arg('check_in'))}&check_out=" \
                   f"{_q(request.arg('check_out'))}"
            body += [Table("Hotels", ["Hotel", "Stars", "From centre", "Per night", "Total"], [
                [Link(h.name, f"/hotels/{_q(h.id)}{stay}"), str(h.stars), f"{h.centre_km} km",
                 " / ".join(n.price for n in nights),
                 money_text(sum((Decimal(n.price) for n in nights), Decimal(0)))]
                for h, nights in rows]), *pager]
        else:
            body.append(Text("Choose the city and the dates."))
        return Page("Hotels", body)

    @page("/hotels/{hotel_id}")
    def hotel(self, request: Request, hotel_id: str) -> Page:
        store = self.store
        item = self._find(hotel_for, store, hotel_id)
        check_in, check_out = request.arg("check_in"), request.arg("check_out")
        shown = [n for n in item.nights if (not check_in or n.date >= check_in)
                 and (not check_out or n.date < check_out)][:MAX_RESULTS]
        return Page(item.name, [
            Heading(item.name),
            Details([("Hotel", item.id), ("City", item.city), ("Stars", str(item.stars)),
                     ("Address", item.address), ("From centre", f"{item.centre_km} km")],
                    "Hotel details"),
            Table("Nights", ["Night", "Price", "Rooms left"], [
                [n.date, f"{n.price} {store.currency}", str(n.rooms)] for n in shown]),
            Form("book", [self._travellers(),
                          Input("check_in", "Check-in", "date", check_in),
                          Input("check_out", "Check-out", "date", check_out),
                          TextArea("exception_reason", "Reason for booking above the policy"),
                          Input("reference", "Trip reference"),
                          Button("Book a room")], label="Book a room")])

    @action("/hotels/{hotel_id}")
    def hotel_post(self, request: Request, hotel_id: str) -> Redirect | Invalid:
        form = request.form
        try:
            made = book_hotel(self.store, self.world.now, hotel_id, form.get("traveller", ""),
                              form.get("check_in", ""), form.get("check_out", ""),
                              form.get("exception_reason", ""), form.get("reference", ""))
        except TravelError as exc:
            return _invalid(exc, request)
        return Redirect(f"/bookings/{_q(made.id)}", f"Booked {made.id}: {made.price} "
                        f"{self.store.currency}" + ("" if made.in_policy else
                                                   ", out of policy") + ".")

    @page("/bookings")
    def bookings(self, request: Request) -> Page:
        store = self.store
        who = request.arg("traveller")
        found = [b for b in store.bookings if not who or b.traveller == who]
        rows, pager = paginate(found, request)
        return Page("Bookings", [
            Heading("Bookings"),
            Form("filter", [Select("traveller", "Traveller", [("", "Everyone"), *(
                (t.id, t.name) for t in store.travellers)], who), Button("Filter")],
                label="Filter bookings", method="get"),
            Table("Bookings", ["Booking", "Kind", "Traveller", "Item", "Dates", "Price",
                               "Status", "Policy"], [
                [Link(b.id, f"/bookings/{_q(b.id)}"), b.kind, b.traveller, b.item,
                 f"{b.check_in} to {b.check_out}" if b.kind == "hotel" else b.fare_class,
                 b.price, b.status, "in policy" if b.in_policy else "out of policy"]
                for b in rows]), *pager])

    @page("/bookings/{booking_id}")
    def booking(self, request: Request, booking_id: str) -> Page:
        store = self.store
        item = self._find(booking_for, store, booking_id)
        link = {"flight": "/flights/", "train": "/trains/", "hotel": "/hotels/"}[item.kind]
        items: list[tuple[str, str | Link]] = [
            ("Booking", item.id), ("Kind", item.kind), ("Traveller", Link(
                item.traveller, f"/travellers/{_q(item.traveller)}")),
            (item.kind.capitalize(), Link(item.item, f"{link}{_q(item.item)}")),
            ("Price", f"{item.price} {store.currency}"), ("Status", item.status),
            ("Policy", "in policy" if item.in_policy else "out of policy: "
             + "; ".join(item.policy_notes)),
            ("Reference", item.reference or "—")]
        if item.kind == "hotel":
            items[4:4] = [("Check-in", item.check_in), ("Check-out", item.check_out)]
        else:
            items.insert(4, ("Class", item.fare_class))
        if item.exception_reason:
            items.append(("Exception reason", item.exception_reason))
        body: list[Node] = [Heading(f"Booking {item.id}"), Details(items, "Booking details")]
        if item.status == "confirmed":
            body.append(Form("cancel", [Button("Cancel booking")], label="Cancel booking"))
        return Page(f"Booking {item.id}", body)

    @action("/bookings/{booking_id}")
    def booking_post(self, request: Request, booking_id: str) -> Redirect | Invalid:
        item = self._find(booking_for, self.store, booking_id)
        try:
            cancel_booking(self.store, self.world.now, item.id)
        except TravelError as exc:
            return _invalid(exc, request)
        return Redirect(f"/bookings/{_q(item.id)}", f"Booking {item.id} is cancelled.")

    @page("/travellers")
    def travellers(self, request: Request) -> Page:
        store = self.store
        rows, pager = paginate(store.travellers, request)
        return Page("Travellers", [
            Heading("Travellers"),
            Table("Travellers", ["Traveller", "Name", "Policy class", "Home"], [
                [Link(t.id, f"/travellers/{_q(t.id)}"), t.name, t.policy_class, t.home]
                for t in rows]), *pager,
            Table("Policies", ["Class", "Highest cabin", "Highest train class",
                               "Most per hotel night"], [
                [name, p.flight_cabin, p.train_class, p.hotel_night_cap]
                for name, p in sorted(store.policies.items())])])

    @page("/travellers/{traveller_id}")
    def traveller(self, request: Request, traveller_id: str) -> Page:
        store = self.store
        person = self._find(traveller_for, store, traveller_id)
        policy = policy_of(store, person)
        plan = itinerary(store, person)
        return Page(person.name, [
            Heading(person.name),
            Details([("Traveller", person.id), ("E-mail", person.email),
                     ("Home", person.home), ("Policy class", person.policy_class),
                     ("Highest cabin", policy.flight_cabin),
                     ("Highest train class", policy.train_class),
                     ("Most per hotel night", policy.hotel_night_cap)], "Traveller details"),
            Table("Itinerary", ["Booking", "Kind", "What", "Where", "From", "To", "Price"], [
                [Link(r["booking"], f"/bookings/{_q(r['booking'])}"), r["kind"], r["what"],
                 r["where"], r["from"], r["to"], r["price"]] for r in plan["items"]]),
            Text(f"Total {plan['total']} {store.currency}; {plan['out_of_policy']} out of "
                 "policy.")])

    @page("/places")
    def places(self, request: Request) -> Page:
        store = self.store
        body: list[Node] = [
            Heading("Places"),
            Table("Places", ["Code", "Name", "Country", "Time zone"], [
                [p.code, p.name, p.country, p.timezone]
                for p in sorted(store.places, key=lambda p: p.code)]),
            Form("distance", [self._places("from", "From", request.arg("from")),
                              self._places("to", "To", request.arg("to")),
                              Button("Distance")], label="Distance", method="get")]
        if request.arg("from") and request.arg("to"):
            try:
                one = place_for(store, request.arg("from"), "from")
                other = place_for(store, request.arg("to"), "to")
                body.append(Text(f"{one.name} to {other.name}: {distance_km(one, other)} km."))
            except TravelError as exc:
                body.append(Alert(str(exc), "error"))
        return Page("Places", body)


def _duration(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _q(text: str) -> str:
    """``text`` as one URL path segment or query value."""
    return quote(text, safe="")


def _invalid(exc: TravelError, request: Request) -> Invalid:
    """A refusal shown at the field it is about when the form has that field, else over
    the whole form."""
    message = str(exc)
    if exc.field and exc.field in request.form:
        return Invalid({exc.field: message})
    return Invalid({}, message[0].upper() + message[1:] + ".")

