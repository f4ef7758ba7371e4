"""Bar charts drawn on the server as inline SVG: no scripts, no fonts, no styles.

Only presentation attributes are used (``fill``, ``font-size``), which the Content Security
Policy allows where inline ``style`` would not be. Each chart is an image with a title and a
description for screen readers; the same numbers are always in a table next to it, which
is where the links to the records behind them are.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ACCENT = "#0b5cad"
LIGHT = "#c6dbf2"
INK = "#1b1f24"
MUTED = "#4a5560"
LINE = "#c9d1d9"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    target: int | None = None  # drawn behind the bar, e.g. the planned number


def _number(n: float) -> str:
    return f"{n:,.0f}".replace(",", "\u202f")


def _frame(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    uid = next(_ids)
    # Safe: numbers are formatted here and every text passes through escape().
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="chart{uid}-title chart{uid}-desc">'
        f'<title id="chart{uid}-title">{escape(title)}</title>'
        f'<desc id="chart{uid}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def horizontal_bars(title: str, desc: str, bars: Sequence[Bar], *, width: int = 640) -> Markup:
    """One row per bar with its label on the left; a target, when given, is a light bar
    behind the value (planned vs held)."""
    label_w, value_w, row_h, gap = 210, 90, 22, 8
    plot_w = width - label_w - value_w
    top = 4
    height = top + max(1, len(bars)) * (row_h + gap)
    scale = max([1] + [max(b.value, b.target or 0) for b in bars])
    body = []
    for i, bar in enumerate(bars):
        y = top + i * (row_h + gap)
        label = bar.label if len(bar.label) <= 30 else bar.label[:29] + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{y + row_h * 0.7:.1f}" text-anchor="end" '
            f'font-size="13" fill="{INK}">{escape(label)}</text>'
        )
        if bar.target:
            tw = plot_w * bar.target / scale
            body.append(
                f'<rect x="{label_w}" y="{y}" width="{tw:.1f}" height="{row_h}" '
                f'fill="{LIGHT}" stroke="{ACCENT}" stroke-width="1"/>'
            )
        vw = plot_w * bar.value / scale
        inset = 5 if bar.target else 0
        body.append(
            f'<rect x="{label_w}" y="{y + inset}" width="{vw:.1f}" height="{row_h - 2 * inset}" '
            f'fill="{ACCENT}"/>'
        )
        text = _number(bar.value) + (f" / {_number(bar.target)}" if bar.target else "")
        body.append(
            f'<text x="{label_w + max(vw, plot_w * (bar.target or 0) / scale) + 6:.1f}" '
            f'y="{y + row_h * 0.7:.1f}" font-size="13" fill="{INK}">{text}</text>'
        )
    if not bars:
        body.append(f'<text x="0" y="18" font-size="13" fill="{MUTED}">–</text>')
    return _frame(width, height, title, desc, body)


def columns(title: str, desc: str, bars: Sequence[Bar], *, width: int = 640) -> Markup:
    """Vertical bars in order (months), labels below, values above."""
    height, bottom, top = 220, 40, 20
    plot_h = height - bottom - top
    n = max(1, len(bars))
    slot = width / n
    bar_w = max(4.0, min(48.0, slot * 0.7))
    scale = max([1] + [b.value for b in bars])
    body = [
        f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="{LINE}" stroke-width="1"/>'
    ]
    every = max(1, int(n / 12 + 0.999))  # at most about 12 labels
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / scale
        x = i * slot + (slot - bar_w) / 2
        y = height - bottom - h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{ACCENT}"/>'
        )
        if n <= 24:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="11" fill="{INK}">{_number(bar.value)}</text>'
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11" fill="{MUTED}">{escape(bar.label)}</text>'
            )
    if not bars:
        body.append(f'<text x="0" y="18" font-size="13" fill="{MUTED}">–</text>')
    return _frame(width, height, title, desc, body)
