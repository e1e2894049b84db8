"""Fixtures of the batch tests: a list of a few thousand real FER2013 files, a reference run over it, and
one small Ray instance (2 CPUs) shared by the session."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from emolens.batch import BatchSettings, load_results, run_batch

PROBS = ["confidence", "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


def _assert_same_results(a: tuple[pa.Table, pa.Table], b: tuple[pa.Table, pa.Table]) -> None:
    """Equal per-input rows, and equal faces (probabilities to float rounding), whatever the row order."""
    inputs_a, inputs_b = (t.to_pandas().sort_values("input_id", ignore_index=True) for t in (a[0], b[0]))
    assert inputs_a.equals(inputs_b)
    keys = ["input_id", "frame", "face"]
    faces_a, faces_b = (t.to_pandas().sort_values(keys, ignore_index=True) for t in (a[1], b[1]))
    exact = [c for c in faces_a.columns if c not in PROBS]
    assert faces_a[exact].equals(faces_b[exact])
    assert np.allclose(faces_a[PROBS].to_numpy(), faces_b[PROBS].to_numpy(), atol=1e-6)


#: How many FER2013 test-split files the engine tests analyse.
FER_FILES = 3000


@pytest.fixture(scope="session")
def fer_list(fer_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A list file naming every other file of FER2013's test split (3,000 real face crops), relative paths."""
    files = sorted((fer_root / "test").glob("*/*.jpg"))[::2][:FER_FILES]
    assert len(files) == FER_FILES
    folder = tmp_path_factory.mktemp("fer_list")
    (folder / "faces").symlink_to(fer_root / "test")
    listing = folder / "faces.txt"
    listing.write_text("# FER2013 test faces\n" + "\n".join(f"faces/{f.parent.name}/{f.name}" for f in files) + "\n")
    return listing


@pytest.fixture(scope="session")
def crops() -> BatchSettings:
    return BatchSettings(faces_are_crops=True)


@pytest.fixture(scope="session")
def reference(fer_list: Path, crops: BatchSettings, tmp_path_factory: pytest.TempPathFactory):
    """An uninterrupted local run over :func:`fer_list`: (report, inputs, faces)."""
    out = tmp_path_factory.mktemp("reference") / "results"
    report = run_batch([fer_list], out, crops, engine="local", workers=2)
    return (report, *load_results(out))


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray with 2 CPUs for the whole session."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def same_results():
    """``same_results((inputs, faces), (inputs, faces))`` asserts that two results folders agree."""
    return _assert_same_results
