"""The bundled 8-class FER+ model through every surface: results and JSON, the CLI, a video job (timeline,
summary, report), the REST API and a batch job all take their class list from the model's metadata."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from emolens import EmotionRecognizer
from emolens.cli import app
from emolens.labels import FERPLUS_CLASSES

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

MODEL = "ferplus"


@pytest.fixture(scope="module")
def rec() -> EmotionRecognizer:
    return EmotionRecognizer(model=MODEL, threads=1)


@pytest.fixture(scope="module")
def group(sharp_faces, compose, tmp_path_factory) -> Path:
    photo, _ = compose(sharp_faces[0][[60, 100, 120]], size=(960, 640), face_px=150, seed=4)
    path = tmp_path_factory.mktemp("eight") / "group.jpg"
    cv2.imwrite(str(path), photo)
    return path


def test_results_and_json_carry_eight_classes(rec: EmotionRecognizer, group: Path) -> None:
    assert rec.classes == FERPLUS_CLASSES
    result = rec.analyze(group)
    assert result.faces and all(len(face.probs) == 8 for face in result.faces)
    as_dict = result.to_dict()
    assert set(as_dict["faces"][0]["probs"]) == set(FERPLUS_CLASSES)
    assert result.plot().shape == cv2.imread(str(group)).shape
    assert rec.classify(np.zeros((2, 48, 48), np.uint8)).shape == (2, 8)


def test_cli_json_names_contempt(group: Path) -> None:
    out = CliRunner().invoke(app, ["analyze", str(group), "--model", MODEL, "--json", "--top-k", "8"])
    assert out.exit_code == 0, out.output
    face = json.loads(out.stdout)[0]["faces"][0]
    assert set(face["probs"]) == set(FERPLUS_CLASSES) and len(face["top"]) == 8


def test_video_timeline_summary_and_report_have_contempt(rec: EmotionRecognizer, group: Path, tmp_path: Path) -> None:
    from emolens.video.analysis import run_video_job

    clip = tmp_path / "clip.mp4"
    frame = cv2.resize(cv2.imread(str(group)), (480, 320))
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (480, 320))
    for _ in range(10):
        writer.write(frame)
    writer.release()
    outputs = run_video_job(rec, clip, tmp_path / "job", annotate=False)
    with outputs.timeline_csv.open() as handle:
        header = next(csv.reader(handle))
    assert {f"prob_{c}" for c in FERPLUS_CLASSES} <= set(header) and "smoothed_contempt" in header
    summary = json.loads(outputs.summary_json.read_text())
    assert summary["classes"] == list(FERPLUS_CLASSES)
    assert "contempt" in outputs.report_html.read_text()


def test_rest_api_serves_the_eight_class_model(group: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from emolens.service.app import create_app
    from emolens.service.settings import ServiceSettings

    settings = ServiceSettings(model=MODEL, jobs_dir=str(tmp_path / "jobs"))
    with TestClient(create_app(settings)) as client:
        card = client.get("/v1/model").json()
        assert card["classes"] == list(FERPLUS_CLASSES) and "contempt" in card["colours"]
        answer = client.post("/v1/analyze", files={"file": ("group.jpg", group.read_bytes(), "image/jpeg")})
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["faces"][0]["probs"]) == set(FERPLUS_CLASSES)


def test_batch_results_have_a_contempt_column(group: Path, tmp_path: Path) -> None:
    from emolens.batch import BatchSettings, load_results, run_batch

    report = run_batch([group], tmp_path / "results", BatchSettings(model=MODEL), workers=1)
    assert report.processed == 1
    _, faces = load_results(tmp_path / "results")
    assert set(FERPLUS_CLASSES) <= set(faces.column_names) and faces.num_rows >= 1
