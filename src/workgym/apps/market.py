"""market: offline market data: instruments, daily quotes, fundamentals and FX rates.

Prices follow a deterministic random walk in ``Decimal``: each trading day's move comes
from a SHA-256 of (the market's seed, the ticker, the day), so the store holds only each
instrument's parameters (start price, daily range, drift, fundamentals) and every quote of
its history is a pure function of them. The store is small (a few kilobytes for forty
instruments) and dumps in full, so the world digest covers every price through the
parameters that determine it; nothing is drawn from a random generator whose algorithm
could change between Python versions. Histories are computed once per parameter set and
cached (they are the same for every episode of a task).

Trading days are weekdays except 1 January and 25 December; the history runs from the
store's ``start`` to its ``end`` (the last close, the one ``quote`` shows). FX rates are
walks of each currency's units per US dollar; a cross rate is the quotient of two. Every
tool only reads. Money and rates are decimal strings (``"123.45"``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from workgym.apps._fts import matches_terms, word_terms
from workgym.core import App, GradeError, Store, ToolError, tool

__all__ = ["Bar", "Currency", "Instrument", "MarketApp", "MarketStore", "bars_of",
           "build_market", "close_on", "fx_rate", "instrument_of", "market_value",
           "trading_days"]

MAX_INSTRUMENTS = 500
MAX_CURRENCIES = 40
MAX_HISTORY_DAYS = 3_700
"""Longest history, in calendar days (about ten years)."""
MAX_BARS = 400
"""Most bars one ``history`` call returns."""
MAX_QUOTES = 20
MAX_RESULTS = 100
MAX_AMOUNT = Decimal("1e12")
"""Largest amount ``fx`` converts."""
MAX_PRICE = Decimal("1e7")
"""Largest start price, earnings or dividend per share (a walk stays below 10,000 times
it); with the bounds on shares and rates every figure fits the arithmetic below."""
_WIDE = Context(prec=60, rounding=ROUND_HALF_EVEN)
_MAX_UNITS = 10**15
BASE = "USD"
"""The currency every rate is walked against."""
_CENT = Decimal("0.01")
_RATE = Decimal("0.000001")
_TICKER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
_CLOSED = ((1, 1), (12, 25))
"""(month, day) of the holidays every exchange closes on."""

TickerText = Annotated[str, Field(min_length=1, max_length=12)]
CurrencyText = Annotated[str, Field(min_length=1, max_length=8)]
DayText = Annotated[str, Field(min_length=1, max_length=40)]
Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0)]


class Instrument(BaseModel):
    """A listed share and the parameters of its price walk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticker: str
    """1 to 8 upper-case letters, digits or dots, e.g. ``VLMR``."""
    name: str
    sector: str
    currency: str
    """The currency it trades in (ISO 4217), e.g. ``EUR``."""
    exchange: str
    start_price: str
    """The close before the history's first day, a decimal string."""
    volatility_bp: int = Field(ge=1, le=1_500)
    """The largest daily move, in basis points."""
    drift_bp: int = Field(ge=-100, le=100)
    """The average daily move, in basis points."""
    volume: int = Field(ge=0, le=10**10)
    """A typical day's traded shares."""
    shares_outstanding: int = Field(ge=1, le=10**13)
    eps: str
    """Earnings per share over the last twelve months (may be negative)."""
    dividend: str = "0"
    """Dividends per share over a year."""


class Currency(BaseModel):
    """A currency and the parameters of its rate's walk against the US dollar."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    """ISO 4217, e.g. ``EUR``."""
    name: str
    per_usd: str
    """Units per US dollar before the history's first day."""
    volatility_bp: int = Field(ge=1, le=500)


class MarketStore(Store):
    """The market: instruments and currencies, whose histories follow from ``seed``."""

    seed: str = "0"
    """The walks' seed (any text)."""
    start: str = "2025-01-01"
    """First day of the history, YYYY-MM-DD."""
    end: str = "2025-01-01"
    """Last day of the history (the latest close), YYYY-MM-DD."""
    instruments: list[Instrument] = Field(default_factory=list)
    """Sorted by ticker."""
    currencies: list[Currency] = Field(default_factory=list)
    """Besides the US dollar, sorted by code."""

    def instrument(self, ticker: str) -> Instrument | None:
        """The instrument with a ticker (any case), or None."""
        wanted = ticker.strip().upper()
        return next((i for i in self.instruments if i.ticker == wanted), None)

    def currency_codes(self) -> list[str]:
        return sorted([BASE, *(c.code for c in self.currencies)])


