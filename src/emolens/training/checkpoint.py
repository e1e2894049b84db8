"""Checkpoints: what a run needs to resume (``last.pt``) and what a model needs to be used (``best.pt``).

A checkpoint is a dict with ``format = "emolens-checkpoint"``; ``load_model`` rebuilds the network
from the architecture name and arguments stored in it (in fp32, whatever precision the file stores);
``slim_checkpoint`` keeps only what using a model needs, in half the bytes. Checkpoints are read with ``weights_only``:
tensors, numbers, strings and plain containers only, so a crafted file cannot run code on loading.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.torch_version import TorchVersion

from emolens.errors import ModelFileError
from emolens.models import create_model

FORMAT = "emolens-checkpoint"
#: What only resuming a run needs (``last.pt``); using a model, fine-tuning it or distilling from it does not.
RESUME_KEYS = ("ema", "optimizer", "scheduler", "history", "rng")


def save_checkpoint(state: dict[str, Any], path: Path) -> None:
    """Write atomically, so a crash mid-write never leaves a broken checkpoint behind."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, **state}, tmp)
    tmp.replace(path)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint written by emolens, or raise :class:`ModelFileError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such checkpoint")
    try:
        with torch.serialization.safe_globals([TorchVersion]):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        forbidden = _forbidden_global(exc)
        if forbidden is None:
            raise ModelFileError(f"{path}: not a PyTorch checkpoint (UnpicklingError)") from None
        raise ModelFileError(
            f"{path}: refused: the checkpoint holds Python objects beyond tensors and plain containers, whose "
            f"code loading would run (it asks for {forbidden})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - torch raises many types for foreign files
        raise ModelFileError(f"{path}: not a PyTorch checkpoint ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an emolens checkpoint")
    return state


def _forbidden_global(exc: Exception) -> str | None:
    """The Python object a checkpoint asked the safe unpickler for, or None when it is not a pickle at all."""
    match = re.search(r"unsupported global:? (?:GLOBAL )?(\S+)", str(exc), re.IGNORECASE)
    return match.group(1) if match else None


def load_model(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """The network of a checkpoint in eval mode, and the checkpoint's metadata."""
    state = read_checkpoint(path)
    meta = state["model_config"]
    model = create_model(meta["name"], num_classes=len(state["classes"]), **meta.get("kwargs", {}))
    model.load_state_dict(state["model"])
    return model.eval(), state


def slim_checkpoint(path: str | Path, out: str | Path, half: bool = True) -> Path:
    """Write the weights a checkpoint is used with, without its resume state, in fp16 when ``half``.

    The weights are those its run evaluated: the EMA's where a ``last.pt`` carries one. fp16 halves the
    file (a resnet-m's 25 MB become 13 MB, under the 20 MB the repository allows per file); loading casts
    them back to fp32, and the rounding changes the network's answer on next to no face, so ``train --init``
    and ``--teacher`` use the file as they would the full one. A tensor beyond fp16's range stays fp32.
    The ONNX models are exported from the full checkpoint.
    """
    state = read_checkpoint(path)
    weights = state["model"]
    if state.get("ema") is not None:  # AveragedModel's keys: "module." + the network's, and "n_averaged"
        weights = {k.removeprefix("module."): v for k, v in state["ema"].items() if k.startswith("module.")}
    if half:
        weights = {k: _half(v) for k, v in weights.items()}
    slim = {k: v for k, v in state.items() if k not in (*RESUME_KEYS, "format")}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint({**slim, "model": weights}, out)
    return out


def _half(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in fp16 when it is a float tensor that fp16 holds without overflow, else unchanged."""
    fits = tensor.is_floating_point() and (tensor.numel() == 0 or tensor.abs().max() <= torch.finfo(torch.float16).max)
    return tensor.half() if fits else tensor
