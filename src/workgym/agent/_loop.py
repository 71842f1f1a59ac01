"""The episode loop: policy turns, tool execution, limits, context management, grading."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from workgym.agent._policy import (
    AssistantTurn,
    ContextLengthExceeded,
    Policy,
    PolicyContext,
)
from workgym.agent._step import DEFAULT_SYSTEM_PROMPT, execute_calls, opening_messages
from workgym.core import Episode, StopReason, Task, Trace, TraceStats, Usage

T = TypeVar("T")
COMPACTED_PREFIX = "[older tool output"


class LoopConfig(BaseModel):
    """Limits and context management of one episode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_turns: int = Field(default=50, ge=1)
    """Most assistant turns; reaching it without an answer truncates the episode."""
    token_budget: int | None = Field(default=None, ge=1)
    """Most completion tokens over the whole episode; spending them truncates it."""
    max_tool_output_chars: int = Field(default=20_000, ge=100)
    """Longer tool outputs are cut to this many characters, with a note saying how much
    was cut (the call log keeps the whole output)."""
    compact_after_turns: int | None = Field(default=None, ge=1)
    """When set, tool outputs older than this many assistant turns are replaced by a short
    placeholder before the next request (the call log keeps them)."""
    parallel_tools: bool = True
    """Execute the tool calls of one turn concurrently (in threads); their results are
    appended in the order the model gave them either way. When false they run one after
    another, which also keeps the call log in the model's order."""
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    """The system message of every episode."""


def compact(messages: list[dict[str, Any]], keep_turns: int) -> int:
    """Replace tool outputs older than the last ``keep_turns`` assistant turns by a
    placeholder, in place. Returns how many outputs were replaced now."""
    assistant_at = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    if len(assistant_at) <= keep_turns:
        return 0
    boundary = assistant_at[-keep_turns]
    replaced = 0
    for msg in messages[:boundary]:
        content = msg.get("content") or ""
        if msg.get("role") == "tool" and not content.startswith(COMPACTED_PREFIX):
            msg["content"] = f"{COMPACTED_PREFIX} of {len(content)} characters removed to save context]"
            replaced += 1
    return replaced


async def run_episode(
    task: Task,
    policy: Policy,
    config: LoopConfig | None = None,
    *,
    sample: int = 0,
    suite: str | None = None,
    on_turn: Callable[[AssistantTurn], None] | None = None,
) -> Trace:
    """Roll out ``policy`` on ``task`` and grade the result.

    The policy is asked for turns until it answers without a tool call, or the turn limit
    or token budget is reached (the trace is then ``truncated``). A policy that fails
    (endpoint down) yields a trace with ``error`` set and no grade: not a 0.

    Args:
        task: the task to run (a fresh world is materialized for it).
        policy: what acts.
        config: limits and context management.
        sample: index of this rollout among the task's samples.
        suite: suite name recorded in the trace.
        on_turn: called with each assistant turn as it arrives (progress display).

    Returns:
        The trace, graded unless the policy failed.
    """
    config = config or LoopConfig()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    episode = await _world_work(task, task.start)
    try:
        return await _loop(task, episode, policy, config, sample, suite, started_at, clock,
                           on_turn)
    finally:
        await _world_work(task, episode.close)


async def _world_work(task: Task, work: Callable[[], T]) -> T:
    """``work()`` in a thread when the task may block (``App.blocking``: the terminal, db
    and git), else inline: starting, grading and closing other worlds takes milliseconds,
    less than the thread hand-off costs at hundreds of episodes in flight."""
    if task.blocking:
        return await asyncio.to_thread(work)
    return work()


async def _loop(task: Task, episode: Episode, policy: Policy, config: LoopConfig, sample: int,
                suite: str | None, started_at: str, clock: float,
                on_turn: Callable[[AssistantTurn], None] | None) -> Trace:
    tools = episode.tools("openai")
    messages = opening_messages(task, config.system_prompt)
    stats = TraceStats()
    usage = Usage()
    stop_reason: StopReason = "max_turns"
    error: str | None = None
    answered = False
    for turn_index in range(config.max_turns):
        if config.compact_after_turns is not None:
            stats.compactions += compact(messages, config.compact_after_turns)
        ctx = PolicyContext(task=task, sample=sample, turn=turn_index)
        try:
            turn: AssistantTurn = await policy.act(messages, tools, ctx)
        except ContextLengthExceeded:
            stop_reason = "max_tokens"
            break
        except Exception as exc:  # noqa: BLE001  (failed outside the model: an error, not a 0)
            stop_reason, error = "error", f"{type(exc).__name__}: {exc}"
            break
        stats.turns += 1
        if on_turn is not None:
            on_turn(turn)
        usage.prompt_tokens += turn.usage.prompt_tokens
        usage.completion_tokens += turn.usage.completion_tokens
        for index, call in enumerate(turn.tool_calls):
            call.id = call.id or f"call_{turn_index}_{index}"
        messages.append(turn.message())
        if not turn.tool_calls:
            if turn.finish_reason == "length":
                stop_reason = "max_tokens"  # cut off mid-answer: no final answer
            else:
                stop_reason, answered = "answer", True
                episode.finish(turn.content or "")
            break
        stats.tool_calls += len(turn.tool_calls)
        if len(turn.tool_calls) > 1:
            stats.parallel_turns += 1
        outcome = await execute_calls(episode, turn.tool_calls,
                                      [call.id or "" for call in turn.tool_calls],
                                      max_output_chars=config.max_tool_output_chars,
                                      parallel=config.parallel_tools)
        stats.truncated_outputs += outcome.truncated_outputs
        messages.extend(outcome.messages)
        if config.token_budget is not None and usage.completion_tokens >= config.token_budget:
            stop_reason = "max_tokens"
            break

    truncated = error is None and not answered
    grade = None
    if error is None:
        if truncated:
            episode.finish(None, truncated=True)
        grade = await _world_work(task, episode.grade)
    for record in episode.calls:
        stats.invalid_json += record.error == "invalid_json"
        stats.invalid_args += record.error == "invalid_args"
        stats.unknown_tools += record.error == "unknown_tool"
        stats.tool_errors += record.error in ("tool_error", "internal")
    stats.closure = episode.artifacts_written()
    return Trace(
        task_id=task.id, spec=task.spec, sample=sample, policy=policy.name, model=policy.model,
        messages=messages, calls=list(episode.calls), usage=usage, stats=stats,
        stop_reason=stop_reason, truncated=truncated, error=error, grade=grade,
        started_at=started_at, duration_s=round(time.perf_counter() - clock, 4), suite=suite,
    )
