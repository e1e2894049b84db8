"""What int8 quantization costs a model, by calibration method and number of calibration faces: PublicTest
accuracy, macro-F1, one class's recall and agreement with the fp32 model's answers. Reads PublicTest only:
choosing a calibration is tuning, and PrivateTest is for the exported model's one measurement.

    python benchmarks/bench_quantization.py runs/x/best.pt [--methods minmax percentile entropy]
        [--faces 2048 8192] [--emotion fear] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from emolens.data import load_dataset
from emolens.evaluation.metrics import class_scores, confusion_matrix
from emolens.export import CALIBRATION_METHODS, calibration_faces, export_checkpoint, quantize_int8, write_metadata
from emolens.runtime.classifier import EmotionClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path, help="a .pt checkpoint from `emolens train`")
    parser.add_argument("--methods", nargs="+", default=list(CALIBRATION_METHODS), choices=list(CALIBRATION_METHODS))
    parser.add_argument("--faces", nargs="+", type=int, default=[2048], help="calibration faces (training split)")
    parser.add_argument("--emotion", default="fear")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    fp32 = export_checkpoint(args.checkpoint, Path(tmp.name) / "fp32.onnx", tta=False, detector_crops=False).path
    reference = EmotionClassifier(fp32, threads=args.threads)
    dataset = load_dataset().relabel(reference.classes)
    val = dataset.split("val")
    labels = val.labels.astype(np.int64)
    column = reference.classes.index(args.emotion)
    fp32_answers = reference.logits(val.images).argmax(1)

    def row(name: str, answers: np.ndarray, seconds: float | None) -> str:
        per_class = class_scores(confusion_matrix(labels, answers, len(reference.classes)))
        took = "" if seconds is None else f"{seconds:.0f} s"
        return (
            f"| {name} | {100 * float((answers == labels).mean()):.2f} % | {per_class.macro_f1:.3f} | "
            f"{100 * float(per_class.recall[column]):.1f} % | {100 * float((answers == fp32_answers).mean()):.2f} % "
            f"| {took} |"
        )

    print(f"# {args.checkpoint}, PublicTest ({len(labels):,} faces)")
    print(f"| model | accuracy | macro-F1 | {args.emotion} recall | same answer as fp32 | calibration time |")
    print("|---|---|---|---|---|---|")
    print(row("fp32", fp32_answers, None), flush=True)
    with tmp:
        for count in args.faces:
            faces = calibration_faces(dataset, count)
            for method in args.methods:
                out = Path(tmp.name) / f"{method}-{count}.onnx"
                start = time.perf_counter()
                quantize_int8(fp32, out, faces, reference, method)
                seconds = time.perf_counter() - start
                write_metadata(out, reference.metadata)
                answers = EmotionClassifier(out, threads=args.threads).logits(val.images).argmax(1)
                print(row(f"int8, {method}, {len(faces):,} faces", answers, seconds), flush=True)


if __name__ == "__main__":
    main()
