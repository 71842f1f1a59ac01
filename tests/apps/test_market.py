import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workgym.apps.market import (
    MarketApp,
    MarketStore,
    bars_of,
    build_market,
    close_on,
    fx_rate,
    instrument_of,
    market_value,
    trading_days,
)
from workgym.content.markets import CURRENCIES, draw_holdings, generate_market
from workgym.core import Episode, GradeError
from workgym.serve import connect_in_process

NOW = datetime(2026, 1, 12, 9, tzinfo=UTC)
START, END = date(2025, 12, 22), date(2026, 1, 9)

INSTRUMENTS = [
    {"ticker": "VLMR", "name": "Valmora Energy", "sector": "Energy", "currency": "USD",
     "exchange": "NYSE", "start_price": "50.00", "volatility_bp": 200, "drift_bp": 3,
     "volume": 1_000_000, "shares_outstanding": 400_000_000, "eps": "4.00", "dividend": "2.50"},
    {"ticker": "KSTL", "name": "Kestrel Software", "sector": "Technology", "currency": "EUR",
     "exchange": "XETRA", "start_price": "120.00", "volatility_bp": 350, "drift_bp": 0,
     "volume": 250_000, "shares_outstanding": 90_000_000, "eps": "-1.20", "dividend": "0"},
    {"ticker": "TOVK", "name": "Tovik Solar Power", "sector": "Utilities", "currency": "JPY",
     "exchange": "TSE", "start_price": "2400.00", "volatility_bp": 150, "drift_bp": -2,
     "volume": 3_000_000, "shares_outstanding": 1_500_000_000, "eps": "160.00",
     "dividend": "48.00"},
]
CURRENCY_LIST = [{"code": "JPY", "name": "Japanese yen", "per_usd": "150.00", "volatility_bp": 50},
                 {"code": "EUR", "name": "Euro", "per_usd": "0.920000", "volatility_bp": 35}]


def market(seed: str = "s1") -> MarketStore:
    return build_market(INSTRUMENTS, CURRENCY_LIST, seed=seed, start=START, end=END)


@pytest.fixture
def ep(start_episode) -> Episode:
    return start_episode(("market",), family="tests/market", now=NOW,
                         stores={"market": market()})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok and match in result.text, result.text
    assert ep.calls[-1].error in ("tool_error", "invalid_args")
    assert ep.world.digest() == before
    return result.text


def test_trading_days_skip_weekends_christmas_and_new_year():
    days = trading_days(START, END)
    assert date(2025, 12, 25) not in days and date(2026, 1, 1) not in days
    assert all(d.weekday() < 5 for d in days)
    assert days[0] == START and days[-1] == END and len(days) == 13


def test_the_walk_is_bounded_by_each_instruments_range_and_pinned():
    store = market()
    for instrument in store.instruments:
        bars = bars_of(store, instrument.ticker)
        assert [b.day for b in bars] == list(trading_days(START, END))
        previous = Decimal(instrument.start_price)
        bound = Decimal(instrument.volatility_bp + abs(instrument.drift_bp)) / 10_000
        for bar in bars:
            assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
            assert abs(bar.close / previous - 1) <= bound + Decimal("0.0001")
            assert bar.close == bar.close.quantize(Decimal("0.01"))
            previous = bar.close
    # pinned: changing the walk changes every task's prices, so families must bump
    # their versions; this catches it
    assert [str(b.close) for b in bars_of(store, "VLMR")[:4]] == ["49.64", "49.53", "50.37",
                                                                  "50.42"]


def test_the_seed_and_the_parameters_decide_the_history():
    a, b = market("s1"), market("s2")
    assert bars_of(a, "VLMR") == bars_of(market("s1"), "VLMR")
    assert bars_of(a, "VLMR") != bars_of(b, "VLMR")
    steadier = build_market([{**INSTRUMENTS[0], "volatility_bp": 20}], seed="s1", start=START,
                            end=END)
    spread = [abs(x.close - y.close) for x, y in zip(bars_of(steadier, "VLMR")[1:],
                                                      bars_of(steadier, "VLMR"), strict=False)]
    assert max(spread) < Decimal("0.25")


