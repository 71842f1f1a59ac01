"""Planning complexity and state richness: measured properties of a family's tasks.

What a task asks of a policy, read off its reference plan run on a fresh episode:

- ``calls``: the reference's length;
- ``apps`` and ``tools``: how many distinct apps and tools it calls;
- ``read_bytes``: the state the agent must read, the bytes (UTF-8) of what the
  reference's read-only calls return;
- ``branching``: how much the next step depends on more than the last one. The plan's
  tool graph links each tool to the tools that come right after it somewhere in the plan;
  ``branching`` is the mean number of distinct successors of the tools that have one.
  1.0 is a fixed recipe (each tool always followed by the same one); a plan that moves
  from a tool to several others, as what it read decides, scores higher;
- ``dependent``: the share of steps whose arguments carry a value the agent could only
  have learned by reading: a string (3 to 200 characters, one line) or a number (10 or
  more) that an earlier read-only call returned and the prompt does not hold.

Next to them, from a run, how a policy fared on the same family and level (pass rate and
mean score): whether the goal is reachable under that policy, and which properties go
with the hard families.
"""

from __future__ import annotations

import html
import itertools
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from workgym.core import (
    DIFFICULTIES,
    App,
    Task,
    TaskSpec,
    Trace,
    UnknownFamilyError,
    get_family,
    make_from_spec,
    run_plan,
)

MAX_SEEDS_PER_LEVEL = 3
"""Tasks per family and level measured for a report (the reference runs once each)."""


class TaskComplexity(BaseModel):
    """The measured properties of one task (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    calls: int
    apps: int
    tools: int
    read_bytes: int
    branching: float
    dependent: float
    solved: bool
    """Whether the reference solved it (the measures assume it does)."""


class LevelComplexity(BaseModel):
    """The properties of a family at one level, averaged over seeds, and a run's scores."""

    model_config = ConfigDict(frozen=True)

    family: str
    difficulty: str
    seeds: int
    calls: float
    apps: float
    tools: float
    read_bytes: float
    branching: float
    dependent: float
    traces: int = 0
    """Graded traces of the run at this family and level (0: no run given)."""
    pass_rate: float | None = None
    """Share of those traces that passed (pass@1)."""
    mean_score: float | None = None


