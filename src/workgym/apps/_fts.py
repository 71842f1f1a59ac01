"""Full-text search for the apps: an SQLite FTS5 index over a store's records.

The index lives in an in-memory SQLite database owned by one app instance (one episode).
The caller hands over the current rows on every search: an unchanged tuple of the same
strings compares equal at once and the index is used as it is; rows that changed or were
added (the usual case after a write) are patched in; anything else rebuilds it. Ranking is FTS5's BM25 (``bm25()``, best first) with ties broken by the
row's position in the order the caller gave, so the same store and query always give the
same order, however the index got to its state.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from workgym.apps.mail import tokens
from workgym.core import ToolError

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_TERMS", "TextIndex", "fts_query",
           "matches_terms", "word_terms"]

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
# The same tokenizer for the indexed text and the query: case- and accent-folded words.
_TOKENIZER = "unicode61 remove_diacritics 2"
_SNIPPET_TOKENS = 16


def word_terms(query: str) -> list[tuple[str, bool]]:
    """(word, is a prefix) for every word of a query matched against a record's own words
    (the small lists, such as a directory, that need no ranked index).

    Raises:
        ToolError: a query that is too long or has words but no letters or digits.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise ToolError(f"query is longer than {MAX_QUERY_CHARS} characters")
    wanted: list[tuple[str, bool]] = []
    for word in query.split():
        parts = tokens(word.rstrip("*"))
        prefix = word.endswith("*")
        wanted.extend((part, prefix and i == len(parts) - 1) for i, part in enumerate(parts))
    if query.strip() and not wanted:
        raise ToolError(f"query {query!r} has no words to search for; give letters or digits")
    return wanted


def matches_terms(text: str, wanted: list[tuple[str, bool]]) -> bool:
    """Whether every wanted word is a word of ``text`` (or, for a prefix, starts one)."""
    words = _word_set(text)
    return all(word in words if not prefix else any(w.startswith(word) for w in words)
               for word, prefix in wanted)


@lru_cache(maxsize=8192)
def _word_set(text: str) -> frozenset[str]:
    # directory records are matched again on every search; their words rarely change
    return frozenset(tokens(text))


