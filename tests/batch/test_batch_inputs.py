"""Finding a job's inputs: folders, globs, text and CSV lists, remote URLs; stable IDs; no repeats."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emolens.batch.inputs import collect_inputs, from_table, input_id, to_table
from emolens.errors import DataError


@pytest.fixture
def tree(fer_root: Path, tmp_path: Path) -> Path:
    """photos/{a,b}/*.jpg (real faces), a video, and files that are not images."""
    files = sorted((fer_root / "test" / "happy").glob("*.jpg"))[:6]
    for k, f in enumerate(files):
        target = tmp_path / "photos" / ("a" if k < 3 else "b" / Path("deep")) / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, target)
    (tmp_path / "photos" / "notes.txt").write_text("not a photo")
    (tmp_path / "photos" / ".hidden.jpg").write_bytes(b"")
    (tmp_path / "photos" / "clip.mp4").write_bytes(b"")
    return tmp_path


def _names(items) -> list[str]:
    return [Path(i.path).name for i in items]


def test_a_folder_is_scanned_recursively_in_a_stable_order(tree: Path) -> None:
    items = collect_inputs([tree / "photos"])
    assert len(items) == 6 and all(i.kind == "image" and i.error is None for i in items)
    assert [i.path for i in items] == sorted(i.path for i in items)
    assert all(Path(i.path).is_absolute() for i in items)
    with_videos = collect_inputs([tree / "photos"], videos=True)
    assert [i.kind for i in with_videos].count("video") == 1 and _names(with_videos).count("clip.mp4") == 1


def test_ids_are_stable_and_repeats_are_dropped(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = collect_inputs([tree / "photos"])
    monkeypatch.chdir(tree)
    again = collect_inputs(["photos", "photos/a", str(tree / "photos" / "**" / "*.jpg")])
    assert [i.input_id for i in again] == [i.input_id for i in first]
    assert all(i.input_id == input_id(i.path) for i in first)
    assert len({i.input_id for i in first}) == len(first)


def test_glob_patterns(tree: Path) -> None:
    assert len(collect_inputs([str(tree / "photos" / "a" / "*.jpg")])) == 3
    assert len(collect_inputs([str(tree / "photos" / "**" / "*.jpg")])) == 6


def test_text_and_csv_lists_take_paths_relative_to_the_list(tree: Path) -> None:
    images = sorted((tree / "photos").rglob("*.jpg"))
    relative = [str(p.relative_to(tree)) for p in images if not p.name.startswith(".")]
    (tree / "list.txt").write_text("# inputs\n\n" + "\n".join(relative) + "\nphotos/missing.jpg\n")
    items = collect_inputs([tree / "list.txt"])
    assert len(items) == 7 and _names(items)[-1] == "missing.jpg"
    assert all(Path(i.path).is_absolute() and i.error is None for i in items)
    rows = ["id,path"] + [f"{k},{p}" for k, p in enumerate(relative)] + ["99,", "100,photos/a"]
    (tree / "list.csv").write_text("\n".join(rows) + "\n")
    listed = collect_inputs([tree / "list.csv"])
    assert [i.path for i in listed[:6]] == [i.path for i in items[:6]]
    blank = [i for i in listed if i.error]
    assert len(blank) == 1 and "list.csv: line 8 has no path" in blank[0].error
    assert listed[-1].path == str(tree / "photos" / "a")  # a folder named in a list is an input (it fails when read)


def test_sources_that_name_nothing_are_clear_errors(tree: Path) -> None:
    (tree / "empty").mkdir()
    with pytest.raises(DataError, match="missing-folder: no such file, folder or list"):
        collect_inputs([tree / "missing-folder"])
    with pytest.raises(DataError, match="empty: contains no images"):
        collect_inputs([tree / "empty"])
    with pytest.raises(DataError, match=r"\*\.png: contains no images"):
        collect_inputs([str(tree / "photos" / "*.png")])


def test_remote_urls_go_through_fsspec(tree: Path) -> None:
    pytest.importorskip("fsspec")
    url = (tree / "photos").as_uri()
    items = collect_inputs([url])
    assert len(items) == 6 and all(i.path.startswith("file://") for i in items)
    assert _names(items) == _names(collect_inputs([tree / "photos"]))
    assert len(collect_inputs([url + "/a/*.jpg"])) == 3
    (tree / "remote.txt").write_text("photos/a\nphotos/b/deep/" + _names(items)[-1] + "\n")
    listed = collect_inputs([(tree / "remote.txt").as_uri()])
    assert [i.path for i in listed] == [url + "/a", items[-1].path]
    with pytest.raises(DataError, match="no such file"):
        collect_inputs([url + "/nothing-here"])


def test_inputs_travel_as_arrow_tables(tree: Path) -> None:
    items = collect_inputs([tree / "photos"], videos=True)
    assert from_table(to_table(items)) == items
