"""markets/portfolio-rebalance: the contract, an independent solve from what the agent can
read, and the wrong answers the grader must refuse."""

import re
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal, localcontext

import pytest
from family_checks import (
    assert_meets_contract,
    assert_reference_solves,
    grade_plan,
    make_task,
    unmet_criteria,
)

from workgym.agent.adversarial import ADVERSARIES
from workgym.core import Task, ToolCall, run_plan
from workgym.families.markets.portfolio_rebalance import PortfolioRebalance

FAMILY = "markets/portfolio-rebalance-v1"
CENT = Decimal("0.01")


def _call(task: Task, name: str) -> ToolCall:
    return next(c for c in task.reference if c.name == name)


def _trades(task: Task) -> list[list]:
    return [list(r) for r in _call(task, "sheets.append_rows").args["rows"][1:]]


def _plan(task: Task, trades: list[list] | None = None, body: str | None = None,
          **mail: object) -> list[ToolCall]:
    plan = []
    for call in task.reference:
        if call.name == "sheets.append_rows" and trades is not None:
            call = replace(call, args={**call.args, "rows": [["Ticker", "Side", "Quantity"],
                                                             *trades]})
        elif call.name == "mail.send":
            call = replace(call, args={**call.args, **({"body": body} if body else {}), **mail})
        plan.append(call)
    return plan


def _solve(task: Task, *, latest: bool = False, buffer: bool = True) -> dict:
    """The trades worked out from what the agent can read, through the tools."""
    with task.start() as ep:
        def value(name: str, **args: object):
            result = ep.call(name, args)
            assert result.ok, result.output
            return result.value

        found = [m for m in value("mail.search", query="rebalancing")
                 if m["subject"].startswith("Rebalancing")]
        assert len(found) == 1
        body = value("mail.read", message_id=found[0]["id"])["body"]
        folder = re.search(r"clients/[a-z-]+", task.prompt).group(0)
        rules = " ".join(e["text"] for e in value(
            "docs.read", path=f"{folder}/investment-policy.docx")["entries"])
        base = re.search(r"Base currency: ([A-Z]{3})", rules).group(1)
        kept = int(re.search(r"Cash buffer: (\d+)%", rules).group(1)) if buffer else 0
        minimum = Decimal(re.search(r"worth less than [A-Z]{3} ([\d,]+)", rules).group(1)
                          .replace(",", ""))
        lots = "lots of 100" in rules
        day = re.search(r"closing prices of \w+ (\d{2} \w+ \d{4})", body).group(1)
        from datetime import datetime

        iso = datetime.strptime(day, "%d %B %Y").date().isoformat()
        book = f"{folder}/holdings.xlsx"
        held = {r["values"][0]: int(r["values"][2]) for r in value(
            "sheets.read_range", path=book, sheet="Holdings")["rows"][1:]}
        cash = Decimal(str(value("sheets.read_range", path=book, sheet="Cash")["rows"][1]
                           ["values"][1])).quantize(CENT)
        weights = {}
        for line in body.splitlines():
            match = re.fullmatch(r"- (.+?)(?: \(([A-Z.]+)\))?: (\d+)%.*", line)
            if match:
                name, ticker, weight = match.groups()
                if ticker is None:
                    hits = value("market.search_instruments", query=name)["results"]
                    ticker = next(h["ticker"] for h in hits if h["name"] == name)
                weights[ticker] = int(weight)
        keep = re.search(r"do not sell any of our .+? \(([A-Z.]+)\)", body)
        prices, lot = {}, {}
        for ticker in sorted(set(held) | set(weights)):
            if latest:
                quote = value("market.quote", tickers=[ticker])["quotes"][0]
                close, ccy, when = quote["close"], quote["currency"], None
            else:
                bars = value("market.history", ticker=ticker, start=iso, end=iso)
                close, ccy, when = bars["bars"][0]["close"], bars["currency"], iso
            rate = value("market.fx", base=ccy, quote=base,
                         **({"date": when} if when else {}))["rate"]
            prices[ticker] = Decimal(close) * Decimal(rate)
            lot[ticker] = 100 if lots and ccy == "JPY" else 1
    with localcontext() as ctx:
        ctx.prec = 60
        total = cash + sum((prices[t] * q).quantize(CENT) for t, q in held.items())
        invested = total * (100 - kept) / 100
        trades, skipped, after = [], [], cash
        for ticker in sorted(prices):
            count = invested * weights.get(ticker, 0) / 100 / prices[ticker] / lot[ticker]
            delta = int(count.to_integral_value(rounding=ROUND_FLOOR)) * lot[ticker] - held.get(
                ticker, 0)
            amount = (prices[ticker] * abs(delta)).quantize(CENT)
            if delta == 0 or amount < minimum:
                skipped += [ticker] if delta else []
            elif delta < 0 and keep and ticker == keep.group(1):
                skipped.append(ticker)
            else:
                trades.append([ticker, "BUY" if delta > 0 else "SELL", abs(delta)])
                after += -amount if delta > 0 else amount
    return {"trades": trades, "total": total, "after": after, "skipped": skipped}


