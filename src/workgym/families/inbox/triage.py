"""inbox/triage: turn a service desk's inbox into tickets, replies and meetings by policy.

Description:
    The agent runs a company service desk's mailbox. The triage policy
    (``policies/triage-policy.md``) maps requests to categories (a tracker project, a
    label, an owner: a named person, or the IT technician or facilities coordinator of the
    sender's office in the directory), priorities from the impact the sender describes
    (one level up for directors and vice presidents), due dates from the priority, answers
    how-to questions that a knowledge-base article covers with the article's id (questions
    no article covers are requests), comments on the existing ticket when a mail replies to
    an already ticketed one, and books a one-hour follow-up meeting for every request that
    asks for one: the earliest slot on the next working days free for the desk, the sender
    and the assignee, in arrival order. Newsletters, marketing, phishing and automatic
    replies are left alone. Hard inboxes hold 40+ mails.

Apps:
    mail, tickets, calendar, contacts, files.

Criteria:
    - ``ticket: <subject>`` (one per request): a new ticket titled with the subject, with
      the right project, priority, assignee, label and due date; precision-aware;
      ``ticket filed: <subject>`` (0.5 each): the right project; ``no other tickets``.
    - ``answer to <sender>`` (one per covered question): an ``Article:`` line with the
      right id; precision-aware; ``no other answers`` (0.5).
    - ``comment on <title>`` (one per thread reply): a new comment on the existing
      ticket; precision-aware.
    - ``follow-up: <subject> time`` and ``... attendees`` (per meeting request).
    - guards: mails, the policy, the directory and existing events unchanged; existing
      tickets changed only by comments; new events only the follow-ups, one each; mail
      only to the people asking questions.

Difficulty:
    Knobs set the requests, the meeting requests, the covered and uncovered questions,
    the thread replies, the mail left alone, the senders who are directors or vice
    presidents, the offices (and zones) and the earlier free slots calendars take.
    Reference calls: easy 24, medium 47, hard 85. ``richness`` adds newsletters,
    marketing, phishing and automatic replies, everyone's events on other days, and
    cancelled events on the meeting days: all drawn without reference to the answer.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.calendar import Attendee, Event
from workgym.apps.contacts import build_contacts
from workgym.apps.tickets import Ticket, TicketsStore
from workgym.content.distractors import scaled, times_in
from workgym.content.mailbox import Mailbox
from workgym.content.meetings import BUSY_TITLES
from workgym.content.people import OFFICES, Person, people
from workgym.content.prose import letter
from workgym.content.scheduling import (
    CLUSTERS,
    HALF,
    EventDraft,
    Meeting,
    Slot,
    calendar_store,
    overlaps,
)
from workgym.content.servicedesk import (
    ARTICLES,
    CATEGORIES,
    IMPACT,
    JUNK,
    LEVELS,
    MEETING_ASKS,
    REQUESTS,
    STAFF_ROLES,
    TEAMS,
    VIP_ROLES,
    Article,
    Category,
    draw,
    subject,
)
from workgym.content.teamwork import earliest_unroomed
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

POLICY = "policies/triage-policy.md"
NAMED = {"Access": "Identity administrator", "Software": "Applications support lead"}


class Knobs(BaseModel, frozen=True):
    requests: int
    """Requests that become tickets (meeting requests included)."""
    meetings: int
    """Requests that ask for a follow-up meeting."""
    questions: int
    """How-to questions an article covers."""
    uncovered: int
    """How-to questions no article covers (tickets)."""
    threads: int
    """Replies to mails that already have a ticket."""
    junk: int
    """Newsletters, marketing, phishing and automatic replies."""
    vips: int
    """Requesters whose role is director or vice president."""
    offices: int
    depth: tuple[int, int]
    """Earlier free slots blocked per meeting (low, high)."""


def _city(zone: str) -> str:
    return zone.rsplit("/", 1)[1].replace("_", " ")


@dataclass
class Request:
    sender: Person
    subject: str
    body: str
    at: datetime
    category: Category
    priority: str
    assignee: Person
    meeting: bool

    def due(self, sla: dict[str, int]) -> str:
        """The due date, ``sla`` days after the day the mail arrived."""
        return (self.at.date() + timedelta(days=sla[self.priority])).isoformat()


def _norm(title: str) -> str:
    return " ".join(title.split()).casefold()


@register_family
class Triage(TaskFamily[Knobs]):
    """Triage a service desk inbox by policy: tickets, article replies, comments, meetings."""

    name = "inbox/triage"
    version = 1
    apps = ("mail", "tickets", "calendar", "contacts", "files")
    levels = Levels(
        easy=Level(Knobs(requests=5, meetings=1, questions=2, uncovered=0, threads=1, junk=2,
                         vips=1, offices=2, depth=(1, 2)), calls=24),
        medium=Level(Knobs(requests=10, meetings=2, questions=4, uncovered=1, threads=2,
                           junk=5, vips=2, offices=2, depth=(1, 3)), calls=47),
        hard=Level(Knobs(requests=20, meetings=3, questions=7, uncovered=2, threads=4, junk=9,
                         vips=4, offices=3, depth=(2, 3)), calls=85),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(100):
            desk = _desk(k, rng_for(spec, "core", attempt))
            if desk is not None:
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no inbox in 100 attempts")
        rich = rng_for(spec, "distractors")
        tickets = desk.tickets
        box = Mailbox(desk.owner)
        for n, (sender, subj, body, at, _) in enumerate(
                desk.mails + _junk(desk, rich, scaled(spec.richness, 10), base=k.junk)):
            box.receive(sender, subj, body, at, key=f"mail-{n}")
        mail, ids = box.build()
        extra = _other_days(desk, spec.richness, rich)
        if desk.schedule(desk.events + extra) != desk.slots:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: distractors changed it")
        zone_of = {_city(z): z for z in OFFICES}
        contacts = build_contacts(
            [{"email": p.email, "name": p.name, "role": p.role, "team": p.team,
              "timezone": p.timezone, "office": p.office} for p in desk.staff],
            [{"name": o, "address": OFFICES[zone_of[o]], "city": o, "timezone": zone_of[o]}
             for o in sorted({p.office for p in desk.staff})])
        reads = sorted(ids.values())
        tags = {ids[f"mail-{n}"]: m[4] for n, m in enumerate(desk.mails)}
        return Task(spec=spec, prompt=_prompt(desk), apps=self.apps,
                    template=WorldTemplate(now=desk.now, files={POLICY: desk.policy.encode()},
                                           stores={"mail": mail, "tickets": tickets,
                                                   "calendar": calendar_store(
                                                       desk.owner, desk.staff, [],
                                                       desk.events + extra),
                                                   "contacts": contacts}),
                    criteria=_criteria(desk, tickets),
                    reference=_reference(desk, tickets, reads, tags))


# -- the desk -------------------------------------------------------------------------------

Mail = tuple[Person | str, str, str, datetime, str]
"""(sender, subject, body, arrival, tag): the tag says what the mail needs ("request 3",
"question 1", "thread 0") or "" for nothing."""


@dataclass
class Desk:
    owner: Person
    staff: list[Person]
    desk: list[Person]
    """The Workplace IT people: tickets can be assigned to them."""
    now: datetime
    requests: list[Request]
    questions: list[tuple[Person, str]]
    """(sender, article id) of each covered question."""
    threads: list[tuple[Person, str, Category, Person, datetime]]
    """(sender, title, category, assignee, created) of each ticketed mail replied to."""
    mails: list[Mail]
    employees: list[Person]
    policy: str = ""
    days: list[date] = field(default_factory=list)
    events: list[EventDraft] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)
    sla: dict[str, int] = field(default_factory=dict)
    """Priority -> days from arrival to due date."""
    articles: dict[str, Article] = field(default_factory=dict)
    tickets: TicketsStore = field(default_factory=TicketsStore)

    def meetings(self) -> list[Request]:
        """The requests that ask for a meeting, in the order their mails arrived."""
        return sorted((r for r in self.requests if r.meeting), key=lambda r: r.at)

    def meeting(self, r: Request) -> Meeting:
        return Meeting(tuple((p.email, p.timezone) for p in (self.owner, r.sender,
                                                             r.assignee)), tuple(self.days), 1)

    def schedule(self, events: list[EventDraft]) -> list[Slot] | None:
        """The follow-ups' slots in arrival order, each booked before the next is sought."""
        booked, slots = list(events), []
        for r in self.meetings():
            store = calendar_store(self.owner, self.staff, [], booked)
            found = earliest_unroomed(store, self.meeting(r), lambda s: True)
            if found is None:
                return None
            slots.append(found)
            booked.append(EventDraft(f"Follow-up: {r.subject}", *found, self.owner,
                                     (Attendee(email=r.sender.email),
                                      Attendee(email=r.assignee.email))))
        return slots


