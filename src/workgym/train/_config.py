"""Training configurations: SFT through TRL's SFTTrainer, GSPO through its GRPOTrainer.

Both are frozen pydantic models read from YAML or JSON and saved, resolved, beside the
run's outputs (``workgym_config.json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from workgym.core import DIFFICULTIES, Difficulty, RewardScheme, validation_message

CONFIG_FILENAME = "workgym_config.json"
"""Name of the resolved config saved in every output folder."""

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
"""The attention and MLP projections of Llama-style models (Llama, Qwen, SmolLM, Mistral)."""

Dtype = Literal["float32", "bfloat16", "float16", "auto"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelConfig(_Frozen):
    """Which model to train and how to load it."""

    path: str
    """A local Hugging Face model folder (``save_pretrained`` output), a folder holding a
    GGUF file (with ``gguf_file``), or a hub id when the hub is reachable."""
    gguf_file: str | None = None
    """A GGUF file inside ``path`` to load (dequantized by transformers), e.g.
    ``SmolLM2-135M-Instruct.Q4_1.gguf``."""
    tokenizer: str | None = None
    """Where the tokenizer lives when not beside the model."""
    chat_template: str | None = None
    """The chat template: None keeps the model's own when it can render tool calls and
    otherwise uses TRL's ``qwen2_5`` (ChatML with ``<tool_call>`` blocks); or the name of
    a template shipped with TRL (``qwen2_5``, ``qwen3``, ``llama3_2``...), or a path to a
    ``.jinja`` file."""
    dtype: Dtype = "float32"
    """Weights dtype while training (``bfloat16`` on recent GPUs)."""
    attn_implementation: str | None = None
    """``sdpa``, ``eager``, ``flash_attention_2``...; None lets transformers choose."""


class LoraConfig(_Frozen):
    """LoRA adapters through PEFT."""

    rank: int = Field(default=32, ge=1)
    """Adapter rank ``r``."""
    alpha: int = Field(default=32, ge=1)
    """Scaling ``lora_alpha``."""
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    """Dropout on the adapter input."""
    target_modules: tuple[str, ...] = PROJECTIONS
    """Module names that get adapters: the attention and MLP projections by default."""

    @field_validator("target_modules")
    @classmethod
    def _some_modules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("target_modules must name at least one module")
        if "lm_head" in value:
            raise ValueError("lm_head cannot take an adapter here (TRL computes log-probs "
                             "from its weights directly)")
        return value


WEIGHT_KEYS = ("family", "category", "difficulty", "variant")
"""What a mixture weight can name: ``family:ID`` (or the name without version),
``category:NAME``, ``difficulty:LEVEL``, ``variant:STRING``."""


class TaskSelection(_Frozen):
    """Which tasks a run draws from, and how often each. Holdout seeds are always left out.

    A weighted mixture: every task starts at weight 1, and each entry of ``weights`` that
    names its family, category, level or variant multiplies it; with ``size``, that many
    tasks are drawn (with replacement) in proportion to the weights.
    """

    suite: str | None = None
    """A suite of the agent package (``train``, ``split:difficulty:train``); its holdout
    tasks are left out."""
    per_level: int | None = Field(default=None, ge=1)
    """Tasks per family and difficulty for ``suite`` (its default size otherwise)."""
    families: tuple[str, ...] = ()
    """Family ids, e.g. ``office/library-catalogue-v1``, used with ``seeds``."""
    categories: tuple[str, ...] = ()
    """Categories whose every family is selected, used with ``seeds``."""
    seeds: str = "0-99"
    """Seeds of ``families``: ``0-99``, ``1,5,9``, ``0-9,20-29``."""
    difficulties: tuple[Difficulty, ...] = DIFFICULTIES
    """Difficulty levels of ``families``."""
    richness: float = Field(default=0.5, ge=0.0, le=1.0)
    """Distractor level of ``families`` tasks."""
    variants: tuple[str, ...] = ("default",)
    """Interface variants of ``families`` tasks (``dialect=mcp-public``, ``phrasing=2``)."""
    weights: dict[str, float] = Field(default_factory=dict)
    """Mixture weights by ``family:``, ``category:``, ``difficulty:`` or ``variant:`` key."""
    size: int | None = Field(default=None, ge=1)
    """Tasks drawn from the weighted mixture; None keeps each selected task once (then
    ``weights`` must be empty)."""

    @model_validator(mode="after")
    def _one_source(self) -> TaskSelection:
        if (self.suite is None) == (not self.families and not self.categories):
            raise ValueError("select tasks with either 'suite' or 'families'/'categories' "
                             "(and 'seeds')")
        for key, weight in self.weights.items():
            kind, _, arg = key.partition(":")
            if kind not in WEIGHT_KEYS or not arg:
                raise ValueError(f"a weight key is one of {', '.join(WEIGHT_KEYS)} and a "
                                 f"value ('category:office'), got {key!r}")
            if weight < 0:
                raise ValueError(f"weight {key!r} must be 0 or more, got {weight}")
        if self.weights and self.size is None:
            raise ValueError("weights need 'size', the number of tasks to draw")
        return self


class Stage(_Frozen):
    """One stage of a sequence: train on ``tasks``, then evaluate every stage so far."""

    name: str = Field(min_length=1)
    """The stage's name in ``stages.json``."""
    tasks: TaskSelection
    """Its training tasks."""
    max_steps: int | None = Field(default=None, ge=1)
    """Its optimizer steps; None takes the config's ``max_steps``."""


