"""Planning complexity and state richness: measured on reference plans, beside a run's
scores, kept with the run and shown by its report; ``workgym stats``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_synthetic import write_run
from minimal_family import NoteTotal
from typer.testing import CliRunner

import workgym.cli._stats  # noqa: F401  (the stats command)
from workgym.agent import NoopPolicy, ReferencePolicy, run_episode
from workgym.cli import app
from workgym.core import Task, make
from workgym.eval import (
    COMPLEXITY_JSON,
    build_report,
    level_complexity,
    load_complexity,
    report_renderables,
    run_complexity,
    save_complexity,
    task_complexity,
)
from workgym.eval._report import render_html

FAMILY = "examples/note-total-v1"


def note_total(difficulty: str, seed: int = 0) -> Task:
    family = NoteTotal()
    return family.task(family.spec(seed, difficulty))  # type: ignore[arg-type]


def test_a_short_plan_measures_what_it_reads_and_nothing_learned() -> None:
    task = note_total("easy")
    got = task_complexity(task)
    amounts = task.template.files["notes/amounts.txt"]
    # read amounts.txt, write total.txt: a fixed recipe; the path it writes is the prompt's
    assert (got.calls, got.apps, got.tools) == (2, 1, 2)
    assert got.read_bytes == len(amounts) and got.branching == 1.0
    assert got.dependent == 0.0 and got.solved


def test_a_plan_that_reads_a_listing_first_depends_on_what_it_read() -> None:
    task = note_total("hard")
    got = task_complexity(task)
    extra = [p for p in task.template.files if p.startswith("notes/extra/")]
    assert got.calls == len(extra) + 3  # the listing, every note, the total
    assert (got.apps, got.tools) == (1, 3)
    # files.list -> files.read; files.read -> files.read or files.write
    assert got.branching == 1.5
    # every extra note's path came from the listing, not from the prompt
    assert got.dependent == round(len(extra) / got.calls, 3)
    assert got.read_bytes > sum(len(task.template.files[p]) for p in task.template.files)


def test_a_level_averages_its_seeds_and_the_run_puts_its_scores_beside() -> None:
    row = level_complexity(FAMILY, "easy", [0, 1, 2])
    assert row.seeds == 3 and row.calls == 2 and row.traces == 0 and row.pass_rate is None


async def _run(tmp_path: Path) -> Path:
    traces = []
    for seed in (0, 1):
        task = make(FAMILY, seed=seed, difficulty="easy")
        traces.append(await run_episode(task, ReferencePolicy()))
        traces.append(await run_episode(task, NoopPolicy(), sample=1))
    task = make(FAMILY, seed=0, difficulty="hard", variant="dialect=proc-3")
    traces.append(await run_episode(task, ReferencePolicy()))
    return write_run(tmp_path / "run", traces)


async def test_a_runs_table_is_measured_on_its_tasks_kept_and_reported(tmp_path: Path) -> None:
    from workgym.eval import load_run

    run = await _run(tmp_path)
    rows = run_complexity(load_run(run))
    assert [(r.family, r.difficulty) for r in rows] == [(FAMILY, "easy"), (FAMILY, "hard")]
    easy, hard = rows
    assert (easy.seeds, easy.traces, easy.pass_rate, easy.mean_score) == (2, 4, 0.5, 0.5)
    assert (hard.seeds, hard.traces, hard.pass_rate) == (1, 1, 1.0)  # the dialect's trace
    assert hard.calls > easy.calls and hard.branching > easy.branching
    assert not load_complexity(run)
    path = save_complexity(rows, run)
    assert path == run / COMPLEXITY_JSON and load_complexity(run) == rows
    report = build_report(run)
    assert report.complexity == rows
    text = " ".join(str(getattr(p, "title", p)) for p in report_renderables(report))
    assert "planning complexity" in text
    page = render_html(report)
    assert "<h2>Planning complexity and state richness</h2>" in page and FAMILY in page
    (run / COMPLEXITY_JSON).write_text("{not a table")
    with pytest.raises(ValueError, match="workgym stats --run"):
        load_complexity(run)


def test_stats_prints_the_table_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["stats", FAMILY, "--seeds", "0-1", "--levels", "easy,hard",
                                 "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["family"], r["difficulty"], r["seeds"]) for r in rows] == [
        (FAMILY, "easy", 2), (FAMILY, "hard", 2)]
    shown = runner.invoke(app, ["stats", FAMILY, "--seeds", "0", "--levels", "easy"])
    assert shown.exit_code == 0 and "read KB" in shown.stdout and "examples" in shown.stdout
    bad = runner.invoke(app, ["stats", FAMILY, "--levels", "extreme"])
    assert bad.exit_code == 2 and "levels are easy" in bad.output


async def test_stats_of_a_run_keeps_its_table(tmp_path: Path) -> None:
    run = await _run(tmp_path)
    result = CliRunner().invoke(app, ["stats", "--run", str(run), "--json"])
    assert result.exit_code == 0, result.output
    assert [r["traces"] for r in json.loads(result.stdout)] == [4, 1]
    assert (run / COMPLEXITY_JSON).is_file()


def test_stats_interface_gives_the_references_pass_rate_per_variant() -> None:
    result = CliRunner().invoke(app, ["stats", FAMILY, "--interface", "--seeds", "0",
                                      "--levels", "easy", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    variants = {row["variant"]: row for row in got["variants"]}
    assert {"default", "dialect=mcp-public", "dialect=proc-0", "phrasing=6"} <= set(variants)
    assert all(row["tasks"] == 1 and row["pass_rate"] == 1.0 for row in variants.values())
    assert got["failures"] == []
