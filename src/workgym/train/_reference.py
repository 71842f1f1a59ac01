"""A periodic refresh of the KL reference from the policy, for LoRA training.

With a KL term (``beta`` above 0) the policy is pulled towards a reference model. Held at
the starting model for a whole run, that pull grows as the policy moves away, and it
ends up holding the policy back; the published practice refreshes the reference from the
policy now and then. TRL does that for a full model (``sync_ref_model``) but refuses it
for a PEFT model, whose reference is the model with its adapter disabled, or a second
adapter named ``ref`` where TRL made one.

:func:`refresh_reference` gives the PEFT model that ``ref`` adapter (when it has none)
and copies the trained adapter's weights into it; TRL computes the reference through
``ref`` whenever the model has one. The trained adapter and the base weights are not
touched, so the saved adapter is the whole policy, and ``ReferenceRefresh`` removes the
``ref`` adapter it made when training ends, before the trainer saves the model.
"""

from __future__ import annotations

import copy
from typing import Any

REFERENCE = "ref"
"""The name TRL looks for: with an adapter of this name the reference is that adapter."""


def refresh_reference(model: Any, trained: str = "default") -> bool:
    """Make adapter ``ref`` of PEFT ``model`` a copy of adapter ``trained``.

    The copy is frozen (no gradient) and not active; the active adapter stays as it was.

    Returns:
        True when this call added the ``ref`` adapter (it had none).

    Raises:
        ValueError: the model has no adapter ``trained``.
    """
    import torch

    configs = getattr(model, "peft_config", None)
    if not isinstance(configs, dict) or trained not in configs:
        raise ValueError(f"refreshing the reference needs a PEFT model with adapter {trained!r}")
    added = REFERENCE not in configs
    if added:
        active = model.active_adapter
        model.add_adapter(REFERENCE, copy.deepcopy(configs[trained]))
        model.set_adapter(active)  # adding may leave the new one marked trainable
    params = dict(model.named_parameters())
    marker, target = f".{trained}.", f".{REFERENCE}."
    copied = 0
    with torch.no_grad():
        for name, source in params.items():
            if marker not in name:
                continue
            copy_of = params.get(name.replace(marker, target))
            if copy_of is None:
                continue
            copy_of.copy_(source)
            copy_of.requires_grad_(False)
            copied += 1
    if not copied:
        raise ValueError(f"adapter {trained!r} has no weights that a {REFERENCE!r} adapter copies")
    return added


def reference_refresh_callback(every: int) -> Any:
    """A ``transformers.TrainerCallback`` that refreshes the reference every ``every``
    optimizer steps (see the module docstring)."""
    from transformers import TrainerCallback

    class ReferenceRefresh(TrainerCallback):  # type: ignore[misc]
        """Copy the trained adapter into ``ref`` every ``every`` steps."""

        def __init__(self) -> None:
            self.every = every
            self.added = False

        def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None,
                        **kwargs: Any) -> None:
            if model is not None and state.global_step % self.every == 0:
                self.added = refresh_reference(_unwrapped(model)) or self.added

        def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None,
                         **kwargs: Any) -> None:
            if model is not None and self.added:
                _unwrapped(model).delete_adapter(REFERENCE)
                self.added = False

    return ReferenceRefresh()


def _unwrapped(model: Any) -> Any:
    """The PEFT model inside a wrapper (DDP and similar keep it as ``module``)."""
    while not hasattr(model, "peft_config") and hasattr(model, "module"):
        model = model.module
    return model
