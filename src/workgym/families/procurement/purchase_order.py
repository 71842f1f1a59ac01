"""procurement/purchase-order: turn approved requisitions into purchase orders per supplier.

Description:
    A buyer works through ``purchasing/requisitions.xlsx`` (each row: a requester, an
    item, a quantity, the budget holder who approves it and a status). The purchasing
    policy (``purchasing/policy.docx``) gives each budget holder's approval limit, the
    preferred supplier for each category and the register of price lists on file (PDFs,
    one or more per supplier: the one in force is the latest whose valid-from date is not
    after today; older ones are superseded, later ones not yet valid). A requisition is
    ordered when it is approved (in the sheet, or by a later mail from its budget holder;
    a budget holder may also withdraw an approval by mail) and its value (quantity times
    the preferred supplier's current unit price) is within its budget holder's limit.
    Ordered lines are consolidated per item and rounded up to the supplier's pack size.
    The agent writes one sheet per purchase order in ``purchasing/purchase-orders.xlsx``
    plus an index row per order, mails each supplier with an order its lines and total,
    and mails each requester whose requisitions were refused the reason for each.

Apps:
    docs (the policy), pdf (the price lists), sheets (requisitions, purchase orders),
    mail (approvals by mail; orders and refusals sent).

Criteria:
    - ``PO line <PO> <SKU>``: its row on the order's sheet (SKU, quantity, unit price,
      line total); ``PO index <PO>``: its index row (PO number, supplier, total);
      precision-aware over the rows.
    - ``ordered <supplier> <SKU>`` / ``ordered <supplier> total``: the ``<SKU>:
      <quantity>`` and ``Total:`` lines in the mail to the supplier; precision-aware.
    - ``refused <REQ>``: a ``<REQ>: <reason>`` line (``not approved`` or ``over approval
      limit``) in a mail to its requester; precision-aware.
    - ``purchase orders exactly right``, ``supplier mails exactly right``, ``refusals
      exactly right`` (weight 2 each).
    - guards: requisitions, policy, price lists and mails untouched; mail only to the
      suppliers with an order and the requesters refused.

Difficulty:
    Knobs set the categories with an order, preferred suppliers whose requisitions are all
    refused, other suppliers (cheaper for some items but not preferred), the approved,
    rejected, pending and over-limit requisitions, approvals and withdrawals by mail, and
    a price list not yet valid. Reference calls, at least: easy 16, medium 19, hard 27
    (one refusal mail per requester, so the floor is every refusal to one person).
    ``richness`` adds everyday mails, budget holders' confirmations of approvals the sheet
    already shows, and price lists of suppliers that are never preferred. A superseded or
    not yet valid list's prices move up or down alike, so price says nothing of which
    list is in force.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.docs import DocxBlock, build_docx
from workgym.apps.sheets import workbook_bytes
from workgym.apps.shop import cents_text
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.pdf_writer import PdfHeading, PdfTable, write_pdf
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

REQS = "purchasing/requisitions.xlsx"
POLICY = "purchasing/policy.docx"
ORDERS = "purchasing/purchase-orders.xlsx"
INDEX = "Index"
INDEX_COLUMNS = ("PO number", "Supplier", "Total")
LINE_COLUMNS = ("SKU", "Quantity", "Unit price", "Line total")
REQ_COLUMNS = ("Requisition", "Date", "Requester", "Requester email", "Item", "Quantity",
               "Budget holder", "Status")
NOT_APPROVED = "not approved"
OVER_LIMIT = "over approval limit"
FIRM = "Northgate Instruments"
DOMAIN = "northgate-instruments.example"

CATEGORIES: dict[str, tuple[str, ...]] = {
    "Office supplies": ("A4 copier paper 80 g", "Ballpoint pens blue", "Lever arch files",
                        "Sticky notes 76 mm", "Stapler cartridges", "Whiteboard markers"),
    "Lab consumables": ("Nitrile gloves M", "Pipette tips 200 ul", "Sample tubes 15 ml",
                        "Lab wipes", "Petri dishes 90 mm", "Weighing boats"),
    "IT accessories": ("USB-C charging cables", "Wireless mice", "HDMI adapters",
                       "Laptop stands", "Keyboard covers", "Cable ties 200 mm"),
    "Cleaning": ("Hand soap refills", "Paper towels", "Surface spray", "Bin liners 60 l",
                 "Microfibre cloths", "Floor cleaner 5 l"),
    "Catering": ("Coffee beans 1 kg", "Tea bags", "Paper cups 250 ml", "Oat milk 1 l",
                 "Sugar sticks", "Wooden stirrers"),
}
PACKS = (1, 5, 6, 10, 12, 20, 25, 50)
_STEMS = ("Ashdown", "Brightwell", "Calder", "Dunmore", "Elmfield", "Fairholm", "Glenrock",
          "Hartley", "Invermay", "Kestrel", "Larchmont", "Millbrook", "Northcote", "Oakridge")
_KINDS = ("Supplies", "Trading", "Wholesale", "Direct")


class Knobs(BaseModel, frozen=True):
    categories: int
    """Categories with an order (one preferred supplier each)."""
    empty: int
    """Preferred suppliers all of whose requisitions are refused."""
    others: int
    """Suppliers that are not preferred (some of their prices are lower)."""
    approved: int
    """Approved requisitions ordered per category (two of one category share an item)."""
    rejected: int
    """Requisitions rejected or still pending in the sheet."""
    over: int
    """Approved requisitions over their budget holder's limit."""
    by_mail: int
    """Pending requisitions approved by a budget holder's mail."""
    withdrawn: int
    """Approved requisitions whose approval a later mail withdraws."""
    future: bool
    """A preferred supplier also has a price list that is not yet valid."""