class Curriculum(_Frozen):
    """Each family starts at ``start`` and moves up a level when the share of its last
    ``window`` episodes that passed reaches ``threshold``; training runs in rounds of
    ``round_steps`` steps, each on the families' levels of the time."""

    threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    """Share of recent episodes that passed (all criteria) to move up."""
    window: int = Field(default=16, ge=1)
    """Recent episodes per family that count."""
    start: Difficulty = "easy"
    """Every family's first level."""
    rounds: int = Field(default=3, ge=1)
    """Rounds of training."""
    round_steps: int = Field(default=10, ge=1)
    """Optimizer steps per round."""


class _TrainConfig(_Frozen):
    model: ModelConfig
    """The model."""
    lora: LoraConfig | None = Field(default_factory=LoraConfig)
    """LoRA adapters; null trains every weight."""
    output_dir: Path
    """Checkpoints, the adapter or model, logs and the resolved config go here."""
    learning_rate: float = Field(default=1e-5, gt=0)
    """Peak learning rate."""
    max_steps: int = Field(default=100, ge=1)
    """Optimizer steps."""
    per_device_train_batch_size: int = Field(default=8, ge=1)
    """Sequences (SFT) or completions (GSPO) per device and micro-batch."""
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    """Micro-batches per optimizer step."""
    warmup_steps: int = Field(default=0, ge=0)
    """Linear warm-up steps."""
    logging_steps: int = Field(default=1, ge=1)
    """Log every this many steps."""
    save_steps: int | None = Field(default=None, ge=1)
    """Save a checkpoint every this many steps; None saves only the final weights."""
    seed: int = 0
    """Seed of initialization, data order and sampling."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: far less memory on long episodes
    (padded batches attend without a fused kernel on CPU, quadratic in length)."""
    report_to: tuple[str, ...] = ()
    """Experiment trackers (``wandb``, ``tensorboard``, ``trackio``...); none by default."""
    trl_args: dict[str, Any] = Field(default_factory=dict)
    """Further TRL config fields, passed through as they are (they win over the above)."""

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def save(self, folder: Path | None = None) -> Path:
        """Write the resolved config as JSON into ``folder`` (default ``output_dir``)."""
        folder = Path(folder or self.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CONFIG_FILENAME
        data = {"kind": self.kind, **self.model_dump(mode="json")}
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return path


class SFTTrainConfig(_TrainConfig):
    """Supervised fine-tuning on exported chat rows (``workgym export-sft``)."""

    data: Path
    """A ``.jsonl`` or ``.parquet`` file of rows with ``messages`` and ``tools``."""
    learning_rate: float = Field(default=1e-4, gt=0)
    """Peak learning rate (LoRA takes a higher rate than full fine-tuning)."""
    max_length: int | None = Field(default=8192, ge=16)
    """Longer sequences are cut to this many tokens; None keeps them whole."""
    assistant_only_loss: bool = True
    """Train on the assistant's tokens only (tool calls and answers), not on the system
    prompt, task prompt or tool results."""
    num_train_epochs: float = Field(default=1.0, gt=0)
    """Epochs over the data, when ``max_steps`` does not end training first."""
    save_merged: bool = False
    """With LoRA, also save the base model with the adapter merged in, under
    ``output_dir/merged``: the starting point of a GSPO run after SFT."""

    @property
    def kind(self) -> str:
        return "sft"


class GSPOTrainConfig(_TrainConfig):
    """Reinforcement learning on workgym episodes with GSPO (TRL's GRPOTrainer with
    sequence-level importance sampling)."""

    tasks: TaskSelection | None = None
    """The training tasks (train split only); None when ``stages`` are given."""
    reward: RewardScheme = "dense"
    """``dense`` (weighted fraction of criteria met), ``binary`` (all criteria pass) or
    ``gamma`` (binary, decayed per call beyond the reference length)."""
    gamma: float = Field(default=0.98, gt=0.0, le=1.0)
    """Decay per extra call for the ``gamma`` reward."""
    mask_truncated: bool = True
    """Leave episodes cut off by the turn or token limit out of the loss."""
    beta: float = Field(default=0.0, ge=0.0)
    """KL coefficient against the reference model (the initial model, unless
    ``ref_sync_steps`` refreshes it); 0 loads no reference model. Published practice
    for long runs: a small weight such as 0.001 with a periodic refresh."""
    ref_sync_steps: int | None = Field(default=None, ge=1)
    """Refresh the reference from the policy every this many optimizer steps (needs
    ``beta`` above 0); None keeps the initial model. With LoRA the trained adapter is
    copied into a frozen ``ref`` adapter, which TRL then uses as the reference (and which
    is removed before saving); without LoRA it is TRL's ``sync_ref_model`` with
    ``ref_model_mixup_alpha`` 1, a plain copy."""
    num_generations: int = Field(default=8, ge=2)
    """Episodes per task in a group (rewards are compared within a group)."""
    max_turns: int = Field(default=20, ge=1)
    """Assistant turns per episode; an episode still calling tools then is truncated."""
    max_completion_length: int = Field(default=8192, ge=16)
    """Tokens per episode over all its turns: model output and tool results together."""
    max_tool_output_chars: int = Field(default=20_000, ge=100)
    """Tool outputs longer than this are cut, with a note, as in evaluation."""
    system_prompt: str | None = None
    """The system message; None uses the agent loop's, as in evaluation."""
    temperature: float = Field(default=1.0, gt=0.0)
    """Sampling temperature of the rollouts."""
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    """Nucleus sampling mass of the rollouts."""
    epsilon: float = Field(default=3e-4, gt=0.0)
    """Lower clipping range of the sequence-level ratio (the GSPO paper's 3e-4)."""
    epsilon_high: float = Field(default=4e-4, gt=0.0)
    """Upper clipping range of the sequence-level ratio (the GSPO paper's 4e-4)."""
    num_iterations: int = Field(default=1, ge=1)
    """Optimization passes over each generated batch."""
    use_vllm: bool = False
    """Generate with vLLM (colocated; needs a GPU and the vllm package)."""
    shuffle: bool = True
    """Shuffle the tasks."""
    stages: tuple[Stage, ...] = ()
    """A sequence: train on each stage's tasks in turn (instead of ``tasks``), and after
    each evaluate the holdout tasks of every stage so far, to measure forgetting."""
    curriculum: Curriculum | None = None
    """Move each family of ``tasks`` up a level as its recent success passes a threshold."""
    eval_per_level: int = Field(default=2, ge=1)
    """Holdout tasks per family and level in each stage's evaluation."""

    @model_validator(mode="after")
    def _tasks_or_stages(self) -> GSPOTrainConfig:
        if (self.tasks is None) == (not self.stages):
            raise ValueError("give either 'tasks' or 'stages'")
        if self.curriculum is not None and self.tasks is None:
            raise ValueError("a curriculum moves the families of 'tasks'; give 'tasks'")
        return self

    @model_validator(mode="after")
    def _reference_used(self) -> GSPOTrainConfig:
        if self.ref_sync_steps is not None and self.beta == 0.0:
            raise ValueError("ref_sync_steps refreshes the KL reference, which beta 0 does not "
                             "use: set beta above 0 (e.g. 0.001) or leave ref_sync_steps out")
        return self

    @model_validator(mode="after")
    def _groups_fit(self) -> GSPOTrainConfig:
        batch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if batch % self.num_generations:
            raise ValueError(
                f"per_device_train_batch_size x gradient_accumulation_steps ({batch}) must be "
                f"a multiple of num_generations ({self.num_generations}): a step trains on "
                "whole groups")
        return self

    @property
    def kind(self) -> str:
        return "gspo"


def load_config(path: str | Path, kind: Literal["sft", "gspo"],
                overrides: dict[str, Any] | None = None) -> SFTTrainConfig | GSPOTrainConfig:
    """Read a YAML or JSON config file.

    Relative ``data`` and ``output_dir`` paths stay relative to the working directory.

    Raises:
        ValueError: unreadable file, a config for the other trainer, or invalid fields
            (one line: each field's dotted path and pydantic's reason).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read config {path}: {exc.strerror}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"config {path} must hold a mapping of fields")  # noqa: TRY004
    found = data.pop("kind", kind)
    if found != kind:
        raise ValueError(f"config {path} is for '{found}', not '{kind}'")
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    model: type[SFTTrainConfig | GSPOTrainConfig] = (
        SFTTrainConfig if kind == "sft" else GSPOTrainConfig)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"config {path}: {validation_message(exc)}") from None
