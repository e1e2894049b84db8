"""CLI commands: ``emolens data info|report|to-csv``. Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from emolens.cli.shared import console, err_console, friendly, print_error, progress_bar
from emolens.extras import require_extra

data_app = typer.Typer(help="Datasets: information, reports, conversion.", no_args_is_help=True)


def _load(path: Path | None) -> Any:
    from emolens.data import load_dataset

    with progress_bar(transient=True) as progress:
        task = progress.add_task("decoding", total=None, status="")
        dataset = load_dataset(
            path, progress=lambda done, total: progress.update(task, completed=done, total=total or None)
        )
    if dataset.skipped:
        print_error(f"first: {dataset.skipped[0]}", label=f"skipped {len(dataset.skipped)} input(s);", style="yellow")
    return dataset


@data_app.command("info")
@friendly
def data_info(
    path: Annotated[Path | None, typer.Argument(help="Dataset folder or CSV [default: $EMOLENS_DATA].")] = None,
) -> None:
    """Count faces per split and class, and list inputs that could not be loaded."""
    dataset = _load(path)
    table = Table(
        "split",
        *dataset.classes,
        "total",
        title=f"{dataset.root} ({len(dataset):,} faces, {dataset.size}x{dataset.size})",
    )
    for split, row in dataset.class_counts().items():
        table.add_row(split, *(f"{row[c]:,}" for c in dataset.classes), f"{sum(row.values()):,}")
    console.print(table)
    for item in dataset.skipped[:20]:
        console.print(f"skipped {item}", highlight=False)


@data_app.command("report")
@friendly
def data_report(
    path: Annotated[Path | None, typer.Argument(help="Dataset folder or CSV [default: $EMOLENS_DATA].")] = None,
    out: Annotated[Path, typer.Option(help="Folder for report.md, summary.json and figures.")] = Path("data-report"),
    votes: Annotated[
        Path | None,
        typer.Option(
            help="FER+ votes file: report how far the crowd agrees with each class's labels "
            "[default: ferplus/votes.csv beside the data folder, or fer2013new.csv beside a CSV, where there].",
        ),
    ] = None,
) -> None:
    """Class balance, sample grids, duplicates, blank images, blur per split and agreement with FER+ votes."""
    require_extra("emolens data report", "matplotlib")
    from emolens.data.ferplus import default_votes_path
    from emolens.data.report import build_report
    from emolens.labels import FER_CLASSES

    dataset = _load(path)
    if votes is None and set(dataset.classes) <= set(FER_CLASSES):
        found = default_votes_path(Path(dataset.root))
        votes = found if found.is_file() else None
    with err_console.status("analysing duplicates, blank images and blur"):
        report = build_report(dataset, out, votes=votes)
    console.print(
        Text.assemble(
            (f"{len(dataset):,} faces", "bold"),
            f", {len(report.blank)} blank, duplicate pairs: {report.duplicate_counts}",
        )
    )
    for split, est in report.blur.items():
        if est["blurred"]:
            console.print(
                f"the {split} split is blurred (Gaussian sigma about {est['sigma']:.2f} px vs the sharpest split)",
                style="yellow",
            )
    if report.agreement:
        split, rows = next(iter(report.agreement.items()))  # the first split present, in SPLITS order
        name = min(rows, key=lambda c: rows[c]["favourite"])
        console.print(
            f"FER+ crowd: {name} is the class it reads as labelled least often "
            f"({100 * rows[name]['favourite']:.0f} % of its {split} faces)"
        )
    console.print(f"report: {out / 'report.md'}")


@data_app.command("to-csv")
@friendly
def data_to_csv(
    path: Annotated[Path, typer.Argument(help="Dataset folder (FER classes).")],
    out: Annotated[Path, typer.Argument(help="CSV file to write (emotion,pixels,Usage).")],
) -> None:
    """Write a dataset in FER2013's original CSV layout."""
    from emolens.data import write_csv

    dataset = _load(path)
    write_csv(dataset, out)
    console.print(f"wrote {len(dataset):,} rows to {out}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` group to the ``emolens`` app."""
    app.add_typer(data_app, name="data")
