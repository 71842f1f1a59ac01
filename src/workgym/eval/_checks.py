"""Checks of a run as a whole: is it complete, and what should its reader be warned of."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from workgym.core import Trace
from workgym.eval._metrics import is_error

ERROR_SHARE_WARNING = 0.1
"""Warn when more than this share of the traces are errors (but not all of them)."""


class Completeness(BaseModel):
    """Whether a run holds every trace its config asks for."""

    model_config = ConfigDict(frozen=True)

    expected: int | None
    """Traces the run's config asks for (tasks x samples), when known."""
    finished: int
    """Traces in the run, error traces included."""
    k: int | None
    """Samples per task the config asks for, when known."""
    short_tasks: int
    """Tasks with fewer than ``k`` traces."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def missing(self) -> int | None:
        """Traces still to run, when the expected number is known."""
        return None if self.expected is None else max(0, self.expected - self.finished)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def complete(self) -> bool | None:
        """False when traces are missing; None when the run cannot tell."""
        if self.short_tasks or (self.missing or 0) > 0:
            return False
        return None if self.expected is None and self.k is None else True


def completeness(traces: Sequence[Trace], config: Mapping[str, Any],
                 expected: int | None = None) -> Completeness:
    """How complete a run is.

    Args:
        traces: the run's traces (see ``load_run``).
        config: the run's saved config; its ``k`` and explicit ``tasks`` are used.
        expected: the traces the run should hold, when the caller can work it out
            (``workgym report`` does, from the suite the config names).
    """
    k = config.get("k") if isinstance(config.get("k"), int) else None
    tasks = config.get("tasks")
    if expected is None and k is not None and isinstance(tasks, list):
        expected = len(tasks) * k
    samples: dict[str, set[int]] = {}
    for t in traces:
        samples.setdefault(t.task_id, set()).add(t.sample)
    short = 0 if k is None else sum(len(s) < k for s in samples.values())
    return Completeness(expected=expected, finished=len(traces), k=k, short_tasks=short)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value if v]
    return []


def run_warnings(traces: Sequence[Trace], complete: Completeness,
                 sources: Iterable[Any] = ()) -> list[str]:
    """What a reader of the run's report must know before its numbers.

    Computed from the traces: every trace an error; no tool call in any trace; many
    errors; an incomplete run. Then any warnings recorded with the run (``sources``:
    ``warnings`` values of its config, summary or traces), each once.
    """
    out: list[str] = []
    errors = [t for t in traces if is_error(t)]
    if traces and len(errors) == len(traces):
        first = (errors[0].error or "not graded").strip().splitlines()
        out.append(f"every trace is an error: nothing was scored. First error: "
                   f"{first[0] if first else '(empty)'}")
    elif traces and not any(t.calls for t in traces):
        out.append("no trace made a tool call: the policy never used the tools, so no "
                   "task could be solved. Check that the model server receives the tools "
                   "(tool_choice, the chat template's tool-call format).")
    elif len(errors) > ERROR_SHARE_WARNING * len(traces):
        out.append(f"{len(errors)} of {len(traces)} traces are errors (not scored): the "
                   "metrics cover only the rest")
    if complete.missing:
        out.append(f"incomplete run: {complete.finished} of {complete.expected} traces "
                   f"({complete.missing} missing); rerun the same command to resume it")
    if complete.short_tasks:
        out.append(f"incomplete run: {complete.short_tasks} tasks have fewer than "
                   f"k={complete.k} samples")
    for source in sources:
        for text in _strings(source):
            if text not in out:
                out.append(text)
    return out


def recorded_warnings(config: Mapping[str, Any], summary: Any,
                      traces: Sequence[Trace]) -> list[Any]:
    """The ``warnings`` values recorded with a run: in its config, on its summary, in
    its traces' ``meta``."""
    found: list[Any] = [config.get("warnings"), getattr(summary, "warnings", None)]
    found += [t.meta.get("warnings") for t in traces if t.meta.get("warnings")]
    return [f for f in found if f]
