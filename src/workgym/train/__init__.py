"""Training: SFT export, RL with TRL, and adapters for other trainers.

- ``reference_rows`` / ``rows_from_traces`` / ``write_rows``: SFT rows (chat messages
  with tool calls, tool schemas, metadata) that TRL and ``datasets`` read directly.
- ``train_sft``: supervised fine-tuning through TRL's SFTTrainer.
- ``train_gspo``: GSPO on multi-turn workgym episodes through TRL's GRPOTrainer, with
  ``EpisodeEnvironment`` as its environment and ``EpisodeReward`` as its reward.

Nothing here imports torch, transformers or TRL until a trainer is used.
"""

from workgym.train._config import (
    Curriculum,
    GSPOTrainConfig,
    LoraConfig,
    ModelConfig,
    SFTTrainConfig,
    Stage,
    TaskSelection,
    load_config,
)
from workgym.train._export import (
    ExportStats,
    MalformedTrace,
    chat_row_messages,
    output_format,
    reference_rows,
    rows_from_traces,
    task_tools,
    trace_row,
    write_rows,
)
from workgym.train._gspo import (
    EpisodeEnvironment,
    EpisodeReward,
    environment_class,
    gspo_dataset,
    train_gspo,
)
from workgym.train._reference import refresh_reference
from workgym.train._sft import TrainResult, load_rows, train_sft
from workgym.train._tasks import (
    CurriculumState,
    holdout_of,
    mixture_specs,
    select_specs,
    task_weight,
)

__all__ = [
    "Curriculum",
    "CurriculumState",
    "EpisodeEnvironment",
    "EpisodeReward",
    "ExportStats",
    "GSPOTrainConfig",
    "LoraConfig",
    "MalformedTrace",
    "ModelConfig",
    "SFTTrainConfig",
    "Stage",
    "TaskSelection",
    "TrainResult",
    "chat_row_messages",
    "environment_class",
    "gspo_dataset",
    "holdout_of",
    "load_config",
    "load_rows",
    "mixture_specs",
    "output_format",
    "reference_rows",
    "refresh_reference",
    "rows_from_traces",
    "select_specs",
    "task_tools",
    "task_weight",
    "trace_row",
    "train_gspo",
    "train_sft",
    "write_rows",
]
