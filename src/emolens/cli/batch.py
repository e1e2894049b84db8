"""CLI commands: ``emolens batch`` (issue 7). Heavy imports stay inside the commands."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emolens.batch.settings import BatchSettings
from emolens.cli.options import OptionGroup, with_options
from emolens.cli.shared import console, err_console, friendly, progress_bar
from emolens.extras import require_extra

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from emolens.batch.job import BatchProgress, BatchReport

#: Seconds between progress lines when stderr is not a terminal (logs of `ray job submit`, CI).
LOG_EVERY = 30.0


def _rates(p: BatchProgress) -> str:
    eta = "-" if p.eta_s is None else str(timedelta(seconds=round(p.eta_s)))
    return f"{p.files_per_s:,.1f} files/s, {p.faces_per_s:,.1f} faces/s, ETA {eta}"


class _Reporter:
    """Shows a job's progress: a bar in a terminal, a line every :data:`LOG_EVERY` seconds elsewhere."""

    def __init__(self, progress: Progress, err_console: Console):
        self.progress, self.console = progress, err_console
        self.task: int | None = None
        self.last_line = time.monotonic()

    def __call__(self, p: BatchProgress) -> None:
        if self.task is None:
            self.console.print(f"{p.total:,} input(s) to analyse", highlight=False)
            self.task = self.progress.add_task("analysing", total=p.total, status="")
        self.progress.update(self.task, completed=p.done, status=_rates(p))
        now = time.monotonic()
        if p.total and not self.console.is_terminal and (now - self.last_line >= LOG_EVERY or p.done == p.total):
            self.console.print(f"{p.done:,}/{p.total:,} inputs, {_rates(p)}", highlight=False)
            self.last_line = now


def _print_report(report: BatchReport) -> None:
    from rich.columns import Columns
    from rich.table import Table

    from emolens.batch.writer import ERRORS_LOG

    s = report.summary
    rate = report.processed / report.seconds if report.seconds else 0.0
    console.print(
        f"{report.found:,} input(s) found, {report.skipped:,} already done, {report.processed:,} analysed now "
        f"({report.faces:,} face(s)) in {report.seconds:.1f} s = {rate:,.1f} files/s",
        soft_wrap=True,
    )
    console.print(
        f"{report.out}: {s.inputs:,} input(s), {s.frames:,} image(s) or frame(s), {s.faces:,} face(s)", soft_wrap=True
    )
    statuses = Table("status", "inputs")
    for status, count in s.statuses.items():
        statuses.add_row(status, f"{count:,}")
    emotions = Table("emotion", "faces", "share")
    for emotion, count in s.emotions.items():
        emotions.add_row(emotion, f"{count:,}", f"{100 * count / s.faces:.1f} %" if s.faces else "-")
    console.print(Columns([statuses, emotions]))
    console.print(
        f"results: {report.out / 'inputs'} and {report.out / 'faces'}; chart: {report.out / 'summary.png'}",
        soft_wrap=True,
    )
    if (errors_log := report.out / ERRORS_LOG).exists():
        console.print(f"tracebacks of the inputs that failed unexpectedly: {errors_log}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``batch`` to the ``emolens`` app."""

    @app.command()
    @friendly
    @with_options(OptionGroup(BatchSettings, into="given", unset=True))
    def batch(
        inputs: Annotated[
            list[str],
            typer.Argument(
                help="Folders (recursive), glob patterns, list files (.txt/.csv of paths) or URLs (s3://...)."
            ),
        ],
        out: Annotated[Path, typer.Option("--out", "-o", help="Results folder (Parquet); re-run to resume.")],
        engine: Annotated[str, typer.Option(help="local (a process per core) or ray.")] = "local",
        address: Annotated[
            str | None, typer.Option(help="Ray cluster address (default: $RAY_ADDRESS, else a local Ray).")
        ] = None,
        workers: Annotated[int | None, typer.Option(help="Worker processes or Ray actors (default: all CPUs).")] = None,
        videos: Annotated[bool, typer.Option("--videos", help="Also analyse video files (sampled frames).")] = False,
        batch_size: Annotated[
            int | None, typer.Option(help="Inputs per batch (default: 256 with --faces-are-crops, else 16).")
        ] = None,
        part_size: Annotated[int, typer.Option(help="Inputs per committed Parquet part.")] = 10_000,
        given: dict[str, Any] | None = None,
    ) -> None:
        """Analyse a large collection of photos (and videos) into a resumable Parquet dataset."""
        if engine == "ray":
            require_extra("emolens batch --engine ray", "ray")
        require_extra("emolens batch", "pyarrow", "matplotlib")
        from emolens.batch.job import run_batch

        settings = BatchSettings(**(given or {}))
        with progress_bar() as progress:
            report = run_batch(
                inputs, out, settings, videos=videos, engine=engine, workers=workers, address=address,
                batch_size=batch_size, part_size=part_size, progress=_Reporter(progress, err_console),
            )  # fmt: skip
        _print_report(report)
        if report.summary.inputs and report.summary.statuses["error"] == report.summary.inputs:
            raise typer.Exit(1)
