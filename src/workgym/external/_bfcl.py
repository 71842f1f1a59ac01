"""BFCL-V4 through the ``bfcl-eval`` package: its data, its generation pipeline, its checkers.

The endpoint is registered in BFCL as a function-calling chat-completions model (BFCL's
OpenAI handler with the user's base URL). Each of the k samples runs in its own process
with its own BFCL project root (see ``_bfcl_worker``), generates every offline category
and is scored by BFCL's own checkers; each scored test case becomes one Trace.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workgym.core import CallRecord, Trace, TraceStats, Usage
from workgym.external._bfcl_worker import BfclJob
from workgym.external._common import (
    NO_CALL_CATEGORIES,
    EndpointSettings,
    ExternalResult,
    case_spec,
    checker_grade,
    criterion,
    endpoint_error,
    endpoint_hint,
    external_result,
    open_run,
    pin_installed,
    read_traces,
    tool_meta,
    write_traces,
)

BFCL_PACKAGE = "bfcl-eval"
BFCL_PIN = "2026.3.23"
"""The ``bfcl-eval`` version this adapter is written and tested against."""

NEEDS_NETWORK: dict[str, str] = {
    "web_search_base": "calls a live web search (SerpAPI) and fetches web pages",
    "web_search_no_snippet": "calls a live web search (SerpAPI) and fetches web pages",
    "memory_vector": "downloads a sentence-transformers embedding model from the Hugging Face Hub",
}
"""Scoring categories that cannot run offline: listed as skipped, never scored 0."""

NOT_FOR_FC: dict[str, str] = {
    "format_sensitivity": "not scored; BFCL runs it for prompting models only, not "
                          "function-calling ones",
}

GROUP_ALIASES: dict[str, list[str]] = {
    "simple": ["simple_python", "simple_java", "simple_javascript"],
}
"""Names accepted besides BFCL's own categories and groups (``live``, ``multi_turn``...)."""


class BfclConfig(BaseModel):
    """A BFCL run; saved as the run's ``config.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    benchmark: Literal["bfcl"] = "bfcl"
    package: str = f"{BFCL_PACKAGE}=={BFCL_PIN}"
    """The installed ``bfcl-eval`` (its data and checkers define the cases)."""
    endpoint: EndpointSettings
    """The model under test."""
    k: int = Field(default=1, ge=1)
    """Independent generations per test case (pass@k)."""
    categories: list[str]
    """BFCL categories run."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Categories asked for (or in ``all``) that were not run, and why."""
    limit: int | None = Field(default=None, ge=1)
    """Only the first N test cases of each category (None: all)."""
    concurrency: int = Field(default=8, ge=1)
    """Requests in flight over all samples."""


def _bfcl_groups() -> tuple[list[str], dict[str, list[str]]]:
    from bfcl_eval.constants.category_mapping import (
        ALL_SCORING_CATEGORIES,
        TEST_COLLECTION_MAPPING,
    )

    return list(ALL_SCORING_CATEGORIES), {k: list(v) for k, v in TEST_COLLECTION_MAPPING.items()}


