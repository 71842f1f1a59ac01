"""db: a SQLite database file in the workspace, read with SQL and written where allowed.

The file is the state (there is no store of rows): ``World.digest()`` covers it through
the workspace. A small store says where the file is and what the task allows:
``allow_writes`` turns on ``db.execute`` (INSERT, UPDATE, DELETE), ``allow_ddl`` also lets
it CREATE, ALTER and DROP.

Every call reads the file through ``World.read_file`` (bounded, links and special files
refused, never blocking) and opens the bytes as an in-memory database with
``sqlite3.Connection.deserialize``. Nothing SQLite does can then touch the filesystem: no
journal or WAL files appear next to the database, a FIFO or a link put where the database
was is refused before SQLite sees it, and a write reaches the workspace only through
``World.write_file`` (the per-file limit and the workspace quota). Reads are enforced
three times over: the statement must begin with SELECT, WITH, VALUES or EXPLAIN, the
connection is ``query_only``, and an authorizer denies every action but reading (ATTACH,
which ``VACUUM INTO`` uses to write a file anywhere, is denied always, and so are
PRAGMAs and transaction control).

Every statement runs on a budget of SQLite virtual-machine steps counted by the progress
handler, the same for every run of the same query (so a query either always finishes or
always stops), with a wall-clock limit behind it for the rare step that is slow by
itself. Strings and blobs are capped at ``MAX_VALUE_BYTES``.

Results are deterministic. ``random()`` and ``randomblob()`` are refused. ``'now'`` (and
``CURRENT_DATE``, ``CURRENT_TIME``, ``CURRENT_TIMESTAMP``, and the date functions called
without a time) is the world's frozen clock, in UTC as in SQLite; the ``localtime`` and
``utc`` modifiers use the fixed UTC offset of that clock, not the machine's zone.

Answers are JSON: ``{"columns": [...], "rows": [[...], ...], "row_count": n,
"truncated": bool}``, each row a list of values in column order (numbers, strings,
null; blobs as ``x'0a1b'`` text).
"""

from __future__ import annotations

import functools
import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from workgym.core import MAX_FILE_BYTES, App, GradeError, Store, ToolError, World, tool

__all__ = [
    "DbApp",
    "DbStore",
    "SqlValue",
    "database_bytes",
    "read_rows",
    "world_rows",
]

SqlValue = str | int | float | bytes | None
"""A value SQLite stores and ``database_bytes`` accepts."""
ParamValue = str | int | float | bool | None
"""A value a tool accepts for a ``?`` placeholder."""

MAX_DB_BYTES = MAX_FILE_BYTES
"""Largest database file the app opens, and the most a write may grow it to."""
MAX_SQL_CHARS = 20_000
MAX_PARAMS = 100
MAX_ROWS = 500
"""Most rows ``db.query`` returns."""
MAX_OUTPUT_CHARS = 60_000
"""Rows stop being added to an answer once its JSON would pass this size."""
MAX_CELL_CHARS = 2_000
"""Longer text values are cut in answers (never in the database)."""
MAX_VALUE_BYTES = 1_000_000
"""Longest string or blob SQLite may build while running a statement."""
STEP_BUDGET = 10_000_000
"""SQLite virtual-machine steps one statement may take."""
WALL_SECONDS = 5.0
"""Wall-clock limit behind the step budget."""

_PROGRESS_EVERY = 10_000
_PAGE_SIZE = 4096
_HEADER = b"SQLite format 3\x00"
_READ_KEYWORDS = ("SELECT", "WITH", "VALUES", "EXPLAIN")
_WRITE_KEYWORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH")
_DDL_KEYWORDS = ("CREATE", "DROP", "ALTER")
_DENIED_FUNCTIONS = {"random": "random()", "randomblob": "randomblob()",
                     "load_extension": "load_extension()", "fts3_tokenizer": "fts3_tokenizer()"}
