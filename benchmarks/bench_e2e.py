"""End-to-end photo analysis latency: decode -> colour -> resize -> detect -> crop -> classify -> results.

* One 640x480 JPEG with one face (scikit-image's public-domain astronaut photo, resized), per detector
  setting: total ms (median and minimum of ``--repeats`` calls: a median far above the minimum is
  call-to-call variance) and the split between the stages of the same calls. ``colour`` and ``resize``
  are the detector's own conversions (timed inside the real call), ``detect`` its network, ``crop`` the
  grey, square, resized face crops, ``results`` the rest (building the result and its dictionary).
  Goal <= 10 ms median with default settings on 2 cores.
* With ``--models``, the default settings again with other classifiers (bundled names or .onnx files,
  e.g. a larger network that would replace ``default``), in the same run.
* With ``--fer-python`` (a Python that has the ``fer`` package, installed apart from emolens), ``fer``'s
  ``FER().detect_emotions`` on the same photo in a subprocess, measured the same way in the same run.
* A 1920x1080 photo with 20 real FER2013 faces against 20 calls on a one-face photo, and batched
  classification of its 20 crops against a per-face loop, both measured in the same run.

    python benchmarks/bench_e2e.py [--repeats 200] [--threads 2] [--models fast runs/m/model.onnx]
                                   [--fer-python /work/fervenv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np
from skimage import data as skdata

import emolens.detection.base
import emolens.detection.detectors
from emolens import EmotionRecognizer
from emolens.cpu import describe_cpu
from emolens.data import load_dataset
from emolens.detection import DEFAULT_DETECTOR
from emolens.detection.base import DEFAULT_MAX_SIDE, DEFAULT_MIN_SIDE
from emolens.testing.media import compose_photo

STAGES = ("decode", "colour", "resize", "detect", "crop", "classify", "results")

#: Run in ``--fer-python``: time ``FER().detect_emotions`` on the photo in argv[1]; print JSON.
FER_SCRIPT = """
import json, sys, time
import cv2
from fer.fer import FER
image = cv2.imread(sys.argv[1])
repeats = int(sys.argv[2])
detector = FER()
faces = detector.detect_emotions(image)
times = []
for _ in range(repeats):
    started = time.perf_counter()
    detector.detect_emotions(image)
    times.append(1000 * (time.perf_counter() - started))
print(json.dumps({"times": times, "faces": len(faces)}))
"""


class TimedCv2:
    """``cv2`` for a detector module, adding up the time of its ``resize`` and ``cvtColor`` calls."""

    def __init__(self, module: ModuleType, spent: dict[str, float]):
        self._module = module
        self._spent = spent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def _timed(self, stage: str, fn: Callable[..., np.ndarray], *args: Any, **kwargs: Any) -> np.ndarray:
        started = time.perf_counter()
        out = fn(*args, **kwargs)
        self._spent[stage] += 1000 * (time.perf_counter() - started)
        return out

    def resize(self, *args: Any, **kwargs: Any) -> np.ndarray:
        return self._timed("resize", self._module.resize, *args, **kwargs)

    def cvtColor(self, *args: Any, **kwargs: Any) -> np.ndarray:  # noqa: N802 - OpenCV's name
        return self._timed("colour", self._module.cvtColor, *args, **kwargs)


@contextmanager
def detector_stages() -> Iterator[dict[str, float]]:
    """Time the detector modules' colour conversions and resizes while inside (reset it per call)."""
    spent = {"colour": 0.0, "resize": 0.0}
    modules = (emolens.detection.base, emolens.detection.detectors)
    for module in modules:
        module.cv2 = TimedCv2(cv2, spent)  # type: ignore[attr-defined]
    try:
        yield spent
    finally:
        for module in modules:
            module.cv2 = cv2  # type: ignore[attr-defined]


def median_ms(fn: Callable[[], object], repeats: int) -> float:
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


def staged_calls(rec: EmotionRecognizer, jpeg: bytes, repeats: int) -> tuple[list[float], dict[str, list[float]], int]:
    """Totals (ms) of ``repeats`` ``analyze(jpeg).to_dict()`` calls, each one's stages, and faces found."""
    rec.analyze(jpeg).to_dict()
    totals: list[float] = []
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    with detector_stages() as spent:
        for _ in range(repeats):
            spent.update(colour=0.0, resize=0.0)
            started = time.perf_counter()
            result = rec.analyze(jpeg)
            result.to_dict()
            total = 1000 * (time.perf_counter() - started)
            t = result.timings
            split = {
                **spent, "decode": t["decode"], "detect": t["detect"] - spent["colour"] - spent["resize"],
                "crop": t["crop"], "classify": t["classify"],
            }  # fmt: skip
            split["results"] = total - sum(split.values())
            totals.append(total)
            for stage in STAGES:
                stages[stage].append(split[stage])
    return totals, stages, len(result.faces)