def resolve_categories(
    names: Sequence[str] | None,
    groups: tuple[list[str], dict[str, list[str]]] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The categories to run and the ones skipped (with the reason).

    Args:
        names: BFCL categories or groups (``simple``, ``live``, ``multi_turn``, ``memory``,
            ``non_live``, ``all``...); None or empty means every offline category.
        groups: BFCL's scoring categories and group map (read from the package if None).

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    scoring, mapping = groups or _bfcl_groups()
    mapping = {**mapping, **GROUP_ALIASES, "all": scoring + list(NOT_FOR_FC)}
    wanted: list[str] = []
    for name in names or ["all"]:
        if name in mapping:
            wanted += mapping[name]
        elif name in scoring or name in NOT_FOR_FC:
            wanted.append(name)
        else:
            known = sorted(set(mapping) | set(scoring))
            raise ValueError(f"unknown BFCL category {name!r}; known: {', '.join(known)}")
    run: list[str] = []
    skipped: dict[str, str] = {}
    for name in dict.fromkeys(wanted):
        if name in NEEDS_NETWORK:
            skipped[name] = f"needs the network: {NEEDS_NETWORK[name]}"
        elif name in NOT_FOR_FC:
            skipped[name] = NOT_FOR_FC[name]
        else:
            run.append(name)
    if not run:
        raise ValueError("no offline BFCL category selected; skipped: " + ", ".join(skipped))
    return run, skipped


# -- conversion of BFCL results into traces -----------------------------------------------


def case_index(category: str, case_id: str) -> int:
    """The stable index BFCL gives a case: ``live_simple_3-2-1`` is case 3 of live_simple."""
    match = re.match(rf"{re.escape(category)}_(\d+)", case_id)
    if match is None:
        raise ValueError(f"{case_id!r} is not a test case id of {category!r}")
    return int(match.group(1))


def _checker(category: str) -> tuple[str, Literal["state", "trajectory", "answer"]]:
    if category.startswith("memory"):
        return "agentic_checker", "answer"
    if category.startswith("multi_turn"):
        return "multi_turn_checker", "state"
    if "relevance" in category:  # relevance and irrelevance
        return "relevance_checker", "trajectory"
    return "ast_checker", "trajectory"


def _failure_text(failure: dict[str, Any]) -> tuple[str, str]:
    """(error_type, message) of one failure entry of a BFCL score file."""
    error = failure.get("error")
    error_type = failure.get("error_type", "")
    if isinstance(error, dict):
        error_type = error.get("error_type", error_type)
        message = error.get("error_message", error.get("error", ""))
    else:
        message = error
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    return str(error_type), str(message or "")


def _total(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return sum(_total(v) for v in value)
    return 0.0


def _tool_calls(response: Any) -> list[tuple[str, str]] | None:
    """(name, arguments JSON) of an FC response, or None when it is text."""
    if not isinstance(response, list):
        return None
    calls = []
    for item in response:
        if isinstance(item, dict) and len(item) == 1:
            name, args = next(iter(item.items()))
            calls.append((str(name), args if isinstance(args, str) else json.dumps(args)))
    return calls


def _assistant(response: Any, turn: int, step: int) -> dict[str, Any]:
    calls = _tool_calls(response)
    if calls is None:
        return {"role": "assistant", "content": str(response)}
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{turn}_{step}_{i}", "type": "function",
         "function": {"name": name, "arguments": args}}
        for i, (name, args) in enumerate(calls)]}


def _first(value: Any) -> int | None:
    """The first number of BFCL's (possibly nested, per turn and step) token counts."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, list):
        for item in value:
            found = _first(item)
            if found is not None:
                return found
    return None


def _offered_tools(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The tools BFCL sends for a case, as OpenAI tool entries (for their size)."""
    functions = case.get("function") or []
    return [{"type": "function", "function": f} for f in functions if isinstance(f, dict)]


def _parse_args(text: str) -> tuple[Any, bool]:
    try:
        return json.loads(text), True
    except ValueError:
        return text, False


