"""CLI commands: ``emolens train``, ``evaluate`` and ``export``. Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from emolens.cli.options import OptionGroup, with_options
from emolens.cli.shared import DataOption, ThreadsOption, console, err_console, friendly
from emolens.extras import require_extra
from emolens.fields import help_of
from emolens.training.config import CALIBRATION_SIZE, TrainConfig

VotesOption = Annotated[Path | None, typer.Option(help=help_of(TrainConfig, "votes"))]


@friendly
@with_options(OptionGroup(TrainConfig, into="config"))
def train(
    resume: Annotated[bool, typer.Option(help="Continue the run in --run-dir from its last checkpoint.")] = False,
    config: dict[str, Any] | None = None,
) -> None:
    """Train a model (needs the train extra); the best epoch is chosen on the validation split (FER2013 PublicTest)."""
    require_extra("emolens train", "torch")
    from emolens.training import train as run_training

    result = run_training(TrainConfig.from_dict(config or {}), resume=resume, console=err_console)
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


def _class_amounts(items: list[str], option: str) -> dict[str, float]:
    """``CLASS=AMOUNT`` items (``fear=0.3``) as a mapping."""
    amounts = {}
    for item in items:
        name, _, amount = item.partition("=")
        try:
            amounts[name.strip()] = float(amount)
        except ValueError:
            raise typer.BadParameter(f"expected CLASS=AMOUNT (fear=0.3), got {item!r}", param_hint=option) from None
    return amounts


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
    class_bias: Annotated[
        list[str] | None,
        typer.Option(
            help="CLASS=AMOUNT: add AMOUNT to that class's logit, folded into the last layer (an operating point "
            "chosen on PublicTest with benchmarks/bench_operating_point.py); repeat for more classes."
        ),
    ] = None,
    calibration_size: Annotated[
        int, typer.Option(help="Training faces (a stratified sample) that calibrate the int8 activations.")
    ] = CALIBRATION_SIZE,
    calibration_method: Annotated[
        str,
        typer.Option(
            help="How int8 activation ranges are set: minmax (each tensor's extremes), percentile (without the "
            "outermost 0.0005 % at each end) or entropy (the least information lost)."
        ),
    ] = "minmax",
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
            calibration_size=calibration_size,
            calibration_method=calibration_method,
            threads=threads,
            adapt_range=adapt_range,
            prior_correction=_strength(prior_correction, "--prior-correction"),
            class_bias=_class_amounts(class_bias or [], "--class-bias"),
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
