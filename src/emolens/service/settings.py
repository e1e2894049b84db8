"""Settings of the service: model, limits, API key, CORS, pools and timeouts.

Every field can be set by an environment variable (``EMOLENS_<FIELD>``, e.g. ``EMOLENS_API_KEY``,
``EMOLENS_MAX_UPLOAD_MB``) and by the matching ``emolens serve`` option; options win over the
environment, the environment over the defaults. The settings travel to Uvicorn worker processes as
JSON in ``EMOLENS_SERVICE_CONFIG``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from emolens.errors import ConfigError

#: Environment variable carrying the whole settings (as JSON) to Uvicorn's worker processes.
CONFIG_ENV = "EMOLENS_SERVICE_CONFIG"
ENV_PREFIX = "EMOLENS_"


@dataclass(frozen=True)
class ServiceSettings:
    """What ``emolens serve`` runs with. See ``docs/service.md`` for each field. ``None`` for a model or
    detector setting means :class:`~emolens.pipeline.recognizer.EmotionRecognizer`'s default."""

    model: str | None = None
    detector: str | None = None
    threshold: float | None = None
    min_face: int | None = None
    max_side: int | None = None
    min_side: int | None = None
    threads: int | None = None
    api_key: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    max_upload_mb: float = 10.0
    max_pixels: int = 40_000_000
    max_video_mb: float = 200.0
    max_video_seconds: float = 600.0
    request_timeout: float = 30.0
    pool_size: int = 0
    max_pending: int = 256
    batching: bool = True
    max_batch: int = 64
    batch_wait_ms: float = 1.0
    max_jobs: int = 8
    job_ttl: float = 3600.0
    jobs_dir: str | None = None

    def __post_init__(self) -> None:
        positive = ("max_upload_mb", "max_pixels", "max_video_mb", "max_video_seconds", "request_timeout")
        for name in (*positive, "max_pending", "max_batch", "max_jobs", "job_ttl"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.pool_size < 0 or self.batch_wait_ms < 0:
            raise ConfigError("pool_size and batch_wait_ms must be >= 0")

    def recognizer_options(self) -> dict[str, Any]:
        """The keyword arguments of :class:`~emolens.pipeline.recognizer.EmotionRecognizer` that are set."""
        options = {
            "model": self.model, "detector": self.detector, "score_threshold": self.threshold,
            "min_face": self.min_face, "max_side": self.max_side, "min_side": self.min_side, "threads": self.threads,
        }  # fmt: skip
        return {k: v for k, v in options.items() if v is not None}

    @property
    def workers_in_pool(self) -> int:
        """Threads that decode and detect (``pool_size``, or the number of CPU cores when 0)."""
        return self.pool_size or os.cpu_count() or 1

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_video_bytes(self) -> int:
        return int(self.max_video_mb * 1024 * 1024)

    # -- building from the environment and options ------------------------------------------------
    @classmethod
    def env_name(cls, name: str) -> str:
        """The environment variable of a field: ``max_upload_mb`` -> ``EMOLENS_MAX_UPLOAD_MB``."""
        return ENV_PREFIX + name.upper()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ServiceSettings:
        """Defaults, then ``EMOLENS_*`` variables, then ``overrides`` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            text = environ.get(cls.env_name(f.name))
            if text is not None and text.strip() != "":
                values[f.name] = _parse(f.name, str(f.type), text.strip(), cls.env_name(f.name))
        values.update({k: v for k, v in overrides.items() if v is not None})
        if isinstance(values.get("cors_origins"), str):
            values["cors_origins"] = _split(values["cors_origins"])
        values["cors_origins"] = tuple(values.get("cors_origins", ()))
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServiceSettings:
        data = json.loads(text)
        data["cors_origins"] = tuple(data.get("cors_origins", ()))
        return cls(**data)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _parse(name: str, kind: str, text: str, source: str) -> Any:
    """Convert an environment variable's text to the field's type, or a :class:`ConfigError`."""
    try:
        if kind.startswith("bool"):
            if text.lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
                raise ValueError(text)
            return text.lower() in {"1", "true", "yes", "on"}
        if kind.startswith("int"):
            return int(text)
        if kind.startswith("float"):
            return float(text)
        if kind.startswith("tuple"):
            return _split(text)
    except ValueError:
        raise ConfigError(
            f"{source}={text!r}: not a valid value for {name} ({kind.split(' |', maxsplit=1)[0]})"
        ) from None
    return text
