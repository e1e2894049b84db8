"""Read and write videos frame by frame with bounded memory.

* :class:`VideoReader` / :func:`iter_video_frames`: decode a file or stream URL with PyAV (FFmpeg) or a
  camera with OpenCV, one frame at a time, optionally sampled to a frame rate or paced in real time.
  Missing, empty, non-video and undecodable inputs raise :class:`VideoReadError` naming the input before
  any frame is returned; a truncated or damaged video yields the frames decoded before the damage,
  then stops with a logged warning.
* :class:`VideoWriter`: encode BGR frames to H.264 (``.mp4``, ``.mkv``, ``.mov``) with PyAV and copy
  the audio track of the source alongside (transcoded to AAC when the container cannot hold it).

PyAV is imported by the functions that use it, so that ``import emolens`` (which joins the photo and video
layers) does not load FFmpeg's libraries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emolens.errors import ConfigError, VideoReadError

log = logging.getLogger(__name__)

#: What can be read: a file path, a stream URL (``rtsp://``, ``http://``...), or a camera index.
VideoSource = str | Path | int

#: Seconds to wait for a stream URL to open or to send data.
STREAM_TIMEOUT = 10.0

#: Output suffixes :class:`VideoWriter` accepts (all get H.264 video).
WRITABLE_SUFFIXES = (".mp4", ".mkv", ".mov")

#: Audio codecs MP4/MOV can hold as they are; others are transcoded to AAC (MKV holds everything).
_MP4_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "alac"})


@dataclass
class VideoFrame:
    """One decoded frame: its number in the video, its time in seconds from the start, BGR uint8 pixels."""

    index: int
    time: float
    image: np.ndarray


@dataclass(frozen=True)
class VideoInfo:
    """What is known about a video once opened. ``frames`` is the container's announced count (None when
    unknown: streams, cameras, some files); ``live`` is True for cameras, whose frames arrive in real time."""

    name: str
    width: int
    height: int
    fps: float
    frames: int | None
    duration: float | None
    has_audio: bool
    live: bool


def source_name(source: VideoSource) -> str:
    """How a video source is named in messages."""
    return f"camera {source}" if is_camera(source) else str(source)


def is_camera(source: VideoSource) -> bool:
    """A camera index (``0``, ``"1"``) or a V4L device path (``/dev/video0``)."""
    if isinstance(source, int):
        return True
    text = str(source)
    return text.isdigit() or text.startswith("/dev/video")


def is_url(source: VideoSource) -> bool:
    return "://" in str(source)


@contextmanager
def _opencv_silenced() -> Iterator[None]:
    """Mute OpenCV's own log lines (``[ WARN:0@0.5] ... can't open camera by index``) for a while: emolens
    reports a camera that cannot be opened itself, in one line."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class VideoReader:
    """The frames of a video file, stream URL or camera, decoded one at a time.

    ``sample_fps`` keeps about that many frames per second (None: every frame); ``realtime`` paces a file
    or stream at its own speed and drops the frames the consumer is too slow for (as a camera would).
    Use as a context manager, or call :meth:`open` and :meth:`close`; :attr:`info` is set once open.
    """

    def __init__(self, source: VideoSource, sample_fps: float | None = None, realtime: bool = False):
        self.source = source
        self.sample_fps = sample_fps
        self.realtime = realtime
        self.name = source_name(source)
        self.info: VideoInfo | None = None
        if sample_fps is not None and not sample_fps > 0:
            raise ConfigError(f"sample_fps must be > 0, got {sample_fps}")
        self._container: Any = None
        self._capture: cv2.VideoCapture | None = None
        self._decoded: Iterator[tuple[int, float, Any]] | None = None
        self._first: tuple[int, float, Any] | None = None
        self.stopped_early: str | None = None

    # -- opening ----------------------------------------------------------------------------------
    def open(self) -> VideoReader:
        """Open the input and decode its first frame; :class:`VideoReadError` when that is impossible."""
        if is_camera(self.source):
            self._open_camera()
        else:
            self._open_container()
        self._decoded = self._decode()
        self._first = next(self._decoded, None)
        if self._first is None:
            self.close()
            why = f" ({self.stopped_early})" if self.stopped_early else ""
            raise VideoReadError(f"{self.name}: no video frame could be decoded (empty or damaged video){why}")
        return self

    def _open_camera(self) -> None:
        text = str(self.source)
        with _opencv_silenced():
            self._capture = cv2.VideoCapture(int(text) if text.isdigit() else text)
        if not self._capture.isOpened():
            raise VideoReadError(f"{self.name}: cannot be opened (no such camera, or it is in use)")
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.info = VideoInfo(self.name, width, height, fps, None, None, False, live=True)

    def _open_container(self) -> None:
        import av

        url = is_url(self.source)
        if not url:
            path = Path(self.source)
            if not path.exists():
                raise VideoReadError(f"{self.name}: no such file")
            if path.is_dir():
                raise VideoReadError(f"{self.name}: is a folder, not a video file")
            if path.stat().st_size == 0:
                raise VideoReadError(f"{self.name}: empty file (0 bytes)")
        options = {"rtsp_transport": "tcp"} if str(self.source).startswith("rtsp") else {}
        try:
            container = av.open(str(self.source), options=options, timeout=STREAM_TIMEOUT if url else None)
        except (av.FFmpegError, OSError) as exc:
            raise VideoReadError(
                f"{self.name}: not a readable video, or cut before its index ({_first_line(exc)})"
            ) from None
        fmt = container.format.name
        if not container.streams.video:
            container.close()
            raise VideoReadError(f"{self.name}: no video stream in this {fmt} file")
        if fmt == "image2" or fmt.endswith("_pipe"):
            container.close()
            raise VideoReadError(f"{self.name}: a still image, not a video (use `emolens analyze` for photos)")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        duration = float(container.duration / av.time_base) if container.duration else None
        self._container = container
        self.info = VideoInfo(
            self.name,
            stream.codec_context.width,
            stream.codec_context.height,
            float(rate) if rate else 0.0,
            stream.frames or None,
            duration,
            bool(container.streams.audio),
            live=url and duration is None,
        )

    # -- decoding ---------------------------------------------------------------------------------
    def _decode(self) -> Iterator[tuple[int, float, Any]]:
        """(index, seconds, frame) for every decodable frame; stops quietly at the first damage."""
        import av

        if self._capture is not None:
            started = time.perf_counter()
            index = 0
            while True:
                ok, image = self._capture.read()
                if not ok:
                    return
                yield index, time.perf_counter() - started, image
                index += 1
        stream = self._container.streams.video[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        fps = self.info.fps if self.info and self.info.fps else 30.0
        frames = self._container.decode(stream)
        index, seconds = 0, 0.0
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                self._check_complete(index, seconds)
                return
            except (av.FFmpegError, OSError) as exc:  # a damaged or truncated file: keep what was decoded
                self._stop(f"decoding stopped after {index} frame(s): {_first_line(exc)}")
                return
            seconds = max(0.0, frame.time - start if frame.time is not None else index / fps)
            yield index, seconds, frame
            index += 1

    def _stop(self, why: str) -> None:
        self.stopped_early = why
        log.warning("%s: %s", self.name, why)

    def _check_complete(self, frames: int, last_time: float) -> None:
        """Note a file that ends before the frames or duration its header announced (a truncated copy)."""
        info = self.info
        if info is None or info.live or not frames:
            return
        if info.frames and frames < info.frames:
            self._stop(f"the video ends after {frames} of the {info.frames} frames its header announces (truncated?)")
            return
        stream = self._container.streams.video[0]
        if stream.duration:  # the video stream's own length, else the container's (audio may run longer)
            duration, margin = float(stream.duration * stream.time_base), 3 / (info.fps or 30.0)
        else:
            duration, margin = info.duration or 0.0, 1.0
        if last_time + margin < duration:
            self._stop(f"the video ends at {last_time:.2f} s of the {duration:.2f} s its header announces (truncated?)")

    def __iter__(self) -> Iterator[VideoFrame]:
        if self._decoded is None or self._first is None:
            raise VideoReadError(f"{self.name}: the reader is not open (use `with VideoReader(...)` or .open())")
        step = 1.0 / self.sample_fps if self.sample_fps else 0.0
        next_time = 0.0
        wall_start = time.perf_counter()
        live = self.info is not None and self.info.live
        pending, self._first = self._first, None
        try:
            while pending is not None:
                index, seconds, payload = pending
                pending = next(self._decoded, None)
                if step:
                    if seconds + 1e-6 < next_time:
                        continue
                    next_time = max(next_time + step, seconds + step / 2)
                if self.realtime and not live:
                    late = (time.perf_counter() - wall_start) - seconds
                    if late > 0.1 and pending is not None:  # behind: drop this frame as a camera would
                        continue
                    if late < 0:
                        time.sleep(-late)
                image = payload if isinstance(payload, np.ndarray) else payload.to_ndarray(format="bgr24")
                yield VideoFrame(index, seconds, image)
        finally:
            self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def __enter__(self) -> VideoReader:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_video_frames(source: VideoSource, *, sample_fps: float | None = None) -> Iterator[VideoFrame]:
    """Decode ``source`` (a video file path, a stream URL or an int camera index) frame by frame.

    Yields :class:`VideoFrame` (``index`` in the video, ``time`` in seconds, BGR uint8 ``image``), keeping
    about ``sample_fps`` frames per second (None: every frame). Memory stays bounded: one frame at a time.
    Raises :class:`~emolens.errors.VideoReadError` naming the input here, before returning, when it is
    missing, empty, not a video or has no decodable frame. A truncated or damaged video yields the frames
    decoded before the damage and then stops (with a logged warning) instead of raising.
    """
    return iter(VideoReader(source, sample_fps=sample_fps).open())


class _AudioTrack:
    """Copies (or transcodes to AAC) the first audio stream of a file into an output container, in step
    with the video being written, so that both are interleaved without holding either in memory."""

    def __init__(self, source: Path, output: Any):
        import av

        self.input = av.open(str(source))
        self.in_stream = self.input.streams.audio[0]
        self.output = output
        suffix = Path(output.name).suffix.lower()
        self.copy = suffix == ".mkv" or self.in_stream.codec_context.name in _MP4_AUDIO
        if self.copy:
            self.out_stream = output.add_stream_from_template(self.in_stream)
        else:
            ctx = self.in_stream.codec_context
            layout = "mono" if ctx.layout.nb_channels == 1 else "stereo"
            self.out_stream = output.add_stream("aac", rate=ctx.sample_rate, layout=layout)
        self.packets = self.input.demux(self.in_stream)
        self.pending: Any = None
        self.done = False

    def _next_packet(self) -> Any:
        for packet in self.packets:
            if packet.dts is not None and packet.size:
                return packet
        return None

    def mux_until(self, seconds: float) -> None:
        """Write the audio packets that start before ``seconds``."""
        import av

        while not self.done:
            try:
                packet = self.pending or self._next_packet()
            except (av.FFmpegError, OSError) as exc:
                log.warning("%s: audio copy stopped: %s", self.input.name, _first_line(exc))
                packet = None
            if packet is None:
                self.done = True
                break
            if packet.pts is not None and float(packet.pts * packet.time_base) >= seconds:
                self.pending = packet
                break
            self.pending = None
            if self.copy:
                packet.stream = self.out_stream
                self.output.mux(packet)
            else:
                for frame in self.in_stream.codec_context.decode(packet):
                    frame.pts = None
                    self.output.mux(self.out_stream.encode(frame))

    def close(self, seconds: float) -> None:
        self.mux_until(seconds)
        if not self.copy:
            self.output.mux(self.out_stream.encode(None))
        self.input.close()


def check_writable(path: str | Path) -> None:
    """:class:`ConfigError` unless ``path`` has a suffix :class:`VideoWriter` can write."""
    if Path(path).suffix.lower() not in WRITABLE_SUFFIXES:
        raise ConfigError(f"{path}: video output must end with {', '.join(WRITABLE_SUFFIXES)}")


class VideoWriter:
    """Encode BGR frames to an H.264 ``.mp4``/``.mkv``/``.mov`` file with PyAV, one at a time.

    ``fps`` is the nominal frame rate; each frame's presentation time comes from the ``seconds`` given to
    :meth:`write`, so sampled or dropped frames keep their place. ``audio_from`` is a video file whose
    audio track is copied alongside (pass it only when it has one). The file is opened on the first frame.
    """

    def __init__(self, path: str | Path, fps: float, audio_from: str | Path | None = None, crf: int = 23):
        self.path = Path(path)
        self.fps = fps
        self.audio_from = audio_from
        self.crf = crf
        check_writable(self.path)
        self._output: Any = None
        self._stream: Any = None
        self._audio: _AudioTrack | None = None
        self._last_pts = -1
        self._last_time = 0.0
        self.frames = 0

    def _open(self, width: int, height: int) -> None:
        import av

        self.path.parent.mkdir(parents=True, exist_ok=True)
        rate = Fraction(self.fps if self.fps > 0 else 30.0).limit_denominator(1001)
        self._output = av.open(str(self.path), "w")
        self._stream = self._output.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"preset": "veryfast", "crf": str(self.crf)}
        if self.audio_from is not None:
            try:
                self._audio = _AudioTrack(Path(self.audio_from), self._output)
            except (av.FFmpegError, OSError) as exc:
                log.warning("%s: audio not copied: %s", self.audio_from, _first_line(exc))

    def write(self, image: np.ndarray, seconds: float) -> None:
        """Encode one BGR frame shown at ``seconds``."""
        import av

        h, w = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2  # yuv420p needs even sizes
        if self._output is None:
            self._open(w, h)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:h, :w]), format="bgr24")
        rate = self._stream.codec_context.framerate
        pts = max(self._last_pts + 1, round(seconds * rate))
        frame.pts, frame.time_base = pts, 1 / rate
        self._last_pts, self._last_time = pts, seconds
        if self._audio is not None:
            self._audio.mux_until(seconds)
        self._output.mux(self._stream.encode(frame))
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder, finish the audio up to the last frame, and close the file."""
        if self._output is None:
            return
        self._output.mux(self._stream.encode(None))
        if self._audio is not None:
            self._audio.close(self._last_time + 1 / float(self._stream.codec_context.framerate))
        self._output.close()
        self._output = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
