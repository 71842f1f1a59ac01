import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# examples/ holds a minimal family that the core tests use; tests/ holds helpers shared by
# the test folders (scripted_openai)
sys.path.insert(0, str(TESTS.parent / "examples"))
sys.path.insert(0, str(TESTS))

SKIPPED_LOG = "WORKGYM_SKIPPED_TESTS"
"""Environment variable: a file to which each skipped test's node id is appended. CI sets
it for the README's test command on the [dev] install, then runs just those tests again
with every extra installed (``.ci/run``)."""


def _log_skipped(nodeid: str) -> None:
    import os

    log = os.environ.get(SKIPPED_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(nodeid + "\n")


def pytest_runtest_logreport(report):  # type: ignore[no-untyped-def]
    if report.skipped and report.when in ("setup", "call"):
        _log_skipped(report.nodeid)


def pytest_collectreport(report):  # type: ignore[no-untyped-def]
    """A module skipped as a whole (``pytest.importorskip`` at its top) is logged by its
    path, so that all of it runs again."""
    if report.skipped and report.nodeid:
        _log_skipped(report.nodeid)