_SCHEMA_TABLES = ("sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema")
_DATE_FUNCTIONS = ("date", "time", "datetime", "julianday", "unixepoch", "strftime")


def _code(name: str, fallback: int) -> int:
    return int(getattr(sqlite3, name, fallback))


_READ_ACTIONS = {_code("SQLITE_SELECT", 21), _code("SQLITE_READ", 20),
                 _code("SQLITE_FUNCTION", 31), _code("SQLITE_RECURSIVE", 33)}
_WRITE_ACTIONS = {_code("SQLITE_INSERT", 18), _code("SQLITE_UPDATE", 23),
                  _code("SQLITE_DELETE", 9)}
_DDL_ACTIONS = {_code(name, number) for name, number in (
    ("SQLITE_CREATE_INDEX", 1), ("SQLITE_CREATE_TABLE", 2), ("SQLITE_CREATE_TRIGGER", 7),
    ("SQLITE_CREATE_VIEW", 8), ("SQLITE_DROP_INDEX", 10), ("SQLITE_DROP_TABLE", 11),
    ("SQLITE_DROP_TRIGGER", 16), ("SQLITE_DROP_VIEW", 17), ("SQLITE_ALTER_TABLE", 26),
    ("SQLITE_REINDEX", 27), ("SQLITE_ANALYZE", 28))}
_ALWAYS_DENIED = {
    _code("SQLITE_ATTACH", 24): "ATTACH and VACUUM INTO are not allowed",
    _code("SQLITE_DETACH", 25): "DETACH is not allowed",
    _code("SQLITE_PRAGMA", 19): "PRAGMA statements and pragma functions are not allowed; "
                                "db.describe_table shows a table's schema",
    _code("SQLITE_TRANSACTION", 22): "BEGIN, COMMIT and ROLLBACK are not allowed; each "
                                     "db.execute is a transaction of its own",
    _code("SQLITE_SAVEPOINT", 32): "SAVEPOINT is not allowed",
}


class DbStore(Store):
    """Where the task's database is and what may be done to it."""

    path: str = "data/app.db"
    """Workspace path of the SQLite file."""
    allow_writes: bool = False
    """Whether ``db.execute`` may INSERT, UPDATE and DELETE."""
    allow_ddl: bool = False
    """Whether ``db.execute`` may also CREATE, ALTER and DROP (needs ``allow_writes``)."""


# -- the sandboxed connection ---------------------------------------------------------------