def _desk(k: Knobs, rng: random.Random) -> Desk | None:
    zones = rng.sample(rng.choice([c for c in CLUSTERS if len(c) >= k.offices]), k.offices)
    domain = rng.choice(("example.org", "example.com", "example.net"))
    senders = k.requests + k.uncovered + k.questions + k.threads
    crowd = people(rng, 3 + 2 * k.offices + senders + 10, domain=domain)

    def at(p: Person, zone: str, role: str, team: str) -> Person:
        return replace(p, timezone=zone, office=_city(zone), role=role, team=team)

    owner = at(crowd[0], zones[0], "Service desk coordinator", "Workplace IT")
    named = {c: at(crowd[1 + n], rng.choice(zones), role, "Workplace IT")
             for n, (c, role) in enumerate(NAMED.items())}
    site = {(role, _city(z)): at(crowd[3 + 2 * i + j], z, role, "Workplace IT")
            for i, z in enumerate(zones)
            for j, role in enumerate(("IT technician", "Facilities coordinator"))}
    employees = [at(p, rng.choice(zones), rng.choice(STAFF_ROLES), rng.choice(TEAMS))
                 for p in crowd[3 + 2 * k.offices:]]
    # directors and vice presidents among the requesters, and two more who ask for nothing
    vips = set(rng.sample(range(k.requests + k.uncovered), k.vips)) | {
        len(employees) - 1, len(employees) - 2}
    employees = [replace(p, role=rng.choice(VIP_ROLES)) if n in vips else p
                 for n, p in enumerate(employees)]
    now = datetime.combine(date(2026, 1, 5) + timedelta(days=rng.randrange(0, 300)),
                           time(8, 30), ZoneInfo(owner.timezone))
    while now.weekday() >= 5:
        now += timedelta(days=1)
    # distinct times, so "the order the mails arrived" has no ties
    arrivals = [now - timedelta(days=2) + timedelta(minutes=7) * n
                for n in rng.sample(range(400), senders + k.junk)]

    def assignee(c: Category, sender: Person) -> Person:
        return named[c.name] if c.owner == "named" else site[(
            c.owner.removeprefix("role:"), sender.office)]

    listed = rng.sample(ARTICLES, len(ARTICLES) - max(2, k.uncovered))
    absent = [a for a in ARTICLES if a not in listed]
    ids = [f"KB-{n}" for n in rng.sample(range(1000, 9999), len(listed))]
    desk = Desk(owner, [owner, *named.values(), *site.values(), *employees],
                [owner, *named.values(), *site.values()], now, [], [], [], [], employees)
    articles = dict(zip(ids, listed, strict=True))
    asks = set(rng.sample(range(k.requests), k.meetings))
    for n, sender in enumerate(employees[:k.requests + k.uncovered]):
        if n < k.requests:
            c = rng.choice(CATEGORIES)
            title, text = rng.choice(REQUESTS[c.name])
            values = draw(rng)
            impact = rng.choice(LEVELS)
            subj = subject(title, values)
            body = text.format(**values) + " " + rng.choice(IMPACT[impact]).format(
                team=sender.team, office=sender.office)
        else:
            a = absent[n - k.requests]
            c = next(x for x in CATEGORIES if x.name == a.category)
            (subj, body), impact = a.question, "medium"
        if n in asks:
            body += " " + rng.choice(MEETING_ASKS)
        if subj in desk.subjects:
            return None
        desk.subjects.add(subj)
        priority = LEVELS[min(3, LEVELS.index(impact) + (sender.role in VIP_ROLES))]
        desk.requests.append(Request(sender, subj, body, arrivals[n], c, priority,
                                     assignee(c, sender), n in asks))
        desk.mails.append((sender, subj, letter(rng.choice(("team", "service desk")), body,
                                                sender.first), arrivals[n], f"request {n}"))
    base = k.requests + k.uncovered
    asked = rng.sample(ids, min(len(ids), k.questions))
    for n, sender in enumerate(employees[base:base + k.questions]):
        kb = asked[n % len(asked)]
        subj, body = articles[kb].question
        desk.questions.append((sender, kb))
        desk.mails.append((sender, subj, letter("team", rng.choice(
            ("", "quick question: ", "sorry to bother you, ")) + body, sender.first),
            arrivals[base + n], f"question {n}"))
    base += k.questions
    for n, sender in enumerate(employees[base:base + k.threads]):
        c = rng.choice(CATEGORIES)
        title = subject(rng.choice(REQUESTS[c.name])[0], draw(rng))
        if title in desk.subjects:
            return None
        desk.subjects.add(title)
        desk.threads.append((sender, title, c, assignee(c, sender),
                             now - timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 8))))
        desk.mails.append((sender, f"Re: {title}", letter("team", rng.choice((
            "any news on this? I still need it sorted.", ("a quick follow-up: this is still "
            "open on my side. Could you give me an update?"))), sender.first),
            arrivals[base + n], f"thread {n}"))
    desk.mails += _junk(desk, rng, k.junk, arrivals=arrivals[senders:])
    # older tickets nobody writes about, so the ones replied to are not the only ones
    desk.tickets = _tracker(desk, _old(desk, rng, 2 + k.threads))
    desk.days = _next_days(now, 2)
    desk.policy = _policy(desk, named, articles, rng)
    return desk if _calendars(desk, k, rng) else None


