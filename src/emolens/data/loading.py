"""``load_dataset``: one entry point for FER2013 folders, FER2013 CSVs and user folders, with caching."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from emolens.data import cache
from emolens.data.dataset import FaceDataset
from emolens.data.fer_csv import read_csv
from emolens.data.ferplus import apply_labels
from emolens.data.folders import read_folder
from emolens.errors import DataError
from emolens.paths import DATA_ENV, default_data_path


def load_dataset(
    path: str | Path | None = None,
    *,
    size: int = 48,
    classes: Sequence[str] | None = None,
    seed: int = 0,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    labels: str = "dataset",
    votes: str | Path | None = None,
    votes_weight: float = 0.5,
) -> FaceDataset:
    """Load faces from a folder (Kaggle FER2013 layout or ``root/<class>/``) or a FER2013 CSV.

    ``path`` defaults to ``$EMOLENS_DATA`` (or ``../shared/data/fer2013`` from the current folder).
    ``classes`` fixes the expected class names (a folder outside them is an error). Decoded data is
    cached; see :mod:`emolens.data.cache`. ``labels`` chooses the label source: the dataset's own or FER+
    crowd votes read from ``votes`` (see :mod:`emolens.data.ferplus`).
    """
    source = Path(path) if path is not None else default_data_path()
    if not source.exists():
        hint = "" if path is not None else f" (no dataset given: pass its folder or CSV, or set {DATA_ENV})"
        raise DataError(f"{source}: no such file or folder{hint}")
    is_csv = source.is_file()
    if is_csv and source.suffix.lower() != ".csv":
        raise DataError(f"{source}: expected a folder of class folders or a .csv file")
    options = {"size": size, "seed": seed, "classes": list(classes) if classes else None, "csv": is_csv}
    entry = None
    if use_cache:
        entry = cache.cache_path(source, cache.fingerprint(source, options))
        cached = cache.load(entry, str(source)) if entry.exists() else None
        if cached is not None:
            return apply_labels(cached, labels, votes, votes_weight)
    if is_csv:
        dataset = read_csv(source, size=size, seed=seed, progress=progress)
        if classes is not None:
            dataset = dataset.relabel(classes)
    else:
        dataset = read_folder(source, size=size, classes=classes, seed=seed, progress=progress)
    if entry is not None:
        cache.save(dataset, entry)
    return apply_labels(dataset, labels, votes, votes_weight)
