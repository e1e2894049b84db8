"""Training (needs the ``train`` extra): configuration, batch augmentation, the loop, checkpoints.

The configuration (:mod:`.config`) imports no torch; the rest loads on first use, so that the command line
can read the configuration's fields without the extra.
"""

from __future__ import annotations

import importlib
from typing import Any

from emolens.training.config import AugmentConfig, TrainConfig

#: The names that need torch, and their modules (loaded on first use).
_LAZY = {
    "load_model": "checkpoint", "read_checkpoint": "checkpoint", "slim_checkpoint": "checkpoint", "Trainer": "trainer",
    "TrainResult": "trainer", "train": "trainer",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'emolens.training' has no attribute {name!r}")
    return getattr(importlib.import_module(f"emolens.training.{_LAZY[name]}"), name)


__all__ = [
    "AugmentConfig",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "load_model",
    "read_checkpoint",
    "slim_checkpoint",
    "train",
]
