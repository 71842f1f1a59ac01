"""Fixtures of the eval tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from eval_synthetic import make_trace, run_a_traces, write_run

from workgym.core import Trace


@pytest.fixture
def run_a(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run_a", run_a_traces(), {"policy": "scripted", "model": "m-a"})


@pytest.fixture
def trace_factory() -> Callable[..., Trace]:
    return make_trace


@pytest.fixture
def run_writer() -> Callable[..., Path]:
    return write_run


@pytest.fixture(scope="session")
def flawed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of real episodes of every built-in family with failures of every kind."""
    from failing_run import flawed_traces, write_traces

    return write_traces(tmp_path_factory.mktemp("runs") / "flawed", flawed_traces(),
                        {"policy": "flawed", "model": "scripted-flawed", "k": 1})
