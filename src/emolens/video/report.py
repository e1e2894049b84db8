"""The HTML report of a video: one self-contained page (charts as inline SVG, pictures as base64 JPEG) with
the video's facts, a table of every tracked person, and per person an emotion-over-time chart, an
emotion-share chart and thumbnails of the key moments (the strongest frame of each emotion). Short
tracks (seen for a moment) are only counted.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import cv2
import numpy as np

from emolens.charts.svg import bar_chart, line_chart
from emolens.pipeline.drawing import colour_of
from emolens.video.summary import MIN_TRACK_SECONDS, TrackSummary, VideoSummary

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: 1em 0; } td, th { padding: .3em .7em; border-bottom: 1px solid #eee; text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } .charts svg { max-width: 100%; height: auto; }
.moments { display: flex; flex-wrap: wrap; gap: .8em; } figure { margin: 0; text-align: center; font-size: .85em; }
figure img { display: block; border-radius: 4px; } .warning { background: #fff4d6; padding: .6em 1em; border-radius: 4px; }
.muted { color: #777; }
"""


def _rgb(name: str) -> str:
    b, g, r = colour_of(name)
    return f"#{r:02x}{g:02x}{b:02x}"


def clock(seconds: float) -> str:
    """``m:ss.s`` (``h:mm:ss`` past an hour)."""
    minutes, secs = divmod(seconds, 60)
    if minutes >= 60:
        return f"{int(minutes // 60)}:{int(minutes % 60):02d}:{int(secs):02d}"
    return f"{int(minutes)}:{secs:04.1f}"


def _jpeg_uri(image: np.ndarray) -> str:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode() if ok else ""


def timeline_chart(track: TrackSummary) -> str:
    """The smoothed probability of every emotion over time, as an SVG element."""
    times, values = track.series.arrays()
    return line_chart(
        times, values, track.classes, [_rgb(c) for c in track.classes], title=f"person #{track.track} over time",
        xlabel="time (s)", ylabel="probability (smoothed)",
    )  # fmt: skip


def share_chart(track: TrackSummary) -> str:
    """The share of time each emotion was the smoothed label, as an SVG element."""
    return bar_chart(
        track.classes, 100 * track.shares, [_rgb(c) for c in track.classes], title="emotion share",
        xlabel="share of time (%)",
    )  # fmt: skip


def _moments(track: TrackSummary) -> str:
    figures = []
    order = sorted(range(len(track.classes)), key=lambda k: -track.peaks[k].prob)
    for k in order:
        peak = track.peaks[k]
        if peak.thumbnail is None:
            continue
        figures.append(
            f'<figure><img src="{_jpeg_uri(peak.thumbnail)}" width="112" height="112" alt="{track.classes[k]}">'
            f"<b>{html.escape(track.classes[k])}</b> {100 * peak.prob:.0f}%<br>"
            f'<span class="muted">{clock(peak.time)} (frame {peak.frame})</span></figure>'
        )
    return '<div class="moments">' + "".join(figures) + "</div>"


def _person(track: TrackSummary) -> str:
    top = sorted(zip(track.classes, track.shares, strict=True), key=lambda kv: -kv[1])[:3]
    shares = ", ".join(f"{html.escape(c)} {100 * s:.0f}%" for c, s in top if s > 0)
    return (
        f'<h2 id="person-{track.track}">Person #{track.track}: mostly {html.escape(track.dominant_emotion)}</h2>'
        f"<p>Seen from {clock(track.first_seen)} to {clock(track.last_seen)} ({track.frames} frames). "
        f"Time per emotion: {shares}.</p>"
        f'<div class="charts">{timeline_chart(track)}{share_chart(track)}</div>'
        f"<h3>Key moments (strongest frame of each emotion)</h3>{_moments(track)}"
    )


def short_tracks_note(summary: VideoSummary) -> str:
    """How many short tracks the summary leaves out ("" when none)."""
    count = len(summary.short_tracks)
    return f"{count} short track(s), seen for under {MIN_TRACK_SECONDS:g} s, left out" if count else ""


def render_video_report(summary: VideoSummary, max_people: int = 20) -> str:
    """The report as an HTML string; detailed sections for the ``max_people`` longest tracks (short tracks
    are counted, not shown: they are in the timeline)."""
    tracks = sorted(summary.tracks, key=lambda t: (-t.frames, t.track))
    short = short_tracks_note(summary)
    name = html.escape(Path(summary.source).name or summary.source)
    settings = ", ".join(f"{html.escape(str(k))} {html.escape(str(v))}" for k, v in summary.settings.items())
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>emolens: {name}</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Emotions in {name}</h1>",
        f"<p>{html.escape(summary.source)}: {summary.width}x{summary.height}, {summary.fps:.2f} fps, "
        f"{clock(summary.duration)} analysed ({summary.frames} frames), {len(tracks)} tracked face(s), "
        f"{summary.faces} face observations.</p><p class='muted'>Settings: {settings}.</p>",
    ]
    if short:
        parts.append(f"<p class='muted'>{short} here; they are in the timeline.</p>")
    if summary.stopped_early:
        parts.append(f"<p class='warning'>The video is damaged: {html.escape(summary.stopped_early)}.</p>")
    if not tracks:
        found = "seen long enough" if short else "found"
        parts.append(f"<p class='warning'>No face was {found} in the {summary.frames} frames analysed.</p>")
    else:
        rows = "".join(
            f"<tr><td><a href='#person-{t.track}'>#{t.track}</a></td><td>{clock(t.first_seen)}</td>"
            f"<td>{clock(t.last_seen)}</td><td>{t.frames}</td><td>{html.escape(t.dominant_emotion)}</td>"
            f"<td>{100 * t.shares.max():.0f}%</td></tr>"
            for t in tracks
        )
        parts.append(
            "<table><tr><th>person</th><th>first seen</th><th>last seen</th><th>frames</th>"
            f"<th>dominant emotion</th><th>its share</th></tr>{rows}</table>"
        )
        parts += [_person(t) for t in tracks[:max_people]]
        if len(tracks) > max_people:
            parts.append(f"<p class='muted'>{len(tracks) - max_people} shorter track(s) are in the table only.</p>")
    parts.append("<p class='muted'>Made by emolens.</p></body></html>")
    return "\n".join(parts)


def write_video_report(summary: VideoSummary, path: str | Path, max_people: int = 20) -> Path:
    """Write the self-contained HTML report of ``summary`` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_video_report(summary, max_people), encoding="utf-8")
    return path
