"""The report's generalization-split section, on real runs of the reference and noop
policies over a few split sides."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from workgym.agent import SPLITS, RunConfig, run, split_sides, split_specs
from workgym.core import TaskSpec
from workgym.eval import build_report, render_html, report_renderables, write_report

FAMILIES = ("office/library-catalogue-v1", "calendar/interview-loop-v1")
"""Two quick families, both on the train side of ``transfer``."""


def split_tasks() -> list[TaskSpec]:
    """One seed per family and level of: the interface test and train sides, and the
    holdout test side (whose hard tasks are the difficulty split's test side too)."""
    picked = [*split_specs("interface", "test", 1), *split_specs("interface", "train", 1),
              *split_specs("holdout", "test", 1)]
    return [s for s in picked if s.family_id in FAMILIES]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("split-runs")
    tasks = split_tasks()
    for policy in ("reference", "noop"):
        asyncio.run(run(RunConfig(policy=policy, tasks=tasks, concurrency=4), root / policy))
    return {"reference": root / "reference", "noop": root / "noop"}


def test_split_sides_places_each_split_side_and_nothing_else() -> None:
    for name in SPLITS:
        for side in ("train", "test"):
            assert {split_sides(s)[name] for s in split_specs(name, side, 1)} == {side}
    outside = TaskSpec(family="bfcl/simple_python", version=1, seed=0)
    assert split_sides(outside) == dict.fromkeys(SPLITS)
    (interface,) = [s for s in split_specs("interface", "test", 1)
                    if s.family_id == FAMILIES[0] and s.difficulty == "easy"]
    plain = interface.model_copy(update={"variant": "default"})
    assert split_sides(interface)["holdout"] is None and split_sides(plain)["interface"] is None
    assert split_sides(plain)["holdout"] == "test"


@pytest.mark.parametrize("policy, value", [("reference", 1.0), ("noop", 0.0)])
def test_report_scores_each_covered_split_side(runs: dict[str, Path], policy: str,
                                               value: float) -> None:
    report = build_report(runs[policy], splits=split_sides)
    assert report.splits is not None
    got = {(s.split, s.side): s for s in report.splits.scores}
    assert {key: s.tasks for key, s in got.items()} == {
        ("holdout", "test"): 6, ("interface", "test"): 6, ("interface", "train"): 6,
        ("difficulty", "test"): 2}
    for s in got.values():
        assert (s.pass1.value, s.mean_score.value, s.errors) == (value, value, 0)
        assert s.samples == s.tasks
    assert report.splits.uncovered == ["transfer", "paraphrase", "richness"]


def test_uncovered_splits_are_said_not_scored(runs: dict[str, Path], tmp_path: Path) -> None:
    report = build_report(runs["noop"], splits=split_sides)
    page = render_html(report)
    section = page.split("<h2>Generalization splits</h2>", 1)[1].split("<h2>", 1)[0]
    assert "Not covered by this run (no task on either side, so not scored): transfer, " \
           "paraphrase, richness." in section
    rows = section.split("<tr>")[2:]
    assert len(rows) == 4 and not any(">paraphrase<" in r or ">richness<" in r for r in rows)
    console = Console(record=True, width=140)
    for part in report_renderables(report):
        console.print(part)
    text = console.export_text()
    assert "generalization splits" in text and "not covered by this run" in text
    assert not any(line.split()[:1] == ["transfer"] for line in text.splitlines())
    json_path, _ = write_report(report, tmp_path, viewer=False)
    saved = json.loads(json_path.read_text())["splits"]
    assert saved["splits"] == list(SPLITS)
    assert saved["uncovered"] == ["transfer", "paraphrase", "richness"]
    assert {s["split"] for s in saved["scores"]} == {"holdout", "interface", "difficulty"}


def test_report_without_split_definitions_has_no_split_section(runs: dict[str, Path]) -> None:
    report = build_report(runs["reference"])
    assert report.splits is None
    assert "Generalization splits" not in render_html(report)
    assert not math.isnan(report.summary.overall.pass_at_k[1].value)
