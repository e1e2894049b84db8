"""Shared fixtures: real FER2013 faces from ``$EMOLENS_DATA`` (when unset: ``../shared/data/fer2013``
beside the repository, whatever the current folder), small subsets of them in the Kaggle folder layout,
and photos composed from real faces."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from emolens.labels import FER_CLASSES
from emolens.paths import DATA_ENV, default_data_path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WIDER = SHARED_DATA / "widerface-val-subset"
os.environ.setdefault(DATA_ENV, str(SHARED_DATA / "fer2013"))  # for the tests and the commands they run


@pytest.fixture(scope="session")
def fer_root() -> Path:
    root = default_data_path()
    assert (root / "train").is_dir() and (root / "test").is_dir(), f"FER2013 not found at {root}; set EMOLENS_DATA"
    return root


@pytest.fixture(scope="session")
def wider_root() -> Path:
    assert (WIDER / "wider_face_val_bbx_gt.txt").is_file(), f"WIDER FACE subset not found at {WIDER}"
    return WIDER


def copy_subset(root: Path, out: Path, per_class: dict[str, int]) -> Path:
    """Copy the first files of each class for each FER usage prefix into a Kaggle-layout folder."""
    for usage, count in per_class.items():
        folder = "train" if usage == "Training" else "test"
        for name in FER_CLASSES:
            files = sorted((root / folder / name).glob(f"{usage}_*.jpg"))[:count]
            target = out / folder / name
            target.mkdir(parents=True, exist_ok=True)
            for f in files:
                shutil.copy(f, target / f.name)
    return out


@pytest.fixture(scope="session")
def fer_subset(fer_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 Training, 12 PublicTest and 12 PrivateTest faces per class (fewer for rare classes)."""
    return copy_subset(
        fer_root, tmp_path_factory.mktemp("fer_subset"), {"Training": 40, "PublicTest": 12, "PrivateTest": 12}
    )


@pytest.fixture(scope="session")
def sharp_faces(fer_root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Sharp PublicTest faces (N, 48, 48) and their labels (FER class indices), 20 per class."""
    images, labels = [], []
    for label, name in enumerate(FER_CLASSES):
        for f in sorted((fer_root / "test" / name).glob("PublicTest_*.jpg"))[:20]:
            images.append(cv2.imread(str(f), cv2.IMREAD_GRAYSCALE))
            labels.append(label)
    return np.stack(images), np.array(labels)


def compose_photo(
    faces: np.ndarray, size: tuple[int, int] = (1280, 720), face_px: int | Sequence[int] = 150, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Paste grey 48x48 faces, upscaled to ``face_px`` (one size for all, or one per face), on a smooth
    colour background at random non-overlapping places. Returns the BGR photo and the pasted boxes
    (x1, y1, x2, y2)."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    background = np.stack([(60 + 80 * xx / w), (90 + 60 * yy / h), (120 + 40 * (xx + yy) / (w + h))], axis=-1)
    photo = background.astype(np.uint8)
    boxes: list[tuple[int, int, int, int]] = []
    sizes = [face_px] * len(faces) if isinstance(face_px, int) else list(face_px)
    for face, side in zip(faces, sizes, strict=True):
        for _ in range(500):
            x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
            box = (x, y, x + side, y + side)
            gap = side // 3
            if all(x + side + gap < b[0] or b[2] + gap < x or y + side + gap < b[1] or b[3] + gap < y for b in boxes):
                break
        else:
            raise ValueError("no room for another face; use a larger canvas")
        big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        photo[y : y + side, x : x + side] = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
        boxes.append(box)
    return photo, np.array(boxes, dtype=np.float32)


@pytest.fixture(scope="session")
def compose():
    return compose_photo
