"""Loading the model and tokenizer to train, the chat template, and the LoRA config."""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workgym.train._config import LoraConfig, ModelConfig

DEFAULT_TOOL_TEMPLATE = "qwen2_5"
"""TRL's ChatML template with ``<tool_call>`` blocks: used for models whose own template
cannot render tool calls (SmolLM2 uses the same ChatML special tokens)."""


SMOLLM2_TRAINING_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}"
    "{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n' }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
"""SmolLM2-Instruct's own chat template, text for text, with its assistant turns (and
their closing ``<|im_end|>``) marked for ``assistant_only_loss``: the template to train
the embedded model on rows exported with ``render="text"``, which is what
:class:`workgym.agent.LocalPolicy` prompts it with."""
TEMPLATES = {"smollm2": SMOLLM2_TRAINING_TEMPLATE}
"""Chat templates shipped with workgym, by name (looked up before TRL's)."""


def named_chat_template(name: str) -> str:
    """A chat template shipped with workgym (``smollm2``) or TRL (``qwen2_5``,
    ``qwen3``...), or read from a file.

    Raises:
        ValueError: neither a template name nor a readable ``.jinja`` file.
    """
    if name in TEMPLATES:
        return TEMPLATES[name]
    candidate = Path(name)
    if candidate.suffix in (".jinja", ".j2"):
        try:
            return candidate.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read chat template {name}: {exc.strerror}") from None
    folder = importlib.resources.files("trl") / "chat_templates"
    source = folder / f"{name}.jinja"
    if not source.is_file():
        known = sorted(p.name[:-len(".jinja")] for p in folder.iterdir()
                       if p.name.endswith(".jinja") and not p.name.endswith("_training.jinja"))
        raise ValueError(f"unknown chat template {name!r}; workgym ships: "
                         f"{', '.join(sorted(TEMPLATES))}; TRL ships: {', '.join(known)} "
                         "(or give a path to a .jinja file)")
    return source.read_text(encoding="utf-8")


def set_chat_template(tokenizer: Any, choice: str | None) -> None:
    """Give ``tokenizer`` a chat template that renders tools and tool calls.

    With ``choice`` None the tokenizer's own template is kept when it renders a whole
    tool-calling exchange, and TRL's ChatML ``qwen2_5`` template replaces it otherwise.
    """
    from trl.chat_template_utils import supports_tool_calling

    if choice is not None:
        tokenizer.chat_template = named_chat_template(choice)
    elif tokenizer.chat_template is None or not supports_tool_calling(tokenizer):
        tokenizer.chat_template = named_chat_template(DEFAULT_TOOL_TEMPLATE)


def require_tool_template(tokenizer: Any, choice: str | None) -> None:
    """Refuse a tokenizer whose chat template cannot render a whole tool-calling exchange
    (user, assistant with tool calls, tool), which TRL's multi-turn GRPO needs.

    Raises:
        ValueError: the template drops tool calls or results, naming the choice and what
            to choose instead.
    """
    from trl.chat_template_utils import supports_tool_calling

    if supports_tool_calling(tokenizer):
        return
    named = f"chat_template {choice!r}" if choice else "the tokenizer's chat template"
    hint = (" (it renders a conversation as text, for SFT on rows exported with "
            "render='text')" if choice in TEMPLATES else "")
    raise ValueError(f"{named} cannot render tool calls and their results{hint}; GSPO "
                     f"runs episodes through TRL's tool loop, which needs one that can: set "
                     f"'chat_template: {DEFAULT_TOOL_TEMPLATE}' (ChatML with <tool_call> "
                     "blocks, the special tokens SmolLM2 has) or another TRL template")


def load_tokenizer(config: ModelConfig, padding_side: str = "right") -> Any:
    """The tokenizer, with a tool-calling chat template and a padding token."""
    from transformers import AutoTokenizer

    source = config.tokenizer or config.path
    kwargs: dict[str, Any] = {}
    if config.gguf_file and config.tokenizer is None:
        kwargs["gguf_file"] = config.gguf_file
    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    set_chat_template(tokenizer, config.chat_template)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = padding_side
    return tokenizer


def load_model(config: ModelConfig) -> Any:
    """The causal language model, dequantized from GGUF when ``gguf_file`` is set."""
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {}
    if config.gguf_file:
        from transformers import GgufConfig

        # Dense weights: GGUF blocks cannot be trained (and adapters need plain Linears).
        kwargs["gguf_file"] = config.gguf_file
        kwargs["quantization_config"] = GgufConfig(gguf_file=config.gguf_file, dequantize=True)
    kwargs["dtype"] = "auto" if config.dtype == "auto" else getattr(torch, config.dtype)
    if config.attn_implementation:
        kwargs["attn_implementation"] = config.attn_implementation
    return AutoModelForCausalLM.from_pretrained(config.path, **kwargs)


def peft_config(lora: LoraConfig | None) -> Any:
    """PEFT's LoraConfig for ``lora`` (None: train every weight)."""
    if lora is None:
        return None
    from peft import LoraConfig as PeftLoraConfig

    return PeftLoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                          target_modules=list(lora.target_modules), task_type="CAUSAL_LM")


def common_args(config: Any) -> dict[str, Any]:
    """TrainingArguments fields shared by the SFT and GSPO configs."""
    import torch

    return {
        "output_dir": str(config.output_dir),
        "learning_rate": config.learning_rate,
        "max_steps": config.max_steps,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        "warmup_steps": config.warmup_steps,
        "logging_steps": config.logging_steps,
        "save_strategy": "steps" if config.save_steps else "no",
        "save_steps": config.save_steps or 500,
        "seed": config.seed,
        "data_seed": config.seed,
        "report_to": list(config.report_to) or "none",
        "bf16": config.model.dtype == "bfloat16",
        "fp16": config.model.dtype == "float16",
        "use_cpu": not torch.cuda.is_available(),
        "disable_tqdm": True,
        "activation_checkpointing": config.gradient_checkpointing,
    }


@contextlib.contextmanager
def quiet(progress: bool) -> Iterator[None]:
    """Silence the progress bars of transformers and datasets unless ``progress``, and
    the notices about TRL's experimental environment API and transformers' renamed
    arguments (they concern the libraries, not the run). Bars come back as they were."""
    import datasets
    import transformers

    hf_logging = transformers.utils.logging
    bars_on = hf_logging.is_progress_bar_enabled()
    data_bars_on = datasets.is_progress_bar_enabled()
    if not progress:
        hf_logging.disable_progress_bar()
        datasets.disable_progress_bars()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*experimental feature.*")
            warnings.filterwarnings("ignore", message=r".*will be removed in v6.*")
            yield
    finally:
        if bars_on:
            hf_logging.enable_progress_bar()
        if data_bars_on:
            datasets.enable_progress_bars()


def stderr_logger() -> Any:
    """A TrainerCallback that prints each logged record to stderr as one JSON line."""
    from transformers import TrainerCallback

    class StderrLog(TrainerCallback):  # type: ignore[misc]
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            if logs:
                record = {"step": state.global_step, **logs}
                print(json.dumps(record, default=float), file=sys.stderr, flush=True)

    return StderrLog()


def quiet_trainer(trainer: Any, progress: bool) -> None:
    """Replace the trainer's stdout printers by ``stderr_logger`` (when ``progress``):
    stdout is for results."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if progress:
        trainer.add_callback(stderr_logger())
