"""Fixtures for the video tests: a recogniser, real FER2013 faces chosen per class, a synthetic clip of
them moving (with audio and a short occlusion), and the outputs of one ``run_video_job`` on it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from video_synth import SyntheticVideo, background, make_video

from emolens import EmotionRecognizer
from emolens.labels import FER_CLASSES
from emolens.pipeline.video import VideoOutputs, run_video_job

FACE_PX = 128
#: Classes of the planted faces (one face each).
PLANTED = ("happy", "surprise", "angry")


@pytest.fixture(scope="session")
def rec() -> EmotionRecognizer:
    # one thread: the OpenMP detector degrades badly when the machine's cores are busy
    return EmotionRecognizer(threads=1)


def alone(rec: EmotionRecognizer, face: np.ndarray) -> tuple[str | None, float]:
    """What the model says about ``face`` on its own, and how sure it is: upscaled like in the clips,
    pasted on the clips' background, detected, cropped and classified ((None, 0) when not detected)."""
    canvas = background((320, 240))
    canvas[56 : 56 + FACE_PX, 96 : 96 + FACE_PX] = cv2.resize(face, (FACE_PX, FACE_PX), interpolation=cv2.INTER_CUBIC)[
        ..., None
    ]
    found = rec.analyze(canvas).faces
    return (found[0].emotion, found[0].confidence) if len(found) == 1 else (None, 0.0)


@pytest.fixture(scope="session")
def planted(sharp_faces, rec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One face per class of ``PLANTED``, preferring the face the model classifies correctly on its own
    with the most confidence (a face it only just gets right may flip as it moves): faces (N, 48, 48),
    true labels (N,), and whether the model gets each one right alone."""
    faces, labels = sharp_faces
    chosen, correct = [], []
    for name in PLANTED:
        index = np.flatnonzero(labels == FER_CLASSES.index(name))
        said = [alone(rec, faces[i]) for i in index]
        sure = [confidence if emotion == name else -1.0 for emotion, confidence in said]
        chosen.append(index[int(np.argmax(sure))])
        correct.append(max(sure) >= 0)
    return faces[chosen], labels[chosen], np.array(correct)


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
