"""External benchmarks (BFCL-V4, tau2-bench, Toolathlon) into workgym runs, and the
transfer table that sets their gains beside the in-distribution holdout's.

Every adapter writes a run folder in workgym's own format (``config.json`` and
``traces.jsonl``, one Trace per test case and sample, spec family
``<benchmark>/<category>``), so ``workgym report`` and ``workgym compare`` read them
like any workgym run.

Example:
    >>> from workgym.external import BfclConfig, EndpointSettings, resolve_categories, run_bfcl
    >>> categories, skipped = resolve_categories(["simple", "multi_turn"])
    >>> config = BfclConfig(endpoint=EndpointSettings(base_url="http://localhost:8000/v1",
    ...                                               model="my-model"),
    ...                     k=4, categories=categories, skipped=skipped)
    >>> result = run_bfcl(config, "runs/bfcl-base")  # doctest: +SKIP
"""

from workgym.external._bfcl import (
    BFCL_PIN,
    NEEDS_NETWORK,
    NO_CALL_CATEGORIES,
    BfclConfig,
    entry_trace,
    resolve_categories,
    run_bfcl,
)
from workgym.external._common import (
    EndpointSettings,
    ExternalResult,
    NotInstalledError,
    RequestShape,
    RunMismatchError,
    ToolReach,
    case_spec,
    category_rows,
    require,
    shape_request,
    tool_meta,
    tool_reach,
    transient_error,
    wire_message,
)
from workgym.external._tau2 import (
    TAU2_PIN,
    Tau2Config,
    run_tau2,
    simulation_trace,
    tau2_pass_hat_k,
)
from workgym.external._toolathlon import (
    LOCAL_MCP_SERVERS,
    ToolathlonConfig,
    list_tasks,
    read_results,
    run_toolathlon,
    task_group,
    task_trace,
)
from workgym.external._transfer import (
    SplitColumn,
    TransferRow,
    TransferTable,
    expand_runs,
    transfer_markdown,
    transfer_renderables,
    transfer_table,
)

__all__ = [
    "BFCL_PIN",
    "LOCAL_MCP_SERVERS",
    "NEEDS_NETWORK",
    "NO_CALL_CATEGORIES",
    "TAU2_PIN",
    "BfclConfig",
    "EndpointSettings",
    "ExternalResult",
    "NotInstalledError",
    "RequestShape",
    "RunMismatchError",
    "SplitColumn",
    "Tau2Config",
    "ToolReach",
    "ToolathlonConfig",
    "TransferRow",
    "TransferTable",
    "case_spec",
    "category_rows",
    "entry_trace",
    "expand_runs",
    "list_tasks",
    "read_results",
    "require",
    "resolve_categories",
    "run_bfcl",
    "run_tau2",
    "run_toolathlon",
    "shape_request",
    "simulation_trace",
    "task_group",
    "task_trace",
    "tau2_pass_hat_k",
    "tool_meta",
    "tool_reach",
    "transfer_markdown",
    "transfer_renderables",
    "transfer_table",
    "transient_error",
    "wire_message",
]
