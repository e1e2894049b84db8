"""Adaptive detection sizes: a coarse pass, then closer looks only where small faces are likely."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from emolens.detection import create_detector, list_detectors
from emolens.detection.base import DEFAULT_MIN_SIDE, Detector, iou
from emolens.errors import ConfigError


def list_detectors_with_network() -> list[str]:
    """The installed detectors that look at the image (all but ``whole-image``)."""
    return [name for name in list_detectors() if name != "whole-image"]


def _found(detector: Detector, photo: np.ndarray, planted: np.ndarray) -> int:
    boxes = detector.detect_array(photo).boxes
    return sum(bool(len(boxes)) and iou(box, boxes).max() > 0.4 for box in planted)


#: RetinaFace's coarse pass scores the two pasted 80-px FER2013 crops of this photo (40 px at 320) 0.04 and
#: 0.01, under its 0.1 candidate score: nothing asks for the closer look there (docs/performance.md).
UNSEEN_BY_RETINAFACE = pytest.mark.xfail(strict=True, reason="no candidate in RetinaFace's coarse pass")


@pytest.mark.parametrize(
    ("name", "size", "sides", "seed"),
    [
        pytest.param(name, size, sides, seed, marks=[UNSEEN_BY_RETINAFACE] if (name, seed) == ("retinaface", 3) else [])
        for name in list_detectors_with_network()
        for size, sides, seed in [((1280, 720), [300, 130, 130], 0), ((640, 480), [200, 80, 80], 3)]
    ],
)
def test_small_faces_next_to_a_large_one_get_a_closer_look(compose, sharp_faces, name, size, sides, seed) -> None:
    faces = sharp_faces[0][np.arange(0, len(sharp_faces[0]), len(sharp_faces[0]) // 3)[:3] + seed]
    photo, planted = compose(faces, size=size, face_px=sides, seed=seed)
    adaptive = create_detector(name, threads=2)
    passes: list[tuple[int, ...]] = []
    network = adaptive._detect

    def counting(image: np.ndarray, threshold: float) -> np.ndarray:
        passes.append(image.shape[:2])
        return network(image, threshold)

    adaptive._detect = counting  # type: ignore[method-assign]
    assert _found(adaptive, photo, planted) == len(planted)
    full = photo.shape[0] * photo.shape[1]
    assert len(passes) > 1 and all(h * w < full for h, w in passes)  # closer looks, each less than the full image
    coarse_only = create_detector(name, min_side=DEFAULT_MIN_SIDE, max_side=DEFAULT_MIN_SIDE, threads=2)
    assert _found(coarse_only, photo, planted) < len(planted)


@pytest.mark.parametrize("min_side", [640, 641, 5000])
def test_min_side_at_or_above_max_side_is_one_fixed_pass(compose, sharp_faces, min_side) -> None:
    photo, _ = compose(sharp_faces[0][:6], size=(1280, 720), face_px=[200, 160, 120, 90, 70, 50], seed=1)
    detector = create_detector("yunet", min_side=min_side, max_side=640, threads=2)
    passes: list[np.ndarray] = []
    network = detector._detect

    def recording(image: np.ndarray, threshold: float) -> np.ndarray:
        passes.append(image)
        return network(image, threshold)

    detector._detect = recording  # type: ignore[method-assign]
    found = detector.detect_array(photo)
    assert len(passes) == 1 and passes[0].shape[:2] == (360, 640) and len(found)
    by_hand = network(cv2.resize(photo, (640, 360), interpolation=cv2.INTER_AREA), detector.score_threshold)
    by_hand = by_hand[np.argsort(-by_hand[:, 4], kind="stable")]
    assert np.allclose(found.boxes, by_hand[:, :4] * 2, atol=1e-3) and np.allclose(found.scores, by_hand[:, 4])


def test_sides_are_checked() -> None:
    with pytest.raises(ConfigError, match="min_side"):
        create_detector("yunet", min_side=0)
    with pytest.raises(ConfigError, match="max_side"):
        create_detector("yunet", max_side=-1)
