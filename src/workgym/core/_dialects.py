"""Tool-surface dialects: one episode's tools under other names, argument conventions,
result formats and error phrasings, laid over the apps once, at the episode's tool layer.

A dialect changes only what the model sees. Each tool keeps its canonical ``ToolSpec``:
a call in the dialect's spelling is turned back into the canonical name and arguments
before it is validated and run, and the episode's call log keeps those (and the native
result text), so graders, call filters and reference plans need no change. Rules every
dialect keeps:

- it renames tools and their top-level arguments and reorders the arguments; it never
  changes types or nested shapes, so a plan translates by renaming alone;
- names satisfy ``^[a-zA-Z0-9_-]{1,64}$`` and are unique in every episode;
- the result text holds what the native JSON holds (another layout, the same values);
- an error says what the native error says, in the dialect's words and names.

The dialects:

- ``native``: the apps' own names (``files_read``), compact JSON, ``error: ...``.
- ``mcp-public``: the names, argument conventions and result shapes of the widely used
  public MCP servers, with Toolathlon's ``{server}-{tool}`` naming for the servers it
  runs. The per-app tables live at the apps layer (``workgym.dialects``) and register
  here; an app without a table keeps its native names (with that dialect's formats).
- ``proc-N``: generated from N: synonyms for verbs, nouns and argument names, a naming
  case and app prefix, an argument order per tool, a result format per app (JSON,
  indented JSON, text tables, YAML) and an error phrasing. Same N, same dialect.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workgym.core._app import (
    App,
    ArgumentError,
    ArgumentProblem,
    ToolSpec,
    _from_strict,
    result_text,
    strict_schema,
)
from workgym.core._seeding import derive_seed
from workgym.core._variant import dialect_problem, parse_variant, proc_number

if TYPE_CHECKING:
    from workgym.core._family import Task, ToolCall

ResultFormat = Literal["json", "pretty", "text", "yaml"]
RESULT_FORMATS: tuple[ResultFormat, ...] = ("json", "pretty", "text", "yaml")
"""``json``: compact JSON (native); ``pretty``: indented JSON; ``text``: ``key: value``
lines and ``|`` tables; ``yaml``: YAML block style. A text result stays as it is."""
Renderer = Callable[[Any, Mapping[str, Any]], "str | None"]
"""A tool's own result shape: (value, canonical arguments) to text, None for the default."""

WIRE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


# -- error phrasings ------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorStyle:
    """How a dialect words the errors the model sees."""

    prefix: str
    """Put before every error, e.g. ``error: ``."""
    invalid: str = "invalid arguments for {tool}: {problems}"
    missing: str = "missing required argument '{name}'"
    unknown_arg: str = "unknown argument '{name}'"
    bad_value: str = "'{name}': {message}"
    unknown_tool: str = "unknown tool {name!r}. Available tools: {tools}"
    not_object: str = "arguments for {tool} must be a JSON object"
    internal: str = "internal error in {tool}: {detail}"

    def wrap(self, message: str) -> str:
        return f"{self.prefix}{message}"

    def problems(self, problems: Sequence[ArgumentProblem],
                 rename: Callable[[str], str]) -> str:
        parts = []
        for p in problems:
            if not p.where:
                parts.append(p.message)
            elif p.kind == "missing":
                parts.append(self.missing.format(name=p.path(rename)))
            elif p.kind == "unknown":
                parts.append(self.unknown_arg.format(name=p.path(rename)))
            else:
                parts.append(self.bad_value.format(name=p.path(rename), message=p.message))
        return "; ".join(parts)


NATIVE_ERRORS = ErrorStyle(prefix="error: ")
PUBLIC_ERRORS = ErrorStyle(
    prefix="Error: ", invalid="Invalid arguments for tool {tool}: {problems}",
    missing="'{name}' is a required property", unknown_arg="Unexpected argument '{name}'",
    bad_value="{name}: {message}", unknown_tool="Tool {name!r} not found. Available tools: {tools}",
    not_object="Arguments for {tool} must be an object", internal="Error executing tool {tool}: {detail}")
PROC_ERRORS: tuple[ErrorStyle, ...] = (
    ErrorStyle(prefix="ERROR: ", invalid="bad arguments to {tool}: {problems}",
               missing="'{name}' is required", unknown_arg="'{name}' is not a parameter",
               unknown_tool="no tool named {name!r}; the tools are: {tools}",
               not_object="{tool} takes a JSON object of arguments",
               internal="{tool} failed unexpectedly: {detail}"),
    ErrorStyle(prefix="Tool call failed - ", invalid="{tool} rejected its arguments ({problems})",
               missing="required parameter {name} not given",
               unknown_arg="unexpected parameter {name}", bad_value="{name} is invalid: {message}",
               unknown_tool="{name!r} is not a tool here. Tools: {tools}",
               not_object="the arguments of {tool} are not an object",
               internal="{tool} crashed: {detail}"),
    ErrorStyle(prefix="[error] ", invalid="cannot call {tool}: {problems}",
               missing="no value for required '{name}'", unknown_arg="no such argument: {name}",
               bad_value="bad value for {name} ({message})",
               unknown_tool="unknown function {name!r} (known: {tools})",
               not_object="{tool} expects named arguments in an object",
               internal="internal failure in {tool}: {detail}"),
    ErrorStyle(prefix="Failure: ", invalid="{tool}: invalid input: {problems}",
               missing="{name} is missing", unknown_arg="{name} is not accepted",
               bad_value="{name}: {message}",
               unknown_tool="there is no {name!r}; available: {tools}",
               not_object="{tool}: arguments must be a JSON object",
               internal="{tool}: unexpected error: {detail}"),
)


