"""memory: the agent's own key-value notes, kept for the rest of the episode.

Keys are short texts (``trip/budget``, ``owes:vera``); a ``/`` or ``:`` in them is just a
character, but listing by prefix makes it a folder. Values are text (JSON, if the agent
wants structure). The store keeps its entries sorted by key, so the world digest depends
only on what is stored, not on the order it was written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from workgym.core import App, Store, ToolError, tool

__all__ = ["MemoryApp", "MemoryStore", "build_memory"]

MAX_KEY = 200
MAX_VALUE = 20_000
MAX_ENTRIES = 1_000
MAX_STORE_CHARS = 1_000_000
"""Most characters of keys and values the memory holds."""
MAX_MANY = 50
MAX_RESULTS = 100
_PREVIEW = 80

KeyText = Annotated[str, Field(min_length=1, max_length=MAX_KEY)]
Keys = Annotated[list[KeyText], Field(min_length=1, max_length=MAX_MANY)]
Value = Annotated[str, Field(max_length=MAX_VALUE)]
Limit = Annotated[int, Field(ge=1, le=MAX_RESULTS)]
Offset = Annotated[int, Field(ge=0)]


class MemoryStore(Store):
    """Key -> value, sorted by key."""

    entries: dict[str, str] = Field(default_factory=dict)

    def put(self, key: str, value: str) -> None:
        """Store a value, keeping the entries sorted (for tools and families)."""
        self.entries[key] = value
        self.entries = dict(sorted(self.entries.items()))


def build_memory(entries: Mapping[str, str]) -> MemoryStore:
    """A memory holding ``entries`` (notes a family leaves from an earlier session).

    Raises:
        ValueError: a key or value the tools would refuse, or too many entries.
    """
    store = MemoryStore()
    for key, value in entries.items():
        if _key_problem(key) or len(value) > MAX_VALUE:
            raise ValueError(f"memory entry {key!r}: {_key_problem(key) or 'value too long'}")
        store.entries[key] = value
    if len(store.entries) > MAX_ENTRIES:
        raise ValueError(f"a memory holds at most {MAX_ENTRIES} entries")
    store.entries = dict(sorted(store.entries.items()))
    return store


def _key_problem(key: str) -> str | None:
    if not key or key != key.strip():
        return "a key must not be empty or start or end with spaces"
    if len(key) > MAX_KEY:
        return f"a key has at most {MAX_KEY} characters"
    if not key.isprintable():
        return "a key cannot hold line breaks, tabs or other control characters"
    return None


class MemoryApp(App):
    """Your own memory: text values under keys such as "trip/budget", kept for the rest of
    the task. Nobody else reads or writes it."""

    name = "memory"

    @property
    def store(self) -> MemoryStore:
        return self.world.store("memory", MemoryStore)

    @tool(read_only=True)
    def get(self, key: KeyText) -> dict[str, Any]:
        """The value stored under a key.

        Returns ``{"key", "value"}``.

        Args:
            key: the key, exactly as it was set.
        """
        value = self.store.entries.get(key)
        if value is None:
            raise ToolError(f"nothing is stored under {key!r}; list_keys shows the keys")
        return {"key": key, "value": value}

    @tool(read_only=True)
    def get_many(self, keys: Keys) -> dict[str, Any]:
        """The values under several keys at once (up to 50); keys with nothing stored are
        listed as missing rather than failing the call.

        Returns ``{"values": {key: value}, "missing": [key]}``, both in the order given.

        Args:
            keys: the keys to read.
        """
        entries = self.store.entries
        values: dict[str, str] = {}
        missing: list[str] = []
        for key in keys:
            if key in entries:
                values[key] = entries[key]
            elif key not in missing:
                missing.append(key)
        return {"values": values, "missing": missing}

    @tool(read_only=True)
    def list_keys(self, prefix: Annotated[str, Field(max_length=MAX_KEY)] = "",
                  limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        """The keys, sorted, optionally only those starting with a prefix, each with the
        length of its value and its first 80 characters.

        Returns ``{"total", "offset", "results": [{key, size, preview}]}``.

        Args:
            prefix: only keys starting with this (case-sensitive), e.g. "trip/".
            limit: most keys to return (1-100).
            offset: keys to skip, for the next page.
        """
        rows = [{"key": k, "size": len(v), "preview": v[:_PREVIEW]}
                for k, v in self.store.entries.items() if k.startswith(prefix)]
        return {"total": len(rows), "offset": offset, "results": rows[offset:offset + limit]}

    @tool(idempotent=True)
    def set(self, key: KeyText, value: Value) -> dict[str, Any]:
        """Store a value under a key, replacing what was there.

        Returns ``{"key", "created", "size"}``: created is false when the key held a value
        before.

        Args:
            key: up to 200 characters, no line breaks, e.g. "trip/budget".
            value: the text to keep (at most 20000 characters).
        """
        problem = _key_problem(key)
        if problem:
            raise ToolError(f"{problem}; got {key!r}")
        store = self.store
        old = store.entries.get(key)
        if old is None and len(store.entries) >= MAX_ENTRIES:
            raise ToolError(f"memory holds {MAX_ENTRIES} keys, the most it can; delete some")
        used = sum(len(k) + len(v) for k, v in store.entries.items())
        more = len(value) - (len(old) if old is not None else -len(key))
        if used + more > MAX_STORE_CHARS:
            raise ToolError(f"memory holds {MAX_STORE_CHARS} characters, the most it can; "
                            "delete some keys")
        store.put(key, value)
        return {"key": key, "created": old is None, "size": len(value)}

    @tool(idempotent=True)
    def delete(self, key: KeyText) -> str:
        """Forget a key and its value.

        Args:
            key: the key, exactly as it was set.
        """
        store = self.store
        if key not in store.entries:
            raise ToolError(f"nothing is stored under {key!r}; list_keys shows the keys")
        del store.entries[key]
        return f"deleted {key!r}"
