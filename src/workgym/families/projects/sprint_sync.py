"""projects/sprint-sync: close the sprint by the evidence, carry the rest, tell the team.

Description:
    The agent is a team's engineering manager on the last day of a sprint. The sprint's
    open tickets carry the label ``sprint-<N>``; the wiki's "Definition of Done" says a
    ticket is done when its change was merged (said in the dev channel or in a ticket
    comment) and not reverted since, and, for tickets labelled ``needs-qa``, QA passed it
    in the QA channel after that merge with no failure after the pass. The agent moves
    the done tickets to Done through the workflow, moves the rest to the next sprint
    (label ``sprint-<N+1>`` instead of ``sprint-<N>``), updates the status column of the
    roadmap page from the tickets' states by the page's own rule, books the sprint review
    (the earliest hour on the next sprint's first days that fits the team, the product
    owner and the smallest free room seating them) and posts a summary in the team channel.

Apps:
    tickets, chat, calendar, wiki.

Criteria:
    - ``closed <id>`` (one per done ticket) and ``carried <id>`` (one per other open
      ticket): precision-aware (closing or carrying the wrong ticket cancels credit).
    - ``roadmap: <item>`` (one per row whose status changes): precision-aware;
      ``roadmap: nothing else``.
    - ``post: closed``, ``post: carried over``, ``post: review`` (0.5): the summary's lines.
    - ``review: time`` (weight 2), ``review: attendees``, ``review: room``.
    - guards: tickets outside the sprint unchanged, sprint tickets changed only in state,
      labels and comments; messages, events and other wiki pages unchanged, the roadmap
      changed only in its status cells; one new event, the review.

Difficulty:
    Knobs set the open tickets, the kinds of evidence (merged, in review, still in
    progress, nothing; at medium reverted and QA; at hard re-merged, QA failed and merges
    noted only in comments), the roadmap's items, the team's size and zones, the rooms
    and the earlier free slots calendars take. Reference calls: easy 21-23, medium 27-31,
    hard 35-42. ``richness`` adds chatter, another team's project with its own sprint
    labels, everyone's events on other days, cancelled events and more wiki pages.

Version history:
    v1: first version.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import Event, Room
from workgym.apps.tickets import DEFAULT_TRANSITIONS, Ticket, TicketsStore
from workgym.apps.wiki import WikiStore
from workgym.content.distractors import scaled, times_in
from workgym.content.meetings import BUSY_TITLES, ROOM_NAMES, TEAM_NAMES
from workgym.content.people import Person, people
from workgym.content.scheduling import (
    CLUSTERS,
    HALF,
    EventDraft,
    Meeting,
    Slot,
    block_slots,
    calendar_store,
    earliest,
    overlaps,
    when_line,
    when_lines,
)
from workgym.content.teamwork import (
    WORK_ITEMS,
    Post,
    add_posts,
    chat_store,
    chatter,
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

DOD = "Definition of Done"
ROADMAP_ID = "pg0002"
"""The roadmap's page id (the Definition of Done is made first)."""
STATUS = ("Not started", "In progress", "Done")
EASY = ("merged", "wip", "review", "none")
MEDIUM = (*EASY, "reverted", "qa_passed", "qa_missing")
HARD = (*MEDIUM, "remerged", "qa_failed", "comment")
DONE_KINDS = {"merged", "qa_passed", "remerged", "comment"}
AREAS = ("checkout", "refund", "payout", "webhook", "login", "invoice")


class Knobs(BaseModel, frozen=True):
    open: int
    """Open tickets in the sprint."""
    kinds: tuple[str, ...]
    """Kinds of evidence in play (each used at least once)."""
    items: int
    """Rows of the roadmap's status table."""
    team: int
    """Team members besides the agent (the QA engineer among them)."""
    zones: int
    rooms: int
    depth: int
    """Earlier free slots that calendars take before the review's."""


@dataclass
class Work:
    """One ticket of the project, as generated."""

    title: str
    state: str
    labels: list[str]
    assignee: Person
    created: datetime
    kind: str = ""
    """The evidence, for an open sprint ticket; '' for the others."""
    id: str = ""

    @property
    def done(self) -> bool:
        return self.kind in DONE_KINDS


