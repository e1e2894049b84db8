"""Inputs of a batch job: folders (recursive), glob patterns and text/CSV lists of paths, local or remote.

Every input gets a stable ID (a hash of its normalised path or URL), so a re-run recognises the inputs it
has already done. Remote inputs (``s3://``, ``gs://``, ``az://``, ``file://`` ... URLs) go through fsspec,
with the protocol's package (s3fs, gcsfs, adlfs) when installed and pyarrow's own S3/GCS filesystems
otherwise; local paths need nothing extra.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from emolens.errors import ConfigError, DataError, ImageReadError
from emolens.extras import require_extra
from emolens.imageio import IMAGE_SUFFIXES
from emolens.paths import visible_files

#: File suffixes treated as videos (with ``--videos``) when scanning folders.
VIDEO_SUFFIXES: frozenset[str] = frozenset(
    {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".3gp"}
)
#: Suffixes of files that list inputs (one path per line, or a CSV with a ``path`` column).
LIST_SUFFIXES: frozenset[str] = frozenset({".txt", ".lst", ".list", ".csv", ".tsv"})
_GLOB_CHARS = frozenset("*?[")

#: Columns of an input batch, as passed to the workers.
INPUT_SCHEMA = pa.schema(
    [("input_id", pa.string()), ("path", pa.string()), ("kind", pa.string()), ("error", pa.string())]
)


@dataclass(frozen=True)
class BatchInput:
    """One input: its stable ID, path or URL, ``image`` or ``video``, and an error known before reading."""

    input_id: str
    path: str
    kind: str = "image"
    error: str | None = None


def input_id(path: str) -> str:
    """The stable ID of a normalised path or URL (128-bit BLAKE2b, hex)."""
    return hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def is_remote(path: str) -> bool:
    """Whether ``path`` is a URL with a protocol (``s3://...``) rather than a local path."""
    scheme, sep, _ = path.partition("://")
    return bool(sep) and scheme.isidentifier() and len(scheme) > 1


def remote_fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path inside it (pyarrow's filesystems as a fallback)."""
    require_extra(f"{url}: a remote input", "fsspec")
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:
        try:
            from fsspec.implementations.arrow import ArrowFSWrapper
            from pyarrow.fs import FileSystem

            arrow_fs, inner = FileSystem.from_uri(url)
        except (ImportError, ValueError, OSError, pa.ArrowException):
            raise ConfigError(f"{url}: no filesystem installed for this protocol ({exc})") from None
        return ArrowFSWrapper(arrow_fs), inner


def read_bytes(path: str) -> bytes:
    """The bytes of a remote input, or :class:`ImageReadError` naming it."""
    try:
        fs, inner = remote_fs(path)
        return fs.cat_file(inner)
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path}: is a folder, not a file") from None
    except (OSError, ValueError) as exc:
        raise ImageReadError(f"{path}: cannot be read ({exc})") from None


def _kind(path: str, videos: bool) -> str:
    return "video" if videos and Path(path.rsplit("?", 1)[0]).suffix.lower() in VIDEO_SUFFIXES else "image"


def _wanted(path: str, videos: bool) -> bool:
    suffix = Path(path).suffix.lower()
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return not name.startswith(".") and (suffix in IMAGE_SUFFIXES or (videos and suffix in VIDEO_SUFFIXES))


def _normalise(path: str | Path) -> str:
    text = str(path)
    return text if is_remote(text) else str(Path(text).expanduser().resolve())


def _join(base: str, relative: str) -> str:
    """``relative`` (from a list file) taken relative to the list file's folder ``base``."""
    if is_remote(relative) or Path(relative).expanduser().is_absolute():
        return _normalise(relative)
    if is_remote(base):
        return base.rstrip("/") + "/" + relative
    return _normalise(Path(base) / relative)


class _Found:
    """Collects inputs in order, dropping repeats of a path (every input is analysed once)."""

    def __init__(self, videos: bool):
        self.videos = videos
        self.items: dict[str, BatchInput] = {}
        self.seen = 0

    def add(self, path: str, error: str | None = None) -> None:
        self.seen += 1
        key = input_id(path)
        if key not in self.items:
            self.items[key] = BatchInput(key, path, _kind(path, self.videos), error)


def _local_files(root: Path, videos: bool) -> list[str]:
    return [str(p) for p in visible_files(root) if _wanted(p.name, videos)]


def _remote_files(url: str, videos: bool) -> list[str]:
    fs, inner = remote_fs(url)
    if _GLOB_CHARS & set(inner):
        found = fs.glob(inner, detail=True)
    elif fs.isdir(inner):
        found = fs.find(inner, detail=True)
    elif fs.exists(inner):
        return [url]
    else:
        raise DataError(f"{url}: no such file, folder or list of inputs")
    files = (p for p, info in found.items() if info.get("type") != "directory" and _wanted(p, videos))
    return sorted(fs.unstrip_protocol(p) for p in files)


def _read_text(path: str) -> str:
    if is_remote(path):
        return read_bytes(path).decode("utf-8-sig", "replace")
    try:
        return Path(path).read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise DataError(f"{path}: cannot read the list of inputs ({exc.strerror or exc})") from None


def _list_entries(path: str) -> Iterator[tuple[int, str]]:
    """(line number, path) of a list file; ``#`` comments and blank lines are skipped. A CSV/TSV takes its
    ``path`` column (case-insensitive) or else its first column, under a header row."""
    text = _read_text(path)
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".tsv"):
        for number, line in enumerate(text.splitlines(), 1):
            entry = line.strip()
            if entry and not entry.startswith("#"):
                yield number, entry
        return
    rows = csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
    header = next(rows, None)
    if header is None:
        return
    names = [h.strip().lower() for h in header]
    column = names.index("path") if "path" in names else 0
    for number, row in enumerate(rows, 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        entry = row[column].strip() if column < len(row) else ""
        yield number, entry


def _add_list(found: _Found, path: str) -> None:
    base = path.rsplit("/", 1)[0] if is_remote(path) else str(Path(path).parent)
    for number, entry in _list_entries(path):
        if entry:
            found.add(_join(base, entry))
        else:
            found.add(f"{path}:{number}", f"{path}: line {number} has no path")


def collect_inputs(sources: Sequence[str | Path], videos: bool = False) -> list[BatchInput]:
    """The inputs named by ``sources``: folders (recursive, sorted), glob patterns (``**`` recursive),
    list files (``.txt``/``.lst``/``.list``: one path a line; ``.csv``/``.tsv``: a ``path`` column) and
    single files; remote URLs alike. Paths in list files are relative to the list file's folder.

    A source that names nothing is a :class:`DataError`; a listed file that is missing or unreadable is an
    input like any other and fails when it is read, so it gets a row of its own."""
    found = _Found(videos)
    for source in sources:
        text = str(source)
        before = found.seen
        if is_remote(text):
            suffix = Path(text).suffix.lower()
            if suffix in LIST_SUFFIXES and not any(c in text for c in _GLOB_CHARS):
                _add_list(found, text)
            else:
                for path in _remote_files(text, videos):
                    found.add(path)
        else:
            path = Path(text).expanduser()
            if path.is_dir():
                for file in _local_files(path.resolve(), videos):
                    found.add(file)
            elif path.is_file():
                if path.suffix.lower() in LIST_SUFFIXES:
                    _add_list(found, _normalise(path))
                else:
                    found.add(_normalise(path))
            elif _GLOB_CHARS & set(text):
                matches = glob.glob(str(path), recursive=True)  # noqa: PTH207 - absolute patterns
                for file in sorted(_normalise(m) for m in matches if Path(m).is_file() and _wanted(m, videos)):
                    found.add(file)
            else:
                raise DataError(f"{text}: no such file, folder or list of inputs")
        if found.seen == before:
            raise DataError(f"{text}: contains no {'images or videos' if videos else 'images'}")
    return list(found.items.values())


def to_table(items: Sequence[BatchInput]) -> pa.Table:
    """Inputs as an Arrow table (the form in which batches travel to the workers)."""
    return pa.table(
        {
            "input_id": [i.input_id for i in items],
            "path": [i.path for i in items],
            "kind": [i.kind for i in items],
            "error": [i.error for i in items],
        },
        schema=INPUT_SCHEMA,
    )


def from_table(table: pa.Table) -> list[BatchInput]:
    """Inputs back from :func:`to_table`'s form."""
    columns = [table.column(name).to_pylist() for name in INPUT_SCHEMA.names]
    return [BatchInput(*row) for row in zip(*columns, strict=True)]
