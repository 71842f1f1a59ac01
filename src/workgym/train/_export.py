"""SFT data: reference-solution trajectories and successful traces as chat rows.

A row is what TRL's ``SFTTrainer`` and ``datasets.load_dataset("json" | "parquet")`` read
directly: ``{"messages": [...], "tools": [...], ...metadata}``. Messages follow the
Hugging Face chat format for tool calling: assistant ``tool_calls`` entries carry their
``arguments`` as an object (chat templates serialize them), ``tool`` messages carry the
``name`` of the tool they answer, and ``tools`` holds the episode's OpenAI tool schemas.

Rows rendered as ``text`` are for a model whose chat template knows no tools (the
embedded SmolLM2): plain ``role``/``content`` messages exactly as
:class:`workgym.agent.LocalPolicy` shows them to the model (tools described in the system
prompt, calls as ``<tool_call>[...]</tool_call>`` lists, results as ``<tool_response>``
user turns), and an empty ``tools`` list.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workgym.core import Task, TaskSpec, Trace, make_from_spec

ArgumentsFormat = Literal["object", "string"]
OutputFormat = Literal["jsonl", "parquet"]
Render = Literal["tools", "text"]
"""``tools``: Hugging Face tool-calling messages; ``text``: the local model's text format."""

ROW_METADATA = ("task_id", "family", "difficulty", "score", "source", "spec")
"""The metadata columns of every row, besides ``messages`` and ``tools``."""


class MalformedTrace(ValueError):
    """A trace whose messages cannot become a training row (e.g. tool-call arguments
    that are not a JSON object)."""


@dataclass
class ExportStats:
    """What an export kept and what it dropped, by reason."""

    rows: int = 0
    """Rows written."""
    dropped: Counter[str] = field(default_factory=Counter)
    """Dropped rows by reason: ``holdout``, ``below_min_score``, ``truncated``, ``error``,
    ``ungraded``, ``malformed``, ``reference_failed``."""

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "dropped": dict(sorted(self.dropped.items()))}


def is_holdout_spec(spec: TaskSpec) -> bool:
    """Whether ``spec`` belongs to the holdout split (never trained on)."""
    from workgym.agent import is_holdout

    return is_holdout(spec.family, spec.seed)


# -- tools ---------------------------------------------------------------------------------

_TOOLS_CACHE: dict[tuple[str, str, tuple[str, ...]], list[dict[str, Any]]] = {}


def task_tools(task: Task) -> list[dict[str, Any]]:
    """The OpenAI tool schemas an episode of ``task`` exposes.

    Read from a started episode (so interface variants are honoured) and cached per
    family, variant and app set: one world is materialized per distinct tool surface.
    """
    key = (task.spec.family_id, task.spec.variant, tuple(task.apps))
    if key not in _TOOLS_CACHE:
        with task.start() as episode:
            _TOOLS_CACHE[key] = episode.tools("openai")
    return [json.loads(json.dumps(tool)) for tool in _TOOLS_CACHE[key]]


# -- messages ------------------------------------------------------------------------------


def chat_row_messages(
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]],
    arguments: ArgumentsFormat = "object",
) -> list[dict[str, Any]]:
    """Rewrite an episode's OpenAI messages in the Hugging Face tool-calling chat format.

    Tool names become the OpenAI form listed in ``tools`` (``files.read`` ->
    ``files_read``), assistant content is never null, each ``tool`` message gets the
    ``name`` of the call it answers, and tool-call arguments become objects (or stay JSON
    text with ``arguments="string"``, the OpenAI fine-tuning format).

    Raises:
        MalformedTrace: arguments that are not a JSON object, or a tool message that
            answers no call.
    """
    known = {tool["function"]["name"] for tool in tools}
    names_by_id: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    for msg in messages:
        role = msg.get("role")
        if role == "assistant":
            out: dict[str, Any] = {"role": "assistant", "content": msg.get("content") or ""}
            calls = []
            for index, call in enumerate(msg.get("tool_calls") or []):
                fn = call.get("function") or {}
                name = _openai_name(str(fn.get("name", "")), known)
                call_id = call.get("id") or f"call_{len(rows)}_{index}"
                names_by_id[call_id] = name
                calls.append({"id": call_id, "type": "function",
                              "function": {"name": name,
                                           "arguments": _arguments(fn.get("arguments"), arguments)}})
            if calls:
                out["tool_calls"] = calls
            if msg.get("reasoning_content"):
                out["reasoning_content"] = msg["reasoning_content"]
            rows.append(out)
        elif role == "tool":
            call_id = msg.get("tool_call_id") or ""
            if call_id not in names_by_id:
                raise MalformedTrace(f"tool message answers unknown call id {call_id!r}")
            rows.append({"role": "tool", "tool_call_id": call_id, "name": names_by_id[call_id],
                         "content": msg.get("content") or ""})
        elif role in ("system", "user"):
            rows.append({"role": role, "content": msg.get("content") or ""})
        else:
            raise MalformedTrace(f"unexpected message role {role!r}")
    return rows


