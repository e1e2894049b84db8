"""Read face images from folders: FER2013's Kaggle layout and any user folder of labelled faces.

Layouts (class folder names are matched case-insensitively, with common aliases such as
``happiness``):

* ``root/<split>/<class>/*`` with split folders named train/val/test (or training, validation,
  ...). A file-name prefix ``Training_``, ``PublicTest_`` or ``PrivateTest_`` (FER2013's Kaggle
  release) overrides the folder's split, so FER2013's merged ``test/`` folder is split correctly.
* ``root/<class>/*``: no split given, so a deterministic stratified train/val/test split is drawn.

Images of any format, size or colour mode become grey squares (centre crop) of ``size`` pixels.
Files that cannot be read are skipped and listed in :attr:`FaceDataset.skipped`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from emolens.data.dataset import FaceDataset, Skipped
from emolens.errors import DataError, ImageReadError
from emolens.imageio import is_image_path, read_image
from emolens.labels import FER_CLASSES, FER_USAGE_TO_SPLIT, SPLIT_ALIASES, SPLITS, canonical_class
from emolens.paths import visible_files

Progress = Callable[[int, int], None]


def _subfolders(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def square_grey(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop a grey image to a square and resize it to ``size`` x ``size``."""
    h, w = image.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    crop = image[y : y + side, x : x + side]
    if side == size:
        return np.ascontiguousarray(crop)
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(crop, (size, size), interpolation=interpolation)


def _split_of(path: Path, folder_split: str | None) -> str | None:
    prefix = path.name.split("_", 1)[0]
    return FER_USAGE_TO_SPLIT.get(prefix, folder_split)


def _resolve_classes(names: Sequence[str], root: Path, classes: Sequence[str] | None) -> tuple[str, ...]:
    canonical = [canonical_class(n) for n in names]
    if classes is not None:
        unknown = [n for n, c in zip(names, canonical, strict=True) if c not in classes]
        if unknown:
            raise DataError(
                f"{root}: class folder {', '.join(map(repr, unknown))} is not one of the expected "
                f"classes ({', '.join(classes)})"
            )
        return tuple(classes)
    if all(c in FER_CLASSES for c in canonical):
        return tuple(c for c in FER_CLASSES if c in canonical)
    return tuple(sorted(set(canonical)))


def stratified_split(labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int) -> np.ndarray:
    """Split codes (indices into ``SPLITS``) drawing the same fractions from every class, repeatably."""
    rng = np.random.default_rng(seed)
    codes = np.zeros(len(labels), dtype=np.int8)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        n_test = round(len(members) * test_fraction)
        n_val = round(len(members) * val_fraction)
        codes[members[:n_test]] = SPLITS.index("test")
        codes[members[n_test : n_test + n_val]] = SPLITS.index("val")
    return codes


def list_folder(root: Path) -> list[tuple[Path, str, str | None]]:
    """Every file of a dataset folder as (path, class folder name, split from the folder or None)."""
    if not root.exists():
        raise DataError(f"{root}: no such folder")
    if not root.is_dir():
        raise DataError(f"{root}: is not a folder")
    top = _subfolders(root)
    if not top:
        raise DataError(f"{root}: no class folders found (expected root/<class>/<images>)")
    split_names = [SPLIT_ALIASES.get(p.name.lower()) for p in top]
    if all(split_names):
        groups = [(sub, split) for p, split in zip(top, split_names, strict=True) for sub in _subfolders(p)]
    elif any(split_names):
        mixed = ", ".join(p.name for p, s in zip(top, split_names, strict=True) if not s)
        raise DataError(f"{root}: mixes split folders with other folders ({mixed})")
    else:
        groups = [(p, None) for p in top]
    entries: list[tuple[Path, str, str | None]] = []
    for folder, split in groups:
        files = visible_files(folder)
        entries.extend((f, folder.name, split) for f in files)
        if not files:
            entries.append((folder, folder.name, split))  # an empty class folder, reported by the reader
    return entries


def read_folder(
    root: str | Path,
    *,
    size: int = 48,
    classes: Sequence[str] | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    workers: int = 4,
    progress: Progress | None = None,
) -> FaceDataset:
    """Load a folder of labelled faces into memory (see the module docstring for layouts)."""
    root = Path(root)
    entries = list_folder(root)
    class_names = sorted({name for _, name, _ in entries})
    dataset_classes = _resolve_classes(class_names, root, classes)
    skipped: list[Skipped] = []
    files: list[tuple[Path, int, str | None]] = []
    for path, folder_name, split in entries:
        if path.is_dir():
            skipped.append(Skipped(str(path.relative_to(root)), "empty class folder"))
        elif not is_image_path(path):
            skipped.append(Skipped(str(path.relative_to(root)), "not an image file (unknown suffix)"))
        else:
            files.append((path, dataset_classes.index(canonical_class(folder_name)), _split_of(path, split)))

    def decode(path: Path) -> np.ndarray | str:
        try:
            return square_grey(read_image(path, "grey"), size)
        except ImageReadError as exc:
            return str(exc).removeprefix(f"{path}: ")

    images = np.empty((len(files), size, size), dtype=np.uint8)
    keep = np.zeros(len(files), dtype=bool)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i, result in enumerate(pool.map(decode, (f[0] for f in files), chunksize=256)):
            if isinstance(result, str):
                skipped.append(Skipped(str(files[i][0].relative_to(root)), result))
            else:
                images[i] = result
                keep[i] = True
            if progress is not None:
                progress(i + 1, len(files))
    kept = [f for f, k in zip(files, keep, strict=True) if k]
    labels = np.array([f[1] for f in kept], dtype=np.int16)
    present = set(labels.tolist())
    absent = [c for i, c in enumerate(dataset_classes) if i not in present and classes is None]
    if absent:
        raise DataError(f"{root}: class {', '.join(map(repr, absent))} has no readable images")
    split_names = [f[2] for f in kept]
    if all(s is None for s in split_names):
        splits = stratified_split(labels, val_fraction, test_fraction, seed)
    else:
        splits = np.array([SPLITS.index(s or "train") for s in split_names], dtype=np.int8)
        if not (splits == SPLITS.index("val")).any():
            train = np.flatnonzero(splits == SPLITS.index("train"))
            carved = stratified_split(labels[train], val_fraction, 0.0, seed)
            splits[train[carved == SPLITS.index("val")]] = SPLITS.index("val")
    sources = np.array([str(f[0].relative_to(root)) for f in kept], dtype=str)
    return FaceDataset(images[keep], labels, splits, dataset_classes, sources, str(root), tuple(skipped))