def _next_days(now: datetime, count: int) -> list[date]:
    days: list[date] = []
    day = now.date()
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def _policy(desk: Desk, named: dict[str, Person], articles: dict[str, Article],
            rng: random.Random) -> str:
    desk.sla = {"urgent": 1, "high": rng.choice((2, 3)), "medium": rng.choice((5, 7)),
                "low": rng.choice((10, 14))}
    desk.articles = articles
    owners = {c.name: named[c.name].name if c.owner == "named" else
              f"the {c.owner.removeprefix('role:')} of the sender's office" for c in CATEGORIES}
    rows = "\n".join(f"| {c.name} | {c.covers} | {c.project} | {c.label} | {owners[c.name]} |"
                      for c in CATEGORIES)
    kb = "\n".join(f"| {i} | {a.topic} |" for i, a in sorted(articles.items()))
    return f"""# Service desk triage policy

Every mail in the desk's inbox gets exactly one of the treatments below.

## 1. Requests become tickets

A mail that asks the desk to fix, change or provide something becomes one ticket.

| Category | What belongs here | Project | Label | Assign to |
| --- | --- | --- | --- | --- |
{rows}

Priority starts from the impact the sender describes:

- urgent: many people cannot work (an outage for a whole team or office);
- high: the sender cannot work at all;
- low: the sender says there is no rush;
- medium: anything else.

Senders whose role in the directory is a director or a vice president get one level
higher (low becomes medium, medium high, high urgent; urgent stays urgent).

The due date is the day the mail arrived (as the mailbox dates it) plus {desk.sla['urgent']}
day for urgent, {desk.sla['high']} days for high, {desk.sla['medium']} days for medium and
{desk.sla['low']} days for low tickets.

## 2. How-to questions get an article

A question on how to do something that one of these articles covers gets a reply to
its sender citing the article, and no ticket. A how-to question that no article covers
is a request like any other (section 1), with the category of its topic.

| Article | Topic |
| --- | --- |
{kb}

## 3. Replies to ticketed mails

A reply to a mail that already has a ticket (the ticket's title is the original subject)
gets a comment on that ticket with what the sender adds, and no new ticket.

## 4. Follow-up meetings

When a request asks for a call or a meeting, ticket it as usual and book a one-hour
meeting with the sender and the ticket's assignee, organised by the desk. It goes at the
earliest time on the hour on the next {len(desk.days)} working days after the day of
triage (the desk's time zone) that lies in everyone's working hours (08:00-18:00, in
their own time zone) and is free for the three of you. Book the meetings in the order
their mails arrived.

## 5. Leave alone

Newsletters, marketing, phishing and other spam, and automatic replies: no ticket, no
reply.
"""


