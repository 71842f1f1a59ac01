"""Episode: one running task. Lists tools, executes calls, logs them, grades."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel

from workgym.core._app import App, ToolError, ToolSpec, result_text
from workgym.core._grading import Grade, GradeContext, grade
from workgym.core._world import World

if TYPE_CHECKING:
    from workgym.core._family import Task

ToolFormat = Literal["openai", "mcp"]


class CallRecord(BaseModel):
    """One tool call as the episode saw it."""

    name: str
    """Canonical tool name (``files.read``), or the unknown name as given."""
    args: Any
    ok: bool
    output: str
    """What the model sees: the result text, or the error message."""
    error: Literal["invalid_json", "unknown_tool", "invalid_args", "tool_error", "internal"] | None = (
        None
    )
    duration_s: float = 0.0


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    text: str
    value: Any = None


class Episode:
    """A task in progress over its own World.

    Use as a context manager (or call ``close()``) so the workspace is removed.
    """

    def __init__(self, task: Task, world: World,
                 initial_file_hashes: dict[str, str] | None = None) -> None:
        """Start ``task`` over ``world``.

        Args:
            task: the task.
            world: its world, in its initial state.
            initial_file_hashes: ``world.file_hashes()`` when the caller knows it (see
                ``Task.start``); spares reading back and hashing every file.
        """
        self.task = task
        self.world = world
        self.apps: dict[str, App] = {}
        for app_name in task.apps:
            if app_name not in App.registry:
                raise ValueError(f"task needs app {app_name!r}, which is not registered")
            self.apps[app_name] = App.registry[app_name](world)
        self._specs: dict[str, ToolSpec] = {}
        for app in self.apps.values():
            for spec in app.tool_specs().values():
                self._specs[spec.name] = spec
                self._specs[spec.openai_name] = spec
        self.calls: list[CallRecord] = []
        self.answer: str | None = None
        self.truncated = False
        self._initial = world.snapshot(initial_file_hashes)
        self._closed = False

    # -- tools ---------------------------------------------------------------------------

    def tool_specs(self) -> list[ToolSpec]:
        seen: dict[str, ToolSpec] = {}
        for spec in self._specs.values():
            seen.setdefault(spec.name, spec)
        return list(seen.values())

    def tools(self, format: ToolFormat = "openai") -> list[dict[str, Any]]:
        """Tool schemas, as OpenAI ``tools`` entries or as MCP tool definitions."""
        if format == "openai":
            return [spec.openai() for spec in self.tool_specs()]
        if format == "mcp":
            return [spec.mcp() for spec in self.tool_specs()]
        raise ValueError(f"unknown tool format {format!r}; use 'openai' or 'mcp'")

    def call(self, name: str, args: dict[str, Any] | str | None = None) -> ToolResult:
        """Execute one tool call. Never raises for bad input: errors come back as results.

        Args:
            name: ``files.read`` or its OpenAI form ``files_read``.
            args: the arguments, as a dict or as the raw JSON text a model produced.
        """
        started = time.perf_counter()
        spec = self._specs.get(name)
        canonical = spec.name if spec else name
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as exc:
                return self._log(canonical, args, started, "invalid_json",
                                 f"error: arguments are not valid JSON ({exc.msg} at position {exc.pos})")
            except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
                return self._log(canonical, args, started, "invalid_json",
                                 f"error: arguments cannot be read ({type(exc).__name__}: "
                                 f"{str(exc)[:200]})")
        if args is None:
            args = {}
        if spec is None:
            known = ", ".join(sorted(s.name for s in self.tool_specs()))
            return self._log(name, args, started, "unknown_tool",
                             f"error: unknown tool {name!r}. Available tools: {known}")
        if not isinstance(args, dict):
            return self._log(canonical, args, started, "invalid_args",
                             f"error: arguments for {canonical} must be a JSON object")
        try:
            values = spec.validate(args)
        except ToolError as exc:
            return self._log(canonical, args, started, "invalid_args", f"error: {exc}")
        try:
            method = getattr(self.apps[spec.app], spec.method)
            if spec.concurrent:
                value = method(**values)
            else:
                with self.world.lock:
                    value = method(**values)
        except ToolError as exc:
            return self._log(canonical, args, started, "tool_error", f"error: {exc}")
        except Exception as exc:  # noqa: BLE001 - an app bug must not end the episode
            return self._log(canonical, args, started, "internal",
                             f"error: internal error in {canonical}: {type(exc).__name__}: {exc}")
        text = result_text(value)
        self.calls.append(
            CallRecord(name=canonical, args=args, ok=True, output=text,
                       duration_s=time.perf_counter() - started)
        )
        return ToolResult(ok=True, text=text, value=value)

    def _log(self, name: str, args: Any, started: float, error: Any, text: str) -> ToolResult:
        self.calls.append(
            CallRecord(name=name, args=args, ok=False, output=text, error=error,
                       duration_s=time.perf_counter() - started)
        )
        return ToolResult(ok=False, text=text)

    # -- ending --------------------------------------------------------------------------

    def artifacts_written(self) -> bool | None:
        """Task closure: every artifact the task requires exists as a regular file whose
        bytes differ from the start (created or changed). None when the task names none."""
        if not self.task.artifacts:
            return None
        now = self.world.file_hashes()
        return all(
            rel in now and not now[rel].startswith(("link:", "special:"))
            and now[rel] != self._initial.files.get(rel)
            for rel in self.task.artifacts
        )

    def finish(self, answer: str | None = None, *, truncated: bool = False) -> None:
        """Record the final answer (and whether the episode was cut off)."""
        self.answer = answer
        self.truncated = truncated

    def grade(self) -> Grade:
        """Grade the current world and call log against the task's criteria."""
        ctx = GradeContext(world=self.world, calls=self.calls, answer=self.answer,
                           initial=self._initial)
        return grade(self.task.criteria, ctx, truncated=self.truncated,
                     reference_calls=len(self.task.reference))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.world.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: best effort
            self.close()
