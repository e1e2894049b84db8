"""Synthetic photos and videos made of real faces, with the true box of every face (for tests,
benchmarks and examples).

    from emolens.testing.media import compose_photo, make_video
    photo, boxes = compose_photo(faces, size=(640, 480), face_px=150)      # faces: (N, 48, 48) grey
    video = make_video("clip.mp4", faces, seconds=3.0, audio=True)         # video.boxes: (frames, N, 4)

The faces are pasted on a smooth colour gradient (:func:`background`); videos are written with PyAV as
H.264, optionally with a sine-wave audio track and an occluder that hides one face for a while, or with
the faces moved along given paths (a street scene of ``emolens.evaluation.tracking``).
:func:`read_timeline` reads a timeline CSV back as columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np


@dataclass
class SyntheticVideo:
    """The file, and per frame the planted boxes (frames, faces, 4) and whether each face is visible."""

    path: Path
    boxes: np.ndarray
    visible: np.ndarray
    fps: float


def background(size: tuple[int, int]) -> np.ndarray:
    """A smooth colour gradient (BGR, ``size`` = (width, height)): the scene the faces are placed on."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([(60 + 80 * xx / w), (90 + 60 * yy / h), (120 + 40 * (xx + yy) / (w + h))], axis=-1).astype(
        np.uint8
    )


def paths(count: int, size: tuple[int, int], face_px: int, frames: int, fps: float) -> np.ndarray:
    """Boxes (frames, count, 4): each face drifts inside its own cell of a grid (no overlaps)."""
    w, h = size
    cols = int(np.ceil(np.sqrt(count * w / h)))
    rows = int(np.ceil(count / cols))
    cell_w, cell_h = w / cols, h / rows
    t = np.arange(frames) / fps
    boxes = np.zeros((frames, count, 4), np.float32)
    for k in range(count):
        r, c = divmod(k, cols)
        room_x, room_y = max(cell_w - face_px, 0) / 2, max(cell_h - face_px, 0) / 2
        cx = c * cell_w + cell_w / 2 + room_x * np.sin(2 * np.pi * t / 2.5 + k)
        cy = r * cell_h + cell_h / 2 + room_y * np.sin(2 * np.pi * t / 3.5 + 2 * k)
        boxes[:, k] = np.stack([cx - face_px / 2, cy - face_px / 2, cx + face_px / 2, cy + face_px / 2], axis=1)
    return np.round(boxes)


def paste(canvas: np.ndarray, face: np.ndarray, box: np.ndarray) -> None:
    """Draw ``face`` resized to fill ``box`` (x1, y1, x2, y2) on ``canvas``, cut at its edges."""
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    if x2 <= x1 or y2 <= y1:
        return
    big = cv2.resize(face, (x2 - x1, y2 - y1), interpolation=cv2.INTER_CUBIC)
    h, w = canvas.shape[:2]
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if cx2 > cx1 and cy2 > cy1:
        canvas[cy1:cy2, cx1:cx2] = big[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]


def compose_photo(
    faces: np.ndarray, size: tuple[int, int] = (1280, 720), face_px: int | Sequence[int] = 150, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Paste grey 48x48 faces, upscaled to ``face_px`` (one size for all, or one per face), on a smooth
    colour background at random non-overlapping places. Returns the BGR photo and the pasted boxes
    (x1, y1, x2, y2)."""
    rng = np.random.default_rng(seed)
    w, h = size
    photo = background(size)
    boxes: list[tuple[int, int, int, int]] = []
    sizes = [face_px] * len(faces) if isinstance(face_px, int) else list(face_px)
    for face, side in zip(faces, sizes, strict=True):
        for _ in range(500):
            x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
            box = (x, y, x + side, y + side)
            gap = side // 3
            if all(x + side + gap < b[0] or b[2] + gap < x or y + side + gap < b[1] or b[3] + gap < y for b in boxes):
                break
        else:
            raise ValueError("no room for another face; use a larger canvas")
        big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        photo[y : y + side, x : x + side] = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
        boxes.append(box)
    return photo, np.array(boxes, dtype=np.float32)


def make_video(
    path: str | Path,
    faces: np.ndarray,
    *,
    size: tuple[int, int] = (480, 360),
    face_px: int = 128,
    seconds: float = 3.0,
    fps: float = 25.0,
    audio: bool = False,
    hide: tuple[int, float, float] | None = None,
    faststart: bool = False,
    boxes: np.ndarray | None = None,
    visible: np.ndarray | None = None,
) -> SyntheticVideo:
    """Write (N, 48, 48) grey ``faces`` moving over a background as H.264. ``hide=(face, start, end)``
    covers one face with a grey block between two times (seconds); ``audio`` adds a 440 Hz AAC track;
    ``faststart`` puts the MP4 index first (so a truncated copy can still be decoded). ``boxes`` (frames,
    N, 4) and ``visible`` (frames, N) plant the faces along given paths instead of ``paths``: each face
    fills its box (cut at the edges), larger faces over smaller ones, and is left out where not visible
    (``face_px`` and ``seconds`` are then unused)."""
    path = Path(path)
    if boxes is None:
        frames = round(seconds * fps)
        boxes = paths(len(faces), size, face_px, frames, fps) if len(faces) else np.zeros((frames, 0, 4), np.float32)
    frames = len(boxes)
    visible = np.ones(boxes.shape[:2], bool) if visible is None else visible.copy()
    grey = [cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) for f in faces]
    nearer_last = np.argsort((boxes[..., 3] - boxes[..., 1]).mean(0), kind="stable")
    base = background(size)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        stream = out.add_stream("libx264", rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        sound = out.add_stream("aac", rate=16000, layout="mono") if audio else None
        samples_done = 0
        for i in range(frames):
            canvas = base.copy()
            for k in nearer_last:
                if visible[i, k]:
                    paste(canvas, grey[k], boxes[i, k])
                if hide and hide[0] == k and hide[1] <= i / fps < hide[2]:
                    x1, y1, x2, y2 = (int(v) for v in boxes[i, k])
                    canvas[y1 - 10 : y2 + 10, max(x1 - 10, 0) : x2 + 10] = 128
                    visible[i, k] = False
            frame = av.VideoFrame.from_ndarray(canvas, format="bgr24")
            frame.pts = i
            out.mux(stream.encode(frame))
            while sound is not None and samples_done < (i + 1) / fps * 16000:
                t = (samples_done + np.arange(1024)) / 16000
                chunk = av.AudioFrame.from_ndarray(
                    (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None], format="flt", layout="mono"
                )
                chunk.sample_rate, chunk.pts = 16000, samples_done
                out.mux(sound.encode(chunk))
                samples_done += 1024
        out.mux(stream.encode(None))
        if sound is not None:
            out.mux(sound.encode(None))
    return SyntheticVideo(path, boxes, visible, fps)


def read_timeline(path: Path) -> dict[str, np.ndarray]:
    """A timeline CSV as columns."""
    import pyarrow.csv as pa_csv

    table = pa_csv.read_csv(path)
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
