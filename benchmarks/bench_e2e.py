"""End-to-end photo analysis latency, 2 threads: decode -> detect -> crop -> classify.

* One 640x480 JPEG with one face (scikit-image's public-domain astronaut photo, resized), per
  detector setting: median total ms and the split between the four stages. Goal <= 10 ms.
* A 1920x1080 photo with 20 real FER2013 faces against 20 calls on a one-face photo, and batched
  classification of its 20 crops against a per-face loop, both measured in the same run.

    python benchmarks/bench_e2e.py [--repeats 50] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from skimage import data as skdata

from emolens import EmotionRecognizer
from emolens.data import load_dataset
from emolens.detection import list_detectors

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import compose_photo


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def one_face_jpeg() -> bytes:
    photo = cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR)
    canvas = cv2.resize(photo, (480, 480))
    canvas = cv2.copyMakeBorder(canvas, 0, 0, 80, 80, cv2.BORDER_REFLECT)
    return cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    jpeg = one_face_jpeg()
    print(f"# one 640x480 JPEG, one face, {args.threads} threads, median of {args.repeats}")
    print("| detector | detection size | total ms | decode | detect | crop | classify | faces |")
    print("|---|---|---|---|---|---|---|---|")
    for name in (n for n in list_detectors() if n != "whole-image"):
        for side in (640, 320):
            rec = EmotionRecognizer(detector=name, max_side=side, threads=args.threads)
            rec.analyze(jpeg)
            runs = [rec.analyze(jpeg) for _ in range(args.repeats)]
            split = {k: statistics.median(r.timings[k] for r in runs) for k in ("decode", "detect", "crop", "classify")}
            total = median_ms(lambda rec=rec: rec.analyze(jpeg), args.repeats)
            print(
                f"| {name} | {side} | **{total:.1f}** | {split['decode']:.2f} | {split['detect']:.2f} | {split['crop']:.2f} | {split['classify']:.2f} | {len(runs[0].faces)} |",
                flush=True,
            )

    faces = load_dataset().split("val").images[:200:10]
    crowd, _ = compose_photo(faces, size=(1920, 1080), face_px=140, seed=3)
    single, _ = compose_photo(faces[:1], size=(1920, 1080), face_px=140, seed=3)
    rec = EmotionRecognizer(threads=args.threads)
    found = len(rec.analyze(crowd).faces)
    crowd_ms = median_ms(lambda: rec.analyze(crowd), max(5, args.repeats // 5))
    single_ms = median_ms(lambda: rec.analyze(single), max(5, args.repeats // 5))
    crops = rec.analyze(crowd).faces
    crop_array = np.stack([cv2.resize(f, (48, 48)) for f in faces])
    batched = median_ms(lambda: rec.classify(crop_array), args.repeats)
    loop = median_ms(lambda: [rec.classify(c[None]) for c in crop_array], args.repeats)
    print(f"\n# 1920x1080 photo with 20 faces ({found} found, {len(crops)} classified)")
    print("| measurement | ms | ratio |")
    print("|---|---|---|")
    print(f"| one photo with 20 faces | {crowd_ms:.1f} | x{crowd_ms / (20 * single_ms):.2f} of 20 single-face calls |")
    print(f"| 20 calls on a one-face photo | {20 * single_ms:.1f} | 1 |")
    print(f"| classify 20 crops in one batch | {batched:.2f} | x{loop / batched:.1f} faster than a per-face loop |")
    print(f"| classify 20 crops one by one | {loop:.2f} | 1 |")


if __name__ == "__main__":
    main()
