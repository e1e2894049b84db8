"""One folder walker: photo sources, batch inputs and labelled-face folders see the same files, and none of
them reads a hidden file or anything inside a hidden folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from emolens.batch.inputs import collect_inputs
from emolens.data.folders import list_folder
from emolens.paths import visible_files
from emolens.pipeline.sources import expand_inputs


def test_every_surface_skips_hidden_files_and_folders(fer_root: Path, tmp_path: Path) -> None:
    face = next((fer_root / "test" / "happy").glob("PublicTest_*.jpg"))
    root = tmp_path / "faces"
    kept = [root / "happy" / "a.jpg", root / "happy" / "nested" / "b.jpg", root / "sad" / "c.jpg"]
    hidden = [root / "happy" / ".d.jpg", root / ".git" / "e.jpg", root / "sad" / ".ipynb_checkpoints" / "f.jpg"]
    for path in kept + hidden:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(face, path)
    assert visible_files(root) == sorted(kept)
    assert [i.path for i in expand_inputs([root])] == sorted(kept)
    assert [Path(i.path) for i in collect_inputs([root])] == [p.resolve() for p in sorted(kept)]
    assert sorted(p for p, *_ in list_folder(root)) == sorted(kept)
