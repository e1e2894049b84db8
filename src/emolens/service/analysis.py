"""The service's analysis engine: the model and detector loaded once, a bounded pool of threads that
decode and detect, and the classifier fed by the micro-batcher (or called per request).

Decoding checks the pixel count from the image header before decoding, so a small file that would
decode to a huge image is refused without allocating it. Both detectors (RetinaFace in ONNX Runtime,
libfacedetection through ctypes) and the classifier release Python's GIL while they run, so the pool's threads detect side by
side, with one CPU thread each by default (``ServiceSettings.threads``), while the event loop goes on
reading and answering requests.
"""

from __future__ import annotations

import asyncio
import base64
import io
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from emolens.errors import EmolensError, ImageReadError
from emolens.imageio import decode_bytes
from emolens.pipeline.crops import crop_faces
from emolens.pipeline.recognizer import EmotionRecognizer, Prepared
from emolens.pipeline.results import ImageResult
from emolens.service.batching import MicroBatcher
from emolens.service.settings import ServiceSettings


class TooManyPixelsError(EmolensError):
    """An image whose width x height exceeds the service's ``max_pixels``."""


class BusyError(EmolensError):
    """More requests are in flight than ``max_pending`` allows."""


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from an image's header without decoding it; None when Pillow cannot tell."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as pil:
                return pil.size
    except Image.DecompressionBombError:
        return (Image.MAX_IMAGE_PIXELS or 0) * 2, 1
    except Exception:  # noqa: BLE001 - any header Pillow cannot parse is left to the decoder's clear error
        return None


def encode_jpeg(image: np.ndarray, quality: int = 85) -> str:
    """An image as base64 JPEG text."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ImageReadError("cannot encode the annotated image as JPEG")
    return base64.b64encode(encoded.tobytes()).decode("ascii")


class Analyzer:
    """Analyse encoded images concurrently. :meth:`start` loads everything; :meth:`stop` releases it."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.recognizer = EmotionRecognizer(**settings.recognizer_options())
        self.pool: ThreadPoolExecutor | None = None
        self.classify_pool: ThreadPoolExecutor | None = None
        self.batcher: MicroBatcher | None = None
        self.pending = 0
        self._calls = 0
        self._faces = 0

    @property
    def classifier_stats(self) -> tuple[int, int]:
        """Classifier calls made and faces classified since start (their ratio is the mean batch)."""
        if self.batcher is not None:
            return self.batcher.calls, self.batcher.faces
        return self._calls, self._faces

    async def start(self) -> None:
        """Load the model and the detector (a bad model fails here, before the server listens)."""
        rec = self.recognizer
        warm = np.zeros((64, 64, 3), np.uint8)
        rec.classify(crop_faces(warm, np.array([[0, 0, 64, 64]], np.float32), rec.classifier.input_size))
        rec.detect(warm)
        self.pool = ThreadPoolExecutor(self.settings.workers_in_pool, thread_name_prefix="emolens-detect")
        self.classify_pool = ThreadPoolExecutor(1, thread_name_prefix="emolens-classify")  # without batching
        if self.settings.batching:
            self.batcher = MicroBatcher(rec.classify, self.settings.max_batch, self.settings.batch_wait_ms)
            self.batcher.start()

    async def stop(self) -> None:
        if self.batcher is not None:
            self.batcher.stop()
        for pool in (self.pool, self.classify_pool):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    # -- steps ------------------------------------------------------------------------------------
    def decode(self, data: bytes, name: str) -> np.ndarray:
        """BGR image from encoded bytes, refusing images over ``max_pixels`` before decoding them."""
        size = header_size(data)
        limit = self.settings.max_pixels
        if size is not None and size[0] * size[1] > limit:
            raise TooManyPixelsError(
                f"{name}: {size[0]}x{size[1]} is {size[0] * size[1]:,} pixels, more than this server's limit of {limit:,}"
            )
        image = decode_bytes(data, "bgr", name=name)
        if image.shape[0] * image.shape[1] > limit:
            raise TooManyPixelsError(f"{name}: {image.shape[1]}x{image.shape[0]} pixels is over the limit of {limit:,}")
        return image

    def _prepare(self, data: bytes, name: str) -> Prepared:
        started = time.perf_counter()
        image = self.decode(data, name)
        return self.recognizer.prepare(image, name, {"decode": 1000 * (time.perf_counter() - started)})

    async def _classify(self, crops: np.ndarray) -> np.ndarray:
        if not len(crops):
            return np.empty((0, len(self.recognizer.classes)), np.float32)
        if self.batcher is not None:
            return await self.batcher.classify(crops)
        loop = asyncio.get_running_loop()  # one classifier thread, as with batching: only batching differs
        probs = await loop.run_in_executor(self.classify_pool, self.recognizer.classify, crops)
        self._calls += 1
        self._faces += len(crops)
        return probs

    async def analyze(self, data: bytes, name: str = "<upload>") -> ImageResult:
        """Faces of an encoded image (raises :class:`ImageReadError`, :class:`TooManyPixelsError`,
        :class:`BusyError`); the result keeps the decoded image for drawing."""
        if self.pending >= self.settings.max_pending:
            raise BusyError(f"the server is busy ({self.pending} requests in flight); retry shortly")
        self.pending += 1
        try:
            loop = asyncio.get_running_loop()
            prepared = await loop.run_in_executor(self.pool, self._prepare, data, name)
            started = time.perf_counter()
            probs = await self._classify(prepared.crops)
            classified = 1000 * (time.perf_counter() - started)
        finally:
            self.pending -= 1
        return self.recognizer.result(prepared, probs, classify_ms=classified)

    async def annotate(self, result: ImageResult) -> str:
        """The annotated picture of a result as base64 JPEG (drawn in the pool)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, lambda: encode_jpeg(result.plot()))
