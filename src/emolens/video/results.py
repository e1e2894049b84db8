"""Results of one video frame: ``TrackedFace`` (a face with its track ID and smoothed probabilities) and
``FrameResult`` (the faces of a frame at a time), which draw and serialise themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emolens.pipeline.drawing import FaceDrawing, draw_banner, draw_faces
from emolens.pipeline.results import Face


@dataclass(kw_only=True)
class TrackedFace(Face):
    """A :class:`Face` followed over time: ``probs`` are this frame's calibrated probabilities, ``smoothed``
    the track's temporally smoothed ones; ``detected`` is False when the box is a tracker prediction
    (frames between detections)."""

    track: int
    smoothed: np.ndarray
    detected: bool = True

    @property
    def smoothed_emotion(self) -> str:
        """The most probable class after smoothing (the label shown in videos)."""
        return self.classes[int(np.argmax(self.smoothed))]

    @property
    def smoothed_confidence(self) -> float:
        return float(np.max(self.smoothed))

    def to_dict(self, top_k: int = 3) -> dict[str, Any]:
        return {
            "track": self.track,
            **super().to_dict(top_k),
            "detected": self.detected,
            "smoothed_emotion": self.smoothed_emotion,
            "smoothed_confidence": round(self.smoothed_confidence, 4),
            "smoothed": {c: round(float(p), 4) for c, p in zip(self.classes, self.smoothed, strict=True)},
        }


@dataclass
class FrameResult:
    """The tracked faces of one video frame (``index`` in the video, ``time`` in seconds)."""

    index: int
    time: float
    faces: list[TrackedFace]
    width: int
    height: int
    image: np.ndarray | None = field(default=None, repr=False)

    def plot(self, probs: bool = True, banner: str | None = None, min_bars_face: int = 56) -> np.ndarray:
        """The frame with every face drawn: box, ``#track emotion confidence`` (smoothed) and probability
        bars for faces at least ``min_bars_face`` pixels large, laid out so that none covers a face; ``banner``
        is written top-left. A new array."""
        if self.image is None:
            raise ValueError(f"frame {self.index}: image not kept (analyse with keep_images=True)")
        canvas = self.image.copy()
        drawings = [
            FaceDrawing(
                face.box,
                f"#{face.track} {face.smoothed_emotion} {100 * face.smoothed_confidence:.0f}%",
                face.smoothed,
                face.classes,
            )
            for face in self.faces
        ]
        draw_faces(canvas, drawings, probs, min_bars_face)
        if banner:
            draw_banner(canvas, banner)
        return canvas

    def to_dict(self, top_k: int = 3) -> dict[str, Any]:
        return {
            "frame": self.index,
            "time": round(self.time, 3),
            "faces": [f.to_dict(top_k) for f in self.faces],
        }

    def to_json(self, top_k: int = 3) -> str:
        return json.dumps(self.to_dict(top_k))
