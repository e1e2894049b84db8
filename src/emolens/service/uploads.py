"""Reading uploads: the image of an analyse request (multipart, JSON base64 or a raw body) and the file
part of a video upload, with their content types checked; and how those bodies appear in OpenAPI."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from emolens.service.errors import BadRequestBodyError, UnsupportedMediaError
from emolens.service.schemas import AnalyzeJSON


def _content_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


async def file_part(request: Request, field: str, accepted: tuple[str, ...]) -> UploadFile:
    form = await request.form(max_files=1, max_fields=8)
    part = form.get(field)
    if part is None:
        raise BadRequestBodyError(f"missing field {field!r}: send the file as multipart field {field!r}")
    if not isinstance(part, UploadFile):
        raise BadRequestBodyError(f"field {field!r} must be a file upload, not text")
    kind = _content_type(part.content_type)
    if kind and kind != "application/octet-stream" and not kind.startswith(accepted):
        raise UnsupportedMediaError(
            f"{part.filename or field}: content type {kind!r} is not one of {', '.join(accepted)}*"
        )
    return part


async def read_image_body(request: Request) -> tuple[bytes, str]:
    """The encoded image of an analyse request (multipart ``file``, JSON base64 ``image``, or a raw image body)."""
    kind = _content_type(request.headers.get("content-type"))
    if kind == "multipart/form-data":
        part = await file_part(request, "file", ("image/",))
        return await part.read(), part.filename or "<upload>"
    if kind == "application/json":
        try:
            payload = AnalyzeJSON.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        text = payload.image.split(",", 1)[1] if payload.image.startswith("data:") else payload.image
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequestBodyError("field 'image' is not valid base64") from None
        return data, payload.name or "<base64>"
    if kind.startswith("image/") or kind == "application/octet-stream":
        return await request.body(), "<body>"
    raise UnsupportedMediaError(
        f"content type {kind or 'none'!r} is not supported: send multipart/form-data with a 'file' field, "
        "application/json with a base64 'image' field, or the image itself with an image/* content type"
    )


# -- OpenAPI descriptions of the hand-read bodies -------------------------------------------------
_FILE_SCHEMA = {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}
IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _FILE_SCHEMA},
            "application/json": {"schema": AnalyzeJSON.model_json_schema()},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
VIDEO_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _FILE_SCHEMA}}}}
