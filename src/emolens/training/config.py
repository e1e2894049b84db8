"""``TrainConfig``: every setting of a training run, saved as ``config.json`` in the run directory, with the
strengths of its augmentations (``AugmentConfig``). Torch-free, so that ``emolens train --help`` builds its
options from these fields (:mod:`emolens.fields`) without the train extra."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from emolens.data.balance import BALANCE_MODES
from emolens.data.ferplus import LABEL_SOURCES
from emolens.errors import ConfigError, check_choice
from emolens.fields import option
from emolens.paths import DATA_HELP

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("onecycle", "cosine")
PRECISIONS = ("auto", "fp32", "bf16")
#: The architecture trained when neither ``model`` nor ``init`` names one.
DEFAULT_ARCHITECTURE = "resnet-s"
#: Training faces (a stratified sample) that calibrate the activations of an int8 export.
CALIBRATION_SIZE = 2048


@dataclass(frozen=True)
class AugmentConfig:
    """Strengths of each augmentation (:mod:`emolens.training.augment`); 0 turns one off. The strengths that
    runs change most are options of ``emolens train``; the others keep their defaults there."""

    flip: float = 0.5
    rotate: float = option(15.0, "Largest head roll of the rotation augmentation, in degrees.")
    scale: float = 0.15
    shift: float = 0.1
    brightness: float = 0.25
    contrast: float = 0.3
    gamma: float = 0.25
    blur: float = 0.15
    noise: float = 0.03
    erase: float = option(0.4, "Probability of random erasing.")
    mixup: float = option(0.0, "Mixup alpha (0 = off).")
    cutmix: float = option(0.0, "CutMix alpha (0 = off).")

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise ConfigError(f"augmentation {name} must be >= 0, got {value}")
        for name in ("flip", "blur", "erase"):
            if getattr(self, name) > 1:
                raise ConfigError(f"augmentation {name} is a probability in [0, 1], got {getattr(self, name)}")
        if self.rotate > 180:
            raise ConfigError(f"augmentation rotate is at most 180 degrees, got {self.rotate}")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run. ``data=None`` means FER2013 at the default path.

    ``model`` is the architecture; ``None`` means that of the ``init`` checkpoint, else resnet-s. A
    ``model`` other than the ``init`` checkpoint's starts from its weights where they fit (resnet-s
    weights into resnet-s40, for one).

    ``labels`` is the label source: ``dataset`` (the folder's or CSV's own labels), ``ferplus`` or
    ``ferplus-majority`` (the 8 FER+ emotions from the crowd votes in ``votes``), or ``blend`` (the
    dataset's labels mixed with the crowd's votes by ``votes_weight``); see :mod:`emolens.data.ferplus`.

    ``teachers`` are checkpoints whose averaged, temperature-softened predictions on each augmented
    batch the model also learns from (knowledge distillation), weighted by ``kd_weight``; with ``kd_mirror``
    each teacher's predictions are averaged over the batch and its mirror image (test-time augmentation of
    the teachers, whose mirrored answers are better than their plain ones).
    """

    run_dir: str = option("runs/default", "Folder for checkpoints, metrics and curves.", kind=Path)
    model: str | None = option(
        None, "Architecture name (see `emolens models list`); default: the --init model's, else resnet-s."
    )
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    data: str | None = option(None, DATA_HELP, kind=Path)
    labels: str = option(
        "dataset",
        "Label source: dataset (the folder's or CSV's own), ferplus (8 FER+ emotions, vote distributions), "
        "ferplus-majority, or blend (own labels mixed with the FER+ votes).",
    )
    votes: str | None = option(
        None,
        "FER+ votes file (votes.csv keyed by path, or fer2013new.csv) [default: ferplus/votes.csv beside the data "
        "folder, or fer2013new.csv beside a CSV].",
        kind=Path,
    )
    votes_weight: float = option(0.5, "Weight of the FER+ votes in --labels blend.")
    init: str | None = option(None, "Start from weights: a bundled model name (default) or a .pt checkpoint.")
    epochs: int = option(60, "Passes over the training faces.")
    batch_size: int = option(128, "Faces per optimisation step.")
    optimizer: str = option("adamw", "adamw or sgd.")
    lr: float = option(3e-3, "Peak learning rate.")
    weight_decay: float = option(0.05, "Decoupled weight decay (AdamW) or L2 (SGD).")
    schedule: str = option("onecycle", "onecycle or cosine (with warm-up).")
    warmup_epochs: float = option(3.0, "Epochs of rising learning rate before the decay (both schedules).")
    label_smoothing: float = option(0.1, "Label smoothing of the cross-entropy.")
    balance: str = option("none", "none, oversample or weights.")
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    ema_decay: float = option(0.0, "EMA decay of the weights (0 = off), e.g. 0.999.", flag="--ema")
    seed: int = option(0, "Seed of every random draw (initialisation, order, augmentation).")
    device: str = option("auto", "auto, cpu or cuda[:N].")
    precision: str = option("auto", "auto (bf16 on CUDA and on CPUs with AMX, where it is faster), fp32 or bf16.")
    channels_last: bool = option(True, "Channels-last memory format (faster convolutions on CPU).")
    threads: int | None = option(None, "CPU threads for torch.")
    max_train: int | None = option(None, "Use only this many training faces (stratified).")
    teachers: tuple[str, ...] = option(
        (), "Checkpoint(s) to distil from (repeat for an ensemble).", flag="--teacher", kind=list[Path]
    )
    kd_weight: float = option(0.5, "Weight of the distillation loss.")
    kd_temperature: float = option(2.0, "Softmax temperature for distillation.")
    kd_mirror: bool = option(False, "Teachers also see each batch mirrored; the student learns the average.")

    def __post_init__(self) -> None:
        checks = {
            "optimizer": (self.optimizer, OPTIMIZERS),
            "schedule": (self.schedule, SCHEDULES),
            "balance": (self.balance, BALANCE_MODES),
            "precision": (self.precision, PRECISIONS),
            "labels": (self.labels, LABEL_SOURCES),
        }
        for name, (value, allowed) in checks.items():
            check_choice(name, value, allowed)
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
