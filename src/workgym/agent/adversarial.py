"""Adversarial policies: the attacks a grader must defeat, generic over any task.

Each policy acts only through ``Episode.call``, as a trained model could, and knows a
task only through what a model sees: the prompt and the tool schemas (it reads the
world through read tools; ``Task.artifacts`` names the files the task asks for, as the
prompt does). A policy is deterministic given the task and a seed.

- ``do-nothing``: no call, no answer.
- ``answer-only``: no call; a confident final answer.
- ``empty``: empty or whitespace content at every artifact, empty mails to everyone the
  prompt names.
- ``shotgun``: every candidate value found through the read tools, written everywhere
  plausible (every line and record into text artifacts and sheets, every number into
  each ``Key: <...>`` line the prompt asks for, to every address).
- ``tool-spam``: schema-valid random arguments to random tools (seeded).
- ``enumerator``: reads every item of every store, then acts on whatever stands out (an
  item whose status or kind is unique, such as the one cancelled event): books its
  slot, invites everyone, reports it.
- ``grader-crasher``: extreme values (1e308, 5,000-digit numbers, 40,000 newlines,
  megabyte lines, far cells), and wrong kinds at artifact paths (a folder, a file where
  a folder was, a FIFO where the terminal can make one).
- ``tamperer``: edits guarded inputs and restores them, deletes and recreates them.

A sound family scores each at most 0.05 mean dense (``adversarial_table``), while its
reference solution scores 1.0.

Example:
    >>> from workgym.agent.adversarial import ADVERSARIES, adversarial_table
    >>> grade = ADVERSARIES["shotgun"](task, 0)
    >>> rows = adversarial_table("finance/expense-reconciliation-v1", seeds=range(5))
"""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workgym.core import (
    DIFFICULTIES,
    Episode,
    Grade,
    Task,
    ToolResult,
    ToolSpec,
    derive_seed,
    get_family,
)

