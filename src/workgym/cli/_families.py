"""Core subcommands: list, show, run (reference / noop), check, new-family."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from workgym.cli import app
from workgym.cli._options import AsJson, Imports
from workgym.core import DIFFICULTIES, family_ids, get_family, parse_seeds, run_plan

out = Console()
err = Console(stderr=True)


def _seeds(text: str) -> list[int]:
    try:
        return parse_seeds(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--seeds") from None


def _family(family_id: str):  # type: ignore[no-untyped-def]
    from workgym.core import UnknownFamilyError

    try:
        return get_family(family_id)
    except UnknownFamilyError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None




def _load(imports: list[str] | None) -> None:
    """Import ``--import`` modules; report families that did not load (stderr)."""
    import warnings

    from rich.markup import escape

    from workgym.core import FamilyDiscoveryWarning, discovery_problems, import_families

    try:
        with warnings.catch_warnings():  # printed below, once, as the CLI prints warnings
            warnings.simplefilter("ignore", FamilyDiscoveryWarning)
            import_families(imports or [])
    except ImportError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    for problem in discovery_problems():
        err.print(f"[yellow]warning:[/yellow] {escape(str(problem))}", highlight=False)


def _level(value: str) -> str:
    if value not in DIFFICULTIES:
        raise typer.BadParameter(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
    return value


@app.command("list")
def list_families(
    as_json: Annotated[bool, typer.Option("--json", envvar="WORKGYM_JSON", help="Print JSON.")] = False,
    imports: Imports = None,
) -> None:
    """List the registered task families (and warn about any that did not load)."""
    _load(imports)
    rows: list[dict[str, str | list[str]]] = []
    for fid in family_ids():
        fam = get_family(fid)
        rows.append({"id": fid, "apps": list(fam.apps), "summary": fam.summary()})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("family", "apps", "summary")
    table.columns[0].no_wrap = True
    for row in rows:
        table.add_row(str(row["id"]), ", ".join(row["apps"]), str(row["summary"]))
    out.print(table)


@app.command()
def show(
    family_id: Annotated[str, typer.Argument(help="Family id, e.g. office/library-catalogue-v1.")],
    seed: Annotated[int, typer.Option(envvar="WORKGYM_SEED")] = 0,
    difficulty: Annotated[str, typer.Option(envvar="WORKGYM_DIFFICULTY", callback=_level)] = "medium",
    richness: Annotated[float, typer.Option(envvar="WORKGYM_RICHNESS", min=0.0, max=1.0)] = 0.5,
    imports: Imports = None,
) -> None:
    """Show a task: its prompt, apps, files, criteria and the reference length."""
    _load(imports)
    fam = _family(family_id)
    task = fam.task(fam.spec(seed, difficulty, richness))  # type: ignore[arg-type]
    out.print(f"[bold]{family_id}[/bold]  seed={seed}  difficulty={difficulty}  task id={task.id}")
    out.print(f"[bold]apps:[/bold] {', '.join(task.apps)}")
    out.print(f"[bold]workspace files:[/bold] {', '.join(sorted(task.template.files)) or '(none)'}")
    out.print("[bold]prompt:[/bold]")
    out.print(task.prompt, markup=False, highlight=False)
    out.print("[bold]criteria:[/bold]")
    for c in task.criteria:
        tag = "guard" if c.guard else f"w={c.weight:g}"
        out.print(f"  - {c.name} [{c.kind}, {tag}]", markup=False)
    out.print(f"[bold]reference solution:[/bold] {len(task.reference)} tool calls")


def _tally(outcomes: Any, seeds: int, max_error_share: float) -> tuple[dict[str, Any], str | None]:
    """Pass rates per criterion, the mean score, solved and median calls over the valid
    grades of ``outcomes`` ((grade, calls) pairs), and the failure to exit 1 with (too many
    invalid grades); exits 1 at once when no grade is valid."""
    passed: dict[str, list[bool]] = defaultdict(list)
    scores, calls, invalid = [], [], []
    for grade, n_calls in outcomes:
        if not grade.valid:  # a grader error: counted, never scored
            invalid.append("; ".join(grade.errors))
            continue
        for c in grade.criteria:
            passed[c.group or c.name].append(c.passed is True)
        scores.append(grade.score)
        calls.append(n_calls)
    failure = None
    if invalid and (not scores or len(invalid) > max_error_share * seeds):
        failure = (f"{len(invalid)} of {seeds} grades are invalid (grader errors); "
                   f"first: {invalid[0]}")
    if not scores:
        err.print(f"error: {failure}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    return {"invalid_grades": len(invalid), "mean_score": statistics.fmean(scores),
            "solved": sum(s == 1.0 for s in scores), "median_calls": statistics.median(calls),
            "criteria": {name: sum(v) / len(v) for name, v in passed.items()}}, failure


@app.command()
def run(
    family_id: Annotated[str, typer.Argument(help="Family id, e.g. office/library-catalogue-v1.")],
    policy: Annotated[str, typer.Option(envvar="WORKGYM_POLICY", help="reference or noop.")] = "reference",
    seeds: Annotated[str, typer.Option(envvar="WORKGYM_SEEDS", help="e.g. 0-99 or 1,5,9.")] = "0-9",
    difficulty: Annotated[str, typer.Option(envvar="WORKGYM_DIFFICULTY", callback=_level)] = "medium",
    richness: Annotated[float, typer.Option(envvar="WORKGYM_RICHNESS", min=0.0, max=1.0)] = 0.5,
    as_json: AsJson = False,
    ray: Annotated[bool, typer.Option("--ray", envvar="WORKGYM_RAY",
                                      help="Run the episodes as Ray tasks.")] = False,
    ray_address: Annotated[str | None, typer.Option(
        envvar="WORKGYM_RAY_ADDRESS", help="Ray cluster address (default: a local Ray).")] = None,
    imports: Imports = None,
    max_error_share: Annotated[float, typer.Option(
        envvar="WORKGYM_MAX_ERROR_SHARE", min=0.0, max=1.0,
        help="Exit 1 when more than this share of the episodes have an invalid grade "
             "(a grader error); it always does when none is valid.")] = 0.1,
) -> None:
    """Run a built-in policy over seeds; print per-criterion pass rates and the mean score.

    Exits 1, with the first grader error on the last line, when no grade is valid or
    more than --max-error-share of them are invalid.
    """
    _load(imports)
    if policy not in ("reference", "noop"):
        raise typer.BadParameter("policy must be 'reference' or 'noop' here; "
                                 "use 'workgym eval' for model policies", param_hint="--policy")
    fam = _family(family_id)
    seed_list = _seeds(seeds)
    from rich.progress import track

    def local_outcomes():  # type: ignore[no-untyped-def]
        for seed in track(seed_list, description=f"{policy} on {family_id}", console=err,
                          transient=True):
            task = fam.task(fam.spec(seed, difficulty, richness))  # type: ignore[arg-type]
            episode = run_plan(task) if policy == "reference" else run_plan(task, [])
            with episode:
                yield episode.grade(), len(episode.calls)

    if ray:
        from workgym.train.adapters import RayOptions, grade_on_ray

        specs = [fam.spec(seed, difficulty, richness) for seed in seed_list]  # type: ignore[arg-type]
        outcomes = grade_on_ray(specs, policy, RayOptions(address=ray_address))
    else:
        outcomes = local_outcomes()
    result, failure = _tally(outcomes, len(seed_list), max_error_share)
    result = {"family": family_id, "policy": policy, "difficulty": difficulty,
              "seeds": len(seed_list), **result}
    if as_json:
        print(json.dumps(result, indent=2), flush=True)
    else:
        table = Table("criterion", "pass rate", title=f"{family_id} / {policy} / {difficulty}")
        for name, rate in result["criteria"].items():
            table.add_row(name, f"{rate:.3f}")
        out.print(table)
        out.print(f"mean score {result['mean_score']:.3f}; solved {result['solved']}/"
                  f"{len(seed_list)}; median tool calls {result['median_calls']}")
    if failure is not None:
        err.print(f"error: {failure}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def check(
    family_id: Annotated[str, typer.Argument(help="Family id, or 'all'.")] = "all",
    seeds: Annotated[int, typer.Option(envvar="WORKGYM_CHECK_SEEDS", min=1)] = 100,
    adversarial: Annotated[bool, typer.Option(
        "--adversarial", envvar="WORKGYM_CHECK_ADVERSARIAL",
        help="Instead of the contract checks, play the shipped adversarial policies and "
             "print their mean dense score and binary pass rate per level.")] = False,
    adversarial_seeds: Annotated[int, typer.Option(
        envvar="WORKGYM_CHECK_ADVERSARIAL_SEEDS", min=1,
        help="Seeds per level for --adversarial.")] = 5,
    only: Annotated[list[str] | None, typer.Option(
        "--check", envvar="WORKGYM_CHECK_ONLY",
        help="Run only this named check (repeatable); 'workgym check --list' names them.")] = None,
    list_checks: Annotated[bool, typer.Option(
        "--list", help="List the named checks and what each catches, then stop.")] = False,
    imports: Imports = None,
) -> None:
    """Run check_family on one family or on all of them."""
    from workgym.checks import CHECKS, check_family

    if list_checks:
        for name, catches in CHECKS.items():
            out.print(f"[bold]{name}[/bold]: {catches}", highlight=False)
        raise typer.Exit(0)
    unknown = sorted(set(only or ()) - set(CHECKS))
    if unknown:
        raise typer.BadParameter(f"unknown checks {unknown}; use {', '.join(CHECKS)}",
                                 param_hint="--check")
    _load(imports)
    ids = family_ids() if family_id == "all" else [_family(family_id).family_id()]
    if adversarial:
        raise typer.Exit(_adversarial(ids, adversarial_seeds))
    failed = False
    for fid in ids:
        report = check_family(fid, seeds=seeds, raise_on_failure=False, only=only)
        for note in report.notes:
            err.print(f"  [dim]{note}[/dim]", markup=True, highlight=False)
        if report.ok:
            med = {k: statistics.median(v) for k, v in report.reference_calls.items() if v}
            out.print(f"[green]ok[/green] {fid} (reference calls, median per level: {med})")
        else:
            failed = True
            out.print(f"[red]FAIL[/red] {fid}")
            for line in report.failures:
                out.print(f"  - {line}", markup=False)
    raise typer.Exit(1 if failed else 0)


def _adversarial(ids: list[str], seeds: int) -> int:
    """Print the adversarial table of each family; 1 when an attack scores above 0.05
    mean dense at some level or a grade is invalid."""
    from workgym.agent.adversarial import adversarial_table

    failed = False
    for fid in ids:
        rows = adversarial_table(fid, range(seeds))
        table = Table("policy", *DIFFICULTIES, title=f"{fid}: mean dense / binary "
                      f"({seeds} seeds per level)")
        cells: dict[str, dict[str, str]] = defaultdict(dict)
        for row in rows:
            bad = row.mean_dense > 0.05 or row.invalid > 0
            failed = failed or bad
            text = f"{row.mean_dense:.3f} / {row.binary:.2f}"
            if row.invalid:
                text += f" ({row.invalid} invalid)"
            if bad:
                text = f"[red]{text}[/red] worst seed {row.worst_seed}"
            cells[row.policy][row.level] = text
        for policy, by_level in cells.items():
            table.add_row(policy, *(by_level.get(level, "") for level in DIFFICULTIES))
        out.print(table)
    return 1 if failed else 0


@app.command("new-family")
def new_family(
    name: Annotated[str, typer.Argument(
        help="category/name of the new family, e.g. tickets/triage.")],
    into: Annotated[str | None, typer.Option(
        envvar="WORKGYM_NEW_FAMILY_DIR",
        help="Folder that holds category folders (default: src/workgym/families in a workgym "
             "checkout, else the current folder).")] = None,
    tests: Annotated[str | None, typer.Option(
        envvar="WORKGYM_NEW_FAMILY_TESTS", help="Folder for the test (default: tests/families "
        "in a checkout, else tests).")] = None,
    docs: Annotated[str | None, typer.Option(
        envvar="WORKGYM_NEW_FAMILY_DOCS", help="Folder for the docs stub (default: docs/families "
        "in a checkout, else docs).")] = None,
) -> None:
    """Write a family skeleton that passes check_family, its test and its docs stub."""
    from pathlib import Path

    from workgym.checks import new_family as write

    checkout = Path("src/workgym/families").is_dir()
    root = Path(into or ("src/workgym/families" if checkout else "."))
    package = "workgym.families" if root.resolve() == Path("src/workgym/families").resolve() else ""
    try:
        made = write(name, root, Path(tests or ("tests/families" if checkout else "tests")),
                     Path(docs or ("docs/families" if checkout else "docs")), package=package)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from None
    for path in (made.family, made.test, made.docs):
        out.print(f"wrote {path}", highlight=False)
    hint = "" if package else f" --import {made.module}"
    out.print(f"next: workgym check {name}-v1{hint} --seeds 10", highlight=False)
