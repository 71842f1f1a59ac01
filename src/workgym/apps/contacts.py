"""contacts: the company directory and its org chart (people, teams, managers, offices).

A person is keyed by their e-mail address; tools also accept a full name when exactly one
person has it. The directory is read-only: reading never changes the store. Families
build it from plain records with ``build_contacts`` (for instance from the shared people
content), which checks that every manager and office exists and that no management chain
loops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workgym.apps._fts import matches_terms, word_terms
from workgym.apps.mail import address_of
from workgym.core import App, Store, ToolError, tool

__all__ = ["ContactsApp", "ContactsStore", "Office", "Person", "build_contacts"]

MAX_PEOPLE = 5_000
MAX_RESULTS = 100
MAX_QUERY_CHARS = 200

Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0)]
Query = Annotated[str, Field(max_length=MAX_QUERY_CHARS)]
Key = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)]


class Office(BaseModel):
    """A company site."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Unique name, e.g. ``Berlin``."""
    address: str = ""
    """Postal address, one line."""
    city: str = ""
    country: str = ""
    timezone: str = "UTC"
    """IANA zone of the site."""


class Person(BaseModel):
    """Someone in the directory."""

    model_config = ConfigDict(extra="forbid")

    email: str
    """Unique, lower-case; the person's key."""
    name: str
    """Full name."""
    role: str = ""
    """Job title, e.g. ``Staff Engineer``."""
    team: str = ""
    manager: str | None = None
    """E-mail of their manager; None at the top of the chart."""
    timezone: str = "UTC"
    """IANA zone they work in."""
    office: str | None = None
    """Name of their office; None for remote people."""
    phone: str = ""
    address: str = ""
    """Where a remote person works from, or a mailing address."""
    iban: str = ""
    """Their bank account (IBAN), for personal contacts; empty when not known."""

    def summary(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "role": self.role,
                "team": self.team, "office": self.office, "timezone": self.timezone}


class ContactsStore(Store):
    """The directory: people and offices."""

    people: list[Person] = Field(default_factory=list)
    offices: list[Office] = Field(default_factory=list)

    def person(self, email: str) -> Person | None:
        """The person with this address (case-insensitive), for graders and tools."""
        wanted = address_of(email)
        return next((p for p in self.people if p.email == wanted), None)

    def office(self, name: str) -> Office | None:
        wanted = name.strip().casefold()
        return next((o for o in self.offices if o.name.casefold() == wanted), None)

    def direct_reports(self, email: str) -> list[Person]:
        """People whose manager is ``email``, by name."""
        wanted = address_of(email)
        return sorted((p for p in self.people if p.manager == wanted), key=_by_name)

    def reports_of(self, email: str) -> list[tuple[Person, int]]:
        """Everyone under ``email`` with their depth (1 = direct), level by level, each
        level by name."""
        below: dict[str, list[Person]] = {}
        for p in self.people:
            if p.manager is not None:
                below.setdefault(p.manager, []).append(p)
        found: list[tuple[Person, int]] = []
        seen = {address_of(email)}
        level = [address_of(email)]
        depth = 0
        while level:
            depth += 1
            nxt = sorted((p for boss in level for p in below.get(boss, []) if p.email not in seen),
                         key=_by_name)
            for p in nxt:
                seen.add(p.email)
            found.extend((p, depth) for p in nxt)
            level = [p.email for p in nxt]
        return found

    def chain_of(self, email: str) -> list[Person]:
        """The managers above ``email``, nearest first, up to the top of the chart."""
        by_email = {p.email: p for p in self.people}
        chain: list[Person] = []
        current = by_email.get(address_of(email))
        seen: set[str] = set()
        while current is not None and current.manager is not None:
            if current.email in seen:  # a loop (only a hand-edited store can hold one)
                break
            seen.add(current.email)
            boss = by_email.get(current.manager)
            if boss is None:
                break
            chain.append(boss)
            current = boss
        return chain


def _by_name(person: Person) -> tuple[str, str]:
    return (person.name.casefold(), person.email)


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _local_time(now: datetime, zone: str) -> str | None:
    """``now`` in ``zone``, or None for a zone the system does not know."""
    if not _zone_ok(zone):
        return None
    return now.astimezone(ZoneInfo(zone)).isoformat()


