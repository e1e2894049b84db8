"""Analyse videos, streams and cameras: detect faces (every frame or every k-th frame), track them with
stable IDs, classify the faces of several frames in one call, smooth each track's probabilities over
time, and write the outputs (annotated video with the input's audio, timeline CSV/Parquet, summary
JSON, HTML report). Everything streams: memory does not grow with the length of the video.

    from emolens import EmotionRecognizer
    from emolens.video.analysis import run_video_job

    rec = EmotionRecognizer()
    analysis = rec.analyze_video("interview.mp4")     # opens the video (errors are raised here)
    for frame in analysis:                            # FrameResult per frame, as it is analysed
        print(frame.time, [(f.track, f.smoothed_emotion) for f in frame.faces])
    analysis.summary.to_dict()                        # per-track summary

    run_video_job(rec, "interview.mp4", "out/")       # timeline.csv, summary.json, report.html, annotated.mp4
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emolens.deprecation import renamed
from emolens.errors import ConfigError
from emolens.pipeline.crops import crop_faces
from emolens.video.io import (
    VideoFrame,
    VideoInfo,
    VideoReader,
    VideoSource,
    VideoWriter,
    check_writable,
    iter_video_frames,
)
from emolens.video.results import FrameResult, TrackedFace
from emolens.video.smoothing import EmaSmoother
from emolens.video.summary import SummaryBuilder, VideoSummary
from emolens.video.timeline import TimelineWriter
from emolens.video.tracking import DEFAULT_DETECT_EVERY, DEFAULT_MAX_AGE, FaceTracker

if TYPE_CHECKING:
    from emolens.pipeline.recognizer import EmotionRecognizer

__all__ = [
    "FrameResult",
    "TrackedFace",
    "VideoAnalysis",
    "VideoFrame",
    "VideoOutputs",
    "VideoSummary",
    "analyze_video",
    "iter_video_frames",
    "process_video",
    "run_video_job",
]

#: Half-life in seconds of the temporal smoothing of probabilities.
DEFAULT_SMOOTHING = 0.5
#: Frames whose faces are classified in one call (offline; live input uses 1 to keep latency low).
DEFAULT_GROUP = 8

Progress = Callable[[int, int | None], None]

#: (track id, box, detector score, detected in this frame) of a face waiting for classification.
_Pending = tuple[VideoFrame, list[tuple[int, np.ndarray, float, bool]], np.ndarray]


class VideoAnalysis:
    """The frame-by-frame analysis of one opened video; iterate it once for :class:`FrameResult` objects.

    :attr:`summary` is the per-track :class:`VideoSummary`; reading it analyses what was not iterated yet
    (after :meth:`close`, it covers the frames analysed so far). Create it with :func:`analyze_video`.
    """

    @renamed(every="detect_every")
    def __init__(
        self,
        recognizer: EmotionRecognizer,
        reader: VideoReader,
        *,
        detect_every: int = DEFAULT_DETECT_EVERY,
        smoothing: float = DEFAULT_SMOOTHING,
        max_age: float = DEFAULT_MAX_AGE,
        min_iou: float = 0.3,
        keep_images: bool = False,
        group: int = DEFAULT_GROUP,
    ):
        self.recognizer = recognizer
        self.reader = reader
        self.detect_every = detect_every
        self.keep_images = keep_images
        self.group = group
        if detect_every < 1:
            raise ConfigError(f"detect_every (detect on every n-th frame) must be >= 1, got {detect_every}")
        if group < 1:
            raise ConfigError(f"group must be >= 1, got {group}")
        self.tracker = FaceTracker(min_iou=min_iou, max_age=max_age)
        self.smoother = EmaSmoother(smoothing)
        self._results: Iterator[FrameResult] | None = None
        self._summary: VideoSummary | None = None

    @functools.cached_property
    def settings(self) -> dict[str, Any]:
        """How the video is analysed (recorded in the summary)."""
        rec, tracker = self.recognizer, self.tracker
        return {
            "detect_every": self.detect_every, "smoothing_half_life": self.smoother.half_life,
            "sample_fps": self.reader.sample_fps, "max_age": tracker.max_age, "min_iou": tracker.min_iou,
            "detector": getattr(rec.face_detector, "name", "custom"), "model": Path(rec.classifier.path).name,
        }  # fmt: skip

    @property
    def info(self) -> VideoInfo:
        assert self.reader.info is not None
        return self.reader.info

    def __iter__(self) -> Iterator[FrameResult]:
        if self._results is None:
            self._results = self._run()
        return self._results

    @property
    def summary(self) -> VideoSummary:
        if self._summary is None:
            for _ in self:
                pass
        assert self._summary is not None
        return self._summary

    def close(self) -> None:
        """Stop reading (a camera, a stream); the summary covers what was analysed."""
        if self._results is not None:
            self._results.close()  # type: ignore[attr-defined]
        if self._summary is None:  # closed before the first frame
            self._summary = SummaryBuilder(self.info, self.recognizer.classes, self.settings).build()
        self.reader.close()

    def __enter__(self) -> VideoAnalysis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the loop ---------------------------------------------------------------------------------
    def _run(self) -> Iterator[FrameResult]:
        rec = self.recognizer
        builder = SummaryBuilder(self.info, rec.classes, self.settings)
        size = rec.classifier.input_size
        pending: list[_Pending] = []
        removed: list[int] = []
        try:
            for n, frame in enumerate(self.reader):
                if n % self.detect_every == 0:
                    found = rec.detect(frame.image)
                    tracks = self.tracker.update(found.boxes, found.scores, frame.time, frame.image.shape[1::-1])
                else:
                    tracks = self.tracker.predict(frame.time)
                removed += self.tracker.removed
                faces = [(t.id, t.box.copy(), t.score, t.detected) for t in tracks]
                boxes = np.array([f[1] for f in faces], np.float32).reshape(-1, 4)
                pending.append((frame, faces, crop_faces(frame.image, boxes, size, rec.margin)))
                if len(pending) >= self.group:
                    yield from self._finish(pending, builder)
                    pending = []
                    self.smoother.forget(removed)
                    removed = []
            yield from self._finish(pending, builder)
        finally:
            self._summary = builder.build(self.reader.stopped_early)
            self.reader.close()

    def _finish(self, pending: list[_Pending], builder: SummaryBuilder) -> Iterator[FrameResult]:
        """Classify the faces of the pending frames in one call, smooth them, and build their results."""
        rec = self.recognizer
        crops = [p[2] for p in pending if len(p[2])]
        probs = rec.classify(np.concatenate(crops)) if crops else np.empty((0, len(rec.classes)), np.float32)
        offset = 0
        for frame, faces, _ in pending:
            tracked = []
            for k, (track, box, score, detected) in enumerate(faces):
                p = probs[offset + k]
                tracked.append(
                    TrackedFace(
                        box=tuple(float(v) for v in box),  # type: ignore[arg-type]
                        score=score,
                        probs=p,
                        classes=rec.classes,
                        track=track,
                        smoothed=self.smoother(track, frame.time, p),
                        detected=detected,
                    )
                )
            offset += len(faces)
            h, w = frame.image.shape[:2]
            result = FrameResult(frame.index, frame.time, tracked, w, h, frame.image)
            builder.add(result)
            if not self.keep_images:
                result.image = None
            yield result


@renamed(every="detect_every")
def analyze_video(
    recognizer: EmotionRecognizer,
    source: VideoSource,
    *,
    detect_every: int = DEFAULT_DETECT_EVERY,
    smoothing: float = DEFAULT_SMOOTHING,
    sample_fps: float | None = None,
    realtime: bool = False,
    keep_images: bool = False,
    max_age: float = DEFAULT_MAX_AGE,
    min_iou: float = 0.3,
) -> VideoAnalysis:
    """Open ``source`` (file, stream URL or camera index) for analysis with ``recognizer``.

    ``detect_every``: run the face detector on every n-th analysed frame (the tracker predicts the boxes in
    between); ``smoothing``: half-life in seconds of the per-track smoothing (0: none); ``sample_fps``:
    analyse about that many frames per second (None: all); ``realtime``: play files and streams at their
    own speed, dropping frames the analysis is too slow for; ``keep_images``: keep each frame's image on
    its result (for :meth:`FrameResult.plot`). Raises :class:`~emolens.errors.VideoReadError` now when the
    input cannot be read.
    """
    recognizer.classifier.metadata  # noqa: B018 - a bad model fails before the video is opened
    reader = VideoReader(source, sample_fps=sample_fps, realtime=realtime).open()
    live = realtime or (reader.info is not None and reader.info.live)
    try:
        return VideoAnalysis(
            recognizer, reader, detect_every=detect_every, smoothing=smoothing, max_age=max_age, min_iou=min_iou,
            keep_images=keep_images, group=1 if live else DEFAULT_GROUP,
        )  # fmt: skip
    except ConfigError:
        reader.close()
        raise


@renamed(every="detect_every", json_path="summary_json")
def process_video(
    recognizer: EmotionRecognizer,
    source: VideoSource,
    *,
    video: Path | None = None,
    csv: Path | None = None,
    parquet: Path | None = None,
    summary_json: Path | None = None,
    report: Path | None = None,
    detect_every: int = DEFAULT_DETECT_EVERY,
    smoothing: float = DEFAULT_SMOOTHING,
    sample_fps: float | None = None,
    progress: Progress | None = None,
) -> VideoSummary:
    """Analyse a whole video and write the outputs that are given a path: the annotated ``video``
    (``.mp4``/``.mkv``/``.mov``, with the input's audio), the timeline (``csv``, ``parquet``), the summary
    (``summary_json``) and the HTML ``report``. ``progress(frames_done, frames_total_or_None)`` is called
    after each frame. Returns the summary."""
    from emolens.video.report import write_video_report

    if video is not None:
        check_writable(video)
    analysis = analyze_video(
        recognizer,
        source,
        detect_every=detect_every,
        smoothing=smoothing,
        sample_fps=sample_fps,
        keep_images=video is not None,
    )
    info = analysis.info
    total = info.frames
    if sample_fps is not None:
        total = round(info.duration * min(sample_fps, info.fps or sample_fps)) if info.duration else None
    with analysis, TimelineWriter(recognizer.classes, csv, parquet) as timeline:
        writer = None
        if video is not None:
            fps = min(sample_fps, info.fps) if sample_fps and info.fps else (sample_fps or info.fps)
            audio = source if info.has_audio and not info.live else None
            writer = VideoWriter(video, fps, audio_from=audio)
        try:
            for done, result in enumerate(analysis, 1):
                timeline.add(result)
                if writer is not None:
                    writer.write(result.plot(), result.time)
                if progress is not None:
                    progress(done, total)
        finally:
            if writer is not None:
                writer.close()
    summary = analysis.summary
    if summary_json is not None:
        Path(summary_json).parent.mkdir(parents=True, exist_ok=True)
        Path(summary_json).write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
    if report is not None:
        write_video_report(summary, report)
    return summary


@dataclass
class VideoOutputs:
    """What :func:`run_video_job` wrote: the summary (as JSON-ready dict) and the paths of its files."""

    summary: dict[str, Any]
    timeline_csv: Path
    summary_json: Path
    report_html: Path
    annotated: Path | None


@renamed(every="detect_every")
def run_video_job(
    recognizer: EmotionRecognizer,
    source: VideoSource,
    out_dir: str | Path,
    *,
    detect_every: int = DEFAULT_DETECT_EVERY,
    annotate: bool = True,
    progress: Progress | None = None,
) -> VideoOutputs:
    """Analyse a whole video with ``recognizer`` and write into ``out_dir`` (created if needed):
    ``timeline.csv`` (a row per frame and face), ``summary.json`` (per track), ``report.html``
    (self-contained) and, when ``annotate``, ``annotated.mp4`` (with the input's audio track).

    ``detect_every`` runs the face detector on every n-th frame (tracking in between); ``progress(frames_done,
    frames_total_or_None)`` is called after each frame. Raises :class:`~emolens.errors.VideoReadError`
    naming the input, before writing anything, when it is missing, empty, not a video or undecodable; a
    truncated video is analysed up to the damage (``summary["stopped_early"]`` says where). A video
    without faces gives empty outputs (``summary["tracks"] == []``).
    """
    out = Path(out_dir)
    outputs = VideoOutputs(
        summary={},
        timeline_csv=out / "timeline.csv",
        summary_json=out / "summary.json",
        report_html=out / "report.html",
        annotated=out / "annotated.mp4" if annotate else None,
    )
    summary = process_video(
        recognizer, source, video=outputs.annotated, csv=outputs.timeline_csv, summary_json=outputs.summary_json,
        report=outputs.report_html, detect_every=detect_every, progress=progress,
    )  # fmt: skip
    outputs.summary = summary.to_dict()
    return outputs