def fer_times(python: str, jpeg: bytes, repeats: int) -> tuple[list[float], int]:
    """``fer``'s per-call ms on the photo, run by ``python`` (a separate environment), and faces found."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "photo.jpg"
        path.write_bytes(jpeg)
        done = subprocess.run(
            [python, "-c", FER_SCRIPT, str(path), str(repeats)], capture_output=True, text=True, check=True
        )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["times"], out["faces"]


def photo_table(jpeg: bytes, args: argparse.Namespace) -> None:
    settings = [
        (DEFAULT_DETECTOR, DEFAULT_MIN_SIDE, DEFAULT_MAX_SIDE, None, "default"),
        ("yunet", DEFAULT_MIN_SIDE, DEFAULT_MAX_SIDE, None, "default sizes (the default detector before)"),
        ("yunet", DEFAULT_MAX_SIDE, DEFAULT_MAX_SIDE, None, "fixed size (first version)"),
        *((DEFAULT_DETECTOR, DEFAULT_MIN_SIDE, DEFAULT_MAX_SIDE, m, f"default, classifier {m}") for m in args.models),
    ]
    print(
        f"# one 640x480 JPEG, one face, {args.threads} threads, {args.repeats} calls: median (min) ms; {describe_cpu()}"
    )
    print(f"| detector | detection size | total | {' | '.join(STAGES)} | faces |")
    print("|---|---|---|" + "---|" * len(STAGES) + "---|")
    for name, min_side, max_side, model, what in settings:
        rec = EmotionRecognizer(model, detector=name, min_side=min_side, max_side=max_side, threads=args.threads)
        totals, stages, faces = staged_calls(rec, jpeg, args.repeats)
        size = f"{max_side}" if min_side >= max_side else f"{min_side} up to {max_side}"
        cells = " | ".join(f"{statistics.median(stages[s]):.2f} ({min(stages[s]):.2f})" for s in STAGES)
        total = f"**{statistics.median(totals):.2f}** ({min(totals):.2f})"
        print(f"| {name} | {size}, {what} | {total} | {cells} | {faces} |", flush=True)
    if args.fer_python:
        times, faces = fer_times(args.fer_python, jpeg, args.repeats)
        blank = " | ".join("" for _ in STAGES)
        total = f"**{statistics.median(times):.2f}** ({min(times):.2f})"
        print(f"| fer (Haar + mini-Xception) | fer's | {total} | {blank} | {faces} |", flush=True)


def crowd_table(args: argparse.Namespace) -> None:
    faces = load_dataset().split("val").images[:200:10]
    crowd, _ = compose_photo(faces, size=(1920, 1080), face_px=140, seed=3)
    single, _ = compose_photo(faces[:1], size=(1920, 1080), face_px=140, seed=3)
    rec = EmotionRecognizer(threads=args.threads)
    found = len(rec.analyze(crowd).faces)
    crowd_ms = median_ms(lambda: rec.analyze(crowd), max(5, args.repeats // 10))
    single_ms = median_ms(lambda: rec.analyze(single), max(5, args.repeats // 10))
    crop_array = np.stack([cv2.resize(f, (48, 48)) for f in faces])
    batched = median_ms(lambda: rec.classify(crop_array), args.repeats)
    loop = median_ms(lambda: [rec.classify(c[None]) for c in crop_array], args.repeats)
    print(f"\n# 1920x1080 photo with 20 faces ({found} found), default settings, median ms")
    print("| measurement | ms | ratio |")
    print("|---|---|---|")
    print(f"| one photo with 20 faces | {crowd_ms:.1f} | x{crowd_ms / (20 * single_ms):.2f} of 20 single-face calls |")
    print(f"| 20 calls on a one-face photo | {20 * single_ms:.1f} | 1 |")
    print(f"| classify 20 crops in one batch | {batched:.2f} | x{loop / batched:.1f} faster than a per-face loop |")
    print(f"| classify 20 crops one by one | {loop:.2f} | 1 |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fer-python", help="A Python with the fer package (a separate venv), to compare.")
    parser.add_argument("--models", nargs="*", default=[], help="Other classifiers to time with default settings.")
    parser.add_argument("--no-crowd", action="store_true", help="Only the one-face photo.")
    args = parser.parse_args()
    photo_table(one_face_jpeg(), args)
    if not args.no_crowd:
        crowd_table(args)


if __name__ == "__main__":
    main()