def _calendars(desk: Desk, k: Knobs, rng: random.Random) -> bool:
    """Everyone's events on the meeting days, then per meeting the first free slots taken
    (depth); the solver must find the slots the generator meant."""
    zone = ZoneInfo(desk.owner.timezone)
    lo = datetime.combine(desk.days[0], time(0), zone)
    hi = datetime.combine(desk.days[-1] + timedelta(days=1), time(0), zone)
    for when in times_in(rng, lo, hi, 2 * len(desk.staff)):
        desk.events.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HALF * rng.randint(
            1, 3), rng.choice(desk.staff)))
    answers: list[Slot] = []
    for r in desk.meetings():
        crew = (desk.owner, r.sender, r.assignee)
        grid = [s for s in desk.meeting(r).candidates() if not any(
            overlaps(s, a) for a in answers) and not any(
            e.busies(p.email) and overlaps(s, (e.start, e.end))
            for e in desk.events for p in crew)]
        depth = rng.randint(*k.depth)
        if len(grid) <= depth:
            return False
        for slot in grid[:depth]:
            pieces = [(slot[0] + HALF * i, slot[0] + HALF * (i + 1)) for i in range(2)]
            start, end = rng.choice([p for p in pieces if not any(
                overlaps(p, a) for a in [*answers, grid[depth]])] or pieces)
            desk.events.append(EventDraft(rng.choice(BUSY_TITLES), start, end,
                                          rng.choice(crew[1:])))
        answers.append(grid[depth])
    desk.slots = answers
    return desk.schedule(desk.events) == answers


