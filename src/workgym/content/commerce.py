"""Commerce: vendors, products, receipts, money and expense sheets, drawn deterministically.

Money is kept in integer cents so sums are exact; :func:`money` formats it.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from openpyxl import Workbook

from workgym.apps.mail import Attachment
from workgym.apps.sheets import workbook_bytes
from workgym.content.mailbox import Mailbox
from workgym.content.people import Person, people

EXPENSE_CATEGORIES = (
    "Meals", "Transport", "Travel", "Lodging", "Office supplies", "Software", "Telecom",
    "Training",
)
DATE_STYLES = ("iso", "day-month", "month-day")
"""How a document writes a date: 2026-02-14, 14 Feb 2026, February 14, 2026."""


@dataclass(frozen=True)
class Product:
    name: str
    low: int
    """Lowest unit price, in cents."""
    high: int
    """Highest unit price, in cents."""


@dataclass(frozen=True)
class Vendor:
    name: str
    code: str
    """Prefix of the vendor's receipt numbers, e.g. ``MC`` for ``MC-20431``."""
    category: str
    """The expense category its receipts print."""
    domain: str
    """Mail domain its receipts come from."""
    products: tuple[Product, ...]

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


def _vendor(name: str, code: str, category: str, *products: tuple[str, float, float]) -> Vendor:
    domain = re.sub(r"[^a-z0-9]+", "", re.sub(r"\s+co\.?$", "", name.lower())) + ".example"
    return Vendor(name, code, category, domain,
                  tuple(Product(p, round(lo * 100), round(hi * 100)) for p, lo, hi in products))


VENDORS = (
    _vendor("Blue Harbor Cafe", "BH", "Meals", ("Flat white", 3.2, 4.6),
            ("Club sandwich", 7.5, 11.0), ("Lunch menu", 12.0, 19.0)),
    _vendor("Trattoria Lupo", "TL", "Meals", ("Pasta of the day", 11.0, 17.0),
            ("Mineral water", 2.5, 4.0), ("Tiramisu", 5.0, 7.5)),
    _vendor("Noodle Bar Kumo", "NK", "Meals", ("Ramen bowl", 10.5, 15.5), ("Gyoza", 5.0, 7.0)),
    _vendor("Metro Cab Co.", "MC", "Transport", ("Taxi ride", 9.0, 48.0)),
    _vendor("CityBike Share", "CB", "Transport", ("Day pass", 6.0, 12.0)),
    _vendor("Parkhaus Zentrum", "PZ", "Transport", ("Parking, one day", 12.0, 28.0)),
    _vendor("RailNord", "RN", "Travel", ("Second-class ticket", 29.0, 139.0),
            ("Seat reservation", 4.0, 6.0)),
    _vendor("SkyLink Airways", "SL", "Travel", ("Economy fare", 89.0, 420.0),
            ("Checked bag", 25.0, 45.0)),
    _vendor("Hotel Aurora", "HA", "Lodging", ("Room night", 89.0, 189.0),
            ("Breakfast", 12.0, 22.0)),
    _vendor("Parkside Inn", "PI", "Lodging", ("Room night", 75.0, 160.0),
            ("City tax", 2.0, 5.0)),
    _vendor("PaperTrail Supplies", "PT", "Office supplies", ("Notebook A5", 3.0, 9.0),
            ("Printer toner", 39.0, 89.0), ("Gel pens, pack of 10", 6.0, 12.0)),
    _vendor("Desk & Chair Co.", "DC", "Office supplies", ("Monitor arm", 45.0, 120.0),
            ("Desk lamp", 25.0, 60.0)),
    _vendor("CloudNote Pro", "CN", "Software", ("Monthly subscription", 8.0, 25.0)),
    _vendor("PixelForge Studio", "PF", "Software", ("Annual licence", 99.0, 299.0)),
    _vendor("Telva Mobile", "TV", "Telecom", ("Roaming package", 10.0, 35.0),
            ("Data top-up", 5.0, 20.0)),
    _vendor("Learnwise Academy", "LW", "Training", ("Workshop seat", 150.0, 450.0),
            ("Course materials", 20.0, 60.0)),
)


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: int
    unit_cents: int

    @property
    def cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass(frozen=True)
