"""The face-detector interface: ``Detector.detect(image) -> list[Detection]`` and a registry by name.

Every detector receives an 8-bit BGR image of any size. Images larger than ``max_side`` are detected
on a downscaled copy (faster, and what the detectors were trained for) and the boxes are mapped back
to the original pixels, so crops are cut from the full-resolution image.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import numpy as np

from emolens.errors import ConfigError


@dataclass(frozen=True)
class Detection:
    """A face: box (x1, y1, x2, y2) in pixels of the original image, and a score in [0, 1]."""

    box: tuple[float, float, float, float]
    score: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


class Detector(ABC):
    """Base class: subclasses implement :meth:`_detect` on an image no larger than ``max_side``.

    ``score_threshold`` keeps detections at or above it; ``max_side`` bounds the longer image side
    seen by the network (0 = never downscale); ``threads`` caps the detector's CPU threads.
    """

    name: ClassVar[str]
    default_threshold: ClassVar[float] = 0.5
    description: ClassVar[str] = ""

    def __init__(self, score_threshold: float | None = None, max_side: int = 640, threads: int | None = None):
        self.score_threshold = self.default_threshold if score_threshold is None else score_threshold
        self.max_side = max_side
        self.threads = threads
        if not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"score_threshold must be in [0, 1], got {self.score_threshold}")
        if max_side < 0:
            raise ConfigError(f"max_side must be >= 0, got {max_side}")

    @classmethod
    def available(cls) -> bool:
        """Whether the package this detector needs is installed."""
        return True

    @abstractmethod
    def _detect(self, image: np.ndarray, threshold: float) -> np.ndarray:
        """Detections on a BGR image as an (N, 5) float array of x1, y1, x2, y2, score."""

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces in an 8-bit BGR (or grey) image, best first."""
        return self.detect_array(image).to_detections()

    def detect_array(self, image: np.ndarray, threshold: float | None = None) -> DetectionArray:
        """Like :meth:`detect` but as arrays; ``threshold`` overrides ``score_threshold`` (benchmarks)."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        h, w = image.shape[:2]
        scale = 1.0
        if self.max_side and max(h, w) > self.max_side:
            scale = self.max_side / max(h, w)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        raw = self._detect(image, self.score_threshold if threshold is None else threshold)
        raw = raw.reshape(-1, 5).astype(np.float32)
        if len(raw):
            raw[:, :4] /= scale
            raw[:, [0, 2]] = raw[:, [0, 2]].clip(0, w)
            raw[:, [1, 3]] = raw[:, [1, 3]].clip(0, h)
            raw = raw[(raw[:, 2] > raw[:, 0]) & (raw[:, 3] > raw[:, 1])]
            raw = raw[np.argsort(-raw[:, 4], kind="stable")]
        return DetectionArray(raw[:, :4], raw[:, 4])


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one box with many (x1, y1, x2, y2)."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


@dataclass(frozen=True)
class DetectionArray:
    """Boxes (N, 4) and scores (N,) of one image."""

    boxes: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def to_detections(self) -> list[Detection]:
        return [Detection(tuple(map(float, b)), float(s)) for b, s in zip(self.boxes, self.scores, strict=True)]  # type: ignore[arg-type]


_REGISTRY: dict[str, type[Detector]] = {}


def register_detector(cls: type[Detector]) -> type[Detector]:
    """Class decorator adding a detector to the registry under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def list_detectors(only_available: bool = True) -> list[str]:
    """Names of registered detectors (by default only those whose package is installed)."""
    return sorted(n for n, c in _REGISTRY.items() if c.available() or not only_available)


def registered_class(name: str) -> type[Detector]:
    """The class registered under ``name`` (installed or not)."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown detector {name!r}; choose one of {', '.join(list_detectors(False))}")
    return _REGISTRY[name]


def detector_class(name: str) -> type[Detector]:
    """The class registered under ``name``; an error when its package is not installed."""
    cls = registered_class(name)
    if not cls.available():
        raise ConfigError(f"detector {name!r} needs a package that is not installed: {cls.description}")
    return cls


def create_detector(name: str, **kwargs: Any) -> Detector:
    """Build a detector by name, e.g. ``create_detector("yunet", score_threshold=0.6)``."""
    return detector_class(name)(**kwargs)
