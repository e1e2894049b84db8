"""Every bad input gets a JSON error with its 4xx status, and the server answers /healthz after it."""

from __future__ import annotations

import numpy as np
import pytest
from service_helpers import assert_alive, encode

from emolens.service import analysis
from emolens.service.settings import ServiceSettings


def _png(width: int, height: int) -> bytes:
    return encode(np.full((height, width), 128, np.uint8), ".png")


def _chunks(data: bytes, size: int = 65536):
    for i in range(0, len(data), size):
        yield data[i : i + size]


BAD_INPUTS = {
    "not an image": (
        lambda jpeg: {"files": {"file": ("notes.jpg", b"these are not pixels" * 20, "image/jpeg")}},
        422,
        "unreadable_image",
        "not an image",
    ),
    "truncated JPEG": (
        lambda jpeg: {"files": {"file": ("cut.jpg", jpeg[: len(jpeg) // 2], "image/jpeg")}},
        422,
        "unreadable_image",
        "truncated",
    ),
    "truncated PNG": (
        lambda jpeg: {"files": {"file": ("cut.png", _png(64, 64)[:-20], "image/png")}},
        422,
        "unreadable_image",
        "truncated",
    ),
    "empty file": (
        lambda jpeg: {"files": {"file": ("empty.jpg", b"", "image/jpeg")}},
        422,
        "unreadable_image",
        "empty",
    ),
    "oversized upload": (
        lambda jpeg: {"files": {"file": ("big.jpg", jpeg + b"\0" * 1_200_000, "image/jpeg")}},
        413,
        "too_large",
        "limit",
    ),
    "oversized chunked body": (
        lambda jpeg: {"content": _chunks(b"\0" * 1_200_000), "headers": {"Content-Type": "image/jpeg"}},
        413,
        "too_large",
        "limit",
    ),
    "too many pixels": (
        lambda jpeg: {"files": {"file": ("wide.png", _png(2600, 2000), "image/png")}},
        413,
        "too_many_pixels",
        "5,200,000 pixels",
    ),
    "pixel bomb": (
        lambda jpeg: {"files": {"file": ("bomb.png", _png(9000, 9000), "image/png")}},
        413,
        "too_many_pixels",
        "81,000,000 pixels",
    ),
    "unsupported content type": (
        lambda jpeg: {"content": b"hello", "headers": {"Content-Type": "text/plain"}},
        415,
        "unsupported_media_type",
        "text/plain",
    ),
    "no content type": (lambda jpeg: {"content": jpeg}, 415, "unsupported_media_type", "none"),
    "text file part": (
        lambda jpeg: {"files": {"file": ("a.txt", b"hello", "text/plain")}},
        415,
        "unsupported_media_type",
        "text/plain",
    ),
    "missing file field": (
        lambda jpeg: {"files": {"picture": ("a.jpg", jpeg, "image/jpeg")}},
        422,
        "invalid_request",
        "missing field 'file'",
    ),
    "text instead of a file": (
        lambda jpeg: {"data": {"file": "hello"}, "files": {"other": ("a.jpg", b"x", "image/jpeg")}},
        422,
        "invalid_request",
        "must be a file",
    ),
    "JSON without image": (lambda jpeg: {"json": {"picture": "abc"}}, 422, "invalid_request", "image: Field required"),
    "JSON bad base64": (lambda jpeg: {"json": {"image": "%%%not base64%%%"}}, 422, "invalid_request", "base64"),
    "malformed JSON": (
        lambda jpeg: {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        422,
        "invalid_request",
        "JSON",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_image_input_gets_its_status_and_the_server_lives_on(client, single_face_jpeg, case):
    make, status, code, words = BAD_INPUTS[case]
    response = client.post("/v1/analyze", **make(single_face_jpeg))
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["status"], body["error"]) == (status, code)
    assert words.lower() in body["message"].lower()
    assert_alive(client)
    assert client.post("/v1/analyze", files={"file": ("ok.jpg", single_face_jpeg)}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/v1/jobs/0123456789abcdef", 404, "unknown_job"),
        ("get", "/v1/jobs/..%2F..%2Fetc", 404, "not_found"),
        ("get", "/v1/jobs/0123456789abcdef/files/report.html", 404, "unknown_job"),
        ("get", "/v1/nothing-here", 404, "not_found"),
        ("get", "/v1/analyze", 405, "method_not_allowed"),
        ("post", "/v1/analyze?top_k=many", 422, "invalid_request"),
        ("post", "/v1/videos?detect_every=0", 422, "invalid_request"),
    ],
)
def test_bad_routes_and_parameters(client, single_face_jpeg, method, path, status, code):
    response = getattr(client, method)(
        path, **({"files": {"file": ("a.jpg", single_face_jpeg)}} if method == "post" else {})
    )
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert_alive(client)


def test_not_a_video_and_wrong_video_type(client, single_face_jpeg):
    not_video = client.post("/v1/videos", files={"file": ("clip.mp4", b"\0\1\2 not a video" * 100, "video/mp4")})
    assert not_video.status_code == 422 and not_video.json()["error"] == "unreadable_video"
    assert "clip.mp4" in not_video.json()["message"]
    still = client.post("/v1/videos", files={"file": ("face.jpg", single_face_jpeg, "image/jpeg")})
    assert still.status_code == 415
    missing = client.post("/v1/videos", files={"video": ("clip.mp4", b"x", "video/mp4")})
    assert missing.status_code == 422
    jobs = client.app.state.jobs
    assert not any(jobs.root.iterdir())  # refused uploads leave nothing behind
    assert_alive(client)


def test_pixel_limit_is_checked_before_decoding(monkeypatch):
    """A small file that would decode to a huge image is refused from its header, without decoding it."""
    data = _png(9000, 9000)
    assert len(data) < 1_000_000

    def must_not_decode(*args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(analysis, "decode_bytes", must_not_decode)
    with pytest.raises(analysis.TooManyPixelsError, match="9000x9000"):
        analysis.Analyzer(ServiceSettings(max_pixels=4_000_000)).decode(data, "bomb.png")
