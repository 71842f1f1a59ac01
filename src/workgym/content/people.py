"""People: names, addresses, time zones, and an org directory (roles, teams, managers,
offices), drawn deterministically."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

FIRST_NAMES = (
    "Amara", "Bruno", "Chen", "Dalia", "Emeka", "Freya", "Goran", "Hana", "Ines", "Jonas",
    "Kemal", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tove",
    "Umar", "Vera", "Wim", "Ximena", "Yusuf", "Zofia", "Aiko", "Bilal", "Carmen", "Dmitri",
    "Elif", "Farid", "Greta", "Hugo", "Ilse", "Jamal", "Kasia", "Lucas", "Mira", "Niko",
)
LAST_NAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Silva", "Brennan", "Kowalski",
    "Adeyemi", "Fischer", "Romano", "Petrov", "Nguyen", "Duarte", "Sato", "Larsen", "Mendez",
    "Ibrahim", "Keller", "Rossi", "Yilmaz", "Costa", "Varga", "Dubois", "Jensen", "Oduya",
    "Marsh", "Castillo", "Horvat",
)
TIME_ZONES = (
    "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney",
)
OFFICES = {
    "Europe/London": "1 Canal Street, London", "Europe/Berlin": "Torstrasse 40, Berlin",
    "America/New_York": "200 Hudson Street, New York",
    "America/Chicago": "55 Wacker Drive, Chicago",
    "America/Los_Angeles": "900 Main Street, Los Angeles", "Asia/Tokyo": "2-1 Marunouchi, Tokyo",
    "Asia/Singapore": "8 Marina View, Singapore", "Australia/Sydney": "60 Martin Place, Sydney",
}
"""One office per zone: where people in that zone work."""
ROLES = ("Engineer", "Analyst", "Designer", "Product manager", "Specialist", "Coordinator",
         "Consultant", "Researcher")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    timezone: str = "Europe/London"
    role: str = ""
    """Job title, e.g. ``Team lead``."""
    team: str = ""
    manager: str = ""
    """Address of their manager ('' for the head of the organisation)."""
    office: str = ""
    """Postal address of the office they work in."""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def people(rng: random.Random, count: int, domain: str = "example.org",
           timezones: tuple[str, ...] = ("Europe/London",)) -> list[Person]:
    """``count`` people with distinct names and addresses at ``domain``."""
    if count > len(FIRST_NAMES) * len(LAST_NAMES):
        raise ValueError(f"cannot draw {count} distinct people")
    chosen: set[tuple[str, str]] = set()
    firsts: set[str] = set()
    result: list[Person] = []
    while len(result) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # distinct first names while they last, so prompts can say "Lena" unambiguously
        if (first, last) in chosen or (first in firsts and len(firsts) < len(FIRST_NAMES)):
            continue
        chosen.add((first, last))
        firsts.add(first)
        email = f"{first.lower()}.{last.lower()}@{domain}"
        result.append(Person(first, last, email, rng.choice(timezones)))
    return result


@dataclass(frozen=True)
class Directory:
    """An organisation: a head, team leads reporting to the head, members to their lead."""

    people: tuple[Person, ...]
    """The head first, then each team's lead followed by its members."""
    teams: tuple[str, ...] = field(default=())

    @property
    def head(self) -> Person:
        return self.people[0]

    def get(self, address: str) -> Person:
        """The person with ``address``. Raises KeyError for someone not in it."""
        for person in self.people:
            if person.email == address:
                return person
        raise KeyError(address)

    def team(self, name: str) -> list[Person]:
        """A team's people, its lead first."""
        return [p for p in self.people if p.team == name]

    def lead(self, team: str) -> Person:
        return next(p for p in self.team(team) if p.manager == self.head.email)

    def reports(self, manager: Person) -> list[Person]:
        return [p for p in self.people if p.manager == manager.email]


def relocate(person: Person, zone: str) -> Person:
    """``person`` working from ``zone`` (and that zone's office)."""
    return replace(person, timezone=zone, office=OFFICES.get(zone, ""))


def directory(rng: random.Random, teams: Sequence[str], size: int, *,
              domain: str = "example.org", zones: Sequence[str] = TIME_ZONES[:1]) -> Directory:
    """An organisation of ``size`` people per team (the lead included) plus its head.

    Every person gets a role, a team, a manager, a zone drawn from ``zones`` and the
    office of that zone.
    """
    if size < 1 or not teams:
        raise ValueError("a directory needs at least one team of at least one person")
    crowd = people(rng, 1 + len(teams) * size, domain=domain)
    head_zone = zones[0]
    head = replace(crowd[0], timezone=head_zone, role="Head of department",
                   office=OFFICES.get(head_zone, ""))
    staff = [head]
    for n, team in enumerate(teams):
        members = crowd[1 + n * size: 1 + (n + 1) * size]
        zone = rng.choice(zones)
        lead = replace(members[0], timezone=zone, role="Team lead", team=team,
                       manager=head.email, office=OFFICES.get(zone, ""))
        staff.append(lead)
        for p in members[1:]:
            where = rng.choice(zones)
            staff.append(replace(p, timezone=where, role=rng.choice(ROLES), team=team,
                                 manager=lead.email, office=OFFICES.get(where, "")))
    return Directory(tuple(staff), tuple(teams))
