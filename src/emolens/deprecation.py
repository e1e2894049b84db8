"""Renamed parameters keep their old spelling for one release, with a warning.

@renamed(every="detect_every")
def analyze_video(recognizer, source, detect_every=5): ...

analyze_video(rec, "clip.mp4", every=3)   # FutureWarning: `every` is now `detect_every`; ...
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from emolens.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

#: The release from which the old spellings are gone.
REMOVED_IN = "0.3"


def rename_warning(old: str, new: str) -> str:
    """The message shown when a parameter, option or field is used under its old name."""
    return f"`{old}` is now `{new}`; the old name is accepted until emolens {REMOVED_IN}"


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: keyword arguments passed under an old name (``every=...``) reach the function under the new
    one (``detect_every``) with a :class:`FutureWarning`; both names at once are a :class:`ConfigError`."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise ConfigError(f"give `{new}` only (`{old}` is its old name)")
                    warnings.warn(rename_warning(old, new), FutureWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
