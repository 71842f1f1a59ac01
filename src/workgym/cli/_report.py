"""Evaluation subcommands: report, compare, view."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workgym.cli import app
from workgym.cli._options import AsJson

if TYPE_CHECKING:
    from pydantic import BaseModel


def _threshold(value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise typer.BadParameter(f"must be in (0, 1], got {value}")
    return value


Threshold = Annotated[float, typer.Option(
    envvar="WORKGYM_THRESHOLD", callback=_threshold,
    help="A sample succeeds when its score reaches this; 1.0: every criterion passed.")]
Seed = Annotated[int, typer.Option(envvar="WORKGYM_EVAL_SEED", min=0,
                                   help="Seed of the bootstrap confidence intervals.")]


def _config(threshold: float, seed: int):  # type: ignore[no-untyped-def]
    from workgym.eval import CIConfig, MetricsConfig

    return MetricsConfig(threshold=threshold, ci=CIConfig(seed=seed))


def _fail(message: str) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _stdout():  # type: ignore[no-untyped-def]
    import os

    from rich.console import Console

    console = Console()
    # Piped into a file or a CI log, rich would cut tables to 80 columns: keep them whole.
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160
    return console


def _show(result: BaseModel, renderables: Callable[[Any], Iterable[Any]], as_json: bool) -> None:
    """Print ``result`` to stdout: as JSON, or as the tables ``renderables`` makes of it."""
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    out = _stdout()
    for part in renderables(result):
        out.print(part)


def _expected_traces(run: Path) -> int | None:
    """The traces a run's config asks for (tasks x k), when it is a workgym run config."""
    from workgym.eval import load_run_config

    try:
        from workgym.agent import RunConfig

        config = RunConfig.model_validate(load_run_config(run))
        return len(config.specs()) * config.k
    except Exception:  # noqa: BLE001 - an external benchmark's run, or families not installed
        return None


