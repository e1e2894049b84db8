"""Whole videos of real FER2013 faces: stable track IDs, every planted face in the timeline, smoothed
labels that match the truth, the four outputs of ``run_video_job``, and the Python API."""

from __future__ import annotations

import base64
import itertools
import json
import re
from xml.etree import ElementTree

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from emolens.detection.base import iou
from emolens.labels import FER_CLASSES
from emolens.testing.media import read_timeline
from emolens.video.analysis import process_video
from emolens.video.timeline import timeline_columns
from emolens.video.tracking import DEFAULT_DETECT_EVERY


def identities(frames: np.ndarray, tracks: np.ndarray, boxes: np.ndarray, planted: np.ndarray) -> dict[int, list]:
    """For each planted face, the (frame, track) pairs of the timeline rows whose box overlaps it."""
    found: dict[int, list] = {k: [] for k in range(planted.shape[1])}
    for frame, track, box in zip(frames, tracks, boxes, strict=True):
        overlaps = iou(box, planted[frame])
        if overlaps.max() > 0.3:
            found[int(overlaps.argmax())].append((int(frame), int(track)))
    return found


def id_switches(pairs: list[tuple[int, int]]) -> int:
    tracks = [t for _, t in sorted(pairs)]
    return sum(a != b for a, b in itertools.pairwise(tracks))


def test_tracks_keep_their_ids_and_every_planted_face_is_in_the_timeline(job, clip) -> None:
    outputs, _ = job
    rows = read_timeline(outputs.timeline_csv)
    boxes = np.stack([rows[c] for c in ("x1", "y1", "x2", "y2")], axis=1)
    found = identities(rows["frame"], rows["track"], boxes, clip.boxes)
    for face, pairs in found.items():
        visible = int(clip.visible[:, face].sum())
        assert len(pairs) >= 0.9 * visible, f"face {face} found in {len(pairs)} of {visible} frames"
        assert id_switches(pairs) <= 1, f"face {face} changed track: {sorted({t for _, t in pairs})}"
    # the occluded face comes back under the same ID, and no row is a false alarm
    assert id_switches(found[0]) == 0
    assert sum(len(p) for p in found.values()) == len(rows["frame"])


def test_smoothed_label_is_the_true_label_when_the_model_knows_the_face(job, clip, planted) -> None:
    outputs, _ = job
    _, labels, correct = planted
    assert correct.sum() >= 2, "the model should know at least two of the chosen faces"
    rows = read_timeline(outputs.timeline_csv)
    boxes = np.stack([rows[c] for c in ("x1", "y1", "x2", "y2")], axis=1)
    found = identities(rows["frame"], rows["track"], boxes, clip.boxes)
    for face, pairs in found.items():
        if not correct[face]:
            continue
        frames = {f for f, _ in pairs}
        mine = np.isin(rows["frame"], list(frames)) & np.isin(rows["track"], [t for _, t in pairs])
        agree = (rows["smoothed_emotion"][mine] == FER_CLASSES[labels[face]]).mean()
        assert agree >= 0.8, f"face {face} ({FER_CLASSES[labels[face]]}): smoothed label right in {agree:.0%}"


def test_timeline_columns_raw_and_smoothed(job, rec) -> None:
    outputs, _ = job
    rows = read_timeline(outputs.timeline_csv)
    assert list(rows) == list(timeline_columns(rec.classes))
    raw = np.stack([rows[f"prob_{c}"] for c in rec.classes], axis=1)
    smooth = np.stack([rows[f"smoothed_{c}"] for c in rec.classes], axis=1)
    np.testing.assert_allclose(raw.sum(1), 1, atol=2e-3)
    np.testing.assert_allclose(smooth.sum(1), 1, atol=2e-3)
    # smoothing changes values but keeps the first observation of each track
    assert np.abs(raw - smooth).max() > 1e-3
    first = np.unique(rows["track"], return_index=True)[1]
    np.testing.assert_allclose(raw[first], smooth[first], atol=1e-4)
    # the detector ran on every k-th frame (the default); in between, boxes come from the tracker
    on_detection_frame = rows["frame"] % DEFAULT_DETECT_EVERY == 0
    assert rows["detected"][on_detection_frame].mean() > 0.9 and not rows["detected"][~on_detection_frame].any()
    assert set(rows["emotion"]) <= set(rec.classes) and set(rows["smoothed_emotion"]) <= set(rec.classes)
    # one name per signal: `emotion` is this frame's own label, `smoothed_emotion` the track's, as in the JSON
    np.testing.assert_array_equal(rows["emotion"], np.array(rec.classes)[raw.argmax(1)])
    np.testing.assert_array_equal(rows["smoothed_emotion"], np.array(rec.classes)[smooth.argmax(1)])


