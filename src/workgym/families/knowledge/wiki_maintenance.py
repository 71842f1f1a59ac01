"""knowledge/wiki-maintenance: merge a team wiki's duplicate pages and correct its stale facts.

Description:
    The agent looks after an engineering team's wiki. In chat (#knowledge-base) the team
    lead asks for a clean-up: pages that cover the same topic twice (the same kind of page,
    overview or runbook, about the same service, under different titles; someone copied
    the text) are merged into the canonical page, which the request names by a rule (the
    page created first, or the one the "Service index" page links to); the facts on the
    service pages (``- Owner:``, ``- Version:``, ``- Rate limit:`` lines) are checked
    against the sources: owners against the service registry (``registry/services.docx``,
    docs), versions and rate limits against the engineering changelog (search). Only facts
    the sources contradict are stale. A merge copies the duplicate's sections the
    canonical page lacks into it and turns the duplicate into ``#REDIRECT [[<canonical>]]``
    (the wiki has no delete). Then the agent posts ``Merged:`` / ``Corrected:`` lines in
    the channel. Near misses: a service's runbook next to its overview, sibling services
    with similar names (billing-api, billing-worker), owners whose handover is only
    planned, release candidates, releases rolled back and rate-limit proposals under
    review; at hard a reply in the thread takes one service (with a duplicate pair and a
    stale fact) out of the round.

Apps:
    wiki, search, docs, chat.

Criteria:
    - ``merged <duplicate> into <canonical>`` (weight 2): the duplicate is a redirect to
      its canonical page, which holds every line of the duplicate it lacked; precision-
      aware over every redirect made and every page that gained other text.
    - ``corrected <page>: <fact>`` (weight 2): the fact's line holds the sources' value;
      precision-aware over every fact line changed, removed, repeated or added.
    - ``summary: <line>``: the ``Merged`` / ``Corrected`` lines posted in #knowledge-base,
      each counting only for what the wiki shows done; precision-aware over every such
      line.
    - guards: every page that is not a duplicate keeps all its lines but its fact lines
      (no page blanked or redirected, which is how a wiki without delete deletes); no page
      created, moved or renamed; the registry unchanged; posts only in #knowledge-base.

Difficulty:
    Knobs set the services (4, 6, 8, in sibling pairs), runbooks (1, 2, 3), duplicate
    pairs (1, 2, 3), the facts in play (owners; owners and versions; all three), stale
    facts (2, 3, 4) with as many that only look stale, the canonical rule (easy: the older
    page; medium: the index; hard: either) and, at hard, a service left out. Reference
    calls: easy 17-18, medium 54-62, hard 70-79. ``richness`` adds unrelated pages,
    registry rows and changelog entries of services without pages, and chat chatter.

Version history:
    v1: first version.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.docs import DocxBlock, build_docx
from workgym.apps.search import Document, Section, build_search
from workgym.apps.wiki import WikiStore, norm_title
from workgym.content.distractors import scaled
from workgym.content.people import Person, people
from workgym.content.teamwork import chat_store, chatter, handle, posted
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

REGISTRY = "registry/services.docx"
CHANNEL = "knowledge-base"
INDEX = "Service index"
CHANGELOG = "Engineering changelog"
LABELS = {"service": "Service", "owner": "Owner", "version": "Version", "limit": "Rate limit"}
KEYS = {label.casefold(): key for key, label in LABELS.items()}
LIMITS = (300, 400, 500, 600, 750, 800, 1000, 1200, 1500, 2000, 2500, 3000)
FAMILIES = (
    ("payments", ("billing-api", "Billing API", "turns metered usage into invoices"),
     ("billing-worker", "Billing worker", "retries failed charges overnight")),
    ("discovery", ("search-api", "Search API", "answers product searches"),
     ("search-indexer", "Search indexer", "rebuilds the product index")),
    ("identity", ("auth-gateway", "Auth gateway", "checks every request's session"),
     ("auth-tokens", "Auth tokens", "issues and rotates API tokens")),
    ("media", ("media-upload", "Media upload", "takes in images and videos"),
     ("media-resize", "Media resize", "makes thumbnails of uploaded images")),
    ("orders", ("order-queue", "Order queue", "hands new orders to the warehouses"),
     ("order-history", "Order history", "keeps every customer's past orders")),
    ("messaging", ("notify-push", "Push notifications", "sends push messages to phones"),
     ("notify-email", "Email notifications", "sends transactional email")),
    ("maps", ("geo-lookup", "Geo lookup", "turns addresses into coordinates"),
     ("geo-tiles", "Geo tiles", "serves map tiles to the apps")),
    ("reporting", ("report-builder", "Report builder", "builds the monthly reports"),
     ("report-export", "Report export", "exports reports as CSV and PDF")),
    ("finance", ("ledger-sync", "Ledger sync", "copies payments into the ledger"),
     ("ledger-audit", "Ledger audit", "checks the ledger for gaps every night")),
    ("checkout", ("cart-service", "Cart service", "holds shopping carts"),
     ("cart-pricing", "Cart pricing", "prices carts with the current discounts")),
)
SPARE = ("profile-api", "session-store", "email-relay", "audit-trail", "pricing-engine",
         "fraud-score", "inventory-db", "shipping-quote", "catalog-sync", "invoice-render")
"""Services without wiki pages (richness: registry rows and changelog entries)."""
TITLES = {"overview": ("{display}", "{display} overview", "About {slug}",
                       "{display} service guide", "{display}: the basics", "Intro to {slug}"),
          "runbook": ("{display} runbook", "{display} on-call guide", "When {slug} alerts",
                      "{display} incident handbook")}
SECTIONS = {
    "overview": {
        "Dependencies": ("- Reads from {other}.", "- Sends its events to {other}.",
                         "- Needs {other} to be up to start."),
        "Deploying": ("- Deploys go out through the {slug}-release pipeline.",
                      "- Deploy windows are {day} and Thursday mornings.",
                      "- Roll back with the previous image tag; no migration is needed."),
        "Dashboards": ("- Latency and errors: the {slug} board in Grafana.",
                       "- Traffic per client: the {slug}-clients panel.",
                       "- Saturation alerts fire at {n} percent CPU."),
        "Known issues": ("- Cold starts after a deploy take about {n} seconds.",
                         "- Large requests can time out after {n} seconds.",
                         "- Metrics lag by a minute during {day} backups."),
        "Configuration": ("- Settings live in config/{slug}.toml.",
                          "- Feature flags are read every {n} seconds.",
                          "- Secrets come from the vault path kv/{slug}."),
        "Testing": ("- Run the contract tests with make test-{slug}.",
                    "- Staging data is reset every {day}.",
                    "- Load tests run against {slug}.staging.internal."),
    },
    "runbook": {
        "First checks": ("- Look at the {slug} board for error spikes.",
                         "- Check whether {other} is healthy.",
                         "- Read the last deploy's notes in #deploys."),
        "Common alerts": ("- {slug}-latency-high: scale out by {n} pods.",
                          "- {slug}-errors: roll back the last deploy.",
                          "- {slug}-disk: clear the cache volume."),
        "Escalation": ("- Page the owner after {n} minutes without progress.",
                       "- For data loss, call the incident lead at once.",
                       "- Tell #support when customers are affected."),
        "Rollback": ("- Redeploy the previous image tag of {slug}.",
                     "- Rollbacks need no approval during an incident.",
                     "- Confirm the rollback on the {slug} board."),
        "After the incident": ("- Write the review within {n} days.",
                               "- File follow-up tickets in the {slug} project.",
                               "- Update this runbook with what you learned."),
    },
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Friday")
RULES = {"older": "the older page of the two (the one created first; a page's history "
                  "shows when)",
         "index": f"the one the \"{INDEX}\" page links to"}
EXTRA_PAGES = (
    ("Onboarding checklist", ("- Get a laptop from IT.\n- Join #general and #deploys.\n"
                             "- Pair with a buddy for the first week.")),
    ("Coffee rota", "- Whoever empties the machine refills it.\n- Beans are in the cupboard."),
    ("Glossary", "- SLO: the reliability we promise.\n- RFC: a written proposal."),
    ("Incident review template", "- What happened\n- Timeline\n- What we change"),
    ("Team rituals", "- Stand-up at 9:30.\n- Retro every other Friday."),
    ("Writing style guide", "- Short sentences.\n- One idea per page."),
)


class Knobs(BaseModel, frozen=True):
    families: int
    """Sibling pairs of services with pages."""
    runbooks: int
    """Services that also have a runbook page."""
    pairs: int
    """Duplicate pairs to merge."""
    facts: tuple[str, ...]
    """Fact kinds in play: "owner", "version", "limit"."""
    stale: int
    """Stale facts to correct (as many facts only look stale)."""
    rules: tuple[str, ...]
    """Canonical rules drawn from: "older", "index"."""
    exclusion: bool
    """A reply leaves one service (with a duplicate pair and a stale fact) out."""


@dataclass
class Service:
    slug: str
    display: str
    purpose: str
    team: str
    owner: str
    releases: list[str]
    limits: list[int]
    """Rate limits in force, oldest first; the last is today's."""
    former: dict[str, str] = field(default_factory=dict)
    """Values a stale fact shows, by fact kind."""
    trap: dict[str, str] = field(default_factory=dict)
    """Values that only look newer, by fact kind (a planned owner, an rc, a proposal)."""
    trap_kind: dict[str, str] = field(default_factory=dict)
    """How each trap looks newer: "planned", "rc", "rollback" or "proposal"."""
    handed_over: str = ""
    """The owner before a past handover the pages already show."""

    def truth(self, key: str) -> str:
        return {"service": self.slug, "owner": self.owner, "version": self.releases[-1],
                "limit": _limit_text(self.limits[-1])}[key]


