"""Dataset readers on real FER2013 files: Kaggle folders, the original CSV, user folders, the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from emolens.data import load_dataset, read_csv, read_folder, write_csv
from emolens.data.balance import class_weights, epoch_indices, oversample_indices
from emolens.errors import DataError
from emolens.labels import FER_CLASSES, FER_CSV_ORDER, SPLITS


def test_kaggle_layout_takes_split_from_file_prefix(fer_subset: Path) -> None:
    data = read_folder(fer_subset)
    assert data.classes == FER_CLASSES
    counts = data.class_counts()
    expected = {
        split: {c: len(list((fer_subset / folder / c).glob(f"{usage}_*.jpg"))) for c in FER_CLASSES}
        for split, folder, usage in (
            ("train", "train", "Training"),
            ("val", "test", "PublicTest"),
            ("test", "test", "PrivateTest"),
        )
    }
    assert counts == expected
    for source, split in zip(data.sources, data.splits, strict=True):
        prefix = Path(source).name.split("_")[0]
        assert SPLITS[split] == {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}[prefix]
    first = data.sources[0]
    assert np.array_equal(data.images[0], cv2.imread(str(fer_subset / first), cv2.IMREAD_GRAYSCALE))


def test_csv_round_trip_keeps_pixels_labels_and_splits(fer_subset: Path, tmp_path: Path) -> None:
    data = read_folder(fer_subset)
    path = write_csv(data, tmp_path / "fer2013.csv")
    back = read_csv(path)
    assert back.classes == FER_CLASSES
    assert np.array_equal(back.images, data.images)
    assert np.array_equal(back.labels, data.labels)
    assert np.array_equal(back.splits, data.splits)


def test_csv_codes_follow_the_original_order(tmp_path: Path) -> None:
    pixels = " ".join(["7"] * 2304)
    rows = [f"{code},{pixels},Training" for code in range(7)]
    (tmp_path / "codes.csv").write_text("emotion,pixels,Usage\n" + "\n".join(rows) + "\n")
    data = read_csv(tmp_path / "codes.csv")
    assert [data.classes[label] for label in data.labels] == list(FER_CSV_ORDER)
    assert data.classes[data.labels[4]] == "sad" and data.classes[data.labels[6]] == "neutral"


def test_malformed_csv_rows_are_skipped_and_named(tmp_path: Path) -> None:
    good = " ".join(["100"] * 2304)
    lines = [
        "emotion,pixels,Usage",
        f"3,{good},Training",
        f"3,{' '.join(['1'] * 100)},Training",
        f"9,{good},Training",
        f"2,{good.replace('100', 'abc', 1)},PublicTest",
        f"2,{good},Somewhere",
        f"0,{good},PrivateTest",
    ]
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    data = read_csv(tmp_path / "bad.csv")
    assert len(data) == 2
    reasons = {s.source: s.reason for s in data.skipped}
    assert set(reasons) == {"bad.csv line 3", "bad.csv line 4", "bad.csv line 5", "bad.csv line 6"}
    assert "100 pixel values" in reasons["bad.csv line 3"]
    assert "emotion '9'" in reasons["bad.csv line 4"]


def test_csv_without_the_right_columns_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match=r"x\.csv: not a FER2013 CSV"):
        read_csv(tmp_path / "x.csv")


def _user_folder(fer_subset: Path, root: Path) -> Path:
    """A user folder of faces in various formats, sizes and colour modes, without splits."""
    for name in ("happy", "sad", "surprise"):
        (root / name.capitalize()).mkdir(parents=True)
        for k, f in enumerate(sorted((fer_subset / "test" / name).glob("*.jpg"))[:20]):
            grey = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
            big = cv2.resize(grey, (120, 150))
            target = root / name.capitalize() / f"{k}"
            match k % 5:
                case 0:
                    cv2.imwrite(str(target) + ".png", cv2.cvtColor(big, cv2.COLOR_GRAY2BGRA))
                case 1:
                    cv2.imwrite(str(target) + ".tif", (big.astype(np.uint16) * 257))
                case 2:
                    cv2.imwrite(str(target) + ".bmp", cv2.cvtColor(big, cv2.COLOR_GRAY2BGR))
                case 3:
                    Image.fromarray(big).save(str(target) + ".webp")
                case _:
                    cv2.imwrite(str(target) + ".jpeg", big)
    return root


def test_user_folder_any_format_with_a_repeatable_stratified_split(fer_subset: Path, tmp_path: Path) -> None:
    root = _user_folder(fer_subset, tmp_path / "faces")
    first = read_folder(root, size=48)
    again = read_folder(root, size=48)
    assert first.classes == ("happy", "sad", "surprise")
    assert first.images.shape[1:] == (48, 48) and len(first) == 60
    assert not first.skipped
    assert np.array_equal(first.splits, again.splits)
    for label in range(3):
        splits = first.splits[first.labels == label]
        assert ((splits == 0).sum(), (splits == 1).sum(), (splits == 2).sum()) == (16, 2, 2)


def test_bad_files_are_skipped_and_reported(fer_subset: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(fer_subset, root)
    happy = root / "train" / "happy"
    good = next(happy.glob("*.jpg")).read_bytes()
    (happy / "Training_truncated.jpg").write_bytes(good[: len(good) // 2])
    (happy / "Training_notimage.jpg").write_text("this is not a picture")
    (happy / "Training_empty.png").write_bytes(b"")
    (happy / "notes.txt").write_text("hello")
    (root / "train" / "disgust_extra").mkdir()
    data = read_folder(root, classes=[*FER_CLASSES, "disgust_extra"])
    reasons = {s.source: s.reason for s in data.skipped}
    assert "truncated" in reasons["train/happy/Training_truncated.jpg"]
    assert "not an image" in reasons["train/happy/Training_notimage.jpg"]
    assert "empty file" in reasons["train/happy/Training_empty.png"]
    assert "unknown suffix" in reasons["train/happy/notes.txt"]
    assert reasons["train/disgust_extra"] == "empty class folder"
    assert len(data) == len(read_folder(fer_subset))


def test_unknown_class_and_missing_path_are_clear_errors(fer_subset: Path, tmp_path: Path) -> None:
    root = tmp_path / "faces"
    (root / "contempt").mkdir(parents=True)
    shutil.copy(next((fer_subset / "train" / "happy").glob("*.jpg")), root / "contempt" / "a.jpg")
    with pytest.raises(DataError, match="'contempt' is not one of the expected classes"):
        read_folder(root, classes=FER_CLASSES)
    with pytest.raises(DataError, match="no such file or folder"):
        load_dataset(tmp_path / "missing")


def test_cache_reloads_identically_and_is_invalidated_by_a_change(
    fer_subset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMOLENS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "data"
    shutil.copytree(fer_subset, root)
    first = load_dataset(root)
    assert len(list((tmp_path / "cache" / "datasets").glob("*.npz"))) == 1
    cached = load_dataset(root)
    assert np.array_equal(first.images, cached.images) and np.array_equal(first.sources, cached.sources)
    victim = next((root / "train" / "angry").glob("*.jpg"))
    victim.unlink()
    changed = load_dataset(root)
    assert len(changed) == len(first) - 1
    assert len(list((tmp_path / "cache" / "datasets").glob("*.npz"))) == 2


def test_balancing_modes() -> None:
    labels = np.array([0] * 10 + [1] * 3 + [2] * 1)
    rng = np.random.default_rng(0)
    index = oversample_indices(labels, rng)
    assert np.bincount(labels[index]).tolist() == [10, 10, 10]
    assert set(range(len(labels))) <= set(index.tolist())
    weights = class_weights(labels, 3)
    assert np.isclose((weights[labels]).mean(), 1.0)
    assert weights[2] > weights[1] > weights[0]
    assert sorted(epoch_indices(labels, "none", rng).tolist()) == list(range(len(labels)))
