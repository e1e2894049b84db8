"""The model registry: every architecture builds, runs, and reports its size."""

from __future__ import annotations

import pytest
import torch

from emolens.errors import ConfigError
from emolens.models import count_flops, create_model, list_models, summarize
from emolens.models.layers import InputRangeAdapter


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


@pytest.mark.parametrize(
    ("name", "size", "share"), [("resnet-s24", 24, 0.3), ("resnet-s36", 36, 0.7), ("resnet-s40", 40, 0.75)]
)
def test_a_downscaled_resnet_costs_less_and_keeps_the_weights_of_the_full_resolution_net(
    name: str, size: int, share: float
) -> None:
    full, small = create_model("resnet-s").eval(), create_model(name).eval()
    assert count_flops(small, 48) < share * count_flops(full, 48)
    small.load_state_dict(full.state_dict())  # same parameters: --init from resnet-s weights works
    smooth = torch.nn.functional.interpolate(torch.rand(2, 1, 6, 6), size=48, mode="bilinear")
    shrunk = torch.nn.functional.interpolate(smooth, size=size, mode="bilinear")
    with torch.no_grad():
        assert not torch.allclose(small(smooth), full(smooth))
        assert torch.allclose(small(smooth), full.head(full.stages(full.stem(shrunk))), atol=1e-5)


def test_flops_of_a_single_convolution_by_hand() -> None:
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(8 * 48 * 48, 7))
    assert count_flops(conv, 48) == 2 * (48 * 48 * 8 * 9 + 8 * 48 * 48 * 7)


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        create_model("nope")


def test_input_range_adapter_moves_only_faces_outside_the_training_range() -> None:
    gen = torch.Generator().manual_seed(0)
    training = torch.randn(400, 1, 8, 8, generator=gen) * torch.rand(400, 1, 1, 1, generator=gen) + torch.randn(
        400, 1, 1, 1, generator=gen
    )
    adapter = InputRangeAdapter.fit(training)
    means, stds = training.mean(dim=(2, 3)).flatten(), training.std(dim=(2, 3), unbiased=False).flatten()
    assert adapter.low == pytest.approx(torch.quantile(means, 0.05).item())
    assert adapter.min_std == pytest.approx(torch.quantile(stds, 0.25).item())
    pattern = torch.randn(1, 1, 8, 8, generator=gen)
    pattern = (pattern - pattern.mean()) / pattern.std(unbiased=False)
    typical = pattern * (2 * adapter.min_std) + (adapter.low + adapter.high) / 2
    assert torch.allclose(adapter(typical), typical, atol=1e-5)
    dark_and_flat = pattern * (adapter.min_std / 4) + (adapter.low - 3)
    out = adapter(dark_and_flat)
    assert out.mean().item() == pytest.approx(adapter.low, abs=1e-4)
    assert out.std(unbiased=False).item() == pytest.approx(adapter.min_std, rel=1e-4)
    assert torch.allclose((out - out.mean()) / out.std(), pattern / pattern.std(), atol=1e-4)  # same face, rescaled
    back = InputRangeAdapter.from_grey(adapter.to_grey(0.5, 0.25), 0.5, 0.25)
    assert (back.low, back.high, back.min_std) == pytest.approx((adapter.low, adapter.high, adapter.min_std))
