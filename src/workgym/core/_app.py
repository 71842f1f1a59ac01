"""App: a tool surface of typed ``@tool`` methods bound to a World."""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

if TYPE_CHECKING:
    from workgym.core._world import World

_TOOL_MARK = "__workgym_tool__"
_APP_NAME = re.compile(r"^[a-z][a-z0-9]*$")
_WIRE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class ToolError(Exception):
    """An error the model sees as the tool's result; the episode goes on."""


@dataclass(frozen=True)
class ArgumentProblem:
    """One thing wrong with a call's arguments."""

    kind: Literal["missing", "unknown", "invalid"]
    where: tuple[str | int, ...]
    """The path to the value: the argument's name, then keys and indexes inside it."""
    message: str
    """What is wrong with an invalid value (the validator's words)."""

    def path(self, rename: Callable[[str], str] | None = None) -> str:
        """``where`` as text (``cells.A1``); ``rename`` spells the top-level argument."""
        if not self.where:
            return "arguments"
        head = str(self.where[0])
        parts = [rename(head) if rename else head, *(str(p) for p in self.where[1:])]
        return ".".join(parts)


class ArgumentError(ToolError):
    """Arguments that do not fit a tool's schema: the message, and each problem."""

    def __init__(self, message: str, tool: str, problems: tuple[ArgumentProblem, ...]) -> None:
        super().__init__(message)
        self.tool = tool
        """The canonical name of the tool called."""
        self.problems = problems


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    read_only: bool = False,
    destructive: bool | None = None,
    idempotent: bool | None = None,
    concurrent: bool | None = None,
) -> Any:
    """Mark an App method as a tool. Its docstring is the description, its hints the schema.

    The keywords describe what the tool does to the world; MCP clients see them as the
    tool's annotations (``readOnlyHint``, ``destructiveHint``, ``idempotentHint``; every
    tool has ``openWorldHint`` false: the world is the episode's own).

    Calls of one episode that run at once (a model's parallel tool calls) take turns on the
    world's lock, so an app needs no locking of its own. A tool that is safe to run beside
    any other (one that only reads, or that waits on a subprocess) skips the lock.

    Args:
        fn: the method, when used as a bare ``@tool``.
        read_only: the tool changes nothing. It is then neither destructive nor
            able to change anything by repeating, and (unless ``concurrent`` says
            otherwise) runs beside other calls.
        destructive: the tool may overwrite or remove what exists (true), or only adds
            (false). Default: true for a tool that writes, as the MCP specification
            assumes when nothing is said.
        idempotent: calling it again with the same arguments changes nothing more.
            Default: true for a read-only tool, false otherwise.
        concurrent: safe to run beside other calls of the same episode without the
            world's lock. Default: ``read_only``.

    Raises:
        ValueError: a read-only tool declared destructive or not idempotent.
    """
    if read_only and (destructive or idempotent is False):
        raise ValueError("a read_only tool is neither destructive nor non-idempotent; "
                         "drop destructive=/idempotent= or read_only=True")
    options = {
        "read_only": read_only,
        "destructive": (not read_only) if destructive is None else destructive,
        "idempotent": read_only if idempotent is None else idempotent,
        "concurrent": read_only if concurrent is None else concurrent,
    }

    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        setattr(method, _TOOL_MARK, options)
        return method

    return mark(fn) if fn is not None else mark


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its qualified name, description, argument model and JSON Schema."""

    app: str
    method: str
    description: str
    args_model: type[BaseModel]
    parameters: dict[str, Any]
    concurrent: bool = False
    """Safe to run beside other calls of the same episode without the world's lock."""
    read_only: bool = False
    """Changes nothing in the world."""
    destructive: bool = True
    """May overwrite or remove what exists (meaningful when not ``read_only``)."""
    idempotent: bool = False
    """Repeating the call with the same arguments changes nothing more."""
    strict_parameters: dict[str, Any] = field(default_factory=dict)
    """The schema in the subset that strict-mode clients accept (see ``strict_schema``)."""

    @property
    def name(self) -> str:
        """Qualified name, e.g. ``files.read``: the canonical form, used in call logs."""
        return f"{self.app}.{self.method}"

    @property
    def openai_name(self) -> str:
        """The name on the wire, OpenAI and MCP alike: ``files_read``.

        It satisfies ``^[a-zA-Z0-9_-]{1,64}$``, the rule of OpenAI's function names and of
        the MCP clients that follow it; ``Episode.call`` accepts both forms.
        """
        return f"{self.app}_{self.method}"

    @property
    def may_block(self) -> bool:
        """Waits on something outside the process (a subprocess): a server runs it off
        its event loop. A concurrent tool that writes is one (see ``tool``)."""
        return self.concurrent and not self.read_only

    def annotations(self) -> dict[str, Any]:
        """The MCP tool annotations (hints), in their wire form."""
        return {"readOnlyHint": self.read_only, "destructiveHint": self.destructive,
                "idempotentHint": self.idempotent, "openWorldHint": False}

    def openai(self, *, strict: bool = False) -> dict[str, Any]:
        """An OpenAI ``tools`` entry; ``strict`` gives the strict-mode variant, whose
        arguments ``from_strict`` turns back into this tool's own."""
        function: dict[str, Any] = {
            "name": self.openai_name,
            "description": self.description,
            "parameters": self.strict_parameters if strict else self.parameters,
        }
        if strict:
            function["strict"] = True
        return {"type": "function", "function": function}

    def mcp(self, *, strict: bool = False) -> dict[str, Any]:
        """An MCP tool definition (name, description, input schema, annotations)."""
        return {"name": self.openai_name, "description": self.description,
                "inputSchema": self.strict_parameters if strict else self.parameters,
                "annotations": self.annotations()}

    def from_strict(self, args: Any) -> Any:
        """Arguments given in the strict variant's form, in this tool's own form.

        Maps sent as ``[{"key": ..., "value": ...}]`` become objects again, and an
        optional argument sent as ``null`` (strict mode requires every property) is
        left out, so it takes its default. Anything else passes unchanged, to be
        validated as usual.
        """
        return _from_strict(self.parameters, args)

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        """Validate arguments; raise ArgumentError (a ToolError) with a readable message
        on bad input."""
        bad = _invalid_text(args)
        if bad is not None:
            problems: tuple[ArgumentProblem, ...] = (ArgumentProblem("invalid", (), bad),)
            raise ArgumentError(f"invalid arguments for {self.name}: {bad}", self.name, problems)
        try:
            model = self.args_model.model_validate(args)
        except ValidationError as exc:
            problems = _problems(exc)
            raise ArgumentError(f"invalid arguments for {self.name}: {explain(problems)}",
                                self.name, problems) from None
        return {key: getattr(model, key) for key in type(model).model_fields}


