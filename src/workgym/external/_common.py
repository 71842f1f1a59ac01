"""What the external-benchmark adapters share: specs, grades, run folders, install checks.

Every external result lands in the run format of workgym itself: a folder with
``config.json`` and ``traces.jsonl``, one :class:`~workgym.core.Trace` per test case and
sample. The spec of a test case is ``TaskSpec(family="<benchmark>/<category>", version=1,
seed=<stable index of the case>)``, so ``workgym report`` and ``workgym compare`` group
external results per benchmark category and pair them across checkpoints.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from workgym.agent import DEFAULT_MAX_TOKENS, EndpointConfig
from workgym.core import CriterionResult, Grade, TaskSpec, Trace

CONFIG_FILE = "config.json"
TRACES_FILE = "traces.jsonl"
SPEC_VERSION = 1
"""Version of every external spec: the case a seed names is fixed by the pinned package."""

NO_DEPS_REQUIREMENTS = Path(__file__).with_name("requirements-nodeps.txt")
"""Packages installed with ``pip install --no-deps`` (their declared dependencies are huge
or conflict with workgym's, and the offline paths need only the ``bfcl``/``tau2`` extras)."""


class NotInstalledError(RuntimeError):
    """An external benchmark package is missing; the message says how to install it."""


def require(module: str, package: str, extra: str) -> None:
    """Raise :class:`NotInstalledError` with the exact fix when ``module`` cannot be found.

    Args:
        module: the importable module (``bfcl_eval``).
        package: the distribution pinned in ``requirements-nodeps.txt``.
        extra: workgym's extra that installs its runtime dependencies.
    """
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise NotInstalledError(
            f"{package} is not installed. Install it with:\n"
            f"  pip install 'workgym[{extra}]'\n"
            f"  pip install --no-deps -r {NO_DEPS_REQUIREMENTS}"
        )


def package_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


ConfigT = TypeVar("ConfigT", bound=BaseModel)


def pin_installed(config: ConfigT, module: str, package: str, extra: str) -> ConfigT:
    """``config`` with its ``package`` field naming the installed version of ``package``.

    The run config records the version that actually ran (its data and checkers define
    the cases), so a run resumed under another version is refused by :func:`open_run`.

    Args:
        config: a run config with a ``package`` field.
        module: the importable module (``bfcl_eval``).
        package: the distribution (``bfcl-eval``).
        extra: workgym's extra that installs its runtime dependencies.

    Raises:
        NotInstalledError: ``module`` cannot be found.
    """
    require(module, package, extra)
    return config.model_copy(update={"package": f"{package}=={package_version(package)}"})


def case_spec(benchmark: str, category: str, index: int) -> TaskSpec:
    """The spec of one external test case.

    Args:
        benchmark: ``bfcl``, ``tau2`` or ``toolathlon``.
        category: the benchmark's category (``simple_python``, ``airline``...).
        index: stable index of the case within its category.
    """
    return TaskSpec(family=f"{benchmark}/{category}", version=SPEC_VERSION, seed=index)


def checker_grade(results: Sequence[CriterionResult], *, truncated: bool = False,
                  n_calls: int = 0) -> Grade:
    """A Grade from criteria a benchmark's own checker decided."""
    return Grade(criteria=list(results), truncated=truncated, n_calls=n_calls)


def criterion(name: str, passed: bool | None, evidence: str,
              kind: Literal["state", "trajectory", "answer"] = "state") -> CriterionResult:
    """One outcome criterion (weight 1) decided by a benchmark's checker."""
    text = evidence if len(evidence) <= 2000 else evidence[:1997] + "..."
    return CriterionResult(name=name, kind=kind, weight=1.0, guard=False, passed=passed,
                           evidence=text)


class RequestShape(BaseModel):
    """What every chat-completions request to one endpoint carries, whichever benchmark
    builds it (BFCL's handler, tau2's agent or its user simulator).

    Servers differ in what they need to see the tools and accept a conversation:
    llama-cpp-python ignores the tools of a request without ``tool_choice`` and its chat
    templates refuse a message whose ``content`` is ``null`` or missing; vLLM and SGLang
    need a tool-call parser started with the server (see docs/external.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool_choice: Literal["auto", "required", "none"] | None = "auto"
    """Sent as ``tool_choice`` with every request that offers tools (None: whatever the
    benchmark sends). ``required`` forbids answering without a call, which fails every
    case where calling nothing is right."""
    max_tokens: int | None = Field(default=DEFAULT_MAX_TOKENS, ge=1)
    """Sent as ``max_tokens`` (None: whatever the benchmark sends; the server's default is
    the whole context on some servers, so a looping model holds a request for minutes)."""
    system_message: bool = False
    """Open with an empty system message a conversation that offers tools but has none.
    llama-cpp-python's ``chatml-function-calling`` format writes the tools into the system
    message only, so without one they never reach the model. Off by default: where a chat
    template adds a default system prompt of its own, an empty one changes what the model
    reads."""


def _plain_message(message: Any) -> dict[str, Any]:
    if isinstance(message, Mapping):
        return dict(message)
    dump = getattr(message, "model_dump", None)  # a response message fed back as history
    if callable(dump):
        return dict(dump(exclude_none=True))
    raise ValueError(f"a chat message must be a mapping or a pydantic model, not "
                     f"{type(message).__name__}")


def wire_message(message: Any) -> dict[str, Any]:
    """One chat message as it goes on the wire: a plain dict, ``content`` always present
    and a string (``null`` and missing become ``""``; a list of content parts is kept),
    no ``null`` fields, no empty ``tool_calls``.

    Some clients drop ``null`` fields (litellm sends an assistant tool-call message
    without ``content``), and templates that read ``message.content`` strictly then fail
    the whole request.

    Raises:
        ValueError: ``message`` is neither a mapping nor a pydantic model.
    """
    plain = _plain_message(message)
    out = {key: value for key, value in plain.items() if value is not None}
    if not out.get("tool_calls"):
        out.pop("tool_calls", None)
    if not isinstance(out.get("content"), (str, list)):
        content = out.get("content")
        out["content"] = "" if content is None else str(content)
    return out


def shape_request(request: Mapping[str, Any], shape: RequestShape) -> dict[str, Any]:
    """The keyword arguments of one chat-completions request with ``shape`` applied.

    Every message goes through :func:`wire_message`; a request that offers tools gets
    the shape's ``tool_choice`` (and, with ``system_message``, an empty system message
    when it has none); a request without tools carries neither ``tools`` nor
    ``tool_choice`` (OpenAI refuses a ``tool_choice`` without tools); ``max_tokens`` is
    the shape's where it sets one. Fields the shape leaves ``None`` keep the benchmark's
    value. This is the one place the external adapters shape requests: BFCL's handler and
    tau2's agent and user simulator all go through it.

    Args:
        request: ``model``, ``messages``, ``tools`` and the sampling arguments, as the
            benchmark would pass them to its client.
        shape: the endpoint's request shape.

    Returns:
        A new dict; ``request`` and its messages are left as they were.

    Raises:
        ValueError: a message is neither a mapping nor a pydantic model.
    """
    out = dict(request)
    messages = [wire_message(m) for m in request.get("messages") or []]
    tools = out.get("tools")
    if tools:
        if shape.tool_choice is not None:
            out["tool_choice"] = shape.tool_choice
        if shape.system_message and not any(m.get("role") == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": ""})
    else:
        out.pop("tools", None)
        out.pop("tool_choice", None)
    if shape.max_tokens is not None:
        out["max_tokens"] = shape.max_tokens
    out["messages"] = messages
    return out


def lenient_arguments(text: str) -> str:
    """Tool-call arguments with raw control characters inside strings escaped.

    Some servers' grammars let a raw newline or tab into a JSON string of the arguments
    (llama-cpp-python did, serving SmolLM2). Strict JSON parsers refuse it, and tau2's
    agent raises on it and ends the whole simulation, though the call means the same
    with the character escaped. Arguments that are valid, or invalid for any other
    reason, come back unchanged (the benchmark scores them as it would).
    """
    try:
        json.loads(text)
        return text
    except ValueError:
        pass
    try:
        value = json.loads(text, strict=False)
    except ValueError:
        return text
    return json.dumps(value, ensure_ascii=False)


class EndpointSettings(EndpointConfig):
    """The model under test, as an external benchmark calls it: workgym's
    ``EndpointConfig`` (address, model, retries, time limit) with the sampling
    temperature and the shape of every request. The benchmarks send their requests with
    their own clients, which retry in their own way: ``backoff_s``, ``backoff_max_s`` and
    ``client`` apply to workgym's own requests only."""

    temperature: float = Field(default=0.7, ge=0.0)
    """Sampling temperature. pass@k needs k different samples, so the default samples;
    BFCL's leaderboard itself uses 0.001."""
    request: RequestShape = Field(default_factory=RequestShape)
    """``tool_choice``, ``max_tokens`` and message shape of every request to it."""