@dataclass
class Sprint:
    me: Person
    team: list[Person]
    qa: Person
    owner: Person
    """The product owner."""
    others: list[Person]
    name: str
    key: str
    number: int
    now: datetime
    work: list[Work]
    roadmap: list[tuple[str, list[int]]] = field(default_factory=list)
    """(item, indices into work) of each roadmap row."""
    posts: list[Post] = field(default_factory=list)
    comments: list[tuple[int, Person, str, datetime]] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    events: list[EventDraft] = field(default_factory=list)
    days: list[date] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"sprint-{self.number}"

    @property
    def next_label(self) -> str:
        return f"sprint-{self.number + 1}"

    @property
    def dev(self) -> str:
        return f"{self.key.lower()}-dev"

    @property
    def qa_channel(self) -> str:
        return f"{self.key.lower()}-qa"

    @property
    def channel(self) -> str:
        return self.name.lower()

    @property
    def page(self) -> str:
        return f"{self.name} roadmap"

    def open(self) -> list[Work]:
        return [w for w in self.work if w.kind]

    def crew(self) -> list[Person]:
        """The review's participants: you first, the team, the product owner."""
        return [self.me, *self.team, self.owner]

    def meeting(self) -> Meeting:
        return Meeting(tuple((p.email, p.timezone) for p in self.crew()), tuple(self.days), 1)

    def fitting(self) -> list[Room]:
        return sorted((r for r in self.rooms if r.capacity >= len(self.crew())),
                      key=lambda r: (r.capacity, r.name))

    def solve(self, events: list[EventDraft]) -> tuple[Slot, str] | None:
        store = calendar_store(self.me, [*self.crew(), *self.others], self.rooms, events)
        return earliest(store, self.meeting(), lambda s: True, self.fitting())


def _final(w: Work) -> str:
    return "Done" if w.done else w.state


def _status(states: list[str]) -> str:
    if all(s == "Done" for s in states):
        return "Done"
    return "Not started" if all(s in ("Backlog", "To Do") for s in states) else "In progress"