def test_quote_gives_the_last_close_and_its_change(ep):
    bars = bars_of(market(), "KSTL")
    quotes = ok(ep, "market.quote", tickers=["kstl", "VLMR"])["quotes"]
    assert [q["ticker"] for q in quotes] == ["KSTL", "VLMR"]
    q = quotes[0]
    assert q["date"] == "2026-01-09" and q["currency"] == "EUR"
    assert q["close"] == str(bars[-1].close) and q["previous_close"] == str(bars[-2].close)
    change = bars[-1].close - bars[-2].close
    assert q["change"] == str(change)
    assert q["change_percent"] == str((change * 100 / bars[-2].close).quantize(Decimal("0.01")))
    assert set(q) == {"ticker", "name", "currency", "date", "open", "high", "low", "close",
                      "previous_close", "change", "change_percent", "volume"}


def test_history_in_a_range_with_paging(ep):
    everything = ok(ep, "market.history", ticker="TOVK")
    assert everything["total"] == 13 and len(everything["bars"]) == 13
    assert everything["first_date"] == "2025-12-22" and everything["last_date"] == "2026-01-09"
    assert everything["bars"][0] == bars_of(market(), "TOVK")[0].as_dict()
    ranged = ok(ep, "market.history", ticker="TOVK", start="2025-12-24", end="2026-01-02")
    assert [b["date"] for b in ranged["bars"]] == ["2025-12-24", "2025-12-26", "2025-12-29",
                                                   "2025-12-30", "2025-12-31", "2026-01-02"]
    page = ok(ep, "market.history", ticker="TOVK", limit=5, offset=10)
    assert page["total"] == 13 and [b["date"] for b in page["bars"]] == [
        "2026-01-07", "2026-01-08", "2026-01-09"]
    assert ok(ep, "market.history", ticker="TOVK", start="2027-01-01")["total"] == 0


def test_fundamentals_follow_from_the_latest_close(ep):
    bars = bars_of(market(), "VLMR")
    price = bars[-1].close
    f = ok(ep, "market.fundamentals", ticker="VLMR")
    assert f["price"] == str(price) and f["date"] == "2026-01-09"
    assert Decimal(f["market_cap"]) == price * 400_000_000
    assert f["pe_ratio"] == str((price / 4).quantize(Decimal("0.01")))
    assert f["dividend_yield_percent"] == str((Decimal(250) / price).quantize(Decimal("0.01")))
    assert f["high_52w"] == str(max(b.close for b in bars))
    assert f["low_52w"] == str(min(b.close for b in bars))
    loss = ok(ep, "market.fundamentals", ticker="KSTL")
    assert loss["pe_ratio"] is None and loss["eps"] == "-1.20"
    assert loss["dividend_yield_percent"] == "0.00"


def test_fx_rates_cross_through_the_dollar(ep):
    usd = ok(ep, "market.fx", base="USD", quote="usd")
    assert usd["rate"] == "1.000000" and usd["date"] == "2026-01-09"
    eur_jpy = Decimal(ok(ep, "market.fx", base="EUR", quote="JPY")["rate"])
    usd_jpy = Decimal(ok(ep, "market.fx", base="USD", quote="JPY")["rate"])
    usd_eur = Decimal(ok(ep, "market.fx", base="USD", quote="EUR")["rate"])
    assert eur_jpy == (usd_jpy / usd_eur).quantize(Decimal("0.000001"))
    back = Decimal(ok(ep, "market.fx", base="JPY", quote="EUR")["rate"])
    assert abs(back * eur_jpy - 1) < Decimal("0.001")
    # a holiday or weekend takes the last session before it
    assert ok(ep, "market.fx", base="EUR", quote="USD", date="2026-01-01")["date"] == "2025-12-31"
    converted = ok(ep, "market.fx", base="USD", quote="JPY", amount=" 1250.5 ")
    assert converted["amount"] == "1250.5"
    assert converted["converted"] == str((Decimal("1250.5") * usd_jpy).quantize(Decimal("0.01")))
    first = ok(ep, "market.fx", base="USD", quote="EUR", date="2025-12-22")
    assert first["rate"] != "0.920000" and first["date"] == "2025-12-22"


