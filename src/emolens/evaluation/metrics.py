"""Classification metrics in numpy: accuracy, per-class precision/recall/F1, top-k, confusion matrix,
expected calibration error, and temperature scaling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emolens.runtime.probabilities import softmax


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts with true classes in rows and predicted classes in columns."""
    index = np.asarray(labels, dtype=np.int64) * num_classes + np.asarray(predictions, dtype=np.int64)
    return np.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def top_k_accuracy(labels: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Share of samples whose true class is among the ``k`` highest scores."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == np.asarray(labels)[:, None]).any(axis=1).mean())


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall, F1 and support of each class (arrays in class order)."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray

    @property
    def macro_f1(self) -> float:
        """Unweighted mean F1 over the classes present in the labels."""
        present = self.support > 0
        return float(self.f1[present].mean()) if present.any() else 0.0


def class_scores(confusion: np.ndarray) -> ClassScores:
    """Per-class precision, recall and F1 from a confusion matrix (0 where undefined)."""
    tp = np.diag(confusion).astype(np.float64)
    predicted = confusion.sum(axis=0).astype(np.float64)
    support = confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return ClassScores(precision, recall, f1, support)


@dataclass(frozen=True)
class Calibration:
    """Reliability-diagram data: per confidence bin, mean confidence, accuracy and count; and the ECE."""

    ece: float
    bin_edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray


def calibration(labels: np.ndarray, probs: np.ndarray, bins: int = 15) -> Calibration:
    """Expected calibration error over equal-width confidence bins (Guo et al., 2017)."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    conf_sum = np.bincount(which, weights=confidence, minlength=bins)
    acc_sum = np.bincount(which, weights=correct.astype(np.float64), minlength=bins)
    mean_conf = np.divide(conf_sum, count, out=np.zeros(bins), where=count > 0)
    mean_acc = np.divide(acc_sum, count, out=np.zeros(bins), where=count > 0)
    ece = float(np.sum(count * np.abs(mean_acc - mean_conf)) / max(len(labels), 1))
    return Calibration(ece, edges, mean_conf, mean_acc, count)


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean cross-entropy of the true classes."""
    probs = softmax(logits, temperature)
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, low: float = 0.05, high: float = 20.0) -> float:
    """The temperature minimising the NLL of ``softmax(logits / T)`` (golden-section search on log T)."""
    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = (negative_log_likelihood(logits, labels, float(np.exp(v))) for v in (c, d))
    for _ in range(60):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = negative_log_likelihood(logits, labels, float(np.exp(c)))
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = negative_log_likelihood(logits, labels, float(np.exp(d)))
    return float(np.exp((a + b) / 2))
