"""Reading runs: a folder with ``traces.jsonl`` (one Trace per line) and ``config.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workgym.core import Trace

TRACES_FILE = "traces.jsonl"
CONFIG_FILE = "config.json"


class RunError(ValueError):
    """A run folder that cannot be read: missing, empty, or with a corrupt line."""


def load_run(path: str | Path) -> list[Trace]:
    """Read the traces of a run.

    A run is appended to as rollouts finish and may be resumed, so:
    an unfinished last line (no newline, not valid JSON: the writer was interrupted) is
    skipped, and when a ``(task_id, sample)`` pair appears more than once the later
    line wins (a resumed run retried it).

    Args:
        path: the run folder, or its ``traces.jsonl``.

    Returns:
        The traces, in file order of their last occurrence.

    Raises:
        RunError: the folder or file does not exist, holds no traces, or a line other
            than an unfinished last one is not a valid Trace.
    """
    path = Path(path)
    file = path if path.is_file() else path / TRACES_FILE
    if not path.exists():
        raise RunError(f"run folder {path} does not exist")
    if not file.is_file():
        raise RunError(f"{path} is not a run: it has no {TRACES_FILE}")
    text = file.read_text(encoding="utf-8")
    lines = text.split("\n")
    unfinished = not text.endswith("\n")
    latest: dict[tuple[str, int], Trace] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            trace = Trace.model_validate_json(line)
        except ValidationError as exc:
            if unfinished and number == len(lines):
                continue
            raise RunError(f"{file}:{number}: not a valid trace: "
                           f"{exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}") from None
        key = (trace.task_id, trace.sample)
        latest.pop(key, None)  # re-insert so the order follows the later line
        latest[key] = trace
    if not latest:
        raise RunError(f"run {path} is empty: {file.name} holds no traces yet")
    return list(latest.values())


def load_run_config(path: str | Path) -> dict[str, Any]:
    """The resolved config saved with a run, or ``{}`` when the run has none.

    Args:
        path: the run folder, or a file in it (its ``traces.jsonl``).

    Raises:
        RunError: the saved config is not valid JSON.
    """
    path = Path(path)
    folder = path.parent if path.is_file() else path
    file = folder / CONFIG_FILE
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RunError(f"{file} is not valid JSON: {exc}") from None
    return data if isinstance(data, dict) else {"config": data}


load_config = load_run_config
"""The old name, for this package's modules until they move to :func:`load_run_config`;
``workgym.eval.load_config`` warns that it is deprecated."""


def run_name(path: str | Path) -> str:
    """A short name for a run: its folder name."""
    path = Path(path).resolve()
    return (path.parent if path.is_file() else path).name
