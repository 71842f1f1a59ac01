"""What ``workgym bench`` measures, and how much of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workgym.core import DIFFICULTIES, Difficulty

Section = Literal["reset", "calls", "side_by_side", "memory", "throughput", "terminal",
                  "rollout"]
SECTIONS: tuple[Section, ...] = ("reset", "calls", "side_by_side", "memory", "throughput",
                                 "terminal", "rollout")


class BenchConfig(BaseModel):
    """Sizes of every measurement. The defaults finish in a few minutes on 2 cores."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sections: tuple[Section, ...] = SECTIONS
    """Which measurements to run."""
    families: tuple[str, ...] = ()
    """Family ids to measure; empty: every registered family."""
    levels: tuple[Difficulty, ...] = DIFFICULTIES
    """Difficulty levels of the reset and grading measurements."""
    seeds: int = Field(default=20, ge=1)
    """Seeds per family and level for reset and grading times."""
    call_seeds: int = Field(default=2, ge=1)
    """Seeds per family whose reference calls are replayed through every path (medium)."""
    replay_rounds: int = Field(default=3, ge=1)
    """Fresh replays of each reference solution per path; each call keeps its fastest."""
    call_repeats: int = Field(default=200, ge=1)
    """Times each read-only reference call is repeated per path for the overhead figures."""
    stdio: bool = True
    """Also time calls through a ``workgym serve`` stdio server (one process per family)."""
    side_by_side_rounds: int = Field(default=15, ge=1)
    """Interleaved rounds of the one-process side-by-side (direct, MCP, FastMCP, OpenEnv)."""
    side_by_side_calls: int = Field(default=40, ge=1)
    """Calls per path and round in the side-by-side."""
    memory_episodes: int = Field(default=4096, ge=1)
    """Idle episodes held live at once for the memory-per-episode figure."""
    tracemalloc_episodes: int = Field(default=256, ge=1)
    """Idle episodes measured under tracemalloc (slow, so fewer)."""
    concurrency: tuple[int, ...] = (1, 16, 256, 4096)
    """Concurrency levels of the throughput sweep (episodes live and interleaved at once)."""
    min_episodes: int = Field(default=64, ge=1)
    """Episodes run at least per concurrency level (more batches at low concurrency)."""
    processes: int = Field(default=2, ge=0)
    """Worker processes of the multi-process throughput run; 0 skips it."""
    process_concurrency: int = Field(default=64, ge=1)
    """Concurrent episodes per worker process in that run."""
    terminal_runs: int = Field(default=40, ge=1)
    """Sandboxed commands timed for the terminal figure."""
    rollout_concurrency: tuple[int, ...] = (1, 64, 256, 1024, 4096)
    """Concurrency levels of the rollout run (whole episodes against the instant mock)."""
    rollout_sdk_max_concurrency: int = Field(default=256, ge=1)
    """Highest of those levels the ``openai`` SDK client runs too (its higher levels take
    minutes at ~15 ms of CPU per turn)."""
    rollout_min_episodes: int = Field(default=32, ge=1)
    """Episodes run at least per rollout level."""
    rollout_tool_turns: int = Field(default=10, ge=0)
    """Tool-call turns of each mock conversation before its answer."""
    task_pool: int = Field(default=8, ge=1)
    """Distinct tasks per family (medium) that the memory and throughput runs cycle through."""

    @field_validator("concurrency", "rollout_concurrency")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or min(value) < 1:
            raise ValueError("concurrency levels must be positive")
        return tuple(sorted(set(value)))

    @classmethod
    def quick(cls, **overrides: object) -> BenchConfig:
        """A smoke-test size: every section, seconds in all."""
        sizes: dict[str, object] = {
            "seeds": 2, "call_seeds": 1, "replay_rounds": 1, "call_repeats": 10,
            "stdio": False, "side_by_side_rounds": 2, "side_by_side_calls": 5,
            "memory_episodes": 32, "tracemalloc_episodes": 8, "concurrency": (1, 8),
            "min_episodes": 4, "processes": 0, "terminal_runs": 3, "task_pool": 2,
            "rollout_concurrency": (1, 16), "rollout_min_episodes": 4,
        }
        sizes.update(overrides)
        return cls.model_validate(sizes)
