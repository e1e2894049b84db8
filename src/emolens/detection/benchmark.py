"""Benchmark detectors on an annotated WIDER FACE subset: precision, recall and AP at IoU 0.5 on
faces above a minimum height (all faces; 20 px, the smallest the product keeps by default; 32 and
48 px), milliseconds per image at several thread counts, and a PR plot.

Ground-truth faces that are marked invalid or smaller than the minimum height are ignore regions:
detecting them is neither a hit nor a false alarm; nor is an unmatched detection smaller than the
minimum height (COCO's rule for size ranges).

``min_face`` scores what ``analyze`` returns rather than the detector's raw output: detections whose
longer side is under it are dropped first, as the product's ``min_face`` option (default 20 px) does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emolens.charts.figures import new_figure, save_figure
from emolens.detection.base import (
    DEFAULT_MIN_FACE,
    DEFAULT_MIN_SIDE,
    DetectionArray,
    check_min_face,
    create_detector,
    detector_class,
    iou,
)
from emolens.errors import DataError
from emolens.imageio import read_image

GT_FILE = "wider_face_val_bbx_gt.txt"


@dataclass(frozen=True)
class GroundTruth:
    """Annotated faces of one image: boxes (N, 4) as x1, y1, x2, y2 and a validity flag."""

    path: Path
    boxes: np.ndarray
    valid: np.ndarray


def read_widerface(root: str | Path) -> list[GroundTruth]:
    """Parse ``wider_face_val_bbx_gt.txt`` under ``root`` (images under ``root/images``)."""
    root = Path(root)
    gt_path = root / GT_FILE
    if not gt_path.is_file():
        raise DataError(f"{root}: no {GT_FILE} (expected a WIDER FACE folder with images/ and the ground truth)")
    lines = [line.strip() for line in gt_path.read_text().splitlines()]
    out, i = [], 0
    while i < len(lines):
        name, count = lines[i], int(lines[i + 1])
        rows = lines[i + 2 : i + 2 + max(count, 1)]
        i += 2 + max(count, 1)
        values = np.array([[float(v) for v in r.split()[:8]] for r in rows[:count]], dtype=np.float32).reshape(-1, 8)
        boxes = np.column_stack([values[:, 0], values[:, 1], values[:, 0] + values[:, 2], values[:, 1] + values[:, 3]])
        valid = (values[:, 7] == 0) & (values[:, 2] > 0) & (values[:, 3] > 0)
        out.append(GroundTruth(root / "images" / name, boxes, valid))
    return out


def match(detections: DetectionArray, gt: GroundTruth, min_height: float, min_iou: float = 0.5) -> np.ndarray:
    """Per detection (best first): 1 hit, 0 false alarm, -1 ignored (it matches an ignore region, or it is
    unmatched and smaller than ``min_height``, as COCO does for size ranges)."""
    care = gt.valid & ((gt.boxes[:, 3] - gt.boxes[:, 1]) >= min_height)
    taken = np.zeros(len(gt.boxes), dtype=bool)
    outcome = np.zeros(len(detections), dtype=np.int8)
    for k, box in enumerate(detections.boxes):
        overlaps = iou(box, gt.boxes) if len(gt.boxes) else np.empty(0)
        candidates = np.where(care & ~taken, overlaps, -1.0)
        if len(candidates) and candidates.max() >= min_iou:
            taken[int(candidates.argmax())] = True
            outcome[k] = 1
        elif (len(overlaps) and np.where(~care, overlaps, -1.0).max() >= min_iou) or box[3] - box[1] < min_height:
            outcome[k] = -1
    return outcome


def average_precision(scores: np.ndarray, hits: np.ndarray, positives: int) -> tuple[float, np.ndarray, np.ndarray]:
    """VOC all-point AP, with the precision and recall curves."""
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(hits[order] == 1)
    fp = np.cumsum(hits[order] == 0)
    recall = tp / max(positives, 1)
    precision = tp / np.maximum(tp + fp, 1)
    envelope = np.maximum.accumulate(np.concatenate([precision, [0.0]])[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope[:-1])), precision, recall


@dataclass
class DetectorScore:
    """One detector on one face-size subset."""

    detector: str
    min_height: int
    min_face: int
    faces: int
    ap: float
    precision: float
    recall: float
    score_threshold: float
    ms_per_image: dict[int, float] = field(default_factory=dict)
    curve: tuple[np.ndarray, np.ndarray] | None = None

    def row(self) -> dict[str, object]:
        return {
            "detector": self.detector, "min_height": self.min_height, "min_face": self.min_face, "faces": self.faces, "ap": round(self.ap, 4),
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "score_threshold": self.score_threshold,
            **{f"ms_{t}_threads": round(v, 2) for t, v in self.ms_per_image.items()},
        }  # fmt: skip


def time_detector(
    name: str, images: Sequence[np.ndarray], threads: int, max_side: int, min_side: int, repeats: int = 1
) -> float:
    """Mean milliseconds per image of ``detect`` (decoding excluded)."""
    detector = create_detector(name, threads=threads, max_side=max_side, min_side=min_side)
    detector.detect_array(images[0])
    started = time.perf_counter()
    for _ in range(repeats):
        for image in images:
            detector.detect_array(image)
    return 1000 * (time.perf_counter() - started) / (repeats * len(images))


def benchmark(
    names: Sequence[str],
    data: str | Path,
    *,
    max_side: int = 640,
    min_side: int = DEFAULT_MIN_SIDE,
    min_heights: Sequence[int] = (0, DEFAULT_MIN_FACE, 32, 48),
    thread_counts: Sequence[int] = (1, 2),
    min_face: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[DetectorScore]:
    """Score and time each named detector on the WIDER FACE subset at ``data`` (detection sizes from
    ``min_side`` up to ``max_side``, as in :class:`~emolens.detection.base.Detector`), keeping only detections
    of at least ``min_face`` pixels."""
    check_min_face(min_face)
    truth = read_widerface(data)
    images = [read_image(t.path) for t in truth]
    scores: list[DetectorScore] = []
    for name in names:
        if progress:
            progress(f"{name}: detecting")
        detector = create_detector(name, max_side=max_side, min_side=min_side, threads=max(thread_counts))
        found = [detector.detect_array(image, score_threshold=0.02).at_least(min_face) for image in images]
        timings = {}
        for threads in thread_counts:
            if progress:
                progress(f"{name}: timing with {threads} thread(s)")
            timings[threads] = time_detector(name, images, threads, max_side, min_side)
        default = detector_class(name).default_score_threshold
        for min_height in min_heights:
            outcomes = [match(d, t, min_height) for d, t in zip(found, truth, strict=True)]
            positives = int(sum((t.valid & ((t.boxes[:, 3] - t.boxes[:, 1]) >= min_height)).sum() for t in truth))
            all_scores = np.concatenate([d.scores for d in found])
            all_hits = np.concatenate(outcomes)
            ap, precision_curve, recall_curve = average_precision(all_scores, all_hits, positives)
            kept = all_scores >= default
            tp = int((all_hits[kept] == 1).sum())
            fp = int((all_hits[kept] == 0).sum())
            scores.append(
                DetectorScore(
                    name,
                    min_height,
                    min_face,
                    positives,
                    ap,
                    tp / max(tp + fp, 1),
                    tp / max(positives, 1),
                    default,
                    timings,
                    (precision_curve, recall_curve),
                )
            )
    return scores


def plot_pr(scores: Sequence[DetectorScore], path: Path) -> Path:
    """Precision-recall curves, one panel per face-size subset."""
    heights = sorted({s.min_height for s in scores})
    fig, axes = new_figure(1, len(heights), size=(4.6 * len(heights), 4.2))
    for ax, height in zip(np.atleast_1d(axes), heights, strict=True):
        for score in (s for s in scores if s.min_height == height and s.curve is not None):
            precision, recall = score.curve  # type: ignore[misc]
            ax.plot(recall, precision, label=f"{score.detector} (AP {score.ap:.3f})")
        ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        ax.set_title("all valid faces" if height == 0 else f"faces >= {height} px high")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left")
    return save_figure(fig, path)
