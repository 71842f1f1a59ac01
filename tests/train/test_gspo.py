"""GSPO through TRL's GRPOTrainer on multi-turn workgym episodes (CPU, tiny model)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from train_helpers import FAMILY, NEEDS_TRAIN, write_jsonl

from workgym.core import TaskSpec, make_from_spec
from workgym.train import (
    EpisodeReward,
    GSPOTrainConfig,
    SFTTrainConfig,
    environment_class,
    task_tools,
    train_gspo,
    train_sft,
)

pytestmark = [pytest.mark.train, NEEDS_TRAIN]


def _environment(spec: str) -> Any:
    tools = task_tools(make_from_spec(TaskSpec.from_json(spec)))
    env = environment_class(tools, max_tool_output_chars=200)()
    env.reset(spec=spec, prompt=[], task_id="ignored")
    return env, tools


def test_environment_exposes_the_exact_tools_and_runs_the_episode(reference_data: list):
    from transformers import PreTrainedTokenizerFast

    from workgym.train._model import named_chat_template

    row = reference_data[0]
    env, tools = _environment(row["spec"])
    cls = type(env)
    # What TRL sees: the public functions of the class besides reset, called through the
    # instance; each is rendered from its exact workgym schema.
    names = [n for n, _ in inspect.getmembers(cls, inspect.isfunction)
             if n != "reset" and not n.startswith("_")]
    assert sorted(names) == sorted(t["function"]["name"] for t in tools)
    read = env.files_read
    assert read == next(t for t in tools if t["function"]["name"] == "files_read")
    assert read.__name__ == "files_read"
    assert read(path="notes/amounts.txt").startswith("item 1:")
    assert env.files_read(path="nope.txt").startswith("error:")  # a tool error, not a raise
    assert env.files_read(bogus=1).startswith("error: invalid arguments")

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=_char_tokenizer(), eos_token="</s>")
    tokenizer.chat_template = named_chat_template("qwen2_5")
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}],
                                         tools=[getattr(env, n) for n in names], tokenize=False)
    for tool in tools:
        assert json.dumps(tool, ensure_ascii=False) in text


def _char_tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel()
    return core


def test_reward_grades_the_episode_and_flags_cut_off_rollouts(reference_data: list):
    row = reference_data[0]
    messages = row["messages"][2:]  # what the model produced, and the tool results
    stop = 7
    reward = EpisodeReward("dense", 0.98, {stop})
    logged: dict[str, float] = {}

    def replayed() -> Any:
        env, _ = _environment(row["spec"])
        for msg in messages:
            for call in msg.get("tool_calls", []):
                getattr(env, call["function"]["name"])(**call["function"]["arguments"])
        return env

    solved, unstopped = replayed(), replayed()
    cut, _ = _environment(row["spec"])
    idle, _ = _environment(row["spec"])
    rewards = reward(
        prompts=[[]] * 4,
        completions=[messages, messages[:1], messages, [{"role": "assistant", "content": "ok"}]],
        completion_ids=[[1, stop], [1, stop], [1, 2], [3, stop]],
        environments=[solved, cut, unstopped, idle],
        log_metric=lambda name, value: logged.__setitem__(name, value),
    )
    # A cut-off episode keeps the dense score of its world (the trainer masks it instead).
    assert rewards == [1.0, 0.0, 1.0, 0.0]
    assert solved.grade.passed and not solved.grade.truncated
    assert cut.grade.truncated and unstopped.grade.truncated and not idle.grade.truncated
    assert logged["workgym/truncated"] == 0.5
    assert logged["workgym/score"] == 0.5


def test_turn_limited_episodes_leave_the_loss_when_masking(monkeypatch: pytest.MonkeyPatch):
    from trl import GRPOTrainer

    from workgym.train._gspo import _trainer_class

    answered = [{"role": "assistant", "content": "done"}]
    cut_off = [{"role": "assistant", "content": "", "tool_calls": [{"function": {}}]}]

    def generate(self: Any, prompts: list) -> tuple:
        return ([[1], [1]], [[2, 3], [4, 5, 6]], [[1, 1], [1, 0, 1]], [answered, cut_off],
                None, {}, None, [])

    monkeypatch.setattr(GRPOTrainer, "_generate", generate)
    trainer = object.__new__(_trainer_class())
    trainer.mask_truncated_completions = True
    assert trainer._generate([])[2] == [[1, 1], [0, 0, 0]]
    trainer.mask_truncated_completions = False
    assert trainer._generate([])[2] == [[1, 1], [1, 0, 1]]


def test_gspo_step_on_multi_turn_episodes(tiny_model: Path, reference_data: list,
                                          tmp_path: Path, one_thread: None):
    from transformers import TrainerCallback

    # Warm the random model up on one task: half of its rows solve it (read, write, answer),
    # half answer at once, so sampled episodes of that task differ in reward.
    row = reference_data[0]
    idle = {**row, "messages": row["messages"][:2] + [{"role": "assistant", "content": "Done."}]}
    warm = SFTTrainConfig(
        model={"path": str(tiny_model)}, lora=None, output_dir=tmp_path / "warm",
        data=write_jsonl(tmp_path / "warm.jsonl", [row, idle] * 4), learning_rate=1e-2,
        max_steps=100, per_device_train_batch_size=8, num_train_epochs=200, max_length=1024)
    train_sft(warm)

    class LoraWatch(TrainerCallback):  # type: ignore[misc]
        before: ClassVar[dict[str, Any]] = {}
        after: ClassVar[dict[str, Any]] = {}

        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                           **kwargs: Any) -> None:
            LoraWatch.before = {k: v.detach().clone() for k, v in model.named_parameters()
                                if "lora_" in k}

        def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None,
                         **kwargs: Any) -> None:
            LoraWatch.after = {k: v.detach().clone() for k, v in model.named_parameters()
                               if "lora_" in k}

    spec = TaskSpec.from_json(row["spec"])
    config = GSPOTrainConfig(
        model={"path": str(warm.output_dir)}, lora={"rank": 8, "alpha": 16},
        output_dir=tmp_path / "gspo",
        tasks={"families": [FAMILY], "seeds": str(spec.seed), "difficulties": ["easy"]},
        num_generations=8, per_device_train_batch_size=8, max_steps=1, max_turns=4,
        max_completion_length=96, learning_rate=1e-3, seed=0)
    result = train_gspo(config, callbacks=[LoraWatch()])

    (record,) = [rec for rec in result.log_history if "reward" in rec]
    assert record["reward_std"] > 0 and record["frac_reward_zero_std"] == 0.0
    assert 0.0 < record["reward"] < 1.0
    # Tool calls ran inside the episodes (some read and wrote, some answered at once), and
    # workgym's own count of them agrees with TRL's. How many of the 8 samples call tools
    # follows the random model's floating point, which differs between CPUs (0.625 calls
    # per episode on one, at least 1 on others).
    assert record["tools/call_frequency"] > 0
    assert record["workgym/tool_calls"] == pytest.approx(record["tools/call_frequency"])
    assert LoraWatch.before and LoraWatch.before.keys() == LoraWatch.after.keys()
    changed = [k for k in LoraWatch.before if not LoraWatch.before[k].equal(LoraWatch.after[k])]
    assert changed, "no LoRA weight moved"
    assert (config.output_dir / "adapter_config.json").is_file()
    saved = json.loads((config.output_dir / "workgym_config.json").read_text())
    assert saved["kind"] == "gspo" and saved["reward"] == "dense"


def test_train_gspo_command(tiny_model: Path, reference_data: list, tmp_path: Path,
                            one_thread: None):
    from typer.testing import CliRunner

    from workgym.cli import _load_commands, app

    seed = TaskSpec.from_json(reference_data[0]["spec"]).seed
    config = tmp_path / "gspo.json"
    config.write_text(json.dumps({
        "kind": "gspo", "model": {"path": str(tiny_model)}, "lora": {"rank": 4, "alpha": 8},
        "tasks": {"families": [FAMILY], "seeds": str(seed), "difficulties": ["easy"]},
        "output_dir": str(tmp_path / "out"), "reward": "binary", "num_generations": 2,
        "per_device_train_batch_size": 2, "max_steps": 1, "max_turns": 2,
        "max_completion_length": 32,
    }))
    _load_commands()
    result = CliRunner().invoke(app, ["train", "gspo", "--config", str(config)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["steps"] == 1 and "first_reward" in summary
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any("workgym/score" in rec for rec in logged)
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file()


def test_a_template_without_tool_calls_is_refused_before_the_weights_load(
        tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import workgym.train._gspo as gspo

    def no_weights(config: Any) -> Any:
        raise AssertionError("the weights loaded before the template was checked")

    monkeypatch.setattr(gspo, "load_model", no_weights)
    config = GSPOTrainConfig(
        model={"path": str(tiny_model), "chat_template": "smollm2"}, lora=None,
        output_dir=tmp_path / "gspo", tasks={"families": [FAMILY], "seeds": "0"},
        num_generations=2, per_device_train_batch_size=2, max_steps=1)
    with pytest.raises(ValueError, match="'smollm2' cannot render tool calls.*"
                                         "'chat_template: qwen2_5'"):
        train_gspo(config)
