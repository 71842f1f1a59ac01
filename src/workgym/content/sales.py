"""Sales data: customers, products, orders and their lines, as a SQLite database, and the
figures of a sales report over them.

:func:`draw_sales` draws a company's order history; :func:`sales_database` writes it as a
database (``customers``, ``products``, ``orders``, ``order_items``); :func:`report` works
out the figures a report asks for under :class:`Rules` (which orders count). Amounts are
integer cents throughout, so every figure is exact.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workgym.apps.db import SqlValue, database_bytes
from workgym.content.companies import companies

REGIONS = {
    "EMEA": ("United Kingdom", "Germany", "France", "Spain", "Netherlands", "Sweden"),
    "North America": ("United States", "Canada"),
    "Latin America": ("Brazil", "Chile", "Colombia"),
    "APAC": ("Japan", "Australia", "Singapore"),
}
SWING = {"Mexico": ("North America", "Latin America"), "India": ("APAC", "EMEA"),
         "South Africa": ("EMEA", "APAC")}
"""Countries whose sales region differs between companies."""
CATEGORIES = {
    "Hardware": ("Edge router", "Rack server", "Storage array", "Access point"),
    "Software": ("Analytics suite", "Backup manager", "Monitoring agent"),
    "Services": ("Installation day", "Health check", "Migration package"),
    "Accessories": ("Cable kit", "Mounting rail", "Spare power unit"),
    "Training": ("Admin course", "Security workshop"),
}
SEGMENTS = ("Enterprise", "Mid-market", "Small business")
STATUSES = ("completed", "shipped", "cancelled", "refunded", "pending")
CHANNELS = ("web", "sales", "marketplace")

SCHEMA = (
    ("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, {place} TEXT NOT NULL, "
    "segment TEXT NOT NULL, is_test INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)"),
    ("CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT "
    "NULL, category TEXT NOT NULL, list_price_cents INTEGER NOT NULL)"),
    ("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES "
    "customers(id), ordered_at TEXT NOT NULL, status TEXT NOT NULL, channel TEXT NOT NULL)"),
    ("CREATE TABLE order_items (order_id INTEGER NOT NULL REFERENCES orders(id), product_id "
    "INTEGER NOT NULL REFERENCES products(id), quantity INTEGER NOT NULL, unit_price_cents "
    "INTEGER NOT NULL, discount_cents INTEGER NOT NULL DEFAULT 0)"),
)


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    country: str
    region: str
    segment: str
    is_test: bool
    created: str


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    name: str
    category: str
    price: int
    """List price in cents."""


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int
    unit: int
    """Unit price in cents."""
    discount: int
    """Discount on the whole line, in cents."""

    @property
    def net(self) -> int:
        return self.quantity * self.unit - self.discount


@dataclass
class Order:
    customer: Customer
    at: datetime
    """UTC, naive (stored as ``YYYY-MM-DD HH:MM:SS``)."""
    status: str
    channel: str
    lines: list[Line]
    id: int = 0


@dataclass
class Sales:
    """A company's customers, products and orders (ids follow time)."""

    customers: list[Customer]
    products: list[Product]
    orders: list[Order] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    """Country -> sales region."""

    def number(self) -> None:
        """Give orders ids in the order they were placed."""
        self.orders.sort(key=lambda o: (o.at, o.customer.id))
        for n, order in enumerate(self.orders, 1):
            order.id = 1000 + n


def region_mapping(rng: random.Random) -> dict[str, str]:
    """Country -> region, the swing countries assigned for this company."""
    mapping = {c: region for region, countries in REGIONS.items() for c in countries}
    mapping.update({c: rng.choice(options) for c, options in SWING.items()})
    return mapping


