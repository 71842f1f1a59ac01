import os
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from workgym.apps.db import (
    MAX_OUTPUT_CHARS,
    STEP_BUDGET,
    DbStore,
    database_bytes,
    read_rows,
    world_rows,
)
from workgym.core import Episode, GradeError
from workgym.serve import connect_in_process

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=CET)
PATH = "data/app.db"
SCHEMA = [
    ("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, region TEXT "
    "DEFAULT 'north')"),
    ("CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer INTEGER NOT NULL "
    "REFERENCES customers(id) ON DELETE CASCADE, total REAL, placed TEXT, note TEXT, "
    "receipt BLOB)"),
    "CREATE INDEX orders_placed ON orders(placed)",
    ("CREATE VIEW monthly AS SELECT strftime('%Y-%m', placed) AS month, round(sum(total), 2) "
    "AS total FROM orders GROUP BY 1 ORDER BY 1"),
]
ROWS = {
    "customers": [(1, "Ada Lind", "north"), (2, "Bo Ek", "south"), (3, "Cai Wu", "south")],
    "orders": [(1, 1, 120.5, "2026-01-14", "first", b"\x00\xff"),
               (2, 2, 80.0, "2026-02-03", "x" * 3000, None),
               (3, 2, 19.5, "2026-02-27", None, None),
               (4, 3, 200.0, "2026-03-01", "", bytes(range(64)))],
}


def _files() -> dict[str, bytes]:
    return {PATH: database_bytes(SCHEMA, ROWS)}


@pytest.fixture
def ep(start_episode):
    return start_episode(("db",), family="tests/db", now=NOW, files=_files(),
                         stores={"db": DbStore(path=PATH)})


@pytest.fixture
def writable(start_episode):
    return start_episode(("db",), family="tests/db", now=NOW, files=_files(),
                         stores={"db": DbStore(path=PATH, allow_writes=True)})


def ok(ep: Episode, tool: str, **args):
    result = ep.call(tool, args)
    assert result.ok, result.text
    return result.value


def err(ep: Episode, tool: str, match: str, **args) -> str:
    before = ep.world.digest()
    result = ep.call(tool, args)
    assert not result.ok, result.text
    assert match in result.text, result.text
    assert ep.world.digest() == before
    return result.text


def rows(ep: Episode, sql: str, **args):
    return ok(ep, "db.query", sql=sql, **args)["rows"]


def test_list_tables_with_counts(ep):
    assert ok(ep, "db.list_tables") == {"path": PATH, "tables": [
        {"name": "customers", "type": "table", "rows": 3},
        {"name": "monthly", "type": "view", "rows": None},
        {"name": "orders", "type": "table", "rows": 4}]}


def test_describe_table_shows_columns_keys_and_indexes(ep):
    orders = ok(ep, "db.describe_table", table="ORDERS")
    assert orders["name"] == "orders" and orders["rows"] == 4
    assert [(c["name"], c["type"], c["not_null"], c["primary_key"])
            for c in orders["columns"]] == [
        ("id", "INTEGER", False, 1), ("customer", "INTEGER", True, None),
        ("total", "REAL", False, None), ("placed", "TEXT", False, None),
        ("note", "TEXT", False, None), ("receipt", "BLOB", False, None)]
    assert orders["foreign_keys"] == [{"column": "customer", "references": "customers(id)",
                                       "on_update": "NO ACTION", "on_delete": "CASCADE"}]
    assert orders["indexes"] == [{"name": "orders_placed", "unique": False,
                                  "columns": ["placed"], "origin": "create index"}]
    assert orders["sql"].startswith("CREATE TABLE orders")
    customers = ok(ep, "db.describe_table", table="customers")
    assert customers["columns"][2]["default"] == "'north'"
    view = ok(ep, "db.describe_table", table="monthly")
    assert view["type"] == "view" and view["rows"] is None
    assert [c["name"] for c in view["columns"]] == ["month", "total"]
    err(ep, "db.describe_table", "db.list_tables", table="nope")


def test_query_returns_typed_rows(ep):
    result = ok(ep, "db.query", sql="SELECT c.name, count(*) AS n, sum(o.total) AS spent "
                "FROM orders o JOIN customers c ON c.id = o.customer GROUP BY c.id ORDER BY c.id")
    assert result == {"columns": ["name", "n", "spent"],
                      "rows": [["Ada Lind", 1, 120.5], ["Bo Ek", 2, 99.5], ["Cai Wu", 1, 200.0]],
                      "row_count": 3, "truncated": False}
    assert rows(ep, "SELECT * FROM monthly") == [["2026-01", 120.5], ["2026-02", 99.5],
                                                ["2026-03", 200.0]]
    assert rows(ep, "SELECT name FROM customers WHERE region = ? AND id > ?",
                params=["south", 2]) == [["Cai Wu"]]
    assert rows(ep, "  -- a comment\n /* another */ WITH t AS (SELECT 1 AS x) SELECT x FROM t"
                ) == [[1]]
    assert rows(ep, "VALUES (1, 'a', NULL)") == [[1, "a", None]]
    assert ok(ep, "db.query", sql="EXPLAIN QUERY PLAN SELECT * FROM orders WHERE placed > ?",
              params=["2026"])["row_count"] >= 1


