"""A run with failures of every kind, made through the library: real episodes of the
built-in families played by a scripted policy that follows part of the reference plan
and makes the mistakes agents make.

Run as a script to write such a run (used for the docs' screenshots):
    python tests/eval/failing_run.py OUT_FOLDER [--seeds N]
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workgym.agent import AssistantTurn, LoopConfig, PolicyContext, ToolCallRequest, run_episode
from workgym.core import Trace, family_ids, make

MODES = ("reference", "half then claim", "unknown tool then reference", "identical calls",
         "bad arguments then give up", "no tool calls", "loop until the limit",
         "all but the last step")
"""What the policy does, chosen by (seed + sample) of the task."""


def _request(step: int, name: str, args: Any) -> ToolCallRequest:
    raw = args if isinstance(args, str) else json.dumps(args)
    return ToolCallRequest(id=f"call_{step}", name=name.replace(".", "_", 1), arguments=raw)


class FlawedPolicy:
    """Plays a prefix of the reference plan with a mistake picked by :data:`MODES`."""

    name = "flawed"
    model = "scripted-flawed"

    def __init__(self, modes: Sequence[str] | None = None) -> None:
        self.modes = tuple(modes or MODES)

    def mode(self, ctx: PolicyContext) -> str:
        return self.modes[(ctx.task.spec.seed + ctx.sample) % len(self.modes)]

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        plan = ctx.task.reference
        step = sum(1 for m in messages if m.get("role") == "assistant")
        mode = self.mode(ctx)
        done = AssistantTurn(content=ctx.task.reference_answer or "Done: the task is complete.",
                             finish_reason="stop")
        if mode == "no tool calls":
            return AssistantTurn(content="All done.", finish_reason="stop")
        if mode == "unknown tool then reference":
            if step == 0:
                return AssistantTurn(tool_calls=[_request(0, "files.grep", {"pattern": "x"})])
            step -= 1
        elif mode == "half then claim":
            if step >= len(plan) // 2:
                return AssistantTurn(content="Done: everything is updated.", finish_reason="stop")
        elif mode == "identical calls":
            if step < 3:
                return AssistantTurn(tool_calls=[_request(step, plan[0].name, plan[0].args)])
            step -= 3
        elif mode == "all but the last step":
            if step >= len(plan) - 1:
                return done
        elif mode == "bad arguments then give up":
            if step == 0:
                return AssistantTurn(tool_calls=[_request(0, plan[0].name, {"no_such": 1})])
            if step == 1:
                return AssistantTurn(tool_calls=[_request(1, plan[-1].name, "{not json")])
            return AssistantTurn(content="I could not finish the task.", finish_reason="stop")
        elif mode == "loop until the limit":
            first, second = plan[0], plan[min(1, len(plan) - 1)]
            call = first if step % 2 == 0 else second
            return AssistantTurn(tool_calls=[_request(step, call.name, call.args)])
        if step < len(plan):
            return AssistantTurn(tool_calls=[_request(step, plan[step].name, plan[step].args)])
        return done


async def _traces(seeds: int, samples: int, modes: Sequence[str] | None,
                  max_turns: int) -> list[Trace]:
    policy = FlawedPolicy(modes)
    config = LoopConfig(max_turns=max_turns)
    traces = []
    for family in family_ids():
        for seed in range(seeds):
            task = make(family, seed=seed, difficulty="easy" if seed % 2 == 0 else "medium")
            for sample in range(samples):
                traces.append(await run_episode(task, policy, config, sample=sample,
                                                suite="flawed"))
    return traces


def flawed_traces(seeds: int = 8, samples: int = 1, modes: Sequence[str] | None = None,
                  max_turns: int = 30) -> list[Trace]:
    """Traces of every built-in family, ``seeds`` tasks each, through FlawedPolicy."""
    return asyncio.run(_traces(seeds, samples, modes, max_turns))


def write_traces(folder: Path, traces: Sequence[Trace], config: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "traces.jsonl").open("w", encoding="utf-8") as handle:
        for trace in traces:
            handle.write(trace.model_dump_json() + "\n")
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


if __name__ == "__main__":
    out = Path(sys.argv[1])
    n = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 8
    write_traces(out, flawed_traces(n), {"policy": "flawed", "model": "scripted-flawed"})
    print(out)
