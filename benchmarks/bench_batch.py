"""Batch throughput: photos/s and faces/s of ``emolens batch`` with the local and Ray engines, 1 vs 2 (and
all) workers, and the scaling per added core; against a plain single-process loop measured in the same run.

* FER2013 face crops (``--faces-are-crops``): every file of the dataset (35,887), or ``--limit N`` of them.
* Composed photos: 1280x720 photos, each with ``--faces-per-photo`` real FER2013 faces pasted at 150 px
  (the YuNet detector runs on every photo).

Throughput is given over the whole run (start-up, listing and summary included) and in steady state
(from the first result to the last). Run it on an idle machine:

    python benchmarks/bench_batch.py                       # full FER2013 + 2,000 composed photos
    python benchmarks/bench_batch.py --limit 2000 --photos 100 --engines local ray --workers 1 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from emolens.batch import BatchProgress, BatchSettings, run_batch
from emolens.batch.engine_local import available_cpus
from emolens.paths import default_data_path
from emolens.testing.media import compose_photo


@dataclass
class Measure:
    case: str
    engine: str
    workers: int
    files: int
    faces: int
    seconds: float
    files_per_s: float
    faces_per_s: float
    steady_files_per_s: float
    steady_faces_per_s: float


class _Clock:
    """Records when the first and the last results arrive (steady-state rate)."""

    def __init__(self) -> None:
        self.first: tuple[float, int, int] | None = None
        self.last: tuple[float, int, int] | None = None

    def __call__(self, p: BatchProgress) -> None:
        if p.done:
            point = (time.perf_counter(), p.done, p.faces)
            self.first = self.first or point
            self.last = point

    def rates(self) -> tuple[float, float]:
        if not self.first or not self.last or self.last[0] <= self.first[0]:
            return 0.0, 0.0
        dt = self.last[0] - self.first[0]
        return (self.last[1] - self.first[1]) / dt, (self.last[2] - self.first[2]) / dt


def measure(case: str, listing: Path, settings: BatchSettings, engine: str, workers: int, work: Path) -> Measure:
    clock = _Clock()
    out = Path(tempfile.mkdtemp(dir=work, prefix=f"{case}-{engine}-{workers}-"))
    started = time.perf_counter()
    report = run_batch([listing], out, settings, engine=engine, workers=workers, progress=clock)
    seconds = time.perf_counter() - started
    steady_files, steady_faces = clock.rates()
    m = Measure(case, engine, workers, report.processed, report.faces, seconds,
                report.processed / seconds, report.faces / seconds, steady_files, steady_faces)  # fmt: skip
    print(f"  {case:6s} {engine:5s} {workers:2d} worker(s): {m.files_per_s:8.1f} files/s {m.faces_per_s:8.1f} faces/s "
          f"(steady {steady_files:8.1f} files/s), {seconds:.1f} s", flush=True)  # fmt: skip
    return m


def baseline(case: str, paths: list[str], settings: BatchSettings) -> Measure:
    """What a user would write without ``emolens batch``: one process, ``analyze_many`` over the paths."""
    rec = settings.recognizer(threads=None)
    started = time.perf_counter()
    results = list(rec.analyze_many(paths))
    seconds = time.perf_counter() - started
    faces = sum(len(r.faces) for r in results)
    print(
        f"  {case:6s} loop  1 process (all threads): {len(paths) / seconds:8.1f} files/s {faces / seconds:8.1f} faces/s"
    )
    return Measure(case, "loop", 1, len(paths), faces, seconds, len(paths) / seconds, faces / seconds, 0.0, 0.0)


def write_list(paths: list[Path], path: Path) -> Path:
    path.write_text("\n".join(str(p) for p in paths) + "\n")
    return path


def composed_photos(data: Path, count: int, faces_per_photo: int, folder: Path) -> list[Path]:
    faces = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((data / "test").glob("*/PublicTest_*.jpg"))]
    rng = np.random.default_rng(0)
    paths = []
    for k in range(count):
        chosen = np.stack([faces[i] for i in rng.choice(len(faces), faces_per_photo, replace=False)])
        photo, _ = compose_photo(chosen, size=(1280, 720), face_px=150, seed=k)
        paths.append(folder / f"photo{k:05d}.jpg")
        cv2.imwrite(str(paths[-1]), photo, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return paths


def scaling(measures: list[Measure]) -> list[dict[str, float | str | int | None]]:
    """Per case and engine: steady files/s of 1 worker, what a 2nd worker adds, and the cores that 1 M files an
    hour need at the 2-worker rate per core (the rate when every core is busy; 1 worker's when only 1 ran)."""
    rows = []
    for case in sorted({m.case for m in measures}):
        for engine in ("local", "ray"):
            by_workers = {m.workers: m for m in measures if m.case == case and m.engine == engine}
            if 1 not in by_workers:
                continue
            one = by_workers[1].steady_files_per_s
            two = by_workers[2].steady_files_per_s if 2 in by_workers else None
            per_core = two / 2 if two else one
            busiest = by_workers[2] if 2 in by_workers else by_workers[1]
            faces_per_core = busiest.steady_faces_per_s / busiest.workers
            rows.append({
                "case": case, "engine": engine, "files_per_s_1_worker": round(one, 1),
                "added_by_2nd_worker": round(two - one, 1) if two else None,
                "efficiency_2_workers": round(two / (2 * one), 2) if two and one else None,
                "files_per_s_per_core": round(per_core, 1), "faces_per_s_per_core": round(faces_per_core, 1),
                "cores_for_1M_per_hour": int(np.ceil(1e6 / 3600 / per_core)) if per_core > 0 else None,
            })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data_path(), help="FER2013 (Kaggle folder layout)")
    parser.add_argument("--limit", type=int, default=None, help="analyse only the first N FER2013 files")
    parser.add_argument("--photos", type=int, default=2000, help="composed multi-face photos")
    parser.add_argument("--faces-per-photo", type=int, default=6)
    parser.add_argument("--engines", nargs="+", default=["local", "ray"], choices=["local", "ray"])
    parser.add_argument("--workers", nargs="+", type=int, default=sorted({1, 2, available_cpus()}))
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        crops = sorted((args.data / "train").glob("*/*.jpg")) + sorted((args.data / "test").glob("*/*.jpg"))
        crops = crops[: args.limit] if args.limit else crops
        (work / "photos").mkdir()
        print(f"composing {args.photos} photos with {args.faces_per_photo} faces each", flush=True)
        photos = composed_photos(args.data, args.photos, args.faces_per_photo, work / "photos")
        cases = {
            "crops": (write_list(crops, work / "crops.txt"), BatchSettings(faces_are_crops=True), crops),
            "photos": (write_list(photos, work / "photos.txt"), BatchSettings(), photos),
        }
        if "ray" in args.engines:
            from emolens.batch.engine_ray import connect

            connect(workers=max(args.workers))
        print(f"{len(crops):,} FER2013 crops, {len(photos):,} photos; {available_cpus()} CPU(s) here")
        measures = []
        for case, (listing, settings, paths) in cases.items():
            measures.append(baseline(case, [str(p) for p in paths], settings))
            for engine in args.engines:
                for workers in args.workers:
                    measures.append(measure(case, listing, settings, engine, workers, work))
        rows = scaling(measures)
    print("\n| case | engine | workers | files | faces | s | files/s | faces/s | steady files/s | x loop |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    loops = {m.case: m.files_per_s for m in measures if m.engine == "loop"}
    for m in measures:
        print(f"| {m.case} | {m.engine} | {m.workers} | {m.files:,} | {m.faces:,} | {m.seconds:.1f} | "
              f"{m.files_per_s:,.1f} | {m.faces_per_s:,.1f} | {m.steady_files_per_s:,.1f} | "
              f"{m.files_per_s / loops[m.case]:.2f} |")  # fmt: skip
    print("\n| case | engine | files/s, 1 worker | added by a 2nd worker | 2-worker efficiency | files/s per core "
          "| faces/s per core | cores for 1 M files/hour |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        cells = ("-" if v is None else v if isinstance(v, str) else f"{v:,}" for v in r.values())
        print("| " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps({"measures": [asdict(m) for m in measures], "scaling": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
