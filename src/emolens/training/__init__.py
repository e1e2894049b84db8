"""Training (needs the ``train`` extra): configuration, batch augmentation, the loop, checkpoints."""

from emolens.training.augment import AugmentConfig
from emolens.training.checkpoint import load_model, read_checkpoint
from emolens.training.config import TrainConfig
from emolens.training.trainer import Trainer, TrainResult, train

__all__ = ["AugmentConfig", "TrainConfig", "TrainResult", "Trainer", "load_model", "read_checkpoint", "train"]
