"""The REST API and the WebSocket on real FER2013 faces composed into photos (FastAPI's TestClient)."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from fastapi import WebSocketDisconnect
from fastapi.testclient import TestClient
from service_helpers import assert_alive, encode

from emolens import EmotionRecognizer
from emolens.errors import ConfigError
from emolens.service.app import create_app
from emolens.service.settings import ServiceSettings


def iou(a, b) -> float:
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def reference(photo_jpeg):
    """What the Python API says about the same JPEG."""
    return EmotionRecognizer().analyze(photo_jpeg)


def test_multipart_upload_finds_every_composed_face(client, photo, photo_jpeg, reference):
    response = client.post("/v1/analyze", files={"file": ("group.jpg", photo_jpeg, "image/jpeg")})
    assert response.status_code == 200, response.text
    body = response.json()
    _, boxes = photo
    assert (body["width"], body["height"]) == (960, 640)
    assert body["source"] == "group.jpg"
    assert len(body["faces"]) == len(boxes) == 3
    for box in boxes:
        assert max(iou(box, f["box"]) for f in body["faces"]) > 0.5
    classes = list(reference.faces[0].classes)
    for face, expected in zip(body["faces"], reference.faces, strict=True):
        assert list(face["probs"]) == classes
        assert sum(face["probs"].values()) == pytest.approx(1.0, abs=2e-3)
        assert face["emotion"] == expected.emotion
        np.testing.assert_allclose(list(face["probs"].values()), expected.probs, atol=1e-3)
        assert [t["emotion"] for t in face["top"]] == [c for c, _ in expected.top(3)]
    assert set(body["timings_ms"]) == {"decode", "detect", "crop", "classify"}
    assert "annotated_jpeg" not in body


def test_json_base64_data_url_and_raw_body_give_the_same_faces(client, photo_jpeg):
    multipart = client.post("/v1/analyze", files={"file": ("a.jpg", photo_jpeg, "image/jpeg")}).json()
    b64 = base64.b64encode(photo_jpeg).decode()
    as_json = client.post("/v1/analyze", json={"image": b64, "name": "group"}).json()
    data_url = client.post("/v1/analyze", json={"image": f"data:image/jpeg;base64,{b64}"}).json()
    raw = client.post("/v1/analyze", content=photo_jpeg, headers={"Content-Type": "image/jpeg"}).json()
    assert as_json["source"] == "group"
    for other in (as_json, data_url, raw):
        assert other["faces"] == multipart["faces"]


def test_png_and_grey_images_are_analysed(client, photo):
    grey = cv2.cvtColor(photo[0], cv2.COLOR_BGR2GRAY)
    response = client.post("/v1/analyze", files={"file": ("grey.png", encode(grey, ".png"), "image/png")})
    assert response.status_code == 200
    assert len(response.json()["faces"]) == 3


def test_annotate_returns_the_drawn_picture(client, photo, photo_jpeg):
    body = client.post("/v1/analyze?annotate=true&top_k=2", files={"file": ("a.jpg", photo_jpeg)}).json()
    drawn = cv2.imdecode(np.frombuffer(base64.b64decode(body["annotated_jpeg"]), np.uint8), cv2.IMREAD_COLOR)
    assert drawn.shape == photo[0].shape
    assert np.abs(drawn.astype(int) - photo[0]).mean() > 1.0  # boxes, labels and bars were drawn
    assert all(len(face["top"]) == 2 for face in body["faces"])


def test_model_card_comes_from_the_model_metadata(client):
    card = client.get("/v1/model").json()
    meta = EmotionRecognizer().classifier.metadata
    assert card["classes"] == list(meta.classes)
    assert card["version"] == meta.emolens_version
    assert card["architecture"] == meta.architecture
    assert card["accuracy"] == {split: m["accuracy"] for split, m in meta.metrics.items()}
    assert all(c.startswith("#") and len(c) == 7 for c in card["colours"].values())
    assert card["limits"]["max_upload_mb"] == 1.0
    assert card["limits"]["api_key_required"] is False


def test_healthz_and_pages(client):
    assert_alive(client)
    page = client.get("/")
    assert page.status_code == 200 and "<title>emolens</title>" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert "/v1/analyze" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_websocket_answers_each_frame(client, photo_jpeg, single_face_jpeg):
    with client.websocket_connect("/v1/stream") as ws:
        ws.send_bytes(photo_jpeg)
        first = ws.receive_json()
        ws.send_bytes(single_face_jpeg)
        second = ws.receive_json()
        ws.send_bytes(b"not a frame")
        broken = ws.receive_json()
        ws.send_text("hello")
        text = ws.receive_json()
        ws.send_bytes(single_face_jpeg)
        after = ws.receive_json()
    assert (first["seq"], len(first["faces"]), first["width"]) == (1, 3, 960)
    assert len(second["faces"]) == 1 and second["server_ms"] > 0
    assert "not an image" in broken["error"] and broken["faces"] == []
    assert "binary message" in text["error"]
    assert len(after["faces"]) == 1  # the stream carries on after bad frames


def test_concurrent_requests_go_through_the_micro_batcher(client, photo_jpeg, single_face_jpeg):
    batcher = client.app.state.analyzer.batcher
    faces_before, calls_before = batcher.faces, batcher.calls
    uploads = [photo_jpeg, single_face_jpeg] * 6
    with ThreadPoolExecutor(6) as pool:
        bodies = list(pool.map(lambda d: client.post("/v1/analyze", files={"file": ("x.jpg", d)}).json(), uploads))
    counts = [len(b["faces"]) for b in bodies]
    assert counts == [3, 1] * 6
    assert batcher.faces - faces_before == sum(counts)
    assert 1 <= batcher.calls - calls_before <= len(uploads)
    assert all(b["faces"] == bodies[0]["faces"] for b in bodies[::2])  # same answer whatever the batch


def test_without_batching_the_answers_are_the_same(tmp_path, photo_jpeg, client):
    expected = client.post("/v1/analyze", files={"file": ("x.jpg", photo_jpeg)}).json()["faces"]
    settings = ServiceSettings(batching=False, jobs_dir=str(tmp_path))
    with TestClient(create_app(settings)) as plain:
        assert plain.app.state.analyzer.batcher is None
        faces = plain.post("/v1/analyze", files={"file": ("x.jpg", photo_jpeg)}).json()["faces"]
        assert plain.get("/v1/model").json()["batching"] is False
    assert faces == expected


def test_api_key_is_required_when_set(tmp_path, single_face_jpeg):
    with TestClient(create_app(ServiceSettings(api_key="s3cret", jobs_dir=str(tmp_path)))) as keyed:
        missing = keyed.get("/v1/model")
        assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
        assert keyed.get("/v1/model", headers={"X-API-Key": "wrong"}).status_code == 401
        assert keyed.get("/v1/model", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert keyed.get("/v1/model", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert keyed.get("/v1/model?api_key=s3cret").status_code == 200
        keyed.cookies.set("emolens_api_key", "s3cret")
        assert keyed.post("/v1/analyze", files={"file": ("x.jpg", single_face_jpeg)}).status_code == 200
        keyed.cookies.clear()
        assert keyed.post("/v1/analyze", files={"file": ("x.jpg", single_face_jpeg)}).status_code == 401
        assert keyed.get("/v1/model").json()["message"].startswith("missing or wrong API key")
        assert_alive(keyed)  # health and the page stay open
        assert keyed.get("/").status_code == 200
        with keyed.websocket_connect("/v1/stream?api_key=s3cret") as ws:
            ws.send_bytes(single_face_jpeg)
            assert len(ws.receive_json()["faces"]) == 1
        with pytest.raises(WebSocketDisconnect) as refused, keyed.websocket_connect("/v1/stream") as ws:
            ws.receive_json()
        assert refused.value.code == 1008


def test_cors_origins_are_configurable(tmp_path):
    settings = ServiceSettings(cors_origins=("https://app.example",), jobs_dir=str(tmp_path))
    with TestClient(create_app(settings)) as cors:
        allowed = cors.options(
            "/v1/analyze", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        other = cors.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_a_request_over_the_timeout_gets_504_and_the_server_carries_on(tmp_path, photo_jpeg):
    with TestClient(create_app(ServiceSettings(request_timeout=0.001, jobs_dir=str(tmp_path)))) as slow:
        response = slow.post("/v1/analyze", files={"file": ("x.jpg", photo_jpeg)})
        assert response.status_code == 504 and response.json()["error"] == "timeout"
        assert_alive(slow)


def test_settings_come_from_env_then_options():
    env = {
        "EMOLENS_API_KEY": "k",
        "EMOLENS_MAX_UPLOAD_MB": "2.5",
        "EMOLENS_BATCHING": "off",
        "EMOLENS_CORS_ORIGINS": "https://a.example, https://b.example",
        "EMOLENS_MAX_PENDING": "",
    }
    settings = ServiceSettings.from_env(env, max_upload_mb=4.0)
    assert settings.api_key == "k" and settings.batching is False
    assert settings.max_upload_mb == 4.0 and settings.max_upload_bytes == 4 * 1024 * 1024
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.max_pending == ServiceSettings().max_pending
    assert ServiceSettings.from_json(settings.to_json()) == settings
    assert "k" not in repr(settings)
    with pytest.raises(ConfigError, match="EMOLENS_MAX_PIXELS"):
        ServiceSettings.from_env({"EMOLENS_MAX_PIXELS": "lots"})
    with pytest.raises(ConfigError, match="max_upload_mb"):
        ServiceSettings(max_upload_mb=0)
