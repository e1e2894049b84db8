"""Video jobs of the service: check an upload is a video within the length limit, then run the video
pipeline (:func:`emolens.video.analysis.run_video_job`) as a :class:`~emolens.service.jobs.JobQueue` runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emolens.errors import EmolensError, VideoReadError
from emolens.pipeline.recognizer import EmotionRecognizer
from emolens.service.jobs import JobOutput, ProgressFn, Runner


class VideoTooLongError(EmolensError):
    """A video longer than the service's ``max_video_seconds``."""


def check_video(path: Path, name: str, max_seconds: float) -> float:
    """The video's length in seconds, after checking it decodes and is not longer than ``max_seconds``.

    Messages name the upload (``name``), not the server's copy of it."""
    from emolens.video.io import VideoReader

    reader = VideoReader(path)
    try:
        reader.open()
    except VideoReadError as exc:
        raise VideoReadError(str(exc).replace(str(path), name)) from None
    finally:
        reader.close()
    info = reader.info
    assert info is not None
    duration = info.duration or (info.frames / info.fps if info.frames and info.fps else None)
    if duration is None:
        raise VideoReadError(f"{name}: the video's length cannot be told (a stream?); upload a video file")
    if duration > max_seconds:
        raise VideoTooLongError(
            f"{name}: {duration:.1f} s long, more than this server's limit of {max_seconds:g} s; cut it shorter"
        )
    return duration


def hide_server_path(summary: dict[str, Any], texts: list[Path], source: Path) -> dict[str, Any]:
    """Replace the server's path of an upload by its file name in the summary and in text outputs, so
    answers and reports neither leak the server's folders nor name files the user never sent."""
    where = str(source)
    for path in texts:
        text = path.read_text(encoding="utf-8")
        if where in text:
            path.write_text(text.replace(where, source.name), encoding="utf-8")
    return json.loads(json.dumps(summary).replace(json.dumps(where)[1:-1], source.name))


def video_runner(recognizer: EmotionRecognizer) -> Runner:
    """A job runner analysing videos with ``recognizer`` (params: ``detect_every``, ``annotate``)."""

    def run(source: Path, out_dir: Path, params: dict[str, Any], progress: ProgressFn) -> JobOutput:
        from emolens.video.analysis import run_video_job

        outputs = run_video_job(
            recognizer,
            source,
            out_dir,
            detect_every=int(params["detect_every"]),
            annotate=bool(params["annotate"]),
            progress=progress,
        )
        files = {
            "timeline_csv": outputs.timeline_csv,
            "summary_json": outputs.summary_json,
            "report_html": outputs.report_html,
        }
        if outputs.annotated is not None:
            files["annotated_video"] = outputs.annotated
        summary = hide_server_path(outputs.summary, [outputs.summary_json, outputs.report_html], source)
        return JobOutput(summary, {k: Path(v) for k, v in files.items()})

    return run
