"""workgym: offline, deterministic, long-horizon agentic tasks for RL post-training."""

import workgym.apps  # registers the built-in apps
import workgym.dialects  # noqa: F401  (registers their mcp-public tables)
from workgym.core import (
    App,
    Criterion,
    Episode,
    Grade,
    Task,
    TaskFamily,
    TaskSpec,
    ToolCall,
    ToolError,
    World,
    family_ids,
    get_family,
    make,
    make_from_spec,
    register_family,
    tool,
)

__version__ = "0.1.0"

__all__ = [
    "App",
    "Criterion",
    "Episode",
    "Grade",
    "Task",
    "TaskFamily",
    "TaskSpec",
    "ToolCall",
    "ToolError",
    "World",
    "__version__",
    "check_family",
    "family_ids",
    "get_family",
    "make",
    "make_from_spec",
    "register_family",
    "tool",
]


def __getattr__(name: str) -> object:
    if name == "check_family":
        from workgym.checks import check_family

        return check_family
    raise AttributeError(name)
