"""Deprecated home of ``check_family``: it moved to ``workgym.checks`` (one version).

``check_family`` runs the adversarial policies and replays plans over MCP, so it lives in
a package above the agent and serve layers; this module forwards to it, importing it only
when asked, so that core imports nothing above itself.
"""

from __future__ import annotations

from typing import Any

_MOVED = ("check_family", "FamilyCheckError", "FamilyCheckReport")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import workgym.checks

        return getattr(workgym.checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
