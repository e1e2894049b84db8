"""The plots of a model evaluation: confusion matrices, reliability diagrams, robustness curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emolens.charts.figures import new_figure, plt, save_figure


def plot_confusion(confusion: Any, classes: Any, path: Path, normalize: bool, title: str = "") -> Path:
    """A confusion matrix heat map: counts, or rows normalised to recall."""
    import numpy as np

    matrix = np.asarray(confusion, dtype=np.float64)
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = new_figure(size=(6.4, 5.6))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(len(classes)), classes, rotation=40, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set(xlabel="predicted", ylabel="true", title=title or ("row-normalised" if normalize else "counts"))
    threshold = matrix.max() / 2
    for i in range(len(classes)):
        for j in range(len(classes)):
            text = f"{matrix[i, j]:.2f}" if normalize else f"{int(matrix[i, j])}"
            ax.text(
                j, i, text, ha="center", va="center", fontsize=8, color="white" if matrix[i, j] > threshold else "black"
            )
    return save_figure(fig, path)


def plot_reliability(calibrations: dict[str, Any], path: Path, title: str = "reliability") -> Path:
    """Reliability diagram: accuracy against confidence per bin, one line per labelled calibration."""
    fig, ax = new_figure(size=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    for label, cal in calibrations.items():
        centres = (cal.bin_edges[:-1] + cal.bin_edges[1:]) / 2
        used = cal.count > 0
        ax.plot(centres[used], cal.accuracy[used], "o-", label=f"{label} (ECE {100 * cal.ece:.1f} %)")
    ax.set(xlabel="confidence", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return save_figure(fig, path)


def plot_robustness(by_corruption: dict[str, list[dict[str, Any]]], clean: float, path: Path, title: str = "") -> Path:
    """Accuracy against severity, one panel per corruption, with the accuracy on clean faces as a line."""
    cols = 3
    rows = -(-len(by_corruption) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, (name, scores) in zip(axes.flat, by_corruption.items(), strict=False):
        severities = [s["severity"] for s in scores]
        ax.plot(range(len(scores)), [100 * s["accuracy"] for s in scores], "o-", label=name)
        ax.axhline(100 * clean, ls="--", color="grey", label="clean")
        ax.set_xticks(range(len(scores)), [f"{v:g}" for v in severities])
        ax.set(xlabel=scores[0]["unit"], ylabel="accuracy (%)", title=name, ylim=(0, max(100 * clean + 10, 20)))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(by_corruption) :]:
        ax.axis("off")
    if title:
        fig.suptitle(f"{title}: accuracy under corruptions")
    return save_figure(fig, path)