def test_query_shows_blobs_and_cuts_long_text(ep):
    receipt, note = rows(ep, "SELECT receipt, note FROM orders WHERE id IN (1, 2) ORDER BY id")
    assert receipt == ["x'00ff'", "first"]
    assert note[0] is None and note[1].startswith("x" * 2000)
    assert note[1].endswith("... [1000 more characters]")
    assert rows(ep, "SELECT receipt FROM orders WHERE id = 4")[0][0].endswith("...' (64 bytes)")
    assert rows(ep, "SELECT 1e999, -1e999") == [["Infinity", "-Infinity"]]


def test_query_row_and_size_limits(ep):
    many = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000) "
    capped = ok(ep, "db.query", sql=many + "SELECT i FROM r", max_rows=5)
    assert capped["rows"] == [[1], [2], [3], [4], [5]] and capped["truncated"]
    whole = ok(ep, "db.query", sql=many + "SELECT i FROM r WHERE i <= 5", max_rows=5)
    assert not whole["truncated"]
    wide = ok(ep, "db.query", sql=many + "SELECT printf('%.1000c', 'y') FROM r", max_rows=500)
    assert wide["truncated"] and 0 < wide["row_count"] < 100
    assert len(ep.call("db.query", {"sql": many + "SELECT printf('%.1000c', 'y') FROM r",
                                    "max_rows": 500}).text) <= MAX_OUTPUT_CHARS + 200
    err(ep, "db.query", "between 1 and 500", sql="SELECT 1", max_rows=501)
    err(ep, "db.query", "longer than 20000", sql="SELECT " + "1" * 20_001)
    err(ep, "db.query", "at most 100 parameters", sql="SELECT ?", params=[1] * 101)
    err(ep, "db.query", "is empty", sql="  ")


def test_query_stops_on_its_step_budget(ep):
    text = err(ep, "db.query", f"more than {STEP_BUDGET:,} SQLite steps",
               sql="WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
                   "SELECT count(*) FROM r")
    assert "LIMIT" in text
    err(ep, "db.query", "larger than 1000000 bytes", sql="SELECT zeroblob(2000000)")


def test_now_is_the_frozen_clock(ep):
    assert rows(ep, "SELECT date('now'), datetime('now'), datetime('now', 'localtime'), "
                "CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP, strftime('%H:%M'), date(), "
                "date('NOW', '-1 month'), julianday('2026-03-02') - julianday('2026-03-01')") == [[
        "2026-03-02", "2026-03-02 08:30:00", "2026-03-02 09:30:00", "2026-03-02", "08:30:00",
        "2026-03-02 08:30:00", "08:30", "2026-03-02", "2026-02-02", 1.0]]
    assert rows(ep, "SELECT count(*) FROM orders WHERE placed >= date('now', '-10 days')") == [[2]]
    err(ep, "db.query", "random() is not available", sql="SELECT random()")
    err(ep, "db.query", "randomblob() is not available", sql="SELECT hex(randomblob(4))")
    err(ep, "db.query", "not available", sql="SELECT * FROM orders ORDER BY RANDOM()")


def test_query_never_writes(ep, tmp_path):
    target = tmp_path / "copy.db"
    err(ep, "db.query", "not INSERT", sql="INSERT INTO customers VALUES (9, 'X', 'y')")
    err(ep, "db.query", "would change the database",
        sql="WITH t AS (SELECT 1) DELETE FROM customers")
    err(ep, "db.query", "not VACUUM", sql=f"VACUUM INTO '{target}'")
    err(ep, "db.query", "not ATTACH", sql=f"ATTACH '{target}' AS other")
    err(ep, "db.query", "not PRAGMA", sql="PRAGMA query_only = OFF")
    err(ep, "db.query", "pragma functions are not allowed",
        sql="SELECT * FROM pragma_table_info('orders')")
    err(ep, "db.query", "one statement at a time", sql="SELECT 1; DELETE FROM customers")
    err(ep, "db.query", "read-only", sql="DELETE FROM customers")
    err(ep, "db.query", "no such table: nope (db.list_tables", sql="SELECT * FROM nope")
    err(ep, "db.query", "db.describe_table", sql="SELECT nope FROM orders")
    assert not target.exists()
    assert sorted(os.listdir(ep.world.workspace / "data")) == ["app.db"]


