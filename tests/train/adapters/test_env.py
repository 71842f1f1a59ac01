import asyncio
import json

import pytest
from minimal_family import NoteTotal  # noqa: F401  (registers examples/note-total-v1)

from workgym.core import make
from workgym.train.adapters import WorkgymEnv, WorkgymEnvConfig, parse_action

FAMILY = "examples/note-total-v1"


def _total(text: str) -> int:
    return sum(int(line.split(": ")[1]) for line in text.splitlines())


def _read_call(call_id: str = "c1") -> dict:
    return {"id": call_id, "type": "function",
            "function": {"name": "files_read", "arguments": '{"path": "notes/amounts.txt"}'}}


async def test_reset_step_solves_and_reports_the_grade():
    env = WorkgymEnv(WorkgymEnvConfig(reward="binary"))
    obs = await env.reset(FAMILY, seed=4, difficulty="easy")
    assert obs.messages[-1] == {"role": "user", "content": obs.prompt}
    assert {t["function"]["name"] for t in obs.tools} >= {"files_read", "files_write"}

    first = await env.step({"role": "assistant", "content": None, "tool_calls": [_read_call()]})
    assert not first.done and first.reward == 0.0 and first.grade is None
    [tool_msg] = first.observation.messages
    assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == "c1"
    total = _total(tool_msg["content"])

    second = await env.step([{"name": "files.write",
                              "arguments": {"path": "total.txt", "content": str(total)}}])
    assert not second.done
    last = await env.step("The total is written.")
    assert last.done and not last.truncated
    assert last.reward == 1.0 and last.grade is not None and last.grade.passed
    assert last.info["criteria"] == {"total written": True, "note untouched": True}
    assert json.dumps(last.info)  # JSON-ready for servers
    workspace = env.episode.world.workspace
    await env.close()
    assert not workspace.exists()


async def test_wrong_answer_bad_calls_and_ended_episode():
    async with WorkgymEnv() as env:
        await env.reset(FAMILY, seed=1)
        bad = await env.step([{"name": "files_nope", "arguments": {}},
                              {"name": "files_read", "arguments": "{not json"}])
        texts = [m["content"] for m in bad.observation.messages]
        assert all(t.startswith("error:") for t in texts) and not bad.done
        await env.step([{"name": "files_write", "arguments": {"path": "total.txt", "content": "1"}}])
        end = await env.step({"role": "assistant", "content": "done"})
        assert end.done and end.reward == 0.0
        assert end.info["criteria"]["total written"] is False
        assert [c.error for c in env.episode.calls[:2]] == ["unknown_tool", "invalid_json"]
        with pytest.raises(ValueError, match="ended"):
            await env.step("again")


async def test_turn_limit_truncates_and_delta_rewards_add_up_to_the_score():
    task = make(FAMILY, seed=2, difficulty="easy")
    env = WorkgymEnv(WorkgymEnvConfig(step_rewards="delta", max_turns=2))
    await env.reset(task.spec)
    read = await env.step([_read_call()])
    total = _total(read.observation.messages[0]["content"])
    write = await env.step([{"name": "files_write",
                             "arguments": {"path": "total.txt", "content": str(total)}}])
    # the second step reaches max_turns: the episode ends, truncated, but the world counts
    assert write.done and write.truncated and write.grade is not None
    assert write.grade.truncated
    assert read.reward + write.reward == pytest.approx(write.grade.score) == 1.0
    await env.close()
    with pytest.raises(ValueError, match="delta"):
        WorkgymEnvConfig(step_rewards="delta", reward="binary")


async def test_many_concurrent_sessions_are_isolated():
    async def session(seed: int, solve: bool) -> tuple[float, str]:
        async with WorkgymEnv(WorkgymEnvConfig(reward="binary")) as env:
            await env.reset(FAMILY, seed=seed)
            read = await env.step([_read_call()])
            total = _total(read.observation.messages[0]["content"]) + (0 if solve else 1)
            await env.step([{"name": "files_write",
                             "arguments": {"path": "total.txt", "content": str(total)}}])
            result = await env.step("done")
            return result.reward, str(env.episode.world.workspace)

    results = await asyncio.gather(*(session(seed, seed % 3 != 0) for seed in range(24)))
    assert [r for r, _ in results] == [0.0 if seed % 3 == 0 else 1.0 for seed in range(24)]
    assert len({w for _, w in results}) == 24


def test_parse_action_forms():
    calls, answer = parse_action([_read_call("x")])
    assert answer is None and calls[0].name == "files_read" and calls[0].id == "x"
    assert parse_action("final") == ([], "final")
    assert parse_action({"role": "assistant", "content": "hi", "tool_calls": []}) == ([], "hi")
    with pytest.raises(ValueError):
        parse_action([{"arguments": {}}])


def test_iter_specs_is_suite_specs_under_its_old_name():
    from workgym.agent import suite_specs
    from workgym.train.adapters import iter_specs

    with pytest.warns(DeprecationWarning, match="suite_specs"):
        train = list(iter_specs([FAMILY], per_family=20, difficulties=["easy"]))
    with pytest.warns(DeprecationWarning):
        holdout = list(iter_specs([FAMILY], split="holdout", per_family=5,
                                  difficulties=["easy"]))
    assert train == suite_specs(families=[FAMILY], split="train", per_level=20,
                                difficulties=["easy"])
    assert len(train) == 20 and len(holdout) == 5
    assert {s.seed for s in train}.isdisjoint({s.seed for s in holdout})
    assert {s.family_id for s in train} == {FAMILY}
