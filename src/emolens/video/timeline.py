"""The per-frame timeline of a video: one row per frame and tracked face, streamed to CSV (the standard
library's writer) and/or Parquet (pyarrow, the ``batch`` extra), a batch of rows at a time, so memory
does not grow with the video.

Columns: ``time`` (s), ``frame``, ``track``, ``x1 y1 x2 y2`` (box in pixels), ``score`` (detector score of
the last detection), ``detected`` (False: box predicted by the tracker), ``emotion`` and ``confidence`` (this frame's own
classification), ``smoothed_emotion`` and ``smoothed_confidence`` (the track's smoothed probabilities), then
``prob_<class>`` (this frame's) and ``smoothed_<class>`` for every class. The names are those of
:class:`~emolens.video.results.TrackedFace` and of its JSON (``emotion``, ``probs``; ``smoothed_emotion``,
``smoothed``) everywhere: the raw signal is never called ``emotion`` in one place and smoothed in another.
"""

from __future__ import annotations

import csv as csv_module
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from emolens.video.results import FrameResult

#: Decimals kept of the float columns.
DECIMALS = 4


def timeline_columns(classes: tuple[str, ...]) -> dict[str, str]:
    """The columns of a timeline for a model with ``classes`` and their types, as pyarrow names them."""
    columns = {"time": "float64", "frame": "int64", "track": "int64"}
    columns |= dict.fromkeys(("x1", "y1", "x2", "y2", "score"), "float32")
    columns |= {"detected": "bool", "emotion": "string", "confidence": "float32"}
    columns |= {"smoothed_emotion": "string", "smoothed_confidence": "float32"}
    return columns | {f"prob_{c}": "float32" for c in classes} | {f"smoothed_{c}": "float32" for c in classes}


def _plain(value: Any) -> Any:
    """A cell as a Python value (NumPy scalars converted), floats rounded to :data:`DECIMALS`."""
    value = value.item() if hasattr(value, "item") else value
    return round(value, DECIMALS) if isinstance(value, float) else value


class TimelineWriter:
    """Write timeline rows to ``csv`` and/or ``parquet`` paths (either may be None), ``rows_per_batch``
    rows at a time. Use as a context manager or call :meth:`close`; the files exist (with a header) even
    when no face was seen. Parquet needs pyarrow (the ``batch`` extra)."""

    def __init__(
        self, classes: tuple[str, ...], csv: Path | None = None, parquet: Path | None = None, rows_per_batch: int = 4096
    ):
        self.classes = classes
        self.csv = csv
        self.parquet = parquet
        self.rows_per_batch = rows_per_batch
        self.columns = timeline_columns(classes)
        self._rows: list[tuple] = []
        self._files = ExitStack()
        self._csv_writer: Any = None
        self._parquet_writer: Any = None
        self._parquet_schema: Any = None
        self._opened = False
        self.rows = 0

    def _open(self) -> None:
        self._opened = True
        for path in (self.csv, self.parquet):
            if path is not None:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        if self.csv is not None:
            handle = Path(self.csv).open("w", newline="", encoding="utf-8")  # noqa: SIM115 - closed by close()
            csv_file = self._files.enter_context(handle)
            self._csv_writer = csv_module.writer(csv_file, lineterminator="\n")
            self._csv_writer.writerow(self.columns)
        if self.parquet is not None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            self._parquet_schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in self.columns.items()])
            self._parquet_writer = self._files.enter_context(
                pq.ParquetWriter(str(self.parquet), self._parquet_schema, compression="zstd")
            )

    def add(self, result: FrameResult) -> None:
        for face in result.faces:
            self._rows.append(
                (result.time, result.index, face.track, *face.box, face.score, face.detected,
                 face.emotion, face.confidence, face.smoothed_emotion, face.smoothed_confidence, *face.probs,
                 *face.smoothed)
            )  # fmt: skip
        if len(self._rows) >= self.rows_per_batch:
            self._flush()

    def _flush(self) -> None:
        if not self._opened:
            self._open()
        if not self._rows:
            return
        rows = [[_plain(v) for v in row] for row in self._rows]
        if self._csv_writer is not None:  # booleans as true/false, as CSV readers (pyarrow, DuckDB) expect
            self._csv_writer.writerows([str(v).lower() if isinstance(v, bool) else v for v in row] for row in rows)
        if self._parquet_writer is not None:
            import pyarrow as pa

            columns = [list(column) for column in zip(*rows, strict=True)]
            self._parquet_writer.write_table(pa.table(columns, schema=self._parquet_schema))
        self.rows += len(self._rows)
        self._rows = []

    def close(self) -> None:
        self._flush()
        self._files.close()
        self._csv_writer = self._parquet_writer = None

    def __enter__(self) -> TimelineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