def _invalid_text(args: Any) -> str | None:
    """Why ``args`` holds text no tool may store, or None.

    A lone surrogate (JSON allows ``"\\ud800"``) cannot be encoded as UTF-8: stored in a
    world, it would break the world's JSON digest. The walk uses a stack, not recursion,
    so deep nesting cannot overflow it.
    """
    stack = [args]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "text holds a lone surrogate (not valid Unicode)"
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return None


def _problems(exc: ValidationError) -> tuple[ArgumentProblem, ...]:
    found = []
    for err in exc.errors(include_url=False):
        kind = {"missing": "missing", "extra_forbidden": "unknown"}.get(err["type"], "invalid")
        found.append(ArgumentProblem(kind, tuple(err["loc"]), str(err["msg"])))  # type: ignore[arg-type]
    return tuple(found)


def explain(problems: Sequence[ArgumentProblem],
            rename: Callable[[str], str] | None = None) -> str:
    """The readable text of argument problems, as ``ToolSpec.validate`` words them.

    Args:
        problems: what was wrong.
        rename: the name to show for a top-level argument (a dialect's spelling).
    """
    parts = []
    for p in problems:
        if not p.where:
            parts.append(p.message)
            continue
        where = p.path(rename)
        if p.kind == "missing":
            parts.append(f"missing required argument '{where}'")
        elif p.kind == "unknown":
            parts.append(f"unknown argument '{where}'")
        else:
            parts.append(f"'{where}': {p.message}")
    return "; ".join(parts)


