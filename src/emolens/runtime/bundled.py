"""The models shipped inside the package: their names, files and which one is the default."""

from __future__ import annotations

from pathlib import Path

from emolens.errors import ModelFileError

WEIGHTS_DIR = Path(__file__).parent / "weights"
#: The bundled model used when none is named.
DEFAULT_MODEL = "default"
#: How every command and setting that takes a model describes it.
MODEL_HELP = "Bundled model name or .onnx file [default: the bundled default]."


def bundled_names(suffix: str = ".onnx") -> list[str]:
    """Names of the bundled models that have a ``suffix`` file (``default``, ...)."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob(f"*{suffix}"))


def bundled_path(name: str, suffix: str = ".onnx") -> Path:
    """The file of a bundled model: ``.onnx`` for inference, ``.pt`` (torch weights) for fine-tuning.
    The ``.pt`` files are in the repository only: an installed wheel carries the ONNX models."""
    path = WEIGHTS_DIR / f"{name}{suffix}"
    if path.is_file():
        return path
    available = bundled_names(suffix)
    if suffix == ".pt" and not available and name in bundled_names():
        raise ModelFileError(
            f"the training checkpoint of bundled model {name!r} is not installed (the wheel carries only the "
            "ONNX models): install emolens from its repository with pip install -e '.[train]', or pass a .pt file"
        )
    raise ModelFileError(f"no bundled model {name!r} ({suffix}); bundled: {', '.join(available) or 'none'}")


def resolve_model_path(model: str | Path | None, suffix: str = ".onnx") -> Path:
    """A bundled model's name, or a path to a model file, as a path."""
    if model is None:
        return bundled_path(DEFAULT_MODEL, suffix)
    path = Path(model)
    if path.suffix or path.exists() or "/" in str(model):
        if not path.is_file():
            raise ModelFileError(f"{path}: no such model file")
        return path
    return bundled_path(str(model), suffix)
