"""The KL reference refreshed from the policy during LoRA GSPO (``ref_sync_steps``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from train_helpers import FAMILY, NEEDS_TRAIN

from workgym.core import TaskSpec
from workgym.train import GSPOTrainConfig, refresh_reference, train_gspo

pytestmark = [pytest.mark.train, NEEDS_TRAIN]


def _tiny_peft() -> Any:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    base = LlamaForCausalLM(LlamaConfig(
        vocab_size=40, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32))
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    _train_some(model)
    return model


def _train_some(model: Any) -> None:
    """Move the trained adapter away from zero, as training would."""
    import torch

    with torch.no_grad():
        for name, param in model.named_parameters():
            if ".default." in name:
                param.add_(torch.randn_like(param) * 0.5)


def _logits(model: Any, adapter: str | None) -> Any:
    import torch

    ids = torch.arange(12).reshape(1, 12)
    with torch.no_grad():
        if adapter is None:
            with model.disable_adapter():
                return model(input_ids=ids).logits
        active = model.active_adapter
        model.set_adapter(adapter)
        try:
            return model(input_ids=ids).logits
        finally:
            model.set_adapter(active)


def test_the_reference_becomes_a_frozen_copy_of_the_policy():
    import torch

    model = _tiny_peft()
    policy, base = _logits(model, "default"), _logits(model, None)
    assert not torch.allclose(policy, base)

    assert refresh_reference(model) is True
    assert torch.allclose(_logits(model, "ref"), policy)
    assert torch.allclose(_logits(model, "default"), policy)  # the policy is untouched
    assert torch.allclose(_logits(model, None), base)  # and so are the base weights
    assert model.active_adapter == "default"
    params = dict(model.named_parameters())
    assert all(p.requires_grad for n, p in params.items() if ".default." in n)
    assert not any(p.requires_grad for n, p in params.items() if ".ref." in n)

    _train_some(model)  # the policy moves on; the reference stays until the next refresh
    assert torch.allclose(_logits(model, "ref"), policy)
    assert refresh_reference(model) is False
    assert torch.allclose(_logits(model, "ref"), _logits(model, "default"))


def test_only_a_peft_model_can_refresh_its_reference():
    from transformers import LlamaConfig, LlamaForCausalLM

    plain = LlamaForCausalLM(LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2))
    with pytest.raises(ValueError, match="needs a PEFT model with adapter 'default'"):
        refresh_reference(plain)


def test_a_refresh_without_a_kl_term_is_refused():
    tasks = {"families": [FAMILY], "seeds": "0", "difficulties": ["easy"]}
    with pytest.raises(ValueError, match="ref_sync_steps refreshes the KL reference"):
        GSPOTrainConfig(model={"path": "m"}, tasks=tasks, output_dir="out", ref_sync_steps=4)
    config = GSPOTrainConfig(model={"path": "m"}, tasks=tasks, output_dir="out", beta=0.001,
                             ref_sync_steps=4)
    assert config.ref_sync_steps == 4


def test_gspo_measures_kl_against_the_refreshed_policy(tiny_model: Path, reference_data: list,
                                                       tmp_path: Path, one_thread: None):
    """Step 1 measures KL against the base model (the adapter starts away from it here),
    step 2 against the policy as step 1 left it: the same weights, so a KL of 0. Without
    the refresh, step 2 still measures against the base model."""
    from transformers import TrainerCallback

    class StartAway(TrainerCallback):  # type: ignore[misc]
        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                           **kwargs: Any) -> None:
            _train_some(model)

    seed = TaskSpec.from_json(reference_data[0]["spec"]).seed
    kl = {}
    for sync in (1, None):
        config = GSPOTrainConfig(
            model={"path": str(tiny_model)}, lora={"rank": 4, "alpha": 8},
            tasks={"families": [FAMILY], "seeds": str(seed), "difficulties": ["easy"]},
            output_dir=tmp_path / f"out-{sync}", num_generations=2,
            per_device_train_batch_size=2, max_steps=2, max_turns=2,
            max_completion_length=32, mask_truncated=False,  # every episode is cut at 32
            beta=0.01, ref_sync_steps=sync, seed=0)
        result = train_gspo(config, callbacks=[StartAway()])
        kl[sync] = [record["kl"] for record in result.log_history if "kl" in record]
        # The reference adapter was removed before saving: the output is the policy alone.
        assert (config.output_dir / "adapter_model.safetensors").is_file()
        assert not (config.output_dir / "ref").exists()

    assert len(kl[1]) == len(kl[None]) == 2
    assert kl[1][0] > 1e-3 and kl[1][0] == pytest.approx(kl[None][0])
    assert kl[1][1] == pytest.approx(0.0, abs=1e-6)
    assert kl[None][1] > 1e-3
