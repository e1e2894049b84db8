"""The training loop: batches from in-memory uint8 tensors, augmentation on batches, AdamW/SGD with a
one-cycle or cosine schedule, optional EMA of weights, a checkpoint every epoch, resume, a progress bar
with ETA and live metrics, metrics as JSON/CSV and learning curves as PNG.

The best epoch is chosen on the validation split (FER2013's PublicTest); the test split is never
looked at here.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from emolens import __version__
from emolens.data import FaceDataset, load_dataset
from emolens.data.balance import class_weights, epoch_indices
from emolens.data.folders import stratified_split
from emolens.errors import ConfigError
from emolens.labels import SPLITS
from emolens.models import create_model, model_config
from emolens.training.augment import augment_batch, mix_batch
from emolens.training.checkpoint import load_model, read_checkpoint, save_checkpoint
from emolens.training.config import DEFAULT_ARCHITECTURE, TrainConfig
from emolens.training.curves import plot_learning_curves
from emolens.training.hardware import describe, resolve_device, resolve_precision
from emolens.training.init import initial_weights, load_with_head


@dataclass(frozen=True)
class TrainResult:
    """Where a run wrote its files and how it ended."""

    run_dir: Path
    best_epoch: int
    best_val_acc: float
    history: list[dict[str, Any]]

    @property
    def best_checkpoint(self) -> Path:
        return self.run_dir / "best.pt"


def soft_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, smoothing: float, weights: torch.Tensor | None
) -> torch.Tensor:
    """Cross-entropy against soft targets, with label smoothing and optional per-class weights."""
    num_classes = logits.shape[1]
    target = target * (1 - smoothing) + smoothing / num_classes
    loss = -(target * F.log_softmax(logits.float(), dim=1)).sum(dim=1)
    if weights is not None:
        loss = loss * (target @ weights)
    return loss.mean()


def _architecture(cfg: TrainConfig, init_state: dict[str, Any] | None) -> dict[str, Any]:
    """Name and kwargs of the network to build: ``cfg.model``, else the ``init`` checkpoint's, else the
    default; the checkpoint's kwargs are kept when it is the same architecture."""
    if init_state is None:
        return {"name": cfg.model or DEFAULT_ARCHITECTURE, "kwargs": cfg.model_kwargs}
    own = init_state["model_config"]
    if cfg.model in (None, own["name"]):
        return {"name": own["name"], "kwargs": {**own.get("kwargs", {}), **cfg.model_kwargs}}
    return {"name": cfg.model, "kwargs": cfg.model_kwargs}


