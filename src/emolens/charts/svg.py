"""Small SVG charts drawn without a plotting library, so that the HTML report of a video needs nothing
beyond the default install: values over time as lines, and horizontal bars. Each function returns an
``<svg>`` element to put inline in a page; it scales down with the page (``viewBox``)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np

_FONT = 'font-family="system-ui, sans-serif" fill="#333"'
_GRID = 'stroke="#ddd" stroke-width="1"'


def _nice_step(span: float, most: int) -> float:
    """The smallest of 1, 2, 5 times a power of ten that cuts ``span`` into at most ``most`` steps."""
    raw = max(span, 1e-9) / most
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11, extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" {_FONT}{extra}>'
        f"{html.escape(text)}</text>"
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="white"/>{"".join(body)}</svg>'
    )


def _binned(times: np.ndarray, values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``bins`` points (means of consecutive runs): a line needs no more points than pixels."""
    if len(times) <= bins:
        return times, values
    groups = np.array_split(np.arange(len(times)), bins)
    return np.array([times[g].mean() for g in groups]), np.array([values[g].mean(axis=0) for g in groups])


def line_chart(
    times: np.ndarray,
    values: np.ndarray,
    names: Sequence[str],
    colours: Sequence[str],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    size: tuple[int, int] = (675, 270),
) -> str:
    """One line per column of ``values`` (N, K) in [0, 1] against ``times`` (N,), with a legend of
    ``names`` drawn in ``colours`` (CSS colours)."""
    width, height = size
    left, right, top, bottom = 50, width - 100, 26, height - 40
    t0, t1 = (float(times.min()), float(times.max())) if len(times) else (0.0, 1.0)
    t1 = max(t1, t0 + 1.0)  # a single moment: one second of axis

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * (right - left)

    def y(v: float) -> float:
        return bottom - v * (bottom - top)

    body = [_text((left + right) / 2, 17, title, "middle", size=13)]
    for v in (0, 0.25, 0.5, 0.75, 1):
        body += [f'<line x1="{left}" x2="{right}" y1="{y(v):.1f}" y2="{y(v):.1f}" {_GRID}/>']
        body += [_text(left - 5, y(v) + 4, f"{v:g}", "end")]
    step = _nice_step(t1 - t0, 8)
    for t in np.arange(math.ceil(t0 / step) * step, t1 + step / 1000, step):
        body += [f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{bottom}" {_GRID}/>']
        body += [_text(x(t), bottom + 14, f"{round(t, 6):g}", "middle")]
    body += [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#999"/>']
    times, values = _binned(times, values, right - left)
    for k, (name, colour) in enumerate(zip(names, colours, strict=True)):
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values[:, k], strict=True))
        body += [f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.6"/>']
        ly = top + 8 + 15 * k
        body += [f'<line x1="{right + 10}" x2="{right + 26}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/>']
        body += [_text(right + 31, ly + 4, name)]
    body += [_text((left + right) / 2, height - 8, xlabel, "middle")]
    middle = (top + bottom) / 2
    body += [_text(14, middle, ylabel, "middle", extra=f' transform="rotate(-90 14 {middle:.1f})"')]
    return _svg(width, height, title, body)


def bar_chart(
    labels: Sequence[str],
    percents: Sequence[float],
    colours: Sequence[str],
    *,
    title: str,
    xlabel: str,
    size: tuple[int, int] = (324, 270),
) -> str:
    """A horizontal bar of 0-100 per label, top to bottom, its value written beside it."""
    width, height = size
    left, right, top, bottom = 64, width - 12, 26, height - 40
    row = (bottom - top) / max(len(labels), 1)

    def x(p: float) -> float:
        return left + p / 110 * (right - left)  # room beside a full bar for its value

    body = [_text((left + right) / 2, 17, title, "middle", size=13)]
    for p in (0, 25, 50, 75, 100):
        body += [f'<line x1="{x(p):.1f}" x2="{x(p):.1f}" y1="{top}" y2="{bottom}" {_GRID}/>']
        body += [_text(x(p), bottom + 14, f"{p}", "middle")]
    for k, (label, percent, colour) in enumerate(zip(labels, percents, colours, strict=True)):
        y = top + k * row
        body += [
            f'<rect x="{left}" y="{y + 0.15 * row:.1f}" width="{x(percent) - left:.1f}" height="{0.7 * row:.1f}" '
            f'fill="{colour}"/>'
        ]
        body += [
            _text(left - 5, y + row / 2 + 4, label, "end"),
            _text(x(percent) + 3, y + row / 2 + 4, f"{percent:.0f}%"),
        ]
    body += [f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="#999"/>']
    body += [_text((left + right) / 2, height - 8, xlabel, "middle")]
    return _svg(width, height, title, body)
