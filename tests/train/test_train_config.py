"""Reading a trainer's config file: refusals as one line that names each field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workgym.train import GSPOTrainConfig, load_config


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "gspo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_invalid_fields_are_one_line_naming_each_field(tmp_path: Path) -> None:
    path = write(tmp_path, {"model": {"path": "m"}, "output_dir": "out",
                            "tasks": {"suite": "train", "families": ["x"]},
                            "num_generations": 1})
    with pytest.raises(ValueError, match=r"^config .*gspo\.json: ") as caught:
        load_config(path, "gspo")
    message = str(caught.value)
    assert "\n" not in message
    assert "num_generations: Input should be greater than or equal to 2" in message
    assert "tasks: select tasks with either 'suite' or 'families'" in message
    assert "input_value" not in message and "errors.pydantic.dev" not in message


def test_a_valid_file_with_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, {"model": {"path": "m"}, "output_dir": "out",
                            "tasks": {"suite": "train"}, "max_steps": 7})
    config = load_config(path, "gspo", {"max_steps": 3, "output_dir": None})
    assert isinstance(config, GSPOTrainConfig)
    assert config.max_steps == 3 and str(config.output_dir) == "out"


def test_a_config_of_the_other_trainer(tmp_path: Path) -> None:
    path = write(tmp_path, {"kind": "sft", "model": {"path": "m"}})
    with pytest.raises(ValueError, match="is for 'sft', not 'gspo'"):
        load_config(path, "gspo")
