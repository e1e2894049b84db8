"""Video jobs: the bounded file-backed queue, and ``POST /v1/videos`` end to end on a video of real faces."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import threading
import time

import pytest
from fastapi.testclient import TestClient
from service_helpers import assert_alive, run_async

from emolens.errors import VideoReadError
from emolens.service.app import create_app
from emolens.service.jobs import JobOutput, JobQueue, QueueFullError, UnknownJobError
from emolens.service.settings import ServiceSettings


def _wait(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_job_queue_is_bounded_reports_progress_and_survives_failures(tmp_path):
    gate = threading.Event()

    def run(source, out_dir, params, progress):
        text = source.read_text()
        if text == "broken":
            raise VideoReadError(f"{source.name}: not a readable video")
        if text == "crash":
            raise ZeroDivisionError("division by zero")
        for i in range(1, 4):
            progress(i, 3)
            gate.wait(10)
        (out_dir / "words.csv").write_text("\n".join(text.split()) + "\n")
        return JobOutput({"words": len(text.split()), "scale": params["scale"]}, {"words_csv": out_dir / "words.csv"})

    async def scenario() -> None:
        jobs = JobQueue(tmp_path, run, max_queued=1, ttl=3600, min_interval=0)
        await jobs.start()

        def submit(text: str) -> str:
            job_id, path = jobs.new_input(f"../{text}.txt")
            assert path.parent == tmp_path / job_id / "in"
            path.write_text(text)
            return jobs.submit(job_id, f"{text}.txt", {"scale": 2}).id

        first = submit("one two three")
        await asyncio.sleep(0.2)  # the worker takes it: the queue is empty again
        assert jobs.get(first).status == "running"
        second = submit("broken")
        assert jobs.full
        with pytest.raises(QueueFullError):
            submit("no room")
        assert len(list(tmp_path.iterdir())) == 2  # the refused job left no folder
        running = jobs.get(first)
        assert running.frames_total == 3 and running.progress == pytest.approx(running.frames_done / 3)
        gate.set()
        third = None
        for _ in range(400):
            if jobs.get(second).status == "failed" and third is None:
                third = submit("crash")
            if third and jobs.get(third).status == "failed":
                break
            await asyncio.sleep(0.05)
        done, failed, crashed = jobs.get(first), jobs.get(second), jobs.get(third)
        assert (done.status, done.progress, done.summary) == ("done", 1.0, {"words": 3, "scale": 2})
        assert jobs.file(first, "words_csv").read_text() == "one\ntwo\nthree\n"
        assert not list((tmp_path / first / "in").iterdir())  # the upload is deleted once processed
        assert failed.status == "failed" and "not a readable video" in failed.error
        assert crashed.status == "failed" and "ZeroDivisionError" in crashed.error
        with pytest.raises(UnknownJobError):
            jobs.get("0123456789abcdef")
        with pytest.raises(UnknownJobError):
            jobs.get("../../etc")
        with pytest.raises(UnknownJobError, match="no file"):
            jobs.file(first, "missing")
        jobs.ttl = 0.0
        jobs.purge_expired()
        assert not list(tmp_path.iterdir())
        await jobs.stop()

    run_async(scenario())


def test_a_job_that_crashes_names_its_input_and_leaves_its_traceback_in_the_log(tmp_path, caplog):
    def run(source, out_dir, params, progress):
        return {}["a bug"]

    async def scenario() -> tuple[str, str | None]:
        jobs = JobQueue(tmp_path, run, min_interval=0)
        await jobs.start()
        job_id, path = jobs.new_input("clip.mp4")
        path.write_bytes(b"frames")
        jobs.submit(job_id, "clip.mp4", {})
        for _ in range(400):
            if jobs.get(job_id).status == "failed":
                break
            await asyncio.sleep(0.05)
        await jobs.stop()
        return job_id, jobs.get(job_id).error

    with caplog.at_level(logging.ERROR, logger="emolens.service.jobs"):
        job_id, error = run_async(scenario())
    assert error == "clip.mp4: internal error while processing: KeyError: 'a bug'"
    [record] = [r for r in caplog.records if r.name == "emolens.service.jobs"]
    assert record.levelno == logging.ERROR and record.getMessage() == f"job {job_id} (clip.mp4) failed"
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    assert "Traceback (most recent call last)" in caplog.text and 'return {}["a bug"]' in caplog.text


@pytest.fixture(scope="module")
def video_client(tmp_path_factory):
    settings = ServiceSettings(max_video_seconds=10, jobs_dir=str(tmp_path_factory.mktemp("video-jobs")))
    with TestClient(create_app(settings)) as client:
        yield client


def test_video_job_end_to_end(video_client, face_video):
    with face_video.open("rb") as f:
        response = video_client.post("/v1/videos?detect_every=2", files={"file": ("faces.mp4", f, "video/mp4")})
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in {"queued", "running"} and job["input_name"] == "faces.mp4"
    seen = []

    def finished() -> bool:
        seen.append(video_client.get(f"/v1/jobs/{job['id']}").json())
        return seen[-1]["status"] in {"done", "failed"}

    _wait(finished)
    final = seen[-1]
    assert final["status"] == "done", final["error"]
    assert final["progress"] == 1.0 and final["frames_done"] == 20
    links = final["links"]
    assert set(links) >= {"timeline_csv", "summary_json", "report_html", "annotated_video"}
    rows = list(csv.DictReader(io.StringIO(video_client.get(links["timeline_csv"]).text)))
    assert rows, "the timeline has a row per frame and face"
    summary = video_client.get(links["summary_json"]).json()
    assert summary == json.loads(json.dumps(final["summary"]))
    assert len(summary["tracks"]) >= 1 and summary["settings"]["detect_every"] == 2
    report = video_client.get(links["report_html"])
    assert report.status_code == 200 and "<html" in report.text.lower()
    server_folder = str(video_client.app.state.jobs.root)
    assert "faces.mp4" in report.text and server_folder not in report.text  # no server paths leak
    assert server_folder not in json.dumps(final["summary"])
    annotated = video_client.get(links["annotated_video"])
    assert annotated.status_code == 200 and len(annotated.content) > 1000
    escape = video_client.get(f"/v1/jobs/{job['id']}/files/../status.json")
    assert escape.status_code == 404
    assert_alive(video_client)


def test_the_old_name_of_detect_every_still_works_and_says_it_is_deprecated(video_client, face_video):
    with face_video.open("rb") as f:
        response = video_client.post("/v1/videos?every=4&annotate=false", files={"file": ("faces.mp4", f)})
    assert response.status_code == 202 and response.headers["Deprecation"] == "true"
    assert "`every` is now `detect_every`" in response.headers["Warning"]
    status = f"/v1/jobs/{response.json()['id']}"
    _wait(lambda: video_client.get(status).json()["status"] in {"done", "failed"})
    assert video_client.get(status).json()["summary"]["settings"]["detect_every"] == 4


def test_a_video_over_the_length_limit_is_refused(tmp_path, face_video):
    with TestClient(create_app(ServiceSettings(max_video_seconds=1, jobs_dir=str(tmp_path)))) as client:
        with face_video.open("rb") as f:
            response = client.post("/v1/videos", files={"file": ("faces.mp4", f, "video/mp4")})
        assert response.status_code == 413 and response.json()["error"] == "video_too_long"
        assert "faces.mp4: 2.0 s long" in response.json()["message"]
        assert not any(tmp_path.iterdir())
        assert_alive(client)