def fts_query(query: str) -> str:
    """The FTS5 query for words a model typed: every word must match (AND), each as a
    quoted phrase so no FTS5 syntax can be injected; a word ending in ``*`` matches as a
    prefix.

    Raises:
        ToolError: a query that is too long, has too many words, or has no words at all.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise ToolError(f"query is longer than {MAX_QUERY_CHARS} characters; use a few "
                        "distinctive words")
    # control characters (NUL among them) separate words, as they do in the indexed text
    words = "".join(ch if ch.isprintable() else " " for ch in query).split()
    if len(words) > MAX_QUERY_TERMS:
        raise ToolError(f"query has more than {MAX_QUERY_TERMS} words; use fewer")
    phrases = []
    for word in words:
        prefix = word.endswith("*")
        text = word.rstrip("*")
        if not any(ch.isalnum() for ch in text):
            continue
        phrases.append('"' + text.replace('"', '""') + '"' + ("*" if prefix else ""))
    if not phrases:
        raise ToolError(f"query {query!r} has no words to search for; give letters or digits")
    return " AND ".join(phrases)


class TextIndex:
    """A full-text index over rows of text columns, cached while the rows stay the same.

    Args:
        columns: the number of text columns of every row.
        weights: BM25 weight of each column (a title can count more than a body).
        snippet_column: the column snippets are cut from; -1 lets FTS5 pick the column
            that matches best.
    """

    def __init__(self, columns: int, weights: Sequence[float] | None = None,
                 snippet_column: int = -1) -> None:
        if columns < 1:
            raise ValueError("an index needs at least one column")
        weights = tuple(weights) if weights is not None else (1.0,) * columns
        if len(weights) != columns:
            raise ValueError(f"give one weight per column ({columns}), got {len(weights)}")
        if not -1 <= snippet_column < columns:
            raise ValueError(f"snippet_column must be between -1 and {columns - 1}")
        self._columns = columns
        self._weights = ", ".join(repr(float(w)) for w in weights)
        self._snippet_column = snippet_column
        self._rows: tuple[tuple[str, ...], ...] | None = None
        self._db: sqlite3.Connection | None = None
        # concurrent read tools of one episode may search at once; the cache is shared
        self._lock = threading.Lock()

    def search(self, rows: Sequence[tuple[str, ...]], query: str) -> list[int]:
        """Positions of the rows matching every word of ``query``, best first, ties in
        the rows' order.

        Raises:
            ToolError: a query ``fts_query`` refuses, or one SQLite cannot parse.
        """
        match = fts_query(query)
        with self._lock:
            db = self._sync(tuple(rows))
            found = self._run(db, "SELECT rowid FROM docs WHERE docs MATCH ? "
                              f"ORDER BY bm25(docs, {self._weights}), rowid", (match,), query)
        return [int(rowid) - 1 for (rowid,) in found]

    def snippets(self, rows: Sequence[tuple[str, ...]], query: str,
                 positions: Sequence[int]) -> dict[int, str]:
        """A snippet per row position (of those ``search`` found), the matched words in
        [brackets]; cut only for the rows asked for, since that is the costly part."""
        if not positions:
            return {}
        match = fts_query(query)
        wanted = sorted({p + 1 for p in positions})
        marks = ", ".join("?" for _ in wanted)
        with self._lock:
            db = self._sync(tuple(rows))
            found = self._run(
                db, f"SELECT rowid, snippet(docs, {self._snippet_column}, '[', ']', '...', "
                f"{_SNIPPET_TOKENS}) FROM docs WHERE docs MATCH ? AND rowid IN ({marks})",
                (match, *wanted), query)
        return {int(rowid) - 1: str(snippet) for rowid, snippet in found}

    @staticmethod
    def _run(db: sqlite3.Connection, sql: str, args: tuple[Any, ...], query: str) -> list[Any]:
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            raise ToolError(f"query {query!r} could not be searched; use plain words") from None

    def _sync(self, rows: tuple[tuple[str, ...], ...]) -> sqlite3.Connection:
        """The index, brought up to ``rows``: unchanged, patched where rows changed or were
        added (the usual case after a write), or rebuilt."""
        old = self._rows
        if self._db is not None and old is not None and rows == old:
            return self._db
        for row in rows:
            if len(row) != self._columns:
                raise ValueError(f"every row needs {self._columns} columns, got {len(row)}")
        def clean(row: tuple[str, ...]) -> tuple[str, ...]:
            # SQLite's snippet() stops at a NUL; the tokenizer treats it as a space anyway
            return tuple(v.replace("\x00", " ") if "\x00" in v else v for v in row)

        names = ", ".join(f"c{i}" for i in range(self._columns))
        marks = ", ".join("?" for _ in range(self._columns + 1))
        insert = f"INSERT INTO docs(rowid, {names}) VALUES ({marks})"
        if self._db is None:
            self._db = sqlite3.connect(":memory:", check_same_thread=False)
        db = self._db
        with db:
            if old is not None and len(rows) >= len(old):
                # tuples compare element by element, identical strings by identity: cheap
                changed = [i for i in range(len(old)) if rows[i] != old[i]]
                if len(changed) <= len(old) // 2:
                    sets = ", ".join(f"c{i} = ?" for i in range(self._columns))
                    db.executemany(f"UPDATE docs SET {sets} WHERE rowid = ?",
                                   [(*clean(rows[i]), i + 1) for i in changed])
                    db.executemany(insert, [(i + 1, *clean(rows[i]))
                                            for i in range(len(old), len(rows))])
                    self._rows = rows
                    return db
            db.execute("DROP TABLE IF EXISTS docs")
            db.execute(f"CREATE VIRTUAL TABLE docs USING fts5({names}, "
                       f"tokenize = '{_TOKENIZER}')")
            db.executemany(insert, [(i + 1, *clean(row)) for i, row in enumerate(rows)])
        self._rows = rows
        return db
