"""Property-based fuzzing of every tool of every registered app (App.registry, so apps
added later are fuzzed too): random and hostile arguments never raise out of
``Episode.call``, never end as an "internal" error, never show the host workspace path,
and leave a world whose digest still computes.

The default run keeps a few examples per tool; ``-m slow`` runs the deep profile.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.sheets import workbook_bytes
from workgym.core import App, Episode, Task, TaskSpec, ToolSpec, WorldTemplate

HOSTILE: list[Any] = [
    None, True, 0, -1, -(2**63), 2**63, 10**30, 1e308, -1e308, float("nan"), float("inf"),
    "", " ", ".", "..", "/", "../../etc/passwd", "/etc/passwd", "a/../../b", "notes/../..",
    "~/x", "\\\\host\\share", "C:\\x", "pipe.txt", "link.txt", "notes", "notes/a.txt/x",
    "book.xlsx", "\x00", "a\x00b", "\ud800", "\u202egnp.exe", "e\u0301", "\U0001f600" * 50,
    "\u200b", "Ａ１", "A" * 100_000, "9" * 5000, "\n" * 20_000, "XFD1048576", "A1:XFD1048576",
    "=1/0", "(a+)+$", "[", "*", "%s%n", "' OR 1=1 --", "m0001", "ev0001", "SELECT 1",
    [], {}, [None], {"": None}, [[[[[]]]]],
]

_TEXT = st.one_of(st.text(max_size=40), st.sampled_from(
    [h for h in HOSTILE if isinstance(h, str)]))
_NAMED = {
    # a parameter named like these gets things that exist in the world half of the time
    "path": ["notes/a.txt", "data.csv", "book.xlsx", "new/out.txt", "new.xlsx", "pipe.txt",
             "link.txt", "notes", "notes/a.txt/x", "book.xlsx/x"],
    "sheet": ["Sheet1", "Other", "Sheet1 "],
    "id": ["m0001", "ev0001", "1", "x"],
    "to": ["someone@example.org", "not an address", "a@b"],
    "email": ["someone@example.org", "x"],
    "start": ["2026-03-02T10:00", "2026-03-02", "9999-12-31T23:00", "0001-01-01T00:00"],
    "end": ["2026-03-02T11:00", "2026-03-03", "9999-12-31T23:59"],
    "timezone": ["UTC", "Europe/Berlin", "../../etc/passwd", "Pacific/Kiritimati"],
    "range": ["A1:C3", "A:C", "2:5", "XFD1048576", "A1:XFD1048576"],
    "command": ["ls -la", "cat pipe.txt", "echo hi > out.txt", "pwd; ls /"],
    "pattern": ["hello", "(a+)+$", "[", "h.*o"],
}


def _named(name: str) -> st.SearchStrategy[Any] | None:
    lowered = name.casefold()
    for key, pool in _NAMED.items():
        if key == lowered or lowered.endswith(f"_{key}") or lowered.startswith(f"{key}_"):
            return st.sampled_from(pool)
    return None


def _value(schema: dict[str, Any], depth: int = 0, name: str = "") -> st.SearchStrategy[Any]:
    """Schema-valid values most of the time, hostile ones (wrong types included) often."""
    hostile = st.sampled_from(HOSTILE)
    if depth > 3:
        return hostile
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return st.one_of(*(_value(o, depth + 1, name) for o in options), hostile)
    if "enum" in schema:
        return st.one_of(st.sampled_from(schema["enum"]), hostile)
    kind = schema.get("type")
    valid: st.SearchStrategy[Any]
    named = _named(name)
    if kind == "string":
        valid = _weighted((2, named), (1, _TEXT)) if named is not None else _TEXT
    elif kind == "integer":
        valid = st.integers(min_value=-10, max_value=10**6)
    elif kind == "number":
        valid = st.floats(allow_nan=True, allow_infinity=True)
    elif kind == "boolean":
        valid = st.booleans()
    elif kind == "null":
        valid = st.none()
    elif kind == "array":
        valid = st.lists(_value(schema.get("items", {}), depth + 1, name), max_size=4)
    elif kind == "object":
        extra = schema.get("additionalProperties")
        item = extra if isinstance(extra, dict) else {}
        keys = st.one_of(_TEXT, st.sampled_from(["A1", "B2", "IV10000", "XFD1048576"]))
        valid = st.dictionaries(keys, _value(item, depth + 1), max_size=4)
    else:
        valid = st.one_of(_TEXT, st.integers(), st.none())
    return _weighted((4, valid), (1, hostile))


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of ``choices``, each drawn in proportion to its weight (``one_of`` would
    treat repeated branches as one)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def _arguments(spec: ToolSpec) -> st.SearchStrategy[Any]:
    props = spec.parameters.get("properties", {})
    required = set(spec.parameters.get("required", []))
    args = st.fixed_dictionaries(
        {name: _value(prop, name=name) for name, prop in props.items() if name in required},
        optional={name: _value(prop, name=name) for name, prop in props.items()
                  if name not in required})
    raw_json = st.sampled_from(['{"path": ', "[" * 5000, '{"a": 1' + "0" * 5000 + "}",
                                "null", "[]", '"text"', "{}"])
    extra = args.map(lambda a: {**a, "unexpected": 1})
    return _weighted((12, args), (1, extra), (1, raw_json),
                     (1, st.sampled_from([None, [], "x", 5])))


def _book() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["Date", "Amount", "Note"])
    ws.append(["2026-03-01", 12.5, "lunch"])
    return workbook_bytes(wb)


def _start() -> Episode:
    apps = tuple(sorted(App.registry))
    files = {"notes/a.txt": b"hello\nworld\n", "data.csv": b"a,b\n1,2\n", "book.xlsx": _book()}
    task = Task(spec=TaskSpec(family="tests/fuzz", version=1, seed=0), prompt="", apps=apps,
                criteria=(), reference=(),
                template=WorldTemplate(now=datetime(2026, 3, 2, 9, tzinfo=UTC), files=files))
    ep = task.start()
    os.mkfifo(ep.world.workspace / "pipe.txt")
    os.symlink("/etc/passwd", ep.world.workspace / "link.txt")
    return ep


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging) when a call blocks, e.g. on the FIFO."""
    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"a tool call blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


TOOLS = sorted((spec for cls in App.registry.values() for spec in cls.tool_specs().values()),
               key=lambda s: s.name)


def _fuzz(spec: ToolSpec, examples: int) -> None:
    ep = _start()
    host = str(ep.world.workspace)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(args=_arguments(spec))
    def call(args: Any) -> None:
        with _deadline(90):
            result = ep.call(spec.name, args)
        record = ep.calls[-1]
        assert record.error != "internal", (args, result.text[:500])
        assert result.ok == (record.error is None)
        assert host not in result.text, result.text[:500]

    try:
        call()
        assert len(ep.world.digest()) == 64  # the world still digests
    finally:
        ep.close()


@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_every_tool_survives_hostile_arguments(spec: ToolSpec) -> None:
    _fuzz(spec, examples=12 if spec.app != "terminal" else 4)


@pytest.mark.slow
@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_every_tool_survives_hostile_arguments_deep(spec: ToolSpec) -> None:
    _fuzz(spec, examples=200 if spec.app != "terminal" else 30)
