"""A batch job from start to end: find the inputs, skip those already done, run an engine over the rest,
commit the results part by part, and summarise the folder.

    from emolens.batch import BatchSettings, run_batch, load_results
    report = run_batch(["photos/"], "results", BatchSettings(), engine="local")
    inputs, faces = load_results("results")
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa

from emolens.batch.inputs import BatchInput, collect_inputs, to_table
from emolens.batch.process import BatchProcessor, BatchSettings
from emolens.batch.summary import BatchSummary, write_summary
from emolens.batch.writer import ERRORS_LOG, ResultWriter
from emolens.errors import ConfigError
from emolens.runtime.bundled import WEIGHTS_DIR, resolve_model_path

ENGINES = ("local", "ray")
#: Inputs per batch by default: face crops are tiny, photos are not (a batch's images are held in memory).
CROPS_BATCH, PHOTOS_BATCH = 256, 16


@dataclass(frozen=True)
class BatchProgress:
    """How far a job is: inputs done of ``total`` in this run, faces found, seconds since work began."""

    done: int
    total: int
    faces: int
    elapsed: float

    @property
    def files_per_s(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def faces_per_s(self) -> float:
        return self.faces / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None before the first batch)."""
        rate = self.files_per_s
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass(frozen=True)
class BatchReport:
    """The outcome of :func:`run_batch`: inputs found, already done before, done now, and the folder's summary."""

    out: Path
    found: int
    skipped: int
    processed: int
    faces: int
    seconds: float
    summary: BatchSummary


def make_batches(items: Sequence[BatchInput], batch_size: int) -> list[pa.Table]:
    """Images in batches of ``batch_size``; each video a batch of its own (its frames are many)."""
    images = [i for i in items if i.kind != "video"]
    batches = [to_table(images[k : k + batch_size]) for k in range(0, len(images), batch_size)]
    return batches + [to_table([i]) for i in items if i.kind == "video"]


def _absolute_model(settings: BatchSettings) -> BatchSettings:
    """A model file named by a relative path, made absolute for workers that start elsewhere."""
    path = resolve_model_path(settings.model)
    return settings if path.parent == WEIGHTS_DIR else replace(settings, model=str(path.resolve()))


def _results(
    engine: str, batches: list[pa.Table], processor: BatchProcessor, classes: Sequence[str], workers: int | None,
    address: str | None,
) -> Iterator[pa.Table]:  # fmt: skip
    if engine == "ray":
        from emolens.batch.engine_ray import run_ray

        return run_ray(batches, processor, workers, address)
    from emolens.batch.engine_local import run_local

    return run_local(batches, processor, classes, workers)


def run_batch(
    sources: Sequence[str | Path],
    out: str | Path,
    settings: BatchSettings | None = None,
    *,
    videos: bool = False,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    batch_size: int | None = None,
    part_size: int = 10_000,
    progress: Callable[[BatchProgress], None] | None = None,
) -> BatchReport:
    """Analyse every input named by ``sources`` into the results folder ``out``, skipping the inputs a
    previous run of the same job already committed. See :func:`emolens.batch.inputs.collect_inputs` for
    ``sources`` and :mod:`emolens.batch.writer` for the folder's layout.

    ``engine`` is ``local`` (a process per core) or ``ray`` (a Ray Data pipeline on a local Ray, or on the
    cluster at ``address``/``$RAY_ADDRESS``); ``workers`` caps the processes or actors (default: all CPUs).
    """
    settings = _absolute_model(settings or BatchSettings())
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    if batch_size is None:
        batch_size = CROPS_BATCH if settings.faces_are_crops else PHOTOS_BATCH
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    inside_out = f"{Path(out).resolve()}{os.sep}"  # a results folder inside an input folder is not an input
    items = [i for i in collect_inputs(sources, videos=videos) if not i.path.startswith(inside_out)]
    classes = settings.classes()
    started = time.perf_counter()
    with ResultWriter(out, classes, part_size=part_size) as writer:
        done = writer.open(settings.fingerprint())
        pending = [i for i in items if i.input_id not in done]
        processor = BatchProcessor(settings, log_file=str(Path(out).resolve() / ERRORS_LOG))
        count = faces = 0
        if progress:
            progress(BatchProgress(0, len(pending), 0, 0.0))
        for table in _results(engine, make_batches(pending, batch_size), processor, classes, workers, address):
            kept = writer.add(table)
            count += kept.num_rows
            faces += sum(kept.column("faces").to_pylist())
            if progress:
                progress(BatchProgress(count, len(pending), faces, time.perf_counter() - started))
    summary = write_summary(out)
    return BatchReport(
        Path(out), len(items), len(items) - len(pending), count, faces, time.perf_counter() - started, summary
    )
