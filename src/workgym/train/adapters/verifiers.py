"""workgym families as a verifiers (v1) environment.

Needs ``verifiers`` 0.4 (``pip install 'workgym[verifiers]'``). The taskset id is
``workgym-verifiers`` (the top-level module ``workgym_verifiers`` re-exports this one)::

    vf-eval workgym-verifiers --env.taskset.families office/library-catalogue-v1 \\
        --env.agent.harness.id null -m <model>

How the pieces map:

- ``WorkgymTaskset``: tasks are workgym specs (families x difficulties x train or
  holdout seeds); each task's prompt is the workgym prompt.
- ``WorkgymToolset``: one shared MCP tool server (a process for the whole run, not one
  per rollout) that lists the rollout's workgym tools and forwards each call.
- ``WorkgymTask``: ``setup`` opens the rollout's workgym episode in the environment's
  process; the ``workgym`` reward grades it (the final answer is the agent's last
  reply) and records every criterion as a metric.
- ``WorkgymVerifiersEnv``: the single-agent env plus the episode host, a loopback
  HTTP endpoint that the tool server calls into, started and stopped with the env.

Episodes live in the environment's process, next to the grader: the world is graded
where it was changed, and expected answers never leave that process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import importlib
import json
import secrets
import socket
from collections.abc import Iterator
from typing import Any, Literal, cast

import verifiers.v1 as vf
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, Tool
from pydantic import Field
from verifiers.v1.envs.single_agent import SingleAgentEnv, SingleAgentEnvConfig
from verifiers.v1.harnesses.null import NullHarness
from verifiers.v1.mcp import SharedToolsetConfig, Toolset

from workgym.agent import suite_specs
from workgym.core import DIFFICULTIES, Difficulty, RewardScheme, TaskSpec, make_from_spec
from workgym.train.adapters._env import (
    DEFAULT_SYSTEM_PROMPT,
    StepResult,
    WorkgymEnv,
    WorkgymEnvConfig,
)

__all__ = [
    "WorkgymHarness", "WorkgymState", "WorkgymTask", "WorkgymTaskConfig", "WorkgymTaskData", "WorkgymTaskset",
    "WorkgymTasksetConfig", "WorkgymToolset", "WorkgymVerifiersEnv", "WorkgymVerifiersEnvConfig",
]

TASKSET_ID = "workgym-verifiers"


# -- data and config -----------------------------------------------------------------


class WorkgymTaskConfig(vf.TaskConfig):
    """How each workgym task is rewarded (``--env.taskset.task.*``)."""

    reward_scheme: RewardScheme = "dense"
    """``dense`` (weighted fraction of criteria met), ``binary`` or ``gamma``."""
    gamma: float = Field(0.98, gt=0.0, le=1.0)
    """Decay per call beyond the reference length, for ``gamma``."""
    host_url: str | None = None
    """The episode host's URL; set by WorkgymVerifiersEnv when it starts."""


class WorkgymTasksetConfig(vf.TasksetConfig):
    """Which workgym tasks the taskset yields (``--env.taskset.*``)."""

    families: list[str] = Field(default_factory=list)
    """Family ids, e.g. ``office/library-catalogue-v1``; empty for every registered one."""
    split: Literal["train", "holdout"] = "train"
    """Seeds from the training split or the held-out one (disjoint by construction)."""
    per_family: int = Field(100, ge=1)
    """Seeds per family and difficulty."""
    difficulties: list[Difficulty] = Field(default_factory=lambda: list(DIFFICULTIES))
    """Difficulty levels to include."""
    richness: float = Field(0.5, ge=0.0, le=1.0)
    """Distractor level of every task."""
    variant: str = "default"
    """Interface variant of every task."""
    imports: list[str] = Field(default_factory=list)
    """Modules to import first, e.g. ones that register your own families."""
    tools: SharedToolsetConfig = SharedToolsetConfig()
    """Placement of the shared tool server."""
    task: WorkgymTaskConfig = WorkgymTaskConfig()


class WorkgymTaskData(vf.TaskData):
    spec: dict[str, Any]
    """The workgym TaskSpec (JSON form)."""


