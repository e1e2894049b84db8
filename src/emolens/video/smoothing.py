"""Temporal smoothing of per-track class probabilities, so that video labels do not flicker.

An exponential moving average whose weight depends on the time between observations (a half-life in
seconds), so it behaves the same at any frame rate, with sampled frames and with dropped frames. It is
causal (uses only the past), so it works live; the raw values stay available to the caller.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np

from emolens.errors import ConfigError


class EmaSmoother:
    """Exponential moving average per key (a track ID) with a ``half_life`` in seconds (0: no smoothing).

    After ``half_life`` seconds an old observation weighs half as much as it did; a new key starts at
    its first observation.
    """

    def __init__(self, half_life: float = 0.5):
        self.half_life = half_life
        if half_life < 0:
            raise ConfigError(f"smoothing half-life must be >= 0 seconds, got {half_life}")
        self._state: dict[Hashable, tuple[float, np.ndarray]] = {}

    def __call__(self, key: Hashable, time: float, value: np.ndarray) -> np.ndarray:
        """The smoothed value of ``key`` after observing ``value`` at ``time`` (seconds)."""
        value = np.asarray(value, np.float32)
        previous = self._state.get(key)
        if previous is None or self.half_life == 0:
            smoothed = value.copy()
        else:
            last_time, last = previous
            weight = 1.0 - 0.5 ** (max(time - last_time, 0.0) / self.half_life)
            smoothed = last + np.float32(weight) * (value - last)
        self._state[key] = (time, smoothed)
        return smoothed

    def forget(self, keys: Iterable[Hashable]) -> None:
        """Drop the state of keys that will not come back (removed tracks)."""
        for key in keys:
            self._state.pop(key, None)
