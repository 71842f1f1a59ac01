"""The transfer table: in-distribution gain next to external-benchmark gains.

Two sets of run folders, one per checkpoint (base and trained), are paired by benchmark:
a run's benchmark is ``benchmark`` in its ``config.json`` (``bfcl``, ``tau2``,
``toolathlon``), and ``workgym`` for runs of workgym suites. Each row compares the same
test cases in both runs: pass@1 and pass@k of each checkpoint, the paired change in
percentage points with its confidence interval, and the ratio of the row's pass@1 gain
to the workgym holdout's (how much of the in-distribution gain carried over). Rows whose
scores a run shows to be free points (the model never saw the tools, and calling nothing
is right there) are marked unreliable, with the reason in the notes.

The workgym runs are also scored per side of each generalization split
(``workgym.agent.SPLITS``) their tasks are on: one column per split the runs cover, with
base, trained and the paired change on its test side (and its train side where the runs
hold one). A split neither run covers is named in the notes, never scored 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from workgym.agent import SPLITS, Side, split_sides
from workgym.core import TaskSpec, Trace
from workgym.eval import (
    CIConfig,
    Delta,
    RunError,
    TaskOutcome,
    load_run,
    load_run_config,
    paired_delta,
    task_outcomes,
    task_values,
)
from workgym.external._common import ToolReach, tool_reach, unreliable_groups

Number = Annotated[float, BeforeValidator(lambda v: math.nan if v is None else v)]
"""A float that may be NaN (``null`` in JSON)."""
WORKGYM = "workgym"
TEST_FIRST: tuple[Side, ...] = ("test", "train")
"""The order of a split's sides in the table."""
EXTERNAL = ("bfcl", "tau2", "toolathlon")


class TransferRow(BaseModel):
    """One benchmark (or one of its categories) measured on both checkpoints."""

    model_config = ConfigDict(frozen=True)

    benchmark: str
    """``workgym``, ``bfcl``, ``tau2`` or ``toolathlon``."""
    group: str
    """``all`` or the category (``bfcl/simple_python``, ``tau2/airline``...); for workgym,
    the suite run (``holdout``)."""
    k: int
    """The k of pass@k: the fewest samples a common case has in either run."""
    cases: int
    """Cases graded in both runs."""
    pass1: Delta
    """pass@1 of base (``a``) and trained (``b``), the change and its interval."""
    passk: Delta
    """pass@k, likewise."""
    ratio: Number
    """This row's pass@1 change divided by the workgym holdout's (NaN if that is 0 or
    missing); 1.0 means the in-distribution gain transferred in full."""
    ratio_k: Number
    """The same ratio for pass@k."""
    unreliable: str | None = None
    """Why this row's scores cannot be trusted (None: nothing known against them): a run
    on one side shows the model never saw the tools, and here calling nothing is right."""


class SplitColumn(BaseModel):
    """One side of one generalization split, measured on both checkpoints' workgym runs."""

    model_config = ConfigDict(frozen=True)

    split: str
    """The split's name (``interface``)."""
    side: Side
    """``test`` or ``train``."""
    cases: int
    """Tasks of the side graded in both runs."""
    pass1: Delta
    """pass@1 of base (``a``) and trained (``b``), the change and its interval."""
    score: Delta
    """Mean dense reward (per-task mean score), likewise."""


class TransferTable(BaseModel):
    """Rows for the workgym holdout and every external benchmark found on both sides."""

    model_config = ConfigDict(frozen=True)

    base: list[str]
    trained: list[str]
    threshold: float
    ci: CIConfig
    rows: list[TransferRow]
    splits: list[SplitColumn] = []
    """Per split side the workgym runs cover: by split (``SPLITS`` order), test first."""
    notes: list[str]
    """Unpaired runs, differing user simulators, runs where the tools never reached the
    model, and other things to know."""


def run_benchmark(folder: Path, traces: Sequence[Trace], config: dict[str, Any]) -> str:
    """The benchmark a run folder holds."""
    name = config.get("benchmark")
    if isinstance(name, str) and name:
        return name
    families = {t.spec.category for t in traces}
    external = families & set(EXTERNAL)
    return external.pop() if len(external) == 1 and families == {*external} else WORKGYM


