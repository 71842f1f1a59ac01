"""The Policy protocol, the assistant turn it returns, and the built-in scripted policies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from workgym.core import Task, ToolCall, Trace, Usage, dialect_surface, wire_call


class PolicyError(Exception):
    """The policy could not produce a turn for reasons outside the model (endpoint down,
    no trace to replay). The episode ends with ``Trace.error`` set, never a 0 reward."""


class ContextLengthExceeded(Exception):
    """The conversation no longer fits the model's context: the episode is truncated."""


class ToolCallRequest(BaseModel):
    """One tool call as a model (or a trainer's action) asked for it. Its execution is
    logged as a ``CallRecord``; those are the two roles a tool call has."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    """The call id that the matching ``tool`` message answers (made up when absent)."""
    name: str
    """Tool name as the model wrote it (``files_read``; the dotted ``files.read`` is
    accepted too)."""
    arguments: dict[str, Any] | str = "{}"
    """The arguments: the raw JSON text a model produced (it may be malformed: the episode
    reports it), or an object."""

    def message(self) -> dict[str, Any]:
        """The OpenAI ``tool_calls`` entry (arguments as JSON text)."""
        arguments = self.arguments if isinstance(self.arguments, str) else json.dumps(
            self.arguments, ensure_ascii=False)
        return {"id": self.id or "", "type": "function",
                "function": {"name": self.name, "arguments": arguments}}


class AssistantTurn(BaseModel):
    """What a policy returns for one turn."""

    content: str | None = None
    """The text of the turn; the final answer when there are no tool calls."""
    tool_calls: list[ToolCallRequest] = Field(default_factory=list)
    """Tool calls to execute, in the order the model gave them."""
    usage: Usage = Field(default_factory=Usage)
    """Tokens spent on this turn."""
    finish_reason: str | None = None
    """The generator's reason to stop (``stop``, ``tool_calls``, ``length``...)."""
    reasoning: str | None = None
    """Reasoning text that the server returned apart from the content, if any."""

    def message(self) -> dict[str, Any]:
        """The OpenAI chat ``assistant`` message of this turn (content never null: several
        servers refuse a null content in the conversation they are sent back)."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content or ""}
        if self.tool_calls:
            msg["tool_calls"] = [call.message() for call in self.tool_calls]
        if self.reasoning:
            msg["reasoning_content"] = self.reasoning
        return msg


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may know besides the conversation: the task and which sample this is."""

    task: Task
    sample: int = 0
    turn: int = 0
    """Index of the turn being asked for (0 for the first)."""


@runtime_checkable
class Policy(Protocol):
    """What acts in an episode.

    A policy is shared by every concurrent episode of a run, so ``act`` must keep no
    per-episode state on the instance: everything it needs is in ``messages`` and ``ctx``.
    """

    name: str
    """Short name recorded in each trace (``openai``, ``local``, ``reference``...)."""
    model: str | None
    """Model name recorded in each trace, if any."""

    async def act(
        self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
        ctx: PolicyContext,
    ) -> AssistantTurn:
        """The next assistant turn for the conversation ``messages``.

        Args:
            messages: the OpenAI chat messages so far (system, user, assistant, tool).
            tools: the OpenAI ``tools`` entries of the episode.
            ctx: the task and the sample index.

        Raises:
            PolicyError: no turn could be had (the trace is marked as an error).
            ContextLengthExceeded: the conversation outgrew the model's context.
        """
        ...


def _assistant_turns(messages: Sequence[dict[str, Any]]) -> int:
    return sum(1 for m in messages if m.get("role") == "assistant")


class NoopPolicy:
    """Answers at once without calling a tool: the floor every task must score 0 on."""

    name = "noop"
    model: str | None = None

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        return AssistantTurn(content="I did nothing.", finish_reason="stop")


class ReferencePolicy:
    """Executes the task's reference plan, one tool call per turn, then gives the
    reference answer. Scores 1.0 on every well-formed family."""

    name = "reference"
    model: str | None = None

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        # One call per turn: reference steps may depend on each other, and calls of one
        # turn run concurrently.
        step = _assistant_turns(messages)
        plan = ctx.task.reference
        if step < len(plan):
            name, args = self.spell(ctx.task, plan[step])
            request = ToolCallRequest(id=f"call_{step}", name=name, arguments=json.dumps(args))
            return AssistantTurn(tool_calls=[request], finish_reason="tool_calls")
        return AssistantTurn(content=ctx.task.reference_answer or "Done.", finish_reason="stop")

    def spell(self, task: Task, step: ToolCall) -> tuple[str, dict[str, Any]]:
        """A reference step's name and arguments as the tool schemas offered to models
        spell them (the task's dialect: files_read, filesystem-read_file, ...)."""
        return wire_call(task, step)


class NativeReferencePolicy(ReferencePolicy):
    """The reference plan spelled in the native tool names (``files_read``) whatever the
    tools offered: a policy that learned one tool surface, not the skill. It solves every
    task on the native surface and none under another dialect, which makes it the
    scripted control of the ``interface`` split (``docs/splits.md``)."""

    name = "native-reference"

    def spell(self, task: Task, step: ToolCall) -> tuple[str, dict[str, Any]]:
        """The step as the native surface spells it, whatever the task's dialect."""
        return dialect_surface("default", task.apps).to_wire(step.name, dict(step.args))


class ReplayPolicy:
    """Replays the assistant turns of recorded traces, matched by task id and sample.

    Useful to re-grade a run after a grader change, or to check that a trace reproduces.

    Args:
        traces: a run folder, a ``traces.jsonl`` file, or Trace objects.
    """

    name = "replay"

    def __init__(self, traces: str | Path | Sequence[Trace], model: str | None = None) -> None:
        if isinstance(traces, (str, Path)):
            traces = load_traces(traces)
        self._turns: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for trace in traces:
            if trace.error is None:
                self._turns[(trace.task_id, trace.sample)] = [
                    m for m in trace.messages if m.get("role") == "assistant"
                ]
        self.model = model

    def __len__(self) -> int:
        return len(self._turns)

    async def act(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                  ctx: PolicyContext) -> AssistantTurn:
        recorded = self._turns.get((ctx.task.id, ctx.sample))
        if recorded is None:
            raise PolicyError(f"no trace to replay for task {ctx.task.id} sample {ctx.sample}")
        step = _assistant_turns(messages)
        if step >= len(recorded):
            # The recorded rollout was cut off here: end without an answer.
            return AssistantTurn(content=None, finish_reason="stop")
        msg = recorded[step]
        calls = [
            ToolCallRequest(id=c.get("id") or f"call_{step}_{i}",
                            name=c.get("function", {}).get("name", ""),
                            arguments=c.get("function", {}).get("arguments", "{}"))
            for i, c in enumerate(msg.get("tool_calls") or [])
        ]
        return AssistantTurn(content=msg.get("content"), tool_calls=calls,
                             reasoning=msg.get("reasoning_content"),
                             finish_reason="tool_calls" if calls else "stop")


def load_traces(path: str | Path) -> list[Trace]:
    """Read every complete trace of a run folder or a ``traces.jsonl`` file.

    A last line cut off by an interrupted write is skipped.

    Raises:
        ValueError: the file does not exist.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "traces.jsonl"
    if not path.is_file():
        raise ValueError(f"no traces at {path}")
    traces = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            if line.strip():
                traces.append(Trace.model_validate_json(line))
    return traces
