"""Helpers shared by the service tests (import as ``from service_helpers import ...``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest


def encode(image: np.ndarray, suffix: str = ".jpg") -> bytes:
    """An image encoded as JPEG/PNG bytes."""
    ok, data = cv2.imencode(suffix, image)
    assert ok
    return data.tobytes()


def assert_alive(client) -> None:
    """The server answers /healthz (TestClient or httpx.Client)."""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_async(coroutine) -> object:
    """Run a coroutine to completion in a thread of its own (Playwright's sync API may own this
    thread's event loop when the browser tests ran first)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@contextmanager
def serve(folder: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``emolens serve ARGS`` in a subprocess on a free loopback port; yields its URL once /healthz
    answers, and stops it afterwards. Its log (``folder/server.log``) is shown when it fails to start."""
    port = free_port()
    log_path = folder / "server.log"
    command = [sys.executable, "-m", "emolens.cli", "serve", "--port", str(port), "--log-level", "warning", *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"emolens serve exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"emolens serve did not answer in 90 s:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