__all__ = ["ADVERSARIES", "Adversary", "AdversaryRow", "adversarial_table"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.(?:txt|csv|md|json|xlsx|docx|ics))\b")
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,9}(?:\.\d{1,4})?(?![\w])")
_ID = re.compile(r"^[A-Za-z]{1,5}[-_]?\d{2,}$")
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?")
_KEY_LINE = re.compile(r"^\s*([A-Z][A-Za-z ]{0,30}):\s*<([^>]{1,80})>", re.MULTILINE)
_PIPE_LINE = re.compile(r"^\s*([A-Z]{2,12})((?:\s*\|\s*<[^>]{1,40}>)+)\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"<([^>]{1,40})>")

MAX_HARVEST_CALLS = 250
"""Most read calls an attack makes to learn the world."""
SPAM_CALLS = 60


# -- what an attack knows -----------------------------------------------------------------


@dataclass
class _Kit:
    """One attack's view of its episode: the tools, the prompt, what reads returned."""

    ep: Episode
    rng: random.Random
    tools: dict[str, ToolSpec] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=dict)
    """App -> the ids its tools showed."""
    dates: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    sheets: dict[str, list[str]] = field(default_factory=dict)
    """Workbook path -> its sheet names."""
    prompt_paths: list[str] = field(default_factory=list)
    own: str | None = None
    """The agent's own address, where a tool tells it."""
    calls: int = 0
    _seen: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, ep: Episode, rng: random.Random) -> _Kit:
        kit = cls(ep, rng, {spec.name: spec for spec in ep.tool_specs()})
        prompt = ep.task.prompt
        kit._note(kit.addresses, _EMAIL.findall(prompt))
        kit._note(kit.prompt_paths, _PATH.findall(prompt))
        folders = kit.read("mail.list_folders")
        if isinstance(folders, dict) and isinstance(folders.get("address"), str):
            kit.own = folders["address"]
        return kit

    @property
    def prompt(self) -> str:
        return self.ep.task.prompt

    @property
    def artifacts(self) -> list[str]:
        """The files the task asks for: the task's own list, else the paths the prompt
        names that no listing has shown to exist."""
        named = list(dict.fromkeys(self.ep.task.artifacts))
        return named or [p for p in self.prompt_paths if p not in self.files]

    def has(self, name: str) -> bool:
        return name in self.tools

    def call(self, name: str, /, **args: Any) -> ToolResult | None:
        """Call a tool the task offers (None when it offers no such tool)."""
        if name not in self.tools:
            return None
        self.calls += 1
        return self.ep.call(name, args)

    def read(self, name: str, /, **args: Any) -> Any:
        """Call a read tool and learn from its result; the value, or None on an error."""
        result = self.call(name, **args)
        if result is None or not result.ok:
            return None
        self.absorb(result.value, name.partition(".")[0])
        return result.value

    def all_ids(self) -> list[str]:
        return [i for ids in self.ids.values() for i in ids]

    def fill_sequences(self) -> None:
        """Ids like ``ev0007`` are often sequential: add the ones in between, and a few
        past the last, so hidden items (cancelled, archived) are read too."""
        for ids in self.ids.values():
            runs: dict[tuple[str, int], list[int]] = {}
            for i in ids:
                match = re.fullmatch(r"([A-Za-z]+[-_]?)(\d+)", i)
                if match:
                    runs.setdefault((match.group(1), len(match.group(2))), []).append(
                        int(match.group(2)))
            for (prefix, width), numbers in runs.items():
                top = min(max(numbers) + 3, 10 ** width - 1)
                self._note(ids, [f"{prefix}{n:0{width}d}" for n in range(1, top + 1)][:500])

    def _note(self, into: list[str], values: Iterable[str]) -> None:
        # a set beside each list: membership in the list alone is quadratic on big worlds
        seen = self.__dict__.setdefault("_noted", {}).setdefault(
            id(into), (into, set(into)))[1]
        for value in values:
            if value not in seen:
                seen.add(value)
                into.append(value)

    def absorb(self, value: Any, app: str = "") -> None:
        """Learn every path, id, address, date, text and record in a tool's result."""
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                self._record(item, app)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str):
                self._text(item)

    def _record(self, item: dict[str, Any], app: str) -> None:
        scalars = {k: v for k, v in item.items() if isinstance(v, str | int | float | bool)}
        path, kind = item.get("path"), item.get("type")
        if isinstance(path, str) and kind in ("file", "folder"):
            self._note(self.files if kind == "file" else self.folders, [path])
        for key, value in scalars.items():
            if isinstance(value, str) and (key == "id" or key.endswith("_id")) and value:
                self._note(self.ids.setdefault(app, []), [value])
        header, rows = item.get("header"), item.get("rows")
        if isinstance(header, list) and isinstance(rows, list):  # a sheet's range
            for row in rows:
                values = row.get("values") if isinstance(row, dict) else None
                if isinstance(values, list) and row.get("row") != 1:
                    self._add_record({str(h): v for h, v in
                                      zip(header, values, strict=False) if h is not None})
        elif len(scalars) >= 2:
            self._add_record(scalars)

    def _add_record(self, record: dict[str, Any]) -> None:
        key = json.dumps(record, sort_keys=True, default=str)
        if key not in self._seen:
            self._seen.add(key)
            self.records.append(record)

    def _text(self, text: str) -> None:
        if len(text) > 200_000:
            text = text[:200_000]
        self._note(self.addresses, _EMAIL.findall(text))
        self._note(self.dates, _ISO.findall(text))
        if "\n" in text or ":" in text:
            self.texts.append(text)
            pairs = {}
            for line in text.splitlines()[:200]:
                key, sep, rest = line.partition(":")
                if sep and 0 < len(key.strip()) <= 30 and rest.strip():
                    pairs[key.strip()] = rest.strip()
            if len(pairs) >= 2:
                self._add_record(pairs)

    def numbers(self) -> list[str]:
        found: list[str] = []
        for text in [self.prompt, *self.texts]:
            self._note(found, _NUMBER.findall(text))
        for record in self.records:
            self._note(found, [str(v) for v in record.values()
                               if isinstance(v, int | float) and not isinstance(v, bool)])
        return found


def _harvest(kit: _Kit) -> None:
    """Read everything the read tools reach: listings first, then every path and id."""
    if kit.has("files.list"):
        kit.read("files.list", path=".", recursive=True)
    for name, spec in kit.tools.items():
        if spec.read_only and not _required(spec) and name != "files.list":
            limit = spec.parameters.get("properties", {}).get("limit", {})
            kit.read(name, **({"limit": limit["maximum"]} if "maximum" in limit else {}))
    seen: set[tuple[str, str]] = set()
    for round_ in range(3):  # new ids and paths show up in what is read
        if round_ == 1:
            kit.fill_sequences()
        for name, spec in kit.tools.items():
            if not spec.read_only:
                continue
            for args in _read_args(kit, spec):
                key = (name, json.dumps(args, sort_keys=True, default=str))
                if key in seen or kit.calls >= MAX_HARVEST_CALLS:
                    continue
                seen.add(key)
                kit.read(name, **args)


