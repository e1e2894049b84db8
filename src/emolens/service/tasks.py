"""Stopping the service's background asyncio tasks (the micro-batcher, the job worker) cleanly."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_task(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` (if any) and wait until it has stopped."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
