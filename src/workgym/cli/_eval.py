"""``workgym eval``: run a policy on a suite into a resumable run folder."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from workgym.agent import DEFAULT_MAX_TOKENS, MAX_ERROR_SHARE
from workgym.cli import app
from workgym.cli._options import ApiKey, AsJson, Imports, Overwrite, Progress

err = Console(stderr=True, soft_wrap=True)

_POLICIES = ("openai", "local", "reference", "native-reference", "noop", "replay")
_TOOL_CHOICES = ("auto", "required", "none")
LOCAL_MAX_TURNS = 5
"""Turn limit of the embedded local model unless --max-turns says otherwise (it is slow
and rarely recovers after a few turns)."""
LOCAL_MAX_TOKENS = 96
"""Tokens per turn of the local model unless --max-tokens says otherwise: a call takes
about 25, and a reply is cut at the end of its call list."""
LOCAL_TASKS = 4
"""Tasks of the local model's default run: the first of ``smoke`` (one easy task per
family, families in id order), so that it ends within a few minutes on 2 CPU cores."""
SUMMARY = "summary.json"
"""The run's summary with its warnings, written into the run folder by ``eval``."""


def _extra_body(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not valid JSON: {exc}", param_hint="--extra-body") from None
    if not isinstance(value, dict):
        raise typer.BadParameter("must be a JSON object", param_hint="--extra-body")
    return value


def _default_folder(policy: str, model: str | None, suite: str) -> Path:
    name = f"{model.rsplit('/', 1)[-1] if model else policy}-{suite}"
    return Path("runs") / re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")


def _say(text: str) -> None:
    # stdout first: piped together with stderr, results must not land after the error.
    sys.stdout.flush()
    err.print(text, markup=False, highlight=False)


def _summary_data(result: Any) -> dict[str, Any]:
    from workgym.agent import quick_summary

    return {"folder": str(result.folder), "resumed": result.resumed, "new": result.new,
            **quick_summary(result.traces).model_dump(), "warnings": list(result.warnings)}


def _plain_summary(data: dict[str, Any], model: str | None) -> str:
    """One paragraph that says what the run showed, in words."""
    who = (model or "the policy").rsplit("/", 1)[-1]  # a served GGUF's name is its path
    traces, calls = data["traces"], data["mean_tool_calls"]
    scored = traces - data["errors"]
    if not scored:
        return f"{who}: no rollout could be scored ({data['errors']} errors)."
    with_calls = data["traces_with_tool_calls"]
    text = (f"{who} ran {traces} rollouts: {with_calls} made tool calls "
            f"({calls:.1f} per scored rollout on average")
    if data["invalid_tool_calls"]:
        text += f", {data['invalid_tool_calls']} of them malformed or to unknown tools"
    text += ")"
    solved = round((data["pass_rate"] or 0.0) * scored)
    text += (f"; it solved {solved} of {scored} scored tasks, mean score "
             f"{data['mean_score']:.3f}.")
    if not with_calls:
        text += " It never called a tool."
    return text


def _print_summary(data: dict[str, Any], model: str | None) -> None:
    def num(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    print(f"run {data['folder']}: {data['traces']} traces over {data['tasks']} tasks "
          f"({data['new']} new, {data['resumed']} resumed)")
    print(f"mean score {num(data['mean_score'])}  pass rate {num(data['pass_rate'])}  "
          f"truncated {data['truncated']}  errors {data['errors']}  "
          f"mean turns {num(data['mean_turns'])}  "
          f"mean tool calls {num(data['mean_tool_calls'])}")
    print(_plain_summary(data, model))


def _report(folder: Path) -> None:
    """The full report (metrics tables, report.json and report.html), when the eval
    package provides it; the summary after it stands either way."""
    try:
        from workgym.eval import build_report, report_renderables, write_report
    except ImportError:
        return
    from rich.console import Console

    try:
        from workgym.agent import split_sides

        report = build_report(folder, splits=split_sides)
        paths = write_report(report)
    except Exception as exc:  # noqa: BLE001  (the run is saved; a report problem must not fail eval)
        _say(f"no report: {type(exc).__name__}: {exc}")
        return
    out = Console()
    if not out.is_terminal:
        out.width = 160  # keep tables whole in logs
    for part in report_renderables(report):
        out.print(part)
    _say(f"wrote {paths[0]} and {paths[1]}")


def _write_summary(folder: Path, data: dict[str, Any]) -> None:
    tmp = folder / (SUMMARY + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(folder / SUMMARY)


def default_workers() -> int:
    """The cores this process may use: the default of ``--workers``."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


ModelUrl = Annotated[str | None, typer.Option(
    "--model", envvar="WORKGYM_MODEL_URL",
    help="OpenAI-compatible base URL (vLLM, SGLang, llama-cpp-python...), e.g. "
         "http://localhost:8000/v1. Without it, the embedded local model runs.")]
ModelName = Annotated[str | None, typer.Option(
    "--model-name", envvar="WORKGYM_MODEL_NAME",
    help="Model name as the server knows it (default: the one it serves).")]
PolicyName = Annotated[str | None, typer.Option(
    "--policy", envvar="WORKGYM_POLICY",
    help="openai, local, reference, native-reference, noop or replay (default: openai "
         "with --model, else local).")]
Suite = Annotated[str | None, typer.Option(
    "--suite", envvar="WORKGYM_SUITE", show_default=False,
    help="smoke (default), holdout, train, category:NAME, difficulty:LEVEL, family:ID or "
         "split:NAME.")]
PerLevel = Annotated[int | None, typer.Option(
    "--per-level", envvar="WORKGYM_PER_LEVEL", min=1,
    help="Tasks per family and difficulty instead of the suite's default size "
         "(local model: 1).")]
Limit = Annotated[int | None, typer.Option(
    "--limit", envvar="WORKGYM_LIMIT", min=1,
    help=f"Only the first N tasks of the suite (local model on smoke: {LOCAL_TASKS}).")]
Samples = Annotated[int, typer.Option("-k", envvar="WORKGYM_K", min=1,
                                      help="Samples per task.")]
Output = Annotated[Path | None, typer.Option(
    "-o", "--output", envvar="WORKGYM_OUTPUT",
    help="Run folder (default runs/<model or policy>-<suite>). Rerunning resumes it.")]
Temperature = Annotated[float | None, typer.Option(
    envvar="WORKGYM_TEMPERATURE", min=0.0, help="Sampling temperature.")]
TopP = Annotated[float | None, typer.Option(
    envvar="WORKGYM_TOP_P", min=0.0, max=1.0, help="Nucleus sampling mass.")]
MaxTokens = Annotated[int | None, typer.Option(
    envvar="WORKGYM_MAX_TOKENS", min=1, show_default=False,
    help=f"Most tokens generated per turn (default {DEFAULT_MAX_TOKENS}; "
         f"{LOCAL_MAX_TOKENS} for the local model).")]
ToolChoice = Annotated[str, typer.Option(
    envvar="WORKGYM_TOOL_CHOICE", help="Sent with the tools: auto, required or none.")]
Seed = Annotated[int | None, typer.Option(
    envvar="WORKGYM_SAMPLING_SEED", help="Base sampling seed sent to the server.")]
ExtraBody = Annotated[str | None, typer.Option(
    "--extra-body", envvar="WORKGYM_EXTRA_BODY",
    help='JSON merged into each request, e.g. \'{"top_k": 20}\'.')]
MaxTurns = Annotated[int | None, typer.Option(
    envvar="WORKGYM_MAX_TURNS", min=1, show_default=False,
    help=f"Turn limit (default 50; {LOCAL_MAX_TURNS} for the local model).")]
TokenBudget = Annotated[int | None, typer.Option(
    envvar="WORKGYM_TOKEN_BUDGET", min=1, help="Most completion tokens per episode.")]
MaxToolOutput = Annotated[int, typer.Option(
    envvar="WORKGYM_MAX_TOOL_OUTPUT", min=100,
    help="Tool outputs longer than this many characters are cut.")]
CompactAfter = Annotated[int | None, typer.Option(
    envvar="WORKGYM_COMPACT_AFTER", min=1,
    help="Replace tool outputs older than this many turns by a placeholder.")]
Concurrency = Annotated[int | None, typer.Option(
    envvar="WORKGYM_CONCURRENCY", min=1, show_default=False,
    help="Rollouts in flight over all workers (default 32 for an endpoint, 1 for the "
         "local model, 8 otherwise).")]
Workers = Annotated[int | None, typer.Option(
    "--workers", envvar="WORKGYM_WORKERS", min=1, show_default=False,
    help="Processes that share the rollouts and the run folder (default: the cores). "
         "The local model runs in one, in this process.")]
Retries = Annotated[int, typer.Option(
    envvar="WORKGYM_RETRIES", min=0,
    help="Retries of one request when the server is down, overloaded or slow (a request "
         "it refuses as invalid is not retried).")]
Timeout = Annotated[float, typer.Option(envvar="WORKGYM_TIMEOUT", min=1.0,
                                        help="Seconds per request.")]
MaxErrorShare = Annotated[float, typer.Option(
    envvar="WORKGYM_MAX_ERROR_SHARE", min=0.0, max=1.0,
    help="Exit 1 when more than this share of the rollouts failed (endpoint errors, "
         "invalid grades); it always does when none could be graded.")]
ReplayFrom = Annotated[str | None, typer.Option(
    envvar="WORKGYM_REPLAY_FROM", help="Run folder or traces.jsonl for --policy replay.")]


@dataclass(frozen=True)
class _Choice:
    """The policy chosen, with what the run config is built from."""

    policy: str
    url: str | None
    sampling: Any
    loop: Any
    suite: str
    per_level: int | None
    limit: int | None


def _choose(policy: str | None, model: str | None, tool_choice: str,
            replay_from: str | None) -> str:
    """The policy to run, after checking the options that depend on it."""
    chosen = policy or ("openai" if model else "local")
    if chosen not in _POLICIES:
        raise typer.BadParameter(f"use one of {', '.join(_POLICIES)}", param_hint="--policy")
    if tool_choice not in _TOOL_CHOICES:
        raise typer.BadParameter(f"use one of {', '.join(_TOOL_CHOICES)}",
                                 param_hint="--tool-choice")
    if chosen == "openai" and not model:
        raise typer.BadParameter("the openai policy needs --model URL", param_hint="--model")
    if chosen == "replay" and not replay_from:
        raise typer.BadParameter("the replay policy needs --replay-from",
                                 param_hint="--replay-from")
    return chosen


def _config(choice: _Choice, name: str | None, *, k: int, replay_from: str | None,
            concurrency: int | None, workers: int | None, retries: int,
            timeout: float) -> Any:
    """The RunConfig of the command's options, for the model ``name``."""
    from workgym.agent import RunConfig

    chosen = choice.policy
    return RunConfig(
        policy=chosen, model=name if chosen in ("openai", "local", "replay") else None,
        base_url=choice.url if chosen == "openai" else None, sampling=choice.sampling,
        loop=choice.loop, suite=choice.suite, per_level=choice.per_level,
        limit=choice.limit, k=k, replay_from=replay_from,
        concurrency=concurrency or {"openai": 32, "local": 1}.get(chosen, 8),
        # the local model is loaded in this process: it never forks
        workers=1 if chosen == "local" else workers or default_workers(),
        retries=retries, timeout_s=timeout)


def _settings(chosen: str, model: str | None, suite: str | None, per_level: int | None,
              limit: int | None, sampling: dict[str, Any], loop: dict[str, Any]) -> _Choice:
    """Sampling and loop settings with the local model's defaults where it runs."""
    from workgym.agent import LoopConfig, SamplingConfig

    local = chosen == "local"
    if local and suite is None and per_level is None and limit is None:
        per_level, limit = 1, LOCAL_TASKS
    sampling["max_tokens"] = sampling["max_tokens"] or (
        LOCAL_MAX_TOKENS if local else DEFAULT_MAX_TOKENS)
    loop["max_turns"] = loop["max_turns"] or (LOCAL_MAX_TURNS if local else 50)
    return _Choice(policy=chosen, url=model, sampling=SamplingConfig(**sampling),
                   loop=LoopConfig(**loop), suite=suite or "smoke", per_level=per_level,
                   limit=limit)


def _model_name(chosen: str, url: str | None, name: str | None, api_key: str | None,
                ) -> str | None:
    """The model's name: given, asked of the server, or the local model's."""
    from workgym.agent import PolicyError, served_model

    try:
        if chosen == "openai" and not name:
            return asyncio.run(served_model(url or "", api_key))
        if chosen == "local":
            from workgym.agent import check_local

            check_local()
            return name or "SmolLM2-135M-Instruct"
    except PolicyError as exc:
        hint = "\nOr point --model at an OpenAI-compatible server." if chosen == "local" else ""
        _say(f"error: {exc}{hint}")
        raise typer.Exit(1) from None
    return name


def _execute(config: Any, folder: Path, api_key: str | None, overwrite: bool,
             progress: bool) -> Any:
    """Run ``config`` into ``folder``; exit 2 or 1 (with the reason) when it cannot."""
    from workgym.agent import PolicyError, RunConfigMismatch, RunLocked, WorkerFailed, run

    try:
        return asyncio.run(run(config, folder, api_key=api_key, overwrite=overwrite,
                               progress=progress))
    except (RunConfigMismatch, RunLocked) as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    except (PolicyError, WorkerFailed) as exc:
        _say(f"error: {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _say(f"interrupted: finished traces are saved in {folder}; "
             "rerun the same command to resume")
        raise typer.Exit(130) from None


def _finish(result: Any, folder: Path, model: str | None, as_json: bool,
            max_error_share: float) -> None:
    """Write summary.json, print the report and summary; exit 1 when the run failed."""
    from workgym.agent import run_failure

    data = _summary_data(result)
    _write_summary(folder, data)
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        _report(folder)
        _print_summary(data, model)
    if result.errors:
        _say(f"{len(result.errors)} rollouts failed outside the model (not scored; "
             f"a rerun retries them). First: {result.errors[0]}")
    for warning in result.warnings:
        _say(f"warning: {warning}")
    failure = run_failure(result.traces, max_error_share)
    if failure is not None:
        _say(f"error: {failure}")
        raise typer.Exit(1)


@app.command("eval")
def eval_command(
    model: ModelUrl = None, model_name: ModelName = None, policy: PolicyName = None,
    suite: Suite = None, per_level: PerLevel = None, limit: Limit = None, k: Samples = 1,
    output: Output = None, temperature: Temperature = None, top_p: TopP = None,
    max_tokens: MaxTokens = None, tool_choice: ToolChoice = "auto", seed: Seed = None,
    extra_body: ExtraBody = None, max_turns: MaxTurns = None,
    token_budget: TokenBudget = None, max_tool_output: MaxToolOutput = 20_000,
    compact_after: CompactAfter = None, concurrency: Concurrency = None,
    workers: Workers = None, retries: Retries = 5, timeout: Timeout = 600.0,
    max_error_share: MaxErrorShare = MAX_ERROR_SHARE, api_key: ApiKey = None,
    replay_from: ReplayFrom = None, imports: Imports = None, overwrite: Overwrite = False,
    as_json: AsJson = False, progress: Progress = True,
) -> None:
    """Run a policy on a suite, k samples per task; traces go to OUTPUT/traces.jsonl.

    Without --model, the embedded SmolLM2-135M runs on the first 4 tasks of the smoke
    suite (it mostly fails: it shows the loop works). Point --model at a vLLM, SGLang or
    llama-cpp-python server for real numbers. Rollouts spread over --workers processes.

    Exits 1 when no rollout could be graded or more than --max-error-share of them
    failed, with the first error on the last line; 2 on bad options.
    """
    from workgym.core import import_families

    try:
        import_families(imports or [])
    except ImportError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    chosen = _choose(policy, model, tool_choice, replay_from)
    choice = _settings(chosen, model, suite, per_level, limit,
                       {"temperature": temperature, "top_p": top_p, "seed": seed,
                        "extra_body": _extra_body(extra_body), "max_tokens": max_tokens,
                        "tool_choice": tool_choice},
                       {"max_turns": max_turns, "token_budget": token_budget,
                        "max_tool_output_chars": max_tool_output,
                        "compact_after_turns": compact_after})
    config_for = partial(_config, choice, k=k, replay_from=replay_from,
                         concurrency=concurrency, workers=workers, retries=retries,
                         timeout=timeout)
    # Every option is checked (the suite included) before anything slow or remote.
    try:
        specs = config_for(model_name or "unnamed").specs()
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    model_name = _model_name(chosen, model, model_name, api_key)
    config = config_for(model_name)
    folder = output or _default_folder(chosen, model_name if chosen == "openai" else None,
                                       choice.suite)
    workers_text = f", {config.workers} workers" if config.workers > 1 else ""
    _say(f"{chosen} ({model_name or chosen}) on {choice.suite}: {len(specs)} tasks x k={k}, "
         f"at most {choice.loop.max_turns} turns of {choice.sampling.max_tokens} tokens"
         f"{workers_text} -> {folder}")
    result = _execute(config, folder, api_key, overwrite, progress)
    _finish(result, Path(folder), config.model, as_json, max_error_share)