@register_family
class SprintSync(TaskFamily[Knobs]):
    """Close a sprint by the evidence in chat and tickets; roadmap, review and summary."""

    name = "projects/sprint-sync"
    version = 1
    apps = ("tickets", "chat", "calendar", "wiki")
    levels = Levels(
        easy=Level(Knobs(open=4, kinds=EASY, items=2, team=3, zones=2, rooms=3, depth=2),
                   calls=21),
        medium=Level(Knobs(open=7, kinds=MEDIUM, items=3, team=4, zones=2, rooms=4, depth=3),
                     calls=27),
        hard=Level(Knobs(open=11, kinds=HARD, items=4, team=5, zones=3, rooms=5, depth=4),
                   calls=35),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(100):
            s = _sprint(k, rng_for(spec, "core", attempt))
            if s is not None and _calendar(s, k, rng_for(spec, "calendar", attempt)):
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no sprint in 100 attempts")
        answer = s.solve(s.events)
        rich = rng_for(spec, "distractors")
        extra = _other_days(s, spec.richness, rich)
        if answer is None or s.solve(s.events + extra) != answer:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: distractors changed it")
        tickets = _tracker(s, spec.richness, rich)
        chat = chat_store(s.me, [*s.team, s.owner, *s.others], {
            s.dev: (f"{s.name} development", s.team), s.qa_channel: (f"{s.name} QA", s.team),
            s.channel: (f"The {s.name} team", [*s.team, s.owner]),
            "general": ("Everyone", [*s.team, s.owner, *s.others])})
        start = s.now - timedelta(days=13)
        add_posts(chat, s.posts + chatter(rich, s.channel, s.team, scaled(spec.richness, 8),
                                          start, s.now)
                  + chatter(rich, s.dev, s.team, scaled(spec.richness, 6), start, s.now)
                  + chatter(rich, "general", s.others, 2 + scaled(spec.richness, 6), start,
                            s.now))
        return Task(spec=spec, prompt=_prompt(s), apps=self.apps,
                    template=WorldTemplate(now=s.now, stores={
                        "tickets": tickets, "chat": chat, "wiki": _wiki(s, spec.richness, rich),
                        "calendar": calendar_store(s.me, [*s.crew(), *s.others], s.rooms,
                                                   s.events + extra)}),
                    criteria=_criteria(s, answer), reference=_reference(s, answer))


# -- the sprint -----------------------------------------------------------------------------


def _sprint(k: Knobs, rng: random.Random) -> Sprint | None:
    zones = rng.sample(rng.choice([c for c in CLUSTERS if len(c) >= k.zones]), k.zones)
    domain = rng.choice(("example.org", "example.com", "example.net"))
    crowd = [replace(p, timezone=rng.choice(zones)) for p in people(rng, k.team + 8, domain)]
    me = replace(crowd[0], timezone=zones[0], role="Engineering manager")
    team = crowd[1:1 + k.team]
    qa = team[-1]
    name = rng.choice(TEAM_NAMES)
    key = name[:3].upper()
    now = datetime.combine(date(2026, 1, 9) + timedelta(weeks=rng.randrange(0, 44)),
                           time(10), ZoneInfo(me.timezone))  # a Friday
    s = Sprint(me, team, qa, crowd[1 + k.team], crowd[2 + k.team:], name, key,
               rng.randint(8, 30), now, [])
    devs = team[:-1]
    titles = rng.sample(WORK_ITEMS, k.open + 9)
    kinds = [*k.kinds, *(rng.choice(k.kinds) for _ in range(k.open - len(k.kinds)))][:k.open]
    rng.shuffle(kinds)
    if not any(x in DONE_KINDS for x in kinds) or all(x in DONE_KINDS for x in kinds):
        return None
    start = now - timedelta(days=11, hours=1)
    for n, kind in enumerate(kinds):
        # a state is no evidence: done work may never have left To Do, and the reverse
        state = rng.choice({"none": ("To Do", "To Do", "In Progress"),
                            "wip": ("In Progress", "To Do"), "review": ("In Review",)}.get(
            kind, ("To Do", "In Progress", "In Review", "In Review")))
        labels = [s.label, rng.choice(("api", "ui", "backend", "infra"))] + (
            ["needs-qa"] if kind.startswith("qa") else [])
        s.work.append(Work(titles[n], state, labels, rng.choice(devs),
                           start + timedelta(minutes=7 * n), kind))
    # the sprint's tickets done before today, the last sprint's, and the backlog
    for n, title in enumerate(titles[k.open:]):
        state, labels, created = (
            ("Done", [s.label], start + timedelta(minutes=3 * n + 1)) if n < 2 else
            ("Done", [f"sprint-{s.number - 1}"], start - timedelta(days=14 - n)) if n < 5
            else ("Backlog" if n < 8 else "To Do", [], start - timedelta(days=20 + n)))
        s.work.append(Work(title, state, labels + [rng.choice(("api", "ui", "backend"))],
                           rng.choice(devs), created))
    s.work.sort(key=lambda w: w.created)
    for n, w in enumerate(s.work, 1):
        w.id = f"{key}-{n}"
    for w in s.open():
        _evidence(s, w, start, rng)
    picks = list(range(len(s.work)))
    rng.shuffle(picks)
    for n, item in enumerate(rng.sample(ITEMS, k.items)):
        s.roadmap.append((item, sorted(picks[3 * n:3 * n + rng.randint(2, 3)])))
    before = [_status([s.work[i].state for i in rows]) for _, rows in s.roadmap]
    after = [_status([_final(s.work[i]) for i in rows]) for _, rows in s.roadmap]
    return s if before != after else None


ITEMS = ("Partial refunds", "Faster checkout", "Payout reports", "Webhook reliability",
         "Single sign-on", "Invoice exports", "Mobile wallet", "Fraud rules", "Dark mode")


def _evidence(s: Sprint, w: Work, start: datetime, rng: random.Random) -> None:
    """The chat messages and comments that say where an open ticket stands, in time order."""
    times = sorted(times_in(rng, start + timedelta(days=1), s.now - timedelta(hours=1), 4,
                            step=timedelta(minutes=13)))
    area = rng.choice(AREAS)

    def dev(text: str, at: datetime) -> None:
        s.posts.append(Post(s.dev, w.assignee, text, at))

    def qa(text: str, at: datetime) -> None:
        s.posts.append(Post(s.qa_channel, s.qa, text, at))

    merged = rng.choice((f"{w.id} is merged to main.", f"Merged {w.id} ({w.title}).",
                         f"{w.id}: merged, it goes out with the next release."))
    if w.kind != "none" and rng.random() < 0.5 and w.kind != "wip":
        dev(rng.choice((f"{w.id} is up for review.", (f"Opened the merge request for {w.id}, "
                        "reviews welcome."))), times[0])
    if w.kind == "wip":
        dev(rng.choice((f"Still working on {w.id}; it needs a few more days.",
                        f"{w.id} is taking longer than planned, still coding.")), times[1])
    elif w.kind == "review":
        dev(f"{w.id} is up for review.", times[1])
    elif w.kind == "comment":
        s.comments.append((s.work.index(w), w.assignee, f"Merged in !{rng.randint(100, 999)}.",
                           times[1]))
    elif w.kind != "none":
        dev(merged, times[1])
    if w.kind in ("reverted", "remerged"):
        dev(f"Reverted {w.id}: it broke the {area} tests.", times[2])
    if w.kind == "remerged":
        dev(f"Re-merged {w.id} with the fix for the {area} tests.", times[3])
    if w.kind in ("qa_passed", "qa_failed") or (w.kind == "merged" and rng.random() < 0.3):
        qa(rng.choice((f"QA passed for {w.id}.", f"{w.id} tested on staging: QA passed.")),
           times[2])
    if w.kind == "qa_failed":
        qa(f"QA failed for {w.id}: the {area} flow shows a blank page.", times[3])
    if rng.random() < 0.3:
        s.comments.append((s.work.index(w), w.assignee, rng.choice((
            "Started on this.", "Pairing on this tomorrow.", "Design notes are on the wiki.")),
            times[0] - timedelta(hours=2)))


def _calendar(s: Sprint, k: Knobs, rng: random.Random) -> bool:
    """Rooms and everyone's events on the review days; the first free slots taken."""
    zone = ZoneInfo(s.me.timezone)
    day = s.now.date()
    while len(s.days) < 2:
        day += timedelta(days=1)
        if day.weekday() < 5:
            s.days.append(day)
    seats = len(s.crew())
    names = rng.sample(ROOM_NAMES, k.rooms)
    caps = [rng.randint(2, seats + 3) for _ in names[1:]] + [seats + rng.randint(0, 3)]
    domain = s.me.email.split("@")[1]
    s.rooms = [Room(name=n, address=f"room.{n.lower()}@{domain}", capacity=c,
                    timezone=s.me.timezone) for n, c in zip(names, caps, strict=True)]
    lo = datetime.combine(s.days[0], time(0), zone)
    hi = datetime.combine(s.days[-1] + timedelta(days=1), time(0), zone)
    everyone = [*s.crew()[1:], *s.others]
    for when in times_in(rng, lo, hi, 2 * len(everyone)):
        s.events.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HALF * rng.randint(
            1, 3), rng.choice(everyone)))
    fits = [r.name for r in s.fitting()]

    def free(slot: Slot) -> bool:
        hits = [e for e in s.events if overlaps(slot, (e.start, e.end))]
        return not any(e.busies(p.email) for e in hits for p in s.crew()) and any(
            not any(e.room == r and e.status == "confirmed" for e in hits) for r in fits)

    grid = [slot for slot in s.meeting().candidates() if free(slot)]
    if len(grid) <= k.depth or not fits:
        return False
    if not block_slots(s.events, grid[:k.depth], [grid[k.depth]], s.crew(), fits, s.others, 1,
                       rng):
        return False
    found = s.solve(s.events)
    return found is not None and found[0] == grid[k.depth]