def expand_runs(paths: Sequence[str | Path]) -> list[Path]:
    """Run folders from arguments: folders holding ``traces.jsonl``, folders of such
    folders, and comma-separated lists of either."""
    out: list[Path] = []
    for item in paths:
        for part in str(item).split(","):
            if not part.strip():
                continue
            path = Path(part.strip())
            if (path / "traces.jsonl").is_file():
                out.append(path)
            elif path.is_dir():
                found = sorted(p for p in path.iterdir() if (p / "traces.jsonl").is_file())
                if not found:
                    raise RunError(f"{path} holds no run (no traces.jsonl in it or its folders)")
                out.extend(found)
            else:
                raise RunError(f"run folder {path} does not exist")
    return out


Run = tuple[Path, list[Trace], dict[str, Any]]


def _load(paths: Sequence[str | Path]) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    for path in expand_runs(paths):
        traces, config = load_run(path), load_run_config(path)
        bench = run_benchmark(path, traces, config)
        if bench in runs:
            raise RunError(f"two {bench} runs on one side: {runs[bench][0]} and {path}; "
                           "pass one run per benchmark and checkpoint")
        runs[bench] = (path, traces, config)
    return runs


def _k(a: Sequence[TaskOutcome], b: Sequence[TaskOutcome]) -> int:
    common = {o.task_id for o in a} & {o.task_id for o in b}
    counts = [o.n for o in [*a, *b] if o.task_id in common]
    return min(counts) if counts else 1


def _row(bench: str, group: str, a: Sequence[TaskOutcome], b: Sequence[TaskOutcome],
         ci: CIConfig, k: int) -> TransferRow:
    pass1 = paired_delta(task_values(a, "pass@1"), task_values(b, "pass@1"), "pass@1", ci)
    passk = paired_delta(task_values(a, f"pass@{k}"), task_values(b, f"pass@{k}"), f"pass@{k}", ci)
    return TransferRow(benchmark=bench, group=group, k=k, cases=pass1.tasks, pass1=pass1,
                       passk=passk, ratio=math.nan, ratio_k=math.nan)


def _sides_of(traces: Sequence[Trace]) -> dict[str, dict[str, Side | None]]:
    """The split sides of each task of a run, by task id."""
    specs: dict[str, TaskSpec] = {t.task_id: t.spec for t in traces}
    return {task_id: split_sides(spec) for task_id, spec in specs.items()}


def _split_columns(traces_a: Sequence[Trace], traces_b: Sequence[Trace],
                   out_a: Sequence[TaskOutcome], out_b: Sequence[TaskOutcome], ci: CIConfig,
                   notes: list[str]) -> list[SplitColumn]:
    """The paired change per split side both workgym runs hold tasks of; a note for each
    split side only one run holds and for the splits neither covers."""
    sides_a, sides_b = _sides_of(traces_a), _sides_of(traces_b)
    columns: list[SplitColumn] = []
    uncovered: list[str] = []
    for name in SPLITS:
        found = False
        for side in TEST_FIRST:
            ids_a = {t for t, where in sides_a.items() if where[name] == side}
            ids_b = {t for t, where in sides_b.items() if where[name] == side}
            if not ids_a and not ids_b:
                continue
            found = True
            if not ids_a & ids_b:
                only = "base" if ids_a else "trained"
                notes.append(f"split {name} ({side} side): only the {only} workgym run holds "
                             "tasks of it, nothing to pair")
                continue
            ga = [o for o in out_a if o.task_id in ids_a]
            gb = [o for o in out_b if o.task_id in ids_b]
            pass1 = paired_delta(task_values(ga, "pass@1"), task_values(gb, "pass@1"),
                                 "pass@1", ci)
            score = paired_delta(task_values(ga, "mean_score"), task_values(gb, "mean_score"),
                                 "mean_score", ci)
            columns.append(SplitColumn(split=name, side=side, cases=pass1.tasks, pass1=pass1,
                                       score=score))
        if not found:
            uncovered.append(name)
    if uncovered:
        notes.append(f"splits the workgym runs do not cover (no task on either side, not "
                     f"scored): {', '.join(uncovered)}")
    return columns


