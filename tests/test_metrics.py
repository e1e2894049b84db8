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
