"""The typed request and response bodies of the HTTP API (they make the OpenAPI schema precise)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error answer: a stable code, a sentence for people, and the HTTP status."""

    error: str = Field(description="Machine-readable code, e.g. not_an_image, too_large, unknown_job.")
    message: str = Field(description="What went wrong, naming the input.")
    status: int


class TopEmotion(BaseModel):
    emotion: str
    prob: float


class FaceOut(BaseModel):
    """One face: where it is, how sure the detector is, and what it feels."""

    box: list[float] = Field(min_length=4, max_length=4, description="x1, y1, x2, y2 in image pixels.")
    score: float = Field(description="Detector score in [0, 1].")
    emotion: str = Field(description="The most probable class.")
    confidence: float = Field(description="The calibrated probability of `emotion`.")
    probs: dict[str, float] = Field(description="Calibrated probability of every class.")
    top: list[TopEmotion] = Field(description="The `top_k` most probable classes.")


class AnalyzeResponse(BaseModel):
    """The faces of one image."""

    source: str
    width: int
    height: int
    faces: list[FaceOut]
    timings_ms: dict[str, float]
    annotated_jpeg: str | None = Field(
        default=None, description="With ?annotate=true: the annotated image as base64 JPEG."
    )


class AnalyzeJSON(BaseModel):
    """An image sent as JSON."""

    image: str = Field(description="The encoded image (JPEG, PNG, WebP...) as base64, or a data: URL.")
    name: str | None = Field(default=None, max_length=200, description="A name used in messages and results.")


class Limits(BaseModel):
    max_upload_mb: float
    max_pixels: int
    max_video_mb: float
    max_video_seconds: float
    request_timeout_s: float
    api_key_required: bool


class ModelInfo(BaseModel):
    """The model card: what the served model tells apart, how well, and where it came from."""

    name: str
    version: str = Field(description="The emolens version that exported the model.")
    created: str
    architecture: str
    classes: list[str]
    colours: dict[str, str] = Field(description="The colour each class is drawn in (#rrggbb).")
    accuracy: dict[str, float | None] = Field(description="Accuracy per evaluation split (val, test).")
    metrics: dict[str, Any]
    params: int
    mflops: float
    precision: str
    input_size: int
    temperature: float
    detector: str
    batching: bool
    limits: Limits


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    uptime_s: float
    pid: int = Field(description="The server process that answered (one of --workers).")
    in_flight: int = Field(description="Image analyses in progress in this process.")
    classifier_calls: int = Field(description="Classifier calls since start (this process).")
    faces_classified: int = Field(description="Faces classified since start; / classifier_calls = mean batch.")


class JobLinks(BaseModel):
    status: str
    timeline_csv: str | None = None
    summary_json: str | None = None
    report_html: str | None = None
    annotated_video: str | None = None


class JobOut(BaseModel):
    """An asynchronous video job."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float | None = Field(description="Share done in [0, 1]; null while the frame count is unknown.")
    frames_done: int
    frames_total: int | None
    input_name: str
    created: float
    started: float | None
    finished: float | None
    error: str | None
    summary: dict[str, Any] | None
    links: JobLinks


class StreamFaces(BaseModel):
    """What the live-camera WebSocket answers for each frame."""

    seq: int | None = None
    width: int
    height: int
    faces: list[FaceOut]
    server_ms: float
    error: str | None = None
