"""Lay out the annotations of all faces of one picture together: where each face's label and probability
panel go, so that none covers a face box or another annotation and all stay inside the picture.

A pure function of the boxes, the label texts, the picture's size and the panels' classes
(:func:`layout_faces`); text sizes come from OpenCV's built-in Hershey font. Labels are placed first
(every face should keep its name and percentage), then panels, largest faces first. Each goes beside its
face: at full size where there is room, else shrunk step by step down to a minimum readable size, else
left out (a face without room for a panel keeps its compact label; a face without room for even the
smallest label keeps its box only).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import cv2
import numpy as np

#: A rectangle of pixels ``x1 <= x < x2``, ``y1 <= y < y2``.
Rect = tuple[int, int, int, int]

FONT = cv2.FONT_HERSHEY_SIMPLEX
#: Free pixels kept around every label and panel.
MARGIN = 2
#: Pixels between a face box and its panel.
PANEL_GAP = 5
#: Padding between a label's edge and its text.
LABEL_PAD = 3
#: The smallest text scale still readable; labels and panels are not shrunk below it.
MIN_SCALE = 0.35
#: The shortest bar of a shrunk panel (pixels).
MIN_BAR = 24.0
#: Each shrinking step multiplies the sizes by this.
SHRINK = 0.8


@dataclass(frozen=True)
class LabelStyle:
    """The size of one label's text: ``scale`` and ``thickness`` of the font, and the text's extent."""

    scale: float
    thickness: int
    text_width: int
    text_height: int
    baseline: int

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of the label's rectangle."""
        return self.text_width + 2 * LABEL_PAD, self.text_height + self.baseline + 2 * LABEL_PAD


@dataclass(frozen=True)
class PanelStyle:
    """The geometry of a probability panel: one row per class (name, bar, percentage)."""

    scale: float
    rows: int
    text_height: int
    name_width: int
    bar_width: int
    value_width: int

    @property
    def row(self) -> int:
        """Height of one row."""
        return self.text_height + 7

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of the panel's rectangle."""
        return self.name_width + self.bar_width + self.value_width + 8, self.row * self.rows + 6


@dataclass(frozen=True)
class Placement:
    """Where one face's annotations go: its ``box`` corners (rounded, as drawn) with the outline's
    ``thickness``; its label and panel rectangles with their styles, or None where there was no room
    (or, for the panel, none was asked for)."""

    box: Rect
    thickness: int
    label: Rect | None = None
    label_style: LabelStyle | None = None
    panel: Rect | None = None
    panel_style: PanelStyle | None = None

    @property
    def outline(self) -> Rect:
        """The pixels the drawn box may touch (its outline is centred on the corners' lines)."""
        pad = self.thickness // 2 + 1
        x1, y1, x2, y2 = self.box
        return x1 - pad, y1 - pad, x2 + pad + 1, y2 + pad + 1

    @property
    def annotations(self) -> list[Rect]:
        """The label and panel rectangles that were placed."""
        return [r for r in (self.label, self.panel) if r is not None]


@dataclass(frozen=True)
class _Kind:
    """How one kind of annotation sits beside its face: the ``sides`` tried, in order of preference; the
    ``gap`` from the face's outline; and how much of the shorter of the two (annotation, face side) the
    annotation must run alongside (``hold``: 1 keeps it flush with the face, 0.5 lets it slide halfway off)."""

    sides: tuple[str, ...]
    gap: int
    hold: float


_Style = TypeVar("_Style", LabelStyle, PanelStyle)

_LABEL = _Kind(("above", "below", "right", "left"), MARGIN, 1.0)
_PANEL = _Kind(("right", "left", "below", "above"), PANEL_GAP, 0.5)


