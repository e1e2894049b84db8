"""Export a training checkpoint to an emolens ONNX file (needs the ``train`` extra).

Steps: torch -> ONNX (opset 18, dynamic batch); optionally static int8 quantization calibrated on
training faces; temperature scaling fitted on the validation split (FER2013 PublicTest); accuracy
measured on validation and test with ONNX Runtime (plain crops, with TTA, and on detector crops);
all of it written into the file's metadata.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

from emolens import __version__
from emolens.data import FaceDataset, load_dataset
from emolens.data.ferplus import label_options
from emolens.data.folders import stratified_split
from emolens.errors import ConfigError, check_choice
from emolens.evaluation.evaluate import evaluate_classifier
from emolens.evaluation.metrics import class_scores, confusion_matrix, fit_temperature
from emolens.evaluation.report import EvaluationReport
from emolens.labels import SPLITS
from emolens.models import count_flops
from emolens.models.layers import InputRangeAdapter
from emolens.runtime.classifier import EmotionClassifier
from emolens.runtime.metadata import METADATA_KEY, ModelMetadata
from emolens.training.checkpoint import load_model
from emolens.training.config import CALIBRATION_SIZE
from emolens.training.trainer import network_input

OPSET = 18
QUANTIZE_MODES = ("none", "int8")
#: How int8 activation ranges are calibrated: ONNX Runtime's method and its options, by name. ``minmax``
#: takes each tensor's extremes over the calibration faces; ``percentile`` clips the 0.0005 % of values at
#: either end (an outlier no longer stretches the range); ``entropy`` picks the range whose quantized
#: histogram loses the least information (KL divergence).
CALIBRATION_METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "minmax": ("MinMax", {}),
    "percentile": ("Percentile", {"CalibPercentile": 99.999, "CalibTensorRangeSymmetric": False}),
    "entropy": ("Entropy", {}),
}


@dataclass(frozen=True)
class ExportResult:
    """The written model file, its metadata and the evaluation reports measured on it."""

    path: Path
    metadata: ModelMetadata
    reports: list[EvaluationReport]


def write_metadata(path: Path, metadata: ModelMetadata) -> None:
    """Set the ``emolens`` metadata entry of an ONNX file in place."""
    model = onnx.load(str(path))
    kept = [p for p in model.metadata_props if p.key != METADATA_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    model.metadata_props.add(key=METADATA_KEY, value=metadata.to_json())
    model.producer_name = "emolens"
    model.producer_version = __version__
    onnx.save(model, str(path))


def torch_to_onnx(model: torch.nn.Module, path: Path, input_size: int, in_chans: int = 1) -> Path:
    """Export with the dynamo exporter, batch dimension dynamic, BatchNorm folded."""
    model = model.eval().to(memory_format=torch.contiguous_format)
    example = torch.zeros(2, in_chans, input_size, input_size)
    batch = torch.export.Dim("batch", min=1, max=65536)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (example,), str(path), input_names=["faces"], output_names=["logits"],
            dynamic_shapes=({0: batch},), opset_version=OPSET, dynamo=True, verbose=False,
        )  # fmt: skip
    return path


def inference_graph(network: torch.nn.Module, adapter: InputRangeAdapter | None = None) -> torch.nn.Module:
    """What an emolens ONNX file computes: the input-range adapter (when given), then the network."""
    return torch.nn.Sequential(adapter, network) if adapter is not None else network


def fit_input_range(dataset: FaceDataset, mean: float, std: float, count: int = 8192) -> InputRangeAdapter:
    """The input-range adapter for training faces as the network saw them in training (normalised)."""
    faces = calibration_faces(dataset, count)
    x = network_input(faces, mean, std)
    return InputRangeAdapter.fit(x)


def calibration_faces(dataset: FaceDataset, count: int, seed: int = 0) -> np.ndarray:
    """A stratified sample of training faces for int8 calibration."""
    train = dataset.split("train")
    share = min(1.0, count / max(len(train), 1))
    codes = stratified_split(train.labels, 0.0, share, seed)
    return train.images[codes == SPLITS.index("test")]


def quantize_int8(
    fp32_path: Path, out_path: Path, faces: np.ndarray, classifier: EmotionClassifier, method: str = "minmax"
) -> Path:
    """Static QDQ int8 quantization (per-channel 7-bit weights), activations calibrated on ``faces`` with
    one of :data:`CALIBRATION_METHODS`.

    Weights use ``reduce_range`` (7 bits): on x86 CPUs without VNNI (AVX2, AVX-512F) ONNX Runtime's
    u8 x s8 kernels add pairs of products in saturating 16-bit registers, and full-range weights
    overflow them (measured on an AVX2 EPYC: resnet-s PublicTest 37.7 % instead of 55.7 %).
    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    check_choice("calibration_method", method, CALIBRATION_METHODS)
    calibrate_method, options = CALIBRATION_METHODS[method]
    inputs = classifier.preprocess(faces)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            # batches of one size: the histogram methods stack each tensor's batches into one array
            size = max(d for d in range(1, 65) if len(inputs) % d == 0)
            self.batches: Iterator[np.ndarray] = iter(np.split(inputs, len(inputs) // size))

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            return None if batch is None else {"faces": batch}

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared))
        with contextlib.redirect_stdout(io.StringIO()):  # the histogram methods print their progress
            quantize_static(
                str(prepared), str(out_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True,
                nodes_to_exclude=_input_statistics_nodes(onnx.load(str(prepared))),
                calibrate_method=CalibrationMethod[calibrate_method], extra_options=options,
            )  # fmt: skip
    return out_path


def _input_statistics_nodes(model: onnx.ModelProto) -> list[str]:
    """The nodes in front of the first convolution (the input-range adapter), kept in fp32: quantizing
    the adapter's per-face statistics cost 1.2 points of PublicTest accuracy, and keeping them in fp32
    changed no measured speed."""
    names = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            break
        names.append(node.name)
    return names


#: Strengths of the logit adjustment that ``prior_correction="auto"`` chooses from.
PRIOR_TAUS = tuple(round(0.05 * k, 2) for k in range(21))
#: The most validation accuracy (share) ``auto`` may give up for a higher mean recall per class.
PRIOR_MAX_DROP = 0.01


def class_log_prior(dataset: FaceDataset) -> np.ndarray:
    """The log of each class's share of the training faces (what a logit adjustment subtracts)."""
    train = dataset.split("train")
    prior = np.bincount(train.labels, minlength=len(dataset.classes)) / max(len(train), 1)
    return np.log(np.maximum(prior, 1e-6)).astype(np.float32)


def correct_priors(
    model: torch.nn.Module, network: torch.nn.Module, dataset: FaceDataset, mean: float, std: float,
    tau: str | float,
) -> float:  # fmt: skip
    """Fold a logit adjustment (Menon et al., 2021) into ``network``'s last linear layer: logits minus
    ``tau`` times the log of each class's share of the training faces, which trades accuracy on the
    common classes for recall on the rare ones (FER+'s contempt: 0.8 % of its training faces).

    ``tau="auto"`` takes the strength with the highest mean recall per class on the validation split
    among those that lose at most :data:`PRIOR_MAX_DROP` of its accuracy (``model`` is the whole
    inference graph). Returns the ``tau`` applied."""
    if tau != "auto" and not (isinstance(tau, (int, float)) and tau >= 0):
        raise ConfigError(f"prior_correction must be 'auto' or a strength >= 0, got {tau!r}")
    val = dataset.split("val")
    log_prior = class_log_prior(dataset)
    if tau == "auto":
        x = network_input(val.images, mean, std)
        with torch.no_grad():
            logits = torch.cat([model(x[i : i + 512]) for i in range(0, len(x), 512)]).numpy()
        labels = val.labels.astype(np.int64)
        scores = []
        for candidate in PRIOR_TAUS:
            predicted = (logits - candidate * log_prior).argmax(1)
            confusion = confusion_matrix(labels, predicted, len(dataset.classes))
            scores.append(((predicted == labels).mean(), class_scores(confusion).recall.mean()))
        floor = scores[0][0] - PRIOR_MAX_DROP
        tau = max((c for c, (acc, _) in zip(PRIOR_TAUS, scores, strict=True) if acc >= floor),
                  key=lambda c: scores[PRIOR_TAUS.index(c)][1])  # fmt: skip
    shift_logits(network, -float(tau) * log_prior)
    return float(tau)


def class_bias_vector(classes: Sequence[str], bias: Mapping[str, float]) -> np.ndarray:
    """``bias`` (class name -> amount added to that class's logit) as one value per class, in order."""
    unknown = sorted(set(bias) - set(classes))
    if unknown:
        raise ConfigError(
            f"class_bias names {', '.join(unknown)}, not among this model's classes ({', '.join(classes)})"
        )
    return np.array([float(bias.get(name, 0.0)) for name in classes], np.float32)


def shift_logits(network: torch.nn.Module, shift: np.ndarray) -> None:
    """Add ``shift`` (one value per class) to the bias of ``network``'s last linear layer, in place."""
    head = [m for m in network.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        head.bias += torch.from_numpy(shift)


def export_checkpoint(
    checkpoint: str | Path,
    out: str | Path,
    *,
    data: str | Path | None = None,
    quantize: str = "none",
    calibration_size: int = CALIBRATION_SIZE,
    calibration_method: str = "minmax",
    tta: bool = True,
    threads: int | None = None,
    training_info: dict[str, Any] | None = None,
    detector_crops: bool = True,
    adapt_range: bool = True,
    prior_correction: str | float = 0.0,
    class_bias: Mapping[str, float] | None = None,
) -> ExportResult:
    """Export ``checkpoint`` to ``out`` and measure it; see the module docstring.

    The validation and test labels are those the checkpoint was trained with (its ``labels`` source:
    FER+ majority labels for a ``ferplus`` model). ``detector_crops`` also measures accuracy on faces re-framed, detected and cropped by the product;
    ``adapt_range`` puts an :class:`InputRangeAdapter` fitted on the training faces into the graph;
    ``prior_correction`` (``tau``, or ``"auto"``: chosen on the validation split) folds a logit adjustment
    into the network's last layer (:func:`correct_priors`), and ``class_bias`` (class name -> amount) adds
    fixed amounts to chosen classes' logits there, after it (an operating point chosen on the validation
    split, for example with ``benchmarks/bench_operating_point.py``); ``calibration_size`` is how many training faces
    (a stratified sample) calibrate int8 activations, and ``calibration_method`` (one of
    :data:`CALIBRATION_METHODS`) how.
    """
    check_choice("quantize", quantize, QUANTIZE_MODES)
    check_choice("calibration_method", calibration_method, CALIBRATION_METHODS)
    if calibration_size < 1:
        raise ConfigError(f"calibration_size must be at least 1 training face, got {calibration_size}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    network, state = load_model(checkpoint)
    bias = class_bias_vector(state["classes"], class_bias or {})
    cfg = state["model_config"]
    dataset = load_dataset(
        data if data is not None else state["config"].get("data"), size=cfg["input_size"],
        **label_options(state["config"]),
    ).relabel(state["classes"])  # fmt: skip
    adapter = fit_input_range(dataset, cfg["mean"], cfg["std"]) if adapt_range else None
    model = inference_graph(network, adapter)
    tau = correct_priors(model, network, dataset, cfg["mean"], cfg["std"], prior_correction)
    shift_logits(network, bias)
    metadata = ModelMetadata(
        classes=tuple(state["classes"]),
        input_size=cfg["input_size"],
        mean=cfg["mean"],
        std=cfg["std"],
        input_range={} if adapter is None else adapter.to_grey(cfg["mean"], cfg["std"]),
        architecture=cfg["name"],
        params=sum(p.numel() for p in network.parameters()),
        mflops=count_flops(network, cfg["input_size"], cfg["in_chans"]) / 1e6,
        precision="int8" if quantize == "int8" else "fp32",
        emolens_version=__version__,
        created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        training={
            "checkpoint_epoch": state.get("epoch"),
            "labels": label_options(state["config"])["labels"],
            "prior_correction": tau,
            **({"class_bias": dict(class_bias)} if class_bias else {}),
            **(
                {"calibration_faces": calibration_size, "calibration_method": calibration_method}
                if quantize == "int8"
                else {}
            ),
            **(training_info or {}),
        },
    )
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = torch_to_onnx(model, Path(tmp) / "fp32.onnx", cfg["input_size"], cfg["in_chans"])
        write_metadata(fp32, metadata)
        if quantize == "int8":
            reference = EmotionClassifier(fp32, threads=threads)
            faces = calibration_faces(dataset, calibration_size)
            quantize_int8(fp32, out, faces, reference, calibration_method)
        else:
            out.write_bytes(fp32.read_bytes())
    write_metadata(out, metadata)
    classifier = EmotionClassifier(out, threads=threads)
    val = dataset.split("val")
    temperature = fit_temperature(classifier.logits(val.images), val.labels.astype(np.int64))
    metadata = replace(metadata, temperature=temperature)
    write_metadata(out, metadata)
    classifier = EmotionClassifier(out, threads=threads)
    reports = evaluate_classifier(classifier, dataset, ("val", "test"), tta=tta, detector_crops=detector_crops)
    metrics = {
        r.split: {
            "accuracy": r.accuracy,
            "macro_f1": r.macro_f1,
            "tta_accuracy": r.tta_accuracy,
            "ece": r.ece_calibrated,
            **({"detector_crops": r.extra["detector_crops"]} if "detector_crops" in r.extra else {}),
        }
        for r in reports
    }
    metadata = replace(metadata, metrics=metrics)
    write_metadata(out, metadata)
    return ExportResult(out, metadata, reports)