@app.command()
def report(
    run: Annotated[Path, typer.Argument(help="Run folder (holding traces.jsonl).")],
    threshold: Threshold = 1.0,
    seed: Seed = 0,
    as_json: AsJson = False,
    mark_baseline: Annotated[bool, typer.Option(
        "--mark-baseline", envvar="WORKGYM_MARK_BASELINE",
        help="Also mark the run as the baseline that 'workgym compare' measures others "
             "against.")] = False,
    viewer: Annotated[bool, typer.Option(
        envvar="WORKGYM_REPORT_VIEWER",
        help="Export the trace viewer next to report.html (RUN/viewer/).")] = True,
) -> None:
    """Report a run: print its metrics, write report.json, report.html and the trace
    viewer into it."""
    from rich.console import Console

    from workgym.agent import split_sides
    from workgym.eval import RunError, build_report, report_renderables, write_report
    from workgym.eval import mark_baseline as mark

    try:
        result = build_report(run, _config(threshold, seed), expected=_expected_traces(run),
                              splits=split_sides)
    except RunError as exc:
        raise _fail(str(exc)) from None
    json_path, html_path = write_report(result, viewer=viewer)
    _show(result, report_renderables, as_json)
    err = Console(stderr=True)
    err.print(f"wrote {json_path} and {html_path}", highlight=False, soft_wrap=True)
    if mark_baseline:
        err.print(f"marked {run} as the baseline ({mark(run)})", highlight=False, soft_wrap=True)


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(
        help="BASELINE RUN, or RUN alone to compare it against the baseline marked next to "
             "it (workgym report BASELINE --mark-baseline).", show_default=False)],
    baseline: Annotated[Path | None, typer.Option(
        envvar="WORKGYM_BASELINE", help="The baseline run folder (instead of a first RUN).")
    ] = None,
    threshold: Threshold = 1.0,
    seed: Seed = 0,
    as_json: AsJson = False,
    html: Annotated[Path | None, typer.Option(envvar="WORKGYM_COMPARE_HTML",
                                              help="Also write an HTML page here.")] = None,
    fail_on_regression: Annotated[bool, typer.Option(
        "--fail-on-regression", envvar="WORKGYM_FAIL_ON_REGRESSION",
        help="Exit 1 when a task solved in the baseline is solved no more (for CI).")] = False,
) -> None:
    """Compare a run against a baseline: regressions first, then paired deltas per
    category, the criteria that moved most, improvements and behaviour."""
    from rich.console import Console

    from workgym.eval import (
        RunError,
        RunIndex,
        baseline_changed,
        comparison_renderables,
        export_viewer,
        find_baseline,
        render_comparison_html,
    )
    from workgym.eval import compare as compare_runs

    err = Console(stderr=True)
    try:
        if len(runs) > 2 or (len(runs) == 2 and baseline is not None):
            raise typer.BadParameter("give BASELINE RUN, or RUN with --baseline, or RUN alone")
        if len(runs) == 2:
            run_a, run_b = runs
        else:
            run_b = runs[0]
            run_a = baseline if baseline is not None else find_baseline(run_b)
            err.print(f"baseline: {run_a}", highlight=False, soft_wrap=True)
        result = compare_runs(run_a, run_b, _config(threshold, seed))
        if baseline_changed(run_a):
            changed = (f"the baseline {run_a} changed since it was marked (resumed or "
                       "rerun); mark it again if that is intended")
            result = result.model_copy(update={"warnings": [*result.warnings, changed]})
        viewer = None
        if result.regressed:
            # The regressed tasks only, B beside A: small whatever the runs' size.
            folder = Path(run_b) if Path(run_b).is_dir() else Path(run_b).parent
            page = export_viewer([RunIndex.load(run_b, threshold), RunIndex.load(run_a, threshold)],
                                 folder / "regressions",
                                 only_tasks={c.task_id for c in result.regressed})
            viewer = page.resolve().as_uri()
    except RunError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        print(result.model_dump_json(indent=2))
    else:
        out = _stdout()
        for part in comparison_renderables(result, viewer=viewer):
            out.print(part)
    if html is not None:
        html.write_text(render_comparison_html(result, viewer), encoding="utf-8")
        err.print(f"wrote {html}", highlight=False, soft_wrap=True)
    if fail_on_regression and result.regressed:
        err.print(f"[red]{len(result.regressed)} regressions[/red]: tasks solved in "
                  f"{run_a} are not solved in {run_b}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def view(
    runs: Annotated[list[Path], typer.Argument(
        help="Run folders: the first is listed, the others can be opened beside it.",
        show_default=False)],
    port: Annotated[int, typer.Option(envvar="WORKGYM_VIEW_PORT", min=0, max=65535,
                                      help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    export: Annotated[Path | None, typer.Option(
        envvar="WORKGYM_VIEW_EXPORT",
        help="Write the viewer as static files into this folder instead of serving it.")
    ] = None,
    threshold: Threshold = 1.0,
    open_browser: Annotated[bool, typer.Option(
        "--open/--no-open", envvar="WORKGYM_VIEW_OPEN",
        help="Open the page in the default browser.")] = False,
) -> None:
    """Browse traces: filter them, read one (prompt, turns, tool calls, grade), or the
    same task in two runs side by side. Served on 127.0.0.1 until Ctrl-C."""
    from rich.console import Console

    from workgym.eval import RunError, RunIndex, ViewerServer, export_viewer

    err = Console(stderr=True)
    try:
        indexes = []
        for run in runs:
            with err.status(f"indexing {run}"):
                indexes.append(RunIndex.load(run, threshold))
    except RunError as exc:
        raise _fail(str(exc)) from None
    if export is not None:
        page = export_viewer(indexes, export)
        print(page)
        return
    try:
        server = ViewerServer(indexes, port)
    except OSError as exc:
        raise _fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; "
                    "pick another --port (0: any free one)") from None
    total = sum(len(i) for i in indexes)
    print(server.url, flush=True)
    err.print(f"serving {total} traces of {len(indexes)} run(s); Ctrl-C stops",
              highlight=False)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
