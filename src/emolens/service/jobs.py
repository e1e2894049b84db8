"""A bounded queue of asynchronous jobs (video analyses) whose state lives in files.

Each job has a folder ``<root>/<id>/`` with its input, an ``out/`` folder for what it produces and a
``status.json`` that is replaced atomically whenever the job moves on. Because the state is on disk,
any Uvicorn worker process sharing ``root`` can answer ``GET /v1/jobs/{id}``, whichever one runs it.
Jobs run one at a time per process in a thread; at most ``max_queued`` wait; finished jobs are deleted
``ttl`` seconds after they end. A job that fails unexpectedly (not on a bad input) is logged with its
traceback, so the server's log shows where the bug is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from emolens.errors import EmolensError
from emolens.service.tasks import cancel_task

JobState = Literal["queued", "running", "done", "failed"]
ProgressFn = Callable[[int, int | None], None]
_ID = re.compile(r"^[0-9a-f]{16}$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

log = logging.getLogger(__name__)


@dataclass
class JobOutput:
    """What a finished job hands back: a summary and its files (by name)."""

    summary: dict[str, Any]
    files: dict[str, Path]


#: ``run(input_path, out_dir, params, progress) -> JobOutput``; raises :class:`EmolensError` on bad input.
Runner = Callable[[Path, Path, dict[str, Any], ProgressFn], JobOutput]


class UnknownJobError(EmolensError):
    """No job (or no such file of a job) with this id."""


class QueueFullError(EmolensError):
    """The job queue holds ``max_queued`` waiting jobs already."""


@dataclass
class JobRecord:
    """The state of one job, as stored in its ``status.json``."""

    id: str
    status: JobState
    input_name: str
    params: dict[str, Any]
    created: float
    started: float | None = None
    finished: float | None = None
    frames_done: int = 0
    frames_total: int | None = None
    error: str | None = None
    summary: dict[str, Any] | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def progress(self) -> float | None:
        """Share done in [0, 1]: 1 when done, None while the total is unknown."""
        if self.status == "done":
            return 1.0
        if not self.frames_total:
            return 0.0 if self.status == "queued" else None
        return min(1.0, self.frames_done / self.frames_total)


class JobQueue:
    """Create, queue, run and look up jobs under ``root`` with ``run`` (see :data:`Runner`)."""

    def __init__(self, root: Path, run: Runner, max_queued: int = 8, ttl: float = 3600.0, min_interval: float = 0.25):
        self.root = Path(root)
        self.run = run
        self.max_queued = max_queued
        self.ttl = ttl
        self.min_interval = min_interval
        self._queue: asyncio.Queue[str] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._queue = asyncio.Queue(self.max_queued)
        self._task = asyncio.create_task(self._work(), name="emolens-jobs")

    async def stop(self) -> None:
        await cancel_task(self._task)
        self._task = None

    # -- files ------------------------------------------------------------------------------------
    def folder(self, job_id: str) -> Path:
        if not _ID.match(job_id) or not (self.root / job_id / "status.json").is_file():
            raise UnknownJobError(f"no job with id {job_id!r} (unknown, or expired and deleted)")
        return self.root / job_id

    def _save(self, record: JobRecord) -> None:
        folder = self.root / record.id
        tmp = folder / f"status.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(asdict(record)))
        tmp.replace(folder / "status.json")

    def get(self, job_id: str) -> JobRecord:
        """The job's current state; :class:`UnknownJobError` for ids that do not exist."""
        path = self.folder(job_id) / "status.json"
        return JobRecord(**json.loads(path.read_text()))

    def file(self, job_id: str, name: str) -> Path:
        """A file a finished job produced, by its name in :attr:`JobRecord.files`."""
        record = self.get(job_id)
        if name not in record.files:
            raise UnknownJobError(f"job {job_id} has no file {name!r} (files: {', '.join(record.files) or 'none yet'})")
        return self.root / job_id / "out" / record.files[name]

    # -- life cycle -------------------------------------------------------------------------------
    @property
    def full(self) -> bool:
        return self._queue is not None and self._queue.full()

    def new_input(self, filename: str | None) -> tuple[str, Path]:
        """A fresh job id and the path its input should be written to (the upload's name, made safe)."""
        self.purge_expired()
        job_id = secrets.token_hex(8)
        folder = self.root / job_id
        (folder / "out").mkdir(parents=True)
        (folder / "in").mkdir()
        name = _SAFE.sub("_", Path(filename or "").name).strip("._")[-80:] or "upload"
        return job_id, folder / "in" / name

    def discard(self, job_id: str) -> None:
        """Delete a job folder whose input was refused before it was queued."""
        if _ID.match(job_id):
            shutil.rmtree(self.root / job_id, ignore_errors=True)

    def submit(self, job_id: str, input_name: str, params: dict[str, Any]) -> JobRecord:
        """Queue a job whose input is in place; :class:`QueueFullError` when no room is left."""
        if self._queue is None:
            raise RuntimeError("JobQueue.start() was not called")
        if self._queue.full():
            self.discard(job_id)
            raise QueueFullError(f"{self.max_queued} jobs are waiting already; retry later")
        record = JobRecord(job_id, "queued", input_name, params, created=time.time())
        self._save(record)
        self._queue.put_nowait(job_id)
        return record

    def purge_expired(self) -> None:
        """Delete jobs that ended more than ``ttl`` seconds ago."""
        now = time.time()
        for status in self.root.glob("*/status.json"):
            with suppress(OSError, ValueError, TypeError):
                record = JobRecord(**json.loads(status.read_text()))
                if record.finished is not None and now - record.finished > self.ttl:
                    shutil.rmtree(status.parent, ignore_errors=True)

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            job_id = await self._queue.get()
            try:
                record = self.get(job_id)
            except UnknownJobError:  # deleted while it waited: nothing to do
                continue
            record.status, record.started = "running", time.time()
            self._save(record)
            await asyncio.to_thread(self._execute, record)

    def _execute(self, record: JobRecord) -> None:
        folder = self.root / record.id
        last = [0.0]

        def progress(done: int, total: int | None) -> None:
            record.frames_done, record.frames_total = done, total
            if time.monotonic() - last[0] >= self.min_interval:
                last[0] = time.monotonic()
                self._save(record)

        source = next((folder / "in").iterdir(), folder / "in" / "missing")
        try:
            output = self.run(source, folder / "out", record.params, progress)
        except EmolensError as exc:
            record.status, record.error = "failed", str(exc)
        except Exception as exc:  # a job's crash is reported in its status and logged; the server carries on
            log.exception("job %s (%s) failed", record.id, record.input_name)
            why = f"internal error while processing: {type(exc).__name__}: {exc}"
            record.status, record.error = "failed", f"{record.input_name}: {why}"
        else:
            record.status, record.summary = "done", output.summary
            out = folder / "out"
            record.files = {k: p.relative_to(out).as_posix() for k, p in output.files.items() if p.is_relative_to(out)}
        record.finished = time.time()
        source.unlink(missing_ok=True)
        self._save(record)