def _old(desk: Desk, rng: random.Random, count: int) -> list[tuple[Person, str, Category,
                                                                   Person, datetime]]:
    """Older tickets nobody writes about, from anyone, on any topic."""
    found = []
    for _ in range(count):
        c = rng.choice(CATEGORIES)
        title = subject(rng.choice(REQUESTS[c.name])[0], draw(rng))
        if title in desk.subjects:
            continue
        desk.subjects.add(title)
        sender = rng.choice(desk.employees)
        site = [p for p in desk.desk[1:] if c.owner == "named" or p.office == sender.office]
        found.append((sender, title, c, rng.choice(site), desk.now - timedelta(
            days=rng.randint(2, 30), hours=rng.randint(0, 8))))
    return found


def _tracker(desk: Desk, extra: list[tuple[Person, str, Category, Person, datetime]],
             ) -> TicketsStore:
    """The tracker: one project per category, the older tickets in the order they came."""
    store = TicketsStore(me=desk.owner.email)
    for p in desk.staff:
        store.add_user(p.email, p.name)
    for c in CATEGORIES:
        store.add_project(c.project, f"{c.name} requests", [p.email for p in desk.desk],
                          description=f"{c.name}: {c.covers}")
    states = ("Backlog", "To Do", "In Progress")
    for sender, title, c, owner, created in sorted(desk.threads + extra, key=lambda t: t[4]):
        store.add_ticket(c.project, title, created, description=f"From {sender.name} "
                         f"<{sender.email}>.", state=states[len(title) % 3],
                         priority=LEVELS[len(sender.name) % 4],  # type: ignore[arg-type]
                         assignee=owner.email, reporter=desk.owner.email, labels=[c.label])
    return store


