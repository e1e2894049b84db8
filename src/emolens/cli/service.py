"""CLI commands: ``emolens serve`` (issue 6). Heavy imports stay inside the commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from emolens.cli.options import OptionGroup, with_options
from emolens.cli.shared import console, friendly
from emolens.extras import require_extra
from emolens.service.settings import ServiceSettings

#: Seconds an idle keep-alive connection stays open. Uvicorn's 5 s default closed connections that
#: busy clients were about to reuse (measured: one ReadError in 1,000 requests under load).
KEEP_ALIVE = 30


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``emolens`` app."""

    @app.command()
    @friendly
    @with_options(OptionGroup(ServiceSettings, into="given", unset=True, env=ServiceSettings.env_name))
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        workers: Annotated[int, typer.Option(help="Server processes (each loads the model once).")] = 1,
        log_level: Annotated[str, typer.Option(help="Uvicorn log level.")] = "info",
        given: dict[str, Any] | None = None,
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
        settings = ServiceSettings.from_env(**(given or {}))
        EmotionClassifier(settings.model).metadata  # noqa: B018 - a bad model fails here with a clear message
        EmotionRecognizer(**settings.recognizer_options()).face_detector  # noqa: B018 - and so does a bad detector
        temporary = workers > 1 and settings.jobs_dir is None
        if temporary:  # the processes share the video jobs through files
            settings = replace(settings, jobs_dir=tempfile.mkdtemp(prefix="emolens-jobs-"))
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
