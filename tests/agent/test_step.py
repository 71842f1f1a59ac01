"""One message-level episode step: an episode evaluated by the loop and the same episode
trained on through the trainer adapter give the same conversation and the same grade."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any

import pytest

from workgym import make
from workgym.agent import LoopConfig, ReferencePolicy, run_episode
from workgym.train.adapters import WorkgymEnv, WorkgymEnvConfig


async def _replay_through_env(task: Any, assistant_turns: list[dict[str, Any]],
                              limit: int) -> tuple[list[dict[str, Any]], Any]:
    env = WorkgymEnv(WorkgymEnvConfig(max_tool_output_chars=limit, max_turns=None))
    observation = await env.reset(task)
    messages = list(observation.messages)
    result = None
    for turn in assistant_turns:
        messages.append(turn)
        result = await env.step(turn)
        messages.extend(result.observation.messages)
    await env.close()
    return messages, result


@pytest.mark.parametrize("family", ["office/library-catalogue-v1",
                                    "finance/expense-reconciliation-v1"])
def test_evaluated_and_trained_episodes_are_the_same(family: str) -> None:
    task = make(family, seed=5, difficulty="easy")
    # a small output limit, so that cutting long outputs is compared too
    limit = 400
    trace = asyncio.run(run_episode(task, ReferencePolicy(),
                                    LoopConfig(parallel_tools=False,
                                               max_tool_output_chars=limit)))
    assert trace.grade is not None and trace.grade.score == 1.0
    assert trace.stats.truncated_outputs > 0
    turns = [m for m in trace.messages if m["role"] == "assistant"]
    messages, result = asyncio.run(_replay_through_env(task, turns, limit))

    assert messages == trace.messages
    assert result is not None and result.done and result.grade is not None
    assert [(c.name, c.passed) for c in result.grade.criteria] == \
        [(c.name, c.passed) for c in trace.grade.criteria]
    assert result.info["calls"] == len(trace.calls)


def _threads_of_world_work(task: Any) -> set[str]:
    """Where an episode's world work ran: the loop's thread ("loop") or another."""
    from workgym.core import Episode, Task

    seen: set[str] = set()
    loop_thread = threading.get_ident()

    def mark(original: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seen.add("loop" if threading.get_ident() == loop_thread else "thread")
            return original(*args, **kwargs)
        return wrapped

    with pytest.MonkeyPatch.context() as patch:
        # (close too goes through the loop's hand-off, but an episode's __del__ closes
        # it again wherever garbage is collected)
        for cls, name in ((Task, "start"), (Episode, "call"), (Episode, "grade")):
            patch.setattr(cls, name, mark(getattr(cls, name)))
        trace = asyncio.run(run_episode(task, ReferencePolicy(),
                                        LoopConfig(parallel_tools=False)))
    assert trace.grade is not None and trace.grade.score == 1.0
    return seen


def test_quick_worlds_run_inline_and_a_terminal_task_in_a_thread() -> None:
    quick = make("office/library-catalogue-v1", seed=5, difficulty="easy")
    assert not quick.blocking
    assert _threads_of_world_work(quick) == {"loop"}
    # the same task with a terminal among its apps (a tool that runs processes)
    slow = dataclasses.replace(quick, apps=(*quick.apps, "terminal"))
    assert slow.blocking
    assert _threads_of_world_work(slow) == {"thread"}


@pytest.mark.parametrize(("variant", "solves"), [("default", True), ("phrasing=3", True),
                                                 ("dialect=mcp-public", False),
                                                 ("dialect=proc-1001", False)])
def test_the_native_reference_learned_one_surface(variant: str, solves: bool) -> None:
    from workgym.agent import RunConfig, make_policy

    task = make("office/library-catalogue-v1", seed=5, difficulty="easy", variant=variant)
    policy = make_policy(RunConfig(policy="native-reference"))
    trace = asyncio.run(run_episode(task, policy, LoopConfig(parallel_tools=False)))
    assert trace.grade is not None
    assert (trace.grade.score == 1.0) is solves
    unknown = sum(call.error == "unknown_tool" for call in trace.calls)
    assert (unknown == 0) is solves, unknown
