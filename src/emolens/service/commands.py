"""CLI commands: ``emolens serve`` (issue 6). Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _env(name: str) -> str:
    return f" [env: EMOLENS_{name.upper()}]"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``emolens`` app."""
    from emolens.cli import friendly

    @app.command()
    @friendly
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        workers: Annotated[int, typer.Option(help="Server processes (each loads the model once).")] = 1,
        model: Annotated[
            str | None, typer.Option("--model", "-m", help="Bundled model name or .onnx file." + _env("model"))
        ] = None,
        detector: Annotated[str | None, typer.Option(help="Face detector [default: yunet]." + _env("detector"))] = None,
        threshold: Annotated[float | None, typer.Option(help="Minimum detector score." + _env("threshold"))] = None,
        min_face: Annotated[
            int | None, typer.Option(help="Ignore faces smaller than this [20 px]." + _env("min_face"))
        ] = None,
        max_side: Annotated[
            int | None, typer.Option(help="Detect on images downscaled to this side [640]." + _env("max_side"))
        ] = None,
        threads: Annotated[
            int | None, typer.Option(help="CPU threads per process [all cores / workers]." + _env("threads"))
        ] = None,
        api_key: Annotated[
            str | None, typer.Option(help="Require this key (prefer the env variable)." + _env("api_key"))
        ] = None,
        cors_origins: Annotated[
            str | None, typer.Option(help="Comma-separated origins allowed by CORS, or '*'." + _env("cors_origins"))
        ] = None,
        max_upload_mb: Annotated[
            float | None, typer.Option(help="Largest image upload [10 MB]." + _env("max_upload_mb"))
        ] = None,
        max_pixels: Annotated[
            int | None, typer.Option(help="Largest image, width x height [40,000,000]." + _env("max_pixels"))
        ] = None,
        max_video_mb: Annotated[
            float | None, typer.Option(help="Largest video upload [200 MB]." + _env("max_video_mb"))
        ] = None,
        max_video_seconds: Annotated[
            float | None, typer.Option(help="Longest video [600 s]." + _env("max_video_seconds"))
        ] = None,
        request_timeout: Annotated[
            float | None, typer.Option(help="Seconds an image analysis may take [30]." + _env("request_timeout"))
        ] = None,
        pool_size: Annotated[
            int | None, typer.Option(help="Threads decoding and detecting [cores]." + _env("pool_size"))
        ] = None,
        max_pending: Annotated[
            int | None, typer.Option(help="Requests in flight before 503 busy [256]." + _env("max_pending"))
        ] = None,
        batching: Annotated[
            bool | None,
            typer.Option(
                "--batching/--no-batching", help="Micro-batch faces of concurrent requests [on]." + _env("batching")
            ),
        ] = None,
        max_batch: Annotated[
            int | None, typer.Option(help="Most faces per classifier call [64]." + _env("max_batch"))
        ] = None,
        batch_wait_ms: Annotated[
            float | None, typer.Option(help="How long a batch waits for company [1 ms]." + _env("batch_wait_ms"))
        ] = None,
        max_jobs: Annotated[int | None, typer.Option(help="Video jobs that may wait [8]." + _env("max_jobs"))] = None,
        jobs_dir: Annotated[
            Path | None, typer.Option(help="Folder for video jobs [a temporary folder]." + _env("jobs_dir"))
        ] = None,
        log_level: Annotated[str, typer.Option(help="Uvicorn log level.")] = "info",
    ) -> None:
        """Run the web page and the REST API (FastAPI + Uvicorn); the model loads once per process."""
        import os
        import shutil
        import tempfile

        import uvicorn

        from emolens.cli import console
        from emolens.detection import create_detector
        from emolens.errors import ConfigError
        from emolens.runtime.classifier import EmotionClassifier
        from emolens.service.app import create_app
        from emolens.service.settings import CONFIG_ENV, ServiceSettings

        # OpenMP threads (YuNet) that spin while they wait burn the cores the other requests need
        # (measured: 10 ms -> 165 ms CPU per 320x240 detection on a busy 2-core machine)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if workers < 1:
            raise ConfigError(f"--workers must be >= 1, got {workers}")
        temporary = jobs_dir is None and workers > 1 and not os.environ.get("EMOLENS_JOBS_DIR")
        settings = ServiceSettings.from_env(
            model=model, detector=detector, threshold=threshold, min_face=min_face, max_side=max_side,
            threads=threads or (max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None),
            api_key=api_key, cors_origins=cors_origins, max_upload_mb=max_upload_mb, max_pixels=max_pixels,
            max_video_mb=max_video_mb, max_video_seconds=max_video_seconds, request_timeout=request_timeout,
            pool_size=pool_size, max_pending=max_pending, batching=batching, max_batch=max_batch,
            batch_wait_ms=batch_wait_ms, max_jobs=max_jobs,
            jobs_dir=tempfile.mkdtemp(prefix="emolens-jobs-") if temporary else (str(jobs_dir) if jobs_dir else None),
        )  # fmt: skip
        EmotionClassifier(settings.model).metadata  # noqa: B018 - a bad model fails here with a clear message
        create_detector(settings.detector, score_threshold=settings.threshold)
        console.print(
            f"emolens {'(API key required) ' if settings.api_key else ''}on http://{host}:{port}  "
            f"web page: /   API docs: /docs   workers: {workers}   micro-batching: {'on' if settings.batching else 'off'}",
            highlight=False,
        )
        try:
            if workers == 1:
                uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
            else:
                os.environ[CONFIG_ENV] = settings.to_json()
                uvicorn.run(
                    "emolens.service.app:create_app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level=log_level,
                )  # fmt: skip
        finally:
            if temporary and settings.jobs_dir:
                shutil.rmtree(settings.jobs_dir, ignore_errors=True)
