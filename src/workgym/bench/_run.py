"""Run the measurements, and hold their results against the targets."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from workgym.bench._config import BenchConfig
from workgym.bench._stats import machine

TARGETS = {
    "direct_call_overhead_us_p50": 50.0,
    "reset_ms_p50_medium": 20.0,
    "grade_ms_p50": 5.0,
    "idle_episode_kib": 2048.0,
    "concurrent_episodes": 4096,
    "terminal_ms_p50": 15.0,
    "rollout_cpu_ms_per_turn": 1.5,
}
"""What workgym promises: direct tool-call overhead, reset at ``medium``, grading, memory
per idle episode, live episodes on one machine, one sandboxed command, and the CPU one
rollout turn costs this process against the instant mock (lean client, 256 at once)."""

ROLLOUT_TARGET_CONCURRENCY = 256
"""The concurrency the rollout target is held at."""


def run_bench(config: BenchConfig | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every section of ``config`` and return one JSON-ready result.

    Args:
        config: what to measure and how much; the defaults take a few minutes.
        progress: called with a line per step (default: nothing is printed).

    Returns:
        ``machine``, ``config``, one entry per section, and ``targets`` (each with the
        measured value and whether it is met).
    """
    config = config or BenchConfig()
    say = progress or (lambda message: None)
    return asyncio.run(_run(config, say))


async def _run(config: BenchConfig, say: Callable[[str], None]) -> dict[str, Any]:
    import workgym.apps  # noqa: F401  (registers the apps)
    from workgym.bench._calls import measure_calls, measure_side_by_side
    from workgym.bench._reset import measure_reset_and_grade
    from workgym.bench._rollout import measure_rollout
    from workgym.bench._sandbox import measure_terminal
    from workgym.bench._scale import measure_memory, measure_throughput

    result: dict[str, Any] = {"machine": machine(), "config": config.model_dump(mode="json")}
    if "reset" in config.sections:
        result["reset"] = measure_reset_and_grade(config, say)
    if "calls" in config.sections:
        result["calls"] = await measure_calls(config, say)
    if "side_by_side" in config.sections:
        result["side_by_side"] = await measure_side_by_side(config, say)
    if "memory" in config.sections:
        result["memory"] = measure_memory(config, say)
    if "throughput" in config.sections:
        result["throughput"] = await measure_throughput(config, say)
    if "terminal" in config.sections:
        result["terminal"] = measure_terminal(config, say)
    if "rollout" in config.sections:
        result["rollout"] = await measure_rollout(config, say)
    result["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = targets(result)
    return result


def _target(name: str, measured: float | None, where: str, *, at_least: bool = False,
            note: str = "") -> dict[str, Any]:
    goal = TARGETS[name]
    met = None if measured is None else (measured >= goal if at_least else measured <= goal)
    return {"target": name, "goal": f"{'>=' if at_least else '<='} {goal:g}",
            "measured": measured, "met": met, "where": where, **({"note": note} if note else {})}


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value; ``met`` is None where it was not measured."""
    rows = []
    calls = result.get("calls", {}).get("all", {}).get("reads_overhead_us", {})
    direct = calls.get("direct", {}).get("p50")
    rows.append(_target("direct_call_overhead_us_p50", direct,
                        "calls.all.reads_overhead_us.direct.p50"))
    reset = [r for r in result.get("reset", []) if r["level"] == "medium"]
    for row in reset:
        rows.append(_target("reset_ms_p50_medium", row["reset_ms"]["p50"],
                            f"reset[{row['family']}, medium].reset_ms.p50",
                            note=f"from a cached generation: {row['materialize_ms']['p50']} ms"))
    for row in reset:
        rows.append(_target("grade_ms_p50", row["grade_ms"]["p50"],
                            f"reset[{row['family']}, medium].grade_ms.p50"))
    memory = result.get("memory", {})
    per = memory.get("rss_per_episode_kib")
    if per is not None and memory.get("workspace_fs") == "tmpfs":
        per = round(per + memory["workspace_disk_kib"], 1)
    rows.append(_target("idle_episode_kib", per, "memory.rss_per_episode_kib"))
    levels = result.get("throughput", {}).get("levels", [])
    ran = [lv["concurrency"] for lv in levels
           if lv["solved"].split("/")[0] == lv["solved"].split("/")[1]]
    rows.append(_target("concurrent_episodes", max(ran) if ran else None,
                        "throughput.levels[].concurrency (all solved)", at_least=True,
                        note=f"estimated ceiling {memory.get('estimated_max_idle_episodes')}"
                        if memory else ""))
    terminal = result.get("terminal", {})
    rows.append(_target("terminal_ms_p50", terminal.get("ms", {}).get("sandboxed", {}).get("p50"),
                        "terminal.ms.sandboxed.p50",
                        note=terminal.get("skipped", "")))
    lean = [lv for lv in result.get("rollout", {}).get("levels", [])
            if lv["client"] == "lean" and lv["concurrency"] == ROLLOUT_TARGET_CONCURRENCY]
    rows.append(_target("rollout_cpu_ms_per_turn",
                        lean[0]["cpu_ms_per_turn"] if lean else None,
                        f"rollout.levels[lean, {ROLLOUT_TARGET_CONCURRENCY}].cpu_ms_per_turn"))
    return rows
