"""The transfer table's generalization-split columns, on real runs of the noop (base) and
reference (trained) policies over a few split sides."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from workgym.agent import RunConfig, run, split_specs
from workgym.cli import _load_commands, app
from workgym.core import TaskSpec
from workgym.external import transfer_markdown, transfer_renderables, transfer_table

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
    root = tmp_path_factory.mktemp("transfer-split-runs")
    tasks = split_tasks()
    plain = [t for t in tasks if t.variant == "default"]
    for name, policy, chosen in (("base", "noop", tasks), ("trained", "reference", tasks),
                                 ("base-plain", "noop", plain)):
        asyncio.run(run(RunConfig(policy=policy, tasks=chosen, concurrency=4), root / name))
    return {name: root / name for name in ("base", "trained", "base-plain")}


def test_split_columns_pair_base_and_trained(runs: dict[str, Path]) -> None:
    table = transfer_table([runs["base"]], [runs["trained"]])
    got = {(c.split, c.side): c for c in table.splits}
    assert list(got) == [("holdout", "test"), ("interface", "test"), ("interface", "train"),
                         ("difficulty", "test")]
    assert {key: c.cases for key, c in got.items()} == {
        ("holdout", "test"): 6, ("interface", "test"): 6, ("interface", "train"): 6,
        ("difficulty", "test"): 2}
    for c in got.values():
        assert (c.pass1.a, c.pass1.b, c.pass1.delta) == (0.0, 1.0, 1.0)
        assert (c.score.a, c.score.b, c.score.delta) == (0.0, 1.0, 1.0)
    assert any(n.startswith("splits the workgym runs do not cover") and
               n.endswith(": transfer, paraphrase, richness") for n in table.notes)
    workgym = table.rows[0]
    assert workgym.benchmark == "workgym" and workgym.pass1.delta == 1.0


def test_uncovered_splits_get_no_column_and_no_zero(runs: dict[str, Path]) -> None:
    table = transfer_table([runs["base"]], [runs["trained"]])
    markdown = transfer_markdown(table)
    head = "| side: measure | holdout | interface | difficulty |"
    assert head in markdown
    lines = markdown.splitlines()
    grid = lines[lines.index(head) + 2:]
    test_rows = {r.split(" | ")[0].lstrip("| "): r for r in grid if r.startswith("| test:")}
    assert test_rows["test: Δ pass@1"] == (
        "| test: Δ pass@1 | +100.0 [+100.0, +100.0] | +100.0 [+100.0, +100.0] | "
        "+100.0 [+100.0, +100.0] |")
    train = next(r for r in grid if r.startswith("| train: trained pass@1"))
    assert train == "| train: trained pass@1 | not covered | 100.0 | not covered |"
    console = Console(record=True, width=200)
    for part in transfer_renderables(table):
        console.print(part)
    text = console.export_text()
    assert "workgym generalization splits" in text
    assert "paraphrase" not in text.split("note:", 1)[0]


def test_a_split_side_in_one_run_only_is_noted_not_paired(runs: dict[str, Path]) -> None:
    table = transfer_table([runs["base-plain"]], [runs["trained"]])
    assert {(c.split, c.side) for c in table.splits} == {("holdout", "test"),
                                                         ("difficulty", "test")}
    assert "split interface (test side): only the trained workgym run holds tasks of it, " \
           "nothing to pair" in table.notes


def test_transfer_command_prints_the_split_columns(runs: dict[str, Path]) -> None:
    _load_commands()
    result = CliRunner().invoke(app, ["transfer", str(runs["base"]), str(runs["trained"]),
                                      "--json"])
    assert result.exit_code == 0, result.output
    splits = json.loads(result.output)["splits"]
    assert [(c["split"], c["side"]) for c in splits][:2] == [("holdout", "test"),
                                                             ("interface", "test")]
    assert splits[0]["pass1"]["delta"] == 1.0
