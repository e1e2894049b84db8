"""Errors a user can cause. Each message names the input at fault; the CLI prints it without a traceback."""

from __future__ import annotations

from collections.abc import Collection


class EmolensError(Exception):
    """Base class of every error emolens raises on purpose."""


class DataError(EmolensError):
    """A dataset path, file or row cannot be used."""


class ImageReadError(EmolensError):
    """A file is missing, empty, truncated, or not an image."""


class VideoReadError(EmolensError):
    """A video is missing, empty, truncated, or not a video."""


class ModelFileError(EmolensError):
    """A model file is missing or is not an emolens model."""


class ConfigError(EmolensError):
    """An argument or option has an invalid value."""


def check_choice(name: str, value: object, allowed: Collection[str]) -> None:
    """Raise :class:`ConfigError` naming ``name`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
