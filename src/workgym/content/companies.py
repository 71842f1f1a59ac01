"""Companies and their products: names, domains, cities, catalogues, drawn deterministically.

For receipts, vendors and money see :mod:`workgym.content.commerce`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_STEMS = ("Northwind", "Lumen", "Arden", "Parnell", "Bluebird", "Copperleaf", "Halcyon",
          "Ironbark", "Juniper", "Kestrel", "Larkspur", "Meridian", "Oakridge", "Pinecrest",
          "Quayside", "Riverton", "Saltmarsh", "Thornfield", "Upland", "Wexford")
_KINDS = {
    "publishing": ("Books", "Press", "& Daughters", "Publishing"),
    "logistics": ("Freight", "Logistics", "Shipping", "Haulage"),
    "software": ("Labs", "Systems", "Software", "Digital"),
    "catering": ("Catering", "Kitchens", "Foods", "Provisions"),
    "supplies": ("Supply", "Office Supplies", "Stationers", "Trading"),
}
INDUSTRIES = tuple(_KINDS)
CITIES = ("Leeds", "Hamburg", "Lyon", "Porto", "Utrecht", "Boston", "Denver", "Osaka",
          "Adelaide", "Gdansk")
SUPPLIERS = ("Northwind Books", "Parnell & Daughters", "Lumen Press", "Arden Supply")
"""Book suppliers, in a fixed order."""

_PRODUCTS = {
    "publishing": ("Hardback edition", "Paperback edition", "Audiobook licence"),
    "logistics": ("Pallet shipment", "Express parcel", "Warehouse day"),
    "software": ("Seat licence", "Support plan", "Cloud credits"),
    "catering": ("Lunch for ten", "Coffee service", "Sandwich platter"),
    "supplies": ("Printer paper, box", "Toner cartridge", "Desk organiser"),
}


@dataclass(frozen=True)
class Company:
    name: str
    industry: str
    domain: str
    """Mail domain, e.g. ``northwind-freight.example``."""
    city: str

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


@dataclass(frozen=True)
class Product:
    """An item a company sells."""

    sku: str
    name: str
    company: str
    unit_cents: int


def companies(rng: random.Random, count: int, industry: str | None = None) -> list[Company]:
    """``count`` companies with distinct names (of one ``industry``, or of any)."""
    if industry is not None and industry not in _KINDS:
        raise ValueError(f"unknown industry {industry!r}; use one of {', '.join(INDUSTRIES)}")
    pool = [(stem, kind, suffix) for stem in _STEMS for kind, suffixes in _KINDS.items()
            if industry in (None, kind) for suffix in suffixes]
    if count > len(pool):
        raise ValueError(f"cannot draw {count} distinct companies")
    found = []
    for stem, kind, suffix in rng.sample(pool, count):
        name = f"{stem} {suffix}"
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        found.append(Company(name, kind, f"{slug}.example", rng.choice(CITIES)))
    return found


def products(rng: random.Random, company: Company, count: int = 3) -> list[Product]:
    """Up to ``count`` products of ``company``, with SKUs and unit prices."""
    names = rng.sample(_PRODUCTS[company.industry], min(count, len(_PRODUCTS[company.industry])))
    code = "".join(w[0] for w in company.name.split() if w[0].isalpha()).upper()
    return [Product(f"{code}-{rng.randint(100, 999)}", n, company.name,
                    rng.randint(5, 400) * 100 + rng.choice((0, 50, 99))) for n in names]