def _unreliable(bench: str, reaches: Sequence[tuple[str, ToolReach]],
                notes: list[str]) -> dict[str, str]:
    """Groups of ``bench`` whose scores a side's tool-reach check makes unreliable, with
    the reason; a note per such side."""
    out: dict[str, str] = {}
    for side, reach in reaches:
        if not reach.unreliable:
            continue
        notes.append(f"{bench} ({side} run): {reach.message}")
        for group in sorted(unreliable_groups(reach)):
            reason = (f"the {side} run shows the model never saw the tools "
                      f"({reach.verdict.replace('_', ' ')})")
            out[group] = f"{out[group]}; {reason}" if group in out else reason
    return out


def _ratio(delta: float, reference: float | None) -> float:
    if reference is None or math.isnan(reference) or reference == 0 or math.isnan(delta):
        return math.nan
    return delta / reference


def transfer_table(
    base: Sequence[str | Path],
    trained: Sequence[str | Path],
    *,
    threshold: float = 1.0,
    ci: CIConfig | None = None,
) -> TransferTable:
    """Pair base and trained runs by benchmark and measure the change on each.

    Args:
        base: run folders of the base checkpoint (or folders of run folders).
        trained: run folders of the trained checkpoint.
        threshold: success threshold of a sample (1.0: every criterion passed).
        ci: confidence-interval settings (seeded: same runs, same intervals).

    Raises:
        RunError: a folder is missing or corrupt, or one side holds two runs of one
            benchmark.
    """
    import warnings

    ci = ci or CIConfig()
    runs_a, runs_b = _load(base), _load(trained)
    notes: list[str] = []
    for bench in sorted(set(runs_a) ^ set(runs_b)):
        side, other = ("base", "trained") if bench in runs_a else ("trained", "base")
        notes.append(f"{bench}: only in the {side} runs, no {other} run to pair with")
    order = [WORKGYM, *EXTERNAL]
    paired = sorted(set(runs_a) & set(runs_b),
                    key=lambda b: (order.index(b) if b in order else len(order), b))
    rows: list[TransferRow] = []
    splits: list[SplitColumn] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cases with too few samples
        for bench in paired:
            (_, traces_a, config_a), (_, traces_b, config_b) = runs_a[bench], runs_b[bench]
            if bench == "tau2" and config_a.get("user_model") != config_b.get("user_model"):
                notes.append(f"tau2: the user simulators differ ({config_a.get('user_model')} vs "
                             f"{config_b.get('user_model')}); the change mixes agent and user")
            out_a = task_outcomes(traces_a, threshold)
            out_b = task_outcomes(traces_b, threshold)
            k = _k(out_a, out_b)
            group = "all"
            if bench == WORKGYM:
                suite = config_a.get("suite") or next((t.suite for t in traces_a if t.suite), None)
                group = str(suite or "all")
                splits = _split_columns(traces_a, traces_b, out_a, out_b, ci, notes)
            bad = {} if bench == WORKGYM else _unreliable(
                bench, [("base", tool_reach(traces_a)), ("trained", tool_reach(traces_b))], notes)
            rows.append(_row(bench, group, out_a, out_b, ci, k).model_copy(
                update={"unreliable": bad.get("all")}))
            if bench != WORKGYM:
                families = sorted({o.spec.family for o in out_a} | {o.spec.family for o in out_b})
                if len(families) > 1:
                    for family in families:
                        ga = [o for o in out_a if o.spec.family == family]
                        gb = [o for o in out_b if o.spec.family == family]
                        rows.append(_row(bench, family, ga, gb, ci, k).model_copy(
                            update={"unreliable": bad.get(family)}))
    reference = next((r for r in rows if r.benchmark == WORKGYM), None)
    if reference is None:
        notes.append("no workgym run on both sides: transfer ratios are undefined")
    rows = [r.model_copy(update={
        "ratio": _ratio(r.pass1.delta, reference.pass1.delta if reference else None),
        "ratio_k": _ratio(r.passk.delta, reference.passk.delta if reference else None),
    }) if r.benchmark != WORKGYM else r for r in rows]
    names_a = [str(runs_a[b][0]) for b in sorted(runs_a)]
    names_b = [str(runs_b[b][0]) for b in sorted(runs_b)]
    return TransferTable(base=names_a, trained=names_b, threshold=threshold, ci=ci, rows=rows,
                         splits=splits, notes=notes)


def _label(row: TransferRow, indent: str) -> str:
    if row.benchmark == WORKGYM:
        return f"workgym {row.group}" if row.group != "all" else "workgym"
    name = row.benchmark if row.group == "all" else f"{indent}{row.group}"
    return f"{name} (unreliable)" if row.unreliable else name


