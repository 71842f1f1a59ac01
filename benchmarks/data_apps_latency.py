"""p50 latency of every tool of the data apps (db, git, payments).

Each tool is called through ``Episode.call`` (validation, lock, logging: the path a model
takes) on worlds of a realistic size: a 270 KB SQLite file (200 customers, 5,000 orders),
a Git repository of 22 commits over 31 files with a second branch, and a bank of three
accounts, 600 card bookings, 40 payees and 300 invoices. Reads repeat on one world;
writes repeat too (each commit, transfer or update adds to the world). The last line
times ``World.usage()``, the quota walk every ``World.write_file`` makes, which is most
of the cost of a git write.

    python benchmarks/data_apps_latency.py [--repeats 41]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.db import DbStore, database_bytes
from workgym.apps.git import CommitSpec, GitStore, repository_files
from workgym.apps.payments import PaymentsStore, iban
from workgym.core import Episode, Store, Task, TaskSpec, WorldTemplate

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, tzinfo=CET)
AUTHOR = "Lena Novak <lena@example.org>"


def episode(apps: tuple[str, ...], files: dict[str, bytes] | None = None,
            stores: dict[str, Store] | None = None) -> Episode:
    task = Task(spec=TaskSpec(family="bench/data-apps", version=1, seed=0), prompt="",
                apps=apps, criteria=(), reference=(),
                template=WorldTemplate(now=NOW, files=files or {}, stores=stores or {}))
    return task.start()


def p50(ep: Episode, name: str, make_args: Callable[[int], dict[str, Any]],
        repeats: int) -> float:
    """Median milliseconds of ``repeats`` calls, each with ``make_args(i)``."""
    times = []
    for i in range(repeats):
        args = make_args(i)
        started = time.perf_counter()
        result = ep.call(name, args)
        times.append(time.perf_counter() - started)
        if not result.ok:
            raise RuntimeError(f"{name} failed: {result.text[:300]}")
    return statistics.median(times) * 1e3


def db_rows(repeats: int) -> list[tuple[str, float]]:
    customers = [(i, f"Customer {i}", ("north", "south", "east", "west")[i % 4])
                 for i in range(1, 201)]
    orders = [(i, 1 + i % 200, round(10 + (i * 37) % 500 + 0.25, 2),
               (date(2025, 1, 1) + timedelta(days=i % 420)).isoformat())
              for i in range(1, 5001)]
    data = database_bytes(
        ["CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT)",
         ("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER REFERENCES "
         "customers(id), total REAL, placed TEXT)"),
         "CREATE INDEX orders_placed ON orders(placed)"],
        {"customers": customers, "orders": orders})
    report = ("SELECT c.region, strftime('%Y-%m', o.placed) AS month, round(sum(o.total), 2) "
              "FROM orders o JOIN customers c ON c.id = o.customer GROUP BY 1, 2 ORDER BY 1, 2")
    with episode(("db",), {"data/app.db": data}, {"db": DbStore(allow_writes=True)}) as ep:
        return [
            ("list_tables", p50(ep, "db.list_tables", lambda i: {}, repeats)),
            ("describe_table", p50(ep, "db.describe_table", lambda i: {"table": "orders"},
                                   repeats)),
            ("query (by key)", p50(ep, "db.query", lambda i: {
                "sql": "SELECT * FROM orders WHERE id = ?", "params": [i + 1]}, repeats)),
            ("query (monthly report)", p50(ep, "db.query", lambda i: {
                "sql": report, "max_rows": 500}, repeats)),
            ("execute (update)", p50(ep, "db.execute", lambda i: {
                "sql": "UPDATE orders SET total = total + 1 WHERE id = ?", "params": [i + 1]},
                repeats)),
        ]


def git_files() -> dict[str, bytes]:
    start = datetime(2026, 1, 1, tzinfo=CET)
    commits = [CommitSpec("Initial", {f"src/mod{j}.py": f"# module {j}\n" for j in range(30)}
                          | {"README.md": "# r\n"}, start - timedelta(days=1))]
    commits += [CommitSpec(f"Change {k}", {
        f"src/mod{j}.py": f"# module {j}\n" + "".join(f"x{n} = {n * k}\n" for n in range(40))
        for j in range(k % 30, k % 30 + 3)}, start + timedelta(days=k)) for k in range(20)]
    commits.append(CommitSpec("Other branch", {"src/other.py": "y = 1\n"},
                              start + timedelta(days=31), branch="feature"))
    return repository_files(commits, author=AUTHOR)


def git_rows(repeats: int) -> list[tuple[str, float]]:
    with episode(("git",), git_files(), {"git": GitStore(author=AUTHOR)}) as ep:
        work = ep.world.workspace

        def edit(i: int) -> dict[str, Any]:
            (work / "src/mod1.py").write_text(f"# edit {i}\n")
            return {"paths": ["src/mod1.py"]}

        def change(i: int) -> dict[str, Any]:
            (work / "src/mod2.py").write_text(f"# commit {i}\n")
            return {"message": f"Commit {i}", "all": True}

        return [
            ("status", p50(ep, "git.status", lambda i: {}, repeats)),
            ("log (20 commits)", p50(ep, "git.log", lambda i: {}, repeats)),
            ("log (one path)", p50(ep, "git.log", lambda i: {"path": "src/mod3.py"}, repeats)),
            ("show HEAD", p50(ep, "git.show", lambda i: {}, repeats)),
            ("branch", p50(ep, "git.branch", lambda i: {}, repeats)),
            ("diff HEAD~5 HEAD", p50(ep, "git.diff", lambda i: {"base": "HEAD~5",
                                                                "target": "HEAD"}, repeats)),
            ("add", p50(ep, "git.add", edit, repeats)),
            ("diff (staged)", p50(ep, "git.diff", lambda i: {"staged": True}, repeats)),
            ("reset", p50(ep, "git.reset", lambda i: edit(i) and {}, repeats)),
            ("commit (all)", p50(ep, "git.commit", change, repeats)),
            ("checkout (switch)", p50(ep, "git.checkout", lambda i: {
                "target": "feature" if i % 2 == 0 else "main"}, repeats)),
            ("create_branch", p50(ep, "git.create_branch", lambda i: {"name": f"b{i}"},
                                  repeats)),
        ]


def payments_rows(repeats: int) -> list[tuple[str, float]]:
    store = PaymentsStore(owner="Lena Novak")
    store.add_account("Current", "checking", "100000000.00",
                      number=iban("DE", "500105175407324931"))
    store.add_account("Savings", "savings", "5000.00", number=iban("DE", "500105175407324932"))
    store.add_account("Card", "card", "0.00", number="**** 4821", credit_limit="5000.00")
    for i in range(600):
        store.post("ACC-03", date(2025, 9, 1) + timedelta(days=i % 180),
                   f"-{5 + i % 90}.{i % 100:02d}", f"Merchant {i % 37}",
                   merchant=f"Merchant {i % 37}")
    for i in range(40):
        store.add_payee(f"Vendor {i}", iban("DE", f"5001051754073{i:05d}"))
    for i in range(300):
        store.add_invoice(f"PAY-{1 + i % 40:03d}", f"N-{i}", f"{10 + i}.00", date(2026, 1, 1),
                          date(2026, 2, 1) + timedelta(days=i % 60))
    with episode(("payments",), stores={"payments": store}) as ep:
        return [
            ("list_accounts", p50(ep, "payments.list_accounts", lambda i: {}, repeats)),
            ("list_transactions", p50(ep, "payments.list_transactions", lambda i: {
                "account_id": "ACC-03", "text": "merchant 3"}, repeats)),
            ("list_payees", p50(ep, "payments.list_payees", lambda i: {}, repeats)),
            ("list_invoices", p50(ep, "payments.list_invoices", lambda i: {"status": "open"},
                                  repeats)),
            ("get_invoice", p50(ep, "payments.get_invoice", lambda i: {
                "invoice_id": "INV-0007"}, repeats)),
            ("statement", p50(ep, "payments.statement", lambda i: {
                "account_id": "ACC-03", "month": "2025-11"}, repeats)),
            ("transfer", p50(ep, "payments.transfer", lambda i: {
                "from_account": "ACC-01", "amount": "1.00", "to_account": "ACC-02"}, repeats)),
            ("pay_invoice", p50(ep, "payments.pay_invoice", lambda i: {
                "invoice_id": f"INV-{i + 1:04d}", "from_account": "ACC-01"}, repeats)),
            ("add_payee", p50(ep, "payments.add_payee", lambda i: {
                "name": f"New {i}", "iban": iban("NL", f"ABNA04171{i:05d}")}, repeats)),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=41)
    repeats = parser.parse_args().repeats
    for app, rows in (("db", db_rows(repeats)), ("git", git_rows(repeats)),
                      ("payments", payments_rows(repeats))):
        for name, ms in rows:
            print(f"{app:9s} {name:24s} {ms:8.2f} ms")
    files = git_files()
    with episode(("git",), files, {"git": GitStore(author=AUTHOR)}) as ep:
        started = time.perf_counter()
        for _ in range(20):
            ep.world.usage()
        print(f"World.usage() on {len(files)} files: "
              f"{(time.perf_counter() - started) / 20 * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
