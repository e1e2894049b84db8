"""Reading and writing videos: frames and times, sampling, real-time pacing, audio kept, and clear errors
for missing, empty, non-video, still-image, audio-only, truncated and corrupt inputs."""

from __future__ import annotations

import functools
import http.server
import threading
import time
import tracemalloc
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from emolens.errors import ConfigError, VideoReadError
from emolens.testing.media import make_video
from emolens.video.analysis import iter_video_frames, run_video_job
from emolens.video.io import VideoReader, VideoWriter


@pytest.fixture(scope="module")
def grey_clip(tmp_path_factory) -> Path:
    """2 s at 25 fps, one flat grey square moving (no face needed to test decoding)."""
    path = tmp_path_factory.mktemp("io") / "grey.mp4"
    make_video(path, np.full((1, 48, 48), 90, np.uint8), size=(320, 240), face_px=96, seconds=2.0, faststart=True)
    return path


def test_frames_have_indices_times_and_bgr_pixels(grey_clip) -> None:
    frames = list(iter_video_frames(grey_clip))
    assert [f.index for f in frames] == list(range(50))
    np.testing.assert_allclose([f.time for f in frames], np.arange(50) / 25, atol=1e-6)
    assert frames[0].image.shape == (240, 320, 3) and frames[0].image.dtype == np.uint8


@pytest.mark.parametrize(("fps", "expected"), [(5, 10), (10, 20), (100, 50)])
def test_sample_fps_keeps_about_that_many_frames_per_second(grey_clip, fps, expected) -> None:
    frames = list(iter_video_frames(grey_clip, sample_fps=fps))
    assert len(frames) == expected
    if fps < 25:
        assert np.allclose(np.diff([f.time for f in frames]), 1 / fps, atol=0.021)


def test_realtime_paces_a_file_and_drops_frames_a_slow_consumer_misses(grey_clip) -> None:
    started = time.perf_counter()
    with VideoReader(grey_clip, realtime=True) as reader:
        first = [f.index for _, f in zip(range(10), reader, strict=False)]
    assert first == list(range(10))
    assert time.perf_counter() - started >= 9 / 25 - 0.02  # not faster than the video
    kept = []
    with VideoReader(grey_clip, realtime=True) as reader:
        for frame in reader:
            kept.append(frame.index)
            time.sleep(0.12)  # 3 frame periods per frame
    assert 8 <= len(kept) <= 30 and kept[-1] >= 45


def bad_input(kind: str, folder: Path) -> Path:
    """A missing, zero-length, text, folder or JPEG input."""
    path = folder / ("input.jpg" if kind == "jpeg" else "input.mp4")
    if kind == "zero-length":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not a video\n" * 50)
    elif kind == "folder":
        path.mkdir()
    elif kind == "jpeg":
        cv2.imwrite(str(path), np.zeros((64, 64, 3), np.uint8))
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "no such file"),
        ("zero-length", "empty file"),
        ("text", "not a readable video"),
        ("folder", "is a folder"),
        ("jpeg", "still image"),
    ],
)
def test_bad_inputs_raise_a_clear_error_naming_the_input(tmp_path, kind, message) -> None:
    path = bad_input(kind, tmp_path)
    with pytest.raises(VideoReadError, match=message) as error:
        iter_video_frames(path)
    assert str(path) in str(error.value)


def test_audio_only_file_and_missing_camera(tmp_path) -> None:
    path = tmp_path / "sound.wav"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(VideoReadError, match="no video stream"):
        iter_video_frames(path)
    with pytest.raises(VideoReadError, match="camera 57"):
        iter_video_frames(57)
    with pytest.raises(ConfigError):
        VideoReader(path, sample_fps=0)


