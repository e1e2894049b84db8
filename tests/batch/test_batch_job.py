"""Batch jobs on the local engine with real faces: results, bad files, resuming, the folder's safety."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from emolens import EmotionRecognizer
from emolens.batch import BatchProcessor, BatchSettings, load_results, run_batch, summarize
from emolens.batch.engine_local import run_local
from emolens.batch.inputs import collect_inputs, to_table
from emolens.batch.job import make_batches
from emolens.batch.writer import ERRORS_LOG, ResultWriter, committed_parts
from emolens.errors import ConfigError


def test_every_input_once_with_the_recognizers_probabilities(reference, fer_list: Path) -> None:
    report, inputs, faces = reference
    assert report.found == report.processed == inputs.num_rows == faces.num_rows == 3000
    assert report.skipped == 0 and report.summary.statuses == {"ok": 3000, "no_face": 0, "error": 0}
    assert len(set(inputs.column("input_id").to_pylist())) == 3000
    assert sorted(faces.column("input_id").to_pylist()) == sorted(inputs.column("input_id").to_pylist())
    rows = faces.to_pandas().sort_values("path").iloc[::60]
    rec = EmotionRecognizer(detector="whole-image", min_face=0, threads=1)
    direct = rec.classify(np.stack([cv2.imread(p, cv2.IMREAD_GRAYSCALE) for p in rows["path"]]))
    assert np.allclose(rows[list(rec.classes)].to_numpy(), direct, atol=1e-6)
    assert list(rows["emotion"]) == [rec.classes[k] for k in direct.argmax(1)]
    assert (rows[["x1", "y1", "x2", "y2"]].to_numpy() == [0, 0, 48, 48]).all()
    # the model does tell the faces apart: the folder name is FER2013's label
    labels = faces.to_pandas()["path"].map(lambda p: Path(p).parent.name)
    assert (labels == faces.to_pandas()["emotion"]).mean() > 0.4
    assert report.summary.emotions["happy"] == int((faces.to_pandas()["emotion"] == "happy").sum())


@pytest.fixture(scope="module")
def mixed(compose, sharp_faces, fer_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """Photos with several real faces, a blank photo, and corrupt, empty and non-image files."""
    folder = tmp_path_factory.mktemp("mixed")
    faces = sharp_faces[0]
    photo, boxes = compose(faces[:5], size=(1280, 720), face_px=150, seed=3)
    cv2.imwrite(str(folder / "group.jpg"), photo)
    cv2.imwrite(str(folder / "group2.png"), compose(faces[20:23], size=(900, 600), face_px=160, seed=5)[0])
    cv2.imwrite(str(folder / "blank.png"), np.full((480, 640, 3), 200, np.uint8))
    good = (fer_root / "test" / "happy").glob("*.jpg").__next__().read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.png").write_text("this is not an image")
    return folder, boxes


def test_bad_files_become_error_rows_and_the_job_finishes(mixed, tmp_path: Path) -> None:
    folder, boxes = mixed
    report = run_batch([folder], tmp_path / "out", workers=2)
    inputs, faces = load_results(tmp_path / "out")
    rows = {Path(r["path"]).name: r for r in inputs.to_pylist()}
    assert len(rows) == 6 == report.processed
    for name, message in (
        ("truncated.jpg", "truncated JPEG"),
        ("empty.jpg", "empty file"),
        ("text.png", "not an image"),
    ):
        assert rows[name]["status"] == "error" and rows[name]["error"].startswith(f"{folder / name}: {message}")
        assert rows[name]["faces"] == 0 and rows[name]["frames"] == 0
    assert rows["blank.png"]["status"] == "no_face" and rows["blank.png"]["error"] is None
    assert (rows["blank.png"]["width"], rows["blank.png"]["height"]) == (640, 480)
    group = faces.filter(pc.equal(faces.column("path"), str(folder / "group.jpg"))).to_pandas()
    assert rows["group.jpg"]["status"] == "ok" and rows["group.jpg"]["faces"] == len(group) >= len(boxes) - 1
    assert sorted(group["face"]) == list(range(len(group))) and (group["frame"] == 0).all()
    assert group["time"].isna().all() and (group["score"] > 0.5).all()
    centres = (group[["x1", "y1"]].to_numpy() + group[["x2", "y2"]].to_numpy()) / 2  # each on a planted face
    assert all(((boxes[:, :2] <= c) & (c <= boxes[:, 2:])).all(axis=1).any() for c in centres)
    assert np.allclose(
        group[["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]].sum(axis=1), 1, atol=1e-5
    )
    assert report.summary.statuses == {"ok": 2, "no_face": 1, "error": 3}
    assert report.summary.faces == faces.num_rows == rows["group.jpg"]["faces"] + rows["group2.png"]["faces"]


def test_the_same_photos_give_the_same_faces_as_analyze(mixed, tmp_path: Path) -> None:
    folder, _ = mixed
    run_batch([folder / "group.jpg", folder / "group2.png"], tmp_path / "out", workers=1)
    faces = load_results(tmp_path / "out")[1].to_pandas()
    rec = EmotionRecognizer()
    for name in ("group.jpg", "group2.png"):
        expected = rec.analyze(folder / name)
        got = faces[faces["path"] == str(folder / name)].sort_values("face")
        assert np.allclose(got[["x1", "y1", "x2", "y2"]].to_numpy(), [f.box for f in expected.faces])
        assert list(got["emotion"]) == expected.emotions


def test_a_rerun_skips_what_is_done_and_does_only_new_inputs(mixed, tmp_path: Path) -> None:
    folder, _ = mixed
    work = tmp_path / "in"
    shutil.copytree(folder, work)
    out = work / "results"  # inside the input folder: its chart is no input
    first = run_batch([work], out, workers=1)
    again = run_batch([work], out, workers=1)
    assert (again.found, again.skipped, again.processed) == (6, 6, 0)
    shutil.copy(work / "group.jpg", work / "group-copy.jpg")
    third = run_batch([work], out, workers=1)
    assert (third.found, third.skipped, third.processed) == (7, 6, 1)
    inputs = load_results(out)[0]
    assert inputs.num_rows == 7 == len(set(inputs.column("input_id").to_pylist()))
    assert (
        third.summary.faces
        == first.summary.faces + inputs.to_pandas().set_index("path").loc[str(work / "group.jpg"), "faces"]
    )
    with pytest.raises(ConfigError, match="other settings"):
        run_batch([work], out, BatchSettings(min_face=60), workers=1)


def test_a_folder_is_written_by_one_job_at_a_time(mixed, tmp_path: Path) -> None:
    classes = BatchSettings().classes()
    fingerprint = BatchSettings().fingerprint()
    with ResultWriter(tmp_path / "out", classes) as writer:
        writer.open(fingerprint)
        with pytest.raises(ConfigError, match="another emolens batch job"):
            ResultWriter(tmp_path / "out", classes).open(fingerprint)
    with ResultWriter(tmp_path / "out", classes) as writer:
        assert writer.open(fingerprint) == set()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "thesis.tex").write_text("keep me")
    with pytest.raises(ConfigError, match="not an emolens batch results folder"):
        run_batch([mixed[0]], tmp_path / "other")


def test_a_crash_between_the_two_renames_is_rolled_forward(mixed, tmp_path: Path) -> None:
    """Leftovers of a crash: a faces file whose inputs part was committed is kept, half-written parts go."""
    folder, _ = mixed
    out = tmp_path / "out"
    run_batch([folder], out, workers=1, part_size=2, batch_size=2)
    parts = committed_parts(out, "inputs")
    assert len(parts) == 3
    last = parts[-1].name
    (out / "faces" / last).rename(out / "faces" / f".{last}.tmp")  # crashed after the commit, before the faces rename
    (out / "inputs" / ".part-000007.parquet.tmp").write_bytes(b"PAR1 half")  # crashed while writing
    (out / "faces" / ".part-000007.parquet.tmp").write_bytes(b"PAR1 half")
    report = run_batch([folder], out, workers=1)
    assert report.processed == 0 and report.summary.inputs == 6
    assert sorted(p.name for p in (out / "faces").iterdir()) == [p.name for p in parts]
    assert sorted(p.name for p in (out / "inputs").iterdir()) == [p.name for p in parts]
    assert sum(pq.read_metadata(p).num_rows for p in (out / "faces").iterdir()) == report.summary.faces


def test_summary_counts_and_chart(reference) -> None:
    report = reference[0]
    summary = summarize(report.out)
    assert summary == report.summary and sum(summary.emotions.values()) == summary.faces == 3000
    assert abs(sum(summary.emotion_shares().values()) - 1) < 1e-9
    chart = cv2.imread(str(report.out / "summary.png"))
    assert chart is not None and chart.shape[1] > 600


class _CrashOn(BatchProcessor):
    """A processor whose worker process dies (as on a decoder crash) when its batch holds ``crash.jpg``."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        if any(Path(p).name == "crash.jpg" for p in batch.column("path").to_pylist()):
            os._exit(3)
        return super().__call__(batch)


