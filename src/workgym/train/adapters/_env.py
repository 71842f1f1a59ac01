"""WorkgymEnv: a generic async reset/step environment over workgym episodes.

Trainers with their own rollout loop (verl's agent loop, SkyRL-gym, slime's custom
rollout function, OpenEnv servers) drive a workgym task through two calls: ``reset``
gives the prompt and the tool schemas, ``step`` executes the model's tool calls (or
takes its final answer) and returns the tool results, the reward and, at the end, the
grade with every criterion.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workgym.agent import (
    DEFAULT_SYSTEM_PROMPT,
    ToolCallRequest,
    execute_calls,
    opening_messages,
)
from workgym.core import (
    DIFFICULTIES,
    Difficulty,
    Episode,
    Grade,
    RewardScheme,
    Task,
    TaskSpec,
    make,
    make_from_spec,
)

StepRewards = Literal["final", "delta"]


class WorkgymEnvConfig(BaseModel):
    """How a WorkgymEnv rewards, limits and presents an episode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reward: RewardScheme = "dense"
    """Reward scheme of the grade: ``binary``, ``dense`` (weighted fraction of criteria
    met) or ``gamma`` (binary, decayed per call beyond the reference length)."""
    gamma: float = Field(default=0.98, gt=0.0, le=1.0)
    """Decay per extra call for the ``gamma`` scheme."""
    step_rewards: StepRewards = "final"
    """``final``: every step but the last earns 0, the last earns the scheme's reward.
    ``delta``: every step earns the change of the dense score it caused, so the rewards
    of an episode add up to its final dense score (needs ``reward="dense"``)."""
    max_turns: int | None = Field(default=50, ge=1)
    """Steps after which an episode without a final answer ends, graded as truncated.
    None: no limit (the trainer enforces its own)."""
    max_tool_output_chars: int = Field(default=20_000, ge=100)
    """Tool outputs longer than this are cut, with a note saying how much (the episode's
    call log keeps the whole output)."""
    system_prompt: str | None = DEFAULT_SYSTEM_PROMPT
    """System message put before the task prompt in ``reset``'s messages; None for none."""

    @model_validator(mode="after")
    def _delta_needs_dense(self) -> WorkgymEnvConfig:
        if self.step_rewards == "delta" and self.reward != "dense":
            raise ValueError("step_rewards='delta' pays out the dense score; set reward='dense'")
        return self


ToolCallAction = ToolCallRequest
"""The action form of a tool call: the same model as the evaluation loop's requests."""


class Observation(BaseModel):
    """What the environment shows after ``reset`` or ``step``."""

    messages: list[dict[str, Any]]
    """OpenAI chat messages to append to the conversation: the system and user
    messages after ``reset``, one ``tool`` message per call after ``step``."""
    prompt: str | None = None
    """The task prompt (after ``reset`` only)."""
    tools: list[dict[str, Any]] = Field(default_factory=list)
    """The episode's tools as OpenAI ``tools`` entries (after ``reset`` only)."""


class StepResult(BaseModel):
    """The outcome of one ``step``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    observation: Observation
    reward: float
    """The step's reward (see ``WorkgymEnvConfig.step_rewards``)."""
    done: bool
    """The episode ended: a final answer, or the turn limit (then ``truncated``)."""
    truncated: bool = False
    """The episode hit ``max_turns`` without a final answer; trainers may mask it."""
    grade: Grade | None = None
    """The grade, set when ``done``."""
    info: dict[str, Any] = Field(default_factory=dict)
    """JSON-ready details: task id, step, calls, and when done the score, ``passed``,
    per-criterion results (``criteria``: name -> passed) and the full grade."""


Action = str | Mapping[str, Any] | Sequence[Any] | ToolCallAction | None


def parse_action(action: Action) -> tuple[list[ToolCallAction], str | None]:
    """Split an action into tool calls and a final answer.

    Accepted forms: a string (the final answer), an OpenAI assistant message
    (``{"role": "assistant", "content": ..., "tool_calls": [...]}``), a list of tool
    calls (OpenAI ``tool_calls`` entries, ``{"name", "arguments"}`` dicts, ToolCallAction,
    or objects with ``name`` and ``args``/``arguments`` attributes), or one ToolCallAction.

    Returns:
        The tool calls and, when there are none, the final answer.

    Raises:
        ValueError: an action of none of these forms.
    """
    if action is None:
        return [], ""
    if isinstance(action, str):
        return [], action
    if isinstance(action, ToolCallAction):
        return [action], None
    if isinstance(action, Mapping):
        if "tool_calls" in action or action.get("role") == "assistant":
            calls = [_call(c, i) for i, c in enumerate(action.get("tool_calls") or [])]
            if calls:
                return calls, None
            content = action.get("content")
            return [], content if isinstance(content, str) else ""
        return [_call(action, 0)], None
    if isinstance(action, Sequence):
        return [_call(c, i) for i, c in enumerate(action)], None
    raise ValueError(f"cannot read an action of type {type(action).__name__}")


