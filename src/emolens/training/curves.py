"""Learning curves: train vs validation loss and accuracy per epoch, as a PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emolens.charts.figures import new_figure, save_figure


def plot_learning_curves(history: Sequence[dict[str, Any]], path: Path, title: str = "") -> Path:
    """Plot loss and accuracy of each epoch; the best validation epoch is marked."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = new_figure(1, 2, size=(11, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.plot(epochs, [100 * h["train_acc"] for h in history], label="train (augmented)")
    ax_acc.plot(epochs, [100 * h["val_acc"] for h in history], label="validation")
    best = max(history, key=lambda h: h["val_acc"])
    ax_acc.scatter(
        [best["epoch"]], [100 * best["val_acc"]], color="crimson", zorder=3, label=f"best {100 * best['val_acc']:.2f} %"
    )
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)
