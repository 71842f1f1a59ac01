"""p50 latency of every search and market tool, and what a reset and a digest cost.

Worlds of a realistic size: the research corpus ``content.corpus`` generates by default
(about 500 documents) and a market of 40 instruments with a year of daily history. Each
tool is called through ``Episode.call`` (validation, logging: the path a model takes),
repeated on one world after a first call has built what is cached (the corpus's FTS5
index, the instruments' walks); the cold costs are measured apart.

The reset figures compare the search store as it is (the immutable corpus digested by its
content hash) with the same documents held as pydantic models that a reset deep-copies and
a digest dumps in full: the reason the corpus is kept out of the dumped state.

    python benchmarks/search_market_latency.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.market import _walk, bars_of
from workgym.apps.search import Corpus
from workgym.content.corpus import generate_corpus, pick_question
from workgym.content.markets import generate_market
from workgym.core import Episode, Store, Task, TaskSpec, WorldTemplate

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
TODAY = NOW.date()


class _Section(BaseModel):
    heading: str
    text: str


class _Doc(BaseModel):
    id: str
    kind: str
    title: str
    source: str
    date: str
    authors: list[str]
    sections: list[_Section]


class DumpedCorpusStore(Store):
    """The corpus as ordinary store state, for comparison only."""

    documents: list[_Doc] = Field(default_factory=list)


def p50(run: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``run`` in microseconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def task(stores: dict[str, Store], apps: tuple[str, ...]) -> Task:
    return Task(spec=TaskSpec(family="bench/search-market", version=1, seed=0), prompt="",
                apps=apps, criteria=(), reference=(),
                template=WorldTemplate(now=NOW, stores=stores))


def reset_and_digest(stores: dict[str, Store], apps: tuple[str, ...],
                     repeats: int) -> tuple[float, float]:
    """(p50 of Task.start(): materialize and the first snapshot, p50 of World.digest())."""
    t = task(stores, apps)
    started: list[Episode] = []

    def start() -> None:
        started.append(t.start())

    reset = p50(start, repeats)
    world = started[-1].world
    digest = p50(world.digest, repeats)
    for ep in started:
        ep.close()
    return reset, digest


def calls(corpus_rows: dict[str, Any], tickers: list[str]
          ) -> list[tuple[str, str, Callable[[int], dict[str, Any]]]]:
    """(label, tool, arguments of call i)."""
    anchors, doc_ids = corpus_rows["anchors"], corpus_rows["doc_ids"]
    return [
        ("search (a name)", "search.search", lambda i: {"query": anchors[i % len(anchors)]}),
        ("search (two words)", "search.search", lambda i: {"query": "chief executive"}),
        ("search (filtered, newest)", "search.search",
         lambda i: {"query": "headquarters", "kind": "news", "date_from": "2024-01-01",
                    "sort": "newest"}),
        ("search (no query, page 3)", "search.search", lambda i: {"limit": 20, "offset": 40}),
        ("open", "search.open", lambda i: {"document": doc_ids[i % len(doc_ids)]}),
        ("list_sources", "search.list_sources", lambda i: {}),
        ("search_instruments", "market.search_instruments", lambda i: {"sector": "Energy"}),
        ("search_instruments (words)", "market.search_instruments",
         lambda i: {"query": tickers[i % len(tickers)][:2] + "*"}),
        ("quote (1)", "market.quote", lambda i: {"tickers": [tickers[i % len(tickers)]]}),
        ("quote (10)", "market.quote", lambda i: {"tickers": tickers[:10]}),
        ("history (a year)", "market.history",
         lambda i: {"ticker": tickers[i % len(tickers)], "limit": 400}),
        ("history (a month)", "market.history",
         lambda i: {"ticker": tickers[i % len(tickers)], "start": "2026-01-01",
                    "end": "2026-01-31"}),
        ("fundamentals", "market.fundamentals", lambda i: {"ticker": tickers[i % len(tickers)]}),
        ("fx", "market.fx", lambda i: {"base": "EUR", "quote": "JPY", "amount": "1000"}),
        ("fx (a past day)", "market.fx", lambda i: {"base": "GBP", "quote": "CHF",
                                                     "date": "2025-07-04"}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    repeats = parser.parse_args().repeats

    generated = generate_corpus(random.Random(1), TODAY)
    search_store = generated.store()
    market_store = generate_market(random.Random(1), TODAY)
    print(f"corpus: {len(generated.documents)} documents, "
          f"{sum(len(d.text) for d in generated.documents):,} characters; "
          f"market: {len(market_store.instruments)} instruments, "
          f"{len(bars_of(market_store, market_store.instruments[0].ticker))} days\n")

    print(f"{'generation':44} {'p50 ms':>9}")
    rows = [("generate_corpus (~500 documents)",
             lambda: generate_corpus(random.Random(2), TODAY)),
            ("generate_corpus (extra=1.0, ~1000)",
             lambda: generate_corpus(random.Random(2), TODAY, extra=1.0)),
            ("pick_question (3 hops)",
             lambda: pick_question(generated, random.Random(3), 3)),
            ("generate_market (40 instruments)",
             lambda: generate_market(random.Random(2), TODAY))]
    for label, run in rows:
        print(f"{label:44} {p50(run, max(5, repeats // 20)) / 1000:9.2f}")

    dumped = DumpedCorpusStore(documents=[_Doc.model_validate(d.as_dict())
                                          for d in generated.documents])
    print(f"\n{'reset + digest':44} {'reset us':>9} {'digest us':>9}")
    for label, stores, apps in (
            ("search (corpus by content hash)", {"search": search_store}, ("search",)),
            ("search, same corpus dumped in full", {"search": dumped}, ("search",)),
            ("market (40 instruments)", {"market": market_store}, ("market",)),
            ("search + market", {"search": search_store, "market": market_store},
             ("search", "market"))):
        reset, digest = reset_and_digest(stores, apps, max(20, repeats // 4))
        print(f"{label:44} {reset:9.0f} {digest:9.0f}")

    print(f"\n{'cold costs (once per corpus or instrument)':44} {'p50 us':>9}")
    documents = generated.documents

    def first_search() -> None:
        Corpus(documents).search("chief executive")

    def build_only() -> None:
        Corpus(documents)

    build = p50(build_only, max(5, repeats // 20))
    print(f"{'Corpus(...) of the documents (hash, checks)':44} {build:9.0f}")
    index = p50(first_search, max(5, repeats // 20)) - build
    print(f"{'first search (FTS5 index built)':44} {index:9.0f}")
    start, end = date.fromisoformat(market_store.start), date.fromisoformat(market_store.end)

    def cold_walk() -> None:
        _walk.cache_clear()
        _walk(market_store.seed, market_store.instruments[0], start, end)

    walk = p50(cold_walk, max(5, repeats // 10))
    print(f"{'a year of one instrument (walk uncached)':44} {walk:9.0f}")

    ep = task({"search": search_store, "market": market_store}, ("search", "market")).start()
    anchors = [q.hops[0].subject for q in (pick_question(generated, random.Random(s), 2)
                                           for s in range(20))]
    corpus_rows = {"anchors": anchors, "doc_ids": [d.id for d in documents[::7]]}
    tickers = [i.ticker for i in market_store.instruments]
    print(f"\n{'tool (Episode.call, warm)':44} {'p50 us':>9}")
    for label, tool, make in calls(corpus_rows, tickers):
        counter = iter(range(10**9))

        def call(tool: str = tool, make: Callable[[int], dict[str, Any]] = make,
                 counter: Any = counter) -> None:
            args = make(next(counter))
            result = ep.call(tool, args)
            if not result.ok:
                raise SystemExit(f"{tool} {args} failed: {result.text}")

        call()  # the first call builds what is cached
        print(f"{label:44} {p50(call, repeats):9.0f}")
    ep.close()


if __name__ == "__main__":
    main()