# -- mcp-public tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicTool:
    """One tool's entry in an app's ``mcp-public`` table."""

    name: str
    """The public server's tool name (the Toolathlon server prefix is added to it)."""
    args: Mapping[str, str] = field(default_factory=dict)
    """Canonical argument name to public name, for those that differ."""
    order: tuple[str, ...] = ()
    """Public argument names to list first, in this order (the rest follow)."""
    format: ResultFormat | None = None
    """The result format, when not the surface's."""
    headline: str | None = None
    """A line put before the result, as servers that title their answers do."""
    render: Renderer | None = None
    """The result in the public server's own shape (None from it: the default)."""


@dataclass(frozen=True)
class PublicSurface:
    """An app's ``mcp-public`` table: the public server it is modelled on, and its tools."""

    app: str
    modelled_on: str
    """Which public server the names follow (or why native-style names stand)."""
    tools: Mapping[str, PublicTool]
    """By the app's method name."""
    server: str | None = None
    """Toolathlon's name for the server, when it runs one of this kind: the tools are
    then called ``{server}-{name}``, as Toolathlon shows them."""
    format: ResultFormat = "text"
    """How results read unless a tool says otherwise."""


_PUBLIC: dict[str, PublicSurface] = {}


def register_public_surface(surface: PublicSurface) -> PublicSurface:
    """Register (or replace) an app's ``mcp-public`` table.

    Raises:
        ValueError: an entry whose names break the wire rule or repeat.
    """
    for method, entry in surface.tools.items():
        where = f"mcp-public table of {surface.app}, tool {method}"
        wire = f"{surface.server}-{entry.name}" if surface.server else entry.name
        if not WIRE_NAME.match(wire):
            raise ValueError(f"{where}: {wire!r} is not a valid tool name "
                             "(^[a-zA-Z0-9_-]{1,64}$)")
        names = list(entry.args.values())
        if len(set(names)) != len(names) or any(not _ARG_NAME.match(n) for n in names):
            raise ValueError(f"{where}: argument names {names} repeat or are not identifiers")
    wires = [e.name for e in surface.tools.values()]
    if len(set(wires)) != len(wires):
        raise ValueError(f"mcp-public table of {surface.app}: tool names repeat: {sorted(wires)}")
    _PUBLIC[surface.app] = surface
    return surface


def public_surfaces() -> dict[str, PublicSurface]:
    """Every registered ``mcp-public`` table, by app name."""
    return dict(_PUBLIC)


# -- results --------------------------------------------------------------------------------


def render_result(value: Any, fmt: ResultFormat) -> str:
    """A tool's return value as text in ``fmt`` (text results are left as they are)."""
    if fmt == "json" or isinstance(value, str):
        return result_text(value)
    plain = json.loads(result_text(value)) if not _is_plain(value) else value
    if fmt == "pretty":
        return json.dumps(plain, indent=2, ensure_ascii=False)
    lines: list[str] = []
    if fmt == "yaml":
        _yaml(plain, lines, "")
    else:
        _text(plain, lines, "")
    return "\n".join(lines)


