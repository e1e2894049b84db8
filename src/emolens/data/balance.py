"""Class balancing for training: none, random oversampling of minority classes, or loss weights."""

from __future__ import annotations

from typing import Literal

import numpy as np

from emolens.errors import ConfigError

Balance = Literal["none", "oversample", "weights"]
BALANCE_MODES: tuple[str, ...] = ("none", "oversample", "weights")


def class_weights(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Inverse-frequency weights, scaled so that the average weight per sample is 1 (absent classes: 0)."""
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    weights = np.divide(len(labels), num_classes * counts, out=np.zeros_like(counts), where=counts > 0)
    return weights.astype(np.float32)


def oversample_indices(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every index once plus random repeats of smaller classes until each class matches the largest
    (what imbalanced-learn's ``RandomOverSampler`` does), shuffled."""
    counts = np.bincount(labels)
    target = counts.max()
    parts = [np.arange(len(labels))]
    for label, count in enumerate(counts):
        if 0 < count < target:
            parts.append(rng.choice(np.flatnonzero(labels == label), target - count, replace=True))
    index = np.concatenate(parts)
    return index[rng.permutation(len(index))]


def epoch_indices(labels: np.ndarray, balance: str, rng: np.random.Generator) -> np.ndarray:
    """The order of training samples for one epoch under a balancing mode."""
    if balance not in BALANCE_MODES:
        raise ConfigError(f"unknown balance {balance!r}; choose one of {', '.join(BALANCE_MODES)}")
    if balance == "oversample":
        return oversample_indices(labels, rng)
    return rng.permutation(len(labels))
