"""What the command line shows: readable help, whole tables in pipes, brackets kept in user text, and the
same limits as the Python and REST APIs, with one-line errors for options that exclude each other."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from emolens.cli import app
from emolens.detection import list_detectors
from emolens.detection.base import registered_class
from emolens.errors import ConfigError
from emolens.pipeline.results import TOP_K_MAX, TOP_K_MIN, Face

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "astronaut.jpg"
runner = CliRunner()


def command_paths(command: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*prefix, name))


def test_help_shows_click_style_placeholders_and_no_stray_marks() -> None:
    paths = list(command_paths(typer.main.get_command(app)))
    assert len(paths) >= 20  # every command and group
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (path, result.output)
        text = result.output
        assert not re.search(r"<\w[\w\[\]|, ]*>", text), (path, text)  # no <int>, <bool>, <list[str]>
        assert not re.search(r"\{\w+\}", text), (path, text)  # no {paths}
        assert not re.search(r" \.(\s|$)", text), (path, text)  # no "file ." left by swallowed brackets
    analyze = runner.invoke(app, ["analyze", "--help"], env={"COLUMNS": "120"}).output
    assert "analyze [OPTIONS] PATHS..." in analyze  # the usage line
    assert re.search(r"--top-k\s+INTEGER \[1<=x<=20\]", analyze)
    assert re.search(r"--out\s+PATH ", analyze) and re.search(r"--score-threshold\s+FLOAT ", analyze)
    assert re.search(r"--json\s+Print all results", analyze)  # a flag: no placeholder
    assert "Minimum detector score [default: the detector's]." in analyze  # brackets in help text show
    assert "evaluate [OPTIONS] [MODEL]" in runner.invoke(app, ["evaluate", "--help"]).output
    assert re.search(
        r"--view\s+browser\|window\|none", runner.invoke(app, ["webcam", "--help"], env={"COLUMNS": "160"}).output
    )


def test_tables_are_whole_when_the_output_is_not_a_terminal() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emolens.cli", "detectors", "list"], capture_output=True, text=True, check=True
    )
    assert "…" not in result.stdout
    for name in list_detectors(only_available=False):
        assert registered_class(name).description in result.stdout  # each on one line, not wrapped or cut


def test_brackets_in_file_names_and_messages_are_shown(tmp_path: Path) -> None:
    photo = tmp_path / "team [bold]photo [1].jpg"
    shutil.copy(EXAMPLE, photo)
    (tmp_path / "notes [scale].jpg").write_text("not pixels")
    result = runner.invoke(app, ["analyze", str(photo), str(tmp_path / "notes [scale].jpg")])
    assert result.exit_code == 0, result.output
    assert f"{photo} (1 face(s))" in " ".join(result.stdout.split())  # the table's title (wrapped to its width)
    assert "notes [scale].jpg: not an image" in result.output
    missing = runner.invoke(app, ["models", "info", str(tmp_path / "model [v2].onnx")])
    assert missing.exit_code == 2 and "model [v2].onnx" in missing.output


@pytest.mark.parametrize("top_k", [TOP_K_MIN - 1, TOP_K_MAX + 1])
def test_top_k_has_the_python_and_rest_apis_range(top_k: int) -> None:
    result = runner.invoke(app, ["analyze", str(EXAMPLE), "--top-k", str(top_k)])
    assert result.exit_code == 2 and "--top-k" in result.output and "Traceback" not in result.output
    face = Face((0, 0, 10, 10), 0.9, np.full(7, 1 / 7), tuple("abcdefg"))
    with pytest.raises(ConfigError, match="top_k must be between 1 and 20"):
        face.top(top_k)


def test_options_that_exclude_each_other_are_refused_in_one_line() -> None:
    result = runner.invoke(app, ["analyze", str(EXAMPLE), "--json", "--jsonl"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --json and --jsonl cannot be combined: --json prints one document, --jsonl a line per image"
    ]


def test_max_side_zero_detects_on_the_full_image_and_a_negative_one_is_refused() -> None:
    full = runner.invoke(app, ["analyze", str(EXAMPLE), "--max-side", "0", "--jsonl"])
    assert full.exit_code == 0 and '"emotion"' in full.stdout
    negative = runner.invoke(app, ["analyze", str(EXAMPLE), "--max-side", "-1"])
    assert negative.exit_code == 2 and negative.output.startswith("error:") and "max_side" in negative.output