def test_truncated_mp4_without_index_is_a_clear_error(tmp_path) -> None:
    full = make_video(tmp_path / "full.mp4", np.full((1, 48, 48), 90, np.uint8), size=(320, 240), face_px=96).path
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(VideoReadError, match="cut before its index"):
        iter_video_frames(cut)


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_video_yields_the_frames_before_the_damage(grey_clip, tmp_path, damage) -> None:
    data = bytearray(grey_clip.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        n = len(data)
        data[n // 2 : n // 2 + n // 5] = np.random.default_rng(0).integers(0, 256, n // 5, dtype=np.uint8).tobytes()
    path = tmp_path / f"{damage}.mp4"
    path.write_bytes(bytes(data))
    reader = VideoReader(path).open()
    frames = list(reader)
    assert 5 <= len(frames) < 50
    assert [f.index for f in frames] == list(range(len(frames)))
    assert reader.stopped_early and ("truncated" in reader.stopped_early or "decoding stopped" in reader.stopped_early)


def test_truncated_video_is_analysed_and_saved_up_to_the_damage(rec, clip, tmp_path) -> None:
    # re-mux the test clip with its index first, then cut it in half
    indexed = tmp_path / "indexed.mp4"
    with av.open(str(clip.path)) as source, av.open(str(indexed), "w", options={"movflags": "faststart"}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(indexed.read_bytes()[: indexed.stat().st_size // 2])
    outputs = run_video_job(rec, cut, tmp_path / "out")
    analysed = outputs.summary["frames_analysed"]
    assert 5 <= analysed < len(clip.boxes)
    assert "truncated" in outputs.summary["stopped_early"]
    assert outputs.summary["tracks"]
    assert outputs.timeline_csv.read_text().count("\n") > analysed  # a row per face and frame + header
    with av.open(str(outputs.annotated)) as annotated:
        assert sum(1 for _ in annotated.decode(video=0)) == analysed
    assert "damaged" in outputs.report_html.read_text()


def test_video_without_faces_gives_empty_outputs(rec, tmp_path) -> None:
    empty = make_video(tmp_path / "empty.mp4", np.zeros((0, 48, 48), np.uint8), size=(320, 240), seconds=1.0)
    outputs = run_video_job(rec, empty.path, tmp_path / "out", annotate=False)
    assert outputs.summary["tracks"] == [] and outputs.summary["frames_analysed"] == 25
    assert outputs.annotated is None and not (tmp_path / "out" / "annotated.mp4").exists()
    assert outputs.timeline_csv.read_text().count("\n") == 1  # the header only
    assert "No face was found" in outputs.report_html.read_text()


def test_writer_transcodes_audio_mp4_cannot_hold_and_rejects_unknown_suffixes(tmp_path) -> None:
    source = tmp_path / "pcm.mkv"
    with av.open(str(source), "w") as out:
        video = out.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = out.add_stream("pcm_s16le", rate=8000, layout="stereo")
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
            chunk = av.AudioFrame.from_ndarray(np.full((1, 1600), 1000, np.int16), format="s16", layout="stereo")
            chunk.sample_rate, chunk.pts = 8000, i * 800
            out.mux(sound.encode(chunk))
        out.mux(video.encode(None))
    target = tmp_path / "copy.mp4"
    with VideoWriter(target, 10, audio_from=source) as writer:
        for frame in iter_video_frames(source):
            writer.write(frame.image, frame.time)
    with av.open(str(target)) as result:
        assert result.streams.audio[0].codec_context.name == "aac"
        assert sum(1 for _ in result.decode(video=0)) == 10
    with pytest.raises(ConfigError, match=r"\.mp4"):
        VideoWriter(tmp_path / "out.gif", 10)


def test_stream_url_is_read_and_a_dead_url_is_a_clear_error(grey_clip) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(grey_clip.parent))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            assert len(list(iter_video_frames(f"{base}/{grey_clip.name}"))) == 50
            with pytest.raises(VideoReadError, match=r"missing\.mp4.*404"):
                iter_video_frames(f"{base}/missing.mp4")
        finally:
            server.shutdown()


def test_memory_does_not_grow_with_the_length_of_the_video(rec, planted, tmp_path) -> None:
    faces = planted[0][:1]
    clips = [make_video(tmp_path / f"{s}.mp4", faces, size=(320, 240), face_px=96, seconds=s).path for s in (2, 10)]
    run_video_job(rec, clips[0], tmp_path / "warm-up", detect_every=5)  # one-time allocations (imports, caches)
    peaks = []
    for k, clip in enumerate(clips):
        tracemalloc.start()
        run_video_job(rec, clip, tmp_path / f"out{k}", detect_every=5)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # 5x the frames: memory that grew with the video would be about 5x. The timeline holds up to 4,096 rows
    # (about 1 KB each) before it writes them, so the longer clip keeps ~0.25 MB more: bounded, not growth
    assert peaks[1] < 2 * peaks[0], f"peak traced memory {peaks[0] / 1e6:.1f} MB -> {peaks[1] / 1e6:.1f} MB"
