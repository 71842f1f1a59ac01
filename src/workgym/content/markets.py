"""Markets: a per-world universe of listed shares and currencies for the market app.

Company names are invented per world (no real ticker's history can be recalled), each
instrument drawn from a stream of its own: sector, exchange (and so currency), a start
price, a daily range and drift for its walk, and fundamentals in line with its sector
(price/earnings, dividend yield, market capitalisation). Extras (distractors) are more
instruments from streams of their own: the core's tickers, parameters and so its whole
price history are the same at any ``extra``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from workgym.apps.market import Currency, Instrument, MarketStore, build_market, trading_days
from workgym.core import derive_seed

__all__ = ["CURRENCIES", "EXCHANGES", "SECTORS", "Holding", "draw_holdings",
           "generate_market"]


@dataclass(frozen=True)
class _Sector:
    suffixes: tuple[str, ...]
    pe: tuple[float, float]
    dividend_yield: tuple[float, float]
    """Percent."""
    volatility_bp: tuple[int, int]
    loss_chance: float = 0.0


SECTORS: dict[str, _Sector] = {
    "Technology": _Sector(("Systems", "Software", "Semiconductor", "Networks"), (18, 45),
                          (0.0, 1.2), (150, 380), 0.12),
    "Health Care": _Sector(("Pharma", "Biotech", "Medical", "Health"), (14, 35), (0.0, 2.5),
                           (120, 320), 0.1),
    "Financials": _Sector(("Bank", "Capital", "Insurance", "Financial"), (7, 15), (2.0, 6.0),
                          (90, 220)),
    "Energy": _Sector(("Energy", "Oil & Gas", "Renewables", "Power"), (6, 16), (2.5, 7.0),
                      (120, 300)),
    "Industrials": _Sector(("Industries", "Engineering", "Aerospace", "Machinery"), (12, 24),
                           (1.0, 3.5), (100, 240)),
    "Consumer Staples": _Sector(("Foods", "Beverages", "Household", "Brands"), (15, 26),
                                (2.0, 4.0), (70, 160)),
    "Consumer Discretionary": _Sector(("Retail", "Motors", "Apparel", "Leisure"), (12, 30),
                                      (0.0, 3.0), (130, 320), 0.05),
    "Utilities": _Sector(("Utilities", "Water", "Electric", "Gas"), (12, 20), (3.0, 6.5),
                         (60, 140)),
    "Materials": _Sector(("Materials", "Chemicals", "Mining", "Steel"), (8, 18), (1.5, 5.0),
                         (130, 300)),
}
"""Sectors, with name suffixes and the ranges their fundamentals are drawn from."""

EXCHANGES = (("NYSE", "USD"), ("NASDAQ", "USD"), ("LSE", "GBP"), ("XETRA", "EUR"),
             ("Euronext Paris", "EUR"), ("SIX", "CHF"), ("TSE", "JPY"), ("TSX", "CAD"))
"""(exchange, the currency it trades in)."""

CURRENCIES: dict[str, tuple[str, str, int]] = {
    "EUR": ("Euro", "0.92", 35), "GBP": ("Pound sterling", "0.79", 40),
    "CHF": ("Swiss franc", "0.88", 35), "JPY": ("Japanese yen", "149.50", 50),
    "CAD": ("Canadian dollar", "1.36", 30), "SEK": ("Swedish krona", "10.45", 45),
    "AUD": ("Australian dollar", "1.52", 45),
}
"""Code -> (name, units per US dollar at the start, largest daily move in basis points)."""

_ONSETS = ("b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br",
           "tr", "st")
_VOWELS = ("a", "e", "i", "o", "u", "a", "o")
_CODAS = ("", "", "n", "r", "l", "s", "x", "m")
_FORMS = ("{s} {x}", "{s} {x}", "{s} {x} Group", "{s} {x} Holdings")


@dataclass(frozen=True)
class Holding:
    """A position: a number of shares of an instrument."""

    ticker: str
    quantity: int


def generate_market(rng: random.Random, today: date, *, instruments: int = 40,
                    extra: float = 0.0, days: int = 365,
                    currencies: Sequence[str] | None = None) -> MarketStore:
    """A market whose latest close is the last trading day before ``today``.

    Args:
        rng: the stream the market's seed is drawn from (one draw).
        today: the world's date.
        instruments: how many instruments the core has (1 to 300).
        extra: distractors, as a fraction of ``instruments`` (0 to 2).
        days: calendar days of history (30 to 3650).
        currencies: the currencies besides the US dollar (default: all of
            ``CURRENCIES``); instruments trade only on the exchanges of these.

    Raises:
        ValueError: an argument out of range or an unknown currency.
    """
    if not 1 <= instruments <= 300:
        raise ValueError(f"instruments must be between 1 and 300, got {instruments}")
    if not 0.0 <= extra <= 2.0:
        raise ValueError(f"extra must be between 0 and 2, got {extra}")
    if not 30 <= days <= 3650:
        raise ValueError(f"days must be between 30 and 3650, got {days}")
    codes = sorted(CURRENCIES) if currencies is None else sorted(set(currencies))
    unknown = [c for c in codes if c not in CURRENCIES]
    if unknown:
        raise ValueError(f"unknown currencies {unknown}; use codes of CURRENCIES")
    seed = rng.getrandbits(64)
    end = today - timedelta(days=1)
    while not trading_days(end, end):
        end -= timedelta(days=1)
    start = end - timedelta(days=days)
    places = [(x, c) for x, c in EXCHANGES if c == "USD" or c in codes]
    money = [Currency(code=c, name=CURRENCIES[c][0], per_usd=CURRENCIES[c][1],
                      volatility_bp=CURRENCIES[c][2]) for c in codes]
    taken_names: set[str] = set()
    taken_tickers: set[str] = set()
    drawn = [_instrument(random.Random(derive_seed(seed, "core", i)), places,
                         taken_names, taken_tickers) for i in range(instruments)]
    drawn += [_instrument(random.Random(derive_seed(seed, "extra", i)), places, taken_names,
                          taken_tickers) for i in range(round(instruments * extra))]
    return build_market(drawn, money, seed=f"{seed:016x}", start=start, end=end)


def _word(rng: random.Random) -> str:
    while True:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(rng.choice((2, 2, 3))))
        if 5 <= len(word) <= 9:
            return word.capitalize()


def _instrument(rng: random.Random, places: Sequence[tuple[str, str]], names: set[str],
                tickers: set[str]) -> Instrument:
    sector_name = rng.choice(sorted(SECTORS))
    sector = SECTORS[sector_name]
    while True:
        stem = _word(rng)
        name = rng.choice(_FORMS).format(s=stem, x=rng.choice(sector.suffixes))
        if stem not in names:
            names.add(stem)
            break
    ticker = _ticker(rng, stem, tickers)
    exchange, currency = rng.choice(list(places))
    per_usd = Decimal(CURRENCIES[currency][1]) if currency != "USD" else Decimal(1)
    price_usd = 10 ** rng.uniform(0.9, 2.6)
    price = (Decimal(repr(round(price_usd, 2))) * per_usd).quantize(Decimal("0.01"))
    price = max(price, Decimal("1.00"))
    if rng.random() < sector.loss_chance:
        eps = -Decimal(repr(round(rng.uniform(0.05, 0.15) * float(price), 2)))
    else:
        eps = (price / Decimal(repr(round(rng.uniform(*sector.pe), 1)))).quantize(Decimal("0.01"))
    low, high = sector.dividend_yield
    chosen_yield = rng.uniform(low, high) if rng.random() < 0.8 or low > 0 else 0.0
    dividend = (price * Decimal(repr(round(chosen_yield, 2))) / 100).quantize(Decimal("0.01"))
    cap_usd = 10 ** rng.uniform(9.0, 11.5)
    shares = max(1, int(Decimal(repr(round(cap_usd))) * per_usd / price))
    return Instrument(ticker=ticker, name=name, sector=sector_name, currency=currency,
                      exchange=exchange, start_price=str(price),
                      volatility_bp=rng.randint(*sector.volatility_bp),
                      drift_bp=rng.randint(-4, 7),
                      volume=max(1_000, int(shares * rng.uniform(0.002, 0.01))),
                      shares_outstanding=shares, eps=str(eps), dividend=str(dividend))


def _ticker(rng: random.Random, stem: str, taken: set[str]) -> str:
    letters = stem.upper()
    consonants = letters[0] + "".join(ch for ch in letters[1:] if ch not in "AEIOU")
    for candidate in (letters[:4], consonants[:4], letters[:3], consonants[:3],
                      letters[0] + letters[2:5]):
        if len(candidate) >= 3 and candidate not in taken:
            taken.add(candidate)
            return candidate
    while True:
        candidate = letters[0] + "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ")
                                         for _ in range(3))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def draw_holdings(rng: random.Random, store: MarketStore, count: int, *,
                  currency: str | None = None,
                  quantities: tuple[int, int] = (10, 500)) -> list[Holding]:
    """``count`` positions in distinct instruments (of one currency, if given), sorted by
    ticker, with whole quantities drawn from ``quantities``.

    Raises:
        ValueError: fewer instruments than ``count``, or bad ``quantities``.
    """
    if quantities[0] < 1 or quantities[0] > quantities[1]:
        raise ValueError(f"quantities must be (least, most) with 1 <= least <= most, got "
                         f"{quantities}")
    pool = [i.ticker for i in store.instruments if currency is None or i.currency == currency]
    if count > len(pool):
        raise ValueError(f"only {len(pool)} instruments to hold, asked for {count}")
    chosen = sorted(rng.sample(pool, count))
    return [Holding(t, rng.randint(*quantities)) for t in chosen]
