"""Cut the classifier's input from detected faces: a square around the box, grey, at the model's size.

Measured on FER2013 (PublicTest faces upscaled and re-framed, then detected): YuNet and RetinaFace
boxes are centred in FER2013's frame and as high as it, so the FER-like crop is a square of side
``max(w, h) * (1 + margin)`` about the box centre with ``margin = 0``. Parts of the square outside
the image repeat the border.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

#: Default extra margin around the detector's box (share of its longer side).
DEFAULT_MARGIN = 0.0


def square_box(box: Sequence[float], margin: float = DEFAULT_MARGIN) -> tuple[int, int, int, int]:
    """The integer square (x1, y1, x2, y2) around ``box`` with ``margin``; may extend past the image."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * (1 + margin)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left, top = round(cx - side / 2), round(cy - side / 2)
    s = max(1, round(side))
    return left, top, left + s, top + s


def crop_square(grey: np.ndarray, square: tuple[int, int, int, int], size: int) -> np.ndarray:
    """Cut ``square`` out of a grey image (repeating borders where it leaves the image), resized."""
    h, w = grey.shape[:2]
    x1, y1, x2, y2 = square
    inner = grey[max(y1, 0) : min(y2, h), max(x1, 0) : min(x2, w)]
    if inner.size == 0:
        return np.full((size, size), int(grey.mean()) if grey.size else 0, np.uint8)
    pads = (max(0, -y1), max(0, y2 - h), max(0, -x1), max(0, x2 - w))
    if any(pads):
        inner = cv2.copyMakeBorder(inner, *pads, cv2.BORDER_REPLICATE)
    side = inner.shape[0]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(inner, (size, size), interpolation=interpolation)


def crop_faces(image: np.ndarray, boxes: np.ndarray, size: int, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """(N, size, size) grey crops for (N, 4) boxes of a BGR or grey image."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    if not len(boxes):
        return np.empty((0, size, size), np.uint8)
    return np.stack([crop_square(grey, square_box(b, margin), size) for b in boxes])