def test_summary_json_per_track(job, clip, rec) -> None:
    outputs, _ = job
    summary = json.loads(outputs.summary_json.read_text())
    assert summary == outputs.summary
    assert summary["frames_analysed"] == len(clip.boxes) and summary["width"] == 480
    assert len(summary["tracks"]) == clip.boxes.shape[1]
    for track in summary["tracks"]:
        assert set(track) >= {"track", "first_seen", "last_seen", "dominant_emotion", "share", "peaks", "mean_probs"}
        assert sum(track["share"].values()) == pytest.approx(1, abs=1e-3)
        assert track["dominant_emotion"] == max(track["share"], key=track["share"].get)
        assert 0 <= track["first_seen"] <= track["last_seen"] <= 3.0
        for peak in track["peaks"].values():
            assert track["first_seen"] <= peak["time"] <= track["last_seen"]
    hidden = int((~clip.visible[:, 0]).sum())
    assert sorted(t["frames"] for t in summary["tracks"])[0] <= len(clip.boxes) - hidden + 1


def test_report_is_self_contained_with_charts_and_key_moments(job) -> None:
    outputs, _ = job
    page = outputs.report_html.read_text()
    sources = re.findall(r'src="([^"]+)"', page)
    assert sources and all(s.startswith("data:image/jpeg;base64,") for s in sources)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    tracks = outputs.summary["tracks"]
    assert page.count("<h2 id=") == len(tracks)
    # per person: a timeline chart and a share chart (inline SVG), and one thumbnail per emotion
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(charts) == 2 * len(tracks) and len(sources) == len(tracks) * len(FER_CLASSES)
    timeline = ElementTree.fromstring(charts[0])  # well-formed
    assert len(timeline.findall("{http://www.w3.org/2000/svg}polyline")) == len(FER_CLASSES)
    jpeg = base64.b64decode(sources[0].split(",", 1)[1])
    assert jpeg.startswith(b"\xff\xd8")


def test_annotated_video_keeps_frames_and_audio(job, clip) -> None:
    outputs, _ = job
    assert outputs.annotated is not None
    with av.open(str(outputs.annotated)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (480, 360)
        assert container.streams.audio, "the input's audio track was lost"
        frames = sum(1 for _ in container.decode(video=0))
        container.seek(0)
        sound = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert frames == len(clip.boxes)
    assert len(sound) / 16000 == pytest.approx(3.0, abs=0.15)
    spectrum = np.abs(np.fft.rfft(sound[:16000]))
    assert np.fft.rfftfreq(16000, 1 / 16000)[spectrum.argmax()] == pytest.approx(440, abs=5)


def test_progress_reports_every_frame_with_the_total(job, clip) -> None:
    _, calls = job
    assert [d for d, _ in calls] == list(range(1, len(clip.boxes) + 1))
    assert {t for _, t in calls} == {len(clip.boxes)}


def test_python_api_detection_every_third_frame(rec, clip) -> None:
    analysis = rec.analyze_video(clip.path, detect_every=3)
    results = list(analysis)
    assert [r.index for r in results] == list(range(len(clip.boxes)))
    detected = [all(f.detected for f in r.faces) for r in results if r.faces]
    assert any(detected) and not all(detected)
    frames = np.array([r.index for r in results for _ in r.faces])
    tracks = np.array([f.track for r in results for f in r.faces])
    boxes = np.array([f.box for r in results for f in r.faces])
    found = identities(frames, tracks, boxes, clip.boxes)
    for face, pairs in found.items():
        assert len(pairs) >= 0.85 * clip.visible[:, face].sum()
        assert id_switches(pairs) <= 1
    summary = analysis.summary
    assert summary.frames == len(clip.boxes) and len(summary.tracks) <= clip.boxes.shape[1] + 1
    assert summary.to_dict()["settings"]["detect_every"] == 3
    face = results[5].faces[0]
    record = face.to_dict()
    assert {"track", "smoothed", "smoothed_emotion", "probs", "emotion"} <= set(record)
    assert record["emotion"] == face.emotion == rec.classes[int(np.argmax(face.probs))]
    assert face.smoothed_emotion in rec.classes


def test_sampled_frames_parquet_and_plot(rec, clip, tmp_path) -> None:
    summary = process_video(rec, clip.path, parquet=tmp_path / "t.parquet", sample_fps=5, smoothing=0)
    table = pq.read_table(tmp_path / "t.parquet")
    assert summary.frames == pytest.approx(15, abs=1)
    assert set(np.diff(np.unique(table.column("frame").to_numpy()))) == {5}
    raw = np.stack([table.column(f"prob_{c}").to_numpy() for c in rec.classes], axis=1)
    smooth = np.stack([table.column(f"smoothed_{c}").to_numpy() for c in rec.classes], axis=1)
    np.testing.assert_allclose(raw, smooth, atol=1e-4)  # smoothing 0 = raw values
    first = next(iter(rec.analyze_video(clip.path, keep_images=True)))
    drawn = first.plot()
    assert drawn.shape == (360, 480, 3) and np.abs(drawn.astype(int) - first.image).sum() > 0
