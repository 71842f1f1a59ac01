"""The message-level step of an episode, shared by the evaluation loop and the trainer
adapters, so that an episode behaves the same whether it is evaluated or trained on.

An episode at the message level is: the opening messages (system prompt, task prompt),
then turns. A turn's tool calls run on the episode (concurrently or in order) and come
back as ``tool`` messages, in the order the model gave the calls, each cut to a length
limit with a note saying how much was cut (the episode's call log keeps every output
whole).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from workgym.core import Episode, Task, ToolResult

DEFAULT_SYSTEM_PROMPT = (
    "You are an agent that completes work tasks in a workspace through the tools you are "
    "given. Inspect before you act, use as many tool calls as the task needs (several in "
    "one turn when they do not depend on each other), and check your results. When the "
    "task is complete, reply with a short final message without any tool call."
)
"""The system message of every episode, in evaluation and in training, unless the
configuration names another."""


class CallLike(Protocol):
    """A tool call as a model produced it: an id, a name and the arguments (a JSON
    object or its raw text)."""

    @property
    def name(self) -> str: ...

    @property
    def arguments(self) -> Any: ...


def opening_messages(task: Task, system_prompt: str | None = DEFAULT_SYSTEM_PROMPT
                     ) -> list[dict[str, Any]]:
    """The messages an episode starts with: the system prompt (unless None or empty) and
    the task prompt."""
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": task.prompt})
    return messages


def truncate_output(text: str, limit: int) -> tuple[str, bool]:
    """Cut ``text`` to ``limit`` characters and say how much was cut.

    Returns:
        The text the model sees, and whether it was cut.
    """
    if len(text) <= limit:
        return text, False
    cut = len(text) - limit
    return (f"{text[:limit]}\n[output truncated: {cut} of {len(text)} characters cut; "
            "ask for a smaller part]"), True


@dataclass(frozen=True)
class StepOutcome:
    """What one turn's tool calls gave."""

    messages: list[dict[str, Any]]
    """One ``tool`` message per call, in the order of the calls."""
    results: list[ToolResult]
    """The episode's results, in the same order (full texts, ok flags)."""
    truncated_outputs: int
    """How many outputs were cut to the length limit."""


async def execute_calls(episode: Episode, calls: Sequence[CallLike], call_ids: Sequence[str],
                        *, max_output_chars: int, parallel: bool) -> StepOutcome:
    """Run one turn's tool calls on ``episode`` and build their ``tool`` messages.

    Args:
        episode: the running episode.
        calls: the turn's tool calls, in the model's order.
        call_ids: the id each ``tool`` message answers, one per call.
        max_output_chars: the longest output the model sees.
        parallel: run the calls concurrently in threads (their results still come back in
            order; the episode's lock keeps writes from interleaving). When false they run
            one after another, so the call log follows the model's order: in a thread
            when an app of the task may block (``App.blocking``), else inline.

    Returns:
        The tool messages, the results and how many outputs were cut.
    """
    if len(call_ids) != len(calls):
        raise ValueError(f"{len(calls)} calls but {len(call_ids)} call ids")
    if parallel and len(calls) > 1:
        results = list(await asyncio.gather(
            *(asyncio.to_thread(episode.call, c.name, c.arguments) for c in calls)))
    elif episode.task.blocking:
        results = await asyncio.to_thread(
            lambda: [episode.call(c.name, c.arguments) for c in calls])
    else:  # quick tools: a thread hand-off would cost more than the calls (App.blocking)
        results = [episode.call(c.name, c.arguments) for c in calls]
    messages: list[dict[str, Any]] = []
    cut_count = 0
    for call_id, result in zip(call_ids, results, strict=True):
        text, cut = truncate_output(result.text, max_output_chars)
        cut_count += cut
        messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
    return StepOutcome(messages=messages, results=results, truncated_outputs=cut_count)
