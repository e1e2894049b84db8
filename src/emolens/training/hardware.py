"""Choose the device and precision of a run and describe the hardware it ran on."""

from __future__ import annotations

import os

import torch

from emolens.cpu import cpu_flags, cpu_model, vector_level
from emolens.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} requested but CUDA is not available")
    return torch.device(name)


def bf16_supported(device: torch.device) -> bool:
    """Whether bfloat16 autocast runs natively (CPU with AVX-512 BF16/AMX, or a CUDA GPU that has it)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def bf16_faster(device: torch.device) -> bool:
    """Whether bf16 autocast trains faster than fp32: on CUDA, and on CPUs with AMX tiles. On a CPU with
    AVX-512 BF16 but no AMX (a 2-core Xeon here) resnet-s trained at 382 images/s in bf16 against about
    500 in fp32 (``benchmarks/bench_training.py``), so ``auto`` keeps fp32 there."""
    if not bf16_supported(device):
        return False
    if device.type == "cuda":
        return True
    return "amx_bf16" in cpu_flags()


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype (None means fp32); ``auto`` uses bf16 where it is faster (:func:`bf16_faster`)."""
    if precision == "bf16":
        if not bf16_supported(device):
            raise ConfigError(f"bf16 requested but not supported on {device}")
        return torch.bfloat16
    if precision == "auto" and bf16_faster(device):
        return torch.bfloat16
    return None


def describe(device: torch.device) -> str:
    """A one-line description such as ``CPU AMD EPYC, AVX2 (2 threads of 2 cores)`` or ``NVIDIA H100 (CUDA 12.8)``."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    return f"CPU {cpu_model()}, {vector_level()} ({torch.get_num_threads()} threads of {os.cpu_count()} cores)"
