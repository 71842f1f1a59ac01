"""procurement/vendor-comparison: compare vendors' offers against requirements; recommend.

Description:
    A team lead mails what they need: for each category (laptops, monitors, ...) a
    quantity, minimum specifications and a delivery limit in working days; a later mail
    may change a quantity. The offers are on the business marketplace's website (the
    browser app; each offer's page gives its vendor, specifications, delivery time, price
    and stock). Procurement policy allows only vendors whose approval in
    ``procurement/approved-vendors.xlsx`` is current, and no product recalled in the
    trade news (the search app). An offer complies when all of that holds and its stock
    covers the quantity. The agent lists every compliant offer in
    ``procurement/comparison.xlsx`` and mails the team lead the cheapest compliant offer
    per category with the total.

Apps:
    browser (the marketplace's website), search, sheets, mail.

Criteria:
    - ``compliant <SKU>``: its row (category, SKU, vendor, unit price, total);
      precision-aware over the rows (a non-compliant offer listed costs credit).
    - ``recommended <category>``: a ``<category>: <SKU>`` line in the mail to the team
      lead; ``recommended total``: its ``Total:`` line; precision-aware over those lines.
    - ``comparison is exactly the compliant offers`` and ``recommendation exactly right``
      (weight 2 each).
    - guards: the approved-vendor list, the mails and the marketplace untouched; mail
      only to the team lead.

Difficulty:
    Knobs set the categories and offers in each, vendors whose approval is suspended or
    expired or missing, recalled products, and a quantity changed by a later mail.
    Reference calls: easy 18, medium 23, hard 37. ``richness`` adds everyday mails and
    trade news (launches, vendor news, recalls of products not on offer).

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.search import build_search
from workgym.apps.sheets import workbook_bytes
from workgym.apps.shop import ShopStore, cents_text
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people
from workgym.content.prose import letter
from workgym.content.reports import amount_cents
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

APPROVED = "procurement/approved-vendors.xlsx"
COMPARISON = "procurement/comparison.xlsx"
SHEET = "Compliant"
COLUMNS = ("Category", "SKU", "Vendor", "Unit price", "Total")
HOST = "tradepoint.example"
NEWS = "Office Tech Trade News"
_VENDOR_STEMS = ("Arkwright", "Bellmont", "Corvid", "Delphine", "Everest", "Foxglove",
                 "Granite", "Harbour", "Ingram", "Jasper", "Kelvin", "Lockhart")
_VENDOR_SUFFIXES = ("Computing", "Devices", "Technology", "Electronics")


@dataclass(frozen=True)
class Category:
    name: str
    models: tuple[str, ...]
    specs: tuple[tuple[str, str, tuple[int, ...]], ...]
    """(label, unit, the values offers draw from, ascending)."""
    price: tuple[int, int]
    """Price range in euros."""


CATEGORIES = (
    Category("Laptops", ("ProBook", "WorkMate", "AirLite", "Vector", "Stratus"),
             (("RAM", "GB", (8, 16, 32)), ("Storage", "GB", (256, 512, 1024)),
              ("Warranty", "years", (1, 2, 3))), (650, 1900)),
    Category("Monitors", ("View", "Panorama", "ClearLine", "Vista", "Prism"),
             (("Screen size", "inches", (24, 27, 32)), ("Refresh rate", "Hz", (60, 75, 144)),
              ("Warranty", "years", (1, 2, 3))), (140, 720)),
    Category("Docking stations", ("Hub", "Dock", "Bridge", "Port", "Nexus"),
             (("Ports", "ports", (6, 8, 11)), ("Power delivery", "W", (65, 90, 100)),
              ("Warranty", "years", (1, 2, 3))), (90, 340)),
    Category("Headsets", ("Echo", "Quiet", "Talk", "Aria", "Pulse"),
             (("Battery life", "hours", (20, 30, 40)), ("Warranty", "years", (1, 2, 3))),
             (60, 260)),
)
DEFECTS = ("spec", "delivery", "stock", "vendor", "recall")
_ENDS = (0, 50, 99)
"""Cents a price ends in."""


class Knobs(BaseModel, frozen=True):
    categories: int
    """Categories asked for."""
    offers: int
    """Offers per category."""
    compliant: int
    """Compliant offers per category (the cheapest is recommended)."""
    bad_vendors: int
    """Vendors not currently approved (suspended, expired, or not on the list)."""
    recalls: int
    """Recalled products on offer."""
    update: bool
    """A later mail changes one category's quantity."""


