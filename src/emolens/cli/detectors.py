"""CLI commands: ``emolens detectors list|benchmark``. Heavy imports stay inside the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from emolens.cli.shared import MAX_SIDE_HELP, MIN_FACE_HELP, MIN_SIDE_HELP, console, err_console, friendly
from emolens.detection.base import DEFAULT_MIN_SIDE
from emolens.extras import require_extra

detectors_app = typer.Typer(help="Face detectors: list and benchmark.", no_args_is_help=True)


@detectors_app.command("list")
@friendly
def detectors_list() -> None:
    """Registered face detectors and whether they are installed."""
    from emolens.detection import DEFAULT_DETECTOR, list_detectors
    from emolens.detection.base import registered_class

    table = Table("name", "installed", "default score threshold", "description")
    for name in list_detectors(only_available=False):
        cls = registered_class(name)
        table.add_row(
            name + (" (default)" if name == DEFAULT_DETECTOR else ""),
            "yes" if cls.available() else "no",
            f"{cls.default_score_threshold:.2f}",
            cls.description,
        )
    console.print(table)


@detectors_app.command("benchmark")
@friendly
def detectors_benchmark(
    data: Annotated[Path, typer.Option(help="WIDER FACE folder (images/ and wider_face_val_bbx_gt.txt).")],
    detector: Annotated[list[str] | None, typer.Option(help="Detector(s) to compare [default: all installed].")] = None,
    max_side: Annotated[int, typer.Option(help=MAX_SIDE_HELP)] = 640,
    min_side: Annotated[
        int, typer.Option(help=MIN_SIDE_HELP + " Set it to --max-side for one fixed size.")
    ] = DEFAULT_MIN_SIDE,
    min_face: Annotated[int, typer.Option(help=MIN_FACE_HELP + " Applied before scoring, as analyze applies it.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for results.json, results.md and the PR plot.")] = Path(
        "detector-benchmark"
    ),
) -> None:
    """Precision, recall, AP at IoU 0.5 and ms per image (1 and 2 threads) on annotated WIDER FACE images."""
    require_extra("emolens detectors benchmark", "matplotlib")
    from emolens.detection import list_detectors
    from emolens.detection.benchmark import benchmark, plot_pr

    names = detector or [n for n in list_detectors() if n != "whole-image"]
    with err_console.status("benchmarking") as status:
        scores = benchmark(names, data, max_side=max_side, min_side=min_side, min_face=min_face, progress=status.update)
    out.mkdir(parents=True, exist_ok=True)
    rows = [s.row() for s in scores]
    sizes = f"{max_side} px" if min_side >= max_side > 0 else f"{min_side} px up to {max_side or 'full size'}"
    if min_face:
        sizes += f", faces of {min_face} px and more"
    table = Table(*(str(k) for k in rows[0]), title=f"face detectors on {data} at {sizes}")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)
    (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])] + [
        "| " + " | ".join(str(v) for v in r.values()) + " |" for r in rows
    ]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    console.print(f"PR plot: {plot_pr(scores, out / 'pr.png')}")


def register(app: typer.Typer) -> None:
    """Add the ``detectors`` group to the ``emolens`` app."""
    app.add_typer(detectors_app, name="detectors")
