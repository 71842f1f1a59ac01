"""markets/portfolio-rebalance: rebalance a client's portfolio to mailed target weights.

Description:
    A wealth manager looks after a client's portfolio: positions in
    ``clients/<client>/holdings.xlsx`` (sheet ``Holdings``, and the cash balance in sheet
    ``Cash``), the rules of the client's investment policy in
    ``clients/<client>/investment-policy.docx`` (a cash buffer, whole shares rounded down,
    lots of 100 for Tokyo-listed shares at hard, a minimum trade size) and this quarter's
    target weights mailed by the client, who names new positions by company only and may
    forbid selling one holding. Prices are the closes of a stated review day (not the
    latest close) and rates that day's, from the market app. The agent writes the trade
    list to ``clients/<client>/trades-<day>.xlsx`` (sheet ``Trades``: Ticker, Side,
    Quantity) and mails the client the portfolio value, the number of trades and the cash
    after them. The generator keeps every rounding and threshold decision clear of ties.

Apps:
    market, sheets, docs, mail.

Criteria:
    - ``trade <ticker>``: a row with the right side and quantity; precision-aware (a row
      for a skipped or forbidden trade, a wrong quantity, or a repeat cancels one).
    - ``trade list exactly right`` (weight 2).
    - ``portfolio value``, ``cash after trades`` (to the cent, each position and trade
      valued as the policy says), ``trade count``: the note's lines, each once in every
      mail to the client; ``note sent after the trade list``.
    - guards: the holdings, the policy and the mails unchanged; mail only to the client.

Difficulty:
    Knobs set the positions held, those to sell out of, the new positions, the currencies,
    the holding the client will not sell and Tokyo lots. Reference calls: easy 15, medium
    18, hard 26. ``richness`` adds the market's extra instruments, everyday mails, last
    quarter's superseded targets, an archived older policy, and columns and a
    transactions sheet in the holdings workbook.

Version history:
    v1: first version.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, localcontext

import openpyxl
from pydantic import BaseModel

from workgym import criteria as wc
from workgym.apps.docs import DocxBlock, build_docx
from workgym.apps.market import MarketStore, close_on, fx_rate, instrument_of, trading_days
from workgym.apps.sheets import workbook_bytes
from workgym.content.distractors import everyday_mails, scaled
from workgym.content.mailbox import Mailbox
from workgym.content.markets import generate_market
from workgym.content.people import Person, people
from workgym.content.prose import bullets, letter
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

TRADE_COLUMNS = ("Ticker", "Side", "Quantity")
_WIDE = Context(prec=60)
_CENT = Decimal("0.01")
_BASES = ("EUR", "GBP", "USD", "CHF")


class Knobs(BaseModel, frozen=True):
    holdings: int
    """Positions held."""
    exits: int
    """Held positions the targets leave out (sold in full)."""
    new: int
    """Positions to open, named by company only."""
    currencies: int
    """Currencies the positions trade in (the client's own among them)."""
    restricted: bool
    """The client forbids selling one holding that the targets would trim."""
    lots: bool
    """Tokyo-listed shares are held and traded in lots of 100 (a yen position is held)."""


@dataclass(frozen=True)
class _Line:
    ticker: str
    name: str
    price: Decimal
    """In the client's currency at the review day's close (price x rate, unrounded)."""
    lot: int
    held: int
    weight: int
    """Target weight of the invested part, percent (0: sell out)."""


@dataclass(frozen=True)
class _Plan:
    total: Decimal
    trades: list[tuple[str, str, int]]
    cash_after: Decimal
    skipped: list[str]
    """Trades under the minimum size."""
    forbidden: str | None
    """The holding the rule keeps from being sold."""


def _value(store: MarketStore, ticker: str, quantity: int, base: str, day: date) -> Decimal:
    with localcontext(_WIDE):
        price = close_on(store, ticker, day) * fx_rate(store, instrument_of(store, ticker)
                                                       .currency, base, day)
        return (price * quantity).quantize(_CENT)


def _solve(lines: list[_Line], store: MarketStore, base: str, day: date, cash: Decimal,
           buffer: int, minimum: int, keep: str | None) -> _Plan | None:
    """The policy's trades, or None when a rounding or threshold decision is too close to
    call (an agent's rounding of intermediate figures could flip it)."""
    with localcontext(_WIDE):
        total = cash + sum(_value(store, x.ticker, x.held, base, day) for x in lines)
        invested = total * (100 - buffer) / 100
        trades, skipped, forbidden = [], [], None
        cash_after = cash
        for x in sorted(lines, key=lambda x: x.ticker):
            lots = invested * x.weight / 100 / x.price / x.lot
            if x.weight and not Decimal("0.02") < lots % 1 < Decimal("0.98"):
                return None
            target = int(lots.to_integral_value(rounding=ROUND_FLOOR)) * x.lot
            delta = target - x.held
            if delta == 0:
                continue
            amount = _value(store, x.ticker, abs(delta), base, day)
            if abs(amount - minimum) < Decimal("0.03") * minimum:
                return None
            if amount < minimum:
                skipped.append(x.ticker)
            elif delta < 0 and x.ticker == keep:
                forbidden = x.ticker
            else:
                trades.append((x.ticker, "BUY" if delta > 0 else "SELL", abs(delta)))
                cash_after += -amount if delta > 0 else amount
    return _Plan(total, trades, cash_after, skipped, forbidden)


def _money(text: str, base: str) -> Decimal:
    """An amount as the note states it: ``EUR 1,234.56``, ``1234.56 EUR`` or ``1234.56``."""
    words = [w for w in text.replace(",", "").split() if w.upper() != base]
    if len(words) != 1:
        raise ValueError(f"{text[:60]!r} is not one amount")
    return GradeContext.number(words[0], "amount")


@register_family
class PortfolioRebalance(TaskFamily[Knobs]):
    """Rebalance a client portfolio to mailed targets under its policy; trades and a note."""

    name = "markets/portfolio-rebalance"
    version = 1
    apps = ("market", "sheets", "docs", "mail")
    levels = Levels(
        easy=Level(Knobs(holdings=4, exits=0, new=1, currencies=1, restricted=False,
                         lots=False), calls=15),
        medium=Level(Knobs(holdings=6, exits=1, new=1, currencies=2, restricted=True,
                           lots=False), calls=18),
        hard=Level(Knobs(holdings=11, exits=2, new=2, currencies=3, restricted=True,
                         lots=True), calls=26),
    )

    def generate(self, spec: TaskSpec) -> Task:
        k = self.knobs(spec)
        rng = rng_for(spec, "core")  # ignores richness: the trades stay the same
        now = datetime(2025, 2, 3, 8, tzinfo=UTC) + timedelta(days=rng.randrange(500))
        me, client, colleague = people(rng, 3, domain="example.org")
        client = Person(client.first, client.last, f"{client.first.lower()}."
                        f"{client.last.lower()}@mailbox.example")
        base = rng.choice(_BASES)
        money = [base, *(["JPY"] if k.lots else [])]
        money += rng.sample(sorted({*_BASES, "JPY"} - {*money, "JPY"}), k.currencies - len(money))
        listed = [c for c in money if c != "USD"]  # the market always has the dollar
        core = generate_market(rng_for(spec, "market"), now.date(), currencies=listed)
        store = generate_market(rng_for(spec, "market"), now.date(), currencies=listed,
                                extra=round(spec.richness, 3))
        days = trading_days(date.fromisoformat(core.start), date.fromisoformat(core.end))
        day = days[-rng.randint(3, 7)]
        buffer = rng.choice((2, 3, 4, 5))
        for _ in range(400):
            drawn = self._draw(rng, k, core, base, day, money, buffer)
            if drawn is None:
                continue
            lines, cash, keep, small, minimum = drawn
            plan = _solve(lines, store, base, day, cash, buffer, minimum, keep)
            if (plan is not None and plan.skipped == [small] and plan.cash_after > 0
                    and plan.forbidden == keep):
                break
        else:
            raise ValueError(f"{spec.family_id} seed {spec.seed}: no portfolio clear of ties")

        slug = f"{client.last.lower()}-{client.first.lower()}"
        folder = f"clients/{slug}"
        holdings, policy = f"{folder}/holdings.xlsx", f"{folder}/investment-policy.docx"
        trades = f"{folder}/trades-{day.isoformat()}.xlsx"
        rich = rng_for(spec, "distractors")
        files = {holdings: self._holdings(lines, cash, base, store, rich, spec.richness),
                 policy: self._policy(buffer, minimum, base, k.lots)}
        box = Mailbox(me)
        box.receive(client, f"Rebalancing after our review on {day:%d %B}",
                    self._targets_mail(lines, client, me, day, keep),
                    now - timedelta(hours=rng.randint(3, 40)), key="targets")
        self._distractors(rich, spec.richness, box, files, lines, client, me, colleague,
                          folder, base, now)
        mail, ids = box.build()

        rows = [list(t) for t in plan.trades]
        note = [f"Portfolio value: {base} {plan.total:.2f}", f"Trades: {len(rows)}",
                f"Cash after trades: {base} {plan.cash_after:.2f}"]
        plan_calls = [
            ToolCall("mail.search", {"query": "rebalancing"}),
            ToolCall("mail.read", {"message_id": ids["targets"]}),
            ToolCall("docs.read", {"path": policy}),
            ToolCall("sheets.list_sheets", {"path": holdings}),
            ToolCall("sheets.read_range", {"path": holdings, "sheet": "Holdings"}),
            ToolCall("sheets.read_range", {"path": holdings, "sheet": "Cash"}),
            *(ToolCall("market.search_instruments", {"query": x.name}) for x in lines
              if not x.held),
            *(ToolCall("market.history", {"ticker": x.ticker, "start": day.isoformat(),
                                          "end": day.isoformat()}) for x in lines),
            *(ToolCall("market.fx", {"base": c, "quote": base, "date": day.isoformat()})
              for c in sorted({instrument_of(core, x.ticker).currency for x in lines} - {base})),
            ToolCall("sheets.create_workbook", {"path": trades, "sheet": "Trades"}),
            ToolCall("sheets.append_rows", {"path": trades, "sheet": "Trades",
                                            "rows": [list(TRADE_COLUMNS), *rows]},
                     items={"rows": tuple(rows)}),
            ToolCall("mail.send", {"to": [client.email], "subject": f"Rebalancing of "
                                   f"{day:%d %B %Y}: trades",
                                   "body": letter(client.first, "the trades are placed.\n\n"
                                                  + "\n".join(note), me.first, "Best,")},
                     items={"body": tuple(note)}),
        ]
        return Task(spec=spec, prompt=self._prompt(me, client, folder, trades, base, day),
                    apps=self.apps, template=WorldTemplate(now=now, files=files, stores={
                        "mail": mail, "market": store}),
                    criteria=self._criteria(plan, client, me, base, trades, files),
                    reference=tuple(plan_calls), artifacts=(trades,))

    # -- world pieces ---------------------------------------------------------------------

    def _draw(self, rng: random.Random, k: Knobs, store: MarketStore, base: str, day: date,
              money: list[str], buffer: int,
              ) -> tuple[list[_Line], Decimal, str | None, str, int] | None:
        """Positions and targets, the cash, the holding not to sell, the holding whose trade
        falls under the minimum size, and that minimum."""
        pool = [i for i in store.instruments if i.currency in money]
        count, kept = k.holdings + k.new, k.holdings - k.exits
        if len(pool) < count:
            return None
        chosen = rng.sample(pool, count)  # targeted holdings, then exits, then new ones
        if {i.currency for i in chosen} != set(money):
            return None
        guess = Decimal(rng.randrange(150, 1_500)) * 1_000
        minimum = int(guess * Decimal(rng.choice((6, 8, 10, 12))) / 100_000) * 100
        weights = [4] * (count - k.exits)
        for _ in range(100 - 4 * len(weights)):
            weights[rng.randrange(len(weights))] += 1
        small = rng.randrange(kept)
        keep = chosen[(small + 1) % kept].ticker if k.restricted else None
        share = Decimal(100 - buffer) / 100
        prices, held, lots = [], [], []
        for n, inst in enumerate(chosen):
            with localcontext(_WIDE):
                price = close_on(store, inst.ticker, day) * fx_rate(store, inst.currency,
                                                                     base, day)
            lot = 100 if k.lots and inst.currency == "JPY" else 1
            if price < 3:
                return None
            if n < kept:
                drift = (rng.uniform(0.15, 0.4) if inst.ticker == keep
                         else rng.choice((-1, 1)) * rng.uniform(0.1, 0.35))
                goal = guess * share * Decimal(weights[n]) / 100 * Decimal(1 + drift)
            elif n < k.holdings:
                goal = guess * Decimal(rng.uniform(0.02, 0.06))
            else:
                goal = Decimal(0)
            prices.append(price)
            lots.append(lot)
            held.append(int(goal / price / lot) * lot)
        cash = (guess * Decimal(rng.uniform(0.005, 0.05))).quantize(_CENT)
        # the small trade: hold just over the target that the rest of the portfolio implies
        with localcontext(_WIDE):
            rest = cash + sum(prices[n] * held[n] for n in range(count) if n != small)
            part = share * weights[small] / 100 * Decimal(1 + rng.uniform(0.001, 0.004))
            held[small] = int(rest * part / (1 - part) / prices[small] / lots[small]) * lots[small]
        if any(q <= 0 for q in held[:k.holdings]):
            return None
        lines = [_Line(i.ticker, i.name, prices[n], lots[n], held[n],
                       weights[n] if n < kept else 0 if n < k.holdings else weights[n - k.exits])
                 for n, i in enumerate(chosen)]
        return lines, cash, keep, chosen[small].ticker, minimum

    @staticmethod
    def _holdings(lines: list[_Line], cash: Decimal, base: str, store: MarketStore,
                  rich: random.Random, richness: float) -> bytes:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Holdings"
        extra = richness >= 0.5
        ws.append(["Ticker", "Name", "Quantity", *(["Cost basis", "Bought"] if extra else [])])
        for x in sorted((x for x in lines if x.held), key=lambda x: x.ticker):
            ws.append([x.ticker, x.name, x.held, *([round(float(x.price) * rich.uniform(
                0.6, 1.2) * x.held, 2), (f"20{rich.randint(15, 24)}-{rich.randint(1, 12):02d}"
                f"-{rich.randint(1, 28):02d}")] if extra else [])])
        money = wb.create_sheet("Cash")
        money.append(["Currency", "Balance"])
        money.append([base, float(cash)])
        if richness > 0:
            log = wb.create_sheet("Transactions")
            log.append(["Date", "Ticker", "Side", "Quantity"])
            # past trades in any instrument of the market, not only those of the answer
            for i in rich.sample(store.instruments, scaled(richness, 12)):
                log.append([(f"20{rich.randint(18, 24)}-{rich.randint(1, 12):02d}-"
                            f"{rich.randint(1, 28):02d}"), i.ticker, rich.choice(("BUY", "SELL")),
                            rich.randint(1, 50) * 10])
        return workbook_bytes(wb)

    @staticmethod
    def _policy(buffer: int, minimum: int, base: str, lots: bool, title: str = "") -> bytes:
        rules = [
            (f"Base currency: {base}. Value each position at the close of the review day "
            f"times its quantity, converted to {base} at the market's rate for that day "
            f"(the rate from the position's currency to {base}), rounded to the cent; the "
            f"portfolio's value is the sum of the positions plus the cash balance."),
            (f"Cash buffer: {buffer}% of the portfolio's value stays in cash. Target weights "
            f"apply to the remaining {100 - buffer}% (the invested part)."),
            (f"Target quantity: the target value divided by the share's price in {base} "
            f"(close times rate, not rounded), rounded down to whole shares. A position "
            f"without a target weight is sold in full."),
            (f"Minimum trade size: a trade worth less than {base} {minimum:,} is not placed; "
             f"the position stays as it is. A trade's worth is its quantity valued as in rule "
             f"1 (rounded to the cent), and it settles at that amount."),
        ]
        if lots:
            rules.insert(3, "Shares listed in Tokyo (TSE) trade in lots of 100: round their "
                            "target down to a multiple of 100.")
        return build_docx([DocxBlock.heading(title or "Investment policy", 0),
                           *(DocxBlock.paragraph(f"{n}. {r}") for n, r in enumerate(rules, 1))])

    @staticmethod
    def _targets_mail(lines: list[_Line], client: Person, me: Person, day: date,
                      keep: str | None) -> str:
        listed = [f"{x.name} ({x.ticker}): {x.weight}%" if x.held else
                  f"{x.name}: {x.weight}% (new, please find it)" for x in lines if x.weight]
        held = next((x for x in lines if x.ticker == keep), None)
        rule = (f"\n\nPlease do not sell any of our {held.name} ({held.ticker}) shares this "
                f"year, whatever the weights say; buying more is fine." if held else "")
        return letter(me.first, f"as agreed at our review, please rebalance to these weights "
                      f"of the invested part, at the closing prices of {day:%A %d %B %Y}:\n"
                      f"{bullets(listed)}\nAnything else we hold can go.{rule}",
                      client.first, "Best wishes,")

    def _distractors(self, rich: random.Random, richness: float, box: Mailbox,
                     files: dict[str, bytes], lines: list[_Line], client: Person, me: Person,
                     colleague: Person, folder: str, base: str, now: datetime) -> None:
        count = scaled(richness, 4)
        everyday_mails(box, rich, count, me, [colleague], now - timedelta(days=20),
                       now - timedelta(days=1))
        if richness >= 0.5:
            old = [f"{x.name} ({x.ticker}): {w}%" for x, w in zip(
                lines, rich.sample(range(5, 30), len(lines)), strict=False) if x.held]
            box.receive(client, "Targets for last quarter", letter(
                me.first, f"for the record, last quarter's weights:\n{bullets(old)}",
                client.first), now - timedelta(days=rich.randint(80, 100)), key="old")
            files[f"{folder}/archive/investment-policy-{now.year - 2}.docx"] = self._policy(
                rich.choice((5, 8, 10)), rich.choice((500, 2_000, 5_000)), base, False,
                f"Investment policy ({now.year - 2}, superseded)")

    def _prompt(self, me: Person, client: Person, folder: str, trades: str, base: str,
                day: date) -> str:
        return (
            f"You are {me.name} ({me.email}), portfolio manager for {client.name}. "
            f"{client.first} mailed this quarter's target weights. Rebalance the portfolio "
            f"in {folder}/holdings.xlsx (positions in sheet \"Holdings\", cash in sheet "
            f"\"Cash\") under the rules of {folder}/investment-policy.docx, with the closing "
            f"prices and exchange rates of the review day {client.first} names (the market "
            f"app has them; its latest quote is a later day).\n\n"
            f"Write the trades to {trades}, sheet \"Trades\": a header row "
            f"{', '.join(TRADE_COLUMNS)}, then one row per trade to place: the ticker, BUY or "
            f"SELL, and the number of shares (positive). Then mail {client.first} "
            f"({client.email}, nobody else) a note with these lines:\n"
            f"Portfolio value: <the value before trading, {base}, 2 decimals>\n"
            f"Trades: <number of trades>\n"
            f"Cash after trades: <the cash balance once every trade is settled at those "
            f"closes, {base}, 2 decimals>\n"
            f"Do not change the holdings workbook or the policy.")

    # -- grading --------------------------------------------------------------------------

    def _criteria(self, plan: _Plan, client: Person, me: Person, base: str, trades: str,
                  files: dict[str, bytes]) -> tuple[Criterion, ...]:
        def row(ticker: object, side: object, quantity: object) -> tuple[str, str, object]:
            amount = GradeContext.number(quantity, "Quantity", max_digits=12) \
                if quantity not in (None, "") else None
            shares = int(amount) if amount is not None and amount == int(amount) else amount
            return (str(ticker or "").strip().upper()[:20], str(side or "").strip().upper()[:10],
                    shares)

        found = wc.xlsx_rows(trades, "Trades", TRADE_COLUMNS, row=row)
        expected = [(t, s, q) for t, s, q in plan.trades]

        def exactly(value: Decimal) -> Callable[[str], bool]:
            return lambda text: _money(text, base) == value

        inputs = sorted(files)
        return (
            *wc.item_credit([(f"trade {t}", (t, s, q)) for t, s, q in expected], found,
                            group="trade"),
            wc.exact_items("trade list exactly right", expected, found, weight=2.0),
            wc.mail_values("portfolio value", client.email, "Portfolio value",
                           exactly(plan.total), expected=f"{base} {plan.total:.2f}"),
            wc.mail_values("cash after trades", client.email, "Cash after trades",
                           exactly(plan.cash_after),
                           expected=f"{base} {plan.cash_after:.2f}"),
            wc.mail_fields("trade count", client.email, {"Trades": str(len(expected))}),
            wc.sent_after("note sent after the trade list", client.email,
                          wc.calls_to(("sheets.append_rows", "sheets.write_cells"), path=trades),
                          what="writes of the trade list"),
            wc.unchanged("holdings, policy and mails untouched", paths=inputs,
                         records=[("mail", "messages")], stores=["market"]),
            wc.only_recipients("mail only to the client", [client.email, me.email]),
        )
