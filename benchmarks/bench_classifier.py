"""ONNX Runtime classifier throughput (faces/s) at batch 1 and batch 64 with 2 threads, and accuracy.

Every registered architecture is exported as it would ship (the input-range adapter in front, fp32 and static int8 calibrated on training faces; random weights do not change the
speed), and every bundled model file is measured too, with trained model files given by ``--files``
(e.g. the ``model.onnx`` of training runs, or the first bundled model taken from git). For trained files the same run also
measures accuracy on PublicTest and PrivateTest against the labels each model was trained with (FER+
majority labels for a FER+ model), so accuracy and speed come from one machine. Ratios are against
seed-cnn fp32 measured in the same run. The goal for `fast` is >= 6,000 faces/s at batch 64 on 2 cores,
the aim for `default` >= 74.5 % on PrivateTest; ``--plot`` draws PrivateTest accuracy against faces/s
for the trained files scored on FER2013's labels, with that corner.

    python benchmarks/bench_classifier.py [--models resnet-s ...] [--files runs/*/model.onnx "old=x.onnx"] [--threads 2]
                                          [--plot accuracy-vs-speed.png]
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from pathlib import Path

import numpy as np

from emolens.cpu import describe_cpu
from emolens.data import FaceDataset, load_dataset
from emolens.data.ferplus import evaluation_labels
from emolens.export import inference_graph, quantize_int8, torch_to_onnx, write_metadata
from emolens.models import create_model, list_models
from emolens.models.layers import InputRangeAdapter
from emolens.runtime.bundled import bundled_names, bundled_path
from emolens.runtime.classifier import EmotionClassifier
from emolens.runtime.metadata import ModelMetadata

#: Issue 15's aim for `default` (PrivateTest accuracy) and its goal for `fast` (faces/s at batch 64 on 2 cores).
GOAL_ACCURACY, GOAL_FACES_PER_S = 0.745, 6000.0
#: One measured file: label, faces/s at batch 1 and 64, (PublicTest, PrivateTest) accuracy of a trained
#: file (None for random weights), and whether those are on FER2013's labels (else FER+'s).
Row = tuple[str, float, float, tuple[float, float] | None, bool]


def faces_per_second(classifier: EmotionClassifier, faces: np.ndarray, batch: int, seconds: float) -> float:
    crops = faces[:batch]
    classifier.logits(crops)
    started, done = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        classifier.logits(crops)
        done += len(crops)
    return done / (time.perf_counter() - started)


@functools.cache
def labelled(labels: str) -> FaceDataset:
    """FER2013 with the labels a model is scored on (``dataset``: its own; ``ferplus-majority``: FER+'s)."""
    return load_dataset(labels=labels)


def scored_on(classifier: EmotionClassifier) -> str:
    """The labels a model is scored on: :func:`~emolens.data.ferplus.evaluation_labels` of its training labels."""
    return evaluation_labels(classifier.metadata.training.get("labels", "dataset"))


def accuracy(classifier: EmotionClassifier, split: str) -> float:
    """Accuracy on ``split`` against the labels the model was trained with."""
    part = labelled(scored_on(classifier)).relabel(classifier.classes).split(split)
    return float((classifier.logits(part.images).argmax(1) == part.labels).mean())


def plot(rows: list[Row], path: Path, threads: int) -> None:
    """PrivateTest accuracy against batch-64 faces/s of the trained files, with the goal's corner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    trained = [(label, b64, scores[1]) for label, _, b64, scores, fer in rows if scores is not None and fer]
    for label, b64, test in trained:
        ax.scatter(b64, 100 * test, s=40, zorder=3)
        text = f"{label.replace('`', '')}\n{b64:,.0f} faces/s, {100 * test:.2f} %"
        ax.annotate(text, (b64, 100 * test), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.axhline(100 * GOAL_ACCURACY, color="grey", linestyle="--", linewidth=1)
    ax.axvline(GOAL_FACES_PER_S, color="grey", linestyle="--", linewidth=1)
    ax.fill_between([GOAL_FACES_PER_S, 1e6], 100 * GOAL_ACCURACY, 100, color="green", alpha=0.08, label="goal")
    speeds = [b64 for _, b64, _ in trained] + [GOAL_FACES_PER_S]
    ax.set_xscale("log")
    ax.set_xlim(min(speeds) / 1.5, max(speeds) * 2)
    ax.set_ylim(min(100 * t for _, _, t in trained) - 3, 100 * GOAL_ACCURACY + 2)
    ax.set_xlabel(f"faces/s, batch 64, {threads} threads (log scale)")
    ax.set_ylabel("PrivateTest accuracy (%)")
    ax.set_title("Accuracy against speed, measured in one run")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def export_architecture(name: str, folder: Path, faces: np.ndarray, threads: int) -> dict[str, Path]:
    network = create_model(name).eval()
    model = inference_graph(network, InputRangeAdapter(-1.0, 1.0, 0.4))
    meta = ModelMetadata(classes=("a", "b", "c", "d", "e", "f", "g"), input_size=48, mean=0.5, std=0.25)
    fp32 = torch_to_onnx(model, folder / f"{name}.onnx", 48)
    write_metadata(fp32, meta)
    int8 = quantize_int8(fp32, folder / f"{name}-int8.onnx", faces[:512], EmotionClassifier(fp32, threads=threads))
    write_metadata(int8, meta)
    return {"fp32": fp32, "int8": int8}


def file_label(spec: str) -> tuple[str, Path]:
    """A ``--files`` item: ``LABEL=PATH``, or a ``PATH`` that labels itself."""
    label, given, path = spec.rpartition("=")
    return (label, Path(path)) if given else (f"`{spec}`", Path(spec))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=[n for n in list_models() if n != "resnet18"])
    parser.add_argument(
        "--files", nargs="*", default=[], help="trained .onnx files to measure too, as PATH or LABEL=PATH"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--plot", type=Path, help="write PrivateTest accuracy vs faces/s of the trained files here")
    args = parser.parse_args()
    faces = labelled("dataset").split("val").images[:1024]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        files: list[tuple[str, Path, bool]] = []  # (label, path, trained: measure its accuracy too)
        for name in args.models:
            for precision, path in export_architecture(name, Path(tmp), faces, args.threads).items():
                files.append((f"{name} {precision}", path, False))
        files += [(f"bundled `{n}`", bundled_path(n), True) for n in bundled_names()]
        files += [(*file_label(spec), True) for spec in args.files]
        for label, path, trained in files:
            classifier = EmotionClassifier(path, threads=args.threads)
            scores = (accuracy(classifier, "val"), accuracy(classifier, "test")) if trained else None
            fer = scored_on(classifier) == "dataset"
            b1 = faces_per_second(classifier, faces, 1, args.seconds)
            rows.append((label, b1, faces_per_second(classifier, faces, 64, args.seconds), scores, fer))
            print(f"measured {label}", flush=True)
    baseline = next((r for r in rows if r[0] == "seed-cnn fp32"), rows[0])
    print(f"\n# ONNX Runtime classifier, {args.threads} threads (ratios vs {baseline[0]}); {describe_cpu()}")
    print("| model | batch 1 faces/s | batch 64 faces/s | batch 64 vs baseline | PublicTest | PrivateTest |")
    print("|---|---|---|---|---|---|")
    for label, b1, b64, scores, _ in rows:
        accuracies = "- | -" if scores is None else " | ".join(f"{100 * a:.2f} %" for a in scores)
        print(f"| {label} | {b1:,.0f} | {b64:,.0f} | x{b64 / baseline[2]:.2f} | {accuracies} |")
    if args.plot:
        plot(rows, args.plot, args.threads)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
