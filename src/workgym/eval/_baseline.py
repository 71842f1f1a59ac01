"""Baselines: a run marked as the one later runs are compared against.

Marking writes ``baseline.json`` into the run folder with a digest of its traces, so a
comparison can say when the baseline changed after it was marked (a resumed or
overwritten run). ``workgym compare NEW`` without a baseline named finds the marked run
among NEW's sibling folders.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from workgym.eval._runs import TRACES_FILE, RunError, run_name

BASELINE_FILE = "baseline.json"


class Baseline(BaseModel):
    """The mark of a baseline run."""

    model_config = ConfigDict(frozen=True)

    run: str
    """The run's name when it was marked."""
    marked_at: str
    traces_sha256: str
    """Digest of ``traces.jsonl`` when it was marked."""
    traces_bytes: int


def _folder(run: str | Path) -> Path:
    path = Path(run)
    return path.parent if path.is_file() else path


def _digest(file: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def mark_baseline(run: str | Path) -> Path:
    """Mark a run as a baseline (writes ``baseline.json`` into its folder).

    Raises:
        RunError: the folder holds no traces.
    """
    folder = _folder(run)
    traces = folder / TRACES_FILE
    if not traces.is_file():
        raise RunError(f"{folder} is not a run: it has no {TRACES_FILE}")
    digest, size = _digest(traces)
    mark = Baseline(run=run_name(folder), marked_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    traces_sha256=digest, traces_bytes=size)
    path = folder / BASELINE_FILE
    path.write_text(mark.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def read_baseline(run: str | Path) -> Baseline | None:
    """The baseline mark of a run, or None when it is not marked."""
    path = _folder(run) / BASELINE_FILE
    if not path.is_file():
        return None
    try:
        return Baseline.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        raise RunError(f"{path} is not a valid baseline mark; mark the run again "
                       "(workgym report RUN --mark-baseline)") from None


def baseline_changed(run: str | Path) -> bool:
    """Whether a marked run's traces changed since it was marked."""
    mark = read_baseline(run)
    if mark is None:
        return False
    traces = _folder(run) / TRACES_FILE
    if not traces.is_file():
        return True
    return _digest(traces)[0] != mark.traces_sha256


def find_baseline(run: str | Path) -> Path:
    """The marked baseline among the sibling folders of ``run``.

    Raises:
        RunError: none is marked, or several are (name one with ``--baseline``).
    """
    folder = _folder(run).resolve()
    marked = sorted(p for p in folder.parent.iterdir()
                    if p != folder and p.is_dir() and (p / BASELINE_FILE).is_file())
    if not marked:
        raise RunError(f"no baseline marked next to {folder}: mark one with 'workgym report "
                       "RUN --mark-baseline', or name it: 'workgym compare BASELINE RUN'")
    if len(marked) > 1:
        names = ", ".join(p.name for p in marked)
        raise RunError(f"several baselines are marked next to {folder} ({names}); name one: "
                       "'workgym compare BASELINE RUN'")
    return marked[0]

