"""How fast the environment is: reset, tool calls per path, grading, memory per episode,
throughput as concurrency grows, and the terminal's sandbox. ``workgym bench`` runs it;
``workgym bench soak`` runs :func:`run_soak` (thousands of concurrent episodes for
minutes, watching memory, descriptors, processes, temp folders and traces).

Example:
    >>> from workgym.bench import BenchConfig, run_bench
    >>> result = run_bench(BenchConfig.quick())
    >>> [(t["target"], t["measured"], t["met"]) for t in result["targets"]]
"""

from workgym.bench._config import SECTIONS, BenchConfig, Section
from workgym.bench._render import render
from workgym.bench._run import TARGETS, run_bench, targets
from workgym.bench._soak import SoakConfig, render_soak, run_soak

__all__ = ["SECTIONS", "TARGETS", "BenchConfig", "Section", "SoakConfig", "render",
           "render_soak", "run_bench", "run_soak", "targets"]
