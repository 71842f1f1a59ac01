"""support/ticket-resolution: work a support queue under the refund policy and the SLA.

Description:
    The agent staffs an outdoor shop's support desk. The open tickets of the ``SUP``
    project each ask for a return (naming an order, an article and how many) or for an
    order's cancellation. The wiki's "Refund policy" page says, rule by rule, what each
    request gets: final-sale articles and returns asked for more than the policy's window
    after delivery are declined, cancellations go through only for orders not yet
    shipped, returns worth more than a limit go to the refunds lead, and the rest become
    a return in the shop (the reason from the policy's table, store credit when the
    customer asked for it by mail) that the agent approves. Customers who withdrew their
    request by mail get no return. The shop's own return deadline is a warranty setting,
    not the policy. The "Support SLA" page gives first-response times per priority;
    every ticket past its time gets the label ``sla-breached``. Each customer gets one
    reply with the decision, and each ticket is resolved or escalated.

Apps:
    tickets, wiki, mail, shop.

Criteria:
    - ``reply <ticket>``: a mail to the customer with the ticket, the decision and the
      refund or the reason; precision-aware over every mail sent.
    - ``return <ticket>``: one new return of that order's lines, the policy's reason and
      refund method, approved; precision-aware over every new return.
    - ``cancelled <order>``: the order cancelled; precision-aware over changed orders.
    - ``ticket <id>``: its final state, assignee and labels; precision-aware over every
      ticket of the queue that changed.
    - guards: tickets outside the queue, wiki, mails, products, customers and earlier
      returns unchanged; orders changed only by cancelling the requested ones; mail only
      to the queue's customers.

Difficulty:
    Knobs set the queue's size and the kinds of request in play (easy: refunds, final
    sale, late returns, cancellations; medium adds shipped orders, escalations and
    store-credit mails; hard adds withdrawals). Reference calls, at least: easy 24, medium
    38, hard 58 (the references of seeds 0-999 take 24-27, 39-46 and 60-73 calls).
    ``richness`` adds everyday mails, customers asking for news, and other wiki pages.

Version history:
    v1: first version.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.shop import SHOP_FAULT, Order, OrderLine, ShopStore, cents_text
from workgym.apps.tickets import TicketsStore
from workgym.apps.wiki import WikiStore
from workgym.content.distractors import everyday_mails, scaled, times_in
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.shop import shop_store
from workgym.core import (
    Criterion,
    GradeContext,
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

PROJECT, POLICY, SLA, BREACHED = "SUP", "Refund policy", "Support SLA", "sla-breached"
FLOW = {"Open": ["Resolved", "Escalated"], "Escalated": ["Resolved", "Open"],
        "Resolved": ["Open"]}
FINAL, LATE, SHIPPED = "final sale", "outside return window", "already shipped"
EASY = ("refund", "final", "late", "cancel")
MEDIUM = (*EASY, "shipped", "escalate")
HARD = (*MEDIUM, "withdrawn")
REFUNDISH = ("refund", "final", "late", "escalate", "withdrawn")
SAYS: dict[str, tuple[str, ...]] = {
    "damaged": ("it arrived damaged, the box was crushed and it is broken",
                "it came broken in the parcel"),
    "defective": ("it stopped working after two days", "it does not work at all"),
    "wrong_item": ("you sent me a different article from the one I ordered",
                   "the parcel held another article, not what I ordered"),
    "wrong_size": ("it does not fit me", "the size is wrong for me, it does not fit"),
    "no_longer_needed": ("I no longer need it", "I changed my mind and no longer need it"),
}
"""What customers write, per shop return reason (the policy's table)."""
SLA_HOURS = ({"urgent": 4, "high": 8, "medium": 24, "low": 48},
             {"urgent": 2, "high": 6, "medium": 12, "low": 36},
             {"urgent": 4, "high": 12, "medium": 24, "low": 72})


class Knobs(BaseModel, frozen=True):
    tickets: int
    """Open tickets in the queue."""
    kinds: tuple[str, ...]
    """Kinds of request in play (each at least once)."""
    credit: bool
    """Customers may ask by mail for store credit."""


@dataclass
class Request:
    """One ticket of the queue, as generated."""

    kind: str
    customer: Person
    order: Order
    line: OrderLine | None
    """The article asked back (None for a cancellation)."""
    quantity: int
    reason: str
    priority: str
    created: datetime
    credit: bool = False
    id: str = ""

    @property
    def value(self) -> int:
        return self.quantity * self.line.unit_price_cents if self.line else 0


@dataclass
class Desk:
    now: datetime
    me: Person
    lead: Person
    staff: list[Person]
    shop: ShopStore
    window: int
    fee: int
    limit: int
    sla: dict[str, int]
    queue: list[Request]

    def decision(self, r: Request) -> str:
        return {"refund": "refund", "final": "declined", "late": "declined",
                "cancel": "cancelled", "shipped": "declined", "escalate": "escalated",
                "withdrawn": "withdrawn"}[r.kind]

    def why(self, r: Request) -> str:
        return {"final": FINAL, "late": LATE, "shipped": SHIPPED}.get(r.kind, "")

    def refund(self, r: Request) -> int:
        fee = 0 if r.reason in SHOP_FAULT else (r.value * self.fee + 50) // 100
        return r.value - fee

    def breached(self, r: Request) -> bool:
        return r.created + timedelta(hours=self.sla[r.priority]) < self.now

    def reply(self, r: Request) -> list[str]:
        lines = [f"Ticket: {r.id}", f"Decision: {self.decision(r)}"]
        if r.kind == "refund":
            lines.append(f"Refund: {cents_text(self.refund(r))}")
        if self.why(r):
            lines.append(f"Reason: {self.why(r)}")
        return lines

    def final(self, r: Request) -> tuple[str, str, str, tuple[str, ...]]:
        """The ticket's (id, state, assignee, labels) once worked."""
        escalated = r.kind == "escalate"
        labels = {_label(r), *([BREACHED] if self.breached(r) else [])}
        return (r.id, "Escalated" if escalated else "Resolved",
                self.lead.email if escalated else "", tuple(sorted(labels)))


def _label(r: Request) -> str:
    return "cancellation" if r.kind in ("cancel", "shipped") else "return"


@register_family
class TicketResolution(TaskFamily[Knobs]):
    """Resolve a support queue under the wiki's refund policy and SLA, in the shop."""

    name = "support/ticket-resolution"
    version = 1
    apps = ("tickets", "wiki", "mail", "shop")
    levels = Levels(
        easy=Level(Knobs(tickets=4, kinds=EASY, credit=False), calls=24),
        medium=Level(Knobs(tickets=7, kinds=MEDIUM, credit=True), calls=38),
        hard=Level(Knobs(tickets=11, kinds=HARD, credit=True), calls=58),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        for attempt in range(200):
            desk = _desk(k, rng_for(spec, "core", attempt))
            if desk is not None:
                break
        else:
            raise RuntimeError(f"{spec.family_id} seed {spec.seed}: no queue in 200 attempts")
        rich = rng_for(spec, "distractors")
        box, follow = _mailbox(desk, k, rng_for(spec, "mail"), spec.richness, rich)
        tickets = _tracker(desk, rng_for(spec, "history"))
        mail, ids = box.build()
        return Task(spec=spec, prompt=_prompt(desk), apps=self.apps,
                    template=WorldTemplate(now=desk.now, stores={
                        "tickets": tickets, "wiki": _wiki(desk, spec.richness, rich),
                        "mail": mail, "shop": desk.shop}),
                    criteria=_criteria(desk), reference=_reference(desk, ids, follow))


# -- the world -------------------------------------------------------------------------------


def _desk(k: Knobs, rng: random.Random) -> Desk | None:
    now = datetime.combine(date(2026, 2, 2) + timedelta(days=rng.randrange(0, 280)),
                           time(rng.randrange(9, 16), rng.choice((0, 15, 30, 45))), UTC)
    window, fee, limit = rng.choice((14, 21, 30)), rng.choice((10, 15, 20)), \
        rng.choice((150, 200, 250))
    shop = shop_store(rng, now=now, products=40, customers=k.tickets + 30, orders=160,
                      own_orders=0, account=None, past_returns=4, return_window_days=365,
                      restocking_fee_pct=fee)
    kinds = [*k.kinds, *(rng.choice(("refund", "refund", *k.kinds))
                         for _ in range(k.tickets - len(k.kinds)))][:k.tickets]
    rng.shuffle(kinds)
    staff = people(rng, 4, "support.example")
    desk = Desk(now, staff[0], staff[1], staff[2:], shop, window, fee, limit,
                rng.choice(SLA_HOURS), [])
    used: set[str] = set()
    for kind in kinds:
        request = _request(desk, kind, rng, used)
        if request is None:
            return None
        used.add(request.order.customer)
        desk.queue.append(request)
    if k.credit:
        for r in rng.sample(desk.queue, max(2, k.tickets // 3)):
            r.credit = True
    desk.queue.sort(key=lambda r: r.created)
    if any(abs((r.created + timedelta(hours=desk.sla[r.priority]) - now).total_seconds())
           < 1800 for r in desk.queue) or not any(desk.breached(r) for r in desk.queue):
        return None
    return desk


def _request(desk: Desk, kind: str, rng: random.Random, used: set[str]) -> Request | None:
    """A request of ``kind`` on an order of a customer not in the queue yet."""
    shop, today = desk.shop, desk.now.date()
    created = desk.now - timedelta(minutes=rng.randrange(20, 60 * 60))
    priority = rng.choice(("urgent", "high", "medium", "medium", "low"))

    def age(o: Order) -> int:
        return (today - date.fromisoformat(o.delivered or o.placed)).days

    def fits(o: Order) -> bool:
        if o.customer in used or shop.returns_of(o.id):
            return False
        if kind == "cancel":
            return o.status == "placed"
        if kind == "shipped":
            return o.status == "shipped"
        if o.status != "delivered" or o.delivered is None:
            return False
        opened = (created.date() - date.fromisoformat(o.delivered)).days
        return opened > desk.window + 1 if kind == "late" else 1 <= age(o) < desk.window \
            and opened >= 0

    def line_fits(o: Order, line: OrderLine) -> bool:
        product = shop.product(line.sku)
        final = product is not None and not product.returnable
        if kind == "final":
            return final
        if final:
            return False
        big = line.quantity * line.unit_price_cents > desk.limit * 100 + 1000
        small = line.unit_price_cents < desk.limit * 100 - 1000
        return big if kind == "escalate" else small

    orders = [o for o in shop.orders if fits(o)]
    rng.shuffle(orders)
    for order in orders:
        if kind in ("cancel", "shipped"):
            created = max(created, datetime.combine(date.fromisoformat(order.placed),
                                                    time(8), UTC))
            return Request(kind, _person(shop, order), order, None, 0, "", priority, created)
        lines = [line for line in order.lines if line_fits(order, line)]
        if not lines:
            continue
        line = rng.choice(lines)
        quantity = line.quantity if kind == "escalate" else rng.randint(1, line.quantity)
        while kind != "escalate" and quantity > 1 and \
                quantity * line.unit_price_cents > desk.limit * 100 - 1000:
            quantity -= 1
        reason = rng.choice(sorted(SAYS))
        return Request(kind, _person(shop, order), order, line, quantity, reason, priority,
                       created)
    return None


def _person(shop: ShopStore, order: Order) -> Person:
    customer = shop.customer(order.customer)
    if customer is None:
        raise ValueError(f"order {order.id} has no customer")
    first, _, last = customer.name.partition(" ")
    return Person(first, last, customer.email)


def _ticket_text(r: Request, rng: random.Random) -> tuple[str, str]:
    who = r.customer
    if r.line is None:
        return (f"Please cancel order {r.order.id}",
                (f"Hello,\n\nI placed order {r.order.id} on {r.order.placed} and no longer "
                 f"want it. Please cancel it.\n\nThanks,\n{who.name}"))
    title = rng.choice((f"Return for order {r.order.id}", f"Problem with order {r.order.id}",
                        f"Order {r.order.id}: I want to send something back"))
    return title, (f"Hello,\n\nmy order {r.order.id} included {r.line.name}; "
                   f"{rng.choice(SAYS[r.reason])}. I would like to return {r.quantity} of "
                   f"them (line {r.line.line} of the order) and get a refund.\n\n{who.name}")


def _tracker(desk: Desk, rng: random.Random) -> TicketsStore:
    store = TicketsStore(me=desk.me.email)
    for p in [desk.me, desk.lead, *desk.staff]:
        store.add_user(p.email, p.name)
    for r in desk.queue:
        if store.user(r.customer.email) is None:
            store.add_user(r.customer.email, r.customer.name)
    store.add_project(PROJECT, "Customer support", [p.email for p in (desk.me, desk.lead,
                                                                       *desk.staff)],
                      "Requests from the shop's customers.", transitions=FLOW,
                      initial="Open", closed=["Resolved"])
    # earlier requests, already worked, among the open ones (their own stream)
    others = [c for c in desk.shop.customers
              if c.email not in {r.customer.email for r in desk.queue}]
    past: list[tuple[datetime, str, str, str, str, str | None, list[str]]] = []
    for customer in rng.sample(others, min(len(others), 3 + len(desk.queue) // 2)):
        at = desk.now - timedelta(minutes=rng.randrange(60, 60 * 90))
        state = rng.choice(("Resolved", "Resolved", "Escalated"))
        if store.user(customer.email) is None:
            store.add_user(customer.email, customer.name)
        order = rng.choice(desk.shop.orders)
        past.append((at, customer.email, f"Question about order {order.id}",
                     (f"Hello,\n\ncould you tell me where order {order.id} is?\n\n"
                      f"{customer.name}"), state,
                     desk.lead.email if state == "Escalated" else rng.choice(desk.staff).email,
                     [rng.choice(("return", "cancellation", "question"))]))
    drafts: list[tuple[Any, ...]] = [(r.created, r.customer.email, *_ticket_text(r, rng), "Open", None, [_label(r)],
               r) for r in desk.queue]
    drafts += [(*p, None) for p in past]
    for at, who, title, body, state, owner, labels, request in sorted(drafts,
                                                                     key=lambda d: d[0]):
        made = store.add_ticket(PROJECT, title, at, body, state=state,
                                priority=request.priority if request else rng.choice(
                                    ("high", "medium", "low")),  # type: ignore[arg-type]
                                assignee=owner, reporter=who, labels=labels)
        if request is not None:
            request.id = made.id
    return store


def _mailbox(desk: Desk, k: Knobs, rng: random.Random, richness: float,
             rich: random.Random) -> tuple[Mailbox, list[str]]:
    """Customers' mails after their tickets: store credit asked for, requests withdrawn;
    and (richness) everyday mails and customers asking for news."""
    box = Mailbox(desk.me)
    keys: list[str] = []
    for n, r in enumerate(desk.queue):
        later = r.created + (desk.now - r.created) * rng.uniform(0.2, 0.9)
        if r.credit:
            keys.append(box.receive(r.customer, f"Re: {r.id}", (
                f"Hello,\n\nabout my ticket {r.id} (order {r.order.id}): if you refund me, "
                f"I would rather have store credit than money back to my card.\n\n"
                f"{r.customer.name}"), later, key=f"credit{n}"))
        if r.kind == "withdrawn":
            keys.append(box.receive(r.customer, f"Re: {r.id}", (
                f"Hello,\n\nplease forget my ticket {r.id} about order {r.order.id}: I "
                f"will keep the article after all, no return needed.\n\n{r.customer.name}"),
                later + timedelta(minutes=5), key=f"withdraw{n}"))
    start = desk.now - timedelta(days=3)
    everyday_mails(box, rich, 1 + scaled(richness, 6), desk.me, [desk.lead, *desk.staff],
                   start, desk.now)
    for n, (r, at) in enumerate(zip(rich.sample(desk.queue, scaled(richness, 3)),
                                    times_in(rich, start, desk.now, 3), strict=False)):
        box.receive(r.customer, f"Any news on {r.id}?", (
            f"Hello,\n\njust checking whether there is any news on {r.id}.\n\n"
            f"{r.customer.name}"), max(at, r.created + timedelta(minutes=10)), key=f"news{n}")
    return box, keys


def _wiki(desk: Desk, richness: float, rich: random.Random) -> WikiStore:
    store = WikiStore(me=desk.me.name)
    at = desk.now - timedelta(days=40)
    table = "\n".join(f"| {' / '.join(says)} | {reason} |" for reason, says in SAYS.items())
    store.add_page(POLICY, (
        f"# Refund policy\n\nApply the first rule that fits each request.\n\n"
        f"1. A customer who withdrew the request by mail gets no return: resolve the ticket "
        f"with the decision withdrawn.\n"
        f"2. Articles the shop sells as final sale (not returnable) are never refunded: "
        f"decline with the reason \"{FINAL}\".\n"
        f"3. A return must be asked for at most {desk.window} days after delivery, counted "
        f"from the delivery date to the day the ticket was opened; later ones are declined "
        f"with the reason \"{LATE}\". The shop's own return_deadline is the warranty "
        f"setting of the system, not this policy.\n"
        f"4. A cancellation goes through only while the order is placed (not yet shipped): "
        f"cancel it in the shop, decision cancelled. Otherwise decline with the reason "
        f"\"{SHIPPED}\".\n"
        f"5. A return of articles worth more than EUR {desk.limit} in all (unit price times "
        f"quantity) is not created by the desk: assign the ticket to the refunds lead, "
        f"{desk.lead.name} ({desk.lead.email}), and move it to Escalated; decision "
        f"escalated.\n"
        f"6. Otherwise create the return in the shop for the line and quantity the "
        f"customer names, with the reason from the table below, refunded to the original "
        f"payment unless the customer asked for store credit, and approve it; decision "
        f"refund. The shop keeps its {desk.fee}% restocking fee for wrong_size and "
        f"no_longer_needed by itself.\n\n| the customer says | reason |\n| --- | --- |\n"
        f"{table}\n"), desk.lead.name, at)
    sla = "\n".join(f"| {p} | {h} hours |" for p, h in desk.sla.items())
    store.add_page(SLA, (
        f"# Support SLA\n\nEvery ticket gets a first response within the time its priority "
        f"allows, counted from the ticket's creation.\n\n| priority | first response |\n"
        f"| --- | --- |\n{sla}\n\nA ticket whose time has run out by the time you work on "
        f"it gets the label {BREACHED}, whatever the decision.\n"), desk.lead.name,
        at + timedelta(days=1))
    extra = [("Shipping times", ("Parcels leave the warehouse the day after an order is "
                                 "placed and arrive within 3 to 6 days.")),
             ("Holiday hours", "The desk answers from 9:00 to 17:00 on working days."),
             ("Tone of voice", "Write short, friendly replies and sign with your first name."),
             ("Warranty", "Electronics carry a two-year warranty handled by the maker.")]
    for title, body in rich.sample(extra, scaled(richness, len(extra))):
        store.add_page(title, f"# {title}\n\n{body}\n", rich.choice(desk.staff).name,
                       at + timedelta(days=rich.randrange(2, 30)))
    return store


def _prompt(desk: Desk) -> str:
    return (
        f"You are {desk.me.name} ({desk.me.email}) on the support desk of "
        f"{desk.shop.name}. It is now {desk.now:%Y-%m-%d %H:%M} UTC. Work every open "
        f"ticket of the {PROJECT} project (tickets) under the wiki's \"{POLICY}\" and "
        f"\"{SLA}\" pages, with the shop's back office (shop) for the orders and your "
        f"mailbox (mail) for what customers wrote after opening their tickets.\n\n"
        f"For each ticket: act in the shop as the policy says (a return created and "
        f"approved, an order cancelled, or nothing); reply to the customer (the ticket's "
        f"reporter) with one mail whose body has these lines:\nTicket: <ticket id>\n"
        f"Decision: <refund, declined, cancelled, escalated or withdrawn>\nRefund: <the "
        f"amount the shop's return gives back, e.g. 59.00> (only for a refund)\nReason: "
        f"<the policy's reason> (only when declined)\nThen move the ticket to Resolved, or "
        f"to Escalated assigned as the policy says, and add the label {BREACHED} where the "
        f"SLA says so. Change nothing else.")


# -- grading ---------------------------------------------------------------------------------


def _criteria(desk: Desk) -> tuple[Criterion, ...]:
    queue = {r.id for r in desk.queue}
    sent = wc.sent_mails()

    def replies(ctx: GradeContext) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        for mail in sent(ctx):
            values: dict[str, list[str]] = {"ticket": [], "decision": [], "refund": [],
                                            "reason": []}
            for line in mail.lines():
                key, colon, value = line.partition(":")
                if colon and key.strip().casefold() in values:
                    values[key.strip().casefold()].append(value.strip().casefold())
            ok = len(values["ticket"]) == len(values["decision"]) == 1 and all(
                len(v) <= 1 for v in values.values())
            for who in mail.recipients:
                found.append((who, values["ticket"][0].upper(), values["decision"][0],
                              _money(values["refund"]), (values["reason"] or [""])[0])
                             if ok else (who, "malformed", mail.id))
        return found

    def returns(ctx: GradeContext) -> list[tuple[Any, ...]]:
        return [(r.order, tuple(sorted((x.line, x.quantity) for x in r.lines)), r.reason,
                 r.refund_method, r.status) for r in wc.new_records(ctx, "shop", "returns")]

    before = {o.id: o.status for o in desk.shop.orders}

    def orders(ctx: GradeContext) -> list[tuple[str, str]]:
        shop = ctx.world.stores["shop"]
        if not isinstance(shop, ShopStore):
            return [("shop", "replaced")]
        return [(o.id, o.status) for o in shop.orders if before.get(o.id) != o.status]

    initial = {r.id: (r.id, "Open", "", (_label(r),)) for r in desk.queue}

    def tickets(ctx: GradeContext) -> list[tuple[Any, ...]]:
        store = ctx.world.stores["tickets"]
        if not isinstance(store, TicketsStore):
            return [("tickets", "replaced")]
        now = [(t.id, t.state, t.assignee or "", tuple(t.labels)) for t in store.tickets
               if t.id in queue]
        return [row for row in now if initial.get(str(row[0])) != row]

    def others_kept(ctx: GradeContext) -> tuple[bool, str]:
        store = ctx.world.stores["tickets"]
        if not isinstance(store, TicketsStore):
            return False, "the tracker was replaced"
        old = [t for t in _initial(ctx, "tickets").get("tickets", []) if t["id"] not in queue]
        new = [t.model_dump(mode="json") for t in store.tickets if t.id not in queue]
        return old == new, "unchanged" if old == new else "a ticket outside the queue changed"

    def orders_kept(ctx: GradeContext) -> tuple[bool, str]:
        cancels = {r.order.id for r in desk.queue if r.kind == "cancel"}
        shop = ctx.world.stores["shop"]
        if not isinstance(shop, ShopStore):
            return False, "the shop was replaced"
        old = [o for o in _initial(ctx, "shop").get("orders", []) if o["id"] not in cancels]
        new = [o.model_dump(mode="json") for o in shop.orders if o.id not in cancels]
        return old == new, "unchanged" if old == new else "an order was changed"

    moved = len(desk.shop.stock_moves)

    def products_kept(ctx: GradeContext) -> tuple[bool, str]:
        cancels = {r.order.id for r in desk.queue if r.kind == "cancel"}
        shop = ctx.world.stores["shop"]
        if not isinstance(shop, ShopStore):
            return False, "the shop was replaced"
        old = [{**p, "stock": 0} for p in _initial(ctx, "shop").get("products", [])]
        new = [{**p.model_dump(mode="json"), "stock": 0} for p in shop.products]
        moves = [m for m in shop.stock_moves[moved:]
                 if m.reason != "cancel" or m.ref not in cancels]
        if old != new or moves:
            return False, "products or their stock changed"
        return True, "unchanged"

    mails: list[tuple[str, tuple[str, ...]]] = [(f"reply {r.id}", (r.customer.email, r.id, desk.decision(r),
                                cents_text(desk.refund(r)) if r.kind == "refund" else "",
                                desk.why(r))) for r in desk.queue]
    made = [(f"return {r.id}", (r.order.id, ((r.line.line, r.quantity),), r.reason,
                                "store_credit" if r.credit else "original_payment",
                                "approved"))
            for r in desk.queue if r.kind == "refund" and r.line is not None]
    cancelled = [(f"cancelled {r.order.id}", (r.order.id, "cancelled"))
                 for r in desk.queue if r.kind == "cancel"]
    states = [(f"ticket {r.id}", desk.final(r)) for r in desk.queue]
    return (
        *wc.item_credit(mails, wc.per_grade(replies), group="reply"),
        *wc.item_credit(made, wc.per_grade(returns), group="return", weight=2.0),
        *wc.item_credit(cancelled, wc.per_grade(orders), group="cancellation", weight=2.0),
        *wc.item_credit(states, wc.per_grade(tickets), group="ticket"),
        Criterion("tickets outside the queue unchanged", others_kept, guard=True),
        Criterion("orders changed only by the cancellations asked for", orders_kept,
                  guard=True),
        wc.unchanged("wiki, mails, products, customers and earlier returns unchanged",
                     stores=["wiki"], records=[("mail", "messages"), ("shop", "returns")]),
        Criterion("products unchanged but for the cancellations' stock", products_kept,
                  guard=True),
        wc.unchanged("customers unchanged", records=[("shop", "customers")]),
        wc.only_recipients("mail only to the queue's customers",
                           [r.customer.email for r in desk.queue]),
    )


def _initial(ctx: GradeContext, store: str) -> dict[str, Any]:
    dump = ctx.initial.stores.get(store)
    return json.loads(dump) if dump else {}


def _money(values: list[str]) -> str:
    """A refund amount as the shop writes it ("59.00"); '' when none, the text when odd."""
    if not values:
        return ""
    text = values[0].replace("eur", "").replace("€", "").strip()
    try:
        cents = round(float(text) * 100)
    except (ValueError, OverflowError):
        return text
    return cents_text(cents) if abs(cents) < 10**12 else text


# -- the reference ---------------------------------------------------------------------------


def _reference(desk: Desk, ids: dict[str, str], follow: list[str]) -> tuple[ToolCall, ...]:
    calls = [ToolCall("wiki.read", {"page": POLICY}), ToolCall("wiki.read", {"page": SLA}),
             ToolCall("tickets.search", {"project": PROJECT, "is_open": True, "limit": 100}),
             ToolCall("mail.search", {"folder": "inbox", "limit": 100})]
    calls += [ToolCall("mail.read", {"message_id": ids[key]}) for key in follow]
    returns = len(desk.shop.returns)
    for r in desk.queue:
        calls += [ToolCall("tickets.get", {"ticket_id": r.id}),
                  ToolCall("shop.get_order", {"order_id": r.order.id})]
        if r.kind == "refund" and r.line is not None:
            returns += 1
            calls += [ToolCall("shop.create_return", {
                "order_id": r.order.id, "items": [{"line": r.line.line, "quantity": r.quantity}],
                "reason": r.reason, "comment": f"Ticket {r.id}",
                "refund_method": "store_credit" if r.credit else "original_payment"},
                items={"items": (), "reason": ()}),
                ToolCall("shop.process_return", {"return_id": f"R-{returns:04d}",
                                                 "action": "approve"})]
        if r.kind == "cancel":
            calls.append(ToolCall("shop.cancel_order", {"order_id": r.order.id},
                                  items={"order_id": ()}))
        body = "\n".join(desk.reply(r))
        calls.append(ToolCall("mail.send", {
            "to": [r.customer.email], "subject": f"Your request {r.id}",
            "body": f"Hello {r.customer.first},\n\n{body}\n\nKind regards,\n{desk.me.first}"},
            items={"body": tuple(desk.reply(r))}))
        _, state, assignee, labels = desk.final(r)
        if assignee or BREACHED in labels:
            update: dict[str, Any] = {"ticket_id": r.id}
            if assignee:
                update["assignee"] = assignee
            if BREACHED in labels:
                update["add_labels"] = [BREACHED]
            calls.append(ToolCall("tickets.update", update, items={"ticket_id": ()}))
        calls.append(ToolCall("tickets.transition", {"ticket_id": r.id, "state": state},
                              items={"state": ()}))
    return tuple(calls)
