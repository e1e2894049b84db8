"""The WIDER FACE benchmark scores what the product returns when given its ``min_face``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from emolens.cli import app
from emolens.detection import DEFAULT_DETECTOR
from emolens.detection.base import DEFAULT_MIN_FACE, DetectionArray
from emolens.detection.benchmark import GT_FILE, benchmark, read_widerface


def test_at_least_keeps_boxes_whose_longer_side_reaches_the_size() -> None:
    boxes = np.array([[0, 0, 10, 30], [0, 0, 19, 19], [5, 5, 25, 15]], dtype=np.float32)
    found = DetectionArray(boxes, np.array([0.9, 0.8, 0.7], dtype=np.float32))
    assert found.at_least(0) is found
    kept = found.at_least(20)
    assert kept.scores.tolist() == [np.float32(0.9), np.float32(0.7)]
    assert len(found.at_least(31)) == 0


def _crowd_subset(wider_root: Path, out: Path, count: int = 3) -> Path:
    """A WIDER FACE folder with the ``count`` images of the subset that have the most faces."""
    lines = (wider_root / GT_FILE).read_text().splitlines()
    records, i = [], 0
    while i < len(lines):
        n = int(lines[i + 1])
        records.append(lines[i : i + 2 + max(n, 1)])
        i += 2 + max(n, 1)
    records.sort(key=lambda r: -int(r[1]))
    (out / "images").mkdir(parents=True)
    for record in records[:count]:
        target = out / "images" / record[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(wider_root / "images" / record[0])
    (out / GT_FILE).write_text("\n".join(line for r in records[:count] for line in r) + "\n")
    return out


def test_min_face_drops_small_detections_before_scoring(wider_root: Path, tmp_path: Path) -> None:
    data = _crowd_subset(wider_root, tmp_path / "wider")
    assert len(read_widerface(data)) == 3
    kwargs = {"max_side": 640, "thread_counts": (1,), "min_heights": (0, DEFAULT_MIN_FACE)}
    raw = benchmark([DEFAULT_DETECTOR], data, **kwargs)
    shipped = benchmark([DEFAULT_DETECTOR], data, min_face=DEFAULT_MIN_FACE, **kwargs)
    assert [s.min_face for s in raw] == [0, 0] and [s.min_face for s in shipped] == [DEFAULT_MIN_FACE] * 2
    # Crowds: many found faces are under 20 px, so all-faces recall falls once they are dropped ...
    assert shipped[0].recall < raw[0].recall
    # ... while on faces of 20 px and more, those small detections were ignored anyway.
    assert abs(shipped[1].ap - raw[1].ap) < 0.05
    assert shipped[0].row()["min_face"] == DEFAULT_MIN_FACE


def test_the_cli_passes_min_face_and_writes_it_into_the_results(wider_root: Path, tmp_path: Path) -> None:
    data = _crowd_subset(wider_root, tmp_path / "wider", count=1)
    out = tmp_path / "out"
    args = ["detectors", "benchmark", "--data", str(data), "--detector", DEFAULT_DETECTOR, "--max-side", "320"]
    result = CliRunner().invoke(app, [*args, "--min-face", "20", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "faces of 20 px and more" in " ".join(result.output.split())
    rows = json.loads((out / "results.json").read_text())
    assert {r["min_face"] for r in rows} == {20} and (out / "pr.png").is_file()
    refused = CliRunner().invoke(app, [*args, "--min-face", "-1", "--out", str(out)])
    assert refused.exit_code != 0 and "min_face must be >= 0" in refused.output
