"""Draw faces on images: a box in the emotion's colour, a label, and a bar per class probability.

Sizes scale with the face and the image, and only OpenCV's built-in Hershey font is used (nothing
to download). Shared by photos, videos, the web service and reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

#: BGR colour of each FER class; other class names get colours from ``_FALLBACK``.
EMOTION_COLOURS: dict[str, tuple[int, int, int]] = {
    "angry": (48, 48, 220),
    "disgust": (60, 150, 60),
    "fear": (170, 70, 170),
    "happy": (0, 200, 255),
    "neutral": (170, 170, 170),
    "sad": (200, 120, 40),
    "surprise": (0, 140, 255),
}
_FALLBACK = [(90, 180, 240), (240, 170, 90), (120, 220, 120), (200, 90, 200), (90, 90, 240)]
FONT = cv2.FONT_HERSHEY_SIMPLEX


def colour_of(name: str) -> tuple[int, int, int]:
    """The drawing colour of a class name."""
    return EMOTION_COLOURS.get(name, _FALLBACK[sum(map(ord, name)) % len(_FALLBACK)])


def _text(
    image: np.ndarray, text: str, origin: tuple[int, int], scale: float, colour: tuple[int, int, int], thickness: int
) -> None:
    cv2.putText(image, text, origin, FONT, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(image, text, origin, FONT, scale, colour, thickness, cv2.LINE_AA)


def draw_face(
    image: np.ndarray,
    box: Sequence[float],
    label: str,
    probs: np.ndarray | None = None,
    classes: Sequence[str] = (),
    colour: tuple[int, int, int] | None = None,
) -> None:
    """Draw one face in place: box, ``label`` above it, and probability bars beside it."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (round(v) for v in box)
    face = max(x2 - x1, y2 - y1, 1)
    colour = colour or (
        colour_of(classes[int(np.argmax(probs))]) if probs is not None and len(classes) else (0, 255, 0)
    )
    thickness = max(1, round(max(h, w) / 400), round(face / 80))
    cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness, cv2.LINE_AA)
    scale = float(np.clip(face / 160, 0.35, 1.2))
    text_thickness = max(1, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(label, FONT, scale, text_thickness)
    ty = y1 - 4 if y1 - th - base - 4 > 0 else min(y2 + th + 4, h - base)
    cv2.rectangle(image, (x1, ty - th - 3), (x1 + tw + 4, ty + base - 1), colour, -1)
    cv2.putText(image, label, (x1 + 2, ty), FONT, scale, (0, 0, 0), text_thickness, cv2.LINE_AA)
    if probs is None or not len(classes):
        return
    draw_bars(image, (x1, y1, x2, y2), probs, classes)


def draw_bars(image: np.ndarray, box: tuple[int, int, int, int], probs: np.ndarray, classes: Sequence[str]) -> None:
    """A panel of one bar per class beside the box (right if it fits, else left), on a dark backdrop."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    face = max(x2 - x1, y2 - y1, 1)
    scale = float(np.clip(face / 280, 0.38, 0.6))
    (_, text_h), _ = cv2.getTextSize("Ag", FONT, scale, 1)
    row = text_h + 7
    name_width = max(cv2.getTextSize(c, FONT, scale, 1)[0][0] for c in classes) + 8
    value_width = cv2.getTextSize("100%", FONT, scale, 1)[0][0] + 8
    bar_width = max(40, round(face * 0.5))
    panel_w, panel_h = name_width + bar_width + value_width + 8, row * len(classes) + 6
    left = x2 + 6 if x2 + 6 + panel_w <= w else max(0, x1 - 6 - panel_w)
    top = max(0, min(y1, h - panel_h))
    right, bottom = min(w, left + panel_w), min(h, top + panel_h)
    region = image[top:bottom, left:right]
    image[top:bottom, left:right] = cv2.addWeighted(region, 0.35, np.zeros_like(region), 0.65, 0)
    for k, (name, p) in enumerate(zip(classes, probs, strict=True)):
        base = top + 3 + k * row
        text_y = base + text_h + 2
        cv2.putText(image, name, (left + 4, text_y), FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)
        bx = left + 4 + name_width
        cv2.rectangle(image, (bx, base + 2), (bx + bar_width, base + row - 3), (90, 90, 90), -1)
        cv2.rectangle(image, (bx, base + 2), (bx + round(bar_width * float(p)), base + row - 3), colour_of(name), -1)
        cv2.putText(
            image, f"{100 * float(p):.0f}%", (bx + bar_width + 5, text_y), FONT, scale, (255, 255, 255), 1, cv2.LINE_AA
        )


def draw_banner(image: np.ndarray, text: str) -> None:
    """A line of text in the top-left corner (FPS, status) in place."""
    scale = float(np.clip(image.shape[1] / 1200, 0.45, 1.0))
    _text(image, text, (8, round(26 * scale) + 6), scale, (255, 255, 255), max(1, round(scale * 2)))
