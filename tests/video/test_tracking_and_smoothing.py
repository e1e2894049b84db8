"""The tracker on known box paths (motion, missed detections, occlusion, new and lost faces, prediction
between detections), the time-based smoothing, and the bounded time series of the summaries."""

from __future__ import annotations

import numpy as np
import pytest

from emolens.errors import ConfigError
from emolens.video.smoothing import EmaSmoother
from emolens.video.summary import TimeSeries
from emolens.video.tracking import FaceTracker


def box_at(x: float, y: float, side: float = 100) -> np.ndarray:
    return np.array([x, y, x + side, y + side], np.float32)


def test_moving_faces_keep_their_ids_through_missed_detections() -> None:
    tracker = FaceTracker(max_age=0.5)
    fps, seen = 30, {}
    for i in range(90):
        t = i / fps
        boxes = [box_at(50 + 4 * i, 100), box_at(600 - 3 * i, 300)]
        if i % 7 == 3:  # the detector misses face 0 now and then
            boxes = boxes[1:]
        tracks = tracker.update(np.array(boxes), np.ones(len(boxes)), t)
        for track in tracks:
            face = 0 if track.box[1] < 200 else 1
            seen.setdefault(face, set()).add(track.id)
    assert seen == {0: {1}, 1: {2}}


def test_an_occluded_face_comes_back_under_its_id_and_a_lost_one_is_dropped() -> None:
    tracker = FaceTracker(max_age=0.5)
    for i in range(10):
        tracker.update(box_at(100 + 5 * i, 100)[None], np.ones(1), i / 30)
    for i in range(10, 22):  # hidden for 0.4 s while moving on
        assert tracker.update(np.empty((0, 4)), np.empty(0), i / 30) == []
    back = tracker.update(box_at(100 + 5 * 22, 100)[None], np.ones(1), 22 / 30)
    assert [t.id for t in back] == [1]
    for i in range(23, 45):  # gone for longer than max_age
        tracker.update(np.empty((0, 4)), np.empty(0), i / 30)
    assert tracker.tracks == [] and tracker.removed in ([], [1])
    new = tracker.update(box_at(100, 100)[None], np.ones(1), 45 / 30)
    assert [t.id for t in new] == [2]


def test_a_face_that_turned_while_hidden_comes_back_under_its_id() -> None:
    tracker = FaceTracker()
    for i in range(10):  # moving right, 200 px/s
        tracker.update(box_at(100 + 8 * i, 100)[None], np.ones(1), i / 25)
    for i in range(10, 20):  # hidden for 0.4 s, during which it turned back
        tracker.update(np.empty((0, 4)), np.empty(0), i / 25)
    assert tracker.tracks[0].predict(20 / 25)[0] > 230  # its straight-line prediction misses it
    back = tracker.update(np.stack([box_at(120, 100), box_at(500, 400)]), np.ones(2), 20 / 25)
    assert [t.id for t in back] == [1, 2]  # and a face far away is somebody else
    assert back[0].box[0] == 120
    follow = tracker.update(box_at(116, 100)[None], np.ones(1), 21 / 25)  # its motion restarts from there
    assert [t.id for t in follow] == [1]


def test_far_detection_starts_a_new_track() -> None:
    tracker = FaceTracker()
    tracker.update(box_at(0, 0)[None], np.ones(1), 0.0)
    tracks = tracker.update(np.stack([box_at(5, 0), box_at(400, 400)]), np.ones(2), 1 / 30)
    assert [t.id for t in tracks] == [1, 2] and [t.detected for t in tracks] == [True, True]


def test_prediction_between_detections_follows_the_motion() -> None:
    tracker = FaceTracker()
    for i in range(6):
        tracker.update(box_at(100 + 10 * i, 50)[None], np.ones(1), i / 30)
    predicted = tracker.predict(8 / 30)
    assert len(predicted) == 1 and not predicted[0].detected
    x = predicted[0].box[0]
    assert 100 + 10 * 8 - 12 < x < 100 + 10 * 8 + 12  # ahead of the last detection, near the truth


def test_tracker_arguments_are_checked() -> None:
    with pytest.raises(ConfigError):
        FaceTracker(min_iou=0)
    with pytest.raises(ConfigError):
        FaceTracker(max_age=-1)


def test_smoothing_half_life_is_in_seconds_whatever_the_frame_rate() -> None:
    for fps in (10, 30, 60):
        smoother = EmaSmoother(half_life=0.5)
        smoother("a", 0.0, np.array([1.0, 0.0]))
        for i in range(1, round(0.5 * fps) + 1):
            value = smoother("a", i / fps, np.array([0.0, 1.0]))
        np.testing.assert_allclose(value, [0.5, 0.5], atol=1e-5)


def test_smoothing_per_key_off_and_forget() -> None:
    smoother = EmaSmoother(half_life=1.0)
    np.testing.assert_allclose(smoother(1, 0.0, np.array([1.0, 0.0])), [1, 0])
    np.testing.assert_allclose(smoother(2, 0.0, np.array([0.0, 1.0])), [0, 1])  # keys are independent
    assert smoother(1, 1.0, np.array([0.0, 1.0]))[1] == pytest.approx(0.5)
    smoother.forget([1])
    np.testing.assert_allclose(smoother(1, 2.0, np.array([0.2, 0.8])), [0.2, 0.8])  # starts afresh
    off = EmaSmoother(half_life=0)
    off("k", 0.0, np.array([1.0, 0.0]))
    np.testing.assert_allclose(off("k", 0.01, np.array([0.0, 1.0])), [0, 1])
    with pytest.raises(ConfigError):
        EmaSmoother(-1)


def test_time_series_stays_bounded_and_keeps_the_shape_of_the_signal() -> None:
    series = TimeSeries(width=1, capacity=64)
    times = np.arange(10_000) / 30
    for t in times:
        series.add(float(t), np.array([np.sin(t / 30)], np.float32))
    kept_times, kept = series.arrays()
    assert 32 <= len(kept_times) <= 64
    assert np.all(np.diff(kept_times) > 0) and kept_times[0] < 10 and kept_times[-1] > times[-1] - 20
    np.testing.assert_allclose(kept[:, 0], np.sin(kept_times / 30), atol=0.02)


def test_bad_analysis_options_are_config_errors(rec, clip) -> None:
    for options in ({"detect_every": 0}, {"smoothing": -1}, {"max_age": -1}, {"sample_fps": 0}):
        with pytest.raises(ConfigError):
            rec.analyze_video(clip.path, **options)
