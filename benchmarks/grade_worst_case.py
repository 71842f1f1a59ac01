"""The slowest grade we can produce on each family: the reference solution first (graders
do the most work on a plausible world), then one attack, then ``Episode.grade()``.

    python benchmarks/grade_worst_case.py [--families ID ...] [--rounds 3] [--output FILE]

Attacks, through the tools unless said otherwise:
- ``reference``: nothing more (the baseline).
- ``far cells``: a value at IV10000 (the tools' last cell) in every sheet of every
  workbook, and a refused one at XFD1048576.
- ``full workbooks``: every workbook filled to the cell limit (5,000 cells).
- ``raw far cells``: as a terminal could write them: workbooks with a cell at
  XFD1048576 and a merged range over the whole sheet (bytes written to the workspace).
- ``mail flood``: the most mails an episode may send, each the longest body, 50,000
  characters of newlines and ``Key: value`` lines, to every address the prompt names.
- ``huge text``: every text artifact 1.9 MB of short lines.
- ``many files``: the workspace filled to its file quota (2,000 entries).
- ``many events``: 1,000 events created on the calendar, where there is one.

Prints a table and one JSON object: per family and attack, the slowest cold grade (ms)
over ``--rounds`` fresh episodes, and the overall worst.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import time
import zipfile
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

import workgym.apps  # noqa: F401  (registers the apps)
from workgym.apps import mail as mail_app
from workgym.apps.sheets import WRITE_LIMITS, workbook_bytes
from workgym.core import Episode, Task, family_ids, get_family
from workgym.core._family import run_plan

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_KEY = re.compile(r"^\s*([A-Z][A-Za-z ]{0,30}):\s*<", re.MULTILINE)


def _workbooks(ep: Episode) -> list[str]:
    return [rel for rel in ep.world.files() if rel.endswith(".xlsx")]


def _sheets(ep: Episode, path: str) -> list[str]:
    result = ep.call("sheets.list_sheets", {"path": path})
    return [s["name"] for s in result.value] if result.ok else []


def far_cells(ep: Episode) -> None:
    for path in _workbooks(ep):
        for sheet in _sheets(ep, path):
            ep.call("sheets.write_cells", {"path": path, "sheet": sheet,
                                           "cells": {WRITE_LIMITS.last_cell: 1e308}})
            ep.call("sheets.write_cells", {"path": path, "sheet": sheet,
                                           "cells": {"XFD1048576": 1}})


def full_workbooks(ep: Episode) -> None:
    """Append rows of 10 cells, in ever smaller batches, until the tools refuse more."""
    for path in _workbooks(ep):
        sheets = _sheets(ep, path)
        if not sheets:
            continue
        for batch in (WRITE_LIMITS.max_cells // 20, 50, 5, 1):
            while True:
                rows = [[f"{r}-{c}" if c % 2 else r * c for c in range(10)]
                        for r in range(batch)]
                if not ep.call("sheets.append_rows", {"path": path, "sheet": sheets[0],
                                                      "rows": rows}).ok:
                    break


def _bomb() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "Date"
    wb.active["XFD1048576"] = 1
    data = workbook_bytes(wb)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            part = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                    b'<mergeCell ref="A1:XFD1048576"/></mergeCells>', 1)
            dst.writestr(name, part)
    return out.getvalue()


def raw_far_cells(ep: Episode) -> None:
    targets = _workbooks(ep) or [a for a in ep.task.artifacts if a.endswith(".xlsx")]
    for path in targets:
        (ep.world.workspace / path).write_bytes(_bomb())  # as a terminal command could


def mail_flood(ep: Episode) -> None:
    if "mail" not in ep.task.apps:
        return
    keys = _KEY.findall(ep.task.prompt) or ["Total"]
    lines = "".join(f"{key}: {'9' * 30}\n" for key in keys)
    body = (lines + "\n" * 2000) * (mail_app.MAX_BODY_CHARS // (len(lines) + 2000))
    body = body[:mail_app.MAX_BODY_CHARS]
    addresses = list(dict.fromkeys(_EMAIL.findall(ep.task.prompt)))[1:] or ["a@example.org"]
    for n in range(mail_app.MAX_SENT):
        ep.call("mail.send", {"to": [addresses[n % len(addresses)]], "subject": "Summary",
                              "body": body})


def huge_text(ep: Episode) -> None:
    content = "".join(f"ADD | Title {n} | Author {n} | {1900 + n % 120}\n"
                      for n in range(60_000))[:1_900_000]
    for path in ep.task.artifacts:
        if not path.endswith((".xlsx", ".docx")):
            ep.call("files.write", {"path": path, "content": content})


def many_files(ep: Episode) -> None:
    folder = ep.world.workspace / "flood"
    folder.mkdir(exist_ok=True)
    used = len(ep.world.files())
    for n in range(max(0, 1990 - used)):  # as a terminal command could
        (folder / f"{n}.txt").write_text(f"Total: {n}\n")


def many_events(ep: Episode) -> None:
    if "calendar" not in ep.task.apps:
        return
    addresses = list(dict.fromkeys(_EMAIL.findall(ep.task.prompt)))[1:6]
    for n in range(1000):
        day, hour = 1 + n % 28, 8 + n % 10
        ep.call("calendar.create_event", {
            "title": f"Event {n}", "start": f"2026-03-{day:02d}T{hour:02d}:00",
            "end": f"2026-03-{day:02d}T{hour:02d}:30", "timezone": "UTC",
            "attendees": addresses, "description": "\n" * 5000})


ATTACKS: dict[str, Callable[[Episode], None]] = {
    "reference": lambda ep: None, "far cells": far_cells, "full workbooks": full_workbooks,
    "raw far cells": raw_far_cells, "mail flood": mail_flood, "huge text": huge_text,
    "many files": many_files, "many events": many_events,
}


def _cold_grade(task: Task, attack: Callable[[Episode], None]) -> float:
    with run_plan(task) as ep:
        attack(ep)
        started = time.perf_counter()
        grade = ep.grade()
        elapsed = time.perf_counter() - started
        if not grade.valid:
            raise AssertionError(f"{task.id}: invalid grade: {grade.errors}")
        return elapsed * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="*", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--level", default="hard")
    parser.add_argument("--output", default=None, help="also write the JSON to this file")
    options = parser.parse_args()
    ids = options.families or [f for f in family_ids() if not f.startswith("examples/")]
    results: dict[str, dict[str, Any]] = {}
    for fid in ids:
        fam = get_family(fid)
        results[fid] = {}
        for name, attack in ATTACKS.items():
            times = []
            for seed in range(options.rounds):
                task = fam.task(fam.spec(seed, options.level))  # type: ignore[arg-type]
                times.append(_cold_grade(task, attack))
            results[fid][name] = {"max_ms": round(max(times), 1),
                                  "median_ms": round(statistics.median(times), 1)}
            print(f"{fid:36s} {name:15s} max {max(times):8.1f} ms  "
                  f"median {statistics.median(times):8.1f} ms", flush=True)
    worst = max(((fid, name, r["max_ms"]) for fid, by in results.items()
                 for name, r in by.items()), key=lambda t: t[2])
    text = json.dumps({"level": options.level, "rounds": options.rounds, "results": results,
                       "worst": {"family": worst[0], "attack": worst[1], "ms": worst[2]},
                       "load_average": os.getloadavg()}, indent=2)
    print(text)
    if options.output:
        with open(options.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
