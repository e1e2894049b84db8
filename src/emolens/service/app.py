"""The FastAPI application: ``create_app(settings)`` builds the web page, the REST API and the live
WebSocket on one analysis engine that loads the model and detector once, at start-up. Errors and
uploads are handled by :mod:`emolens.service.errors` and :mod:`emolens.service.uploads`.

The API docs (``/docs``, Swagger UI) load their script and style from the package, not from a CDN, so
they work offline. The API refuses query parameters it does not know (422 naming them) instead of
ignoring them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, Security, WebSocket, WebSocketDisconnect
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse
from fastapi.security import APIKeyHeader
from fastapi.staticfiles import StaticFiles

from emolens import __version__
from emolens.deprecation import REMOVED_IN, rename_warning
from emolens.errors import EmolensError
from emolens.pipeline.drawing import colour_of
from emolens.pipeline.results import TOP_K_MAX, TOP_K_MIN
from emolens.runtime.classifier import EmotionClassifier
from emolens.service.analysis import Analyzer
from emolens.service.errors import (
    ERRORS,
    BadRequestBodyError,
    BodyLimit,
    QueueFullError,
    RequestTimeoutError,
    UnauthorizedError,
    UnknownJobError,
    UploadTooLargeError,
    add_error_handlers,
)
from emolens.service.jobs import JobQueue, JobRecord
from emolens.service.schemas import AnalyzeResponse, Health, JobLinks, JobOut, Limits, ModelInfo, StreamFaces
from emolens.service.settings import CONFIG_ENV, ServiceSettings
from emolens.service.uploads import IMAGE_BODY, VIDEO_BODY, file_part, read_image_body
from emolens.service.videos import check_video, video_runner
from emolens.video.tracking import DEFAULT_DETECT_EVERY

STATIC_DIR = Path(__file__).parent / "static"
#: Swagger UI's files (npm's swagger-ui-dist), served under /static like the web page's.
SWAGGER_UI = "/static/swagger-ui"
KEY_COOKIE = "emolens_api_key"
#: The query parameter that may carry the API key, on every route.
KEY_QUERY = "api_key"
T = TypeVar("T")


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route (or dependency) declares, with those of its dependencies."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def refuse_unknown_query(request: Request) -> None:
    """Answer 422 naming each query parameter the route does not take (a typo would otherwise be ignored).

    ``async``, like every quick dependency and route here: FastAPI runs a plain ``def`` in a worker
    thread, two thread hand-offs per request for nothing."""
    known = _query_names(request.scope["route"].dependant) | {KEY_QUERY}
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        takes = ", ".join(sorted(known))
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "msg": f"unknown parameter (this route takes: {takes})"}
            for name in unknown
        ])  # fmt: skip


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service: ``/`` (web page), ``/v1/...`` (API), ``/v1/stream`` (WebSocket), ``/healthz``, ``/docs``."""
    settings = settings or ServiceSettings.from_env()
    analyzer = Analyzer(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        jobs_root = Path(settings.jobs_dir) if settings.jobs_dir else Path(tempfile.mkdtemp(prefix="emolens-jobs-"))
        app.state.jobs = JobQueue(jobs_root, video_runner(analyzer.recognizer), settings.max_jobs, settings.job_ttl)
        await analyzer.start()
        await app.state.jobs.start()
        try:
            yield
        finally:
            await app.state.jobs.stop()
            await analyzer.stop()
            if not settings.jobs_dir:
                shutil.rmtree(jobs_root, ignore_errors=True)

    app = FastAPI(
        title="emolens",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served below from the package's files
        redoc_url=None,
        description="Find the faces in photos, videos and camera frames and tell what each one feels. "
        "Errors are JSON: `{error, message, status}`.",
    )
    app.state.settings = settings
    app.state.analyzer = analyzer

    def limit_for(path: str) -> int:
        return settings.max_video_bytes if path.startswith("/v1/videos") else settings.max_upload_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    add_error_handlers(app)
    guard = _Guard(settings)
    api = APIRouter(
        prefix="/v1", dependencies=[Depends(guard.require), Depends(refuse_unknown_query)], responses=ERRORS
    )
    _add_image_routes(api, settings, analyzer, guard)
    _add_video_routes(api, settings)
    app.include_router(api)
    _add_health_and_stream(app, settings, analyzer, guard)
    _add_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


class _Guard:
    """The API key check (when the server has a key) and the per-request time limit of ``settings``."""

    header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Needed when the server has a key.")

    def __init__(self, settings: ServiceSettings):
        self.settings = settings

    def check(self, supplied: list[str | None]) -> None:
        """:class:`UnauthorizedError` unless one of the ``supplied`` keys is the server's (or it has none)."""
        key = self.settings.api_key
        if key is None:
            return
        if not any(s and secrets.compare_digest(s.encode(), key.encode()) for s in supplied):
            raise UnauthorizedError(
                "missing or wrong API key: send it as header X-API-Key, 'Authorization: Bearer KEY' or ?api_key="
            )

    async def require(self, request: Request, key: str | None = Security(header)) -> None:
        """The dependency of every ``/v1`` route: the key from the header, a bearer token, the query or the cookie."""
        bearer = request.headers.get("authorization", "")
        self.check([
            key,
            bearer[7:] if bearer.lower().startswith("bearer ") else None,
            request.query_params.get(KEY_QUERY),
            request.cookies.get(KEY_COOKIE),
        ])  # fmt: skip

    async def in_time(self, work: Awaitable[T]) -> T:
        """``work``'s result, or :class:`RequestTimeoutError` after ``request_timeout`` seconds."""
        timeout = self.settings.request_timeout
        try:
            return await asyncio.wait_for(work, timeout)
        except TimeoutError:
            raise RequestTimeoutError(f"the analysis took more than {timeout:g} s") from None


def _add_image_routes(api: APIRouter, settings: ServiceSettings, analyzer: Analyzer, guard: _Guard) -> None:
    """``POST /v1/analyze`` and ``GET /v1/model``."""

    @api.post("/analyze", response_model=AnalyzeResponse, response_model_exclude_none=True, openapi_extra=IMAGE_BODY)
    async def analyze(
        request: Request,
        annotate: bool = Query(False, description="Also return the annotated image (base64 JPEG)."),
        top_k: int = Query(3, ge=TOP_K_MIN, le=TOP_K_MAX, description="How many top emotions per face."),
    ) -> dict[str, Any]:
        """Find the faces of one image and tell what each one feels.

        Send the image as multipart field `file`, as JSON `{"image": "<base64>"}`, or as the raw body
        with an `image/*` content type."""
        data, name = await read_image_body(request)
        result = await guard.in_time(analyzer.analyze(data, name))
        body = result.to_dict(top_k)
        if annotate:
            body["annotated_jpeg"] = await analyzer.annotate(result)
        return body

    @api.get("/model", response_model=ModelInfo)
    async def model() -> ModelInfo:
        """The model card: classes, accuracy, version, size, and this server's limits."""
        classifier: EmotionClassifier = analyzer.recognizer.classifier
        meta = classifier.metadata
        return ModelInfo(
            name=classifier.path.stem,
            version=meta.emolens_version,
            created=meta.created,
            architecture=meta.architecture,
            classes=list(meta.classes),
            colours={c: "#{2:02x}{1:02x}{0:02x}".format(*colour_of(c)) for c in meta.classes},
            accuracy={split: m.get("accuracy") for split, m in meta.metrics.items() if isinstance(m, dict)},
            metrics=meta.metrics,
            params=meta.params,
            mflops=meta.mflops,
            precision=meta.precision,
            input_size=meta.input_size,
            temperature=meta.temperature,
            detector=str(analyzer.recognizer.detector),
            batching=settings.batching,
            limits=Limits(
                max_upload_mb=settings.max_upload_mb,
                max_pixels=settings.max_pixels,
                max_video_mb=settings.max_video_mb,
                max_video_seconds=settings.max_video_seconds,
                request_timeout_s=settings.request_timeout,
                api_key_required=settings.api_key is not None,
            ),
        )


def _job_out(record: JobRecord) -> JobOut:
    base = f"/v1/jobs/{record.id}"
    links = JobLinks(status=base, **{name: f"{base}/files/{path}" for name, path in record.files.items()})
    return JobOut(
        id=record.id, status=record.status, progress=record.progress, frames_done=record.frames_done,
        frames_total=record.frames_total, input_name=record.input_name, created=record.created,
        started=record.started, finished=record.finished, error=record.error, summary=record.summary, links=links,
    )  # fmt: skip


def _add_video_routes(api: APIRouter, settings: ServiceSettings) -> None:
    """``POST /v1/videos`` (a job per video), ``GET /v1/jobs/{id}`` and the files a job wrote."""

    @api.post("/videos", response_model=JobOut, status_code=202, openapi_extra=VIDEO_BODY)
    async def videos(
        request: Request,
        response: Response,
        detect_every: int = Query(
            DEFAULT_DETECT_EVERY,
            ge=1,
            le=1000,
            description="Run the face detector on every N-th frame (faces are tracked in between).",
        ),
        every: int | None = Query(
            None, ge=1, le=1000, deprecated=True, description=f"Old name of `detect_every` (until {REMOVED_IN})."
        ),
        annotate: bool = Query(True, description="Also write the annotated video."),
    ) -> JobOut:
        """Start analysing an uploaded video (multipart field `file`); poll `GET /v1/jobs/{id}`."""
        if every is not None:
            detect_every = every
            response.headers["Deprecation"] = "true"
            response.headers["Warning"] = f'299 - "{rename_warning("every", "detect_every")}"'
        jobs: JobQueue = request.app.state.jobs
        if jobs.full:
            raise QueueFullError(f"{jobs.max_queued} video jobs are waiting already; retry later")
        part = await file_part(request, "file", ("video/",))
        name = Path(part.filename or "upload").name
        job_id, target = jobs.new_input(part.filename)
        try:
            with target.open("wb") as out:
                await asyncio.to_thread(shutil.copyfileobj, part.file, out)
            await asyncio.to_thread(check_video, target, name, settings.max_video_seconds)
            record = jobs.submit(job_id, name, {"detect_every": detect_every, "annotate": annotate})
        except BaseException:
            jobs.discard(job_id)
            raise
        return _job_out(record)

    @api.get("/jobs/{job_id}", response_model=JobOut)
    def job(job_id: str, request: Request) -> JobOut:
        """A video job's status and progress; when done, its summary and the links to its files."""
        return _job_out(request.app.state.jobs.get(job_id))

    @api.get("/jobs/{job_id}/files/{path:path}", response_class=FileResponse)
    def job_file(job_id: str, path: str, request: Request) -> FileResponse:
        """A file a finished job wrote (timeline CSV, summary JSON, HTML report, annotated video)."""
        jobs: JobQueue = request.app.state.jobs
        out = (jobs.folder(job_id) / "out").resolve()
        target = (out / path).resolve()
        if not target.is_relative_to(out) or not target.is_file():
            raise UnknownJobError(f"job {job_id} has no file {path!r}")
        return FileResponse(target)


def _add_health_and_stream(app: FastAPI, settings: ServiceSettings, analyzer: Analyzer, guard: _Guard) -> None:
    """``GET /healthz`` and the ``/v1/stream`` WebSocket of live camera frames."""
    started = time.time()

    @app.get(
        "/healthz",
        response_model=Health,
        tags=["service"],
        dependencies=[Depends(refuse_unknown_query)],
        responses={422: ERRORS[422]},
    )
    async def healthz() -> Health:
        """Liveness: answers as long as the server is up."""
        calls, faces = analyzer.classifier_stats
        return Health(
            status="ok", version=__version__, uptime_s=round(time.time() - started, 1), pid=os.getpid(),
            in_flight=analyzer.pending,
            classifier_calls=calls, faces_classified=faces,
        )  # fmt: skip

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        """Live camera: send JPEG frames as binary messages; each gets a :class:`StreamFaces` JSON answer."""
        try:
            guard.check([websocket.query_params.get(KEY_QUERY), websocket.cookies.get(KEY_COOKIE)])
        except UnauthorizedError as exc:
            await websocket.close(code=1008, reason=str(exc)[:120])
            return
        await websocket.accept()
        seq = 0
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            seq += 1
            begin = time.perf_counter()
            fields: dict[str, Any] = {"width": 0, "height": 0, "faces": []}
            try:
                data = message.get("bytes")
                if data is None:
                    raise BadRequestBodyError("send each frame as a binary message holding a JPEG or PNG image")
                if len(data) > settings.max_upload_bytes:
                    raise UploadTooLargeError(f"frame of {len(data):,} bytes is over the upload limit")
                result = await guard.in_time(analyzer.analyze(data, f"frame {seq}"))
                fields = {"width": result.width, "height": result.height, "faces": result.to_dict()["faces"]}
            except EmolensError as exc:
                fields["error"] = str(exc)
            answer = StreamFaces(seq=seq, server_ms=round(1000 * (time.perf_counter() - begin), 2), **fields)
            try:
                await websocket.send_text(answer.model_dump_json(exclude_none=True))
            except WebSocketDisconnect:
                return


def _add_pages(app: FastAPI) -> None:
    """The web page (``/``), the responsible-use guide and the API docs, all served from the package."""

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/responsible-use", include_in_schema=False)
    def responsible_use() -> PlainTextResponse:
        """docs/responsible-use.md, which the web page's footer links (package data: it ships with the wheel)."""
        return PlainTextResponse((STATIC_DIR / "responsible-use.md").read_text(encoding="utf-8"))

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or ""),
            title=f"{app.title} - API docs",
            swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{root}{SWAGGER_UI}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )


def create_app_from_env() -> FastAPI:
    """The app of a Uvicorn worker process: settings from ``EMOLENS_SERVICE_CONFIG`` (set by ``emolens serve``)
    or else from the ``EMOLENS_*`` variables."""
    text = os.environ.get(CONFIG_ENV)
    return create_app(ServiceSettings.from_json(text) if text else ServiceSettings.from_env())
