"""Duplicate finder on planted duplicates and the data report on real FER2013 faces (with FER+ votes)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from emolens.data import read_folder
from emolens.data.dataset import FaceDataset
from emolens.data.duplicates import find_duplicates
from emolens.data.ferplus import crowd_agreement, read_votes
from emolens.data.quality import estimate_blur, gaussian_blur
from emolens.data.report import build_report
from emolens.labels import FER_CLASSES
from votes import SHARED_VOTES, counts


def test_planted_duplicates_are_found_and_distinct_faces_are_not(sharp_faces: tuple[np.ndarray, np.ndarray]) -> None:
    faces = sharp_faces[0][:60]
    distinct = find_duplicates(faces)
    planted = np.concatenate(
        [
            faces,
            faces[0:1],  # exact copy of 0 -> index 60
            gaussian_blur(faces[1:2], 3.0),  # blurred copy of 1 -> 61
            np.clip(faces[2:3].astype(int) + 12, 0, 255).astype(np.uint8),  # brighter copy of 2 -> 62
            cv2.imdecode(cv2.imencode(".jpg", faces[3], [cv2.IMWRITE_JPEG_QUALITY, 50])[1], 0)[None],  # JPEG copy -> 63
        ]
    )
    pairs = {(p.first, p.second): p for p in find_duplicates(planted)}
    known = {(q.first, q.second) for q in distinct}
    found = {k for k in pairs if k not in known}
    assert found == {(0, 60), (1, 61), (2, 62), (3, 63)}
    assert pairs[(0, 60)].exact and not pairs[(1, 61)].exact


def test_blur_estimate_recovers_a_known_blur(sharp_faces: tuple[np.ndarray, np.ndarray]) -> None:
    faces = sharp_faces[0]
    estimate = estimate_blur(gaussian_blur(faces, 2.5), faces)
    assert abs(estimate.sigma - 2.5) <= 0.5 and estimate.blurred
    assert not estimate_blur(faces[::2], faces[1::2]).blurred


def test_report_on_real_faces_finds_blank_images_duplicates_and_a_blurred_split(
    fer_subset: Path, tmp_path: Path
) -> None:
    data = read_folder(fer_subset)
    sharp = build_report(data, tmp_path / "sharp", votes=SHARED_VOTES)
    assert not any(est["blurred"] for est in sharp.blur.values()), sharp.blur
    text = (tmp_path / "sharp" / "report.md").read_text()
    assert "much blurrier" not in text
    expected = crowd_agreement(data, read_votes(SHARED_VOTES).lookup(data.sources))
    assert sharp.agreement == expected and set(expected) == {"train", "val", "test"}
    assert f"| fear | {100 * expected['train']['fear']['share']:.0f} % / " in text
    assert (tmp_path / "sharp" / "crowd_agreement.png").stat().st_size > 0

    blank = np.full((1, 48, 48), 128, np.uint8)
    test_face = int(np.flatnonzero(data.splits == 2)[0])
    copy = data.images[test_face : test_face + 1]
    train = data.splits == 0
    images = data.images.copy()
    images[train] = gaussian_blur(images[train], 3.0)  # a split blurred as the first FER2013 copy's Training was
    planted = FaceDataset(
        np.concatenate([images, blank, copy]),
        np.concatenate([data.labels, [0, data.labels[test_face]]]).astype(np.int16),
        np.concatenate([data.splits, [1, 1]]).astype(np.int8),
        data.classes,
        np.concatenate([data.sources, ["blank.png", "copy.png"]]),
        data.root,
    )
    report = build_report(planted, tmp_path)  # no votes: no agreement section
    assert report.agreement == {} and "FER+ votes" not in (tmp_path / "report.md").read_text()
    assert "blank.png" in report.blank
    assert report.duplicate_counts.get("exact across val-test", 0) >= 1
    assert report.blur["train"]["blurred"] and 2.5 <= report.blur["train"]["sigma"] <= 3.5
    assert not report.blur["val" if "val" in report.blur else "test"]["blurred"]
    for name in (
        "report.md",
        "summary.json",
        "class_balance.png",
        "samples_happy.png",
        "duplicates.png",
        "blank.png",
        "sharpness.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["train"]["happy"] == data.class_counts()["train"]["happy"]
    assert "the train split is much blurrier" in (tmp_path / "report.md").read_text()


def test_crowd_agreement_per_split_and_class_by_hand(sharp_faces: tuple[np.ndarray, np.ndarray]) -> None:
    faces, _ = sharp_faces
    fear, happy = FER_CLASSES.index("fear"), FER_CLASSES.index("happy")
    dataset = FaceDataset(
        faces[:5], np.array([fear, fear, happy, happy, happy], np.int16), np.array([0, 0, 0, 0, 2], np.int8),
        FER_CLASSES, np.array([f"face{i}" for i in range(5)]),
    )  # fmt: skip
    votes = np.array(
        [
            counts(fear=10),
            counts(neutral=6, sad=4),  # the crowd disagrees
            counts(happy=8, neutral=2),
            [np.nan] * 10,  # no votes: left out
            counts(surprise=7, happy=3),
        ],
        np.float32,
    )
    agreement = crowd_agreement(dataset, votes)
    assert agreement["train"]["fear"] == {"faces": 2, "share": 0.5, "favourite": 0.5}
    assert agreement["train"]["happy"] == pytest.approx({"faces": 1, "share": 0.8, "favourite": 1.0})
    assert agreement["test"] == {"happy": pytest.approx({"faces": 1, "share": 0.3, "favourite": 0.0})}
    assert "val" not in agreement
