"""Evaluate an emolens model on dataset splits with ONNX Runtime (no torch needed for ``.onnx`` files)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emolens.data import FaceDataset, load_dataset
from emolens.data.ferplus import evaluation_labels
from emolens.evaluation.detector_crops import detector_crop_score
from emolens.evaluation.report import EvaluationReport, write_reports
from emolens.evaluation.robustness import robustness_scores
from emolens.evaluation.tta import tta_probabilities
from emolens.pipeline.recognizer import EmotionRecognizer
from emolens.runtime.classifier import EmotionClassifier


def evaluate_classifier(
    classifier: EmotionClassifier,
    dataset: FaceDataset,
    splits: Sequence[str],
    tta: bool = False,
    detector_crops: bool = False,
    robustness: bool = False,
) -> list[EvaluationReport]:
    """One report per split, with the model's stored temperature; faces labelled with a class the model
    does not know are left out (counted in ``extra["left_out"]``); ``tta`` adds the TTA accuracy,
    ``detector_crops`` the accuracy on faces re-framed, detected and cropped by the product, and
    ``robustness`` the accuracy under each corruption of :mod:`emolens.evaluation.robustness`."""
    unknown = [c for c in dataset.classes if c not in classifier.classes]
    left_out = {split: {c: dataset.split(split).class_counts()[split][c] for c in unknown} for split in splits}
    dataset = dataset.without_classes(unknown).relabel(classifier.classes)
    recognizer = EmotionRecognizer(model=classifier.path, threads=classifier.threads) if detector_crops else None
    reports = []
    for split in splits:
        part = dataset.split(split)
        labels = part.labels.astype(np.int64)
        logits = classifier.logits(part.images)
        tta_probs = tta_probabilities(part.images, classifier.predict_proba) if tta else None
        report = EvaluationReport.from_logits(
            split, classifier.classes, labels, logits, classifier.metadata.temperature, tta_probs
        )
        if unknown:
            report.extra["left_out"] = left_out[split]
        if recognizer is not None:
            report.extra["detector_crops"] = detector_crop_score(recognizer, part.images, labels, split).to_dict()
        if robustness:
            scores = robustness_scores(classifier.predict_proba, part.images, labels)
            report.extra["robustness"] = [score.to_dict() for score in scores]
        reports.append(report)
    return reports


def evaluate_model(
    model: str | Path | None = None,
    data: str | Path | None = None,
    splits: Sequence[str] = ("val", "test"),
    *,
    tta: bool = False,
    detector_crops: bool = False,
    robustness: bool = False,
    out_dir: str | Path | None = None,
    threads: int | None = None,
    labels: str | None = None,
    votes: str | Path | None = None,
) -> list[EvaluationReport]:
    """Evaluate a bundled model name or ``.onnx`` file on ``data`` (default FER2013); optionally write
    ``metrics.json``, ``report.md`` and plots to ``out_dir``.

    ``labels`` is the label source (:mod:`emolens.data.ferplus`); by default the one the model was
    trained for: FER+ majority labels for a FER+ model, the dataset's own labels otherwise.
    """
    classifier = EmotionClassifier(model, threads=threads)
    if labels is None:
        labels = evaluation_labels(classifier.metadata.training.get("labels", "dataset"))
    dataset = load_dataset(data, size=classifier.input_size, labels=labels, votes=votes)
    reports = evaluate_classifier(
        classifier, dataset, splits, tta=tta, detector_crops=detector_crops, robustness=robustness
    )
    if out_dir is not None:
        out = Path(out_dir)
        relabelled = dataset.without_classes([c for c in dataset.classes if c not in classifier.classes])
        relabelled = relabelled.relabel(classifier.classes)
        for report in reports:
            part = relabelled.split(report.split)
            report.save_plots(out, part.labels.astype(np.int64), classifier.logits(part.images))
        write_reports(reports, out, f"Evaluation of {classifier.path.name} on {Path(dataset.root).name}")
    return reports