def _other_days(s: Sprint, richness: float, rng: random.Random) -> list[EventDraft]:
    """Anyone's events on the days around the review's, and cancelled ones on them."""
    zone = ZoneInfo(s.me.timezone)
    lo = datetime.combine(s.days[0], time(0), zone)
    hi = datetime.combine(s.days[-1] + timedelta(days=1), time(0), zone)
    everyone, found = [*s.crew()[1:], *s.others], []
    for when in times_in(rng, lo - timedelta(days=3), lo, scaled(richness, 10)) + times_in(
            rng, hi, hi + timedelta(days=5), scaled(richness, 10)):
        found.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HALF * 2,
                                rng.choice(everyone)))
    for when in times_in(rng, lo, hi, scaled(richness, 5)):
        found.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HALF * 2,
                                rng.choice(everyone), status="cancelled"))
    return found


def _tracker(s: Sprint, richness: float, rng: random.Random) -> TicketsStore:
    store = TicketsStore(me=s.me.email)
    for p in [s.me, *s.team, s.owner, *s.others]:
        store.add_user(p.email, p.name)
    store.add_project(s.key, s.name, [s.me.email, *(p.email for p in s.team)],
                      description=f"The {s.name} team's work")
    for w in s.work:
        store.add_ticket(s.key, w.title, w.created, description=f"{w.title}.", state=w.state,
                         assignee=w.assignee.email, reporter=s.me.email, labels=w.labels)
    for index, who, text, at in sorted(s.comments, key=lambda c: c[3]):
        store.add_comment(s.work[index].id, who.email, text, at)
    if richness >= 0.5:  # another team's project, its own sprint labels
        store.add_project("OPS", "Operations", [p.email for p in s.others[:3]])
        for title in rng.sample(WORK_ITEMS, scaled(richness, 8)):
            store.add_ticket("OPS", title, s.now - timedelta(days=rng.randint(1, 20)),
                             state=rng.choice(("To Do", "In Progress", "Done")),
                             assignee=rng.choice(s.others[:3]).email,
                             labels=[f"sprint-{s.number + rng.choice((-1, 0, 1))}"])
    return store


