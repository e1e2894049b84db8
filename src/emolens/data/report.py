"""The data report: class balance, sample grids, duplicates, blank images, blur per split and, where FER+
votes are given, how far the crowd agrees with each class's labels.

``build_report(dataset, out_dir)`` writes PNG figures, ``report.md`` and ``summary.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emolens.charts.figures import new_figure, save_figure
from emolens.data.dataset import FaceDataset
from emolens.data.duplicates import DuplicatePair, find_duplicates
from emolens.data.ferplus import crowd_agreement, read_votes
from emolens.data.quality import constant_mask, estimate_blur, sharpness
from emolens.labels import SPLITS


@dataclass
class DataReport:
    """What the report found; ``figures`` lists the PNG files written."""

    root: str
    classes: tuple[str, ...]
    counts: dict[str, dict[str, int]]
    skipped: list[dict[str, str]]
    blank: list[str]
    duplicate_counts: dict[str, int]
    label_conflicts: int
    sharpness: dict[str, float]
    blur: dict[str, dict[str, float]]
    figures: list[str] = field(default_factory=list)
    votes: str | None = None
    agreement: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def to_markdown(self) -> str:
        present = [s for s in SPLITS if sum(self.counts[s].values())]
        lines = [f"# Data report: {self.root}", "", "## Class balance", ""]
        lines.append("| split | " + " | ".join(self.classes) + " | total |")
        lines.append("|---" * (len(self.classes) + 2) + "|")
        for split in present:
            row = self.counts[split]
            lines.append(
                f"| {split} | " + " | ".join(f"{row[c]:,}" for c in self.classes) + f" | {sum(row.values()):,} |"
            )
        lines += ["", "![class balance](class_balance.png)", "", "## Sample faces per class", ""]
        lines += [f"![{c}](samples_{c}.png)" for c in self.classes]
        lines += ["", "## Duplicates", "", "| pairs | count |", "|---|---|"]
        lines += [f"| {k} | {v:,} |" for k, v in self.duplicate_counts.items()]
        lines += [f"| same picture, different labels | {self.label_conflicts:,} |", ""]
        if "duplicates.png" in self.figures:
            lines += ["![duplicate examples](duplicates.png)", ""]
        lines += ["## Blank or constant images", "", f"{len(self.blank)} found."]
        if self.blank:
            lines += ["", "![blank images](blank.png)", "", *[f"- {b}" for b in self.blank[:50]]]
        lines += [
            "",
            "## Sharpness and blur per split",
            "",
            "| split | median sharpness (Laplacian variance) | blur vs sharpest split (Gaussian sigma, px) |",
            "|---|---|---|",
        ]
        for split in present:
            sigma = self.blur.get(split, {}).get("sigma", 0.0)
            lines.append(f"| {split} | {self.sharpness[split]:.1f} | {sigma:.2f} |")
        blurred = [s for s in present if self.blur.get(s, {}).get("blurred")]
        if blurred:
            lines += [
                "",
                f"**Warning:** the {', '.join(blurred)} split is much blurrier than the others. A model learns the "
                "look of its training faces: trained on blurred faces it does worse on sharp ones, and accuracy "
                "measured on a sharp split says little about it. Find the sharp originals if you can.",
            ]
        lines += ["", "![sharpness](sharpness.png)", ""]
        if self.votes is not None:
            lines += self._agreement_markdown()
        if self.skipped:
            lines += [
                "## Skipped while loading",
                "",
                *[f"- {s['source']}: {s['reason']}" for s in self.skipped[:100]],
                "",
            ]
        return "\n".join(lines) + "\n"

    def _agreement_markdown(self) -> list[str]:
        lines = ["## Agreement with the crowd (FER+ votes)", "", f"Votes: `{self.votes}`.", ""]
        if not self.agreement:
            return [*lines, "None of the faces has votes there.", ""]
        splits = list(self.agreement)
        lines += [
            "Each cell: the crowd's mean share of votes for the face's label, how often the crowd's favourite "
            "emotion is that label, and the faces with usable votes. A class the crowd rarely reads as labelled "
            "has labels that a second reader would often change, in every split alike; down-weighting the faces "
            "the crowd disagrees with would take most of such a class out of training.",
            "",
            "| class | " + " | ".join(splits) + " |",
            "|---" * (len(splits) + 1) + "|",
        ]
        for name in self.classes:
            cells = [self.agreement[split].get(name) for split in splits]
            lines.append(
                f"| {name} | "
                + " | ".join(
                    "-" if c is None else f"{100 * c['share']:.0f} % / {100 * c['favourite']:.0f} % ({c['faces']:,})"
                    for c in cells
                )
                + " |"
            )
        return [*lines, "", "![crowd agreement](crowd_agreement.png)", ""]


def _split_name(dataset: FaceDataset, index: int) -> str:
    return SPLITS[int(dataset.splits[index])]


def _duplicate_counts(dataset: FaceDataset, pairs: list[DuplicatePair]) -> tuple[dict[str, int], int]:
    counts: Counter[str] = Counter()
    conflicts = 0
    for pair in pairs:
        a, b = sorted((_split_name(dataset, pair.first), _split_name(dataset, pair.second)), key=SPLITS.index)
        where = f"within {a}" if a == b else f"across {a}-{b}"
        counts[f"{'exact' if pair.exact else 'near'} {where}"] += 1
        conflicts += int(dataset.labels[pair.first] != dataset.labels[pair.second])
    order = sorted(counts, key=lambda k: (not k.startswith("exact"), k))
    return {k: counts[k] for k in order}, conflicts


def _plot_balance(dataset: FaceDataset, counts: dict[str, dict[str, int]], path: Path) -> Path:
    present = [s for s in SPLITS if sum(counts[s].values())]
    fig, axes = new_figure(1, len(present), size=(4.2 * len(present), 3.6))
    for ax, split in zip(np.atleast_1d(axes), present, strict=True):
        values = [counts[split][c] for c in dataset.classes]
        bars = ax.bar(dataset.classes, values, color="#4c72b0")
        ax.bar_label(bars, fontsize=7)
        ax.set_title(f"{split} ({sum(values):,})")
        ax.tick_params(axis="x", rotation=45)
    return save_figure(fig, path)


def _plot_samples(dataset: FaceDataset, label: int, per_split: int, rng: np.random.Generator, path: Path) -> Path:
    present = [s for s in SPLITS if ((dataset.splits == SPLITS.index(s)) & (dataset.labels == label)).any()]
    fig, axes = new_figure(len(present), per_split, size=(1.2 * per_split, 1.35 * len(present) + 0.4))
    axes = np.array(axes).reshape(len(present), per_split)
    for row, split in enumerate(present):
        members = np.flatnonzero((dataset.splits == SPLITS.index(split)) & (dataset.labels == label))
        chosen = rng.choice(members, min(per_split, len(members)), replace=False)
        for col in range(per_split):
            ax = axes[row, col]
            ax.axis("off")
            if col < len(chosen):
                ax.imshow(dataset.images[chosen[col]], cmap="gray", vmin=0, vmax=255)
        axes[row, 0].set_title(split, loc="left", fontsize=9)
    fig.suptitle(dataset.classes[label])
    return save_figure(fig, path)


def _plot_pairs(dataset: FaceDataset, pairs: list[DuplicatePair], rng: np.random.Generator, path: Path) -> Path:
    near = [p for p in pairs if not p.exact]
    exact = [p for p in pairs if p.exact]
    shown = [near[i] for i in rng.permutation(len(near))[:8]] + [exact[i] for i in rng.permutation(len(exact))[:4]]
    fig, axes = new_figure(2, len(shown), size=(1.4 * len(shown), 3.8))
    axes = np.array(axes).reshape(2, len(shown))
    for col, pair in enumerate(shown):
        for row, index in enumerate((pair.first, pair.second)):
            ax = axes[row, col]
            ax.imshow(dataset.images[index], cmap="gray", vmin=0, vmax=255)
            kind = f"{'exact' if pair.exact else f'near {pair.similarity:.4f}'}\n" if row == 0 else ""
            ax.set_title(f"{kind}{_split_name(dataset, index)} {dataset.classes[dataset.labels[index]]}", fontsize=7)
            ax.axis("off")
    fig.suptitle("duplicate pairs: each column is one pair (random sample)")
    return save_figure(fig, path)


def _plot_blank(dataset: FaceDataset, blank: np.ndarray, path: Path, limit: int = 16) -> Path:
    shown = blank[:limit]
    fig, axes = new_figure(1, len(shown), size=(1.2 * len(shown), 1.6))
    for ax, index in zip(np.atleast_1d(axes), shown, strict=True):
        ax.imshow(dataset.images[index], cmap="gray", vmin=0, vmax=255)
        ax.set_title(_split_name(dataset, index), fontsize=7)
        ax.axis("off")
    return save_figure(fig, path)


def _plot_sharpness(dataset: FaceDataset, values: np.ndarray, path: Path) -> Path:
    fig, ax = new_figure(size=(6, 3.6))
    for s, split in enumerate(SPLITS):
        chosen = values[dataset.splits == s]
        if len(chosen):
            ax.hist(np.log10(chosen + 1e-3), bins=60, alpha=0.55, label=split)
    ax.set(xlabel="log10 sharpness (variance of the Laplacian)", ylabel="faces", title="sharpness per split")
    ax.legend()
    return save_figure(fig, path)


def _plot_agreement(classes: tuple[str, ...], agreement: dict[str, dict[str, dict[str, float]]], path: Path) -> Path:
    fig, ax = new_figure(size=(7, 3.6))
    width = 0.8 / len(agreement)
    for i, (split, rows) in enumerate(agreement.items()):
        values = [100 * rows[c]["favourite"] if c in rows else 0.0 for c in classes]
        ax.bar(np.arange(len(classes)) + (i - (len(agreement) - 1) / 2) * width, values, width, label=split)
    ax.set_xticks(np.arange(len(classes)), classes, rotation=45)
    ax.set(ylabel="% of the class's faces", ylim=(0, 100), title="faces whose crowd favourite is their label")
    ax.legend()
    return save_figure(fig, path)


def build_report(
    dataset: FaceDataset,
    out_dir: str | Path,
    samples_per_split: int = 8,
    seed: int = 0,
    votes: str | Path | None = None,
) -> DataReport:
    """Analyse ``dataset`` and write figures, ``report.md`` and ``summary.json`` to ``out_dir``; with a FER+
    ``votes`` file, also the crowd's agreement with each class's labels
    (:func:`~emolens.data.ferplus.crowd_agreement`)."""
    agreement = {}  # first, so that a bad votes file fails before the long analyses
    if votes is not None:
        votes_per_face = read_votes(votes).lookup(dataset.sources)
        if not np.isnan(votes_per_face[:, 0]).all():
            agreement = crowd_agreement(dataset, votes_per_face)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    counts = dataset.class_counts()
    figures = [_plot_balance(dataset, counts, out / "class_balance.png")]
    figures += [
        _plot_samples(dataset, i, samples_per_split, rng, out / f"samples_{c}.png")
        for i, c in enumerate(dataset.classes)
        if (dataset.labels == i).any()
    ]
    pairs = find_duplicates(dataset.images)
    duplicate_counts, conflicts = _duplicate_counts(dataset, pairs)
    if pairs:
        figures.append(_plot_pairs(dataset, pairs, rng, out / "duplicates.png"))
    blank = np.flatnonzero(constant_mask(dataset.images))
    if len(blank):
        figures.append(_plot_blank(dataset, blank, out / "blank.png"))
    values = sharpness(dataset.images)
    present = [s for s in range(len(SPLITS)) if (dataset.splits == s).any()]
    per_split = {SPLITS[s]: float(np.median(values[dataset.splits == s])) for s in present}
    sharpest = max(per_split, key=per_split.__getitem__)
    reference = dataset.images[dataset.splits == SPLITS.index(sharpest)]
    blur = {}
    for s in present:
        if SPLITS[s] != sharpest:
            est = estimate_blur(dataset.images[dataset.splits == s], reference)
            blur[SPLITS[s]] = {"sigma": est.sigma, "blurred": est.blurred, "spectrum_error": est.spectrum_error}
    figures.append(_plot_sharpness(dataset, values, out / "sharpness.png"))
    if agreement:
        figures.append(_plot_agreement(dataset.classes, agreement, out / "crowd_agreement.png"))
    report = DataReport(
        root=dataset.root,
        classes=dataset.classes,
        counts=counts,
        skipped=[{"source": s.source, "reason": s.reason} for s in dataset.skipped],
        blank=[str(dataset.sources[i]) for i in blank],
        duplicate_counts=duplicate_counts,
        label_conflicts=conflicts,
        sharpness=per_split,
        blur=blur,
        figures=[p.name for p in figures],
        votes=None if votes is None else str(votes),
        agreement=agreement,
    )
    (out / "report.md").write_text(report.to_markdown())
    (out / "summary.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return report
