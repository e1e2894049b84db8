"""The Ray engine: the same :class:`BatchProcessor` as a Ray Data pipeline, on this machine or a cluster.

``from_arrow`` (one block per batch of inputs) -> ``map_batches`` on a fixed pool of actors, each holding
one processor (one ONNX session), that read, decode, detect and classify -> the result rows stream back to
the job's process, which commits them into the results folder (so the folder only needs to be writable
there). Inputs must be readable from every node: a shared file system or remote URLs (``s3://``...).

Ray is optional (``pip install 'emolens[scale]'``) and imported only here.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from emolens.batch.process import BatchProcessor
from emolens.errors import ConfigError, EmolensError

#: Times a batch is retried after the actor running it died (Ray Data's default, -1, retries forever).
_TASK_RETRIES = 2


class _Actor:
    """A Ray actor's callable: one processor, loaded once, applied to every batch the actor receives."""

    def __init__(self, processor: BatchProcessor):
        self.processor = processor
        processor.start_worker()

    def __call__(self, batch: pa.Table) -> pa.Table:
        return self.processor(batch)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'emolens[scale]'") from None
    return ray


def _check_reachable(address: str) -> None:
    """Fail fast when nothing listens at a ``host:port`` address (Ray itself retries for many minutes)."""
    host, sep, port = address.rpartition(":")
    if "://" in address or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise ConfigError(f"no Ray cluster answers at {address} ({exc.strerror or exc})") from None


def connect(address: str | None = None, workers: int | None = None) -> bool:
    """Join the Ray cluster at ``address`` (or ``$RAY_ADDRESS``), or start a local Ray with ``workers``
    CPUs; nothing when Ray is already initialised. Returns whether this call started the connection."""
    ray = _import_ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address:
            _check_reachable(address)
            ray.init(address=address, **options)
        else:  # a new Ray of our own, even when `ray start` left a local cluster running
            ray.init(address="local", num_cpus=workers, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"cannot start or join Ray at {address or 'this machine'}: {exc}") from None
    return True


def run_ray(
    batches: Sequence[pa.Table], processor: BatchProcessor, workers: int | None = None, address: str | None = None
) -> Iterator[pa.Table]:
    """Result rows for ``batches`` of inputs from a pool of ``workers`` Ray actors (default: one per CPU
    of the cluster)."""
    if not batches:
        return
    ray = _import_ray()
    started = connect(address, workers)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the job shows its own progress
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # set after ray.data's own logging set-up
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "progress bars disabled"
        size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        dataset = ray.data.from_arrow(list(batches)).map_batches(
            _Actor,
            fn_constructor_args=(processor,),
            batch_size=None,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=min(size, len(batches))),
            num_cpus=1,
            # lost actors (a node gone) come back, but a batch that kills every actor it meets fails the job;
            # Ray 2.60 takes these as remote args only (a deprecation warning; named parameters come later)
            max_restarts=-1,
            max_task_retries=_TASK_RETRIES,
        )
        try:
            yield from dataset.iter_batches(batch_size=None, batch_format="pyarrow")
        except ray.exceptions.RayError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EmolensError(
                f"the Ray job failed ({first[:300]}); the results committed so far are kept: "
                "run the same command again to continue"
            ) from None
    finally:
        if started:
            ray.shutdown()
