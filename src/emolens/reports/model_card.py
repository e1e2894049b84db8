"""Model cards: what a shipped model is, how it was trained (the exact command), on what hardware and
for how long, and what it measures on validation (PublicTest) and test (PrivateTest), with plots.

Written next to the ONNX file: ``<stem>.md`` and the figures in ``<stem>_card/``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from emolens.data import load_dataset
from emolens.data.ferplus import label_options
from emolens.evaluation.evaluate import evaluate_classifier
from emolens.fields import default_of, flag_of, option_fields
from emolens.models import model_config
from emolens.runtime.classifier import EmotionClassifier
from emolens.runtime.metadata import ModelMetadata


def train_command(config: dict[str, Any]) -> str:
    """The ``emolens train`` command line that reproduces a saved TrainConfig: a flag for every option field
    (:mod:`emolens.fields`, the same fields ``emolens train`` takes) whose value differs from its default."""
    from emolens.training.config import TrainConfig

    parts = ["emolens", "train"]
    for path, f, _ in option_fields(TrainConfig):
        values = config
        for parent in path[:-1]:
            values = values.get(parent) or {}
        default = default_of(f)
        value = values.get(f.name, default)
        if value == default or (isinstance(value, list) and tuple(value) == default):
            continue
        if isinstance(value, bool):
            parts.append(flag_of(f) if value else "--no-" + f.name.replace("_", "-"))
        elif isinstance(value, (list, tuple)):
            parts += [part for item in value for part in (flag_of(f), str(item))]
        else:
            parts += [flag_of(f), str(value)]
    return " ".join(parts)


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def run_chain(run_dir: Path) -> list[tuple[Path, dict[str, Any], dict[str, Any]]]:
    """(run folder, config, summary) of a training run, preceded by those of the runs whose checkpoints it
    started from (``--init path/best.pt``) and learnt from (``--teacher path/best.pt``), each once, and so
    on back to the first runs: every command that made the weights, in an order that can be replayed."""
    chain: list[tuple[Path, dict[str, Any], dict[str, Any]]] = []
    visited: set[Path] = set()

    def visit(folder: Path) -> None:
        visited.add(folder.resolve())
        config, summary = (_read_json(folder / name) for name in ("config.json", "summary.json"))
        for source in (config.get("init"), *config.get("teachers", ())):
            checkpoint = Path(str(source or ""))
            parent = checkpoint.parent
            if checkpoint.suffix == ".pt" and (parent / "config.json").exists() and parent.resolve() not in visited:
                visit(parent)
        chain.append((folder, config, summary))

    visit(run_dir)
    return chain


def _cost_line(summary: dict[str, Any], prefix: str) -> str:
    """One run's hardware, precision, wall time and epochs as a Markdown list item."""
    if not summary:
        return f"- {prefix}hardware and wall time unknown"
    return (
        f"- {prefix}{summary.get('hardware', 'unknown hardware')}, precision {summary.get('precision', '?')}"
        + (", channels-last" if summary.get("channels_last") else "")
        + f"; {_seconds(summary['wall_seconds'])} for {_epochs(summary)} (best epoch {summary.get('best_epoch')});"
        + f" PyTorch {summary.get('torch', '?')}"
    )


def _epochs(summary: dict[str, Any]) -> str:
    """'30 epochs', or '10 of 20 epochs (stopped)' for a run stopped before the end of its schedule."""
    done, planned = summary.get("epochs"), summary.get("planned_epochs", summary.get("epochs"))
    return f"{done} epochs" if done == planned else f"{done} of {planned} epochs (stopped)"