def _table(s: Sprint, final: bool) -> list[str]:
    rows = ["| Item | Tickets | Status |", "| --- | --- | --- |"]
    for item, picked in s.roadmap:
        states = [(_final(s.work[i]) if final else s.work[i].state) for i in picked]
        rows.append(f"| {item} | {', '.join(s.work[i].id for i in picked)} | "
                    f"{_status(states)} |")
    return rows


def _page(s: Sprint, final: bool) -> str:
    return "\n".join([
        f"# {s.name} roadmap", "", f"Product owner: {s.owner.name}", "",
        ("Each item's status follows its tickets: Done when all of them are Done, Not "
        "started when none has left Backlog or To Do, In progress otherwise."), "",
        *_table(s, final), "", f"Questions about the roadmap go to #{s.channel}."])


def _wiki(s: Sprint, richness: float, rng: random.Random) -> WikiStore:
    wiki = WikiStore(me=s.me.name)
    made = s.now - timedelta(days=90)
    wiki.add_page(DOD, "\n".join([
        f"# Definition of Done ({s.name} team)", "",
        "A ticket is done when both hold:", "",
        (f"1. Its change is merged: someone said so in #{s.dev} or in a comment on the "
        "ticket, and it was not reverted after its last merge (a re-merge after a revert "
        "counts as a merge)."),
        ("2. If it has the label needs-qa: QA passed it in "
        f"#{s.qa_channel} after its last merge, and no QA failure was reported after that "
        "pass."), "", "Anything else is not done, whatever state the ticket is in."]),
        s.me.name, made)
    page = wiki.add_page(s.page, _page(s, False).replace(s.owner.name, s.me.name),
                         s.me.name, made + timedelta(days=10))
    wiki.add_revision(page.id, _page(s, False), s.owner.name, s.now - timedelta(days=12),
                      "product owner and statuses for this sprint")
    pages = [("Release process", "Releases go out on Tuesdays after the QA sign-off."),
             ("On-call", f"The {s.name} on-call rotation is in the calendar."),
             ("Team agreements", "Stand-up at 09:30, demos on Fridays."),
             ("Onboarding", f"Ask in #{s.channel} for access to the repositories.")]
    for title, body in pages[:scaled(richness, len(pages))]:
        wiki.add_page(title, body, rng.choice(s.team).name, made + timedelta(
            days=rng.randint(0, 60)))
    return wiki


