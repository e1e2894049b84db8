"""The optional parts of emolens and what a command says when one is not installed.

``pip install emolens`` analyses photos, videos and camera streams, with their CSV timelines and HTML
reports. Training and export need the ``train`` extra (PyTorch, ONNX), the web service the ``serve``
extra (FastAPI, Uvicorn), batch jobs and Parquet timelines the ``batch`` extra (pyarrow), Ray batch
jobs the ``scale`` extra, and the commands that draw plots (``evaluate --out``, ``data report``,
``detectors benchmark``) the ``plots`` extra (matplotlib). A command that needs one calls
:func:`require_extra` before anything else, so that without it the user gets one line naming the extra
to install instead of a traceback.
"""

from __future__ import annotations

import importlib.util

from emolens.errors import EmolensError

#: The extra (``pyproject.toml``'s optional dependencies) that installs each optional module emolens imports.
EXTRA_OF_MODULE: dict[str, str] = {
    "torch": "train",
    "onnx": "train",
    "onnxscript": "train",
    "fastapi": "serve",
    "uvicorn": "serve",
    "python_multipart": "serve",
    "pyarrow": "batch",
    "matplotlib": "plots",
    "ray": "scale",
    "fsspec": "scale",
}


class MissingExtraError(EmolensError):
    """A command or option needs an optional dependency (an extra) that is not installed."""


def require_extra(feature: str, *modules: str) -> None:
    """Raise :class:`MissingExtraError` naming the extra to install unless every one of ``modules``
    (top-level names from :data:`EXTRA_OF_MODULE`) can be imported; ``feature`` names what needs them,
    e.g. ``"emolens serve"``."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            extra = EXTRA_OF_MODULE[module]
            raise MissingExtraError(f"{feature} needs the {extra} extra: pip install 'emolens[{extra}]'")
