"""CLI commands: ``emolens serve`` (issue 6). Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emolens.cli.shared import MAX_SIDE_HELP, MIN_SIDE_HELP, console, friendly
from emolens.extras import require_extra
from emolens.service.settings import ServiceSettings

#: Seconds an idle keep-alive connection stays open. Uvicorn's 5 s default closed connections that
#: busy clients were about to reuse (measured: one ReadError in 1,000 requests under load).
KEEP_ALIVE = 30


def _help(text: str, field: str) -> str:
    """Option help naming the setting's default and environment variable."""
    default = getattr(ServiceSettings, field, None)
    shown = "" if default is None or default == () else f"default {default}; "
    return f"{text} ({shown}env {ServiceSettings.env_name(field)})"


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``emolens`` app."""

    @app.command()
    @friendly
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        workers: Annotated[int, typer.Option(help="Server processes (each loads the model once).")] = 1,
        model: Annotated[
            str | None, typer.Option("--model", "-m", help=_help("Bundled model name or .onnx file.", "model"))
        ] = None,
        detector: Annotated[str | None, typer.Option(help=_help("Face detector (unset: yunet).", "detector"))] = None,
        threshold: Annotated[float | None, typer.Option(help=_help("Minimum detector score.", "threshold"))] = None,
        min_face: Annotated[
            int | None, typer.Option(help=_help("Ignore faces smaller than this many pixels.", "min_face"))
        ] = None,
        max_side: Annotated[int | None, typer.Option(help=_help(MAX_SIDE_HELP, "max_side"))] = None,
        min_side: Annotated[int | None, typer.Option(help=_help(MIN_SIDE_HELP, "min_side"))] = None,
        threads: Annotated[
            int | None, typer.Option(help=_help("CPU threads per process (unset: all cores / workers).", "threads"))
        ] = None,
        api_key: Annotated[
            str | None, typer.Option(help=_help("Require this key (prefer the env variable).", "api_key"))
        ] = None,
        cors_origins: Annotated[
            str | None, typer.Option(help=_help("Comma-separated origins allowed by CORS, or '*'.", "cors_origins"))
        ] = None,
        max_upload_mb: Annotated[
            float | None, typer.Option(help=_help("Largest image upload in MB.", "max_upload_mb"))
        ] = None,
        max_pixels: Annotated[
            int | None, typer.Option(help=_help("Largest image, width x height.", "max_pixels"))
        ] = None,
        max_video_mb: Annotated[
            float | None, typer.Option(help=_help("Largest video upload in MB.", "max_video_mb"))
        ] = None,
        max_video_seconds: Annotated[
            float | None, typer.Option(help=_help("Longest video in seconds.", "max_video_seconds"))
        ] = None,
        request_timeout: Annotated[
            float | None, typer.Option(help=_help("Seconds an image analysis may take.", "request_timeout"))
        ] = None,
        pool_size: Annotated[
            int | None, typer.Option(help=_help("Threads decoding and detecting, 0 = one per core.", "pool_size"))
        ] = None,
        max_pending: Annotated[
            int | None, typer.Option(help=_help("Requests in flight before 503 busy.", "max_pending"))
        ] = None,
        batching: Annotated[
            bool | None,
            typer.Option(
                "--batching/--no-batching", help=_help("Micro-batch faces of concurrent requests.", "batching")
            ),
        ] = None,
        max_batch: Annotated[
            int | None, typer.Option(help=_help("Most faces per classifier call.", "max_batch"))
        ] = None,
        batch_wait_ms: Annotated[
            float | None, typer.Option(help=_help("Milliseconds a batch waits for company.", "batch_wait_ms"))
        ] = None,
        max_jobs: Annotated[int | None, typer.Option(help=_help("Video jobs that may wait.", "max_jobs"))] = None,
        job_ttl: Annotated[
            float | None, typer.Option(help=_help("Seconds a finished job's files are kept.", "job_ttl"))
        ] = None,
        jobs_dir: Annotated[
            Path | None, typer.Option(help=_help("Folder for video jobs (unset: a temporary one).", "jobs_dir"))
        ] = None,
        log_level: Annotated[str, typer.Option(help="Uvicorn log level.")] = "info",
    ) -> None:
        """Run the web page and the REST API (FastAPI + Uvicorn; needs the serve extra); the model loads once per process."""
        require_extra("emolens serve", "fastapi", "uvicorn", "python_multipart")
        import os
        import shutil
        import tempfile
        from dataclasses import replace

        import uvicorn

        from emolens.errors import ConfigError
        from emolens.pipeline.recognizer import EmotionRecognizer
        from emolens.runtime.classifier import EmotionClassifier
        from emolens.service.app import create_app
        from emolens.service.settings import CONFIG_ENV

        # OpenMP threads (YuNet) that spin while they wait burn the cores the other requests need
        # (measured: 10 ms -> 165 ms CPU per 320x240 detection on a busy 2-core machine)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if workers < 1:
            raise ConfigError(f"--workers must be >= 1, got {workers}")
        settings = ServiceSettings.from_env(
            model=model, detector=detector, threshold=threshold, min_face=min_face, max_side=max_side,
            min_side=min_side, threads=threads, api_key=api_key, cors_origins=cors_origins, max_upload_mb=max_upload_mb,
            max_pixels=max_pixels, max_video_mb=max_video_mb, max_video_seconds=max_video_seconds,
            request_timeout=request_timeout, pool_size=pool_size, max_pending=max_pending, batching=batching,
            max_batch=max_batch, batch_wait_ms=batch_wait_ms, max_jobs=max_jobs, job_ttl=job_ttl,
            jobs_dir=str(jobs_dir) if jobs_dir else None,
        )  # fmt: skip
        EmotionClassifier(settings.model).metadata  # noqa: B018 - a bad model fails here with a clear message
        EmotionRecognizer(**settings.recognizer_options()).face_detector  # noqa: B018 - and so does a bad detector
        temporary = workers > 1 and settings.jobs_dir is None
        if workers > 1:  # the processes share the cores and, through files, the video jobs
            settings = replace(
                settings,
                threads=settings.threads or max(1, (os.cpu_count() or 1) // workers),
                jobs_dir=tempfile.mkdtemp(prefix="emolens-jobs-") if temporary else settings.jobs_dir,
            )
        console.print(f"emolens on http://{host}:{port}  (web page: /  API docs: /docs)", highlight=False)
        console.print(
            f"workers: {workers}  micro-batching: {'on' if settings.batching else 'off'}  "
            f"API key: {'required' if settings.api_key else 'none'}",
            highlight=False,
        )
        try:
            if workers == 1:
                uvicorn.run(
                    create_app(settings), host=host, port=port, log_level=log_level, timeout_keep_alive=KEEP_ALIVE
                )
            else:
                os.environ[CONFIG_ENV] = settings.to_json()
                uvicorn.run(
                    "emolens.service.app:create_app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level=log_level, timeout_keep_alive=KEEP_ALIVE,
                )  # fmt: skip
        finally:
            if temporary and settings.jobs_dir:
                shutil.rmtree(settings.jobs_dir, ignore_errors=True)
