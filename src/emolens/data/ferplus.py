"""FER+ crowd votes (Barsoum et al., ICMI 2016) as a label source beside a dataset's own labels.

Every FER2013 image was labelled again by 10 crowd workers, with an eighth emotion, contempt, and the
answers ``unknown`` and ``not a face``. Two files carry those votes:

* Microsoft's ``fer2013new.csv`` (``Usage,Image name,neutral,...,contempt,unknown,NF``), aligned row by
  row with the original ``fer2013.csv``;
* a votes file keyed by each image's path in the Kaggle folders
  (``file,usage,ferplus_image,neutral,...,contempt,unknown,not_face``), whose ``ferplus_image``
  (``fer0034932.png``) also gives the CSV row, so it serves both layouts.

Label sources (:data:`LABEL_SOURCES`):

* ``dataset``: the dataset's own labels (folder names or the CSV's ``emotion`` column).
* ``ferplus``: the 8 FER+ emotions, trained on the vote distribution (the paper's "probability"
  scheme); ``ferplus-majority`` trains on the majority label. Validation and test use the FER+ test
  protocol in both: per image, emotions with a single vote are dropped as outliers, and the label is
  the one column holding more than half of the remaining votes; an image without one, or whose
  label is ``unknown`` or ``not a face``, is left out.
* ``blend``: the dataset's 7 FER2013 classes, but each training face's target mixes its own label
  with the crowd's distribution over those classes (weight ``votes_weight``), so a face whose label
  the crowd disagreed with counts less; validation and test keep the dataset's labels.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from emolens.data.dataset import FaceDataset
from emolens.errors import DataError
from emolens.labels import FER_CLASSES, FERPLUS_CLASSES, SPLITS

LABEL_SOURCES: tuple[str, ...] = ("dataset", "ferplus", "ferplus-majority", "blend")
#: Vote columns of both files, as emolens class names, then the two non-emotion answers.
_VOTE_COLUMNS = {
    "neutral": "neutral",
    "happiness": "happy",
    "surprise": "surprise",
    "sadness": "sad",
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "contempt": "contempt",
}
_OTHER_COLUMNS = (("unknown",), ("not_face", "NF"))
_IMAGE_NUMBER = re.compile(r"fer(\d+)\.png$")
_CSV_LINE = re.compile(r" line (\d+)$")


class Votes:
    """Vote counts per image, found by the image's path in the Kaggle folders or by its CSV row.

    ``counts`` rows are in :data:`FERPLUS_CLASSES` order followed by ``unknown`` and ``not_face``.
    """

    def __init__(self, path: Path, counts: np.ndarray, by_path: dict[str, int], by_row: dict[int, int]):
        self.path = path
        self.counts = counts
        self.by_path = by_path
        self.by_row = by_row

    def lookup(self, sources: np.ndarray) -> np.ndarray:
        """Counts (N, 10) for a dataset's ``sources``; rows of NaN where an image has no votes."""
        out = np.full((len(sources), self.counts.shape[1]), np.nan, np.float32)
        for i, source in enumerate(sources):
            index = self.by_path.get(str(source))
            if index is None and (match := _CSV_LINE.search(str(source))):
                index = self.by_row.get(int(match.group(1)) - 2)  # line 1 is the header
            if index is not None:
                out[i] = self.counts[index]
        return out


