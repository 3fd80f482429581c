"""Charts drawn on the server as inline SVG: no chart library, no script, no CDN.

Each function returns a complete `<svg>` element (marked safe; every text is escaped) with a
`<title>` and `role="img"`, so screen readers get a summary and the page needs no JavaScript.
Only presentation attributes are used, so the Content Security Policy does not matter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 560, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 46
INK, GRID, MUTED = "#1f2937", "#e5e7eb", "#6b7280"


@dataclass
class Series:
    name: str
    values: Sequence[float | int | Decimal | None]
    color: str


def _nice_max(value: float) -> float:
    """A round upper bound for the y axis with four equal steps of 1, 2 or 5 × 10^n."""
    if value <= 0:
        return 4
    quarter = value / 4
    magnitude = 10 ** math.floor(math.log10(quarter))
    for step in (1, 2, 5, 10):
        if quarter <= step * magnitude:
            return 4 * step * magnitude
    return 40 * magnitude


def _frame(title: str, labels: Sequence[str], top: float, series: Sequence[Series],
           body: list[str], summary: str) -> SafeString:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}：{escape(summary)}</title>",
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold" fill="{INK}">'
        f"{escape(title)}</text>",
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID}"/>')
        text = f"{value:g}" if value != int(value) else f"{int(value)}"
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="{MUTED}">{text}</text>')
    step = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = LEFT + step * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" '
                     f'fill="{MUTED}">{escape(label)}</text>')
    parts.extend(body)
    legend_x = LEFT
    for s in series:
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10" '
                     f'fill="{s.color}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{HEIGHT - 5}" fill="{INK}">'
                     f"{escape(s.name)}</text>")
        legend_x += 28 + 13 * len(s.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> SafeString:
    """Grouped bars, one group per label."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max((float(v or 0) for s in series for v in s.values), default=0)
    top = max(_nice_max(peak), 4)  # whole numbers: at least 1 per step
    step = plot_w / max(len(labels), 1)
    bar_w = step * 0.8 / max(len(series), 1)
    body = []
    for j, s in enumerate(series):
        for i, value in enumerate(s.values):
            v = float(value or 0)
            h = plot_h * v / top
            x = LEFT + step * i + step * 0.1 + bar_w * j
            y = TOP + plot_h - h
            body.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                        f'height="{h:.1f}" fill="{s.color}"><title>{escape(labels[i])} '
                        f"{escape(s.name)}：{int(v)}</title></rect>")
    summary = "；".join(f"{s.name}合计{int(sum(float(v or 0) for v in s.values))}"
                       for s in series)
    return _frame(title, labels, top, series, body, summary)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *,
               limit: float | None = None, limit_label: str = "") -> SafeString:
    """Lines with dots; gaps where a value is missing; an optional dashed limit line."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max([float(v) for s in series for v in s.values if v is not None]
               + [float(limit or 0)], default=0)
    top = _nice_max(peak * 1.1)
    step = plot_w / max(len(labels), 1)
    body = []
    if limit is not None:
        y = TOP + plot_h - plot_h * float(limit) / top
        body.append(f'<line class="limit" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" '
                    f'y2="{y:.1f}" stroke="#b91c1c" stroke-dasharray="6 4"/>')
        body.append(f'<text x="{LEFT + plot_w}" y="{y - 4:.1f}" text-anchor="end" '
                    f'fill="#b91c1c">{escape(limit_label)}</text>')
    for s in series:
        points, runs = [], []
        for i, value in enumerate(s.values):
            if value is None:
                if points:
                    runs.append(points)
                points = []
                continue
            x = LEFT + step * (i + 0.5)
            y = TOP + plot_h - plot_h * float(value) / top
            points.append((x, y, value, labels[i]))
        if points:
            runs.append(points)
        for run in runs:
            if len(run) > 1:
                body.append('<polyline fill="none" stroke-width="2" stroke="{}" points="{}"/>'
                            .format(s.color, " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in run)))
            for x, y, value, label in run:
                body.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" '
                            f'fill="{s.color}"><title>{escape(label)} {escape(s.name)}：'
                            f"{value}</title></circle>")
    values = [v for s in series for v in s.values if v is not None]
    summary = f"最高{max(values)}" if values else "暂无数据"
    return _frame(title, labels, top, series, body, summary)