def _call(item: Any, index: int) -> ToolCallAction:
    if isinstance(item, ToolCallAction):
        return item
    if isinstance(item, Mapping):
        if "function" in item:  # an OpenAI tool_calls entry
            fn = item["function"]
            return ToolCallAction(name=fn.get("name", ""), arguments=fn.get("arguments") or {},
                                  id=item.get("id"))
        if "name" in item:
            args = item.get("arguments", item.get("args", {}))
            return ToolCallAction(name=item["name"], arguments=args or {}, id=item.get("id"))
    name = getattr(item, "name", None)
    if isinstance(name, str):
        args = getattr(item, "arguments", None)
        if args is None:
            args = getattr(item, "args", {})
        return ToolCallAction(name=name, arguments=dict(args) if isinstance(args, Mapping) else args,
                              id=getattr(item, "id", None))
    raise ValueError(f"tool call {index} has no name: {item!r}")


def resolve_task(
    task: TaskSpec | Task | str,
    seed: int = 0,
    difficulty: Difficulty = "medium",
    richness: float = 0.5,
    variant: str = "default",
) -> Task:
    """A Task from a Task, a TaskSpec, a spec's JSON, or a family id plus knobs."""
    if isinstance(task, Task):
        return task
    if isinstance(task, TaskSpec):
        return make_from_spec(task)
    if isinstance(task, str) and task.lstrip().startswith("{"):
        return make_from_spec(TaskSpec.from_json(task))
    if isinstance(task, str):
        return make(task, seed=seed, difficulty=difficulty, richness=richness, variant=variant)
    raise ValueError(f"expected a TaskSpec, a Task or a family id, got {type(task).__name__}")


def iter_specs(
    families: Sequence[str] = (),
    *,
    split: Literal["train", "holdout"] = "train",
    per_family: int = 100,
    difficulties: Sequence[Difficulty] = DIFFICULTIES,
    richness: float = 0.5,
    variant: str = "default",
) -> Iterator[TaskSpec]:
    """Deprecated (kept for one version): ``workgym.agent.suite_specs`` with
    ``split=`` and ``per_level=`` gives the same specs in the same order."""
    import warnings

    from workgym.agent import suite_specs

    warnings.warn("workgym.train.adapters.iter_specs is deprecated; use "
                  "workgym.agent.suite_specs(families=..., split=..., per_level=...)",
                  DeprecationWarning, stacklevel=2)
    yield from suite_specs(families=families, split=split, per_level=per_family,
                           difficulties=difficulties, richness=richness, variant=variant)