class Receipt:
    """A shop receipt. Its total is what was paid: net plus tax."""

    number: str
    vendor: Vendor
    day: date
    items: tuple[LineItem, ...]
    paid_by: str
    """Full name of the card holder who paid."""
    tax_rate: int = 0
    """Percent of tax included; 0 prints no tax lines."""
    currency: str = "EUR"
    card: str = "4411"
    """Last four digits of the card."""

    @property
    def category(self) -> str:
        return self.vendor.category

    @property
    def net_cents(self) -> int:
        return sum(item.cents for item in self.items)

    @property
    def tax_cents(self) -> int:
        return (self.net_cents * self.tax_rate + 50) // 100

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.tax_cents


def money(cents: int) -> str:
    """``123450`` -> ``"1234.50"``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def parse_money(text: str) -> int | None:
    """Cents of ``"1,234.50"``, ``"EUR 1234.50"``, ``"$12.00"`` or ``"12.00 GBP"``; None when
    the text is no amount with exactly two decimals (or longer than 40 characters)."""
    if len(text) > 40:
        return None
    match = re.fullmatch(r"\s*(?:[A-Za-z]{3}|[€$£])?\s*(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})\s*"
                         r"(?:[A-Za-z]{3})?\s*", text)
    return int(match.group(1).replace(",", "")) * 100 + int(match.group(2)) if match else None


def format_date(day: date, style: str = "iso") -> str:
    """``day`` in one of :data:`DATE_STYLES`."""
    if style == "iso":
        return day.isoformat()
    if style == "day-month":
        return f"{day.day} {day.strftime('%b')} {day.year}"
    if style == "month-day":
        return f"{day.strftime('%B')} {day.day}, {day.year}"
    raise ValueError(f"unknown date style {style!r}; use one of {', '.join(DATE_STYLES)}")


def receipt_number(rng: random.Random, vendor: Vendor, taken: set[str]) -> str:
    """A receipt number new to ``taken`` (which it joins)."""
    while True:
        number = f"{vendor.code}-{rng.randint(10000, 99999)}"
        if number not in taken:
            taken.add(number)
            return number


def draw_receipt(rng: random.Random, vendor: Vendor, day: date, paid_by: str, number: str,
                 tax_rate: int = 0, currency: str = "EUR", max_items: int = 3) -> Receipt:
    """A receipt of 1..``max_items`` of the vendor's products at random prices."""
    chosen = rng.sample(vendor.products, rng.randint(1, min(max_items, len(vendor.products))))
    items = tuple(LineItem(p.name, rng.choice((1, 1, 1, 2, 3)), rng.randint(p.low, p.high))
                  for p in chosen)
    card = f"{rng.randint(0, 9999):04d}"
    return Receipt(number, vendor, day, items, paid_by, tax_rate, currency, card)


def receipt_text(receipt: Receipt, date_style: str = "iso") -> str:
    """The receipt as a plain-text printout."""
    lines = [receipt.vendor.name, f"RECEIPT No. {receipt.number}",
             f"Date: {format_date(receipt.day, date_style)}",
             f"Category: {receipt.category}", ""]
    for item in receipt.items:
        label = f"{item.quantity} x {item.description}"
        lines.append(f"{label:<28}{money(item.unit_cents):>10}{money(item.cents):>10}")
    lines.append("")
    if receipt.tax_rate:
        lines.append(f"{'Net amount':<38}{money(receipt.net_cents):>10}")
        lines.append(f"{f'Tax {receipt.tax_rate}%':<38}{money(receipt.tax_cents):>10}")
    lines.append(f"{f'TOTAL {receipt.currency}':<38}{money(receipt.total_cents):>10}")
    lines += ["", f"Paid by: {receipt.paid_by} (card ending {receipt.card})",
              "Thank you for your visit!"]
    return "\n".join(lines) + "\n"


