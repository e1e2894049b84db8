"""Follow faces from frame to frame with stable IDs: a SORT/ByteTrack-style tracker.

Each track has an OpenCV Kalman filter over the box centre and size with their velocities (in pixels
per second, so frames may be skipped or dropped). Detections are assigned to the tracks' predicted
boxes by IoU with the Jonker-Volgenant solver of ``lap``, first to the tracks found in the last
detection round, then to the lost ones (so a track lost behind someone cannot take that person's
detection); a track survives ``max_age`` seconds without a matching detection (occlusions, missed
detections) and keeps its ID when the face comes back near its predicted place. Detections left over
are then matched to the tracks left over by the distance from where each track's face was last seen or
from its predicted place, whichever is nearer, within the distance a face can move in the time since
(a small fast face overlaps its prediction too little; a face that turned while hidden comes back far
from its straight-line prediction); such a track restarts its filter on the new detection, with the
velocity it showed since it was last seen. Between detection frames (detection every k-th frame),
boxes are the Kalman predictions. A lost track whose predicted face has left the frame is dropped at
once. ``emolens.evaluation.tracking`` measures how well IDs are kept.

No ready-made tracker fits the dependencies: ``supervision``/``trackers`` pull ``opencv-python`` (it
clashes with the headless build), ``boxmot`` needs torch and ``norfair`` requires ``numpy<2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import lap
import numpy as np

from emolens.detection.base import iou
from emolens.errors import ConfigError

#: Run the face detector on every k-th frame and track in between (measured on 2 cores, 640x480, one
#: face: 30 FPS detecting every frame, 69 FPS every 3rd; IDs are kept through it).
DEFAULT_DETECT_EVERY = 3
#: Noise of the Kalman filter relative to the face height: measurement, position and velocity (per second).
_MEASURE_NOISE, _POSITION_NOISE, _VELOCITY_NOISE = 0.05, 0.05, 0.3
#: The second matching stage: a face may have moved half its height plus this many of its heights per
#: second since it was last detected (counting at most ``_MAX_REACH_TIME`` seconds), from where it was last
#: seen or from its predicted place, and its height may have changed by this factor.
_MAX_SPEED, _MAX_SCALE, _MAX_REACH_TIME = 4.0, 1.5, 1.0
#: Seconds a track survives without a matching detection.
DEFAULT_MAX_AGE = 2.0


def _to_state(box: np.ndarray) -> np.ndarray:
    """(x1, y1, x2, y2) -> column (cx, cy, w, h)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return np.array([[(x1 + x2) / 2], [(y1 + y2) / 2], [x2 - x1], [y2 - y1]], np.float32)


def _to_box(state: np.ndarray) -> np.ndarray:
    cx, cy, w, h = (float(v) for v in state[:4, 0])
    w, h = max(w, 1.0), max(h, 1.0)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


@dataclass(eq=False)
class Track:
    """One followed face. ``box`` is the detection when ``detected`` is True, else the Kalman prediction;
    ``misses`` counts detection rounds in a row without a match; ``score`` is the last detector score."""

    id: int
    box: np.ndarray
    score: float
    time: float
    last_detected: float
    hits: int = 1
    misses: int = 0
    detected: bool = True
    seen: np.ndarray = field(init=False, repr=False)
    kalman: cv2.KalmanFilter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.seen = self.box.copy()
        self._start_filter()

    def _start_filter(self, velocity: np.ndarray | None = None) -> None:
        """A filter at :attr:`box`, moving at ``velocity`` (column of 4, per second; None: at rest)."""
        kf = cv2.KalmanFilter(8, 4, 0, cv2.CV_32F)
        kf.measurementMatrix = np.eye(4, 8, dtype=np.float32)
        h = float(self.box[3] - self.box[1])
        kf.statePost = np.vstack([_to_state(self.box), np.zeros((4, 1), np.float32) if velocity is None else velocity])
        kf.errorCovPost = np.diag([(2 * _POSITION_NOISE * h) ** 2] * 4 + [(4 * _VELOCITY_NOISE * h) ** 2] * 4).astype(
            np.float32
        )
        self.kalman = kf

    def predict(self, time: float) -> np.ndarray:
        """Move the filter to ``time`` and return the predicted box."""
        dt = max(time - self.time, 0.0)
        if dt > 0:
            kf = self.kalman
            h = max(float(kf.statePost[3, 0]), 1.0)
            transition = np.eye(8, dtype=np.float32)
            transition[:4, 4:] = dt * np.eye(4, dtype=np.float32)
            kf.transitionMatrix = transition
            # noise grows with the elapsed time, in units of a 30 fps frame
            kf.processNoiseCov = np.diag([(_POSITION_NOISE * h) ** 2] * 4 + [(_VELOCITY_NOISE * h) ** 2] * 4).astype(
                np.float32
            ) * min(30 * dt, 30.0)
            kf.predict()
            kf.statePost = kf.statePre.copy()
            kf.errorCovPost = kf.errorCovPre.copy()
            self.time = time
        return _to_box(self.kalman.statePost)

    def correct(self, box: np.ndarray, score: float, time: float, *, restart: bool = False) -> None:
        """Feed a matched detection; ``restart`` starts the filter afresh on it instead (the face was
        found away from its predicted path), moving as it did since it was last seen."""
        velocity = (_to_state(box) - _to_state(self.seen)) / max(time - self.last_detected, 1e-3)
        self.box, self.score, self.last_detected = box.astype(np.float32), score, time
        self.seen = self.box.copy()
        if restart:
            self._start_filter(velocity)
        else:
            h = float(box[3] - box[1])
            self.kalman.measurementNoiseCov = np.eye(4, dtype=np.float32) * (_MEASURE_NOISE * h) ** 2
            self.kalman.correct(_to_state(box))
        self.hits, self.misses, self.detected = self.hits + 1, 0, True


