"""Batch analysis of large collections: local process pool or Ray, resumable Parquet output.

``run_batch`` analyses folders, globs or lists of photos (and videos) into a results folder of Parquet
parts, committed atomically so that a re-run after a crash finishes the job with every input exactly once;
``load_results`` reads it back. Names load on first use (the CLI imports this package at start-up), and
Ray is imported only by ``engine="ray"``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BatchInput": "inputs",
    "collect_inputs": "inputs",
    "BatchProgress": "job",
    "BatchReport": "job",
    "run_batch": "job",
    "BatchProcessor": "process",
    "BatchSettings": "settings",
    "BatchSummary": "summary",
    "summarize": "summary",
    "load_results": "writer",
}
__all__ = [
    "BatchInput",
    "BatchProcessor",
    "BatchProgress",
    "BatchReport",
    "BatchSettings",
    "BatchSummary",
    "collect_inputs",
    "load_results",
    "run_batch",
    "summarize",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
