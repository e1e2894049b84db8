"""The CPU this process runs on, in one line: its model, its cores and the widest vector instructions it has.

Speed figures depend on those instructions more than on the clock: int8 inference uses AVX-512 VNNI where
the CPU has it (on an AVX2-only CPU the same ``fast`` model classified half as many faces per second,
``docs/performance.md``), so every speed benchmark prints this line above its figures. No torch here:
inference and its benchmarks do not need it.
"""

from __future__ import annotations

import functools
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


@functools.cache
def _cpuinfo() -> tuple[str, frozenset[str]]:
    """The model name and the flags of the first processor in ``/proc/cpuinfo`` (empty where there is none),
    read once per process."""
    path = Path("/proc/cpuinfo")
    model, flags = "", frozenset[str]()
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = frozenset(value.split())
    return model or platform.processor() or platform.machine(), flags


def cpu_model() -> str:
    """The CPU's model name, for example ``AMD EPYC``."""
    return _cpuinfo()[0]


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as ``/proc/cpuinfo`` names them (``avx2``, ``amx_bf16``, ...); empty off Linux."""
    return _cpuinfo()[1]


def vector_level(flags: set[str] | frozenset[str] | None = None) -> str:
    """The widest of :data:`VECTOR_LEVELS` among ``flags`` (this CPU's by default), or ``no AVX2``."""
    flags = cpu_flags() if flags is None else flags
    return next((name for flag, name in VECTOR_LEVELS if flag in flags), "no AVX2")


def describe_cpu() -> str:
    """A one-line description such as ``AMD EPYC, 2 cores, AVX2``."""
    return f"{cpu_model()}, {os.cpu_count()} cores, {vector_level()}"