def test_search_instruments(ep):
    assert [r["ticker"] for r in ok(ep, "market.search_instruments")["results"]] == [
        "KSTL", "TOVK", "VLMR"]
    assert [r["ticker"] for r in ok(ep, "market.search_instruments", query="solar")["results"]] \
        == ["TOVK"]
    assert [r["ticker"] for r in ok(ep, "market.search_instruments", query="vlm*")["results"]] \
        == ["VLMR"]
    energy = ok(ep, "market.search_instruments", sector="ENERGY")
    assert [r["ticker"] for r in energy["results"]] == ["VLMR"]
    assert ok(ep, "market.search_instruments", currency="eur")["results"][0] == {
        "ticker": "KSTL", "name": "Kestrel Software", "sector": "Technology", "currency": "EUR",
        "exchange": "XETRA"}
    assert ok(ep, "market.search_instruments", exchange="tse")["total"] == 1
    assert ok(ep, "market.search_instruments", query="valmora energy")["total"] == 1
    page = ok(ep, "market.search_instruments", limit=1, offset=1)
    assert page["total"] == 3 and [r["ticker"] for r in page["results"]] == ["TOVK"]


def test_bad_arguments_name_the_fix(ep):
    err(ep, "market.quote", "search_instruments lists them", tickers=["NOPE"])
    err(ep, "market.quote", "invalid arguments", tickers=[])
    err(ep, "market.quote", "invalid arguments", tickers=["VLMR"] * 21)
    err(ep, "market.history", "YYYY-MM-DD", ticker="VLMR", start="12/24/2025")
    err(ep, "market.history", "YYYY-MM-DD", ticker="VLMR", end="2026-02-30")
    err(ep, "market.history", "swap them", ticker="VLMR", start="2026-01-05", end="2026-01-02")
    err(ep, "market.history", "invalid arguments", ticker="VLMR", limit=401)
    err(ep, "market.fundamentals", "search_instruments", ticker="GONE")
    err(ep, "market.fx", "the market has EUR, JPY, USD", base="GBP", quote="USD")
    err(ep, "market.fx", "pick a later date", base="EUR", quote="USD", date="2025-12-01")
    err(ep, "market.fx", "not a number", base="EUR", quote="USD", amount="12,50")
    err(ep, "market.fx", "not a number", base="EUR", quote="USD", amount="1e13")
    err(ep, "market.fx", "not a number", base="EUR", quote="USD", amount="NaN")
    err(ep, "market.search_instruments", "sectors are Energy, Technology, Utilities",
        sector="Banks")
    err(ep, "market.search_instruments", "exchanges are NYSE, TSE, XETRA", exchange="LSE")
    err(ep, "market.search_instruments", "the market has", currency="XXX")
    err(ep, "market.search_instruments", "no words to search for", query="***")


def test_an_empty_market_answers(start_episode):
    episode = start_episode(("market",), family="tests/market", now=NOW)
    assert ok(episode, "market.search_instruments")["total"] == 0
    err(episode, "market.quote", "search_instruments", tickers=["VLMR"])
    err(episode, "market.fx", "no trading days", base="USD", quote="USD")


def test_reads_never_change_the_world_and_the_parameters_are_the_state(start_episode):
    episodes = [start_episode(("market",), family="tests/market", now=NOW,
                              stores={"market": market()}) for _ in range(2)]
    before = episodes[0].world.digest()
    assert episodes[1].world.digest() == before
    ok(episodes[0], "market.quote", tickers=["VLMR"])
    ok(episodes[0], "market.history", ticker="KSTL")
    ok(episodes[0], "market.fx", base="EUR", quote="JPY", amount="10")
    assert episodes[0].world.digest() == before
    reseeded = start_episode(("market",), family="tests/market", now=NOW,
                             stores={"market": market("s2")})
    assert reseeded.world.digest() != before
    assert len(market().model_dump_json()) < 2_000


def test_graders_read_closes_rates_and_values():
    store = market()
    bars = bars_of(store, "TOVK")
    assert close_on(store, "tovk") == bars[-1].close
    assert close_on(store, "TOVK", date(2025, 12, 25)) == bars[2].close  # the 24th's
    assert bars[2].day == date(2025, 12, 24)
    with pytest.raises(GradeError, match="no close on or before"):
        close_on(store, "TOVK", date(2025, 12, 1))
    with pytest.raises(GradeError, match="no instrument"):
        close_on(store, "NOPE")
    rate = fx_rate(store, "JPY", "USD")
    assert market_value(store, "TOVK", 100, "USD") == (bars[-1].close * 100 * rate).quantize(
        Decimal("0.01"))
    assert market_value(store, "VLMR", 3, "USD") == bars_of(store, "VLMR")[-1].close * 3
    with pytest.raises(GradeError, match="no currency"):
        fx_rate(store, "JPY", "GBP")
    assert instrument_of(store, "kstl").name == "Kestrel Software"


