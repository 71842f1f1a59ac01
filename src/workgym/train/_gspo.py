"""GSPO on workgym episodes through TRL's GRPOTrainer and its environment interface.

TRL drives the multi-turn loop itself (``environment_factory``): it renders the prompt
with the episode's tools, generates, parses tool calls, calls the environment's tool
methods, appends the results and generates again, until the model answers without a tool
call or the turn limit. Each rollout gets its own ``EpisodeEnvironment`` (one workgym
Episode over a private World); the reward is the episode's grade under the configured
scheme. GSPO is GRPO with sequence-level importance sampling
(``importance_sampling_level="sequence"``, ``loss_type="grpo"``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from workgym.core import Episode, Grade, RewardScheme, TaskSpec, make_from_spec
from workgym.train._config import GSPOTrainConfig
from workgym.train._export import task_tools
from workgym.train._model import (
    common_args,
    load_model,
    load_tokenizer,
    peft_config,
    quiet,
    quiet_trainer,
    require_tool_template,
)
from workgym.train._reference import reference_refresh_callback
from workgym.train._sft import TrainResult, write_log
from workgym.train._tasks import CurriculumState, holdout_of, mixture_specs


class _BoundTool(dict[str, Any]):
    """One tool of one environment as TRL sees it: callable, named, and a dict holding
    the tool's exact OpenAI schema.

    transformers renders a tool given as a dict as that schema, whereas it derives the
    schema of a plain method from its type hints (simple Python types only, no defaults,
    no ``additionalProperties``). As a dict, the tool reaches the chat template with the
    very schema the model sees in evaluation and in the exported SFT rows.
    """

    def __init__(self, environment: EpisodeEnvironment, schema: dict[str, Any]) -> None:
        super().__init__(schema)
        self.__name__ = schema["function"]["name"]
        self._environment = environment

    def __call__(self, **arguments: Any) -> str:
        return self._environment._call(self.__name__, arguments)


class _Tool:
    """Class attribute for one tool: TRL lists an environment's tools as the public
    functions of its class, and calls them through the instance."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        name = schema["function"]["name"]

        def unbound(*_: Any, **__: Any) -> str:
            raise TypeError(f"{name} is a tool of an environment instance")

        unbound.__name__ = unbound.__qualname__ = name
        unbound.__doc__ = schema["function"].get("description")
        self._function = unbound

    def __get__(self, instance: EpisodeEnvironment | None, owner: type) -> Any:
        if instance is None:
            return self._function
        return _BoundTool(instance, self.schema)


class EpisodeEnvironment:
    """One workgym episode as a TRL environment (``GRPOTrainer(environment_factory=...)``).

    ``reset(spec=...)`` starts a fresh episode of the task whose TaskSpec JSON is in the
    dataset row's ``spec`` column; every tool of the episode is a public method (made by
    ``environment_class``) that executes the call in the episode and returns the text the
    model sees. Tool errors come back as results, as in evaluation.
    """

    max_tool_output_chars: ClassVar[int] = 20_000
    """Longer tool outputs are cut, with a note saying how much."""

    def __init__(self) -> None:
        self.episode: Episode | None = None
        self.grade: Grade | None = None

    def reset(self, spec: str, **_: Any) -> None:
        """Start a new episode of the task ``spec`` (TaskSpec JSON), closing the last."""
        self._close()
        self.grade = None
        self.episode = make_from_spec(TaskSpec.from_json(spec)).start()

    def _call(self, name: str, arguments: dict[str, Any]) -> str:
        from workgym.agent import truncate_output

        if self.episode is None:
            raise ValueError("no episode: reset() first")
        text, _ = truncate_output(self.episode.call(name, arguments).text,
                                  self.max_tool_output_chars)
        return text

    def _finish(self, answer: str | None, truncated: bool) -> Grade:
        if self.episode is None:
            raise ValueError("no episode: reset() first")
        self.episode.finish(answer, truncated=truncated)
        self.grade = self.episode.grade()
        return self.grade

    def _close(self) -> None:
        episode, self.episode = self.episode, None
        if episode is not None:
            episode.close()