def _prompt(s: Sprint) -> str:
    return (
        f"You are {s.me.name} ({s.me.email}), engineering manager of the {s.name} team. "
        f"Sprint {s.number} ends today.\n\n"
        f"1. Close the sprint. Every open ticket of the {s.key} project labelled {s.label} "
        f"that is done by the team's \"{DOD}\" (wiki) goes to Done, through the workflow's "
        f"states. Every other open {s.key} ticket labelled {s.label} moves to the next "
        "sprint: replace its label "
        f"{s.label} with {s.next_label} and leave its state. The evidence is in "
        f"#{s.dev}, #{s.qa_channel} and the tickets' comments.\n"
        f"2. Update the Status column of the wiki page \"{s.page}\" by the rule on that "
        "page, from the tickets' states once step 1 is done. Change nothing else there.\n"
        f"3. Book the sprint review, titled \"Sprint {s.number} review\", lasting one hour "
        "and starting on the hour, on the first two working days of the next sprint (your "
        "time zone): the earliest time within everyone's working hours (08:00-18:00, Monday "
        "to Friday, in their own time zone) that is free for you, the team (the members of "
        f"the {s.key} project) and the product owner (named on the roadmap page), in the "
        "smallest room that is free then and seats all of you (if two are equally small, "
        "the first by name). Invite the team and the product owner.\n"
        f"4. Post one message in #{s.channel} with these lines:\n"
        "   Closed: <the ids of the tickets you moved to Done, comma-separated>\n"
        f"   Carried over: <the ids of the tickets moved to sprint {s.number + 1}>\n"
        "   Review: YYYY-MM-DD HH:MM-HH:MM <IANA time zone> (the review, in your zone)\n\n"
        "Do not change other tickets, pages or events.")


# -- grading and the reference ---------------------------------------------------------------


def _cells(line: str) -> list[str] | None:
    text = line.strip()
    if not text.startswith("|") or len(text) > 2000:
        return None
    return [" ".join(c.split()) for c in text.strip("|").split("|")]


def _rows(body: str) -> list[tuple[str, str]]:
    """(item, status) of the status table's rows, case-folded."""
    found, seen = [], False
    for line in body.splitlines():
        cells = _cells(line)
        if cells is None or set("".join(cells)) <= set("-: "):
            continue
        if not seen:
            seen = cells[0].casefold() == "item"
            continue
        found.append((cells[0].casefold(), cells[2].casefold() if len(cells) > 2 else ""))
    return found


def _frame(body: str) -> list[str]:
    """The page with the status cells left out, blank lines dropped."""
    out = []
    for line in body.splitlines():
        cells = _cells(line)
        if cells is not None and len(cells) >= 3:
            out.append(" | ".join(cells[:2] + cells[3:]))
        elif line.strip():
            out.append(" ".join(line.split()))
    return out


def _ids(text: str) -> frozenset[str] | None:
    parts = [p.strip().upper() for p in text.split(",") if p.strip()]
    return frozenset(parts) if len(set(parts)) == len(parts) else None


