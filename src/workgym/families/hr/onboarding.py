"""hr/onboarding: add the people who accepted an offer, their checklists, accounts
tickets, welcome letters and first week's meetings.

Description:
    The HR coordinator's inbox holds the recruiters' mails: offers accepted (title,
    department's manager, start date, hourly rate, contract hours), start dates moved by a
    later mail, candidates who withdrew after accepting, and offers still waiting for an
    answer. For each person who is joining, the agent adds them to the HR portal (work
    address ``first.last@staff.example``), starts their onboarding checklist from the
    template their title calls for (``Engineering`` for a title ending in "Engineer",
    ``General`` otherwise), opens an accounts ticket in the IT tracker for the person the
    IT project names, schedules the manager's tasks of the first week (the checklist's
    Manager tasks due from the start date to four days later) as half-hour meetings at the
    manager's first free half hour from 09:00 that day, and writes a welcome letter from
    the template ``templates/Welcome letter.docx`` with its placeholders filled.

    The variant chooses the surface for the portal: ``default`` its tools (the API),
    ``browser`` its website in the browser app (the GUI); both change the same HR store,
    so one grader serves both.

Apps:
    hr (default) or browser (variant ``browser``), mail, docs, tickets, calendar.

Criteria:
    - ``employee <name>``: the new employee record (name, address, start date,
      department, title, manager, rate, hours); precision-aware over every employee added.
    - ``checklist <name>``: a checklist from the right template; precision-aware.
    - ``ticket <name>``: the IT ticket (title, assignee, due date, the e-mail and start
      date lines); precision-aware over every ticket opened.
    - ``meeting <name>: <task>``: the meeting (title, start, end, attendees);
      precision-aware over every event created.
    - ``welcome <name> paragraph <n>``: each paragraph of the letter, filled in;
      ``welcome letter <name>``: letters only for the people joining.
    - guards: existing employees, leave, timesheets, checklists, tickets, events, mails
      and the template unchanged; no other file changed.

Difficulty:
    Knobs set the people joining, the start dates moved and the candidates who withdrew.
    Reference calls (API): easy 14, medium 25, hard 35 (the browser takes more).
    ``richness`` adds offers still waiting, everyday mails, IT tickets and managers'
    events.

Version history:
    v1: first version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps import dispatch, parse_url, render
from workgym.apps.calendar import CalendarPerson, CalendarStore
from workgym.apps.docs import DocxBlock, build_docx
from workgym.apps.hr import Employee, HrStore, add_employee, start_onboarding
from workgym.apps.tickets import TicketsStore
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.hr import TEMPLATES, hr_store
from workgym.content.mailbox import Mailbox
from workgym.content.meetings import BUSY_TITLES, long_date
from workgym.content.people import Person, people
from workgym.content.prose import bullets, letter
from workgym.core import (
    Criterion,
    GradeContext,
    Level,
    Levels,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    World,
    WorldTemplate,
    register_family,
    rng_for,
)

TEMPLATE = "templates/Welcome letter.docx"
DOMAIN = "staff.example"
ZONE = "Europe/London"
LETTER = (
    "Welcome, [first name]!",
    "You join [department] as [title] on [start date].",
    "[manager] meets you at [welcome time] on your first day.",
    "Your work e-mail is [e-mail]; IT has your accounts ready by [accounts date].",
    "Your first task on the onboarding checklist, [task], is due on [due date].",
)
TITLES = ("Backend Engineer", "Data Engineer", "QA Engineer", "Analyst", "Designer",
          "Coordinator", "Product Manager", "Engineering Manager", "Support Specialist")
_TZ = ZoneInfo(ZONE)


class Knobs(BaseModel, frozen=True):
    hires: int
    """People joining (each under a different manager)."""
    moved: int
    """Of them, those whose start date a later mail moves."""
    withdrawn: int
    """Candidates who accepted, then withdrew."""


@dataclass(frozen=True)
class Hire:
    """Someone joining, as the mails finally say."""

    person: Person
    title: str
    manager: Employee
    start: date
    rate: str
    hours: int

    @property
    def template(self) -> str:
        return "Engineering" if self.title.endswith("Engineer") else "General"

    @property
    def letter_path(self) -> str:
        return f"welcome/{self.person.first.lower()}-{self.person.last.lower()}.docx"

    def due(self, title: str) -> date:
        offset = next(d for t, _, d in TEMPLATES[self.template] if t == title)
        return self.start + timedelta(days=offset)

    def first_week(self) -> list[str]:
        """The manager's tasks due in the first five days."""
        return [t for t, owner, d in TEMPLATES[self.template] if owner == "Manager"
                and 0 <= d <= 4]


