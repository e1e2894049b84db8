"""What a video showed, per tracked face: first/last seen, dominant emotion, share of time per emotion,
mean probabilities, and emotional peaks (the strongest moment of each emotion, with a thumbnail).
Tracks seen only for a moment (a false alarm, a face lost at once) are set apart from the others.

Built frame by frame in constant memory per track: the emotion-over-time series is kept at a bounded
number of points (neighbouring points are averaged as the video grows), thumbnails are small JPEGs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from emolens.pipeline.crops import square_box
from emolens.video.io import VideoInfo
from emolens.video.results import FrameResult, TrackedFace

#: Side in pixels of the key-moment thumbnails.
THUMBNAIL_PX = 112
#: Tracks seen for less than this many seconds are left out of summaries (see :func:`is_short_track`).
MIN_TRACK_SECONDS = 0.5


def is_short_track(seconds: float, frames: int, analysed: int) -> bool:
    """Whether a track is too short to stand beside real ones in summaries: seen for less than
    ``MIN_TRACK_SECONDS`` (first to last frame) and in fewer than half the ``analysed`` frames (so a clip
    or a session shorter than a second keeps its faces)."""
    return seconds < MIN_TRACK_SECONDS and 2 * frames < analysed


class TimeSeries:
    """Times and value vectors kept at no more than ``capacity`` points: when full, neighbouring pairs are
    averaged and later points are averaged in pairs too (so a long video costs the same memory)."""

    def __init__(self, width: int, capacity: int = 2048):
        self.capacity = capacity
        self._times = np.zeros(capacity, np.float64)
        self._values = np.zeros((capacity, width), np.float32)
        self._size = 0
        self._span = 1  # observations averaged into one point
        self._acc_time, self._acc_value, self._acc_count = 0.0, np.zeros(width, np.float64), 0

    def add(self, time: float, value: np.ndarray) -> None:
        self._acc_time += time
        self._acc_value += value
        self._acc_count += 1
        if self._acc_count < self._span:
            return
        if self._size == self.capacity:
            half = self.capacity // 2
            self._times[:half] = self._times[0::2] / 2 + self._times[1::2] / 2
            self._values[:half] = (self._values[0::2] + self._values[1::2]) / 2
            self._size, self._span = half, self._span * 2
        self._times[self._size] = self._acc_time / self._acc_count
        self._values[self._size] = self._acc_value / self._acc_count
        self._size += 1
        self._acc_time, self._acc_value, self._acc_count = 0.0, np.zeros_like(self._acc_value), 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Times (N,) and values (N, width) in time order."""
        return self._times[: self._size].copy(), self._values[: self._size].copy()


@dataclass
class Peak:
    """The strongest moment of one emotion in a track (smoothed probability)."""

    prob: float = -1.0
    time: float = 0.0
    frame: int = 0
    thumbnail: np.ndarray | None = field(default=None, repr=False)