def test_an_input_that_kills_its_worker_gets_an_error_row_and_the_rest_finish(
    mixed, fer_root: Path, tmp_path: Path
) -> None:
    folder, _ = mixed
    for k, f in enumerate(sorted((fer_root / "test" / "sad").glob("*.jpg"))[:30]):
        shutil.copy(f, tmp_path / f"{k:02d}.jpg")
    shutil.copy(folder / "group.jpg", tmp_path / "crash.jpg")
    items = collect_inputs([tmp_path])
    settings = BatchSettings(faces_are_crops=True)
    classes = settings.classes()
    tables = list(run_local(make_batches(items, 8), _CrashOn(settings), classes, workers=2))
    results = pa.concat_tables(tables).to_pandas().set_index("path")
    assert len(results) == 31 and results.index.is_unique
    crashed = results.loc[str(tmp_path / "crash.jpg")]
    assert crashed["status"] == "error" and "worker process died" in crashed["error"]
    assert (results.drop(str(tmp_path / "crash.jpg"))["status"] == "ok").all()
    plain = pa.concat_tables(run_local([to_table(items[:30])], BatchProcessor(settings), classes, workers=1))
    for path, detections in zip(plain.column("path").to_pylist(), plain.column("detections").to_pylist(), strict=True):
        assert [d["emotion"] for d in results.loc[path, "detections"]] == [d["emotion"] for d in detections]


