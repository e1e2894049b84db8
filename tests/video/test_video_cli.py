"""``emolens video`` and ``emolens webcam`` on real faces: outputs, the live picture in the browser (page,
MJPEG stream, status), JSON lines, summaries written on exit (also on Ctrl-C), and clean errors without
tracebacks."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.request import urlopen

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from emolens.cli import app
from emolens.testing.media import SyntheticVideo, make_video
from emolens.video.io import iter_video_frames

runner = CliRunner()


def _webcam(*args: str) -> subprocess.Popen[str]:
    """``emolens webcam ARGS`` in a subprocess with unbuffered pipes, as a terminal's foreground job: SIGINT
    at its default (a shell's background jobs inherit it ignored)."""
    command = [sys.executable, "-c", "from emolens.cli import main; main()", "webcam", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )  # fmt: skip


def _jpegs(stream: IO[bytes], boundary: str) -> Iterator[bytes]:
    """The JPEG parts of an MJPEG (multipart/x-mixed-replace) response, as they arrive."""
    while line := stream.readline():
        if line.strip() == f"--{boundary}--".encode():
            return
        if line.strip() != f"--{boundary}".encode():
            continue
        headers = {}
        while header := stream.readline().strip():
            name, _, value = header.decode().partition(":")
            headers[name.lower()] = value.strip()
        assert headers["content-type"] == "image/jpeg"
        yield stream.read(int(headers["content-length"]))


def _coloured_pixels(image: np.ndarray) -> int:
    """Pixels far from grey: the boxes, labels and bars drawn in emotion colours (the clips' background
    and faces are close to grey)."""
    return int(np.count_nonzero(image.max(axis=2).astype(int) - image.min(axis=2) > 150))


@pytest.fixture(scope="module")
def long_clip(planted, tmp_path_factory) -> SyntheticVideo:
    """The faces of ``clip`` for 30 s at 10 fps: a "camera" that outlasts any test."""
    faces, _, _ = planted
    return make_video(tmp_path_factory.mktemp("video") / "long.mp4", faces, size=(480, 360), seconds=30.0, fps=10.0)


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
    result = runner.invoke(app, ["video", str(empty.path), "--summary-json", str(tmp_path / "s.json")])
    assert result.exit_code == 1
    assert "no face found in the 12 frames analysed" in result.output
    assert json.loads((tmp_path / "s.json").read_text())["tracks"] == []


def test_webcam_view_none_prints_json_lines_and_writes_the_summary(clip, tmp_path) -> None:
    summary = tmp_path / "session.json"
    result = runner.invoke(
        app,
        ["webcam", str(clip.path), "--view", "none", "--no-realtime", "--max-frames", "20", "--summary-json", str(summary),
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
    result = runner.invoke(app, ["webcam", str(clip.path), "--view", "window"])
    assert result.exit_code == 2
    assert "--view browser" in result.output and "Traceback" not in result.output


def test_webcam_shows_the_labelled_picture_live_in_the_browser(long_clip, tmp_path) -> None:
    summary = tmp_path / "session.json"
    with _webcam(str(long_clip.path), "--no-browser", "--summary-json", str(summary), "--threads", "1") as process:
        assert process.stdout is not None
        announced = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", announced)
        assert match, announced
        url = match.group()
        page = urlopen(url, timeout=30).read().decode()
        assert '<img src="stream.mjpg"' in page and "://" not in page  # nothing to fetch from elsewhere
        viewers = [urlopen(url + "stream.mjpg", timeout=30) for _ in range(2)]  # two browsers at once
        frames = []
        for viewer in viewers:
            assert viewer.headers.get_content_type() == "multipart/x-mixed-replace"
            parts = _jpegs(viewer, viewer.headers.get_boundary())
            frames += [cv2.imdecode(np.frombuffer(next(parts), np.uint8), cv2.IMREAD_COLOR) for _ in range(4)]
        status = json.loads(urlopen(url + "status", timeout=30).read())
        process.send_signal(signal.SIGINT)
        out, errors = process.communicate(timeout=60)
        for viewer in viewers:
            viewer.close()
    assert all(frame is not None and frame.shape == (360, 480, 3) for frame in frames)
    raw = next(iter_video_frames(long_clip.path)).image
    assert _coloured_pixels(raw) < 50
    assert all(_coloured_pixels(frame) > 1000 for frame in frames)  # boxes, labels and bars drawn
    assert status["fps"] > 0 and status["frame"] >= 0
    assert len(status["faces"]) == long_clip.boxes.shape[1]
    assert all(face["smoothed_emotion"] and 0 < face["smoothed_confidence"] <= 1 for face in status["faces"])
    assert process.returncode == 0, errors
    assert "interrupted" in errors and "Traceback" not in errors + out
    assert "tracked face(s)" in errors  # the session's summary table
    assert json.loads(summary.read_text())["frames_analysed"] >= 4


def test_webcam_browser_view_stops_at_the_end_of_the_source(clip) -> None:
    result = runner.invoke(app, ["webcam", str(clip.path), "--no-browser", "--no-realtime", "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "live view of" in result.stdout
    assert f"{len(clip.boxes)} frames, " in result.output  # the whole clip, then its summary


def test_webcam_without_the_camera_prints_one_clean_line() -> None:
    with _webcam("99", "--no-browser") as process:
        out, errors = process.communicate(timeout=120)
    assert process.returncode == 2
    assert errors.splitlines() == ["error: camera 99: cannot be opened (no such camera, or it is in use)"]
    assert out == ""


def test_webcam_writes_the_summary_on_ctrl_c(clip, tmp_path) -> None:
    summary = tmp_path / "session.json"
    with _webcam(str(clip.path), "--headless", "--summary-json", str(summary), "--threads", "1") as process:
        assert process.stdout is not None
        first = process.stdout.readline()  # the first analysed frame (played in real time: the clip lasts 3 s)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    assert json.loads(first)["frame"] == 0
    assert process.returncode == 0, errors
    written = json.loads(Path(summary).read_text())
    assert 1 <= written["frames_analysed"] < len(clip.boxes)
    assert "interrupted" in errors
