"""``EmotionClassifier``: an emolens ONNX model run by ONNX Runtime (no torch).

Takes face crops of any size (grey or BGR), applies the preprocessing stored in the model file,
and returns logits or calibrated probabilities, in batches.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from emolens.errors import ModelFileError
from emolens.runtime.bundled import resolve_model_path
from emolens.runtime.metadata import METADATA_KEY, ModelMetadata
from emolens.runtime.probabilities import softmax

Crops = np.ndarray | Sequence[np.ndarray]


def session_options(threads: int | None) -> ort.SessionOptions:
    """ONNX Runtime options: ``threads`` intra-op threads (None = ORT's default) that do not spin while
    idle, sequential execution."""
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # ORT's worker threads spin after each run by default; between two runs they took the cores from the
    # detector, the decoder and the next request (docs/performance.md), so they sleep instead.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def open_session(path: Path, threads: int | None) -> ort.InferenceSession:
    """An ORT session on the CPU, or :class:`ModelFileError` naming the file when it is not ONNX."""
    try:
        return ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - ORT raises several private exception types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"{path}: not a loadable ONNX model ({first_line[:160]})") from None


class EmotionClassifier:
    """Classify face crops with an emolens ONNX model.

    ``model`` is a bundled model name (``default``) or a path to an ``.onnx`` file; ``threads`` is the
    number of ONNX Runtime threads. The file is opened on first use.
    """

    def __init__(self, model: str | Path | None = None, threads: int | None = None, batch_size: int = 256):
        self.model = model
        self.threads = threads
        self.batch_size = batch_size

    @functools.cached_property
    def path(self) -> Path:
        return resolve_model_path(self.model)

    @functools.cached_property
    def session(self) -> ort.InferenceSession:
        return open_session(self.path, self.threads)

    @functools.cached_property
    def metadata(self) -> ModelMetadata:
        props = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in props:
            raise ModelFileError(f"{self.path}: an ONNX file, but not an emolens model (no emolens metadata)")
        return ModelMetadata.from_json(props[METADATA_KEY], str(self.path))

    @property
    def classes(self) -> tuple[str, ...]:
        return self.metadata.classes

    @property
    def input_size(self) -> int:
        return self.metadata.input_size

    def preprocess(self, crops: Crops) -> np.ndarray:
        """Crops (N,H,W) grey or (N,H,W,3) BGR uint8, or a list of differently sized crops -> model input."""
        size, meta = self.input_size, self.metadata
        if isinstance(crops, np.ndarray) and crops.ndim in (3, 4) and crops.shape[1:3] == (size, size):
            grey = crops if crops.ndim == 3 else np.stack([cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for c in crops])
        else:
            grey = np.stack([self._fit(c, size) for c in crops]) if len(crops) else np.empty((0, size, size), np.uint8)
        x = grey.astype(np.float32)[:, None]
        return (x * np.float32(1 / 255) - np.float32(meta.mean)) * np.float32(1 / meta.std)

    @staticmethod
    def _fit(crop: np.ndarray, size: int) -> np.ndarray:
        if crop.ndim == 3:
            crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY if crop.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
        if crop.shape != (size, size):
            shrink = crop.shape[0] > size
            crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return crop

    def logits(self, crops: Crops) -> np.ndarray:
        """Raw model outputs (N, classes), computed in batches of ``batch_size``."""
        x = self.preprocess(crops)
        if len(x) == 0:
            return np.empty((0, len(self.classes)), np.float32)
        name = self.session.get_inputs()[0].name
        outs = [
            self.session.run(None, {name: x[i : i + self.batch_size]})[0] for i in range(0, len(x), self.batch_size)
        ]
        return np.concatenate(outs).astype(np.float32)

    def predict_proba(self, crops: Crops, calibrated: bool = True) -> np.ndarray:
        """Class probabilities (N, classes); ``calibrated`` applies the model's stored temperature."""
        temperature = self.metadata.temperature if calibrated else 1.0
        return softmax(self.logits(crops), temperature).astype(np.float32)