@pytest.mark.slow
def test_markets_portfolio_rebalance_meets_the_contract() -> None:
    report = assert_meets_contract(PortfolioRebalance())
    assert min(report.reference_calls["hard"]) >= 25


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_what_the_agent_reads_gives_the_reference(difficulty: str) -> None:
    for seed in range(4):
        task = make_task(FAMILY, seed, difficulty, 1.0)
        solved = _solve(task)
        assert solved["trades"] == _trades(task)
        body = _call(task, "mail.send").args["body"]
        assert f"{solved['total']:.2f}" in body and f"{solved['after']:.2f}" in body
        assert solved["skipped"], "a rule keeps some trade from being placed"
        assert_reference_solves(task)


def test_the_latest_quotes_or_no_buffer_give_other_trades() -> None:
    for seed in range(3):
        task = make_task(FAMILY, seed, "hard")
        for wrong in (_solve(task, latest=True), _solve(task, buffer=False)):
            assert wrong["trades"] != _trades(task)
            grade = grade_plan(task, _plan(task, wrong["trades"]))
            assert not grade.passed and grade.score < 0.9


def test_richness_adds_distractors_but_keeps_the_trades() -> None:
    plain, rich = make_task(FAMILY, 5, "hard", 0.0), make_task(FAMILY, 5, "hard", 1.0)
    assert plain.prompt == rich.prompt and _trades(plain) == _trades(rich)
    assert len(rich.template.stores["market"].instruments) > len(
        plain.template.stores["market"].instruments)
    assert len(rich.template.stores["mail"].messages) > len(plain.template.stores["mail"].messages)


def test_placing_a_skipped_or_forbidden_trade_costs_credit() -> None:
    task = make_task(FAMILY, 6, "medium")
    solved = _solve(task)
    for ticker in solved["skipped"]:
        extra = [ticker, "SELL", 1]
        grade = grade_plan(task, _plan(task, [*_trades(task), extra]))
        assert not grade.passed and {"trade list exactly right"} <= unmet_criteria(grade)
    partial = grade_plan(task, _plan(task, _trades(task)[1:]))
    assert 0 < partial.score < 1 and f"trade {_trades(task)[0][0]}" in unmet_criteria(partial)


def test_each_trade_field_is_checked_and_text_cells_are_read() -> None:
    task = make_task(FAMILY, 7, "hard")
    trades = _trades(task)
    for field, change in ((1, lambda s: "BUY" if s == "SELL" else "SELL"), (2, lambda q: q + 1),
                          (0, lambda t: t + "X")):
        bad = [list(t) for t in trades]
        bad[0][field] = change(bad[0][field])
        assert not grade_plan(task, _plan(task, bad)).passed, field
    loose = [[t.lower(), s.title(), str(q)] for t, s, q in trades]
    assert grade_plan(task, _plan(task, loose)).passed
    for junk in (1e308, "9" * 5000, "NaN", "12 shares"):
        bad = [list(t) for t in trades]
        bad[0][2] = junk
        grade = grade_plan(task, _plan(task, bad))
        assert grade.valid and not grade.passed, junk


def test_the_note_is_checked_line_by_line() -> None:
    task = make_task(FAMILY, 8)
    body = _call(task, "mail.send").args["body"]
    total = re.search(r"Portfolio value: [A-Z]{3} ([\d.]+)", body).group(1)
    cents = f"{Decimal(total) + CENT:.2f}"
    assert unmet_criteria(grade_plan(task, _plan(task, body=body.replace(total, cents)))) == {
        "portfolio value"}
    grouped = body.replace(total, f"{Decimal(total):,.2f}")
    assert grade_plan(task, _plan(task, body=grouped)).passed
    twice = body.replace("Trades: ", "Trades: 1\nTrades: ", 1)
    assert "trade count" in unmet_criteria(grade_plan(task, _plan(task, body=twice)))
    stray = grade_plan(task, _plan(task, cc=["someone@example.net"]))
    assert stray.gated and stray.score == 0


def test_inputs_are_guarded() -> None:
    task = make_task(FAMILY, 9, "easy", 1.0)
    book = next(p for p in task.template.files if p.endswith("holdings.xlsx"))
    with run_plan(task) as episode:
        assert episode.grade().passed
        episode.call("sheets.write_cells", {"path": book, "sheet": "Cash", "cells": {"B2": 1}})
        assert episode.grade().gated


def test_the_shipped_attacks_earn_nothing() -> None:
    for level in ("easy", "hard"):
        task = make_task(FAMILY, 11, level)
        for name, attack in ADVERSARIES.items():
            grade = attack(task, 0)
            assert grade.valid and grade.score == 0, (name, level, unmet_criteria(grade))