@dataclass
class _Guard:
    """What the authorizer allows right now, and why it last said no."""

    active: bool = False
    writes: bool = False
    ddl: bool = False
    denied: str | None = None
    steps: int = 0
    deadline: float = 0.0
    timed_out: bool = False
    out_of_steps: bool = False
    clock: tuple[str, str, str] = ("", "+00:00", "-00:00")
    """(now as SQLite text in UTC, the ``localtime`` modifier, the ``utc`` modifier)."""
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def authorize(self, action: int, arg1: str | None, arg2: str | None,
                  dbname: str | None, source: str | None) -> int:
        if not self.active:
            return sqlite3.SQLITE_OK
        if action in _ALWAYS_DENIED:
            return self._deny(_ALWAYS_DENIED[action])
        if action == _code("SQLITE_FUNCTION", 31):
            name = (arg2 or "").lower()
            if name in _DENIED_FUNCTIONS:
                return self._deny(f"{_DENIED_FUNCTIONS[name]} is not available: results "
                                  "must be the same every time")
            return sqlite3.SQLITE_OK
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if action in _WRITE_ACTIONS:
            table = (arg1 or "").lower()
            if not self.writes:
                if table in _SCHEMA_TABLES:  # how SQLite first reports a pragma function
                    return self._deny(_ALWAYS_DENIED[_code("SQLITE_PRAGMA", 19)])
                return self._deny("this statement would change the database; db.query only "
                                  "reads (SELECT or WITH)")
            if table.startswith("sqlite_") and not self.ddl:
                # CREATE, ALTER and DROP write SQLite's own tables themselves
                return self._deny(f"{arg1} is SQLite's own table and cannot be changed")
            return sqlite3.SQLITE_OK
        if action in _DDL_ACTIONS and self.ddl:
            return sqlite3.SQLITE_OK
        if action in _DDL_ACTIONS:
            return self._deny("schema changes (CREATE, ALTER, DROP) are not allowed in this "
                              "task")
        return self._deny("this kind of statement is not allowed")

    def _deny(self, reason: str) -> int:
        self.denied = self.denied or reason
        return sqlite3.SQLITE_DENY

    def progress(self) -> int:
        self.steps += _PROGRESS_EVERY
        if self.steps > STEP_BUDGET:
            self.out_of_steps = True
            return 1
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return 1
        return 0

    def start(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + WALL_SECONDS
        self.denied = None
        self.timed_out = self.out_of_steps = False


class _Helper(threading.local):
    """A plain in-memory connection per thread, to evaluate SQLite's own date functions."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", isolation_level=None)


_HELPER = _Helper()


def _builtin(name: str, args: tuple[Any, ...]) -> Any:
    """SQLite's own ``name(*args)``; short arguments (the usual dates) are cached."""
    if sum(len(a) if isinstance(a, (str, bytes)) else 8 for a in args) <= 200:
        return _cached_builtin(name, args)
    return _run_builtin(name, args)


def _run_builtin(name: str, args: tuple[Any, ...]) -> Any:
    marks = ", ".join("?" * len(args))
    return _HELPER.conn.execute(f"SELECT {name}({marks})", args).fetchone()[0]


_cached_builtin = functools.lru_cache(maxsize=8192)(_run_builtin)


def _frozen(name: str, guard: _Guard) -> Callable[..., Any]:
    """SQLite's date function ``name`` with 'now' and the zone modifiers pinned."""
    at = 1 if name == "strftime" else 0

    def run(*args: Any) -> Any:
        now, local, utc = guard.clock
        values = list(args)
        if len(values) <= at:
            values.append(now)
        for i, value in enumerate(values):
            if not isinstance(value, str):
                continue
            word = value.strip().lower()
            if i == at and word == "now":
                values[i] = now
            elif i > at and word == "localtime":
                values[i] = local
            elif i > at and word == "utc":
                values[i] = utc
        return _builtin(name, tuple(values))

    return run


def _clock(now: datetime) -> tuple[str, str, str]:
    offset = now.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    text = f"{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    back = "-" if sign == "+" else "+"
    return (now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            f"{sign}{text}", f"{back}{text}")


def _connect(data: bytes, now: datetime, *, writable: bool) -> tuple[sqlite3.Connection, _Guard]:
    """An in-memory connection holding ``data``, with the guard installed (inactive).

    Raises:
        ValueError: the bytes are not a SQLite database.
    """
    if data and not data.startswith(_HEADER):
        raise ValueError("the file is not a SQLite database")
    if len(data) >= 20 and data[18:20] == b"\x02\x02":
        # WAL mode cannot run in memory; the main file alone is read, as rollback mode.
        data = data[:18] + b"\x01\x01" + data[20:]
    guard = _Guard(clock=_clock(now))
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_CHARS * 4)
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, MAX_PARAMS)
        if data:
            conn.deserialize(data)
        conn.execute("PRAGMA cell_size_check = ON")
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        conn.execute(f"PRAGMA max_page_count = {MAX_DB_BYTES // page_size}")
        if writable:
            conn.execute("PRAGMA foreign_keys = ON")
        else:
            conn.execute("PRAGMA query_only = ON")
        for name in _DATE_FUNCTIONS:
            conn.create_function(name, -1, _frozen(name, guard), deterministic=True)
        conn.create_function("current_date", 0, lambda: _builtin("date", (guard.clock[0],)))
        conn.create_function("current_time", 0, lambda: _builtin("time", (guard.clock[0],)))
        conn.create_function("current_timestamp", 0,
                             lambda: _builtin("datetime", (guard.clock[0],)))
        conn.set_authorizer(guard.authorize)
        conn.set_progress_handler(guard.progress, _PROGRESS_EVERY)
        guard.start()
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ValueError(f"the file is not a readable SQLite database ({exc})") from None
    return conn, guard


