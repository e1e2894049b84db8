"""``emolens video`` and ``emolens webcam`` on real faces: outputs, JSON lines, summaries written on exit
(also on Ctrl-C), and clean errors without tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner
from video_synth import make_video

from emolens.cli import app

runner = CliRunner()


def test_video_writes_every_output_and_prints_the_tracks(clip, tmp_path) -> None:
    out = tmp_path / "out"
    parquet = tmp_path / "timeline.parquet"
    result = runner.invoke(
        app, ["video", str(clip.path), "--out-dir", str(out), "--parquet", str(parquet), "-k", "2", "--threads", "1"]
    )
    assert result.exit_code == 0, result.output
    for name in ("annotated.mp4", "timeline.csv", "summary.json", "report.html"):
        assert (out / name).stat().st_size > 0, name
    assert parquet.stat().st_size > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["detect_every"] == 2
    assert f"{len(clip.boxes)} frames" in result.stdout
    for track in summary["tracks"]:
        assert f"#{track['track']}" in result.stdout


def test_video_errors_are_one_line_without_traceback(tmp_path) -> None:
    missing = runner.invoke(app, ["video", str(tmp_path / "nope.mp4")])
    assert missing.exit_code == 2 and "nope.mp4: no such file" in missing.output
    assert "Traceback" not in missing.output
    (tmp_path / "notes.mp4").write_text("not a video")
    text = runner.invoke(app, ["video", str(tmp_path / "notes.mp4"), "--csv", str(tmp_path / "t.csv")])
    assert text.exit_code == 2 and "not a readable video" in text.output
    assert not (tmp_path / "t.csv").exists()


def test_video_rejects_an_unwritable_output_before_analysing(clip, tmp_path) -> None:
    result = runner.invoke(app, ["video", str(clip.path), "--out", str(tmp_path / "a.gif")])
    assert result.exit_code == 2 and "a.gif: video output must end with .mp4" in result.output


def test_video_without_faces_says_so_and_exits_1(tmp_path) -> None:
    empty = make_video(tmp_path / "empty.mp4", np.zeros((0, 48, 48), np.uint8), size=(320, 240), seconds=0.5)
    result = runner.invoke(app, ["video", str(empty.path), "--json", str(tmp_path / "s.json")])
    assert result.exit_code == 1
    assert "no face found in the 12 frames analysed" in result.output
    assert json.loads((tmp_path / "s.json").read_text())["tracks"] == []


def test_webcam_headless_prints_json_lines_and_writes_the_summary(clip, tmp_path) -> None:
    summary = tmp_path / "session.json"
    result = runner.invoke(
        app,
        ["webcam", str(clip.path), "--headless", "--no-realtime", "--max-frames", "20", "--json", str(summary),
         "--report", str(tmp_path / "session.html"), "--threads", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["frame"] for r in lines] == list(range(20))
    assert all(len(r["faces"]) == clip.boxes.shape[1] for r in lines[:5])
    assert {"track", "smoothed_emotion", "box", "probs"} <= set(lines[0]["faces"][0]) and lines[-1]["fps"] > 0
    written = json.loads(summary.read_text())
    assert written["frames_analysed"] == 20 and len(written["tracks"]) == clip.boxes.shape[1]
    assert (tmp_path / "session.html").read_text().count("<h2 id=") == clip.boxes.shape[1]


def test_webcam_window_needs_a_gui_build_and_says_what_to_do(clip) -> None:
    result = runner.invoke(app, ["webcam", str(clip.path)])
    assert result.exit_code == 2
    assert "--headless" in result.output and "Traceback" not in result.output


def test_webcam_writes_the_summary_on_ctrl_c(clip, tmp_path) -> None:
    summary = tmp_path / "session.json"
    command = [sys.executable, "-c", "from emolens.cli import main; main()", "webcam", str(clip.path), "--headless",
               "--json", str(summary), "--threads", "1"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # as a terminal's foreground job: SIGINT at its default (a shell's background jobs inherit it ignored)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    ) as process:  # fmt: skip
        assert process.stdout is not None
        first = process.stdout.readline()  # the first analysed frame (played in real time: the clip lasts 3 s)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    assert json.loads(first)["frame"] == 0
    assert process.returncode == 0, errors
    written = json.loads(Path(summary).read_text())
    assert 1 <= written["frames_analysed"] < len(clip.boxes)
    assert "interrupted" in errors