@pytest.mark.parametrize(("change", "match"), [
    ({"ticker": "vlmr"}, "upper-case"),
    ({"ticker": "TOOLONGTICK"}, "upper-case"),
    ({"currency": "GBP"}, "not among the currencies"),
    ({"start_price": "fifty"}, "not a decimal"),
    ({"start_price": "-1"}, "must be positive"),
    ({"eps": "1e50"}, "not a decimal"),
    ({"dividend": "-0.5"}, "not negative"),
    ({"name": "a\nb"}, "printable"),
])
def test_build_market_refuses_what_the_tools_could_not_show(change, match):
    with pytest.raises(ValueError, match=match):
        build_market([{**INSTRUMENTS[0], **change}], CURRENCY_LIST, seed="s", start=START,
                     end=END)


def test_build_market_refuses_bad_markets():
    with pytest.raises(ValueError, match="given twice"):
        build_market([INSTRUMENTS[0], INSTRUMENTS[0]], seed="s", start=START, end=END)
    with pytest.raises(ValueError, match="spell it one way"):
        build_market([INSTRUMENTS[0], {**INSTRUMENTS[1], "sector": "ENERGY"}], CURRENCY_LIST,
                     seed="s", start=START, end=END)
    with pytest.raises(ValueError, match="after end"):
        build_market([], seed="s", start=END, end=START)
    with pytest.raises(ValueError, match="at most"):
        build_market([], seed="s", start=START, end=START + timedelta(days=4000))
    with pytest.raises(ValueError, match="US dollar is implicit"):
        build_market([], [{**CURRENCY_LIST[0], "code": "USD"}], seed="s", start=START, end=END)
    with pytest.raises(ValueError, match="three upper-case"):
        build_market([], [{**CURRENCY_LIST[0], "code": "yen"}], seed="s", start=START, end=END)
    with pytest.raises(ValueError, match="volatility_bp"):
        build_market([{**INSTRUMENTS[0], "volatility_bp": 0}], seed="s", start=START, end=END)


async def test_mcp_path_gives_the_same_results(start_episode):
    calls = [("market.search_instruments", {"query": "energy"}),
             ("market.quote", {"tickers": ["VLMR", "TOVK"]}),
             ("market.history", {"ticker": "KSTL", "start": "2025-12-29", "limit": 3}),
             ("market.fundamentals", {"ticker": "KSTL"}),
             ("market.fx", {"base": "EUR", "quote": "JPY", "amount": "99.99"}),
             ("market.fx", {"base": "EUR", "quote": "GBP"})]
    served, direct = (start_episode(("market",), family="tests/market", now=NOW,
                                    stores={"market": market()}) for _ in range(2))
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (expected.ok, expected.text)
    assert served.world.digest() == direct.world.digest()


def test_every_tool_reads_only_and_runs_beside_other_calls():
    specs = MarketApp.tool_specs()
    assert sorted(specs) == ["fundamentals", "fx", "history", "quote", "search_instruments"]
    assert all(s.read_only and s.concurrent for s in specs.values())


# -- generated markets (workgym.content.markets) ---------------------------------------------


def test_a_generated_market_is_deterministic_and_ends_before_today():
    today = date(2026, 3, 2)  # a Monday: the last close is Friday's
    store = generate_market(random.Random(3), today)
    assert store == generate_market(random.Random(3), today)
    assert store != generate_market(random.Random(4), today)
    assert store.end == "2026-02-27" and len(store.instruments) == 40
    assert sorted(c.code for c in store.currencies) == sorted(CURRENCIES)
    tickers = [i.ticker for i in store.instruments]
    assert len(set(tickers)) == 40 and len({i.name for i in store.instruments}) == 40
    for i in store.instruments:
        assert Decimal(i.start_price) >= 1 and i.shares_outstanding > 0
        assert i.currency == "USD" or i.currency in CURRENCIES
    assert len(trading_days(date.fromisoformat(store.start), today)) > 250
    only = generate_market(random.Random(3), today, currencies=["EUR"])
    assert {i.currency for i in only.instruments} <= {"USD", "EUR"}