def _pp(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}"


def _delta(d: Delta) -> str:
    if math.isnan(d.delta):
        return "-"
    return f"{100 * d.delta:+.1f} [{100 * d.lo:+.1f}, {100 * d.hi:+.1f}]"


def _split_grid(table: TransferTable) -> tuple[list[str], list[list[str]]]:
    """The split columns as a grid: a header of split names, then one row per measure
    and side (label first); a side a split's runs do not hold reads ``not covered``."""
    names = list(dict.fromkeys(c.split for c in table.splits))
    cells = {(c.split, c.side): c for c in table.splits}
    rows: list[list[str]] = []
    for side in TEST_FIRST:
        if not any(c.side == side for c in table.splits):
            continue
        measures: list[tuple[str, Callable[[SplitColumn], str]]] = [
            ("cases", lambda c: str(c.cases)),
            ("base pass@1", lambda c: _pp(c.pass1.a)),
            ("trained pass@1", lambda c: _pp(c.pass1.b)),
            ("Δ pass@1", lambda c: _delta(c.pass1)),
            ("base mean score", lambda c: _pp(c.score.a)),
            ("trained mean score", lambda c: _pp(c.score.b)),
            ("Δ mean score", lambda c: _delta(c.score)),
        ]
        for label, get in measures:
            rows.append([f"{side}: {label}", *(
                get(cells[(n, side)]) if (n, side) in cells else "not covered" for n in names)])
    return names, rows


def transfer_renderables(table: TransferTable) -> list[Any]:
    """Rich renderables of the table (and its notes)."""
    from rich.table import Table

    level = round(table.ci.level * 100)
    out = Table(title=f"transfer (pass rates in %, changes in points with {level}% CI)")
    for column in ("benchmark", "cases", "k", "base pass@1", "trained pass@1", "Δ pass@1",
                   "base pass@k", "trained pass@k", "Δ pass@k", "ratio"):
        out.add_column(column, justify="left" if column == "benchmark" else "right")
    for r in table.rows:
        name = _label(r, "  ")
        ratio = "" if r.benchmark == WORKGYM else ("-" if math.isnan(r.ratio) else f"{r.ratio:.2f}")
        out.add_row(name, str(r.cases), str(r.k), _pp(r.pass1.a), _pp(r.pass1.b), _delta(r.pass1),
                    _pp(r.passk.a), _pp(r.passk.b), _delta(r.passk), ratio)
    parts: list[Any] = [out]
    if table.splits:
        names, grid = _split_grid(table)
        splits = Table(title=f"workgym generalization splits (pass@1 and mean score in %, "
                             f"changes in points with {level}% CI)")
        splits.add_column("side: measure", justify="left")
        for name in names:
            splits.add_column(name, justify="right")
        for row in grid:
            splits.add_row(*row)
        parts.append(splits)
    return [*parts, *(f"note: {n}" for n in table.notes)]


def transfer_markdown(table: TransferTable) -> str:
    """The table as Markdown (for reports and model cards)."""
    head = ("| benchmark | cases | k | base pass@1 | trained pass@1 | Δ pass@1 (pp) | "
            "base pass@k | trained pass@k | Δ pass@k (pp) | ratio |")
    lines = [head, "|" + "---|" * 10]
    for r in table.rows:
        name = _label(r, "&nbsp;&nbsp;")
        ratio = "" if r.benchmark == WORKGYM else ("-" if math.isnan(r.ratio) else f"{r.ratio:.2f}")
        lines.append(f"| {name} | {r.cases} | {r.k} | {_pp(r.pass1.a)} | {_pp(r.pass1.b)} | "
                     f"{_delta(r.pass1)} | {_pp(r.passk.a)} | {_pp(r.passk.b)} | "
                     f"{_delta(r.passk)} | {ratio} |")
    if table.splits:
        names, grid = _split_grid(table)
        title = ("Generalization splits (workgym runs; pass@1 and mean score in %, changes "
                 "in points):")
        lines += ["", title, "", f"| side: measure | {' | '.join(names)} |",
                  "|" + "---|" * (len(names) + 1), *(f"| {' | '.join(row)} |" for row in grid)]
    lines += [f"\n- {n}" for n in table.notes]
    return "\n".join(lines) + "\n"
