"""One concept, one name: the options of ``emolens train`` and ``emolens serve`` are their settings' fields,
a model card's command reproduces its run's settings, and renamed names keep working for one release with
a warning."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from typer.testing import CliRunner

import emolens.training
from emolens.cli import app
from emolens.cli.renamed import RENAMED_OPTIONS, rename_args
from emolens.deprecation import renamed
from emolens.errors import ConfigError, VideoReadError
from emolens.fields import flag_of, is_option
from emolens.reports.model_card import train_command
from emolens.service.settings import ServiceSettings
from emolens.training import AugmentConfig, TrainConfig


def _changed(value: Any, kind: Any) -> Any:
    """A valid value other than ``value`` for a field of type ``kind``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, float):
        return value / 2 if value else 0.25
    if isinstance(value, int):
        return value + 3
    if isinstance(value, tuple):
        return ("a.pt", "b.pt")
    return {"optimizer": "sgd", "schedule": "cosine", "balance": "weights", "precision": "bf16",
            "labels": "blend", "device": "cpu"}.get(kind, f"some-{kind}")  # fmt: skip


def _every_option_changed(cls: type) -> dict[str, Any]:
    defaults, hints = cls(), get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        value = getattr(defaults, f.name)
        if dataclasses.is_dataclass(value):
            out[f.name] = _every_option_changed(type(value))
        elif is_option(f):
            unset = 1 if hints[f.name] == int | None else ""
            out[f.name] = _changed(unset if value is None else value, f.name)
    return out


def test_the_card_command_of_a_run_gives_back_that_run_s_every_setting(monkeypatch, tmp_path: Path) -> None:
    config = TrainConfig.from_dict(_every_option_changed(TrainConfig))
    assert config.augment != AugmentConfig() and config.teachers == ("a.pt", "b.pt")
    command = train_command(config.to_dict())
    seen: list[TrainConfig] = []

    def record(parsed: TrainConfig, **_: object) -> object:
        seen.append(parsed)
        raise ConfigError("stop here")

    monkeypatch.setattr(emolens.training, "train", record)
    result = CliRunner().invoke(app, command.split()[1:])
    assert "stop here" in result.output, result.output
    assert seen[0].to_dict() == config.to_dict()
    # every option of the command is a field (and every option field an option): nothing typed twice
    help_text = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).output
    flags = [flag_of(f) for cls in (TrainConfig, AugmentConfig) for f in dataclasses.fields(cls) if is_option(f)]
    assert all(f"{flag} " in help_text for flag in flags)


@pytest.fixture
def given(monkeypatch) -> list[dict[str, Any]]:
    """What ``emolens serve`` passes to ``ServiceSettings.from_env`` (which then stops the command)."""
    calls: list[dict[str, Any]] = []

    def record(environ: Any = None, **overrides: Any) -> ServiceSettings:
        calls.append(overrides)
        raise ConfigError("stop here")

    monkeypatch.setattr(ServiceSettings, "from_env", staticmethod(record))
    return calls


def test_serve_takes_every_setting_by_its_field_name(given) -> None:
    args = ["serve", "--score-threshold", "0.7", "--cors-origins", "a,b", "--no-batching", "--jobs-dir", "jobs",
            "-m", "fast", "--max-batch", "8"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert "stop here" in result.output, result.output
    assert given[0] == {
        "score_threshold": 0.7, "cors_origins": "a,b", "batching": False, "jobs_dir": "jobs", "model": "fast",
        "max_batch": 8,
    }  # fmt: skip
    hints = get_type_hints(ServiceSettings)
    help_text = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    for f in dataclasses.fields(ServiceSettings):
        assert f"{flag_of(f)} " in help_text or hints[f.name] is bool, f.name
        assert ServiceSettings.env_name(f.name) in help_text


def test_old_option_spellings_still_work_with_a_warning(given) -> None:
    result = CliRunner().invoke(app, ["serve", "--threshold", "0.65"])
    assert given[0] == {"score_threshold": 0.65}
    assert "`--threshold` is now `--score-threshold`" in result.output
    assert rename_args("video", ["a.mp4", "--json=s.json", "--", "--json"]) == [
        "a.mp4", "--summary-json=s.json", "--", "--json"
    ]  # fmt: skip
    assert all(new.startswith("--") for renames in RENAMED_OPTIONS.values() for new in renames.values())


def test_old_parameter_and_environment_names_still_work_with_a_warning(tmp_path: Path) -> None:
    from emolens import EmotionRecognizer
    from emolens.video.analysis import analyze_video

    missing = tmp_path / "missing.mp4"
    with (
        pytest.warns(FutureWarning, match="`every` is now `detect_every`"),
        pytest.raises(VideoReadError, match="missing"),
    ):
        analyze_video(EmotionRecognizer(), missing, every=2)  # the old name reached the function
    with pytest.raises(ConfigError, match="give `detect_every` only"):
        analyze_video(EmotionRecognizer(), missing, every=2, detect_every=2)
    with pytest.warns(FutureWarning, match="EMOLENS_THRESHOLD"):
        assert ServiceSettings.from_env({"EMOLENS_THRESHOLD": "0.7"}).score_threshold == 0.7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ServiceSettings.from_env({"EMOLENS_SCORE_THRESHOLD": "0.5"}).score_threshold == 0.5

    @renamed(old="new")
    def f(new: int = 0) -> int:
        return new

    with pytest.warns(FutureWarning):
        assert f(old=3) == 3
