"""``TrainConfig``: every setting of a training run, saved as ``config.json`` in the run directory."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from emolens.data.balance import BALANCE_MODES
from emolens.data.ferplus import LABEL_SOURCES
from emolens.errors import ConfigError
from emolens.training.augment import AugmentConfig

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("onecycle", "cosine")
PRECISIONS = ("auto", "fp32", "bf16")
#: The architecture trained when neither ``model`` nor ``init`` names one.
DEFAULT_ARCHITECTURE = "resnet-s"


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run. ``data=None`` means FER2013 at the default path.

    ``model`` is the architecture; ``None`` means that of the ``init`` checkpoint, else resnet-s. A
    ``model`` other than the ``init`` checkpoint's starts from its weights where they fit (resnet-s
    weights into resnet-s24, for one).

    ``labels`` is the label source: ``dataset`` (the folder's or CSV's own labels), ``ferplus`` or
    ``ferplus-majority`` (the 8 FER+ emotions from the crowd votes in ``votes``), or ``blend`` (the
    dataset's labels mixed with the crowd's votes by ``votes_weight``); see :mod:`emolens.data.ferplus`.

    ``teachers`` are checkpoints whose averaged, temperature-softened predictions on each augmented
    batch the model also learns from (knowledge distillation), weighted by ``kd_weight``.
    """

    run_dir: str = "runs/default"
    model: str | None = None
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    data: str | None = None
    labels: str = "dataset"
    votes: str | None = None
    votes_weight: float = 0.5
    init: str | None = None
    epochs: int = 60
    batch_size: int = 128
    optimizer: str = "adamw"
    lr: float = 3e-3
    weight_decay: float = 0.05
    schedule: str = "onecycle"
    warmup_epochs: float = 3.0
    label_smoothing: float = 0.1
    balance: str = "none"
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    ema_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool = True
    threads: int | None = None
    max_train: int | None = None
    teachers: tuple[str, ...] = ()
    kd_weight: float = 0.5
    kd_temperature: float = 2.0

    def __post_init__(self) -> None:
        checks = {
            "optimizer": (self.optimizer, OPTIMIZERS),
            "schedule": (self.schedule, SCHEDULES),
            "balance": (self.balance, BALANCE_MODES),
            "precision": (self.precision, PRECISIONS),
            "labels": (self.labels, LABEL_SOURCES),
        }
        for name, (value, allowed) in checks.items():
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ConfigError("epochs and batch size must be at least 1 and the learning rate positive")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if not 0.0 <= self.votes_weight <= 1.0:
            raise ConfigError(f"votes_weight must be in [0, 1], got {self.votes_weight}")
        if not 0.0 <= self.kd_weight <= 1.0 or self.kd_temperature <= 0:
            raise ConfigError("kd_weight must be in [0, 1] and kd_temperature positive")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON types: the same in ``config.json`` and in checkpoints."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("augment"), dict):
            values["augment"] = AugmentConfig(**values["augment"])
        if "teachers" in values:
            values["teachers"] = tuple(values["teachers"])
        return cls(**values)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
