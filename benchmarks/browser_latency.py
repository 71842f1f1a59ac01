"""p50 latency of every browser and shop tool, and of a page served over loopback HTTP.

Each tool is called through ``Episode.call`` (validation, lock, logging: the path a model
takes) on a shop of a realistic size: 60 articles, 40 customers, 400 orders (80 of them
the signed-in customer's) and their past returns. Every browser action renders the page
it lands on (the shop's handlers over the store, the accessibility snapshot) and answers
it, as the Playwright MCP server does. Writes repeat on one world: a return is requested
and cancelled in turn, a restock form is sent again and again.

The last rows time the same pages as real HTML: ``serve_sites`` on 127.0.0.1, one
keep-alive HTTP connection, a GET of a page, and a POST of a form with its redirect.

    python benchmarks/browser_latency.py [--repeats 41]
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import time
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import workgym  # noqa: F401  (registers the apps)
from workgym.apps._web import serve_sites
from workgym.apps.shop import ShopStore
from workgym.content.shop import shop_store
from workgym.core import Episode, Task, TaskSpec, WorldTemplate

NOW = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1)))


def shop(account: str | None) -> ShopStore:
    return shop_store(random.Random(2026), now=NOW, products=60, customers=40, orders=400,
                      own_orders=80, past_returns=30, account=account)


def episode(account: str | None) -> Episode:
    task = Task(spec=TaskSpec(family="bench/browser", version=1, seed=0), prompt="",
                apps=("browser", "shop"), criteria=(), reference=(),
                template=WorldTemplate(now=NOW, stores={"shop": shop(account)}))
    return task.start()


def timed(ep: Episode, name: str, args: dict[str, Any]) -> tuple[float, str]:
    started = time.perf_counter()
    result = ep.call(name, args)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"{name} {args} failed: {result.text[:400]}")
    return elapsed, result.text


def p50(ep: Episode, name: str, make_args: Callable[[int], dict[str, Any]],
        repeats: int) -> float:
    """Median milliseconds of ``repeats`` calls, each with ``make_args(i)``."""
    return statistics.median(timed(ep, name, make_args(i))[0] for i in range(repeats)) * 1e3


def ref(text: str, role: str, name: str) -> str:
    for line in text.splitlines():
        if f'- {role} "{name}"' in line and "[ref=" in line:
            return line.split("[ref=")[1].split("]")[0]
    raise LookupError(f"no {role} {name!r} on the page")


def returnable_order(ep: Episode) -> tuple[str, int]:
    """An order of the signed-in customer with a line that can be returned today."""
    listed = ep.call("shop.list_orders", {"status": "delivered", "limit": 100}).value
    for summary in listed["results"]:
        order = ep.call("shop.get_order", {"order_id": summary["id"]}).value
        for line in order["lines"]:
            if line["returnable"]:
                return order["id"], line["line"]
    raise LookupError("no returnable order in the benchmark's shop")


def browser_rows(repeats: int) -> list[tuple[str, float]]:
    rows: list[tuple[str, float]] = []
    with episode("C-001") as ep:
        order_id, _line = returnable_order(ep)
        form_url = f"https://shop.example/orders/{order_id}/return"
        rows.append(("navigate (orders list)", p50(ep, "browser.navigate", lambda i: {
            "url": "https://shop.example/orders"}, repeats)))
        rows.append(("navigate (order page)", p50(ep, "browser.navigate", lambda i: {
            "url": f"https://shop.example/orders/{order_id}"}, repeats)))
        rows.append(("navigate (products, a search)", p50(ep, "browser.navigate", lambda i: {
            "url": "https://shop.example/products?q=jacket"}, repeats)))
        rows.append(("navigate_back", p50(ep, "browser.navigate_back", lambda i: {}, repeats)))
        rows.append(("navigate_forward", p50(ep, "browser.navigate_forward", lambda i: {},
                                             repeats)))
        _, text = timed(ep, "browser.navigate", {"url": "https://shop.example/orders"})
        rows.append(("snapshot", p50(ep, "browser.snapshot", lambda i: {}, repeats)))
        table = ref(text, "table", "Orders")
        rows.append(("read_table", p50(ep, "browser.read_table", lambda i: {"ref": table},
                                       repeats)))
        link = ref(text, "link", "Next page")
        times = []
        for _ in range(repeats):
            timed(ep, "browser.navigate", {"url": "https://shop.example/orders"})
            times.append(timed(ep, "browser.click", {"ref": link})[0])
        rows.append(("click (a link)", statistics.median(times) * 1e3))
        _, text = timed(ep, "browser.navigate", {"url": form_url})
        quantity = next(r for r in text.splitlines() if "spinbutton" in r and "[ref=" in r)
        field = quantity.split("[ref=")[1].split("]")[0]
        rows.append(("type", p50(ep, "browser.type", lambda i: {"ref": field, "text": "1"},
                                 repeats)))
        reason = ref(text, "combobox", "Reason")
        rows.append(("select_option", p50(ep, "browser.select_option", lambda i: {
            "ref": reason, "values": ["Arrived damaged"]}, repeats)))
        rows.append(("press_key (Tab)", p50(ep, "browser.press_key", lambda i: {"key": "Tab"},
                                            repeats)))
        submit, cancel = [], []
        for _ in range(repeats):
            _, text = timed(ep, "browser.navigate", {"url": form_url})
            timed(ep, "browser.type", {"ref": field, "text": "1"})
            timed(ep, "browser.select_option", {"ref": reason, "values": ["damaged"]})
            spent, text = timed(ep, "browser.click", {"ref": ref(text, "button",
                                                                 "Request return")})
            submit.append(spent)
            cancel.append(timed(ep, "browser.click", {"ref": ref(text, "button",
                                                                 "Cancel return")})[0])
        rows.append(("click (send the return form, redirect)", statistics.median(submit) * 1e3))
        rows.append(("click (cancel the return)", statistics.median(cancel) * 1e3))
    return rows


def shop_rows(repeats: int) -> list[tuple[str, float]]:
    rows: list[tuple[str, float]] = []
    with episode("C-001") as ep:
        order_id, line = returnable_order(ep)
        rows.append(("search_products", p50(ep, "shop.search_products", lambda i: {
            "query": "trail*"}, repeats)))
        rows.append(("get_product", p50(ep, "shop.get_product", lambda i: {
            "sku": ep.world.stores["shop"].products[i % 60].sku}, repeats)))  # type: ignore[attr-defined]
        rows.append(("list_orders", p50(ep, "shop.list_orders", lambda i: {}, repeats)))
        rows.append(("get_order", p50(ep, "shop.get_order", lambda i: {"order_id": order_id},
                                      repeats)))
        rows.append(("list_returns", p50(ep, "shop.list_returns", lambda i: {}, repeats)))
        create, cancel = [], []
        for _ in range(repeats):
            spent, _text = timed(ep, "shop.create_return", {
                "order_id": order_id, "items": [{"line": line, "quantity": 1}],
                "reason": "damaged"})
            create.append(spent)
            made = ep.call("shop.list_returns", {"limit": 1}).value["results"][0]["id"]
            cancel.append(timed(ep, "shop.cancel_return", {"return_id": made})[0])
        rows.append(("create_return", statistics.median(create) * 1e3))
        rows.append(("cancel_return", statistics.median(cancel) * 1e3))
        rows.append(("get_return", p50(ep, "shop.get_return", lambda i: {"return_id": "R-0001"},
                                       repeats)))
        rows.append(("get_customer", p50(ep, "shop.get_customer", lambda i: {
            "customer_id": "C-001"}, repeats)))
    with episode(None) as ep:
        rows.append(("restock (staff)", p50(ep, "shop.restock", lambda i: {
            "sku": ep.world.stores["shop"].products[0].sku, "quantity": 1}, repeats)))  # type: ignore[attr-defined]
        rows.append(("list_customers (staff)", p50(ep, "shop.list_customers", lambda i: {
            "query": "mail"}, repeats)))
        steps = ("approve", "receive", "refund")
        made = [ep.call("shop.create_return", {
            "order_id": o["id"], "items": [{"line": 1, "quantity": 1}], "reason": "wrong_item"})
            for o in ep.call("shop.list_orders", {"status": "delivered", "limit": 100}).value[
                "results"]]
        ids = [m.value["id"] for m in made if m.ok][:repeats]
        times = [timed(ep, "shop.process_return", {"return_id": rid, "action": step})[0]
                 for rid in ids for step in steps]
        rows.append((f"process_return (staff, {len(times)} calls)",
                     statistics.median(times) * 1e3))
        store = ep.world.stores["shop"]
        assert isinstance(store, ShopStore)
        for n in range(repeats):  # orders not shipped yet, to cancel
            store.add_order(f"O-9{n:03d}", "C-002", NOW.date(), [(store.products[1].sku, 1)])
        rows.append(("cancel_order", p50(ep, "shop.cancel_order", lambda i: {
            "order_id": f"O-9{i:03d}"}, repeats)))
    return rows


def http_rows(repeats: int) -> list[tuple[str, float]]:
    world = WorldTemplate(now=NOW, stores={"shop": shop(None)}).materialize()
    rows = []
    try:
        with serve_sites(world) as server:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)

            def fetch(method: str, path: str, body: str | None = None) -> float:
                started = time.perf_counter()
                headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
                connection.request(method, f"http://shop.example{path}", body, headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status == 303:
                    connection.request("GET", f"http://shop.example{answer.headers['Location']}")
                    follow = connection.getresponse()
                    follow.read()
                elif answer.status != 200:
                    raise RuntimeError(f"{method} {path}: HTTP {answer.status}")
                return time.perf_counter() - started

            sku = world.stores["shop"].products[0].sku  # type: ignore[attr-defined]
            for label, method, path, body in (
                    ("HTTP GET /orders (HTML)", "GET", "/orders", None),
                    ("HTTP GET /orders/O-1001 (HTML)", "GET", "/orders/O-1001", None),
                    ("HTTP POST restock form + redirect", "POST", f"/products/{sku}",
                     urllib.parse.urlencode({"_form": "restock", "quantity": "1"}))):
                fetch(method, path, body)  # warm the connection
                rows.append((label, statistics.median(
                    fetch(method, path, body) for _ in range(repeats)) * 1e3))
            connection.close()
    finally:
        world.cleanup()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=41)
    args = parser.parse_args()
    for title, rows in (("browser", browser_rows(args.repeats)),
                        ("shop", shop_rows(args.repeats)),
                        ("loopback HTTP", http_rows(args.repeats))):
        print(f"\n{title}")
        for label, ms in rows:
            print(f"  {label:<44} {ms:8.3f} ms")


if __name__ == "__main__":
    main()
