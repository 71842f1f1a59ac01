"""``workgym bench``: how fast the environment is, against its targets; ``workgym bench
soak``: whether the harness stays flat under thousands of concurrent episodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from workgym.cli import app

bench_app = typer.Typer(
    name="bench", invoke_without_command=True, add_completion=False, rich_markup_mode=None,
    help="Measure reset, tool-call overhead per path, grading, memory per episode, "
         "throughput as concurrency grows, and the terminal's sandbox; compare them with "
         "the targets. `workgym bench soak` runs the soak instead.")
app.add_typer(bench_app)


def _sections(value: str | None) -> str | None:
    from workgym.bench import SECTIONS

    if value:
        unknown = [s for s in value.split(",") if s.strip() not in SECTIONS]
        if unknown:
            raise typer.BadParameter(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    return value


def _measured(measure: Any, output: Path | None) -> dict[str, Any]:
    """Run ``measure(progress)`` with its progress lines dim on stderr (an unknown family
    exits 2) and write its result as JSON to ``output`` when given."""
    from rich.console import Console

    from workgym.core import UnknownFamilyError

    err = Console(stderr=True)
    try:
        result: dict[str, Any] = measure(
            lambda line: err.print(f"[dim]{line}[/dim]", highlight=False))
    except UnknownFamilyError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2) + "\n")
    return result


@bench_app.callback()
def bench(
    ctx: typer.Context,
    quick: Annotated[bool, typer.Option("--quick", envvar="WORKGYM_BENCH_QUICK",
                                        help="Tiny sizes: a smoke test in seconds.")] = False,
    sections: Annotated[str | None, typer.Option(
        envvar="WORKGYM_BENCH_SECTIONS", callback=_sections,
        help="Comma-separated: reset,calls,side_by_side,memory,throughput,terminal,rollout.")] = None,
    family: Annotated[list[str] | None, typer.Option(
        "--family", envvar="WORKGYM_BENCH_FAMILIES",
        help="Family id to measure (repeat for several); default: all.")] = None,
    seeds: Annotated[int | None, typer.Option(
        envvar="WORKGYM_BENCH_SEEDS", min=1,
        help="Seeds per family and level for reset and grading.")] = None,
    max_concurrency: Annotated[int | None, typer.Option(
        envvar="WORKGYM_BENCH_MAX_CONCURRENCY", min=1,
        help="Highest concurrency of the throughput sweep, and idle episodes of the "
             "memory run.")] = None,
    no_stdio: Annotated[bool, typer.Option("--no-stdio", envvar="WORKGYM_BENCH_NO_STDIO",
                                           help="Skip the stdio MCP server.")] = False,
    output: Annotated[Path | None, typer.Option(
        envvar="WORKGYM_BENCH_OUTPUT", help="Also write the full result as JSON here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", envvar="WORKGYM_JSON",
                                          help="Print JSON instead of tables.")] = False,
) -> None:
    """Measure reset, tool-call overhead per path, grading, memory per episode, throughput
    as concurrency grows, and the terminal's sandbox; compare them with the targets."""
    if ctx.invoked_subcommand is not None:
        return
    import sys

    from rich.console import Console

    from workgym.bench import BenchConfig, run_bench

    overrides: dict[str, Any] = {}
    if sections:
        overrides["sections"] = tuple(s.strip() for s in sections.split(","))
    if family:
        overrides["families"] = tuple(family)
    if seeds:
        overrides["seeds"] = seeds
    if no_stdio:
        overrides["stdio"] = False
    config = BenchConfig.quick(**overrides) if quick else BenchConfig(**overrides)
    if max_concurrency:
        config = config.model_copy(update={
            "concurrency": tuple(c for c in config.concurrency if c < max_concurrency)
            + (max_concurrency,),
            "memory_episodes": max_concurrency})
    result = _measured(lambda say: run_bench(config, progress=say), output)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    from workgym.bench import render

    out = Console()
    if not out.is_terminal:
        out.width = 160
    render(result, out)


@bench_app.command()
def soak(
    concurrency: Annotated[int, typer.Option(
        envvar="WORKGYM_SOAK_CONCURRENCY", min=1,
        help="Episodes in flight at once.")] = 2000,
    seconds: Annotated[float, typer.Option(
        envvar="WORKGYM_SOAK_SECONDS", min=1.0,
        help="How long runs keep being started (two runs at least).")] = 600.0,
    episodes_per_run: Annotated[int | None, typer.Option(
        envvar="WORKGYM_SOAK_EPISODES_PER_RUN", min=1,
        help="Episodes of one run; default twice the concurrency.")] = None,
    workers: Annotated[int, typer.Option(
        envvar="WORKGYM_SOAK_WORKERS", min=1,
        help="Worker processes of each run (1: in this process).")] = 2,
    tool_turns: Annotated[int, typer.Option(
        envvar="WORKGYM_SOAK_TOOL_TURNS", min=0,
        help="Tool-call turns of each episode before the answer.")] = 3,
    family: Annotated[list[str] | None, typer.Option(
        "--family", envvar="WORKGYM_SOAK_FAMILIES",
        help="Family id whose medium task is run (repeat); default: all.")] = None,
    rss_tolerance_mib: Annotated[float, typer.Option(
        envvar="WORKGYM_SOAK_RSS_TOLERANCE_MIB", min=0.0,
        help="Most the RSS of this process or of a worker may grow.")] = 64.0,
    fd_tolerance: Annotated[int, typer.Option(
        envvar="WORKGYM_SOAK_FD_TOLERANCE", min=0,
        help="Most this process's open descriptors may grow.")] = 8,
    output: Annotated[Path | None, typer.Option(
        envvar="WORKGYM_SOAK_OUTPUT", help="Also write the report as JSON here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", envvar="WORKGYM_JSON",
                                          help="Print JSON instead of tables.")] = False,
) -> None:
    """Keep thousands of episodes in flight against an instant loopback mock for
    minutes, through the real runner and its workers, and report RSS, descriptors,
    threads, child processes and temp folders before, after and at peak, and traces
    written against episodes finished. Exits 1 if a figure grew beyond its tolerance
    or a trace was lost or written twice."""
    import sys

    from rich.console import Console

    from workgym.bench import SoakConfig, render_soak, run_soak

    config = SoakConfig(concurrency=concurrency, seconds=seconds,
                        episodes_per_run=episodes_per_run, workers=workers,
                        tool_turns=tool_turns, families=tuple(family or ()),
                        rss_tolerance_mib=rss_tolerance_mib, fd_tolerance=fd_tolerance)
    report = _measured(lambda say: run_soak(config, progress=say), output)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        out = Console()
        if not out.is_terminal:
            out.width = 120
        render_soak(report, out)
    if not report["ok"]:
        raise typer.Exit(1)
