"""Every bundled int8 ONNX model on this machine's CPU behaves like the fp32 checkpoint it was exported from.

int8 kernels differ between CPUs (VNNI or not); a quantization that overflows on one of them shows up
here as predictions that no longer agree with the network's own fp32 ones. Each model is scored on
every third PublicTest face against the labels it was trained with (FER+ majority labels for ``ferplus``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import torch

from emolens.data import load_dataset
from emolens.data.ferplus import label_options
from emolens.evaluation.robustness import CORRUPTIONS
from emolens.export import class_bias_vector, class_log_prior
from emolens.models.layers import InputRangeAdapter
from emolens.runtime.bundled import bundled_names, bundled_path
from emolens.runtime.classifier import EmotionClassifier
from emolens.training.checkpoint import load_model
from emolens.training.trainer import network_input


@functools.cache
def bundled(name: str, fer_root: Path) -> tuple[torch.nn.Module, dict, np.ndarray, np.ndarray, np.ndarray]:
    """The fp32 network of a bundled model, its checkpoint state, the logit shift its export folded in
    (prior correction and class bias), and every third PublicTest face with the label the model was trained to give."""
    network, state = load_model(bundled_path(name, ".pt"))
    dataset = load_dataset(fer_root, **label_options(state["config"])).relabel(state["classes"])
    training = EmotionClassifier(bundled_path(name)).metadata.training
    shift = -training.get("prior_correction", 0.0) * class_log_prior(dataset)
    shift += class_bias_vector(state["classes"], training.get("class_bias", {}))
    val = dataset.split("val")
    return network, state, shift, val.images[::3], val.labels[::3]


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_int8_model_agrees_with_its_fp32_checkpoint(fer_root: Path, name: str) -> None:
    network, state, shift, images, labels = bundled(name, fer_root)
    onnx_model = EmotionClassifier(bundled_path(name), threads=2)
    meta = onnx_model.metadata
    assert list(state["classes"]) == list(meta.classes)
    with torch.no_grad():
        adapter = InputRangeAdapter.from_grey(meta.input_range, meta.mean, meta.std)
        fp32 = (network(adapter(network_input(images, meta.mean, meta.std))).numpy() + shift).argmax(1)
    int8 = onnx_model.logits(images).argmax(1)
    assert (int8 == fp32).mean() > 0.9
    fp32_acc, int8_acc = (fp32 == labels).mean(), (int8 == labels).mean()
    assert int8_acc > fp32_acc - 0.02 and int8_acc > 0.5


@pytest.mark.parametrize("name", bundled_names())
@pytest.mark.parametrize(("corruption", "severity"), [("exposure", 0.25), ("contrast", 0.25)])
def test_bundled_model_holds_up_on_dark_and_flat_faces(
    fer_root: Path, name: str, corruption: str, severity: float
) -> None:
    """Its input-range adapter brings such faces back into the training range (without it: 12 points lost)."""
    *_, images, labels = bundled(name, fer_root)
    model = EmotionClassifier(bundled_path(name), threads=2)
    assert model.metadata.input_range["min_std"] > 0
    degraded = CORRUPTIONS[corruption].apply(images, severity, np.random.default_rng(0))
    clean_acc = (model.logits(images).argmax(1) == labels).mean()
    degraded_acc = (model.logits(degraded).argmax(1) == labels).mean()
    assert degraded_acc > clean_acc - 0.05, (clean_acc, degraded_acc)
