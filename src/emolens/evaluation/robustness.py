"""Accuracy under the degradations of real photos and footage, each at growing severity.

FER2013's crops are clean; faces from cameras are not. Each corruption here turns (N,H,W) uint8 faces
into degraded faces of the same shape: JPEG compression at the face's own size, low resolution (a
small face upscaled to the model's input, as the crop pipeline does), sensor noise, under-exposure,
low contrast and head roll. ``robustness_scores`` measures accuracy for every corruption and severity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from emolens.data.quality import jpeg_roundtrip


def jpeg(images: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    """Encode and decode each face as a JPEG of ``quality`` (1-100)."""
    return jpeg_roundtrip(images, int(quality))


def low_resolution(images: np.ndarray, side: float, rng: np.random.Generator) -> np.ndarray:
    """Shrink each face to ``side`` pixels (area averaging), then upscale it back (bilinear)."""
    h, w = images.shape[1:3]
    small = (int(side), int(side))
    return np.stack(
        [
            cv2.resize(cv2.resize(f, small, interpolation=cv2.INTER_AREA), (w, h), interpolation=cv2.INTER_LINEAR)
            for f in images
        ]
    )


def noise(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian noise of ``sigma`` grey levels to every pixel."""
    return np.clip(images + rng.normal(0.0, sigma, images.shape), 0, 255).astype(np.uint8)


def exposure(images: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Scale every pixel by ``factor`` (< 1: under-exposed, > 1: over-exposed and clipped)."""
    return np.clip(images * factor, 0, 255).astype(np.uint8)


def contrast(images: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Scale each face's deviations from its own mean grey by ``factor``."""
    mean = images.mean(axis=(1, 2), keepdims=True)
    return np.clip((images - mean) * factor + mean, 0, 255).astype(np.uint8)


def roll(images: np.ndarray, degrees: float, rng: np.random.Generator) -> np.ndarray:
    """Rotate each face by ``degrees`` about its centre, clockwise or anticlockwise at random."""
    h, w = images.shape[1:3]
    signs = rng.choice([-1.0, 1.0], size=len(images))
    return np.stack(
        [
            cv2.warpAffine(
                f, cv2.getRotationMatrix2D((w / 2, h / 2), s * degrees, 1.0), (w, h), borderMode=cv2.BORDER_REFLECT_101
            )
            for f, s in zip(images, signs, strict=True)
        ]
    )


@dataclass(frozen=True)
class Corruption:
    """A degradation, the severities it is measured at (mildest first) and the unit they are in."""

    apply: Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
    severities: tuple[float, ...]
    unit: str


#: Every corruption by name, with its severities from mild to harsh.
CORRUPTIONS: dict[str, Corruption] = {
    "jpeg": Corruption(jpeg, (75, 50, 30, 15, 5), "quality"),
    "low_resolution": Corruption(low_resolution, (32, 24, 16, 12, 8), "face px"),
    "noise": Corruption(noise, (5, 10, 20, 30, 40), "grey levels"),
    "exposure": Corruption(exposure, (0.7, 0.5, 0.35, 0.25, 0.15), "x brightness"),
    "contrast": Corruption(contrast, (0.7, 0.5, 0.35, 0.25, 0.15), "x contrast"),
    "roll": Corruption(roll, (10, 20, 30, 40, 50), "degrees"),
}


@dataclass(frozen=True)
class RobustnessScore:
    """Accuracy of one corruption at one severity."""

    corruption: str
    severity: float
    unit: str
    accuracy: float

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


def robustness_scores(
    predict: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    labels: np.ndarray,
    corruptions: dict[str, Corruption] | None = None,
    seed: int = 0,
) -> list[RobustnessScore]:
    """Accuracy of ``predict`` ((N,H,W) uint8 faces -> (N,C) scores) on every corruption and severity."""
    scores = []
    for name, corruption in (CORRUPTIONS if corruptions is None else corruptions).items():
        for severity in corruption.severities:
            degraded = corruption.apply(images, severity, np.random.default_rng(seed))
            accuracy = float((predict(degraded).argmax(axis=1) == labels).mean()) if len(labels) else 0.0
            scores.append(RobustnessScore(name, float(severity), corruption.unit, accuracy))
    return scores


def by_corruption(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Group ``RobustnessScore.to_dict()`` rows by corruption name, keeping their order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["corruption"], []).append(row)
    return grouped


def describe_row(rows: list[dict[str, Any]]) -> str:
    """One corruption's accuracies as text: ``75: 55.1 %, 50: 54.9 %, ...``."""
    return ", ".join(f"{row['severity']:g}: {100 * row['accuracy']:.1f} %" for row in rows)
