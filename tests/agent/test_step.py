"""One message-level episode step: an episode evaluated by the loop and the same episode
trained on through the trainer adapter give the same conversation and the same grade."""

from __future__ import annotations

import asyncio
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
