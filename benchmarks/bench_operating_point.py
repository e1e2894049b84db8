"""What moving one class's decision threshold costs: accuracy, that class's recall and macro-F1 on
PublicTest as a bias is added to the class's logit (the operating point an export could fold into its last
layer, as ``--prior-correction`` does), with a bootstrap interval for each change against no bias. Reads
PublicTest only: choosing a threshold is tuning, and PrivateTest is for the exported model's one measurement.

    python benchmarks/bench_operating_point.py [--model default] [--emotion fear] [--step 0.05] [--steps 8]
"""

from __future__ import annotations

import argparse

import numpy as np

from emolens.data import load_dataset
from emolens.evaluation.metrics import class_scores, confusion_matrix
from emolens.runtime.classifier import EmotionClassifier


def scores(logits: np.ndarray, labels: np.ndarray, column: int, bias: float) -> tuple[float, float, float]:
    """Accuracy, recall of ``column`` and macro-F1 with ``bias`` added to that column's logit."""
    shifted = logits.copy()
    shifted[:, column] += bias
    predicted = shifted.argmax(1)
    per_class = class_scores(confusion_matrix(labels, predicted, logits.shape[1]))
    return float((predicted == labels).mean()), float(per_class.recall[column]), per_class.macro_f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="bundled model name or .onnx file")
    parser.add_argument("--emotion", default="fear")
    parser.add_argument("--step", type=float, default=0.05)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of PublicTest")
    args = parser.parse_args()
    classifier = EmotionClassifier(args.model)
    val = load_dataset().relabel(classifier.classes).split("val")
    logits, labels = classifier.logits(val.images), val.labels.astype(np.int64)
    column = classifier.classes.index(args.emotion)
    rng = np.random.default_rng(0)
    samples = [rng.integers(0, len(labels), len(labels)) for _ in range(args.resamples)]
    unbiased = np.array([scores(logits[s], labels[s], column, 0.0)[:2] for s in samples])  # once, not per bias
    base = scores(logits, labels, column, 0.0)
    print(f"# {args.model}, PublicTest ({len(labels):,} faces): a bias added to the {args.emotion} logit")
    print(f"| bias | accuracy | {args.emotion} recall | macro-F1 | accuracy change (95 % interval) "
          f"| {args.emotion} recall change (95 % interval) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for step in range(args.steps + 1):
        bias = step * args.step
        acc, recall, f1 = scores(logits, labels, column, bias)
        deltas = np.array([scores(logits[s], labels[s], column, bias)[:2] for s in samples]) - unbiased
        low, high = np.percentile(100 * deltas, [2.5, 97.5], axis=0)
        print(
            f"| {bias:.2f} | {100 * acc:.2f} % | {100 * recall:.1f} % | {f1:.3f} | "
            f"{100 * (acc - base[0]):+.2f} ({low[0]:+.2f} to {high[0]:+.2f}) | "
            f"{100 * (recall - base[1]):+.1f} ({low[1]:+.1f} to {high[1]:+.1f}) |"
        )


if __name__ == "__main__":
    main()
