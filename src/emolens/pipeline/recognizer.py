"""``EmotionRecognizer``: the facade of emolens. Detect faces, crop them, classify them in batches.

    from emolens import EmotionRecognizer
    rec = EmotionRecognizer()            # bundled default model + default face detector
    res = rec.analyze("group.jpg")       # path, numpy array (BGR or grey), bytes or PIL image
    res.faces[0].emotion, res.plot(), res.save("out.jpg"), res.to_json()

Constructor arguments are stored and checked; the model and detector are loaded on first use.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from emolens.detection import DEFAULT_DETECTOR, Detector, create_detector
from emolens.detection.base import (
    DEFAULT_MAX_SIDE,
    DEFAULT_MIN_FACE,
    DEFAULT_MIN_SIDE,
    DetectionArray,
    check_min_face,
    check_sides,
    detector_class,
)
from emolens.errors import ConfigError, EmolensError, ImageReadError
from emolens.imageio import read_image
from emolens.pipeline.crops import DEFAULT_MARGIN, crop_faces, square_box
from emolens.pipeline.explain import occlusion_maps
from emolens.pipeline.results import Face, ImageResult
from emolens.pipeline.sources import ImageInput, expand_inputs
from emolens.runtime.classifier import Crops, EmotionClassifier


def source_name(source: Any) -> str:
    """How an input is named in results: its path, or its kind."""
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, np.ndarray):
        return "<array>"
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return f"<{type(source).__name__}>"


@dataclass
class Prepared:
    """An image after decoding, detection and cropping, waiting for classification
    (:meth:`EmotionRecognizer.prepare`, then :meth:`EmotionRecognizer.result`)."""

    name: str
    image: np.ndarray | None
    detections: DetectionArray | None
    crops: np.ndarray | None
    timings: dict[str, float]
    error: str | None = None


class EmotionRecognizer:
    """Find faces and tell what each one feels.

    Parameters
    ----------
    model:
        A bundled model name (``default``) or a path to an emolens ``.onnx`` file.
    detector:
        A detector name (see :func:`emolens.detection.list_detectors`) or a :class:`Detector`, which
        carries its own ``score_threshold``, ``max_side`` and ``min_side`` (giving them here as well is a
        :class:`ConfigError`, not a silent choice between the two).
    score_threshold:
        Minimum detector score (None: the detector's own default).
    min_face:
        Ignore faces whose longer side is below this many pixels.
    max_side:
        The longest side of the downscaled copy the detector may look at (0: the full-size image; None:
        ``DEFAULT_MAX_SIDE``, 1280); crops still come from the full image.
    min_side:
        The longer side of the first, coarse detection pass (None: ``DEFAULT_MIN_SIDE``, 320); the
        detector looks closer, up to ``max_side``, only where small faces are likely (see
        :mod:`emolens.detection.base`). ``min_side >= max_side`` detects once, at ``max_side``.
    margin:
        Extra margin around the detector's box when cropping (share of its longer side).
    threads:
        CPU threads for the classifier and the detector (None: the libraries' defaults).
    """

    def __init__(
        self,
        model: str | Path | None = None,
        detector: str | Detector = DEFAULT_DETECTOR,
        score_threshold: float | None = None,
        min_face: int = DEFAULT_MIN_FACE,
        max_side: int | None = None,
        margin: float = DEFAULT_MARGIN,
        threads: int | None = None,
        min_side: int | None = None,
    ):
        self.model = model
        self.detector = detector
        self.score_threshold = score_threshold
        self.min_face = min_face
        self.max_side = max_side
        self.min_side = min_side
        self.margin = margin
        self.threads = threads
        check_min_face(min_face)
        check_sides(
            DEFAULT_MAX_SIDE if max_side is None else max_side, DEFAULT_MIN_SIDE if min_side is None else min_side
        )
        if isinstance(detector, str):
            detector_class(detector)
        elif self._detector_options():
            raise ConfigError(
                f"{', '.join(self._detector_options())} belong to the Detector instance passed as detector; "
                "set them there (a detector name takes them here)"
            )
        if not -0.5 < margin < 2.0:
            raise ConfigError(f"margin must be between -0.5 and 2, got {margin}")

    # -- components, loaded on first use ----------------------------------------------------------
    @functools.cached_property
    def classifier(self) -> EmotionClassifier:
        classifier = EmotionClassifier(self.model, threads=self.threads)
        classifier.metadata  # noqa: B018 - open the file now so a bad model fails here
        return classifier

    def _detector_options(self) -> dict[str, Any]:
        """The detection options given to the recognizer (the detector's defaults stand for the others)."""
        options = {"score_threshold": self.score_threshold, "max_side": self.max_side, "min_side": self.min_side}
        return {name: value for name, value in options.items() if value is not None}

    @functools.cached_property
    def face_detector(self) -> Detector:
        if isinstance(self.detector, Detector):
            return self.detector
        return create_detector(self.detector, threads=self.threads, **self._detector_options())

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names of the model, in the order of its probabilities."""
        return self.classifier.classes

    # -- building blocks --------------------------------------------------------------------------
    def classify(self, crops: Crops, calibrated: bool = True) -> np.ndarray:
        """Probabilities (N, classes) for face crops: (N,H,W) grey or (N,H,W,3) BGR uint8."""
        return self.classifier.predict_proba(crops, calibrated=calibrated)

    def detect(self, image: np.ndarray) -> DetectionArray:
        """Faces of a BGR image at least ``min_face`` pixels large, best first."""
        return self.face_detector.detect_array(image).at_least(self.min_face)

    def _prepare(self, source: Any, name: str | None = None) -> Prepared:
        name = name or source_name(source)
        started = time.perf_counter()
        try:
            image = read_image(source, "bgr")
        except EmolensError as exc:
            return Prepared(name, None, None, None, {}, str(exc))
        return self.prepare(image, name, {"decode": 1000 * (time.perf_counter() - started)})

    def prepare(self, image: np.ndarray, name: str, timings: dict[str, float] | None = None) -> Prepared:
        """Detect and crop the faces of a decoded BGR image (the photo path's first half; the service decodes
        on its own, with its pixel limit, and classifies through its micro-batcher)."""
        timings = dict(timings or {})
        started = time.perf_counter()
        detections = self.detect(image)
        detected = time.perf_counter()
        crops = crop_faces(image, detections.boxes, self.classifier.input_size, self.margin)
        timings.update(detect=1000 * (detected - started), crop=1000 * (time.perf_counter() - detected))
        return Prepared(name, image, detections, crops, timings)

    def result(
        self,
        item: Prepared,
        probs: np.ndarray,
        heatmaps: np.ndarray | None = None,
        classify_ms: float = 0.0,
        keep_image: bool = True,
    ) -> ImageResult:
        """The result of a prepared image given its faces' probabilities (the photo path's second half)."""
        if item.error is not None or item.image is None or item.detections is None:
            return ImageResult(item.name, [], error=item.error, timings=item.timings)
        faces = [
            Face(
                box=tuple(map(float, box)),  # type: ignore[arg-type]
                score=float(score),
                probs=probs[k],
                classes=self.classes,
                heatmap=None if heatmaps is None else heatmaps[k],
                heatmap_box=None if heatmaps is None else square_box(box, self.margin),
            )
            for k, (box, score) in enumerate(zip(item.detections.boxes, item.detections.scores, strict=True))
        ]
        h, w = item.image.shape[:2]
        timings = {**item.timings, "classify": classify_ms}
        return ImageResult(item.name, faces, w, h, item.image if keep_image else None, timings)

    def _finish(self, batch: Sequence[Prepared], explain: bool, keep_images: bool) -> list[ImageResult]:
        """Classify the crops of several images in one call and build their results."""
        crops = [p.crops for p in batch if p.crops is not None and len(p.crops)]
        started = time.perf_counter()
        probs = self.classify(np.concatenate(crops)) if crops else np.empty((0, len(self.classes)))
        heatmaps = occlusion_maps(np.concatenate(crops), self.classify) if explain and crops else None
        elapsed = 1000 * (time.perf_counter() - started)
        total = sum(len(c) for c in crops)
        results, offset = [], 0
        for item in batch:
            n = 0 if item.detections is None else len(item.detections)  # None: unreadable
            results.append(
                self.result(
                    item,
                    probs[offset : offset + n],
                    None if heatmaps is None else heatmaps[offset : offset + n],
                    elapsed * n / total if total else 0.0,
                    keep_images,
                )
            )
            offset += n
        return results

    # -- the main job -----------------------------------------------------------------------------
    def analyze(self, source: Any, explain: bool = False) -> ImageResult:
        """Analyse one picture (path, BGR/grey array, bytes or PIL image); raises on unreadable input."""
        prepared = self._prepare(source)
        if prepared.error is not None:
            raise ImageReadError(prepared.error)
        return self._finish([prepared], explain, keep_images=True)[0]

    def analyze_many(
        self, sources: Iterable[Any], explain: bool = False, keep_images: bool = False, group: int = 16
    ) -> Iterator[ImageResult]:
        """Analyse many pictures, classifying the faces of ``group`` images per call. Unreadable inputs
        give results with ``error`` set; the rest carry on."""
        pending: list[Prepared] = []
        for source in sources:
            if isinstance(source, ImageInput):
                item = (
                    Prepared(str(source.path), None, None, None, {}, source.error)
                    if source.error
                    else self._prepare(source.path)
                )
            else:
                item = self._prepare(source)
            pending.append(item)
            if len(pending) >= group:
                yield from self._finish(pending, explain, keep_images)
                pending = []
        if pending:
            yield from self._finish(pending, explain, keep_images)

    def analyze_paths(
        self, inputs: Sequence[str | Path], explain: bool = False, keep_images: bool = False
    ) -> Iterator[ImageResult]:
        """:meth:`analyze_many` over files, folders (recursive) and glob patterns."""
        return self.analyze_many(expand_inputs(inputs), explain=explain, keep_images=keep_images)

    #: What :meth:`analyze_video` runs: :func:`emolens.video.analysis.analyze_video`, set by ``emolens/__init__.py``.
    #: The video layer sits above this one and imports it, so this module may not import the video layer.
    video_analyser: ClassVar[Callable[..., Any]]

    def analyze_video(self, source: Any, **options: Any) -> Any:
        """Analyse a video file, stream URL or camera index: a :class:`~emolens.video.analysis.VideoAnalysis`
        that yields a ``FrameResult`` per frame (tracked faces, raw and smoothed probabilities) and has a
        per-track ``.summary``. Options: see :func:`emolens.video.analysis.analyze_video`."""
        return type(self).video_analyser(self, source, **options)
