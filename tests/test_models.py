"""The model registry: every architecture builds, runs, and reports its size."""

from __future__ import annotations

import pytest
import torch

from emolens.errors import ConfigError
from emolens.models import count_flops, create_model, list_models, summarize


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_classifies_a_batch(name: str) -> None:
    model = create_model(name, num_classes=5).eval()
    assert model.config.name == name
    with torch.no_grad():
        out = model(torch.rand(3, 1, model.config.input_size, model.config.input_size))
    assert out.shape == (3, 5)
    summary = summarize(name)
    assert summary.params == sum(p.numel() for p in create_model(name).parameters())
    assert summary.mflops > 1


def test_flops_of_a_single_convolution_by_hand() -> None:
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(8 * 48 * 48, 7))
    assert count_flops(conv, 48) == 2 * (48 * 48 * 8 * 9 + 8 * 48 * 48 * 7)


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        create_model("nope")
