"""Summaries of a run: metrics and behaviour, overall and per category/family/difficulty."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workgym.core import DIFFICULTIES, Trace
from workgym.eval._metrics import (
    CIConfig,
    Estimate,
    Number,
    TaskOutcome,
    check_threshold,
    is_error,
    mean_metric,
    task_outcomes,
)


class MetricsConfig(BaseModel):
    """What counts as success, which k to report, and how intervals are computed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = 1.0
    """A sample succeeds when its score reaches this (1.0: every criterion passed)."""
    ks: tuple[int, ...] | None = None
    """The k of pass@k and pass^k; default: powers of 2 up to the fewest samples any
    task has, and that number itself."""
    ci: CIConfig = Field(default_factory=CIConfig)
    """Confidence intervals."""

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float) -> float:
        return check_threshold(value)

    @field_validator("ks")
    @classmethod
    def _ks(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and (not value or min(value) < 1):
            raise ValueError("ks must be a non-empty list of integers >= 1")
        return None if value is None else tuple(sorted(set(value)))


def default_ks(samples: int) -> tuple[int, ...]:
    """1, 2, 4, ... up to ``samples``, plus ``samples`` itself."""
    ks = [1]
    while ks[-1] * 2 <= samples:
        ks.append(ks[-1] * 2)
    if samples > ks[-1]:
        ks.append(samples)
    return tuple(ks)


class Behaviour(BaseModel):
    """How the policy acted, over the graded traces of a group. NaN where undefined."""

    model_config = ConfigDict(frozen=True)

    traces: int
    mean_turns: Number
    """Assistant turns per trace."""
    mean_tool_calls: Number
    """Tool calls per trace."""
    parallel_call_rate: Number
    """Share of turns that made two or more tool calls at once."""
    closure_rate: Number
    """Share of traces whose task's required artifacts exist at the end (over traces of
    tasks that name artifacts)."""
    closure_known: int
    """Traces whose task names required artifacts."""
    invalid_calls: int
    """Tool calls with invalid JSON or arguments the schema rejects."""
    invalid_call_rate: Number
    """Invalid calls per tool call."""
    unknown_tool_calls: int
    """Calls of tools that do not exist (hallucinated)."""
    unknown_tool_rate: Number
    """Unknown-tool calls per tool call."""
    tool_error_rate: Number
    """Tool errors (valid calls the tool refused) per tool call."""
    truncated_output_rate: Number
    """Tool outputs cut to the length limit, per tool call."""
    mean_compactions: Number
    """Context compactions per trace."""
    truncation_rate: Number
    """Share of traces cut off by the turn or token limit without a final answer."""
    prompt_tokens: int
    completion_tokens: int
    mean_prompt_tokens: Number
    mean_completion_tokens: Number
    mean_duration_s: Number
    stop_reasons: dict[str, int]
    """Traces per stop reason."""


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def behaviour(traces: Sequence[Trace]) -> Behaviour:
    """Behaviour statistics of graded traces (pass only traces that are not errors)."""
    stats = [t.stats for t in traces]
    calls = sum(s.tool_calls for s in stats)
    closure = [s.closure for s in stats if s.closure is not None]
    invalid = sum(s.invalid_json + s.invalid_args for s in stats)
    unknown = sum(s.unknown_tools for s in stats)
    prompt = sum(t.usage.prompt_tokens for t in traces)
    completion = sum(t.usage.completion_tokens for t in traces)
    return Behaviour(
        traces=len(traces),
        mean_turns=_mean([s.turns for s in stats]),
        mean_tool_calls=_mean([s.tool_calls for s in stats]),
        parallel_call_rate=_ratio(sum(s.parallel_turns for s in stats),
                                  sum(s.turns for s in stats)),
        closure_rate=_ratio(sum(closure), len(closure)),
        closure_known=len(closure),
        invalid_calls=invalid,
        invalid_call_rate=_ratio(invalid, calls),
        unknown_tool_calls=unknown,
        unknown_tool_rate=_ratio(unknown, calls),
        tool_error_rate=_ratio(sum(s.tool_errors for s in stats), calls),
        truncated_output_rate=_ratio(sum(s.truncated_outputs for s in stats), calls),
        mean_compactions=_mean([s.compactions for s in stats]),
        truncation_rate=_ratio(sum(t.truncated for t in traces), len(traces)),
        prompt_tokens=prompt,
        completion_tokens=completion,
        mean_prompt_tokens=_ratio(prompt, len(traces)),
        mean_completion_tokens=_ratio(completion, len(traces)),
        mean_duration_s=_mean([t.duration_s for t in traces]),
        stop_reasons=dict(sorted(Counter(t.stop_reason for t in traces).items())),
    )


class GroupSummary(BaseModel):
    """Metrics of one group of tasks (all, a category, a family, a difficulty...)."""

    model_config = ConfigDict(frozen=True)

    group: str
    tasks: int
    """Tasks with at least one graded sample."""
    samples: int
    """Graded samples."""
    min_samples: int
    """Fewest graded samples of any task."""
    max_samples: int
    errors: int
    """Traces that failed for infrastructure reasons (or were never graded): not in the
    metrics, never counted as 0."""
    pass_at_k: dict[int, Estimate]
    """Unbiased pass@k averaged over tasks."""
    pass_hat_k: dict[int, Estimate]
    """pass^k (all k samples succeed) averaged over tasks."""
    mean_score: Estimate
    """Dense score: per-task mean score, averaged over tasks."""
    any_success: Estimate
    """Share of tasks where some sample succeeded (any reward under sparse reward)."""
    any_reward: Estimate
    """Share of tasks where some sample scored above 0 (any reward under dense reward)."""
    behaviour: Behaviour


def summarize_group(
    group: str,
    outcomes: Sequence[TaskOutcome],
    traces: Sequence[Trace],
    ks: Sequence[int],
    ci: CIConfig,
) -> GroupSummary:
    """Summarize the tasks of one group.

    Args:
        group: the group's name.
        outcomes: its tasks (graded samples only).
        traces: all its traces, error traces included (they are counted, not scored).
        ks: the k of pass@k and pass^k.
        ci: interval settings.
    """
    graded = [t for t in traces if not is_error(t)]
    sizes = [o.n for o in outcomes]
    return GroupSummary(
        group=group,
        tasks=len(outcomes),
        samples=sum(sizes),
        min_samples=min(sizes, default=0),
        max_samples=max(sizes, default=0),
        errors=len(traces) - len(graded),
        pass_at_k={k: mean_metric(outcomes, f"pass@{k}", ci) for k in ks},
        pass_hat_k={k: mean_metric(outcomes, f"pass^{k}", ci) for k in ks},
        mean_score=mean_metric(outcomes, "mean_score", ci),
        any_success=mean_metric(outcomes, "any_success", ci),
        any_reward=mean_metric(outcomes, "any_reward", ci),
        behaviour=behaviour(graded),
    )


class RunSummary(BaseModel):
    """Everything measured over one run."""

    model_config = ConfigDict(frozen=True)

    threshold: float
    ks: list[int]
    ci: CIConfig
    policies: list[str]
    models: list[str]
    traces: int
    """Traces read, error traces included."""
    errors: int
    error_messages: dict[str, int]
    """Most frequent error messages (first line) and their counts."""
    overall: GroupSummary
    by_category: dict[str, GroupSummary]
    """Keyed by ``spec.category`` (for external benchmarks, e.g. ``bfcl``)."""
    by_difficulty: dict[str, GroupSummary]
    by_family: dict[str, GroupSummary]
    """Keyed by ``spec.family`` (e.g. ``office/library-catalogue``, ``bfcl/simple_python``)."""
    by_suite: dict[str, GroupSummary]
    """Keyed by ``Trace.suite``; empty when no trace names a suite."""


def difficulty_order(name: str) -> tuple[int, str]:
    return (DIFFICULTIES.index(name) if name in DIFFICULTIES else len(DIFFICULTIES), name)  # type: ignore[arg-type]


def _groups(
    key: Callable[[Trace], str | None],
    traces: Sequence[Trace],
    outcomes: Sequence[TaskOutcome],
    ks: Sequence[int],
    ci: CIConfig,
    order: Callable[[str], object] = str,
) -> dict[str, GroupSummary]:
    trace_groups: dict[str, list[Trace]] = {}
    task_group: dict[str, str] = {}
    for trace in traces:
        name = key(trace)
        if name is not None:
            trace_groups.setdefault(name, []).append(trace)
            task_group[trace.task_id] = name
    return {
        name: summarize_group(name, [o for o in outcomes if task_group.get(o.task_id) == name],
                              trace_groups[name], ks, ci)
        for name in sorted(trace_groups, key=order)  # type: ignore[arg-type]
    }


def _error_line(trace: Trace) -> str:
    if trace.error is None:
        return "(not graded)"
    line = trace.error.strip().splitlines()[0] if trace.error.strip() else "(empty error)"
    return line if len(line) <= 160 else line[:157] + "..."


def summarize(traces: Sequence[Trace], config: MetricsConfig | None = None) -> RunSummary:
    """Compute the metrics of a run.

    Error traces (``Trace.error`` set, or no grade) are left out of every metric and
    counted per group instead.

    Args:
        traces: the traces of one run (see :func:`load_run`).
        config: threshold, k values and interval settings.

    Raises:
        ValueError: no traces.
    """
    if not traces:
        raise ValueError("no traces to summarize")
    config = config or MetricsConfig()
    outcomes = task_outcomes(traces, config.threshold)
    ks = config.ks or default_ks(min((o.n for o in outcomes), default=1))
    errors = [t for t in traces if is_error(t)]
    return RunSummary(
        threshold=config.threshold,
        ks=list(ks),
        ci=config.ci,
        policies=sorted({t.policy for t in traces}),
        models=sorted({t.model for t in traces if t.model}),
        traces=len(traces),
        errors=len(errors),
        error_messages=dict(Counter(_error_line(t) for t in errors).most_common(10)),
        overall=summarize_group("all", outcomes, traces, ks, config.ci),
        by_category=_groups(lambda t: t.spec.category, traces, outcomes, ks, config.ci),
        by_difficulty=_groups(lambda t: t.spec.difficulty, traces, outcomes, ks, config.ci,
                              order=difficulty_order),
        by_family=_groups(lambda t: t.spec.family, traces, outcomes, ks, config.ci),
        by_suite=_groups(lambda t: t.suite, traces, outcomes, ks, config.ci),
    )
