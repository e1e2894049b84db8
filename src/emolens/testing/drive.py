"""Push a corpus of bad inputs (:mod:`emolens.testing.corpus`) through every surface of emolens and judge
each answer.

Channels: ``api`` (each input through :meth:`EmotionRecognizer.analyze`, ``analyze_video`` or
:func:`~emolens.data.load_dataset`), ``api-folder`` (``analyze_paths`` over the images folder), ``cli``
(each input through ``emolens analyze``, ``video`` or ``data info``, in-process), ``cli-folder``
(``emolens analyze IMAGES --jsonl`` in a subprocess), ``rest`` (each file uploaded to a running service or
a ``TestClient``; videos become jobs that are polled to their end) and ``batch`` (``emolens batch`` over a
list of every image and video, in a subprocess).

Each answer is a clean result, a clean error (its message names the input), an unclear error (it does
not), a traceback, or an input lost (a folder scan or a batch gave it no answer). A :class:`Tally` counts
them, and notes tracebacks in logs and server deaths, which belong to no single input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

from emolens.errors import EmolensError
from emolens.imageio import is_image_path
from emolens.paths import CACHE_ENV
from emolens.testing.corpus import DATASET, ERROR, IMAGE, RESULT, VIDEO, Corpus, Item

CLEAN_RESULT, CLEAN_ERROR, UNCLEAR, TRACEBACK, LOST = "result", "error", "unclear", "traceback", "lost"
#: What Python prints before a traceback.
TRACEBACK_MARK = "Traceback (most recent call last)"
#: The Python that runs the CLI subprocesses (this one).
PYTHON = sys.executable


@dataclass(frozen=True)
class Outcome:
    """What one channel made of one input. ``fits`` is False when a clean answer is not the one the
    corpus expects (an error for a valid file, a result for an empty one, a dataset with the wrong counts)."""

    channel: str
    item: Item
    status: str
    detail: str = ""
    fits: bool = True

    @property
    def problem(self) -> bool:
        return self.status in (UNCLEAR, TRACEBACK, LOST) or not self.fits


@dataclass(frozen=True)
class Incident:
    """A traceback in a log or a server death: something that went wrong outside any one answer."""

    channel: str
    kind: str
    detail: str


@dataclass
class Tally:
    """Every outcome and incident of a run."""

    outcomes: list[Outcome] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    def add(self, channel: str, item: Item, status: str, detail: str = "", fits: bool = True) -> None:
        self.outcomes.append(Outcome(channel, item, status, detail, fits))

    def judge(self, channel: str, item: Item, error: str | None, names: Iterable[str], fits: bool = True,
              detail: str = "") -> None:  # fmt: skip
        """Record a result (``error`` None) or an error message, which must name the input by one of ``names``."""
        if error is None:
            self.add(channel, item, CLEAN_RESULT, detail, fits and item.expected != ERROR)
        elif TRACEBACK_MARK in error:
            self.add(channel, item, TRACEBACK, error)
        elif any(name in error for name in names):
            self.add(channel, item, CLEAN_ERROR, error, item.expected != RESULT)
        else:
            self.add(channel, item, UNCLEAR, error)

    def crashed(self, channel: str, item: Item, exc: BaseException) -> None:
        self.add(channel, item, TRACEBACK, "".join(traceback.format_exception(exc)))

    def scan_log(self, channel: str, text: str) -> None:
        """Note each traceback printed in a log or on stderr."""
        for part in text.split(TRACEBACK_MARK)[1:]:
            self.incidents.append(Incident(channel, TRACEBACK, TRACEBACK_MARK + part[:3000]))

    def died(self, channel: str, detail: str) -> None:
        self.incidents.append(Incident(channel, "death", detail))

    def counts(self) -> dict[str, int]:
        """The figures of the run's bar: inputs tried, clean results and errors, and what must stay 0."""
        status = Counter(o.status for o in self.outcomes)
        incidents = Counter(i.kind for i in self.incidents)
        return {
            "inputs tried": len(self.outcomes),
            "clean results": status[CLEAN_RESULT],
            "clean errors": status[CLEAN_ERROR],
            "unclear errors": status[UNCLEAR],
            "tracebacks": status[TRACEBACK] + incidents[TRACEBACK],
            "server deaths": incidents["death"],
            "inputs lost": status[LOST],
            "unexpected answers": sum(not o.fits for o in self.outcomes),
        }

    def by_channel(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {}
        for o in self.outcomes:
            table.setdefault(o.channel, Counter())[o.status] += 1
        return table

    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problem]

    def report(self, limit: int = 20) -> str:
        """The counts per channel and in all, then the first ``limit`` problems and incidents."""
        statuses = (CLEAN_RESULT, CLEAN_ERROR, UNCLEAR, TRACEBACK, LOST)
        lines = [f"{'channel':<12}" + "".join(f"{s:>11}" for s in statuses)]
        for channel, counts in self.by_channel().items():
            lines.append(f"{channel:<12}" + "".join(f"{counts[s]:>11,}" for s in statuses))
        lines.append("")
        lines += [f"{name}: {value:,}" for name, value in self.counts().items()]
        for o in self.problems()[:limit]:
            why = o.status if o.fits else f"unexpected {o.status}"
            lines.append(f"- {o.channel}: {o.item.file} ({o.item.kind}): {why}: {o.detail[-600:]}")
        lines += [f"- {i.channel}: {i.kind}: {i.detail[-1500:]}" for i in self.incidents[:limit]]
        return "\n".join(lines)


