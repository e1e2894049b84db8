"""``emolens serve`` in a subprocess on a free loopback port, for tests and benchmarks.

from emolens.testing.server import serve
with serve(Path("logs"), "--workers", "2") as url:
    httpx.post(f"{url}/v1/analyze", files=...)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ServerError(RuntimeError):
    """``emolens serve`` exited or did not answer in time; the message carries its log."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether ``url``/healthz answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def serve(folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 90.0) -> Iterator[str]:
    """``emolens serve ARGS`` in a subprocess on a free loopback port; yields its URL once /healthz
    answers, and stops it afterwards. Its log goes to ``folder/server.log`` and is quoted in the
    :class:`ServerError` raised when it exits or does not answer within ``timeout`` seconds."""
    port = free_port()
    log_path = Path(folder) / "server.log"
    command = [sys.executable, "-m", "emolens.cli", "serve", "--port", str(port), "--log-level", "warning", *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while not healthy(url):
            if process.poll() is not None:
                raise ServerError(f"emolens serve exited with {process.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                raise ServerError(f"emolens serve did not answer in {timeout:.0f} s:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
