"""Where emolens finds FER2013 data and keeps its cache."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that points at FER2013 (Kaggle folder layout or CSV).
DATA_ENV = "EMOLENS_DATA"
#: Environment variable that moves the decoded-data cache.
CACHE_ENV = "EMOLENS_CACHE"


def default_data_path() -> Path:
    """``$EMOLENS_DATA`` or ``../shared/data/fer2013`` beside the repository root (or the cwd)."""
    if env := os.environ.get(DATA_ENV):
        return Path(env).expanduser()
    repo_root = Path(__file__).resolve().parents[2]
    for base in (repo_root, Path.cwd()):
        candidate = base.parent / "shared" / "data" / "fer2013"
        if candidate.exists():
            return candidate
    return repo_root.parent / "shared" / "data" / "fer2013"


def cache_dir() -> Path:
    """``$EMOLENS_CACHE`` or ``~/.cache/emolens``."""
    if env := os.environ.get(CACHE_ENV):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "emolens"
