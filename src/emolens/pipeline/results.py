"""Results of analysing a picture: ``Face`` and ``ImageResult``, which draw, save and serialise themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emolens.errors import ConfigError, ImageReadError
from emolens.pipeline.crops import square_box
from emolens.pipeline.drawing import FaceDrawing, draw_faces
from emolens.pipeline.explain import overlay

#: How many top emotions a result may list: ``Face.top(k)``, ``to_dict(top_k)``, ``emolens analyze
#: --top-k`` and the REST API's ``?top_k=`` all accept this range.
TOP_K_MIN, TOP_K_MAX = 1, 20


def check_top_k(k: int) -> int:
    """``k`` when it is in :data:`TOP_K_MIN`..:data:`TOP_K_MAX`, else :class:`ConfigError`."""
    if not TOP_K_MIN <= k <= TOP_K_MAX:
        raise ConfigError(f"top_k must be between {TOP_K_MIN} and {TOP_K_MAX}, got {k}")
    return k


@dataclass
class Face:
    """One detected face: box (x1, y1, x2, y2) in image pixels, detector score, class probabilities."""

    box: tuple[float, float, float, float]
    score: float
    probs: np.ndarray
    classes: tuple[str, ...]
    heatmap: np.ndarray | None = field(default=None, repr=False)
    #: The square of the image (x1, y1, x2, y2) that was cropped and classified, which ``heatmap`` covers.
    heatmap_box: tuple[int, int, int, int] | None = field(default=None, repr=False)

    @property
    def emotion(self) -> str:
        """The most probable class."""
        return self.classes[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        """The probability of :attr:`emotion`."""
        return float(np.max(self.probs))

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most probable classes with their probabilities (see :data:`TOP_K_MAX`)."""
        order = np.argsort(-self.probs, kind="stable")[: check_top_k(k)]
        return [(self.classes[i], float(self.probs[i])) for i in order]

    def to_dict(self, top_k: int = 3) -> dict[str, Any]:
        return {
            "box": [round(float(v), 1) for v in self.box],
            "score": round(float(self.score), 4),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "probs": {c: round(float(p), 4) for c, p in zip(self.classes, self.probs, strict=True)},
            "top": [{"emotion": c, "prob": round(p, 4)} for c, p in self.top(top_k)],
        }


@dataclass
class ImageResult:
    """All faces of one picture. ``error`` is set (and ``faces`` empty) when the input could not be read."""

    source: str
    faces: list[Face]
    width: int = 0
    height: int = 0
    image: np.ndarray | None = field(default=None, repr=False)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def emotions(self) -> list[str]:
        return [f.emotion for f in self.faces]

    def plot(self, probs: bool = True, explain: bool = True, min_bars_face: int = 56) -> np.ndarray:
        """The picture with every face drawn (and heat maps blended in when computed); a new array.

        Probability bars are drawn for faces at least ``min_bars_face`` pixels large (smaller faces get
        their label only, so crowds stay readable). Labels and bar panels are laid out so that none covers
        a face: a panel without room beside its face is shrunk, or left out (the label remains)."""
        if self.image is None:
            raise ImageReadError(f"{self.source}: no image to draw ({self.error or 'image not kept'})")
        canvas = self.image.copy()
        for face in self.faces:
            if explain and face.heatmap is not None:
                overlay(canvas, face.heatmap, face.heatmap_box or square_box(face.box))
        drawings = [
            FaceDrawing(face.box, f"{i + 1}: {face.emotion} {100 * face.confidence:.0f}%", face.probs, face.classes)
            for i, face in enumerate(self.faces)
        ]
        draw_faces(canvas, drawings, probs, min_bars_face)
        return canvas

    def save(self, path: str | Path, **plot_kwargs: Any) -> Path:
        """Write the annotated picture (format from the suffix), or the JSON when the suffix is ``.json``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            path.write_text(self.to_json(indent=2) + "\n")
            return path
        ok, encoded = cv2.imencode(path.suffix or ".jpg", self.plot(**plot_kwargs))
        if not ok:
            raise ImageReadError(f"{path}: cannot encode an image with suffix {path.suffix!r}")
        path.write_bytes(encoded.tobytes())
        return path

    def to_dict(self, top_k: int = 3) -> dict[str, Any]:
        check_top_k(top_k)
        out: dict[str, Any] = {"source": self.source, "width": self.width, "height": self.height}
        if self.error is not None:
            out["error"] = self.error
        out["faces"] = [f.to_dict(top_k) for f in self.faces]
        out["timings_ms"] = {k: round(v, 2) for k, v in self.timings.items()}
        return out

    def to_json(self, top_k: int = 3, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(top_k), indent=indent)