class _Transcript:
    """Messages, calls and counters rebuilt from one BFCL result entry."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.calls: list[CallRecord] = []
        self.stats = TraceStats()

    def assistant(self, response: Any, turn: int, step: int,
                  outputs: Sequence[str] | None = None) -> None:
        message = _assistant(response, turn, step)
        self.messages.append(message)
        self.stats.turns += 1
        calls = message.get("tool_calls") or []
        self.stats.tool_calls += len(calls)
        self.stats.parallel_turns += len(calls) >= 2
        for i, call in enumerate(calls):
            args, valid = _parse_args(call["function"]["arguments"])
            self.stats.invalid_json += not valid
            if outputs is None:  # single-turn categories score the call; nothing runs
                self.calls.append(CallRecord(name=call["function"]["name"], args=args,
                                             ok=valid, output=""))
                continue
            output = outputs[i] if i < len(outputs) else ""
            failed = output.startswith("Error during execution")
            self.stats.tool_errors += failed
            self.calls.append(CallRecord(name=call["function"]["name"], args=args,
                                         ok=valid and not failed, output=output,
                                         error="tool_error" if failed else None))
            self.messages.append({"role": "tool", "tool_call_id": call["id"], "content": output})


def _multi_turn(transcript: _Transcript, case: dict[str, Any], entry: dict[str, Any]) -> None:
    result = entry.get("result")
    turns: list[Any] = result if isinstance(result, list) else []
    logs = [log for log in entry.get("inference_log", []) if isinstance(log, dict)]
    for t, responses in enumerate(turns):
        log = logs[t] if t < len(logs) else {}
        query = log.get("begin_of_turn_query")
        if query is None and t < len(case.get("question", [])):
            query = case["question"][t]
        transcript.messages.extend(m for m in query or [] if isinstance(m, dict))
        for s, response in enumerate(responses if isinstance(responses, list) else []):
            step = log.get(f"step_{s}", [])
            outputs = [str(m.get("content", "")) for m in step
                       if isinstance(m, dict) and m.get("role") == "tool"]
            transcript.assistant(response, t, s, outputs)


def entry_trace(category: str, case: dict[str, Any], entry: dict[str, Any],
                failure: dict[str, Any] | None, *, sample: int, model: str,
                package: str = "") -> Trace:
    """One scored BFCL result entry as a Trace.

    Args:
        category: the BFCL category.
        case: the test case, as BFCL's ``load_dataset_entry`` gives it.
        entry: the model's result entry (BFCL result file line).
        failure: the entry of BFCL's score file for this case, None if it passed.
        sample: generation index.
        model: model name.
        package: ``bfcl-eval==VERSION``.
    """
    spec = case_spec("bfcl", category, case_index(category, entry["id"]))
    transcript = _Transcript()
    error: str | None = None
    result = entry.get("result")
    if (isinstance(result, str) and result.startswith("Error during inference")
            and endpoint_error(entry.get("traceback", ""))):
        error = endpoint_hint(result)
    if category.startswith(("multi_turn", "memory")):
        _multi_turn(transcript, case, entry)
    else:
        question = case.get("question") or [[]]
        transcript.messages.extend(m for m in question[0] if isinstance(m, dict))
        if error is None:
            transcript.assistant(result, 0, 0)
    name, kind = _checker(category)
    stop: Literal["answer", "max_turns", "error"] = "answer"
    truncated = False
    if failure is None:
        crit = criterion(name, True, f"BFCL {name}: valid", kind)
    else:
        error_type, message = _failure_text(failure)
        crit = criterion(name, False, f"{error_type}: {message}".strip(": "), kind)
        if error_type.endswith("force_terminated"):
            stop, truncated = "max_turns", True
    if error is not None:
        stop = "error"
    return Trace(
        task_id=spec.id, spec=spec, sample=sample, policy="openai", model=model,
        messages=transcript.messages, calls=transcript.calls,
        usage=Usage(prompt_tokens=int(_total(entry.get("input_token_count"))),
                    completion_tokens=int(_total(entry.get("output_token_count")))),
        stats=transcript.stats, stop_reason=stop, truncated=truncated, error=error,
        grade=None if error is not None else checker_grade([crit], truncated=truncated,
                                                           n_calls=len(transcript.calls)),
        duration_s=round(_total(entry.get("latency")), 4), suite="bfcl",
        meta={"benchmark": "bfcl", "case_id": entry["id"], "category": category,
              "package": package,
              **tool_meta(_offered_tools(case),
                          first_prompt_tokens=_first(entry.get("input_token_count")),
                          expects_call=category not in NO_CALL_CATEGORIES)},
    )


# -- running ------------------------------------------------------------------------------


def _count_lines(root: Path) -> int:
    total = 0
    for path in root.rglob("BFCL_*_result.json"):
        if "prereq" in path.name:
            continue
        try:
            total += sum(1 for line in path.open(encoding="utf-8") if line.strip())
        except OSError:
            continue
    return total


def run_bfcl(
    config: BfclConfig,
    folder: str | Path,
    *,
    api_key: str | None = None,
    overwrite: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExternalResult:
    """Run BFCL on an endpoint: k generations of every selected category, BFCL-scored.

    Results of each sample live in ``FOLDER/bfcl/sample-I`` (BFCL's own result and score
    files); rerunning the same config resumes where generation stopped, and retries cases
    that failed at the endpoint. The traces go to ``FOLDER/traces.jsonl``.

    Args:
        config: what to run.
        folder: the run folder.
        api_key: the endpoint's API key (passed to the workers through the environment).
        overwrite: discard what the folder holds.
        on_progress: called with (cases generated, cases expected) while workers run.

    Raises:
        NotInstalledError: ``bfcl-eval`` is not installed.
        RunMismatchError: the folder holds a run of another config.
        RuntimeError: a worker process failed (its log is named).
    """
    config = pin_installed(config, "bfcl_eval", BFCL_PACKAGE, "bfcl")
    folder = Path(folder)
    open_run(folder, config, overwrite=overwrite)
    base = folder / "bfcl"
    if overwrite and base.exists():
        import shutil

        shutil.rmtree(base)
    threads = max(1, math.ceil(config.concurrency / config.k))
    env = {**os.environ, "WORKGYM_BFCL_API_KEY": api_key or "",
           "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    procs: list[tuple[int, subprocess.Popen[bytes], Path]] = []
    try:
        for sample in range(config.k):
            root = (base / f"sample-{sample}").resolve()
            root.mkdir(parents=True, exist_ok=True)
            job = BfclJob(
                project_root=str(root), base_url=config.endpoint.base_url,
                model=config.endpoint.model, temperature=config.endpoint.temperature,
                timeout_s=config.endpoint.timeout_s, retries=config.endpoint.retries,
                request=config.endpoint.request,
                categories=config.categories, limit=config.limit, threads=threads,
                sample=sample, traces_path=str(root / "traces.jsonl"), package=config.package)
            (root / "job.json").write_text(job.model_dump_json(indent=2), encoding="utf-8")
            log = root / "bfcl.log"
            with log.open("ab") as handle:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "workgym.external._bfcl_worker",
                     str(root / "job.json")],
                    stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=root,
                )
            procs.append((sample, proc, log))
        expected = config.k * _expected_cases(config) if on_progress else 0
        while any(p.poll() is None for _, p, _ in procs):
            if on_progress:
                on_progress(_count_lines(base), expected)
            time.sleep(0.5)
    finally:
        for _, proc, _ in procs:  # interrupted: do not leave workers behind
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
    failed = [(s, log) for s, p, log in procs if p.returncode != 0]
    if failed:
        sample, log = failed[0]
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"BFCL sample {sample} failed; see {log}:\n" + "\n".join(tail))
    traces = [t for s in range(config.k)
              for t in read_traces(base / f"sample-{s}" / "traces.jsonl")]
    write_traces(folder, traces)
    return external_result(folder, traces, config.k, skipped=config.skipped)


def _expected_cases(config: BfclConfig) -> int:
    """Test cases the run generates per sample (memory prerequisites not counted)."""
    total = 0
    data = Path(_bfcl_data_dir())
    for category in config.categories:
        if category.startswith("memory"):
            n = sum(1 for _ in (data / "BFCL_v4_memory.json").open())
        else:
            path = data / f"BFCL_v4_{category}.json"
            n = sum(1 for _ in path.open()) if path.exists() else 0
        total += min(n, config.limit) if config.limit else n
    return total


def _bfcl_data_dir() -> str:
    import importlib.util

    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or spec.origin is None:
        raise RuntimeError("bfcl_eval is not installed")
    return str(Path(spec.origin).parent / "data")