def _required(spec: ToolSpec) -> list[str]:
    return list(spec.parameters.get("required", []))


def _read_args(kit: _Kit, spec: ToolSpec) -> list[dict[str, Any]]:
    """Arguments that point a read tool at each thing known, by parameter name."""
    required = _required(spec)
    props = spec.parameters.get("properties", {})
    if not required:
        return []
    choices: list[dict[str, Any]] = []
    if required == ["path"] or set(required) == {"path"}:
        wanted = ".xlsx" if spec.app == "sheets" else None
        for path in kit.files:
            if wanted and not path.endswith(wanted):
                continue
            if not wanted and path.endswith((".xlsx", ".docx")):
                continue
            choices.append({"path": path})
            if spec.app == "sheets" and "sheet" in props:
                choices += [{"path": path, "sheet": s} for s in kit.sheets.get(path, [])]
    elif len(required) == 1 and (required[0] == "id" or required[0].endswith("_id")):
        choices = [{required[0]: i} for i in kit.ids.get(spec.app, [])]
    elif set(required) >= {"start", "end"}:
        # the dates seen, else today (a model is told the date)
        window = _window(kit.dates or [kit.ep.world.now.date().isoformat()])
        for key in ("calendar", "calendars"):
            if key in required:
                targets = [*kit.addresses, *(str(r.get("name")) for r in kit.records
                                             if "capacity" in r)]
                choices = [{**window, key: t if key == "calendar" else [t]}
                           for t in targets[:30]]
    if spec.name == "sheets.list_sheets":
        for args in choices:
            value = kit.read(spec.name, **args)
            if isinstance(value, list):
                kit.sheets[args["path"]] = [str(s.get("name")) for s in value
                                            if isinstance(s, dict)]
        return []
    return choices


def _window(dates: Sequence[str]) -> dict[str, str]:
    """A window of 360 days around the middle of the dates seen."""
    days = sorted(d[:10] for d in dates)
    try:
        middle = datetime.fromisoformat(days[len(days) // 2])
    except ValueError:
        middle = datetime(2026, 1, 1)
    return {"start": (middle - timedelta(days=180)).date().isoformat(),
            "end": (middle + timedelta(days=180)).date().isoformat()}


# -- what an attack writes ----------------------------------------------------------------


def _key_templates(prompt: str) -> list[str]:
    """The keys of ``Key: <...>`` lines the prompt asks for."""
    return list(dict.fromkeys(key.strip() for key, _ in _KEY_LINE.findall(prompt)))


def _pipe_templates(prompt: str) -> list[tuple[str, list[str]]]:
    """``VERB | <a> | <b>`` line templates: (verb, placeholder names)."""
    return [(verb, _PLACEHOLDER.findall(rest)) for verb, rest in _PIPE_LINE.findall(prompt)]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.casefold()))


def _pick(record: dict[str, Any], placeholder: str) -> Any:
    """The record's field that a placeholder names (by shared words), or None."""
    wanted = _words(placeholder)
    best = None
    for key, value in record.items():
        if _words(str(key)) & wanted and value not in (None, ""):
            best = value if best is None else best
    return best


def _template_lines(kit: _Kit) -> list[str]:
    """Every pipe-template line that any record fills completely."""
    lines: list[str] = []
    for verb, holes in _pipe_templates(kit.prompt):
        for record in kit.records:
            values = [_pick(record, hole) for hole in holes]
            if all(v is not None for v in values):
                lines.append(" | ".join([verb, *(str(v) for v in values)]))
    return list(dict.fromkeys(lines))


def _text_artifacts(kit: _Kit) -> list[str]:
    return [p for p in kit.artifacts if not p.endswith((".xlsx", ".docx"))]


def _sheet_artifacts(kit: _Kit) -> list[str]:
    return [p for p in kit.artifacts if p.endswith(".xlsx")]


def _first_sheet(kit: _Kit, path: str) -> str | None:
    value = kit.read("sheets.list_sheets", path=path)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return str(value[0].get("name"))
    return None


