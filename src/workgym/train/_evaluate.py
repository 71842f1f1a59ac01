"""Score a model being trained on holdout tasks, the way it is trained: its own chat
template renders the tools and the conversation, and its tool calls run in episodes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from workgym.core import TaskSpec, make_from_spec
from workgym.train._config import GSPOTrainConfig
from workgym.train._export import task_tools

TURN_TOKENS = 256
"""Most new tokens per turn (within the config's ``max_completion_length`` in all)."""


def _arguments(raw: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def evaluate_model(model: Any, tokenizer: Any, specs: Sequence[TaskSpec],
                   config: GSPOTrainConfig) -> dict[str, float | int]:
    """Greedy episodes of ``specs`` (up to ``config.max_turns`` turns and
    ``config.max_completion_length`` new tokens each, tool outputs cut as in training),
    graded: the tasks, their mean score and the share that passed, over the valid
    grades (a grade a grader bug left invalid is counted apart, never scored 0)."""
    import torch

    from workgym.agent import DEFAULT_SYSTEM_PROMPT, parse_tool_calls, truncate_output

    system = config.system_prompt if config.system_prompt is not None else DEFAULT_SYSTEM_PROMPT
    scores: list[float] = []
    passed = invalid = 0
    was_training = model.training
    model.eval()
    try:
        for spec in specs:
            task = make_from_spec(spec)
            tools = task_tools(task)
            messages: list[dict[str, Any]] = [{"role": "system", "content": system},
                                              {"role": "user", "content": task.prompt}]
            left, answer = config.max_completion_length, None
            with task.start() as episode:
                for turn in range(config.max_turns):
                    text = tokenizer.apply_chat_template(messages, tools=tools,
                                                         add_generation_prompt=True,
                                                         tokenize=False)
                    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)
                    with torch.inference_mode():
                        out = model.generate(**ids, max_new_tokens=min(TURN_TOKENS, left),
                                             do_sample=False,
                                             pad_token_id=tokenizer.pad_token_id)
                    new = out[0, ids["input_ids"].shape[1]:]
                    left -= len(new)
                    content, calls = parse_tool_calls(
                        tokenizer.decode(new, skip_special_tokens=True), turn)
                    if not calls:
                        answer = content or ""
                        break
                    messages.append({"role": "assistant", "content": content or "",
                                     "tool_calls": [{"type": "function", "function": {
                                         "name": c.name, "arguments": _arguments(c.arguments)}}
                                         for c in calls]})
                    for call in calls:
                        result = episode.call(call.name, _arguments(call.arguments))
                        output, _ = truncate_output(result.text, config.max_tool_output_chars)
                        messages.append({"role": "tool", "content": output})
                    if left <= 0:
                        break
                episode.finish(answer, truncated=answer is None)
                grade = episode.grade()
            if not grade.valid:
                invalid += 1
                continue
            scores.append(grade.score)
            passed += bool(grade.passed)
    finally:
        model.train(was_training)
    return {"tasks": len(specs), "invalid": invalid, "mean_score": sum(scores) / len(scores) if scores else 0.0,
            "pass_rate": passed / len(scores) if scores else 0.0}