def _is_plain(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                return False
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif not (v is None or isinstance(v, str | int | float | bool)):
            return False
    return True


_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?$")


def _scalar(value: Any) -> str:
    """A scalar for the text format: strings bare unless they could be misread."""
    if isinstance(value, str):
        risky = (not value or value != value.strip() or "\n" in value or "|" in value
                 or value in ("null", "true", "false") or value[0] in "[{\"" or
                 (_NUMBER.match(value) is not None and any(c.isdigit() for c in value)))
        return json.dumps(value, ensure_ascii=False) if risky else value
    return json.dumps(value, ensure_ascii=False)


def _flat(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _table(rows: list[dict[str, Any]], lines: list[str], indent: str) -> None:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    lines.append(indent + " | ".join(columns))

    def cell(row: dict[str, Any], key: str) -> str:
        if key not in row:
            return ""
        v = row[key]
        return _scalar(v) if _flat(v) else json.dumps(v, ensure_ascii=False)

    lines.extend(indent + " | ".join(cell(r, c) for c in columns) for r in rows)


def _text(value: Any, lines: list[str], indent: str) -> None:
    if isinstance(value, dict):
        if not value:
            lines.append(indent + "{}")
        for key, item in value.items():
            if _flat(item):
                if isinstance(item, str) and "\n" in item:
                    lines.append(f"{indent}{key}: |")
                    lines.extend(f"{indent}  {line}" for line in item.split("\n"))
                else:
                    lines.append(f"{indent}{key}: {_scalar(item)}")
            elif isinstance(item, list) and all(_flat(x) for x in item):
                lines.append(f"{indent}{key}: {json.dumps(item, ensure_ascii=False)}")
            elif isinstance(item, list) and all(isinstance(x, dict) and x for x in item):
                lines.append(f"{indent}{key} ({len(item)}):")
                _table(item, lines, indent + "  ")
            elif isinstance(item, dict) and not item:
                lines.append(f"{indent}{key}: {{}}")
            else:
                lines.append(f"{indent}{key}:")
                _text(item, lines, indent + "  ")
    elif isinstance(value, list):
        if not value:
            lines.append(indent + "[]")
        elif all(isinstance(x, dict) and x for x in value):
            _table(value, lines, indent)
        else:
            for n, item in enumerate(value, 1):
                if _flat(item):
                    lines.append(f"{indent}{n}. {_scalar(item)}")
                else:
                    lines.append(f"{indent}{n}.")
                    _text(item, lines, indent + "  ")
    else:
        lines.append(indent + _scalar(value))


_YAML_PLAIN = re.compile(r"^[A-Za-z0-9_./@()+][A-Za-z0-9 _./@()+,;'&%=~^$-]*$")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, str):
        plain = (_YAML_PLAIN.match(value) is not None and value == value.strip()
                 and value.lower() not in _YAML_WORDS and not _NUMBER.match(value)
                 and ": " not in value and " #" not in value)
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _yaml(value: Any, lines: list[str], indent: str) -> None:
    if isinstance(value, dict):
        if not value:
            lines.append(indent + "{}")
        for key, item in value.items():
            name = _yaml_scalar(key)
            if isinstance(item, dict | list) and item:
                lines.append(f"{indent}{name}:")
                _yaml(item, lines, indent + "  ")
            elif isinstance(item, dict | list):
                lines.append(f"{indent}{name}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{indent}{name}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        if not value:
            lines.append(indent + "[]")
        for item in value:
            if isinstance(item, dict | list) and item:
                sub: list[str] = []
                _yaml(item, sub, "")
                lines.append(f"{indent}- {sub[0]}")
                lines.extend(f"{indent}  {line}" for line in sub[1:])
            elif isinstance(item, dict | list):
                lines.append(f"{indent}- {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{indent}- {_yaml_scalar(item)}")
    else:
        lines.append(indent + _yaml_scalar(value))


# -- one tool in one dialect ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WireTool:
    """One tool as a dialect shows it: its name, schema and result and error wording.

    It offers what the MCP server and the OpenAI path read of a ``ToolSpec`` (``openai``,
    ``mcp``, ``from_strict``, ``may_block``), with ``name`` the dialect's name and
    ``spec`` the canonical tool behind it.
    """

    spec: ToolSpec
    name: str
    description: str
    parameters: dict[str, Any]
    arg_names: Mapping[str, str]
    """Canonical argument name to this dialect's name, for every argument."""
    format: ResultFormat = "json"
    headline: str | None = None
    renderer: Renderer | None = None
    strict_parameters: dict[str, Any] = field(default_factory=dict)
    canonical_args: Mapping[str, str] = field(default_factory=dict)
    """This dialect's argument name to the canonical one."""

    @property
    def openai_name(self) -> str:
        """The name on the wire (the same as ``name``; ``ToolSpec`` spells it so)."""
        return self.name

    @property
    def may_block(self) -> bool:
        return self.spec.may_block

    @property
    def renamed(self) -> bool:
        """Whether any argument has another name than the canonical one."""
        return any(k != v for k, v in self.arg_names.items())

    def annotations(self) -> dict[str, Any]:
        return self.spec.annotations()

    def openai(self, *, strict: bool = False) -> dict[str, Any]:
        """An OpenAI ``tools`` entry in this dialect."""
        function: dict[str, Any] = {
            "name": self.name, "description": self.description,
            "parameters": self.strict_parameters if strict else self.parameters}
        if strict:
            function["strict"] = True
        return {"type": "function", "function": function}

    def mcp(self, *, strict: bool = False) -> dict[str, Any]:
        """An MCP tool definition in this dialect."""
        return {"name": self.name, "description": self.description,
                "inputSchema": self.strict_parameters if strict else self.parameters,
                "annotations": self.annotations()}

    def from_strict(self, args: Any) -> Any:
        """Arguments in the strict variant's form, in this dialect's own (see
        ``ToolSpec.from_strict``)."""
        return _from_strict(self.parameters, args)

    def to_canonical(self, args: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Arguments as the dialect names them, under canonical names; and the names
        given that are not arguments of this tool in this dialect."""
        out: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in args.items():
            canonical = self.canonical_args.get(key)
            if canonical is None:
                unknown.append(key)
                out[key] = value
            else:
                out[canonical] = value
        return out, unknown

    def to_wire(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Canonical arguments under this dialect's names, in its order."""
        order = list(self.parameters.get("properties", {}))
        renamed = {self.arg_names.get(k, k): v for k, v in args.items()}
        return {k: renamed[k] for k in sorted(renamed, key=lambda k: (
            order.index(k) if k in order else len(order), k))}

    def render(self, value: Any, args: Mapping[str, Any]) -> str:
        """The text the model sees for a return value of this tool."""
        text = self.renderer(value, args) if self.renderer is not None else None
        if text is None:
            text = render_result(value, self.format)
        return f"{self.headline}\n{text}" if self.headline else text

    def wire_name(self, canonical: str) -> str:
        """The dialect's name of a canonical argument name (itself when unknown)."""
        return self.arg_names.get(canonical, canonical)


def _wire_tool(spec: ToolSpec, name: str, arg_names: Mapping[str, str], order: Sequence[str],
               fmt: ResultFormat, headline: str | None, renderer: Renderer | None,
               names: Mapping[str, str]) -> WireTool:
    """Build the dialect's view of ``spec``; ``names`` maps every canonical tool name of
    the episode (both spellings) to its dialect name, for the descriptions."""
    properties: dict[str, Any] = spec.parameters.get("properties", {})
    if name == spec.openai_name and not arg_names and not order and not names:
        # the native surface: the spec's own schema, shared, not copied
        return WireTool(spec=spec, name=name, description=spec.description,
                        parameters=spec.parameters, arg_names={k: k for k in properties},
                        format=fmt, headline=headline, renderer=renderer,
                        strict_parameters=spec.strict_parameters,
                        canonical_args={k: k for k in properties})
    unknown = sorted(set(arg_names) - set(properties))
    if unknown:
        raise ValueError(f"the dialect names arguments {unknown} that {spec.name} does not "
                         f"take (it takes {sorted(properties)})")
    full = {k: arg_names.get(k, k) for k in properties}
    if len(set(full.values())) != len(full):
        raise ValueError(f"the dialect gives two arguments of {spec.name} one name: {full}")
    wanted = [full[k] for k in properties]
    rank = {n: i for i, n in enumerate(order)}
    wire_order = sorted(wanted, key=lambda n: (rank.get(n, len(rank)), wanted.index(n)))
    back = {v: k for k, v in full.items()}
    rewrite = _rewriter(names, full)
    wire_props = {}
    for wire in wire_order:
        prop = dict(properties[back[wire]])
        if "description" in prop:
            prop["description"] = rewrite(prop["description"])
        wire_props[wire] = prop
    parameters = {**spec.parameters, "properties": wire_props}
    if "required" in spec.parameters:
        required = {full[r] for r in spec.parameters["required"]}
        parameters["required"] = [w for w in wire_order if w in required]
    return WireTool(spec=spec, name=name, description=rewrite(spec.description),
                    parameters=parameters, arg_names=full, format=fmt, headline=headline,
                    renderer=renderer, strict_parameters=strict_schema(parameters),
                    canonical_args=back)


_TOOL_TOKEN = re.compile(r"(?<![\w.-])[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?(?![\w-])")
_QUOTED = re.compile(r"([`'\"])([A-Za-z_][A-Za-z0-9_]*)\1")


def _rewriter(names: Mapping[str, str], args: Mapping[str, str]) -> Callable[[str], str]:
    """A function that respells canonical tool names (``files.read``, ``files_read``;
    ``names`` holds only those that change) and quoted argument names (`` `path` ``,
    ``'path'``) in a text.

    Two fixed patterns and dictionary look-ups: an alternation of every name would cost
    a regex compile per tool and dialect."""
    tool_names = names
    arg_names = {k: v for k, v in args.items() if k != v}
    if not tool_names and not arg_names:
        return lambda text: text

    def tool(match: re.Match[str]) -> str:
        return tool_names.get(match.group(0), match.group(0))

    def arg(match: re.Match[str]) -> str:
        q, name = match.group(1), match.group(2)
        return f"{q}{arg_names[name]}{q}" if name in arg_names else match.group(0)

    def rewrite(text: str) -> str:
        if arg_names:
            text = _QUOTED.sub(arg, text)
        return _TOOL_TOKEN.sub(tool, text) if tool_names else text

    return rewrite


# -- the surface of one episode -------------------------------------------------------------


class Surface:
    """The tools of one episode in one dialect, and the translation both ways.

    Build it with :func:`surface_for` (cached per dialect and set of apps).
    """

    def __init__(self, dialect: str, specs: Sequence[ToolSpec]) -> None:
        problem = dialect_problem(dialect)
        if problem:
            raise ValueError(problem)
        self.dialect = dialect
        self.native = dialect == "native"
        plan = _plan(dialect, specs)
        names: dict[str, str] = {}
        bare: dict[str, dict[str, str]] = {}
        for spec in specs:
            names[spec.name] = names[spec.openai_name] = plan[spec.name].name
            if "_" in spec.method:  # "list_teams lists them": a sibling named bare
                bare.setdefault(spec.app, {})[spec.method] = plan[spec.name].name
        # only the names that change, filtered once: the rewriters look up every word
        # (natively, texts keep files.read, which that dialect takes too)
        changed = {} if self.native else {k: v for k, v in names.items() if k != v}
        self._all_names = changed
        self._names = {} if self.native else {
            app: {**changed, **{k: v for k, v in methods.items() if k != v}}
            for app, methods in bare.items()}
        self.tools: tuple[WireTool, ...] = tuple(
            _wire_tool(spec, p.name, p.args, p.order, p.format, p.headline, p.render,
                       self._names.get(spec.app, self._all_names))
            for spec, p in ((s, plan[s.name]) for s in specs))
        self.errors: ErrorStyle = _errors(dialect)
        self._by_wire = {t.name: t for t in self.tools}
        if len(self._by_wire) != len(self.tools):
            seen: dict[str, str] = {}
            for t in self.tools:
                if t.name in seen:
                    raise ValueError(f"dialect {dialect}: {seen[t.name]} and {t.spec.name} "
                                     f"are both called {t.name!r}")
                seen[t.name] = t.spec.name
        self._by_canonical: dict[str, WireTool] = {}
        for t in self.tools:
            self._by_canonical[t.spec.name] = self._by_canonical[t.spec.openai_name] = t
        self._listing = ", ".join(sorted(t.spec.name for t in self.tools)) if self.native \
            else ", ".join(t.name for t in self.tools)

    def lookup(self, name: str) -> WireTool | None:
        """The tool a model calls by ``name``: the dialect's name; under ``native`` also
        the canonical ``files.read``. Other dialects answer only to their own names, so
        a policy cannot fall back on the native surface."""
        tool = self._by_wire.get(name)
        if tool is None and self.native:
            tool = self._by_canonical.get(name)
        return tool

    def canonical(self, name: str) -> WireTool | None:
        """The tool of a canonical name (``files.read`` or ``files_read``)."""
        return self._by_canonical.get(name)

    def to_wire(self, name: str, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """A canonical call (a plan's step) as this dialect spells it.

        Raises:
            ValueError: ``name`` is no tool of this episode.
        """
        tool = self._by_canonical.get(name)
        if tool is None:
            raise ValueError(f"{name!r} is not a tool of this episode; its tools are "
                             f"{', '.join(sorted(t.spec.name for t in self.tools))}")
        return tool.name, tool.to_wire(args)

    def unknown_tool(self, name: str) -> str:
        """The message for a call of a tool that does not exist (without the prefix)."""
        return self.errors.unknown_tool.format(name=name, tools=self._listing)

    def respell(self, text: str, tool: WireTool | None = None) -> str:
        """``text`` (an app's error message) with canonical tool names, and ``tool``'s
        quoted argument names, in this dialect's spelling."""
        if self.native:
            return text
        names = self._names.get(tool.spec.app, self._all_names) if tool else self._all_names
        return _rewriter(names, tool.arg_names if tool else {})(text)

    def argument_error(self, tool: WireTool, error: ArgumentError) -> str:
        """An argument error in this dialect's words and names (without the prefix)."""
        if self.native:
            return str(error)
        text = self.errors.problems(error.problems, tool.wire_name)
        return self.errors.invalid.format(tool=tool.name, problems=text)

    def unknown_arguments(self, tool: WireTool, names: Sequence[str]) -> str:
        """The message for argument names this dialect does not know (without the prefix)."""
        problems = tuple(ArgumentProblem("unknown", (n,), "") for n in names)
        text = self.errors.problems(problems, lambda n: n)
        return self.errors.invalid.format(tool=tool.name, problems=text)


@functools.lru_cache(maxsize=4096)
def _surface(dialect: str, apps: tuple[type[App], ...]) -> Surface:
    specs = [spec for app in apps for spec in app.tool_specs().values()]
    return Surface(dialect, specs)


def surface_for(dialect: str, apps: Sequence[type[App]]) -> Surface:
    """The surface of ``apps`` in ``dialect`` (cached: an episode pays microseconds).

    Raises:
        ValueError: an unknown dialect, or a table that gives two tools one name.
    """
    return _surface(dialect, tuple(apps))


def dialect_surface(variant: str, app_names: Sequence[str]) -> Surface:
    """The surface of the registered apps ``app_names`` under the variant's dialect."""
    dialect = parse_variant(variant).dialect
    missing = [a for a in app_names if a not in App.registry]
    if missing:
        raise ValueError(f"apps {missing} are not registered")
    return surface_for(dialect, [App.registry[a] for a in app_names])


def wire_call(task: Task, step: ToolCall) -> tuple[str, dict[str, Any]]:
    """A reference step of ``task`` as its dialect spells it: the name and arguments a
    model would send (``files_read``, ``filesystem-read_file``, ...).

    Raises:
        ValueError: the step names a tool the task's apps do not have.
    """
    return dialect_surface(task.spec.variant, task.apps).to_wire(step.name, dict(step.args))


def _errors(dialect: str) -> ErrorStyle:
    if dialect == "native":
        return NATIVE_ERRORS
    if dialect == "mcp-public":
        return PUBLIC_ERRORS
    rng = random.Random(derive_seed("dialect", _proc(dialect), "errors"))
    return PROC_ERRORS[rng.randrange(len(PROC_ERRORS))]


# -- per-dialect plans ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    name: str
    args: Mapping[str, str]
    order: tuple[str, ...] = ()
    format: ResultFormat = "json"
    headline: str | None = None
    render: Renderer | None = None


def _plan(dialect: str, specs: Sequence[ToolSpec]) -> dict[str, _Plan]:
    if dialect == "native":
        return {s.name: _Plan(s.openai_name, {}) for s in specs}
    if dialect == "mcp-public":
        return {s.name: _public_plan(s) for s in specs}
    return _proc_plans(_proc(dialect), specs)


def _proc(dialect: str) -> int:
    n = proc_number(dialect)
    if n is None:
        raise ValueError(dialect_problem(dialect) or f"{dialect!r} is not a proc-N dialect")
    return n


def _public_plan(spec: ToolSpec) -> _Plan:
    table = _PUBLIC.get(spec.app)
    entry = table.tools.get(spec.method) if table else None
    if table is None or entry is None:
        return _Plan(spec.openai_name, {}, format=table.format if table else "json")
    name = f"{table.server}-{entry.name}" if table.server else entry.name
    return _Plan(name, dict(entry.args), entry.order, entry.format or table.format,
                 entry.headline, entry.render)


def dialect_table(dialect: str, app: type[App]) -> dict[str, tuple[str, dict[str, str]]]:
    """Each tool of ``app`` in ``dialect``: its name and its argument names (canonical to
    dialect), by method name. What the completeness test and ``docs/variants.md`` read."""
    surface = surface_for(dialect, [app])
    return {t.spec.method: (t.name, dict(t.arg_names)) for t in surface.tools}


# -- the procedural dialects ----------------------------------------------------------------

_VERBS: dict[str, tuple[str, ...]] = {
    "list": ("browse", "enumerate", "all", "index", "show_all"),
    "get": ("fetch", "retrieve", "lookup", "load", "describe"),
    "read": ("view", "open", "load", "fetch", "show"),
    "search": ("find", "query", "lookup", "seek"),
    "find": ("locate", "search", "seek"),
    "add": ("append", "insert", "attach", "put"),
    "create": ("new", "make", "start", "open"),
    "delete": ("remove", "drop", "erase", "discard"),
    "cancel": ("revoke", "void", "withdraw", "abort"),
    "move": ("relocate", "shift", "transfer"),
    "set": ("assign", "put", "apply"),
    "update": ("modify", "edit", "change", "patch"),
    "replace": ("swap", "overwrite", "substitute"),
    "write": ("save", "store", "put"),
    "send": ("dispatch", "deliver", "compose"),
    "reply": ("respond", "answer"),
    "forward": ("relay", "pass_on"),
    "fill": ("populate", "complete"),
    "insert": ("place", "embed"),
    "submit": ("hand_in", "turn_in"),
    "decide": ("rule_on", "resolve", "judge"),
    "close": ("finalize", "lock", "seal"),
    "complete": ("finish", "tick_off", "check_off"),
    "start": ("begin", "launch", "kick_off"),
    "run": ("exec", "execute", "invoke"),
    "describe": ("inspect", "schema"),
    "execute": ("exec", "apply", "perform"),
    "query": ("select", "ask", "sql"),
    "show": ("display", "view", "inspect"),
    "pay": ("settle", "remit"),
    "transfer": ("wire", "remit", "move_money"),
    "post": ("publish", "say", "message"),
    "react": ("emote", "add_reaction"),
    "open": ("view", "load", "display"),
    "drop": ("withdraw", "unenrol", "remove"),
    "enrol": ("enroll", "register", "sign_up"),
    "grade": ("mark", "score", "assess"),
    "book": ("reserve", "secure"),
    "restock": ("replenish", "refill"),
    "process": ("handle", "resolve", "action"),
    "commit": ("record", "check_in"),
    "checkout": ("switch", "switch_to"),
    "reset": ("unstage", "restore"),
    "diff": ("compare", "changes"),
    "click": ("press", "tap", "activate"),
    "type": ("enter", "input", "fill_in"),
    "transition": ("advance", "change_state", "progress"),
    "link": ("relate", "connect"),
    "comment": ("annotate", "remark", "note"),
    "edit": ("revise", "modify", "rewrite"),
    "append": ("add", "extend"),
}
"""Verbs of tool names, and what a procedural dialect may call them."""

_NOUNS: dict[str, tuple[str, ...]] = {
    "event": ("appointment", "meeting", "entry"),
    "events": ("appointments", "meetings", "entries"),
    "message": ("mail", "email", "note"),
    "folders": ("directories", "mailboxes"),
    "sheet": ("tab", "worksheet"),
    "sheets": ("tabs", "worksheets"),
    "workbook": ("spreadsheet", "book"),
    "table": ("grid",),
    "tables": ("grids",),
    "rows": ("lines", "records"),
    "cells": ("fields", "values"),
    "range": ("area", "block", "span"),
    "slide": ("page", "frame"),
    "slides": ("pages", "frames"),
    "deal": ("opportunity", "sale"),
    "deals": ("opportunities", "sales"),
    "account": ("company", "organisation", "client"),
    "accounts": ("companies", "organisations", "clients"),
    "contact": ("person", "lead"),
    "contacts": ("people", "leads"),
    "activity": ("interaction", "touchpoint"),
    "activities": ("interactions", "touchpoints"),
    "employee": ("staff_member", "worker", "person"),
    "employees": ("staff", "workers", "people"),
    "timesheet": ("time_sheet", "time_card"),
    "timesheets": ("time_sheets", "time_cards"),
    "leave": ("absence", "time_off", "holiday"),
    "payroll": ("pay_run", "wages"),
    "checklist": ("todo_list", "task_list"),
    "checklists": ("todo_lists", "task_lists"),
    "task": ("todo", "item", "step"),
    "course": ("class", "module"),
    "courses": ("classes", "modules"),
    "student": ("learner", "pupil"),
    "students": ("learners", "pupils"),
    "assignment": ("homework", "coursework"),
    "assignments": ("homeworks", "courseworks"),
    "submission": ("hand_in", "entry"),
    "submissions": ("hand_ins", "entries"),
    "enrolments": ("registrations", "enrollments"),
    "gradebook": ("marks", "grades"),
    "timetable": ("schedule", "calendar"),
    "order": ("purchase", "sale"),
    "orders": ("purchases", "sales"),
    "product": ("item", "article"),
    "products": ("items", "articles", "catalogue"),
    "customer": ("client", "buyer", "shopper"),
    "customers": ("clients", "buyers", "shoppers"),
    "return": ("rma", "refund_request"),
    "returns": ("rmas", "refund_requests"),
    "invoice": ("bill",),
    "invoices": ("bills",),
    "payee": ("beneficiary", "recipient"),
    "payees": ("beneficiaries", "recipients"),
    "transactions": ("movements", "entries", "ledger"),
    "statement": ("report", "summary"),
    "users": ("members", "people"),
    "channels": ("rooms", "conversations"),
    "channel": ("room", "conversation"),
    "thread": ("discussion", "replies"),
    "project": ("board", "space"),
    "projects": ("boards", "spaces"),
    "booking": ("reservation",),
    "bookings": ("reservations",),
    "flight": ("air_leg", "plane"),
    "flights": ("air_legs", "planes"),
    "hotel": ("lodging", "stay"),
    "hotels": ("lodgings", "stays"),
    "train": ("rail", "rail_leg"),
    "trains": ("rails", "rail_legs"),
    "itinerary": ("trip_plan", "journey"),
    "policies": ("rules", "travel_rules"),
    "places": ("locations", "cities"),
    "travellers": ("passengers", "trip_members"),
    "traveller": ("passenger", "trip_member"),
    "distance": ("length", "span"),
    "rooms": ("spaces", "venues"),
    "offices": ("sites", "locations"),
    "team": ("group", "squad"),
    "teams": ("groups", "squads"),
    "reports": ("direct_reports", "subordinates"),
    "forecast": ("pipeline", "projection"),
    "blocks": ("paragraphs", "elements"),
    "block": ("element", "item"),
    "paragraphs": ("passages", "text_blocks"),
    "paragraph": ("passage", "text_block"),
    "comments": ("remarks", "notes"),
    "outline": ("structure", "headings"),
    "section": ("part", "chapter"),
    "text": ("content", "words"),
    "status": ("state", "overview"),
    "history": ("revisions", "changes_log"),
    "info": ("details", "metadata"),
    "sources": ("publishers", "origins"),
    "notes": ("speaker_notes", "remarks"),
    "title": ("heading", "caption"),
    "shape": ("element", "object"),
    "box": ("frame", "area"),
    "layouts": ("templates", "designs"),
    "attachment": ("file", "enclosure"),
    "fundamentals": ("financials", "profile"),
    "fx": ("exchange_rate", "currency_rate"),
    "quote": ("price", "ticker_price"),
    "instruments": ("securities", "tickers"),
    "keys": ("names", "entries"),
    "balance": ("allowance", "entitlement"),
    "period": ("cycle", "run"),
    "periods": ("cycles", "runs"),
    "onboarding": ("induction", "joining"),
    "request": ("application", "ask"),
    "requests": ("applications", "asks"),
    "snapshot": ("page_tree", "accessibility_tree"),
    "backlinks": ("inbound_links", "referrers"),
    "id": ("ref", "key", "uid"),
}
"""Nouns of tool and argument names, and what a procedural dialect may call them. A
dialect makes one choice per word, so it is a consistent vocabulary."""

_WHOLE_METHODS: dict[str, tuple[str, ...]] = {
    "free_busy": ("availability", "busy_times", "free_slots"),
    "manager_chain": ("reporting_line", "management_chain", "bosses"),
    "navigate_back": ("go_back", "previous_page", "history_back"),
    "navigate_forward": ("go_forward", "next_page", "history_forward"),
    "press_key": ("send_key", "keystroke", "hit_key"),
    "select_option": ("choose_option", "pick_value", "select_value"),
    "send_direct": ("direct_message", "private_message", "dm_user"),
    "save_attachment": ("download_attachment", "store_attachment", "keep_attachment"),
    "log_hours": ("record_hours", "enter_hours", "book_time"),
    "log_activity": ("record_activity", "add_interaction", "note_activity"),
    "get_many": ("get_several", "batch_get", "fetch_many"),
    "list_keys": ("all_keys", "key_index", "browse_keys"),
    "create_branch": ("new_branch", "make_branch", "branch_off"),
    "branch": ("branches", "list_branches", "show_branches"),
    "log": ("history", "commit_log", "commits"),
}
"""Methods named as a whole (where word by word would mislead)."""

_WHOLE_ARGS: dict[str, tuple[str, ...]] = {
    "path": ("file_path", "filepath", "location", "file"),
    "limit": ("max_results", "count", "page_size", "top"),
    "offset": ("skip", "start_at", "from_index"),
    "body": ("content", "text", "message"),
    "content": ("text", "data", "body"),
    "subject": ("title", "topic"),
    "name": ("label", "title"),
    "note": ("remark", "memo", "comment"),
    "kind": ("type", "category", "variety"),
    "start": ("begin", "from"),
    "end": ("finish", "until"),
    "since": ("after", "from_date"),
    "until": ("before", "to_date"),
    "to": ("recipients", "to_address"),
    "cc": ("copy", "cc_list"),
    "date": ("day", "on"),
    "timezone": ("tz", "time_zone"),
    "pattern": ("needle", "expression"),
    "recursive": ("deep", "all_levels"),
    "overwrite": ("replace", "force"),
    "source": ("src", "origin"),
    "destination": ("dest", "target"),
    "sql": ("statement", "query_text"),
    "params": ("parameters", "bindings"),
    "values": ("data", "cells"),
    "amount": ("sum", "value"),
    "reason": ("why", "cause"),
    "comment": ("remark", "note"),
    "description": ("details", "summary"),
    "priority": ("urgency", "importance"),
    "assignee": ("owner", "assigned_to"),
    "labels": ("tags",),
    "due": ("deadline", "due_date"),
    "query": ("q", "terms", "search_text"),
    "email": ("mail_address", "address"),
    "revision": ("version", "rev"),
    "url": ("address", "link"),
    "command": ("cmd", "shell_command", "script"),
    "message_id": ("mail_id", "msg_id"),
    "text": ("content", "words", "value"),
    "title": ("heading", "caption"),
    "status": ("state", "stage_name"),
    "message": ("msg", "log_message"),
    "slides.to": ("new_position", "target_index"),
    "market.quote": ("quote_currency", "counter_currency"),
    "market.base": ("base_currency", "from_currency"),
}
"""Argument names renamed as a whole (short words that would mislead inside others);
``app.arg`` keys are for one app's argument, where the word means something else."""

_APP_ALIASES: dict[str, tuple[str, ...]] = {
    "files": ("fs", "disk", "storage", "filesystem"),
    "mail": ("email", "mailbox", "inbox", "smtp"),
    "calendar": ("cal", "agenda", "schedule"),
    "sheets": ("excel", "spreadsheet", "xlsx", "workbooks"),
    "docs": ("word", "documents", "docx", "writer"),
    "slides": ("pptx", "deck", "presentation", "powerpoint"),
    "pdf": ("pdfs", "pdf_tools", "acrobat"),
    "terminal": ("shell", "bash", "cli", "console"),
    "git": ("vcs", "repo", "scm"),
    "db": ("sql", "sqlite", "database"),
    "memory": ("kv", "notes_store", "memo"),
    "search": ("web", "engine", "finder"),
    "browser": ("web_browser", "navigator", "page"),
    "chat": ("slack", "messaging", "im"),
    "contacts": ("directory", "people", "address_book"),
    "crm": ("sales_crm", "salesforce", "pipeline_db"),
    "hr": ("hris", "personnel", "people_ops"),
    "lms": ("canvas", "classroom", "school"),
    "shop": ("store", "commerce", "woo"),
    "payments": ("bank", "treasury", "payables"),
    "market": ("finance", "quotes", "exchange"),
    "tickets": ("issues", "tracker", "jira"),
    "wiki": ("kb", "knowledge", "notion"),
    "travel": ("trips", "booking_tool", "concur"),
}
"""Prefixes a procedural dialect may give an app's tools (the sets are disjoint)."""

_CASES = ("snake", "camel", "kebab", "pascal")
_PREFIXES = ("{app}_{tool}", "{app}-{tool}", "{app}__{tool}", "{tool}_{app}")


def _case(words: Sequence[str], style: str) -> str:
    if style == "snake":
        return "_".join(words)
    if style == "kebab":
        return "-".join(words)
    if style == "camel":
        return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    return "".join(w[:1].upper() + w[1:] for w in words)


def _choice(n: int, label: str, options: Sequence[str]) -> str:
    return options[random.Random(derive_seed("dialect", n, label)).randrange(len(options))]


@functools.lru_cache(maxsize=65536)
def _word(n: int, word: str, verbs: bool) -> tuple[str, ...]:
    options = (_VERBS.get(word) if verbs else None) or _NOUNS.get(word)
    if not options:
        return (word,)
    return tuple(_choice(n, f"word:{word}", options).split("_"))


def _words(n: int, name: str, whole: Mapping[str, tuple[str, ...]], verbs: bool,
           app: str = "") -> list[str]:
    """A name's words in dialect ``n``: the whole name's synonym if it has one (an
    ``app.name`` entry first), else word by word, a verb only as a tool name's first
    word (in ``start_page`` "start" is no verb)."""
    for key in (f"{app}.{name}", name):
        if key in whole:
            return _choice(n, f"whole:{key}", whole[key]).split("_")
    out: list[str] = []
    for i, part in enumerate(p for p in name.split("_") if p):
        out.extend(_word(n, part, verbs and i == 0))
    return out or [name]


def _proc_plans(n: int, specs: Sequence[ToolSpec]) -> dict[str, _Plan]:
    tool_case = _choice(n, "tool-case", _CASES)
    arg_case = _choice(n, "arg-case", ("snake", "camel"))
    prefix = _choice(n, "prefix", _PREFIXES)
    plans: dict[str, _Plan] = {}
    taken: dict[str, set[str]] = {}
    for spec in sorted(specs, key=lambda s: s.name):
        alias = _choice(n, f"app:{spec.app}", _APP_ALIASES.get(spec.app, (spec.app,)))
        fmt: ResultFormat = _choice(n, f"format:{spec.app}", RESULT_FORMATS)  # type: ignore[assignment]
        # names are settled within the app alone, so a tool's name does not depend on
        # which other apps an episode has
        mine = taken.setdefault(spec.app, set())
        candidates = [_words(n, spec.method, _WHOLE_METHODS, True), spec.method.split("_")]
        name = ""
        for words in candidates:
            name = prefix.format(app=alias, tool=_case(words, tool_case))
            if name not in mine and WIRE_NAME.match(name):
                break
        else:
            name = f"{spec.app}_{spec.method}"
        mine.add(name)
        args: dict[str, str] = {}
        used: set[str] = set()
        for arg in spec.parameters.get("properties", {}):
            for option in (_case(_words(n, arg, _WHOLE_ARGS, False, spec.app), arg_case),
                           _case(arg.split("_"), arg_case),
                           arg):
                if option not in used and _ARG_NAME.match(option):
                    break
            else:
                option = f"{arg}_{len(used)}"
            used.add(option)
            args[arg] = option
        order = list(args.values())
        random.Random(derive_seed("dialect", n, "order", spec.name)).shuffle(order)
        plans[spec.name] = _Plan(name, args, tuple(order), fmt)
    return plans