def _criteria(s: Sprint, answer: tuple[Slot, str]) -> tuple[Criterion, ...]:
    opened = {w.id for w in s.open()}
    done = [w.id for w in s.open() if w.done]
    carried = [w.id for w in s.open() if not w.done]
    title = f"Sprint {s.number} review"

    def final(ctx: GradeContext) -> list[Ticket]:
        store = ctx.world.stores["tickets"]
        return list(store.tickets) if isinstance(store, TicketsStore) else []

    def closed(ctx: GradeContext) -> list[str]:
        return [t.id for t in final(ctx) if t.id in opened and t.state == "Done"]

    def moved(ctx: GradeContext) -> list[str]:
        return [t.id for t in final(ctx) if t.id in opened and s.next_label in t.labels
                and s.label not in t.labels]

    plain = _page(s, False)

    @wc.per_grade
    def body(ctx: GradeContext) -> str:
        wiki = ctx.world.stores["wiki"]
        page = wiki.page(ROADMAP_ID) if isinstance(wiki, WikiStore) else None
        if page is None:
            raise GradeError(f"the page {s.page!r} is gone")
        return ctx.text(page.body, s.page, 60_000)

    def rows(ctx: GradeContext) -> list[tuple[str, str]]:
        return _rows(body(ctx))

    before = [(i.casefold(), x.casefold()) for i, x in _rows_of(s, False)]
    after = [(i.casefold(), x.casefold()) for i, x in _rows_of(s, True)]
    changed = [a for a, b in zip(after, before, strict=True) if a != b]
    same = [a for a, b in zip(after, before, strict=True) if a == b]

    def frame(ctx: GradeContext) -> tuple[bool, str]:
        ok = _frame(body(ctx)) == _frame(plain)
        return ok, "only status cells changed" if ok else "the page changed beyond its statuses"

    def kept(ctx: GradeContext) -> tuple[bool, str]:
        loose = {"state", "labels", "comments", "history", "updated"}
        was = {t["id"]: t for t in json.loads(ctx.initial.stores["tickets"])["tickets"]}
        bad = []
        for t in final(ctx):
            old = was.get(t.id)
            if old is None:
                continue
            now = t.model_dump(mode="json")
            if t.id not in opened:
                ok = now == old
            else:  # moved and labelled, perhaps commented; nothing else
                ok = ({k: v for k, v in now.items() if k not in loose}
                      == {k: v for k, v in old.items() if k not in loose}
                      and now["comments"][:len(old["comments"])] == old["comments"])
            bad += [] if ok else [t.id]
        return not bad, f"changed: {bad[:4]}" if bad else "only the sprint's tickets moved"

    @wc.per_grade
    def lines(ctx: GradeContext) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for post in posted(ctx):
            if post.channel == s.channel:
                for key in ("closed", "carried over", "review"):
                    found.setdefault(key, []).extend(ctx.line_values(post.text, key))
        return found

    def stated(key: str, accept: Callable[[str], bool], expected: str) -> Criterion:
        def check(ctx: GradeContext) -> tuple[bool, str]:
            got = lines(ctx).get(key, [])
            return bool(got) and all(accept(v) for v in got), (f"{key}: {got[:2]}; expected " \
                f"{expected}")
        return Criterion(f"post: {key}", check, weight=1.0 if key != "review" else 0.5)

    review = when_lines([when_line(answer[0], s.me.timezone)])

    @wc.per_grade
    def made(ctx: GradeContext) -> list[Event]:
        return [e for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]

    def event(ctx: GradeContext) -> Event:
        mine = [e for e in made(ctx) if " ".join(e.title.split()).casefold() == title.casefold()]
        if not mine:
            raise GradeError(f"no event titled {title!r}")
        return mine[0]

    def timing(ctx: GradeContext) -> tuple[bool, str]:
        e = event(ctx)
        return (e.start_utc, e.end_utc) == answer[0], f"{e.start}-{e.end}"

    def invited(ctx: GradeContext) -> tuple[bool, str]:
        got = {a.email.lower() for a in event(ctx).attendees} - {s.me.email}
        want = {p.email for p in s.crew()[1:]}
        return got == want, f"missing {sorted(want - got)}, extra {sorted(got - want)}"

    def room(ctx: GradeContext) -> tuple[bool, str]:
        e = event(ctx)
        return e.room == answer[1], f"{e.room!r}, expected {answer[1]!r}"

    def single(ctx: GradeContext) -> tuple[bool, str]:
        return len(made(ctx)) <= 1, f"new events: {[e.id for e in made(ctx)]}"

    def others(ctx: GradeContext) -> tuple[bool, str]:
        dump = json.loads(ctx.initial.stores["wiki"])
        now = ctx.world.stores["wiki"].model_dump(mode="json")
        same_pages = [p for p in now["pages"] if p["id"] != ROADMAP_ID] == [
            p for p in dump["pages"] if p["id"] != ROADMAP_ID]
        ok = same_pages and now["redirects"] == dump["redirects"]
        return ok, "other pages unchanged" if ok else "other wiki pages changed"

    return (
        *wc.item_credit([(f"closed {i}", i) for i in done], wc.per_grade(closed),
                        group="ticket closed"),
        *wc.item_credit([(f"carried {i}", i) for i in carried], wc.per_grade(moved),
                        group="ticket carried over"),
        *wc.item_credit([(f"roadmap: {i}", (i, x)) for i, x in changed], wc.per_grade(rows),
                        group="roadmap status", allowed=same),
        wc.no_wrong_items("roadmap: nothing else", changed, wc.per_grade(rows), allowed=same),
        stated("closed", lambda v: _ids(v) == frozenset(done), ", ".join(done)),
        stated("carried over", lambda v: _ids(v) == frozenset(carried), ", ".join(carried)),
        stated("review", lambda v: when_lines([f"When: {v}"]) == review, review[0]),
        Criterion("review: time", timing, weight=2.0),
        Criterion("review: attendees", invited),
        Criterion("review: room", room),
        Criterion("tickets outside the sprint unchanged", kept, guard=True),
        Criterion("roadmap changed only in its statuses", frame, guard=True),
        Criterion("other wiki pages unchanged", others, guard=True),
        Criterion("one new event", single, guard=True),
        wc.unchanged("messages and events unchanged", records=[("chat", "messages"),
                                                                 ("calendar", "events")]),
    )


