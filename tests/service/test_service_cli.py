"""``emolens serve``: bad options fail with one clear line; several worker processes share the video jobs."""

from __future__ import annotations

import time

import httpx
import pytest
from typer.testing import CliRunner

from emolens.cli import app
from emolens.testing.server import serve


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--model", "missing.onnx"], {}, "missing.onnx: no such model file"),
        (["--workers", "0"], {}, "--workers must be >= 1"),
        ([], {"EMOLENS_MAX_PIXELS": "lots"}, "EMOLENS_MAX_PIXELS='lots'"),
        (["--max-upload-mb", "0"], {}, "max_upload_mb must be > 0"),
    ],
)
def test_bad_settings_fail_before_listening(args, env, message):
    result = CliRunner().invoke(app, ["serve", *args], env=env)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_two_workers_share_jobs_and_answer_status_from_either(tmp_path, face_video):
    args = ("--workers", "2", "--jobs-dir", str(tmp_path / "jobs"))
    with (
        serve(tmp_path, *args, env={"EMOLENS_API_KEY": "k2"}) as url,
        httpx.Client(base_url=url, headers={"X-API-Key": "k2"}, timeout=60) as client,
    ):
        assert client.get("/v1/model", headers={"X-API-Key": "wrong"}).status_code == 401
        with face_video.open("rb") as f:
            job = client.post("/v1/videos?annotate=false", files={"file": ("faces.mp4", f, "video/mp4")}).json()
        answered_by: dict[int, str] = {}
        for _ in range(600):  # fresh connections land on either process
            with httpx.Client(base_url=url, headers={"X-API-Key": "k2"}) as fresh:
                pid = fresh.get("/healthz").json()["pid"]
                status = fresh.get(f"/v1/jobs/{job['id']}").json()
            answered_by[pid] = status["status"]
            if status["status"] in {"done", "failed"} and len(answered_by) == 2:
                break
            time.sleep(0.05)
        assert len(answered_by) == 2, "both worker processes answered the job's status"
        assert status["status"] == "done", status
        assert status["links"]["annotated_video"] is None  # annotate=false
        assert client.get(status["links"]["summary_json"]).status_code == 200
