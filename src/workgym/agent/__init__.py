"""The agent side: policies, the episode loop, the concurrent runner, and suites.

Example:
    >>> import asyncio
    >>> from workgym.agent import RunConfig, run
    >>> config = RunConfig(policy="reference", suite="smoke", k=1)
    >>> result = asyncio.run(run(config, "runs/ref"))
"""

from workgym.agent._gc import ROLLOUT_GC_THRESHOLD, rollout_gc
from workgym.agent._local import (
    LocalPolicy,
    chat_messages,
    check_local,
    parse_tool_calls,
    tool_prompt,
    weights_path,
)
from workgym.agent._local_server import LocalServer, serve_local
from workgym.agent._loop import LoopConfig, run_episode
from workgym.agent._openai import (
    DEFAULT_MAX_TOKENS,
    EndpointConfig,
    OpenAIPolicy,
    SamplingConfig,
    json_turn,
    served_model,
)
from workgym.agent._policy import (
    AssistantTurn,
    ContextLengthExceeded,
    NativeReferencePolicy,
    NoopPolicy,
    Policy,
    PolicyContext,
    PolicyError,
    ReferencePolicy,
    ReplayPolicy,
    ToolCallRequest,
    load_traces,
)
from workgym.agent._runner import (
    MAX_ERROR_SHARE,
    OpenRun,
    QuickSummary,
    RunConfig,
    RunConfigMismatch,
    RunLocked,
    RunResult,
    TraceWriter,
    make_policy,
    open_run,
    quick_summary,
    run,
    run_failure,
)
from workgym.agent._step import (
    DEFAULT_SYSTEM_PROMPT,
    StepOutcome,
    execute_calls,
    opening_messages,
    truncate_output,
)
from workgym.agent._suites import (
    SIDES,
    SPLITS,
    SUITES,
    TRANSFER_TEST_CATEGORIES,
    Side,
    Split,
    holdout_seeds,
    interface_dialects,
    is_holdout,
    paraphrase_frames,
    split_sides,
    split_specs,
    suite_specs,
    train_seeds,
    transfer_side,
)
from workgym.agent._workers import WorkerFailed, run_workers

__all__ = [
    "DEFAULT_MAX_TOKENS", "DEFAULT_SYSTEM_PROMPT", "MAX_ERROR_SHARE", "ROLLOUT_GC_THRESHOLD",
    "SIDES", "SPLITS", "SUITES", "TRANSFER_TEST_CATEGORIES",
    "AssistantTurn", "ContextLengthExceeded", "EndpointConfig", "LocalPolicy", "LocalServer",
    "LoopConfig", "NativeReferencePolicy", "NoopPolicy", "OpenAIPolicy", "OpenRun", "Policy", "PolicyContext", "PolicyError",
    "QuickSummary", "ReferencePolicy", "ReplayPolicy", "RunConfig", "RunConfigMismatch",
    "RunLocked", "RunResult", "SamplingConfig", "Side", "Split", "StepOutcome", "ToolCallRequest",
    "TraceWriter", "WorkerFailed", "chat_messages", "check_local", "execute_calls",
    "holdout_seeds", "interface_dialects", "is_holdout", "json_turn", "load_traces", "make_policy", "open_run",
    "opening_messages", "paraphrase_frames", "parse_tool_calls", "quick_summary", "rollout_gc", "run", "run_episode",
    "run_failure", "run_workers", "serve_local", "served_model", "split_sides", "split_specs", "suite_specs",
    "tool_prompt", "train_seeds", "transfer_side", "truncate_output", "weights_path",
]

_RENAMED = {"summarize": "quick_summary", "Summary": "QuickSummary"}


def __getattr__(name: str) -> object:
    """Old names kept for one version: ``summarize`` was also ``workgym.eval``'s name for
    the full metrics of a run, so the agent's short summary is ``quick_summary`` now."""
    if name in _RENAMED:
        import warnings

        warnings.warn(f"workgym.agent.{name} is now {_RENAMED[name]}", DeprecationWarning,
                      stacklevel=2)
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