def overlaps(a: Rect, b: Rect) -> bool:
    """Whether two rectangles share a pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_style(text: str, scale: float) -> LabelStyle:
    """The style of ``text`` written at ``scale``."""
    thickness = max(1, round(scale * 1.6))
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, thickness)
    return LabelStyle(scale, thickness, width, height, baseline)


def panel_style(classes: Sequence[str], scale: float, bar_width: int) -> PanelStyle:
    """The geometry of a panel of ``classes`` at text ``scale`` with bars ``bar_width`` long."""
    (_, text_height), _ = cv2.getTextSize("Ag", FONT, scale, 1)
    name_width = max(cv2.getTextSize(c, FONT, scale, 1)[0][0] for c in classes) + 8
    value_width = cv2.getTextSize("100%", FONT, scale, 1)[0][0] + 8
    return PanelStyle(scale, len(classes), text_height, name_width, bar_width, value_width)


def layout_faces(
    boxes: Sequence[Sequence[float]],
    labels: Sequence[str],
    image_size: tuple[int, int],
    panels: Sequence[Sequence[str]],
) -> list[Placement]:
    """Place the label and the probability panel of every face of a ``(width, height)`` picture.

    ``boxes[i]`` is face i's (x1, y1, x2, y2), ``labels[i]`` its label text and ``panels[i]`` the classes
    of its panel (empty for no panel). No returned label or panel overlaps any face's outline (its own
    included) or another label or panel, with :data:`MARGIN` pixels to spare, and all lie inside the
    picture."""
    width, height = image_size
    corners: list[Rect] = [(round(x1), round(y1), round(x2), round(y2)) for x1, y1, x2, y2 in boxes]
    thickness = [max(1, round(max(width, height) / 400), round(_face_size(box) / 80)) for box in corners]
    placed = [Placement(box, t) for box, t in zip(corners, thickness, strict=True)]
    taken = _Obstacles([p.outline for p in placed])
    for i, text in enumerate(labels):
        full = float(np.clip(_face_size(placed[i].box) / 160, MIN_SCALE, 1.2))
        styles = [label_style(text, scale) for (scale,) in _shrinking((full,), (MIN_SCALE,))]
        # On each side, shrunk before trying the next: labels stay above their faces where they can.
        found = taken.place(
            placed[i].outline, [(side, st) for side in _LABEL.sides for st in styles], _LABEL, image_size
        )
        if found is not None:
            placed[i] = replace(placed[i], label=found[0], label_style=found[1])
    for i in sorted((i for i in range(len(placed)) if len(panels[i])), key=lambda i: -_face_size(placed[i].box)):
        face = _face_size(placed[i].box)
        full_size = (float(np.clip(face / 280, 0.38, 0.6)), max(40.0, face * 0.5))
        styles = [
            panel_style(panels[i], scale, round(bar)) for scale, bar in _shrinking(full_size, (MIN_SCALE, MIN_BAR))
        ]
        # At full size on any side before shrinking.
        found = taken.place(
            placed[i].outline, [(side, st) for st in styles for side in _PANEL.sides], _PANEL, image_size
        )
        if found is not None:
            placed[i] = replace(placed[i], panel=found[0], panel_style=found[1])
    return placed


def _face_size(box: Sequence[int]) -> int:
    return max(box[2] - box[0], box[3] - box[1], 1)


def _shrinking(full: tuple[float, ...], floor: tuple[float, ...]) -> Iterator[tuple[float, ...]]:
    """Sizes from ``full`` down to ``floor``: each step multiplies them by :data:`SHRINK`, none below its floor."""
    step = 0
    while True:
        sizes = tuple(max(f, s * SHRINK**step) for s, f in zip(full, floor, strict=True))
        yield sizes
        if sizes == floor:
            return
        step += 1


class _Obstacles:
    """The rectangles already taken (face outlines, placed labels and panels), and where a new one fits."""

    def __init__(self, rects: Sequence[Rect]) -> None:
        self.rects = np.array(rects, dtype=np.int64).reshape(-1, 4)

    def place(
        self, box: Rect, options: Sequence[tuple[str, _Style]], kind: _Kind, image_size: tuple[int, int]
    ) -> tuple[Rect, _Style] | None:
        """The first of ``options`` (side of ``box``, style of the annotation) with room for the annotation
        beside the box as ``kind`` says, inside the picture, at the spot nearest the box's top or left edge;
        None when nothing fits. The rectangle found is taken."""
        for side, style in options:
            w, h = style.size
            reach = np.array(
                [box[0] - w - kind.gap, box[1] - h - kind.gap, box[2] + w + kind.gap, box[3] + h + kind.gap]
            )
            near = self.rects[_hits(self.rects, reach[None], MARGIN)[:, 0]]
            candidates = _candidates(box, (w, h), side, kind, image_size, near)
            free = ~_hits(candidates, near, MARGIN).any(axis=1)
            if free.any():
                x1, y1, x2, y2 = (int(v) for v in candidates[int(np.argmax(free))])
                self.rects = np.vstack([self.rects, (x1, y1, x2, y2)])
                return (x1, y1, x2, y2), style
        return None


def _hits(a: np.ndarray, b: np.ndarray, margin: int) -> np.ndarray:
    """(len(a), len(b)): whether each rectangle of ``a``, grown by ``margin``, overlaps each of ``b``."""
    a, b = a[:, None, :], b[None, :, :]
    return (
        (a[..., 0] - margin < b[..., 2])
        & (b[..., 0] < a[..., 2] + margin)
        & (a[..., 1] - margin < b[..., 3])
        & (b[..., 1] < a[..., 3] + margin)
    )


def _candidates(
    box: Rect, size: tuple[int, int], side: str, kind: _Kind, image_size: tuple[int, int], obstacles: np.ndarray
) -> np.ndarray:
    """(K, 4) rectangles of ``size`` on one ``side`` of ``box``, inside the picture, best first: the one
    aligned with the box's top (or left) edge, then ever farther slid along the side, stopping at
    obstacles' edges (where free spots begin) while still running alongside the box as ``kind`` holds."""
    horizontal = side in ("above", "below")  # slides along x
    along, across = (0, 1) if horizontal else (1, 0)
    length, depth = (size[0], size[1]) if horizontal else (size[1], size[0])
    limit, room = (image_size[0], image_size[1]) if horizontal else (image_size[1], image_size[0])
    start = box[across] - kind.gap - depth if side in ("above", "left") else box[across + 2] + kind.gap
    alongside = math.ceil(kind.hold * min(length, box[along + 2] - box[along]))
    lo = max(0, box[along] + alongside - length)
    hi = min(limit - length, box[along + 2] - alongside)
    if start < 0 or start + depth > room or lo > hi:
        return np.empty((0, 4), dtype=np.int64)
    preferred = min(max(box[along], lo), hi)
    spots = np.concatenate(
        [[preferred, lo, hi], obstacles[:, along + 2] + MARGIN, obstacles[:, along] - MARGIN - length]
    )
    spots = np.unique(spots[(spots >= lo) & (spots <= hi)])
    spots = spots[np.argsort(np.abs(spots - preferred), kind="stable")]
    out = np.empty((len(spots), 4), dtype=np.int64)
    out[:, along], out[:, along + 2] = spots, spots + length
    out[:, across], out[:, across + 2] = start, start + depth
    return out