def receipt_csv(receipt: Receipt, date_style: str = "iso") -> str:
    """The receipt as a one-row CSV export from a vendor portal."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["receipt_no", "date", "vendor", "category", "paid_by", "items", "net",
                     "tax", "total", "currency"])
    items = "; ".join(f"{i.quantity} x {i.description}" for i in receipt.items)
    writer.writerow([receipt.number, format_date(receipt.day, date_style), receipt.vendor.name,
                     receipt.category, receipt.paid_by, items, money(receipt.net_cents),
                     money(receipt.tax_cents), money(receipt.total_cents), receipt.currency])
    return out.getvalue()


def receipt_row(receipt: Receipt) -> dict[str, Any]:
    """The expense-sheet row a receipt calls for: Date, Vendor, Category, Amount (the
    total, tax included), Receipt (its number)."""
    return {"Date": receipt.day, "Vendor": receipt.vendor.name, "Category": receipt.category,
            "Amount": receipt.total_cents / 100, "Receipt": receipt.number}


def corrupt_row(rng: random.Random, receipt: Receipt, two_fields: bool = False) -> dict[str, Any]:
    """The receipt's row with one field wrong, as people get them wrong (two fields, half
    the time, with ``two_fields``): the net amount or two digits swapped, a date a few days
    off in the same month, another category."""
    values = receipt_row(receipt)
    two = two_fields and rng.random() < 0.5
    for field in rng.sample(("Amount", "Date", "Category"), 2 if two else 1):
        if field == "Amount":
            digits = str(receipt.total_cents)
            spots = [n for n in range(1, len(digits) - 1) if digits[n] != digits[n + 1]]
            if receipt.tax_rate and rng.random() < 0.5:  # the net amount instead of the total
                cents = receipt.net_cents
            elif spots:  # two digits swapped
                n = rng.choice(spots)
                cents = int(digits[:n] + digits[n + 1] + digits[n] + digits[n + 2:])
            else:
                cents = receipt.total_cents + rng.randint(100, 900)
            values["Amount"] = cents / 100
        elif field == "Date":
            shifts = [d for d in range(-6, 7)
                      if d and (receipt.day + timedelta(days=d)).month == receipt.day.month]
            values["Date"] = receipt.day + timedelta(days=rng.choice(shifts))
        else:
            values["Category"] = rng.choice([c for c in EXPENSE_CATEGORIES
                                             if c != receipt.category])
    return values


def render_receipt(rng: random.Random, receipt: Receipt, date_styles: int = 1,
                   csv_share: float = 0.0) -> tuple[str, bytes]:
    """(file name, bytes) of the receipt as a text printout or, with chance ``csv_share``,
    a csv export, its date in one of the first ``date_styles`` styles."""
    style = rng.choice(DATE_STYLES[:date_styles])
    if rng.random() < csv_share:
        return f"receipt-{receipt.number}.csv", receipt_csv(receipt, style).encode()
    return f"receipt-{receipt.number}.txt", receipt_text(receipt, style).encode()


# -- expense sheets -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenseSetting:
    """Who, when and where of one month's expense report: what receipts, mails and
    distractors share."""

    period: date
    """The first day of the month reported."""
    previous: date
    """The first day of the month before (its report is closed)."""
    last_day: int
    now: datetime
    """The world's clock: a few days into the month after."""
    me: Person
    """Whose report it is."""
    approver: Person
    finance: Person
    colleague: Person
    old_approver: Person
    """Who approved the month before."""
    currency: str
    path: str
    """The expense workbook, ``expenses/expenses-YYYY-MM.xlsx``."""

    def at(self, day: int, hour: int, minute: int = 0, previous: bool = False) -> datetime:
        """A time on ``day`` of the period (or of the month before)."""
        month = self.previous if previous else self.period
        return datetime(month.year, month.month, day, hour, minute, tzinfo=self.now.tzinfo)


