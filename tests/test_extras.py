"""With ``pip install emolens`` alone (no extras), every command works or says in one line which extra
to install, with exit status 2; photos and videos are analysed with all their outputs. The extras are made missing by blocking their modules in a subprocess
that runs the real ``emolens`` entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from emolens.extras import EXTRA_OF_MODULE, MissingExtraError, require_extra

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "astronaut.jpg"
#: What ``pip install emolens`` leaves out: every module of every extra (and starlette, FastAPI's base).
BLOCKED = sorted({*EXTRA_OF_MODULE, "starlette"})


def emolens_without_extras(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``emolens ARGS`` in a fresh interpreter where no module of any extra can be imported."""
    code = (
        "import sys\n"
        f"sys.modules.update(dict.fromkeys({BLOCKED!r}))\n"  # None in sys.modules: the import fails
        "from emolens.cli import main\n"
        "sys.argv[0] = 'emolens'\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["serve"], "serve"),
        (["models", "list"], "train"),
        (["models", "slim", "best.pt", "--out", "slim.pt"], "train"),
        (["train", "--epochs", "1"], "train"),
        (["export", "best.pt"], "train"),
        (["batch", str(EXAMPLE), "--out", "results", "--engine", "ray"], "scale"),
        (["batch", str(EXAMPLE), "--out", "results"], "batch"),
        (["video", "clip.mp4", "--parquet", "timeline.parquet"], "batch"),
        (["data", "report"], "plots"),
        (["evaluate", "--out", "eval"], "plots"),
        (["detectors", "benchmark", "--data", "widerface"], "plots"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_a_command_whose_extra_is_missing_names_it_in_one_line(args, extra, tmp_path: Path) -> None:
    (tmp_path / "best.pt").write_bytes(b"not a checkpoint")
    result = emolens_without_extras(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].endswith(f"pip install 'emolens[{extra}]'"), errors[0]  # the brackets show
    assert result.stderr.strip() == errors[0]


def test_the_commands_of_the_default_install_work_without_any_extra(tmp_path: Path) -> None:
    for args in (["--help"], ["serve", "--help"], ["models", "bundled"], ["detectors", "list"]):
        result = emolens_without_extras(*args, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
    analysed = emolens_without_extras("analyze", str(EXAMPLE), "--json", "--out", "annotated", cwd=tmp_path)
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads(analysed.stdout)[0]["faces"][0]["emotion"]
    assert (tmp_path / "annotated" / EXAMPLE.name).stat().st_size > 0


def test_a_video_gets_its_timeline_and_report_without_any_extra(tmp_path: Path) -> None:
    photo = cv2.imread(str(EXAMPLE))
    writer = cv2.VideoWriter(str(tmp_path / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, photo.shape[1::-1])
    for _ in range(10):  # a second: long enough for a person of the report
        writer.write(photo)
    writer.release()
    result = emolens_without_extras("video", "clip.mp4", "--out-dir", "out", "--threads", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert (out / "timeline.csv").read_text().count("\n") == 1 + 10  # the header and a row per frame
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 2 and "Person #1" in page  # its charts, drawn without matplotlib
    assert (out / "annotated.mp4").stat().st_size > 0


def test_require_extra_passes_when_installed_and_names_the_extra_when_not(monkeypatch) -> None:
    require_extra("emolens models list", "torch")  # the test environment has every extra
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        MissingExtraError, match=r"^emolens train needs the train extra: pip install 'emolens\[train\]'$"
    ):
        require_extra("emolens train", "onnx", "torch")
