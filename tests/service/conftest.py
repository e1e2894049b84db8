"""Fixtures of the service tests: photos and videos made of real FER2013 faces, the app in-process
(FastAPI's TestClient), ``emolens serve`` on loopback in a subprocess, and headless Chromium."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from fastapi.testclient import TestClient  # noqa: E402 - after the warning filter
from service_helpers import encode  # noqa: E402

from emolens import EmotionRecognizer  # noqa: E402
from emolens.service.app import create_app  # noqa: E402
from emolens.service.settings import ServiceSettings  # noqa: E402
from emolens.testing.server import serve  # noqa: E402
from faces import surest_faces  # noqa: E402

#: Screenshots of the browser tests land here (ignored by git); EMOLENS_ARTIFACTS moves them.
ARTIFACTS = Path(os.environ.get("EMOLENS_ARTIFACTS", Path(__file__).parent / "artifacts"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: Classes of the faces the service tests compose into photos and videos.
PICKED = ("happy", "surprise", "neutral")


@pytest.fixture(scope="session")
def picks(sharp_faces) -> np.ndarray:
    """Indices (into ``sharp_faces``) of a happy, a surprised and a neutral face that the bundled model
    finds and gets right with the most confidence (``surest_faces``)."""
    canvas = np.full((240, 320, 3), (150, 130, 110), np.uint8)
    chosen, _ = surest_faces(EmotionRecognizer(threads=1), sharp_faces, PICKED, canvas)
    return chosen


@pytest.fixture(scope="session")
def photo(sharp_faces, compose, picks) -> tuple[np.ndarray, np.ndarray]:
    """A 960x640 BGR photo with three real FER faces, and their boxes: 200 px each, 67 px in the coarse 320-px
    pass (RetinaFace does not see every pasted 48-px FER crop at 50 px there: docs/performance.md)."""
    faces, _ = sharp_faces
    return compose(faces[picks], size=(960, 640), face_px=200, seed=1)


@pytest.fixture(scope="session")
def photo_jpeg(photo) -> bytes:
    return encode(photo[0])


@pytest.fixture(scope="session")
def single_face_jpeg(sharp_faces, compose, picks) -> bytes:
    faces, _ = sharp_faces
    image, _ = compose(faces[picks[:1]], size=(320, 240), face_px=150, seed=0)
    return encode(image)


@pytest.fixture(scope="session")
def face_frames(sharp_faces, compose, picks) -> Callable[[int, tuple[int, int]], list[np.ndarray]]:
    """``frames(n, size)``: n BGR frames, each with two real faces that drift slowly to the right."""
    faces, _ = sharp_faces

    def make(n: int, size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
        base, _ = compose(faces[picks[:2]], size=(size[0] - 40, size[1]), face_px=size[0] // 4, seed=2)
        frames = []
        for i in range(n):
            frame = np.zeros((size[1], size[0], 3), np.uint8)
            frame[:] = base[:, :1]
            shift = round(40 * i / max(1, n - 1))
            frame[:, shift : shift + base.shape[1]] = base
            frames.append(frame)
        return frames

    return make


@pytest.fixture(scope="session")
def face_video(face_frames, tmp_path_factory) -> Path:
    """A 2-second 10 FPS MP4 (mp4v) of two real faces."""
    path = tmp_path_factory.mktemp("video") / "faces.mp4"
    frames = face_frames(20, (320, 240))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (320, 240))
    for frame in frames:
        writer.write(frame)
    writer.release()
    assert path.stat().st_size > 0
    return path


@pytest.fixture(scope="session")
def camera_y4m(face_frames, tmp_path_factory) -> Path:
    """A Y4M clip (YUV 4:2:0) for Chromium's fake camera: two real faces, 640x480, 15 FPS."""
    path = tmp_path_factory.mktemp("camera") / "faces.y4m"
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F15:1 Ip A1:1 C420jpeg\n")
        for frame in face_frames(30, (640, 480)):
            out.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


# -- the app in-process ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    """The app with small limits (1 MB uploads, 4 MP images) so the limit tests stay cheap."""
    settings = ServiceSettings(max_upload_mb=1.0, max_pixels=4_000_000, jobs_dir=str(tmp_path_factory.mktemp("jobs")))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# -- emolens serve on loopback --------------------------------------------------------------------
@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """``emolens serve`` in a subprocess on a free loopback port, for the whole session."""
    with serve(tmp_path_factory.mktemp("server"), env={"EMOLENS_MAX_VIDEO_SECONDS": "60"}) as url:
        yield url


# -- headless Chromium ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser(camera_y4m, tmp_path_factory):
    """A browser context of Debian's Chromium driven by Playwright, its fake camera playing :func:`camera_y4m`."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get update && apt-get install -y chromium (README, 'Run the tests')")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_y4m}",
    ]
    with sync_playwright() as playwright:
        # a persistent context is how Playwright takes a fresh --user-data-dir
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=args, viewport={"width": 1100, "height": 900}
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