def expense_setting(rng: random.Random) -> ExpenseSetting:
    """A month between January 2025 and February 2026, its people, clock and currency."""
    period = date(*rng.choice([(2025, m) for m in range(1, 13)] + [(2026, 1), (2026, 2)]), 1)
    following = (period + timedelta(days=32)).replace(day=1)
    tz = timezone(timedelta(hours=rng.choice((0, 1, 2))))
    me, approver, finance, colleague, old_approver = people(
        rng, 5, domain=rng.choice(("example.org", "northwind.example", "acme.example")))
    return ExpenseSetting(
        period, (period - timedelta(days=1)).replace(day=1), (following - timedelta(days=1)).day,
        datetime(following.year, following.month, rng.randint(2, 5), 9, tzinfo=tz), me,
        approver, finance, colleague, old_approver, rng.choice(("EUR", "GBP", "USD")),
        f"expenses/expenses-{period:%Y-%m}.xlsx")

EXPENSE_COLUMNS = ("Date", "Vendor", "Category", "Amount", "Receipt")
"""The columns of an expense sheet, in order."""
ExpenseKey = tuple[str, Any, str, str, "int | None"]
"""An expense row as graders compare it: receipt no., date, vendor, category (folded),
amount in cents."""
_AMOUNT = re.compile(r"\s*\d{1,12}(\.\d{1,2})?\s*")
_DAY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def amount_cents(value: Any) -> int | None:
    """An Amount cell in cents; None for anything that is no plain amount (text that is no
    number, 1e308, NaN, more than 12 digits), so such a row is simply wrong."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 100) if math.isfinite(value) and abs(value) < 1e12 else None
    if isinstance(value, str) and _AMOUNT.fullmatch(value):
        return round(float(value) * 100)
    return None


def expense_key(day: Any, vendor: Any, category: Any, amount: Any, number: Any) -> ExpenseKey:
    """Cell values (in ``EXPENSE_COLUMNS`` order) as graded: total over any cell an agent
    writes (never raises), dates as dates, text folded, amounts in cents."""
    if isinstance(day, datetime):
        day = day.date()
    elif isinstance(day, str) and _DAY.fullmatch(day):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            pass  # 2026-02-30 stays text: the row is wrong
    vendor, category = ("" if v is None else str(v).strip().casefold() for v in (vendor, category))
    return ("" if number is None else str(number).strip().upper(), day, vendor, category,
            amount_cents(amount))


def expense_workbook(sheet: str, rows: Sequence[dict[str, Any]], rng: random.Random, *,
                     extra_columns: bool = False, approved: Sequence[Receipt] = (),
                     approved_sheet: str = "") -> bytes:
    """An expense workbook: ``sheet`` with ``rows`` (dicts by column), optionally Project and
    Notes columns drawn from ``rng``, and an approved sheet of earlier receipts."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([*EXPENSE_COLUMNS, *(("Project", "Notes") if extra_columns else ())])
    for values in rows:
        extra = [rng.choice(("PRJ-101", "PRJ-214", "Internal", None)),
                 rng.choice(("client visit", "team event", None, None))] if extra_columns else []
        ws.append([values[c] for c in EXPENSE_COLUMNS] + extra)
    if approved:
        old = wb.create_sheet(approved_sheet)
        old.append(list(EXPENSE_COLUMNS))
        for r in approved:
            old.append(list(receipt_row(r).values()))
    for each in wb.worksheets:
        for cell in each["A"][1:]:
            cell.number_format = "yyyy-mm-dd"
        for cell in each["D"][1:]:
            cell.number_format = "0.00"
    return workbook_bytes(wb)


def mail_receipt(box: Mailbox, when: datetime, receipt: Receipt, name: str, data: bytes) -> None:
    """File the vendor's mail that carries ``receipt`` as the attachment ``name``."""
    vendor = receipt.vendor
    box.receive(f"{vendor.name} <receipts@{vendor.domain}>",
                f"Your receipt {receipt.number} from {vendor.name}",
                f"Dear customer,\n\nthank you for your purchase. Your receipt is attached."
                f"\n\n{vendor.name}", when, attachments=[Attachment.from_bytes(name, data)])