def _seconds(text_seconds: float) -> str:
    minutes, seconds = divmod(round(text_seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s"


#: How each label source is described in the card's first paragraph.
_TRAINED_ON = {
    "dataset": "on FER2013's Training split only, with its own labels",
    "blend": "on FER2013's Training split only, each face's label mixed with the FER+ crowd's votes for it",
    "ferplus": "on the FER+ crowd votes (ten annotators per face) of FER2013's Training images, as vote distributions; "
    "validation and test labels are the FER+ majority labels of PublicTest and PrivateTest (the FER+ protocol)",
    "ferplus-majority": "on the FER+ majority labels of FER2013's Training images; validation and test labels are the "
    "FER+ majority labels of PublicTest and PrivateTest (the FER+ protocol)",
}


def write_model_card(
    result: Any, checkpoint: str | Path, data: str | Path | None = None, export_command: str | None = None
) -> Path:
    """Write ``<model>.md`` and ``<model>_card/*.png`` for an :class:`ExportResult`."""
    model_path = Path(result.path)
    assets = model_path.with_name(model_path.stem + "_card")
    assets.mkdir(parents=True, exist_ok=True)
    run_dir = Path(checkpoint).parent
    chain = run_chain(run_dir)
    config = chain[-1][1]
    if (run_dir / "curves.png").exists():
        shutil.copy(run_dir / "curves.png", assets / "curves.png")
    meta = result.metadata
    classifier = EmotionClassifier(model_path)
    dataset = load_dataset(
        data if data is not None else config.get("data"), size=meta.input_size, **label_options(config)
    ).relabel(meta.classes)
    for report in result.reports:
        part = dataset.split(report.split)
        report.save_plots(assets, part.labels.astype(np.int64), classifier.logits(part.images))
    reports = {r.split: r for r in result.reports} or {
        r.split: r for r in evaluate_classifier(classifier, dataset, ("val", "test"))
    }
    val, test = reports["val"], reports["test"]
    rel = assets.name
    tau = meta.training.get("prior_correction", 0.0)
    bias = meta.training.get("class_bias", {})
    export_cmd = export_command or " ".join(
        [f"emolens export {checkpoint} --out {model_path.name}", *_export_options(meta)]
    )
    lines = [
        f"# Model card: `{model_path.name}`",
        "",
        f"A **{meta.architecture}** network ({model_config(meta.architecture).description}; "
        f"{meta.params / 1e6:.2f} M parameters, {meta.mflops:.0f} MFLOPs per face at "
        f"{meta.input_size}x{meta.input_size}), {meta.precision} ONNX, that tells {len(meta.classes)} facial expressions "
        f"({', '.join(meta.classes)}) from a grey face crop. Trained by emolens {meta.emolens_version} "
        f"{_TRAINED_ON[config.get('labels', 'dataset')]}; the epoch was chosen on PublicTest; PrivateTest was measured "
        "once, for this card.",
        "",
        "## Results",
        "",
        "| split | faces | accuracy | with TTA | faces the detector found: share, accuracy | macro-F1 | top-2 | top-3 "
        "| ECE (calibrated) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in (("PublicTest (validation)", val), ("PrivateTest (test)", test)):
        tta = "-" if r.tta_accuracy is None else f"{100 * r.tta_accuracy:.2f} %"
        crops = r.extra.get("detector_crops")
        crop_text = f"{100 * crops['detected']:.1f} %, {100 * crops['accuracy_detected']:.2f} %" if crops else "-"
        lines.append(
            f"| {name} | {r.count:,} | **{100 * r.accuracy:.2f} %** | {tta} | {crop_text} | {r.macro_f1:.3f} | "
            f"{100 * r.top2:.1f} % | {100 * r.top3:.1f} % | {100 * r.ece_calibrated:.2f} % |"
        )
    lines += [
        "",
        "Recall per class (PrivateTest):",
        "",
        "| " + " | ".join(meta.classes) + " |",
        "|" + "---|" * len(meta.classes),
    ]
    lines.append("| " + " | ".join(f"{100 * v:.1f} %" for v in test.recall) + " |")
    lines += [
        "",
        f"![PrivateTest confusion matrix]({rel}/test_confusion_normalized.png) ![PrivateTest reliability]({rel}/test_reliability.png)",
        "",
        "## Preprocessing (stored in the file's metadata)",
        "",
        f"- input: grey {meta.input_size}x{meta.input_size}, pixels / 255, then (x - {meta.mean}) / {meta.std}",
        *(
            [
                f"- an input-range adapter in the graph: a face whose mean grey lies outside "
                f"{meta.input_range['low']:.0f}-{meta.input_range['high']:.0f} is moved to the nearer bound, and one whose "
                f"standard deviation is below {meta.input_range['min_std']:.1f} grey levels is stretched to it (the 5th-95th "
                "percentiles of the training faces' brightness and the 25th of their contrast), so dark, backlit or "
                "washed-out faces reach the network looking like the faces it learnt from"
            ]
            if meta.input_range
            else []
        ),
        *(
            [
                f"- a logit adjustment folded into the last layer: logits minus {tau:.2f} x the log of each class's "
                "share of the training faces, chosen on PublicTest for more recall on rare classes"
            ]
            if tau
            else []
        ),
        *(
            [
                "- a fixed bias folded into the last layer: "
                + ", ".join(f"{amount:+g} on the {name} logit" for name, amount in bias.items())
                + " (an operating point chosen on PublicTest)"
            ]
            if bias
            else []
        ),
        f"- calibration: softmax(logits / T) with T = {meta.temperature:.3f}, fitted on PublicTest",
        "",
        "## Training",
        "",
        "```",
        *(train_command(c) if c else f"({d}: run configuration not found)" for d, c, _ in chain),
        export_cmd,
        "```",
        "",
        *(_cost_line(summary, f"`{d}`: " if len(chain) > 1 else "hardware: ") for d, _, summary in chain),
        "",
        f"![learning curves]({rel}/curves.png)" if (assets / "curves.png").exists() else "",
        "",
        "## Intended use",
        "",
        "Measuring how faces look, in aggregate, where the people filmed know it: reactions of an audience to media, "
        "the mood of customer-experience footage, human-computer interaction, research in affective computing. The "
        "output is what web annotators would call the face's expression, with a calibrated probability.",
        "",
        "## Out of scope",
        "",
        "- Telling what a person feels, intends or whether they lie: the model sees the look of a face, nothing more.",
        "- Decisions about a person (hiring, job interviews, grading, credit, insurance, policing, border control).",
        "- Workplaces and education: the EU AI Act (Art. 5(1)(f)) prohibits emotion recognition there except for "
        "medical or safety reasons.",
        "- Anyone who has not been told they are being analysed.",
        "",
        "See [responsible use](../../../../docs/responsible-use.md) for where it fails and what to do instead.",
        "",
        "## Limitations",
        "",
        "- FER2013 faces are frontal-ish, grey and 48x48, from web image searches; FER2013 labels come from one "
        "annotator each (human agreement on them is about 65 %), FER+ labels from ten.",
        f"- {test.classes[int(np.argmin(test.recall))].capitalize()} is the class recalled least often "
        f"({100 * float(np.min(test.recall)):.1f} % on PrivateTest); rare classes have a few hundred training faces.",
        "- Faces cut from photos by a detector are framed differently from FER2013's crops: the detector column is "
        "measured with each face upscaled to 96-192 px, placed off-centre in a larger picture, found by the default "
        f"detector ({test.extra.get('detector_crops', {}).get('detector', '-')}), cropped and classified; the faces "
        "it does not find (many FER2013 crops are drawings, "
        "profiles or not faces at all) are left out of that accuracy.",
        "",
    ]
    card = model_path.with_suffix(".md")
    card.write_text("\n".join(lines))
    return card


def _export_options(meta: ModelMetadata) -> list[str]:
    """The ``emolens export`` options that made a model file, read back from its metadata."""
    training = meta.training
    options = [f"--quantize {meta.precision}"] if meta.precision != "fp32" else []
    if tau := training.get("prior_correction", 0.0):
        options.append(f"--prior-correction {tau}")
    options += [f"--class-bias {name}={amount:g}" for name, amount in training.get("class_bias", {}).items()]
    if (method := training.get("calibration_method", "minmax")) != "minmax":
        options.append(f"--calibration-method {method}")
    if calib := training.get("calibration_faces"):
        options.append(f"--calibration-size {calib}")
    return options
