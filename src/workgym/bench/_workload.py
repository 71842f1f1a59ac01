"""The work the benchmarks time: the suite's families, replaying their reference calls."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from workgym.agent import train_seeds
from workgym.core import Difficulty, Episode, Task, ToolCall, family_ids, get_family, run_plan


def families(chosen: Sequence[str]) -> list[str]:
    """The family ids to measure: ``chosen``, or every registered family."""
    if not chosen:
        return family_ids()
    for fid in chosen:
        get_family(fid)  # raises UnknownFamilyError with the list of ids
    return list(chosen)


def seeds(family_id: str, n: int) -> list[int]:
    """``n`` train seeds of a family (never holdout ones)."""
    return train_seeds(get_family(family_id).name, n)


def task(family_id: str, seed: int, level: Difficulty = "medium") -> Task:
    """The (cached) task of ``family_id`` at ``seed``."""
    fam = get_family(family_id)
    return fam.task(fam.spec(seed, level))


def task_pool(family_ids: Sequence[str], per_family: int) -> list[Task]:
    """``per_family`` medium tasks of each family, interleaved family by family."""
    pools = [[task(fid, seed) for seed in seeds(fid, per_family)] for fid in family_ids]
    return [pool[i] for i in range(per_family) for pool in pools]


def replay(episode: Episode, calls: Sequence[ToolCall]) -> None:
    """Execute a plan of calls; fail loudly when a reference call errs (a broken bench)."""
    for step in calls:
        result = episode.call(step.name, dict(step.args))
        if not result.ok:
            raise RuntimeError(f"reference call {step.name} failed: {result.text[:200]}")


@dataclass(frozen=True)
class ReadCall:
    """A reference call that changes nothing, so it can be repeated at will."""

    name: str
    args: dict[str, object]


def read_calls(t: Task) -> tuple[Episode, list[ReadCall]]:
    """Replay the reference solution, then find the calls that leave the world unchanged.

    Returns:
        The episode (in its final state; the caller closes it) and its read-only calls,
        each given once.
    """
    episode = run_plan(t)
    found: list[ReadCall] = []
    seen: set[str] = set()
    for step in t.reference:
        key = f"{step.name}{sorted(step.args.items())!r}"
        if key in seen:
            continue
        seen.add(key)
        before = episode.world.digest()
        first = episode.call(step.name, dict(step.args))
        second = episode.call(step.name, dict(step.args))
        if first.ok and second.ok and first.text == second.text \
                and episode.world.digest() == before:
            found.append(ReadCall(step.name, dict(step.args)))
    return episode, found


async def run_episode(t: Task, on_live: asyncio.Event | None = None,
                      live: list[int] | None = None) -> tuple[int, float]:
    """One episode as a trainer runs it: reset, the reference calls with a yield to the
    event loop before each (where a model would be awaited), grade, close.

    Args:
        t: the task (generated beforehand: the materialization is what a reset costs).
        on_live: set once every episode of the batch is live (``live[0]`` reaches
            ``live[1]``); the episode waits for it before its first call.
        live: ``[episodes live now, batch size]``, shared by the batch.

    Returns:
        The number of calls and the score.
    """
    episode = t.start()
    try:
        if on_live is not None and live is not None:
            live[0] += 1
            if live[0] >= live[1]:
                on_live.set()
            await on_live.wait()
        for step in t.reference:
            await asyncio.sleep(0)
            episode.call(step.name, dict(step.args))
        episode.finish(t.reference_answer)
        await asyncio.sleep(0)
        return len(t.reference), episode.grade().score
    finally:
        episode.close()
