"""The in-memory dataset every other part works on: uint8 grey faces, labels, splits and provenance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from emolens.errors import DataError
from emolens.labels import SPLITS


@dataclass(frozen=True)
class Skipped:
    """An input left out while loading, and why (a corrupt file, a malformed row, an empty folder)."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class FaceDataset:
    """Faces as one uint8 array (N, S, S), with labels indexing ``classes`` and splits indexing ``SPLITS``.

    ``sources`` says where each face came from (a path relative to ``root``, or ``row N`` of a CSV);
    ``skipped`` lists what could not be loaded. ``targets`` (N, classes), when given, are soft training
    targets (a crowd's vote distribution, say) whose rows sum to 1; ``labels`` stay the hard labels
    that accuracy is measured against.
    """

    images: np.ndarray
    labels: np.ndarray
    splits: np.ndarray
    classes: tuple[str, ...]
    sources: np.ndarray
    root: str = ""
    skipped: tuple[Skipped, ...] = field(default=())
    targets: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.images)
        if not (len(self.labels) == len(self.splits) == len(self.sources) == n):
            raise ValueError("images, labels, splits and sources must have the same length")
        if self.images.dtype != np.uint8 or (n and self.images.ndim != 3):
            raise ValueError("images must be a uint8 array of shape (N, S, S)")
        if self.targets is not None and self.targets.shape != (n, len(self.classes)):
            raise ValueError("targets must have one row per face and one column per class")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        """Side of the square face images in pixels."""
        return int(self.images.shape[-1]) if len(self.images) else 0

    def subset(self, index: np.ndarray | Sequence[int]) -> FaceDataset:
        """The faces selected by a boolean mask or an index array (same classes, no skipped list)."""
        index = np.asarray(index)
        return FaceDataset(
            images=self.images[index],
            labels=self.labels[index],
            splits=self.splits[index],
            classes=self.classes,
            sources=self.sources[index],
            root=self.root,
            targets=None if self.targets is None else self.targets[index],
        )

    def split(self, name: str) -> FaceDataset:
        """The faces of one split: ``train``, ``val`` or ``test``."""
        if name not in SPLITS:
            raise DataError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        return self.subset(self.splits == SPLITS.index(name))

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Counts per split and class, e.g. ``{"train": {"angry": 3995, ...}, ...}``."""
        counts: dict[str, dict[str, int]] = {}
        for s, split in enumerate(SPLITS):
            labels = self.labels[self.splits == s]
            per_class = np.bincount(labels, minlength=len(self.classes))
            counts[split] = {c: int(k) for c, k in zip(self.classes, per_class, strict=True)}
        return counts

    def without_classes(self, names: Sequence[str]) -> FaceDataset:
        """The faces of every other class, with ``names`` removed from ``classes`` (a 7-class model scored
        on labels that include contempt, say)."""
        kept = tuple(c for c in self.classes if c not in names)
        faces = self.subset(np.isin(self.labels, [self.classes.index(c) for c in names], invert=True))
        mapping = np.array([kept.index(c) if c in kept else -1 for c in self.classes], dtype=self.labels.dtype)
        targets = None if faces.targets is None else faces.targets[:, [self.classes.index(c) for c in kept]]
        if targets is not None:
            targets = targets / np.maximum(targets.sum(1, keepdims=True), 1e-9)
        return FaceDataset(
            faces.images, mapping[faces.labels], faces.splits, kept, faces.sources, self.root, self.skipped, targets
        )

    def relabel(self, classes: Sequence[str]) -> FaceDataset:
        """The same faces with labels indexing ``classes`` (by name), e.g. a model's class order."""
        classes = tuple(classes)
        missing = [c for c in self.classes if c not in classes]
        if missing:
            raise DataError(
                f"{self.root or 'dataset'}: class {', '.join(map(repr, missing))} is not one of "
                f"the expected classes ({', '.join(classes)})"
            )
        mapping = np.array([classes.index(c) for c in self.classes], dtype=self.labels.dtype)
        labels = mapping[self.labels] if len(self.labels) else self.labels
        targets = None
        if self.targets is not None:
            targets = np.zeros((len(self), len(classes)), np.float32)
            targets[:, mapping] = self.targets
        return FaceDataset(self.images, labels, self.splits, classes, self.sources, self.root, self.skipped, targets)
