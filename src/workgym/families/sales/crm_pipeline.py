"""sales/crm-pipeline: bring a rep's deals up to date from meetings and mails; a forecast.

Description:
    A sales rep comes back to a week of customer meetings (notes in the description of
    each calendar event) and mails from the customers' contacts. Each names a deal and
    what changed: the stage it moves to (won and lost included) and a revised amount. A
    mail sent after a meeting supersedes what the meeting agreed. The agent moves the
    deals and corrects their amounts in the CRM, logs each meeting as a meeting activity
    on its deal dated the day it took place, and writes ``forecast.xlsx`` (sheet
    ``Forecast``): for each open stage the number of the rep's open deals expected to close
    in the stated period, their amount and their weighted amount under the weights the
    sales manager mailed (not the CRM's own probabilities).

    The variant chooses the surface for the CRM: ``default`` its tools (the API),
    ``browser`` its website in the browser app (the GUI); both change the same CRM store,
    so one grader serves both.

Apps:
    crm (default) or browser (variant ``browser``), mail, calendar, sheets.

Criteria:
    - ``deal <id>``: the deal ends at the right stage and amount; precision-aware (a deal
      changed that should not be, or a wrong stage or amount, cancels one).
    - ``deals exactly right`` (weight 2).
    - ``meeting <deal> <date>``: a meeting activity logged on the deal that day;
      precision-aware over the activities the agent logged.
    - ``forecast <stage>``: the stage's row (deals, amount, weighted); ``forecast exactly
      right`` (weight 2).
    - guards: accounts, contacts, earlier activities, the calendar and the mails unchanged;
      the rep's other deals and everyone else's untouched (part of the deal items).

Difficulty:
    Knobs set the deals updated, how many mails supersede a meeting, deals closed won or
    lost. Reference calls (API): easy 14, medium 22, hard 30 (the browser takes more). ``richness`` adds everyday mails
    and internal meetings in the calendar.

Version history:
    v1: first version.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps import dispatch, parse_url, render
from workgym.apps.calendar import Attendee, CalendarPerson, CalendarStore
from workgym.apps.crm import (
    OPEN_STAGES,
    STAGE_LABELS,
    CrmStore,
    Deal,
    log_activity,
    money_text,
    move_deal,
    update_deal,
)
from workgym.content.crm import LOST_REASONS, crm_store
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person
from workgym.content.prose import letter
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

FORECAST = "forecast.xlsx"
COLUMNS = ("Stage", "Deals", "Amount", "Weighted")
_WEIGHTS = ((5, 15, 40, 70), (5, 25, 45, 80), (15, 30, 55, 70), (5, 10, 35, 65))
"""The manager's weights per open stage, each unlike the CRM's own (10, 20, 50, 75)."""


class Knobs(BaseModel, frozen=True):
    deals: int
    """Deals a meeting or a mail updates."""
    superseded: int
    """Meetings a later mail overrides."""
    closed: bool
    """One deal is won and one lost."""


@register_family
class CrmPipeline(TaskFamily[Knobs]):
    """Update deal stages and amounts from meeting notes and mails; a weighted forecast."""

    name = "sales/crm-pipeline"
    version = 1
    apps = ("crm", "browser", "mail", "calendar", "sheets")
    variants = ("default", "browser")
    levels = Levels(
        easy=Level(Knobs(deals=2, superseded=0, closed=False), calls=14, apps=4),
        medium=Level(Knobs(deals=4, superseded=1, closed=True), calls=22, apps=4),
        hard=Level(Knobs(deals=6, superseded=2, closed=True), calls=30, apps=4),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        now = datetime(2026, 1, 12, 8, tzinfo=UTC) + timedelta(weeks=rng.randrange(40))
        today = now.date()
        crm = crm_store(rng, now=now, reps=4, accounts=10, deals=26, activities=30)
        me_user = crm.users[0]
        boss = crm.users[-1]
        me = _person(me_user.name, me_user.email)
        manager = _person(boss.name, boss.email)
        period_end = today + timedelta(days=rng.choice((45, 60, 75)))
        names = [(d.account, d.name) for d in crm.deals]
        # a deal the notes can name without doubt: no other deal of its account shares its name
        open_deals = [d for d in crm.deals if d.is_open and names.count((d.account, d.name)) == 1]
        targets = rng.sample(open_deals, k.deals)
        for d in targets:  # the rep's own deals, with a main contact, closing in the period
            d.owner = me_user.id
            d.close_date = (today + timedelta(days=rng.randrange(5, (period_end - today).days
                                                                 - 3))).isoformat()
            if d.contact is None:
                d.contact = next(c.id for c in crm.contacts if c.account == d.account)
        for d in crm.deals:  # no close date on the period's edge, where "by" could be read two ways
            if d.is_open and abs((date.fromisoformat(d.close_date) - period_end).days) <= 1:
                d.close_date = (period_end + timedelta(days=3)).isoformat()
        weights = dict(zip(OPEN_STAGES, rng.choice(_WEIGHTS), strict=True))

        # what happens to each deal: a meeting this past week, perhaps a later mail
        calendar = CalendarStore(owner=me.email, people={me.email: CalendarPerson(
            name=me_user.name, timezone="Europe/London")})
        box = Mailbox(me)
        outcome: dict[str, tuple[str, str]] = {}
        reasons: dict[str, str] = {}
        meetings: list[tuple[str, str]] = []
        closing = ["closed_won", "closed_lost"] if k.closed else []
        mailed = set(rng.sample(range(len(closing), k.deals), k.superseded))
        for n, deal in enumerate(targets):
            contact = next(c for c in crm.contacts if c.id == deal.contact)
            account = next(a for a in crm.accounts if a.id == deal.account)
            met = today - timedelta(days=rng.randint(1, 6))
            stage = rng.choice([s for s in OPEN_STAGES if s != deal.stage])
            amount = f"{rng.randrange(20, 900) * 250}.00"
            who = _person(contact.name, contact.email)
            calendar.people[contact.email] = CalendarPerson(name=contact.name,
                                                            timezone="Europe/London")
            start = datetime(met.year, met.month, met.day, rng.choice((9, 11, 14, 16)), tzinfo=UTC)
            calendar.add_event(f"{account.name}: {deal.name}", start, start + timedelta(hours=1),
                               "Europe/London", me.email,
                               [Attendee(email=contact.email, response="accepted")],
                               description=(f"Notes: met {contact.name} about {deal.name}. "
                                            f"Agreed to move the deal to "
                                            f"{STAGE_LABELS[stage]}; the amount is now "
                                            f"{crm.currency} {Decimal(amount):,.2f}."))
            meetings.append((deal.id, met.isoformat()))
            if n in mailed or n < len(closing):
                later = datetime.combine(met, datetime.min.time(), UTC) + timedelta(
                    hours=rng.randint(20, 30))
                later = min(later, now - timedelta(hours=1))
                if n < len(closing):
                    stage = closing[n]
                    lost = rng.choice(LOST_REASONS)
                    if stage == "closed_lost":
                        reasons[deal.id] = lost
                    text = (f"we signed the order form for {deal.name} today: you have a "
                            f"deal at {crm.currency} {Decimal(amount):,.2f}." if stage ==
                            "closed_won" else f"after our meeting we decided not to go ahead "
                            f"with {deal.name}. Reason: {lost}.")
                else:
                    amount = f"{rng.randrange(20, 900) * 250}.00"
                    text = (f"following up on our meeting about {deal.name}: after our "
                            f"internal review the figure is {crm.currency} "
                            f"{Decimal(amount):,.2f}, not what we said in the meeting. The "
                            "stage we agreed stays.")
                box.receive(who, f"Re: {deal.name}", letter(me.first, text, who.first), later,
                            key=f"m{n}")
            outcome[deal.id] = (stage, amount if stage != "closed_lost" else deal.amount)
        box.receive(manager, "Forecast for the pipeline review", letter(
            me.first, f"once your deals are up to date, please put your forecast in "
            f"{FORECAST}: your open deals expected to close by {period_end:%d %B %Y}, by "
            f"stage, weighted "
            + ", ".join(f"{STAGE_LABELS[s]} {w}%" for s, w in weights.items())
            + ". Use these weights, not the CRM's probabilities.", manager.first),
            now - timedelta(hours=3), key="ask")
        rich = rng_for(spec, "distractors")
        colleagues = [_person(u.name, u.email) for u in crm.users[1:-1]]
        everyday_mails(box, rich, scaled(spec.richness, 5), me, colleagues,
                       now - timedelta(days=10), now - timedelta(hours=4))
        for _ in range(scaled(spec.richness, 4)):
            day = today - timedelta(days=rich.randint(1, 6))
            start = datetime(day.year, day.month, day.day, rich.choice((8, 10, 13, 15)), tzinfo=UTC)
            calendar.add_event(rich.choice(("Team stand-up", "Pipeline review prep",
                                            "1:1", "Lunch and learn")), start,
                               start + timedelta(minutes=30), "Europe/London", me.email)
        calendar.events.sort(key=lambda e: (e.start, e.title))
        for n, event in enumerate(calendar.events, 1):  # ids follow time, not the draw
            event.id = f"ev{n:04d}"
        mail, ids = box.build()

        final: dict[str, tuple[str, str, str]] = {d.id: (d.stage, d.amount, d.close_date)
                                                  for d in crm.deals}
        for deal_id, (stage, amount) in outcome.items():
            final[deal_id] = (stage, amount, final[deal_id][2])
        rows = []
        mine = [d for d in crm.deals if d.owner == me_user.id]
        for stage in OPEN_STAGES:
            those = [d for d in mine if final[d.id][0] == stage
                     and today.isoformat() <= final[d.id][2] <= period_end.isoformat()]
            total = sum((Decimal(final[d.id][1]) for d in those), Decimal(0))
            weighted = sum((Decimal(final[d.id][1]) * weights[stage] / 100 for d in those),
                           Decimal(0))
            rows.append([STAGE_LABELS[stage], len(those), money_text(total),
                         money_text(weighted)])

        surface = spec.variant if spec.variant in self.variants else "default"
        reference = [
            ToolCall("mail.search", {"query": ""}),
            ToolCall("mail.read", {"message_id": ids["ask"]}),
            *(ToolCall("mail.read", {"message_id": ids[f"m{n}"]}) for n in range(k.deals)
              if f"m{n}" in ids),
            ToolCall("calendar.list_events", {"calendar": me.email,
                                              "start": (today - timedelta(days=7)).isoformat(),
                                              "end": today.isoformat()}),
            ToolCall("browser.navigate", {"url": f"https://{crm.host}/deals?owner={me_user.id}"})
            if surface == "browser" else
            ToolCall("crm.list_deals", {"owner_id": me_user.id, "limit": 100}),
        ]
        steps = [(d.id, d.amount, *outcome[d.id], reasons.get(d.id, ""),
                  next(day for i, day in meetings if i == d.id)) for d in targets]
        reference += (_browser_steps(crm, now, steps) if surface == "browser"
                      else _api_steps(steps))
        reference += [
            ToolCall("sheets.create_workbook", {"path": FORECAST, "sheet": "Forecast"}),
            # the header row is not an item: only the data rows are
            ToolCall("sheets.append_rows", {"path": FORECAST, "sheet": "Forecast",
                                            "rows": [list(COLUMNS), *rows]},
                     items={"rows": tuple(rows)}),
        ]
        prompt = (
            f"You are {me_user.name} ({me.email}), a sales rep; the CRM is signed in as you. "
            f"This past week you met customers (your calendar events hold the notes of each "
            f"meeting) and some wrote afterwards; a customer's mail sent after a meeting "
            f"replaces what the meeting agreed. Bring the CRM up to date: move each deal to "
            f"the stage agreed and set its amount to the agreed figure (leave a lost deal's "
            f"amount as the CRM has it and give the customer's reason). Log each of those meetings as a "
            f"meeting activity on its deal, dated the day it took place. Then do what "
            f"{manager.first} asks in their mail about the forecast: {FORECAST}, sheet "
            f"\"Forecast\", a header row {', '.join(COLUMNS)}, then one row per open stage "
            f"in pipeline order (Prospecting, Qualification, Proposal, Negotiation): the "
            f"number of deals, their amount and their weighted amount, 2 decimals. Do not "
            f"change other deals, accounts, contacts, your calendar or the mails."
            + (f" Work in the CRM through its website, https://{crm.host}/ (open it in the "
               "browser)." if surface == "browser" else ""))
        return Task(spec=spec, prompt=prompt, apps=surface_apps(surface),
                    template=WorldTemplate(now=now, stores={"crm": crm, "mail": mail,
                                                            "calendar": calendar}),
                    criteria=self._criteria(outcome, meetings, rows),
                    reference=tuple(reference), artifacts=(FORECAST,))

    @staticmethod
    def _criteria(outcome: dict[str, tuple[str, str]], meetings: list[tuple[str, str]],
                  rows: list[list[Any]]) -> tuple[Criterion, ...]:
        def changed(ctx: GradeContext) -> list[tuple[str, str, str]]:
            crm = ctx.world.stores.get("crm")
            before = {d["id"]: d for d in _initial(ctx).get("deals", [])}
            found: list[tuple[str, str, str]] = []
            for d in getattr(crm, "deals", []):
                if not isinstance(d, Deal):
                    continue
                was = before.get(d.id)
                if was is None or (was["stage"], was["amount"]) != (d.stage, d.amount):
                    found.append((d.id, d.stage, d.amount))
            return found

        def logged(ctx: GradeContext) -> list[tuple[str, str]]:
            return [(a.deal or "", a.date) for a in wc.new_records(ctx, "crm", "activities")
                    if a.kind == "meeting"]

        def row(stage: object, deals: object, amount: object, weighted: object
                ) -> tuple[str, object, str, str]:
            def money(v: object) -> str:
                if v in (None, ""):
                    return ""
                return money_text(GradeContext.number(v, "amount", max_digits=14))
            count = GradeContext.number(deals, "Deals", max_digits=6) \
                if deals not in (None, "") else None
            return (str(stage or "").strip()[:40],
                    int(count) if count is not None and count == int(count) else count,
                    money(amount), money(weighted))

        expected = sorted((d, s, a) for d, (s, a) in outcome.items())
        deals = wc.per_grade(changed)
        acts = wc.per_grade(logged)
        sheet = wc.xlsx_rows(FORECAST, "Forecast", COLUMNS, row=row)
        want_rows = [(r[0], r[1], r[2], r[3]) for r in rows]
        return (
            *wc.item_credit([(f"deal {d}", (d, s, a)) for d, s, a in expected], deals,
                            group="deal"),
            wc.exact_items("deals exactly right", expected, deals, weight=2.0),
            *wc.item_credit([(f"meeting {d} {day}", (d, day)) for d, day in meetings], acts,
                            group="meeting logged"),
            *wc.item_credit([(f"forecast {r[0]}", r) for r in want_rows], sheet,
                            group="forecast row"),
            wc.exact_items("forecast exactly right", want_rows, sheet, weight=2.0),
            wc.unchanged("accounts, contacts, activities, calendar and mails untouched",
                         stores=["calendar"], records=[
                             ("mail", "messages"), ("crm", "accounts"), ("crm", "contacts"),
                             ("crm", "activities")]),
        )


def surface_apps(variant: str) -> tuple[str, ...]:
    """The apps a variant poses the task through: the CRM's API or its website."""
    return ("browser" if variant == "browser" else "crm", "mail", "calendar", "sheets")


