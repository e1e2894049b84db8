"""Fixtures for the video tests: a recogniser, real FER2013 faces chosen per class, a synthetic clip of
them moving (with audio and a short occlusion), and the outputs of one ``run_video_job`` on it."""

from __future__ import annotations

import numpy as np
import pytest

from emolens import EmotionRecognizer
from emolens.testing.media import SyntheticVideo, background, make_video
from emolens.video.analysis import VideoOutputs, run_video_job
from faces import surest_faces

FACE_PX = 128
#: Classes of the planted faces (one face each).
PLANTED = ("happy", "surprise", "angry")


@pytest.fixture(scope="session")
def rec() -> EmotionRecognizer:
    # one thread: the OpenMP detector degrades badly when the machine's cores are busy
    return EmotionRecognizer(threads=1)


@pytest.fixture(scope="session")
def planted(sharp_faces, rec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One face per class of ``PLANTED``, the one the model is surest of alone on the clips' background
    (see ``surest_faces``): faces (N, 48, 48), true labels (N,), and whether the model gets each right."""
    chosen, correct = surest_faces(rec, sharp_faces, PLANTED, background((320, 240)))
    faces, labels = sharp_faces
    return faces[chosen], labels[chosen], correct


@pytest.fixture(scope="session")
def clip(planted, tmp_path_factory) -> SyntheticVideo:
    """3 s, 480x360, 25 fps: three real faces drifting, face 0 hidden 1.0-1.4 s, a 440 Hz audio track."""
    faces, _, _ = planted
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    return make_video(path, faces, size=(480, 360), face_px=FACE_PX, seconds=3.0, audio=True, hide=(0, 1.0, 1.4))


@pytest.fixture(scope="session")
def job(rec, clip, tmp_path_factory) -> tuple[VideoOutputs, list[tuple[int, int | None]]]:
    """``run_video_job`` on the clip (all outputs), with the progress calls it made."""
    calls: list[tuple[int, int | None]] = []
    out = tmp_path_factory.mktemp("job")
    outputs = run_video_job(rec, clip.path, out, progress=lambda done, total: calls.append((done, total)))
    return outputs, calls
