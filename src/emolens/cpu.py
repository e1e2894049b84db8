"""The CPU this process runs on, in one line: its model, its cores and the widest vector instructions it has.

Speed figures depend on those instructions more than on the clock: int8 inference uses AVX-512 VNNI where
the CPU has it (on an AVX2-only CPU the same ``fast`` model classified half as many faces per second,
``docs/performance.md``), so every speed benchmark prints this line above its figures. No torch here:
inference and its benchmarks do not need it.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

#: Vector instruction sets that change inference speed, widest first: (``/proc/cpuinfo`` flag, name).
VECTOR_LEVELS = (
    ("amx_int8", "AMX"),
    ("avx512_vnni", "AVX-512 VNNI"),
    ("avx512f", "AVX-512"),
    ("avx2", "AVX2"),
)


def _cpuinfo() -> tuple[str, set[str]]:
    """The model name and the flags of the first processor in ``/proc/cpuinfo`` (empty where there is none)."""
    path = Path("/proc/cpuinfo")
    model, flags = "", set()
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    return model or platform.processor() or platform.machine(), flags


def cpu_model() -> str:
    """The CPU's model name, for example ``AMD EPYC``."""
    return _cpuinfo()[0]


def vector_level(flags: set[str] | None = None) -> str:
    """The widest of :data:`VECTOR_LEVELS` among ``flags`` (this CPU's by default), or ``no AVX2``."""
    flags = _cpuinfo()[1] if flags is None else flags
    return next((name for flag, name in VECTOR_LEVELS if flag in flags), "no AVX2")


def describe_cpu() -> str:
    """A one-line description such as ``AMD EPYC, 2 cores, AVX2``."""
    model, flags = _cpuinfo()
    return f"{model}, {os.cpu_count()} cores, {vector_level(flags)}"
