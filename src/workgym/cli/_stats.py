"""``workgym stats``: planning complexity and state richness per family and level, beside a
run's scores; and the reference's pass rate under every dialect and phrasing."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workgym.cli import app
from workgym.cli._families import _load, _seeds
from workgym.cli._options import Imports
from workgym.core import DIFFICULTIES, family_ids, get_family, run_plan

out = Console()
err = Console(stderr=True)

INTERFACE_VARIANTS = ("default", "dialect=mcp-public", "dialect=proc-0", "dialect=proc-1",
                      "dialect=proc-2", "phrasing=1", "phrasing=2", "phrasing=3",
                      "phrasing=4", "phrasing=5", "phrasing=6")
"""What ``--interface`` poses each task through: the native surface, mcp-public, three
procedural dialects, and phrasings 1-6 (one per frame)."""


def _families(given: list[str] | None) -> list[str]:
    from workgym.core import UnknownFamilyError

    chosen = given or family_ids()
    for family_id in chosen:
        try:
            get_family(family_id)
        except UnknownFamilyError as exc:
            raise typer.BadParameter(str(exc), param_hint="FAMILY_IDS") from None
    return chosen


def _levels(text: str) -> list[str]:
    levels = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in levels if x not in DIFFICULTIES]
    if bad or not levels:
        raise typer.BadParameter(f"levels are {', '.join(DIFFICULTIES)} (comma-separated), "
                                 f"got {text!r}", param_hint="--levels")
    return levels


@app.command()
def stats(
    family_ids_: Annotated[list[str] | None, typer.Argument(
        metavar="[FAMILY_IDS]...", help="Families to measure (default: every registered one).",
        show_default=False)] = None,
    seeds: Annotated[str, typer.Option(
        envvar="WORKGYM_SEEDS", help="Seeds measured per family and level, e.g. 0-2.")] = "0-2",
    levels: Annotated[str, typer.Option(
        envvar="WORKGYM_LEVELS", help="Levels, comma-separated.")] = "easy,medium,hard",
    run: Annotated[str | None, typer.Option(
        envvar="WORKGYM_RUN",
        help="A run folder: measure its own tasks, show its pass rate and mean score beside "
             "them, and keep the table as RUN/complexity.json (its report shows it).")] = None,
    interface: Annotated[bool, typer.Option(
        "--interface", envvar="WORKGYM_INTERFACE",
        help="Instead: the reference's pass rate under every dialect and phrasing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", envvar="WORKGYM_JSON",
                                          help="Print JSON.")] = False,
    imports: Imports = None,
) -> None:
    """Planning complexity and state richness of each family and level.

    Per family and level, from the reference plan run on a fresh episode: its length
    (calls), the distinct apps and tools it calls, the state the agent must read (read KB:
    what its read-only calls return), branching (the mean number of distinct tools that
    follow a tool in the plan: 1 is a fixed recipe) and dependent (the share of steps
    whose arguments carry a value only an earlier read revealed). With --run, the run's
    pass rate (pass@1) and mean score at that family and level beside them.
    """
    _load(imports)
    if interface:
        _interface(_families(family_ids_), _seeds(seeds), _levels(levels), as_json)
        return
    from rich.progress import track

    from workgym.eval import (
        complexity_table,
        level_complexity,
        load_run,
        run_complexity,
        save_complexity,
    )

    if run is not None:
        from workgym.eval import RunError

        try:
            traces = load_run(run)
        except RunError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        if family_ids_:
            wanted = set(_families(family_ids_))
            traces = [t for t in traces if t.spec.family_id in wanted]
        rows = run_complexity(traces)
        saved = save_complexity(rows, run)
        err.print(f"kept as {saved}; 'workgym report {run}' shows it", highlight=False)
    else:
        chosen, seed_list, level_list = _families(family_ids_), _seeds(seeds), _levels(levels)
        work = [(f, lv) for f in chosen for lv in level_list]
        rows = [level_complexity(f, lv, seed_list)
                for f, lv in track(work, description="measuring", console=err, transient=True)]
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    out.print(complexity_table(rows))


def _interface(chosen: list[str], seeds: list[int], levels: list[str], as_json: bool) -> None:
    """The reference plan, translated to each dialect, run under each variant."""
    from rich.progress import track

    passed: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    failures: list[dict[str, Any]] = []
    work = [(f, lv, s) for f in chosen for lv in levels for s in seeds]
    for family_id, level, seed in track(work, description="reference under every variant",
                                        console=err, transient=True):
        family = get_family(family_id)
        for variant in INTERFACE_VARIANTS:
            task = family.task(family.spec(seed, level, variant=variant))  # type: ignore[arg-type]
            with run_plan(task) as episode:
                grade = episode.grade()
            ok = grade.valid and grade.passed and grade.score == 1.0
            total[variant] += 1
            passed[variant] += ok
            if not ok:
                failures.append({"family": family_id, "level": level, "seed": seed,
                                 "variant": variant})
    rows = [{"variant": v, "tasks": total[v], "passed": passed[v],
             "pass_rate": round(passed[v] / total[v], 4) if total[v] else None}
            for v in INTERFACE_VARIANTS]
    if as_json:
        print(json.dumps({"families": len(chosen), "seeds": seeds, "levels": levels,
                          "variants": rows, "failures": failures}, indent=2))
        return
    table = Table("variant", "tasks", "passed", "pass rate",
                  title=f"the reference under each variant: {len(chosen)} families, levels "
                        f"{', '.join(levels)}, seeds {seeds[0]}-{seeds[-1]}",
                  title_justify="left")
    for row in rows:
        rate = "-" if row["pass_rate"] is None else f"{row['pass_rate']:.3f}"
        table.add_row(str(row["variant"]), str(row["tasks"]), str(row["passed"]), rate)
    out.print(table)
    for failure in failures[:20]:
        err.print(f"[yellow]failed:[/yellow] {failure}", highlight=False)
    if failures:
        raise typer.Exit(1)