def folder_listed(item: Item) -> bool:
    """Whether a folder scan of the images must list ``item``: a regular file with an image suffix."""
    return item.surface == IMAGE and item.regular and is_image_path(item.file)


def _dataset_detail(dataset: Any, item: Item) -> tuple[bool, str]:
    """Whether a loaded dataset has the faces and skipped inputs the corpus expects, and what it has."""
    skipped = sorted(s.source for s in dataset.skipped)
    fits = len(dataset) == item.loaded and skipped == sorted(item.skipped)
    return fits, f"{len(dataset)} face(s) loaded, skipped {skipped} (expected {item.loaded}, {list(item.skipped)})"


# -- the Python API -------------------------------------------------------------------------------
def drive_api(corpus: Corpus, tally: Tally, cache: Path, recognizer: Any = None) -> None:
    """Each input through the Python API, and the images folder through ``analyze_paths``. Datasets load as
    they do by default, through the cache, kept in the folder ``cache``."""
    from emolens import EmotionRecognizer
    from emolens.data import load_dataset

    rec = recognizer or EmotionRecognizer(threads=1)
    with patch.dict(os.environ, {CACHE_ENV: str(cache)}):
        for item in corpus.items:
            path = corpus.path(item)
            try:
                if item.surface == IMAGE:
                    result = rec.analyze(path)
                    tally.judge("api", item, None, (), detail=f"{len(result.faces)} face(s)")
                elif item.surface == VIDEO:
                    analysis = rec.analyze_video(path)
                    frames = sum(1 for _ in analysis)
                    stopped = analysis.reader.stopped_early or ""
                    tally.judge("api", item, None, (), detail=f"{frames} frame(s); {stopped}")
                else:
                    fits, detail = _dataset_detail(load_dataset(path), item)
                    tally.judge("api", item, None, (), fits=fits, detail=detail)
            except EmolensError as exc:
                tally.judge("api", item, str(exc), (str(path),))
            except Exception as exc:  # noqa: BLE001 - what the corpus is here to find
                tally.crashed("api", item, exc)
    listed = {str(corpus.path(i)): i for i in corpus.of(IMAGE) if folder_listed(i)}
    answered: set[str] = set()
    try:
        for result in rec.analyze_paths([corpus.folder / "images"]):
            item = listed.get(result.source)
            if item is not None:
                answered.add(result.source)
                tally.judge("api-folder", item, result.error, (result.source,))
    except Exception as exc:  # noqa: BLE001 - a crash loses every input not answered yet
        tally.scan_log("api-folder", "".join(traceback.format_exception(exc)))
    for source, item in listed.items():
        if source not in answered:
            tally.add("api-folder", item, LOST, "no result from analyze_paths")


