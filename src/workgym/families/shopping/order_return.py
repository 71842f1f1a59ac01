"""shopping/order-return: return what a customer's complaint and the store's policy allow.

Description:
    A customer-service agent of an online shop receives a customer's mail about several
    articles of their past orders (each named by product and by the order's date): one
    arrived damaged, one stopped working, one does not fit, one is no longer needed, and so
    on. The store's return policy (``policies/returns-policy.docx``) decides which of them
    can be returned (the return window, final-sale articles, socks and base layers only
    when faulty, electronics returned for fit or a change of mind only within 14 days of
    delivery) and which reason code each takes. The agent requests the returns in the
    shop's back office, one per order and reason, with the refund method the customer
    asked for, and mails the customer a confirmation: each return's id and refund, the
    SKUs that cannot be returned, and the total refund.

    The variant chooses the surface: ``default`` poses it through the shop app's tools
    (the API), ``browser`` through the shop's website in the browser app (the GUI). Both
    change the same shop store, so one grader serves both.

Apps:
    shop (default) or browser (variant ``browser``), mail, docs.

Criteria:
    - ``return <order> line <n>``: a requested return holds that line with the right
      quantity and reason; precision-aware (a line not to return, a wrong quantity or
      reason, or a repeat cancels one).
    - ``returns exactly right`` (weight 2); ``one return per order and reason``;
      ``refund method as asked``; ``returns left requested``.
    - ``confirmation lists each return`` (ids and refunds as the shop holds them),
      ``not-returned SKUs``, ``total refund``: lines of the mail to the customer.
    - guards: orders, products, customers, earlier returns, the policy and the mails
      unchanged (the catalogue by SKU); mail only to the customer.

Difficulty:
    Knobs set the articles to return, the rules in play (final sale, an expired window,
    socks and base layers, electronics), partial quantities and the customer's orders.
    Reference calls (API): easy 13, medium 18, hard 26 (the browser takes more). ``richness`` adds everyday mails,
    a past mail from the customer, policy sections on other matters and an archived
    policy.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps import dispatch, parse_url, render
from workgym.apps.docs import DocxBlock, build_docx
from workgym.apps.shop import OrderLine, ShopStore, cents_text, request_return
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.shop import shop_store
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
    World,
    WorldTemplate,
    register_family,
    rng_for,
)

T = TypeVar("T")
POLICY = "policies/returns-policy.docx"
HYGIENE = ("HS", "MB")
"""Product lines returned only when faulty (socks, base layers)."""
FAULT = ("damaged", "defective", "wrong_item")
CHANGE = ("wrong_size", "no_longer_needed")
ELECTRONICS_DAYS = 14
_SAYS: dict[str, tuple[str, ...]] = {
    "damaged": ("{it} arrived damaged: the parcel was crushed and it is cracked.",
                "{it} came with a long scratch and a dent, straight out of the box."),
    "defective": ("{it} stopped working after two days.",
                  "{it} has a fault: it failed the first time I used it."),
    "wrong_item": ("instead of {it} you sent me a different article altogether.",
                   "the parcel held another product, not {it} that I ordered."),
    "wrong_size": ("{it} does not fit me, it is too small.", "{it} is too big for me."),
    "no_longer_needed": ("I no longer need {it}; I changed my mind.",
                         "{it} turned out to be something I will not use after all."),
}


class Knobs(BaseModel, frozen=True):
    returns: int
    """Articles that can be returned."""
    expired: bool
    """One article is from an order whose return window has closed."""
    special: bool
    """Socks or base layers and electronics are among the articles (rules 3 and 4)."""
    partial: bool
    """One article is returned in part (one of several bought)."""
    orders: int
    """The customer's orders."""


@dataclass(frozen=True)
class _Item:
    order: str
    sku: str
    name: str
    situation: str
    bought: int
    back: int
    """How many go back (0: the policy keeps the article)."""
    line: int = 0


def surface_apps(variant: str) -> tuple[str, ...]:
    """The apps a variant poses the task through: the shop's API or its website."""
    return ("browser" if variant == "browser" else "shop", "mail", "docs")