def build_contacts(people: Iterable[Mapping[str, Any]],
                   offices: Iterable[Mapping[str, Any]] = ()) -> ContactsStore:
    """A directory from plain records, checked.

    Args:
        people: one mapping per person with the fields of ``Person`` (``email`` and
            ``name`` required; ``manager`` an e-mail address, ``office`` an office name;
            an empty manager or office means none).
        offices: one mapping per office with the fields of ``Office``.

    Raises:
        ValueError: a record with unknown or bad fields, a repeated e-mail or office, an
            unknown manager, office or time zone, or a management chain that loops.
    """
    try:
        sites = [Office.model_validate(dict(o)) for o in offices]
        staff = [Person.model_validate(dict(p)) for p in people]
    except ValidationError as exc:
        raise ValueError(f"bad directory record: {exc}") from None
    if len(staff) > MAX_PEOPLE:
        raise ValueError(f"a directory holds at most {MAX_PEOPLE} people")
    names: set[str] = set()
    for site in sites:
        if site.name.casefold() in names:
            raise ValueError(f"office {site.name!r} is listed twice")
        names.add(site.name.casefold())
        if not _zone_ok(site.timezone):
            raise ValueError(f"office {site.name!r} has an unknown time zone {site.timezone!r}")
    emails: set[str] = set()
    for p in staff:
        p.email = address_of(p.email)
        # "" reads as "none", as in the shared people content
        p.manager = address_of(p.manager) if p.manager else None
        p.office = p.office or None
        if "@" not in p.email:
            raise ValueError(f"{p.name!r} needs an e-mail address, got {p.email!r}")
        if p.email in emails:
            raise ValueError(f"e-mail {p.email!r} is listed twice")
        emails.add(p.email)
        if not _zone_ok(p.timezone):
            raise ValueError(f"{p.email} has an unknown time zone {p.timezone!r}")
        if p.office is not None and p.office.casefold() not in names:
            raise ValueError(f"{p.email} works at unknown office {p.office!r}")
    managers = {p.email: p.manager for p in staff}
    for p in staff:
        if p.manager is not None and p.manager not in emails:
            raise ValueError(f"{p.email} reports to unknown manager {p.manager!r}")
        seen = {p.email}
        boss = p.manager
        while boss is not None:
            if boss in seen:
                raise ValueError(f"the management chain of {p.email} loops through {boss}")
            seen.add(boss)
            boss = managers[boss]
    return ContactsStore(people=staff, offices=sites)


