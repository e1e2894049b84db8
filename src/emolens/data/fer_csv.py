"""Read and write FER2013's original CSV layout: ``emotion,pixels,Usage``.

``emotion`` numbers the classes in the CSV's own order (0=angry 1=disgust 2=fear 3=happy 4=sad
5=surprise 6=neutral); emolens relabels them to its class order on reading and back on writing.
Malformed rows (wrong pixel count, non-numeric values, unknown codes or usage) are skipped and
reported by line number; the rest of the file still loads.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from emolens.data.dataset import FaceDataset, Skipped
from emolens.data.folders import stratified_split
from emolens.errors import DataError
from emolens.labels import FER_CLASSES, FER_CSV_ORDER, FER_USAGE_TO_SPLIT, SPLIT_TO_FER_USAGE, SPLITS

_REQUIRED = ("emotion", "pixels")
#: emolens label index of each CSV code.
_CODE_TO_LABEL = np.array([FER_CLASSES.index(c) for c in FER_CSV_ORDER], dtype=np.int16)


def _parse_row(row: dict[str, str | None], size: int) -> tuple[int, np.ndarray, str | None]:
    code_text = (row.get("emotion") or "").strip()
    if not code_text.isdigit() or int(code_text) >= len(FER_CSV_ORDER):
        raise ValueError(f"emotion {code_text!r} is not a code 0-{len(FER_CSV_ORDER) - 1}")
    values = (row.get("pixels") or "").split()
    if len(values) != size * size:
        raise ValueError(f"{len(values)} pixel values, expected {size * size}")
    try:
        pixels = np.array(values, dtype=np.int32)
    except ValueError:
        raise ValueError("pixels are not all integers") from None
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("pixel values outside 0-255")
    usage = (row.get("Usage") or "").strip() or None
    if usage is not None and usage not in FER_USAGE_TO_SPLIT:
        raise ValueError(f"Usage {usage!r} is not one of {', '.join(FER_USAGE_TO_SPLIT)}")
    split = FER_USAGE_TO_SPLIT[usage] if usage else None
    return int(_CODE_TO_LABEL[int(code_text)]), pixels.astype(np.uint8).reshape(size, size), split


def _records(reader: csv.DictReader, name: str, skipped: list[Skipped]) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line number, row) of each record; a record the csv module refuses (a field over its size limit) is
    added to ``skipped`` and reading goes on with the next line."""
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader has not counted the line it refused
            skipped.append(Skipped(f"{name} line {reader.line_num + 1}", f"unreadable row ({exc})"))
            continue
        yield reader.line_num, row


def read_csv(
    path: str | Path,
    *,
    size: int = 48,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> FaceDataset:
    """Load a FER2013-style CSV. Rows without ``Usage`` get a stratified split drawn with ``seed``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    images, labels, splits, sources = [], [], [], []
    skipped: list[Skipped] = []
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:  # -sig: Excel's byte-order mark
        reader = csv.DictReader(handle)
        try:
            fieldnames = reader.fieldnames or []
        except csv.Error as exc:
            raise DataError(f"{path}: not a FER2013 CSV, its header cannot be read ({exc})") from None
        missing = [c for c in _REQUIRED if c not in fieldnames]
        if missing:
            raise DataError(
                f"{path}: not a FER2013 CSV, missing column {', '.join(missing)} (expected header emotion,pixels,Usage)"
            )
        for line, row in _records(reader, path.name, skipped):
            try:
                label, image, split = _parse_row(row, size)
            except ValueError as exc:
                skipped.append(Skipped(f"{path.name} line {line}", str(exc)))
                continue
            images.append(image)
            labels.append(label)
            splits.append(split)
            sources.append(f"{path.name} line {line}")
            if progress is not None and line % 1000 == 0:
                progress(line, 0)
    if not images:
        raise DataError(f"{path}: no valid rows ({len(skipped)} malformed)")
    label_array = np.array(labels, dtype=np.int16)
    if any(s is None for s in splits):
        split_codes = stratified_split(label_array, 0.1, 0.1, seed)
        split_array = np.array(
            [SPLITS.index(s) if s else c for s, c in zip(splits, split_codes, strict=True)], dtype=np.int8
        )
    else:
        split_array = np.array([SPLITS.index(s) for s in splits], dtype=np.int8)
    return FaceDataset(
        np.stack(images), label_array, split_array, FER_CLASSES, np.array(sources), str(path), tuple(skipped)
    )


def write_csv(dataset: FaceDataset, path: str | Path) -> Path:
    """Write a FER-class dataset as a FER2013 CSV (CSV codes, ``Usage`` from the splits)."""
    path = Path(path)
    unknown = [c for c in dataset.classes if c not in FER_CSV_ORDER]
    if unknown:
        raise DataError(f"{path}: FER2013 CSV has no code for class {', '.join(unknown)}")
    codes = [FER_CSV_ORDER.index(c) for c in dataset.classes]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        for image, label, split in zip(dataset.images, dataset.labels, dataset.splits, strict=True):
            pixels = " ".join(map(str, image.ravel().tolist()))
            writer.writerow([codes[label], pixels, SPLIT_TO_FER_USAGE[SPLITS[split]]])
    return path
