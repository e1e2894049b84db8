"""Cache decoded datasets as compressed ``.npz`` files keyed by a fingerprint of their source.

The fingerprint covers every file's relative path, size and modification time (and the reader's
options), so adding, removing or editing any file makes a new cache entry. Reloading FER2013's
35,887 faces from the cache takes well under two seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from emolens.data.dataset import FaceDataset, Skipped
from emolens.paths import cache_dir

#: Bump when the decoded representation changes, so old caches are not reused.
CACHE_VERSION = 1


def fingerprint(source: Path, options: dict[str, object]) -> str:
    """A hex digest of a file's or folder's listing (paths, sizes, mtimes) and the reader options."""
    digest = hashlib.sha256(json.dumps({"v": CACHE_VERSION, **options}, sort_keys=True).encode())
    if source.is_file():
        stat = source.stat()
        digest.update(f"{source.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
        return digest.hexdigest()
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath, name)
            try:
                stat = full.stat()
            except OSError:  # a dangling link: the reader skips it; the link itself keys the cache
                stat = full.lstat()
            digest.update(f"{full.relative_to(source)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_path(source: Path, key: str) -> Path:
    """Where the cache entry of ``source`` with fingerprint ``key`` lives."""
    return cache_dir() / "datasets" / f"{source.name or 'dataset'}-{key[:20]}.npz"


def save(dataset: FaceDataset, path: Path) -> None:
    """Write a dataset atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        np.savez_compressed(
            handle,
            images=dataset.images,
            labels=dataset.labels,
            splits=dataset.splits,
            classes=np.array(dataset.classes),
            sources=dataset.sources,
            skipped_source=np.array([s.source for s in dataset.skipped], dtype=str),
            skipped_reason=np.array([s.reason for s in dataset.skipped], dtype=str),
        )
    tmp.replace(path)


def load(path: Path, root: str) -> FaceDataset | None:
    """Read a cache entry, or None when it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            skipped = tuple(
                Skipped(str(s), str(r)) for s, r in zip(data["skipped_source"], data["skipped_reason"], strict=True)
            )
            return FaceDataset(
                images=data["images"],
                labels=data["labels"],
                splits=data["splits"],
                classes=tuple(str(c) for c in data["classes"]),
                sources=data["sources"],
                root=root,
                skipped=skipped,
            )
    except (OSError, KeyError, ValueError):
        return None
