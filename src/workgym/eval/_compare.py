"""Comparing two runs: paired deltas with confidence intervals, regressions, behaviour."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field

from workgym.core import Trace
from workgym.eval._attribution import CriterionMove, criterion_moves
from workgym.eval._metrics import (
    CIConfig,
    Number,
    TaskOutcome,
    estimate,
    is_error,
    task_outcomes,
    task_values,
)
from workgym.eval._report import CSS, figure, fmt, html_table, img_tag, pct, png_base64
from workgym.eval._runs import load_run, run_name
from workgym.eval._summary import (
    Behaviour,
    MetricsConfig,
    behaviour,
    default_ks,
    difficulty_order,
)

if TYPE_CHECKING:
    from rich.console import RenderableType


class Delta(BaseModel):
    """The change of a metric from run A to run B over the tasks both runs hold."""

    model_config = ConfigDict(frozen=True)

    metric: str
    a: Number
    """Mean over the common tasks in run A."""
    b: Number
    """Mean over the common tasks in run B."""
    delta: Number
    """``b - a``."""
    lo: Number
    """Lower end of the confidence interval of the delta (paired, over tasks)."""
    hi: Number
    tasks: int
    """Tasks in both runs where the metric is defined."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def significant(self) -> bool:
        """The confidence interval excludes 0."""
        return not math.isnan(self.delta) and (self.lo > 0 or self.hi < 0)


def paired_delta(
    a: Mapping[str, float],
    b: Mapping[str, float],
    metric: str = "",
    ci: CIConfig | None = None,
) -> Delta:
    """The mean change from ``a`` to ``b`` over their common keys, with a paired interval.

    The interval resamples tasks (the same task in both runs), which is tighter than
    two independent intervals when tasks vary in difficulty more than runs do.

    Args:
        a: per-task values of run A (task id to value), e.g. from :func:`task_values`.
        b: per-task values of run B.
        metric: the metric's name, kept in the result.
        ci: interval settings (seeded; same inputs give the same interval).
    """
    common = sorted(set(a) & set(b))
    va = np.array([a[t] for t in common], dtype=float)
    vb = np.array([b[t] for t in common], dtype=float)
    diff = estimate(vb - va, ci)
    mean_a = float(va.mean()) if common else math.nan
    mean_b = float(vb.mean()) if common else math.nan
    return Delta(metric=metric, a=mean_a, b=mean_b, delta=diff.value, lo=diff.lo, hi=diff.hi,
                 tasks=len(common))


class GroupComparison(BaseModel):
    """Deltas of one group of tasks (all, a category, a difficulty, a family)."""

    model_config = ConfigDict(frozen=True)

    group: str
    tasks_a: int
    tasks_b: int
    common: int
    """Tasks graded in both runs: the deltas are over these."""
    deltas: dict[str, Delta]
    """Keyed by metric: ``pass@K``, ``pass^K``, ``mean_score``."""


def compare_outcomes(
    group: str,
    a: Sequence[TaskOutcome],
    b: Sequence[TaskOutcome],
    metrics: Sequence[str],
    ci: CIConfig | None = None,
) -> GroupComparison:
    """Paired deltas of ``metrics`` between two sets of task outcomes."""
    common = {o.task_id for o in a} & {o.task_id for o in b}
    return GroupComparison(
        group=group, tasks_a=len(a), tasks_b=len(b), common=len(common),
        deltas={m: paired_delta(task_values(a, m), task_values(b, m), m, ci) for m in metrics},
    )


