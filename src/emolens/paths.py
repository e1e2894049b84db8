"""Where emolens finds FER2013 data and keeps its cache, and how it walks a folder of inputs."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that points at FER2013 (Kaggle folder layout or CSV).
DATA_ENV = "EMOLENS_DATA"
#: How commands that read a dataset describe their data option.
DATA_HELP = f"FER2013 folder/CSV or a folder of labelled faces [default: ${DATA_ENV}]."
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


def visible_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, sorted by path, leaving out hidden ones (a name starting with ``.``) and
    everything inside hidden folders (``.git``, ``.ipynb_checkpoints``...). The one folder walker of
    emolens: photo sources, batch inputs and labelled-face folders all use it."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        files.extend(Path(dirpath, f) for f in filenames if not f.startswith("."))
    return sorted(files)