@dataclass
class WikiPage:
    title: str
    service: Service | None
    kind: str
    intro: str
    sections: list[tuple[str, list[str]]]
    facts: dict[str, str]
    created: datetime
    id: str = ""
    revised: datetime | None = None

    def body(self, facts: dict[str, str] | None = None,
             extra: Sequence[tuple[str, list[str]]] = ()) -> str:
        shown = {**self.facts, **(facts or {})}
        parts = [f"# {self.title}", "", self.intro]
        if shown:
            parts += ["", "## Facts", *(f"- {LABELS[k]}: {v}" for k, v in shown.items())]
        for heading, lines in [*self.sections, *extra]:
            parts += ["", f"## {heading}", *lines]
        return "\n".join(parts) + "\n"


@dataclass
class Pair:
    canon: WikiPage
    dup: WikiPage
    excluded: bool = False


@dataclass
class Team:
    now: datetime
    me: Person
    lead: Person
    staff: list[Person]
    services: list[Service]
    pages: list[WikiPage]
    pairs: list[Pair]
    rule: str
    stale: list[tuple[WikiPage, Service, str]]
    """The stale facts to correct: (page, its service, fact kind)."""
    excluded: Service | None
    index: WikiPage

    @property
    def merges(self) -> list[Pair]:
        return [p for p in self.pairs if not p.excluded]


