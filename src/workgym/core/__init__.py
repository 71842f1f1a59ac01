"""Core API: specs, families, worlds, apps, episodes, criteria and grades."""

from workgym.core._app import App, ToolError, ToolSpec, tool
from workgym.core._bounded import SheetLimits, WorkbookValues
from workgym.core._episode import CallRecord, Episode, ToolResult
from workgym.core._family import (
    Task,
    TaskFamily,
    ToolCall,
    UnknownFamilyError,
    family_ids,
    get_family,
    make,
    make_from_spec,
    register_family,
    run_plan,
)
from workgym.core._grading import (
    REWARD_SCHEMES,
    Criterion,
    CriterionResult,
    Grade,
    GradeContext,
    GradeError,
    InvalidGradeError,
    RewardScheme,
    agent_content,
)
from workgym.core._seeding import derive_seed, rng_for
from workgym.core._spec import DIFFICULTIES, Difficulty, TaskSpec, parse_seeds
from workgym.core._trace import StopReason, Trace, TraceStats, Usage
from workgym.core._world import (
    MAX_FILE_BYTES,
    MAX_WORKSPACE_BYTES,
    MAX_WORKSPACE_FILES,
    Store,
    World,
    WorldSnapshot,
    WorldTemplate,
)

__all__ = [
    "DIFFICULTIES",
    "MAX_FILE_BYTES",
    "MAX_WORKSPACE_BYTES",
    "MAX_WORKSPACE_FILES",
    "REWARD_SCHEMES",
    "App",
    "CallRecord",
    "Criterion",
    "CriterionResult",
    "Difficulty",
    "Episode",
    "Grade",
    "GradeContext",
    "GradeError",
    "InvalidGradeError",
    "RewardScheme",
    "SheetLimits",
    "StopReason",
    "Store",
    "Task",
    "TaskFamily",
    "TaskSpec",
    "ToolCall",
    "ToolError",
    "ToolResult",
    "ToolSpec",
    "Trace",
    "TraceStats",
    "UnknownFamilyError",
    "Usage",
    "WorkbookValues",
    "World",
    "WorldSnapshot",
    "WorldTemplate",
    "agent_content",
    "derive_seed",
    "family_ids",
    "get_family",
    "make",
    "make_from_spec",
    "parse_seeds",
    "register_family",
    "rng_for",
    "run_plan",
    "tool",
]
