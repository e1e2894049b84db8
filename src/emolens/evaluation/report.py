"""``EvaluationReport``: every figure of one model on one split, as JSON, Markdown and PNG plots."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emolens.evaluation.metrics import calibration, class_scores, confusion_matrix, top_k_accuracy
from emolens.evaluation.robustness import by_corruption, describe_row
from emolens.runtime.probabilities import softmax


@dataclass(frozen=True)
class EvaluationReport:
    """Accuracy, per-class scores, top-k, confusion matrix and calibration of one split."""

    split: str
    classes: tuple[str, ...]
    count: int
    accuracy: float
    macro_f1: float
    top2: float
    top3: float
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    support: tuple[int, ...]
    confusion: tuple[tuple[int, ...], ...]
    temperature: float
    ece_raw: float
    ece_calibrated: float
    tta_accuracy: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_logits(
        cls,
        split: str,
        classes: tuple[str, ...],
        labels: np.ndarray,
        logits: np.ndarray,
        temperature: float = 1.0,
        tta_probs: np.ndarray | None = None,
    ) -> EvaluationReport:
        """Compute every figure from model logits (and optionally test-time-augmented probabilities)."""
        probs = softmax(logits, temperature)
        predictions = probs.argmax(axis=1)
        confusion = confusion_matrix(labels, predictions, len(classes))
        scores = class_scores(confusion)
        return cls(
            split=split,
            classes=tuple(classes),
            count=len(labels),
            accuracy=float((predictions == labels).mean()) if len(labels) else 0.0,
            macro_f1=scores.macro_f1,
            top2=top_k_accuracy(labels, probs, 2),
            top3=top_k_accuracy(labels, probs, 3),
            precision=tuple(map(float, scores.precision)),
            recall=tuple(map(float, scores.recall)),
            f1=tuple(map(float, scores.f1)),
            support=tuple(map(int, scores.support)),
            confusion=tuple(tuple(map(int, row)) for row in confusion),
            temperature=temperature,
            ece_raw=calibration(labels, softmax(logits)).ece,
            ece_calibrated=calibration(labels, probs).ece,
            tta_accuracy=None if tta_probs is None else float((tta_probs.argmax(axis=1) == labels).mean()),
        )

    def recall_of(self, name: str) -> float:
        return self.recall[self.classes.index(name)]

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["per_class"] = {
            c: {"precision": p, "recall": r, "f1": f, "support": s}
            for c, p, r, f, s in zip(self.classes, self.precision, self.recall, self.f1, self.support, strict=True)
        }
        return out

    def to_markdown(self, title: str = "") -> str:
        lines = [f"### {title or self.split} ({self.count} faces)", ""]
        lines.append("| metric | value |")
        lines.append("|---|---|")
        lines.append(f"| accuracy | {100 * self.accuracy:.2f} % |")
        if self.tta_accuracy is not None:
            lines.append(f"| accuracy with test-time augmentation | {100 * self.tta_accuracy:.2f} % |")
        if crops := self.extra.get("detector_crops"):
            lines.append(
                f"| on detector crops (re-framed, detected, cropped): detected / accuracy / end to end | "
                f"{100 * crops['detected']:.1f} % / {100 * crops['accuracy_detected']:.2f} % / {100 * crops['accuracy_end_to_end']:.2f} % |"
            )
        lines.append(f"| macro-F1 | {self.macro_f1:.4f} |")
        lines.append(f"| top-2 / top-3 accuracy | {100 * self.top2:.2f} % / {100 * self.top3:.2f} % |")
        lines.append(
            f"| ECE (15 bins), raw → calibrated (T = {self.temperature:.3f}) | "
            f"{100 * self.ece_raw:.2f} % → {100 * self.ece_calibrated:.2f} % |"
        )
        lines += ["", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for c, p, r, f, s in zip(self.classes, self.precision, self.recall, self.f1, self.support, strict=True):
            lines.append(f"| {c} | {100 * p:.1f} % | {100 * r:.1f} % | {f:.3f} | {s} |")
        if robustness := self.extra.get("robustness"):
            lines += ["", "| corruption (unit) | accuracy at each severity, mild to harsh |", "|---|---|"]
            for name, rows in by_corruption(robustness).items():
                lines.append(f"| {name} ({rows[0]['unit']}) | {describe_row(rows)} |")
        return "\n".join(lines) + "\n"

    def save_plots(self, out_dir: Path, labels: np.ndarray, logits: np.ndarray, prefix: str = "") -> list[Path]:
        """Confusion matrices (counts, row-normalised), the reliability diagram (raw vs calibrated) and,
        when measured, accuracy against the severity of each corruption. Needs matplotlib (the ``plots`` extra)."""
        from emolens.evaluation.plots import plot_confusion, plot_reliability, plot_robustness

        stem = prefix or self.split
        confusion = np.array(self.confusion)
        plots = [
            plot_confusion(
                confusion, self.classes, out_dir / f"{stem}_confusion.png", normalize=False, title=f"{stem}: counts"
            ),
            plot_confusion(
                confusion,
                self.classes,
                out_dir / f"{stem}_confusion_normalized.png",
                normalize=True,
                title=f"{stem}: recall per class",
            ),
            plot_reliability(
                {
                    "raw": calibration(labels, softmax(logits)),
                    f"T = {self.temperature:.2f}": calibration(labels, softmax(logits, self.temperature)),
                },
                out_dir / f"{stem}_reliability.png",
                title=f"{stem}: reliability",
            ),
        ]
        if robustness := self.extra.get("robustness"):
            path = out_dir / f"{stem}_robustness.png"
            plots.append(plot_robustness(by_corruption(robustness), self.accuracy, path, stem))
        return plots


def write_reports(reports: list[EvaluationReport], out_dir: Path, title: str) -> tuple[Path, Path]:
    """``metrics.json`` and ``report.md`` for a list of per-split reports."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "metrics.json"
    json_path.write_text(json.dumps({r.split: r.to_dict() for r in reports}, indent=2) + "\n")
    md = [f"# {title}", ""]
    for report in reports:
        md.append(report.to_markdown())
        stem = report.split
        md.append(
            f"![{stem} confusion]({stem}_confusion_normalized.png) ![{stem} reliability]({stem}_reliability.png)\n"
        )
        if "robustness" in report.extra:
            md.append(f"![{stem} robustness]({stem}_robustness.png)\n")
    md_path = out_dir / "report.md"
    md_path.write_text("\n".join(md))
    return json_path, md_path
