"""``BatchSettings``: everything that decides a batch job's results. Without pyarrow, so that ``emolens batch``
builds its options from these fields (:mod:`emolens.fields`) in the light install too."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from emolens.detection import DEFAULT_DETECTOR
from emolens.detection.base import (
    DEFAULT_MAX_SIDE,
    DEFAULT_MIN_FACE,
    DEFAULT_MIN_SIDE,
    DETECTOR_HELP,
    MAX_SIDE_HELP,
    MIN_FACE_HELP,
    MIN_SIDE_HELP,
    SCORE_THRESHOLD_HELP,
)
from emolens.errors import ConfigError
from emolens.fields import option
from emolens.pipeline.crops import DEFAULT_MARGIN
from emolens.runtime.bundled import MODEL_HELP, resolve_model_path

if TYPE_CHECKING:
    from emolens.pipeline.recognizer import EmotionRecognizer

#: Version of the result layout, stored with the results.
LAYOUT_VERSION = 1


@dataclass(frozen=True)
class BatchSettings:
    """Everything that decides a batch job's results; stored with them, and a resumed job must match.

    ``faces_are_crops`` skips detection: each image is one face (the ``whole-image`` detector, no minimum
    size). ``sample_fps`` is how many frames per second of a video are analysed (None: every frame).
    """

    model: str | None = option(None, MODEL_HELP, short="-m")
    detector: str = option(DEFAULT_DETECTOR, DETECTOR_HELP)
    score_threshold: float | None = option(None, SCORE_THRESHOLD_HELP)
    min_face: int = option(DEFAULT_MIN_FACE, MIN_FACE_HELP)
    max_side: int = option(DEFAULT_MAX_SIDE, MAX_SIDE_HELP)
    min_side: int = option(DEFAULT_MIN_SIDE, MIN_SIDE_HELP)
    margin: float = DEFAULT_MARGIN
    faces_are_crops: bool = option(False, "Each image is one face crop: skip detection.")
    sample_fps: float | None = option(1.0, "Video frames analysed per second of video (--videos).")

    def __post_init__(self) -> None:
        if self.sample_fps is not None and not self.sample_fps > 0:
            raise ConfigError(f"sample_fps must be > 0, got {self.sample_fps}")
        if self.score_threshold is not None and not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"score_threshold must be in [0, 1], got {self.score_threshold}")

    def effective(self) -> BatchSettings:
        """The settings in force: with ``faces_are_crops``, the ``whole-image`` detector and no minimum size."""
        if not self.faces_are_crops:
            return self
        return replace(self, detector="whole-image", score_threshold=None, min_face=0)

    def recognizer(self, threads: int | None = 1) -> EmotionRecognizer:
        """The recognizer these settings describe (checked now, loaded on first use)."""
        from emolens.pipeline.recognizer import EmotionRecognizer

        s = self.effective()
        return EmotionRecognizer(
            model=s.model, detector=s.detector, score_threshold=s.score_threshold, min_face=s.min_face,
            max_side=s.max_side, min_side=s.min_side, margin=s.margin, threads=threads,
        )  # fmt: skip

    def fingerprint(self) -> dict[str, Any]:
        """The settings as stored with the results: the model is known by its file's SHA-256 (not its path)."""
        settings = asdict(self.effective())
        digest = hashlib.sha256(resolve_model_path(settings.pop("model")).read_bytes()).hexdigest()
        return {**settings, "model_sha256": digest, "layout": LAYOUT_VERSION}

    def classes(self) -> tuple[str, ...]:
        """The model's class names. Builds the recognizer and opens the model, so that a bad detector name or
        model file fails here, before any work starts."""
        return self.recognizer().classes
