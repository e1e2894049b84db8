"""Choosing real faces for the tests by what the model at hand says about them (import as
``from faces import surest_faces``)."""

from __future__ import annotations

import cv2
import numpy as np

from emolens.labels import FER_CLASSES


def alone(rec, face: np.ndarray, canvas: np.ndarray, face_px: int = 128) -> tuple[str | None, float]:
    """What ``rec`` says about a 48x48 ``face`` on its own, and how sure it is: upscaled to ``face_px``,
    pasted on a copy of the BGR ``canvas``, detected, cropped and classified ((None, 0) when not found)."""
    canvas = canvas.copy()
    y, x = (canvas.shape[0] - face_px) // 2, (canvas.shape[1] - face_px) // 2
    big = cv2.resize(face, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
    canvas[y : y + face_px, x : x + face_px] = big[..., None]
    found = rec.analyze(canvas).faces
    return (found[0].emotion, found[0].confidence) if len(found) == 1 else (None, 0.0)


def surest_faces(
    rec, sharp_faces: tuple[np.ndarray, np.ndarray], classes: tuple[str, ...], canvas: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``classes``, the index (into ``sharp_faces``) of the face the model classifies
    correctly on its own with the most confidence (a face it only just gets right may flip when moved
    or composed), and whether it gets that face right at all. Chosen by the model at hand, not by a
    list of indices that holds for one copy of the data and one model only."""
    faces, labels = sharp_faces
    chosen, correct = [], []
    for name in classes:
        index = np.flatnonzero(labels == FER_CLASSES.index(name))
        said = [alone(rec, faces[i], canvas) for i in index]
        sure = [confidence if emotion == name else -1.0 for emotion, confidence in said]
        chosen.append(index[int(np.argmax(sure))])
        correct.append(max(sure) >= 0)
    return np.array(chosen), np.array(correct)
