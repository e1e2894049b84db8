"""Every bundled int8 ONNX model on this machine's CPU behaves like the fp32 checkpoint it was exported from.

int8 kernels differ between CPUs (VNNI or not); a quantization that overflows on one of them shows up
here as predictions that no longer agree with the network's own fp32 ones.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from emolens.evaluation.robustness import CORRUPTIONS
from emolens.labels import FER_CLASSES
from emolens.models.layers import GaussianLowPass, InputRangeAdapter
from emolens.runtime.bundled import bundled_names, bundled_path
from emolens.runtime.classifier import EmotionClassifier
from emolens.training.checkpoint import load_model
from emolens.training.trainer import normalize


@pytest.fixture(scope="module")
def public_faces(fer_root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every third PublicTest face (1,197 faces) and its label."""
    files = sorted((fer_root / "test").glob("*/PublicTest_*.jpg"))[::3]
    images = np.stack([cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files])
    return images, np.array([FER_CLASSES.index(f.parent.name) for f in files])


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_int8_model_agrees_with_its_fp32_checkpoint(public_faces, name: str) -> None:
    images, labels = public_faces
    onnx_model = EmotionClassifier(bundled_path(name), threads=2)
    network, state = load_model(bundled_path(name, ".pt"))
    meta = onnx_model.metadata
    assert list(state["classes"]) == list(meta.classes) and state.get("lowpass_sigma", 0.0) == meta.lowpass_sigma
    with torch.no_grad():
        x = GaussianLowPass(meta.lowpass_sigma, meta.input_size)(torch.from_numpy(images[:, None] / 255.0).float())
        adapter = InputRangeAdapter.from_grey(meta.input_range, meta.mean, meta.std)
        fp32 = network(adapter(normalize(x, meta.mean, meta.std))).argmax(1).numpy()
    int8 = onnx_model.logits(images).argmax(1)
    assert (int8 == fp32).mean() > 0.9
    fp32_acc, int8_acc = (fp32 == labels).mean(), (int8 == labels).mean()
    assert int8_acc > fp32_acc - 0.02 and int8_acc > 0.5


@pytest.mark.parametrize("name", bundled_names())
@pytest.mark.parametrize(("corruption", "severity"), [("exposure", 0.25), ("contrast", 0.25)])
def test_bundled_model_holds_up_on_dark_and_flat_faces(
    public_faces, name: str, corruption: str, severity: float
) -> None:
    """Its input-range adapter brings such faces back into the training range (without it: 12 points lost)."""
    images, labels = public_faces
    model = EmotionClassifier(bundled_path(name), threads=2)
    assert model.metadata.input_range["min_std"] > 0
    degraded = CORRUPTIONS[corruption].apply(images, severity, np.random.default_rng(0))
    clean_acc = (model.logits(images).argmax(1) == labels).mean()
    degraded_acc = (model.logits(degraded).argmax(1) == labels).mean()
    assert degraded_acc > clean_acc - 0.05, (clean_acc, degraded_acc)
