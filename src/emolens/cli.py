"""The ``emolens`` command line: every command is a thin layer over the Python API.

User errors (:class:`EmolensError`) are printed as one red line naming the input, without a
traceback, and exit with status 2; so is a command whose extra is not installed (see
:mod:`emolens.extras`). Text that comes from the user or the data (paths, file names, messages) is
never read as Rich markup, so brackets in it show. When the output is not a terminal, tables and lines
are not cut to a width.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from emolens.cli_help import MAX_SIDE_HELP, MIN_SIDE_HELP, HelpGroup
from emolens.detection.base import DEFAULT_MAX_SIDE, DEFAULT_MIN_SIDE
from emolens.errors import ConfigError, EmolensError
from emolens.extras import require_extra
from emolens.pipeline.results import TOP_K_MAX, TOP_K_MIN

F = TypeVar("F", bound=Callable[..., Any])

#: The width of output that is not a terminal (a pipe, a file, a CI log): wide enough never to cut a table.
UNCUT_WIDTH = 10_000

app = typer.Typer(
    cls=HelpGroup,
    help="Find faces and tell what each one feels.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Datasets: information, reports, conversion.", no_args_is_help=True)
models_app = typer.Typer(help="The model zoo and model files.", no_args_is_help=True)
detectors_app = typer.Typer(help="Face detectors: list and benchmark.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(models_app, name="models")
app.add_typer(detectors_app, name="detectors")


def _console(stderr: bool, markup: bool) -> Console:
    """A console as wide as the terminal, or :data:`UNCUT_WIDTH` when its output is not one."""
    console = Console(stderr=stderr, markup=markup, soft_wrap=stderr)
    if not console.is_terminal:
        console.width = UNCUT_WIDTH
    return console


#: Results (tables, paths): nothing printed on it is read as markup; style with :class:`Text`.
console = _console(stderr=False, markup=False)
#: Progress, status and errors; print text from users or data with :func:`print_error` or as :class:`Text`.
err_console = _console(stderr=True, markup=True)

ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="Bundled model name or .onnx file [default: the bundled default].")
]
ThreadsOption = Annotated[int | None, typer.Option(help="CPU threads (default: all cores).")]
DataOption = Annotated[
    Path | None, typer.Option(help="FER2013 folder/CSV or a folder of labelled faces [default: $EMOLENS_DATA].")
]


def print_error(message: object, label: str = "error:", style: str = "bold red") -> None:
    """One line on stderr: ``label`` in ``style``, then ``message`` as plain text (brackets in it show)."""
    err_console.print(Text.assemble((label, style), " ", str(message)))


def friendly(fn: F) -> F:
    """Turn :class:`EmolensError` into a one-line message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EmolensError as exc:
            print_error(exc)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print(Text("interrupted", "yellow"))
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def progress_bar(transient: bool = False) -> Progress:
    """The progress bar used by long commands (ETA, counts); drawn on stderr only in a terminal."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        TextColumn("{task.fields[status]}", markup=False), console=err_console, transient=transient, disable=not err_console.is_terminal,
    )  # fmt: skip


# -- data -----------------------------------------------------------------------------------------
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
) -> None:
    """Class balance, sample grids, duplicates, blank images and blur per split."""
    require_extra("emolens data report", "matplotlib")
    from emolens.data.report import build_report

    dataset = _load(path)
    with err_console.status("analysing duplicates, blank images and blur"):
        report = build_report(dataset, out)
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


# -- models ---------------------------------------------------------------------------------------
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
    """The models shipped in the package: network, file size, cost and accuracy (macro-F1 on PrivateTest)."""
    from emolens.runtime.bundled import bundled_names
    from emolens.runtime.classifier import EmotionClassifier

    table = Table("name", "network", "size", "MFLOPs", "PublicTest", "PrivateTest", "macro-F1")
    for name in bundled_names():
        classifier = EmotionClassifier(name)
        meta = classifier.metadata
        metrics = meta.metrics
        table.add_row(
            name,
            f"{meta.architecture} {meta.precision}",
            f"{classifier.path.stat().st_size / 1e6:.2f} MB",
            f"{meta.mflops:.0f}",
            _measured(metrics, "val", "accuracy", ".2%"),
            _measured(metrics, "test", "accuracy", ".2%"),
            _measured(metrics, "test", "macro_f1", ".3f"),
        )
    console.print(table)


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


# -- training, evaluation, export -----------------------------------------------------------------
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


@app.command()
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


@app.command()
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


@app.command()
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


# -- photos ---------------------------------------------------------------------------------------
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


@app.command()
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
    detector: Annotated[str, typer.Option(help="Face detector (see `emolens detectors list`).")] = "yunet",
    threshold: Annotated[float | None, typer.Option(help="Minimum detector score [default: the detector's].")] = None,
    min_face: Annotated[int, typer.Option(help="Ignore faces smaller than this many pixels (0: keep all).")] = 20,
    max_side: Annotated[int, typer.Option(help=MAX_SIDE_HELP)] = DEFAULT_MAX_SIDE,
    min_side: Annotated[int, typer.Option(help=MIN_SIDE_HELP)] = DEFAULT_MIN_SIDE,
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
        model=model, detector=detector, score_threshold=threshold, min_face=min_face, max_side=max_side,
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


# -- detectors ------------------------------------------------------------------------------------
@detectors_app.command("list")
@friendly
def detectors_list() -> None:
    """Registered face detectors and whether they are installed."""
    from emolens.detection import DEFAULT_DETECTOR, list_detectors
    from emolens.detection.base import registered_class

    table = Table("name", "installed", "default threshold", "description")
    for name in list_detectors(only_available=False):
        cls = registered_class(name)
        table.add_row(
            name + (" (default)" if name == DEFAULT_DETECTOR else ""),
            "yes" if cls.available() else "no",
            f"{cls.default_threshold:.2f}",
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
        scores = benchmark(names, data, max_side=max_side, min_side=min_side, progress=status.update)
    out.mkdir(parents=True, exist_ok=True)
    rows = [s.row() for s in scores]
    sizes = f"{max_side} px" if min_side >= max_side > 0 else f"{min_side} px up to {max_side or 'full size'}"
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


def _add_extension_commands() -> None:
    """Commands that live with their concern register themselves: ``video``/``webcam``, ``serve``, ``batch``."""
    from emolens.batch.commands import register as batch_commands
    from emolens.pipeline.video_commands import register as video_commands
    from emolens.service.commands import register as service_commands

    for register in (video_commands, service_commands, batch_commands):
        register(app)


_add_extension_commands()


def main() -> None:
    """Entry point of the ``emolens`` script."""
    app()


if __name__ == "__main__":
    main()
