"""Inputs for photo analysis: files, folders (recursive) and glob patterns, expanded into image paths.

A path that does not exist, or a pattern that matches nothing, becomes an :class:`ImageInput` with an
error, so a batch reports it and carries on.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from emolens.imageio import is_image_path
from emolens.paths import visible_files

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class ImageInput:
    """One input to analyse: a path, or an error saying why there is none."""

    path: Path
    error: str | None = None


def _folder_images(folder: Path) -> list[Path]:
    return [p for p in visible_files(folder) if is_image_path(p)]


def expand_inputs(inputs: Sequence[str | Path]) -> Iterator[ImageInput]:
    """Files as given (any suffix: a non-image gets its error when read), folders' image files
    (recursive, sorted), and glob matches (``**`` recursive)."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = _folder_images(path)
            if not found:
                yield ImageInput(path, f"{path}: folder contains no images")
            yield from (ImageInput(p) for p in found)
        elif path.exists():
            yield ImageInput(path)
        elif _GLOB_CHARS & set(str(item)):
            matches = sorted(Path(m) for m in glob.glob(str(item), recursive=True))  # noqa: PTH207 - absolute patterns
            files = [m for m in matches if m.is_file() and is_image_path(m)]
            if not files:
                yield ImageInput(path, f"{item}: pattern matches no images")
            yield from (ImageInput(m) for m in files)
        else:
            yield ImageInput(path, f"{path}: no such file or folder")
