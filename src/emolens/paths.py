"""Where emolens finds FER2013 data and keeps its cache."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that points at FER2013 (Kaggle folder layout or CSV).
DATA_ENV = "EMOLENS_DATA"
#: Environment variable that moves the decoded-data cache.
CACHE_ENV = "EMOLENS_CACHE"
#: Where FER2013 is looked for when neither a path nor ``$EMOLENS_DATA`` is given, relative to the
#: current folder: the layout of this project's checkouts, where the data sits beside the clone.
DEFAULT_DATA = Path("..", "shared", "data", "fer2013")


def default_data_path() -> Path:
    """``$EMOLENS_DATA``, else :data:`DEFAULT_DATA` (relative to the current folder)."""
    if env := os.environ.get(DATA_ENV):
        return Path(env).expanduser()
    return DEFAULT_DATA


def cache_dir() -> Path:
    """``$EMOLENS_CACHE`` or ``~/.cache/emolens``."""
    if env := os.environ.get(CACHE_ENV):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "emolens"
