"""Test-time augmentation for face crops: the mean probability over a mirror and small shifts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: (dx, dy) shifts in pixels applied to the face and to its mirror image.
SHIFTS: tuple[tuple[int, int], ...] = ((0, 0), (-2, 0), (2, 0), (0, -2), (0, 2))


def shift(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Shift (N,H,W) images by whole pixels, repeating the border."""
    if dx == 0 and dy == 0:
        return images
    h, w = images.shape[1:3]
    pad = max(abs(dx), abs(dy))
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad)), mode="edge")
    return padded[:, pad - dy : pad - dy + h, pad - dx : pad - dx + w]


def tta_views(images: np.ndarray) -> list[np.ndarray]:
    """The identity, the mirror, and both shifted by each of ``SHIFTS`` (10 views)."""
    mirrored = images[:, :, ::-1]
    return [shift(v, dx, dy) for v in (images, mirrored) for dx, dy in SHIFTS]


def tta_probabilities(images: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Mean of ``predict`` (crops -> probabilities) over the TTA views."""
    views = tta_views(images)
    return np.mean([predict(np.ascontiguousarray(v)) for v in views], axis=0)
