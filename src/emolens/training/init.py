"""Start training from existing weights (transfer learning), rebuilding the head when classes differ.

Classes shared by the old and the new head keep their trained rows, so fine-tuning on a subset of
the FER classes starts from the bundled model's own decision for them; new classes start fresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from torch import nn

from emolens.errors import ModelFileError
from emolens.runtime.bundled import resolve_model_path
from emolens.training.checkpoint import read_checkpoint


def initial_weights(init: str) -> dict[str, Any]:
    """The checkpoint named by ``init``: a bundled model's name (``default``) or a ``.pt`` path."""
    return read_checkpoint(resolve_model_path(init, suffix=".pt"))


def head_keys(model: nn.Module) -> list[str]:
    """State-dict keys of the last linear layer (the class logits)."""
    name = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)][-1]
    return [f"{name}.weight", f"{name}.bias"]


def load_with_head(model: nn.Module, state: dict[str, Any], classes: Sequence[str], console: Console) -> None:
    """Load ``state['model']`` into ``model``; the head's rows follow the classes by name."""
    old_classes = list(state["classes"])
    weights = dict(state["model"])
    own = model.state_dict()
    if own.keys() != weights.keys():
        missing, unexpected = len(own.keys() - weights.keys()), len(weights.keys() - own.keys())
        raise ModelFileError(
            f"initial weights do not fit the architecture: {missing} of its tensors are not in them, "
            f"{unexpected} of theirs are not in it"
        )
    if old_classes != list(classes):
        for key in head_keys(model):
            merged = own[key].clone()
            for row, name in enumerate(classes):
                if name in old_classes:
                    merged[row] = weights[key][old_classes.index(name)]
            weights[key] = merged
        kept = [c for c in classes if c in old_classes]
        console.print(
            f"head rebuilt for {', '.join(classes)}; trained rows kept for {', '.join(kept) or 'none'}", markup=False
        )
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise ModelFileError(f"initial weights do not fit the architecture: {exc}") from None
