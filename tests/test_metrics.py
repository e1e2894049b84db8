"""Evaluation metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from emolens.evaluation.metrics import (
    calibration,
    class_scores,
    confusion_matrix,
    fit_temperature,
    negative_log_likelihood,
    softmax,
    top_k_accuracy,
)
from emolens.evaluation.report import EvaluationReport
from emolens.evaluation.robustness import CORRUPTIONS, by_corruption, describe_row, robustness_scores

LABELS = np.array([0, 0, 0, 1, 1, 2])
PREDICTIONS = np.array([0, 0, 1, 1, 2, 2])


def test_confusion_and_per_class_scores_by_hand() -> None:
    confusion = confusion_matrix(LABELS, PREDICTIONS, 3)
    assert confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    scores = class_scores(confusion)
    assert scores.precision == pytest.approx([1.0, 0.5, 0.5])
    assert scores.recall == pytest.approx([2 / 3, 0.5, 1.0])
    assert scores.f1 == pytest.approx([0.8, 0.5, 2 / 3])
    assert scores.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_top_k_by_hand() -> None:
    scores = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    labels = np.array([1, 0, 1])
    assert top_k_accuracy(labels, scores, 1) == pytest.approx(1 / 3)
    assert top_k_accuracy(labels, scores, 2) == pytest.approx(2 / 3)
    assert top_k_accuracy(labels, scores, 3) == pytest.approx(1.0)


def test_ece_by_hand() -> None:
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    labels = np.array([0, 1, 0, 0])
    cal = calibration(labels, probs, bins=10)
    # bin 0.9: conf 0.9 acc 0.5 (2 samples); bin 0.6: conf 0.6 acc 1.0 (2 samples)
    assert cal.ece == pytest.approx((2 * 0.4 + 2 * 0.4) / 4)


def test_temperature_scaling_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=(4000, 7))
    labels = np.array([rng.choice(7, p=p) for p in softmax(true_logits)])
    fitted = fit_temperature(true_logits * 2.5, labels)
    assert fitted == pytest.approx(2.5, rel=0.1)
    assert negative_log_likelihood(true_logits * 2.5, labels, fitted) < negative_log_likelihood(
        true_logits * 2.5, labels
    )


def test_report_from_logits() -> None:
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]))
    labels = np.array([0, 1, 1, 2])
    report = EvaluationReport.from_logits("val", ("a", "b", "c"), labels, logits)
    assert report.accuracy == pytest.approx(0.75)
    assert report.top2 == pytest.approx(1.0)
    assert report.recall == pytest.approx((1.0, 0.5, 1.0))
    assert "| accuracy | 75.00 % |" in report.to_markdown()


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruptions_keep_shape_and_grow_with_severity(name: str, sharp_faces: tuple[np.ndarray, np.ndarray]) -> None:
    faces = sharp_faces[0][:32]
    corruption = CORRUPTIONS[name]
    changes = []
    for severity in corruption.severities:
        out = corruption.apply(faces, severity, np.random.default_rng(0))
        assert out.shape == faces.shape and out.dtype == np.uint8
        changes.append(np.abs(out.astype(np.float64) - faces).mean())
    assert 0 < changes[0] < changes[-1], changes


def test_robustness_scores_follow_what_a_corruption_does_to_the_signal() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 20)
    faces = np.where(labels[:, None, None] == 1, 200, 60) + rng.integers(-20, 21, (40, 48, 48))
    faces = faces.astype(np.uint8)

    def brightness_classifier(images: np.ndarray) -> np.ndarray:
        bright = images.mean(axis=(1, 2)) > 128
        return np.stack([~bright, bright], axis=1).astype(np.float32)

    corruptions = {"exposure": CORRUPTIONS["exposure"], "noise": CORRUPTIONS["noise"]}
    scores = {
        (s.corruption, s.severity): s.accuracy
        for s in robustness_scores(brightness_classifier, faces, labels, corruptions)
    }
    assert len(scores) == 10
    assert scores[("noise", 40.0)] == 1.0  # zero-mean noise leaves the mean brightness alone
    assert scores[("exposure", 0.7)] == 1.0  # 200 * 0.7 = 140 is still bright
    assert scores[("exposure", 0.5)] == 0.5  # every bright face now reads as dark
    grouped = by_corruption([s.to_dict() for s in robustness_scores(brightness_classifier, faces, labels, corruptions)])
    assert list(grouped) == ["exposure", "noise"] and describe_row(grouped["noise"]).startswith("5: 100.0 %")
