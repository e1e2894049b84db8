"""CLI commands: ``emolens models list|bundled|info|slim``. Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from emolens.cli.shared import console, friendly
from emolens.extras import require_extra

models_app = typer.Typer(help="The model zoo and model files.", no_args_is_help=True)


@models_app.command("list")
@friendly
def models_list() -> None:
    """The registered architectures with parameters and MFLOPs at their input size (needs the train extra)."""
    require_extra("emolens models list", "torch")
    from emolens.models import list_models, summarize

    table = Table("name", "params", "MFLOPs", "input", "description")
    for name in list_models():
        s = summarize(name)
        table.add_row(
            name, f"{s.params / 1e6:.2f} M", f"{s.mflops:.0f}", f"{s.input_size}x{s.input_size}", s.description
        )
    console.print(table)


@models_app.command("bundled")
@friendly
def models_bundled() -> None:
    """The models shipped in the package: classes, the labels they were scored on, network, file size, cost and
    accuracy (macro-F1 on PrivateTest)."""
    from emolens.data.ferplus import evaluation_labels
    from emolens.runtime.bundled import bundled_names
    from emolens.runtime.classifier import EmotionClassifier

    table = Table("name", "classes", "labels", "network", "size", "MFLOPs", "PublicTest", "PrivateTest", "macro-F1")
    for name in bundled_names():
        classifier = EmotionClassifier(name)
        meta = classifier.metadata
        metrics = meta.metrics
        table.add_row(
            name,
            str(len(meta.classes)),
            LABEL_NAMES[evaluation_labels(meta.training.get("labels", "dataset"))],
            f"{meta.architecture} {meta.precision}",
            f"{classifier.path.stat().st_size / 1e6:.2f} MB",
            f"{meta.mflops:.0f}",
            _measured(metrics, "val", "accuracy", ".2%"),
            _measured(metrics, "test", "accuracy", ".2%"),
            _measured(metrics, "test", "macro_f1", ".3f"),
        )
    console.print(table)


#: How ``models bundled`` names the labels a model is scored on (:func:`~emolens.data.ferplus.evaluation_labels`).
LABEL_NAMES = {"dataset": "FER2013", "ferplus-majority": "FER+ majority"}


def _measured(metrics: dict, split: str, key: str, spec: str) -> str:
    """A figure from a model file's measured ``metrics``, or a dash when the file has none."""
    value = metrics.get(split, {}).get(key)
    return "—" if value is None else format(value, spec)


@models_app.command("info")
@friendly
def models_info(model: Annotated[str | None, typer.Argument(help="Bundled model name or .onnx file.")] = None) -> None:
    """Show a model file's metadata: classes, preprocessing, calibration, accuracy, provenance."""
    from emolens.runtime.bundled import bundled_names
    from emolens.runtime.classifier import EmotionClassifier

    classifier = EmotionClassifier(model)
    console.print_json(classifier.metadata.to_json())
    console.print(f"file: {classifier.path}   bundled models: {', '.join(bundled_names())}")


@models_app.command("slim")
@friendly
def models_slim(
    checkpoint: Annotated[Path, typer.Argument(help="A .pt checkpoint from `emolens train` (best.pt or last.pt).")],
    out: Annotated[Path, typer.Option(help="The .pt file to write.")],
    half: Annotated[bool, typer.Option(help="Store the weights in fp16 (half the bytes).")] = True,
) -> None:
    """Write a checkpoint's weights without its resume state, in fp16: how the bundled .pt files that
    `train --init` and `--teacher` read are kept small (needs the train extra)."""
    require_extra("emolens models slim", "torch")
    from emolens.training import slim_checkpoint

    written = slim_checkpoint(checkpoint, out, half=half)
    console.print(
        f"wrote {written} ({written.stat().st_size / 1e6:.2f} MB; {checkpoint} is {checkpoint.stat().st_size / 1e6:.2f} MB)",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``models`` group to the ``emolens`` app."""
    app.add_typer(models_app, name="models")
