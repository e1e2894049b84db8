"""Videos in a batch (``--videos``): sampled frames with their index and time, damaged and fake videos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from emolens import EmotionRecognizer
from emolens.batch import BatchSettings, load_results, run_batch

video_io = pytest.importorskip("emolens.video.io")

FPS, SECONDS = 10, 3


@pytest.fixture(scope="module")
def clips(compose, sharp_faces, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """clip.mkv (3 s at 10 fps, three real faces that move), a truncated copy, a fake video, one photo."""
    folder = tmp_path_factory.mktemp("clips")
    faces = sharp_faces[0][[0, 60, 100]]
    with video_io.VideoWriter(folder / "clip.mkv", fps=FPS) as writer:
        for k in range(FPS * SECONDS):
            writer.write(compose(faces, size=(960, 540), face_px=120, seed=k)[0], k / FPS)
    data = (folder / "clip.mkv").read_bytes()
    (folder / "truncated.mkv").write_bytes(data[: len(data) * 6 // 10])
    (folder / "fake.mp4").write_text("not a video")
    cv2.imwrite(str(folder / "photo.jpg"), compose(faces[:2], size=(640, 480), seed=1)[0])
    return folder


def test_sampled_frames_are_analysed_with_their_index_and_time(clips: Path, tmp_path: Path) -> None:
    report = run_batch([clips], tmp_path / "out", BatchSettings(sample_fps=2), videos=True, workers=2)
    inputs, faces = load_results(tmp_path / "out")
    rows = {Path(r["path"]).name: r for r in inputs.to_pylist()}
    assert set(rows) == {"clip.mkv", "truncated.mkv", "fake.mp4", "photo.jpg"} and report.processed == 4
    clip = rows["clip.mkv"]
    assert (clip["kind"], clip["status"], clip["frames"], clip["width"], clip["height"]) == ("video", "ok", 6, 960, 540)
    table = faces.to_pandas()
    frames = table[table["path"] == str(clips / "clip.mkv")]
    assert clip["faces"] == len(frames) and sorted(frames["frame"].unique()) == [0, 5, 10, 15, 20, 25]
    assert np.allclose(frames["time"], frames["frame"] / FPS, atol=0.02)
    assert (frames.groupby("frame").size() >= 2).all()
    first = next(video_io.iter_video_frames(clips / "clip.mkv")).image
    expected = EmotionRecognizer().analyze(first)
    got = frames[frames["frame"] == 0].sort_values("face")
    assert list(got["emotion"]) == expected.emotions
    assert np.allclose(got[["x1", "y1", "x2", "y2"]].to_numpy(), [f.box for f in expected.faces])

    truncated = rows["truncated.mkv"]
    assert truncated["status"] in ("ok", "no_face") and 0 < truncated["frames"] < 6
    assert truncated["warning"].startswith(f"{clips / 'truncated.mkv'}: ")
    assert rows["fake.mp4"]["status"] == "error" and rows["fake.mp4"]["error"].startswith(f"{clips / 'fake.mp4'}: ")
    assert (rows["photo.jpg"]["kind"], rows["photo.jpg"]["frames"]) == ("image", 1)
    assert table[table["path"] == str(clips / "photo.jpg")]["time"].isna().all()


def test_videos_are_inputs_only_when_asked_for(clips: Path, tmp_path: Path) -> None:
    report = run_batch([clips], tmp_path / "out", workers=1)
    assert report.found == 1 and load_results(tmp_path / "out")[0].column("kind").to_pylist() == ["image"]


def test_remote_videos_are_read_through_a_temporary_copy(clips: Path, tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    urls = [(clips / name).as_uri() for name in ("clip.mkv", "fake.mp4")]
    run_batch(urls, tmp_path / "remote", BatchSettings(sample_fps=2), videos=True, workers=1)
    run_batch([clips / "clip.mkv"], tmp_path / "local", BatchSettings(sample_fps=2), videos=True, workers=1)
    (inputs, faces), (_, local) = load_results(tmp_path / "remote"), load_results(tmp_path / "local")
    rows = {Path(r["path"]).name: r for r in inputs.to_pylist()}
    assert rows["clip.mkv"]["frames"] == 6 and faces["emotion"].to_pylist() == local["emotion"].to_pylist()
    assert rows["fake.mp4"]["status"] == "error" and rows["fake.mp4"]["error"].startswith(f"{urls[1]}: ")
