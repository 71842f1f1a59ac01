"""Evaluation: pass@k / pass^k, run reports (terminal, JSON, HTML) and run comparison.

Example:
    >>> from workgym.eval import load_run, summarize, MetricsConfig
    >>> summary = summarize(load_run("runs/base"), MetricsConfig(threshold=1.0))
    >>> summary.overall.pass_at_k[1].value
"""

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
from workgym.eval._checks import Completeness, completeness, run_warnings
from workgym.eval._baseline import (
    baseline_changed,
    find_baseline,
    mark_baseline,
    read_baseline,
)
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
    build_report,
    render_html,
    report_from_traces,
    report_renderables,
    write_report,
)
from workgym.eval._runs import RunError, load_config, load_run
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
    "baseline_changed", "find_baseline", "mark_baseline", "read_baseline",
    "BUILTIN_PROCESS_CRITERIA", "FAILURE_CLASSES", "Attribution", "Behaviour", "BehaviourChange",
    "CIConfig", "Comparison", "Completeness", "CriterionMove", "CriterionStat", "Delta",
    "Estimate", "FailedTrace", "FamilyFailure", "GroupComparison", "GroupSummary", "MetricsConfig",
    "ProcessCriterion", "ProcessResult", "ProcessStats", "ProcessSummary", "Report", "RunError",
    "RunIndex", "RunSummary", "TaskChange", "TaskOutcome", "Timing", "ToolUsage", "ViewerServer",
    "attribute", "behaviour", "build_report", "compare", "compare_outcomes",
    "comparison_renderables", "completeness", "criterion_moves", "criterion_stats", "default_ks",
    "estimate", "evaluate_process", "export_viewer", "failure_class", "first_failed", "is_error",
    "is_success", "load_config", "load_run", "mean_metric", "paired_delta", "pass_at_k",
    "pass_hat_k", "process_criteria_for", "process_reward", "process_stats",
    "register_process_criterion", "render_comparison_html", "render_html", "report_from_traces",
    "report_renderables", "run_warnings", "summarize", "summarize_group", "summarize_process",
    "task_outcomes", "task_values", "timings", "tool_usage", "trace_detail", "write_report",
]