class WorkgymEnv:
    """One workgym episode at a time, behind an async reset/step interface.

    Each instance is one session with its own World (a private workspace); run many
    sessions by making many instances. Tool calls, world creation and grading run in
    worker threads, so the event loop stays free for other sessions.

    Example:
        >>> env = WorkgymEnv(WorkgymEnvConfig(reward="binary"))
        >>> obs = await env.reset("office/library-catalogue-v1", seed=3)
        >>> result = await env.step([{"name": "files_read", "arguments": {"path": "a.txt"}}])
        >>> result = await env.step("I am done.")
        >>> result.done, result.reward, result.info["criteria"]
        >>> await env.close()
    """

    def __init__(self, config: WorkgymEnvConfig | None = None) -> None:
        self.config = config or WorkgymEnvConfig()
        self.task: Task | None = None
        self.episode: Episode | None = None
        self.steps = 0
        self.done = False
        self._score = 0.0
        self._calls_made = 0

    # -- the interface -------------------------------------------------------------------

    async def reset(
        self,
        task: TaskSpec | Task | str,
        seed: int = 0,
        *,
        difficulty: Difficulty = "medium",
        richness: float = 0.5,
        variant: str = "default",
    ) -> Observation:
        """Start a fresh episode (closing any open one).

        Args:
            task: a TaskSpec, its JSON, a Task, or a family id such as
                ``office/library-catalogue-v1`` (then ``seed`` and the knobs apply).
            seed: procedural seed when ``task`` is a family id.
            difficulty: ``easy``, ``medium`` or ``hard`` when ``task`` is a family id.
            richness: distractor level 0..1 when ``task`` is a family id.
            variant: interface variant when ``task`` is a family id.

        Returns:
            The first observation: system and user messages, the prompt, the tools.
        """
        await self.close()
        resolved = await asyncio.to_thread(resolve_task, task, seed, difficulty, richness, variant)
        self.episode = await asyncio.to_thread(resolved.start)
        self.task = resolved
        self.steps = 0
        self.done = False
        self._score = 0.0
        self._calls_made = 0
        messages = opening_messages(resolved, self.config.system_prompt)
        return Observation(messages=messages, prompt=resolved.prompt, tools=self.tools)

    async def step(self, action: Action) -> StepResult:
        """Execute the action: tool calls, or a final answer that ends the episode.

        Args:
            action: see ``parse_action`` for the accepted forms. An empty list of calls
                or an assistant message without tool calls is a final answer.

        Returns:
            Tool messages (one per call, in order), the reward, and when the episode
            ends the grade. Bad tool calls come back as error results, never raise.

        Raises:
            ValueError: no episode is open (call ``reset``), or it has ended.
        """
        episode = self._open_episode()
        calls, answer = parse_action(action)
        self.steps += 1
        messages: list[dict[str, Any]] = []
        if calls:
            # in order, in one thread: the call log must follow the model's order so that
            # a rollout replays to the same world
            outcome = await execute_calls(
                episode, calls, [c.id or f"call_{self.steps}_{i}" for i, c in enumerate(calls)],
                max_output_chars=self.config.max_tool_output_chars, parallel=False)
            messages = outcome.messages
            self._calls_made += len(calls)
        truncated = bool(calls) and (
            self.config.max_turns is not None and self.steps >= self.config.max_turns
        )
        done = not calls or truncated
        if done:
            episode.finish(None if truncated else answer, truncated=truncated)
        grade: Grade | None = None
        if done or self.config.step_rewards == "delta":
            grade = await asyncio.to_thread(episode.grade)
        reward = self._reward(grade, done)
        self.done = done
        info: dict[str, Any] = {"task_id": self.task.id if self.task else None, "step": self.steps,
                                "calls": self._calls_made}
        if done and grade is not None:
            info.update(_grade_info(grade))
        return StepResult(observation=Observation(messages=messages), reward=reward, done=done,
                          truncated=truncated, grade=grade if done else None, info=info)

    async def truncate(self) -> StepResult:
        """End the episode without a final answer (the trainer hit its own limit) and
        grade it as truncated.

        Raises:
            ValueError: no episode is open, or it has ended.
        """
        episode = self._open_episode()
        self.done = True
        episode.finish(None, truncated=True)
        grade = await asyncio.to_thread(episode.grade)
        reward = self._reward(grade, True)
        info: dict[str, Any] = {"task_id": self.task.id if self.task else None, "step": self.steps,
                                "calls": self._calls_made, **_grade_info(grade)}
        return StepResult(observation=Observation(messages=[]), reward=reward, done=True,
                          truncated=True, grade=grade, info=info)

    async def grade(self) -> Grade:
        """Grade the current state without ending the episode (for inspection)."""
        episode = self._open_episode(allow_done=True)
        return await asyncio.to_thread(episode.grade)

    async def close(self) -> None:
        """Remove the episode's workspace. Safe to call twice; ``reset`` may follow."""
        await asyncio.to_thread(self.close_sync)

    def close_sync(self) -> None:
        """``close`` for synchronous callers (a server's session-end hook)."""
        episode, self.episode = self.episode, None
        if episode is not None:
            episode.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- details -------------------------------------------------------------------------

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The open episode's tools, as OpenAI ``tools`` entries."""
        return self._open_episode(allow_done=True).tools("openai")

    def call(self, name: str, arguments: dict[str, Any] | str | None = None) -> tuple[bool, str]:
        """Execute one tool call synchronously (for servers that proxy single calls).

        Returns:
            Whether the call succeeded, and the text the model sees.
        """
        result = self._open_episode().call(name, arguments)
        self._calls_made += 1
        return result.ok, result.text

    def _open_episode(self, allow_done: bool = False) -> Episode:
        if self.episode is None:
            raise ValueError("no episode is open: call reset() first")
        if self.done and not allow_done:
            raise ValueError("the episode has ended: call reset() to start another")
        return self.episode

    def _reward(self, grade: Grade | None, done: bool) -> float:
        if self.config.step_rewards == "delta":
            score = grade.score if grade is not None else self._score
            delta, self._score = score - self._score, score
            return delta
        if not done or grade is None:
            return 0.0
        return grade.reward(self.config.reward, gamma=self.config.gamma)


def _grade_info(grade: Grade) -> dict[str, Any]:
    return {
        "score": grade.score,
        "passed": grade.passed,
        "gated": grade.gated,
        "criteria": {c.name: c.passed for c in grade.criteria},
        "grade": json.loads(grade.model_dump_json()),
    }
