"""Near-miss probes: the reference solution with one required item wrong, missing or
repeated. A grader that still gives full credit accepts what the task forbids."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from workgym.core import ToolCall

Kind = Literal["wrong", "missing", "repeated"]
KINDS: tuple[Kind, ...] = ("wrong", "missing", "repeated")


@dataclass(frozen=True)
class Probe:
    """A changed reference plan and what was changed."""

    kind: Kind
    plan: tuple[ToolCall, ...]
    description: str


def _bump_char(ch: str) -> str:
    if ch.isdigit():
        return str((int(ch) + 1) % 10)
    if ch.isalpha():
        base = "a" if ch.islower() else "A"
        return chr(ord(base) + (ord(ch.lower()) - ord("a") + 1) % 26) if ch.isascii() else "x"
    return ch


def wrong(value: Any) -> Any:
    """A near miss of ``value``: the last digit (else the last letter) of a text changed,
    a number off by one, a flag flipped, the last element of a list made wrong."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        for pick in (str.isdigit, str.isalpha):
            spots = [n for n, ch in enumerate(value) if pick(ch)]
            if spots:
                n = spots[-1]
                return value[:n] + _bump_char(value[n]) + value[n + 1:]
        return value + "x"
    if isinstance(value, list) and value:
        return [*value[:-1], wrong(value[-1])]
    if isinstance(value, dict) and value:
        last = list(value)[-1]
        return {**value, last: wrong(value[last])}
    return None


def _units(value: Any, chosen: tuple[Any, ...]) -> list[int]:
    """Positions of the items of an argument: non-blank lines of a text, elements of a
    list, entries of a dict; limited to ``chosen`` when it names them."""
    if isinstance(value, str):
        parts: list[Any] = value.split("\n")
        return [n for n, line in enumerate(parts) if line.strip()
                and (not chosen or line.strip() in {str(c).strip() for c in chosen})]
    if isinstance(value, list):
        return [n for n, item in enumerate(value) if not chosen or item in chosen]
    if isinstance(value, dict):
        keys = list(value)
        return [n for n, key in enumerate(keys) if not chosen or key in chosen]
    return []


def _change(value: Any, position: int, kind: Kind) -> tuple[Any, str] | None:
    """``value`` with its item at ``position`` made wrong, dropped or repeated."""
    if isinstance(value, str):
        lines = value.split("\n")
        item = lines[position]
        if kind == "wrong":
            lines[position] = wrong(item)
        elif kind == "missing":
            del lines[position]
        else:
            lines.insert(position + 1, item)
        return "\n".join(lines), f"line {item.strip()[:80]!r}"
    if isinstance(value, list):
        items = copy.deepcopy(value)
        item = items[position]
        if kind == "wrong":
            items[position] = wrong(item)
        elif kind == "missing":
            del items[position]
        else:
            items.insert(position + 1, copy.deepcopy(item))
        return items, f"element {str(item)[:80]}"
    if isinstance(value, dict):
        if kind == "repeated":
            return None  # a dict cannot hold a key twice
        key = list(value)[position]
        entries = dict(value)
        if kind == "wrong":
            entries[key] = wrong(entries[key])
        else:
            del entries[key]
        return entries, f"entry {key!r}"
    return None


def probes(plan: Sequence[ToolCall], pick: int) -> Iterator[Probe]:
    """Every near-miss probe of ``plan``: for each argument that a call declares in
    ``ToolCall.items``, one item (chosen by ``pick``) made wrong, dropped and repeated. A
    scalar argument is made wrong, and dropped by dropping its call."""
    for index, call in enumerate(plan):
        for arg, chosen in call.items.items():
            if arg not in call.args:
                continue
            value = call.args[arg]
            where = f"{call.name} #{index + 1} argument {arg!r}"
            if isinstance(value, str | list | dict):
                units = _units(value, tuple(chosen))
                if not units:
                    continue
                position = units[pick % len(units)]
                for kind in KINDS:
                    changed = _change(value, position, kind)
                    if changed is not None:
                        new, what = changed
                        step = replace(call, args={**call.args, arg: new})
                        yield Probe(kind, (*plan[:index], step, *plan[index + 1:]),
                                    f"{what} of {where} {kind}")
            else:
                bad = wrong(value)
                if bad is not None and bad != value:
                    step = replace(call, args={**call.args, arg: bad})
                    yield Probe("wrong", (*plan[:index], step, *plan[index + 1:]),
                                f"{where} {value!r} made wrong ({bad!r})")
                yield Probe("missing", (*plan[:index], *plan[index + 1:]),
                            f"{where} missing (the call dropped)")
