"""Travel content: European cities with their time zones and coordinates, a timetable of
flights and trains between them over a window of dates with fares and seats per class,
hotels with prices and rooms per night, and travellers in policy classes, drawn
deterministically for the ``travel`` portal.

:func:`travel_store` builds a whole desk from one random stream; families then add the
flight, train or hotel their task turns on with the ``TravelStore`` builders. Near
alternatives (an earlier flight that is dearer, a cheaper hotel full one night, a
business fare a traveller may not book) make the distractors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from workgym.apps.travel import Policy, TravelStore, distance_km
from workgym.content.people import people

__all__ = ["CITIES", "POLICIES", "City", "travel_store"]


@dataclass(frozen=True)
class City:
    """A city the desk can book to."""

    code: str
    name: str
    country: str
    timezone: str
    lat: float
    lon: float
    price_level: float = 1.0
    """How dear its hotels are, 1 the average."""


CITIES: tuple[City, ...] = (
    City("BER", "Berlin", "DE", "Europe/Berlin", 52.520, 13.405),
    City("MUC", "Munich", "DE", "Europe/Berlin", 48.137, 11.575, 1.2),
    City("HAM", "Hamburg", "DE", "Europe/Berlin", 53.551, 9.993),
    City("FRA", "Frankfurt", "DE", "Europe/Berlin", 50.110, 8.682, 1.1),
    City("PRG", "Prague", "CZ", "Europe/Prague", 50.075, 14.438, 0.8),
    City("VIE", "Vienna", "AT", "Europe/Vienna", 48.208, 16.373),
    City("ZRH", "Zurich", "CH", "Europe/Zurich", 47.377, 8.541, 1.5),
    City("AMS", "Amsterdam", "NL", "Europe/Amsterdam", 52.368, 4.904, 1.3),
    City("PAR", "Paris", "FR", "Europe/Paris", 48.857, 2.352, 1.4),
    City("LON", "London", "GB", "Europe/London", 51.507, -0.128, 1.5),
    City("BRU", "Brussels", "BE", "Europe/Brussels", 50.850, 4.352),
    City("LIS", "Lisbon", "PT", "Europe/Lisbon", 38.722, -9.139, 0.85),
    City("MAD", "Madrid", "ES", "Europe/Madrid", 40.417, -3.704, 0.9),
    City("BCN", "Barcelona", "ES", "Europe/Madrid", 41.385, 2.173, 1.1),
    City("MIL", "Milan", "IT", "Europe/Rome", 45.464, 9.190, 1.2),
    City("ROM", "Rome", "IT", "Europe/Rome", 41.903, 12.496),
    City("CPH", "Copenhagen", "DK", "Europe/Copenhagen", 55.676, 12.568, 1.3),
    City("STO", "Stockholm", "SE", "Europe/Stockholm", 59.329, 18.069, 1.1),
    City("WAW", "Warsaw", "PL", "Europe/Warsaw", 52.230, 21.012, 0.75),
    City("DUB", "Dublin", "IE", "Europe/Dublin", 53.350, -6.260, 1.2),
)
"""The cities a desk draws its places from."""
POLICIES: dict[str, Policy] = {
    "standard": Policy(flight_cabin="economy", train_class="second", hotel_night_cap="140.00"),
    "senior": Policy(flight_cabin="premium", train_class="first", hotel_night_cap="190.00"),
    "executive": Policy(flight_cabin="business", train_class="first", hotel_night_cap="320.00"),
}
"""The policy classes of a desk."""
_ISLANDS = frozenset({"DUB"})
"""No train reaches these."""
_CHANNEL = frozenset({"PAR", "BRU", "AMS"})
"""The only trains to London come from these."""
_TIMES = ("06:40", "07:15", "08:05", "09:30", "11:10", "12:45", "14:20", "16:05", "17:40",
          "19:15", "20:50")
_HOTEL_STEMS = ("Grand", "Central", "Park", "Harbour", "City", "Riverside", "Station",
                "Old Town", "Garden", "Plaza")
_HOTEL_KINDS = ("Hotel", "Suites", "Inn", "Residence")
_STAR_PRICE = {2: 70, 3: 105, 4: 150, 5: 250}
_CARRIERS = (("WF", "Wayfare Air"), ("NB", "Northbound"), ("AZ", "Azurline"))


def travel_store(rng: random.Random, *, now: datetime, places: int = 8, days: int = 14,
                 travellers: int = 5, hotels_per_city: int = 4, name: str = "Travel Desk",
                 host: str = "travel.example", currency: str = "EUR") -> TravelStore:
    """A whole desk: ``places`` cities (Berlin always among them), flights between those
    at least 350 km apart and trains between those at most 800 km apart (none to
    Dublin, to London only from Paris, Brussels and Amsterdam) on each of the ``days``
    dates from tomorrow, ``hotels_per_city`` hotels per city with every night of the
    window priced, the policies of :data:`POLICIES`, and ``travellers`` (``T-001``...)
    in those classes.

    Raises:
        ValueError: counts the content cannot fill.
    """
    if not 2 <= places <= len(CITIES) or days < 1 or travellers < 0 or hotels_per_city < 0:
        raise ValueError(f"places must be between 2 and {len(CITIES)}, days at least 1")
    store = TravelStore(name=name, host=host, currency=currency,
                        policies={k: v.model_copy() for k, v in POLICIES.items()})
    chosen = [CITIES[0], *rng.sample(CITIES[1:], places - 1)]
    for city in sorted(chosen, key=lambda c: c.code):
        store.add_place(city.code, city.name, city.timezone, city.lat, city.lon, city.country)
    first = now.date() + timedelta(days=1)
    dates = [first + timedelta(days=n) for n in range(days)]
    for origin in store.places:
        for destination in store.places:
            if origin.code == destination.code:
                continue
            km = distance_km(origin, destination)
            for day in dates:
                if km >= 350:
                    _flights(rng, store, origin.code, destination.code, km, day, now.date())
                if km <= 800 and _by_rail(origin.code, destination.code):
                    _trains(rng, store, origin.code, destination.code, km, day, now.date())
    for city in sorted(chosen, key=lambda c: c.code):
        _hotels(rng, store, city, dates, hotels_per_city)
    classes = ["standard", "standard", "senior", "executive"]
    for n, person in enumerate(people(rng, travellers, domain="staff.example")):
        store.add_traveller(person.name, person.email,
                            classes[n % len(classes)] if n < len(classes)
                            else rng.choice(classes), home="BER")
    return store


def _by_rail(one: str, other: str) -> bool:
    if one in _ISLANDS or other in _ISLANDS:
        return False
    if "LON" in (one, other):
        return (other if one == "LON" else one) in _CHANNEL
    return True


def _price(rng: random.Random, base: float, day: date, today: date) -> Decimal:
    """A fare that moves with the weekday, the days left and chance, in whole euros."""
    factor = {0: 1.2, 4: 1.25, 5: 0.85, 6: 0.95}.get(day.weekday(), 1.0)
    if (day - today).days < 7:
        factor *= 1.3
    return Decimal(round(base * factor * rng.uniform(0.8, 1.25)))


def _flights(rng: random.Random, store: TravelStore, origin: str, destination: str, km: int,
             day: date, today: date) -> None:
    minutes = 5 * round((35 + km / 750 * 60) / 5)
    base = 45 + 0.09 * km
    for hhmm in sorted(rng.sample(_TIMES, rng.choice((1, 1, 2)))):
        code, carrier = rng.choice(_CARRIERS)
        hour, minute = map(int, hhmm.split(":"))
        store.add_flight(f"{code} {rng.randrange(100, 1000)}", origin, destination,
                         datetime(day.year, day.month, day.day, hour, minute), minutes, [
                             ("economy", _price(rng, base, day, today),
                              rng.choice((0, 3, 9, 18, 30))),
                             ("premium", _price(rng, base * 1.8, day, today),
                              rng.choice((0, 2, 4, 8))),
                             ("business", _price(rng, base * 3.2, day, today),
                              rng.choice((0, 1, 3, 6)))], carrier=carrier)


def _trains(rng: random.Random, store: TravelStore, origin: str, destination: str, km: int,
            day: date, today: date) -> None:
    minutes = 5 * round(km * 1.25 / 150 * 60 / 5)
    base = 19 + 0.11 * km
    for hhmm in sorted(rng.sample(_TIMES, rng.choice((1, 2, 2, 3)))):
        hour, minute = map(int, hhmm.split(":"))
        store.add_train(f"{rng.choice(('ICE', 'EC', 'IC', 'RJ'))} {rng.randrange(100, 10000)}",
                        origin, destination,
                        datetime(day.year, day.month, day.day, hour, minute), minutes, [
                            ("second", _price(rng, base, day, today),
                             rng.choice((0, 12, 40, 80))),
                            ("first", _price(rng, base * 1.6, day, today),
                             rng.choice((0, 4, 10, 20)))], operator="Rail Europa")


def _hotels(rng: random.Random, store: TravelStore, city: City, dates: list[date],
            count: int) -> None:
    names: set[str] = set()
    while len(names) < min(count, len(_HOTEL_STEMS) * len(_HOTEL_KINDS)):
        names.add(f"{rng.choice(_HOTEL_STEMS)} {rng.choice(_HOTEL_KINDS)} {city.name}")
    for hotel in sorted(names):
        stars = rng.choice((2, 3, 3, 4, 4, 5))
        base = _STAR_PRICE[stars] * city.price_level
        nights = []
        for day in dates:
            factor = 0.85 if day.weekday() in (4, 5) else 1.0  # business hotels: cheap weekends
            if rng.random() < 0.08:
                factor *= 1.6  # a trade fair in town
            nights.append((day, Decimal(round(base * factor * rng.uniform(0.9, 1.15))),
                           rng.choice((0, 2, 5, 8, 12)) if rng.random() < 0.9 else 0))
        street = rng.choice(("Main", "Market", "Canal", "Station", "Park"))
        store.add_hotel(hotel, city.code, nights, stars=stars,
                        address=f"{rng.randint(1, 120)} {street} Street",
                        centre_km=round(rng.uniform(0.2, 6.0), 1))