# -- the CLI --------------------------------------------------------------------------------------
def _cli_error(result: Any) -> str | None:
    """The error of a CliRunner result: None for success, else its stderr (with a traceback if it raised)."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "".join(traceback.format_exception(result.exception))
    if TRACEBACK_MARK in result.output:
        return result.output
    return None if result.exit_code == 0 else result.stderr or result.output or f"exit status {result.exit_code}"


def drive_cli(corpus: Corpus, tally: Tally, cache: Path, per_input: bool = True) -> None:
    """The images folder through ``emolens analyze --jsonl`` in a subprocess, and (``per_input``) each input
    through ``emolens analyze``, ``video`` or ``data info`` in-process. ``cache`` is the dataset cache folder."""
    from typer.testing import CliRunner

    from emolens.cli import app

    env = {**os.environ, CACHE_ENV: str(cache)}
    images = corpus.folder / "images"
    done = subprocess.run([PYTHON, "-m", "emolens.cli", "analyze", str(images), "--jsonl", "--threads", "1"],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    tally.scan_log("cli-folder", done.stderr)
    records = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            records[record["source"]] = record
    for item in corpus.of(IMAGE):
        source = str(corpus.path(item))
        if not folder_listed(item):
            continue
        if source not in records:
            tally.add("cli-folder", item, LOST, f"no JSON line (exit status {done.returncode})")
        else:
            tally.judge("cli-folder", item, records[source].get("error"), (source,))
    if not per_input:
        return
    runner = CliRunner()
    for item in corpus.items:
        path = str(corpus.path(item))
        if item.surface == IMAGE:
            result = runner.invoke(app, ["analyze", path, "--threads", "1"], env=env)
        elif item.surface == VIDEO:
            result = runner.invoke(app, ["video", path, "--threads", "1"], env=env)
        else:
            result = runner.invoke(app, ["data", "info", path], env=env)
        error = _cli_error(result)
        no_face = item.surface == VIDEO and result.exit_code == 1 and "no face found" in (result.stderr or "")
        tally.judge("cli", item, None if no_face else error, (path,))


# -- the REST API ---------------------------------------------------------------------------------
def _rest_error(response: Any) -> str | None:
    """None for a 2xx answer; else the JSON error's message, or a traceback mark for a 5xx or non-JSON answer."""
    if response.status_code < 300:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{TRACEBACK_MARK}: HTTP {response.status_code} without a JSON body: {response.text[:300]}"
    if response.status_code >= 500 and body.get("error") not in ("busy", "queue_full", "timeout"):
        return f"{TRACEBACK_MARK}: HTTP {response.status_code}: {body}"
    return str(body.get("message", body))


def _poll_job(client: Any, job: dict[str, Any], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    return job


def drive_rest(corpus: Corpus, tally: Tally, client: Any, job_timeout: float = 120.0) -> None:
    """Upload each image and video file to the service behind ``client`` (an ``httpx.Client`` with a base
    URL, or FastAPI's ``TestClient``), following video jobs to their end; after each, the service must
    still answer ``/healthz``. Stops at the first death."""
    for item in corpus.items:
        if item.surface == DATASET or not item.regular:
            continue
        path = corpus.path(item)
        name = path.name
        files = {"file": (name, path.read_bytes(), "application/octet-stream")}
        try:
            if item.surface == IMAGE:
                response = client.post("/v1/analyze", files=files)
                error = _rest_error(response)
                detail = "" if error else f"{len(response.json()['faces'])} face(s)"
            else:
                response = client.post("/v1/videos", files=files)
                error, detail = _rest_error(response), ""
                if error is None:
                    job = _poll_job(client, response.json(), job_timeout)
                    error = job.get("error") if job["status"] != "done" else None
                    if job["status"] in ("queued", "running"):
                        error = f"{name}: job still {job['status']} after {job_timeout:g} s"
                    detail = f"job {job['status']}"
            alive = client.get("/healthz").status_code == 200
        except Exception as exc:  # noqa: BLE001 - a dropped connection: the server is gone
            tally.crashed("rest", item, exc)
            tally.died("rest", f"after {item.file}: {type(exc).__name__}: {exc}")
            return
        tally.judge("rest", item, error, (name,), detail=detail)
        if not alive:
            tally.died("rest", f"/healthz failed after {item.file}")
            return


# -- batch jobs -----------------------------------------------------------------------------------
def drive_batch(corpus: Corpus, tally: Tally, out: Path, workers: int = 1) -> None:
    """Every image and video through one ``emolens batch`` job (a subprocess) over a list file; each must
    get a row, and an error row must name it. Tracebacks on its stderr or in its error log are noted."""
    from emolens.batch import load_results

    items = [i for i in corpus.items if i.surface != DATASET]
    listing = out.parent / f"{out.name}-inputs.txt"
    listing.write_text("".join(f"{corpus.path(i)}\n" for i in items), encoding="utf-8")
    command = [PYTHON, "-m", "emolens.cli", "batch", str(listing), "--videos", "--out", str(out),
               "--workers", str(workers)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    tally.scan_log("batch", done.stderr)
    errors_log = out / "_errors.log"
    if errors_log.exists():
        tally.scan_log("batch", errors_log.read_text(encoding="utf-8", errors="replace"))
    rows: dict[str, dict[str, Any]] = {}
    if (out / "inputs").is_dir():
        inputs, _ = load_results(out)
        rows = {row["path"]: row for row in inputs.to_pylist()}
    for item in items:
        path = corpus.path(item)
        real = os.path.realpath(path)  # batch jobs know inputs by their resolved path
        row = rows.get(real)
        if row is None:
            tally.add("batch", item, LOST, f"no row (exit status {done.returncode}): {done.stderr[-300:]}")
        else:
            detail = f"{row['status']}, {row['frames']} frame(s), {row['faces']} face(s)"
            tally.judge("batch", item, row["error"], (str(path), real), detail=detail)