class WorkgymState(vf.State):
    """Per-rollout coordinates that the task hands to the shared tool server."""

    host_url: str = ""
    session: str = ""
    token: str = ""
    tools: list[dict[str, Any]] = Field(default_factory=list)
    """The rollout's tools as MCP definitions (OpenAI-form names, e.g. ``files_read``)."""


# -- the episode host ------------------------------------------------------------------


class _EpisodeHost:
    """Open workgym episodes of this process, reachable by the tool server over a
    loopback HTTP endpoint; each session is guarded by its own random token."""

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[str, WorkgymEnv]] = {}
        self.url = ""
        self._server: Any = None
        self._serving: asyncio.Task[None] | None = None

    async def start(self) -> str:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.routing import Route

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        app = Starlette(routes=[Route("/call", self._call, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serving.done():
                self._serving.result()
            await asyncio.sleep(0.01)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        _HOSTS[self.url] = self
        return self.url

    async def stop(self) -> None:
        _HOSTS.pop(self.url, None)
        for _, env in list(self.sessions.values()):
            await env.close()
        self.sessions.clear()
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving

    async def open(self, spec: TaskSpec, config: WorkgymEnvConfig) -> tuple[str, str, WorkgymEnv]:
        env = WorkgymEnv(config)
        await env.reset(spec)
        session, token = secrets.token_hex(8), secrets.token_urlsafe(24)
        self.sessions[session] = (token, env)
        return session, token, env

    async def finish(self, session: str, answer: str | None) -> StepResult:
        """End the session with the answer (None: cut off), grade it, close it."""
        _, env = self.sessions.pop(session)
        try:
            return await (env.truncate() if answer is None else env.step(answer))
        finally:
            await env.close()

    async def _call(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        body = await request.json()
        entry = self.sessions.get(str(body.get("session", "")))
        if entry is None or not hmac.compare_digest(entry[0], str(body.get("token", ""))):
            return JSONResponse({"error": "unknown session"}, status_code=404)
        ok, text = await asyncio.to_thread(entry[1].call, str(body.get("name", "")),
                                           body.get("arguments") or {})
        return JSONResponse({"ok": ok, "text": text})


_HOSTS: dict[str, _EpisodeHost] = {}


async def _host_for(config: WorkgymTaskConfig) -> _EpisodeHost:
    # Started by WorkgymVerifiersEnv; a run that pairs the taskset with another env gets
    # one per process on first use (it lives until the process ends).
    if config.host_url and config.host_url in _HOSTS:
        return _HOSTS[config.host_url]
    if _HOSTS:
        return next(iter(_HOSTS.values()))
    host = _EpisodeHost()
    await host.start()
    return host


# -- task, toolset, taskset, env -------------------------------------------------------


class WorkgymTask(vf.Task[WorkgymTaskData, WorkgymState, WorkgymTaskConfig]):
    """One workgym task: its episode opens in ``setup`` and is graded by ``workgym``."""

    @property
    def key(self) -> str:
        return self.data.id or self.hash

    async def setup(self, trace: vf.Trace, runtime: Any) -> None:
        host = await _host_for(self.config)
        spec = TaskSpec.model_validate(self.data.spec)
        config = WorkgymEnvConfig(reward=self.config.reward_scheme, gamma=self.config.gamma,
                                  max_turns=None, system_prompt=None)
        session, token, env = await host.open(spec, config)
        state = cast(WorkgymState, trace.state)
        state.host_url, state.session, state.token = host.url, session, token
        state.tools = [_mcp_tool(t) for t in env.tools]

    @vf.reward(weight=1.0)
    async def workgym(self, trace: vf.Trace) -> float:
        """The workgym grade under the configured scheme; each criterion is a metric."""
        state = cast(WorkgymState, trace.state)
        host = _HOSTS.get(state.host_url)
        if host is None or state.session not in host.sessions:
            raise RuntimeError("the rollout's workgym episode is gone (setup failed?)")
        cut_off = trace.stop_condition is not None or trace.is_timeout
        result = await host.finish(state.session, None if cut_off else trace.last_reply)
        grade = result.grade
        if grade is None:
            raise RuntimeError("the workgym episode ended without a grade")
        trace.info["workgym"] = {"task_id": self.data.id, "truncated": cut_off,
                                 "grade": json.loads(grade.model_dump_json())}
        trace.record_metric("workgym_score", grade.score)
        trace.record_metric("workgym_passed", float(grade.passed))
        for criterion in grade.criteria:
            if criterion.passed is not None:
                trace.record_metric(f"workgym/{criterion.name}", float(criterion.passed))
        return float(result.reward)


def _mcp_tool(openai_tool: dict[str, Any]) -> dict[str, Any]:
    fn = openai_tool["function"]
    return {"name": fn["name"], "description": fn.get("description") or "",
            "inputSchema": fn.get("parameters") or {"type": "object"}}


class WorkgymToolset(Toolset[SharedToolsetConfig, WorkgymState]):
    """The shared tool server: each rollout sees its own episode's tools."""

    TOOL_PREFIX = None

    def register(self, mcp: MCPServer) -> None:
        # The tool list differs per rollout (it depends on the task's apps), so the
        # protocol handlers are replaced rather than registering static tools.
        server = cast(Any, mcp)
        server.list_tools = self._with_state(self.list_tools)
        server.call_tool = self._with_state(self.call_tool)

    async def list_tools(self) -> list[Tool]:
        return [Tool(name=t["name"], description=t["description"] or None,
                     input_schema=t["inputSchema"]) for t in self.state.tools]

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context | None = None) -> CallToolResult:
        import httpx

        state = self.state
        async with httpx.AsyncClient(timeout=600) as client:
            response = await client.post(f"{state.host_url}/call", json={
                "session": state.session, "token": state.token, "name": name,
                "arguments": arguments or {}})
        if response.status_code != 200:
            return CallToolResult(content=[TextContent(type="text", text="error: episode closed")],
                                  is_error=True)
        body = response.json()
        return CallToolResult(content=[TextContent(type="text", text=body["text"])],
                              is_error=not body["ok"])


class WorkgymTaskset(vf.Taskset[WorkgymTask, WorkgymTasksetConfig]):
    """workgym tasks: families x difficulties x seeds of the chosen split."""

    @classmethod
    def toolsets(cls, config: WorkgymTasksetConfig) -> list[Toolset]:
        return [WorkgymToolset(config.tools)]

    def load(self) -> Iterator[WorkgymTask]:
        config = self.config
        for module in config.imports:
            importlib.import_module(module)
        for spec in suite_specs(families=config.families, split=config.split,
                                per_level=config.per_family, difficulties=config.difficulties,
                                richness=config.richness, variant=config.variant):
            task = make_from_spec(spec)
            yield WorkgymTask(WorkgymTaskData(
                id=task.id, name=f"{spec.family_id}/{spec.difficulty}/{spec.seed}",
                prompt=task.prompt, system_prompt=DEFAULT_SYSTEM_PROMPT,
                spec=spec.model_dump(mode="json"),
            ), config.task)


class WorkgymHarness(NullHarness):
    """The taskset's default harness: verifiers' tool-calling chat loop (the ``null``
    harness), since workgym tasks act only through their tools. Pin another one with
    ``--env.agent.harness.id``."""


class WorkgymVerifiersEnvConfig(SingleAgentEnvConfig):
    """The single-agent env over the workgym taskset."""

    taskset: WorkgymTasksetConfig = WorkgymTasksetConfig(id=TASKSET_ID)


class WorkgymVerifiersEnv(SingleAgentEnv):
    """SingleAgentEnv that hosts the rollouts' workgym episodes while it serves."""

    _host: _EpisodeHost | None = None

    async def start(self) -> None:
        for module in cast(WorkgymTasksetConfig, self.taskset.config).imports:
            importlib.import_module(module)
        self._host = _EpisodeHost()
        url = await self._host.start()
        cast(WorkgymTasksetConfig, self.taskset.config).task.host_url = url

    async def stop(self) -> None:
        host, self._host = self._host, None
        if host is not None:
            cast(WorkgymTasksetConfig, self.taskset.config).task.host_url = None
            with contextlib.suppress(Exception):
                await host.stop()


if __name__ == "__main__":
    WorkgymToolset.run()
