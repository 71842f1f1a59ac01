"""Reports of a run: a terminal table, ``report.json`` and a self-contained ``report.html``.

A report reads in the order its reader asks: can the run be trusted (warnings and errors
first), how did it score (metrics with intervals, per category and difficulty), why did
it fail (failure classes, criteria ranked by failure, failed traces linked into the
trace viewer), and how did it act (process statistics, tools called, time per trace,
behaviour).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, computed_field

from workgym.core import TaskSpec, Trace
from workgym.eval._attribution import FAILURE_CLASSES, Attribution, attribute
from workgym.eval._checks import Completeness, completeness, recorded_warnings, run_warnings
from workgym.eval._complexity import (
    LevelComplexity,
    complexity_html,
    complexity_table,
    load_complexity,
)
from workgym.eval._metrics import CIConfig, Estimate, is_error, mean_metric, task_outcomes
from workgym.eval._process import ProcessSummary, process_stats, summarize_process
from workgym.eval._runs import load_run, load_run_config, run_name
from workgym.eval._summary import Behaviour, GroupSummary, MetricsConfig, RunSummary, summarize
from workgym.eval._usage import Timing, ToolUsage, timings, tool_usage

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from rich.console import RenderableType

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
VIEWER_LINK = "viewer/index.html"
"""Where ``report.html`` finds the static trace viewer, relative to itself."""
MAX_ERROR_CHARS = 4000
"""The first error is kept whole up to this length (a traceback, a server's answer)."""

SplitSides = Callable[[TaskSpec], Mapping[str, str | None]]
"""Which side (``train``, ``test`` or None) of each generalization split a task is on:
``workgym.agent.split_sides``, passed in because the splits are defined above this
package."""


class SplitScore(BaseModel):
    """A run's tasks on one side of one generalization split."""

    model_config = ConfigDict(frozen=True)

    split: str
    side: str
    """``test`` or ``train``."""
    tasks: int
    """Tasks of the side with at least one graded sample."""
    samples: int
    """Graded samples of those tasks."""
    errors: int
    """Error traces of the side (not scored, never counted as 0)."""
    pass1: Estimate
    """pass@1 averaged over the side's tasks."""
    mean_score: Estimate
    """Dense reward: per-task mean score, averaged over the side's tasks."""


class SplitCoverage(BaseModel):
    """The run's scores per side of every generalization split it holds tasks of."""

    model_config = ConfigDict(frozen=True)

    splits: list[str]
    """Every split the tasks were checked against, in definition order."""
    scores: list[SplitScore]
    """One per split side holding a task of the run: by split, the test side first."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def uncovered(self) -> list[str]:
        """The splits no task of the run is on (on either side)."""
        covered = {s.split for s in self.scores}
        return [name for name in self.splits if name not in covered]


def split_coverage(traces: Sequence[Trace], sides: SplitSides, threshold: float = 1.0,
                   ci: CIConfig | None = None) -> SplitCoverage:
    """Score a run's traces per side of each generalization split.

    Each task counts on every split side it belongs to (a plain hard holdout task is on
    the test side of ``holdout`` and of ``difficulty``); a split side with no task of the
    run is left out rather than scored 0.

    Args:
        traces: the run's traces.
        sides: the side of each split a task is on (``workgym.agent.split_sides``).
        threshold: success threshold of a sample.
        ci: interval settings.
    """
    known: dict[str, Mapping[str, str | None]] = {}
    for trace in traces:
        if trace.task_id not in known:
            known[trace.task_id] = sides(trace.spec)
    names = list(next(iter(known.values()), {}))
    outcomes = task_outcomes(traces, threshold)
    scores: list[SplitScore] = []
    for name in names:
        for side in ("test", "train"):
            ids = {task for task, where in known.items() if where.get(name) == side}
            if not ids:
                continue
            mine = [o for o in outcomes if o.task_id in ids]
            scores.append(SplitScore(
                split=name, side=side, tasks=len(mine), samples=sum(o.n for o in mine),
                errors=sum(1 for t in traces if t.task_id in ids and is_error(t)),
                pass1=mean_metric(mine, "pass@1", ci), mean_score=mean_metric(mine, "mean_score", ci)))
    return SplitCoverage(splits=names, scores=scores)


class Report(BaseModel):
    """The metrics of one run, why its traces failed, and how it acted."""

    model_config = ConfigDict(frozen=True)

    run: str
    """The run's name (its folder name)."""
    path: str
    """The run folder."""
    config: dict[str, Any]
    """The run's own ``config.json`` (policy, model, limits...), as saved by the runner."""
    summary: RunSummary
    warnings: list[str] = Field(default_factory=list)
    """What to know before reading the numbers (no tool calls, all errors, incomplete)."""
    completeness: Completeness | None = None
    first_error: str | None = None
    """The whole error text of the first error trace."""
    attribution: Attribution | None = None
    process: ProcessSummary | None = None
    tools: list[ToolUsage] = Field(default_factory=list)
    """Tools called, most called first."""
    timing: list[Timing] = Field(default_factory=list)
    """Time per trace: overall (``all``), then per family."""
    complexity: list[LevelComplexity] = Field(default_factory=list)
    """Planning complexity and state richness per family and level beside the scores,
    when the run holds them (``complexity.json``, from ``workgym stats --run``)."""
    splits: SplitCoverage | None = None
    """Scores per side of each generalization split; None when the report was built
    without the split definitions (``splits`` of :func:`build_report`)."""


def report_from_traces(
    traces: Sequence[Trace],
    *,
    run: str = "run",
    path: str | Path = ".",
    config: dict[str, Any] | None = None,
    metrics: MetricsConfig | None = None,
    expected: int | None = None,
    complexity: Sequence[LevelComplexity] = (),
    splits: SplitSides | None = None,
) -> Report:
    """Compute the report of a run's traces.

    Args:
        traces: the run's traces.
        run: its name.
        path: its folder.
        config: its saved config (``config.json``).
        metrics: threshold, k values, interval settings.
        expected: the traces the run should hold, when known (marks an incomplete run).
        complexity: the run's complexity table, shown beside the scores.
        splits: the side of each generalization split a task is on
            (``workgym.agent.split_sides``); the report then scores each split side.

    Raises:
        ValueError: no traces.
    """
    config = config or {}
    summary = summarize(traces, metrics)
    stats = [process_stats(t) for t in traces]
    complete = completeness(traces, config, expected)
    errors = [t for t in traces if is_error(t)]
    first = next((t.error for t in errors if t.error), None)
    return Report(
        run=run, path=str(path), config=config, summary=summary,
        warnings=run_warnings(traces, complete, recorded_warnings(config, summary, traces)),
        completeness=complete,
        first_error=None if first is None else first[:MAX_ERROR_CHARS],
        attribution=attribute(traces, summary.threshold, stats),
        process=summarize_process(traces, stats),
        tools=tool_usage(traces),
        timing=timings(traces),
        complexity=list(complexity),
        splits=None if splits is None else split_coverage(traces, splits, summary.threshold,
                                                          summary.ci),
    )


def build_report(run: str | Path, config: MetricsConfig | None = None,
                 expected: int | None = None, splits: SplitSides | None = None) -> Report:
    """Read a run folder and compute its report.

    Args:
        run: the run folder.
        config: threshold, k values, interval settings.
        expected: the traces the run should hold, when known (marks an incomplete run).
        splits: the side of each generalization split a task is on
            (``workgym.agent.split_sides``); the report then scores each split side.

    Raises:
        RunError: the folder is missing, empty or corrupt.
    """
    run_config = dict(load_run_config(run))
    recorded = _summary_warnings(Path(run))
    if recorded:
        run_config["warnings"] = [*(run_config.get("warnings") or []), *recorded]
    return report_from_traces(load_run(run), run=run_name(run), path=Path(run),
                              config=run_config, metrics=config, expected=expected,
                              complexity=load_complexity(run), splits=splits)


def _summary_warnings(folder: Path) -> list[Any]:
    """The warnings ``workgym eval`` recorded in the run's ``summary.json`` (those only the
    run itself could see, such as a server that sent no tool call), if any."""
    try:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    warnings = data.get("warnings") if isinstance(data, dict) else None
    return [w for w in warnings if w] if isinstance(warnings, list) else []


def write_report(report: Report, folder: str | Path | None = None, *,
                 viewer: bool = True) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``folder`` (default: the run folder),
    and the static trace viewer that ``report.html`` links into (``viewer/``).

    Args:
        report: the report.
        folder: where to write; default the run folder.
        viewer: also export the trace viewer (needs the run's traces at ``report.path``).

    Returns:
        The paths of the JSON and HTML files.
    """
    folder = Path(folder or report.path)
    if folder.is_file():
        folder = folder.parent
    json_path, html_path = folder / REPORT_JSON, folder / REPORT_HTML
    json_path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    link = None
    if viewer:
        from workgym.eval._view import RunIndex, export_viewer

        export_viewer([RunIndex.load(report.path, report.summary.threshold)],
                      folder / Path(VIEWER_LINK).parent)
        link = VIEWER_LINK
    html_path.write_text(render_html(report, link), encoding="utf-8")
    return json_path, html_path


# -- formatting -----------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def secs(value: float | None) -> str:
    """A duration for people: ms under a second."""
    if value is None or math.isnan(value):
        return "-"
    if value < 1:
        return f"{1000 * value:.{2 if value < 0.01 else 0}f} ms"
    return f"{value:.1f} s"


def fmt_ci(est: Estimate) -> str:
    if math.isnan(est.value):
        return "-"
    return f"{est.value:.3f} [{fmt(est.lo)}, {fmt(est.hi)}]"


def _sections(summary: RunSummary) -> list[tuple[str, list[GroupSummary]]]:
    sections = [("all", [summary.overall]),
                ("category", list(summary.by_category.values())),
                ("difficulty", list(summary.by_difficulty.values()))]
    if len(summary.by_suite) > 1:  # one suite is the whole run: the "all" row
        sections.append(("suite", list(summary.by_suite.values())))
    return sections


def _shown_ks(ks: Sequence[int]) -> list[int]:
    # the terminal is narrow: show at most five pass@k columns (first ones and the last)
    return list(ks) if len(ks) <= 5 else [*ks[:4], ks[-1]]


def _metric_columns(summary: RunSummary) -> list[tuple[str, Callable[[GroupSummary], float]]]:
    cols: list[tuple[str, Callable[[GroupSummary], float]]] = [
        (f"pass@{k}", lambda g, k=k: g.pass_at_k[k].value) for k in _shown_ks(summary.ks)  # type: ignore[misc]
    ]
    top = summary.ks[-1]
    if top > 1:
        cols.append((f"pass^{top}", lambda g: g.pass_hat_k[top].value))
    cols += [("score", lambda g: g.mean_score.value),
             ("any sparse", lambda g: g.any_success.value),
             ("any dense", lambda g: g.any_reward.value)]
    return cols


BEHAVIOUR_COLUMNS: list[tuple[str, Callable[[Behaviour], str]]] = [
    ("traces", lambda b: str(b.traces)),
    ("turns", lambda b: fmt(b.mean_turns, 1)),
    ("calls", lambda b: fmt(b.mean_tool_calls, 1)),
    ("parallel", lambda b: pct(b.parallel_call_rate)),
    ("closure", lambda b: pct(b.closure_rate)),
    ("invalid", lambda b: pct(b.invalid_call_rate)),
    ("unknown", lambda b: pct(b.unknown_tool_rate)),
    ("tool err", lambda b: pct(b.tool_error_rate)),
    ("truncated", lambda b: pct(b.truncation_rate)),
    ("tok in", lambda b: fmt(b.mean_prompt_tokens, 0)),
    ("tok out", lambda b: fmt(b.mean_completion_tokens, 0)),
]
"""Behaviour columns: per trace means (turns, tool calls, tokens in and out), rates per
tool call (invalid, unknown tool, tool errors), per turn (parallel) or per trace
(closure, truncated)."""


def _header(report: Report) -> str:
    s = report.summary
    who = ", ".join(s.policies) + (f" ({', '.join(s.models)})" if s.models else "")
    state = ""
    if report.completeness is not None and report.completeness.complete is False:
        state = "; INCOMPLETE"
    return (f"run {report.run}: {who}; threshold {s.threshold:g}; {s.overall.tasks} tasks, "
            f"{s.overall.samples} graded samples, {s.errors} errors{state}")


# -- terminal -------------------------------------------------------------------------------


def report_renderables(report: Report, max_rows: int = 10) -> list[RenderableType]:
    """The report as rich renderables: warnings and errors first, then the metrics, the
    criteria that fail most, process, tools, time and behaviour."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    s = report.summary
    parts: list[RenderableType] = [Text(_header(report), style="bold")]
    for warning in report.warnings:
        parts.append(Text(f"warning: {warning}", style="bold yellow"))
    if s.errors:
        lines = "; ".join(f"{msg} (x{n})" for msg, n in s.error_messages.items())
        parts.append(Text(f"errors, not scored: {s.errors} of {s.traces} traces: {lines}",
                          style="yellow"))
    cols = _metric_columns(s)
    metrics = Table(title="metrics: per task, then averaged over tasks", title_justify="left",
                    box=box.SIMPLE_HEAD, title_style="bold", pad_edge=False)
    metrics.add_column("group", no_wrap=True)
    for name in ("tasks", "samples", "errors", *(name for name, _ in cols)):
        metrics.add_column(name, justify="right")
    for label, groups in _sections(s):
        if label != "all" and groups:
            metrics.add_row(Text(f"by {label}", style="dim italic"))
        for g in groups:
            metrics.add_row(g.group, str(g.tasks), str(g.samples), str(g.errors),
                            *(fmt(fn(g)) for _, fn in cols))
    parts.append(metrics)
    o = s.overall
    parts.append(Text(f"{100 * s.ci.level:g}% CI ({s.ci.method} over tasks): pass@1 "
                      f"{fmt_ci(o.pass_at_k[1])}, score {fmt_ci(o.mean_score)}\n"
                      "any sparse / dense: "
                      "share of tasks where some sample succeeded / scored above 0"))
    if report.splits is not None:
        parts += _splits_renderables(report.splits)
    a = report.attribution
    if a is not None and a.failed:
        classes = ", ".join(f"{name} {n}" for name, n in a.classes.items())
        parts.append(Text(f"failed traces: {a.failed} of {a.graded} graded; by failure "
                          f"class: {classes}"))
        crit = Table(title="criteria that fail most (failure rate over the traces that "
                     "check them)", title_justify="left", box=box.SIMPLE_HEAD,
                     title_style="bold", pad_edge=False)
        for col in ("family", "criterion", "checked", "failed", "rate", "first to fail"):
            crit.add_column(col, justify="left" if col in ("family", "criterion") else "right")
        for c in [c for c in a.criteria if c.failed_traces][:max_rows]:
            crit.add_row(c.family, c.group + (" (guard)" if c.guard else ""), str(c.traces),
                         str(c.failed_traces), pct(c.failure_rate), str(c.first_failed))
        parts.append(crit)
    p = report.process
    if p is not None and p.traces:
        parts.append(Text(
            f"process: {p.repeated_calls} repeated identical calls "
            f"({pct(p.repeated_call_rate)} of calls), {p.traces_with_loops} traces with loops, "
            f"{p.exploration_without_closure} explored without closure, "
            f"{p.unknown_tool_calls} unknown-tool calls, {p.parameter_errors} parameter "
            f"errors, tool errors recovered {p.recovered_errors} / not {p.unrecovered_errors}, "
            f"{p.claimed_unfinished} claimed completion while failing"))
    if report.tools:
        tools = Table(title="tools called", title_justify="left", box=box.SIMPLE_HEAD,
                      title_style="bold", pad_edge=False)
        for col in ("tool", "calls", "traces", "failed", "mean time"):
            tools.add_column(col, justify="left" if col == "tool" else "right")
        for u in report.tools[:max_rows]:
            tools.add_row(u.tool, str(u.calls), str(u.traces), str(u.failed),
                          secs(u.mean_ms / 1000))
        if len(report.tools) > max_rows:
            tools.caption = f"and {len(report.tools) - max_rows} more tools (see report.json)"
            tools.caption_justify = "left"
        parts.append(tools)
    if report.timing:
        t = report.timing[0]
        parts.append(Text(f"time per trace: mean {secs(t.mean_s)}, median {secs(t.median_s)}, "
                          f"p90 {secs(t.p90_s)}, max {secs(t.max_s)}; per turn "
                          f"{secs(t.per_turn_s)}; {pct(t.tool_share)} of it in tools"))
    if report.complexity:
        parts.append(complexity_table(report.complexity))
    table = Table(title="behaviour of graded traces: means per trace, rates per tool call "
                  "(invalid, unknown, tool err), per turn (parallel) or per trace",
                  title_justify="left", box=box.SIMPLE_HEAD, title_style="bold", pad_edge=False)
    table.add_column("group", no_wrap=True)
    for name, _ in BEHAVIOUR_COLUMNS:
        table.add_column(name, justify="right")
    for _label, groups in _sections(s)[:2]:
        for g in groups:
            table.add_row(g.group, *(fn(g.behaviour) for _, fn in BEHAVIOUR_COLUMNS))
    parts.append(table)
    b = o.behaviour
    stops = ", ".join(f"{k} {v}" for k, v in b.stop_reasons.items()) or "-"
    parts.append(Text(f"stop reasons: {stops}; tokens: {b.prompt_tokens} prompt, "
                      f"{b.completion_tokens} completion"))
    return parts


def _uncovered_line(coverage: SplitCoverage) -> str:
    if not coverage.uncovered:
        return ""
    return (f"not covered by this run (no task on either side, so not scored): "
            f"{', '.join(coverage.uncovered)}")


def _splits_renderables(coverage: SplitCoverage) -> list[RenderableType]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if not coverage.scores:
        return [Text("generalization splits: no task of this run is on a side of any split "
                     f"({', '.join(coverage.splits)})")]
    table = Table(title="generalization splits: the run's tasks on each side",
                  title_justify="left", box=box.SIMPLE_HEAD, title_style="bold", pad_edge=False)
    for col in ("split", "side", "tasks", "samples", "errors", "pass@1", "mean score"):
        table.add_column(col, justify="left" if col in ("split", "side") else "right")
    for sc in coverage.scores:
        table.add_row(sc.split, sc.side, str(sc.tasks), str(sc.samples), str(sc.errors),
                      fmt(sc.pass1.value), fmt(sc.mean_score.value))
    out: list[RenderableType] = [table]
    if coverage.uncovered:
        out.append(Text(_uncovered_line(coverage)))
    return out


# -- plots ----------------------------------------------------------------------------------


def figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # the Agg backend, whatever the global matplotlib backend is
    return fig


def png_base64(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def plot_pass_curves(summary: RunSummary) -> str:
    """pass@k and pass^k against k, overall and per category; a base64 PNG.

    Only meaningful with two k values or more (see :func:`render_html`).
    """
    fig = figure(10, 4)
    ax_at, ax_hat = fig.subplots(1, 2, sharey=True)
    ks = summary.ks
    groups = [summary.overall, *summary.by_category.values()]
    for i, g in enumerate(groups):
        style: dict[str, Any] = ({"color": "black", "linewidth": 2.5, "zorder": 3} if i == 0
                                 else {"color": f"C{(i - 1) % 10}", "linewidth": 1.3,
                                       # past ten groups colours repeat: vary the dashes
                                       "linestyle": ("-", "--", ":")[(i - 1) // 10 % 3]})
        for ax, values in ((ax_at, g.pass_at_k), (ax_hat, g.pass_hat_k)):
            ax.plot(ks, [values[k].value for k in ks], marker="o", markersize=4,
                    label=g.group, **style)
    o = summary.overall
    ax_at.fill_between(ks, [o.pass_at_k[k].lo for k in ks], [o.pass_at_k[k].hi for k in ks],
                       color="black", alpha=0.08, linewidth=0, label="all: CI")
    for ax, title in ((ax_at, "pass@k"), (ax_hat, "pass^k")):
        ax.set_xscale("log", base=2)
        ax.set_xlim(ks[0] / 1.25, ks[-1] * 1.25)  # explicit: autoscale fails on all-NaN data
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("k")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    ax_at.set_ylabel("share of tasks (mean over tasks)")
    ax_hat.legend(loc="upper right", fontsize=8, frameon=False, ncol=1 + len(groups) // 12)
    return png_base64(fig)


def plot_group_bars(groups: Sequence[GroupSummary], title: str) -> str:
    """Mean score and pass@1 per group with their confidence intervals; a base64 PNG.

    Horizontal bars, one pair per group, so that 27 categories stay readable; each bar
    carries its value, so a bar of 0 still reads as 0.
    """
    import numpy as np

    fig = figure(9.0, 0.42 * len(groups) + 1.3)
    ax = fig.subplots()
    y = np.arange(len(groups))[::-1]  # first group on top
    height = 0.4
    for offset, name, get in ((height / 2, "mean score", lambda g: g.mean_score),
                              (-height / 2, "pass@1", lambda g: g.pass_at_k[1])):
        ests = [get(g) for g in groups]
        values = np.array([e.value for e in ests])
        err = np.array([[max(e.value - e.lo, 0) for e in ests],
                        [max(e.hi - e.value, 0) for e in ests]])
        ax.barh(y + offset, np.nan_to_num(values), height, label=name,
                xerr=np.nan_to_num(err), capsize=2, error_kw={"elinewidth": 1, "alpha": 0.6})
        for yy, est in zip(y + offset, ests, strict=True):
            end = max(np.nan_to_num(est.value), np.nan_to_num(est.hi))
            ax.text(end + 0.01, yy, fmt(est.value, 2), va="center", fontsize=7)
    ax.set_yticks(y, [g.group for g in groups])
    ax.set_ylim(-0.7, len(groups) - 0.3)
    ax.set_xlim(0, 1.1)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2)
    return png_base64(fig)


# -- HTML -----------------------------------------------------------------------------------

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430;
       max-width: 1180px; margin: 24px auto; padding: 0 20px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px;
       border-bottom: 1px solid #dde3ea; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 4px; }
a { color: #1c5fb0; }
.meta { color: #5a6573; }
table { border-collapse: collapse; margin: 8px 0 4px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6eaef; text-align: right;
         white-space: nowrap; }
th { background: #f3f5f8; font-weight: 600; }
td.l, th.l { text-align: left; }
td.txt { white-space: normal; min-width: 140px; }
tr.sec td { background: #fafbfc; color: #5a6573; font-weight: 600; text-align: left; }
small { color: #7a8591; }
.wrap { overflow-x: auto; }
img { max-width: 100%; display: block; margin: 8px 0; }
.note { color: #5a6573; font-size: 13px; }
.err { color: #9a5b00; }
.box { border: 1px solid; border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
.box.warn { border-color: #e8b64c; background: #fff8e6; }
.box.errors { border-color: #e39a9a; background: #fff4f4; }
.box ul { margin: 4px 0; padding-left: 20px; }
.viewer { font-size: 15px; font-weight: 600; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; white-space: pre-wrap; }
.barcell { display: inline-block; height: 9px; background: #c92a2a; vertical-align: middle;
           border-radius: 2px; }
.rate { display: inline-block; width: 4.2em; text-align: right; margin-right: 6px; }
"""


def _cell(est: Estimate) -> str:
    if math.isnan(est.value):
        return "-"
    return f"{est.value:.3f}<br><small>{fmt(est.lo, 2)}&ndash;{fmt(est.hi, 2)}</small>"


def html_table(head: Sequence[str], rows: Sequence[Sequence[str] | str], left: int = 1,
               text: Sequence[int] = (), lefts: Sequence[int] = ()) -> str:
    """An HTML table; ``rows`` are pre-escaped cells, or a string for a section row.

    The first ``left`` columns and those in ``lefts`` are left-aligned; the columns in
    ``text`` are left-aligned and wrap (prose: evidence, descriptions).
    """
    cls = [' class="l txt"' if i in text else ' class="l"' if i < left or i in lefts else ""
           for i in range(len(head))]
    out = ["<table><tr>" + "".join(f"<th{c}>{html.escape(h)}</th>" for c, h in zip(cls, head))
           + "</tr>"]
    for row in rows:
        if isinstance(row, str):
            out.append(f'<tr class="sec"><td colspan="{len(head)}">{html.escape(row)}</td></tr>')
        else:
            out.append("<tr>" + "".join(f"<td{c}>{v}</td>" for c, v in zip(cls, row)) + "</tr>")
    return '<div class="wrap">' + "\n".join(out) + "</table></div>"


def img_tag(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _link(viewer: str | None, text: str, **params: object) -> str:
    """``text`` linked into the viewer with ``params`` (filters or one trace)."""
    if viewer is None:
        return html.escape(text)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f'<a href="{html.escape(viewer)}#{html.escape(query)}">{html.escape(text)}</a>'


def _metrics_html(summary: RunSummary, sections: Sequence[tuple[str, list[GroupSummary]]]) -> str:
    ks = summary.ks
    head = ["group", "tasks", "samples", "errors", *(f"pass@{k}" for k in ks), "mean score",
            "any sparse", "any dense"]
    rows: list[Sequence[str] | str] = []
    for label, groups in sections:
        if label != "all" and groups:
            rows.append(f"by {label}")
        for g in groups:
            rows.append([html.escape(g.group), str(g.tasks), str(g.samples), str(g.errors),
                         *(_cell(g.pass_at_k[k]) for k in ks), _cell(g.mean_score),
                         _cell(g.any_success), _cell(g.any_reward)])
    return html_table(head, rows)


def _reliability_html(summary: RunSummary,
                      sections: Sequence[tuple[str, list[GroupSummary]]]) -> str:
    # pass^1 is pass@1: the table starts at k = 2.
    ks = [k for k in summary.ks if k > 1]
    head = ["group", "tasks", *(f"pass^{k}" for k in ks)]
    rows: list[Sequence[str] | str] = []
    for label, groups in sections:
        if label != "all" and groups:
            rows.append(f"by {label}")
        for g in groups:
            rows.append([html.escape(g.group), str(g.tasks), *(_cell(g.pass_hat_k[k]) for k in ks)])
    return html_table(head, rows)


def _behaviour_html(sections: Sequence[tuple[str, list[GroupSummary]]]) -> str:
    head = ["group", *(name for name, _ in BEHAVIOUR_COLUMNS), "stop reasons"]
    rows: list[Sequence[str] | str] = []
    for label, groups in sections:
        if label != "all" and groups:
            rows.append(f"by {label}")
        for g in groups:
            b = g.behaviour
            stops = ", ".join(f"{k}&nbsp;{v}" for k, v in b.stop_reasons.items())
            rows.append([html.escape(g.group), *(fn(b) for _, fn in BEHAVIOUR_COLUMNS), stops])
    return html_table(head, rows)


def _splits_html(coverage: SplitCoverage) -> list[str]:
    parts = ["<h2>Generalization splits</h2>",
             ('<p class="note">Each split (docs/splits.md) pairs a train side with a test side '
              "that differ along one axis; a task counts on every split side it belongs to. "
              "mean score: the dense reward, per task, then averaged over tasks.</p>")]
    if not coverage.scores:
        parts.append('<p class="meta">No task of this run is on a side of any split '
                     f"({html.escape(', '.join(coverage.splits))}).</p>")
        return parts
    rows: list[Sequence[str] | str] = [
        [html.escape(sc.split), html.escape(sc.side), str(sc.tasks), str(sc.samples),
         str(sc.errors), _cell(sc.pass1), _cell(sc.mean_score)] for sc in coverage.scores]
    parts.append(html_table(["split", "side", "tasks", "samples", "errors", "pass@1",
                             "mean score"], rows, 2))
    if coverage.uncovered:
        parts.append(f'<p class="meta">{html.escape(_uncovered_line(coverage).capitalize())}.</p>')
    return parts


def _top_html(report: Report, viewer: str | None) -> list[str]:
    """Warnings and errors: what the reader must see before any number."""
    s = report.summary
    parts = []
    if report.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in report.warnings)
        parts.append(f'<div class="box warn" id="warnings"><b>Warnings</b><ul>{items}</ul></div>')
    if s.errors:
        rows = [[html.escape(msg), str(n)] for msg, n in s.error_messages.items()]
        first = ("" if report.first_error is None else
                 "<details><summary>the first error in full</summary><pre>"
                 f"{html.escape(report.first_error)}</pre></details>")
        parts.append(
            f'<div class="box errors" id="errors"><b>{s.errors} of {s.traces} traces are '
            "errors</b>: they failed outside the model (or their grade is invalid) and are "
            f"left out of every metric ({_link(viewer, 'browse them', outcome='error')})."
            f"{html_table(['message (first line)', 'traces'], rows)}{first}</div>")
    return parts


def _charts_html(s: RunSummary) -> list[str]:
    if not s.overall.tasks:
        return ['<p class="err">No graded traces: nothing to plot.</p>']
    parts = []
    if len(s.ks) > 1:
        parts += ["<h2>pass@k and pass^k</h2>", img_tag(plot_pass_curves(s), "pass@k curves")]
    else:
        parts.append('<p class="note">No pass@k curve: every task has one sample (run with '
                     "-k 2 or more to see pass@k and pass^k grow with k).</p>")
    for label, groups in (("category", list(s.by_category.values())),
                          ("difficulty", list(s.by_difficulty.values()))):
        if len(groups) < 2:
            continue
        values = [v for g in groups for v in (g.mean_score.value, g.pass_at_k[1].value)]
        if all(math.isnan(v) or v == 0 for v in values):
            parts.append(f'<p class="note">Per {label}: every {label} scores 0 (no chart).</p>')
            continue
        parts += [f"<h3>Mean score and pass@1 per {label}</h3>",
                  img_tag(plot_group_bars([s.overall, *groups], f"by {label}"),
                          f"mean score and pass@1 per {label}")]
    return parts


def _rate(rate: float) -> str:
    """A rate with a small bar after it (in a left-aligned column the bars line up)."""
    width = 0 if math.isnan(rate) else round(60 * rate)
    return (f'<span class="rate">{pct(rate)}</span>'
            f'<span class="barcell" style="width:{width}px"></span>')


def _attribution_html(a: Attribution, viewer: str | None, max_rows: int = 30) -> list[str]:
    if not a.graded:
        return []
    parts = ["<h2>Why traces failed</h2>",
             (f'<p class="meta">{a.failed} of {a.graded} graded traces failed '
              f"({_link(viewer, 'browse them', outcome='failed')}). Each failed trace gets "
              "the first failure class that applies, most upstream first.</p>")]
    if a.failed:
        rows: list[Sequence[str] | str] = [
            [_link(viewer, name, outcome="failed", fclass=name), str(n), pct(n / a.failed),
             html.escape(FAILURE_CLASSES.get(name, ""))] for name, n in a.classes.items()]
        parts += ["<h3>Failure classes</h3>",
                  html_table(["class", "traces", "share", "meaning"], rows, text=[3])]
        fam_rows: list[Sequence[str] | str] = [
            [_link(viewer, f.family, family=f.family, outcome="failed"), str(f.traces),
             str(f.failed), _rate(f.failure_rate), str(f.errors),
             html.escape(f.top_criterion or "-")] for f in a.families]
        parts += ["<h3>Per family</h3>",
                  html_table(["family", "graded", "failed", "failure rate", "errors",
                              "most often first to fail"], fam_rows, lefts=[3], text=[5])]
    crit_rows: list[Sequence[str] | str] = [
        [html.escape(c.family),
         _link(viewer, c.group, family=c.family, criterion=c.group) if c.failed_traces
         else html.escape(c.group),
         "guard" if c.guard else html.escape(c.kind), str(c.traces), str(c.failed_traces),
         _rate(c.failure_rate), f"{pct(c.pass_rate)} <small>{c.items_passed}/{c.items}</small>",
         str(c.first_failed)] for c in a.criteria]
    head = ["family", "criterion group", "kind", "checked in", "failed in", "failure rate",
            "pass rate", "first to fail"]
    parts += ["<h3>Criteria, failing most first</h3>",
              ('<p class="note">failure rate: share of the traces that check the group where '
               "one of its criteria failed. pass rate: share of the group's criteria that "
               "passed (a group can hold several per trace, e.g. one per required line). first "
               "to fail: failed traces whose first failed criterion is in the group.</p>"),
              html_table(head, crit_rows[:max_rows], 2, lefts=[5])]
    if len(crit_rows) > max_rows:
        parts.append(f"<details><summary>{len(crit_rows) - max_rows} more criteria</summary>"
                     f"{html_table(head, crit_rows[max_rows:], 2, lefts=[5])}</details>")
    if a.failed_traces:
        shown = a.failed_traces[:max_rows]
        trows: list[Sequence[str] | str] = [
            [_link(viewer, f"{f.family} · {f.difficulty} · seed {f.seed}"
                   + (f" · sample {f.sample}" if f.sample else ""), task=f.task_id,
                   sample=f.sample),
             fmt(f.score, 2), html.escape(f.failure_class), html.escape(f.first_failed or "-"),
             f'<span class="note">{html.escape((f.evidence or "")[:160])}</span>']
            for f in shown]
        parts += [f"<h3>Failed traces ({len(a.failed_traces)})</h3>",
                  html_table(["trace", "score", "class", "first failed criterion", "evidence"],
                             trows, 1, lefts=[2], text=[3, 4])]
        if len(a.failed_traces) > max_rows:
            parts.append(f'<p class="note">and {len(a.failed_traces) - max_rows} more: '
                         f"{_link(viewer, 'all failed traces', outcome='failed')}.</p>")
    return parts


def _process_html(p: ProcessSummary, viewer: str | None) -> list[str]:
    if not p.traces:
        return []
    rows: list[Sequence[str] | str] = [
        ["repeated identical calls", f"{p.repeated_calls}", pct(p.repeated_call_rate) + " of calls"],
        [_link(viewer, "three or more identical calls in a row", flag="identical run"),
         str(p.traces_with_identical_runs), "traces"],
        [_link(viewer, "loops (a short sequence of calls repeated)", flag="loop"),
         str(p.traces_with_loops), f"traces ({p.loop_calls} calls)"],
        [_link(viewer, "explored without closure (required artifact never written)",
               flag="no closure"),
         str(p.exploration_without_closure), f"of {p.closure_known} traces with artifacts"],
        [_link(viewer, "tool-selection errors (unknown tools)", flag="unknown tool"),
         str(p.unknown_tool_calls), "calls"],
        [_link(viewer, "parameter errors (invalid arguments, unknown ids)", flag="parameter error"),
         str(p.parameter_errors), (f"calls ({p.invalid_argument_calls} invalid, "
                                   f"{p.unknown_id_errors} unknown ids)")],
        [_link(viewer, "tool errors recovered from / not", flag="unrecovered error"),
         f"{p.recovered_errors} / {p.unrecovered_errors}", pct(p.recovery_rate) + " recovered"],
        [_link(viewer, "claimed completion while criteria fail", flag="claimed unfinished"),
         str(p.claimed_unfinished), f"of {p.answered} traces with a final message"],
        ["tokens per turn", fmt(p.mean_tokens_per_turn, 0), "mean over traces"],
        ["wall time per turn", secs(p.mean_seconds_per_turn), "mean over traces"],
        ["time inside tools", pct(p.tool_time_share), "of the wall time"],
    ]
    crit: list[Sequence[str] | str] = [
        [html.escape(c.name), str(c.passed), str(c.failed), str(c.not_applicable),
         pct(c.pass_rate), "reported only" if not c.weight else f"weight {c.weight:g}",
         f'<span class="note">{html.escape(c.description)}</span>'] for c in p.criteria]
    return ["<h2>Process</h2>",
            f'<p class="meta">How the {p.traces} graded traces went about their tasks.</p>',
            html_table(["", "count", ""], rows, text=[2]),
            "<h3>Process criteria</h3>",
            ('<p class="note">Optional checks of the process, reported beside the grade. They '
             "earn no reward; one given a weight takes that share of the reward away when it "
             "fails (workgym.eval.process_reward).</p>"),
            html_table(["criterion", "passed", "failed", "n/a", "pass rate", "reward", ""],
                       crit, text=[6])]


def _tools_html(tools: Sequence[ToolUsage], viewer: str | None) -> list[str]:
    if not tools:
        return ["<h2>Tools called</h2>", '<p class="err">No tool was called.</p>']
    rows: list[Sequence[str] | str] = [
        [html.escape(u.tool), str(u.calls), str(u.traces), str(u.failed), pct(u.error_rate),
         html.escape(", ".join(f"{k} {v}" for k, v in u.errors.items()) or "-"),
         secs(u.mean_ms / 1000)] for u in tools]
    return ["<h2>Tools called</h2>",
            html_table(["tool", "calls", "traces", "failed", "failure rate", "failures by kind",
                        "mean time"], rows)]


def _timing_html(timing: Sequence[Timing]) -> list[str]:
    if not timing:
        return []
    rows: list[Sequence[str] | str] = [
        [html.escape(t.group), str(t.traces), secs(t.mean_s), secs(t.median_s), secs(t.p90_s),
         secs(t.max_s), secs(t.total_s), secs(t.per_turn_s), pct(t.tool_share)]
        for t in timing]
    return ["<h2>Time per trace</h2>",
            html_table(["group", "traces", "mean", "median", "p90", "max", "total", "per turn",
                        "in tools"], rows),
            ('<p class="note">Wall time of each rollout (model, tools and harness); in tools: '
             "the share spent inside tool calls.</p>")]


def render_html(report: Report, viewer: str | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS, plots as base64 PNG).

    Args:
        report: the report.
        viewer: the static trace viewer's address relative to the page (see
            :func:`write_report`); None for a page without links to traces.
    """
    s = report.summary
    sections = _sections(s)
    level = f"{100 * s.ci.level:g}%"
    success = ("every criterion passed" if s.threshold >= 1
               else f"its score is at least {s.threshold:g}")
    incomplete = (report.completeness is not None and report.completeness.complete is False)
    title = html.escape(report.run) + (" (incomplete)" if incomplete else "")
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>workgym report: {title}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>workgym report: {title}</h1>",
        f'<p class="meta">{html.escape(_header(report))}</p>',
    ]
    if viewer is not None:
        parts.append(f'<p class="viewer"><a href="{html.escape(viewer)}">Browse the '
                     f"{s.traces} traces</a> <span class=\"meta\">(prompt, every turn and tool "
                     "call, the grade with each criterion's evidence)</span></p>")
    parts += _top_html(report, viewer)
    parts += [
        "<h2>Metrics</h2>", _metrics_html(s, sections),
        (f'<p class="note">pass@k: unbiased estimator (Chen et al. 2021), per task, then '
         f"averaged over tasks. A sample succeeds when {success}. Small numbers: {level} "
         f"confidence interval ({s.ci.method}, over tasks, seed {s.ci.seed}). any sparse: share "
         "of tasks where some sample succeeded; any dense: share of tasks where some sample "
         "scored above 0, i.e. the tasks that give a training signal under each reward.</p>"),
    ]
    if s.ks[-1] > 1:
        parts += ["<h2>Reliability: pass^k</h2>",
                  '<p class="note">pass^k: all k samples succeed (tau-bench).</p>',
                  _reliability_html(s, sections)]
    if report.splits is not None:
        parts += _splits_html(report.splits)
    parts += _charts_html(s)
    if report.attribution is not None:
        parts += _attribution_html(report.attribution, viewer)
    if report.process is not None:
        parts += _process_html(report.process, viewer)
    if report.complexity:
        parts += complexity_html(report.complexity)
    parts += _tools_html(report.tools, viewer)
    parts += _timing_html(report.timing)
    parts += ["<h2>Behaviour</h2>", _behaviour_html(sections),
              ('<p class="note">turns, tool calls, tokens: means per trace. parallel: share of '
              "turns with two or more tool calls. tok in / out: prompt / completion tokens. "
              "closure: share of traces whose required "
              "artifacts exist at the end. invalid (bad JSON or arguments), unknown tool "
              "(hallucinated name), tool errors: per tool call. truncated: traces cut off by "
              "the turn or token limit.</p>")]
    if len(s.by_family) > 1:
        parts += ["<h2>Metrics per family</h2>",
                  _metrics_html(s, [("family", list(s.by_family.values()))])]
    if report.config:
        parts += ["<details><summary>run config</summary><pre>",
                  html.escape(json.dumps(report.config, indent=2, default=str)),
                  "</pre></details>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
