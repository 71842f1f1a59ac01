"""Episode: one running task. Lists tools, executes calls, logs them, grades."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel

from workgym.core._app import App, ArgumentError, ToolError, ToolSpec, result_text
from workgym.core._dialects import Surface, WireTool, surface_for
from workgym.core._grading import Grade, GradeContext, grade
from workgym.core._variant import parse_variant
from workgym.core._world import World

if TYPE_CHECKING:
    from workgym.core._family import Task

ToolFormat = Literal["openai", "mcp"]


class CallRecord(BaseModel):
    """One tool call as the episode saw it."""

    name: str
    """Canonical tool name (``files.read``), or the unknown name as given."""
    args: Any
    """The arguments under their canonical names (a dialect's spelling turned back)."""
    ok: bool
    output: str
    """The result text, or the error message, as the native dialect words it (what
    graders read, whatever the dialect)."""
    error: Literal["invalid_json", "unknown_tool", "invalid_args", "tool_error", "internal"] | None = (
        None
    )
    duration_s: float = 0.0
    shown: str | None = None
    """What the model saw, when the episode's dialect words it otherwise than ``output``."""

    @property
    def seen(self) -> str:
        """The text the model saw."""
        return self.output if self.shown is None else self.shown


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
        self.surface: Surface = surface_for(parse_variant(task.spec.variant).dialect,
                                            [type(app) for app in self.apps.values()])
        """The tools in the task's dialect (see ``workgym.core._dialects``)."""
        self.calls: list[CallRecord] = []
        self.answer: str | None = None
        self.truncated = False
        self._initial = world.snapshot(initial_file_hashes)
        self._closed = False

    # -- tools ---------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        """The tool-surface dialect of this episode (``native``, ``mcp-public``, ...)."""
        return self.surface.dialect

    def tool_specs(self) -> list[ToolSpec]:
        """The canonical tools of the episode's apps (whatever its dialect)."""
        return [t.spec for t in self.surface.tools]

    def wire_tools(self) -> list[WireTool]:
        """The tools as the episode's dialect shows them to a model."""
        return list(self.surface.tools)

    def tools(self, format: ToolFormat = "openai") -> list[dict[str, Any]]:
        """Tool schemas in the episode's dialect, as OpenAI ``tools`` entries or as MCP
        tool definitions."""
        if format == "openai":
            return [t.openai() for t in self.surface.tools]
        if format == "mcp":
            return [t.mcp() for t in self.surface.tools]
        raise ValueError(f"unknown tool format {format!r}; use 'openai' or 'mcp'")

    def to_wire(self, name: str, args: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """A canonical call (``files.read`` and its arguments, a plan's step) as the
        episode's dialect spells it, ready for ``call``.

        Raises:
            ValueError: ``name`` is no tool of this episode.
        """
        return self.surface.to_wire(name, args or {})

    def call(self, name: str, args: dict[str, Any] | str | None = None) -> ToolResult:
        """Execute one tool call. Never raises for bad input: errors come back as results.

        Args:
            name: the tool's name in the episode's dialect (``files_read`` natively, which
                also takes ``files.read``); ``to_wire`` spells a canonical call so.
            args: the arguments, as a dict or as the raw JSON text a model produced.
        """
        started = time.perf_counter()
        surface = self.surface
        tool = surface.lookup(name)
        canonical = tool.spec.name if tool else name
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as exc:
                return self._fail(canonical, args, started, "invalid_json",
                                  f"arguments are not valid JSON ({exc.msg} at position {exc.pos})")
            except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
                return self._fail(canonical, args, started, "invalid_json",
                                  f"arguments cannot be read ({type(exc).__name__}: "
                                  f"{str(exc)[:200]})")
        if args is None:
            args = {}
        if tool is None:
            native = f"unknown tool {name!r}. Available tools: " + ", ".join(
                sorted(t.spec.name for t in surface.tools))
            return self._fail(name, args, started, "unknown_tool", native,
                              surface.unknown_tool(name))
        spec = tool.spec
        if not isinstance(args, dict):
            return self._fail(canonical, args, started, "invalid_args",
                              f"arguments for {canonical} must be a JSON object",
                              surface.errors.not_object.format(tool=tool.name))
        if not surface.native and tool.renamed:
            args, unknown = tool.to_canonical(args)
            if unknown:
                native = f"invalid arguments for {canonical}: " + "; ".join(
                    f"unknown argument '{k}'" for k in unknown)
                return self._fail(canonical, args, started, "invalid_args", native,
                                  surface.unknown_arguments(tool, unknown))
        try:
            values = spec.validate(args)
        except ArgumentError as exc:
            return self._fail(canonical, args, started, "invalid_args", str(exc),
                              surface.argument_error(tool, exc))
        except ToolError as exc:
            return self._fail(canonical, args, started, "invalid_args", str(exc),
                              surface.respell(str(exc), tool))
        try:
            method = getattr(self.apps[spec.app], spec.method)
            if spec.concurrent:
                value = method(**values)
            else:
                with self.world.lock:
                    value = method(**values)
        except ToolError as exc:
            return self._fail(canonical, args, started, "tool_error", str(exc),
                              surface.respell(str(exc), tool))
        except Exception as exc:  # noqa: BLE001 - an app bug must not end the episode
            detail = f"{type(exc).__name__}: {exc}"
            return self._fail(canonical, args, started, "internal",
                              f"internal error in {canonical}: {detail}",
                              surface.errors.internal.format(tool=tool.name, detail=detail))
        text = result_text(value)
        shown = None if surface.native else tool.render(value, values)
        if shown == text:
            shown = None
        self.calls.append(
            CallRecord(name=canonical, args=args, ok=True, output=text,
                       duration_s=time.perf_counter() - started, shown=shown)
        )
        return ToolResult(ok=True, text=text if shown is None else shown, value=value)

    def _fail(self, name: str, args: Any, started: float, error: Any, native: str,
              dialect: str | None = None) -> ToolResult:
        """Log a failed call: ``native`` in the native words, ``dialect`` in the dialect's
        (without the error prefix either way)."""
        output = f"error: {native}"
        shown = None
        if not self.surface.native:
            shown = self.surface.errors.wrap(native if dialect is None else dialect)
            if shown == output:
                shown = None
        self.calls.append(
            CallRecord(name=name, args=args, ok=False, output=output, error=error,
                       duration_s=time.perf_counter() - started, shown=shown)
        )
        return ToolResult(ok=False, text=output if shown is None else shown)

    # -- ending --------------------------------------------------------------------------

    def artifacts_written(self) -> bool | None:
        """Task closure: every artifact the task requires exists as a regular file whose
        bytes differ from the start (created or changed). None when the task names none.

        Only the named artifacts are hashed (``World.file_hash``), never the whole
        workspace: this runs after every episode."""
        if not self.task.artifacts:
            return None
        for rel in self.task.artifacts:
            now = self.world.file_hash(rel)
            if now is None or now.startswith(("link:", "special:")) \
                    or now == self._initial.files.get(rel):
                return False
        return True

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
