"""Video processing speed (frames per second) on synthetic clips of real FER2013 faces moving over a
background: 640x480 with 1 face and with 5 faces, and 1920x1080 with 1 face.

For each clip, in the same run:
* ``decode only``: PyAV decoding to BGR arrays, the ceiling for any analysis;
* ``photo loop``: ``rec.analyze(frame)`` on every frame, the way peers' demo loops work (no tracking,
  no batching, no smoothing): the baseline;
* ``video, detect every k``: ``rec.analyze_video`` (tracking, batched classification, smoothing), with
  the detector on every frame (k=1, the default) and every k-th frame;
* ``+ outputs``: ``run_video_job`` writing the annotated H.264 video, timeline CSV, summary and report.

Goal: >= 60 FPS for 1 face at 640x480 with the default settings (k=1) on 2 cores.

The detector starts at the recognizer's default ``min_side`` and looks closer up to ``--max-side``.

    python benchmarks/bench_video.py [--threads 2] [--seconds 10] [--every 3] [--max-side 1280] [--clips 0 1 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from emolens import EmotionRecognizer
from emolens.cpu import describe_cpu
from emolens.detection.base import DEFAULT_MAX_SIDE, DEFAULT_MIN_SIDE
from emolens.labels import FER_CLASSES
from emolens.paths import default_data_path
from emolens.testing.media import make_video
from emolens.video.analysis import run_video_job
from emolens.video.io import iter_video_frames

CLIPS = [("640x480, 1 face", (640, 480), 1, 160), ("640x480, 5 faces", (640, 480), 5, 120),
         ("1920x1080, 1 face", (1920, 1080), 1, 400)]  # fmt: skip


def real_faces(count: int) -> np.ndarray:
    """``count`` PublicTest faces of different classes."""
    root = default_data_path() / "test"
    names = [FER_CLASSES[k % len(FER_CLASSES)] for k in (3, 6, 4, 0, 5)][:count]
    return np.stack(
        [cv2.imread(str(sorted((root / n).glob("PublicTest_*.jpg"))[0]), cv2.IMREAD_GRAYSCALE) for n in names]
    )


def fps_of(run, frames: int) -> float:
    started = time.perf_counter()
    run()
    return frames / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--every", type=int, default=3, help="the k of 'detect every k-th frame'")
    parser.add_argument(
        "--max-side", type=int, default=DEFAULT_MAX_SIDE, help="largest detection size (default: as `emolens video`)"
    )
    parser.add_argument("--clips", type=int, nargs="+", default=[0, 1, 2], help="Which clips (0: 640x480 1 face).")
    args = parser.parse_args()
    rec = EmotionRecognizer(threads=args.threads, max_side=args.max_side)
    print(
        f"# frames per second, {args.threads} threads, detection from {DEFAULT_MIN_SIDE} up to {args.max_side} px, "
        f"{args.seconds:.0f} s clips at 30 fps (higher is better); {describe_cpu()}"
    )
    print("| clip | decode only | photo loop (baseline) | video, detect every 1 | "
          f"video, detect every {args.every} | every 1 + outputs | every 1 vs baseline |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, size, count, face_px in (CLIPS[k] for k in args.clips):
            clip = make_video(
                Path(tmp) / f"{size[0]}_{count}.mp4", real_faces(count), size=size, face_px=face_px,
                seconds=args.seconds, fps=30, audio=True,
            )  # fmt: skip
            frames = len(clip.boxes)
            next(iter(rec.analyze_video(clip.path)))  # load the model and detector, warm the caches
            decode = fps_of(lambda c=clip: [f.image for f in iter_video_frames(c.path)], frames)
            loop = fps_of(lambda c=clip: [rec.analyze(f.image) for f in iter_video_frames(c.path)], frames)
            every1 = fps_of(lambda c=clip: rec.analyze_video(c.path).summary, frames)
            every_k = fps_of(lambda c=clip: rec.analyze_video(c.path, detect_every=args.every).summary, frames)
            outputs = fps_of(lambda c=clip: run_video_job(rec, c.path, Path(tmp) / "out"), frames)
            print(f"| {name} | {decode:.0f} | {loop:.1f} | {every1:.1f} | {every_k:.1f} | {outputs:.1f} | "
                  f"{every1 / loop:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
