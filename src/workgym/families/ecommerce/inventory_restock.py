"""ecommerce/inventory-restock: book today's deliveries, reorder low stock at the best price.

Description:
    An online shop's stock clerk starts the day. Suppliers' delivery notes in the mailbox
    list goods that arrived this morning; the agent books each line into the shop's stock
    (``shop.restock``). Dispatch notices of goods still on the way are not booked. Then,
    under the operations lead's latest restock policy mail, an article needs reordering
    when its available stock (on hand, after the bookings, less the units on orders placed
    but not yet shipped) is at or below its reorder level; the order brings it up to a
    multiple of the reorder level that the policy states, rounded up to whole packs of the
    supplier bought from. Each article is bought from the supplier whose unit cost is the
    lowest today: the price lists under ``suppliers/`` give list costs and pack sizes, and
    the suppliers' offer mails give promotional costs valid over a stated period. The
    agent mails each chosen supplier one purchase order (a line ``<SKU> x <quantity> @
    <unit cost>`` per article) and logs every line in ``purchasing/restock-orders.xlsx``.

Apps:
    shop, mail, sheets, files (the price lists come as workbooks and as CSV files).

Criteria:
    - ``booked <SKU>``: a restock of that delivery line's quantity; precision-aware over
      every restock made (booking a dispatch notice or the reorder itself costs credit).
    - ``ordered <SKU>``: the line in a mail to the right supplier's orders address, with
      the quantity and the unit cost; precision-aware over every order line mailed.
    - ``logged <SKU>``: its log row (SKU, supplier, quantity, unit cost, total);
      precision-aware over the log's rows.
    - ``orders are exactly the reorders`` and ``log is exactly the orders`` (weight 2 each).
    - guards: price lists, mails, orders, customers, returns and past stock moves
      untouched; mail only to the suppliers ordered from.

Difficulty:
    Knobs set the articles to reorder, the suppliers, the delivery notes (each lifts one
    article out of reordering and leaves one in it), articles low only once open orders
    count, promotions that win, lose or concern other articles, and a superseded policy.
    Reference calls, at least: easy 18, medium 25, hard 35 (the lines of the delivery
    notes, the open orders and the suppliers ordered from vary with the seed; the fewest
    over seeds 0-999 are 19, 26 and 37). ``richness`` adds everyday mails,
    dispatch notices, expired and coming offers, and price-list rows of articles the shop
    does not sell.

Version history:
    v1: first version.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.sheets import workbook_bytes
from workgym.apps.shop import ShopStore, cents_text
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.reports import amount_cents, whole
from workgym.content.shop import ARTICLES, shop_store
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

SUPPLIERS = "suppliers/suppliers.xlsx"
LOG = "purchasing/restock-orders.xlsx"
LOG_SHEET = "Orders"
LOG_COLUMNS = ("SKU", "Supplier", "Quantity", "Unit cost", "Total")
PRICE_COLUMNS = ("SKU", "Article", "Unit cost", "Pack size")
_STEMS = ("Alder", "Brightwater", "Cairn", "Dunmore", "Elmstead", "Fenwick", "Greyfell",
          "Hollins", "Ivybridge", "Kettering")
_SUFFIXES = ("Wholesale", "Outdoor Supply", "Distribution", "Trade Goods")
_PACKS = (1, 2, 4, 5, 6, 10, 12)


class Knobs(BaseModel, frozen=True):
    reorder: int
    """Articles to reorder."""
    suppliers: int
    """Suppliers with a price list."""
    deliveries: int
    """Delivery notes to book (each lifts one article and leaves one to reorder)."""
    committed: int
    """Articles low only once the units on open orders count."""
    promos: int
    """Running offers that win, as many that lose, as many on other articles."""
    old_policy: bool
    """An earlier policy mail, with another multiple, was superseded."""


@dataclass(frozen=True)
class Supplier:
    name: str
    email: str
    slug: str
    csv: bool
    """Its price list is a CSV file rather than a workbook."""

    @property
    def price_list(self) -> str:
        return f"suppliers/{self.slug}.{'csv' if self.csv else 'xlsx'}"


@dataclass
class _Plan:
    """What the generator decided: roles, deliveries, offers and the orders that follow."""

    catalogue: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    """Supplier name -> SKU -> (list cost in cents, pack size)."""
    offers: dict[str, dict[str, int]] = field(default_factory=dict)
    """Supplier name -> SKU -> running promotional cost in cents."""
    deliveries: list[tuple[Supplier, str, list[tuple[str, int]]]] = field(default_factory=list)
    """(supplier, delivery note number, [(SKU, quantity)])."""
    orders: list[tuple[str, Supplier, int, int]] = field(default_factory=list)
    """(SKU, supplier, quantity, unit cost in cents) per article to reorder."""


@register_family
class InventoryRestock(TaskFamily[Knobs]):
    """Book deliveries into the shop's stock, reorder low stock from the cheapest supplier."""

    name = "ecommerce/inventory-restock"
    version = 1
    apps = ("shop", "mail", "sheets", "files")
    levels = Levels(
        easy=Level(Knobs(reorder=3, suppliers=3, deliveries=1, committed=0, promos=1,
                         old_policy=False), calls=18),
        medium=Level(Knobs(reorder=5, suppliers=3, deliveries=2, committed=1, promos=1,
                           old_policy=True), calls=25),
        hard=Level(Knobs(reorder=8, suppliers=4, deliveries=3, committed=2, promos=2,
                         old_policy=True), calls=35),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        now = datetime(2026, rng.randint(2, 11), rng.randint(3, 25), 9, tzinfo=UTC)
        today = now.date()
        shop = shop_store(rng, now=now, products=28, customers=10, orders=36, own_orders=0,
                          account=None, past_returns=2)
        domain = "northwind-outfitters.example"
        me, lead, *staff = people(rng, 4, domain=domain)
        names = rng.sample([f"{s} {x}" for s in _STEMS for x in _SUFFIXES], k.suppliers)
        formats = [True, False] + [rng.random() < 0.5 for _ in names[2:]]
        rng.shuffle(formats)
        suppliers = [Supplier(n, f"orders@{_slug(n)}.example", _slug(n), f)
                     for n, f in zip(names, formats, strict=True)]
        multiple = rng.choice((2, 3))
        plan = self._plan(rng, k, shop, suppliers, today, multiple)

        box = Mailbox(me)
        self._policy_mails(rng, box, k, now, me, lead, multiple)
        for n, (supplier, note, lines) in enumerate(plan.deliveries):
            box.receive(supplier.name + f" <{supplier.email}>", f"Delivery note {note}",
                        _delivery_text(me, shop, note, lines, "delivered"),
                        now - timedelta(minutes=rng.randint(20, 150)), key=f"dn{n}")
        for supplier in suppliers:
            if plan.offers.get(supplier.name):
                box.receive(supplier.name + f" <{supplier.email}>",
                            f"Offers from {supplier.name}", _offer_text(
                                me, shop, plan.offers[supplier.name], today - timedelta(
                                    days=rng.randint(1, 6)), today + timedelta(
                                    days=rng.randint(4, 20)), supplier),
                            now - timedelta(days=rng.randint(1, 5)) + timedelta(
                                hours=rng.randint(0, 7)),
                            key=f"offer {supplier.name}")
        rich = rng_for(spec, "distractors")
        extra = self._distractors(rich, spec.richness, box, shop, suppliers, plan, now, me,
                                  [lead, *staff])
        mail, ids = box.build()

        files = {SUPPLIERS: _book("Suppliers", ("Supplier", "Orders email", "Price list"),
                                  [(s.name, s.email, s.price_list) for s in suppliers]),
                 LOG: _book(LOG_SHEET, LOG_COLUMNS, [])}
        for s in suppliers:
            rows = [(sku, _article(shop, sku), cost / 100, pack)
                    for sku, (cost, pack) in plan.catalogue[s.name].items()]
            rows += extra.get(s.name, [])
            files[s.price_list] = _csv(sorted(rows)) if s.csv else _book(
                "Prices", PRICE_COLUMNS, sorted(rows))

        reference = self._reference(k, shop, suppliers, plan, ids)
        return Task(spec=spec, prompt=_prompt(me, lead, shop.name), apps=self.apps,
                    template=WorldTemplate(now=now, files=files,
                                           stores={"shop": shop, "mail": mail}),
                    criteria=_criteria(plan), reference=tuple(reference), artifacts=(LOG,))

    # -- the world -------------------------------------------------------------------------

    def _plan(self, rng: random.Random, k: Knobs, shop: ShopStore, suppliers: list[Supplier],
              today: date, multiple: int) -> _Plan:
        plan = _Plan(catalogue={s.name: {} for s in suppliers})
        skus = [p.sku for p in shop.products if p.category != "Gifts"]
        rng.shuffle(skus)
        for sku in skus:  # each article from two or three suppliers, at distinct costs
            price = _product(shop, sku).price_cents
            carriers = rng.sample(suppliers, rng.choice((2, 2, 3)) if len(suppliers) > 2 else 2)
            costs = rng.sample(range(price * 35 // 100, price * 60 // 100), len(carriers))
            for s, cost in zip(carriers, costs, strict=True):
                plan.catalogue[s.name][sku] = (cost, rng.choice(_PACKS))
        for p in shop.products:
            p.reorder_level = rng.choice((4, 5, 6, 8, 10, 12))
        free = list(skus)
        roles: dict[str, str] = {}
        for n in range(k.deliveries):
            supplier = suppliers[n % len(suppliers)]
            mine = [sku for sku in free if sku in plan.catalogue[supplier.name]]
            picked = mine[:2 + rng.randint(0, 1)]
            for sku, role in zip(picked, ("delivered low", "delivered ok", "delivered fine"),
                                 strict=False):
                roles[sku] = role
                free.remove(sku)
            # the note lists its lines by SKU: its order says nothing about their roles
            plan.deliveries.append((supplier, f"DN-{rng.randint(100000, 999999)}",
                                    [(sku, 0) for sku in sorted(picked)]))
        for role, count in (("committed", k.committed),
                            ("low", k.reorder - k.committed - k.deliveries)):
            for sku in free[:count]:
                roles[sku] = role
            free = free[count:]
        for sku in free:
            roles[sku] = "fine"
        for p in shop.products:
            roles.setdefault(p.sku, "fine")
        self._committed_orders(rng, shop, [s for s, r in roles.items() if r == "committed"],
                               today)
        delivered = self._stock(rng, shop, roles)
        plan.deliveries = [(s, note, [(sku, delivered[sku]) for sku, _ in lines])
                           for s, note, lines in plan.deliveries]
        reorders = [sku for sku in skus if roles[sku] in ("low", "committed", "delivered low")]
        self._offers(rng, k, plan, reorders, [s for s in skus if roles[s] == "fine"])
        held = _held(shop)
        for sku in reorders:
            level = _product(shop, sku).reorder_level
            available = _product(shop, sku).stock + delivered.get(sku, 0) - held.get(sku, 0)
            name, cost = min(((n, plan.offers.get(n, {}).get(sku, c[sku][0]))
                              for n, c in plan.catalogue.items() if sku in c),
                             key=lambda x: x[1])
            pack = plan.catalogue[name][sku][1]
            quantity = math.ceil((multiple * level - available) / pack) * pack
            supplier = next(s for s in suppliers if s.name == name)
            plan.orders.append((sku, supplier, quantity, cost))
        plan.orders.sort(key=lambda o: (o[1].name, o[0]))
        return plan

    @staticmethod
    def _committed_orders(rng: random.Random, shop: ShopStore, skus: list[str],
                          today: date) -> None:
        """Orders placed today that hold units of the given articles (ids follow time)."""
        number = max(int(o.id.removeprefix("O-")) for o in shop.orders)
        for sku in skus:
            number += 1
            lines = [(sku, rng.randint(2, 4))]
            other = rng.choice(shop.products)
            if other.sku != sku and rng.random() < 0.5:
                lines.append((other.sku, 1))
            shop.add_order(f"O-{number}", rng.choice(shop.customers).id, today, lines)

    @staticmethod
    def _stock(rng: random.Random, shop: ShopStore, roles: dict[str, str]) -> dict[str, int]:
        """Set each article's stock for its role; the quantities delivered this morning."""
        held = _held(shop)
        delivered: dict[str, int] = {}
        for p in shop.products:
            level, on_hold, role = p.reorder_level, held.get(p.sku, 0), roles[p.sku]
            if role == "fine":
                p.stock = level + on_hold + rng.randint(3, 25)
            elif role == "low":
                p.stock = on_hold + rng.randint(0, level)
            elif role == "committed":  # above the level on hand, not once orders count
                p.stock = level + rng.randint(1, on_hold)
            elif role == "delivered low":
                before = rng.randint(0, level // 2)
                p.stock = on_hold + before
                delivered[p.sku] = rng.randint(1, level - before)
            elif role == "delivered ok":
                before = rng.randint(0, level)
                p.stock = on_hold + before
                delivered[p.sku] = level - before + rng.randint(1, 12)
            else:
                p.stock = level + on_hold + rng.randint(3, 25)
                delivered[p.sku] = rng.randint(4, 20)
        return delivered

    @staticmethod
    def _offers(rng: random.Random, k: Knobs, plan: _Plan, reorders: list[str],
                others: list[str]) -> None:
        """Running offers: some undercut the cheapest list cost, some do not, some are on
        articles that need no order."""
        def lists(sku: str) -> list[tuple[int, str]]:
            return sorted((c[sku][0], n) for n, c in plan.catalogue.items() if sku in c)

        picks = rng.sample(reorders, min(len(reorders), 2 * k.promos))
        for n, sku in enumerate(picks):
            (best, _), *rest = lists(sku)
            cost, name = rng.choice(rest)
            if n < k.promos:  # undercuts the best list cost
                offer = best - max(1, best * rng.randint(2, 12) // 100)
            elif cost - best >= 3:  # a cut that still leaves it dearer
                offer = rng.randint(best + 1, cost - 1)
            else:
                continue
            plan.offers.setdefault(name, {})[sku] = offer
        for sku in rng.sample(others, min(len(others), k.promos + 1)):
            cost, name = rng.choice(lists(sku))
            plan.offers.setdefault(name, {})[sku] = cost * rng.randint(80, 95) // 100

    @staticmethod
    def _policy_mails(rng: random.Random, box: Mailbox, k: Knobs, now: datetime, me: Person,
                      lead: Person, multiple: int) -> None:
        def text(times: int) -> str:
            return letter(me.first, (
                "the restock rule for the shop: book each delivery note into stock the day "
                "the goods arrive (a dispatch notice is not a delivery). An article needs "
                "reordering when its available stock, that is its stock on hand less the "
                "units on customer orders placed but not yet shipped, is at or below its "
                f"reorder level. Order enough to bring the available stock up to {times} "
                "times the reorder level, rounded up to whole packs of the supplier you buy "
                "from, and buy each article from the supplier with the lowest unit cost on "
                "the day of ordering: the cost in its price list, or its offer price where "
                "an offer it mailed is running that day."), f"{lead.first}\nOperations")
        if k.old_policy:
            box.receive(lead, "Restock rule", text(5 - multiple),
                        now - timedelta(days=rng.randint(60, 120)))
        box.receive(lead, "Restock rule (updated)" if k.old_policy else "Restock rule",
                    text(multiple), now - timedelta(days=rng.randint(8, 30)), key="policy")

    @staticmethod
    def _distractors(rng: random.Random, richness: float, box: Mailbox, shop: ShopStore,
                     suppliers: list[Supplier], plan: _Plan, now: datetime, me: Person,
                     staff: list[Person]) -> dict[str, list[tuple[Any, ...]]]:
        """Answer-neutral content: everyday mails, dispatch notices of goods on the way,
        offers that ended or have not begun, price-list rows of articles not sold here."""
        today = now.date()
        everyday_mails(box, rng, scaled(richness, 5), me, staff, now - timedelta(days=20),
                       now - timedelta(hours=1))
        for _ in range(scaled(richness, 3)):
            s = rng.choice(suppliers)
            mine = sorted(plan.catalogue[s.name])
            lines = [(sku, rng.randint(2, 24)) for sku in rng.sample(mine, min(2, len(mine)))]
            note = f"DN-{rng.randint(100000, 999999)}"
            box.receive(f"{s.name} <{s.email}>", f"Dispatch notice {note}",
                        _delivery_text(me, shop, note, lines, "dispatched",
                                       today + timedelta(days=rng.randint(2, 9))),
                        now - timedelta(hours=rng.randint(1, 40)))
        for n in range(scaled(richness, 3)):
            s = rng.choice(suppliers)
            mine = sorted(plan.catalogue[s.name])
            offers = {sku: plan.catalogue[s.name][sku][0] * rng.randint(60, 90) // 100
                      for sku in rng.sample(mine, min(2, len(mine)))}
            if n % 2:  # ended before today
                end = today - timedelta(days=rng.randint(1, 20))
                start, sent = end - timedelta(days=14), end - timedelta(days=16)
            else:  # begins after today
                start = today + timedelta(days=rng.randint(1, 10))
                end, sent = start + timedelta(days=14), today - timedelta(days=rng.randint(1, 6))
            box.receive(f"{s.name} <{s.email}>", f"Offers from {s.name}",
                        _offer_text(me, shop, offers, start, end, s),
                        datetime.combine(sent, datetime.min.time(), UTC) + timedelta(
                            hours=rng.randint(7, 17)))
        others = [(a, v) for a in ARTICLES for v in a.variants if a.code != "GC"]
        extra: dict[str, list[tuple[Any, ...]]] = {}
        for a, v in rng.sample(others, scaled(richness, 8)):
            code = "-".join([a.code, *(p[:3].upper() for p in v.replace("EU ", "")
                                       .replace(",", " ").split())]) if v else a.code
            if shop.product(code) is None:
                s = rng.choice(suppliers)
                extra.setdefault(s.name, []).append(
                    (code, f"{a.name}, {v}" if v else a.name,
                     rng.randint(a.low * 35 // 100, a.low * 60 // 100) / 100,
                     rng.choice(_PACKS)))
        for s in suppliers:
            listed = set(plan.catalogue[s.name])
            extra[s.name] = [r for r in extra.get(s.name, []) if r[0] not in listed]
        return extra

    @staticmethod
    def _reference(k: Knobs, shop: ShopStore, suppliers: list[Supplier], plan: _Plan,
                   ids: dict[str, str]) -> list[ToolCall]:
        calls = [ToolCall("mail.search", {"query": "", "limit": 100}),
                 ToolCall("mail.read", {"message_id": ids["policy"]})]
        calls += [ToolCall("mail.read", {"message_id": ids[f"dn{n}"]})
                  for n in range(len(plan.deliveries))]
        calls += [ToolCall("mail.read", {"message_id": ids[f"offer {s.name}"]})
                  for s in suppliers if f"offer {s.name}" in ids]
        for _, note, lines in plan.deliveries:
            calls += [ToolCall("shop.restock", {"sku": sku, "quantity": q, "note": note},
                               items={"quantity": ()}) for sku, q in lines]
        calls.append(ToolCall("shop.search_products", {"limit": 100}))
        calls.append(ToolCall("shop.list_orders", {"status": "placed", "limit": 100}))
        calls += [ToolCall("shop.get_order", {"order_id": o.id})
                  for o in sorted(shop.orders, key=lambda o: o.id) if o.status == "placed"]
        low = {sku for sku, *_ in plan.orders} | {sku for _, _, lines in plan.deliveries
                                                  for sku, _ in lines}
        calls += [ToolCall("shop.get_product", {"sku": sku}) for sku in sorted(low)]
        calls.append(ToolCall("sheets.read_range", {"path": SUPPLIERS}))
        calls += [ToolCall("files.read" if s.csv else "sheets.read_range", {"path": s.price_list})
                  for s in suppliers]
        for s in suppliers:
            wanted = [f"{sku} x {q} @ {cents_text(c)}" for sku, who, q, c in plan.orders
                      if who == s]
            if wanted:
                body = "Hello,\n\nplease supply:\n\n" + "\n".join(wanted) + "\n\nThank you."
                calls.append(ToolCall("mail.send", {"to": [s.email], "subject":
                                                    "Purchase order", "body": body},
                                      items={"body": tuple(wanted)}))
        rows = [[sku, s.name, q, c / 100, q * c / 100] for sku, s, q, c in plan.orders]
        calls.append(ToolCall("sheets.append_rows", {"path": LOG, "sheet": LOG_SHEET,
                                                     "rows": rows}, items={"rows": ()}))
        return calls


# -- texts and files -------------------------------------------------------------------------


def _slug(name: str) -> str:
    return "-".join("".join(c for c in w.lower() if c.isalnum()) for w in name.split())


def _product(shop: ShopStore, sku: str) -> Any:
    found = shop.product(sku)
    if found is None:
        raise ValueError(f"no product {sku}")
    return found


def _article(shop: ShopStore, sku: str) -> str:
    return str(_product(shop, sku).name)


def _held(shop: ShopStore) -> dict[str, int]:
    """Units on orders placed and not yet shipped, by SKU."""
    held: dict[str, int] = {}
    for order in shop.orders:
        if order.status == "placed":
            for line in order.lines:
                held[line.sku] = held.get(line.sku, 0) + line.quantity
    return held


def _delivery_text(me: Person, shop: ShopStore, note: str, lines: list[tuple[str, int]],
                   kind: str, due: date | None = None) -> str:
    listed = "\n".join(f"- {sku} ({_article(shop, sku)}): {q} units" for sku, q in lines)
    if kind == "delivered":
        head = (f"your delivery {note} was unloaded at your warehouse this morning and "
                "signed for. Delivery note:")
    else:
        head = (f"the goods below are on their way to you under note {note} and will reach "
                f"you on {due:%A %d %B}:")
    return letter(me.first, f"{head}\n\n{listed}", "Dispatch team")


def _offer_text(me: Person, shop: ShopStore, offers: dict[str, int], start: date, end: date,
                supplier: Supplier) -> str:
    listed = "\n".join(f"- {sku} ({_article(shop, sku)}): {cents_text(c)} per unit"
                       for sku, c in sorted(offers.items()))
    return letter(me.first, f"from {start:%d %B %Y} to {end:%d %B %Y} inclusive we offer "
                  f"these articles below our price list:\n\n{listed}",
                  f"Sales desk\n{supplier.name}")


def _book(sheet: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = sheet
    ws.append(list(columns))
    for row in rows:
        ws.append(list(row))
    return workbook_bytes(wb)


def _csv(rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PRICE_COLUMNS)
    writer.writerows((sku, name, f"{cost:.2f}", pack) for sku, name, cost, pack in rows)
    return out.getvalue().encode()


def _prompt(me: Person, lead: Person, shop: str) -> str:
    return (
        f"You are {me.name} ({me.email}), stock clerk at {shop}; the shop's back office is "
        f"signed in as staff. Follow the latest restock rule that {lead.name} mailed. First "
        f"book into stock every delivery that arrived (the suppliers' delivery notes in your "
        f"mailbox), one shop.restock per line with the delivery note number as the note. "
        f"Then find the articles that need reordering and buy each from the right supplier: "
        f"the suppliers and their price lists are in {SUPPLIERS}, their offers in your "
        f"mailbox. Send each supplier you buy from one mail to its orders address with one "
        f"line per article: <SKU> x <quantity> @ <unit cost> (the unit cost you pay, 2 "
        f"decimals, e.g. \"TJ-BLU-M x 12 @ 48.50\"). Log every line as a row of {LOG} "
        f"(sheet \"{LOG_SHEET}\", columns {', '.join(LOG_COLUMNS)}): the SKU, the supplier's "
        f"name, the quantity, the unit cost and the line total. Do not change the price "
        f"lists, the shop's orders or the mails.")


# -- grading -----------------------------------------------------------------------------------


def _norm(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def _criteria(plan: _Plan) -> tuple[Criterion, ...]:
    def booked(ctx: GradeContext) -> list[tuple[str, int]]:
        return [(m.sku, m.delta) for m in wc.new_records(ctx, "shop", "stock_moves")
                if m.reason == "restock"]

    sent = wc.sent_mails()

    def ordered(ctx: GradeContext) -> list[tuple[str, str, str, str]]:
        found: list[tuple[str, str, str, str]] = []
        for mail in sent(ctx):
            for line in mail.lines():
                parts = line.split()
                if len(parts) != 5 or parts[1].lower() != "x" or parts[3] != "@":
                    continue
                with ctx.agent_content(f"order line {line[:60]!r}"):
                    item = (parts[0], str(whole(parts[2], "quantity")),
                            cents_text(amount_cents(parts[4], "unit cost")))
                found += [(wc.address(who), *item) for who in mail.recipients]
        return found

    def log_row(sku: Any, supplier: Any, quantity: Any, cost: Any, total: Any
                ) -> tuple[str, ...]:
        return (str(sku or "").strip(), _norm(supplier), str(whole(quantity, "Quantity")),
                cents_text(amount_cents(cost, "Unit cost")),
                cents_text(amount_cents(total, "Total")))

    bookings = [(f"booked {sku} ({note})", (sku, q)) for _, note, lines in plan.deliveries
                for sku, q in lines]
    orders = [(f"ordered {sku}", (s.email, sku, str(q), cents_text(c)))
              for sku, s, q, c in plan.orders]
    logs = [(f"logged {sku}", (sku, _norm(s.name), str(q), cents_text(c), cents_text(q * c)))
            for sku, s, q, c in plan.orders]
    mailed = wc.per_grade(ordered)
    log = wc.xlsx_rows(LOG, LOG_SHEET, LOG_COLUMNS, row=log_row)
    return (
        *wc.item_credit(bookings, wc.per_grade(booked), group="delivery booked"),
        *wc.item_credit(orders, mailed, group="article ordered"),
        *wc.item_credit(logs, log, group="order logged"),
        wc.exact_items("orders are exactly the reorders", [i for _, i in orders], mailed,
                       weight=2),
        wc.exact_items("log is exactly the orders", [i for _, i in logs], log, weight=2),
        wc.unchanged("price lists, mails, orders and past stock moves untouched",
                     folders=["suppliers"], records=[
                         ("mail", "messages"), ("shop", "orders"), ("shop", "customers"),
                         ("shop", "returns"), ("shop", "stock_moves")]),
        wc.only_recipients("mail only to the suppliers ordered from",
                           sorted({s.email for _, s, _, _ in plan.orders})),
    )
