"""Measure how well the face tracker keeps identities, on synthetic street scenes with known people.

A scene has 6-10 faces of 40-120 px that walk at different speeds (some stand), cross each other's
paths, enter and leave the picture, grow or shrink as they come closer or go away, turn away for a
moment, pass behind a pole or behind a nearer face; its detector misses faces (small ones more often),
jitters the boxes and now and then finds a face where there is none. :func:`track_scene` runs
:class:`~emolens.video.tracking.FaceTracker` over it the way the video loop does (detections on every
k-th frame, predictions in between), and :func:`score_identities` compares what was reported with the
truth: ID switches, fragmented identities, merged ones, short tracks, false tracks and coverage.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import lap
import numpy as np

from emolens.detection.base import iou
from emolens.video.summary import is_short_track
from emolens.video.tracking import FaceTracker

#: A reported box matches a true face when they overlap by at least this IoU.
MATCH_IOU = 0.3


@dataclass
class Scene:
    """A clip with known identities: the true face boxes per frame (frames, people, 4) x1y1x2y2, whether
    each face can be seen (in the picture, not turned away or hidden), and per frame what the detector
    found: boxes (N, 4) and scores (N,)."""

    size: tuple[int, int]
    fps: float
    boxes: np.ndarray
    visible: np.ndarray
    detections: list[tuple[np.ndarray, np.ndarray]]


def _paths(rng: np.random.Generator, count: int, size: tuple[int, int], times: np.ndarray) -> np.ndarray:
    """True boxes (frames, count, 4) of ``count`` people walking across a street seen from the side."""
    width, height = size
    boxes = np.zeros((len(times), count, 4), np.float32)
    for p in range(count):
        face = rng.uniform(40, 120)
        side = face * np.exp(rng.uniform(-0.1, 0.1) * (times - times.mean()))  # coming closer or going away
        standing = rng.random() < 0.3
        speed = face * rng.uniform(0, 0.5) if standing else face * rng.uniform(1, 5)
        speed *= rng.choice([-1, 1])
        if not standing and rng.random() < 0.3:  # walks in from the edge at some time
            edge = -face if speed > 0 else width + face
            x0 = edge - speed * rng.uniform(0, 0.6 * times[-1])
        else:
            x0 = rng.uniform(0.05, 0.95) * width
        cx = x0 + speed * times
        gait = 0.04 * side * np.sin(2 * np.pi * rng.uniform(1.5, 2.2) * times + rng.uniform(0, 2 * np.pi))
        cy = rng.uniform(0.35, 0.65) * height + face * rng.uniform(-0.3, 0.3) * (times - times.mean()) + gait
        boxes[:, p] = np.stack([cx - 0.4 * side, cy - side / 2, cx + 0.4 * side, cy + side / 2], axis=1)
    return boxes


def _visibility(rng: np.random.Generator, boxes: np.ndarray, size: tuple[int, int], fps: float) -> np.ndarray:
    """Whether each face can be seen: mostly in the picture, not turned away, not behind a pole or a
    nearer (larger) face."""
    frames, count = boxes.shape[:2]
    width, height = size
    areas = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    inside = (np.clip(boxes[..., 2], 0, width) - np.clip(boxes[..., 0], 0, width)) * (
        np.clip(boxes[..., 3], 0, height) - np.clip(boxes[..., 1], 0, height)
    )
    visible = inside >= 0.7 * areas
    for p in range(count):
        if rng.random() < 0.3:  # turns away for a moment
            start, length = rng.integers(0, frames), round(rng.uniform(0.2, 1.0) * fps)
            visible[start : start + length, p] = False
    for _ in range(rng.integers(1, 3)):  # poles
        x, w = rng.uniform(0.2, 0.8) * width, rng.uniform(40, 80)
        covered = np.clip(np.minimum(boxes[..., 2], x + w) - np.maximum(boxes[..., 0], x), 0, None)
        visible &= covered < 0.4 * (boxes[..., 2] - boxes[..., 0])
    nearer = np.argsort(-areas.mean(0))
    for i in range(frames):
        for rank, p in enumerate(nearer):
            for q in nearer[:rank]:
                x1, y1 = np.maximum(boxes[i, p, :2], boxes[i, q, :2])
                x2, y2 = np.minimum(boxes[i, p, 2:], boxes[i, q, 2:])
                if max(x2 - x1, 0) * max(y2 - y1, 0) >= 0.4 * areas[i, p]:
                    visible[i, p] = False
    return visible


def street_scene(seed: int, size: tuple[int, int] = (1920, 1080), seconds: float = 6.0, fps: float = 25.0) -> Scene:
    """A random street scene (the same for the same arguments), detections made for every frame.

    The detector misses a visible face with a probability from 5 % (120 px) to 30 % (40 px), moves the
    box centre by 5 % of its size and scales it by 5 % (standard deviations), and finds 0.03 false faces
    per frame on average, 40-80 px, anywhere."""
    rng = np.random.default_rng(seed)
    times = np.arange(round(seconds * fps)) / fps
    boxes = _paths(rng, int(rng.integers(6, 11)), size, times)
    visible = _visibility(rng, boxes, size, fps)
    boxes[..., 0::2] = np.clip(boxes[..., 0::2], 0, size[0])
    boxes[..., 1::2] = np.clip(boxes[..., 1::2], 0, size[1])
    detections = []
    for i in range(len(times)):
        found = []
        for box in boxes[i, visible[i]]:
            side = box[3] - box[1]
            if rng.random() < 0.05 + 0.25 * np.clip((120 - side) / 80, 0, 1):
                continue
            centre = (box[:2] + box[2:]) / 2 + rng.normal(0, 0.05 * side, 2)
            half = (box[2:] - box[:2]) / 2 * np.exp(rng.normal(0, 0.05))
            found.append(np.concatenate([centre - half, centre + half]))
        for _ in range(rng.poisson(0.03)):
            side = rng.uniform(40, 80)
            x, y = rng.uniform(0, size[0] - side), rng.uniform(0, size[1] - side)
            found.append(np.array([x, y, x + side, y + side]))
        scores = rng.uniform(0.6, 0.95, len(found)).astype(np.float32)
        detections.append((np.array(found, np.float32).reshape(-1, 4), scores))
    return Scene(size, fps, boxes, visible, detections)


def track_scene(scene: Scene, detect_every: int, tracker: FaceTracker | None = None) -> tuple[np.ndarray, ...]:
    """Run ``tracker`` (default settings when None) over ``scene`` as the video loop does, detecting on
    every ``detect_every``-th frame. Returns the reported faces as timeline columns: frame (N,), track (N,),
    box (N, 4)."""
    tracker = tracker or FaceTracker()
    frames, tracks, boxes = [], [], []
    for i, (found, scores) in enumerate(scene.detections):
        time = i / scene.fps
        reported = tracker.update(found, scores, time, scene.size) if i % detect_every == 0 else tracker.predict(time)
        for track in reported:
            frames.append(i)
            tracks.append(track.id)
            boxes.append(track.box)
    return np.array(frames, int), np.array(tracks, int), np.array(boxes, np.float32).reshape(-1, 4)


@dataclass
class IdentityScore:
    """How well reported tracks follow true identities (sums over one or more clips).

    ``identities``: people visible in at least one frame; ``tracks``: track IDs reported; ``short``:
    tracks the summaries leave out (:func:`~emolens.video.summary.is_short_track`); ``switches``:
    times a person's matched track ID changed from one matched frame to the next; ``fragments``: tracks
    per person beyond the first (a person followed by 3 IDs adds 2); ``merges``: people per track beyond
    the first (a track that lost its face and took somebody else's adds 1); ``false_tracks``: tracks never
    matched to a person; ``covered``/``visible``: face-frames matched to a track / face-frames visible.
    """

    identities: int = 0
    tracks: int = 0
    short: int = 0
    switches: int = 0
    fragments: int = 0
    merges: int = 0
    false_tracks: int = 0
    covered: int = 0
    visible: int = 0

    def __add__(self, other: IdentityScore) -> IdentityScore:
        return IdentityScore(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def coverage(self) -> float:
        return self.covered / max(self.visible, 1)


def score_identities(
    truth: np.ndarray, visible: np.ndarray, fps: float, frames: np.ndarray, tracks: np.ndarray, boxes: np.ndarray
) -> IdentityScore:
    """Compare reported faces (timeline columns ``frames``, ``tracks``, ``boxes``) with the true boxes
    (frames, people, 4) of the faces that can be seen (``visible``). In each frame, true and reported
    boxes are paired to maximise the total IoU (pairs under ``MATCH_IOU`` do not count)."""
    matched: dict[int, list[int]] = {p: [] for p in range(truth.shape[1])}
    for i in range(len(truth)):
        people = np.flatnonzero(visible[i])
        rows = np.flatnonzero(frames == i)
        if not len(people) or not len(rows):
            continue
        cost = np.stack([1 - iou(truth[i, p], boxes[rows]) for p in people]).astype(np.float64)
        _, pairs, _ = lap.lapjv(cost, extend_cost=True, cost_limit=1 - MATCH_IOU + 1e-9)
        for p, r in zip(people, pairs, strict=True):
            if r >= 0:
                matched[int(p)].append(int(tracks[rows[r]]))
    ids = np.unique(tracks)
    people_of = {t: sum(t in seq for seq in matched.values()) for t in ids}
    first = {t: frames[tracks == t].min() for t in ids}
    last = {t: frames[tracks == t].max() for t in ids}
    return IdentityScore(
        identities=int(visible.any(0).sum()),
        tracks=len(ids),
        short=int(sum(is_short_track((last[t] - first[t]) / fps, int((tracks == t).sum()), len(truth)) for t in ids)),
        switches=sum(int(np.count_nonzero(np.diff(seq))) for seq in matched.values()),
        fragments=sum(max(len(set(seq)) - 1, 0) for seq in matched.values()),
        merges=sum(max(n - 1, 0) for n in people_of.values()),
        false_tracks=sum(n == 0 for n in people_of.values()),
        covered=sum(len(seq) for seq in matched.values()),
        visible=int(visible.sum()),
    )
