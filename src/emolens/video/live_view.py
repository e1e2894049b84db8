"""Show a live video analysis in the browser with the standard library only: a local HTTP server whose
page plays the annotated frames as MJPEG and shows the FPS and the current emotions.

This is how ``emolens webcam`` shows its picture by default: the ``opencv-python-headless`` build
emolens installs cannot open windows, and the ``serve`` extra (FastAPI) is not needed. The page has no
external resources (nothing is downloaded). The analysis loop never waits for the viewers: it only
hands over each result; frames are drawn and JPEG-encoded in the viewers' threads, only while someone
watches, once per frame however many watch, and a slow viewer skips to the latest frame.
"""

from __future__ import annotations

import html
import json
import os
import sys
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import cv2

from emolens.errors import ConfigError
from emolens.pipeline.drawing import colour_of
from emolens.video.results import FrameResult

#: The separator of the JPEG parts of the MJPEG stream.
BOUNDARY = "emolens-frame"
#: JPEG quality of the streamed frames (0-100).
JPEG_QUALITY = 80
#: Milliseconds between the page's status requests.
STATUS_PERIOD_MS = 500

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>emolens: {title}</title>
<link rel="icon" href="data:,">
<style>
body { margin: 0; background: #111; color: #eee; font: 15px system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 0.4em 1.5em; align-items: baseline; padding: 0.6em 1em; }
h1 { font-size: 1.05em; margin: 0; }
#fps { color: #9cf; font-variant-numeric: tabular-nums; }
#faces b { display: inline-block; margin-right: 1em; font-weight: 600; }
main { display: flex; justify-content: center; }
img { max-width: 100%; max-height: calc(100vh - 3.5em); }
</style>
</head>
<body>
<header><h1>emolens &middot; {title}</h1><span id="fps">starting</span><span id="faces"></span></header>
<main><img src="stream.mjpg" alt="the live picture, each face boxed and labelled with its emotion"></main>
<script>
"use strict";
const fps = document.getElementById("fps"), faces = document.getElementById("faces");
async function poll() {
  let status;
  try {
    status = await (await fetch("status", {cache: "no-store"})).json();
  } catch (error) {
    fps.textContent = "stopped";
    return;
  }
  fps.textContent = status.frame === null ? "waiting for the first frame"
    : status.fps.toFixed(1) + " FPS, frame " + status.frame;
  faces.replaceChildren(...status.faces.map(face => {
    const chip = document.createElement("b");
    chip.style.color = face.colour;
    chip.textContent = "#" + face.track + " " + face.smoothed_emotion + " " + Math.round(100 * face.smoothed_confidence) + "%";
    return chip;
  }));
  if (!status.faces.length && status.frame !== null) faces.textContent = "no face";
  setTimeout(poll, {period});
}
poll();
</script>
</body>
</html>
"""


def _hex(bgr: tuple[int, int, int]) -> str:
    b, g, r = bgr
    return f"#{r:02x}{g:02x}{b:02x}"


class LiveView:
    """A local web page showing the latest frame of a live analysis, for any number of browsers.

    ``LiveView(title, port=0)`` listens on ``host:port`` (0: a free port; :class:`ConfigError` when it
    cannot); :meth:`start` serves in a background thread, :meth:`publish` hands over each analysed frame
    (its image must be kept) and :meth:`close` ends the viewers' streams and stops the server. Paths:
    ``/`` the page, ``/stream.mjpg`` the annotated frames, ``/status`` the FPS and faces as JSON.
    """

    def __init__(self, title: str, host: str = "127.0.0.1", port: int = 0, quality: int = JPEG_QUALITY):
        self.title = title
        self.quality = quality
        self.page = PAGE.replace("{title}", html.escape(title)).replace("{period}", str(STATUS_PERIOD_MS)).encode()
        self._changed = threading.Condition()
        self._latest: tuple[int, FrameResult, float] | None = None  # (sequence number, frame, fps)
        self._closed = False
        self._encoding = threading.Lock()
        self._jpeg: tuple[int, bytes] = (0, b"")
        try:
            self._server = _Server((host, port), _Handler)
        except OSError as exc:
            raise ConfigError(f"the live view cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        self._server.view = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="emolens-live-view", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> LiveView:
        self._thread.start()
        return self

    def publish(self, result: FrameResult, fps: float) -> None:
        """Make ``result`` (analysed at ``fps`` frames per second) the frame shown; returns at once."""
        with self._changed:
            number = self._latest[0] + 1 if self._latest else 1
            self._latest = (number, result, fps)
            self._changed.notify_all()

    def close(self) -> None:
        """End every viewer's stream and stop serving."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LiveView:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the viewers get ---------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """The latest frame's number, the FPS and each face's track, smoothed emotion and colour."""
        with self._changed:
            latest = self._latest
        if latest is None:
            return {"source": self.title, "frame": None, "time": None, "fps": 0.0, "faces": []}
        _, result, fps = latest
        faces = [
            {"track": f.track, "smoothed_emotion": f.smoothed_emotion, "smoothed_confidence": round(f.smoothed_confidence, 3),
             "colour": _hex(colour_of(f.smoothed_emotion))}
            for f in result.faces
        ]  # fmt: skip
        return {"source": self.title, "frame": result.index, "time": round(result.time, 3), "fps": round(fps, 1),
                "faces": faces}  # fmt: skip

    def next_jpeg(self, after: int) -> tuple[int, bytes] | None:
        """Wait for a frame newer than number ``after``; the latest one's number and JPEG (encoded once
        for all viewers), or None once the view is closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or (self._latest is not None and self._latest[0] > after))
            if self._closed:
                return None
        with self._encoding:  # the latest frame again: it may have changed while another viewer encoded
            with self._changed:
                latest = self._latest
            assert latest is not None
            number, result, fps = latest
            if self._jpeg[0] != number:
                image = result.plot(banner=f"{fps:.1f} FPS")
                _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
                self._jpeg = (number, data.tobytes())
            return self._jpeg


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    view: LiveView


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        view = self.server.view
        if path == "/":
            self._send("text/html; charset=utf-8", view.page)
        elif path == "/status":
            self._send("application/json", json.dumps(view.status()).encode())
        elif path == "/stream.mjpg":
            self._stream(view)
        else:
            self._send("text/plain; charset=utf-8", b"not found\n", HTTPStatus.NOT_FOUND)

    def _send(self, kind: str, body: bytes, code: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, view: LiveView) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        number = 0
        try:
            while (frame := view.next_jpeg(number)) is not None:
                number, jpeg = frame
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                self.wfile.write(head.encode() + jpeg + b"\r\n")
            self.wfile.write(f"--{BOUNDARY}--\r\n".encode())
        except ConnectionError:  # the viewer closed the page
            return

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the terminal belongs to the command."""


def open_browser(url: str) -> bool:
    """Open ``url`` in the user's browser when a graphical one can be expected (never a text browser
    that would take over the terminal); whether it was opened."""
    graphical = sys.platform in ("darwin", "win32") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")
    )
    try:
        return graphical and webbrowser.open(url)
    except webbrowser.Error:
        return False