_Step = tuple[str, str, str, str, str, str]
"""A deal's update: id, amount before, stage after, amount after, lost reason, meeting day."""


def _api_steps(steps: list[_Step]) -> list[ToolCall]:
    calls = []
    for deal, before, stage, amount, reason, _ in steps:
        calls.append(ToolCall("crm.get_deal", {"deal_id": deal}))
        if amount != before:
            calls.append(ToolCall("crm.update_deal", {"deal_id": deal, "amount": amount},
                                  items={"amount": ()}))
        args: dict[str, Any] = {"deal_id": deal, "stage": stage}
        if reason:
            args["lost_reason"] = reason
        calls.append(ToolCall("crm.move_deal", args, items={"stage": ()}))
    for deal, *_, day in steps:
        calls.append(ToolCall("crm.log_activity", {
            "kind": "meeting", "subject": "Customer meeting", "deal_id": deal, "date": day},
            items={"date": ()}))
    return calls


def _browser_steps(crm: CrmStore, now: datetime, steps: list[_Step]) -> list[ToolCall]:
    """The GUI steps on each deal's page; each form's element refs come from rendering the
    page over a copy of the store, advanced by each step as the browser will."""
    site = f"https://{crm.host}"
    work = crm.model_copy(deep=True)
    world = World(Path("/nonexistent"), now, {"crm": work})
    today = now.date()

    def ref(path: str, role: str, name: str) -> str:
        url = parse_url(site + path)
        page = render(world, url, dispatch(world, "GET", url))
        return next(b.ref for b in page.refs.values() if b.role == role and b.name == name)

    calls = []
    for deal, before, stage, amount, reason, day in steps:
        path = f"/deals/{deal}"
        calls.append(ToolCall("browser.navigate", {"url": site + path}))
        if amount != before:
            calls += [ToolCall("browser.type", {"ref": ref(path, "textbox", "Amount"),
                                                "text": amount}, items={"text": ()}),
                      ToolCall("browser.click", {"ref": ref(path, "button", "Save changes")})]
            update_deal(work, today, deal, amount=amount)
        calls.append(ToolCall("browser.select_option", {
            "ref": ref(path, "combobox", "New stage"), "values": [stage]},
            items={"values": ()}))
        if reason:
            calls.append(ToolCall("browser.type", {"ref": ref(path, "textbox", "Lost reason"),
                                                   "text": reason}))
        calls.append(ToolCall("browser.click", {"ref": ref(path, "button", "Move deal")}))
        move_deal(work, today, deal, stage, "", reason)
        calls += [ToolCall("browser.type", {"ref": ref(path, "textbox", "Subject"),
                                            "text": "Customer meeting"}),
                  ToolCall("browser.type", {"ref": ref(path, "textbox", "Date"), "text": day},
                           items={"text": ()}),
                  ToolCall("browser.click", {"ref": ref(path, "button", "Log activity")})]
        log_activity(work, today, "meeting", "Customer meeting", "", None, deal, (), day)
    return calls


def _person(name: str, email: str) -> Person:
    first, _, last = name.partition(" ")
    return Person(first, last, email)


def _initial(ctx: GradeContext) -> dict[str, Any]:
    import json

    dump = ctx.initial.stores.get("crm")
    return json.loads(dump) if dump else {}