@dataclass
class Supplier:
    name: str
    code: str
    email: str
    category: str
    """The category it is preferred for ("" when it is not preferred)."""
    lists: list[PriceList] = field(default_factory=list)


@dataclass
class PriceList:
    path: str
    valid: date
    prices: dict[str, tuple[str, int, int]]
    """Item name -> (SKU, pack size, unit price in cents)."""


@dataclass
class Req:
    ident: str
    day: date
    requester: Person
    item: str
    category: str
    quantity: int
    holder: Person
    status: str
    fate: str
    """"order", "not approved" or "over approval limit"."""
    mail: str = ""
    """"approve" or "withdraw" when a mail from its budget holder changes it."""


@register_family
class PurchaseOrder(TaskFamily[Knobs]):
    """Turn approved purchase requisitions into purchase orders, one per supplier."""

    name = "procurement/purchase-order"
    version = 1
    apps = ("docs", "pdf", "sheets", "mail")
    levels = Levels(
        easy=Level(Knobs(categories=2, empty=0, others=1, approved=2, rejected=1, over=1,
                         by_mail=0, withdrawn=0, future=False), calls=16),
        medium=Level(Knobs(categories=2, empty=1, others=1, approved=2, rejected=2, over=1,
                           by_mail=1, withdrawn=0, future=False), calls=19),
        hard=Level(Knobs(categories=3, empty=1, others=2, approved=3, rejected=2, over=2,
                         by_mail=1, withdrawn=1, future=True), calls=27),
    )

    def generate(self, spec: TaskSpec) -> Task:
        return self.build(spec).task

    def build(self, spec: TaskSpec) -> Built:
        """The task with the generator's records (for tests)."""
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # the answer's stream: it ignores richness
        rich = rng_for(spec, "distractors")
        now = datetime(2026, rng.randint(3, 11), rng.randint(3, 25), 9, tzinfo=UTC)
        today = now.date()
        me, *staff = people(rng, 12, domain=DOMAIN)
        holders = staff[:3]
        requesters = staff[3:]
        limits = dict(zip([h.email for h in holders],
                          sorted(rng.sample((300, 500, 750, 1000), 2)) + [2500], strict=True))
        rng.shuffle(holders)
        cats = rng.sample(sorted(CATEGORIES), k.categories + k.empty)
        stems = rng.sample(_STEMS, len(cats) + k.others + 3)
        used: set[str] = set()
        suppliers = [self._supplier(rng, stems.pop(), c, used) for c in cats]
        others = [self._supplier(rng, stems.pop(), "", used) for _ in range(k.others)]
        extra = [self._supplier(rich, s, "", used) for s in stems[:scaled(spec.richness, 3)]]
        paths: set[str] = set()
        for s in suppliers:
            self._lists(rng, s, CATEGORIES[s.category], today, paths, superseded=True)
        if k.future:
            self._future(rng, rng.choice(suppliers), today, paths)
        for s in others:
            items = [i for c in cats for i in rng.sample(CATEGORIES[c], 3)]
            self._lists(rng, s, items, today, paths, superseded=False)
        for s in extra:
            items = [i for c in rich.sample(sorted(CATEGORIES), 2)
                     for i in rich.sample(CATEGORIES[c], 3)]
            self._lists(rich, s, items, today, paths, superseded=False)
        current = {s.code: _current(s, today) for s in suppliers}
        preferred = {s.category: s for s in suppliers}

        reqs = self._requisitions(rng, k, cats, preferred, current, holders, requesters,
                                  limits, today)
        box = Mailbox(me)
        keys = self._mails(rng, box, me, reqs, now)
        self._confirmations(rich, box, me, reqs, now, scaled(spec.richness, 2))
        everyday_mails(box, rich, scaled(spec.richness, 6), me, staff,
                       now - timedelta(days=20), now - timedelta(hours=1))
        mail, ids = box.build()

        orders = _orders(reqs, preferred, current, today)
        files = {REQS: _book("Requisitions", REQ_COLUMNS, [
                     (r.ident, r.day.isoformat(), r.requester.name, r.requester.email, r.item,
                      r.quantity, r.holder.name, r.status)
                     for r in sorted(reqs, key=lambda r: r.ident)]),
                 POLICY: _policy(holders, limits, suppliers, others + extra),
                 ORDERS: _book(INDEX, INDEX_COLUMNS, [])}
        for s in suppliers + others + extra:
            for p in s.lists:
                files[p.path] = _price_pdf(s, p)
        refused = [r for r in reqs if r.fate != "order"]
        catalogue = {sku for p in current.values() for sku, _, _ in p.prices.values()}
        reference = _reference(suppliers, others, keys, ids, orders, refused)
        task = Task(spec=spec, prompt=_prompt(me, today), apps=self.apps,
                    template=WorldTemplate(now=now, files=files, stores={"mail": mail}),
                    criteria=_criteria(orders, refused, files, catalogue,
                                       _signatures(reqs, orders, preferred, current)),
                    reference=tuple(reference), artifacts=(ORDERS,))
        return Built(task, reqs, suppliers, others, preferred, current, keys, ids, today)

    # -- the world -------------------------------------------------------------------------

    @staticmethod
    def _supplier(rng: random.Random, stem: str, category: str, used: set[str]) -> Supplier:
        name = f"{stem} {rng.choice(_KINDS)}"
        code = stem[:3].upper()
        while code in used:
            code = stem[0].upper() + "".join(rng.sample("BCDFGHJKLMNPRSTVWXZ", 2))
        used.add(code)
        return Supplier(name, code, f"orders@{stem.lower()}.example", category)

    @staticmethod
    def _path(rng: random.Random, s: Supplier, paths: set[str]) -> str:
        while (path := f"purchasing/price-lists/{s.name.split()[0].lower()}-"
                       f"{rng.randrange(100, 1000)}.pdf") in paths:
            pass
        paths.add(path)
        return path

    def _lists(self, rng: random.Random, s: Supplier, items: list[str] | tuple[str, ...],
               today: date, paths: set[str], *, superseded: bool) -> None:
        """The list in force (valid from 5-60 days ago) and, for a preferred supplier, an
        older one with other prices and pack sizes (same SKUs)."""
        prices = {}
        skus: set[str] = set()
        for item in items:
            while (sku := f"{s.code}-{rng.randint(1000, 9999)}") in skus:
                pass
            skus.add(sku)
            prices[item] = (sku, rng.choice(PACKS), rng.randint(150, 6000))
        valid = today - timedelta(days=rng.randint(5, 60))
        lists = [PriceList(self._path(rng, s, paths), valid, prices)]
        if superseded:
            old = {i: (sku, rng.choice([p for p in PACKS if p != pack]),
                       _moved(rng, price))
                   for i, (sku, pack, price) in prices.items()}
            lists.append(PriceList(self._path(rng, s, paths),
                                   valid - timedelta(days=rng.randint(90, 300)), old))
        rng.shuffle(lists)
        s.lists += lists

    def _future(self, rng: random.Random, s: Supplier, today: date, paths: set[str]) -> None:
        now = _current(s, today)
        new = {i: (sku, rng.choice([p for p in PACKS if p != pack]),
                   _moved(rng, price)) for i, (sku, pack, price) in now.prices.items()}
        s.lists.append(PriceList(self._path(rng, s, paths),
                                 today + timedelta(days=rng.randint(3, 40)), new))

    @staticmethod
    def _requisitions(rng: random.Random, k: Knobs, cats: list[str],
                      preferred: dict[str, Supplier], current: dict[str, PriceList],
                      holders: list[Person], requesters: list[Person],
                      limits: dict[str, int], today: date) -> list[Req]:
        made: list[Req] = []
        idents: set[str] = set()
        top = max(limits.values())

        def add(category: str, item: str, fate: str, status: str, mail: str = "") -> None:
            price = current[preferred[category].code].prices[item][2]
            if fate == OVER_LIMIT:
                holder = rng.choice([h for h in holders if limits[h.email] < top])
                floor = limits[holder.email] * 100 // price + 1
                quantity = floor + rng.randint(0, max(2, floor // 3))
            else:
                quantity = rng.randint(2, max(3, min(60, top * 100 // price)))
                holder = rng.choice([h for h in holders
                                     if limits[h.email] * 100 >= quantity * price])
            while (ident := f"REQ-{rng.randint(1000, 9999)}") in idents:
                pass
            idents.add(ident)
            made.append(Req(ident, today - timedelta(days=rng.randint(1, 12)),
                            rng.choice(requesters), item, category, quantity, holder, status,
                            fate, mail))

        ordered = cats[:k.categories]
        for c in ordered:
            items = rng.sample(CATEGORIES[c], k.approved)
            for n, item in enumerate(items):
                add(c, item, "order", "Approved")
                if n == 0:
                    add(c, item, "order", "Approved")  # two requisitions of one item
        for c in cats[k.categories:]:
            add(c, rng.choice(CATEGORIES[c]), NOT_APPROVED, "Rejected")
            add(c, rng.choice(CATEGORIES[c]), OVER_LIMIT, "Approved")
        for n in range(k.rejected):
            c = rng.choice(cats)
            add(c, rng.choice(CATEGORIES[c]), NOT_APPROVED, ("Rejected", "Pending")[n % 2])
        for _ in range(k.over):
            c = rng.choice(ordered)
            add(c, rng.choice(CATEGORIES[c]), OVER_LIMIT, "Approved")
        for _ in range(k.by_mail):
            c = rng.choice(ordered)
            add(c, rng.choice(CATEGORIES[c]), "order", "Pending", "approve")
        for _ in range(k.withdrawn):
            c = rng.choice(ordered)
            add(c, rng.choice(CATEGORIES[c]), NOT_APPROVED, "Approved", "withdraw")
        return made

    @staticmethod
    def _mails(rng: random.Random, box: Mailbox, me: Person, reqs: list[Req],
               now: datetime) -> list[str]:
        keys = []
        for r in sorted(reqs, key=lambda r: r.ident):
            if not r.mail:
                continue
            when = now - timedelta(hours=rng.randint(2, 60))
            if r.mail == "approve":
                text = (f"I have looked at {r.ident} ({r.quantity} x {r.item}) and approve "
                        "it. The sheet will catch up later; please go ahead.")
                subject = f"Approval: {r.ident}"
            else:
                text = (f"please do not order {r.ident} ({r.quantity} x {r.item}): I "
                        "withdraw my approval, the need has been covered another way.")
                subject = f"{r.ident} withdrawn"
            key = f"mail-{r.ident}"
            box.receive(r.holder, subject, letter(me.first, text, r.holder.first), when,
                        key=key)
            keys.append(key)
        return keys

    @staticmethod
    def _confirmations(rich: random.Random, box: Mailbox, me: Person, reqs: list[Req],
                       now: datetime, count: int) -> None:
        """Budget holders confirming approvals the sheet already shows (no mail changes
        them), drawn over every approved row alike."""
        rows = [r for r in sorted(reqs, key=lambda r: r.ident)
                if r.status == "Approved" and not r.mail]
        for r in rich.sample(rows, min(count, len(rows))):
            box.receive(r.holder, f"Re: {r.ident}", letter(
                me.first, f"just to confirm: {r.ident} ({r.quantity} x {r.item}) has my "
                "approval, as the sheet shows.", r.holder.first),
                now - timedelta(hours=rich.randint(2, 60)))


@dataclass(frozen=True)
class Built:
    task: Task
    reqs: list[Req]
    suppliers: list[Supplier]
    others: list[Supplier]
    preferred: dict[str, Supplier]
    current: dict[str, PriceList]
    keys: list[str]
    ids: dict[str, str]
    today: date


@dataclass(frozen=True)
class Order:
    po: str
    supplier: Supplier
    lines: tuple[tuple[str, int, int], ...]
    """(SKU, quantity, unit price in cents), by SKU."""

    @property
    def total(self) -> int:
        return sum(q * p for _, q, p in self.lines)


def _moved(rng: random.Random, price: int) -> int:
    """Another list's price for the same SKU: up or down alike, so no list is always the
    cheaper one."""
    return max(100, price + rng.choice((-1, 1)) * rng.randint(10, 400))


def _current(s: Supplier, today: date) -> PriceList:
    return max((p for p in s.lists if p.valid <= today), key=lambda p: p.valid)


def _orders(reqs: list[Req], preferred: dict[str, Supplier],
            current: dict[str, PriceList], today: date) -> list[Order]:
    orders = []
    for category, s in sorted(preferred.items()):
        wanted: dict[str, int] = {}
        for r in reqs:
            if r.category == category and r.fate == "order":
                wanted[r.item] = wanted.get(r.item, 0) + r.quantity
        if not wanted:
            continue
        lines = []
        for item, quantity in wanted.items():
            sku, pack, price = current[s.code].prices[item]
            lines.append((sku, -(-quantity // pack) * pack, price))
        orders.append(Order(_po(s, today), s, tuple(sorted(lines))))
    return orders


def _signatures(reqs: list[Req], orders: list[Order], preferred: dict[str, Supplier],
                current: dict[str, PriceList]) -> set[tuple[str, str]]:
    """(SKU, quantity) pairs that only counting refused requisitions gives: each one
    alone, and all of an item's together."""
    ordered = {sku: q for o in orders for sku, q, _ in o.lines}
    base: dict[str, int] = {}
    extra: dict[str, list[int]] = {}
    packs: dict[str, int] = {}
    for r in reqs:
        sku, pack, _ = current[preferred[r.category].code].prices[r.item]
        packs[sku] = pack
        if r.fate == "order":
            base[sku] = base.get(sku, 0) + r.quantity
        else:
            extra.setdefault(sku, []).append(r.quantity)
    found = set()
    for sku, more in extra.items():
        for added in [*more, sum(more)]:
            quantity = -(-(base.get(sku, 0) + added) // packs[sku]) * packs[sku]
            if quantity != ordered.get(sku):
                found.add((sku, str(quantity)))
    return found


def _po(s: Supplier, today: date) -> str:
    return f"PO-{today:%y%m%d}-{s.code}"


def _book(sheet: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = sheet
    ws.append(list(columns))
    for row in rows:
        ws.append(list(row))
    return workbook_bytes(wb)


def _policy(holders: list[Person], limits: dict[str, int], preferred: list[Supplier],
            others: list[Supplier]) -> bytes:
    register = sorted((s.name, p.path) for s in preferred + others for p in s.lists)
    return build_docx([
        DocxBlock.heading(f"{FIRM}: purchasing policy", 0),
        DocxBlock.heading("Approval limits", 1),
        DocxBlock.paragraph("A requisition may be ordered only when its budget holder has "
                            "approved it and its value (the quantity asked times the "
                            "preferred supplier's unit price in force) does not exceed the "
                            "budget holder's limit. A budget holder may approve or withdraw "
                            "an approval by mail; the latest word counts."),
        DocxBlock.table([["Budget holder", "Limit (EUR)"]]
                        + [[h.name, f"{limits[h.email]}.00"] for h in holders]),
        DocxBlock.heading("Preferred suppliers", 1),
        DocxBlock.paragraph("Order every item from the preferred supplier of its category, "
                            "even where another supplier lists it cheaper."),
        DocxBlock.table([["Category", "Preferred supplier"]]
                        + [[s.category, s.name] for s in sorted(preferred,
                                                                 key=lambda s: s.category)]),
        DocxBlock.heading("Price lists", 1),
        DocxBlock.paragraph("Use the price list in force: the one with the latest valid-from "
                            "date that is not after today. Order whole packs: round each "
                            "item's total quantity up to the supplier's pack size."),
        DocxBlock.table([["Supplier", "File"]] + [list(r) for r in register]),
    ])


def _price_pdf(s: Supplier, p: PriceList) -> bytes:
    rows = [["SKU", "Item", "Pack size", "Unit price (EUR)"]]
    rows += [[sku, item, str(pack), cents_text(price)]
             for item, (sku, pack, price) in sorted(p.prices.items(),
                                                    key=lambda kv: kv[1][0])]
    return write_pdf(f"{s.name}: price list", [
        (f"Supplier code: {s.code}. Valid from {p.valid.isoformat()}. "
         f"Send orders to {s.email}."),
        PdfHeading("Prices", 2), PdfTable(rows),
        "Prices per unit, excluding VAT. Orders in whole packs only."])


def _prompt(me: Person, today: date) -> str:
    return (
        f"You are {me.name} ({me.email}), buyer at {FIRM}. Turn the purchase requisitions "
        f"in {REQS} into purchase orders under the purchasing policy in {POLICY} (approval "
        f"limits, preferred suppliers, the register of price lists; the price lists are "
        f"PDFs). Check your mail: budget holders sometimes approve or withdraw a "
        f"requisition by mail. Consolidate the requisitions you may order per item and "
        f"supplier, in whole packs. For each supplier with an order, add a sheet to "
        f"{ORDERS} named by its PO number, PO-{today:%y%m%d}-<supplier code>, with columns "
        f"{', '.join(LINE_COLUMNS)} (one row per SKU), and a row in its sheet \"{INDEX}\" "
        f"({', '.join(INDEX_COLUMNS)}). Mail each supplier with an order, at the address on "
        f"its price list, one line per SKU as \"<SKU>: <quantity>\" and a line \"Total: "
        f"<order total, 2 decimals>\". Then mail each requester whose requisitions are "
        f"refused one line per refused requisition: \"<requisition>: not approved\" or "
        f"\"<requisition>: over approval limit\". Mail no one else and change no input.")


def _norm(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


_SKU = re.compile(r"[A-Z]{3}-\d{4}")


def _whole(value: str) -> str:
    """A mailed quantity as whole-number text, or the text itself when it is none."""
    text = value.strip()
    return str(int(text)) if text.isdigit() and len(text) < 9 else _norm(text)


def _qty(value: Any) -> int:
    cents = amount_cents(value, "Quantity")
    if cents % 100:
        raise ValueError(f"quantity {value!r} is not whole")
    return cents // 100


def _criteria(orders: list[Order], refused: list[Req], files: dict[str, bytes],
              catalogue: set[str], signatures: set[tuple[str, str]]
              ) -> tuple[Criterion, ...]:
    sent = wc.sent_mails()
    suppliers = {o.supplier.email for o in orders}

    def po_lines(ctx: GradeContext) -> list[tuple[str, str, str, str, str]]:
        book = ctx.read_workbook(ORDERS)
        found = []
        for name in book.sheetnames:
            if name == INDEX:
                continue
            with ctx.agent_content(f"{ORDERS}, sheet {name!r}"):
                for sku, qty, price, total in book.sheet(name).table(LINE_COLUMNS):
                    found.append((name.strip(), str(sku or "").strip(), str(_qty(qty)),
                                  cents_text(amount_cents(price, "Unit price")),
                                  cents_text(amount_cents(total, "Line total"))))
        return found

    def index(po: Any, supplier: Any, total: Any) -> tuple[str, str, str]:
        return (str(po or "").strip(), _norm(supplier),
                cents_text(amount_cents(total, "Total")))

    def mailed(ctx: GradeContext) -> list[tuple[str, str, str]]:
        found = []
        for m in sent(ctx):
            for who in m.recipients:
                if who not in suppliers:
                    continue
                for line in m.lines():
                    key, colon, value = line.partition(":")
                    key, value = key.strip(), value.strip()
                    if not colon:
                        continue
                    if key.casefold() == "total":
                        with ctx.agent_content("the Total line"):
                            value = cents_text(amount_cents(
                                value.removeprefix("EUR").strip().replace(",", ""), "Total"))
                        found.append((who, "total", value))
                    elif _SKU.fullmatch(key.upper()):
                        found.append((who, key.upper(), _whole(value)))
        return found

    def refusals(ctx: GradeContext) -> list[tuple[str, str, str]]:
        found = []
        for m in sent(ctx):
            for who in m.recipients:
                if who in suppliers:
                    continue
                for line in m.lines():
                    key, colon, value = line.partition(":")
                    if colon and key.strip().upper().startswith("REQ-"):
                        found.append((who, key.strip().upper(), _norm(value).rstrip(".")))
        return found

    lines = [(f"PO line {o.po} {sku}", (o.po, sku, str(q), cents_text(p), cents_text(q * p)))
             for o in orders for sku, q, p in o.lines]
    rows = [(f"PO index {o.po}", (o.po, _norm(o.supplier.name), cents_text(o.total)))
            for o in orders]
    mails = [(f"ordered {o.supplier.name} {sku}", (o.supplier.email, sku, str(q)))
             for o in orders for sku, q, _ in o.lines]
    mails += [(f"ordered {o.supplier.name} total", (o.supplier.email, "total",
                                                    cents_text(o.total))) for o in orders]
    nos = [(f"refused {r.ident}", (r.requester.email, r.ident, r.fate))
           for r in sorted(refused, key=lambda r: r.ident)]
    table = wc.per_grade(po_lines)
    listed = wc.xlsx_rows(ORDERS, INDEX, INDEX_COLUMNS, row=index)
    to_suppliers = wc.per_grade(mailed)
    to_requesters = wc.per_grade(refusals)

    def both(ctx: GradeContext) -> list[tuple[str, ...]]:
        return [*table(ctx), *listed(ctx)]

    inputs = sorted(p for p in files if p != ORDERS)
    by_po = {o.po: {sku for sku, _, _ in o.lines} for o in orders}
    by_mail = {o.supplier.email: by_po[o.po] for o in orders}

    def nothing_refused(ctx: GradeContext) -> tuple[bool, str]:
        placed = [(by_po.get(po, set()), sku, qty) for po, sku, qty, _, _ in table(ctx)]
        placed += [(by_mail.get(who, set()), sku, qty) for who, sku, qty in to_suppliers(ctx)
                   if sku != "total"]
        for own, sku, qty in placed:
            if sku in catalogue and sku not in own:
                return False, f"{sku} ordered where no approved requisition asks for it"
            if (sku, qty) in signatures:
                return False, f"{sku}: {qty} counts a refused requisition"
        return True, "no refused requisition and no other supplier's item ordered"

    return (
        *wc.item_credit(lines, table, group="purchase order line"),
        *wc.item_credit(rows, listed, group="purchase order index"),
        *wc.item_credit(mails, to_suppliers, group="order mailed"),
        *wc.item_credit(nos, to_requesters, group="refusal mailed"),
        wc.exact_items("purchase orders exactly right",
                       [*(i for _, i in lines), *(i for _, i in rows)],
                       wc.per_grade(both), weight=2),
        wc.exact_items("supplier mails exactly right", [i for _, i in mails], to_suppliers,
                       weight=2),
        wc.exact_items("refusals exactly right", [i for _, i in nos], to_requesters,
                       weight=2),
        Criterion("nothing refused or misplaced ordered", nothing_refused, guard=True),
        wc.unchanged("requisitions, policy, price lists and mails untouched", paths=inputs,
                     records=[("mail", "messages")]),
        wc.only_recipients("mail only to suppliers with an order and refused requesters",
                           sorted(suppliers | {r.requester.email for r in refused})),
    )


def _reference(suppliers: list[Supplier], others: list[Supplier], keys: list[str],
               ids: dict[str, str], orders: list[Order], refused: list[Req]) -> list[ToolCall]:
    calls = [ToolCall("docs.read", {"path": POLICY}),
             ToolCall("sheets.read_range", {"path": REQS}),
             ToolCall("mail.search", {"query": "", "limit": 50})]
    calls += [ToolCall("mail.read", {"message_id": ids[key]}) for key in keys]
    for s in suppliers + others:
        calls += [ToolCall("pdf.read_pages", {"path": p.path})
                  for p in sorted(s.lists, key=lambda p: p.path)]
    for o in orders:
        calls.append(ToolCall("sheets.add_sheet", {"path": ORDERS, "name": o.po}))
        rows: list[list[Any]] = [list(LINE_COLUMNS)]
        rows += [[sku, q, p / 100, q * p / 100] for sku, q, p in o.lines]
        calls.append(ToolCall("sheets.append_rows", {"path": ORDERS, "sheet": o.po,
                                                     "rows": rows}, items={"rows": ()}))
    calls.append(ToolCall("sheets.append_rows", {
        "path": ORDERS, "sheet": INDEX,
        "rows": [[o.po, o.supplier.name, o.total / 100] for o in orders]},
        items={"rows": ()}))
    for o in orders:
        lines = [f"{sku}: {q}" for sku, q, _ in o.lines] + [f"Total: {cents_text(o.total)}"]
        body = (f"Hello,\n\nplease supply the following under purchase order {o.po}:\n\n"
                + "\n".join(lines) + f"\n\nKind regards,\n{FIRM} purchasing")
        calls.append(ToolCall("mail.send", {"to": [o.supplier.email],
                                            "subject": f"Purchase order {o.po}",
                                            "body": body}, items={"body": tuple(lines)}))
    by_person: dict[str, list[Req]] = {}
    for r in sorted(refused, key=lambda r: r.ident):
        by_person.setdefault(r.requester.email, []).append(r)
    for email, rs in sorted(by_person.items()):
        lines = [f"{r.ident}: {r.fate}" for r in rs]
        body = (f"Hi {rs[0].requester.first},\n\nthe following requisitions cannot be "
                "ordered:\n\n" + "\n".join(lines) + "\n\nRegards,\nPurchasing")
        calls.append(ToolCall("mail.send", {"to": [email], "subject": "Your requisitions",
                                            "body": body}, items={"body": tuple(lines)}))
    return calls