def _leaves(value: Any) -> Iterable[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        else:
            yield item


def _learned(value: Any) -> str | None:
    """The text form of an argument value that could carry something read, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and abs(value) >= 10:
        return str(value)
    if isinstance(value, str) and 3 <= len(value) <= 200 and "\n" not in value:
        return value
    return None


def task_complexity(task: Task) -> TaskComplexity:
    """Run ``task``'s reference on a fresh episode and measure it."""
    read_only = {s.name for a in task.apps if a in App.registry
                 for s in App.registry[a].tool_specs().values() if s.read_only}
    with run_plan(task) as episode:
        calls = list(episode.calls)
        grade = episode.grade()
    read_bytes = 0
    seen: list[str] = []
    dependent = 0
    for call in calls:
        values = [v for v in map(_learned, _leaves(call.args)) if v is not None]
        if any(v not in task.prompt and any(v in out for out in seen) for v in values):
            dependent += 1
        if call.ok and call.name in read_only:
            read_bytes += len(call.output.encode("utf-8"))
            seen.append(call.output)
    names = [c.name for c in task.reference]
    after: dict[str, set[str]] = defaultdict(set)
    for here, there in itertools.pairwise(names):
        after[here].add(there)
    branching = statistics.fmean(len(s) for s in after.values()) if after else 0.0
    return TaskComplexity(
        calls=len(names), apps=len({n.split(".", 1)[0] for n in names}), tools=len(set(names)),
        read_bytes=read_bytes, branching=round(branching, 3),
        dependent=round(dependent / len(calls), 3) if calls else 0.0,
        solved=bool(grade.valid and grade.passed))


def level_complexity(family_id: str, difficulty: str, seeds: Sequence[int],
                     traces: Sequence[Trace] = ()) -> LevelComplexity:
    """A family's properties at one level over ``seeds``, beside the scores of ``traces``
    (those of this family and level; other traces are ignored)."""
    family = get_family(family_id)
    measured = [task_complexity(family.task(family.spec(seed, difficulty)))  # type: ignore[arg-type]
                for seed in seeds]
    return _row(family_id, difficulty, measured, traces)


def _row(family_id: str, difficulty: str, measured: Sequence[TaskComplexity],
         traces: Sequence[Trace]) -> LevelComplexity:
    mine = [t for t in traces if t.spec.family_id == family_id and t.spec.difficulty == difficulty
            and t.error is None and t.grade is not None and t.grade.valid]

    def mean(field: str) -> float:
        return round(statistics.fmean(getattr(m, field) for m in measured), 3)

    return LevelComplexity(
        family=family_id, difficulty=difficulty, seeds=len(measured),
        calls=mean("calls"), apps=mean("apps"), tools=mean("tools"),
        read_bytes=mean("read_bytes"), branching=mean("branching"),
        dependent=mean("dependent"), traces=len(mine),
        pass_rate=round(sum(bool(t.grade and t.grade.passed) for t in mine) / len(mine), 3)
        if mine else None,
        mean_score=round(statistics.fmean(t.grade.score for t in mine if t.grade), 3)
        if mine else None)


def run_complexity(traces: Sequence[Trace],
                   per_level: int = MAX_SEEDS_PER_LEVEL) -> list[LevelComplexity]:
    """The properties of every family and level a run holds, measured on (up to
    ``per_level``) tasks of the run itself, beside the run's scores there.

    Families that are not registered here (another installation's) are left out.
    """
    specs: dict[tuple[str, str], list[TaskSpec]] = defaultdict(list)
    for trace in traces:
        key = (trace.spec.family_id, trace.spec.difficulty)
        plain = trace.spec.model_copy(update={"variant": "default"})
        if plain not in specs[key] and len(specs[key]) < per_level:
            specs[key].append(plain)
    rows = []
    order: dict[str, int] = {d: i for i, d in enumerate(DIFFICULTIES)}
    for (family_id, difficulty), chosen in sorted(specs.items(),
                                                  key=lambda kv: (kv[0][0], order[kv[0][1]])):
        try:
            measured = [task_complexity(make_from_spec(s)) for s in chosen]
        except (UnknownFamilyError, ValueError):
            continue  # a family (or version) this installation does not have
        rows.append(_row(family_id, difficulty, measured, traces))
    return rows


COLUMNS: tuple[str, ...] = ("family", "level", "calls", "apps", "tools", "read KB",
                            "branch", "dep", "n", "pass", "score")
"""The columns of the complexity table, as ``cells`` fills them (branch: branching; dep:
dependent; n, pass, score: the run's graded traces, pass rate and mean score)."""


def cells(row: LevelComplexity) -> list[str]:
    """One row of the complexity table as text (``-`` where the run has no scores)."""

    def opt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    return [row.family, row.difficulty, f"{row.calls:g}", f"{row.apps:g}", f"{row.tools:g}",
            f"{row.read_bytes / 1000:.1f}", f"{row.branching:.2f}", f"{row.dependent:.2f}",
            str(row.traces), opt(row.pass_rate), opt(row.mean_score)]


# -- kept with a run, shown in its report --------------------------------------------------

COMPLEXITY_JSON = "complexity.json"
"""Where ``workgym stats --run`` keeps a run's table; its report shows it."""


def _folder(run: str | Path) -> Path:
    path = Path(run)
    return path.parent if path.is_file() else path


def save_complexity(rows: Sequence[LevelComplexity], run: str | Path) -> Path:
    """Write ``rows`` to the run folder's ``complexity.json``; returns its path."""
    path = _folder(run) / COMPLEXITY_JSON
    path.write_text(json.dumps([r.model_dump(mode="json") for r in rows], indent=2) + "\n",
                    encoding="utf-8")
    return path


def load_complexity(run: str | Path) -> list[LevelComplexity]:
    """The rows of the run folder's ``complexity.json``; none when it has none.

    Raises:
        ValueError: the file is there but is not such a table (say which and how to redo it).
    """
    path = _folder(run) / COMPLEXITY_JSON
    if not path.is_file():
        return []
    try:
        return [LevelComplexity.model_validate(r) for r in json.loads(path.read_text("utf-8"))]
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} is not a complexity table ({exc}); write it again with "
                         f"'workgym stats --run {_folder(run)}'") from None


TITLE = "planning complexity and state richness (reference plan); a run's pass rate and score"


def complexity_table(rows: Sequence[LevelComplexity]) -> Any:
    """The rows as a rich table."""
    from rich import box
    from rich.table import Table

    table = Table(title=TITLE, title_justify="left", box=box.SIMPLE_HEAD, title_style="bold",
                  pad_edge=False, padding=(0, 0), show_edge=False)
    # without a run's scores the last three columns say nothing: left out, the rest fit
    # 80 columns
    shown = len(COLUMNS) if any(r.traces for r in rows) else len(COLUMNS) - 3
    for name in COLUMNS[:shown]:
        table.add_column(name, justify="left" if name in ("family", "level") else "right",
                         overflow="fold", min_width=len(name))
    for row in rows:
        table.add_row(*cells(row)[:shown])
    return table


def complexity_html(rows: Sequence[LevelComplexity]) -> list[str]:
    """The rows as a section of the HTML report."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells(r)) + "</tr>"
                   for r in rows)
    note = ("calls, apps, tools: of the reference plan; read KB: what its read-only calls "
            "return; branching: mean distinct successors of a tool in the plan; dependent: "
            "share of steps whose arguments carry a value only a read revealed; pass, score: "
            "of this run's graded traces (docs/variants.md).")
    return ["<h2>Planning complexity and state richness</h2>",
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
            f'<p class="note">{html.escape(note)}</p>']