def _junk(desk: Desk, rng: random.Random, count: int, arrivals: list[datetime] | None = None,
          base: int = 0) -> list[Mail]:
    """Mail the desk leaves alone: newsletters, marketing, phishing, automatic replies."""
    if arrivals is None:
        arrivals = times_in(rng, desk.now - timedelta(days=2), desk.now, count,
                            step=timedelta(minutes=7))
    found: list[Mail] = []
    for n, when in enumerate(arrivals[:count]):
        kinds = len(JUNK) + 1
        if (base + n) % kinds == len(JUNK):
            who = rng.choice(desk.employees)
            back = (when + timedelta(days=rng.randint(3, 10))).date()
            about = rng.choice(("Team update", "Invoice", "Your request", "Weekly report"))
            text = f"I am out of the office until {back:%d %B} with no access to mail."
            found.append((who, f"Automatic reply: {about}", text, when, ""))
            continue
        kind, subj, body = JUNK[(base + n) % kinds]
        values = draw(rng)
        vendor = values["vendor"]
        sender = ("IT Support <it-support@account-verify.example>" if "password" in subj
                  else "Accounts <billing@invoice-notice.example>" if kind == "phishing"
                  else f"{vendor} <news@{vendor.lower()}.example>")
        found.append((sender, subject(subj, values), body.format(**values), when, ""))
    return found


def _other_days(desk: Desk, richness: float, rng: random.Random) -> list[EventDraft]:
    """Events that cannot move a meeting: anyone's on other days, and cancelled events and
    declined invitations of anyone on the meeting days."""
    zone = ZoneInfo(desk.owner.timezone)
    lo = datetime.combine(desk.days[0], time(0), zone)
    hi = datetime.combine(desk.days[-1] + timedelta(days=1), time(0), zone)
    week, found = timedelta(days=7), []
    for when in times_in(rng, lo - week, lo - timedelta(days=1), scaled(richness, 15)) + \
            times_in(rng, hi, hi + week, scaled(richness, 15)):
        found.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HALF * 2,
                                rng.choice(desk.staff)))
    for when in times_in(rng, lo, hi, scaled(richness, 6)):
        found.append(EventDraft(rng.choice(BUSY_TITLES), when, when + HALF * 2,
                                rng.choice(desk.staff), status="cancelled"))
    return found


def _prompt(desk: Desk) -> str:
    o = desk.owner
    return (
        f"You are {o.name} ({o.email}), service desk coordinator, and it is the morning "
        f"triage. Every mail in the desk's inbox is new since the last triage. Treat each "
        f"one as the desk's policy ({POLICY}) says, looking people up in the directory "
        "(contacts) and using the tracker (tickets) and your calendar.\n\n"
        "- A ticket's title is the mail's subject exactly; give it the project, priority, "
        "assignee (their e-mail address), the one label and the due date (YYYY-MM-DD) the "
        "policy says, and put the sender's name and what they wrote in its description.\n"
        "- Answer a question with a reply to its sender holding the line\n"
        "  Article: <article id>\n"
        "  (e.g. Article: KB-1234), and mail no one else.\n"
        "- A comment on an existing ticket repeats what the sender adds.\n"
        "- Title a follow-up meeting \"Follow-up: <the mail's subject>\" and invite the "
        "sender and the assignee (you organise it).\n\n"
        "Do not change existing tickets other than by comments, and do not change or cancel "
        "any event.")


# -- grading and the reference ---------------------------------------------------------------


