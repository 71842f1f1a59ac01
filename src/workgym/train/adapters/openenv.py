"""workgym as an OpenEnv environment: a server with concurrent sessions, and its client.

Needs ``openenv-core`` (``pip install 'workgym[openenv]'``). Serve it with::

    uvicorn --factory workgym.train.adapters.openenv:create_server_app --port 8000

Each WebSocket connection to ``/ws`` is one session with its own World; ``reset`` takes
``family`` (+ ``seed``, ``difficulty``, ``richness``, ``variant``) or ``spec`` (a TaskSpec
as JSON or a dict), ``step`` takes tool calls or a final answer. The client::

    async with WorkgymEnvClient(base_url="http://127.0.0.1:8000") as client:
        result = await client.reset(family="office/library-catalogue-v1", seed=3)
        result = await client.step(WorkgymAction(tool_calls=[...]))
        result = await client.step(WorkgymAction(answer="Done."))
        result.reward, result.observation.info["criteria"]
"""

from __future__ import annotations

import asyncio
from typing import Any

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server import Action, Environment, Observation, State, create_app
from pydantic import Field

from workgym.core import Difficulty, TaskSpec
from workgym.train.adapters._env import WorkgymEnv, WorkgymEnvConfig

__all__ = [
    "WorkgymAction", "WorkgymEnvClient", "WorkgymObservation", "WorkgymOpenEnv",
    "WorkgymState", "create_server_app",
]


class WorkgymAction(Action):
    """One step: tool calls to execute, or (with none) the final answer."""

    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    """OpenAI ``tool_calls`` entries, or ``{"name", "arguments", "id"}`` objects."""
    answer: str | None = None
    """The final answer; it ends the episode. Ignored when there are tool calls."""


class WorkgymObservation(Observation):
    """What a session shows after ``reset`` or ``step``."""

    messages: list[dict[str, Any]] = Field(default_factory=list)
    """OpenAI chat messages to append: system + user after reset, tool results after step."""
    prompt: str | None = None
    """The task prompt (after reset)."""
    tools: list[dict[str, Any]] = Field(default_factory=list)
    """OpenAI ``tools`` entries (after reset)."""
    truncated: bool = False
    """The episode hit the turn limit without a final answer."""
    info: dict[str, Any] = Field(default_factory=dict)
    """Task id, step and calls; when done also score, passed and ``criteria``."""


class WorkgymState(State):
    """The session's task and progress."""

    task_id: str | None = None
    """Content hash of the task's spec."""
    spec: dict[str, Any] | None = None
    """The TaskSpec of the open episode."""
    done: bool = False


class WorkgymOpenEnv(Environment[WorkgymAction, WorkgymObservation, WorkgymState]):
    """One OpenEnv session over a WorkgymEnv. Sessions share nothing but the task cache."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self, config: WorkgymEnvConfig | None = None) -> None:
        super().__init__()
        self._env = WorkgymEnv(config)
        self._state = WorkgymState()

    async def reset_async(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        family: str | None = None,
        spec: dict[str, Any] | str | None = None,
        difficulty: Difficulty = "medium",
        richness: float = 0.5,
        variant: str = "default",
        **kwargs: Any,
    ) -> WorkgymObservation:
        """Start an episode of ``spec``, or of ``family`` at ``seed`` with the knobs.

        Raises:
            ValueError: neither ``family`` nor ``spec`` given, or unknown arguments.
        """
        if kwargs:
            raise ValueError(f"unknown reset arguments: {', '.join(sorted(kwargs))}")
        if spec is not None:
            task_spec = (TaskSpec.from_json(spec) if isinstance(spec, str)
                         else TaskSpec.model_validate(spec))
            obs = await self._env.reset(task_spec)
        elif family is not None:
            obs = await self._env.reset(family, seed or 0, difficulty=difficulty,
                                        richness=richness, variant=variant)
        else:
            raise ValueError("reset needs 'family' (with 'seed') or 'spec'")
        task = self._env.task
        if task is None:
            raise RuntimeError("reset did not open an episode")
        self._state = WorkgymState(episode_id=episode_id or task.id, step_count=0,
                                   task_id=task.id, spec=task.spec.model_dump(mode="json"))
        return WorkgymObservation(messages=obs.messages, prompt=obs.prompt, tools=obs.tools,
                                  info={"task_id": task.id, "step": 0, "calls": 0})

    async def step_async(self, action: WorkgymAction, timeout_s: float | None = None,
                         **kwargs: Any) -> WorkgymObservation:
        """Execute the tool calls, or end the episode with the answer."""
        result = await self._env.step(action.tool_calls or (action.answer or ""))
        self._state.step_count = self._env.steps
        self._state.done = result.done
        return WorkgymObservation(messages=result.observation.messages, done=result.done,
                                  reward=result.reward, truncated=result.truncated,
                                  info=result.info)

    def reset(self, seed: int | None = None, episode_id: str | None = None,
              **kwargs: Any) -> WorkgymObservation:
        """Synchronous ``reset_async`` for callers without an event loop."""
        return asyncio.run(self.reset_async(seed, episode_id, **kwargs))

    def step(self, action: WorkgymAction, timeout_s: float | None = None,
             **kwargs: Any) -> WorkgymObservation:
        """Synchronous ``step_async`` for callers without an event loop."""
        return asyncio.run(self.step_async(action, timeout_s))

    @property
    def state(self) -> WorkgymState:
        return self._state

    def close(self) -> None:
        """Remove the session's workspace (the server calls this when a session ends)."""
        self._env.close_sync()


def create_server_app(config: WorkgymEnvConfig | None = None, max_sessions: int = 64) -> Any:
    """The FastAPI app of a workgym OpenEnv server.

    Args:
        config: reward scheme, turn limit and presentation of every session.
        max_sessions: most concurrent WebSocket sessions; more are refused.
    """
    return create_app(lambda: WorkgymOpenEnv(config), WorkgymAction, WorkgymObservation,
                      env_name="workgym", max_concurrent_envs=max_sessions)


class WorkgymEnvClient(EnvClient[WorkgymAction, WorkgymObservation, WorkgymState]):
    """Client of a workgym OpenEnv server: one WebSocket session per client."""

    def _step_payload(self, action: WorkgymAction) -> dict[str, Any]:
        return action.model_dump(exclude={"metadata"})

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[WorkgymObservation]:
        obs = WorkgymObservation(**payload.get("observation", {}), done=payload.get("done", False),
                                 reward=payload.get("reward"))
        return StepResult(observation=obs, reward=payload.get("reward"),
                          done=bool(payload.get("done", False)))

    def _parse_state(self, payload: dict[str, Any]) -> WorkgymState:
        return WorkgymState(**payload)