@dataclass(frozen=True, slots=True)
class Bar:
    """One trading day of an instrument."""

    day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "open": str(self.open), "high": str(self.high),
                "low": str(self.low), "close": str(self.close), "volume": self.volume}


def build_market(instruments: Iterable[Instrument | Mapping[str, Any]],
                 currencies: Iterable[Currency | Mapping[str, Any]] = (), *, seed: str,
                 start: date, end: date) -> MarketStore:
    """A market of ``instruments`` (as :class:`Instrument` or its fields) trading in
    ``currencies`` (besides the US dollar), with a history from ``start`` to ``end``.

    Raises:
        ValueError: a malformed instrument or currency, a repeated ticker or code, an
            instrument in a currency not given, a price or amount that is not a decimal,
            a sector or exchange spelt two ways, a start after the end, a history over
            ``MAX_HISTORY_DAYS``, or too many instruments.
    """
    items = [i if isinstance(i, Instrument) else Instrument.model_validate(dict(i))
             for i in instruments]
    money = [c if isinstance(c, Currency) else Currency.model_validate(dict(c))
             for c in currencies]
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if (end - start).days > MAX_HISTORY_DAYS:
        raise ValueError(f"a history spans at most {MAX_HISTORY_DAYS} days")
    if len(items) > MAX_INSTRUMENTS or len(money) > MAX_CURRENCIES:
        raise ValueError(f"a market holds at most {MAX_INSTRUMENTS} instruments and "
                         f"{MAX_CURRENCIES} currencies")
    codes = {BASE}
    for c in money:
        if len(c.code) != 3 or not c.code.isalpha() or not c.code.isupper():
            raise ValueError(f"currency code {c.code!r} is not three upper-case letters")
        if c.code in codes:
            raise ValueError(f"currency {c.code} is given twice (the US dollar is implicit)")
        rate = _decimal(c.per_usd, places=6)
        if rate is None or not 0 < rate <= 1_000_000:
            raise ValueError(f"currency {c.code}: per_usd {c.per_usd!r} is not a decimal "
                             "of at most six places between 0 and 1000000")
        codes.add(c.code)
    tickers: set[str] = set()
    spelt: dict[str, str] = {}
    for i in items:
        for name in (i.sector, i.exchange):
            known = spelt.setdefault(name.casefold(), name)
            if known != name:
                raise ValueError(f"{known!r} and {name!r} differ only in case; spell it one way")
        if not 1 <= len(i.ticker) <= 8 or not set(i.ticker) <= _TICKER_CHARS:
            raise ValueError(f"ticker {i.ticker!r} needs 1 to 8 upper-case letters, digits "
                             "or dots")
        if i.ticker in tickers:
            raise ValueError(f"ticker {i.ticker} is given twice")
        tickers.add(i.ticker)
        if i.currency not in codes:
            raise ValueError(f"{i.ticker} trades in {i.currency}, which is not among the "
                             f"currencies {sorted(codes)}")
        for label, value in (("start_price", i.start_price), ("eps", i.eps),
                             ("dividend", i.dividend)):
            parsed = _decimal(value, places=4)
            if parsed is None or abs(parsed) > MAX_PRICE:
                raise ValueError(f"{i.ticker}: {label} {value!r} is not a decimal of at most "
                                 f"four places up to {MAX_PRICE:,f}")
        if Decimal(i.start_price) <= 0 or Decimal(i.dividend) < 0:
            raise ValueError(f"{i.ticker}: the start price must be positive and the "
                             "dividend not negative")
        for text in (i.name, i.sector, i.exchange):
            if not text.strip() or len(text) > 200 or not text.isprintable():
                raise ValueError(f"{i.ticker}: names need 1 to 200 printable characters")
    return MarketStore(seed=seed, start=start.isoformat(), end=end.isoformat(),
                       instruments=sorted(items, key=lambda i: i.ticker),
                       currencies=sorted(money, key=lambda c: c.code))


