"""Shop content: a catalogue of outdoor and home goods in variants, customers, and a
history of orders and past returns, drawn deterministically for the ``shop`` portal.

:func:`shop_store` builds a whole shop from one random stream; families then add the
orders their task is about with ``ShopStore.add_order``. Near-identical variants (the
same jacket in two sizes) and a realistic spread of order states make the distractors.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from workgym.apps.shop import REASONS, ReturnEvent, ShopStore, request_return
from workgym.content.people import people

__all__ = ["ARTICLES", "CITIES", "Article", "catalogue", "shop_store"]


@dataclass(frozen=True)
class Article:
    """A product line: sold in variants (a colour, a size), each its own SKU."""

    code: str
    """SKU prefix, e.g. ``TJ``."""
    name: str
    category: str
    low: int
    """Lowest price, in cents."""
    high: int
    """Highest price, in cents."""
    variants: tuple[str, ...] = ("",)
    """Variant names (``"blue, M"``); a single ``""`` for an article without variants."""
    returnable: bool = True
    description: str = ""


def _a(code: str, name: str, category: str, low: float, high: float,
       variants: Sequence[str] = ("",), returnable: bool = True, description: str = "") -> Article:
    return Article(code, name, category, round(low * 100), round(high * 100), tuple(variants),
                   returnable, description)


_SIZES = ("S", "M", "L", "XL")
_COLOURS = ("black", "blue", "green", "red", "grey")

ARTICLES: tuple[Article, ...] = (
    _a("TJ", "Trail Jacket", "Apparel", 119, 179,
       [f"{c}, {s}" for c in _COLOURS[:3] for s in _SIZES],
       description="Waterproof, breathable shell with taped seams and a packable hood."),
    _a("FH", "Fleece Hoodie", "Apparel", 49, 79, [f"{c}, {s}" for c in _COLOURS[3:] for s in _SIZES],
       description="Mid-weight recycled fleece with a full zip."),
    _a("MB", "Merino Base Layer", "Apparel", 59, 89, [f"{s}" for s in _SIZES],
       description="Fine merino wool, long sleeves, odour resistant."),
    _a("RP", "Rain Pants", "Apparel", 69, 99, [f"{s}" for s in _SIZES]),
    _a("HS", "Hiking Socks 3-pack", "Apparel", 15, 24, ["S", "M", "L"]),
    _a("TR", "Trail Runner", "Footwear", 109, 159, [f"EU {n}" for n in (40, 41, 42, 43, 44)],
       description="Light trail shoe with a grippy outsole."),
    _a("HB", "Hiking Boot", "Footwear", 149, 229, [f"EU {n}" for n in (39, 41, 43, 45)]),
    _a("CS", "Camp Sandal", "Footwear", 39, 59, [f"EU {n}" for n in (38, 40, 42, 44)]),
    _a("DP", "Daypack 22 L", "Gear", 69, 99, ["black", "green"],
       description="22-litre pack with a hip belt and a rain cover."),
    _a("TP", "Trekking Poles", "Gear", 59, 119, description="Aluminium, adjustable, pair."),
    _a("HL", "Headlamp 400 lm", "Gear", 29, 49, description="Rechargeable, red light mode."),
    _a("WF", "Water Filter", "Gear", 35, 55),
    _a("IB", "Insulated Bottle 750 ml", "Gear", 24, 36, ["steel", "blue", "red"]),
    _a("SB", "Sleeping Bag -5 °C", "Gear", 139, 219, ["regular", "long"]),
    _a("TN", "Tent 2P", "Gear", 249, 399, description="Two-person freestanding tent, 2.1 kg."),
    _a("CM", "Camp Mug", "Kitchen", 9, 16, ["enamel white", "enamel blue"]),
    _a("ST", "Camping Stove", "Kitchen", 39, 69),
    _a("CK", "Cook Set", "Kitchen", 45, 75),
    _a("PB", "Power Bank 10,000 mAh", "Electronics", 25, 45),
    _a("SW", "GPS Sports Watch", "Electronics", 199, 349, ["black", "white"]),
    _a("GC", "Gift Card", "Gifts", 25, 100, ["25", "50", "100"], returnable=False,
       description="Final sale: gift cards cannot be returned."),
    _a("CL", "Clearance Beanie", "Apparel", 9, 14, ["grey", "red"], returnable=False,
       description="Final sale."),
)
"""Product lines the catalogue draws from."""

CITIES = ("Berlin", "Hamburg", "Munich", "Vienna", "Zurich", "Lyon", "Rotterdam", "Copenhagen",
          "Gothenburg", "Prague", "Milan", "Porto")


def _sku(article: Article, variant: str) -> str:
    if not variant:
        return article.code
    parts = variant.replace("EU ", "").replace(",", " ").split()
    return "-".join([article.code, *(p[:3].upper() for p in parts)])


def catalogue(rng: random.Random, count: int) -> list[tuple[Article, str]]:
    """``count`` distinct (article, variant) pairs, a whole product line at a time so that
    near-identical variants sit side by side.

    Raises:
        ValueError: more than the catalogue holds.
    """
    every = [(a, v) for a in ARTICLES for v in a.variants]
    if count > len(every):
        raise ValueError(f"the catalogue holds {len(every)} products, not {count}")
    lines = list(ARTICLES)
    rng.shuffle(lines)
    chosen: list[tuple[Article, str]] = []
    for article in lines:
        room = count - len(chosen)
        if room <= 0:
            break
        variants = list(article.variants)
        if len(variants) > room:
            variants = rng.sample(variants, room)
        chosen.extend((article, v) for v in variants)
    return chosen


def shop_store(rng: random.Random, *, now: datetime, products: int = 24, customers: int = 10,
               orders: int = 30, own_orders: int = 6, account: str | None = "C-001",
               past_returns: int = 3, name: str = "Northwind Outfitters",
               host: str = "shop.example", return_window_days: int = 30,
               restocking_fee_pct: int = 0) -> ShopStore:
    """A whole shop: a catalogue, customers (``C-001``...), ``orders`` orders over the last
    four months (``O-1001``... in date order; ``own_orders`` of them the first
    customer's), and a few past returns, finished or rejected.

    Order states follow their age on the world's clock: placed in the last two days,
    shipped the three after, delivered before that (a few cancelled). ``account`` is who
    is signed in (a customer id, or None for the shop's staff).

    Raises:
        ValueError: counts the content cannot fill, or own orders without customers.
    """
    if customers < 1 or not 0 <= own_orders <= orders or products < 1:
        raise ValueError("a shop needs a product, a customer, and own_orders <= orders")
    store = ShopStore(host=host, name=name, account=None, return_window_days=return_window_days,
                      restocking_fee_pct=restocking_fee_pct)
    for article, variant in catalogue(rng, products):
        price = rng.randrange(article.low, article.high + 1, 100) - 1  # prices end in .99
        label = f"{article.name}, {variant}" if variant else article.name
        if article.code == "GC" and variant:
            label, price = f"Gift Card {variant}", int(variant) * 100
        stock = rng.choice((0, 2, 3, 5, 8, 12, 20, 35))
        store.add_product(_sku(article, variant), label, article.category, price,
                          stock=stock, description=article.description,
                          returnable=article.returnable, reorder_level=rng.choice((3, 5, 8)))
    for person in people(rng, customers, domain="mail.example"):
        store.add_customer(person.name, person.email, rng.choice(CITIES))
    today = now.date()
    placed = sorted(today - timedelta(days=rng.randrange(0, 120)) for _ in range(orders))
    owners = [store.customers[0].id] * own_orders + [
        rng.choice(store.customers[1:] or store.customers).id
        for _ in range(orders - own_orders)]
    rng.shuffle(owners)
    skus = [p.sku for p in store.products]
    for number, (day, owner) in enumerate(zip(placed, owners, strict=True)):
        picked = rng.sample(skus, min(len(skus), rng.choice((1, 1, 2, 2, 3, 4))))
        lines = [(sku, rng.choice((1, 1, 1, 2, 3))) for sku in picked]
        age = (today - day).days
        shipped = day + timedelta(days=1)
        delivered = day + timedelta(days=rng.randrange(3, 7))
        tracking = f"TRK{rng.randrange(10**9, 10**10)}"
        if age <= 2:
            store.add_order(f"O-{1001 + number}", owner, day, lines)
        elif rng.random() < 0.07:
            store.add_order(f"O-{1001 + number}", owner, day, lines, status="cancelled")
        elif age <= 5 or delivered > today:
            store.add_order(f"O-{1001 + number}", owner, day, lines, status="shipped",
                            shipped=shipped, tracking=tracking)
        else:
            store.add_order(f"O-{1001 + number}", owner, day, lines, status="delivered",
                            shipped=shipped, delivered=delivered, tracking=tracking,
                            shipping_cents=rng.choice((0, 495, 695)))
    _past_returns(rng, store, today, past_returns)
    store.account = account
    return store


def _past_returns(rng: random.Random, store: ShopStore, today: date, count: int) -> None:
    """Finished returns (refunded or rejected) of orders delivered long enough ago."""
    old = [o for o in store.orders if o.status == "delivered" and o.delivered is not None
           and (today - date.fromisoformat(o.delivered)).days > 20]
    for order in rng.sample(old, min(count, len(old))):
        returnable = [line for line in order.lines
                      if (p := store.product(line.sku)) is not None and p.returnable]
        if not returnable or order.delivered is None:
            continue
        line = rng.choice(returnable)
        asked = date.fromisoformat(order.delivered) + timedelta(days=rng.randrange(2, 10))
        reason = rng.choice(sorted(REASONS))
        made = request_return(store, asked, order.id, {line.line: 1}, reason)
        later = (asked + timedelta(days=6)).isoformat()
        if rng.random() < 0.75:
            made.status = "refunded"
            made.history += [ReturnEvent(date=(asked + timedelta(days=1)).isoformat(),
                                         status="approved"),
                             ReturnEvent(date=later, status="received"),
                             ReturnEvent(date=later, status="refunded")]
        else:
            made.status = "rejected"
            made.history.append(ReturnEvent(date=later, status="rejected",
                                            note="Item shows signs of use."))