def test_reads_leave_the_digest(ep):
    before = ep.world.digest()
    ok(ep, "db.list_tables")
    ok(ep, "db.describe_table", table="orders")
    ok(ep, "db.query", sql="SELECT * FROM orders")
    assert ep.world.digest() == before


def test_execute_is_off_unless_the_task_allows_it(ep):
    err(ep, "db.execute", "read-only in this task", sql="DELETE FROM orders")


def test_execute_writes_the_file(writable):
    before = writable.world.digest()
    result = ok(writable, "db.execute", sql="INSERT INTO orders (customer, total, placed) "
                "VALUES (?, ?, date('now')) RETURNING id, placed", params=[1, 42.25])
    assert result == {"changed_rows": 1, "last_insert_rowid": 5, "columns": ["id", "placed"],
                      "rows": [[5, "2026-03-02"]]}
    assert writable.world.digest() != before
    assert ok(writable, "db.execute", sql="UPDATE orders SET total = total * 2 WHERE customer = ?",
              params=[2]) == {"changed_rows": 2, "last_insert_rowid": None}
    assert rows(writable, "SELECT sum(total) FROM orders WHERE customer = 2") == [[199.0]]
    # a cascade deletes the orders too, but changed_rows counts what the statement named
    assert ok(writable, "db.execute", sql="DELETE FROM customers WHERE id = 1")[
        "changed_rows"] == 1
    assert rows(writable, "SELECT count(*) FROM orders WHERE customer = 1") == [[0]]
    assert ok(writable, "db.execute", sql="WITH n AS (SELECT 7 AS id) INSERT INTO customers "
              "(id, name) SELECT id, 'Dee' FROM n")["changed_rows"] == 1
    on_disk = sqlite3.connect(writable.world.workspace / PATH)
    try:
        assert on_disk.execute("SELECT name, region FROM customers ORDER BY id").fetchall() == [
            ("Bo Ek", "south"), ("Cai Wu", "south"), ("Dee", "north")]
        assert on_disk.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        on_disk.close()
    assert sorted(os.listdir(writable.world.workspace / "data")) == ["app.db"]


def test_execute_refusals_leave_the_file(writable):
    err(writable, "db.execute", "FOREIGN KEY constraint failed",
        sql="INSERT INTO orders (customer, total) VALUES (99, 1)")
    err(writable, "db.execute", "NOT NULL constraint failed",
        sql="INSERT INTO customers (id) VALUES (10)")
    err(writable, "db.execute", "schema changes", sql="CREATE TABLE t (a)")
    err(writable, "db.execute", "schema changes", sql="DROP TABLE orders")
    err(writable, "db.execute", "read with db.query", sql="SELECT 1")
    err(writable, "db.execute", "not BEGIN", sql="BEGIN")
    err(writable, "db.execute", "not PRAGMA", sql="PRAGMA foreign_keys = OFF")
    err(writable, "db.execute", "SQLite's own table", sql="DELETE FROM sqlite_sequence")
    err(writable, "db.execute", "one statement at a time",
        sql="DELETE FROM orders; DELETE FROM customers")
    err(writable, "db.execute", "grow past 2000000 bytes",
        sql="INSERT INTO orders (customer, note) SELECT 1, printf('%.900000c', 'z') "
            "FROM (VALUES (1), (2), (3))")


def test_execute_with_ddl_allowed(start_episode):
    ep = start_episode(("db",), family="tests/db", now=NOW, files=_files(),
                       stores={"db": DbStore(path=PATH, allow_writes=True, allow_ddl=True)})
    ok(ep, "db.execute", sql="CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)")
    ok(ep, "db.execute", sql="ALTER TABLE audit RENAME TO audit_log")
    ok(ep, "db.execute", sql="INSERT INTO audit_log (what) VALUES ('checked')")
    assert [t["name"] for t in ok(ep, "db.list_tables")["tables"]] == [
        "audit_log", "customers", "monthly", "orders"]
    ok(ep, "db.execute", sql="DROP VIEW monthly")
    err(ep, "db.execute", "not ATTACH", sql="ATTACH 'x.db' AS x")
    err(ep, "db.execute", "not VACUUM", sql="VACUUM")