def _limit_text(n: int) -> str:
    return f"{n} requests per minute"


@register_family
class WikiMaintenance(TaskFamily[Knobs]):
    """Merge the team wiki's duplicate pages and correct the facts its sources contradict."""

    name = "knowledge/wiki-maintenance"
    version = 1
    apps = ("wiki", "search", "docs", "chat")
    levels = Levels(
        easy=Level(Knobs(families=2, runbooks=1, pairs=1, facts=("owner",), stale=2,
                         rules=("older",), exclusion=False), calls=17, apps=3),
        medium=Level(Knobs(families=3, runbooks=2, pairs=2, facts=("owner", "version"),
                           stale=3, rules=("index",), exclusion=False), calls=50),
        hard=Level(Knobs(families=4, runbooks=3, pairs=3, facts=("owner", "version", "limit"),
                         stale=4, rules=("older", "index"), exclusion=True), calls=65),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(100):
            team = _team(k, rng_for(spec, "core", attempt))
            if team is not None:
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no wiki in 100 attempts")
        rich = rng_for(spec, "distractors")
        docs, opened = _changelog(team, rng_for(spec, "changelog"), spec.richness, rich)
        chat, request = _chat(team, k, spec.richness, rich)
        files = {REGISTRY: _registry(team, rng_for(spec, "registry"), spec.richness, rich)}
        return Task(spec=spec, prompt=_prompt(team), apps=self.apps,
                    template=WorldTemplate(now=team.now, files=files, stores={
                        "wiki": _wiki(team, rng_for(spec, "authors"), spec.richness, rich), "search": docs,
                        "chat": chat}),
                    criteria=_criteria(team), reference=_reference(team, k, request, opened))


# -- the world -------------------------------------------------------------------------------


def _team(k: Knobs, rng: random.Random) -> Team | None:
    now = datetime(2026, 1, 12, 9, tzinfo=UTC) + timedelta(days=rng.randrange(300),
                                                           hours=rng.randrange(8))
    staff = people(rng, 14, "wiki.example")
    me, lead, others = staff[0], staff[1], staff[2:]
    services: list[Service] = []
    for team, *members in rng.sample(FAMILIES, k.families):
        for slug, display, purpose in members:
            major, minor = rng.randint(1, 7), rng.randint(0, 4)
            releases = [f"{major}.{minor + n}" for n in range(rng.randint(2, 3))]
            limits = rng.sample(LIMITS, 2)
            services.append(Service(slug, display, purpose, team, rng.choice(others).name,
                                    releases, limits))
    rng.shuffle(services)
    pages: list[WikiPage] = []
    start = now - timedelta(days=420)

    def made() -> datetime:
        return start + timedelta(days=rng.randrange(390), hours=rng.randrange(8, 18),
                                 minutes=rng.choice((0, 15, 30, 45)))

    titles: set[str] = set()

    def title(kind: str, s: Service) -> str:
        options = [t.format(display=s.display, slug=s.slug) for t in TITLES[kind]]
        free = [t for t in options if t not in titles]
        chosen = rng.choice(free)
        titles.add(chosen)
        return chosen

    def sections(kind: str, s: Service, count: int, skip: frozenset[str] = frozenset()
                 ) -> list[tuple[str, list[str]]]:
        headings = rng.sample(sorted(h for h in SECTIONS[kind] if h not in skip), count)
        other = rng.choice([o.slug for o in services if o is not s])
        return [(h, [line.format(slug=s.slug, other=other, day=rng.choice(DAYS),
                                 n=rng.randint(2, 90))
                     for line in rng.sample(SECTIONS[kind][h], 2)]) for h in headings]

    def facts(kind: str) -> dict[str, str]:
        return {"service": "", "owner": ""} if kind == "runbook" else \
            {"service": "", **{key: "" for key in ("owner", "version", "limit")
                               if key in k.facts}}

    def page(kind: str, s: Service) -> WikiPage:
        intro = (f"{s.slug} {s.purpose}. This page is the overview of the service."
                 if kind == "overview" else
                 f"What to do when {s.slug} pages the on-call engineer.")
        return WikiPage(title(kind, s), s, kind, intro, sections(kind, s, 3), facts(kind),
                        made())

    with_runbook = rng.sample(services, k.runbooks)
    for s in services:
        pages.append(page("overview", s))
        if s in with_runbook:
            pages.append(page("runbook", s))
    rule = rng.choice(k.rules)
    pairs: list[Pair] = []
    for n, s in enumerate(rng.sample(services, k.pairs + k.exclusion)):
        kinds = ["overview", *(["runbook"] if s in with_runbook else [])]
        kind = rng.choice(kinds)
        original = next(p for p in pages if p.service is s and p.kind == kind)
        twin = WikiPage(title(original.kind, s), s, original.kind, original.intro,
                        original.sections[:2], dict(original.facts), made())
        twin.sections += sections(original.kind, s, 1,
                                  frozenset(h for h, _ in original.sections))
        canon, dup = (original, twin) if rng.random() < 0.5 else (twin, original)
        if rule == "older" and canon.created > dup.created:
            canon.created, dup.created = dup.created, canon.created
        if canon.created == dup.created:
            return None
        pages.append(twin)
        pairs.append(Pair(canon, dup, excluded=k.exclusion and n == k.pairs))
    excluded = next((p.canon.service for p in pairs if p.excluded), None)
    dups = {id(p.dup) for p in pairs}
    remaining = [p for p in pages if id(p) not in dups and p.service is not excluded]

    # stale facts, one kind of each first, on distinct (service, kind); then as many traps
    chosen: list[tuple[WikiPage, Service, str]] = []
    slots = [(p, p.service, key) for p in remaining if p.service is not None
             for key in p.facts if key in k.facts]
    rng.shuffle(slots)
    for key in [*k.facts, *(None for _ in range(k.stale))]:
        if len(chosen) == k.stale:
            break
        for p, owner, fact in slots:
            if (key is None or fact == key) and (owner.slug, fact) not in {
                    (c.slug, f) for _, c, f in chosen}:
                chosen.append((p, owner, fact))
                break
    if len(chosen) < k.stale:
        return None
    for _, owner, key in chosen:
        owner.former[key] = _former(owner, key, rng, others)
    if excluded is not None:
        key = rng.choice(list(k.facts))
        excluded.former[key] = _former(excluded, key, rng, others)
    busy = {(owner.slug, key) for _, owner, key in chosen}
    traps = [(s, key) for s in services for key in k.facts
             if s is not excluded and (s.slug, key) not in busy]
    rng.shuffle(traps)
    for s, key in traps[:k.stale]:
        s.trap_kind[key], s.trap[key] = _trap(s, key, rng, others)
    calm = [s for s in services if "owner" not in s.former and "owner" not in s.trap
            and s is not excluded]
    if calm:
        rng.choice(calm).handed_over = rng.choice([o.name for o in others])
    stale_pages = {(id(p), key) for p, _, key in chosen}
    for p in pages:
        about = p.service
        if about is None:
            continue
        for key in p.facts:
            p.facts[key] = about.truth(key)
        for key in about.former:
            if key in p.facts and ((id(p), key) in stale_pages or about is excluded):
                p.facts[key] = about.former[key]
    for pair in pairs:  # the copy shows what the page it was copied from showed
        pair.dup.facts.update({key: v for key, v in pair.canon.facts.items()})
    for p in pages:
        if rng.random() < 0.5:
            p.revised = p.created + timedelta(days=rng.randint(1, 25), hours=rng.randrange(6))
    linked = [p for p in pages if id(p) not in dups] if rule == "index" else \
        [p for p in pages if rng.random() < 0.8]
    if rule == "index":
        pool = [p for p in linked if all(p is not q.canon for q in pairs)]
        linked = [p for p in linked if p not in rng.sample(pool, max(1, len(pool) // 3))]
    index = WikiPage(INDEX, None, "index", "Start here: the pages about our services.",
                     [("Services", [f"- [[{p.title}]]" for p in
                                    sorted(linked, key=lambda p: norm_title(p.title))])],
                     {}, start - timedelta(days=5))
    ids = rng.sample(range(1000, 10000), len(pages) + 1)
    for p, number in zip([*pages, index], ids, strict=True):
        p.id = f"pg{number:04d}"
    if len({norm_title(p.title) for p in pages}) != len(pages):
        return None
    return Team(now, me, lead, others, services, pages, pairs, rule, chosen, excluded, index)


def _former(s: Service, key: str, rng: random.Random, others: list[Person]) -> str:
    if key == "owner":
        return rng.choice([o.name for o in others if o.name != s.owner])
    if key == "version":
        return s.releases[-2]
    return _limit_text(s.limits[-2])


def _trap(s: Service, key: str, rng: random.Random, others: list[Person]) -> tuple[str, str]:
    if key == "owner":
        return "planned", rng.choice([o.name for o in others if o.name != s.owner])
    if key == "version":
        major, minor = s.releases[-1].split(".")
        return rng.choice(("rc", "rollback")), f"{major}.{int(minor) + 1}"
    higher = [n for n in LIMITS if n > s.limits[-1]]
    return "proposal", _limit_text(rng.choice(higher) if higher else s.limits[-1] + 500)


def _wiki(team: Team, authors: random.Random, richness: float, rich: random.Random
          ) -> WikiStore:
    store = WikiStore(me=team.me.name)
    writers = [p.name for p in team.staff]
    core = [*team.pages, team.index]
    extra = rich.sample(EXTRA_PAGES, scaled(richness, len(EXTRA_PAGES)))
    taken = {int(p.id[2:]) for p in core}
    spare = [n for n in range(1000, 10000) if n not in taken]
    made: list[tuple[datetime, str, str, str, datetime | None]] = []
    history: dict[str, str] = {}
    for p in sorted(core, key=lambda p: p.id):  # the core's authors, from a stream of their own
        history[p.id], history[p.id + "r"] = authors.choice(writers), authors.choice(writers)
    for p in core:
        made.append((p.created, p.id, p.title, p.body(), p.revised))
    for (title, text), number in zip(extra, rich.sample(spare, len(extra)), strict=True):
        made.append((team.now - timedelta(days=rich.randrange(20, 400)), f"pg{number:04d}",
                     title, f"# {title}\n\n{text}\n", None))
    for created, ident, title, body, revised in sorted(made, key=lambda m: m[1]):
        author = history.get(ident) or rich.choice(writers)
        if revised is None:
            page = store.add_page(title, body, author, created)
        else:
            lines = body.rstrip("\n").split("\n")
            page = store.add_page(title, "\n".join(lines[:-1]) + "\n", author, created)
            store.add_revision(page.id, body, history.get(ident + "r", author), revised,
                               "add a note")
        page.id = ident
    return store


def _registry(team: Team, rng: random.Random, richness: float, rich: random.Random) -> bytes:
    rows = [(s.slug, s.owner, s.team) for s in team.services]
    names = [p.name for p in team.staff]
    for slug in rich.sample(SPARE, scaled(richness, 6)):
        rows.append((slug, rich.choice(names), rich.choice(("platform", "data", "growth"))))
    day = team.now.date()
    notes: list[tuple[str, str]] = []
    for s in team.services:
        if "owner" in s.former:
            when = day - timedelta(days=rng.randint(3, 300))  # dates tell nothing
            notes.append((when.isoformat(), (f"{when:%Y-%m-%d}: {s.slug} moved from "
                                            f"{s.former['owner']} to {s.owner}.")))
        if s.handed_over:
            when = day - timedelta(days=rng.randint(3, 300))  # dates tell nothing
            notes.append((when.isoformat(), (f"{when:%Y-%m-%d}: {s.slug} moved from "
                                            f"{s.handed_over} to {s.owner}.")))
        if "owner" in s.trap:
            when = day + timedelta(days=rng.randint(7, 40))
            notes.append((when.isoformat(), (f"Planned for {when:%Y-%m-%d}: {s.slug} moves "
                                            f"from {s.owner} to {s.trap['owner']}.")))
    blocks = [DocxBlock.heading("Service registry", 0),
              DocxBlock.paragraph(f"Who owns each service today ({day:%Y-%m-%d}). This "
                                  "registry is the source of truth for ownership."),
              DocxBlock.table([("Service", "Owner", "Team"), *sorted(rows)]),
              DocxBlock.heading("Handovers", 1),
              *(DocxBlock.paragraph(text) for _, text in sorted(notes))]
    return build_docx(blocks)


def _changelog(team: Team, rng: random.Random, richness: float, rich: random.Random
               ) -> tuple[Any, dict[str, list[str]]]:
    """The engineering changelog: releases, rate limits, and what only looks newer; the ids
    of each service's entries (by date) for the reference."""
    entries: list[tuple[str, str, str, str]] = []  # (date, slug, title, text)
    day = team.now.date()
    for s in team.services:
        gap, last = rng.randint(30, 70), rng.randint(4, 70)
        for n, version in enumerate(s.releases):
            when = day - timedelta(days=last + gap * (len(s.releases) - 1 - n))
            note = rng.choice(("It fixes slow start-up.", "It adds metrics.",
                               "It cuts memory use."))
            entries.append((when.isoformat(), s.slug, f"{s.slug} {version} released",
                            f"Version {version} of {s.slug} is live in every region. {note}"))
        changed = rng.randint(4, 70)
        for n, limit in enumerate(s.limits):
            when = day - timedelta(days=changed + (rng.randint(60, 120) if n == 0 else 0))
            entries.append((when.isoformat(), s.slug,
                            f"{s.slug} rate limit now {limit} per minute",
                            (f"From {when:%Y-%m-%d}, {s.slug} accepts {limit} requests per "
                            "minute per client.")))
        # what only looks newer comes after the entry it seems to replace, at any time since
        recent = day - timedelta(days=rng.randint(1, last - 1))
        if s.trap_kind.get("version") == "rc":
            v = s.trap["version"]
            entries.append((recent.isoformat(), s.slug, f"{s.slug} {v}-rc1 ready for testing",
                            (f"A release candidate of {s.slug} {v} is on staging. It is not "
                            f"released; production stays on {s.releases[-1]}.")))
        if s.trap_kind.get("version") == "rollback":
            v = s.trap["version"]
            entries.append(((recent - timedelta(days=1)).isoformat(), s.slug,
                            f"{s.slug} {v} released",
                            (f"Version {v} of {s.slug} is live in every region. It adds "
                            "metrics.")))
            entries.append((recent.isoformat(), s.slug, f"{s.slug} {v} rolled back",
                            (f"{s.slug} {v} was rolled back after a spike in errors; "
                            f"{s.releases[-1]} is the current version again.")))
        if "limit" in s.trap:
            recent = day - timedelta(days=rng.randint(1, changed - 1))
            entries.append((recent.isoformat(), s.slug, (f"Proposal: {s.slug} rate limit "
                            f"{s.trap['limit'].split()[0]} per minute"),
                            (f"We propose raising the {s.slug} rate limit to "
                            f"{s.trap['limit']}. It is under review and not in effect.")))
    docs: list[Document] = []
    used: set[str] = set()
    opened: dict[str, list[str]] = {}
    for dated, slug, title, text in sorted(entries):
        ident = _doc_id(rng, used)
        docs.append(Document(ident, "news", title, CHANGELOG, dated,
                             (Section("Entry", text),), ("Release desk",)))
        opened.setdefault(slug, []).append(ident)
    for slug in rich.sample(SPARE, scaled(richness, 8)):
        when = day - timedelta(days=rich.randint(1, 300))
        ident = _doc_id(rich, used)
        version = f"{rich.randint(1, 9)}.{rich.randint(0, 9)}"
        docs.append(Document(ident, "news", f"{slug} {version} released", CHANGELOG,
                             when.isoformat(), (Section("Entry", f"Version {version} of "
                                                        f"{slug} is live."),),
                             ("Release desk",)))
    return build_search(docs), opened


def _doc_id(rng: random.Random, used: set[str]) -> str:
    while True:
        ident = f"news-{rng.getrandbits(24):06x}"
        if ident not in used:
            used.add(ident)
            return ident


def _chat(team: Team, k: Knobs, richness: float, rich: random.Random) -> tuple[Any, str]:
    lead, me = team.lead, team.me
    store = chat_store(me, [lead, *team.staff], {
        CHANNEL: ("The team wiki and its upkeep", [lead, *team.staff]),
        "general": ("Anything", [lead, *team.staff])})
    facts = {("owner",): "owners", ("owner", "version"): "owners and versions"}.get(
        k.facts, "owners, versions and rate limits")
    asked = team.now - timedelta(hours=3)
    said: list[tuple[datetime, str, Person, str, bool]] = [(asked, CHANNEL, lead, (
        f"Hi @{handle(me)}, could you tidy up the wiki this week?\n"
        f"1. Some pages cover the same topic twice under different titles: the same kind of "
        f"page (overview or runbook) about the same service. Merge each such pair into its "
        f"canonical page, which is {RULES[team.rule]}.\n"
        f"2. Check the {facts} on the service pages against the sources: owners against the "
        f"service registry ({REGISTRY}), versions and rate limits against the engineering "
        f"changelog (search). They say what holds today; correct only what they "
        f"contradict.\n3. Post a summary here when you are done. Thanks!"), False)]
    said.append((asked + timedelta(minutes=9), CHANNEL, team.staff[0],
                 "+1, the duplicates confuse new joiners.", True))
    if team.excluded is not None:
        said.append((asked + timedelta(minutes=17), CHANNEL, lead, (
            f"One thing: please leave the {team.excluded.slug} pages out of this round, "
            f"{team.staff[1].first} is rewriting them next week."), True))
    noise = chatter(rich, "general", team.staff, scaled(richness, 8),
                    team.now - timedelta(days=2), team.now - timedelta(hours=1))
    noise += chatter(rich, CHANNEL, team.staff, scaled(richness, 3),
                     team.now - timedelta(days=4), team.now - timedelta(hours=1))
    said += [(p.at, p.channel, p.author, p.text, False) for p in noise]
    request = ""
    for at, channel, who, text, in_thread in sorted(said, key=lambda m: (m[0], m[3])):
        made = store.add_message(channel, handle(who), text, at,
                                 thread=request if in_thread else None)
        if text.startswith("Hi @"):
            request = made.id
    return store, request


def _prompt(team: Team) -> str:
    return (
        f"You are {team.me.name} (@{handle(team.me)} in chat), who looks after your team's "
        f"wiki. It is now {team.now:%Y-%m-%d %H:%M} UTC. {team.lead.name} asked in "
        f"#{CHANNEL} for a clean-up of the wiki: read the request and its thread and do what "
        f"they ask, with the wiki (wiki), the service registry {REGISTRY} (docs) and the "
        f"engineering changelog (search).\n\n"
        f"To merge a duplicate into its canonical page: add to the canonical page the "
        f"duplicate's ## sections that the canonical page lacks, whole and as they are, then "
        f"replace the duplicate's whole text with the one line #REDIRECT [[<canonical page "
        f"title>]]. Correct a stale fact by changing only the value on its line (such as "
        f"\"- Owner: <name>\"), in the format the line has. Change nothing else: no other "
        f"page or line, no new pages, no moves.\n\n"
        f"When done, post one message in #{CHANNEL} with one line per merge and one per "
        f"corrected fact, and no other lines of these forms:\n"
        f"Merged: <duplicate page title> -> <canonical page title>\n"
        f"Corrected: <page title> | <Owner, Version or Rate limit> | <the new value>")


# -- grading ---------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _value(key: str, text: str) -> str:
    value = _norm(text).rstrip(".").strip()
    if key == "version":
        value = value.removeprefix("v")
    if key == "limit":
        first, _, rest = value.partition(" ")
        if first.isdigit() and rest in ("", "requests per minute", "per minute"):
            value = first
    return value


def _lines(body: str) -> list[str]:
    return [" ".join(line.split()) for line in body.splitlines() if line.strip()]


def _fact(line: str) -> tuple[str, str] | None:
    if not line.startswith(("- ", "* ")):
        return None
    label, colon, value = line[2:].partition(":")
    key = KEYS.get(_norm(label))
    return (key, _value(key, value)) if colon and key else None


def _redirect(lines: list[str]) -> str | None:
    """The title a redirect page points to, or None for a page that is not one."""
    if len(lines) != 1 or not lines[0].casefold().startswith("#redirect"):
        return None
    rest = lines[0][len("#redirect"):].strip()
    if not (rest.startswith("[[") and rest.endswith("]]")):
        return None
    return rest[2:-2].split("|", 1)[0].strip()


@dataclass(frozen=True)
class _Wiki:
    """The wiki at the end, read once per grade."""

    merges: list[tuple[str, ...]]
    facts: list[tuple[str, ...]]
    broken: list[str]
    """Pages that are not duplicates and lost a line other than a fact (or went)."""
    moved: list[str]


def _criteria(team: Team) -> tuple[Criterion, ...]:
    dup_ids = {p.dup.id for p in team.pairs}
    allowed = [("fact", p.dup.id, key, _value(key, p.canon.service.truth(key)))
               for p in team.merges for key in p.dup.facts
               if p.canon.service is not None and key in p.canon.service.former
               and p.dup.facts[key] != p.canon.service.truth(key)]

    def read(ctx: GradeContext) -> _Wiki:
        store = ctx.world.stores.get("wiki")
        if not isinstance(store, WikiStore):
            raise GradeError("the wiki store was replaced")
        dump = ctx.initial.stores.get("wiki")
        start = {p["id"]: p["revisions"][-1] for p in json.loads(dump or "{}").get("pages", [])}
        final = {p.id: p for p in store.pages}
        lines = {ident: _lines(ctx.text(p.body, f"page {ident}")) for ident, p in final.items()}
        before = {ident: _lines(r["body"]) for ident, r in start.items()}
        moved = [ident for ident in final if ident not in start]
        moved += [ident for ident, r in start.items()
                  if ident not in final or final[ident].title != r["title"]]
        if len(store.redirects) != len(json.loads(dump or "{}").get("redirects", [])):
            moved.append("a redirect from a move")
        targets: dict[str, str] = {}
        for ident in start:
            if ident not in final:
                continue
            title = _redirect(lines[ident])
            if title is not None:
                found = store.lookup(title) if title else None
                targets[ident] = found[0].id if found else ""
        merges: list[tuple[str, ...]] = []
        into: dict[str, Counter[str]] = {}
        for ident, target in targets.items():
            if target in start and target not in targets:
                own = set(before[target])
                need = Counter(x for x in before[ident] if x not in own and _fact(x) is None
                               and not x.startswith("# "))
                added = Counter(lines[target]) - Counter(before[target])
                done = all(added[x] == n for x, n in need.items())
                merges.append(("merged" if done else "redirect", ident, target))
                into.setdefault(target, Counter()).update(before[ident])
            else:
                merges.append(("redirect", ident, target or "nowhere"))
        facts: list[tuple[str, ...]] = []
        broken: list[str] = []
        for ident in start:
            if ident not in final or ident in targets:
                if ident not in dup_ids:
                    broken.append(ident)
                continue
            old = {f[0]: f[1] for f in map(_fact, before[ident]) if f}
            new: dict[str, list[str]] = {}
            for line in lines[ident]:
                got = _fact(line)
                if got:
                    new.setdefault(got[0], []).append(got[1])
            for key in sorted(set(old) | set(new)):
                values = new.get(key, [])
                if values == [old.get(key)]:
                    continue
                if not values:
                    facts.append(("fact", ident, key, "<removed>"))
                facts += [("fact", ident, key, v) for v in values if v != old.get(key)]
                if values.count(old.get(key, "")) > 1:
                    facts.append(("fact", ident, key, "<repeated>"))
            kept = set(lines[ident])
            plain = [x for x in before[ident] if _fact(x) is None]
            if ident not in dup_ids and any(x not in kept for x in plain):
                broken.append(ident)
            extra = Counter(x for x in lines[ident] if _fact(x) is None) - Counter(plain) \
                - into.get(ident, Counter())
            if extra:
                merges.append(("added", ident, min(extra)[:80]))
        return _Wiki(merges, facts, broken, moved)

    shared = wc.per_grade(read)
    titles = {p.id: norm_title(p.title) for p in [*team.pages, team.index]}
    merged: list[tuple[str, tuple[str, ...]]] = [(f"merged {p.dup.title} into {p.canon.title}", ("merged", p.dup.id, p.canon.id))
              for p in team.merges]
    corrected: list[tuple[str, tuple[str, ...]]] = [(f"corrected {p.title}: {LABELS[key]}",
                  ("fact", p.id, key, _value(key, owner.truth(key))))
                 for p, owner, key in team.stale]

    def summary(ctx: GradeContext) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        for post in posted(ctx):
            if post.channel != CHANNEL:
                continue
            for line in post.lines():
                label, colon, rest = line.partition(":")
                what = _norm(label)
                if not colon or what not in ("merged", "corrected"):
                    continue
                if what == "merged":
                    dup, arrow, canon = rest.partition("->")
                    found.append(("merged", norm_title(dup), norm_title(canon)) if arrow
                                 else ("malformed", line[:80]))
                    continue
                parts = [x.strip() for x in rest.split("|")]
                key = KEYS.get(_norm(parts[1])) if len(parts) == 3 else None
                found.append(("corrected", norm_title(parts[0]), key, _value(key, parts[2]))
                             if key else ("malformed", line[:80]))
        # a line counts only for what the wiki shows done
        wiki = shared(ctx)
        done: set[tuple[str | None, ...]] = {
            ("merged", titles.get(m[1]), titles.get(m[2])) for m in wiki.merges
            if m[0] == "merged"}
        done |= {("corrected", titles.get(f[1]), f[2], f[3]) for f in wiki.facts}
        return [item if item[0] == "malformed" or item in done else ("not done", *item)
                for item in found]

    lines: list[tuple[str, tuple[str, ...]]] = [(f"summary: Merged {p.dup.title}",
              ("merged", norm_title(p.dup.title), norm_title(p.canon.title)))
             for p in team.merges]
    lines += [(f"summary: Corrected {p.title} {LABELS[key]}",
               ("corrected", norm_title(p.title), key, _value(key, owner.truth(key))))
              for p, owner, key in team.stale]

    def kept(ctx: GradeContext) -> tuple[bool, str]:
        gone = shared(ctx).broken
        return not gone, f"deleted or cut: {', '.join(sorted(gone)[:4])}" if gone else \
            "every page that is not a duplicate keeps its text"

    def not_moved(ctx: GradeContext) -> tuple[bool, str]:
        moved = shared(ctx).moved
        return not moved, f"created, moved or renamed: {', '.join(moved[:4])}" if moved \
            else "no page created, moved or renamed"

    def only_here(ctx: GradeContext) -> tuple[bool, str]:
        elsewhere = [p.id for p in posted(ctx) if p.channel != CHANNEL]
        return not elsewhere, f"posted elsewhere: {', '.join(elsewhere[:3])}" if elsewhere \
            else f"posts only in #{CHANNEL}"

    return (
        *wc.item_credit(merged, lambda ctx: shared(ctx).merges, group="merge", weight=2.0),
        *wc.item_credit(corrected, lambda ctx: shared(ctx).facts, group="correction",
                        weight=2.0, allowed=allowed),
        *wc.item_credit(lines, wc.per_grade(summary), group="summary line"),
        Criterion("pages that are not duplicates keep their text", kept, guard=True),
        Criterion("no page created, moved or renamed", not_moved, guard=True),
        wc.unchanged("the registry unchanged", paths=[REGISTRY]),
        Criterion(f"posts only in #{CHANNEL}", only_here, guard=True),
    )


# -- the reference ---------------------------------------------------------------------------


def _reference(team: Team, k: Knobs, request: str, opened: dict[str, list[str]]
               ) -> tuple[ToolCall, ...]:
    calls = [ToolCall("chat.read_channel", {"channel": f"#{CHANNEL}", "limit": 50}),
             ToolCall("chat.read_thread", {"message_id": request}),
             ToolCall("wiki.list_pages", {"limit": 100})]
    pages = sorted(team.pages, key=lambda p: norm_title(p.title))
    calls += [ToolCall("wiki.read", {"page": p.title}) for p in [team.index, *pages]]
    if team.rule == "older":
        calls += [ToolCall("wiki.history", {"page": p.title})
                  for pair in team.merges for p in (pair.canon, pair.dup)]
    calls.append(ToolCall("docs.read", {"path": REGISTRY, "limit": 200}))
    if {"version", "limit"} & set(k.facts):
        for s in sorted(team.services, key=lambda s: s.slug):
            if s is team.excluded:
                continue
            calls.append(ToolCall("search.search", {"query": s.slug, "limit": 50}))
            calls += [ToolCall("search.open", {"document": d}) for d in opened[s.slug]]
    fixes: dict[int, dict[str, str]] = {}
    for p, owner, key in team.stale:
        fixes.setdefault(id(p), {})[key] = owner.truth(key)
    merged_into = {id(pair.canon): pair for pair in team.merges}
    for p in pages:
        pair = merged_into.get(id(p))
        fix = fixes.get(id(p), {})
        if pair is None and not fix:
            continue
        extra = [s for s in pair.dup.sections if s[0] not in {h for h, _ in p.sections}] \
            if pair else []
        items = tuple(f"- {LABELS[key]}: {v}" for key, v in fix.items()) + tuple(
            line for heading, body in extra for line in (f"## {heading}", *body))
        calls.append(ToolCall("wiki.edit", {"page": p.title, "body": p.body(fix, extra),
                                            "summary": "merge duplicate and fix facts"
                                            if pair else "fix stale facts"},
                              items={"body": items}))
        if pair:
            calls.append(ToolCall("wiki.edit", {
                "page": pair.dup.title, "body": f"#REDIRECT [[{p.title}]]\n",
                "summary": f"merged into {p.title}"}, items={"body": ()}))
    summary = [f"Merged: {pair.dup.title} -> {pair.canon.title}"
               for pair in sorted(team.merges, key=lambda q: norm_title(q.dup.title))]
    summary += [f"Corrected: {p.title} | {LABELS[key]} | {owner.truth(key)}"
                for p, owner, key in team.stale]
    calls.append(ToolCall("chat.post", {"channel": f"#{CHANNEL}",
                                        "text": "Wiki clean-up done.\n" + "\n".join(summary)},
                          items={"text": tuple(summary)}))
    return tuple(calls)