def _doc_parts(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its description and per-argument texts."""
    doc = inspect.cleandoc(doc or "")
    description_lines: list[str] = []
    args: dict[str, str] = {}
    section = "description"
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped in ("Args:", "Arguments:"):
            section = "args"
            continue
        if stripped in ("Returns:", "Raises:", "Example:", "Examples:"):
            section = "other"
            continue
        if section == "description":
            description_lines.append(line)
        elif section == "args":
            match = re.match(r"^\s{0,8}(\w+)(?:\s*\(.*?\))?:\s*(.*)$", line)
            if match and line.startswith(" " * 4) and not line.startswith(" " * 8):
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current and stripped:
                args[current] += " " + stripped
    return "\n".join(description_lines).strip(), args


def _clean_schema(node: Any) -> Any:
    if isinstance(node, dict):
        # drop pydantic's generated "title" labels, not a property that is named "title"
        return {k: _clean_schema(v) for k, v in node.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_clean_schema(v) for v in node]
    return node


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` in the subset that strict-mode function calling accepts.

    Strict mode (OpenAI's, and the SDKs that convert MCP tools to it, e.g. openai-agents)
    requires every object to list all its properties as required and to forbid others,
    so it has no maps and no optional arguments. The variant therefore sends a map as a
    list of ``{"key", "value"}`` pairs and an optional argument as nullable (``null``
    for its default, which the description then states). ``ToolSpec.from_strict`` undoes
    both.
    """
    return _strict(schema)


def _is_map(node: dict[str, Any]) -> bool:
    return (node.get("type") == "object" and "properties" not in node
            and isinstance(node.get("additionalProperties"), dict))


def _allows_null(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return (kind == "null" or (isinstance(kind, list) and "null" in kind)
            or any(_allows_null(b) for b in node.get("anyOf", ()) if isinstance(b, dict)))


def _with_note(text: str, note: str) -> str:
    text = text.strip()
    if not text:
        return note[0].upper() + note[1:] + "."
    return f"{text.removesuffix('.')} ({note})."


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    if _is_map(node):
        pair = {"type": "object",
                "properties": {"key": {"type": "string"},
                               "value": _strict(node["additionalProperties"])},
                "required": ["key", "value"], "additionalProperties": False}
        note = 'given as a list of {"key": ..., "value": ...} pairs'
        return {"type": "array", "items": pair,
                "description": _with_note(node.get("description", ""), note)}
    out = {k: _strict(v) for k, v in node.items() if k not in ("default", "properties")}
    if "properties" in node:
        required = set(node.get("required", ()))
        properties: dict[str, Any] = {}
        for key, prop in node["properties"].items():
            prop_out = _strict(prop)
            if key not in required:
                if not _allows_null(prop_out):
                    prop_out = {"anyOf": [prop_out, {"type": "null"}]}
                    if "description" in prop_out["anyOf"][0]:
                        prop_out["description"] = prop_out["anyOf"][0].pop("description")
                if "default" in prop and prop["default"] is not None:
                    note = f"null for the default, {json.dumps(prop['default'])}"
                    prop_out["description"] = _with_note(prop_out.get("description", ""), note)
            properties[key] = prop_out
        out["properties"] = properties
        out["required"] = list(properties)
        out["additionalProperties"] = False
    elif out.get("type") == "object":
        out["additionalProperties"] = False
    return out


def _from_strict(node: Any, value: Any) -> Any:
    if not isinstance(node, dict):
        return value
    if _is_map(node) and isinstance(value, list) and all(
            isinstance(item, dict) and set(item) == {"key", "value"}
            and isinstance(item["key"], str) for item in value):
        inner = node["additionalProperties"]
        return {item["key"]: _from_strict(inner, item["value"]) for item in value}
    if "properties" in node and isinstance(value, dict):
        properties, required = node["properties"], set(node.get("required", ()))
        out: dict[str, Any] = {}
        for key, item in value.items():
            prop = properties.get(key)
            if prop is None:
                out[key] = item  # validation names the unknown argument
            elif item is None and key not in required and not _allows_null(prop):
                continue  # strict mode's spelling of "not given": take the default
            else:
                out[key] = _from_strict(prop, item)
        return out
    if node.get("type") == "array" and isinstance(value, list) and "items" in node:
        return [_from_strict(node["items"], item) for item in value]
    for branch in node.get("anyOf", ()):
        if isinstance(branch, dict) and (
                (_is_map(branch) and isinstance(value, list))
                or ("properties" in branch and isinstance(value, dict))
                or (branch.get("type") == "array" and isinstance(value, list))):
            return _from_strict(branch, value)
    return value


def _build_spec(app_name: str, method: Callable[..., Any]) -> ToolSpec:
    signature = inspect.signature(method)
    hints = typing.get_type_hints(method, include_extras=True)
    description, arg_docs = _doc_parts(method.__doc__ or "")
    fields: dict[str, Any] = {}
    for pname, param in signature.parameters.items():
        if pname == "self":
            continue
        if pname not in hints:
            raise TypeError(f"tool {app_name}.{method.__name__}: argument {pname!r} needs a type hint")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints[pname], Field(default, description=arg_docs.get(pname)))
    model = create_model(  # type: ignore[call-overload]
        f"{app_name}_{method.__name__}_args",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    schema = _clean_schema(model.model_json_schema())
    schema.setdefault("properties", {})
    schema["type"] = "object"
    schema["additionalProperties"] = False
    options = getattr(method, _TOOL_MARK)
    spec = ToolSpec(app_name, method.__name__, description, model, schema,
                    concurrent=options["concurrent"], read_only=options["read_only"],
                    destructive=options["destructive"], idempotent=options["idempotent"],
                    strict_parameters=strict_schema(schema))
    if not _WIRE_NAME.match(spec.openai_name):
        raise ValueError(f"tool name {spec.openai_name!r} is longer than 64 characters; "
                         "shorten the app or method name")
    return spec


class App:
    """Base class of every app. Subclasses set ``name`` and define ``@tool`` methods."""

    name: ClassVar[str]
    blocking: ClassVar[bool] = False
    """Whether a tool may hold its caller for long (it runs a process, a query or a
    repository read that its limits stop only after seconds):
    the episode loop then runs the world's work (start, calls, grade, close) in a
    thread, to keep its event loop free. Other episodes run it inline: a thread hand-off
    costs more than the work (``benchmarks/README.md``, rollout)."""
    _specs: ClassVar[dict[str, ToolSpec]]
    registry: ClassVar[dict[str, type[App]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return
        if not _APP_NAME.match(cls.name):
            raise ValueError(f"app name must be lowercase letters and digits, got {cls.name!r}")
        cls._specs = {
            attr: _build_spec(cls.name, fn)
            for attr, fn in inspect.getmembers(cls, inspect.isfunction)
            if getattr(fn, _TOOL_MARK, False)
        }
        App.registry[cls.name] = cls

    def __init__(self, world: World) -> None:
        self.world = world

    @classmethod
    def tool_specs(cls) -> dict[str, ToolSpec]:
        """The app's tools by method name."""
        return cls._specs


def result_text(value: Any) -> str:
    """The text a model sees for a tool's return value."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