@contextmanager
def _statement(guard: _Guard, *, user: bool, writes: bool = False,
               ddl: bool = False) -> Iterator[None]:
    """Run statements under the step budget; ``user`` statements also under the policy."""
    guard.start()
    guard.active, guard.writes, guard.ddl = user, writes, ddl
    try:
        yield
    finally:
        guard.active = False


def _explain(exc: sqlite3.Error, guard: _Guard, what: str) -> str:
    """The message a failed statement gives the model."""
    if guard.denied:
        return f"{what} was refused: {guard.denied}"
    if guard.out_of_steps:
        return (f"{what} stopped: it needed more than {STEP_BUDGET:,} SQLite steps; narrow "
                "it with WHERE conditions, add LIMIT, or avoid large cross joins")
    if guard.timed_out:
        return (f"{what} stopped after {WALL_SECONDS:g} seconds; narrow it with WHERE "
                "conditions or LIMIT")
    text = str(exc)
    if "too big" in text:
        return (f"{what} failed: a value would be larger than {MAX_VALUE_BYTES} bytes")
    if "full" in text:
        return f"{what} failed: the database would grow past {MAX_DB_BYTES} bytes"
    hint = ""
    if "no such table" in text:
        hint = " (db.list_tables lists the tables)"
    elif "no such column" in text:
        hint = " (db.describe_table lists a table's columns)"
    return f"{what} failed: {text}{hint}"


def _first_keyword(sql: str) -> str:
    """The statement's first keyword, upper-cased, after spaces and comments."""
    i, n = 0, len(sql)
    while i < n:
        if sql[i].isspace():
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            break
    j = i
    while j < n and (sql[j].isascii() and (sql[j].isalpha() or sql[j] == "_")):
        j += 1
    return sql[i:j].upper()


def _shown(value: Any) -> Any:
    """A value as an answer shows it (JSON-safe, long text cut)."""
    if isinstance(value, bytes):
        head = value[:32].hex()
        return f"x'{head}'" if len(value) <= 32 else f"x'{head}...' ({len(value)} bytes)"
    if isinstance(value, float) and not math.isfinite(value):
        return "Infinity" if value > 0 else "-Infinity" if value < 0 else None
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return value[:MAX_CELL_CHARS] + f"... [{len(value) - MAX_CELL_CHARS} more characters]"
    return value


def _collect(cursor: sqlite3.Cursor, max_rows: int) -> dict[str, Any]:
    columns = [d[0] for d in cursor.description or ()]
    rows: list[list[Any]] = []
    size = len(json.dumps(columns))
    truncated = False
    for row in cursor:
        if len(rows) >= max_rows:
            truncated = True
            break
        shown = [_shown(v) for v in row]
        size += len(json.dumps(shown, ensure_ascii=False)) + 1
        if size > MAX_OUTPUT_CHARS:
            truncated = True
            break
        rows.append(shown)
    return {"columns": columns, "rows": rows, "row_count": len(rows), "truncated": truncated}


def _params(params: Sequence[ParamValue] | None) -> tuple[Any, ...]:
    values = tuple(params or ())
    if len(values) > MAX_PARAMS:
        raise ToolError(f"at most {MAX_PARAMS} parameters")
    if any(isinstance(v, str) and len(v) > MAX_VALUE_BYTES for v in values):
        raise ToolError(f"a parameter is longer than {MAX_VALUE_BYTES} characters")
    return values


