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
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from emolens.deprecation import rename_warning
from emolens.detection.base import MAX_SIDE_HELP, MIN_SIDE_HELP
from emolens.errors import ConfigError
from emolens.fields import option

#: Environment variable carrying the whole settings (as JSON) to Uvicorn's worker processes.
CONFIG_ENV = "EMOLENS_SERVICE_CONFIG"
ENV_PREFIX = "EMOLENS_"
#: Old field name -> new one: their environment variables (``EMOLENS_THRESHOLD``) still work, with a warning.
RENAMED_FIELDS = {"threshold": "score_threshold"}
#: CPU threads of one analysis in the service: concurrent requests, not threads within one detection, fill
#: the cores (50 clients, micro-batching: 130 images/s with 1 thread each, 94 with 2; docs/performance.md).
SERVICE_THREADS = 1


@dataclass(frozen=True)
class ServiceSettings:
    """What ``emolens serve`` runs with. See ``docs/service.md`` for each field. ``None`` for a model or
    detector setting means :class:`~emolens.pipeline.recognizer.EmotionRecognizer`'s default."""

    model: str | None = option(None, "Bundled model name or .onnx file.", short="-m")
    detector: str | None = option(None, "Face detector (unset: the default of `emolens detectors list`).")
    score_threshold: float | None = option(None, "Minimum detector score.")
    min_face: int | None = option(None, "Ignore faces smaller than this many pixels.")
    max_side: int | None = option(None, MAX_SIDE_HELP)
    min_side: int | None = option(None, MIN_SIDE_HELP)
    threads: int | None = option(None, "CPU threads per analysis (unset: 1; the pool runs analyses side by side).")
    api_key: str | None = option(None, "Require this key (prefer the env variable).", repr=False)
    cors_origins: tuple[str, ...] = option((), "Comma-separated origins allowed by CORS, or '*'.", kind=str)
    max_upload_mb: float = option(10.0, "Largest image upload in MB.")
    max_pixels: int = option(40_000_000, "Largest image, width x height.")
    max_video_mb: float = option(200.0, "Largest video upload in MB.")
    max_video_seconds: float = option(600.0, "Longest video in seconds.")
    request_timeout: float = option(30.0, "Seconds an image analysis may take.")
    pool_size: int = option(0, "Threads decoding and detecting, 0 = one per core.")
    max_pending: int = option(256, "Requests in flight before 503 busy.")
    batching: bool = option(True, "Micro-batch faces of concurrent requests.")
    max_batch: int = option(64, "Most faces per classifier call.")
    batch_wait_ms: float = option(1.0, "Milliseconds a batch waits for company.")
    max_jobs: int = option(8, "Video jobs that may wait.")
    job_ttl: float = option(3600.0, "Seconds a finished job's files are kept.")
    jobs_dir: str | None = option(None, "Folder for video jobs (unset: a temporary one).", kind=Path)

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
            "model": self.model, "detector": self.detector, "score_threshold": self.score_threshold,
            "min_face": self.min_face, "max_side": self.max_side, "min_side": self.min_side, "threads": self.threads or SERVICE_THREADS,
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
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for old, new in RENAMED_FIELDS.items():
            if cls.env_name(old) in environ and cls.env_name(new) not in environ:
                warnings.warn(rename_warning(cls.env_name(old), cls.env_name(new)), FutureWarning, stacklevel=2)
                environ[cls.env_name(new)] = environ[cls.env_name(old)]
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
