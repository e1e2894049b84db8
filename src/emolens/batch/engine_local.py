"""The local engine: a pool of processes, one per core, each holding one :class:`BatchProcessor`.

Batches go to the workers a few at a time and their result rows come back as they finish (in any order).
Workers are started with ``spawn`` (no inherited threads or ONNX sessions) and leave when the job's process
dies, even by SIGKILL. If a worker process itself dies (a decoder crash, the kernel's OOM killer), the
batches it may have been running are redone one input at a time in a fresh worker, so that the input at
fault gets an ``error`` row and every other input its normal result; when even a worker with nothing to
do dies (a script without a ``__main__`` guard, no memory left), the job stops instead, blaming no input.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import pyarrow as pa

from emolens.batch.inputs import from_table, to_table
from emolens.batch.process import BatchProcessor, error_table
from emolens.errors import EmolensError

#: Batches queued per worker, so that none waits for work.
_QUEUED_PER_WORKER = 2

_processor: BatchProcessor | None = None


def available_cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _start_worker(processor: BatchProcessor) -> None:
    global _processor  # noqa: PLW0603 - the worker process's one processor
    _processor = processor
    processor.start_worker()
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _run(batch: pa.Table) -> pa.Table:
    assert _processor is not None, "worker not initialised"
    return _processor(batch)


def _pool(processor: BatchProcessor, workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(processor,),
    )


def _run_pool(
    todo: deque[pa.Table], processor: BatchProcessor, workers: int, suspects: list[pa.Table]
) -> Iterator[pa.Table]:
    """Run the batches of ``todo`` until it is empty, or until a worker dies: then the batches that were
    running go to ``suspects``."""
    pool = _pool(processor, workers)
    running: dict[Future[pa.Table], pa.Table] = {}
    try:
        while todo or running:
            while todo and len(running) < _QUEUED_PER_WORKER * workers:
                batch = todo.popleft()
                running[pool.submit(_run, batch)] = batch
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    suspects.extend(running.values())
                    running.clear()
                    return
                del running[future]
                yield result
    finally:
        pool.shutdown(wait=not running, cancel_futures=True)


def _check_workers_start(processor: BatchProcessor) -> None:
    """Raise when a fresh worker dies before it has any input to blame (so no input is marked as failed)."""
    pool = _pool(processor, 1)
    try:
        pool.submit(_run, to_table([])).result()
    except BrokenProcessPool:
        raise EmolensError(
            "the worker processes die as they start, whatever the input (in a Python script, call run_batch "
            "under `if __name__ == '__main__':`; their error is printed above); the results committed so far "
            "are kept"
        ) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _isolate(batch: pa.Table, processor: BatchProcessor, classes: Sequence[str]) -> Iterator[pa.Table]:
    """Redo a batch input by input, one at a time, so that an input that kills its worker is found."""
    pool = _pool(processor, 1)
    try:
        for k in range(batch.num_rows):
            single = batch.slice(k, 1)
            try:
                yield pool.submit(_run, single).result()
            except BrokenProcessPool:
                _check_workers_start(processor)
                yield error_table(from_table(single), "the worker process died while analysing it", classes)
                pool.shutdown(wait=False)
                pool = _pool(processor, 1)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def run_local(
    batches: Sequence[pa.Table], processor: BatchProcessor, classes: Sequence[str], workers: int | None = None
) -> Iterator[pa.Table]:
    """Result rows for ``batches`` of inputs, computed by ``workers`` processes (default: all cores)."""
    workers = workers or available_cpus()
    todo = deque(batches)
    while todo:
        suspects: list[pa.Table] = []
        yield from _run_pool(todo, processor, min(workers, len(todo)), suspects)
        if suspects:
            _check_workers_start(processor)
        for batch in suspects:
            yield from _isolate(batch, processor, classes)