def _targets(kit: _Kit) -> list[str]:
    """Addresses to mail: those the prompt names, else a few that reads showed."""
    own = {(kit.own or next(iter(_EMAIL.findall(kit.prompt)), "")).casefold()}
    named = [a for a in _EMAIL.findall(kit.prompt) if a.casefold() not in own]
    return (named or [a for a in kit.addresses if a.casefold() not in own])[:5]


def _mail(kit: _Kit, body: str, subject: str = "Summary", to: Sequence[str] = ()) -> None:
    for address in to or _targets(kit):
        kit.call("mail.send", to=[address], subject=subject, body=body)


# -- the policies -------------------------------------------------------------------------


def _do_nothing(kit: _Kit) -> str | None:
    return None


def _answer_only(kit: _Kit) -> str | None:
    numbers = _NUMBER.findall(kit.prompt)[:3]
    lines = [f"{key}: {numbers[0] if numbers else 0}" for key in _key_templates(kit.prompt)]
    return "\n".join(["I have completed the task as asked; everything is done.", *lines])


def _empty(kit: _Kit) -> str | None:
    blank = "" if kit.rng.random() < 0.5 else " \n\t\n  \n"
    for path in _text_artifacts(kit):
        kit.call("files.write", path=path, content=blank)
    for path in _sheet_artifacts(kit):
        sheet = _first_sheet(kit, path)
        if sheet is None:
            kit.call("sheets.create_workbook", path=path)
        else:
            kit.call("sheets.append_rows", path=path, sheet=sheet, rows=[[" ", "", " "]])
    _mail(kit, blank, subject=blank)
    return blank


def _shotgun(kit: _Kit) -> str | None:
    _harvest(kit)
    lines = _template_lines(kit)
    seen_lines = list(dict.fromkeys(line.strip() for text in kit.texts
                                    for line in text.splitlines() if line.strip()))
    # half the time only well-formed candidates, so a format check alone cannot stop it
    extra = seen_lines[:3000] if kit.rng.random() < 0.5 or not lines else []
    body = "\n".join([*lines, *extra])[:1_500_000]
    for path in _text_artifacts(kit):
        kit.call("files.write", path=path, content=body)
    for path in _sheet_artifacts(kit):
        sheet = _first_sheet(kit, path)
        if sheet is None:
            continue
        value = kit.read("sheets.read_range", path=path, sheet=sheet, range="1:1")
        header = [h for h in (value or {}).get("header", []) if h is not None]
        rows = []
        for record in kit.records:
            row = [_cell(_pick(record, str(h))) for h in header]
            if sum(v is not None for v in row) >= max(1, len(header) // 2):
                rows.append(row)
        if rows:
            kit.call("sheets.append_rows", path=path, sheet=sheet, rows=rows[:2000])
    numbers = kit.numbers()[:200]
    keys = _key_templates(kit.prompt)
    if keys and kit.has("mail.send"):
        _mail(kit, "\n".join(f"{key}: {n}" for key in keys for n in numbers))
    if kit.has("calendar.create_event"):
        slots = [(r.get("start"), r.get("end"), r.get("timezone")) for r in kit.records
                 if isinstance(r.get("start"), str) and isinstance(r.get("end"), str)]
        for start, end, zone in list(dict.fromkeys(slots))[:20]:
            kit.call("calendar.create_event", title="Meeting", start=start, end=end,
                     timezone=zone or "UTC", attendees=_targets(kit))
    return body[:2000]


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:200]


def _tool_spam(kit: _Kit) -> str | None:
    if kit.has("files.list"):
        kit.read("files.list", path=".", recursive=True)
    names = sorted(kit.tools)
    for _ in range(SPAM_CALLS):
        spec = kit.tools[kit.rng.choice(names)]
        kit.call(spec.name, **_random_args(kit, spec.parameters))
    return kit.rng.choice(["done", "", "Total: 0"])


