"""Helpers shared by the service tests (import as ``from service_helpers import ...``) (``emolens serve`` in a
subprocess: ``emolens.testing.server.serve``)."""

from __future__ import annotations

import cv2
import numpy as np


def encode(image: np.ndarray, suffix: str = ".jpg") -> bytes:
    """An image encoded as JPEG/PNG bytes."""
    ok, data = cv2.imencode(suffix, image)
    assert ok
    return data.tobytes()


def assert_alive(client) -> None:
    """The server answers /healthz (TestClient or httpx.Client)."""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def run_async(coroutine) -> object:
    """Run a coroutine to completion in a thread of its own (Playwright's sync API may own this
    thread's event loop when the browser tests ran first)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
