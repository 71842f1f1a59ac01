"""Evaluation: pass@k / pass^k, run reports (terminal, JSON, HTML) and run comparison.

Example:
    >>> from workgym.eval import load_run, summarize, MetricsConfig
    >>> summary = summarize(load_run("runs/base"), MetricsConfig(threshold=1.0))
    >>> summary.overall.pass_at_k[1].value
"""

from typing import TYPE_CHECKING

from workgym.eval._attribution import (
    FAILURE_CLASSES,
    Attribution,
    CriterionMove,
    CriterionStat,
    FailedTrace,
    FamilyFailure,
    attribute,
    criterion_moves,
    criterion_stats,
    failure_class,
    first_failed,
)
from workgym.eval._baseline import (
    baseline_changed,
    find_baseline,
    mark_baseline,
    read_baseline,
)
from workgym.eval._checks import Completeness, completeness, run_warnings
from workgym.eval._compare import (
    BehaviourChange,
    Comparison,
    Delta,
    GroupComparison,
    TaskChange,
    compare,
    compare_outcomes,
    comparison_renderables,
    paired_delta,
    render_comparison_html,
)
from workgym.eval._complexity import (
    COMPLEXITY_JSON,
    LevelComplexity,
    TaskComplexity,
    complexity_table,
    level_complexity,
    load_complexity,
    run_complexity,
    save_complexity,
    task_complexity,
)
from workgym.eval._metrics import (
    CIConfig,
    Estimate,
    TaskOutcome,
    estimate,
    is_error,
    is_success,
    mean_metric,
    pass_at_k,
    pass_hat_k,
    task_outcomes,
    task_values,
)
from workgym.eval._process import (
    BUILTIN_PROCESS_CRITERIA,
    ProcessCriterion,
    ProcessResult,
    ProcessStats,
    ProcessSummary,
    evaluate_process,
    process_criteria_for,
    process_reward,
    process_stats,
    register_process_criterion,
    summarize_process,
)
from workgym.eval._report import (
    Report,
    SplitCoverage,
    SplitScore,
    SplitSides,
    build_report,
    render_html,
    report_from_traces,
    report_renderables,
    split_coverage,
    write_report,
)
from workgym.eval._runs import RunError, load_run, load_run_config
from workgym.eval._summary import (
    Behaviour,
    GroupSummary,
    MetricsConfig,
    RunSummary,
    behaviour,
    default_ks,
    summarize,
    summarize_group,
)
from workgym.eval._usage import Timing, ToolUsage, timings, tool_usage
from workgym.eval._view import RunIndex, ViewerServer, export_viewer, trace_detail

__all__ = [
    "BUILTIN_PROCESS_CRITERIA",
    "COMPLEXITY_JSON",
    "FAILURE_CLASSES",
    "Attribution",
    "Behaviour",
    "BehaviourChange",
    "CIConfig",
    "Comparison",
    "Completeness",
    "CriterionMove",
    "CriterionStat",
    "Delta",
    "Estimate",
    "FailedTrace",
    "FamilyFailure",
    "GroupComparison",
    "GroupSummary",
    "LevelComplexity",
    "MetricsConfig",
    "ProcessCriterion",
    "ProcessResult",
    "ProcessStats",
    "ProcessSummary",
    "Report",
    "RunError",
    "RunIndex",
    "RunSummary",
    "SplitCoverage",
    "SplitScore",
    "SplitSides",
    "TaskChange",
    "TaskComplexity",
    "TaskOutcome",
    "Timing",
    "ToolUsage",
    "ViewerServer",
    "attribute",
    "baseline_changed",
    "behaviour",
    "build_report",
    "compare",
    "compare_outcomes",
    "comparison_renderables",
    "completeness",
    "complexity_table",
    "criterion_moves",
    "criterion_stats",
    "default_ks",
    "estimate",
    "evaluate_process",
    "export_viewer",
    "failure_class",
    "find_baseline",
    "first_failed",
    "is_error",
    "is_success",
    "level_complexity",
    "load_complexity",
    "load_run",
    "load_run_config",
    "mark_baseline",
    "mean_metric",
    "paired_delta",
    "pass_at_k",
    "pass_hat_k",
    "process_criteria_for",
    "process_reward",
    "process_stats",
    "read_baseline",
    "register_process_criterion",
    "render_comparison_html",
    "render_html",
    "report_from_traces",
    "report_renderables",
    "run_complexity",
    "run_warnings",
    "save_complexity",
    "split_coverage",
    "summarize",
    "summarize_group",
    "summarize_process",
    "task_complexity",
    "task_outcomes",
    "task_values",
    "timings",
    "tool_usage",
    "trace_detail",
    "write_report",
]

if TYPE_CHECKING:  # the deprecated name, typed for callers not yet moved
    from workgym.eval._runs import load_config as load_config

_RENAMED = {"load_config": "load_run_config"}


def __getattr__(name: str) -> object:
    """Old names kept for one version: ``load_config`` was also ``workgym.train``'s name
    for reading a training config, so the run's is ``load_run_config`` now."""
    if name in _RENAMED:
        import warnings

        warnings.warn(f"workgym.eval.{name} is deprecated; use {_RENAMED[name]}",
                      DeprecationWarning, stacklevel=2)
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
