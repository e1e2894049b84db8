"""What the package declares and ships: a licence file for its MIT licence, py.typed, dependency ranges
(not pins) that the exact tested set in constraints.txt satisfies, a default install without the
extras' packages, a wheel with the ONNX models but not the training checkpoints, no path of the
development machine built into the library, and a CI script that runs what the README tells a
contributor to run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from emolens.cpu import describe_cpu, vector_level
from emolens.data import load_dataset
from emolens.errors import DataError, ModelFileError
from emolens.extras import EXTRA_OF_MODULE
from emolens.paths import DATA_ENV, DEFAULT_DATA, default_data_path
from emolens.runtime import bundled

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group if not r.startswith("emolens")]
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


def test_the_licence_and_the_typing_marker_ship() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 emolens developers")
    floor = next(r for r in map(Requirement, PYPROJECT["build-system"]["requires"]) if r.name == "setuptools")
    assert floor.specifier.contains("77") and not floor.specifier.contains("76.9")  # PEP 639 license expressions
    assert (ROOT / "src" / "emolens" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["emolens"]


def test_dependencies_are_ranges_that_the_tested_set_satisfies() -> None:
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            assert len(requirement.specifier) == 1 and next(iter(requirement.specifier)).operator == "=="
            pinned[canonicalize_name(requirement.name)] = Version(next(iter(requirement.specifier)).version)
    assert "emolens" not in pinned
    for requirement in requirements():
        tested = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(tested), (str(requirement), tested)
        exact = any(spec.operator == "==" for spec in requirement.specifier)
        assert exact == (requirement.name == "torch"), str(requirement)  # only torch is pinned (one CPU build)


def test_the_default_install_leaves_the_extras_packages_out() -> None:
    default = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    assert not default & {canonicalize_name(module) for module in EXTRA_OF_MODULE}
    assert set(EXTRA_OF_MODULE.values()) <= set(PYPROJECT["project"]["optional-dependencies"])


def test_the_wheel_carries_the_onnx_models_but_not_the_training_checkpoints(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tmp_path)
    shutil.copytree(
        ROOT / "src" / "emolens", tmp_path / "src" / "emolens", ignore=shutil.ignore_patterns("__pycache__")
    )
    build = "from setuptools import build_meta; print(build_meta.build_wheel('dist'))"
    built = subprocess.run([sys.executable, "-c", build], cwd=tmp_path, capture_output=True, text=True, check=True)
    names = zipfile.ZipFile(tmp_path / "dist" / built.stdout.splitlines()[-1]).namelist()
    assert {f"emolens/runtime/weights/{n}.onnx" for n in bundled.bundled_names()} <= set(names)
    assert "emolens/py.typed" in names and any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.endswith(".pt")]
    assert bundled.bundled_names(".pt")  # the repository keeps them for `train --init`


def test_every_committed_weights_file_stays_under_20_mb() -> None:
    """The repository's limit per weights file (a resnet-m checkpoint in fp32 is 25 MB: `emolens models slim`)."""
    files = sorted(bundled.WEIGHTS_DIR.glob("*.onnx")) + sorted(bundled.WEIGHTS_DIR.glob("*.pt"))
    assert files
    too_big = {f.name: f.stat().st_size for f in files if f.stat().st_size > 20e6}
    assert not too_big, too_big


def test_a_wheel_install_says_in_one_line_where_the_training_checkpoints_are(monkeypatch, tmp_path: Path) -> None:
    assert bundled.bundled_path("default", ".pt").is_file()  # in the repository
    (tmp_path / "default.onnx").write_bytes(b"")
    monkeypatch.setattr(bundled, "WEIGHTS_DIR", tmp_path)  # what an installed wheel has
    assert bundled.bundled_path("default") == tmp_path / "default.onnx"
    with pytest.raises(ModelFileError) as raised:
        bundled.bundled_path("default", ".pt")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("the training checkpoint of bundled model 'default' is not installed")
    assert "pip install -e '.[train]'" in message
    with pytest.raises(ModelFileError, match=r"^no bundled model 'other' \(\.pt\); bundled: none$"):
        bundled.bundled_path("other", ".pt")


def test_the_default_data_path_is_relative_to_the_current_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert default_data_path() == DEFAULT_DATA and not DEFAULT_DATA.is_absolute()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=f"no dataset given: pass its folder or CSV, or set {DATA_ENV}"):
        load_dataset()
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "fer"))
    assert default_data_path() == tmp_path / "fer"


def test_ci_runs_the_readme_set_up_and_test_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    set_up = readme.split("## Set up and run the main job", 1)[1].split("```bash\n", 1)[1].splitlines()[0]
    for command in set_up.split(" && "):
        assert command in ci, command
    tests = readme.split("## Run the tests", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    assert "apt-get install -y chromium" in tests and "ruff check ." in tests and "python -m pytest" in tests
    for line in tests.splitlines():
        assert line in ci.splitlines(), line


def test_the_cpu_line_names_the_widest_vector_instructions() -> None:
    assert vector_level({"sse4_2", "avx", "avx2", "fma"}) == "AVX2"
    assert vector_level({"avx2", "avx512f", "avx512bw"}) == "AVX-512"
    assert vector_level({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}) == "AVX-512 VNNI"
    assert vector_level({"sse4_2"}) == "no AVX2"
    model, cores, level = describe_cpu().rsplit(", ", 2)
    assert model and cores.endswith(" cores") and level == vector_level()
