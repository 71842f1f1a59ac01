"""check_family: the contract every task family must meet, as named checks.

It sits above the agent and serve layers: it replays reference plans over MCP
(``workgym.serve``) and runs the adversarial policies (``workgym.agent.adversarial``).

Example:
    >>> from workgym.checks import CHECKS, check_family
    >>> report = check_family("office/library-catalogue-v1", seeds=20)
    >>> report.ok, report.failures
"""

from workgym.checks._contract import (
    ADVERSARY_CEILING,
    CHECKS,
    SECTIONS,
    CheckOutcome,
    FamilyCheckError,
    FamilyCheckReport,
    check_family,
)
from workgym.checks._fresh import CHILD_ENV
from workgym.checks._probes import Probe, probes
from workgym.checks._scaffold import Scaffold, new_family

__all__ = [
    "ADVERSARY_CEILING", "CHECKS", "CHILD_ENV", "SECTIONS", "CheckOutcome", "FamilyCheckError",
    "FamilyCheckReport", "Probe", "Scaffold", "check_family", "new_family", "probes",
]
