"""The results folder: Parquet parts committed atomically, and the ledger of the inputs already done.

Layout of ``RESULTS/``::

    _batch.json                  the job's settings (model SHA-256, detector, ...) and class names
    inputs/part-000000.parquet   one row per input: the ledger (an input is done when its row is here)
    faces/part-000000.parquet    one row per face of the inputs in the inputs part of the same number
    _lock                        held (flock) while a job writes, so two jobs never share a folder
    _errors.log                  tracebacks of inputs that failed unexpectedly (only when some did)

Part N is committed like this: both files are written under hidden temporary names
(``.part-N.parquet.tmp``) and flushed to disk; renaming the inputs file into place is the commit; the
faces file is renamed next. When a job opens the folder, a faces file whose inputs part is committed is
renamed into place (roll forward) and every other temporary file is deleted, so after any crash the
folder holds whole parts only, each input at most once, and a re-run does exactly the inputs that lack a
row. Readers (pandas, pyarrow, DuckDB, Spark) skip the hidden and ``_`` files on their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from emolens.batch.process import face_schema, input_fields, result_schema
from emolens.errors import ConfigError, DataError

MANIFEST = "_batch.json"
ERRORS_LOG = "_errors.log"
INPUTS, FACES = "inputs", "faces"
_PART = "part-{:06d}.parquet"


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every system can open a folder (Windows)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_parquet(table: pa.Table, path: Path) -> None:
    with path.open("wb") as f:
        pq.write_table(table, f, compression="zstd")
        f.flush()
        os.fsync(f.fileno())


def _part_number(path: Path) -> int:
    return int(path.name.split("-", 1)[1].split(".", 1)[0])


def committed_parts(out: Path, table: str) -> list[Path]:
    """The committed part files of ``inputs`` or ``faces``, in order."""
    committed = sorted((Path(out) / INPUTS).glob("part-*.parquet"))
    if table == INPUTS:
        return committed
    return [p for p in (Path(out) / table / c.name for c in committed) if p.exists()]


def read_manifest(out: Path) -> dict[str, Any]:
    """The ``_batch.json`` of a results folder, or :class:`DataError`."""
    path = Path(out) / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{out}: not an emolens batch results folder (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: unreadable ({exc})") from None


def read_table(out: Path, table: str, columns: Sequence[str] | None = None) -> pa.Table:
    """The committed rows of ``inputs`` or ``faces`` (optionally only some ``columns``)."""
    classes = read_manifest(out)["classes"]
    schema = pa.schema(input_fields()) if table == INPUTS else face_schema(classes)
    parts = committed_parts(out, table)
    dataset = pads.dataset([str(p) for p in parts], schema=schema, format="parquet")
    return dataset.to_table(columns=list(columns) if columns is not None else None)


def load_results(out: str | Path) -> tuple[pa.Table, pa.Table]:
    """``(inputs, faces)`` of a results folder as Arrow tables (``.to_pandas()`` for DataFrames)."""
    return read_table(Path(out), INPUTS), read_table(Path(out), FACES)


def split_results(table: pa.Table, classes: Sequence[str]) -> tuple[pa.Table, pa.Table]:
    """Result rows with nested ``detections`` -> the per-input table and the per-face table."""
    nested = table.column("detections").combine_chunks()
    parents = pc.list_parent_indices(nested)
    faces = pa.Table.from_arrays(
        [table.column("input_id").take(parents), table.column("path").take(parents), *nested.flatten().flatten()],
        schema=face_schema(classes),
    )
    return table.drop_columns(["detections"]), faces


class ResultWriter:
    """Writes a job's results into ``out`` in committed parts of about ``part_size`` inputs (or every
    ``flush_seconds``), and knows which inputs are done. Use :meth:`open` (or ``with``) before adding."""

    def __init__(self, out: str | Path, classes: Sequence[str], part_size: int = 10_000, flush_seconds: float = 60.0):
        self.out = Path(out)
        self.classes = tuple(classes)
        self.part_size = part_size
        self.flush_seconds = flush_seconds
        if part_size < 1:
            raise ConfigError(f"part_size must be >= 1, got {part_size}")
        self.done: set[str] = set()
        self._schema = result_schema(self.classes)
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._next = 0
        self._last_commit = time.monotonic()
        self._lock: Any = None

    # -- opening ----------------------------------------------------------------------------------
    def open(self, fingerprint: dict[str, Any]) -> set[str]:
        """Lock the folder, finish or drop what a crash left, check that the stored settings equal
        ``fingerprint`` (or store them), and return the IDs of the inputs already done."""
        self._check_folder()
        for sub in (INPUTS, FACES):
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        self._recover()
        self._check_settings(fingerprint)
        parts = committed_parts(self.out, INPUTS)
        if parts:
            ids = pads.dataset([str(p) for p in parts], format="parquet").to_table(columns=["input_id"])
            self.done = set(ids.column("input_id").to_pylist())
            self._next = _part_number(parts[-1]) + 1
        return set(self.done)

    def _check_folder(self) -> None:
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"{self.out}: exists and is not a folder")
        ours = {INPUTS, FACES, "_lock", MANIFEST, f".{MANIFEST}.tmp"}
        if (
            self.out.is_dir()
            and not (self.out / MANIFEST).exists()
            and any(p.name not in ours for p in self.out.iterdir())
        ):
            raise ConfigError(f"{self.out}: not empty and not an emolens batch results folder; choose another --out")

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one job per folder is then up to the user
            return
        self._lock = (self.out / "_lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise ConfigError(f"{self.out}: another emolens batch job is writing into this folder") from None

    def _recover(self) -> None:
        for tmp in (self.out / FACES).glob(".part-*.parquet.tmp"):
            final = tmp.name[1:-4]
            if (self.out / INPUTS / final).exists():
                tmp.replace(self.out / FACES / final)
            else:
                tmp.unlink()
        for tmp in (self.out / INPUTS).glob(".part-*.parquet.tmp"):
            tmp.unlink()

    def _check_settings(self, fingerprint: dict[str, Any]) -> None:
        path = self.out / MANIFEST
        if path.exists():
            stored = read_manifest(self.out)
            changed = sorted(k for k in fingerprint.keys() | stored["settings"].keys()
                             if fingerprint.get(k) != stored["settings"].get(k))  # fmt: skip
            if changed:
                was = ", ".join(f"{k}={stored['settings'].get(k)!r}" for k in changed)
                raise ConfigError(
                    f"{self.out}: these results were made with other settings ({was}); "
                    "run with the same settings to resume, or choose another --out"
                )
            return
        manifest = {"settings": fingerprint, "classes": list(self.classes)}
        tmp = path.with_name(f".{MANIFEST}.tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
        tmp.replace(path)

    # -- writing ----------------------------------------------------------------------------------
    def add(self, table: pa.Table) -> pa.Table:
        """Buffer a batch's result rows (committing a part when due); returns the rows kept, without
        any input already done."""
        table = table.select(self._schema.names).cast(self._schema)
        ids = table.column("input_id").to_pylist()
        keep = [i not in self.done for i in ids]
        if not all(keep):
            table = table.filter(pa.array(keep))
        self.done.update(ids)
        if table.num_rows:
            self._buffer.append(table)
            self._buffered += table.num_rows
        due = time.monotonic() - self._last_commit >= self.flush_seconds
        if self._buffered >= self.part_size or (due and self._buffered):
            self.commit()
        return table

    def commit(self) -> None:
        """Write the buffered rows as the next part (atomically)."""
        if not self._buffer:
            return
        inputs, faces = split_results(pa.concat_tables(self._buffer), self.classes)
        name = _PART.format(self._next)
        tmp_inputs, tmp_faces = (self.out / sub / f".{name}.tmp" for sub in (INPUTS, FACES))
        _write_parquet(faces, tmp_faces)
        _write_parquet(inputs, tmp_inputs)
        tmp_inputs.replace(self.out / INPUTS / name)  # the commit point
        tmp_faces.replace(self.out / FACES / name)
        for sub in (INPUTS, FACES):
            _fsync_folder(self.out / sub)
        self._next += 1
        self._buffer, self._buffered = [], 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        """Commit what is buffered and release the folder."""
        try:
            self.commit()
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