def thumbnail(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The face in ``box`` with some context, ``THUMBNAIL_PX`` square (BGR)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = square_box(box, margin=0.3)
    x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    crop = image[y1:y2, x1:x2] if x2 > x1 and y2 > y1 else image
    return cv2.resize(crop, (THUMBNAIL_PX, THUMBNAIL_PX), interpolation=cv2.INTER_AREA)


class TrackSummary:
    """The running summary of one track (a person, as long as the tracker kept them)."""

    def __init__(self, track: int, classes: tuple[str, ...]):
        self.track = track
        self.classes = classes
        self.first_seen = self.last_seen = 0.0
        self.first_frame = self.last_frame = 0
        self.frames = 0
        self.counts = np.zeros(len(classes), np.int64)
        self.prob_sum = np.zeros(len(classes), np.float64)
        self.peaks = [Peak() for _ in classes]
        self.series = TimeSeries(len(classes))

    def add(self, face: TrackedFace, time: float, frame: int, image: np.ndarray | None) -> None:
        if not self.frames:
            self.first_seen, self.first_frame = time, frame
        self.last_seen, self.last_frame = time, frame
        self.frames += 1
        self.counts[int(np.argmax(face.smoothed))] += 1
        self.prob_sum += face.probs
        self.series.add(time, face.smoothed)
        picture = None
        for peak, prob in zip(self.peaks, face.smoothed, strict=True):
            if prob > peak.prob:
                if picture is None and image is not None:
                    picture = thumbnail(image, face.box)
                peak.prob, peak.time, peak.frame, peak.thumbnail = float(prob), time, frame, picture

    @property
    def duration(self) -> float:
        return self.last_seen - self.first_seen

    @property
    def shares(self) -> np.ndarray:
        """Share of the track's frames in which each emotion was the smoothed label."""
        return self.counts / max(self.frames, 1)

    @property
    def dominant_emotion(self) -> str:
        return self.classes[int(np.argmax(self.counts))]

    def to_dict(self) -> dict[str, Any]:
        return {
            "track": self.track,
            "first_seen": round(self.first_seen, 3),
            "last_seen": round(self.last_seen, 3),
            "first_frame": self.first_frame,
            "last_frame": self.last_frame,
            "duration": round(self.duration, 3),
            "frames": self.frames,
            "dominant_emotion": self.dominant_emotion,
            "share": {c: round(float(s), 4) for c, s in zip(self.classes, self.shares, strict=True)},
            "mean_probs": {
                c: round(float(p), 4) for c, p in zip(self.classes, self.prob_sum / max(self.frames, 1), strict=True)
            },
            "peaks": {
                c: {"time": round(p.time, 3), "frame": p.frame, "prob": round(p.prob, 4)}
                for c, p in zip(self.classes, self.peaks, strict=True)
            },
        }


@dataclass
class VideoSummary:
    """The summary of a whole video: what it is, how it was analysed, and one :class:`TrackSummary` per
    track (longest first in :meth:`to_dict`); ``short_tracks`` are those :func:`is_short_track` leaves
    out of ``tracks`` (they stay in the timeline). ``stopped_early`` says why decoding ended before the end."""

    source: str
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    classes: tuple[str, ...]
    settings: dict[str, Any]
    tracks: list[TrackSummary]
    stopped_early: str | None = None
    short_tracks: list[TrackSummary] = field(default_factory=list)

    @property
    def faces(self) -> int:
        """Face observations (rows of the timeline), those of short tracks included."""
        return sum(t.frames for t in self.tracks + self.short_tracks)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 3),
            "frames_analysed": self.frames,
            "duration": round(self.duration, 3),
            "classes": list(self.classes),
            "settings": self.settings,
            "faces": self.faces,
            "tracks": [t.to_dict() for t in sorted(self.tracks, key=lambda t: (-t.frames, t.track))],
            "min_track_duration": MIN_TRACK_SECONDS,
            "short_tracks": [
                {"track": t.track, "first_seen": round(t.first_seen, 3), "last_seen": round(t.last_seen, 3),
                 "frames": t.frames}
                for t in sorted(self.short_tracks, key=lambda t: t.track)
            ],
        }  # fmt: skip
        if self.stopped_early:
            out["stopped_early"] = self.stopped_early
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


class SummaryBuilder:
    """Feed it every :class:`FrameResult` (with its image, for thumbnails); :meth:`build` gives the summary,
    short tracks (:func:`is_short_track`) set apart."""

    def __init__(self, info: VideoInfo, classes: tuple[str, ...], settings: dict[str, Any]):
        self.info = info
        self.classes = classes
        self.settings = settings
        self.tracks: dict[int, TrackSummary] = {}
        self.frames = 0
        self.last_time = 0.0

    def add(self, result: FrameResult) -> None:
        self.frames += 1
        self.last_time = result.time
        for face in result.faces:
            summary = self.tracks.get(face.track)
            if summary is None:
                summary = self.tracks[face.track] = TrackSummary(face.track, self.classes)
            summary.add(face, result.time, result.index, result.image)

    def build(self, stopped_early: str | None = None) -> VideoSummary:
        fps = self.info.fps
        duration = self.last_time + (1 / fps if fps else 0.0) if self.frames else 0.0
        tracks: dict[bool, list[TrackSummary]] = {True: [], False: []}
        for t in self.tracks.values():
            tracks[is_short_track(t.duration, t.frames, self.frames)].append(t)
        return VideoSummary(
            self.info.name, self.info.width, self.info.height, fps, self.frames, duration, self.classes,
            self.settings, tracks[False], stopped_early, tracks[True],
        )  # fmt: skip