def _check_sql(sql: str) -> str:
    if not sql.strip():
        raise ToolError("sql is empty; give one SQL statement")
    if len(sql) > MAX_SQL_CHARS:
        raise ToolError(f"sql is longer than {MAX_SQL_CHARS} characters")
    if "\x00" in sql:
        raise ToolError("sql contains a NUL character")
    return _first_keyword(sql)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- module helpers (families and graders) -------------------------------------------------


def database_bytes(schema: Sequence[str],
                   rows: Mapping[str, Sequence[Sequence[SqlValue]]] | None = None) -> bytes:
    """The bytes of a new SQLite database: ``schema``'s statements run in order, then
    ``rows`` inserted (table name -> rows, each a full row in column order, inserted in
    the order given). The same arguments always give the same bytes.

    Raises:
        ValueError: a statement or row SQLite rejects, or a database over ``MAX_DB_BYTES``.
    """
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        conn.execute("BEGIN")
        for statement in schema:
            conn.execute(statement)
        for table, values in (rows or {}).items():
            if not values:
                continue
            marks = ", ".join("?" * len(values[0]))
            conn.executemany(f"INSERT INTO {_quoted(table)} VALUES ({marks})", values)
        conn.execute("COMMIT")
        data = conn.serialize()
    except (sqlite3.Error, ValueError) as exc:
        raise ValueError(f"cannot build the database: {exc}") from None
    finally:
        conn.close()
    if len(data) > MAX_DB_BYTES:
        raise ValueError(f"the database has {len(data)} bytes, more than {MAX_DB_BYTES}")
    return data


def read_rows(data: bytes, sql: str, params: Sequence[SqlValue] = (), *, now: datetime,
              max_rows: int = 10_000) -> list[tuple[SqlValue, ...]]:
    """Rows of a read-only query on database bytes, for graders (``GradeContext.read_bytes``
    gives the bytes). The same sandbox as ``db.query``: reads only, the step budget,
    'now' is ``now``.

    Raises:
        GradeError: not a SQLite database, a query that fails or is refused, or more than
            ``max_rows`` rows.
    """
    try:
        conn, guard = _connect(data, now, writable=False)
    except ValueError as exc:
        raise GradeError(str(exc)) from None
    try:
        with _statement(guard, user=True):
            cursor = conn.execute(sql, tuple(params))
            found = cursor.fetchmany(max_rows + 1)
    except (sqlite3.Error, ValueError, OverflowError) as exc:
        raise GradeError(_explain(exc, guard, "the query")
                         if isinstance(exc, sqlite3.Error) else str(exc)) from None
    finally:
        conn.close()
    if len(found) > max_rows:
        raise GradeError(f"the query gives more than {max_rows} rows")
    return [tuple(row) for row in found]


# -- the app ---------------------------------------------------------------------------------


