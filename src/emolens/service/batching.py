"""Micro-batching: face crops from concurrent requests go into one classifier call.

Requests put their crops in a queue and await a future. One thread takes the first waiting request,
adds what else is queued (waiting up to ``max_wait_ms`` for more while the batch has fewer than
``max_batch`` faces), runs the classifier once on all of it and hands each request its rows. Under
light load a request waits at most ``max_wait_ms``; under heavy load batches grow by themselves
while the previous one runs.

The loop runs in its own thread rather than as an asyncio task: an event-loop task would need the
loop's attention between batches, which under load goes to reading requests (measured, when the
detector still held the GIL: batches lagged behind the requests); the thread goes from one batch to
the next directly, and ONNX Runtime releases the GIL while it classifies.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable

import numpy as np

Classify = Callable[[np.ndarray], np.ndarray]
_Item = tuple[np.ndarray, asyncio.Future, asyncio.AbstractEventLoop]


def _settle(future: asyncio.Future, result: np.ndarray | None, error: BaseException | None) -> None:
    """Complete a caller's future (in its event loop), unless the caller gave up (timeout)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class MicroBatcher:
    """Gather crops (N, H, W) from concurrent callers of :meth:`classify` into batched ``classify`` calls.

    ``max_batch`` caps the faces per call (a single larger request still goes in one call);
    ``max_wait_ms`` is how long a batch waits for company. :meth:`start` starts the thread,
    :meth:`stop` ends it.
    """

    def __init__(self, classify: Classify, max_batch: int = 64, max_wait_ms: float = 1.0):
        self.classify_fn = classify
        self.max_batch = max_batch
        self.max_wait_ms = max_wait_ms
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        #: Classifier calls made and faces classified (for /healthz, tests and the benchmark).
        self.calls = 0
        self.faces = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="emolens-micro-batcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    async def classify(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities for ``crops``, computed together with other callers' crops."""
        if self._thread is None:
            raise RuntimeError("MicroBatcher.start() was not called")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._queue.put((crops, future, loop))
        return await future

    def _gather(self, first: _Item) -> tuple[list[_Item], _Item | None]:
        """The batch starting with ``first``, and the request left over for the next batch (it would
        have made this one too large)."""
        batch, size = [first], len(first[0])
        deadline = time.monotonic() + self.max_wait_ms / 1000
        while size < self.max_batch:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:  # stop() was called: finish this batch, then the thread ends
                self._queue.put(None)
                break
            if size + len(item[0]) > self.max_batch:
                return batch, item
            batch.append(item)
            size += len(item[0])
        return batch, None

    def _classify(self, batch: list[_Item]) -> None:
        """One classifier call for the whole batch; each caller's future gets its rows (or the error)."""
        try:
            probs = self.classify_fn(np.concatenate([crops for crops, _, _ in batch]))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests; the thread carries on
            for _, future, loop in batch:
                loop.call_soon_threadsafe(_settle, future, None, exc)
            return
        self.calls += 1
        self.faces += len(probs)
        offset = 0
        for crops, future, loop in batch:
            loop.call_soon_threadsafe(_settle, future, probs[offset : offset + len(crops)], None)
            offset += len(crops)

    def _run(self) -> None:
        carried: _Item | None = None
        while True:
            first = carried if carried is not None else self._queue.get()
            if first is None:
                return
            batch, carried = self._gather(first)
            self._classify(batch)