@dataclass
class Offer:
    sku: str
    category: str
    vendor: str
    model: str
    specs: dict[str, int]
    delivery: int
    stock: int
    price: int
    """Unit price in cents."""
    defect: str = ""


@dataclass(frozen=True)
class Need:
    category: Category
    quantity: int
    minimum: dict[str, int]
    days: int


@register_family
class VendorComparison(TaskFamily[Knobs]):
    """Compare vendors' marketplace offers against requirements and policy; recommend."""

    name = "procurement/vendor-comparison"
    version = 1
    apps = ("browser", "search", "sheets", "mail")
    levels = Levels(
        easy=Level(Knobs(categories=2, offers=4, compliant=1, bad_vendors=1, recalls=1,
                         update=False), calls=18),
        medium=Level(Knobs(categories=2, offers=6, compliant=2, bad_vendors=1, recalls=1,
                           update=True), calls=23),
        hard=Level(Knobs(categories=3, offers=7, compliant=2, bad_vendors=2, recalls=2,
                         update=True), calls=37),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        now = datetime(2026, rng.randint(2, 11), rng.randint(3, 25), 9, tzinfo=UTC)
        today = now.date()
        firm = "Quayside Analytics"
        me, lead, *staff = people(rng, 4, domain="quayside-analytics.example")
        vendors = [f"{s} {rng.choice(_VENDOR_SUFFIXES)}" for s in rng.sample(_VENDOR_STEMS, 6)]
        bad = vendors[:k.bad_vendors]
        good = vendors[k.bad_vendors:]
        needs = [self._need(rng, c) for c in rng.sample(CATEGORIES, k.categories)]
        offers: list[Offer] = []
        taken: set[str] = set()
        for need in needs:
            offers += self._offers(rng, k, need, good, bad, taken)
        offers.sort(key=lambda o: o.sku)
        statuses = self._statuses(rng, vendors, bad, today)
        shop = self._marketplace(offers, me, firm)

        box = Mailbox(me)
        old = self._request_mails(rng, box, k, needs, now, me, lead)
        rich = rng_for(spec, "distractors")
        everyday_mails(box, rich, scaled(spec.richness, 5), me, [lead, *staff],
                       now - timedelta(days=20), now - timedelta(hours=1))
        mail, ids = box.build()
        recalled = [o for o in offers if o.defect == "recall"]
        docs = self._news(rng, rich, spec.richness, offers, recalled, vendors, today)

        files = {APPROVED: _book("Vendors", ("Vendor", "Status", "Approved until"), statuses),
                 COMPARISON: _book(SHEET, COLUMNS, [])}
        compliant = [o for o in offers if not o.defect]
        quantity = {n.category.name: n.quantity for n in needs}
        best = [min((o for o in compliant if o.category == n.category.name),
                    key=lambda o: o.price) for n in needs]
        total = sum(o.price * quantity[o.category] for o in best)
        reference = self._reference(needs, offers, recalled, compliant, best, total, quantity,
                                    ids, old, lead, docs)
        return Task(spec=spec, prompt=_prompt(me, lead, firm), apps=self.apps,
                    template=WorldTemplate(now=now, files=files, stores={
                        "shop": shop, "mail": mail, "search": build_search(docs)}),
                    criteria=_criteria(compliant, best, total, quantity, lead),
                    reference=tuple(reference), artifacts=(COMPARISON,))

    # -- the world -------------------------------------------------------------------------

    @staticmethod
    def _need(rng: random.Random, category: Category) -> Need:
        minimum = {label: rng.choice(values[1:]) for label, _, values in category.specs}
        return Need(category, rng.choice((5, 8, 10, 12, 15, 20, 25)), minimum,
                    rng.choice((5, 7, 10)))

    @staticmethod
    def _offers(rng: random.Random, k: Knobs, need: Need, good: list[str], bad: list[str],
                taken: set[str]) -> list[Offer]:
        """One category's offers: ``compliant`` that meet everything, the others failing
        one condition each; at least one of those is cheaper than the best compliant."""
        c = need.category
        low, high = c.price
        defects = [rng.choice(("spec", "spec", "delivery", "stock")) for _ in
                   range(k.offers - k.compliant)]
        for n, defect in enumerate(("vendor",) * min(len(bad), 1) + ("recall",) * k.recalls):
            if n < len(defects):
                defects[n] = defect
        rng.shuffle(defects)
        # every price ends in .00, .50 or .99 alike, so its cents say nothing
        euros = rng.randint(low + (high - low) // 4, high - (high - low) // 4)
        best = euros * 100 + rng.choice(_ENDS)
        prices = [best] + [rng.randint(euros + 1, euros + (high - low) // 3) * 100
                           + rng.choice(_ENDS) for _ in range(k.compliant - 1)]
        prices += [rng.randint(low, high) * 100 + rng.choice(_ENDS) for _ in defects]
        if defects and all(p > best for p in prices[k.compliant:]):
            prices[k.compliant] = rng.randint(low, euros - 1) * 100 + rng.choice(_ENDS)
        models = list(c.models)
        rng.shuffle(models)
        made = []
        for n, (defect, price) in enumerate(zip([""] * k.compliant + defects, prices,
                                                strict=True)):
            vendor = rng.choice(bad) if defect == "vendor" else rng.choice(good)
            specs = {label: rng.choice([v for v in values if v >= need.minimum[label]])
                     for label, _, values in c.specs}
            delivery = rng.randint(1, need.days)
            stock = need.quantity + rng.randint(0, 60)
            if defect == "spec":
                label, _, values = rng.choice(c.specs)
                specs[label] = rng.choice([v for v in values if v < need.minimum[label]])
            elif defect == "delivery":
                delivery = need.days + rng.randint(1, 10)
            elif defect == "stock":
                stock = rng.randint(0, need.quantity - 1)
            while (sku := f"TP-{rng.randint(10000, 99999)}") in taken:
                pass
            taken.add(sku)
            while (model := f"{vendor.split()[0]} {models[n % len(models)]} "
                            f"{rng.randint(2, 9)}{rng.randint(0, 9)}0") in taken:
                pass
            taken.add(model)
            made.append(Offer(sku, c.name, vendor, model, specs,
                              delivery, stock, price, defect))
        return made

    @staticmethod
    def _statuses(rng: random.Random, vendors: list[str], bad: list[str],
                  today: date) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        ways = ["suspended", "expired", "missing"]
        rng.shuffle(ways)
        for vendor in vendors:
            until = today + timedelta(days=rng.randint(30, 400))
            if vendor in bad:
                way = ways[bad.index(vendor) % 3]
                if way == "missing":
                    continue
                if way == "expired":
                    until = today - timedelta(days=rng.randint(3, 90))
                rows.append((vendor, "Suspended" if way == "suspended" else "Approved",
                             until.isoformat()))
            else:
                rows.append((vendor, "Approved", until.isoformat()))
        return sorted(rows)

    @staticmethod
    def _marketplace(offers: list[Offer], me: Person, firm: str) -> ShopStore:
        shop = ShopStore(host=HOST, name="Tradepoint Business Marketplace", account=None,
                         return_window_days=14)
        for o in offers:
            category = next(c for c in CATEGORIES if c.name == o.category)
            specs = " ".join(f"{label}: {o.specs[label]} {unit}." for label, unit, _
                             in category.specs)
            shop.add_product(o.sku, o.model, o.category, o.price, stock=o.stock,
                             description=f"Sold by {o.vendor}. {specs} Delivery: "
                                         f"{o.delivery} working days.")
        shop.add_customer(firm, me.email, "Leeds")
        shop.account = shop.customers[0].id
        return shop

    @staticmethod
    def _request_mails(rng: random.Random, box: Mailbox, k: Knobs, needs: list[Need],
                       now: datetime, me: Person, lead: Person) -> dict[str, int]:
        """The request (with an earlier quantity where a later mail changes it); returns
        the earlier quantities by category."""
        changed = rng.choice(needs) if k.update else None
        old: dict[str, int] = {}
        lines = []
        for n in needs:
            quantity = n.quantity
            if n is changed:
                quantity = rng.choice([q for q in (4, 6, 9, 14, 18, 30) if q != n.quantity])
                old[n.category.name] = quantity
            specs = "; ".join(f"{label} at least {n.minimum[label]} {unit}"
                              for label, unit, _ in n.category.specs)
            lines.append(f"- {n.category.name}: {quantity}. {specs}; delivered within "
                         f"{n.days} working days.")
        asked = now - timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 5))
        box.receive(lead, "Equipment for the new team", letter(
            me.first, "for the new team we need the equipment below. Please compare what "
            "the marketplace offers and recommend one offer per item.\n\n" + "\n".join(lines),
            lead.first), asked, key="request")
        if changed is not None:
            box.receive(lead, "Re: Equipment for the new team", letter(
                me.first, f"one change: we need {changed.quantity} "
                f"{changed.category.name.lower()}, not {old[changed.category.name]}. The "
                "rest stands.", lead.first), asked + timedelta(hours=rng.randint(3, 30)),
                key="update", reply_to="request")
        return old

    @staticmethod
    def _news(rng: random.Random, rich: random.Random, richness: float, offers: list[Offer],
              recalled: list[Offer], vendors: list[str], today: date) -> list[dict[str, Any]]:
        """Trade news: the recalls of products on offer, a recall of a product that is not
        (always), and at richness launches, vendor news and more recalls elsewhere."""
        docs: list[dict[str, Any]] = []
        ids: set[str] = set()

        def add(r: random.Random, title: str, text: str, days: int) -> str:
            while (ident := f"news-{r.randrange(16**6):06x}") in ids:
                pass
            ids.add(ident)
            docs.append({"id": ident, "kind": "news", "title": title, "source": NEWS,
                         "date": (today - timedelta(days=days)).isoformat(),
                         "sections": [{"heading": "Report", "text": text}]})
            return ident

        reasons = ("a battery that can overheat", "a faulty power supply",
                   "a hinge that can crack", "a charging fault")

        def recall(r: random.Random, vendor: str, model: str) -> str:
            return add(r, f"{vendor} recalls the {model}",
                       f"{vendor} has recalled every unit of the {model} over "
                       f"{r.choice(reasons)}. Sales have stopped on all channels until a "
                       "fixed version ships; buyers are told not to order it.",
                       r.randint(1, 40))

        for o in recalled:
            recall(rng, o.vendor, o.model)
        vendor = rng.choice(vendors)
        recall(rng, vendor, f"{vendor.split()[0]} Nimbus {rng.randint(2, 9)}00")
        for _ in range(scaled(richness, 6)):
            o = rich.choice(offers)
            if rich.random() < 0.5:
                add(rich, f"{o.vendor} launches the {o.model}",
                    f"{o.vendor} has launched the {o.model} for business buyers, sold "
                    "through the usual marketplaces.", rich.randint(40, 200))
            else:
                add(rich, f"{o.vendor} opens a new distribution centre",
                    f"{o.vendor} says the new centre will serve business customers across "
                    "the region.", rich.randint(5, 200))
        for _ in range(scaled(richness, 2)):
            vendor = rich.choice(vendors)
            recall(rich, vendor, f"{vendor.split()[0]} Legacy {rich.randint(2, 9)}00")
        return docs

    @staticmethod
    def _reference(needs: list[Need], offers: list[Offer], recalled: list[Offer],
                   compliant: list[Offer], best: list[Offer], total: int,
                   quantity: dict[str, int], ids: dict[str, str], old: dict[str, int],
                   lead: Person, docs: list[dict[str, Any]]) -> list[ToolCall]:
        calls = [ToolCall("mail.search", {"query": "", "limit": 50}),
                 ToolCall("mail.read", {"message_id": ids["request"]})]
        if old:
            calls.append(ToolCall("mail.read", {"message_id": ids["update"]}))
        calls.append(ToolCall("sheets.read_range", {"path": APPROVED}))
        calls.append(ToolCall("search.search", {"query": "recalls", "limit": 50}))
        titles = {f"{o.vendor} recalls the {o.model}" for o in recalled}
        calls += [ToolCall("search.open", {"document": d["id"]}) for d in docs
                  if d["title"] in titles]
        for n in needs:
            calls.append(ToolCall("browser.navigate", {
                "url": f"https://{HOST}/products?category={quote(n.category.name)}"}))
            calls += [ToolCall("browser.navigate", {"url": f"https://{HOST}/products/{o.sku}"})
                      for o in offers if o.category == n.category.name]
        rows = [[o.category, o.sku, o.vendor, o.price / 100,
                 o.price * quantity[o.category] / 100] for o in compliant]
        calls.append(ToolCall("sheets.append_rows", {"path": COMPARISON, "sheet": SHEET,
                                                     "rows": rows}, items={"rows": ()}))
        lines = [f"{o.category}: {o.sku}" for o in best] + [f"Total: {cents_text(total)}"]
        body = (f"Hi {lead.first},\n\nthe cheapest compliant offer for each item:\n\n"
                + "\n".join(lines) + "\n\nThe comparison is in procurement/comparison.xlsx.")
        calls.append(ToolCall("mail.send", {"to": [lead.email], "subject":
                                            "Recommendation: equipment for the new team",
                                            "body": body}, items={"body": tuple(lines)}))
        return calls


def _book(sheet: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = sheet
    ws.append(list(columns))
    for row in rows:
        ws.append(list(row))
    return workbook_bytes(wb)


def _prompt(me: Person, lead: Person, firm: str) -> str:
    return (
        f"You are {me.name} ({me.email}) in procurement at {firm}. {lead.name} mailed what "
        f"their team needs (read the whole thread). Compare the offers on the Tradepoint "
        f"Business Marketplace, https://{HOST}/ (open it in the browser; you are signed in "
        f"as {firm}). An offer complies when it meets every minimum specification asked "
        f"for, its delivery time is within the limit, its stock covers the quantity, its "
        f"vendor's approval in {APPROVED} is current (status Approved and not past its "
        f"date; a vendor not on the list is not approved), and the product has not been "
        f"recalled (check the trade news in the search engine). List every compliant "
        f"offer as a row of {COMPARISON} (sheet \"{SHEET}\", columns {', '.join(COLUMNS)}): "
        f"the category as the request names it, the SKU, the vendor, the unit price and "
        f"the price for the quantity asked. Then mail {lead.first} the cheapest compliant "
        f"offer per category, one line each as \"<category>: <SKU>\", and a line \"Total: "
        f"<sum for the quantities asked, 2 decimals>\". Do not order anything and do not "
        f"change the vendor list or the mails.")


def _norm(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def _criteria(compliant: list[Offer], best: list[Offer], total: int,
              quantity: dict[str, int], lead: Person) -> tuple[Criterion, ...]:
    def row(category: Any, sku: Any, vendor: Any, price: Any, line_total: Any
            ) -> tuple[str, ...]:
        return (_norm(category), str(sku or "").strip(), _norm(vendor),
                cents_text(amount_cents(price, "Unit price")),
                cents_text(amount_cents(line_total, "Total")))

    sent = wc.sent_mails()
    keys = {_norm(c.name) for c in CATEGORIES} | {"total"}

    def recommended(ctx: GradeContext) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for mail in sent(ctx):
            if lead.email not in mail.recipients:
                continue
            for line in mail.lines():
                key, colon, value = line.partition(":")
                if not colon or _norm(key) not in keys:
                    continue
                value = value.strip()
                if _norm(key) == "total":
                    with ctx.agent_content("the Total line"):
                        value = cents_text(amount_cents(value.removeprefix("EUR").strip()
                                                        .replace(",", ""), "Total"))
                found.append((_norm(key), value))
        return found

    rows = [(f"compliant {o.sku}", (_norm(o.category), o.sku, _norm(o.vendor),
                                    cents_text(o.price),
                                    cents_text(o.price * quantity[o.category])))
            for o in compliant]
    picks = [(f"recommended {o.category}", (_norm(o.category), o.sku)) for o in best]
    picks.append(("recommended total", ("total", cents_text(total))))
    table = wc.xlsx_rows(COMPARISON, SHEET, COLUMNS, row=row)
    mailed = wc.per_grade(recommended)
    return (
        *wc.item_credit(rows, table, group="compliant offer listed"),
        *wc.item_credit(picks, mailed, group="offer recommended"),
        wc.exact_items("comparison is exactly the compliant offers", [i for _, i in rows],
                       table, weight=2),
        wc.exact_items("recommendation exactly right", [i for _, i in picks], mailed,
                       weight=2),
        wc.unchanged("vendor list, mails and marketplace untouched", paths=[APPROVED],
                     stores=["shop"], records=[("mail", "messages")]),
        wc.only_recipients("mail only to the team lead", [lead.email]),
    )