@register_family
class OrderReturn(TaskFamily[Knobs]):
    """Return the articles a customer's complaint names that the store's policy allows."""

    name = "shopping/order-return"
    version = 1
    apps = ("shop", "browser", "mail", "docs")
    variants = ("default", "browser")
    levels = Levels(
        easy=Level(Knobs(returns=2, expired=False, special=False, partial=False, orders=4),
                   calls=13, apps=3),
        medium=Level(Knobs(returns=3, expired=True, special=False, partial=True, orders=6),
                     calls=18, apps=3),
        hard=Level(Knobs(returns=5, expired=True, special=True, partial=True, orders=8),
                   calls=26, apps=3),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        for _ in range(200):
            now = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=rng.randrange(300))
            drawn = self._draw(rng, k, now)
            if drawn is not None:
                break
        else:
            raise ValueError(f"{spec.family_id} seed {spec.seed}: no shop fits the knobs")
        store, customer_id, items = drawn
        customer = next(c for c in store.customers if c.id == customer_id)
        first = customer.name.split()[0]
        (me,) = people(rng, 1, domain="northwind.example")
        credit = rng.random() < 0.5
        method = "store_credit" if credit else "original_payment"

        rich = rng_for(spec, "distractors")
        box = Mailbox(me)
        who = Person(first, customer.name.split()[-1], customer.email)
        box.receive(who, rng.choice(("Problems with my orders", "Returns, please",
                                     "Several issues with my recent orders")),
                    self._complaint(store, items, credit, first, rng),
                    now - timedelta(hours=rng.randint(2, 30)), key="complaint")
        others = people(rich, 3, domain="northwind.example")
        everyday_mails(box, rich, scaled(spec.richness, 5), me, others,
                       now - timedelta(days=12), now - timedelta(days=1))
        if spec.richness >= 0.5:
            box.receive(who, "Delivery times", letter(
                "Northwind team", "how long does shipping to my city usually take? Just "
                "planning ahead for a gift.", first), now - timedelta(days=rich.randint(
                    40, 80)), key="old")
        mail, ids = box.build()
        files = {POLICY: self._policy(store, spec.richness, rich)}
        if spec.richness > 0:
            files["policies/archive/returns-policy-2023.docx"] = build_docx([
                DocxBlock.heading("Returns policy (2023, superseded)", 0),
                DocxBlock.paragraph(f"Returns are accepted within {rich.choice((14, 21))} days "
                                    "of delivery, with the receipt, in the original box.")])

        # the answer: one return per order and reason, in order of the order and reason
        work = store.model_copy(deep=True)
        groups: dict[tuple[str, str], list[_Item]] = {}
        for item in items:
            if item.back:
                groups.setdefault((item.order, item.situation), []).append(item)
        made: list[tuple[str, str, dict[int, int], str]] = []
        for (order, reason), group in sorted(groups.items()):
            wanted = {i.line: i.back for i in group}
            created = request_return(work, now.date(), order, wanted, reason, "", method)
            made.append((created.id, cents_text(created.refund_cents), wanted, order))
        total = sum(r.refund_cents for r in work.returns)
        kept = sorted(i.sku for i in items if not i.back)
        cur = store.currency
        note = [*(f"Return {rid}: {amount} {cur}" for rid, amount, _, _ in made),
                *(f"Not returned: {sku}" for sku in kept), f"Total refund: {cents_text(total)} {cur}"]
        expected = sorted((i.order, i.line, i.back, i.situation) for i in items if i.back)

        surface = spec.variant if spec.variant in self.variants else "default"
        plan = self._reference(surface, store, now, customer_id, ids["complaint"], groups,
                               sorted(i.sku for i in items), method, customer.email, first, me.first, note)
        return Task(spec=spec, prompt=self._prompt(surface, me, store, first, customer.email),
                    apps=surface_apps(surface),
                    template=WorldTemplate(now=now, files=files,
                                           stores={"mail": mail, "shop": store}),
                    criteria=self._criteria(expected, sorted(groups), method, kept,
                                            f"{cents_text(total)}", customer.email, me.email),
                    reference=plan)

    # -- world pieces ---------------------------------------------------------------------

    def _draw(self, rng: random.Random, k: Knobs, now: datetime,
              ) -> tuple[ShopStore, str, list[_Item]] | None:
        window = rng.choice((30, 45, 60))
        store = shop_store(rng, now=now, products=48, customers=9, orders=30 + k.orders,
                           own_orders=k.orders, account=None, past_returns=0,
                           return_window_days=window,
                           restocking_fee_pct=rng.choice((0, 10, 15)))
        # hide who the customer is: the account with many orders gets a random id
        ids = [c.id for c in store.customers]
        renamed = dict(zip(ids, rng.sample(ids, len(ids)), strict=True))
        for c in store.customers:
            c.id = renamed[c.id]
        for o in store.orders:
            o.customer = renamed[o.customer]
        store.customers.sort(key=lambda c: c.id)
        me = renamed[ids[0]]
        today = now.date()
        mine = [o for o in store.orders if o.customer == me and o.status == "delivered"]

        def age(o: Any) -> int:
            return (today - date.fromisoformat(o.delivered)).days

        if len({o.placed for o in store.orders if o.customer == me}) != k.orders:
            return None
        if any(abs(age(o) - window) <= 1 or abs(age(o) - ELECTRONICS_DAYS) <= 1 for o in mine):
            return None
        open_ = [o for o in mine if age(o) < window]
        closed = [o for o in mine if age(o) > window]
        if len(open_) < 2 or (k.expired and not closed):
            return None
        pools: dict[str, list[str]] = {"plain": [], "final": [], "hygiene": [], "tech": []}
        for p in store.products:
            kind = ("final" if not p.returnable else "tech" if p.category == "Electronics"
                    else "hygiene" if p.sku.split("-")[0] in HYGIENE else "plain")
            pools[kind].append(p.sku)
        plan: list[tuple[str, Any, str, bool]] = []  # kind, order, situation, partial
        for n in range(k.returns):
            plan.append(("plain", rng.choice(open_), rng.choice((*FAULT, *CHANGE)),
                         k.partial and n == 0))
        plan.append(("final", rng.choice(open_), rng.choice(CHANGE), False))
        if k.expired:
            plan.append(("plain", rng.choice(closed), rng.choice((*FAULT, *CHANGE)), False))
        if k.special:
            plan.append(("hygiene", rng.choice(open_), rng.choice(CHANGE), False))
            plan.append(("hygiene", rng.choice(open_), rng.choice(FAULT), False))
            plan.append(("tech", rng.choice(open_), rng.choice(CHANGE), False))
        need = {kind: sum(1 for p in plan if p[0] == kind) for kind in pools}
        if any(len(pools[kind]) < n for kind, n in need.items()):
            return None
        chosen = {kind: rng.sample(pools[kind], n) for kind, n in need.items()}
        items: list[_Item] = []
        for kind, order, situation, partial in plan:
            sku = chosen[kind].pop()
            product = _known(store.product(sku), sku)
            bought = rng.choice((2, 3)) if partial else rng.choice((1, 1, 1, 2))
            back = 1 if partial else bought
            if (kind == "final" or age(order) > window
                    or (kind == "hygiene" and situation in CHANGE)
                    or (kind == "tech" and age(order) > ELECTRONICS_DAYS)):
                back = 0
            items.append(_Item(order.id, sku, product.name, situation, bought, back))
        # the articles complained about join their orders' other lines, in a random order
        placed: list[_Item] = []
        for order in {i.order: _known(store.order(i.order), i.order) for i in items}.values():
            here = [i for i in items if i.order == order.id]
            skus = {i.sku for i in here}
            rows = [(x.sku, x.quantity) for x in order.lines if x.sku not in skus]
            rows += [(i.sku, i.bought) for i in here]
            rng.shuffle(rows)
            catalogue = {p.sku: p for p in store.products}
            order.lines = [OrderLine(line=n, sku=sku, name=catalogue[sku].name, quantity=q,
                                     unit_price_cents=catalogue[sku].price_cents)
                           for n, (sku, q) in enumerate(rows, 1)]
            line_of = {x.sku: x.line for x in order.lines}
            placed += [_Item(i.order, i.sku, i.name, i.situation, i.bought, i.back,
                             line_of[i.sku]) for i in here]
        order_ix = {i.sku: n for n, i in enumerate(items)}
        return store, me, sorted(placed, key=lambda i: order_ix[i.sku])

    @staticmethod
    def _complaint(store: ShopStore, items: list[_Item], credit: bool, first: str,
                   rng: random.Random) -> str:
        parts = []
        for item in rng.sample(items, len(items)):
            order = _known(store.order(item.order), item.order)
            day = date.fromisoformat(order.placed)
            what = (f"one of the {item.bought} {item.name}" if item.back and
                    item.back < item.bought else f"the {item.name}" if item.bought == 1
                    else f"the {item.name} (all {item.bought})")
            text = rng.choice(_SAYS[item.situation]).format(it=what)
            parts.append(f"- From my order of {day:%d %B %Y}: {text[0].upper()}{text[1:]}")
        ask = ("Store credit is fine for me instead of money back." if credit else
               "Please refund everything to the card I paid with.")
        return letter("Northwind team", "I have a few problems with my recent orders and "
                      "would like to send back what I can:\n" + "\n".join(parts) + f"\n\n{ask}",
                      first, "Kind regards,")

    @staticmethod
    def _policy(store: ShopStore, richness: float, rich: random.Random) -> bytes:
        fee = (f"For wrong_size and no_longer_needed we keep a restocking fee of "
               f"{store.restocking_fee_pct}% of the returned articles' price (the shop "
               "computes it)." if store.restocking_fee_pct else "We charge no restocking fee.")
        rules = [
            f"Returns can be requested within {store.return_window_days} days of delivery.",
            "Final-sale articles (gift cards, clearance items) cannot be returned.",
            ("Socks and base layers (Hiking Socks, Merino Base Layer) are returned only when "
            "faulty (reason damaged, defective or wrong_item), never for fit or a change of "
            "mind."),
            (f"Electronics (category Electronics) returned for fit or a change of mind must be "
            f"requested within {ELECTRONICS_DAYS} days of delivery; faults are accepted over "
            "the whole return window."),
            ("Reason codes: arrived broken, scratched or dented: damaged. Stopped working or "
            "failed in use: defective. We sent a different article than the one ordered: "
            "wrong_item. Does not fit (too small or too big): wrong_size. Changed their mind "
            "or will not use it: no_longer_needed."),
            "Request one return per order and reason. Refunds go to the original payment "
            "unless the customer asks for store credit. " + fee,
        ]
        blocks = [DocxBlock.heading(f"{store.name}: returns policy", 0),
                  *(DocxBlock.paragraph(f"{n}. {r}") for n, r in enumerate(rules, 1))]
        extra = [("Shipping", "Orders ship on the next working day; tracking is mailed."),
                 ("Gift wrapping", "Gift wrapping costs 3.50 and can be chosen at checkout."),
                 ("Warranty", ("Gear carries a two-year warranty against manufacturing faults; "
                              "warranty claims go through the manufacturer after the window.")),
                 ("Price match", ("We match a lower price from a listed retailer within 7 "
                                 "days of purchase."))]
        for title, text in rich.sample(extra, scaled(richness, len(extra))):
            blocks += [DocxBlock.heading(title, 1), DocxBlock.paragraph(text)]
        return build_docx(blocks)

    @staticmethod
    def _prompt(surface: str, me: Person, store: ShopStore, first: str, email: str) -> str:
        where = (f"in the shop's back office through the shop's website, "
                 f"https://{store.host}/ (open it in the browser)" if surface == "browser"
                 else "in the shop's back office (the shop tools)")
        cur = store.currency
        return (
            f"You are {me.name} ({me.email}) in customer service at {store.name}. {first} "
            f"({email}) mailed about articles of their past orders. Decide under the returns "
            f"policy in {POLICY} which of the articles they mention can be returned, and "
            f"request those returns {where}: one return per order and reason, each with "
            f"the quantity {first} sends back, the reason code the policy gives and the "
            f"refund method {first} asked for. Leave the returns requested (the warehouse "
            f"approves them when the parcel arrives).\n\n"
            f"Then mail {first} ({email}, nobody else) a confirmation with these lines:\n"
            f"Return <return id>: <refund> {cur}   (one per return you requested)\n"
            f"Not returned: <SKU>   (one per article mentioned that cannot be returned)\n"
            f"Total refund: <the refunds added up> {cur}\n"
            f"Amounts with 2 decimals. Do not change orders, products, customers or the policy.")

    # -- the reference, per surface -----------------------------------------------------

    def _reference(self, surface: str, store: ShopStore, now: datetime, customer: str,
                   complaint: str, groups: dict[tuple[str, str], list[_Item]],
                   complained: list[str], method: str, email: str, first: str, me: str, note: list[str]) -> tuple[ToolCall, ...]:
        orders = [o.id for o in store.orders if o.customer == customer]
        calls = [ToolCall("mail.search", {"query": "orders"}),
                 ToolCall("mail.read", {"message_id": complaint}),
                 ToolCall("docs.read", {"path": POLICY})]
        if surface == "browser":
            calls += self._browser_plan(store, now, customer, orders, groups, complained,
                                        method)
        else:
            calls += [ToolCall("shop.list_customers", {"query": email}),
                      ToolCall("shop.list_orders", {"customer_id": customer, "limit": 100}),
                      *(ToolCall("shop.get_order", {"order_id": o}) for o in orders),
                      *(ToolCall("shop.get_product", {"sku": s}) for s in complained)]
            for (order, reason), group in sorted(groups.items()):
                rows = [{"line": i.line, "quantity": i.back} for i in group]
                calls.append(ToolCall("shop.create_return", {
                    "order_id": order, "items": rows, "reason": reason,
                    "refund_method": method}, items={"items": ()}))
        body = letter(first, "thank you for your mail. Here is where your returns stand:\n\n"
                      + "\n".join(note), me, "Kind regards,")
        calls.append(ToolCall("mail.send", {"to": [email], "subject": "Your returns",
                                            "body": body}, items={"body": tuple(note)}))
        return tuple(calls)

    @staticmethod
    def _browser_plan(store: ShopStore, now: datetime, customer: str, orders: list[str],
                      groups: dict[tuple[str, str], list[_Item]], complained: list[str],
                      method: str) -> list[ToolCall]:
        """The GUI steps; each form's element refs come from rendering the page over a copy
        of the store, advanced by each return the plan requests (as the browser will)."""
        site = f"https://{store.host}"
        work = store.model_copy(deep=True)
        world = World(Path("/nonexistent"), now, {"shop": work})

        def refs(path: str) -> Callable[[str, str], str]:
            url = parse_url(site + path)
            page = render(world, url, dispatch(world, "GET", url))
            def find(role: str, name: str) -> str:
                return next(b.ref for b in page.refs.values() if b.role == role
                            and b.name == name)
            return find

        calls = [ToolCall("browser.navigate", {"url": f"{site}/orders?customer={customer}"}),
                 *(ToolCall("browser.navigate", {"url": f"{site}/orders/{o}"}) for o in orders),
                 *(ToolCall("browser.navigate", {"url": f"{site}/products/{s}"})
                   for s in complained)]
        for (order, reason), group in sorted(groups.items()):
            path = f"/orders/{order}/return"
            find = refs(path)
            calls.append(ToolCall("browser.navigate", {"url": site + path}))
            for i in group:
                calls.append(ToolCall("browser.type", {
                    "ref": find("spinbutton", f"Quantity to return, line {i.line}: {i.name}"),
                    "text": str(i.back)}, items={"text": ()}))
            calls += [ToolCall("browser.select_option", {"ref": find("combobox", "Reason"),
                                                         "values": [reason]}),
                      ToolCall("browser.select_option", {"ref": find("combobox", "Refund to"),
                                                         "values": [method]}),
                      ToolCall("browser.click", {"ref": find("button", "Request return")})]
            request_return(work, now.date(), order, {i.line: i.back for i in group}, reason,
                           "", method)
        return calls

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, expected: list[tuple[str, int, int, str]],
                  groups: list[tuple[str, str]], method: str, kept: list[str], total: str,
                  email: str, me: str) -> tuple[Criterion, ...]:
        def active(ctx: GradeContext) -> list[Any]:
            return [r for r in wc.new_records(ctx, "shop", "returns") if r.status != "cancelled"]

        lines = wc.per_grade(lambda ctx: [(r.order, x.line, x.quantity, r.reason)
                                          for r in active(ctx) for x in r.lines])
        made = wc.per_grade(lambda ctx: [(r.order, r.reason) for r in active(ctx)])
        mails = wc.sent_mails()

        def note(ctx: GradeContext) -> list[str]:
            mine = [m for m in mails(ctx) if email in m.to]
            if not mine:
                raise GradeError(f"no mail to {email}")
            return mine[-1].lines()

        def returns_listed(ctx: GradeContext) -> tuple[bool, str]:
            shown = sorted((m.group(1), _amount(m.group(2))) for x in note(ctx)
                           if (m := _RETURN.match(x)))
            held = sorted((r.id, cents_text(r.refund_cents)) for r in active(ctx))
            return bool(held) and shown == held, f"mail {shown[:4]}, shop {held[:4]}"

        def not_returned(ctx: GradeContext) -> tuple[bool, str]:
            shown = sorted(x.split(":", 1)[1].strip().upper() for x in note(ctx)
                           if x.lower().startswith("not returned:"))
            return shown == kept, f"listed {shown[:5]}, expected {len(kept)} SKU(s)"

        def total_line(ctx: GradeContext) -> tuple[bool, str]:
            found = [_amount(x.split(":", 1)[1]) for x in note(ctx)
                     if x.lower().startswith("total refund:")]
            return found == [total], f"total lines {found[:3]}, expected {total}"

        def by_method(ctx: GradeContext) -> tuple[bool, str]:
            got = [r.refund_method for r in active(ctx)]
            return bool(got) and set(got) == {method}, f"refund methods {sorted(set(got))}"

        def requested(ctx: GradeContext) -> tuple[bool, str]:
            got = [r.status for r in active(ctx)]
            return bool(got) and set(got) == {"requested"}, f"states {sorted(set(got))}"

        return (
            *wc.item_credit([(f"return {o} line {n}", (o, n, q, r)) for o, n, q, r in expected],
                            lines, group="returned line"),
            wc.exact_items("returns exactly right", expected, lines, weight=2.0),
            wc.exact_items("one return per order and reason", groups, made),
            Criterion("refund method as asked", by_method),
            Criterion("returns left requested", requested),
            Criterion("confirmation lists each return", returns_listed),
            Criterion("not-returned SKUs", not_returned),
            Criterion("total refund", total_line),
            wc.unchanged("orders, customers, policy and mails untouched", paths=[POLICY],
                         records=[("mail", "messages"), ("shop", "orders"),
                                  ("shop", "customers"), ("shop", "returns")]),
            wc.unchanged("catalogue untouched", records=[("shop", "products")], key="sku"),
            wc.only_recipients("mail only to the customer", [email, me]),
        )


def _known(found: T | None, what: str) -> T:
    """A record the generator itself made (a lookup that cannot miss, kept explicit)."""
    if found is None:
        raise ValueError(f"the generated shop has no {what}; the draw is inconsistent")
    return found


_RETURN = re.compile(r"Return (R-\d{1,6}): (.{1,40})")


def _amount(text: str) -> str:
    """An amount as the mail writes it (``45.00 EUR``, ``EUR 45.00``, ``45.00``), as the
    shop's decimal text; the text itself when it is not one amount."""
    words = [w for w in text.replace(",", "").split() if not w.isalpha()]
    if len(words) != 1 or not re.fullmatch(r"-?\d{1,9}\.\d\d", words[0]):
        return text.strip()[:40]
    return words[0]
