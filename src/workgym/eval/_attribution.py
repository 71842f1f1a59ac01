"""Failure attribution: which criteria fail, where, and why each failed trace failed.

Over a run: per family and per criterion group, how often it fails, ranked, and how
often it is the *first* criterion a failed trace misses. Per failed trace: its first
failed criterion and a failure class (:data:`FAILURE_CLASSES`), the one most upstream
cause the trace shows. Between two runs: the criteria whose failure rate moved most.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from workgym.core import CriterionResult, Trace
from workgym.eval._metrics import Number, is_error, is_success
from workgym.eval._process import ProcessStats, process_stats

FAILURE_CLASSES: dict[str, str] = {
    "no tool calls": "the rollout made no tool call at all",
    "guard failed": "something that must not change was changed: the score is 0",
    "truncated": "cut off by the turn or token limit before a final answer",
    "unknown tool": "called a tool that does not exist and never recovered",
    "parameter error": "invalid arguments or unknown ids, never recovered from",
    "tool error": "another tool error, never recovered from",
    "no closure": "read and explored, but never wrote the required artifacts",
    "wrong outcome": "acted and answered, but outcome criteria fail",
}
"""Failure classes, most upstream first: a failed trace gets the first that applies."""


def first_failed(trace: Trace) -> CriterionResult | None:
    """The first criterion (in the grade's order) that failed, or None."""
    if trace.grade is None:
        return None
    return next((c for c in trace.grade.criteria if c.passed is False), None)


def failure_class(trace: Trace, stats: ProcessStats | None = None) -> str:
    """The failure class of a graded trace that did not succeed (see
    :data:`FAILURE_CLASSES`)."""
    stats = stats or process_stats(trace)
    grade = trace.grade
    kinds = stats.unrecovered_kinds
    if stats.calls == 0:
        return "no tool calls"
    if grade is not None and grade.gated:
        return "guard failed"
    if trace.truncated:
        return "truncated"
    if kinds.get("unknown_tool"):
        return "unknown tool"
    if kinds.get("parameter"):
        return "parameter error"
    if kinds.get("tool"):
        return "tool error"
    if stats.exploration_without_closure:
        return "no closure"
    return "wrong outcome"


class CriterionStat(BaseModel):
    """How one criterion group of one family fared over a run's graded traces."""

    model_config = ConfigDict(frozen=True)

    family: str
    group: str
    """The criterion group (criteria that check items of one kind share it)."""
    kind: str
    guard: bool
    traces: int
    """Graded traces that check this group."""
    failed_traces: int
    """Traces where some criterion of the group failed."""
    failure_rate: Number
    """``failed_traces / traces``."""
    items: int
    """Criteria of this group checked (a group can have several per trace)."""
    items_passed: int
    pass_rate: Number
    """Share of the group's criteria that passed: the per-criterion pass rate."""
    first_failed: int
    """Failed traces whose first failed criterion is in this group."""


class FamilyFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    family: str
    traces: int
    """Graded traces."""
    failed: int
    """Graded traces that did not succeed."""
    failure_rate: Number
    errors: int
    """Error traces (not scored)."""
    top_criterion: str | None
    """The group most often first to fail in this family."""


class FailedTrace(BaseModel):
    model_config = ConfigDict(frozen=True)

    task_id: str
    sample: int
    family: str
    difficulty: str
    seed: int
    score: float
    first_failed: str | None
    """Name of the first failed criterion (None: every criterion passed, but the score
    is under the threshold, or the grade holds no criterion)."""
    first_failed_group: str | None
    evidence: str | None
    """The first failed criterion's evidence."""
    failure_class: str


class Attribution(BaseModel):
    """Why the traces of a run failed."""

    model_config = ConfigDict(frozen=True)

    threshold: float
    graded: int
    failed: int
    errors: int
    families: list[FamilyFailure]
    """Ranked: most failed traces first."""
    criteria: list[CriterionStat]
    """Ranked: most failed traces first, then highest failure rate."""
    classes: dict[str, int]
    """Failed traces per failure class, commonest first."""
    first_failed: dict[str, int]
    """Failed traces per first failed criterion (``family: group``), commonest first."""
    failed_traces: list[FailedTrace]


def criterion_stats(traces: Iterable[Trace], threshold: float = 1.0) -> list[CriterionStat]:
    """Per family and criterion group: traces checked, traces failed, items passed,
    times first to fail; ranked by failed traces, then failure rate."""
    rows: dict[tuple[str, str], dict[str, int]] = {}
    meta: dict[tuple[str, str], CriterionResult] = {}
    for trace in traces:
        if is_error(trace) or trace.grade is None:
            continue
        family = trace.spec.family
        first = first_failed(trace) if not is_success(trace.grade, threshold) else None
        seen: set[str] = set()
        failed: set[str] = set()
        for c in trace.grade.criteria:
            group = c.group or c.name
            key = (family, group)
            meta.setdefault(key, c)
            row = rows.setdefault(key, {"traces": 0, "failed": 0, "items": 0, "passed": 0,
                                        "first": 0})
            row["items"] += 1
            row["passed"] += c.passed is True
            if c.passed is False:
                failed.add(group)
            seen.add(group)
        for group in seen:
            row = rows[(family, group)]
            row["traces"] += 1
            row["failed"] += group in failed
        if first is not None:
            rows[(family, first.group or first.name)]["first"] += 1
    stats = [
        CriterionStat(
            family=family, group=group, kind=meta[(family, group)].kind,
            guard=meta[(family, group)].guard, traces=r["traces"], failed_traces=r["failed"],
            failure_rate=r["failed"] / r["traces"] if r["traces"] else math.nan,
            items=r["items"], items_passed=r["passed"],
            pass_rate=r["passed"] / r["items"] if r["items"] else math.nan,
            first_failed=r["first"])
        for (family, group), r in rows.items()
    ]
    return sorted(stats, key=lambda s: (-s.failed_traces, -s.failure_rate, s.family, s.group))


def attribute(traces: Sequence[Trace], threshold: float = 1.0,
              stats: Sequence[ProcessStats] | None = None) -> Attribution:
    """Attribute the failures of a run.

    Args:
        traces: the run's traces; error traces are counted, not attributed.
        threshold: the success threshold (see :func:`is_success`).
        stats: the traces' :func:`process_stats`, when already computed (same order).
    """
    stats = list(stats) if stats is not None else [process_stats(t) for t in traces]
    if len(stats) != len(traces):
        raise ValueError("stats must hold one ProcessStats per trace")
    failed: list[FailedTrace] = []
    per_family: dict[str, Counter[str]] = {}
    first_by_family: dict[str, Counter[str]] = {}
    for trace, s in zip(traces, stats, strict=True):
        family = trace.spec.family
        counts = per_family.setdefault(family, Counter())
        if is_error(trace) or trace.grade is None:
            counts["errors"] += 1
            continue
        counts["graded"] += 1
        if is_success(trace.grade, threshold):
            continue
        counts["failed"] += 1
        first = first_failed(trace)
        group = None if first is None else (first.group or first.name)
        if group is not None:
            first_by_family.setdefault(family, Counter())[group] += 1
        failed.append(FailedTrace(
            task_id=trace.task_id, sample=trace.sample, family=family,
            difficulty=trace.spec.difficulty, seed=trace.spec.seed, score=trace.grade.score,
            first_failed=None if first is None else first.name, first_failed_group=group,
            evidence=None if first is None else first.evidence,
            failure_class=failure_class(trace, s)))
    families = [
        FamilyFailure(
            family=family, traces=c["graded"], failed=c["failed"],
            failure_rate=c["failed"] / c["graded"] if c["graded"] else math.nan,
            errors=c["errors"],
            top_criterion=(first_by_family[family].most_common(1)[0][0]
                           if family in first_by_family else None))
        for family, c in per_family.items()
    ]
    families.sort(key=lambda f: (-f.failed, -(0 if math.isnan(f.failure_rate)
                                              else f.failure_rate), f.family))
    classes = Counter(f.failure_class for f in failed)
    firsts = Counter(f"{f.family}: {f.first_failed_group}" for f in failed
                     if f.first_failed_group is not None)
    graded = sum(c["graded"] for c in per_family.values())
    return Attribution(
        threshold=threshold, graded=graded, failed=len(failed),
        errors=sum(c["errors"] for c in per_family.values()),
        families=families, criteria=criterion_stats(traces, threshold),
        classes=dict(sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))),
        first_failed=dict(sorted(firsts.items(), key=lambda kv: (-kv[1], kv[0]))),
        failed_traces=failed,
    )


class CriterionMove(BaseModel):
    """The change of one criterion group's failure rate between two runs."""

    model_config = ConfigDict(frozen=True)

    family: str
    group: str
    failure_rate_a: Number
    failure_rate_b: Number
    delta: Number
    """``failure_rate_b - failure_rate_a``: positive means B fails it more often."""
    traces_a: int
    traces_b: int


def criterion_moves(traces_a: Iterable[Trace], traces_b: Iterable[Trace],
                    threshold: float = 1.0) -> list[CriterionMove]:
    """Criterion groups checked in both runs, the largest change of failure rate first."""
    a = {(s.family, s.group): s for s in criterion_stats(traces_a, threshold)}
    b = {(s.family, s.group): s for s in criterion_stats(traces_b, threshold)}
    moves = [
        CriterionMove(family=key[0], group=key[1], failure_rate_a=a[key].failure_rate,
                      failure_rate_b=b[key].failure_rate,
                      delta=b[key].failure_rate - a[key].failure_rate,
                      traces_a=a[key].traces, traces_b=b[key].traces)
        for key in a.keys() & b.keys()
    ]
    return sorted(moves, key=lambda m: (-abs(m.delta), m.family, m.group))