class DbApp(App):
    """A SQLite database. Read it with SQL (db.query); where the task allows, change it
    with db.execute. Answers are JSON: column names and rows as lists of values."""

    name = "db"
    blocking = True  # a statement may run until its step budget or WALL_SECONDS stops it

    @property
    def settings(self) -> DbStore:
        existing = self.world.stores.get("db")
        return existing if isinstance(existing, DbStore) else DbStore()

    @tool(read_only=True, concurrent=False)
    def list_tables(self) -> dict[str, Any]:
        """The database's tables and views, by name, with each table's row count."""
        conn, guard = self._open(writable=False)
        try:
            with _statement(guard, user=False):
                found = conn.execute(
                    "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").fetchall()
            tables = []
            for name, kind in found:
                tables.append({"name": name, "type": kind,
                               "rows": self._count(conn, guard, name) if kind == "table"
                               else None})
        except sqlite3.Error as exc:
            raise ToolError(_explain(exc, guard, "reading the schema")) from None
        finally:
            conn.close()
        return {"path": self.settings.path, "tables": tables}

    @tool(read_only=True, concurrent=False)
    def describe_table(self, table: str) -> dict[str, Any]:
        """One table or view: its columns (name, declared type, not null, default, position
        in the primary key), foreign keys, indexes, row count and CREATE statement.

        Args:
            table: the table's or view's name, as db.list_tables shows it.
        """
        conn, guard = self._open(writable=False)
        try:
            with _statement(guard, user=False):
                found = conn.execute(
                    "SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND lower(name) = lower(?)", (table.strip(),)).fetchone()
                if found is None:
                    raise ToolError(f"no table or view named {table!r}; db.list_tables lists "
                                    "them")
                name, kind, sql = found
                columns = [
                    {"name": col, "type": decl, "not_null": bool(notnull), "default": default,
                     "primary_key": pk or None}
                    for _, col, decl, notnull, default, pk in conn.execute(
                        "SELECT * FROM pragma_table_info(?)", (name,))]
                keys = [
                    {"column": src, "references": f"{ref}({to})" if to else ref,
                     "on_update": on_update, "on_delete": on_delete}
                    for _, _, ref, src, to, on_update, on_delete, _ in conn.execute(
                        "SELECT * FROM pragma_foreign_key_list(?)", (name,))]
                indexes = []
                for _, index, unique, origin, _ in conn.execute(
                        "SELECT * FROM pragma_index_list(?) ORDER BY name", (name,)).fetchall():
                    cols = [c for _, _, c in conn.execute(
                        "SELECT * FROM pragma_index_info(?)", (index,))]
                    indexes.append({"name": index, "unique": bool(unique), "columns": cols,
                                    "origin": {"c": "create index", "u": "unique constraint",
                                               "pk": "primary key"}.get(origin, origin)})
            rows = self._count(conn, guard, name) if kind == "table" else None
        except sqlite3.Error as exc:
            raise ToolError(_explain(exc, guard, "reading the schema")) from None
        finally:
            conn.close()
        return {"name": name, "type": kind, "rows": rows, "columns": columns,
                "foreign_keys": keys, "indexes": indexes, "sql": sql}

    @tool(read_only=True, concurrent=False)
    def query(self, sql: str, params: list[ParamValue] | None = None,
              max_rows: int = 100) -> dict[str, Any]:
        """Run one read-only SQL statement (SELECT, WITH ... SELECT, VALUES or EXPLAIN) and
        return {"columns": [...], "rows": [[...], ...], "row_count": n, "truncated": bool}.
        truncated means more rows matched than were returned: narrow the query or page
        with LIMIT and OFFSET. 'now' is the current date and time of the task.

        Args:
            sql: one SQL statement, e.g. "SELECT region, sum(total) FROM orders GROUP BY
                region ORDER BY region".
            params: values for the statement's ? placeholders, in order.
            max_rows: most rows to return (1-500).
        """
        keyword = _check_sql(sql)
        if keyword not in _READ_KEYWORDS:
            writes = "db.execute" if self.settings.allow_writes else "nothing (this database " \
                "is read-only)"
            raise ToolError(f"db.query runs SELECT, WITH, VALUES or EXPLAIN statements only, "
                            f"not {keyword or 'this'}; changes go through {writes}")
        if not 1 <= max_rows <= MAX_ROWS:
            raise ToolError(f"max_rows must be between 1 and {MAX_ROWS}")
        values = _params(params)
        conn, guard = self._open(writable=False)
        try:
            with _statement(guard, user=True):
                return _collect(conn.execute(sql, values), max_rows)
        except sqlite3.Error as exc:
            raise ToolError(_explain(exc, guard, "the query")) from None
        except OverflowError:
            raise ToolError("a parameter is too large for SQLite") from None
        finally:
            conn.close()

    @tool
    def execute(self, sql: str, params: list[ParamValue] | None = None) -> dict[str, Any]:
        """Change the database with one INSERT, UPDATE or DELETE statement (and CREATE,
        ALTER or DROP where the task allows schema changes), committed at once. Returns
        {"changed_rows": n, "last_insert_rowid": id or null}, plus "columns" and "rows"
        for a RETURNING clause. changed_rows counts the rows the statement itself changed
        (not those changed by triggers or ON DELETE CASCADE). Foreign keys are enforced.

        Args:
            sql: one SQL statement, e.g. "UPDATE orders SET status = ? WHERE id = ?".
            params: values for the statement's ? placeholders, in order.
        """
        settings = self.settings
        if not settings.allow_writes:
            raise ToolError("this database is read-only in this task; read it with db.query")
        keyword = _check_sql(sql)
        allowed = _WRITE_KEYWORDS + (_DDL_KEYWORDS if settings.allow_ddl else ())
        if keyword not in allowed:
            if keyword in _DDL_KEYWORDS:
                raise ToolError("schema changes (CREATE, ALTER, DROP) are not allowed in this "
                                "task; INSERT, UPDATE and DELETE are")
            if keyword in _READ_KEYWORDS:
                raise ToolError("db.execute changes data; read with db.query")
            raise ToolError(f"db.execute runs {', '.join(allowed)} statements, not "
                            f"{keyword or 'this'}")
        values = _params(params)
        conn, guard = self._open(writable=True)
        try:
            with _statement(guard, user=False):
                conn.execute("BEGIN")
            with _statement(guard, user=True, writes=True, ddl=settings.allow_ddl):
                cursor = conn.execute(sql, values)
                returned = _collect(cursor, MAX_ROWS) if cursor.description else None
                for _ in cursor:  # a RETURNING clause runs to its end before it counts
                    pass
            with _statement(guard, user=False):
                changed = int(conn.execute("SELECT changes()").fetchone()[0])
                conn.execute("COMMIT")
            # rows the statement itself changed, as SQLite's changes() counts them: not
            # those that triggers or foreign-key actions changed in turn
            inserted = cursor.lastrowid if keyword in ("INSERT", "REPLACE") else (
                cursor.lastrowid or None)
            result: dict[str, Any] = {"changed_rows": changed,
                                      "last_insert_rowid": inserted}
            data = conn.serialize()
        except sqlite3.Error as exc:
            raise ToolError(_explain(exc, guard, "the statement")) from None
        except OverflowError:
            raise ToolError("a parameter is too large for SQLite") from None
        finally:
            conn.close()
        if len(data) > MAX_DB_BYTES:
            raise ToolError(f"the database would grow past {MAX_DB_BYTES} bytes")
        self.world.write_file(settings.path, data)
        if returned is not None:
            result.update(columns=returned["columns"], rows=returned["rows"])
        return result

    # -- helpers -------------------------------------------------------------------------

    def _open(self, *, writable: bool) -> tuple[sqlite3.Connection, _Guard]:
        path = self.settings.path
        try:
            data = self.world.read_file(path, MAX_DB_BYTES)
        except ToolError as exc:
            raise ToolError(f"cannot open the database {path}: {exc}") from None
        try:
            return _connect(data, self.world.now, writable=writable)
        except ValueError as exc:
            raise ToolError(f"cannot open the database {path}: {exc}") from None

    def _count(self, conn: sqlite3.Connection, guard: _Guard, table: str) -> int | None:
        """A table's row count, or None where counting fails (an unknown virtual table)."""
        try:
            with _statement(guard, user=False):
                return int(conn.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()[0])
        except sqlite3.Error:
            return None


def world_rows(world: World, sql: str, params: Sequence[SqlValue] = (),
               *, max_rows: int = 10_000) -> list[tuple[SqlValue, ...]]:
    """``read_rows`` on the world's database (the path its db store names), for graders.

    Raises:
        GradeError: the file is missing, a link, too large, or not a database, or the
            query fails.
    """
    existing = world.stores.get("db")
    path = existing.path if isinstance(existing, DbStore) else DbStore().path
    try:
        data = world.read_file(path, MAX_DB_BYTES)
    except ToolError as exc:
        raise GradeError(f"cannot read the database {path}: {exc}") from None
    return read_rows(data, sql, params, now=world.now, max_rows=max_rows)
