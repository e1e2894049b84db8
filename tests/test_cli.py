"""The command line on real faces: output, exit codes, and clean errors without tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from emolens.cli import app
from emolens.data import load_dataset
from emolens.evaluation.robustness import CORRUPTIONS
from emolens.runtime.bundled import bundled_names
from emolens.runtime.classifier import EmotionClassifier
from votes import SHARED_VOTES

runner = CliRunner()


def test_analyze_prints_json_and_writes_annotated_images(compose, sharp_faces, tmp_path: Path) -> None:
    photo, boxes = compose(sharp_faces[0][:3], size=(900, 600), face_px=200, seed=7)
    cv2.imwrite(str(tmp_path / "group.jpg"), photo)
    (tmp_path / "broken.jpg").write_text("nope")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(tmp_path / "*.jpg"), "--json", "--out", str(out), "--top-k", "2"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    by_name = {Path(r["source"]).name: r for r in payload}
    assert len(by_name["group.jpg"]["faces"]) == len(boxes)
    assert len(by_name["group.jpg"]["faces"][0]["top"]) == 2
    assert "not an image" in by_name["broken.jpg"]["error"]
    assert cv2.imread(by_name["group.jpg"]["annotated"]).shape == photo.shape
    assert json.loads((out / "results.json").read_text()) == payload


def test_analyze_table_and_jsonl(compose, sharp_faces, tmp_path: Path) -> None:
    photo, _ = compose(sharp_faces[0][:1], size=(640, 480), face_px=180, seed=1)
    cv2.imwrite(str(tmp_path / "one.png"), photo)
    table = runner.invoke(app, ["analyze", str(tmp_path / "one.png")])
    assert table.exit_code == 0 and "1 face(s)" in table.stdout and "1 of 1 image(s) analysed" in table.stdout
    lines = runner.invoke(app, ["analyze", str(tmp_path), "--jsonl"]).stdout.strip().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["faces"][0]["emotion"]


def test_nothing_analysable_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    result = runner.invoke(app, ["analyze", str(tmp_path / "a.jpg"), str(tmp_path / "missing.png")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "a.jpg: empty file" in result.output and "missing.png: no such file" in result.output


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    bad_model = tmp_path / "m.onnx"
    bad_model.write_text("x")
    for args in (
        ["analyze", "x.jpg", "--model", str(bad_model)],
        ["data", "info", str(tmp_path / "none")],
        ["analyze", "x.jpg", "--detector", "nope"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error:") and "Traceback" not in result.output


def test_data_info_and_evaluate_on_real_faces(fer_subset: Path, tmp_path: Path) -> None:
    info = runner.invoke(app, ["data", "info", str(fer_subset)])
    assert info.exit_code == 0 and "happy" in info.stdout
    report = runner.invoke(
        app, ["evaluate", "--data", str(fer_subset), "--split", "val", "--robustness", "--out", str(tmp_path / "eval")]
    )
    assert report.exit_code == 0, report.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["val"]["count"] == sum(
        len(list((fer_subset / "test" / c).glob("PublicTest_*"))) for c in metrics["val"]["classes"]
    )
    val = load_dataset(fer_subset).split("val")
    said = EmotionClassifier().predict_proba(val.images).argmax(1)
    truth = np.array([EmotionClassifier().classes.index(val.classes[k]) for k in val.labels])
    assert metrics["val"]["accuracy"] == pytest.approx((said == truth).mean())  # what the Python API measures
    assert metrics["val"]["accuracy"] > np.bincount(truth).max() / len(truth) + 0.1  # far above the majority class
    assert (tmp_path / "eval" / "val_confusion_normalized.png").exists()
    assert np.array(metrics["val"]["confusion"]).sum() == metrics["val"]["count"]
    robustness = metrics["val"]["extra"]["robustness"]
    assert {row["corruption"] for row in robustness} == set(CORRUPTIONS) and len(robustness) == 30
    assert "val: robustness" in report.stdout and (tmp_path / "eval" / "val_robustness.png").exists()
    assert "| jpeg (quality) | 75: " in (tmp_path / "eval" / "report.md").read_text()


def test_data_report_finds_the_ferplus_votes_beside_the_data(fer_subset: Path, tmp_path: Path) -> None:
    shutil.copytree(fer_subset, tmp_path / "fer2013")
    (tmp_path / "ferplus").mkdir()
    (tmp_path / "ferplus" / "votes.csv").symlink_to(SHARED_VOTES)
    result = runner.invoke(app, ["data", "report", str(tmp_path / "fer2013"), "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert "FER+ crowd:" in result.stdout and "is the class it reads as labelled least often" in result.stdout
    text = (tmp_path / "report" / "report.md").read_text()
    assert "## Agreement with the crowd (FER+ votes)" in text and "| fear | " in text
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    bad = runner.invoke(app, ["data", "report", str(fer_subset), "--votes", str(tmp_path / "other.csv")])
    assert bad.exit_code != 0 and "other.csv: not a FER+ votes file" in bad.output
    assert "Traceback" not in bad.output


def test_models_bundled_lists_every_shipped_model_with_its_measured_accuracy() -> None:
    result = runner.invoke(app, ["models", "bundled"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {cells[1].strip(): cells for line in result.output.splitlines() if len(cells := line.split("│")) > 7}
    assert set(rows) == set(bundled_names())
    for name, cells in rows.items():
        meta = EmotionClassifier(name).metadata
        assert cells[2].strip() == str(len(meta.classes))
        assert cells[3].strip() == ("FER+ majority" if name == "ferplus" else "FER2013")
        assert cells[4].strip() == f"{meta.architecture} {meta.precision}"
        assert cells[8].strip() == f"{meta.metrics['test']['accuracy']:.2%}"
