"""ID stability of the face tracker on synthetic street scenes with known identities.

Each row sums ``--clips`` scenes of ``emolens.evaluation.tracking.street_scene`` (6 s at 25 fps, 6-10
faces of 40-120 px walking, crossing, entering and leaving, hidden for moments, with detector misses,
box jitter and false alarms) at one frame size, tracked with the detector on every k-th frame (k = 1, 2,
3). ``--video`` adds rows for the real pipeline (``rec.analyze_video`` with YuNet on frames downscaled to
``--max-side`` px, 640 as in ``emolens video``) on one such scene rendered with real FER2013 faces.

Columns: people seen; tracks reported; short tracks (left out of summaries and reports); tracks left
in summaries; ID switches (a person's matched track ID changes); fragments (tracks per person beyond
the first); merges (people per track beyond the first); false tracks (never on a person); coverage
(visible face-frames reported under some track).

    python benchmarks/bench_tracking.py [--clips 20] [--video] [--max-side 640] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np

from emolens import EmotionRecognizer
from emolens.evaluation.tracking import IdentityScore, Scene, score_identities, street_scene, track_scene
from emolens.labels import FER_CLASSES
from emolens.paths import default_data_path
from emolens.testing.media import make_video
from emolens.video.summary import MIN_TRACK_SECONDS

SIZES = ((1280, 720), (1920, 1080))
EVERY = (1, 2, 3)


def row(label: str, every: int, score: IdentityScore) -> str:
    return (
        f"| {label} | {every} | {score.identities} | {score.tracks} | {score.short} | {score.tracks - score.short} | "
        f"{score.switches} | {score.fragments} | {score.merges} | {score.false_tracks} | {100 * score.coverage:.1f} % |"
    )


def real_faces(count: int) -> np.ndarray:
    """``count`` PublicTest faces, going round the classes."""
    root = default_data_path() / "test"
    files = [sorted((root / FER_CLASSES[k % 7]).glob("PublicTest_*.jpg"))[k // 7] for k in range(count)]
    return np.stack([cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files])


def real_pipeline(scene: Scene, max_side: int, threads: int) -> list[tuple[int, IdentityScore, int]]:
    """Per k: the scores of ``analyze_video`` on ``scene`` rendered as H.264, and its summary's track count."""
    rec = EmotionRecognizer(threads=threads, max_side=max_side)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_video(
            Path(tmp) / "street.mp4", real_faces(scene.boxes.shape[1]), size=scene.size, fps=scene.fps,
            boxes=scene.boxes, visible=scene.visible,
        )  # fmt: skip
        for every in EVERY:
            analysis = rec.analyze_video(clip.path, detect_every=every)
            faces = [(r.index, f.track, f.box) for r in analysis for f in r.faces]
            frames, tracks, boxes = (np.array(column) for column in zip(*faces, strict=True))
            score = score_identities(scene.boxes, scene.visible, scene.fps, frames, tracks, boxes.reshape(-1, 4))
            out.append((every, score, len(analysis.summary.tracks)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=20, help="scenes per row (seeds 0, 1, ...)")
    parser.add_argument("--video", action="store_true", help="also run the real pipeline on one rendered scene")
    parser.add_argument("--scene", type=int, default=0, help="the seed of the scene --video renders")
    parser.add_argument("--max-side", type=int, default=640, help="detection size for --video")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"# {args.clips} synthetic street scenes per row; short tracks: under {MIN_TRACK_SECONDS} s")
    print("| frame size | detect every | people | tracks | short tracks | in summaries | ID switches | fragments "
          "| merges | false tracks | coverage |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in SIZES:
        scenes = [street_scene(seed, size) for seed in range(args.clips)]
        for every in EVERY:
            score = sum(
                (score_identities(s.boxes, s.visible, s.fps, *track_scene(s, every)) for s in scenes), IdentityScore()
            )
            print(row(f"{size[0]}x{size[1]}", every, score), flush=True)
    if args.video:
        scene = street_scene(args.scene, SIZES[0])
        label = f"{SIZES[0][0]}x{SIZES[0][1]}, scene {args.scene}: real faces, detection at {args.max_side} px"
        for every, score, summarised in real_pipeline(scene, args.max_side, args.threads):
            assert summarised == score.tracks - score.short, "the summary and the short-track count disagree"
            print(row(label, every, score), flush=True)


if __name__ == "__main__":
    main()