def tool_set_key(tools: Sequence[dict[str, Any]]) -> str:
    """A short stable name for a set of tool schemas (the environment's name in TRL)."""
    text = json.dumps(list(tools), sort_keys=True, separators=(",", ":"))
    return "tools-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def environment_class(tools: Sequence[dict[str, Any]],
                      max_tool_output_chars: int = 20_000) -> type[EpisodeEnvironment]:
    """An EpisodeEnvironment subclass exposing ``tools`` (OpenAI schemas) as methods."""
    attrs: dict[str, Any] = {"max_tool_output_chars": max_tool_output_chars}
    for schema in tools:
        attrs[schema["function"]["name"]] = _Tool(schema)
    return type(f"EpisodeEnvironment_{tool_set_key(tools)[6:]}", (EpisodeEnvironment,), attrs)


class EpisodeReward:
    """The reward of each rollout: its episode's grade under ``scheme``.

    An episode whose last assistant turn still calls tools hit the turn limit, and one
    whose tokens do not end on a stop token hit the token limit: both are graded as
    truncated (no final answer), like the evaluation loop does.

    An invalid grade (a grader bug left a criterion unscored) earns no reward at all: its
    reward is None, which TRL treats as unscorable (left out of its group's baseline, with
    a zero advantage), never a 0 and never a rescaled score. ``workgym/invalid`` counts them.
    """

    __name__ = "workgym"

    def __init__(self, scheme: RewardScheme, gamma: float, stop_ids: set[int],
                 record: Callable[[str, bool], None] | None = None) -> None:
        self.scheme = scheme
        self.gamma = gamma
        self.stop_ids = stop_ids
        self.record = record
        """Told each valid grade's family and whether it passed (a curriculum's state)."""

    def __call__(self, prompts: list[Any], completions: list[list[dict[str, Any]]],
                 completion_ids: list[list[int]], environments: list[EpisodeEnvironment],
                 log_metric: Callable[[str, float], None] | None = None,
                 **_: Any) -> list[float | None]:
        rewards: list[float | None] = []
        scores: list[float] = []
        cut = calls = invalid = 0
        for messages, ids, env in zip(completions, completion_ids, environments, strict=True):
            truncated = is_cut_off(messages, ids, self.stop_ids)
            answer = None if truncated else (messages[-1].get("content") or "")
            grade = env._finish(answer, truncated)
            cut += truncated
            calls += grade.n_calls
            if not grade.valid:
                rewards.append(None)
                invalid += 1
                continue
            rewards.append(grade.reward(self.scheme, gamma=self.gamma))
            scores.append(grade.score)
            if self.record is not None and env.episode is not None:
                self.record(env.episode.task.spec.family, grade.passed)
        if log_metric is not None and rewards:
            if scores:
                log_metric("workgym/score", sum(scores) / len(scores))
            log_metric("workgym/truncated", cut / len(rewards))
            log_metric("workgym/tool_calls", calls / len(rewards))
            log_metric("workgym/invalid", invalid / len(rewards))
        return rewards


def is_cut_off(messages: Sequence[dict[str, Any]], ids: Sequence[int], stop_ids: set[int]) -> bool:
    """Whether a rollout ended without a final answer (turn or token limit)."""
    if not messages or messages[-1].get("role") != "assistant":
        return True
    if messages[-1].get("tool_calls"):
        return True
    return not ids or ids[-1] not in stop_ids


def gspo_dataset(config: GSPOTrainConfig, specs: Sequence[TaskSpec] | None = None,
                 ) -> tuple[Any, dict[str, type[EpisodeEnvironment]], int]:
    """The prompt rows, one environment class per tool surface, and the holdout count.

    Each row holds the conversation start (system and task prompt), its environment's
    name and the task's spec (read by ``EpisodeEnvironment.reset``). The tasks are
    ``specs`` when given (a stage's or a curriculum round's), else the mixture of
    ``config.tasks``.
    """
    import datasets

    from workgym.agent import DEFAULT_SYSTEM_PROMPT

    holdout = 0
    if specs is None:
        if config.tasks is None:
            raise ValueError("a staged config has no single task selection: give specs")
        specs, holdout = mixture_specs(config.tasks, config.seed)
    specs = list(specs)
    if config.shuffle:
        random.Random(config.seed).shuffle(specs)
    system = config.system_prompt if config.system_prompt is not None else DEFAULT_SYSTEM_PROMPT
    environments: dict[str, type[EpisodeEnvironment]] = {}
    rows: dict[str, list[Any]] = {"prompt": [], "environment": [], "spec": [], "task_id": []}
    for spec in specs:
        task = make_from_spec(spec)
        tools = task_tools(task)
        key = tool_set_key(tools)
        if key not in environments:
            environments[key] = environment_class(tools, config.max_tool_output_chars)
        rows["prompt"].append([{"role": "system", "content": system},
                               {"role": "user", "content": task.prompt}])
        rows["environment"].append(key)
        rows["spec"].append(spec.to_json())
        rows["task_id"].append(task.id)
    return datasets.Dataset.from_dict(rows), environments, holdout