def test_same_writes_same_bytes(start_episode):
    outcomes = []
    for _ in range(2):
        ep = start_episode(("db",), family="tests/db", now=NOW, files=_files(),
                           stores={"db": DbStore(path=PATH, allow_writes=True)})
        start = ep.world.digest()
        ok(ep, "db.execute", sql="INSERT INTO customers (name) VALUES ('Eve')")
        ok(ep, "db.execute", sql="DELETE FROM orders WHERE total < 50")
        outcomes.append((start, ep.world.digest(), (ep.world.workspace / PATH).read_bytes()))
    assert outcomes[0] == outcomes[1]
    assert database_bytes(SCHEMA, ROWS) == database_bytes(SCHEMA, ROWS)


def test_bad_files_are_refused(start_episode, tmp_path):
    def episode(files):
        return start_episode(("db",), family="tests/db", now=NOW, files=files,
                             stores={"db": DbStore(path=PATH)})

    err(episode({}), "db.list_tables", "no such file")
    err(episode({PATH: b"not a database at all"}), "db.query", "not a SQLite database",
        sql="SELECT 1")
    err(episode({PATH: b"SQLite format 3\x00" + b"\xff" * 200}), "db.list_tables",
        "cannot open the database")
    err(episode({PATH: b"\0" * 2_000_001}), "db.list_tables", "larger than 2000000 bytes")
    linked = episode({})
    os.makedirs(linked.world.workspace / "data")
    os.symlink(tmp_path / "elsewhere.db", linked.world.workspace / PATH)
    err(linked, "db.list_tables", "symbolic link")
    fifo = episode({})
    os.makedirs(fifo.world.workspace / "data")
    os.mkfifo(fifo.world.workspace / PATH)
    done = threading.Event()
    result = []

    def call() -> None:
        result.append(fifo.call("db.list_tables", {}))
        done.set()

    threading.Thread(target=call, daemon=True).start()
    assert done.wait(5), "reading a FIFO blocked"
    assert not result[0].ok and "not a regular file" in result[0].text


def test_a_wal_mode_file_is_read(start_episode, tmp_path):
    path = tmp_path / "wal.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (a)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    ep = start_episode(("db",), family="tests/db", now=NOW, files={PATH: path.read_bytes()},
                       stores={"db": DbStore(path=PATH)})
    assert rows(ep, "SELECT a FROM t") == [[1]]


def test_graders_read_rows(ep):
    data = (ep.world.workspace / PATH).read_bytes()
    assert read_rows(data, "SELECT id FROM customers WHERE region = ? ORDER BY id", ["south"],
                     now=NOW) == [(2,), (3,)]
    assert world_rows(ep.world, "SELECT date('now')") == [("2026-03-02",)]
    with pytest.raises(GradeError, match="not a SQLite database"):
        read_rows(b"junk", "SELECT 1", now=NOW)
    with pytest.raises(GradeError, match="no such table"):
        read_rows(data, "SELECT * FROM nope", now=NOW)
    with pytest.raises(GradeError, match="more than 2 rows"):
        read_rows(data, "SELECT * FROM customers", now=NOW, max_rows=2)
    with pytest.raises(GradeError, match="refused"):
        read_rows(data, "WITH t AS (SELECT 1) DELETE FROM customers", now=NOW)
    os.remove(ep.world.workspace / PATH)
    with pytest.raises(GradeError, match="cannot read the database"):
        world_rows(ep.world, "SELECT 1")


def test_database_bytes_validates():
    with pytest.raises(ValueError, match="cannot build the database"):
        database_bytes(["CREATE TABLE t (a)"], {"t": [(1, 2)]})
    with pytest.raises(ValueError, match="cannot build the database"):
        database_bytes(["CREATE TABEL t (a)"])


async def test_mcp_path_gives_the_same_results(start_episode):
    served, direct = (start_episode(("db",), family="tests/db", now=NOW, files=_files(),
                                    stores={"db": DbStore(path=PATH, allow_writes=True)})
                      for _ in range(2))
    calls = [("db.list_tables", {}), ("db.describe_table", {"table": "orders"}),
             ("db.query", {"sql": "SELECT * FROM orders WHERE total > ?", "params": [50]}),
             ("db.execute", {"sql": "UPDATE orders SET note = ? WHERE id = 3",
                             "params": ["ünïcode ✓"]}),
             ("db.query", {"sql": "SELECT random()"}),
             ("db.query", {"sql": "SELECT note FROM orders WHERE id = 3"})]
    async with connect_in_process(served) as client:
        for name, args in calls:
            result = await client.call_tool(name.replace(".", "_"), args)
            mine = direct.call(name, args)
            assert (not result.is_error, result.content[0].text) == (mine.ok, mine.text)
    assert served.world.digest() == direct.world.digest()