def _openai_name(name: str, known: set[str]) -> str:
    if name in known:
        return name
    # canonical app.method -> app_method (app names hold no underscore or dot)
    converted = name.replace(".", "_", 1)
    return converted if converted in known else name


def _arguments(raw: Any, fmt: ArgumentsFormat) -> dict[str, Any] | str:
    if isinstance(raw, dict):
        value = raw
    else:
        try:
            value = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
        except ValueError:
            raise MalformedTrace(f"tool-call arguments are not valid JSON: {raw!r:.80}") from None
    if not isinstance(value, dict):
        raise MalformedTrace(f"tool-call arguments are not a JSON object: {raw!r:.80}")
    return value if fmt == "object" else json.dumps(value, ensure_ascii=False)


def trace_row(
    trace: Trace,
    tools: Sequence[dict[str, Any]],
    *,
    source: str = "trace",
    arguments: ArgumentsFormat = "object",
    render: Render = "tools",
) -> dict[str, Any]:
    """One SFT row from a graded trace and its episode's tools.

    Raises:
        MalformedTrace: see ``chat_row_messages``.
    """
    if render == "text":
        from workgym.agent import chat_messages

        messages = chat_messages(chat_row_messages(trace.messages, tools, "string"), tools)
        offered: list[dict[str, Any]] = []
    else:
        messages, offered = chat_row_messages(trace.messages, tools, arguments), list(tools)
    return {
        "messages": messages,
        "tools": offered,
        "task_id": trace.task_id,
        "family": trace.spec.family_id,
        "difficulty": trace.spec.difficulty,
        "score": trace.score,
        "source": source,
        "spec": trace.spec.to_json(),
    }


# -- sources -------------------------------------------------------------------------------


def reference_rows(
    specs: Iterable[TaskSpec],
    stats: ExportStats | None = None,
    *,
    system_prompt: str | None = None,
    max_tool_output_chars: int | None = None,
    arguments: ArgumentsFormat = "object",
    render: Render = "tools",
    concurrency: int = 8,
) -> Iterator[dict[str, Any]]:
    """Rows of reference-solution trajectories, one per train-split task.

    Each task's reference plan is rolled out through the agent's episode loop (one call
    per turn, then the reference answer), so the messages are exactly those a policy
    would have produced and seen. Holdout tasks and references that do not score 1.0 are
    dropped and counted in ``stats``.

    Args:
        specs: the tasks.
        stats: counts kept and dropped rows, when given.
        system_prompt: the system message (default: the agent loop's).
        max_tool_output_chars: cut longer tool outputs as the loop does (default: the
            loop's).
        arguments: ``object`` (Hugging Face chat templates) or ``string`` (OpenAI).
        render: ``tools`` (tool-calling messages) or ``text`` (the local model's format).
        concurrency: episodes rolled out at once.
    """
    from workgym.agent import LoopConfig, ReferencePolicy, run_episode

    stats = stats if stats is not None else ExportStats()
    train_specs = []
    for spec in specs:
        if is_holdout_spec(spec):
            stats.dropped["holdout"] += 1
        else:
            train_specs.append(spec)

    async def rollout(spec: TaskSpec, limit: asyncio.Semaphore) -> tuple[Trace, Task]:
        async with limit:
            task = await asyncio.to_thread(make_from_spec, spec)
            options: dict[str, Any] = {"max_turns": len(task.reference) + 1}
            if system_prompt is not None:
                options["system_prompt"] = system_prompt
            if max_tool_output_chars is not None:
                options["max_tool_output_chars"] = max_tool_output_chars
            return await run_episode(task, ReferencePolicy(), LoopConfig(**options)), task

    async def rollouts(batch: list[TaskSpec]) -> list[tuple[Trace, Task]]:
        limit = asyncio.Semaphore(max(1, concurrency))
        return await asyncio.gather(*(rollout(spec, limit) for spec in batch))

    # Batches keep memory flat on large suites while rows stream out in spec order.
    step = max(1, concurrency) * 8
    for start in range(0, len(train_specs), step):
        for trace, task in asyncio.run(rollouts(train_specs[start:start + step])):
            if trace.error is not None or trace.grade is None or trace.grade.score < 1.0:
                stats.dropped["reference_failed"] += 1
                continue
            try:
                row = trace_row(trace, task_tools(task), source="reference", arguments=arguments,
                                render=render)
            except MalformedTrace:
                stats.dropped["malformed"] += 1
                continue
            stats.rows += 1
            yield row


