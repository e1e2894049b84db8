"""FER+ crowd votes as a label source: the FER+ protocol by hand, both votes layouts, blended targets."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from emolens.data import FaceDataset, load_dataset, write_csv
from emolens.data.ferplus import apply_labels, majority_labels, read_votes, vote_distribution
from emolens.errors import DataError
from emolens.labels import FER_CLASSES, FERPLUS_CLASSES
from votes import SHARED_VOTES, counts

#: Columns of Microsoft's fer2013new.csv.
MICROSOFT = ["Usage", "Image name", "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
             "contempt", "unknown", "NF"]  # fmt: skip


def test_majority_and_distribution_follow_the_ferplus_protocol() -> None:
    rows = np.array(
        [
            counts(happy=9, neutral=1),  # the single neutral vote is an outlier: happy
            counts(happy=4, neutral=3, sad=3),  # no emotion holds more than half: no majority
            counts(happy=2, unknown=6, not_face=2),  # unknown wins: left out
            counts(angry=1, contempt=1, disgust=1, fear=1, happy=1, neutral=1, sad=1, surprise=1, unknown=1),
            counts(contempt=5, not_face=5),  # exactly half is not a majority
            counts(contempt=6, disgust=3, angry=1),
        ]
    )
    assert majority_labels(rows).tolist() == [FERPLUS_CLASSES.index("happy"), -1, -1, -1, -1, 1]
    dist = vote_distribution(rows)
    assert dist[0, FERPLUS_CLASSES.index("happy")] == 1.0 and dist[0].sum() == pytest.approx(1)
    assert dist[1, [4, 5, 6]] == pytest.approx([0.4, 0.3, 0.3])
    assert not dist[2].any() and not dist[3].any() and not dist[4].any()
    assert dist[5, [1, 2]] == pytest.approx([6 / 9, 3 / 9])
    seven = vote_distribution(rows[5:], FER_CLASSES)  # contempt is not among the 7: it leads, so no target
    assert not seven.any()


def write_microsoft_votes(path: Path, rows: list[list[float]]) -> None:
    order = [FERPLUS_CLASSES.index(c) for c in ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear",
                                                "contempt")] + [8, 9]  # fmt: skip
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MICROSOFT)
        for i, row in enumerate(rows):
            writer.writerow(["Training", f"fer{i:07d}.png", *(int(row[k]) for k in order)])


def test_fer2013_csv_with_microsofts_row_aligned_votes(sharp_faces, tmp_path: Path) -> None:
    faces, labels = sharp_faces
    picked = [0, 20, 40, 60, 80, 100]
    dataset = FaceDataset(
        faces[picked], labels[picked].astype(np.int16), np.array([0, 0, 0, 0, 1, 2], np.int8), FER_CLASSES,
        np.array([f"face {i}" for i in picked]),
    )  # fmt: skip
    csv_path = write_csv(dataset, tmp_path / "fer2013.csv")
    rows = [
        counts(contempt=7, disgust=3),
        counts(happy=10),
        counts(not_face=10),
        counts(sad=5, neutral=5),
        counts(surprise=8, fear=2),
        counts(fear=6, surprise=4),
    ]
    write_microsoft_votes(tmp_path / "fer2013new.csv", rows)  # found beside the CSV without --votes
    ferplus = load_dataset(csv_path, labels="ferplus", use_cache=False)
    assert ferplus.classes == FERPLUS_CLASSES
    # the sad/neutral tie has no majority but a usable distribution: kept for training, labelled by its argmax
    assert [FERPLUS_CLASSES[i] for i in ferplus.labels] == ["contempt", "happy", "neutral", "surprise", "fear"]
    assert ferplus.targets[2][[5, 6]] == pytest.approx([0.5, 0.5])
    majority = load_dataset(csv_path, labels="ferplus-majority", use_cache=False)
    assert [FERPLUS_CLASSES[i] for i in majority.labels] == ["contempt", "happy", "surprise", "fear"]
    assert majority.split("val").labels.tolist() == [FERPLUS_CLASSES.index("surprise")]


def test_kaggle_folders_with_votes_keyed_by_path(fer_subset: Path) -> None:
    own = load_dataset(fer_subset, use_cache=False)
    ferplus = load_dataset(fer_subset, labels="ferplus-majority", votes=SHARED_VOTES, use_cache=False)
    votes = read_votes(SHARED_VOTES)
    expected = majority_labels(votes.lookup(own.sources))
    assert ferplus.classes == FERPLUS_CLASSES and len(ferplus) == int((expected >= 0).sum())
    assert ferplus.labels.tolist() == expected[expected >= 0].tolist()
    with SHARED_VOTES.open() as handle:  # one file checked against the votes file by hand
        row = next(r for r in csv.DictReader(handle) if r["file"] == str(ferplus.sources[0]))
    columns = {"angry": "anger", "happy": "happiness", "sad": "sadness"}
    emotion = FERPLUS_CLASSES[ferplus.labels[0]]
    answers = [int(row[c]) for c in MICROSOFT[2:-1]] + [int(row["not_face"])]
    assert int(row[columns.get(emotion, emotion)]) == max(answers)


def test_blend_mixes_each_training_label_with_the_crowd(fer_subset: Path) -> None:
    own = load_dataset(fer_subset, use_cache=False)
    blend = apply_labels(own, "blend", SHARED_VOTES, votes_weight=0.3)
    assert blend.classes == FER_CLASSES and (blend.labels == own.labels).all()
    train = blend.splits == 0
    on_label = blend.targets[np.arange(len(blend)), blend.labels]
    assert (on_label[~train] == 1).all()  # validation and test keep the dataset's labels
    assert np.allclose(blend.targets.sum(1), 1) and (on_label[train] >= 0.7 - 1e-6).all()
    assert (on_label[train] < 1).any()  # the crowd disagreed somewhere


def test_bad_votes_files_are_clear_errors(fer_subset: Path, tmp_path: Path) -> None:
    own = load_dataset(fer_subset, use_cache=False)
    with pytest.raises(DataError, match=r"no such FER\+ votes file"):
        apply_labels(own, "ferplus", tmp_path / "missing.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match=r"other\.csv: not a FER\+ votes file, missing column neutral"):
        apply_labels(own, "ferplus", tmp_path / "other.csv")
    write_microsoft_votes(tmp_path / "new.csv", [counts(happy=10)])
    with pytest.raises(DataError, match="none of the images"):
        apply_labels(own, "ferplus", tmp_path / "new.csv")
    with pytest.raises(DataError, match="unknown label source"):
        apply_labels(own, "crowd")


def test_a_seven_class_model_is_scored_on_ferplus_labels_without_the_contempt_faces(fer_subset: Path) -> None:
    from emolens.evaluation.evaluate import evaluate_model

    ferplus = load_dataset(fer_subset, labels="ferplus-majority", votes=SHARED_VOTES, use_cache=False)
    (report,) = evaluate_model("default", fer_subset, ["test"], labels="ferplus-majority", votes=SHARED_VOTES)
    contempt = int((ferplus.split("test").labels == FERPLUS_CLASSES.index("contempt")).sum())
    assert report.extra["left_out"] == {"contempt": contempt}
    assert report.count == len(ferplus.split("test")) - contempt and report.classes == FER_CLASSES
    seven = ferplus.without_classes(["contempt"])
    assert seven.classes == FER_CLASSES and len(seven) == len(ferplus) - int((ferplus.labels == 1).sum())
    assert np.allclose(seven.targets.sum(1), 1)
