"""The rollout path: whole episodes of ``run_episode`` against the instant mock, lean
client beside the ``openai`` SDK, as concurrency grows.

The harness's CPU per turn is this process's CPU time (every thread) over the turns
made: the episode loop, the tools, reset and grade, and the HTTP client. The mock runs
in a process of its own, so its CPU is not counted (it is reported apart).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from workgym.agent import (
    AssistantTurn,
    EndpointConfig,
    OpenAIPolicy,
    PolicyContext,
    json_turn,
    rollout_gc,
    run_episode,
)
from workgym.bench._config import BenchConfig
from workgym.bench._mock import InstantMock, reply
from workgym.bench._stats import percentile
from workgym.bench._workload import families, task_pool
from workgym.core import Task

Progress = Callable[[str], None]
CLIENTS = ("in_process", "lean", "openai")
"""``in_process``: the mock's replies made in this process, no HTTP (the floor: loop,
tools, reset and grade); ``lean`` and ``openai``: ``OpenAIPolicy``'s two clients."""


class _InProcess:
    """The mock's conversation without a server: what a turn costs but the HTTP."""

    name = "openai"
    model = "mock"

    def __init__(self, tool_turns: int) -> None:
        self.tool_turns = tool_turns

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        await asyncio.sleep(0)  # where a request would be awaited
        body = {"model": "mock", "messages": list(messages), "tools": list(tools)}
        return json_turn(reply(body, self.tool_turns), ctx.turn)


async def close_policy(policy: object) -> None:
    close = getattr(policy, "close", None)
    if close is not None:
        await close()


class _Timed:
    """A policy whose every ``act`` is timed (wall seconds, in ``latencies``)."""

    def __init__(self, policy: OpenAIPolicy | _InProcess, latencies: list[float]) -> None:
        self.policy = policy
        self.name = policy.name
        self.model = policy.model
        self.latencies = latencies

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        started = time.perf_counter()
        turn = await self.policy.act(messages, tools, ctx)
        self.latencies.append(time.perf_counter() - started)
        return turn


def _child_cpu_s(pid: int) -> float:
    """User and system CPU seconds of a live process (from ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _policy(client: str, url: str, tool_turns: int) -> OpenAIPolicy | _InProcess:
    if client == "in_process":
        return _InProcess(tool_turns)
    return OpenAIPolicy(EndpointConfig(base_url=url, model="mock", client=client,  # type: ignore[arg-type]
                                       retries=0, timeout_s=600.0))


async def _level(url: str, client: str, concurrency: int, episodes: int,
                 pool: Sequence[Task], mock: InstantMock) -> dict[str, Any]:
    latencies: list[float] = []
    policy = _policy(client, url, mock.tool_turns)
    timed = _Timed(policy, latencies)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> tuple[int, bool]:
        async with gate:
            trace = await run_episode(pool[i % len(pool)], timed)  # type: ignore[arg-type]
            return trace.stats.turns, trace.error is None and trace.stop_reason == "answer"

    try:
        # warm up: every task of the pool once, so that what a task pays on its first
        # episode only (the check of its template's store copies) stays out of the figures
        await asyncio.gather(*(one(i) for i in range(len(pool))))
        latencies.clear()
        with rollout_gc():  # as the runner collects garbage (workgym.agent.run_jobs)
            mock0, times0, wall0 = _child_cpu_s(mock.pid), os.times(), time.perf_counter()
            results = await asyncio.gather(*(one(i) for i in range(episodes)))
            wall, times = time.perf_counter() - wall0, os.times()
            mock_cpu = _child_cpu_s(mock.pid) - mock0
    finally:
        await close_policy(policy)
    user, system = times.user - times0.user, times.system - times0.system
    cpu = user + system
    turns = sum(n for n, _ in results)
    return {"client": client, "concurrency": concurrency, "episodes": episodes,
            "turns": turns, "completed": f"{sum(ok for _, ok in results)}/{episodes}",
            "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "cpu_ms_per_turn": round(1000 * cpu / turns, 3) if turns else None,
            "system_ms_per_turn": round(1000 * system / turns, 3) if turns else None,
            "turns_per_cpu_s": round(turns / cpu, 1) if cpu else None,
            "turns_per_s": round(turns / wall, 1) if wall else None,
            "turn_ms_p50": round(1000 * percentile(latencies, 50), 3) if latencies else None,
            "turn_ms_p99": round(1000 * percentile(latencies, 99), 3) if latencies else None,
            "mock_cpu_ms_per_turn": (round(1000 * mock_cpu / turns, 3)
                                     if turns and client != "in_process" else None)}


def _ratio(rows: Sequence[dict[str, Any]], concurrency: int) -> dict[str, Any] | None:
    by = {(r["client"], r["concurrency"]): r for r in rows}
    lean, sdk = by.get(("lean", concurrency)), by.get(("openai", concurrency))
    if not lean or not sdk or not lean["cpu_ms_per_turn"]:
        return None
    return {"concurrency": concurrency, "openai_cpu_ms_per_turn": sdk["cpu_ms_per_turn"],
            "lean_cpu_ms_per_turn": lean["cpu_ms_per_turn"],
            "ratio": round(sdk["cpu_ms_per_turn"] / lean["cpu_ms_per_turn"], 2)}


async def measure_rollout(config: BenchConfig, progress: Progress) -> dict[str, Any]:
    """Turns per CPU-second and turn latency per client and concurrency level.

    Each level runs ``max(concurrency, rollout_min_episodes)`` episodes with at most
    ``concurrency`` in flight; the ``openai`` client runs only the levels up to
    ``rollout_sdk_max_concurrency`` (at 15 ms of CPU a turn, the higher ones take
    minutes).

    Returns:
        ``levels`` (one row per client and level), ``before_after`` (CPU per turn of the
        SDK over the lean path at the highest level both ran), the mock's settings.
    """
    pool = task_pool(families(config.families), config.task_pool)
    rows = []
    with InstantMock(config.rollout_tool_turns) as mock:
        for client in CLIENTS:
            for concurrency in config.rollout_concurrency:
                if client == "openai" and concurrency > config.rollout_sdk_max_concurrency:
                    continue
                episodes = max(concurrency, config.rollout_min_episodes)
                progress(f"rollout: {client} client, {episodes} episodes, {concurrency} at once")
                rows.append(await _level(mock.url, client, concurrency, episodes, pool, mock))
    shared = [c for c in config.rollout_concurrency if c <= config.rollout_sdk_max_concurrency]
    return {"tool_turns": config.rollout_tool_turns, "tasks": len(pool), "levels": rows,
            "before_after": _ratio(rows, max(shared)) if shared else None}