def rows_from_traces(
    traces: Iterable[Trace],
    stats: ExportStats | None = None,
    *,
    min_score: float = 1.0,
    arguments: ArgumentsFormat = "object",
    render: Render = "tools",
) -> Iterator[dict[str, Any]]:
    """Rows of successful traces (rejection sampling).

    Kept: graded traces of train-split tasks that were not truncated and scored at least
    ``min_score``. Everything else is dropped and counted in ``stats`` by reason.

    Raises:
        ValueError: ``min_score`` outside 0..1.
    """
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must be within 0..1, got {min_score}")
    stats = stats if stats is not None else ExportStats()
    for trace in traces:
        if trace.error is not None:
            reason = "error"
        elif trace.grade is None:
            reason = "ungraded"
        elif is_holdout_spec(trace.spec):
            reason = "holdout"
        elif trace.truncated:
            reason = "truncated"
        elif trace.grade.score < min_score:
            reason = "below_min_score"
        else:
            reason = ""
        if reason:
            stats.dropped[reason] += 1
            continue
        try:
            row = trace_row(trace, task_tools(make_from_spec(trace.spec)), arguments=arguments,
                            render=render)
        except MalformedTrace:
            stats.dropped["malformed"] += 1
            continue
        stats.rows += 1
        yield row


# -- writing -------------------------------------------------------------------------------


def output_format(path: str | Path, fmt: OutputFormat | None = None) -> OutputFormat:
    """The format to write ``path`` in: ``fmt`` when given, else from its suffix.

    Raises:
        ValueError: no format given and the suffix is neither .jsonl nor .parquet.
    """
    if fmt is not None:
        if fmt not in ("jsonl", "parquet"):
            raise ValueError(f"format must be 'jsonl' or 'parquet', got {fmt!r}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".json"):
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    raise ValueError(f"cannot tell the format of {path}: name it .jsonl or .parquet, "
                     "or pass the format")


def write_rows(rows: Iterable[dict[str, Any]], path: str | Path,
               fmt: OutputFormat | None = None) -> int:
    """Write SFT rows as JSONL (one row a line) or Parquet. Returns the number written.

    Parquet is written through ``datasets`` with ``messages`` and ``tools`` as JSON
    columns, so rows whose tool calls and schemas differ keep their exact shape (no
    union of keys filled with nulls) when ``load_dataset("parquet")`` reads them back.

    Raises:
        ValueError: unknown format; Parquet without the ``datasets`` package.
    """
    fmt = output_format(path, fmt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        count = 0
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        tmp.replace(path)
        return count
    try:
        import datasets
    except ImportError:
        raise ValueError("Parquet output needs the datasets package: "
                         "pip install 'workgym[train]' (or write .jsonl)") from None
    features = datasets.Features({
        "messages": datasets.List(datasets.Json()),
        "tools": datasets.List(datasets.Json()),
        "task_id": datasets.Value("string"),
        "family": datasets.Value("string"),
        "difficulty": datasets.Value("string"),
        "score": datasets.Value("float64"),
        "source": datasets.Value("string"),
        "spec": datasets.Value("string"),
    })
    materialized = list(rows)
    dataset = datasets.Dataset.from_list(materialized, features=features)
    dataset.to_parquet(str(path))
    return len(materialized)
