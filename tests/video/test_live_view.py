"""The browser view of live analysis on its own (no model): frames are encoded only for viewers, a
viewer that stops reading slows neither the publisher nor the other viewers, and closing is prompt."""

from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

import cv2
import numpy as np
import pytest

from emolens.video.live_view import BOUNDARY, LiveView
from emolens.video.results import FrameResult

#: 640x480 frames of noise: large JPEGs, so that a viewer that does not read is soon stuck.
NOISE = [np.random.default_rng(seed).integers(0, 256, (480, 640, 3), np.uint8) for seed in range(4)]


def _frame(index: int) -> FrameResult:
    return FrameResult(index, index / 25, [], 640, 480, NOISE[index % len(NOISE)])


def _first_jpeg(url: str) -> bytes:
    with urlopen(url + "stream.mjpg", timeout=10) as stream:
        while stream.readline().strip() != f"--{BOUNDARY}".encode():
            pass
        headers = dict(line.decode().split(": ", 1) for line in iter(lambda: stream.readline().strip(), b""))
        return stream.read(int(headers["Content-Length"]))


def test_frames_are_encoded_only_while_someone_watches(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[int] = []
    imencode = cv2.imencode

    def counting(*args: Any) -> Any:
        encoded.append(1)
        return imencode(*args)

    monkeypatch.setattr(cv2, "imencode", counting)
    with LiveView("test") as view:
        for index in range(30):
            view.publish(_frame(index), 25.0)
        assert encoded == []
        jpeg = _first_jpeg(view.url)
    assert len(encoded) == 1
    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (480, 640, 3)


def test_a_stalled_viewer_blocks_neither_the_analysis_nor_other_viewers() -> None:
    view = LiveView("test").start()
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    url = urlsplit(view.url)
    stalled.connect((url.hostname, url.port))
    stalled.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")  # and never reads
    publishing = 0.0
    for index in range(200):
        started = time.perf_counter()
        view.publish(_frame(index), 25.0)
        publishing += time.perf_counter() - started
        time.sleep(0.002)  # time for the stalled viewer's thread to fill its socket
    assert publishing < 2  # a few microseconds each: publish never waits for a viewer
    assert len(_first_jpeg(view.url)) > 10_000  # another viewer still gets frames
    assert json.loads(urlopen(view.url + "status", timeout=10).read())["frame"] == 199
    started = time.perf_counter()
    view.close()
    assert time.perf_counter() - started < 2
    stalled.close()
