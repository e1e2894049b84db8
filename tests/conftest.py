"""Shared fixtures: real FER2013 faces from ``$EMOLENS_DATA`` (when unset: ``../shared/data/fer2013``
beside the repository, whatever the current folder), small subsets of them in the Kaggle folder layout,
and photos composed from real faces."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from emolens.labels import FER_CLASSES
from emolens.paths import DATA_ENV, default_data_path
from emolens.testing.media import compose_photo

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


@pytest.fixture(scope="session")
def compose():
    """``emolens.testing.media.compose_photo``: real faces pasted into a photo, with their boxes."""
    return compose_photo
