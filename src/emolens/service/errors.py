"""HTTP errors of the service: the error classes requests can cause, their status codes, the JSON
error body, the exception handlers, and the middleware that refuses oversized bodies.

Errors are JSON (:class:`~emolens.service.schemas.ErrorBody`) with a status that says whose fault it
is; an unexpected exception answers 500 and is logged, and the server carries on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emolens.errors import EmolensError, ImageReadError, VideoReadError
from emolens.service.analysis import BusyError, TooManyPixelsError
from emolens.service.jobs import QueueFullError, UnknownJobError
from emolens.service.schemas import ErrorBody
from emolens.service.videos import VideoTooLongError

log = logging.getLogger("emolens.service")


class UnauthorizedError(EmolensError):
    """A missing or wrong API key."""


class UploadTooLargeError(EmolensError):
    """A request body over the size limit of its route."""


class UnsupportedMediaError(EmolensError):
    """A request or file part whose content type the route does not take."""


class BadRequestBodyError(EmolensError):
    """A body that is not what the route needs (bad base64, a text field where a file belongs...)."""


class RequestTimeoutError(EmolensError):
    """An analysis that took longer than ``request_timeout``."""


#: HTTP status and error code of each error a request can cause (the first matching class wins).
ERROR_STATUS: list[tuple[type[EmolensError], int, str]] = [
    (UnauthorizedError, 401, "unauthorized"),
    (UploadTooLargeError, 413, "too_large"),
    (TooManyPixelsError, 413, "too_many_pixels"),
    (VideoTooLongError, 413, "video_too_long"),
    (UnsupportedMediaError, 415, "unsupported_media_type"),
    (ImageReadError, 422, "unreadable_image"),
    (VideoReadError, 422, "unreadable_video"),
    (BadRequestBodyError, 422, "invalid_request"),
    (UnknownJobError, 404, "unknown_job"),
    (BusyError, 503, "busy"),
    (QueueFullError, 503, "queue_full"),
    (RequestTimeoutError, 504, "timeout"),
]
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
#: Error answers of the API routes, for the OpenAPI schema.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "Malformed multipart body",
        401: "Missing or wrong API key",
        404: "Unknown job or file",
        413: "Upload too large, too many pixels or video too long",
        415: "Unsupported content type",
        422: "Not an image/video, truncated file, missing field, invalid parameter",
        503: "Server busy or job queue full",
        504: "Analysis timed out",
    }.items()
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    headers = {"Retry-After": "1"} if status == 503 else None
    body = ErrorBody(error=code, message=message, status=status)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def describe_validation(errors: Any) -> str:
    """A one-line account of pydantic/FastAPI validation errors: ``query.top_k: Input should be ...``."""
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class BodyLimit:
    """ASGI middleware refusing bodies over the route's limit with 413, by Content-Length when it is
    announced and by counting otherwise (the count raises :class:`UploadTooLargeError` mid-read)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]):
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > limit:
            message = (
                f"the upload is {int(length) / 2**20:.1f} MB, more than this server's limit of {limit / 2**20:g} MB"
            )
            await error_response(413, "too_large", message)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise UploadTooLargeError(f"the upload is more than this server's limit of {limit / 2**20:g} MB")
            return message

        await self.app(scope, counted, send)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error as :class:`ErrorBody` JSON."""

    async def emolens_error(request: Request, exc: Exception) -> JSONResponse:
        for cls, status, code in ERROR_STATUS:
            if isinstance(exc, cls):
                return error_response(status, code, str(exc))
        log.warning("unmapped error on %s: %s", request.url.path, exc)
        return error_response(422, "invalid_input", str(exc))

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        return error_response(422, "invalid_request", describe_validation(getattr(exc, "errors", list)()))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), detail)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return error_response(500, "internal_error", f"internal error ({type(exc).__name__}); the server carries on")

    app.add_exception_handler(EmolensError, emolens_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