def test_extras_leave_the_core_market_as_it_is():
    today = date(2026, 3, 2)
    plain = generate_market(random.Random(3), today, instruments=20)
    rich = generate_market(random.Random(3), today, instruments=20, extra=1.0)
    assert len(rich.instruments) == 40 and set(plain.instruments) <= set(rich.instruments)
    for instrument in plain.instruments:
        assert bars_of(rich, instrument.ticker) == bars_of(plain, instrument.ticker)


def test_holdings_are_drawn_from_the_market():
    store = generate_market(random.Random(3), date(2026, 3, 2))
    held = draw_holdings(random.Random(1), store, 6, currency="USD", quantities=(5, 50))
    assert [h.ticker for h in held] == sorted({h.ticker for h in held}) and len(held) == 6
    assert all(instrument_of(store, h.ticker).currency == "USD" and 5 <= h.quantity <= 50
               for h in held)
    with pytest.raises(ValueError, match="only"):
        draw_holdings(random.Random(1), store, 99)
    with pytest.raises(ValueError, match="days must be"):
        generate_market(random.Random(1), date(2026, 3, 2), days=5)
    with pytest.raises(ValueError, match="unknown currencies"):
        generate_market(random.Random(1), date(2026, 3, 2), currencies=["XYZ"])


_TEXT = st.one_of(st.text(max_size=20), st.sampled_from(
    ["VLMR", "vlmr", "KSTL ", "2026-01-01", "2025-12-25", "0001-01-01", "9999-12-31", "EUR",
     "usd", "1e400", "-0", "0.000000001", "999999999999", "NaN", "Infinity", "\x00", "\ud800",
     "1_000", " 5 "]))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(ticker=_TEXT, start=st.one_of(st.none(), _TEXT), end=st.one_of(st.none(), _TEXT),
       base=_TEXT, quote=_TEXT, amount=st.one_of(st.none(), _TEXT),
       offset=st.integers(min_value=-1, max_value=10**12))
def test_hostile_arguments_never_break_a_populated_market(ep, ticker, start, end, base, quote,
                                                          amount, offset):
    before = ep.world.digest()
    calls = [("market.history", {"ticker": ticker, "start": start, "end": end,
                                 "offset": offset}),
             ("market.fx", {"base": base, "quote": quote, "date": start, "amount": amount}),
             ("market.quote", {"tickers": [ticker, base]}),
             ("market.fundamentals", {"ticker": ticker}),
             ("market.search_instruments", {"query": ticker, "sector": end, "offset": offset})]
    for name, args in calls:
        result = ep.call(name, {k: v for k, v in args.items() if v is not None})
        assert ep.calls[-1].error in (None, "tool_error", "invalid_args"), result.text
        assert result.ok == (ep.calls[-1].error is None)
    assert ep.world.digest() == before


def test_extreme_but_valid_markets_still_answer(start_episode):
    """The largest prices, share counts, rates and amounts the builder allows, and the
    smallest earnings, fit the arithmetic of every tool."""
    huge = build_market(
        [{**INSTRUMENTS[0], "start_price": "10000000", "volatility_bp": 1500, "drift_bp": 100,
          "shares_outstanding": 10**13, "eps": "0.0001", "dividend": "10000000"},
         {**INSTRUMENTS[1], "start_price": "0.0001", "eps": "-10000000"}],
        [{"code": "EUR", "name": "Euro", "per_usd": "0.000001", "volatility_bp": 500}],
        seed="x", start=date(2016, 1, 1), end=date(2026, 1, 1))
    episode = start_episode(("market",), family="tests/market", now=NOW,
                            stores={"market": huge})
    for name, args in (("market.quote", {"tickers": ["VLMR", "KSTL"]}),
                       ("market.fundamentals", {"ticker": "VLMR"}),
                       ("market.fundamentals", {"ticker": "KSTL"}),
                       ("market.history", {"ticker": "VLMR", "limit": 400, "offset": 2000}),
                       ("market.fx", {"base": "EUR", "quote": "USD", "amount": "999999999999"}),
                       ("market.fx", {"base": "USD", "quote": "EUR", "amount": "-999999999999"})):
        assert ok(episode, name, **args)
    assert market_value(huge, "VLMR", 10**6, "EUR") > 0
    with pytest.raises(ValueError, match="four places"):
        build_market([{**INSTRUMENTS[0], "start_price": "10000000.5"}], seed="x", start=START,
                     end=END)
    with pytest.raises(ValueError, match="six places"):
        build_market([], [{**CURRENCY_LIST[0], "per_usd": "0.0000001"}], seed="x",
                     start=START, end=END)
