"""The Ray engine runs the same per-batch function as the local one and gives the same results."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from emolens.batch import BatchProcessor, BatchSettings, collect_inputs, load_results, run_batch
from emolens.batch.job import make_batches


def test_ray_and_local_engines_give_identical_results(
    ray_cluster, same_results, reference, fer_list: Path, crops, tmp_path: Path
) -> None:
    report = run_batch([fer_list], tmp_path / "ray", crops, engine="ray", batch_size=200)
    assert (report.found, report.processed) == (3000, 3000)
    assert ray_cluster.is_initialized()  # a Ray it did not start is left running
    ray_results = load_results(tmp_path / "ray")
    assert ray_results[0].num_rows == len(set(ray_results[0].column("input_id").to_pylist())) == 3000
    same_results(ray_results, reference[1:])
    assert report.summary == reference[0].summary


def test_ray_engine_with_detection_and_bad_files(
    ray_cluster, same_results, compose, sharp_faces, tmp_path: Path
) -> None:
    import cv2

    photos = tmp_path / "photos"
    photos.mkdir()
    for k in range(3):
        cv2.imwrite(
            str(photos / f"group{k}.jpg"), compose(sharp_faces[0][4 * k : 4 * k + 4], size=(960, 640), seed=k)[0]
        )
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    local = run_batch([photos], tmp_path / "local", workers=2)
    ray = run_batch([photos], tmp_path / "ray", engine="ray", batch_size=2)
    assert local.summary == ray.summary and ray.summary.statuses["error"] == 1 and ray.summary.faces >= 10
    same_results(load_results(tmp_path / "ray"), load_results(tmp_path / "local"))


def test_a_batch_that_kills_its_ray_actors_stops_the_job_cleanly(ray_cluster, fer_root: Path, tmp_path: Path) -> None:
    """Ray retries a batch whose actor died a few times, then the job stops with a one-line error and keeps
    what was committed; the local engine then isolates the input at fault."""
    from ray import cloudpickle

    from emolens.batch.engine_ray import run_ray
    from emolens.errors import EmolensError

    photos = tmp_path / "in"
    photos.mkdir()
    for f in sorted((fer_root / "test" / "fear").glob("*.jpg"))[:6]:
        shutil.copy(f, photos / f.name)
    shutil.copy(f, photos / "crash.jpg")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray's workers cannot import this test module
    settings = BatchSettings(faces_are_crops=True)
    batches = make_batches(collect_inputs([photos]), 1)
    with pytest.raises(EmolensError, match="the Ray job failed"):
        list(run_ray(batches, CrashOn(settings), workers=2))


class CrashOn(BatchProcessor):
    """A processor whose process dies (as on a decoder crash) when its batch holds ``crash.jpg``."""

    def __call__(self, batch):
        if any(Path(p).name == "crash.jpg" for p in batch.column("path").to_pylist()):
            os._exit(3)
        return super().__call__(batch)