def _rows_of(s: Sprint, final: bool) -> list[tuple[str, str]]:
    return [(r.split(" | ")[0].strip("| "), r.rsplit(" | ", 1)[1].strip("| "))
            for r in _table(s, final)[2:]]


def _path(state: str) -> list[str]:
    """The states from ``state`` to Done along the default workflow (breadth first)."""
    paths = {state: [state]}
    queue = [state]
    while queue:
        here = queue.pop(0)
        for nxt in DEFAULT_TRANSITIONS[here]:
            if nxt not in paths:
                paths[nxt] = [*paths[here], nxt]
                queue.append(nxt)
    return paths["Done"][1:]


def _reference(s: Sprint, answer: tuple[Slot, str]) -> tuple[ToolCall, ...]:
    zone = ZoneInfo(s.me.timezone)

    def local(t: datetime) -> str:
        return t.astimezone(zone).strftime("%Y-%m-%dT%H:%M")

    calls = [ToolCall("wiki.read", {"page": DOD}), ToolCall("wiki.read", {"page": s.page}),
             ToolCall("tickets.search", {"project": s.key, "limit": 100}),
             *(ToolCall("tickets.get", {"ticket_id": w.id}) for w in s.open()),
             ToolCall("chat.read_channel", {"channel": f"#{s.dev}", "limit": 100}),
             ToolCall("chat.read_channel", {"channel": f"#{s.qa_channel}", "limit": 100})]
    for w in s.open():
        if w.done:
            steps = _path(w.state)
            calls += [ToolCall("tickets.transition", {"ticket_id": w.id, "state": st},
                               items={"ticket_id": ()} if st == "Done" else {})
                      for st in steps]
        else:
            calls.append(ToolCall("tickets.update", {
                "ticket_id": w.id, "add_labels": [s.next_label], "remove_labels": [s.label]},
                items={"ticket_id": ()}))
    table = _table(s, True)
    changed = [r for r, b in zip(table, _table(s, False), strict=True) if r != b]
    calls.append(ToolCall("wiki.edit", {"page": s.page, "body": _page(s, True),
                                        "summary": f"Statuses after sprint {s.number}",
                                        "base_revision": 2}, items={"body": tuple(changed)}))
    lo = datetime.combine(s.days[0], time(0), zone)
    hi = datetime.combine(s.days[-1] + timedelta(days=1), time(0), zone)
    crew = [p.email for p in s.crew()]
    calls += [ToolCall("tickets.get_project", {"project": s.key}),
              ToolCall("chat.list_users", {"query": s.owner.name}),
              ToolCall("calendar.free_busy", {"calendars": crew, "start": local(lo),
                                              "end": local(hi), "timezone": s.me.timezone}),
              ToolCall("calendar.list_rooms", {"min_capacity": len(crew)}),
              ToolCall("calendar.free_busy", {"calendars": [r.name for r in s.fitting()],
                                              "start": local(lo), "end": local(hi),
                                              "timezone": s.me.timezone}),
              ToolCall("calendar.create_event", {
                  "title": f"Sprint {s.number} review", "start": local(answer[0][0]),
                  "end": local(answer[0][1]), "timezone": s.me.timezone,
                  "attendees": crew[1:], "room": answer[1]},
                  items={"start": (), "attendees": (), "room": ()})]
    done = ", ".join(w.id for w in s.open() if w.done)
    rest = ", ".join(w.id for w in s.open() if not w.done)
    summary = [f"Closed: {done}", f"Carried over: {rest}",
               f"Review: {when_line(answer[0], s.me.timezone).removeprefix('When: ')}"]
    calls.append(ToolCall("chat.post", {"channel": f"#{s.channel}", "text": "\n".join(
        [f"Sprint {s.number} is closed.", *summary])}, items={"text": tuple(summary)}))
    return tuple(calls)
