"""Reading a run's saved config: ``load_run_config``, and the deprecated ``load_config``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import workgym.eval
from workgym.eval import RunError, load_run_config


def test_load_run_config_reads_the_saved_config_from_folder_or_traces(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"suite": "smoke", "k": 3}))
    (tmp_path / "traces.jsonl").write_text("")
    assert load_run_config(tmp_path) == {"suite": "smoke", "k": 3}
    assert load_run_config(tmp_path / "traces.jsonl") == {"suite": "smoke", "k": 3}


def test_load_run_config_of_a_run_without_config_is_empty(tmp_path: Path) -> None:
    assert load_run_config(tmp_path) == {}


def test_load_run_config_refuses_a_corrupt_config(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(RunError, match="not valid JSON"):
        load_run_config(tmp_path)


def test_old_name_warns_and_still_reads(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"k": 2}))
    with pytest.warns(DeprecationWarning, match="load_run_config"):
        old = workgym.eval.load_config
    assert old(tmp_path) == {"k": 2}
    assert "load_config" not in workgym.eval.__all__


def test_unknown_names_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = workgym.eval.no_such_name  # type: ignore[attr-defined]