def _trainer_class() -> type:
    from trl import GRPOTrainer

    class EpisodeGRPOTrainer(GRPOTrainer):  # type: ignore[misc,valid-type]
        """GRPOTrainer that also leaves out of the loss the episodes cut off by the turn
        limit when ``mask_truncated_completions`` is on (TRL masks only completions cut
        by the token limit; an episode at the turn limit ends on a stop token)."""

        def _generate(self, prompts: list[Any]) -> Any:
            out = super()._generate(prompts)
            _, _, tool_mask, completions = out[:4]
            if self.mask_truncated_completions and tool_mask is not None:
                for index, messages in enumerate(completions):
                    if messages and messages[-1].get("tool_calls"):
                        tool_mask[index] = [0] * len(tool_mask[index])
            return out

    return EpisodeGRPOTrainer


def _grpo_args(config: GSPOTrainConfig, output_dir: Path, max_steps: int) -> Any:
    from trl import GRPOConfig

    return GRPOConfig(**{
        **common_args(config),
        "output_dir": str(output_dir),
        "max_steps": max_steps,
        "importance_sampling_level": "sequence",
        "loss_type": "grpo",
        "beta": config.beta,
        "epsilon": config.epsilon,
        "epsilon_high": config.epsilon_high,
        "num_iterations": config.num_iterations,
        "num_generations": config.num_generations,
        "max_completion_length": config.max_completion_length,
        "max_tool_calling_iterations": config.max_turns - 1,
        "mask_truncated_completions": config.mask_truncated,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "use_vllm": config.use_vllm,
        "vllm_mode": "colocate",
        "shuffle_dataset": False,  # the tasks are shuffled once, with the config's seed
        **_full_model_sync(config),
        **config.trl_args,
    })


def _full_model_sync(config: GSPOTrainConfig) -> dict[str, Any]:
    """TRL's own reference refresh, for a run without LoRA (``ref_sync_steps``)."""
    if config.ref_sync_steps is None or config.lora is not None:
        return {}
    return {"sync_ref_model": True, "ref_model_sync_steps": config.ref_sync_steps,
            "ref_model_mixup_alpha": 1.0}


def _train_part(config: GSPOTrainConfig, model: Any, tokenizer: Any,
                specs: Sequence[TaskSpec] | None, output_dir: Path, max_steps: int,
                reward: EpisodeReward, *, adapters: bool, progress: bool,
                callbacks: Sequence[Any]) -> Any:
    """Train ``model`` for ``max_steps`` on ``specs`` (the config's mixture when None) and
    save it to ``output_dir``; new LoRA adapters only when ``adapters`` (a later stage or
    round goes on training the ones it has). Returns the trainer."""
    callbacks = list(callbacks)
    if config.ref_sync_steps is not None and config.lora is not None:
        callbacks.append(reference_refresh_callback(config.ref_sync_steps))
    with quiet(progress):
        dataset, environments, _ = gspo_dataset(config, specs)
        trainer = _trainer_class()(
            model=model, reward_funcs=[reward], args=_grpo_args(config, output_dir, max_steps),
            train_dataset=dataset, processing_class=tokenizer,
            peft_config=peft_config(config.lora) if adapters else None,
            environment_factory=dict(environments), callbacks=list(callbacks),
        )
    quiet_trainer(trainer, progress)
    with quiet(progress):
        trainer.train()
        trainer.save_model(str(output_dir))
        tokenizer.save_pretrained(str(output_dir))
    return trainer