def draw_sales(rng: random.Random, customers: int, orders: int, start: datetime,
               end: datetime, test_accounts: int = 0) -> Sales:
    """Customers (``test_accounts`` of them internal test accounts), a product list, and
    ``orders`` orders placed uniformly between ``start`` and ``end``."""
    mapping = region_mapping(rng)
    countries = sorted(mapping)
    names = [c.name for c in companies(rng, customers)]
    people = [Customer(n + 1, names[n] if n >= test_accounts else f"Internal QA account {n + 1}",
                       rng.choice(countries), "", rng.choice(SEGMENTS), n < test_accounts,
                       (start - timedelta(days=rng.randint(30, 900))).strftime("%Y-%m-%d"))
              for n in range(customers)]
    rng.shuffle(people)
    people = [Customer(n + 1, c.name, c.country, mapping[c.country], c.segment, c.is_test,
                       c.created) for n, c in enumerate(people)]
    products: list[Product] = []
    for category, items in CATEGORIES.items():
        for name in items:
            products.append(Product(len(products) + 1, f"{category[:2].upper()}-"
                                    f"{rng.randint(100, 999)}{len(products)}", name, category,
                                    rng.randint(20, 4000) * 100 + rng.choice((0, 50, 99))))
    sales = Sales(people, products, mapping=mapping)
    span = int((end - start).total_seconds() // 60)
    for _ in range(orders):
        sales.orders.append(draw_order(rng, sales, start + timedelta(minutes=rng.randrange(span))))
    return sales


def draw_order(rng: random.Random, sales: Sales, at: datetime,
               status: str | None = None) -> Order:
    """One order placed at ``at`` by a random customer."""
    lines = []
    for product in rng.sample(sales.products, rng.randint(1, 3)):
        quantity = rng.randint(1, 8)
        discount = 0 if rng.random() < 0.6 else quantity * product.price * rng.choice(
            (5, 10, 15)) // 100
        lines.append(Line(product, quantity, product.price, discount))
    return Order(rng.choice(sales.customers), at, status or rng.choices(
        STATUSES, weights=(70, 10, 8, 5, 7))[0], rng.choices(CHANNELS, weights=(5, 3, 2))[0],
        lines)


def sales_database(sales: Sales, *, regions: bool, extra: Sequence[tuple[
        str, Sequence[Sequence[SqlValue]]]] = ()) -> bytes:
    """The database: customers carry their region (``regions``) or their country; ``extra``
    adds (CREATE statement, rows) tables."""
    schema = [SCHEMA[0].format(place="region" if regions else "country"), *SCHEMA[1:],
              *(statement for statement, _ in extra)]
    rows: dict[str, list[Sequence[SqlValue]]] = {
        "customers": [(c.id, c.name, c.region if regions else c.country, c.segment,
                       int(c.is_test), c.created) for c in sales.customers],
        "products": [(p.id, p.sku, p.name, p.category, p.price) for p in sales.products],
        "orders": [(o.id, o.customer.id, o.at.strftime("%Y-%m-%d %H:%M:%S"), o.status,
                    o.channel) for o in sales.orders],
        "order_items": [(o.id, ln.product.id, ln.quantity, ln.unit, ln.discount)
                        for o in sales.orders for ln in o.lines],
    }
    for statement, values in extra:
        rows[statement.split()[2]] = list(values)
    return database_bytes(schema, rows)


@dataclass(frozen=True)
class Rules:
    """Which orders a report counts."""

    start: datetime
    end: datetime
    """The period, ``start`` included, ``end`` excluded."""
    statuses: frozenset[str] = frozenset({"completed"})
    skip_test: bool = False
    skip_channel: str | None = None

    def counts(self, order: Order) -> bool:
        return (self.start <= order.at < self.end and order.status in self.statuses
                and not (self.skip_test and order.customer.is_test)
                and order.channel != self.skip_channel)


@dataclass(frozen=True)
class Figures:
    """A report's figures (amounts in cents)."""

    by_region: list[tuple[str, int, int, int]]
    """(region, orders, customers, revenue), highest revenue first."""
    by_category: list[tuple[str, int, int]]
    """(category, units, revenue), highest revenue first."""
    by_month: list[tuple[str, int, int]]
    """(YYYY-MM, orders, revenue), in month order."""
    revenue: int
    orders: int
    customers: int


def report(sales: Sales, rules: Rules) -> Figures:
    """The figures over the orders ``rules`` counts."""
    counted = [o for o in sales.orders if rules.counts(o)]
    regions: dict[str, list[Order]] = {}
    months: dict[str, list[Order]] = {}
    units: dict[str, int] = {}
    cents: dict[str, int] = {}
    for o in counted:
        regions.setdefault(o.customer.region, []).append(o)
        months.setdefault(o.at.strftime("%Y-%m"), []).append(o)
        for ln in o.lines:
            units[ln.product.category] = units.get(ln.product.category, 0) + ln.quantity
            cents[ln.product.category] = cents.get(ln.product.category, 0) + ln.net

    def total(orders: list[Order]) -> int:
        return sum(ln.net for o in orders for ln in o.lines)

    by_region = sorted(((r, len(os), len({o.customer.id for o in os}), total(os))
                        for r, os in regions.items()), key=lambda row: (-row[3], row[0]))
    by_category = sorted(((c, units[c], cents[c]) for c in cents), key=lambda r: (-r[2], r[0]))
    by_month = [(m, len(months[m]), total(months[m])) for m in sorted(months)]
    return Figures(by_region, by_category, by_month, total(counted), len(counted),
                   len({o.customer.id for o in counted}))
