"""Draw faces on images: a box in the emotion's colour, a label, and a panel of one bar per class
probability, where :mod:`emolens.pipeline.layout` placed them (all faces of a picture together, so that
no label or panel covers a face).

Sizes scale with the face and the image, and only OpenCV's built-in Hershey font is used (nothing
to download). Shared by photos, videos and the web service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from emolens.pipeline.layout import FONT, LABEL_PAD, LabelStyle, PanelStyle, Placement, Rect, layout_faces

#: BGR colour of each FER / FER+ class; other class names get colours from ``_FALLBACK``.
EMOTION_COLOURS: dict[str, tuple[int, int, int]] = {
    "angry": (48, 48, 220),
    "disgust": (60, 150, 60),
    "fear": (170, 70, 170),
    "happy": (0, 200, 255),
    "neutral": (170, 170, 170),
    "sad": (200, 120, 40),
    "surprise": (0, 140, 255),
    "contempt": (160, 160, 0),
}
_FALLBACK = [(90, 180, 240), (240, 170, 90), (120, 220, 120), (200, 90, 200), (90, 90, 240)]


def colour_of(name: str) -> tuple[int, int, int]:
    """The drawing colour of a class name."""
    return EMOTION_COLOURS.get(name, _FALLBACK[sum(map(ord, name)) % len(_FALLBACK)])


def _text(
    image: np.ndarray, text: str, origin: tuple[int, int], scale: float, colour: tuple[int, int, int], thickness: int
) -> None:
    cv2.putText(image, text, origin, FONT, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(image, text, origin, FONT, scale, colour, thickness, cv2.LINE_AA)


@dataclass(frozen=True)
class FaceDrawing:
    """What to draw for one face: its box (x1, y1, x2, y2), label text and class probabilities (the top
    class colours the box and label; all of them fill the panel)."""

    box: Sequence[float]
    label: str
    probs: np.ndarray
    classes: Sequence[str]

    @property
    def colour(self) -> tuple[int, int, int]:
        """The colour of the most probable class."""
        return colour_of(self.classes[int(np.argmax(self.probs))])


def draw_faces(
    image: np.ndarray, faces: Sequence[FaceDrawing], panels: bool = True, min_panel_face: int = 56
) -> list[Placement]:
    """Draw all faces of one picture in place: boxes, labels, and a probability panel for faces at least
    ``min_panel_face`` pixels large (when ``panels``), laid out together by :func:`layout_faces` so that
    no label or panel covers a face. Returns the layout (what was drawn where)."""
    h, w = image.shape[:2]
    wanted = [
        face.classes if panels and max(face.box[2] - face.box[0], face.box[3] - face.box[1]) >= min_panel_face else ()
        for face in faces
    ]
    layout = layout_faces([face.box for face in faces], [face.label for face in faces], (w, h), wanted)
    for face, place in zip(faces, layout, strict=True):
        x1, y1, x2, y2 = place.box
        cv2.rectangle(image, (x1, y1), (x2, y2), face.colour, place.thickness, cv2.LINE_AA)
    for face, place in zip(faces, layout, strict=True):
        if place.label is not None and place.label_style is not None:
            _draw_label(image, place.label, place.label_style, face.label, face.colour)
        if place.panel is not None and place.panel_style is not None:
            _draw_panel(image, place.panel, place.panel_style, face.probs, face.classes)
    return layout


def _draw_label(image: np.ndarray, rect: Rect, style: LabelStyle, text: str, colour: tuple[int, int, int]) -> None:
    """Black ``text`` on a ``colour`` tab filling ``rect``."""
    x1, y1, x2, y2 = rect
    cv2.rectangle(image, (x1, y1), (x2 - 1, y2 - 1), colour, -1)
    origin = (x1 + LABEL_PAD, y1 + LABEL_PAD + style.text_height)
    cv2.putText(image, text, origin, FONT, style.scale, (0, 0, 0), style.thickness, cv2.LINE_AA)


def _draw_panel(image: np.ndarray, rect: Rect, style: PanelStyle, probs: np.ndarray, classes: Sequence[str]) -> None:
    """One row per class in ``rect`` on a darkened backdrop: name, a bar as long as the probability, percentage."""
    left, top, right, bottom = rect
    region = image[top:bottom, left:right]
    image[top:bottom, left:right] = cv2.addWeighted(region, 0.35, np.zeros_like(region), 0.65, 0)
    row = style.row
    for k, (name, p) in enumerate(zip(classes, probs, strict=True)):
        base = top + 3 + k * row
        text_y = base + style.text_height + 2
        cv2.putText(image, name, (left + 4, text_y), FONT, style.scale, (255, 255, 255), 1, cv2.LINE_AA)
        bx, bar_end = left + 4 + style.name_width, left + 4 + style.name_width + style.bar_width
        cv2.rectangle(image, (bx, base + 2), (bar_end, base + row - 3), (90, 90, 90), -1)
        cv2.rectangle(
            image, (bx, base + 2), (bx + round(style.bar_width * float(p)), base + row - 3), colour_of(name), -1
        )
        value = f"{100 * float(p):.0f}%"
        cv2.putText(image, value, (bar_end + 5, text_y), FONT, style.scale, (255, 255, 255), 1, cv2.LINE_AA)


def draw_banner(image: np.ndarray, text: str) -> None:
    """A line of text in the top-left corner (FPS, status) in place."""
    scale = float(np.clip(image.shape[1] / 1200, 0.45, 1.0))
    _text(image, text, (8, round(26 * scale) + 6), scale, (255, 255, 255), max(1, round(scale * 2)))
