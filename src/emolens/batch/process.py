"""The per-batch function both engines run: input rows -> decode -> detect -> classify -> result rows.

A :class:`BatchProcessor` lives in each worker (a local process or a Ray actor) and holds one
:class:`~emolens.EmotionRecognizer`, so one ONNX session per worker. It turns a batch of inputs (an Arrow
table, see :mod:`emolens.batch.inputs`) into one result row per input, whose ``detections`` column holds
that input's faces; the faces of all the images of a batch go through the classifier in one call. An input
that cannot be read becomes an ``error`` row, and an unexpected failure in a batch is retried input by input,
so one bad file never costs the rest of its batch. Unexpected failures are logged with their tracebacks, in the
job's error log when the worker can reach it (see :meth:`BatchProcessor.start_worker`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyarrow as pa

from emolens.batch.inputs import BatchInput, from_table, is_remote, read_bytes, remote_fs
from emolens.batch.settings import BatchSettings
from emolens.errors import EmolensError, VideoReadError
from emolens.imageio import decode_bytes, read_image
from emolens.pipeline.recognizer import EmotionRecognizer
from emolens.pipeline.results import ImageResult

#: Status of an input: faces found, readable but no face, or not analysable (``error`` says why).
OK, NO_FACE, ERROR = "ok", "no_face", "error"
#: Images or video frames whose faces are classified together, at least (a whole image batch when larger).
FRAME_GROUP = 16

log = logging.getLogger(__name__)


def _face_fields(classes: Sequence[str]) -> list[pa.Field]:
    return [
        pa.field("frame", pa.int32()),
        pa.field("time", pa.float64()),
        pa.field("face", pa.int32()),
        *(pa.field(name, pa.float32()) for name in ("x1", "y1", "x2", "y2", "score")),
        pa.field("emotion", pa.string()),
        pa.field("confidence", pa.float32()),
        *(pa.field(name, pa.float32()) for name in classes),
    ]


def input_fields() -> list[pa.Field]:
    """The columns of the per-input table."""
    return [
        pa.field("input_id", pa.string()),
        pa.field("path", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("status", pa.string()),
        pa.field("error", pa.string()),
        pa.field("warning", pa.string()),
        pa.field("frames", pa.int32()),
        pa.field("faces", pa.int32()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
    ]


def result_schema(classes: Sequence[str]) -> pa.Schema:
    """One row per input with its faces nested in ``detections`` (what a batch returns)."""
    return pa.schema([*input_fields(), pa.field("detections", pa.list_(pa.struct(_face_fields(classes))))])


def face_schema(classes: Sequence[str]) -> pa.Schema:
    """One row per face (the ``faces`` table of the results)."""
    return pa.schema([pa.field("input_id", pa.string()), pa.field("path", pa.string()), *_face_fields(classes)])


@dataclass
class _Account:
    """What is known about one input while its batch runs."""

    item: BatchInput
    error: str | None = None
    warning: str | None = None
    frames: int = 0
    width: int = 0
    height: int = 0
    results: list[tuple[int, float | None, ImageResult]] = field(default_factory=list)

    def add(self, result: ImageResult, frame: int, seconds: float | None) -> None:
        if result.error is not None:  # a decoded frame the recognizer could not use
            self.error = self.error or result.error
            return
        if not self.frames:
            self.width, self.height = result.width, result.height
        self.frames += 1
        if result.faces:
            self.results.append((frame, seconds, result))

    @property
    def face_count(self) -> int:
        return sum(len(r.faces) for _, _, r in self.results)

    @property
    def status(self) -> str:
        return ERROR if self.error is not None else OK if self.face_count else NO_FACE


def result_table(accounts: Sequence[_Account], classes: Sequence[str]) -> pa.Table:
    """The result rows of a batch, in input order."""
    schema = result_schema(classes)
    faces: dict[str, list[Any]] = {f.name: [] for f in _face_fields(classes)}
    probs: list[np.ndarray] = []
    offsets = [0]
    for account in accounts:
        for frame, seconds, result in account.results:
            for k, face in enumerate(result.faces):
                faces["frame"].append(frame)
                faces["time"].append(seconds)
                faces["face"].append(k)
                for name, value in zip(("x1", "y1", "x2", "y2"), face.box, strict=True):
                    faces[name].append(value)
                faces["score"].append(face.score)
                faces["emotion"].append(face.emotion)
                faces["confidence"].append(face.confidence)
                probs.append(face.probs)
        offsets.append(offsets[-1] + account.face_count)
    matrix = np.stack(probs).astype(np.float32) if probs else np.empty((0, len(classes)), np.float32)
    for j, name in enumerate(classes):
        faces[name] = matrix[:, j]
    struct_type = schema.field("detections").type.value_type
    children = [pa.array(faces[f.name], type=f.type) for f in struct_type]
    nested = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), pa.StructArray.from_arrays(children, fields=list(struct_type))
    )
    rows = {
        "input_id": [a.item.input_id for a in accounts],
        "path": [a.item.path for a in accounts],
        "kind": [a.item.kind for a in accounts],
        "status": [a.status for a in accounts],
        "error": [a.error for a in accounts],
        "warning": [a.warning for a in accounts],
        "frames": [a.frames for a in accounts],
        "faces": [a.face_count for a in accounts],
        "width": [a.width for a in accounts],
        "height": [a.height for a in accounts],
    }
    columns = [pa.array(rows[f.name], type=f.type) for f in input_fields()]
    return pa.Table.from_arrays([*columns, nested], schema=schema)


def error_table(items: Sequence[BatchInput], message: str, classes: Sequence[str]) -> pa.Table:
    """``error`` rows for inputs that could not be analysed at all (``message`` follows each path)."""
    return result_table([_Account(item, error=f"{item.path}: {message}") for item in items], classes)


def load_image(path: str) -> np.ndarray:
    """Decode a local or remote image as BGR, or :class:`~emolens.errors.ImageReadError` naming it."""
    if is_remote(path):
        return decode_bytes(read_bytes(path), "bgr", name=path)
    return read_image(path, "bgr")


@contextlib.contextmanager
def _local_video(path: str) -> Iterator[str]:
    """A local path for a video: the path itself, or a temporary copy of a remote file."""
    if not is_remote(path):
        yield path
        return
    fs, inner = remote_fs(path)
    with tempfile.TemporaryDirectory(prefix="emolens-video-") as folder:
        local = str(Path(folder) / Path(inner).name)
        try:
            fs.get_file(inner, local)
        except (OSError, ValueError) as exc:
            raise VideoReadError(f"{path}: cannot be read ({exc})") from None
        yield local


class BatchProcessor:
    """Turns a batch of inputs into result rows with one :class:`EmotionRecognizer` (made on first use).

    ``threads`` is the number of CPU threads of the recognizer (1: one worker per core). The faces of a whole
    batch of images (and of :data:`FRAME_GROUP` video frames at least) are classified in one call. Both
    engines call the same instance method, so they give the same results. ``log_file`` is where a worker
    appends the tracebacks of unexpected failures (the job's error log).
    """

    def __init__(self, settings: BatchSettings, threads: int | None = 1, log_file: str | None = None):
        self.settings = settings
        self.threads = threads
        self.log_file = log_file

    def __getstate__(self) -> dict[str, Any]:
        """Only the parameters travel to a worker; each worker loads its own model."""
        return {"settings": self.settings, "threads": self.threads, "log_file": self.log_file}

    @functools.cached_property
    def recognizer(self) -> EmotionRecognizer:
        return self.settings.recognizer(self.threads)

    def start_worker(self) -> None:
        """Called once in a worker process (not in the job's own): OpenCV's thread pool gets ``threads`` too,
        so N workers on N cores do not run N x N threads (ONNX Runtime and YuNet get it from the recognizer).
        The tracebacks of unexpected failures go to ``log_file`` when its folder is on this machine (a Ray
        node without it keeps them on the worker's stderr, in Ray's worker logs)."""
        if self.threads:
            cv2.setNumThreads(self.threads)
        if self.log_file and Path(self.log_file).parent.is_dir():
            handler = logging.FileHandler(self.log_file, encoding="utf-8", delay=True)
            handler.setFormatter(logging.Formatter("%(asctime)s pid %(process)d %(levelname)s %(message)s"))
            log.addHandler(handler)

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Result rows (:func:`result_schema`) for a batch of inputs (:data:`~emolens.batch.inputs.INPUT_SCHEMA`)."""
        items = from_table(batch)
        classes = self.recognizer.classes  # a model that cannot load stops the job: no input is to blame
        try:
            accounts = self._analyse(items)
        except Exception:  # an unforeseen failure: retry input by input (below) so one file costs one row
            log.warning("a batch of %d input(s) failed; retrying them one at a time", len(items), exc_info=True)
        else:
            return result_table(accounts, classes)
        return result_table([self._analyse_alone(item) for item in items], classes)

    def _analyse_alone(self, item: BatchInput) -> _Account:
        try:
            return self._analyse([item])[0]
        except Exception as exc:  # recorded in the input's row, the batch goes on
            log.exception("%s: analysis failed", item.path)
            return _Account(item, error=f"{item.path}: analysis failed ({type(exc).__name__}: {exc})")

    def _analyse(self, items: Sequence[BatchInput]) -> list[_Account]:
        """Stream every image and sampled video frame of ``items`` through the recognizer, in order."""
        accounts = [_Account(item) for item in items]
        where: deque[tuple[_Account, int, float | None]] = deque()

        def frames() -> Iterator[np.ndarray]:
            for account in accounts:
                for frame, seconds, image in self._frames(account):
                    where.append((account, frame, seconds))
                    yield image

        for result in self.recognizer.analyze_many(frames(), group=max(FRAME_GROUP, len(items))):
            account, frame, seconds = where.popleft()
            account.add(result, frame, seconds)
        return accounts

    def _frames(self, account: _Account) -> Iterator[tuple[int, float | None, np.ndarray]]:
        """(frame index, seconds, BGR image) of an input: one for an image, the sampled frames of a video.
        A read error is recorded in ``account``."""
        item = account.item
        if item.error is not None:
            account.error = item.error
            return
        try:
            if item.kind == "video":
                yield from self._video_frames(account)
            else:
                yield 0, None, load_image(item.path)
        except EmolensError as exc:
            account.error = str(exc)

    def _video_frames(self, account: _Account) -> Iterator[tuple[int, float | None, np.ndarray]]:
        from emolens.video.io import VideoReader

        path = account.item.path
        with _local_video(path) as local:
            reader = VideoReader(local, sample_fps=self.settings.sample_fps)
            try:
                reader.open()
            except EmolensError as exc:
                raise VideoReadError(str(exc).replace(local, path)) from None
            for frame in reader:
                yield frame.index, frame.time, frame.image
            if reader.stopped_early:
                account.warning = f"{path}: {reader.stopped_early}"