@register_family
class Onboarding(TaskFamily[Knobs]):
    """Onboard new hires: HR record, checklist, IT ticket, letter, first week's meetings."""

    name = "hr/onboarding"
    version = 1
    apps = ("hr", "browser", "mail", "docs", "tickets", "calendar")
    variants = ("default", "browser")
    levels = Levels(
        easy=Level(Knobs(hires=1, moved=0, withdrawn=1), calls=14, apps=5),
        medium=Level(Knobs(hires=2, moved=1, withdrawn=1), calls=25, apps=5),
        hard=Level(Knobs(hires=3, moved=1, withdrawn=2), calls=35, apps=5),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        now = datetime(2026, 1, 5, 8, tzinfo=UTC) + timedelta(weeks=rng.randrange(40))
        today = now.date()
        hr = hr_store(rng, now=now, team_size=4, weeks=3)
        leads = [e for e in hr.employees if e.title == "Team lead"]
        taken = {e.email for e in hr.employees}
        me, recruiter, it_lead, *it_staff = people(rng, 6, DOMAIN)
        known = [e.name for e in hr.employees] + [p.name for p in (me, recruiter, it_lead,
                                                                    *it_staff)]
        firsts = {n.split()[0] for n in known}  # "Niko asked..." names one person only
        fresh = [p for p in people(rng, 40, DOMAIN)
                 if p.first not in firsts and p.email not in taken]
        mondays = [today + timedelta(days=7 * w - today.weekday()) for w in range(2, 6)]

        def drawn(n: int, manager: Employee) -> Hire:
            return Hire(fresh[n], rng.choice(TITLES), manager, rng.choice(mondays),
                        f"{Decimal(rng.randrange(2000, 4800, 25)) / 100:.2f}",
                        rng.choice((40, 40, 32, 24)))

        hires = [drawn(n, lead) for n, lead in enumerate(rng.sample(leads, k.hires))]
        gone = [drawn(k.hires + n, rng.choice(leads)) for n in range(k.withdrawn)]
        box = Mailbox(me)
        moved = set(rng.sample(range(k.hires), k.moved))
        for n, hire in enumerate(hires + gone):
            start = hire.start
            if n in moved:  # the offer named another Monday; a later mail corrects it
                start = rng.choice([d for d in mondays if d != hire.start])
            sent = now - timedelta(days=rng.randint(3, 12), hours=rng.randint(0, 8))
            _offer(box, recruiter, me, hire, start, sent, f"offer{n}")
            if n in moved:
                box.receive(recruiter, f"Start date change: {hire.person.name}", letter(
                    me.first, f"{hire.person.first} asked to start on {long_date(hire.start)} "
                    f"{hire.start.year} instead; {hire.manager.name} agreed.",
                    recruiter.first), sent + timedelta(days=1, hours=2), key=f"move{n}")
            if n >= k.hires:
                box.receive(recruiter, f"Withdrawn: {hire.person.name}", letter(
                    me.first, f"{hire.person.first} has taken another job and withdrew. "
                    "Please do not onboard them.", recruiter.first),
                    sent + timedelta(days=1, hours=5), key=f"gone{n}")

        tickets = _tracker(me, it_lead, it_staff, now)
        calendar = CalendarStore(owner=me.email, people={
            p.email: CalendarPerson(name=p.name, timezone=ZONE) for p in [me, *[
                _person(e) for e in hr.employees]]})
        busy = rng_for(spec, "busy")  # the managers' weeks: part of the task, not richness
        for lead in leads:
            for w in range(2, 7):
                for d in range(5):
                    day = today + timedelta(days=7 * w - today.weekday() + d)
                    for _ in range(busy.randint(1, 4)):
                        at = datetime.combine(day, time(9), _TZ) + timedelta(
                            minutes=30 * busy.randrange(14))
                        calendar.add_event(busy.choice(BUSY_TITLES), at, at + timedelta(
                            minutes=busy.choice((30, 60))), ZONE, lead.email)

        rich = rng_for(spec, "distractors")
        waiting = [p for p in people(rich, 12, DOMAIN)
                   if p.email not in taken and p.email not in {x.email for x in fresh}]
        for person in waiting[:scaled(spec.richness, 3)]:
            box.receive(recruiter, f"Offer sent: {person.name}", letter(
                me.first, f"we sent {person.first} an offer for {rich.choice(TITLES)} "
                f"under {rich.choice(leads).name}. No answer yet; I will let you know.",
                recruiter.first), now - timedelta(days=rich.randint(1, 9)))
        everyday_mails(box, rich, scaled(spec.richness, 5), me, [recruiter, it_lead],
                       now - timedelta(days=10), now - timedelta(hours=2))
        for lead in rich.sample(leads, len(leads)):
            for _ in range(scaled(spec.richness, 6)):
                day = today + timedelta(days=rich.randrange(1, 45))
                at = datetime.combine(day, time(rich.choice((7, 17, 18))), _TZ)
                calendar.add_event(rich.choice(BUSY_TITLES), at, at + timedelta(minutes=30),
                                   ZONE, lead.email)
        for when in sorted(now - timedelta(days=rich.randint(1, 20), hours=rich.randint(0, 9))
                           for _ in range(scaled(spec.richness, 4))):  # numbers follow time
            tickets.add_ticket("IT", rich.choice(_IT_CHORES), when,
                               reporter=rich.choice(it_staff).email,
                               assignee=rich.choice(it_staff).email)
        calendar.events.sort(key=lambda e: (e.start, e.title, e.organizer))
        for n, event in enumerate(calendar.events, 1):  # ids follow time, not the draw
            event.id = f"ev{n:04d}"
        calendar.next_id = len(calendar.events) + 1
        mail, ids = box.build()

        surface = spec.variant if spec.variant in self.variants else "default"
        slots = {(h.person.email, t): _first_free(calendar, h.manager.email, h.due(t))
                 for h in hires for t in h.first_week()}
        reference = self._reference(hr, now, hires, ids, slots, it_lead, surface)
        template = build_docx([DocxBlock.paragraph(p) for p in LETTER])
        prompt = (
            f"You are {me.name} ({me.email}), HR coordinator; the HR portal is signed in as "
            f"HR staff. Onboard everyone who has accepted an offer and is still joining (the "
            f"recruiters' mails say who, and a later mail replaces what an earlier one said). "
            f"For each of them: add them to the HR portal with the details of the offer, their "
            f"manager and the manager's department, and work address "
            f"first.last@{DOMAIN} in lower case; start their onboarding checklist from the "
            f"template \"Engineering\" if their title ends in \"Engineer\", \"General\" "
            f"otherwise; open a ticket in the IT project titled \"Accounts for <full name>\", "
            f"assigned to whoever the project's description names for accounts, due on the "
            f"checklist's due date of \"Create accounts and e-mail\", with the description "
            f"lines \"E-mail: <address>\" and \"Start date: <YYYY-MM-DD>\"; for each of the "
            f"checklist's Manager tasks due from the start date to four days later, a "
            f"30-minute meeting titled as the task, on its due date, with the new employee and "
            f"the manager, at the manager's first free half hour from 09:00 that day "
            f"({ZONE} time, on the half hour); and a welcome letter "
            f"welcome/<first>-<last>.docx (lower case) with the paragraphs of "
            f"\"{TEMPLATE}\", every [placeholder] filled in and nothing else: dates like "
            f"\"Monday 4 May 2026\", [welcome time] the first day's meeting like \"09:30\", "
            f"[accounts date] the ticket's due date, [task] and [due date] the employee's own "
            f"first task on the checklist. Change nothing else."
            + (f" Work in the HR portal through its website, https://{hr.host}/ (open it in "
               "the browser)." if surface == "browser" else ""))
        return Task(spec=spec, prompt=prompt, apps=surface_apps(surface),
                    template=WorldTemplate(now=now, files={TEMPLATE: template}, stores={
                        "hr": hr, "mail": mail, "calendar": calendar, "tickets": tickets}),
                    criteria=_criteria(hires, slots, it_lead.email),
                    reference=tuple(reference),
                    artifacts=tuple(h.letter_path for h in hires))

    @staticmethod
    def _reference(hr: HrStore, now: datetime, hires: list[Hire], ids: dict[str, str], slots: dict[tuple[str, str], datetime],
                   it_lead: Person, surface: str) -> list[ToolCall]:
        calls = [ToolCall("mail.search", {"query": "", "limit": 50}),
                 *(ToolCall("mail.read", {"message_id": ids[key]}) for key in sorted(ids)
                   if key.startswith(("offer", "move", "gone"))),
                 ToolCall("tickets.get_project", {"project": "IT"}),
                 ToolCall("docs.read", {"path": TEMPLATE})]
        calls += (_browser_steps(hr, now, hires) if surface == "browser"
                  else _api_steps(hr, hires))
        for hire in hires:
            calls.append(ToolCall("tickets.create", {
                "project": "IT", "title": f"Accounts for {hire.person.name}",
                "description": _ticket_text(hire), "assignee": it_lead.email,
                "due": hire.due("Create accounts and e-mail").isoformat()},
                items={"due": ()}))
            first = hire.due(hire.first_week()[0])
            calls.append(ToolCall("calendar.free_busy", {
                "calendars": [hire.manager.email], "start": f"{first.isoformat()}T00:00",
                "end": f"{(first + timedelta(days=5)).isoformat()}T00:00", "timezone": ZONE}))
            for task in hire.first_week():
                at = slots[(hire.person.email, task)]
                calls.append(ToolCall("calendar.create_event", {
                    "title": task, "start": at.strftime("%Y-%m-%dT%H:%M"),
                    "end": (at + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
                    "timezone": ZONE, "attendees": [hire.person.email, hire.manager.email]},
                    items={"start": ()}))
            calls += [ToolCall("docs.create", {"path": hire.letter_path}),
                      ToolCall("docs.insert_paragraphs", {
                          "path": hire.letter_path,
                          "paragraphs": _letter(hire, slots[(hire.person.email,
                                                             hire.first_week()[0])])},
                          items={"paragraphs": ()})]
        return calls


def surface_apps(variant: str) -> tuple[str, ...]:
    """The apps a variant poses the task through: the portal's API or its website."""
    return ("browser" if variant == "browser" else "hr", "mail", "docs", "tickets", "calendar")


_IT_CHORES = ("Laptop battery swells", "VPN drops every hour", "Printer on 3rd floor jams",
              "Renew the wildcard certificate", "Monitor flickers", "Shared drive quota full")


def _offer(box: Mailbox, recruiter: Person, me: Person, hire: Hire, start: date,
           sent: datetime, key: str) -> None:
    box.receive(recruiter, f"Offer accepted: {hire.person.name}", letter(
        me.first, f"good news: {hire.person.name} accepted our offer. For the portal:\n\n"
        + bullets([f"Title: {hire.title}", f"Manager: {hire.manager.name}",
                   f"Start date: {long_date(start)} {start.year}",
                   f"Hourly rate: EUR {hire.rate}", f"Contract hours: {hire.hours} a week"]),
        recruiter.first), sent, key=key)


def _tracker(me: Person, it_lead: Person, staff: list[Person], now: datetime) -> TicketsStore:
    tickets = TicketsStore(me=me.email)
    for p in [me, it_lead, *staff]:
        tickets.add_user(p.email, p.name)
    tickets.add_project("IT", "IT service desk", [it_lead.email, *(s.email for s in staff)],
                        description=(f"Laptops and hardware: {staff[0].name}. Accounts and "
                                     f"e-mail for new staff: {it_lead.name} "
                                     f"({it_lead.email}). Everything else: {staff[1].name}."))
    tickets.add_project("FAC", "Facilities", [staff[2].email],
                        description="Desks, badges and rooms.")
    tickets.add_ticket("IT", "Accounts for a contractor", now - timedelta(days=30),
                       state="Done", assignee=it_lead.email)
    tickets.add_ticket("FAC", "Badge printer out of cards", now - timedelta(days=4),
                       assignee=staff[2].email)
    return tickets


def _ticket_text(hire: Hire) -> str:
    return (f"New starter in {hire.manager.department}.\nE-mail: {hire.person.email}\n"
            f"Start date: {hire.start.isoformat()}")


def _letter(hire: Hire, welcome: datetime) -> list[str]:
    mine = next((t, d) for t, owner, d in TEMPLATES[hire.template] if owner == "Employee")
    due = hire.start + timedelta(days=mine[1])
    values = {"first name": hire.person.first, "department": hire.manager.department,
              "title": hire.title, "start date": f"{long_date(hire.start)} {hire.start.year}",
              "manager": hire.manager.name, "welcome time": welcome.strftime("%H:%M"),
              "e-mail": hire.person.email,
              "accounts date": _day(hire.due("Create accounts and e-mail")),
              "task": mine[0], "due date": _day(due)}
    out = []
    for line in LETTER:
        for key, value in values.items():
            line = line.replace(f"[{key}]", value)
        out.append(line)
    return out


def _day(day: date) -> str:
    return f"{long_date(day)} {day.year}"


def _first_free(calendar: CalendarStore, who: str, day: date) -> datetime:
    """The first half hour from 09:00 (local) on ``day`` when ``who`` is free."""
    busy = [(e.start_utc, e.end_utc) for e in calendar.events if e.busies(who)]
    at = datetime.combine(day, time(9), _TZ)
    while any(lo < at + timedelta(minutes=30) and at < hi for lo, hi in busy):
        at += timedelta(minutes=30)
    return at


def _api_steps(hr: HrStore, hires: list[Hire]) -> list[ToolCall]:
    calls = [ToolCall("hr.list_employees", {"limit": 100})]
    ids = _new_ids(hr, hires)
    for hire in hires:
        calls.append(ToolCall("hr.add_employee", {
            "name": hire.person.name, "email": hire.person.email,
            "start_date": hire.start.isoformat(), "department": hire.manager.department,
            "title": hire.title, "manager_id": hire.manager.id, "hourly_rate": hire.rate,
            "weekly_hours": hire.hours}, items={"start_date": (), "hourly_rate": ()}))
        calls.append(ToolCall("hr.start_onboarding", {"employee_id": ids[hire.person.email],
                                                      "template": hire.template},
                              items={"template": ()}))
    return calls


def _new_ids(hr: HrStore, hires: list[Hire]) -> dict[str, str]:
    """The ids the portal will give the new employees, in the order they are added."""
    start = len(hr.employees) + 1
    return {h.person.email: f"E-{start + n:03d}" for n, h in enumerate(hires)}


def _browser_steps(hr: HrStore, now: datetime, hires: list[Hire]) -> list[ToolCall]:
    """The GUI steps; each form's element refs come from rendering the page over a copy of
    the store, advanced by each step as the browser will."""
    site = f"https://{hr.host}"
    work = hr.model_copy(deep=True)
    world = World(Path("/nonexistent"), now, {"hr": work})
    today = now.date()

    def ref(path: str, name: str) -> str:
        url = parse_url(site + path)
        page = render(world, url, dispatch(world, "GET", url))
        return next(b.ref for b in page.refs.values() if b.name == name)

    calls = [ToolCall("browser.navigate", {"url": site + "/employees?limit=100"})]
    new = "/employees/new"
    for hire in hires:
        calls.append(ToolCall("browser.navigate", {"url": site + new}))
        for label, text, item in (
                ("Full name", hire.person.name, False), ("E-mail", hire.person.email, False),
                ("Start date", hire.start.isoformat(), True),
                ("Department", hire.manager.department, False), ("Title", hire.title, False),
                ("Hourly rate", hire.rate, True),
                ("Contract hours per week", str(hire.hours), False)):
            calls.append(ToolCall("browser.type", {"ref": ref(new, label), "text": text},
                                  items={"text": ()} if item else {}))
        calls += [ToolCall("browser.select_option", {"ref": ref(new, "Manager"),
                                                     "values": [hire.manager.id]}),
                  ToolCall("browser.click", {"ref": ref(new, "Add employee")})]
        made = add_employee(work, today, hire.person.name, hire.person.email,
                            hire.start.isoformat(), hire.manager.department, hire.title,
                            hire.manager.id, hire.rate, hire.hours)
        path = f"/employees/{made.id}"
        calls += [ToolCall("browser.select_option", {"ref": ref(path, "Template"),
                                                     "values": [hire.template]},
                           items={"values": ()}),
                  ToolCall("browser.click", {"ref": ref(path, "Start onboarding")})]
        start_onboarding(work, today, made.id, hire.template)
    return calls


def _person(employee: Employee) -> Person:
    first, _, last = employee.name.partition(" ")
    return Person(first, last, employee.email)


def _criteria(hires: list[Hire], slots: dict[tuple[str, str], datetime],
              assignee: str) -> tuple[Criterion, ...]:
    def employees(ctx: GradeContext) -> list[tuple[Any, ...]]:
        return [(e.name, e.email, e.start_date, e.department, e.title, e.manager,
                 e.hourly_rate, e.weekly_hours)
                for e in wc.new_records(ctx, "hr", "employees") if isinstance(e, Employee)]

    def checklists(ctx: GradeContext) -> list[tuple[str, str]]:
        hr = ctx.world.stores.get("hr")
        mail = {e.id: e.email for e in getattr(hr, "employees", [])}
        return [(mail.get(c.employee, c.employee), c.template)
                for c in wc.new_records(ctx, "hr", "checklists")]

    def tickets(ctx: GradeContext) -> list[tuple[Any, ...]]:
        found = []
        for t in wc.new_records(ctx, "tickets", "tickets"):
            fields: dict[str, str] = {}
            for line in t.description.splitlines()[:100]:
                key, sep, value = line.partition(":")
                if sep and key.strip() in ("E-mail", "Start date"):
                    fields.setdefault(key.strip(), value.strip())
            found.append((t.project, " ".join(t.title.split()), t.assignee, t.due,
                          fields.get("E-mail"), fields.get("Start date")))
        return found

    def events(ctx: GradeContext) -> list[tuple[Any, ...]]:
        return [(" ".join(e.title.split()), e.start_utc, e.end_utc,
                 tuple(sorted(a.email.lower() for a in e.attendees)))
                for e in wc.new_records(ctx, "calendar", "events") if e.status == "confirmed"]

    def letters(ctx: GradeContext) -> list[str]:
        return sorted(p for p in ctx.world.file_hashes() if p.startswith("welcome/"))

    staff = [(h.person.name, h.person.email, h.start.isoformat(), h.manager.department,
              h.title, h.manager.id, h.rate, h.hours) for h in hires]
    wanted_tickets = [("IT", f"Accounts for {h.person.name}", assignee,
                       h.due("Create accounts and e-mail").isoformat(), h.person.email,
                       h.start.isoformat()) for h in hires]
    meetings = [(f"meeting {h.person.name}: {t}", (
        t, slots[(h.person.email, t)], slots[(h.person.email, t)] + timedelta(minutes=30),
        tuple(sorted((h.person.email, h.manager.email))))) for h in hires
        for t in h.first_week()]
    out: list[Criterion] = [
        *wc.item_credit([(f"employee {s[0]}", s) for s in staff], wc.per_grade(employees),
                        group="employee"),
        *wc.item_credit([(f"checklist {h.person.name}", (h.person.email, h.template))
                         for h in hires], wc.per_grade(checklists), group="checklist"),
        *wc.item_credit([(f"ticket {t[1][13:]}", t) for t in wanted_tickets],
                        wc.per_grade(tickets), group="accounts ticket"),
        *wc.item_credit(meetings, wc.per_grade(events), group="first-week meeting"),
        *wc.item_credit([(f"welcome letter {h.person.name}", h.letter_path) for h in hires],
                        wc.per_grade(letters), group="welcome letter"),
    ]
    for hire in hires:
        text = _letter(hire, slots[(hire.person.email, hire.first_week()[0])])
        out += wc.item_credit([(f"welcome {hire.person.name} paragraph {n}", p)
                               for n, p in enumerate(text, 1)],
                              wc.docx_paragraphs(hire.letter_path), group="welcome paragraph")
    out += [
        wc.unchanged("portal, tracker, calendar, mails and template untouched",
                     paths=[TEMPLATE], records=[
                         ("hr", "employees"), ("hr", "leave"), ("hr", "timesheets"),
                         ("hr", "checklists"), ("hr", "periods"), ("tickets", "tickets"),
                         ("calendar", "events"), ("mail", "messages")]),
        wc.unchanged("tracker projects untouched", records=[("tickets", "projects")],
                     key="key"),
        wc.nothing_else_changed("no other file changed", [h.letter_path for h in hires],
                                scratch=["welcome"],
                                changing=["hr", "tickets", "calendar", "mail", "browser"]),
    ]
    return tuple(out)
