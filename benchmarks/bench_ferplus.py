"""How a FER2013 model and a FER+ model differ on the same faces: each scored against both label sets,
their agreement, and where the FER2013 model puts the faces the crowd called contempt.

Scored on PrivateTest (or ``--split val``) of FER2013 with the FER+ votes beside it; the FER+ labels are
the FER+ test protocol's majority labels (images without one are left out of the FER+ figures).

    python benchmarks/bench_ferplus.py [--fer default] [--ferplus ferplus] [--split test]
"""

from __future__ import annotations

import argparse

import numpy as np

from emolens.data import load_dataset
from emolens.data.ferplus import default_votes_path, majority_labels, read_votes
from emolens.labels import FER_CLASSES, FERPLUS_CLASSES
from emolens.paths import default_data_path
from emolens.runtime.classifier import EmotionClassifier


def predictions(model: str, images: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    classifier = EmotionClassifier(model)
    return classifier.classes, classifier.logits(images).argmax(1)


def share(hits: np.ndarray) -> str:
    return f"{100 * hits.mean():.2f} % ({hits.sum():,} of {len(hits):,})" if len(hits) else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fer", default="default", help="a 7-class FER2013 model (bundled name or .onnx)")
    parser.add_argument("--ferplus", default="ferplus", help="an 8-class FER+ model (bundled name or .onnx)")
    parser.add_argument("--split", default="test", choices=("val", "test"))
    args = parser.parse_args()

    root = default_data_path()
    part = load_dataset(root).split(args.split)
    votes = read_votes(default_votes_path(root)).lookup(part.sources)
    crowd = majority_labels(votes)  # index into FERPLUS_CLASSES, -1 where FER+ has no label
    own = np.array([part.classes[k] for k in part.labels])
    voted = crowd >= 0
    crowd_names = np.array([FERPLUS_CLASSES[k] if k >= 0 else "" for k in crowd])

    fer_classes, fer_pred = predictions(args.fer, part.images)
    plus_classes, plus_pred = predictions(args.ferplus, part.images)
    fer_said = np.array([fer_classes[k] for k in fer_pred])
    plus_said = np.array([plus_classes[k] for k in plus_pred])

    name = {"val": "PublicTest", "test": "PrivateTest"}[args.split]
    print(f"# {name}: {len(part):,} faces, {voted.sum():,} with a FER+ majority label\n")
    print("| model | FER2013 labels (7 classes) | FER+ majority labels (8 classes) | FER+ labels other than contempt |")
    print("|---|---|---|---|")
    not_contempt = voted & (crowd_names != "contempt")
    for label, said in ((args.fer, fer_said), (args.ferplus, plus_said)):
        print(
            f"| {label} | {share(said == own)} | {share(said[voted] == crowd_names[voted])} | "
            f"{share(said[not_contempt] == crowd_names[not_contempt])} |"
        )
    print(f"\nFER2013's own label equals the FER+ majority label on {share(own[voted] == crowd_names[voted])}.")
    agree = fer_said == plus_said
    print(f"The two models name the same emotion on {share(agree)} of the faces.")
    contempt = crowd_names == "contempt"
    if contempt.any():
        where = {c: int((fer_said[contempt] == c).sum()) for c in FER_CLASSES}
        parts = ", ".join(f"{c} {n}" for c, n in sorted(where.items(), key=lambda kv: -kv[1]) if n)
        print(
            f"\nThe {contempt.sum()} faces the crowd called contempt: {args.fer} says {parts}; "
            f"{args.ferplus} says contempt for {(plus_said[contempt] == 'contempt').sum()}."
        )
    print("\nWhere the two models disagree, what each says (rows: FER2013 model, columns: FER+ model):\n")
    print("| | " + " | ".join(plus_classes) + " |")
    print("|---" * (len(plus_classes) + 1) + "|")
    for c in fer_classes:
        row = [int(((fer_said == c) & (plus_said == p) & ~agree).sum()) for p in plus_classes]
        print(f"| {c} | " + " | ".join(str(n) if n else "" for n in row) + " |")


if __name__ == "__main__":
    main()