class ContactsApp(App):
    """The company directory: people (by e-mail address or full name), teams, managers
    and offices."""

    name = "contacts"

    @property
    def store(self) -> ContactsStore:
        return self.world.store("contacts", ContactsStore)

    @tool(read_only=True)
    def search(self, query: Query = "", team: Key | None = None, office: Key | None = None,
               limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Find people, sorted by name. Every word of the query must equal a word of the
        person's name, e-mail, role, team or office (case- and accent-insensitive; end a
        word with * to match its prefix).

        Returns ``{"total", "offset", "results": [{email, name, role, team, office,
        timezone}]}``.

        Args:
            query: words, e.g. "lena" or "platform engineer"; empty lists everyone.
            team: only this team (exact name, case-insensitive).
            office: only this office (exact name, case-insensitive).
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        wanted = word_terms(query)
        team_key = self._team(team) if team is not None else None
        office_key = self._office(office).name if office is not None else None
        found = []
        for p in self.store.people:
            if team_key is not None and p.team.casefold() != team_key:
                continue
            if office_key is not None and p.office != office_key:
                continue
            if wanted and not matches_terms(
                    " ".join([p.name, p.email, p.role, p.team, p.office or ""]), wanted):
                continue
            found.append(p)
        found.sort(key=_by_name)
        return _page([p.summary() for p in found], limit, offset)

    @tool(read_only=True)
    def get(self, person: Key) -> dict[str, Any]:
        """Everything about one person: role, team, manager, office and its address, time
        zone with their current local time, phone, address, number of direct reports and,
        when known, their bank account (IBAN).

        Args:
            person: an e-mail address, or a full name that exactly one person has.
        """
        p = self._person(person)
        boss = self.store.person(p.manager) if p.manager else None
        site = self.store.office(p.office) if p.office else None
        return {
            **p.summary(),
            "manager": {"email": boss.email, "name": boss.name} if boss else None,
            "office_address": site.address if site else None,
            "local_time": _local_time(self.world.now, p.timezone),
            "phone": p.phone,
            "address": p.address,
            "direct_reports": len(self.store.direct_reports(p.email)),
            **({"iban": p.iban} if p.iban else {}),
        }

    @tool(read_only=True)
    def list_teams(self, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        """The teams, by name, with how many people each has and their offices.

        Returns ``{"total", "offset", "results": [{team, members, offices}]}``.

        Args:
            limit: most teams to return (1-100).
            offset: teams to skip, for the next page.
        """
        teams: dict[str, list[Person]] = {}
        for p in self.store.people:
            if p.team:
                teams.setdefault(p.team, []).append(p)
        rows = [{"team": name, "members": len(members),
                 "offices": sorted({m.office for m in members if m.office})}
                for name, members in sorted(teams.items(), key=lambda kv: kv[0].casefold())]
        return _page(rows, limit, offset)

    @tool(read_only=True)
    def list_team(self, team: Key, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        """The members of one team, by name.

        Returns ``{"team", "total", "offset", "results": [{email, name, role, team,
        office, timezone, manager}]}``.

        Args:
            team: the team's name (case-insensitive); list_teams lists them.
            limit: most people to return (1-100).
            offset: people to skip, for the next page.
        """
        key = self._team(team)
        members = sorted((p for p in self.store.people if p.team.casefold() == key), key=_by_name)
        page = _page([{**p.summary(), "manager": p.manager} for p in members], limit, offset)
        return {"team": members[0].team, **page}

    @tool(read_only=True)
    def reports(self, person: Key, transitive: bool = False, limit: Limit = 50,
                offset: Offset = 0) -> dict[str, Any]:
        """The people who report to someone: directly, or (transitive) everyone below them
        in the org chart, level by level.

        Returns ``{"manager", "transitive", "total", "offset", "results": [{email, name,
        role, team, office, timezone, manager, depth}]}`` where depth 1 means a direct
        report.

        Args:
            person: the manager's e-mail address, or a full name that one person has.
            transitive: include reports of reports, all the way down.
            limit: most people to return (1-100).
            offset: people to skip, for the next page.
        """
        boss = self._person(person)
        below = self.store.reports_of(boss.email)
        if not transitive:
            below = [(p, d) for p, d in below if d == 1]
        rows = [{**p.summary(), "manager": p.manager, "depth": d} for p, d in below]
        return {"manager": boss.email, "transitive": transitive, **_page(rows, limit, offset)}

    @tool(read_only=True)
    def manager_chain(self, person: Key) -> dict[str, Any]:
        """The chain of managers above someone, their own manager first, up to the top
        of the org chart.

        Returns ``{"person", "chain": [{email, name, role, team, office, timezone,
        level}]}`` where level 1 is the direct manager; an empty chain means nobody is
        above them.

        Args:
            person: an e-mail address, or a full name that exactly one person has.
        """
        p = self._person(person)
        chain = self.store.chain_of(p.email)
        return {"person": p.email,
                "chain": [{**m.summary(), "level": i} for i, m in enumerate(chain, start=1)]}

    @tool(read_only=True)
    def list_offices(self) -> list[dict[str, Any]]:
        """The offices, by name: address, city, country, time zone and headcount."""
        counts: dict[str, int] = {}
        for p in self.store.people:
            if p.office:
                counts[p.office] = counts.get(p.office, 0) + 1
        return [{**o.model_dump(), "people": counts.get(o.name, 0)}
                for o in sorted(self.store.offices, key=lambda o: o.name.casefold())]

    # -- helpers -------------------------------------------------------------------------

    def _person(self, key: str) -> Person:
        text = key.strip()
        if "@" in text:
            found = self.store.person(text)
            if found is None:
                raise ToolError(f"nobody has the address {text!r}; search finds people by "
                                "name, team or role")
            return found
        wanted = " ".join(text.split()).casefold()
        named = sorted((p for p in self.store.people if p.name.casefold() == wanted),
                       key=_by_name)
        if not named:
            raise ToolError(f"nobody is named {text!r}; give an e-mail address or a full name "
                            "(search finds people by name, team or role)")
        if len(named) > 1:
            emails = ", ".join(p.email for p in named[:10])
            raise ToolError(f"{len(named)} people are named {text!r} ({emails}); give the "
                            "e-mail address of the one you mean")
        return named[0]

    def _team(self, team: str) -> str:
        key = team.strip().casefold()
        if not any(p.team.casefold() == key for p in self.store.people if p.team):
            known = sorted({p.team for p in self.store.people if p.team}, key=str.casefold)
            shown = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
            raise ToolError(f"no team named {team!r}; teams: {shown or '(none)'} "
                            "(list_teams lists them)")
        return key

    def _office(self, name: str) -> Office:
        site = self.store.office(name)
        if site is None:
            known = ", ".join(o.name for o in self.store.offices) or "(none)"
            raise ToolError(f"no office named {name!r}; offices: {known}")
        return site


def _page(rows: list[Any], limit: int, offset: int) -> dict[str, Any]:
    return {"total": len(rows), "offset": offset, "results": rows[offset:offset + limit]}
