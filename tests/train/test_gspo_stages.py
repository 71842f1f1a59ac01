"""GSPO in stages and in curriculum rounds (CPU, tiny model): one model trained on,
stage after stage or round after round, with the record of each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_helpers import FAMILY, NEEDS_TRAIN

from workgym.core import TaskSpec
from workgym.train import GSPOTrainConfig, holdout_of, train_gspo

pytestmark = [pytest.mark.train, NEEDS_TRAIN]

SMALL = {"num_generations": 2, "per_device_train_batch_size": 2, "max_turns": 2,
         "max_completion_length": 32, "eval_per_level": 1, "seed": 0}


def _watch() -> tuple[object, list[tuple[int, list[str]]]]:
    """A callback that notes, as each stage or round starts training, which model object
    it trains and the LoRA adapters that model holds."""
    from transformers import TrainerCallback

    seen: list[tuple[int, list[str]]] = []

    class Watch(TrainerCallback):  # type: ignore[misc]
        def on_train_begin(self, args, state, control, model=None, **kwargs):  # type: ignore[no-untyped-def]
            seen.append((id(model), sorted(getattr(model, "peft_config", {}))))

    return Watch(), seen


def test_two_stages_train_one_model_and_score_every_stage_so_far(
        tiny_model: Path, reference_data: list, tmp_path: Path, one_thread: None):
    seed = TaskSpec.from_json(reference_data[0]["spec"]).seed
    stages = [{"name": "easy", "tasks": {"families": [FAMILY], "seeds": str(seed),
                                         "difficulties": ["easy"]}},
              {"name": "medium", "max_steps": 1,
               "tasks": {"families": [FAMILY], "seeds": str(seed),
                         "difficulties": ["medium"]}}]
    config = GSPOTrainConfig(model={"path": str(tiny_model)}, lora={"rank": 4, "alpha": 8},
                             output_dir=tmp_path / "staged", stages=stages, max_steps=1,
                             **SMALL)
    watch, seen = _watch()
    result = train_gspo(config, callbacks=[watch])

    record = json.loads((config.output_dir / "stages.json").read_text())
    assert [r["stage"] for r in record] == ["easy", "medium"]
    assert [r["steps"] for r in record] == [1, 1] and result.steps == 2
    # after each stage, the holdout of every stage so far, as many tasks as holdout_of gives
    assert [sorted(r["holdout"]) for r in record] == [["easy"], ["easy", "medium"]]
    for stage in config.stages:
        expected = len(holdout_of(stage.tasks, config.eval_per_level))
        assert record[-1]["holdout"][stage.name]["tasks"] == expected > 0
        assert 0.0 <= record[-1]["holdout"][stage.name]["mean_score"] <= 1.0
    # the second stage trained the first's model and its one set of adapters on
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0][1] == ["default"]
    for r in record:
        assert (Path(r["folder"]) / "adapter_model.safetensors").is_file()
    assert (config.output_dir / "adapter_model.safetensors").is_file()
    assert {rec.get("stage") for rec in result.log_history} == {"easy", "medium"}


def test_curriculum_rounds_train_at_the_families_levels(
        tiny_model: Path, reference_data: list, tmp_path: Path, one_thread: None):
    seed = TaskSpec.from_json(reference_data[0]["spec"]).seed
    config = GSPOTrainConfig(
        model={"path": str(tiny_model)}, lora={"rank": 4, "alpha": 8},
        output_dir=tmp_path / "curriculum",
        tasks={"families": [FAMILY], "seeds": str(seed), "difficulties": ["easy"]},
        curriculum={"rounds": 2, "round_steps": 1, "window": 2, "threshold": 1.0},
        max_steps=1, **SMALL)
    watch, seen = _watch()
    result = train_gspo(config, callbacks=[watch])

    saved = json.loads((config.output_dir / "curriculum.json").read_text())
    assert [r["round"] for r in saved["rounds"]] == [1, 2] and result.steps == 2
    assert saved["rounds"][0]["levels"] == {"examples/note-total": "easy"}
    # the random model passes nothing, so nothing moves up
    assert saved["moves"] == [] and saved["rounds"][1]["levels"] == saved["rounds"][0]["levels"]
    assert {rec.get("round") for rec in result.log_history} == {1, 2}
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0][1] == ["default"]


def test_the_reward_tells_a_curriculum_each_graded_episode(reference_data: list):
    from workgym.core import make_from_spec
    from workgym.train import CurriculumState, EpisodeReward, environment_class, task_tools
    from workgym.train._config import Curriculum

    state = CurriculumState(Curriculum(window=2, threshold=0.5))
    reward = EpisodeReward("binary", 0.98, stop_ids={0}, record=state.record)
    spec = reference_data[0]["spec"]
    tools = task_tools(make_from_spec(TaskSpec.from_json(spec)))
    envs = []
    for _ in range(2):
        env = environment_class(tools)()
        env.reset(spec=spec)
        envs.append(env)
    task = make_from_spec(TaskSpec.from_json(spec))
    for call in task.reference:  # the first episode is solved, the second left untouched
        envs[0]._call(call.name.replace(".", "_"), dict(call.args))
    done = [{"role": "assistant", "content": task.reference_answer or "done"}]
    rewards = reward([], [done, done], [[0], [0]], envs)
    assert rewards == [1.0, 0.0]
    family = TaskSpec.from_json(spec).family
    assert state.level(family) == "medium" and state.moves == [(family, "medium")]
