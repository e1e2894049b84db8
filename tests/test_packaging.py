"""What the package declares and ships: a licence file for its MIT licence, py.typed, dependency ranges
(not pins) that the exact tested set in constraints.txt satisfies, no path of the development machine
built into the library, and a CI script that runs what the README tells a contributor to run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from emolens.data import load_dataset
from emolens.errors import DataError
from emolens.paths import DATA_ENV, DEFAULT_DATA, default_data_path

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