def _reach(track: Track, predicted: np.ndarray, boxes: np.ndarray, time: float) -> np.ndarray:
    """The second stage's cost of matching ``track`` with each of ``boxes`` at ``time``: the distance from
    where its face was last seen or from its ``predicted`` box, whichever is nearer, as a share of how
    far a face can have moved since; out of reach (> 1) also when the heights differ by more than
    ``_MAX_SCALE``."""
    height = float(track.seen[3] - track.seen[1])
    reach = height * (0.5 + _MAX_SPEED * min(time - track.last_detected, _MAX_REACH_TIME))
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    distance = np.minimum(
        np.hypot(*(centres - (track.seen[:2] + track.seen[2:]) / 2).T),
        np.hypot(*(centres - (predicted[:2] + predicted[2:]) / 2).T),
    )
    heights = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6)
    similar = np.maximum(heights / height, height / heights) <= _MAX_SCALE
    return np.where(similar, distance / reach, 1e6)


def _out(track: Track, size: tuple[int, int] | None) -> bool:
    """Whether the centre of ``track``'s box is outside a frame of ``size`` (width, height; None: never)."""
    if size is None:
        return False
    cx, cy = (track.box[:2] + track.box[2:]) / 2
    return not (0 <= cx < size[0] and 0 <= cy < size[1])


class FaceTracker:
    """Assign IDs to faces over time.

    ``min_iou`` is the least overlap between a track's predicted box and a detection to match them;
    ``max_age`` is how many seconds a track is kept without a matching detection. Call :meth:`update`
    on frames with detections and :meth:`predict` on frames without; both return the tracks visible in
    the frame (matched at their last detection round), sorted by ID. :attr:`removed` lists the IDs the
    last call dropped.
    """

    def __init__(self, min_iou: float = 0.3, max_age: float = DEFAULT_MAX_AGE):
        self.min_iou = min_iou
        self.max_age = max_age
        if not 0.0 < min_iou <= 1.0:
            raise ConfigError(f"min_iou must be in (0, 1], got {min_iou}")
        if max_age < 0:
            raise ConfigError(f"max_age must be >= 0 seconds, got {max_age}")
        self.tracks: list[Track] = []
        self.removed: list[int] = []
        self._next_id = 1

    def _visible(self) -> list[Track]:
        return sorted((t for t in self.tracks if t.misses == 0), key=lambda t: t.id)

    def predict(self, time: float) -> list[Track]:
        """Advance every track to ``time`` without detections (between detection frames)."""
        self.removed = []
        for track in self.tracks:
            track.box, track.detected = track.predict(time), False
        return self._visible()

    def update(
        self, boxes: np.ndarray, scores: np.ndarray, time: float, size: tuple[int, int] | None = None
    ) -> list[Track]:
        """Match the detections (N, 4) x1y1x2y2 with scores (N,) of the frame at ``time``. With the frame's
        ``size`` (width, height), a lost track whose predicted centre has left the frame is dropped (the
        face walked out: one coming in there later is somebody else)."""
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        predicted = np.array([t.predict(time) for t in self.tracks], np.float32).reshape(-1, 4)
        matched_tracks, matched_boxes = set(), set()
        # stages: overlap with the tracks found in the last detection round, then with the lost ones (so a
        # lost track cannot take the detection of a face followed all along), then the reach of all left
        overlap = (lambda t: 1.0 - iou(predicted[t], boxes), 1.0 - self.min_iou, False)
        stages = (
            (*overlap, lambda track: track.misses == 0),
            (*overlap, lambda track: track.misses > 0),
            (lambda t: _reach(self.tracks[t], predicted[t], boxes, time), 1.0, True, lambda track: True),
        )
        for cost_of, limit, restart, eligible in stages:
            tracks = [t for t, track in enumerate(self.tracks) if t not in matched_tracks and eligible(track)]
            free = np.array([d for d in range(len(boxes)) if d not in matched_boxes], int)
            if not tracks or not len(free):
                continue
            cost = np.stack([cost_of(t)[free] for t in tracks]).astype(np.float64)
            _, rows, _ = lap.lapjv(cost, extend_cost=True, cost_limit=limit + 1e-9)
            for t, d in zip(tracks, rows, strict=True):
                if d >= 0:
                    self.tracks[t].correct(boxes[free[d]], float(scores[free[d]]), time, restart=restart)
                    matched_tracks.add(t)
                    matched_boxes.add(int(free[d]))
        for t, track in enumerate(self.tracks):
            if t not in matched_tracks:
                track.box, track.detected, track.misses = predicted[t], False, track.misses + 1
        self.removed = [
            t.id for t in self.tracks if t.misses and (time - t.last_detected > self.max_age or _out(t, size))
        ]
        self.tracks = [t for t in self.tracks if t.id not in self.removed]
        for d in range(len(boxes)):
            if d not in matched_boxes:
                self.tracks.append(Track(self._next_id, boxes[d].copy(), float(scores[d]), time, time))
                self._next_id += 1
        return self._visible()
