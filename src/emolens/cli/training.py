"""CLI commands: ``emolens train``, ``evaluate`` and ``export``. Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from emolens.cli.shared import DataOption, ThreadsOption, console, err_console, friendly
from emolens.extras import require_extra

LabelsOption = Annotated[
    str,
    typer.Option(
        help="Label source: dataset (the folder's or CSV's own), ferplus (8 FER+ emotions, vote distributions), "
        "ferplus-majority, or blend (own labels mixed with the FER+ votes)."
    ),
]
VotesOption = Annotated[
    Path | None,
    typer.Option(
        help="FER+ votes file (votes.csv keyed by path, or fer2013new.csv) [default: ferplus/votes.csv "
        "beside the data folder, or fer2013new.csv beside a CSV]."
    ),
]


@friendly
def train(
    run_dir: Annotated[Path, typer.Option(help="Folder for checkpoints, metrics and curves.")] = Path("runs/default"),
    model: Annotated[
        str | None,
        typer.Option(help="Architecture name (see `emolens models list`); default: the --init model's, else resnet-s."),
    ] = None,
    data: DataOption = None,
    labels: LabelsOption = "dataset",
    votes: VotesOption = None,
    votes_weight: Annotated[float, typer.Option(help="Weight of the FER+ votes in --labels blend.")] = 0.5,
    init: Annotated[
        str | None, typer.Option(help="Start from weights: a bundled model name (default) or a .pt checkpoint.")
    ] = None,
    epochs: int = 60,
    batch_size: int = 128,
    optimizer: Annotated[str, typer.Option(help="adamw or sgd.")] = "adamw",
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 3e-3,
    weight_decay: float = 0.05,
    schedule: Annotated[str, typer.Option(help="onecycle or cosine (with warm-up).")] = "onecycle",
    warmup_epochs: float = 3.0,
    label_smoothing: float = 0.1,
    balance: Annotated[str, typer.Option(help="none, oversample or weights.")] = "none",
    ema: Annotated[float, typer.Option(help="EMA decay of the weights (0 = off), e.g. 0.999.")] = 0.0,
    mixup: Annotated[float, typer.Option(help="Mixup alpha (0 = off).")] = 0.0,
    cutmix: Annotated[float, typer.Option(help="CutMix alpha (0 = off).")] = 0.0,
    erase: Annotated[float, typer.Option(help="Probability of random erasing.")] = 0.4,
    rotate: Annotated[float, typer.Option(help="Largest head roll of the rotation augmentation, in degrees.")] = 15.0,
    seed: int = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda[:N].")] = "auto",
    precision: Annotated[
        str, typer.Option(help="auto (bf16 on CUDA and on CPUs with AMX, where it is faster), fp32 or bf16.")
    ] = "auto",
    channels_last: bool = True,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch.")] = None,
    max_train: Annotated[int | None, typer.Option(help="Use only this many training faces (stratified).")] = None,
    teacher: Annotated[
        list[Path] | None, typer.Option(help="Checkpoint(s) to distil from (repeat for an ensemble).")
    ] = None,
    kd_weight: Annotated[float, typer.Option(help="Weight of the distillation loss.")] = 0.5,
    kd_temperature: Annotated[float, typer.Option(help="Softmax temperature for distillation.")] = 2.0,
    resume: Annotated[bool, typer.Option(help="Continue the run in --run-dir from its last checkpoint.")] = False,
) -> None:
    """Train a model (needs the train extra); the best epoch is chosen on the validation split (FER2013 PublicTest)."""
    require_extra("emolens train", "torch")
    from dataclasses import replace

    from emolens.training import AugmentConfig, TrainConfig
    from emolens.training import train as run_training

    augment = replace(AugmentConfig(), mixup=mixup, cutmix=cutmix, erase=erase, rotate=rotate)
    config = TrainConfig(
        run_dir=str(run_dir), model=model, data=str(data) if data else None, labels=labels,
        votes=str(votes) if votes else None, votes_weight=votes_weight, init=init, epochs=epochs,
        batch_size=batch_size, optimizer=optimizer, lr=lr, weight_decay=weight_decay, schedule=schedule,
        warmup_epochs=warmup_epochs, label_smoothing=label_smoothing, balance=balance, augment=augment,
        ema_decay=ema, seed=seed, device=device, precision=precision, channels_last=channels_last,
        threads=threads, max_train=max_train,
        teachers=tuple(str(t) for t in teacher or ()), kd_weight=kd_weight, kd_temperature=kd_temperature,
    )  # fmt: skip
    result = run_training(config, resume=resume, console=err_console)
    console.print(
        f"best epoch {result.best_epoch}: validation accuracy {100 * result.best_val_acc:.2f} % -> {result.best_checkpoint}"
    )


def _print_reports(reports: list[Any]) -> None:
    table = Table("split", "faces", "accuracy", "macro-F1", "top-2", "top-3", "ECE", "with TTA", "detector crops")
    for r in reports:
        tta = "-" if r.tta_accuracy is None else f"{100 * r.tta_accuracy:.2f} %"
        crops = r.extra.get("detector_crops")
        crop_text = (
            f"{100 * crops['accuracy_detected']:.2f} % ({100 * crops['detected']:.1f} % found)" if crops else "-"
        )
        table.add_row(r.split, f"{r.count:,}", f"{100 * r.accuracy:.2f} %", f"{r.macro_f1:.4f}", f"{100 * r.top2:.2f} %",
                      f"{100 * r.top3:.2f} %", f"{100 * r.ece_calibrated:.2f} %", tta, crop_text)  # fmt: skip
    console.print(table)
    for r in reports:
        if left_out := {c: n for c, n in r.extra.get("left_out", {}).items() if n}:
            counts = ", ".join(f"{n:,} {c}" for c, n in left_out.items())
            console.print(f"{r.split}: left out {counts} face(s), a class the model does not know")
    recall = Table("split", *reports[0].classes, title="recall per class")
    for r in reports:
        recall.add_row(r.split, *(f"{100 * v:.1f} %" for v in r.recall))
    console.print(recall)
    for r in reports:
        if robustness := r.extra.get("robustness"):
            from emolens.evaluation.robustness import by_corruption, describe_row

            table = Table(
                "corruption", "unit", "accuracy at each severity, mild to harsh", title=f"{r.split}: robustness"
            )
            for name, rows in by_corruption(robustness).items():
                table.add_row(name, rows[0]["unit"], describe_row(rows))
            console.print(table)


@friendly
def evaluate(
    model: Annotated[
        str | None, typer.Argument(help="Bundled model name or .onnx file [default: the bundled default].")
    ] = None,
    data: DataOption = None,
    labels: Annotated[
        str | None,
        typer.Option(
            help="Label source (dataset, ferplus, ferplus-majority) [default: the one the model was trained for]."
        ),
    ] = None,
    votes: VotesOption = None,
    split: Annotated[
        list[str] | None, typer.Option(help="Split(s) to evaluate: val (PublicTest), test (PrivateTest), train.")
    ] = None,
    tta: Annotated[
        bool, typer.Option(help="Also report accuracy with test-time augmentation (mirror and shifts).")
    ] = False,
    detector_crops: Annotated[
        bool, typer.Option(help="Also report accuracy on faces re-framed, detected and cropped by the product.")
    ] = False,
    robustness: Annotated[
        bool,
        typer.Option(help="Also report accuracy under JPEG, low resolution, noise, exposure, contrast and head roll."),
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Folder for metrics.json, report.md and plots.")] = None,
    threads: ThreadsOption = None,
) -> None:
    """Accuracy, per-class scores, top-k, confusion matrix and calibration of a model."""
    if out is not None:
        require_extra("emolens evaluate --out", "matplotlib")
    from emolens.evaluation.evaluate import evaluate_model

    with err_console.status("evaluating"):
        reports = evaluate_model(
            model,
            data,
            split or ["val", "test"],
            tta=tta,
            detector_crops=detector_crops,
            robustness=robustness,
            out_dir=out,
            threads=threads,
            labels=labels,
            votes=votes,
        )
    _print_reports(reports)
    if out:
        console.print(f"report: {out / 'report.md'}")


def _strength(text: str, option: str) -> str | float:
    """'auto' or a number, for options that take either."""
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(f"expected 'auto' or a number, got {text!r}", param_hint=option) from None


@friendly
def export(
    checkpoint: Annotated[Path, typer.Argument(help="A .pt checkpoint from `emolens train` (best.pt).")],
    out: Annotated[Path, typer.Option(help="The .onnx file to write.")] = Path("model.onnx"),
    data: DataOption = None,
    quantize: Annotated[str, typer.Option(help="none or int8 (static, calibrated on training faces).")] = "none",
    card: Annotated[bool, typer.Option(help="Also write a model card and evaluation plots next to the file.")] = True,
    adapt_range: Annotated[
        bool,
        typer.Option(help="Bring each face's brightness and contrast into the training faces' range, in the graph."),
    ] = True,
    prior_correction: Annotated[
        str,
        typer.Option(
            help="Logit adjustment towards rare classes: a strength tau >= 0, or 'auto' (the most mean recall per "
            "class on the validation split for at most 1 point of its accuracy)."
        ),
    ] = "0",
    threads: ThreadsOption = None,
) -> None:
    """Export a checkpoint to ONNX with its metadata, calibrate it and measure it (needs the train extra)."""
    require_extra("emolens export", "torch", "onnx", "onnxscript")
    from emolens.export import export_checkpoint
    from emolens.reports.model_card import write_model_card

    with err_console.status("exporting, calibrating and evaluating"):
        result = export_checkpoint(
            checkpoint,
            out,
            data=data,
            quantize=quantize,
            threads=threads,
            adapt_range=adapt_range,
            prior_correction=_strength(prior_correction, "--prior-correction"),
        )
    _print_reports(result.reports)
    if card:
        path = write_model_card(result, checkpoint, data=data)
        console.print(f"model card: {path}")
    console.print(f"wrote {result.path} ({result.path.stat().st_size / 1e6:.2f} MB)")


def register(app: typer.Typer) -> None:
    """Add ``train``, ``evaluate`` and ``export`` to the ``emolens`` app."""
    for command in (train, evaluate, export):
        app.command()(command)
