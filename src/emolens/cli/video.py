"""CLI commands: ``emolens video`` and ``emolens webcam`` (issue 5). Heavy imports stay inside the commands."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emolens.cli.shared import (
    DetectorOption,
    MaxSideOption,
    MinFaceOption,
    MinSideOption,
    ModelOption,
    ThreadsOption,
    console,
    err_console,
    friendly,
    progress_bar,
)
from emolens.detection import DEFAULT_DETECTOR
from emolens.detection.base import DEFAULT_MAX_SIDE, DEFAULT_MIN_FACE, DEFAULT_MIN_SIDE
from emolens.extras import require_extra
from emolens.video.tracking import DEFAULT_DETECT_EVERY

if TYPE_CHECKING:
    from emolens.video.live_view import LiveView

WINDOW = "emolens (q: quit)"

EveryOption = Annotated[
    int, typer.Option("--detect-every", "-k", help="Run the face detector on every k-th frame (tracking in between).")
]
SmoothingOption = Annotated[
    float, typer.Option(help="Half-life in seconds of the per-face smoothing of probabilities (0: none).")
]


def _recognizer(
    model: str | None, detector: str, min_face: int, max_side: int, min_side: int, threads: int | None
) -> Any:
    from emolens.pipeline.recognizer import EmotionRecognizer

    return EmotionRecognizer(
        model=model, detector=detector, min_face=min_face, max_side=max_side, min_side=min_side, threads=threads
    )


def _summary_table(summary: Any) -> Any:
    from rich.table import Table

    from emolens.video.report import clock, short_tracks_note

    short = short_tracks_note(summary)
    table = Table(
        "track", "first seen", "last seen", "frames", "dominant", "time per emotion",
        title=f"{summary.source}: {summary.frames} frames, {len(summary.tracks)} tracked face(s)", title_justify="left",
        caption=f"{short}; they are in the timeline" if short else None, caption_justify="left",
    )  # fmt: skip
    for t in sorted(summary.tracks, key=lambda t: (-t.frames, t.track)):
        top = sorted(zip(t.classes, t.shares, strict=True), key=lambda kv: -kv[1])[:3]
        shares = "  ".join(f"{c} {100 * s:.0f}%" for c, s in top if s > 0)
        table.add_row(f"#{t.track}", clock(t.first_seen), clock(t.last_seen), str(t.frames), t.dominant_emotion, shares)
    return table


def gui_available() -> bool:
    """Whether this OpenCV build can open windows (``opencv-python-headless`` cannot)."""
    import cv2

    try:
        cv2.namedWindow("emolens-probe", cv2.WINDOW_NORMAL)
        cv2.destroyWindow("emolens-probe")
    except cv2.error:
        return False
    return True


def _write_summary(summary: Any, summary_json: Path | None, report: Path | None, console: Any) -> None:
    from emolens.video.report import write_video_report

    if summary_json is not None:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(summary.to_json() + "\n")
        console.print(f"summary: {summary_json}", highlight=False)
    if report is not None:
        console.print(f"report: {write_video_report(summary, report)}", highlight=False)


def video(
    source: Annotated[str, typer.Argument(help="A video file (mp4, avi, mov, mkv, webm...) or a stream URL.")],
    out: Annotated[Path | None, typer.Option(help="Annotated video to write (.mp4, .mkv, .mov), audio kept.")] = None,
    csv: Annotated[Path | None, typer.Option(help="Timeline CSV: one row per frame and face.")] = None,
    parquet: Annotated[Path | None, typer.Option(help="The timeline as Parquet (needs the batch extra).")] = None,
    summary_json: Annotated[Path | None, typer.Option(help="Per-track summary JSON.")] = None,
    report: Annotated[Path | None, typer.Option(help="Self-contained HTML report.")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Write annotated.mp4, timeline.csv, summary.json and report.html into this folder."),
    ] = None,
    detect_every: EveryOption = DEFAULT_DETECT_EVERY,
    smoothing: SmoothingOption = 0.5,
    sample_fps: Annotated[
        float | None, typer.Option(help="Analyse about this many frames per second (default: every frame).")
    ] = None,
    model: ModelOption = None,
    detector: DetectorOption = DEFAULT_DETECTOR,
    min_face: MinFaceOption = DEFAULT_MIN_FACE,
    max_side: MaxSideOption = DEFAULT_MAX_SIDE,
    min_side: MinSideOption = DEFAULT_MIN_SIDE,
    threads: ThreadsOption = None,
) -> None:
    """Track the faces of a video and tell what each one feels over time."""
    from emolens.video.analysis import process_video

    if parquet is not None:
        require_extra("emolens video --parquet", "pyarrow")

    if out_dir is not None:
        out = out or out_dir / "annotated.mp4"
        csv = csv or out_dir / "timeline.csv"
        summary_json = summary_json or out_dir / "summary.json"
        report = report or out_dir / "report.html"
    rec = _recognizer(model, detector, min_face, max_side, min_side, threads)
    started = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("frames", total=None, status="")

        def progress(done: int, total: int | None) -> None:
            speed = done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, status=f"{speed:.1f} fps")

        summary = process_video(
            rec, source, video=out, csv=csv, parquet=parquet, summary_json=summary_json, report=report,
            detect_every=detect_every, smoothing=smoothing, sample_fps=sample_fps, progress=progress,
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    console.print(_summary_table(summary))
    console.print(f"{summary.frames} frames in {elapsed:.1f} s ({summary.frames / elapsed:.1f} fps)")
    for label, path in (("annotated video", out), ("timeline", csv), ("timeline", parquet), ("summary", summary_json)):
        if path is not None:
            console.print(f"{label}: {path}", highlight=False)
    if report is not None:
        console.print(f"report: {report}", highlight=False)
    if not summary.tracks:
        err_console.print(
            f"[bold red]error:[/] {summary.source}: no face found in the {summary.frames} frames analysed",
            highlight=False,
        )
        raise typer.Exit(1)


def _raise_interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


class View(StrEnum):
    """Where ``emolens webcam`` shows the live analysis."""

    browser = "browser"
    window = "window"
    none = "none"


def _start_live_view(name: str, port: int, browser: bool) -> LiveView:
    """The local page showing the session (see :mod:`emolens.video.live_view`), announced on stdout."""
    from emolens.video.live_view import LiveView, open_browser

    live = LiveView(name, port=port).start()
    console.print(f"live view of {name}: {live.url}  (Ctrl-C stops)", highlight=False, soft_wrap=True)
    if browser and not open_browser(live.url):
        console.print("(no graphical browser found here: open the address in one)", highlight=False, soft_wrap=True)
    return live


def webcam(
    source: Annotated[str, typer.Argument(help="Camera index, video file or stream URL.")] = "0",
    view: Annotated[
        View,
        typer.Option(
            help="browser: a local web page with the live picture (works with the default install); "
            "window: an OpenCV window (needs a GUI build of OpenCV); none: one JSON line per frame on stdout."
        ),
    ] = View.browser,
    headless: Annotated[bool, typer.Option("--headless", help="Same as --view none.")] = False,
    port: Annotated[int, typer.Option(help="Port of the browser view on 127.0.0.1 (0: a free one).")] = 0,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the browser view in the default browser.")
    ] = True,
    summary_json: Annotated[Path | None, typer.Option(help="Session summary JSON, written on exit.")] = None,
    report: Annotated[Path | None, typer.Option(help="HTML report of the session, written on exit.")] = None,
    max_frames: Annotated[
        int, typer.Option(help="Stop after this many frames (0: until Ctrl-C, q in the window, or the end).")
    ] = 0,
    realtime: Annotated[
        bool, typer.Option(help="Play files at their own speed, dropping frames when analysis is slower.")
    ] = True,
    detect_every: EveryOption = DEFAULT_DETECT_EVERY,
    smoothing: SmoothingOption = 0.5,
    model: ModelOption = None,
    detector: DetectorOption = DEFAULT_DETECTOR,
    min_face: MinFaceOption = DEFAULT_MIN_FACE,
    max_side: MaxSideOption = DEFAULT_MAX_SIDE,
    min_side: MinSideOption = DEFAULT_MIN_SIDE,
    threads: ThreadsOption = None,
) -> None:
    """Live analysis of a camera, a video file or a stream, shown with boxes, labels, probability bars and
    FPS on a local web page (opened in the browser), in a window (--view window, q quits), or as JSON
    lines (--view none). Ctrl-C stops; the session summary is written on exit."""
    import cv2

    from emolens.errors import ConfigError

    if headless:
        view = View.none
    if view is View.window and not gui_available():
        raise ConfigError(
            "this OpenCV build has no GUI (emolens installs opencv-python-headless), so no window can be opened; "
            "use --view browser (the default) to watch in a browser, or --view none to get JSON lines"
        )
    rec = _recognizer(model, detector, min_face, max_side, min_side, threads)
    analysis = rec.analyze_video(
        int(source) if source.isdigit() else source, detect_every=detect_every, smoothing=smoothing,
        realtime=realtime, keep_images=view is not View.none,
    )  # fmt: skip
    previous_handler = signal.signal(signal.SIGTERM, _raise_interrupt)
    live: LiveView | None = None
    period, last = 0.0, time.perf_counter()
    try:
        if view is View.browser:
            live = _start_live_view(analysis.info.name, port, browser)
        for n, result in enumerate(analysis, 1):
            now = time.perf_counter()
            period = now - last if n == 1 else 0.9 * period + 0.1 * (now - last)  # smoothed seconds per frame
            fps, last = 1 / max(period, 1e-6), now
            if live is not None:
                live.publish(result, fps)
            elif view is View.none:
                print(json.dumps({**result.to_dict(), "fps": round(fps, 1)}), flush=True)
            else:
                cv2.imshow(WINDOW, result.plot(banner=f"{fps:.1f} FPS   q: quit"))
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
            if max_frames and n >= max_frames:
                break
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: writing the session summary")
    except BrokenPipeError:  # the reader of the JSON lines went away (`| head`): stop like q
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        analysis.close()
        if live is not None:
            live.close()
        if view is View.window:
            cv2.destroyAllWindows()
    summary = analysis.summary
    err_console.print(_summary_table(summary))
    _write_summary(summary, summary_json, report, err_console)


def register(app: typer.Typer) -> None:
    """Add ``video`` and ``webcam`` to the ``emolens`` app."""
    app.command("video")(friendly(video))
    app.command("webcam")(friendly(webcam))
