"""Matplotlib helpers shared by every plot emolens writes: the headless backend, a figure, consistent saving.

``plt`` is pyplot with that backend set: import it from here, never before this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def new_figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (6, 4)) -> tuple[Any, Any]:
    """A figure and its axes (an array when there are several)."""
    return plt.subplots(rows, cols, figsize=size, squeeze=True)


def save_figure(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Save as PNG (creating folders) and free the figure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
