"""The web page in a real browser: headless Chromium (Debian's package) driven by Playwright against
``emolens serve`` on loopback. Screenshots go to ``tests/service/artifacts/`` (or $EMOLENS_ARTIFACTS)."""

from __future__ import annotations

import re

import cv2
import pytest
from playwright.sync_api import Page, expect

from emolens.testing.server import serve


@pytest.fixture
def page(browser, live_server):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(  # 4xx answers are logged as "Failed to load resource"; the tests check what the page shows
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.goto(live_server)
    expect(page.locator("#model-line")).to_contain_text("model default")
    yield page
    page.close()
    assert not errors, f"the page logged errors: {errors}"


def _shot(page: Page, artifacts, name: str) -> None:
    path = artifacts / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_upload_shows_every_face_with_its_chart_and_keeps_a_history(
    page, photo, sharp_faces, compose, tmp_path, artifacts
):
    group, single = tmp_path / "group.jpg", tmp_path / "single.png"
    cv2.imwrite(str(group), photo[0])
    faces, _ = sharp_faces
    cv2.imwrite(str(single), compose(faces[[60]], size=(400, 300), face_px=150, seed=0)[0])

    page.set_input_files("#photo-input", str(group))
    expect(page.locator("#faces .face")).to_have_count(3, timeout=30_000)
    expect(page.locator("#faces .chart")).to_have_count(3)
    expect(page.locator("#faces .chart .fill")).to_have_count(3 * 7)
    expect(page.locator("#faces .top3 li")).to_have_count(3 * 3)
    expect(page.locator("#photo-status")).to_contain_text("group.jpg: 3 face(s) · 960×640")
    assert page.evaluate("document.getElementById('annotated').naturalWidth") == 960
    drawn = page.eval_on_selector_all(  # rendered bar lengths, as shares of their tracks
        "#faces .face:first-child .fill",
        "bars => bars.map(b => b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width)",
    )
    assert sum(drawn) == pytest.approx(1.0, abs=0.02)  # the 7 bars are the probabilities
    expect(page.locator("#key-form")).to_be_hidden()  # no key needed on this server
    _shot(page, artifacts, "photo.png")

    page.set_input_files("#photo-input", str(single))
    expect(page.locator("#photo-status")).to_contain_text("single.png: 1 face(s)", timeout=30_000)
    expect(page.locator("#faces .face")).to_have_count(1)
    expect(page.locator("#history li")).to_have_count(2)
    page.locator("#history li").nth(1).locator("button").click()
    expect(page.locator("#faces .face")).to_have_count(3)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, artifacts, "photo-phone.png")


def test_a_bad_file_shows_the_servers_message(page, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_bytes(b"not an image at all" * 10)
    page.set_input_files("#photo-input", str(bad))
    expect(page.locator("#photo-status")).to_contain_text("not an image", timeout=30_000)
    expect(page.locator("#photo-status")).to_have_class("status error")


def test_live_camera_draws_boxes_and_labels_over_the_video(page, artifacts):
    page.get_by_role("tab", name="Live camera").click()
    page.click("#camera-start")
    page.wait_for_function("Number(document.getElementById('camera-overlay').dataset.drawn || 0) >= 15", timeout=60_000)
    stats = page.locator("#camera-stats")
    faces = int(stats.get_attribute("data-faces"))
    fps, latency = float(stats.get_attribute("data-fps")), float(stats.get_attribute("data-latency"))
    painted = page.evaluate(
        """() => { const c = document.getElementById('camera-overlay');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }"""
    )
    print(f"live camera: {faces} face(s), {fps:.1f} FPS, latency {latency:.0f} ms, {painted} overlay pixels")
    assert faces == 2  # the fake camera shows two FER faces
    assert painted > 500  # boxes and labels are on the canvas
    expect(stats).to_contain_text("FPS")
    expect(stats).to_contain_text("latency")
    _shot(page, artifacts, "camera.png")
    page.click("#camera-stop")
    expect(stats).to_have_text("camera off")


def test_video_upload_shows_progress_and_the_report(page, face_video, artifacts):
    page.get_by_role("tab", name="Video").click()
    page.set_input_files("#video-input", str(face_video))
    page.click("#video-form button[type=submit]")
    expect(page.locator("#video-result")).to_be_visible(timeout=120_000)
    expect(page.locator("#video-status")).to_contain_text("done · 20 / 20 frames")
    assert page.evaluate("document.getElementById('upload-progress').value") == 1
    assert page.evaluate("document.getElementById('job-progress').value") == 1
    expect(page.locator("#video-links a")).to_have_count(4)
    expect(page.locator("#video-report")).to_have_attribute(
        "src", re.compile(r"^/v1/jobs/[0-9a-f]{16}/files/report\.html$")
    )
    report = page.frame_locator("#video-report").locator("body")
    expect(report).not_to_be_empty(timeout=30_000)
    _shot(page, artifacts, "video.png")


def test_a_server_with_a_key_asks_for_it_once_and_then_works(browser, single_face_jpeg, tmp_path, artifacts):
    image = tmp_path / "face.jpg"
    image.write_bytes(single_face_jpeg)
    with serve(tmp_path, env={"EMOLENS_API_KEY": "s3cret"}) as url:
        page = browser.new_page()
        page.goto(url)
        expect(page.locator("#key-form")).to_be_visible()  # the model card answered 401
        expect(page.locator("#model-line")).to_contain_text("unavailable")
        page.fill("#key-input", "s3cret")
        page.click("#key-form button[type=submit]")
        expect(page.locator("#key-form")).to_be_hidden()
        expect(page.locator("#model-line")).to_contain_text("model default")
        page.set_input_files("#photo-input", str(image))
        expect(page.locator("#faces .face")).to_have_count(1, timeout=30_000)
        page.get_by_role("tab", name="Live camera").click()
        page.click("#camera-start")  # the WebSocket carries the key as ?api_key=
        page.wait_for_function(
            "Number(document.getElementById('camera-overlay').dataset.drawn || 0) >= 3", timeout=60_000
        )
        _shot(page, artifacts, "camera-with-key.png")
        page.click("#camera-stop")
        page.evaluate("localStorage.clear()")  # the browser context is shared with the other tests
        page.context.clear_cookies()
        page.close()