class TaskChange(BaseModel):
    """One task whose outcome flipped between the runs."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    family: str
    difficulty: str
    seed: int
    passed_a: int
    """Successful samples in run A."""
    samples_a: int
    passed_b: int
    samples_b: int
    score_a: float
    """Mean score in run A."""
    score_b: float


class BehaviourChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    a: Number
    b: Number
    delta: Number


BEHAVIOUR_FIELDS = (
    "mean_turns", "mean_tool_calls", "parallel_call_rate", "closure_rate", "invalid_call_rate",
    "unknown_tool_rate", "tool_error_rate", "truncated_output_rate", "truncation_rate",
    "mean_compactions", "mean_prompt_tokens", "mean_completion_tokens", "mean_duration_s",
)


class Comparison(BaseModel):
    """Run B measured against run A (A is the baseline)."""

    model_config = ConfigDict(frozen=True)

    a: str
    b: str
    threshold: float
    ks: list[int]
    ci: CIConfig
    tasks_a: int
    tasks_b: int
    common: int
    only_in_a: int
    only_in_b: int
    errors_a: int
    errors_b: int
    overall: GroupComparison
    by_category: dict[str, GroupComparison]
    by_difficulty: dict[str, GroupComparison]
    by_family: dict[str, GroupComparison]
    regressed: list[TaskChange]
    """Tasks some sample of A solved and no sample of B did (one sample: passed, now fails)."""
    improved: list[TaskChange]
    """Tasks no sample of A solved and some sample of B did."""
    behaviour_a: Behaviour
    """Behaviour of A over the common tasks."""
    behaviour_b: Behaviour
    behaviour: dict[str, BehaviourChange]
    criteria: list[CriterionMove] = Field(default_factory=list)
    """Criterion groups checked in both runs (over the common tasks), the largest change
    of failure rate first."""
    warnings: list[str] = Field(default_factory=list)
    """What to know before reading the comparison (e.g. the baseline changed)."""


RunLike = str | Path | Sequence[Trace]


def _traces(run: RunLike) -> tuple[str, list[Trace]]:
    if isinstance(run, (str, Path)):
        return run_name(run), load_run(run)
    traces = list(run)
    if not traces:
        raise ValueError("no traces to compare")
    return traces[0].policy, traces


def _by(outcomes: Sequence[TaskOutcome],
        key: Callable[[TaskOutcome], str]) -> dict[str, list[TaskOutcome]]:
    out: dict[str, list[TaskOutcome]] = {}
    for o in outcomes:
        out.setdefault(key(o), []).append(o)
    return out


def _change(oa: TaskOutcome, ob: TaskOutcome) -> TaskChange:
    return TaskChange(task_id=oa.task_id, family=oa.spec.family, difficulty=oa.spec.difficulty,
                      seed=oa.spec.seed, passed_a=oa.c, samples_a=oa.n, passed_b=ob.c,
                      samples_b=ob.n, score_a=oa.mean_score, score_b=ob.mean_score)


def compare(run_a: RunLike, run_b: RunLike, config: MetricsConfig | None = None) -> Comparison:
    """Compare run B against baseline run A.

    Deltas are paired over the tasks graded in both runs (same ``task_id``); error
    traces are left out and counted.

    Args:
        run_a: the baseline: a run folder, or its traces.
        run_b: the run measured against it.
        config: threshold, k values (default: powers of 2 up to the fewest samples of a
            common task, and that number) and interval settings.

    Raises:
        RunError: a run folder is missing, empty or corrupt.
    """
    config = config or MetricsConfig()
    name_a, traces_a = _traces(run_a)
    name_b, traces_b = _traces(run_b)
    if name_a == name_b:
        name_a, name_b = f"A ({name_a})", f"B ({name_b})"
    out_a = task_outcomes(traces_a, config.threshold)
    out_b = task_outcomes(traces_b, config.threshold)
    ids_a, ids_b = {o.task_id for o in out_a}, {o.task_id for o in out_b}
    common = ids_a & ids_b
    ks = config.ks or default_ks(min((o.n for o in [*out_a, *out_b] if o.task_id in common),
                                     default=1))
    metrics = [f"pass@{k}" for k in ks]
    metrics += [f"pass^{ks[-1]}"] if ks[-1] > 1 else []
    metrics.append("mean_score")

    def groups(key: Callable[[TaskOutcome], str],
               order: Callable[[str], object] = str) -> dict[str, GroupComparison]:
        ga, gb = _by(out_a, key), _by(out_b, key)
        return {name: compare_outcomes(name, ga.get(name, []), gb.get(name, []), metrics, config.ci)
                for name in sorted(set(ga) | set(gb), key=order)}  # type: ignore[arg-type]

    b_by_id = {o.task_id: o for o in out_b}
    pairs = [(o, b_by_id[o.task_id]) for o in out_a if o.task_id in common]
    regressed = [_change(oa, ob) for oa, ob in pairs if oa.any_success and not ob.any_success]
    improved = [_change(oa, ob) for oa, ob in pairs if not oa.any_success and ob.any_success]
    common_a = [t for t in traces_a if not is_error(t) and t.task_id in common]
    common_b = [t for t in traces_b if not is_error(t) and t.task_id in common]
    beh_a, beh_b = behaviour(common_a), behaviour(common_b)
    changes = {f: BehaviourChange(a=getattr(beh_a, f), b=getattr(beh_b, f),
                                  delta=getattr(beh_b, f) - getattr(beh_a, f))
               for f in BEHAVIOUR_FIELDS}
    return Comparison(
        a=name_a, b=name_b, threshold=config.threshold, ks=list(ks), ci=config.ci,
        tasks_a=len(ids_a), tasks_b=len(ids_b), common=len(common),
        only_in_a=len(ids_a - ids_b), only_in_b=len(ids_b - ids_a),
        errors_a=sum(map(is_error, traces_a)), errors_b=sum(map(is_error, traces_b)),
        overall=compare_outcomes("all", out_a, out_b, metrics, config.ci),
        by_category=groups(lambda o: o.category),
        by_difficulty=groups(lambda o: o.spec.difficulty, difficulty_order),
        by_family=groups(lambda o: o.spec.family),
        regressed=sorted(regressed, key=lambda c: (c.family, c.difficulty, c.seed)),
        improved=sorted(improved, key=lambda c: (c.family, c.difficulty, c.seed)),
        behaviour_a=beh_a, behaviour_b=beh_b, behaviour=changes,
        criteria=criterion_moves(common_a, common_b, config.threshold),
    )


# -- rendering ------------------------------------------------------------------------------


def _signed(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:+.3f}"


def _interval(d: Delta) -> str:
    return "" if math.isnan(d.delta) else f"({d.lo:+.2f}, {d.hi:+.2f})"


def fmt_delta(d: Delta) -> str:
    if math.isnan(d.delta):
        return "-"
    return f"{d.delta:+.3f} {_interval(d)}"


def _shown_metrics(c: Comparison) -> list[str]:
    # the terminal shows pass@1 and the dense score; every k is in the JSON and HTML
    return ["pass@1", "mean_score"]


def trace_link(viewer: str, change: TaskChange) -> str:
    """The address of a flipped task in a comparison viewer (run B beside run A)."""
    return f"{viewer}#{urlencode({'run': 0, 'task': change.task_id, 'sample': 0, 'with': 1})}"


def comparison_renderables(c: Comparison, max_tasks: int = 20,
                           viewer: str | None = None) -> list[RenderableType]:
    """The comparison as rich renderables: regressions first (with links to their traces
    when ``viewer`` is given), then deltas per group, the criteria that moved most,
    improvements and behaviour."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = [Text(
        f"B = {c.b} against A = {c.a}: {c.common} common tasks ({c.only_in_a} only in A, "
        f"{c.only_in_b} only in B); errors, not scored: A {c.errors_a}, B {c.errors_b}",
        style="bold")]
    for warning in c.warnings:
        parts.append(Text(f"warning: {warning}", style="bold yellow"))

    def changes(title: str, items: Sequence[TaskChange], style: str) -> None:
        if not items:
            parts.append(Text(f"{title}: none", style=style if style == "red" else ""))
            return
        t = Table(title=f"{title} ({len(items)})", title_justify="left",
                  title_style=f"bold {style}", box=box.SIMPLE_HEAD)
        for col in ("task", "family", "difficulty", "seed", "passed A", "passed B",
                    "score A", "score B"):
            left = col in ("task", "family", "difficulty")
            t.add_column(col, justify="left" if left else "right")
        for ch in items[:max_tasks]:
            t.add_row(ch.task_id, ch.family, ch.difficulty, str(ch.seed),
                      f"{ch.passed_a}/{ch.samples_a}", f"{ch.passed_b}/{ch.samples_b}",
                      fmt(ch.score_a), fmt(ch.score_b))
        if len(items) > max_tasks:
            t.caption = f"and {len(items) - max_tasks} more (see --json)"
            t.caption_justify = "left"
        parts.append(t)
        if viewer is not None and style == "red":
            links = "\n".join(f"  {trace_link(viewer, ch)}" for ch in items[:max_tasks])
            parts.append(Text(f"their traces, B beside A:\n{links}", style="dim"))

    changes("regressed: solved in A, not in B", c.regressed, "red")
    level = f"{100 * c.ci.level:g}%"
    table = Table(title=f"B - A over common tasks, {level} paired {c.ci.method} CI over tasks",
                  title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")
    table.add_column("group")
    table.add_column("tasks", justify="right")
    for m in _shown_metrics(c):
        table.add_column(f"{m.replace('mean_score', 'score')} A -> B", justify="right")
        table.add_column(f"delta ({level} CI)", justify="right")
    sections = [("all", [c.overall]), ("category", list(c.by_category.values())),
                ("difficulty", list(c.by_difficulty.values()))]
    for label, groups in sections:
        if label != "all" and groups:
            table.add_row(Text(f"by {label}", style="dim italic"))
        for g in groups:
            cells: list[str | Text] = [g.group, str(g.common)]
            for m in _shown_metrics(c):
                d = g.deltas[m]
                style = "" if not d.significant else ("green" if d.delta > 0 else "red")
                cells += [f"{fmt(d.a)} -> {fmt(d.b)}", Text(fmt_delta(d), style=style)]
            table.add_row(*cells)
    parts.append(table)
    moved = [mv for mv in c.criteria if not math.isnan(mv.delta) and mv.delta != 0]
    if moved:
        crit = Table(title="criteria whose failure rate moved most (over the common tasks)",
                     title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")
        for col in ("family", "criterion", "fails A", "fails B", "change"):
            crit.add_column(col, justify="left" if col in ("family", "criterion") else "right")
        for mv in moved[:max_tasks // 2]:
            crit.add_row(mv.family, mv.group, pct(mv.failure_rate_a), pct(mv.failure_rate_b),
                         Text(f"{100 * mv.delta:+.1f} pp",
                              style="red" if mv.delta > 0 else "green"))
        parts.append(crit)
    else:
        parts.append(Text("criteria: no failure rate moved"))
    changes("improved: solved in B, not in A", c.improved, "green")
    beh = Table(title="behaviour over the common tasks", title_justify="left",
                box=box.SIMPLE_HEAD, title_style="bold")
    for col in ("", "A", "B", "delta"):
        beh.add_column(col, justify="left" if not col else "right")
    for name, change in c.behaviour.items():
        beh.add_row(name, fmt(change.a), fmt(change.b), _signed(change.delta))
    parts.append(beh)
    return parts


def plot_deltas(c: Comparison, metric: str = "pass@1") -> str:
    """Per-category delta of ``metric`` with its interval, as a base64 PNG."""
    groups = [c.overall, *c.by_category.values()]
    fig = figure(7.5, 0.45 * len(groups) + 1.4)
    ax = fig.subplots()
    y = np.arange(len(groups))[::-1]
    deltas = [g.deltas[metric] for g in groups]
    values = np.array([d.delta for d in deltas])
    err = np.array([[max(d.delta - d.lo, 0) for d in deltas],
                    [max(d.hi - d.delta, 0) for d in deltas]])
    colors = ["#2b8a3e" if v > 0 else "#c92a2a" for v in np.nan_to_num(values)]
    ax.barh(y, np.nan_to_num(values), xerr=np.nan_to_num(err), color=colors, alpha=0.8, capsize=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [g.group for g in groups])
    ax.set_xlabel(f"delta {metric} (B - A)")
    ax.grid(axis="x", alpha=0.3)
    return png_base64(fig)


def render_comparison_html(c: Comparison, viewer: str | None = None) -> str:
    """The comparison as one self-contained HTML page: regressions first (linked to their
    traces, B beside A, when ``viewer`` is given), then deltas, criteria, improvements."""
    metrics = list(c.overall.deltas)
    head = ["group", "tasks", *(f"{m} A / B / delta" for m in metrics)]
    rows: list[Sequence[str] | str] = []
    for label, groups in (("all", [c.overall]), ("category", list(c.by_category.values())),
                          ("difficulty", list(c.by_difficulty.values())),
                          ("family", list(c.by_family.values()))):
        if label != "all":
            rows.append(f"by {label}")
        for g in groups:
            cells = [html.escape(g.group), str(g.common)]
            for m in metrics:
                d = g.deltas[m]
                color = "" if not d.significant else ("#2b8a3e" if d.delta > 0 else "#c92a2a")
                cells.append(f"{fmt(d.a)} / {fmt(d.b)} / <b style=\"color:{color}\">"
                             f"{_signed(d.delta)}</b><br><small>{_interval(d)}</small>")
            rows.append(cells)
    change_head = ["task", "family", "difficulty", "seed", "passed A", "passed B", "score A",
                   "score B"]

    def change_rows(items: Sequence[TaskChange]) -> list[Sequence[str] | str]:
        return [[(f'<a href="{html.escape(trace_link(viewer, ch))}">{html.escape(ch.task_id)}</a>'
                  if viewer is not None else html.escape(ch.task_id)),
                 html.escape(ch.family), ch.difficulty, str(ch.seed),
                 f"{ch.passed_a}/{ch.samples_a}", f"{ch.passed_b}/{ch.samples_b}",
                 fmt(ch.score_a), fmt(ch.score_b)] for ch in items]

    beh_rows: list[Sequence[str] | str] = [[n, fmt(ch.a), fmt(ch.b), _signed(ch.delta)]
                                           for n, ch in c.behaviour.items()]
    crit_rows: list[Sequence[str] | str] = [
        [html.escape(m.family), html.escape(m.group), pct(m.failure_rate_a),
         pct(m.failure_rate_b), f"{100 * m.delta:+.1f} pp", str(m.traces_a), str(m.traces_b)]
        for m in c.criteria if not math.isnan(m.delta)]
    title = f"{html.escape(c.b)} vs {html.escape(c.a)}"
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in c.warnings)
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>workgym comparison: {title}</title><style>{CSS}</style></head><body>",
        f"<h1>workgym comparison: B = {html.escape(c.b)} against A = {html.escape(c.a)}</h1>",
        (f'<p class="meta">{c.common} common tasks ({c.only_in_a} only in A, {c.only_in_b} '
        f"only in B); errors not scored: A {c.errors_a}, B {c.errors_b}. Deltas are B - A over "
        f"the common tasks, with a {100 * c.ci.level:g}% paired {c.ci.method} interval over "
        f"tasks (seed {c.ci.seed}); bold green or red when it excludes 0.</p>"),
        f'<div class="box warn"><ul>{warnings}</ul></div>' if warnings else "",
        f"<h2>Regressed: {len(c.regressed)}</h2>",
        '<p class="note">Solved by some sample in A, by none in B.</p>',
        html_table(change_head, change_rows(c.regressed), 3),
        "<h2>Deltas</h2>", html_table(head, rows),
        "<h2>pass@1 delta per category</h2>", img_tag(plot_deltas(c), "pass@1 delta per category"),
        "<h2>Criteria, largest change of failure rate first</h2>",
        html_table(["family", "criterion group", "fails in A", "fails in B", "change",
                    "traces A", "traces B"], crit_rows, 2),
        f"<h2>Improved: {len(c.improved)}</h2>",
        html_table(change_head, change_rows(c.improved), 3),
        "<h2>Behaviour over the common tasks</h2>",
        html_table(["", "A", "B", "delta"], beh_rows),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
