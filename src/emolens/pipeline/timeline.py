"""The per-frame timeline of a video: one row per frame and tracked face, streamed to CSV and/or Parquet
(pyarrow writers, a batch of rows at a time, so memory does not grow with the video).

Columns: ``time`` (s), ``frame``, ``track``, ``x1 y1 x2 y2`` (box in pixels), ``score`` (detector score of
the last detection), ``detected`` (False: box predicted by the tracker), ``emotion`` and ``confidence``
(smoothed), ``raw_emotion``, then ``raw_<class>`` and ``smooth_<class>`` for every class.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from emolens.pipeline.video_results import FrameResult


def timeline_schema(classes: tuple[str, ...]) -> pa.Schema:
    """The columns of a timeline for a model with ``classes``."""
    columns = [("time", pa.float64()), ("frame", pa.int64()), ("track", pa.int64())]
    columns += [(c, pa.float32()) for c in ("x1", "y1", "x2", "y2", "score")]
    columns += [("detected", pa.bool_()), ("emotion", pa.string()), ("confidence", pa.float32())]
    columns += [("raw_emotion", pa.string())]
    columns += [(f"raw_{c}", pa.float32()) for c in classes] + [(f"smooth_{c}", pa.float32()) for c in classes]
    return pa.schema(columns)


class TimelineWriter:
    """Write timeline rows to ``csv`` and/or ``parquet`` paths (either may be None), ``rows_per_batch``
    rows at a time. Use as a context manager or call :meth:`close`; the files exist (with a header) even
    when no face was seen."""

    def __init__(
        self, classes: tuple[str, ...], csv: Path | None = None, parquet: Path | None = None, rows_per_batch: int = 4096
    ):
        self.classes = classes
        self.csv = csv
        self.parquet = parquet
        self.rows_per_batch = rows_per_batch
        self.schema = timeline_schema(classes)
        self._rows: list[tuple] = []
        self._writers: list[pa_csv.CSVWriter | pq.ParquetWriter] | None = None
        self.rows = 0

    def _open(self) -> list[pa_csv.CSVWriter | pq.ParquetWriter]:
        writers: list[pa_csv.CSVWriter | pq.ParquetWriter] = []
        for path in (self.csv, self.parquet):
            if path is not None:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        if self.csv is not None:
            # plain class names need no quotes (the other strings are ours); anything else is quoted
            quoting = "none" if all(re.fullmatch(r"[\w\- ]+", c) for c in self.classes) else "needed"
            options = pa_csv.WriteOptions(quoting_style=quoting, quoting_header=quoting)
            writers.append(pa_csv.CSVWriter(str(self.csv), self.schema, write_options=options))
        if self.parquet is not None:
            writers.append(pq.ParquetWriter(str(self.parquet), self.schema, compression="zstd"))
        return writers

    def add(self, result: FrameResult) -> None:
        for face in result.faces:
            self._rows.append(
                (round(result.time, 4), result.index, face.track, *face.box, face.score, face.detected,
                 face.smoothed_emotion, face.smoothed_confidence, face.emotion, *face.probs, *face.smoothed)
            )  # fmt: skip
        if len(self._rows) >= self.rows_per_batch:
            self._flush()

    def _flush(self) -> None:
        if self._writers is None:
            self._writers = self._open()
        if not self._rows:
            return
        columns = list(zip(*self._rows, strict=True))
        arrays = [
            pa.array(np.round(np.asarray(col, np.float32), 4) if f.type == pa.float32() else col, type=f.type)
            for col, f in zip(columns, self.schema, strict=True)
        ]
        batch = pa.record_batch(arrays, schema=self.schema)
        for writer in self._writers:
            writer.write_batch(batch)
        self.rows += len(self._rows)
        self._rows = []

    def close(self) -> None:
        self._flush()
        for writer in self._writers or []:
            writer.close()
        self._writers = []

    def __enter__(self) -> TimelineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