OPERATIONAL_FIELDS = frozenset({"concurrency", "timeout_s", "retries", "backoff_s",
                                "backoff_max_s", "client", "workers", "base_url",
                                "user_base_url"})
"""Config fields that may change when a run is resumed."""


def _identity(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in OPERATIONAL_FIELDS:
            continue
        out[key] = _identity(value) if isinstance(value, dict) else value
    return out


class RunMismatchError(ValueError):
    """The output folder holds a run of another configuration."""


def open_run(folder: Path, config: BaseModel, *, overwrite: bool = False) -> None:
    """Create or reopen a run folder and save the resolved config in it.

    Raises:
        RunMismatchError: the folder holds a run of another config (and not ``overwrite``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_FILE
    data = config.model_dump(mode="json")
    if path.exists() and not overwrite:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if _identity(saved) != _identity(data):
            keys = sorted(k for k in set(saved) | set(data)
                          if k not in OPERATIONAL_FIELDS and saved.get(k) != data.get(k))
            raise RunMismatchError(
                f"{folder} holds a run of another configuration (differs in: "
                f"{', '.join(keys)}); use another folder or --overwrite")
    if overwrite:
        (folder / TRACES_FILE).unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_traces(folder: Path, traces: Iterable[Trace]) -> int:
    """Replace the run's ``traces.jsonl`` with ``traces`` (atomically); return the count."""
    path = folder / TRACES_FILE
    tmp = path.with_suffix(".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for trace in traces:
            handle.write(trace.model_dump_json() + "\n")
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return count


def read_traces(path: Path) -> list[Trace]:
    """Traces of one JSONL file, skipping a cut-off last line."""
    if not path.exists():
        return []
    traces = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                traces.append(Trace.model_validate_json(line))
            except ValueError:
                continue
    return traces


TRANSIENT_ERRORS = frozenset({
    "APIConnectionError", "APITimeoutError", "Timeout", "RateLimitError",
    "InternalServerError", "ServiceUnavailableError", "BadGatewayError", "ConnectError",
    "ConnectTimeout", "ReadTimeout", "RemoteProtocolError",
})
"""Exception classes that mean the endpoint failed (down, overloaded, too slow), as raised
by openai, litellm and httpx. Such samples become error traces: left out of the metrics,
never counted as a 0, and run again when the run is resumed."""


def transient_error(name: str, message: str = "") -> bool:
    """Whether an exception (class name, message) is the endpoint failing."""
    return name.rsplit(".", 1)[-1] in TRANSIENT_ERRORS


def endpoint_error(traceback_text: str) -> bool:
    """Whether a formatted traceback ends in an exception of the endpoint failing."""
    lines = [line.strip() for line in traceback_text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    name = last.split(":", 1)[0].strip()
    return bool(name) and " " not in name and transient_error(name)


# -- did the tools reach the model? -------------------------------------------------------

CHARS_PER_PROMPT_TOKEN = 8.0
"""A prompt that held the tool schemas it was sent has at least one token per this many
characters of their JSON. Tokenizers give one per 3 to 4 characters of JSON, and chat
templates that leave out the descriptions still write the parameters, so only a prompt
that never held the tools falls below it (BFCL's ``simple_python`` without its tools:
about one token per 15 characters). Checked over a whole run, not per case."""


NO_CALL_CATEGORIES = frozenset({"irrelevance", "live_irrelevance"})
"""BFCL categories where the right answer calls no function: a model that never sees the
tools passes them, so the tool-reach check marks them unreliable when it finds so."""


def tool_meta(tools: Sequence[Any], *, first_prompt_tokens: int | None,
              expects_call: bool) -> dict[str, Any]:
    """The trace ``meta`` entries :func:`tool_reach` reads, for one case.

    Args:
        tools: the tool schemas the case's requests offered.
        first_prompt_tokens: prompt tokens of the case's first request, as the server
            counted them (None or 0: not reported).
        expects_call: whether a tool call is part of a right answer (False where calling
            nothing is right: BFCL's irrelevance categories).
    """
    chars = len(json.dumps(list(tools), ensure_ascii=False)) if tools else 0
    return {"tools_offered": len(tools), "tool_schema_chars": chars,
            "first_prompt_tokens": first_prompt_tokens or None, "expects_call": expects_call}


class ToolReach(BaseModel):
    """Whether the tools reached the model, as a run's traces show it.

    A server that drops the tools (llama-cpp-python without ``tool_choice``, vLLM without
    a tool-call parser) makes every function-call case fail and every case where calling
    nothing is right pass for free; this check says so instead of reporting the scores.
    """

    model_config = ConfigDict(frozen=True)

    verdict: Literal["ok", "no_tool_calls", "tools_not_in_prompt", "unchecked"]
    """``ok``: some case made a tool call and the prompts were long enough to hold the
    tools. ``no_tool_calls``: not one case of a function-call category made a call.
    ``tools_not_in_prompt``: the prompts were too short to have held the tool schemas
    sent. ``unchecked``: the traces cannot tell (no case recorded its tools, or only
    cases where calling nothing is right and no call was made)."""
    cases: int
    """Graded traces whose requests offered tools."""
    with_calls: int
    """Of those, traces with at least one tool call."""
    call_cases: int
    """Graded traces of function-call categories (a call is part of the right answer)."""
    call_cases_with_calls: int
    """Of those, traces with at least one tool call."""
    prompt_tokens: int
    """First-request prompt tokens, summed over the traces that report them."""
    schema_chars: int
    """Characters of the tool schemas those same traces sent."""
    no_call_families: list[str] = Field(default_factory=list)
    """Families where calling nothing is right (``bfcl/irrelevance``...)."""
    message: str = ""
    """What the verdict means and how to fix it; empty when ``ok``."""

    @property
    def unreliable(self) -> bool:
        """The run shows the model never saw the tools: its scores measure nothing, and
        those of :attr:`no_call_families` are free points."""
        return self.verdict in ("no_tool_calls", "tools_not_in_prompt")


_FIX = ("Send tool_choice (--tool-choice auto), serve the model with a tool-calling chat "
        "format or parser, and for llama-cpp-python's chatml-function-calling open each "
        "conversation with a system message (--system-message); docs/external.md lists "
        "the flags each server needs.")


def _with_tool_meta(trace: Trace) -> Trace:
    if "tools_offered" in trace.meta:
        return trace
    benchmark = trace.meta.get("benchmark")
    if benchmark not in ("bfcl", "tau2"):
        return trace
    category = trace.spec.family.split("/", 1)[-1]
    meta = {"tools_offered": 1, "tool_schema_chars": 0, "first_prompt_tokens": None,
            "expects_call": not (benchmark == "bfcl" and category in NO_CALL_CATEGORIES)}
    return trace.model_copy(update={"meta": {**trace.meta, **meta}})


def tool_reach(traces: Sequence[Trace]) -> ToolReach:
    """Whether the tools reached the model in the run made of ``traces``.

    Reads the entries :func:`tool_meta` wrote into each trace's ``meta`` and the trace's
    tool-call count; error traces are left out. BFCL and tau2 traces written before
    those entries existed count as offering tools (every case of both does), with no
    prompt count and BFCL's irrelevance categories as the ones where no call is right,
    so older runs are checked too.
    """
    checked = [_with_tool_meta(t) for t in traces if t.error is None and t.grade is not None]
    checked = [t for t in checked if t.meta.get("tools_offered")]
    if not checked:
        return ToolReach(verdict="unchecked", cases=0, with_calls=0, call_cases=0,
                         call_cases_with_calls=0, prompt_tokens=0, schema_chars=0,
                         message="no trace records the tools it offered; tool reach not "
                                 "checked")
    calls = [t for t in checked if t.meta.get("expects_call", True)]
    measured = [t for t in checked if isinstance(t.meta.get("first_prompt_tokens"), int)
                and t.meta["first_prompt_tokens"] > 0 and t.meta.get("tool_schema_chars")]
    tokens = sum(int(t.meta["first_prompt_tokens"]) for t in measured)
    chars = sum(int(t.meta["tool_schema_chars"]) for t in measured)
    with_calls = sum(t.stats.tool_calls > 0 for t in checked)
    call_with = sum(t.stats.tool_calls > 0 for t in calls)
    free = sorted({t.spec.family for t in checked if not t.meta.get("expects_call", True)})
    verdict: Literal["ok", "no_tool_calls", "tools_not_in_prompt", "unchecked"] = "ok"
    message = ""
    if measured and chars > CHARS_PER_PROMPT_TOKEN * tokens:
        verdict = "tools_not_in_prompt"
        message = (f"the tools did not reach the model: {len(measured)} requests sent "
                   f"{chars} characters of tool schemas in prompts of {tokens} tokens in "
                   f"all (fewer than one token per {CHARS_PER_PROMPT_TOKEN:g} characters), "
                   f"and {with_calls} of {len(checked)} cases made a tool call.")
    elif calls and with_calls == 0:
        verdict = "no_tool_calls"
        message = (f"not one of the {len(calls)} cases of function-call categories made a "
                   "tool call: the tools most likely never reached the model.")
    elif not calls and with_calls == 0:
        verdict = "unchecked"
        message = ("only cases where calling nothing is right ran, and none made a call: "
                   "whether the model saw the tools cannot be told; add a function-call "
                   "category to check it.")
    if verdict in ("no_tool_calls", "tools_not_in_prompt"):
        message += " The scores of this run measure the server, not the model"
        message += (f"; those of {', '.join(free)} (where calling nothing is right) are "
                    "unreliable: a model that cannot see the tools passes them without "
                    "trying." if free else ".")
        message += " " + _FIX
    return ToolReach(verdict=verdict, cases=len(checked), with_calls=with_calls,
                     call_cases=len(calls), call_cases_with_calls=call_with,
                     prompt_tokens=tokens, schema_chars=chars, no_call_families=free,
                     message=message)


class ExternalResult(BaseModel):
    """What a run of an external benchmark produced."""

    model_config = ConfigDict(frozen=True)

    folder: str
    traces: int
    errors: int
    """Error traces (endpoint failures): left out of the metrics."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Categories not run, and why."""
    rows: list[dict[str, Any]] = Field(default_factory=list)
    """Per category: cases, pass@1, pass@k (and pass^k where the benchmark reports it),
    the share of graded traces with a tool call, and ``unreliable`` where the run shows
    the model never saw the tools."""
    tool_reach: ToolReach | None = None
    """Whether the tools reached the model (see :class:`ToolReach`)."""


def external_result(folder: Path, traces: Sequence[Trace], k: int, *, hat: bool = False,
                    skipped: dict[str, str] | None = None) -> ExternalResult:
    """The result of a run whose traces are ``traces``: counts, per-category rows and the
    tool-reach check.

    Args:
        folder: the run folder.
        traces: every trace of the run, error traces included.
        k: the k of the reported pass@k (and pass^k).
        hat: also report pass^k.
        skipped: categories not run, and why.
    """
    reach = tool_reach(traces)
    return ExternalResult(folder=str(folder), traces=len(traces),
                          errors=sum(t.error is not None for t in traces),
                          skipped=skipped or {},
                          rows=category_rows(traces, k, hat=hat, reach=reach),
                          tool_reach=reach)


def unreliable_groups(reach: ToolReach) -> set[str]:
    """Families (and ``all``) whose scores a run with ``reach`` cannot be trusted on:
    where calling nothing is right, when the run shows the model never saw the tools."""
    if not reach.unreliable or not reach.no_call_families:
        return set()
    return {*reach.no_call_families, "all"}


def category_rows(traces: Sequence[Trace], k: int, *, hat: bool = False,
                  reach: ToolReach | None = None) -> list[dict[str, Any]]:
    """Per family (benchmark category) and overall: cases, pass@1, pass@k (and pass^k),
    and ``with calls``, the share of graded traces that made a tool call.

    Uses the eval package's unbiased estimators; error traces are left out. Rows whose
    scores ``reach`` makes unreliable carry ``unreliable: True``.
    """
    from workgym.eval import mean_metric, task_outcomes

    outcomes = task_outcomes(traces)
    groups: dict[str, list[Any]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.spec.family, []).append(outcome)
    graded = [t for t in traces if t.error is None and t.grade is not None]
    unreliable = unreliable_groups(reach) if reach is not None else set()
    rows = []
    for name, group in [*sorted(groups.items()), ("all", outcomes)]:
        row: dict[str, Any] = {"category": name, "cases": len(group),
                               "pass@1": mean_metric(group, "pass@1").value}
        if k > 1:
            row[f"pass@{k}"] = mean_metric(group, f"pass@{k}").value
            if hat:
                row[f"pass^{k}"] = mean_metric(group, f"pass^{k}").value
        members = [t for t in graded if name == "all" or t.spec.family == name]
        row["with calls"] = (sum(t.stats.tool_calls > 0 for t in members) / len(members)
                             if members else float("nan"))
        if name in unreliable:
            row["unreliable"] = True
        rows.append(row)
    return rows


ENDPOINT_HINTS: tuple[tuple[str, str], ...] = (
    ("has no attribute 'content'",
     ("the server's chat template read a message without a string content; workgym sends "
      "every message with one, so check that the server runs the chat format "
      "docs/external.md gives for it")),
    ("template",
     ("the server's chat template could not render this conversation; check the chat "
      "format the server was started with (docs/external.md)")),
)
"""(text in an endpoint's error, what it likely means): the first match is appended."""


def endpoint_hint(text: str) -> str:
    """``text`` (an endpoint error) with the likely cause and fix appended when known."""
    lowered = text.lower()
    for needle, hint in ENDPOINT_HINTS:
        if needle in lowered:
            return f"{text} [{hint}]"
    return text