def _decimal(text: str, places: int | None = None) -> Decimal | None:
    """The number a decimal string holds (with at most ``places`` decimals), or None."""
    if len(text) > 40:
        return None
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    exponent = value.as_tuple().exponent
    if places is not None and isinstance(exponent, int) and exponent < -places:
        return None
    return value


# -- the walks ------------------------------------------------------------------------------


def trading_days(start: date, end: date) -> tuple[date, ...]:
    """The weekdays from ``start`` to ``end`` (both included) but 1 January and 25
    December."""
    return _trading_days(start, end)


@lru_cache(maxsize=256)
def _trading_days(start: date, end: date) -> tuple[date, ...]:
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5 and (day.month, day.day) not in _CLOSED:
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


def _draws(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def _uniform(data: bytes, at: int, spread: int) -> int:
    """An integer in [0, spread] from four bytes of ``data``."""
    return int.from_bytes(data[at:at + 4], "big") % (spread + 1)


@lru_cache(maxsize=4_096)
def _walk(seed: str, instrument: Instrument, start: date, end: date) -> tuple[Bar, ...]:
    # in whole cents (integers): exact, and far cheaper than Decimal division per day
    vol, drift = instrument.volatility_bp, instrument.drift_bp
    previous = _units(instrument.start_price, 100)
    bars = []
    for day in _trading_days(start, end):
        data = _draws(seed, instrument.ticker, day.isoformat())
        # the sum of two uniforms: small moves are common, large ones rare
        move = _uniform(data, 0, vol) + _uniform(data, 4, vol) - vol + drift
        gap = _uniform(data, 8, vol // 2) - vol // 4
        close = _moved(previous, move)
        opened = _moved(previous, gap)
        high = _moved(max(opened, close), _uniform(data, 12, vol // 2))
        low = min(_moved(min(opened, close), -_uniform(data, 16, vol // 2)), opened, close)
        volume = instrument.volume * (50 + _uniform(data, 20, 100)) // 100
        bars.append(Bar(day, _cents(opened), _cents(high), _cents(low), _cents(close),
                        volume))
        previous = close
    return tuple(bars)


def _units(text: str, per_unit: int) -> int:
    """A positive decimal string in whole hundredths (or millionths), rounded half even."""
    return max(int((Decimal(text) * per_unit).to_integral_value(rounding=ROUND_HALF_EVEN)), 1)


def _moved(value: int, basis_points: int) -> int:
    """``value`` moved by ``basis_points``, rounded half even, never below one unit."""
    whole, rest = divmod(value * (10_000 + basis_points), 10_000)
    if rest * 2 > 10_000 or (rest * 2 == 10_000 and whole % 2):
        whole += 1
    return min(max(whole, 1), _MAX_UNITS)


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


@lru_cache(maxsize=1_024)
def _rates(seed: str, currency: Currency, start: date, end: date
           ) -> tuple[tuple[date, Decimal], ...]:
    rate = _units(currency.per_usd, 1_000_000)  # in millionths
    vol = currency.volatility_bp
    out = []
    for day in _trading_days(start, end):
        data = _draws(seed, "fx", currency.code, day.isoformat())
        rate = _moved(rate, _uniform(data, 0, vol) + _uniform(data, 4, vol) - vol)
        out.append((day, Decimal(rate).scaleb(-6)))
    return tuple(out)


def _span(store: MarketStore) -> tuple[date, date]:
    return date.fromisoformat(store.start), date.fromisoformat(store.end)


def bars_of(store: MarketStore, ticker: str) -> tuple[Bar, ...]:
    """Every bar of an instrument's history, oldest first (for families and graders).

    Raises:
        GradeError: no instrument has that ticker.
    """
    return _walk(store.seed, instrument_of(store, ticker), *_span(store))


def instrument_of(store: MarketStore, ticker: str) -> Instrument:
    """The instrument with a ticker (any case).

    Raises:
        GradeError: no instrument has that ticker.
    """
    found = store.instrument(ticker)
    if found is None:
        raise GradeError(f"the market has no instrument {ticker!r}")
    return found


def close_on(store: MarketStore, ticker: str, day: date | None = None) -> Decimal:
    """The close of the last session on or before ``day`` (default: the latest close).

    Raises:
        GradeError: an unknown ticker, or a day before the history.
    """
    bar = _session(bars_of(store, ticker), day)
    if bar is None:
        raise GradeError(f"{ticker} has no close on or before {day}")
    return bar.close


def fx_rate(store: MarketStore, base: str, quote: str, day: date | None = None) -> Decimal:
    """Units of ``quote`` per unit of ``base`` at the last session on or before ``day``.

    Raises:
        GradeError: an unknown currency, or a day before the history.
    """
    found = _cross(store, base.strip().upper(), quote.strip().upper(), day)
    if isinstance(found, str):
        raise GradeError(found)
    return found[1]


def market_value(store: MarketStore, ticker: str, quantity: Decimal | int, currency: str,
                 day: date | None = None) -> Decimal:
    """``quantity`` shares at the close on or before ``day``, converted to ``currency``
    at that session's rate, to the cent.

    Raises:
        GradeError: an unknown ticker or currency, or a day before the history.
    """
    instrument = instrument_of(store, ticker)
    price = close_on(store, ticker, day)
    rate = fx_rate(store, instrument.currency, currency, day)
    with localcontext(_WIDE):
        return (price * Decimal(quantity) * rate).quantize(_CENT)


def _session(bars: tuple[Bar, ...], day: date | None) -> Bar | None:
    if not bars:
        return None
    if day is None:
        return bars[-1]
    found = None
    for bar in bars:  # a few hundred bars: a scan is cheaper than bisect's key setup
        if bar.day > day:
            break
        found = bar
    return found


def _per_usd(store: MarketStore, code: str, day: date | None) -> tuple[date, Decimal] | str:
    start, end = _span(store)
    days = _trading_days(start, end)
    if not days:
        return "the market has no trading days, so no rates"
    if code == BASE:
        chosen = [d for d in days if day is None or d <= day]
        if not chosen:
            return f"no rates before {days[0]}"
        return chosen[-1], Decimal(1)
    currency = next((c for c in store.currencies if c.code == code), None)
    if currency is None:
        return (f"no currency {code!r}; the market has "
                f"{', '.join(store.currency_codes())}")
    rates = _rates(store.seed, currency, start, end)
    chosen_rate = None
    for when, rate in rates:
        if day is not None and when > day:
            break
        chosen_rate = (when, rate)
    if chosen_rate is None:
        return f"no rates before {rates[0][0] if rates else store.start}"
    return chosen_rate


def _cross(store: MarketStore, base: str, quote: str,
           day: date | None) -> tuple[date, Decimal] | str:
    a = _per_usd(store, base, day)
    if isinstance(a, str):
        return a
    b = _per_usd(store, quote, day)
    if isinstance(b, str):
        return b
    with localcontext(_WIDE):
        return a[0], (b[1] / a[1]).quantize(_RATE)


class MarketApp(App):
    """Market data: listed shares (by ticker, e.g. "VLMR"), their daily prices and
    fundamentals, and currency rates. Prices are decimal strings in the instrument's
    currency; the latest close is the last trading day's."""

    name = "market"

    @property
    def store(self) -> MarketStore:
        return self.world.store("market", MarketStore)

    @tool(read_only=True)
    def search_instruments(self, query: Annotated[str, Field(max_length=200)] = "",
                           sector: Annotated[str, Field(max_length=100)] | None = None,
                           currency: CurrencyText | None = None,
                           exchange: Annotated[str, Field(max_length=100)] | None = None,
                           limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Find instruments by words of their ticker, name or sector (every word must
        match, case-insensitive; end a word with * for a prefix), and by sector, currency
        or exchange. Sorted by ticker; no query lists every instrument.

        Returns ``{"total", "offset", "results": [{ticker, name, sector, currency,
        exchange}]}``.

        Args:
            query: words to look for, e.g. "solar" or "VLM*".
            sector: only this sector, e.g. "Energy" (any case).
            currency: only instruments trading in this currency, e.g. "EUR".
            exchange: only this exchange, e.g. "XETRA" (any case).
            limit: most results to return (1-100).
            offset: results to skip, for the next page.
        """
        store = self.store
        wanted = word_terms(query)
        sectors = {i.sector.casefold(): i.sector for i in store.instruments}
        if sector is not None and sector.strip().casefold() not in sectors:
            raise ToolError(f"no sector {sector!r}; sectors are "
                            f"{', '.join(sorted(sectors.values()))}")
        exchanges = {i.exchange.casefold(): i.exchange for i in store.instruments}
        if exchange is not None and exchange.strip().casefold() not in exchanges:
            raise ToolError(f"no exchange {exchange!r}; exchanges are "
                            f"{', '.join(sorted(exchanges.values()))}")
        code = self._currency(currency) if currency is not None else None
        found = [i for i in store.instruments
                 if (sector is None or i.sector.casefold() == sector.strip().casefold())
                 and (exchange is None or i.exchange.casefold() == exchange.strip().casefold())
                 and (code is None or i.currency == code)
                 and (not wanted or matches_terms(f"{i.ticker} {i.name} {i.sector}", wanted))]
        rows = [{"ticker": i.ticker, "name": i.name, "sector": i.sector,
                 "currency": i.currency, "exchange": i.exchange} for i in found]
        return {"total": len(rows), "offset": offset, "results": rows[offset:offset + limit]}

    @tool(read_only=True)
    def quote(self, tickers: Annotated[list[TickerText], Field(min_length=1,
                                                               max_length=MAX_QUOTES)]
              ) -> dict[str, Any]:
        """The latest quote of up to 20 instruments: the last trading day's prices and the
        change from the close before.

        Returns ``{"quotes": [{ticker, name, currency, date, open, high, low, close,
        previous_close, change, change_percent, volume}]}`` in the order asked;
        change_percent has two decimals.

        Args:
            tickers: the instruments' tickers, e.g. ["VLMR", "KSTL"].
        """
        quotes = []
        for ticker in tickers:
            instrument = self._instrument(ticker)
            bars = self._bars(instrument)
            if not bars:
                raise ToolError(f"{instrument.ticker} has no trading days in the history")
            last = bars[-1]
            before = bars[-2].close if len(bars) > 1 else Decimal(instrument.start_price)
            change = last.close - before
            with localcontext(_WIDE):
                percent = (change * 100 / before).quantize(_CENT)
            quotes.append({"ticker": instrument.ticker, "name": instrument.name,
                           "currency": instrument.currency, **last.as_dict(),
                           "previous_close": str(before), "change": str(change),
                           "change_percent": str(percent)})
        return {"quotes": quotes}

    @tool(read_only=True)
    def history(self, ticker: TickerText, start: DayText | None = None,
                end: DayText | None = None,
                limit: Annotated[int, Field(ge=1, le=MAX_BARS)] = 100,
                offset: Offset = 0) -> dict[str, Any]:
        """Daily prices of an instrument between two days (both included), oldest first.

        Returns ``{"ticker", "currency", "first_date", "last_date", "total", "offset",
        "bars": [{date, open, high, low, close, volume}]}``: first_date and last_date are
        the whole history's, total counts the trading days in the range.

        Args:
            ticker: the instrument's ticker.
            start: the first day, YYYY-MM-DD (default: the history's first).
            end: the last day, YYYY-MM-DD (default: the latest close).
            limit: most bars to return (1-400).
            offset: bars to skip, for the next page.
        """
        instrument = self._instrument(ticker)
        low, high = _day_arg(start, "start"), _day_arg(end, "end")
        if low is not None and high is not None and low > high:
            raise ToolError(f"start {start} is after end {end}; swap them")
        bars = [b for b in self._bars(instrument)
                if (low is None or b.day >= low) and (high is None or b.day <= high)]
        return {"ticker": instrument.ticker, "currency": instrument.currency,
                "first_date": self.store.start, "last_date": self.store.end,
                "total": len(bars), "offset": offset,
                "bars": [b.as_dict() for b in bars[offset:offset + limit]]}

    @tool(read_only=True)
    def fundamentals(self, ticker: TickerText) -> dict[str, Any]:
        """An instrument's fundamentals at the latest close.

        Returns ``{ticker, name, sector, currency, exchange, date, price,
        shares_outstanding, market_cap, eps, pe_ratio, dividend_per_share,
        dividend_yield_percent, high_52w, low_52w}``: market_cap = price x shares, P/E =
        price / trailing earnings per share (null when earnings are not positive), the
        yield = yearly dividend / price in percent, the 52-week range over the closes of
        the last year.

        Args:
            ticker: the instrument's ticker.
        """
        instrument = self._instrument(ticker)
        bars = self._bars(instrument)
        if not bars:
            raise ToolError(f"{instrument.ticker} has no trading days in the history")
        last = bars[-1]
        year = [b.close for b in bars if b.day > last.day - timedelta(days=365)]
        eps, dividend = Decimal(instrument.eps), Decimal(instrument.dividend)
        price = last.close
        with localcontext(_WIDE):
            cap = (price * instrument.shares_outstanding).quantize(_CENT)
            pe = (price / eps).quantize(_CENT) if eps > 0 else None
            dividend_yield = (dividend * 100 / price).quantize(_CENT)
        return {"ticker": instrument.ticker, "name": instrument.name,
                "sector": instrument.sector, "currency": instrument.currency,
                "exchange": instrument.exchange, "date": last.day.isoformat(),
                "price": str(price), "shares_outstanding": instrument.shares_outstanding,
                "market_cap": str(cap), "eps": instrument.eps,
                "pe_ratio": str(pe) if pe is not None else None,
                "dividend_per_share": instrument.dividend,
                "dividend_yield_percent": str(dividend_yield),
                "high_52w": str(max(year)), "low_52w": str(min(year))}

    @tool(read_only=True)
    def fx(self, base: CurrencyText, quote: CurrencyText, date: DayText | None = None,
           amount: Annotated[str, Field(max_length=40)] | None = None) -> dict[str, Any]:
        """The exchange rate from one currency to another at a day's close (the last
        trading day on or before it), and optionally an amount converted at it.

        Returns ``{"base", "quote", "date", "rate", "amount", "converted"}``: rate is units
        of quote per unit of base (six decimals), converted = amount x rate to the cent
        (both null without an amount).

        Args:
            base: the currency converted from, e.g. "EUR".
            quote: the currency converted to, e.g. "USD".
            date: the day, YYYY-MM-DD (default: the latest close).
            amount: an amount of base to convert, e.g. "1250.00".
        """
        a, b = self._currency(base), self._currency(quote)
        day = _day_arg(date, "date")
        found = _cross(self.store, a, b, day)
        if isinstance(found, str):
            raise ToolError(f"{found}; pick a later date")
        when, rate = found
        converted = None
        if amount is not None:
            value = _decimal(amount)
            if value is None or abs(value) > MAX_AMOUNT:
                raise ToolError(f"amount {amount!r} is not a number; give digits with an "
                                "optional decimal point, e.g. 1250.00")
            with localcontext(_WIDE):
                converted = str((value * rate).quantize(_CENT))
        return {"base": a, "quote": b, "date": when.isoformat(), "rate": str(rate),
                "amount": amount.strip() if amount is not None else None,
                "converted": converted}

    # -- helpers

    def _instrument(self, ticker: str) -> Instrument:
        found = self.store.instrument(ticker)
        if found is None:
            raise ToolError(f"no instrument has the ticker {ticker!r}; search_instruments "
                            "lists them")
        return found

    def _bars(self, instrument: Instrument) -> tuple[Bar, ...]:
        return _walk(self.store.seed, instrument, *_span(self.store))

    def _currency(self, code: str) -> str:
        wanted = code.strip().upper()
        codes = self.store.currency_codes()
        if wanted not in codes:
            raise ToolError(f"no currency {code!r}; the market has {', '.join(codes)}")
        return wanted


def _day_arg(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ToolError(f"{name} {value!r} is not a date; give it as YYYY-MM-DD, e.g. 2025-06-30")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolError(f"{name} {value!r} is not a date; give it as YYYY-MM-DD, "
                        "e.g. 2025-06-30") from None
