"""The API docs and the responsible-use guide work offline (served from the package), and the API refuses what it does not
know: unknown query parameters, and ``top_k`` outside the range the CLI and the Python API share."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from emolens.pipeline.results import TOP_K_MAX, TOP_K_MIN


def test_the_docs_page_loads_every_asset_from_the_server(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"https?://", page.text), page.text  # no CDN, no favicon or validator elsewhere
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", page.text)
    assert {a.rsplit("/", 1)[-1] for a in assets} == {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 500, asset
    assert "SwaggerUIBundle" in client.get(next(a for a in assets if a.endswith(".js"))).text
    assert client.get("/redoc").status_code == 404  # ReDoc would come from a CDN: not offered


def test_the_web_page_links_the_responsible_use_guide(client):
    footer = client.get("/").text.split("<footer", 1)[1]
    assert 'href="/responsible-use"' in footer
    guide = client.get("/responsible-use")
    assert guide.status_code == 200 and guide.headers["content-type"].startswith("text/plain")
    assert "EU AI Act" in guide.text and "## Uses to avoid" in guide.text


def test_the_docs_page_renders_the_api_in_a_browser_without_a_network(browser, live_server):
    page = browser.new_page()
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    try:
        page.goto(f"{live_server}/docs")
        expect(page.locator(".opblock-summary-path", has_text="/v1/analyze")).to_be_visible(timeout=30_000)
        expect(page.locator(".opblock")).to_have_count(6)  # analyze, videos, job, job file, model, healthz
    finally:
        page.close()
    assert not outside, outside


@pytest.mark.parametrize(
    ("method", "path", "unknown"),
    [
        ("post", "/v1/analyze?top_k=2&topk=3", "topk"),
        ("get", "/v1/model?verbose=1", "verbose"),
        ("get", "/healthz?x=1", "x"),
    ],
)
def test_an_unknown_query_parameter_is_refused_by_name(client, single_face_jpeg, method, path, unknown):
    files = {"files": {"file": ("a.jpg", single_face_jpeg, "image/jpeg")}} if method == "post" else {}
    answer = getattr(client, method)(path, **files)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "invalid_request" and body["message"].startswith(f"query.{unknown}: unknown parameter")


def test_known_query_parameters_and_the_api_key_are_accepted(client, single_face_jpeg):
    answer = client.post("/v1/analyze?top_k=2&annotate=false&api_key=x", files={"file": ("a.jpg", single_face_jpeg)})
    assert answer.status_code == 200, answer.text
    assert client.get("/healthz").status_code == 200


def test_top_k_has_the_range_of_the_cli_and_the_python_api(client, single_face_jpeg):
    schema = client.get("/openapi.json").json()["paths"]["/v1/analyze"]["post"]["parameters"]
    top_k = next(p for p in schema if p["name"] == "top_k")["schema"]
    assert (top_k["minimum"], top_k["maximum"]) == (TOP_K_MIN, TOP_K_MAX)
    for value, status in ((TOP_K_MIN - 1, 422), (TOP_K_MIN, 200), (TOP_K_MAX, 200), (TOP_K_MAX + 1, 422)):
        answer = client.post(f"/v1/analyze?top_k={value}", files={"file": ("a.jpg", single_face_jpeg)})
        assert answer.status_code == status, (value, answer.text)


def test_the_renamed_video_parameter_is_documented_as_deprecated(client):
    schema = client.get("/openapi.json").json()["paths"]["/v1/videos"]["post"]["parameters"]
    by_name = {p["name"]: p for p in schema}
    assert not by_name["detect_every"].get("deprecated") and by_name["every"]["deprecated"] is True
