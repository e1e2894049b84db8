"""Recall of adaptive detection sizes on the project's own test photos, against one fixed size.

The photos are made as the tests make them (``tests/conftest.py``'s ``compose_photo``): real FER2013
PublicTest faces pasted on a smooth background, 640x480, 1280x720 and 1920x1080, with 1 to 6 faces
each of a random size between 6 % and 60 % of the photo's shorter side (several sizes on one photo).
For each setting (``--min-side`` values, each up to ``--max-side``; ``min-side = max-side`` is one
fixed size, the old default): planted faces found (IoU > 0.4 with a detection), extra detections, and
the mean detection ms per photo (2 threads). The WIDER FACE AP of the same settings comes from
``emolens detectors benchmark --data ../shared/data/widerface-val-subset --max-side 1280 --min-side N``.

``--face-px`` asks instead how large a pasted crop must be for each detector to find it: one face per
640x480 photo, each of the 42 faces at each size, one full-size pass (no downscaling, no closer look).

    python benchmarks/bench_detection_sizes.py [--photos 60] [--min-side 1280 160 240 320] [--max-side 1280] [--detector yunet]
    python benchmarks/bench_detection_sizes.py --face-px 24 32 40 48 64 80 100 128 160 [--detector retinaface yunet]
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from emolens.detection import DEFAULT_DETECTOR, create_detector
from emolens.detection.base import Detector, iou
from emolens.labels import FER_CLASSES
from emolens.paths import default_data_path
from emolens.testing.media import compose_photo

SIZES = ((640, 480), (1280, 720), (1920, 1080))


def sample_faces() -> np.ndarray:
    """The first six PublicTest faces of each class (42, grey)."""
    root = default_data_path() / "test"
    return np.stack(
        [
            cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
            for n in FER_CLASSES
            for f in sorted((root / n).glob("PublicTest_*.jpg"))[:6]
        ]
    )


def composed_photos(count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` photos (BGR) with their planted boxes."""
    faces = sample_faces()
    rng = np.random.default_rng(0)
    photos = []
    for k in range(count):
        size = SIZES[k % len(SIZES)]
        n = int(rng.integers(1, 7))
        sides = np.exp(rng.uniform(np.log(0.06), np.log(0.6), n)) * min(size)
        if n > 1:
            sides = np.sort(np.minimum(sides, 0.25 * min(size)))[::-1]  # room for several faces, largest first
        chosen = faces[rng.choice(len(faces), n, replace=False)]
        photos.append(compose_photo(chosen, size=size, face_px=[int(s) for s in sides], seed=k))
    return photos


def found_count(detector: Detector, photos: list[tuple[np.ndarray, np.ndarray]]) -> tuple[int, int]:
    """Planted faces found (IoU > 0.4 with a detection) and detections that match none."""
    found = extra = 0
    for photo, boxes in photos:
        detections = detector.detect_array(photo).boxes
        overlaps = np.array([iou(b, detections) for b in boxes]) if len(detections) else np.zeros((len(boxes), 0))
        found += int((overlaps.max(axis=1, initial=0) > 0.4).sum())
        extra += int((overlaps.max(axis=0, initial=0) <= 0.4).sum())
    return found, extra


def size_sweep(names: list[str], face_px: list[int], threads: int) -> None:
    """Per detector and pasted face size: how many of the 42 faces one full-size pass finds."""
    faces = sample_faces()
    print(f"# one pasted face per 640x480 photo, {len(faces)} faces per size, one pass at 640 px")
    print("| detector | " + " | ".join(f"{px} px" for px in face_px) + " |")
    print("|---|" + "---|" * len(face_px))
    for name in names:
        detector = create_detector(name, min_side=640, max_side=640, threads=threads)
        counts = []
        for px in face_px:
            photos = [compose_photo(face[None], size=(640, 480), face_px=px, seed=k) for k, face in enumerate(faces)]
            counts.append(found_count(detector, photos)[0])
        print(f"| {name} | " + " | ".join(str(c) for c in counts) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--min-side", type=int, nargs="+", default=[1280, 160, 240, 320])
    parser.add_argument("--max-side", type=int, default=1280)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--detector", nargs="+", default=[DEFAULT_DETECTOR], help="Detector(s): see `emolens detectors list`."
    )
    parser.add_argument("--face-px", type=int, nargs="+", help="Sizes of pasted faces to sweep (see above).")
    args = parser.parse_args()
    if args.face_px:
        size_sweep(args.detector, args.face_px, args.threads)
        return
    if len(args.detector) > 1:
        parser.error("give one --detector, or use --face-px")
    name = args.detector[0]
    photos = composed_photos(args.photos)
    planted = sum(len(b) for _, b in photos)
    print(f"# {len(photos)} composed test photos, {planted} planted faces, detection up to {args.max_side} px")
    print(f"| {name}, detection size | faces found | recall | extra detections | ms per photo |")
    print("|---|---|---|---|---|")
    for min_side in args.min_side:
        detector = create_detector(name, min_side=min_side, max_side=args.max_side, threads=args.threads)
        detector.detect_array(photos[0][0])
        started = time.perf_counter()
        found, extra = found_count(detector, photos)
        ms = 1000 * (time.perf_counter() - started) / len(photos)
        size = f"{args.max_side} fixed" if min_side >= args.max_side else f"{min_side} up to {args.max_side}"
        print(f"| {size} | {found} / {planted} | {found / planted:.3f} | {extra} | {ms:.1f} |", flush=True)


if __name__ == "__main__":
    main()