def distillation_loss(logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL divergence from the teachers' softened probabilities, scaled by T^2 (Hinton et al., 2015)."""
    log_student = F.log_softmax(logits.float() / temperature, dim=1)
    kl = teacher_probs * (torch.log(teacher_probs.clamp_min(1e-8)) - log_student)
    return temperature**2 * kl.sum(dim=1).mean()


def normalize(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """Scale faces in [0, 1] with the model's mean and std."""
    return (x - mean) / std


def network_input(faces: np.ndarray, mean: float, std: float) -> torch.Tensor:
    """Grey uint8 faces (N, H, W) as a network takes them: float (N, 1, H, W), scaled by ``mean`` and ``std``."""
    return normalize(torch.from_numpy(faces).float().div(255).unsqueeze(1), mean, std)


def _subsample(dataset: FaceDataset, max_train: int, seed: int) -> FaceDataset:
    """Keep a stratified ``max_train`` faces of the train split (validation and test untouched)."""
    train = np.flatnonzero(dataset.splits == SPLITS.index("train"))
    if max_train >= len(train):
        return dataset
    keep_share = max_train / len(train)
    codes = stratified_split(dataset.labels[train], 0.0, 1 - keep_share, seed)
    drop = train[codes != SPLITS.index("train")]
    mask = np.ones(len(dataset), dtype=bool)
    mask[drop] = False
    return dataset.subset(mask)


class Trainer:
    """Runs one training configuration; ``fit(resume=True)`` continues from ``run_dir/last.pt``."""

    def __init__(self, config: TrainConfig, console: Console | None = None):
        self.config = config
        self.console = console or Console(stderr=True, soft_wrap=True)

    # -- set-up ---------------------------------------------------------------------------------
    def _build(self, dataset: FaceDataset | None) -> None:
        cfg = self.config
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.device = resolve_device(cfg.device)
        self.autocast_dtype = resolve_precision(cfg.precision, self.device)
        init_state = initial_weights(cfg.init) if cfg.init else None
        arch = _architecture(cfg, init_state)
        self.model_cfg = model_config(arch["name"])
        if dataset is None:
            dataset = load_dataset(
                cfg.data, size=self.model_cfg.input_size, seed=cfg.seed,
                labels=cfg.labels, votes=cfg.votes, votes_weight=cfg.votes_weight,
            )  # fmt: skip
        if cfg.max_train:
            dataset = _subsample(dataset, cfg.max_train, cfg.seed)
        self.classes = dataset.classes
        self.model = create_model(arch["name"], num_classes=len(self.classes), **arch.get("kwargs", {}))
        if init_state is not None:
            load_with_head(self.model, init_state, self.classes, self.console)
        self.model.to(self.device)
        memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
        self.model.to(memory_format=memory_format)
        self.memory_format = memory_format

        train, val = dataset.split("train"), dataset.split("val")
        if len(train) == 0 or len(val) == 0:
            raise ConfigError(f"{dataset.root}: needs faces in both the train and the validation split")
        self.teachers = [self._load_teacher(path) for path in cfg.teachers]
        self.train_x = torch.from_numpy(train.images).unsqueeze(1).to(self.device)
        self.train_y = torch.from_numpy(train.labels.astype(np.int64)).to(self.device)
        targets = train.targets if train.targets is not None else np.eye(len(self.classes))[train.labels]
        self.train_targets = torch.from_numpy(targets.astype(np.float32)).to(self.device)
        self.train_labels = train.labels.astype(np.int64)
        self.val_x = torch.from_numpy(val.images).unsqueeze(1).to(self.device)
        self.val_y = torch.from_numpy(val.labels.astype(np.int64)).to(self.device)
        self.weights = (
            torch.from_numpy(class_weights(self.train_labels, len(self.classes))).to(self.device)
            if cfg.balance == "weights"
            else None
        )
        self.rng = np.random.default_rng(cfg.seed)
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.seed)
        self.steps_per_epoch = max(
            1, len(epoch_indices(self.train_labels, cfg.balance, np.random.default_rng(0))) // cfg.batch_size
        )

        params = [p for p in self.model.parameters() if p.requires_grad]
        if cfg.optimizer == "adamw":
            self.optimizer: torch.optim.Optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        else:
            self.optimizer = torch.optim.SGD(
                params, lr=cfg.lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay
            )
        total = cfg.epochs * self.steps_per_epoch
        warmup = min(0.5, max(cfg.warmup_epochs / cfg.epochs, 1 / max(total, 1)))
        if cfg.schedule == "onecycle" and total >= 4:  # fewer steps leave OneCycleLR a phase of length 0
            self.scheduler: torch.optim.lr_scheduler.LRScheduler = torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=cfg.lr, total_steps=total, pct_start=warmup, div_factor=25, final_div_factor=1e3
            )
        else:
            warm_steps = max(1, int(warmup * total))

            def cosine(step: int) -> float:
                if step < warm_steps:
                    return (step + 1) / warm_steps
                return 0.5 * (1 + math.cos(math.pi * (step - warm_steps) / max(1, total - warm_steps)))

            self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, cosine)
        self.ema = (
            AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True)
            if cfg.ema_decay
            else None
        )
        self.history: list[dict[str, Any]] = []
        self.start_epoch = 1
        self.hardware = describe(self.device)
        self.precision_name = "bf16" if self.autocast_dtype == torch.bfloat16 else "fp32"

    def _load_teacher(self, path: str) -> nn.Module:
        teacher, state = load_model(path)
        if list(state["classes"]) != list(self.classes):
            raise ConfigError(f"{path}: teacher classes {state['classes']} differ from the data's {list(self.classes)}")
        for parameter in teacher.parameters():
            parameter.requires_grad_(False)
        return teacher.to(self.device, memory_format=self.memory_format).eval()

    def _restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.history = state["history"]
        self.start_epoch = state["epoch"] + 1
        torch.set_rng_state(state["rng"]["torch"])
        self.gen.set_state(state["rng"]["generator"])
        self.rng.bit_generator.state = state["rng"]["numpy"]

    # -- one epoch ------------------------------------------------------------------------------
    def _autocast(self) -> torch.autocast:
        return torch.autocast(
            self.device.type, dtype=self.autocast_dtype or torch.float32, enabled=self.autocast_dtype is not None
        )

    def _prepare(self, images: torch.Tensor, augment: bool) -> torch.Tensor:
        x = augment_batch(images, self.config.augment, self.gen) if augment else images.float().div(255)
        x = normalize(x, self.model_cfg.mean, self.model_cfg.std)
        return x.contiguous(memory_format=self.memory_format)

    def _train_epoch(self, progress: Progress, task: Any) -> tuple[float, float]:
        cfg = self.config
        self.model.train()
        order = torch.from_numpy(epoch_indices(self.train_labels, cfg.balance, self.rng)).to(self.device)
        total_loss, correct, seen = 0.0, 0, 0
        for step in range(self.steps_per_epoch):
            index = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            x = self._prepare(self.train_x[index], augment=True)
            x, target = mix_batch(x, self.train_targets[index], cfg.augment, self.gen)
            with self._autocast():
                logits = self.model(x)
            loss = soft_cross_entropy(logits, target, cfg.label_smoothing, self.weights)
            if self.teachers:
                distilled = distillation_loss(logits, self.teacher_probs(x), cfg.kd_temperature)
                loss = (1 - cfg.kd_weight) * loss + cfg.kd_weight * distilled
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            total_loss += loss.item() * len(index)
            correct += int((logits.argmax(1) == target.argmax(1)).sum())
            seen += len(index)
            progress.update(task, advance=1, metrics=f"loss {total_loss / seen:.3f}  acc {100 * correct / seen:.1f}%")
        return total_loss / seen, correct / seen

    @torch.no_grad()
    def teacher_probs(self, x: torch.Tensor) -> torch.Tensor:
        """The teachers' mean softened probabilities for a prepared batch (and its mirror, with ``kd_mirror``)."""
        cfg = self.config
        views = (x, x.flip(3)) if cfg.kd_mirror else (x,)
        with self._autocast():
            probs = [F.softmax(t(v).float() / cfg.kd_temperature, 1) for t in self.teachers for v in views]
        return torch.stack(probs).mean(0)

    @torch.no_grad()
    def predict_logits(self, model: nn.Module, images: torch.Tensor, batch: int = 512) -> torch.Tensor:
        """Logits of un-augmented faces (uint8 N,1,H,W) from ``model`` in eval mode."""
        model.eval()
        out = []
        for start in range(0, len(images), batch):
            with self._autocast():
                out.append(model(self._prepare(images[start : start + batch], augment=False)).float())
        return torch.cat(out)

    def _evaluated_model(self) -> nn.Module:
        return self.ema.module if self.ema is not None else self.model

    # -- the run --------------------------------------------------------------------------------
    def fit(self, dataset: FaceDataset | None = None, resume: bool = False) -> TrainResult:
        """Train (or continue training) and return where the run's files are."""
        run_dir = Path(self.config.run_dir)
        last = run_dir / "last.pt"
        if resume:
            if not last.exists():
                raise ConfigError(f"{run_dir}: nothing to resume (no last.pt)")
            state = read_checkpoint(last)
            self.config = TrainConfig.from_dict(state["config"])
            self._build(dataset)
            self._restore(state)
        else:
            self._build(dataset)
        run_dir.mkdir(parents=True, exist_ok=True)
        self.config.save(run_dir / "config.json")
        cfg = self.config
        self.console.print(
            f"[bold]emolens train[/] {self.model_cfg.name}{escape(f' from {cfg.init}') if cfg.init else ''} -> "
            f"{escape(str(run_dir))}  "
            f"{len(self.train_y)} train / {len(self.val_y)} val faces, {self.hardware}, {self.precision_name}"
            + (", channels-last" if cfg.channels_last else "")
        )
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
        )
        with Progress(*columns, console=self.console, disable=not self.console.is_terminal) as progress:
            remaining = cfg.epochs - self.start_epoch + 1
            overall = progress.add_task("run", total=remaining * self.steps_per_epoch, metrics="")
            for epoch in range(self.start_epoch, cfg.epochs + 1):
                epoch_task = progress.add_task(f"epoch {epoch}/{cfg.epochs}", total=self.steps_per_epoch, metrics="")
                started = time.perf_counter()
                lr = self.optimizer.param_groups[0]["lr"]
                train_loss, train_acc = self._train_epoch(progress, epoch_task)
                train_seconds = time.perf_counter() - started
                logits = self.predict_logits(self._evaluated_model(), self.val_x)
                val_loss = float(F.cross_entropy(logits, self.val_y))
                val_acc = float((logits.argmax(1) == self.val_y).float().mean())
                seconds = time.perf_counter() - started
                record = {
                    "epoch": epoch,
                    "lr": lr,
                    "train_loss": train_loss,
                    "train_acc": train_acc,
                    "val_loss": val_loss,
                    "val_acc": val_acc,
                    "seconds": seconds,
                    "images_per_s": self.steps_per_epoch * cfg.batch_size / train_seconds,
                }
                self.history.append(record)
                best = max(self.history, key=lambda h: h["val_acc"])
                self._save(run_dir, epoch, is_best=best is record)
                self._write_summary(run_dir, best)
                progress.remove_task(epoch_task)
                progress.update(
                    overall,
                    advance=self.steps_per_epoch,
                    metrics=f"best val {100 * best['val_acc']:.2f}% (epoch {best['epoch']})",
                )
                self.console.print(
                    f"epoch {epoch:3d}/{cfg.epochs}  loss {train_loss:.4f}  acc {100 * train_acc:5.2f}%  "
                    f"val loss {val_loss:.4f}  val acc {100 * val_acc:5.2f}%  lr {lr:.2e}  "
                    f"{record['images_per_s']:.0f} img/s  {seconds:.0f}s" + ("  *" if best is record else "")
                )
        best = max(self.history, key=lambda h: h["val_acc"])
        return TrainResult(run_dir, best["epoch"], best["val_acc"], self.history)

    def _model_state(self, model: nn.Module) -> dict[str, Any]:
        return {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}

    def _save(self, run_dir: Path, epoch: int, is_best: bool) -> None:
        meta = {
            "model_config": self.model.config.to_dict(),  # type: ignore[operator]
            "classes": list(self.classes),
            "config": self.config.to_dict(),
            "hardware": self.hardware,
            "precision": self.precision_name,
            "torch": str(torch.__version__),
            "emolens": __version__,
        }
        if is_best:
            record = self.history[-1]
            save_checkpoint(
                {
                    **meta,
                    "model": self._model_state(self._evaluated_model()),
                    "epoch": epoch,
                    "val_acc": record["val_acc"],
                },
                run_dir / "best.pt",
            )
        save_checkpoint(
            {
                **meta,
                "model": self._model_state(self.model),
                "ema": self.ema.state_dict() if self.ema is not None else None,
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "epoch": epoch,
                "history": self.history,
                "rng": {
                    "torch": torch.get_rng_state(),
                    "generator": self.gen.get_state(),
                    "numpy": self.rng.bit_generator.state,
                },
            },
            run_dir / "last.pt",
        )
        (run_dir / "metrics.json").write_text(json.dumps(self.history, indent=1) + "\n")
        with (run_dir / "metrics.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(self.history[0]))
            writer.writeheader()
            writer.writerows(self.history)
        plot_learning_curves(
            self.history,
            run_dir / "curves.png",
            title=f"{self.model.config.name} on {Path(self.config.data or 'FER2013').name}",
        )  # type: ignore[union-attr]

    def _write_summary(self, run_dir: Path, best: dict[str, Any]) -> None:
        """``summary.json`` after every epoch, so a run stopped before its last epoch still records its cost."""
        summary = {
            "model": self.model.config.name,  # type: ignore[union-attr]
            "classes": list(self.classes),
            "best_epoch": best["epoch"],
            "best_val_acc": best["val_acc"],
            "epochs": len(self.history),
            "planned_epochs": self.config.epochs,
            "wall_seconds": sum(h["seconds"] for h in self.history),
            "hardware": self.hardware,
            "precision": self.precision_name,
            "channels_last": self.config.channels_last,
            "torch": str(torch.__version__),
        }
        (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def train(
    config: TrainConfig, *, resume: bool = False, dataset: FaceDataset | None = None, console: Console | None = None
) -> TrainResult:
    """Run a training configuration (see :class:`Trainer`)."""
    return Trainer(config, console).fit(dataset, resume=resume)
