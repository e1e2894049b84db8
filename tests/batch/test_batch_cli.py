"""``emolens batch`` on the command line: summary, resume, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from emolens.cli import app

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_batch_prints_a_summary_and_resumes(compose, sharp_faces, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for k in range(4):
        photo = compose(sharp_faces[0][3 * k : 3 * k + 3], size=(900, 600), face_px=150, seed=k)[0]
        cv2.imwrite(str(photos / f"group{k}.jpg"), photo)
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    out = tmp_path / "results"
    result = runner.invoke(app, ["batch", str(photos), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    text = _flat(result.stdout)
    assert "5 input(s) found, 0 already done, 5 analysed now" in text
    assert "ok │ 4" in text and "error │ 1" in text and "summary.png" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inputs"] == 5 and summary["statuses"] == {"ok": 4, "no_face": 0, "error": 1}
    assert summary["faces"] == sum(summary["emotions"].values()) >= 6
    assert cv2.imread(str(out / "summary.png")) is not None

    again = runner.invoke(app, ["batch", str(photos), "--out", str(out), "--workers", "1"])
    assert again.exit_code == 0 and "5 input(s) found, 5 already done, 0 analysed now" in _flat(again.stdout)
    changed = runner.invoke(app, ["batch", str(photos), "--out", str(out), "--min-face", "80"])
    assert changed.exit_code == 2 and "other settings (min_face=20)" in _flat(changed.output)


def test_a_job_where_nothing_can_be_read_exits_1(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jpg").write_bytes(b"")
    result = runner.invoke(app, ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "error │ 1" in _flat(result.stdout)
    assert "Traceback" not in result.output


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    cv2.imwrite(str(tmp_path / "in" / "a.png"), np.zeros((64, 64), np.uint8))
    cases = {
        "no such file, folder or list": ["batch", str(tmp_path / "missing"), "--out", str(tmp_path / "o1")],
        "unknown engine 'spark'": ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "o2"), "--engine", "spark"],
        "no such model file": ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "o3"), "--model", "m.onnx"],
        "sample_fps must be > 0": ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "o4"), "--sample-fps", "0"],
        "unknown detector 'nope'": ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "o5"), "--detector", "nope"],
    }
    for message, args in cases.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error:") and message in _flat(result.output), result.output
        assert "Traceback" not in result.output