def _criteria(desk: Desk, tickets: TicketsStore) -> tuple[Criterion, ...]:
    sent = wc.sent_mails()
    thread_ids = [next(t.id for t in tickets.tickets if t.title == title)
                  for _, title, *_ in desk.threads]
    old = {t.id: t for t in tickets.tickets}

    @wc.per_grade
    def filed(ctx: GradeContext) -> list[Ticket]:
        return list(wc.new_records(ctx, "tickets", "tickets"))

    def fields(ctx: GradeContext) -> list[tuple[str, str, str, str, str, str]]:
        return [(_norm(t.title), t.project, t.priority, t.assignee or "", ",".join(t.labels),
                 t.due or "") for t in filed(ctx)]

    def placed(ctx: GradeContext) -> list[tuple[str, str]]:
        return [(_norm(t.title), t.project) for t in filed(ctx)]

    want = [(_norm(r.subject), r.category.project, r.priority, r.assignee.email,
             r.category.label, r.due(desk.sla)) for r in desk.requests]
    answers = [(p.email, kb.casefold()) for p, kb in desk.questions]

    def articles(ctx: GradeContext) -> list[tuple[str, str]]:
        return [(to, v.strip().casefold()) for m in sent(ctx) for to in m.recipients
                if to != desk.owner.email for v in ctx.line_values(m.body, "article")]

    def commented(ctx: GradeContext) -> list[str]:
        now = {t.id: t for t in ctx.world.stores["tickets"].tickets}  # type: ignore[attr-defined]
        return [i for i, t in old.items() if i in now and any(
            c.author == desk.owner.email for c in now[i].comments[len(t.comments):])]

    def kept(ctx: GradeContext) -> tuple[bool, str]:
        now = {t.id: t for t in ctx.world.stores["tickets"].tickets}  # type: ignore[attr-defined]
        skip = {"comments", "history", "updated"}
        bad = [i for i, t in old.items() if i not in now or now[i].model_dump(exclude=skip)
               != t.model_dump(exclude=skip) or now[i].comments[:len(t.comments)] != t.comments]
        return not bad, f"changed beyond comments: {bad[:4]}" if bad else "only comments added"

    @wc.per_grade
    def made(ctx: GradeContext) -> list[Event]:
        return [e for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]

    def meeting(r: Request, slot: Slot) -> list[Criterion]:
        title = f"Follow-up: {r.subject}"

        def find(ctx: GradeContext) -> Event:
            mine = [e for e in made(ctx) if _norm(e.title) == _norm(title)]
            if not mine:
                raise GradeError(f"no event titled {title!r}")
            return next((e for e in mine if (e.start_utc, e.end_utc) == slot), mine[0])

        def timing(ctx: GradeContext) -> tuple[bool, str]:
            e = find(ctx)
            return (e.start_utc, e.end_utc) == slot, f"{e.start}-{e.end}; expected {slot[0]}"

        def crew(ctx: GradeContext) -> tuple[bool, str]:
            got = {a.email.lower() for a in find(ctx).attendees} - {desk.owner.email}
            need = {r.sender.email, r.assignee.email}
            return got == need, f"invited {sorted(got)}, expected {sorted(need)}"

        return [Criterion(f"{title}: time", timing, group="follow-up time"),
                Criterion(f"{title}: attendees", crew, weight=0.5, group="follow-up attendees")]

    def stray(ctx: GradeContext) -> tuple[bool, str]:
        titles = [_norm(e.title) for e in made(ctx)]
        allowed = {_norm(f"Follow-up: {r.subject}") for r in desk.meetings()}
        bad = [t for t in titles if t not in allowed or titles.count(t) > 1]
        return not bad, f"events beyond one per follow-up: {bad[:4]}"

    found, where, said = wc.per_grade(fields), wc.per_grade(placed), wc.per_grade(articles)
    notes = wc.per_grade(commented)
    return (
        *wc.item_credit([(f"ticket: {r.subject}", w) for r, w in zip(desk.requests, want,
                                                                   strict=True)],
                        found, group="ticket right"),
        *wc.item_credit([(f"ticket filed: {r.subject}", w[:1] + w[1:2]) for r, w in zip(
            desk.requests, want, strict=True)], where, group="ticket filed", weight=0.5),
        wc.no_wrong_items("no other tickets", [w[:2] for w in want], where),
        *wc.item_credit([(f"answer to {p.name}", a) for (p, _), a in zip(
            desk.questions, answers, strict=True)], said, group="article answer"),
        wc.no_wrong_items("no other answers", answers, said, weight=0.5),
        *wc.item_credit([(f"comment on {title}", i) for i, (_, title, *_) in zip(
            thread_ids, desk.threads, strict=True)], notes, group="thread comment"),
        *(c for r, slot in zip(desk.meetings(), desk.slots, strict=True)
          for c in meeting(r, slot)),
        Criterion("existing tickets only commented", kept, guard=True),
        Criterion("no stray events", stray, guard=True),
        wc.unchanged("mails, policy, directory and events unchanged", paths=[POLICY],
                     stores=["contacts"], records=[("mail", "messages"),
                                                   ("calendar", "events")]),
        wc.only_recipients("mail only to those who asked",
                           [desk.owner.email, *(p.email for p, _ in desk.questions)]),
    )