def read_votes(path: str | Path) -> Votes:
    """Read a FER+ votes file in either layout (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such FER+ votes file")
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        others = [next((c for c in names if c in header), None) for names in _OTHER_COLUMNS]
        missing = [c for c in _VOTE_COLUMNS if c not in header] + [
            n[0] for n, c in zip(_OTHER_COLUMNS, others, strict=True) if c is None
        ]
        if missing:
            raise DataError(f"{path}: not a FER+ votes file, missing column {', '.join(missing)}")
        order = [next(k for k, v in _VOTE_COLUMNS.items() if v == name) for name in FERPLUS_CLASSES] + others
        keyed_by_path = "file" in header
        counts, by_path, by_row = [], {}, {}
        for row_number, row in enumerate(reader):
            cells = [(row.get(c) or "").strip() for c in order]
            if not all(cells):
                continue  # an image FER+ dropped
            try:
                values = [float(c) for c in cells]
            except ValueError:
                raise DataError(f"{path} line {reader.line_num}: vote counts are not numbers") from None
            index = len(counts)
            counts.append(values)
            image = (row.get("ferplus_image") or row.get("Image name") or "").strip()
            number = _IMAGE_NUMBER.search(image)
            by_row[int(number.group(1)) if number else row_number] = index
            if keyed_by_path:
                by_path[(row.get("file") or "").strip()] = index
    if not counts:
        raise DataError(f"{path}: no images with votes")
    return Votes(path, np.array(counts, np.float32), by_path, by_row)


def _without_outliers(counts: np.ndarray) -> np.ndarray:
    """Drop every answer that only one annotator gave (the FER+ protocol's outlier removal)."""
    return np.where(counts <= 1, 0, counts)


def majority_labels(counts: np.ndarray) -> np.ndarray:
    """The FER+ test label of each image (index into :data:`FERPLUS_CLASSES`), -1 where there is none."""
    kept = _without_outliers(np.nan_to_num(counts))
    top = kept.argmax(1)
    valid = (kept.max(1) > 0.5 * kept.sum(1)) & (top < len(FERPLUS_CLASSES))
    return np.where(valid, top, -1)


def vote_distribution(counts: np.ndarray, classes: tuple[str, ...] = FERPLUS_CLASSES) -> np.ndarray:
    """Each image's votes over ``classes`` (outliers removed) as probabilities; rows of 0 where the
    emotions among ``classes`` hold no more than half of the image's remaining votes."""
    kept = _without_outliers(np.nan_to_num(counts))
    columns = [FERPLUS_CLASSES.index(c) for c in classes]
    emotions = kept[:, columns]
    others = np.delete(kept, columns, axis=1)
    total = emotions.sum(1, keepdims=True)
    usable = (total[:, 0] > 0.5 * kept.sum(1)) & (emotions.max(1) >= others.max(1))
    return np.where(usable[:, None], emotions / np.maximum(total, 1e-9), 0).astype(np.float32)


def _require_fer_classes(dataset: FaceDataset) -> None:
    unknown = [c for c in dataset.classes if c not in FER_CLASSES]
    if unknown:
        raise DataError(f"{dataset.root}: FER+ votes are for FER2013 images; class {', '.join(unknown)} is not one")


def crowd_agreement(dataset: FaceDataset, counts: np.ndarray) -> dict[str, dict[str, dict[str, float]]]:
    """How far the crowd agrees with the dataset's own labels, per split and class: ``faces`` with usable
    votes (:func:`vote_distribution` over the dataset's classes), the crowd's mean ``share`` of votes for
    the face's label, and the share of faces whose ``favourite`` emotion is that label. ``counts`` are
    :meth:`Votes.lookup` rows for ``dataset.sources``; the dataset's classes must be FER2013's or a subset."""
    _require_fer_classes(dataset)
    crowd = vote_distribution(counts, dataset.classes)
    voted = crowd.sum(1) > 0
    on_label = crowd[np.arange(len(crowd)), dataset.labels]
    favourite = crowd.argmax(1) == dataset.labels
    out: dict[str, dict[str, dict[str, float]]] = {}
    for s, split in enumerate(SPLITS):
        rows = {}
        for k, name in enumerate(dataset.classes):
            chosen = voted & (dataset.splits == s) & (dataset.labels == k)
            if chosen.any():
                rows[name] = {
                    "faces": int(chosen.sum()),
                    "share": float(on_label[chosen].mean()),
                    "favourite": float(favourite[chosen].mean()),
                }
        if rows:
            out[split] = rows
    return out


def default_votes_path(data: Path) -> Path:
    """``fer2013new.csv`` beside a FER2013 CSV, else ``ferplus/votes.csv`` beside the data folder."""
    if data.is_file() and (data.parent / "fer2013new.csv").is_file():
        return data.parent / "fer2013new.csv"
    return data.resolve().parent / "ferplus" / "votes.csv"


def apply_labels(
    dataset: FaceDataset, source: str, votes: str | Path | None = None, votes_weight: float = 0.5
) -> FaceDataset:
    """``dataset`` with the labels of ``source`` (see the module docstring)."""
    if source not in LABEL_SOURCES:
        raise DataError(f"unknown label source {source!r}; choose one of {', '.join(LABEL_SOURCES)}")
    if source == "dataset":
        return dataset
    if not 0 <= votes_weight <= 1:
        raise DataError(f"votes weight must be in [0, 1], got {votes_weight}")
    _require_fer_classes(dataset)
    votes_path = Path(votes) if votes is not None else default_votes_path(Path(dataset.root))
    counts = read_votes(votes_path).lookup(dataset.sources)
    if np.isnan(counts[:, 0]).all():
        raise DataError(f"{votes_path}: none of the images of {dataset.root} has votes there")
    if source == "blend":
        return _blend(dataset.relabel(FER_CLASSES), counts, votes_weight)
    majority = majority_labels(counts)
    train = dataset.splits == SPLITS.index("train")
    if source == "ferplus-majority":
        targets = np.eye(len(FERPLUS_CLASSES), dtype=np.float32)[np.maximum(majority, 0)]
        keep = majority >= 0
    else:
        targets = vote_distribution(counts)
        keep = np.where(train, targets.sum(1) > 0, majority >= 0)
    labels = np.where(train, targets.argmax(1), majority).astype(np.int16)
    relabelled = FaceDataset(
        dataset.images, labels, dataset.splits, FERPLUS_CLASSES, dataset.sources, dataset.root, dataset.skipped, targets
    )
    return relabelled.subset(keep)


def _blend(dataset: FaceDataset, counts: np.ndarray, weight: float) -> FaceDataset:
    own = np.eye(len(FER_CLASSES), dtype=np.float32)[dataset.labels]
    crowd = vote_distribution(counts, FER_CLASSES)
    voted = (crowd.sum(1) > 0) & (dataset.splits == SPLITS.index("train"))
    targets = np.where(voted[:, None], (1 - weight) * own + weight * crowd, own)
    return FaceDataset(
        dataset.images, dataset.labels, dataset.splits, dataset.classes, dataset.sources, dataset.root,
        dataset.skipped, targets.astype(np.float32),
    )  # fmt: skip


def label_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The label-source arguments of :func:`~emolens.data.load_dataset` recorded in a training run's
    configuration (runs from before label sources existed used the dataset's own labels)."""
    return {
        "labels": config.get("labels", "dataset"),
        "votes": config.get("votes"),
        "votes_weight": config.get("votes_weight", 0.5),
    }


def evaluation_labels(source: str) -> str:
    """The label source that gives a model trained on ``source`` its validation and test labels
    without anything it does not need: FER+ majority labels for FER+ models, else the dataset's own."""
    return "ferplus-majority" if source.startswith("ferplus") else "dataset"