class _BugOn(BatchProcessor):
    """A processor with a bug that shows on ``bug.jpg`` only."""

    def _frames(self, account):
        if Path(account.item.path).name == "bug.jpg":
            raise RuntimeError("a bug met on bug.jpg")
        return super()._frames(account)


def test_an_input_that_fails_unexpectedly_leaves_its_traceback_in_the_error_log(mixed, tmp_path: Path) -> None:
    folder, _ = mixed
    for name in ("bug.jpg", "fine.jpg"):
        shutil.copy(folder / "group.jpg", tmp_path / name)
    settings, log_file = BatchSettings(), tmp_path / "results" / ERRORS_LOG
    log_file.parent.mkdir()
    processor = _BugOn(settings, log_file=str(log_file))
    tables = run_local(make_batches(collect_inputs([tmp_path]), 8), processor, settings.classes(), workers=1)
    rows = pa.concat_tables(list(tables)).to_pandas().set_index("path")
    bug = str(tmp_path / "bug.jpg")
    assert rows.loc[bug, "error"] == f"{bug}: analysis failed (RuntimeError: a bug met on bug.jpg)"
    assert rows.loc[str(tmp_path / "fine.jpg"), "status"] == "ok"
    text = log_file.read_text()
    assert "WARNING a batch of 2 input(s) failed; retrying them one at a time" in text
    assert f"ERROR {bug}: analysis failed\nTraceback (most recent call last)" in text
    assert text.count("RuntimeError: a bug met on bug.jpg") == 2 and "During handling" not in text


def test_remote_inputs_are_read_through_fsspec_like_local_ones(mixed, tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    folder, _ = mixed
    url = folder.as_uri()
    run_batch([url], tmp_path / "remote", workers=1)
    run_batch([folder], tmp_path / "local", workers=1)
    remote, local = (load_results(tmp_path / name) for name in ("remote", "local"))
    assert all(p.startswith(url + "/") for p in remote[0].column("path").to_pylist())
    by_name = [
        t.to_pandas().assign(name=lambda d: d["path"].map(lambda p: Path(p).name)).set_index("name").sort_index()
        for t in (remote[0], local[0])
    ]
    assert list(by_name[0]["status"]) == list(by_name[1]["status"])
    assert by_name[0].loc["empty.jpg", "error"] == f"{url}/empty.jpg: empty file"
    assert remote[1]["emotion"].to_pylist() == local[1]["emotion"].to_pylist()


def test_workers_that_cannot_start_stop_the_job_without_blaming_any_input(mixed, tmp_path: Path) -> None:
    """A script without a ``__main__`` guard: every spawned worker dies as it starts. The job must stop with a
    clear error, not record its inputs as failed (they would never be retried)."""
    folder, _ = mixed
    script = tmp_path / "unguarded.py"
    script.write_text(f"from emolens.batch import run_batch\nrun_batch([{str(folder)!r}], 'results', workers=1)\n")
    command = [sys.executable, str(script)]
    done = subprocess.run(command, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "the worker processes die as they start" in done.stderr
    assert not committed_parts(tmp_path / "results", "inputs")