def _reference(desk: Desk, tickets: TicketsStore, reads: list[str],
               tags: dict[str, str]) -> tuple[ToolCall, ...]:
    zone = desk.owner.timezone
    calls = [ToolCall("files.read", {"path": POLICY}),
             ToolCall("contacts.search", {"limit": 100}),
             ToolCall("tickets.search", {"limit": 100}),
             ToolCall("mail.search", {"folder": "inbox", "limit": 100})]
    slots = {r.subject: slot for r, slot in zip(desk.meetings(), desk.slots, strict=True)}
    for message in reads:
        calls.append(ToolCall("mail.read", {"message_id": message}))
        kind, _, number = tags.get(message, "").partition(" ")
        if kind == "request":
            r = desk.requests[int(number)]
            calls.append(ToolCall("tickets.create", {
                "project": r.category.project, "title": r.subject,
                "description": f"From {r.sender.name}: {r.body}", "priority": r.priority,
                "assignee": r.assignee.email, "labels": [r.category.label],
                "due": r.due(desk.sla)}, items={"title": (), "due": (), "assignee": ()}))
            if r.meeting:
                slot = slots[r.subject]
                lo = datetime.combine(desk.days[0], time(0), ZoneInfo(zone))
                hi = datetime.combine(desk.days[-1] + timedelta(days=1), time(0),
                                      ZoneInfo(zone))
                calls += [ToolCall("calendar.free_busy", {
                    "calendars": [desk.owner.email, r.sender.email, r.assignee.email],
                    "start": lo.strftime("%Y-%m-%dT%H:%M"),
                    "end": hi.strftime("%Y-%m-%dT%H:%M"), "timezone": zone}),
                    ToolCall("calendar.create_event", {
                        "title": f"Follow-up: {r.subject}",
                        "start": slot[0].astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M"),
                        "end": slot[1].astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M"),
                        "timezone": zone, "attendees": [r.sender.email, r.assignee.email]},
                        items={"start": (), "attendees": ()})]
        elif kind == "question":
            sender, kb = desk.questions[int(number)]
            line = f"Article: {kb}"
            calls.append(ToolCall("mail.reply", {"message_id": message, "body": letter(
                sender.first, "our knowledge base explains it step by step:\n" + line,
                desk.owner.first)}, items={"body": (line,)}))
        elif kind == "thread":
            sender, title, *_ = desk.threads[int(number)]
            ticket = next(t.id for t in tickets.tickets if t.title == title)
            calls.append(ToolCall("tickets.comment", {
                "ticket_id": ticket, "body": f"{sender.name} writes again: the problem "
                "is still there."}, items={"ticket_id": ()}))
    return tuple(calls)
