"""Model registry: architectures registered by name, created through one factory (as in timm).

Each registered model carries a :class:`ModelConfig` with the preprocessing that travels with its
weights (input size, channels, mean and std) and a one-line description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
from torch import nn

from emolens.errors import ConfigError


@dataclass(frozen=True)
class ModelConfig:
    """Preprocessing and identity of a model; exported into the ONNX metadata with the weights."""

    name: str
    input_size: int = 48
    in_chans: int = 1
    mean: float = 0.5
    std: float = 0.25
    description: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_REGISTRY: dict[str, tuple[Callable[..., nn.Module], ModelConfig]] = {}


def register_model(
    name: str, description: str, **cfg: Any
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering a factory ``fn(num_classes, in_chans, **kw) -> nn.Module`` under ``name``."""

    def decorate(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = (fn, ModelConfig(name=name, description=description, **cfg))
        return fn

    return decorate


def list_models() -> list[str]:
    """Names of all registered architectures."""
    return sorted(_REGISTRY)


def model_config(name: str) -> ModelConfig:
    """The default configuration of a registered architecture."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(list_models())}")
    return _REGISTRY[name][1]


def create_model(name: str, num_classes: int = 7, **kwargs: Any) -> nn.Module:
    """Build a registered architecture; its :class:`ModelConfig` is attached as ``model.config``."""
    config = model_config(name)
    factory = _REGISTRY[name][0]
    try:
        model = factory(num_classes=num_classes, in_chans=config.in_chans, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"model {name!r}: {exc}") from None
    model.config = replace(config, kwargs=dict(kwargs))  # type: ignore[assignment]
    return model


def count_flops(model: nn.Module, input_size: int, in_chans: int = 1) -> int:
    """Floating-point operations of one forward pass (2 per multiply-add of convs and linears)."""
    macs = 0

    def conv_hook(module: nn.Conv2d, _inp: Any, out: torch.Tensor) -> None:
        nonlocal macs
        kh, kw = module.kernel_size
        macs += out.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, _inp: Any, out: torch.Tensor) -> None:
        nonlocal macs
        macs += out.numel() * module.in_features

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, in_chans, input_size, input_size))
    model.train(was_training)
    for handle in handles:
        handle.remove()
    return 2 * macs


@dataclass(frozen=True)
class ModelSummary:
    """Size and cost of an architecture at its input size."""

    name: str
    params: int
    mflops: float
    input_size: int
    description: str


def summarize(name: str, num_classes: int = 7, **kwargs: Any) -> ModelSummary:
    """Parameter count and MFLOPs of a registered architecture."""
    model = create_model(name, num_classes=num_classes, **kwargs)
    cfg = model_config(name)
    params = sum(p.numel() for p in model.parameters())
    flops = count_flops(model, cfg.input_size, cfg.in_chans)
    return ModelSummary(name, params, flops / 1e6, cfg.input_size, cfg.description)
