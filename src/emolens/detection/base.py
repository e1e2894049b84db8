"""The face-detector interface: ``Detector.detect(image) -> list[Detection]`` and a registry by name.

Every detector receives an 8-bit BGR image of any size and detects on a downscaled copy (faster, and
what the detectors were trained for); the boxes are mapped back to the original pixels, so crops are
cut from the full-resolution image.

The size of that copy follows the image and its faces. Detection starts on a copy ``min_side`` pixels
long and looks closer (a larger copy, up to ``max_side``) only while small faces are likely: when it
found no face, a face smaller than ``close_look_px`` at that size, or a weaker candidate. The
next size is the one at which the smallest of them would be ``close_look_px`` long (at least
twice the last one), on the region around them or the whole image. ``close_look_px``, ``unseen_px``
and ``candidate_score`` are class attributes: each detector has its own, measured on WIDER FACE and
the project's composed photos (docs/performance.md). A photo whose faces are large is
done after one small, fast pass (and a close look at a small region where needed); a
crowd of small faces is detected at ``max_side``, as with one fixed size (``min_side = max_side``).
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


#: The longest side of the copy the detector may look at (0: the full-size image). 1280 keeps 150-px
#: faces of a 1080p photo findable (at 640, a third of them were missed in our tests).
DEFAULT_MAX_SIDE = 1280
#: The longest side of the first, coarse pass: a quarter of the work of a 640-px pass; faces from about
#: a tenth of the image's longer side up are found there (measured in docs/performance.md).
DEFAULT_MIN_SIDE = 320
#: Help of the detection options, shared by every command and setting that takes them.
DETECTOR_HELP = "Face detector (see `emolens detectors list`)."
SCORE_THRESHOLD_HELP = "Minimum detector score [default: the detector's]."
MIN_FACE_HELP = "Ignore faces smaller than this many pixels (0: keep all)."
#: Faces smaller than this (longer side, pixels) are left out by default: too few pixels to read.
DEFAULT_MIN_FACE = 20
MAX_SIDE_HELP = "Longest side of the copy the detector may look at (0: the full-size image)."
MIN_SIDE_HELP = "Longest side of the first, coarse detection pass; larger passes only where small faces are likely."
#: A closer look covers the small faces with this many times their size of context on each side ...
CONTEXT = 1.0
#: ... or the whole image, when that would cover more than this share of it.
WHOLE_SHARE = 0.5
#: Detections of two looks overlapping more than this (IoU) are one face: the closer look's box is kept.
SAME_FACE_IOU = 0.4


class Detector(ABC):
    """Base class: subclasses implement :meth:`_detect` on an image already scaled for detection.

    ``score_threshold`` keeps detections at or above it; ``max_side`` bounds the longer image side
    seen by the network (0 = never downscale); ``min_side`` is the longer side of the first, coarse
    pass (``min_side >= max_side``: one pass at ``max_side``); ``threads`` caps the detector's CPU threads.
    """

    name: ClassVar[str]
    default_score_threshold: ClassVar[float] = 0.5
    description: ClassVar[str] = ""
    #: A face (or candidate) shorter than this at the size it was found at gets a closer look.
    close_look_px: ClassVar[int] = 48
    #: ... and if it is shorter than this, faces like it may have gone unseen anywhere: the whole image gets it
    #: (at 24, the second of two 900-px faces of an 8000x6000 photo, 36 px at 320, was never looked for).
    unseen_px: ClassVar[int] = 40
    #: Score down to which a detection counts as a candidate for those decisions (it is not returned).
    candidate_score: ClassVar[float] = 0.3

    def __init__(
        self,
        score_threshold: float | None = None,
        max_side: int = DEFAULT_MAX_SIDE,
        threads: int | None = None,
        min_side: int = DEFAULT_MIN_SIDE,
    ):
        self.score_threshold = self.default_score_threshold if score_threshold is None else score_threshold
        self.max_side = max_side
        self.min_side = min_side
        self.threads = threads
        if not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"score_threshold must be in [0, 1], got {self.score_threshold}")
        check_sides(max_side, min_side)

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

    def sides(self, image_side: int) -> tuple[int, int]:
        """The first and the largest detection size (longer side, pixels) for an image this long."""
        top = min(image_side, self.max_side) if self.max_side else image_side
        return min(self.min_side, top), top

    def detect_array(self, image: np.ndarray, score_threshold: float | None = None) -> DetectionArray:
        """Like :meth:`detect` but as arrays; a ``score_threshold`` given here overrides the detector's for the
        faces returned (benchmarks), not for the choice of where to look closer."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        keep = self.score_threshold if score_threshold is None else score_threshold
        h, w = image.shape[:2]
        first, top = self.sides(max(h, w))
        whole = (0, 0, w, h)
        looks = [(whole, first / max(h, w))]
        found: list[np.ndarray] = []
        while looks:
            region, scale = looks.pop()
            raw = self._detect_region(image, region, scale, min(self.candidate_score, self.score_threshold, keep))
            found.append(np.column_stack([raw, np.full(len(raw), scale, np.float32)]))
            closer = self._closer_look(raw, region, scale, top / max(h, w), whole)
            if closer is not None:
                looks.append(closer)
        raw = _merge(np.concatenate(found))
        raw = raw[raw[:, 4] >= keep]
        return DetectionArray(raw[:, :4], raw[:, 4])

    def _closer_look(
        self,
        raw: np.ndarray,
        region: tuple[int, int, int, int],
        scale: float,
        top: float,
        whole: tuple[int, int, int, int],
    ) -> tuple[tuple[int, int, int, int], float] | None:
        """Where and at what scale to look next after a look at ``region``, or None."""
        if scale >= top:
            return None
        sizes = (raw[:, 2:4] - raw[:, 0:2]).max(axis=1)
        weak = raw[:, 4] < self.score_threshold
        small = ((sizes * scale < self.close_look_px) | weak) & (
            raw[:, 4] >= min(self.candidate_score, self.score_threshold)
        )
        if not small.any():
            if region == whole and not (raw[:, 4] >= self.score_threshold).any():
                return whole, min(top, 2 * scale)  # nothing found: the faces may all be too small
            return None
        smallest = float(sizes[small].min())
        closer = min(top, max(2 * scale, self.close_look_px / smallest))
        if smallest * scale < self.unseen_px:
            return region, closer
        grow = CONTEXT * float(sizes[small].max())
        x1, y1 = raw[small, :2].min(axis=0) - grow
        x2, y2 = raw[small, 2:4].max(axis=0) + grow
        box = (
            max(region[0], int(x1)),
            max(region[1], int(y1)),
            min(region[2], int(x2) + 1),
            min(region[3], int(y2) + 1),
        )
        if (box[2] - box[0]) * (box[3] - box[1]) > WHOLE_SHARE * (region[2] - region[0]) * (region[3] - region[1]):
            box = region
        return box, closer

    def _detect_region(
        self, image: np.ndarray, region: tuple[int, int, int, int], scale: float, threshold: float
    ) -> np.ndarray:
        """(N, 5) detections in original pixels on ``region`` of ``image`` scaled by ``scale``; faces cut by
        the region's edge (where it is not the image's) are left out."""
        h, w = image.shape[:2]
        x1, y1, x2, y2 = region
        crop = image[y1:y2, x1:x2]
        if scale < 1.0:
            size = (max(1, round((x2 - x1) * scale)), max(1, round((y2 - y1) * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        sx, sy = crop.shape[1] / (x2 - x1), crop.shape[0] / (y2 - y1)
        raw = self._detect(crop, threshold).reshape(-1, 5).astype(np.float32)
        inner = np.array([x1 > 0, y1 > 0, x2 < w, y2 < h])
        if inner.any() and len(raw):
            edges = np.column_stack(
                [raw[:, 0] <= 1, raw[:, 1] <= 1, raw[:, 2] >= crop.shape[1] - 1, raw[:, 3] >= crop.shape[0] - 1]
            )
            raw = raw[~(edges & inner).any(axis=1)]
        raw[:, [0, 2]] = (raw[:, [0, 2]] / sx + x1).clip(0, w)
        raw[:, [1, 3]] = (raw[:, [1, 3]] / sy + y1).clip(0, h)
        return raw[(raw[:, 2] > raw[:, 0]) & (raw[:, 3] > raw[:, 1])]


def _merge(found: np.ndarray) -> np.ndarray:
    """Detections of all looks (x1, y1, x2, y2, score, scale) as (N, 5), best first: of overlapping ones, the
    closest look's."""
    order = np.lexsort((-found[:, 4], -found[:, 5]))
    kept: list[int] = []
    for k in order:
        if not kept or iou(found[k], found[kept]).max() <= SAME_FACE_IOU:
            kept.append(int(k))
    raw = found[kept, :5]
    return raw[np.argsort(-raw[:, 4], kind="stable")]


def check_sides(max_side: int, min_side: int) -> None:
    """:class:`ConfigError` unless ``max_side >= 0`` and ``min_side >= 1``."""
    if max_side < 0:
        raise ConfigError(f"max_side must be >= 0, got {max_side}")
    if min_side < 1:
        raise ConfigError(f"min_side must be >= 1, got {min_side}")


def check_min_face(min_face: int) -> None:
    """:class:`ConfigError` unless ``min_face >= 0``."""
    if min_face < 0:
        raise ConfigError(f"min_face must be >= 0, got {min_face}")


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

    def at_least(self, min_size: float) -> DetectionArray:
        """The detections whose longer side is at least ``min_size`` pixels (all of them for 0)."""
        if not min_size or not len(self):
            return self
        keep = np.maximum(self.boxes[:, 2] - self.boxes[:, 0], self.boxes[:, 3] - self.boxes[:, 1]) >= min_size
        return DetectionArray(self.boxes[keep], self.scores[keep])

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
