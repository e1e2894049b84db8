"""Would an ensemble of trained models be more accurate than its best member? PublicTest accuracy of each
ONNX file and of every combination of two or three (mean of their calibrated probabilities), on the
plain faces and with the mirror image averaged in. Chooses nothing on PrivateTest.

    python benchmarks/bench_ensemble.py runs/a/model.onnx runs/b/model.onnx [...] [--threads 2]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from emolens.data import load_dataset
from emolens.runtime.classifier import EmotionClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="trained .onnx files (the same classes)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    dataset = load_dataset()
    plain: dict[str, np.ndarray] = {}
    mirrored: dict[str, np.ndarray] = {}
    labels = np.empty(0)
    for path in args.files:
        classifier = EmotionClassifier(path, threads=args.threads)
        val = dataset.relabel(classifier.classes).split("val")
        labels = val.labels
        probs = classifier.predict_proba(val.images)
        plain[str(path)] = probs
        mirrored[str(path)] = (probs + classifier.predict_proba(val.images[:, :, ::-1].copy())) / 2

    def score(probs: list[np.ndarray]) -> str:
        return f"{100 * float((np.mean(probs, axis=0).argmax(1) == labels).mean()):.2f} %"

    print("| models | PublicTest | with the mirror |")
    print("|---|---|---|")
    for size in range(1, min(3, len(plain)) + 1):
        for names in itertools.combinations(plain, size):
            both = score([plain[n] for n in names]), score([mirrored[n] for n in names])
            print(f"| {' + '.join(names)} | {both[0]} | {both[1]} |")


if __name__ == "__main__":
    main()