def train_gspo(config: GSPOTrainConfig, *, progress: bool = False,
               callbacks: Sequence[Any] = ()) -> TrainResult:
    """Train ``config.model`` on workgym episodes with GSPO.

    The resolved config is saved into ``config.output_dir`` first; the final adapter (or
    model), the tokenizer and ``log_history.jsonl`` follow at the end. With ``stages``,
    each stage trains on from where the last ended and is saved in
    ``output_dir/stages/NN-NAME``, and ``stages.json`` records, after each, the holdout
    score of every stage so far (forgetting shows as an earlier stage's score falling).
    With a ``curriculum``, training runs in rounds, each on the families' levels of the
    time (moved up by the rounds' own graded episodes), and ``curriculum.json`` records
    the levels and every move.

    Args:
        config: the run.
        progress: print each logged record to stderr.
        callbacks: further ``transformers.TrainerCallback`` objects.

    Raises:
        ValueError: a task selection with no train task, or a chat template that cannot
            render tool calls.
    """
    config.save()
    with quiet(progress):
        tokenizer = load_tokenizer(config.model, padding_side="left")
        require_tool_template(tokenizer, config.model.chat_template)  # before the weights load
        model = load_model(config.model)
    stop_ids = {tokenizer.eos_token_id, tokenizer.pad_token_id} - {None}
    if config.stages:
        return _train_stages(config, model, tokenizer, stop_ids, progress, callbacks)
    if config.curriculum is not None:
        return _train_curriculum(config, model, tokenizer, stop_ids, progress, callbacks)
    reward = EpisodeReward(config.reward, config.gamma, stop_ids)
    trainer = _train_part(config, model, tokenizer, None, config.output_dir,
                          config.max_steps, reward, adapters=True, progress=progress,
                          callbacks=callbacks)
    history = list(trainer.state.log_history)
    write_log(config.output_dir, history)
    return TrainResult(config.output_dir, history, trainer.state.global_step)


def _train_stages(config: GSPOTrainConfig, model: Any, tokenizer: Any, stop_ids: set[int],
                  progress: bool, callbacks: Sequence[Any]) -> TrainResult:
    from workgym.train._evaluate import evaluate_model

    reward = EpisodeReward(config.reward, config.gamma, stop_ids)
    history: list[dict[str, Any]] = []
    record: list[dict[str, Any]] = []
    steps = 0
    for n, stage in enumerate(config.stages, 1):
        specs, _ = mixture_specs(stage.tasks, config.seed)
        folder = config.output_dir / "stages" / f"{n:02d}-{stage.name}"
        trainer = _train_part(config, model, tokenizer, specs, folder,
                              stage.max_steps or config.max_steps, reward, adapters=n == 1,
                              progress=progress, callbacks=callbacks)
        model = trainer.model
        history += [{**rec, "stage": stage.name} for rec in trainer.state.log_history]
        steps += trainer.state.global_step
        scores = {}
        for earlier in config.stages[:n]:
            holdout = holdout_of(earlier.tasks, config.eval_per_level)
            scores[earlier.name] = evaluate_model(model, tokenizer, holdout, config)
        record.append({"stage": stage.name, "steps": trainer.state.global_step,
                       "folder": str(folder), "holdout": scores})
        (config.output_dir / "stages.json").write_text(json.dumps(record, indent=2) + "\n")
    with quiet(progress):
        model.save_pretrained(str(config.output_dir))
        tokenizer.save_pretrained(str(config.output_dir))
    write_log(config.output_dir, history)
    return TrainResult(config.output_dir, history, steps)


def _train_curriculum(config: GSPOTrainConfig, model: Any, tokenizer: Any,
                      stop_ids: set[int], progress: bool,
                      callbacks: Sequence[Any]) -> TrainResult:
    assert config.curriculum is not None and config.tasks is not None
    state = CurriculumState(config.curriculum)
    reward = EpisodeReward(config.reward, config.gamma, stop_ids, record=state.record)
    base, _ = mixture_specs(config.tasks, config.seed)
    history: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    steps = 0
    for n in range(1, config.curriculum.rounds + 1):
        levels = {spec.family: state.level(spec.family) for spec in base}
        folder = config.output_dir / "rounds" / f"{n:02d}"
        trainer = _train_part(config, model, tokenizer, state.at_levels(base), folder,
                              config.curriculum.round_steps, reward, adapters=n == 1,
                              progress=progress, callbacks=callbacks)
        model = trainer.model
        history += [{**rec, "round": n} for rec in trainer.state.log_history]
        steps += trainer.state.global_step
        rounds.append({"round": n, "levels": levels, "steps": trainer.state.global_step})
        (config.output_dir / "curriculum.json").write_text(json.dumps(
            {"rounds": rounds, "moves": [list(m) for m in state.moves]}, indent=2) + "\n")
    with quiet(progress):
        model.save_pretrained(str(config.output_dir))
        tokenizer.save_pretrained(str(config.output_dir))
    write_log(config.output_dir, history)
    return TrainResult(config.output_dir, history, steps)
