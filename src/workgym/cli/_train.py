"""``workgym export-sft`` and ``workgym train sft|gspo``."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from workgym.cli import app

err = Console(stderr=True)

train_app = typer.Typer(
    help="Train a model on workgym tasks through TRL: SFT on exported rows, GSPO on episodes.",
    no_args_is_help=True,
)
app.add_typer(train_app, name="train")

TRAIN_PACKAGES = ("torch", "transformers", "trl", "peft", "datasets")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def _need_train_extra() -> None:
    missing = [name for name in TRAIN_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise _fail(f"training needs {', '.join(missing)}: pip install 'workgym[train]'")


def _reference_rows(selection: Any, stats: Any, options: dict[str, Any],
                    max_tool_output: int | None) -> Any:
    """The reference rows of ``selection``'s train tasks (its holdout tasks counted as
    dropped)."""
    from workgym.train import mixture_specs, reference_rows

    try:
        specs, holdout = mixture_specs(selection)
    except (ValueError, LookupError) as exc:
        raise _fail(str(exc)) from None
    stats.dropped["holdout"] += holdout
    err.print(f"reference: {len(specs)} train tasks ({holdout} holdout left out)")
    return reference_rows(specs, stats, max_tool_output_chars=max_tool_output, **options)


def _trace_rows(runs: list[Path], stats: Any, min_score: float, options: dict[str, Any]) -> Any:
    """The rows of the traces of ``runs`` that score at least ``min_score``."""
    from workgym.agent import load_traces
    from workgym.train import rows_from_traces

    traces = []
    for folder in runs:
        try:
            traces.extend(load_traces(folder))
        except ValueError as exc:
            raise _fail(str(exc)) from None
    err.print(f"traces: {len(traces)} from {len(runs)} run(s)")
    return rows_from_traces(traces, stats, min_score=min_score, **options)


@app.command("export-sft")
def export_sft(
    output: Annotated[Path, typer.Argument(help="The file to write: .jsonl or .parquet.")],
    suite: Annotated[str | None, typer.Option(
        envvar="WORKGYM_SUITE",
        help="Export reference trajectories of this suite's tasks (e.g. train).")] = None,
    per_level: Annotated[int | None, typer.Option(
        envvar="WORKGYM_PER_LEVEL", min=1,
        help="Tasks per family and difficulty of --suite.")] = None,
    family: Annotated[list[str] | None, typer.Option(
        "--family", envvar="WORKGYM_FAMILY",
        help="Export reference trajectories of this family (repeatable), over --seeds.")] = None,
    seeds: Annotated[str, typer.Option(envvar="WORKGYM_SEEDS",
                                       help="Seeds of --family: 0-99, 1,5,9...")] = "0-99",
    difficulty: Annotated[str, typer.Option(
        envvar="WORKGYM_DIFFICULTY", help="Levels of --family, comma-separated.")] = "easy,medium,hard",
    richness: Annotated[float, typer.Option(envvar="WORKGYM_RICHNESS", min=0.0, max=1.0)] = 0.5,
    run: Annotated[list[Path] | None, typer.Option(
        "--run", envvar="WORKGYM_EXPORT_RUNS",
        help="Export successful traces of this run folder or traces.jsonl (repeatable).")] = None,
    min_score: Annotated[float, typer.Option(
        envvar="WORKGYM_MIN_SCORE", min=0.0, max=1.0,
        help="Keep traces scoring at least this (rejection sampling).")] = 1.0,
    fmt: Annotated[str | None, typer.Option(
        "--format", envvar="WORKGYM_EXPORT_FORMAT",
        help="jsonl or parquet (default: from the file name).")] = None,
    arguments: Annotated[str, typer.Option(
        envvar="WORKGYM_TOOL_ARGUMENTS",
        help="Tool-call arguments as 'object' (Hugging Face chat templates) or 'string' "
             "(OpenAI fine-tuning).")] = "object",
    render: Annotated[str, typer.Option(
        envvar="WORKGYM_EXPORT_RENDER",
        help="'tools': tool-calling messages with the tools beside them; 'text': plain "
             "messages as the local model reads them (tools in the system prompt, calls "
             "in <tool_call> blocks), for chat templates without tools.")] = "tools",
    max_tool_output: Annotated[int | None, typer.Option(
        envvar="WORKGYM_MAX_TOOL_OUTPUT", min=100,
        help="Cut tool outputs of reference trajectories to this many characters, as "
             "an eval with the same limit would (default: the agent loop's).")] = None,
) -> None:
    """Export SFT rows: reference trajectories of train tasks and successful run traces.

    Rows hold chat ``messages`` with tool calls, the episode's ``tools`` and metadata
    (task_id, family, difficulty, score, source, spec); TRL's SFTTrainer and
    ``datasets.load_dataset`` read them as they are. Holdout tasks are always dropped.
    """
    from workgym.train import ExportStats, TaskSelection, output_format, write_rows

    if arguments not in ("object", "string"):
        raise typer.BadParameter("must be 'object' or 'string'", param_hint="--arguments")
    if render not in ("tools", "text"):
        raise typer.BadParameter("must be 'tools' or 'text'", param_hint="--render")
    options = {"arguments": arguments, "render": render}
    if suite and family:
        raise typer.BadParameter("give --suite or --family, not both", param_hint="--suite")
    if not (suite or family or run):
        raise typer.BadParameter("nothing to export: give --suite, --family or --run",
                                 param_hint="--suite")
    try:
        fmt_resolved = output_format(output, fmt)  # type: ignore[arg-type]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from None

    ref_stats, trace_stats = ExportStats(), ExportStats()
    sources: list[Any] = []
    if suite or family:
        levels = tuple(x.strip() for x in difficulty.split(",") if x.strip())
        try:
            selection = TaskSelection(suite=suite, per_level=per_level,
                                      families=tuple(family or ()), seeds=seeds,
                                      difficulties=levels, richness=richness)  # type: ignore[arg-type]
        except ValueError as exc:
            raise _fail(str(exc)) from None
        sources.append(_reference_rows(selection, ref_stats, options, max_tool_output))
    if run:
        sources.append(_trace_rows(run, trace_stats, min_score, options))

    def rows() -> Any:
        for source in sources:
            yield from source

    try:
        written = write_rows(rows(), output, fmt_resolved)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    result = {"output": str(output), "format": fmt_resolved, "rows": written}
    if suite or family:
        result["reference"] = ref_stats.as_dict()
    if run:
        result["traces"] = trace_stats.as_dict()
    err.print(f"wrote {written} rows to {output}")
    print(json.dumps(result, indent=2))


ConfigFile = Annotated[Path, typer.Option(
    "--config", envvar="WORKGYM_TRAIN_CONFIG",
    help="YAML or JSON config file (see workgym.train.SFTTrainConfig / GSPOTrainConfig).")]
OutputDir = Annotated[Path | None, typer.Option(
    envvar="WORKGYM_TRAIN_OUTPUT_DIR", help="Override the config's output_dir.")]
MaxSteps = Annotated[int | None, typer.Option(
    envvar="WORKGYM_TRAIN_MAX_STEPS", min=1, help="Override the config's max_steps.")]


def _train(kind: str, config_path: Path, output_dir: Path | None, max_steps: int | None) -> None:
    _need_train_extra()
    from workgym.train import load_config

    try:
        config = load_config(config_path, kind,  # type: ignore[arg-type]
                             {"output_dir": output_dir, "max_steps": max_steps})
    except ValueError as exc:
        raise _fail(str(exc)) from None
    err.print(f"{kind}: {config.model.path} -> {config.output_dir} ({config.max_steps} steps)")
    try:
        if kind == "sft":
            from workgym.train import train_sft

            result = train_sft(config, progress=True)  # type: ignore[arg-type]
        else:
            from workgym.train import train_gspo

            result = train_gspo(config, progress=True)  # type: ignore[arg-type]
    except ValueError as exc:
        raise _fail(str(exc)) from None
    sys.stderr.flush()
    print(json.dumps(result.summary(), indent=2))


@train_app.command("sft")
def train_sft_command(
    config: ConfigFile,
    output_dir: OutputDir = None,
    max_steps: MaxSteps = None,
) -> None:
    """Supervised fine-tuning on exported rows through TRL's SFTTrainer (LoRA by default).

    Logged records go to stderr as JSON lines; the summary (output folder, steps, first
    and last loss) to stdout. The resolved config is saved beside the outputs.
    """
    _train("sft", config, output_dir, max_steps)


@train_app.command("gspo")
def train_gspo_command(
    config: ConfigFile,
    output_dir: OutputDir = None,
    max_steps: MaxSteps = None,
) -> None:
    """GSPO on multi-turn workgym episodes through TRL's GRPOTrainer (LoRA by default).

    Rollouts run the train split of the configured tasks; the reward is each episode's
    grade (dense, binary or gamma). Logged records (loss, reward, workgym/score...) go to
    stderr as JSON lines; the summary to stdout.
    """
    _train("gspo", config, output_dir, max_steps)
