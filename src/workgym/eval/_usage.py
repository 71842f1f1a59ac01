"""What a run spent: the tools it called and the time per trace."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from workgym.core import Trace
from workgym.eval._metrics import Number


class ToolUsage(BaseModel):
    """The calls of one tool over a run."""

    model_config = ConfigDict(frozen=True)

    tool: str
    """Canonical name (``files.read``), or the unknown name as the model wrote it."""
    calls: int
    traces: int
    """Traces that called it at least once."""
    failed: int
    errors: dict[str, int]
    """Failed calls by kind (``invalid_args``, ``tool_error``, ``unknown_tool``...)."""
    error_rate: Number
    mean_ms: Number
    """Mean time inside the tool, in milliseconds."""


def tool_usage(traces: Sequence[Trace]) -> list[ToolUsage]:
    """Per tool, over every trace of a run (error traces too: their calls happened);
    most called first."""
    calls: Counter[str] = Counter()
    users: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    errors: dict[str, Counter[str]] = {}
    for trace in traces:
        for name in {c.name for c in trace.calls}:
            users[name] += 1
        for c in trace.calls:
            calls[c.name] += 1
            seconds[c.name] = seconds.get(c.name, 0.0) + c.duration_s
            if not c.ok:
                errors.setdefault(c.name, Counter())[c.error or "error"] += 1
    out = []
    for name, n in calls.items():
        errs = errors.get(name, Counter())
        failed = sum(errs.values())
        out.append(ToolUsage(tool=name, calls=n, traces=users[name], failed=failed,
                             errors=dict(sorted(errs.items())), error_rate=failed / n,
                             mean_ms=1000 * seconds[name] / n))
    return sorted(out, key=lambda u: (-u.calls, u.tool))


class Timing(BaseModel):
    """Wall time per trace of a group of traces. NaN where undefined."""

    model_config = ConfigDict(frozen=True)

    group: str
    traces: int
    mean_s: Number
    median_s: Number
    p90_s: Number
    max_s: Number
    total_s: float
    per_turn_s: Number
    """Wall time over assistant turns, summed over the traces."""
    tool_share: Number
    """Share of the wall time spent inside tools (the rest: the model and the harness)."""


def _quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def timing(group: str, traces: Sequence[Trace]) -> Timing:
    """Time per trace over ``traces`` (all of them: an error trace took its time too)."""
    times = [t.duration_s for t in traces]
    total = sum(times)
    turns = sum(t.stats.turns for t in traces)
    tools = sum(c.duration_s for t in traces for c in t.calls)
    return Timing(
        group=group, traces=len(times),
        mean_s=statistics.fmean(times) if times else math.nan,
        median_s=_quantile(times, 0.5), p90_s=_quantile(times, 0.9),
        max_s=max(times, default=math.nan), total_s=total,
        per_turn_s=total / turns if turns else math.nan,
        tool_share=tools / total if total else math.nan,
    )


def timings(traces: Sequence[Trace]) -> list[Timing]:
    """Time per trace overall (``all``), then per family."""
    families: dict[str, list[Trace]] = {}
    for t in traces:
        families.setdefault(t.spec.family, []).append(t)
    return [timing("all", traces), *(timing(f, families[f]) for f in sorted(families))]