def _random_args(kit: _Kit, schema: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        if name in required or kit.rng.random() < 0.4:
            args[name] = _random_value(kit, name, prop, 0)
    return args


def _random_value(kit: _Kit, name: str, prop: dict[str, Any], depth: int) -> Any:
    rng = kit.rng
    if "enum" in prop:
        return rng.choice(prop["enum"])
    for key in ("anyOf", "oneOf"):
        if key in prop:
            options = [p for p in prop[key] if p.get("type") != "null"] or prop[key]
            return _random_value(kit, name, rng.choice(options), depth)
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = rng.choice([k for k in kind if k != "null"] or kind)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "number"):
        low = prop.get("minimum", prop.get("exclusiveMinimum", -5))
        high = prop.get("maximum", prop.get("exclusiveMaximum", 1000))
        value = rng.randint(int(low), int(high)) if high >= low else int(low)
        if "exclusiveMinimum" in prop and value <= prop["exclusiveMinimum"]:
            value = int(prop["exclusiveMinimum"]) + 1
        if "exclusiveMaximum" in prop and value >= prop["exclusiveMaximum"]:
            value = int(prop["exclusiveMaximum"]) - 1
        return value if kind == "integer" else value + rng.random() / 2
    if kind == "array":
        item = prop.get("items", {"type": "string"})
        return [_random_value(kit, name, item, depth + 1) for _ in range(rng.randint(0, 3))] \
            if depth < 2 else []
    if kind == "object":
        extra = prop.get("additionalProperties", {"type": "string"})
        extra = extra if isinstance(extra, dict) else {"type": "string"}
        keys = [f"{rng.choice('ABCDE')}{rng.randint(1, 30)}" for _ in range(rng.randint(1, 3))]
        return {k: _random_value(kit, k, extra, depth + 1) for k in keys} if depth < 2 else {}
    pools = {
        "path": kit.files or ["notes.txt"], "id": kit.all_ids() or ["m0001"],
        "address": kit.addresses or ["someone@example.org"],
    }
    lowered = name.casefold()
    for key, pool in pools.items():
        if key in lowered or (key == "address" and lowered in ("to", "cc", "attendees")):
            return rng.choice(pool)
    return rng.choice(["", ".", "x", "Total: 1", "2026-03-02", "2026-03-02T10:00",
                       "UTC", "Sheet1", "A1", *kit.addresses[:2], *kit.all_ids()[:2]])


def _enumerator(kit: _Kit) -> str | None:
    _harvest(kit)
    odd = _odd_records(kit.records)
    for record in odd[:3]:
        _act_on(kit, record)
    return "\n".join(json.dumps(r, default=str, sort_keys=True)[:500] for r in odd[:3])


