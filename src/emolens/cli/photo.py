"""CLI command: ``emolens analyze``, photos. Heavy imports stay inside the command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from emolens.cli.shared import (
    DetectorOption,
    MaxSideOption,
    MinFaceOption,
    MinSideOption,
    ModelOption,
    ScoreThresholdOption,
    ThreadsOption,
    console,
    friendly,
    print_error,
    progress_bar,
)
from emolens.detection import DEFAULT_DETECTOR
from emolens.detection.base import DEFAULT_MAX_SIDE, DEFAULT_MIN_FACE, DEFAULT_MIN_SIDE
from emolens.errors import ConfigError
from emolens.pipeline.results import TOP_K_MAX, TOP_K_MIN


def _face_table(result: Any, top_k: int) -> Table:
    table = Table(
        "#",
        "box (x1, y1, x2, y2)",
        "score",
        "emotion",
        f"top {top_k}",
        title=f"{result.source} ({len(result.faces)} face(s))",
        title_justify="left",
    )
    for i, face in enumerate(result.faces, 1):
        top = "  ".join(f"{c} {100 * p:.0f}%" for c, p in face.top(top_k))
        box = ", ".join(f"{v:.0f}" for v in face.box)
        emotion = Text.assemble((face.emotion, "bold"), f" {100 * face.confidence:.0f}%")
        table.add_row(str(i), box, f"{face.score:.2f}", emotion, top)
    return table


def _output_path(out: Path, source: str, used: set[Path]) -> Path:
    stem = Path(source).stem or "image"
    candidate, k = out / f"{stem}.jpg", 1
    while candidate in used:
        candidate, k = out / f"{stem}_{k}.jpg", k + 1
    used.add(candidate)
    return candidate


@friendly
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Image files, folders (recursive) or glob patterns.")],
    out: Annotated[Path | None, typer.Option(help="Folder for annotated images and results.json.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print all results as one JSON document.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Print one JSON line per image as it is analysed.")] = False,
    top_k: Annotated[
        int, typer.Option(min=TOP_K_MIN, max=TOP_K_MAX, help="How many top emotions to show per face.")
    ] = 3,
    model: ModelOption = None,
    detector: DetectorOption = DEFAULT_DETECTOR,
    score_threshold: ScoreThresholdOption = None,
    min_face: MinFaceOption = DEFAULT_MIN_FACE,
    max_side: MaxSideOption = DEFAULT_MAX_SIDE,
    min_side: MinSideOption = DEFAULT_MIN_SIDE,
    explain: Annotated[
        bool, typer.Option(help="Add occlusion-sensitivity heat maps (which regions moved the prediction).")
    ] = False,
    threads: ThreadsOption = None,
) -> None:
    """Find the faces in photos and tell what each one feels."""
    from emolens.pipeline.recognizer import EmotionRecognizer
    from emolens.pipeline.sources import expand_inputs

    if as_json and jsonl:
        raise ConfigError("--json and --jsonl cannot be combined: --json prints one document, --jsonl a line per image")
    rec = EmotionRecognizer(
        model=model, detector=detector, score_threshold=score_threshold, min_face=min_face, max_side=max_side,
        min_side=min_side, threads=threads,
    )  # fmt: skip
    rec.classifier, rec.face_detector  # noqa: B018 - load now: a bad model or detector fails before any input
    inputs = list(expand_inputs(paths))
    results, used = [], set[Path]()
    quiet = as_json or jsonl
    if out:
        out.mkdir(parents=True, exist_ok=True)
    with progress_bar(transient=True) as progress:
        task = progress.add_task("analysing", total=len(inputs), status="")
        for result in rec.analyze_many(inputs, explain=explain, keep_images=out is not None):
            progress.update(task, advance=1, status=Path(result.source).name)
            record = result.to_dict(top_k)
            if result.ok and out is not None:
                record["annotated"] = str(result.save(_output_path(out, result.source, used)))
            results.append(record)
            if jsonl:
                print(json.dumps(record), flush=True)
            elif not as_json:
                if result.ok:
                    console.print(_face_table(result, top_k))
                else:
                    print_error(result.error)
    if as_json:
        print(json.dumps(results, indent=2))
    if out:
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    ok = [r for r in results if "error" not in r]
    faces = sum(len(r["faces"]) for r in ok)
    if not quiet:
        console.print(
            f"{len(ok)} of {len(results)} image(s) analysed, {faces} face(s)"
            + (f"; annotated images in {out}" if out else "")
        )
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the ``emolens`` app."""
    app.command()(analyze)
