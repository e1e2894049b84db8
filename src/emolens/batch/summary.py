"""The final account of a results folder: inputs per status, faces per emotion, and a chart of both."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from emolens.batch.process import ERROR, NO_FACE, OK
from emolens.batch.writer import FACES, INPUTS, read_manifest, read_table

STATUSES = (OK, NO_FACE, ERROR)


@dataclass(frozen=True)
class BatchSummary:
    """Counts over every committed row of a results folder."""

    inputs: int
    statuses: dict[str, int]
    frames: int
    faces: int
    emotions: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def emotion_shares(self) -> dict[str, float]:
        """Each emotion's share of the faces (0 when there are none)."""
        return {k: v / self.faces if self.faces else 0.0 for k, v in self.emotions.items()}


def _counts(values: Any) -> dict[str, int]:
    return {row["values"]: row["counts"] for row in pc.value_counts(values).to_pylist()}


def summarize(out: str | Path) -> BatchSummary:
    """Count the inputs per status and the faces per emotion of a results folder."""
    out = Path(out)
    classes = read_manifest(out)["classes"]
    inputs = read_table(out, INPUTS, ["status", "frames"])
    emotions = read_table(out, FACES, ["emotion"]).column("emotion")
    statuses, by_emotion = _counts(inputs.column("status")), _counts(emotions)
    return BatchSummary(
        inputs=inputs.num_rows,
        statuses={s: statuses.get(s, 0) for s in STATUSES},
        frames=int(pc.sum(inputs.column("frames")).as_py() or 0),
        faces=len(emotions),
        emotions={c: by_emotion.get(c, 0) for c in classes},
    )


def plot_summary(summary: BatchSummary, path: Path) -> Path:
    """A PNG with two bar charts: inputs per status and the share of faces per emotion."""
    from emolens.charts.figures import new_figure, save_figure

    fig, (left, right) = new_figure(1, 2, size=(10, 3.8))
    colours = {OK: "#2e7d32", NO_FACE: "#9e9e9e", ERROR: "#c62828"}
    bars = left.bar(list(summary.statuses), list(summary.statuses.values()), color=[colours[s] for s in STATUSES])
    left.bar_label(bars, labels=[f"{v:,}" for v in summary.statuses.values()])
    left.set(title=f"{summary.inputs:,} inputs", ylabel="inputs")
    left.margins(y=0.12)
    shares = summary.emotion_shares()
    bars = right.bar(list(shares), [100 * v for v in shares.values()], color="#3f51b5")
    right.bar_label(bars, labels=[f"{100 * v:.1f}%" for v in shares.values()], fontsize=8)
    right.set(title=f"{summary.faces:,} faces", ylabel="% of faces")
    right.tick_params(axis="x", rotation=30)
    right.margins(y=0.12)
    return save_figure(fig, path)


def write_summary(out: str | Path) -> BatchSummary:
    """Summarise a results folder into ``summary.json`` and ``summary.png`` beside its data."""
    out = Path(out)
    summary = summarize(out)
    (out / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
    plot_summary(summary, out / "summary.png")
    return summary