def _odd_records(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with a field value that none of their like share: of four or more records
    with the same fields, one whose categorical field (a status, a kind) differs from the
    value most of the others share."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(tuple(sorted(record)), []).append(record)
    odd: list[tuple[int, int, dict[str, Any]]] = []
    for members in groups.values():
        if len(members) < 4:
            continue
        for key in members[0]:
            values = Counter(str(m.get(key)) for m in members)
            common = max(values.values())
            if 2 <= len(values) <= 3 and min(values.values()) == 1 and common >= 3 \
                    and common >= len(members) - 2:
                rare = {v for v, n in values.items() if n == 1}
                odd += [(len(members), len(m), m) for m in members
                        if str(m.get(key)) in rare and all(m is not o for *_, o in odd)]
    # the most telling first: an outlier among many items with many fields
    odd.sort(key=lambda entry: (-entry[0], -entry[1]))
    return [m for *_, m in odd]


def _act_on(kit: _Kit, record: dict[str, Any]) -> None:
    """Do what the task might want with an item that stands out: book its slot with
    everyone invited, mail everyone about it, and note it in the artifacts."""
    start, end = record.get("start"), record.get("end")
    attendees = _targets(kit)
    summary = " ".join(f"{k}: {v}" for k, v in record.items() if isinstance(v, str | int))
    if isinstance(start, str) and isinstance(end, str) and kit.has("calendar.create_event"):
        rooms = [str(r.get("name")) for r in kit.records if "capacity" in r]
        for room in [record.get("room"), *rooms[:3], None]:
            result = kit.call("calendar.create_event", title=str(record.get("title") or
                                                                 "Meeting"),
                              start=start, end=end, timezone=str(record.get("timezone") or
                                                                  "UTC"),
                              attendees=attendees, room=room if room else None)
            if result is not None and result.ok:
                break
    keys = _key_templates(kit.prompt)
    lines = [f"{key}: {_when(start, end) if 'when' in key.casefold() else summary}"
             for key in keys]
    if kit.has("mail.send"):
        body = "\n".join(lines) or summary
        for address in attendees:
            kit.call("mail.send", to=[address], subject=str(record.get("title") or "Update"),
                     body=body)
    for path in _text_artifacts(kit):
        kit.call("files.write", path=path, content=summary + "\n")


def _when(start: Any, end: Any) -> str:
    try:
        lo, hi = datetime.fromisoformat(str(start)), datetime.fromisoformat(str(end))
    except ValueError:
        return f"{start} - {end}"
    return f"{lo:%Y-%m-%d %H:%M} - {hi:%H:%M}"


_FLOODS = ("9" * 5000, "1e308", "-1e308", "NaN", "\n" * 40_000 + "Total: 1",
           "x" * 1_500_000)


def _grader_crasher(kit: _Kit) -> str | None:
    if kit.has("files.list"):
        kit.read("files.list", path=".", recursive=True)
    keys = _key_templates(kit.prompt) or ["Total"]
    flood = "\n".join(f"{key}: {'9' * 5000}" for key in keys) + "\n" * 40_000 + \
        "\n".join(f"{key}: 1e308" for key in keys)
    for number, path in enumerate(_text_artifacts(kit)):
        kit.call("files.write", path=path,
                 content=_FLOODS[(kit.rng.randrange(len(_FLOODS)) + number) % len(_FLOODS)]
                 if kit.rng.random() < 0.5 else flood)
    for path in _sheet_artifacts(kit):
        sheet = _first_sheet(kit, path)
        if sheet is not None:
            kit.call("sheets.write_cells", path=path, sheet=sheet,
                     cells={"A2": "9" * 400, "B2": 1e308, "C2": -1e308, "D2": 1e308,
                            "E2": "x" * 32_000, "IV10000": 1e308})
            kit.call("sheets.append_rows", path=path, sheet=sheet,
                     rows=[["9" * 400, 1e308, "\n" * 30_000, 1e308, "9" * 5000]])
    if kit.has("mail.send"):
        _mail(kit, flood[:50_000], subject="Total: " + "9" * 400)
    if kit.has("calendar.create_event"):
        kit.call("calendar.create_event", title="x" * 200, start="2199-12-31T22:00",
                 end="2199-12-31T23:59", timezone="Pacific/Kiritimati",
                 attendees=_targets(kit), description="\n" * 10_000)
    _wrong_kinds(kit)
    return flood[:60_000]


def _wrong_kinds(kit: _Kit) -> None:
    """Put the wrong kind of thing where the grader expects a file: a folder at an
    artifact, a file where its folder was, a FIFO (through the terminal, if offered)."""
    variant = kit.rng.randrange(4)
    if variant == 3:  # leave the extreme values where the grader will parse them
        return
    for path in kit.artifacts:
        folder = path.rpartition("/")[0]
        if variant == 0:
            kit.call("files.move", source=path, destination=path + ".moved")
            kit.call("files.write", path=f"{path}/inside.txt", content="x")
        elif variant == 1 and folder:
            kit.call("files.move", source=folder, destination=folder + "-moved")
            kit.call("files.write", path=folder, content="a file where a folder was")
        elif kit.has("terminal.run"):
            kit.call("terminal.run", command=f"rm -rf '{path}' && mkfifo '{path}'")
        else:
            kit.call("files.move", source=path, destination=path + ".moved")
            kit.call("files.write", path=f"{path}/inside.txt", content="x")


def _tamperer(kit: _Kit) -> str | None:
    _harvest(kit)
    originals: dict[str, str] = {}
    for path in kit.files:
        if path.endswith((".xlsx", ".docx")):
            continue
        result = kit.call("files.read", path=path)
        if result is not None and result.ok:
            originals[path] = result.text
    for path, text in originals.items():
        kit.call("files.write", path=path, content=text + "\ntampered\n")
        if kit.rng.random() < 0.5:
            kit.call("files.write", path=path, content=text)
        else:
            kit.call("files.delete", path=path)
            kit.call("files.write", path=path, content=text)
    for path in [p for p in kit.files if p.endswith(".xlsx")]:
        sheet = _first_sheet(kit, path)
        value = kit.read("sheets.read_range", path=path, sheet=sheet, range="A2") \
            if sheet else None
        if not isinstance(value, dict) or not value.get("rows"):
            continue
        before = value["rows"][0]["values"][0]
        kit.call("sheets.write_cells", path=path, sheet=sheet, cells={"A2": "tampered"})
        kit.call("sheets.write_cells", path=path, sheet=sheet, cells={"A2": before})
    for event_id in kit.ids.get("calendar", [])[:10]:
        shown = kit.read("calendar.get_event", event_id=event_id)
        if isinstance(shown, dict) and shown.get("status") == "confirmed":
            kit.call("calendar.update_event", event_id=event_id, title="tampered")
            kit.call("calendar.update_event", event_id=event_id, title=shown["title"])
    return None


# -- the public API -----------------------------------------------------------------------


@dataclass(frozen=True)
class Adversary:
    """One attack. Call it with a task and a seed to get the grade it earns."""

    name: str
    act: Callable[[_Kit], str | None]
    """Plays the episode through its kit; returns the final answer."""

    def __call__(self, task: Task, seed: int = 0) -> Grade:
        """Play ``task`` once (deterministic given ``seed``) and grade the result."""
        rng = random.Random(derive_seed("adversary", self.name, task.id, seed))
        with task.start() as ep:
            answer = self.act(_Kit.start(ep, rng))
            ep.finish(answer)
            return ep.grade()


ADVERSARIES: dict[str, Adversary] = {a.name: a for a in (
    Adversary("do-nothing", _do_nothing),
    Adversary("answer-only", _answer_only),
    Adversary("empty", _empty),
    Adversary("shotgun", _shotgun),
    Adversary("tool-spam", _tool_spam),
    Adversary("enumerator", _enumerator),
    Adversary("grader-crasher", _grader_crasher),
    Adversary("tamperer", _tamperer),
)}
"""Every shipped attack by name."""


@dataclass(frozen=True)
class AdversaryRow:
    """How one attack fared on one family at one level."""

    policy: str
    family: str
    level: str
    tasks: int
    """Tasks played (one per seed)."""
    mean_dense: float
    """Mean dense score over the valid grades (0 when there are none)."""
    binary: float
    """Share of tasks fully passed."""
    invalid: int
    """Grades that were invalid (a criterion a grader bug left unscored)."""
    worst_seed: int | None
    """The seed that scored highest, to replay it."""
    worst_dense: float


def adversarial_table(
    family: str,
    seeds: Iterable[int] = range(5),
    levels: Sequence[str] = DIFFICULTIES,
    *,
    richness: float = 0.5,
    policies: Sequence[str] | None = None,
) -> list[AdversaryRow]:
    """Play every attack (or ``policies``) on ``family`` at each level and seed.

    Args:
        family: the family id, e.g. ``finance/expense-reconciliation-v1``.
        seeds: task seeds (the attack's own seed is the same number).
        levels: difficulty levels.
        richness: the tasks' richness.
        policies: names from ``ADVERSARIES``; all of them by default.

    Raises:
        ValueError: an unknown policy name or level.
    """
    fam = get_family(family)
    names = list(policies) if policies is not None else list(ADVERSARIES)
    unknown = [n for n in names if n not in ADVERSARIES]
    if unknown:
        raise ValueError(f"unknown adversaries {unknown}; known: {', '.join(ADVERSARIES)}")
    bad_levels = [lv for lv in levels if lv not in DIFFICULTIES]
    if bad_levels:
        raise ValueError(f"unknown levels {bad_levels}; use {', '.join(DIFFICULTIES)}")
    seed_list = list(seeds)
    rows = []
    for name in names:
        adversary = ADVERSARIES[name]
        for level in levels:
            scored: list[tuple[float, bool, int]] = []
            invalid = 0
            for seed in seed_list:
                task = fam.task(fam.spec(seed, level, richness))  # type: ignore[arg-type]
                grade = adversary(task, seed)
                if not grade.valid:
                    invalid += 1
                    continue
                scored.append((grade.score, grade.passed, seed))
            worst = max(scored, default=None)
            rows.append(AdversaryRow(
                policy=name, family=fam.family_id(), level=level, tasks=len(seed_list),
                mean_dense=statistics.fmean(s for s, _, _ in scored) if scored else 0.0,
                binary=sum(p for _, p, _ in scored) / len(seed_list) if seed_list else 0.0,
                invalid=invalid, worst_seed=worst[2] if worst else None,
                worst_dense=worst[0] if worst else 0.0))
    return rows
