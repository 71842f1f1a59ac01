"""``workgym bench``: how fast the environment is, against its targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from workgym.cli import app


def _sections(value: str | None) -> str | None:
    from workgym.bench import SECTIONS

    if value:
        unknown = [s for s in value.split(",") if s.strip() not in SECTIONS]
        if unknown:
            raise typer.BadParameter(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    return value


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", envvar="WORKGYM_BENCH_QUICK",
                                        help="Tiny sizes: a smoke test in seconds.")] = False,
    sections: Annotated[str | None, typer.Option(
        envvar="WORKGYM_BENCH_SECTIONS", callback=_sections,
        help="Comma-separated: reset,calls,side_by_side,memory,throughput,terminal.")] = None,
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
    import sys

    from rich.console import Console

    from workgym.bench import BenchConfig, run_bench
    from workgym.core import UnknownFamilyError

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
    err = Console(stderr=True)
    try:
        result = run_bench(config, progress=lambda line: err.print(f"[dim]{line}[/dim]",
                                                                   highlight=False))
    except UnknownFamilyError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2) + "\n")
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    from workgym.bench import render

    out = Console()
    if not out.is_terminal:
        out.width = 160
    render(result, out)
