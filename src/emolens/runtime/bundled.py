"""The models shipped inside the package: their names, files and which one is the default."""

from __future__ import annotations

from pathlib import Path

from emolens.errors import ModelFileError

WEIGHTS_DIR = Path(__file__).parent / "weights"
#: The bundled model used when none is named.
DEFAULT_MODEL = "default"


def bundled_names() -> list[str]:
    """Names of the ONNX models shipped in the package (``default``, ...)."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.onnx"))


def bundled_path(name: str, suffix: str = ".onnx") -> Path:
    """The file of a bundled model: ``.onnx`` for inference, ``.pt`` (torch weights) for fine-tuning."""
    path = WEIGHTS_DIR / f"{name}{suffix}"
    if not path.is_file():
        available = ", ".join(bundled_names()) or "none"
        raise ModelFileError(f"no bundled model {name!r} ({suffix}); bundled: {available}")
    return path


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
