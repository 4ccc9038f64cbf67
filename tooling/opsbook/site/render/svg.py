"""Static SVG drawn at build time: the metrics charts and the lines of the runbook graph. No JavaScript,
no fonts.

Charts have no viewBox: one SVG unit is one CSS pixel, text is set in pixels and horizontal positions
in percentages, so a chart fills any width and its text is as large on a phone as on the screen of the
weekly review. The graph is drawn at its natural size inside a figure that scrolls sideways. Colours come
from the theme's CSS variables (opsbook.css), so light and dark schemes both read; overdue is the colour
of the overdue badges."""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from opsbook.support.markdown_text import md

FONT_PX = 12
TEXT = f'fill="currentColor" font-family="sans-serif" font-size="{FONT_PX}"'
CHAR_PX = 7.2
"""A generous average advance of a 12 px sans-serif character: boxes sized with it never cut a label."""
CLASS_COLOURS = ["#3f51b5", "#00897b", "#c2185b", "#ef6c00", "#6d4c41", "#546e7a"]
TONES = {
    "overdue": ("--ob-overdue", "#b00020"),
    "fresh": ("--ob-fresh", "#1b5e20"),
    "stale": ("--ob-stale", "#8a4b00"),
    "warn": ("--ob-warn", "#7a2e00"),
    "neutral": ("--ob-chart-neutral", "#546e7a"),
    **{f"class-{k}": (f"--ob-chart-{k}", colour) for k, colour in enumerate(CLASS_COLOURS)},
}
"""Each tone's CSS variable and the light-scheme colour used when the stylesheet is missing."""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def colour(tone: str) -> str:
    variable, fallback = TONES[tone]
    return f"var({variable}, {fallback})"


def class_tone(position: int) -> str:
    return f"class-{position % len(CLASS_COLOURS)}"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float]
    tone: str


def ticks(peak: float, *, whole: bool, most: int = 4) -> list[float]:
    """0 and up to `most` evenly spaced round values reaching at least `peak`; whole numbers only when
    `whole` (counts are never labelled 1.5)."""
    if peak <= 0:
        return [0.0, 1.0]
    raw = peak / most
    magnitude = 10 ** math.floor(math.log10(raw))
    multipliers = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multipliers if m * magnitude >= raw)
    if whole:
        step = max(1, round(step))
    return [float(f"{step * i:.10g}") for i in range(math.ceil(peak / step - 1e-9) + 1)]


def _open(height: int, label: str) -> str:
    """Charts are hidden from assistive technology: the caption and the table below carry the data."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" class="ob-chart__svg" '
        f'aria-hidden="true"><title>{_e(label)}</title>'
    )


def _legend(series: Sequence[Series]) -> str:
    """HTML, so it wraps on a phone; the table carries the same names for assistive technology."""
    items = "".join(
        f'<li><span class="ob-legend__swatch" style="background:{colour(s.tone)}"></span>{_e(s.name)}</li>'
        for s in series
    )
    return f'<ul class="ob-legend" aria-hidden="true">{items}</ul>'


def _label(x: str, y: float, text: str, *, extra: str = "") -> str:
    lines = text.split("\n")
    spans = _e(lines[0]) + "".join(f'<tspan x="{x}" dy="{FONT_PX + 2}">{_e(line)}</tspan>' for line in lines[1:])
    return f'<text x="{x}" y="{y:.1f}" text-anchor="middle" {TEXT}{extra}>{spans}</text>'


LEFT, RIGHT = 10.0, 99.0
"""The plot's horizontal extent in percent of the chart's width: the axis labels sit left of it."""


def _grid(marks: Sequence[float], top: int, plot_h: int, unit: str) -> str:
    parts = []
    for value in marks:
        y = top + plot_h - plot_h * value / marks[-1]
        opacity = ".5" if value == 0 else ".15"
        parts.append(
            f'<line x1="{LEFT}%" y1="{y:.1f}" x2="{RIGHT}%" y2="{y:.1f}" stroke="currentColor" '
            f'stroke-opacity="{opacity}"/>'
            f'<text x="{LEFT}%" dx="-5" y="{y + 4:.1f}" text-anchor="end" {TEXT}>{value:g}{unit}</text>'
        )
    return "".join(parts)


def _x_labels(labels: Sequence[str], centres: Sequence[float], y: float) -> str:
    """Every label on a wide chart; on a narrow one every other, always keeping the latest."""
    last = len(labels) - 1
    return "".join(
        _label(
            f"{x:.2f}%",
            y,
            name,
            extra=' class="ob-chart__minor"' if len(labels) > 6 and (last - i) % 2 else "",
        )
        for i, (name, x) in enumerate(zip(labels, centres, strict=True))
    )


def column_chart(labels: Sequence[str], series: Sequence[Series], *, label: str) -> str:
    """Stacked vertical bars of counts, one column per label, on a whole-number axis."""
    top, plot_h = 12, 170
    base = top + plot_h
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    marks = ticks(max(totals, default=0), whole=True)
    peak = marks[-1]
    slot = (RIGHT - LEFT) / max(len(labels), 1)
    parts = [_open(base + 24, label), _grid(marks, top, plot_h, "")]
    for i, name in enumerate(labels):
        below = 0.0
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            bar_h = plot_h * value / peak
            below += bar_h
            parts.append(
                f'<rect x="{LEFT + i * slot + slot * 0.15:.2f}%" y="{base - below:.1f}" width="{slot * 0.7:.2f}%" '
                f'height="{bar_h:.1f}" style="fill:{colour(s.tone)}"><title>{_e(f"{name} · {s.name}: {value:g}")}'
                f"</title></rect>"
            )
    parts.append(_x_labels(labels, [LEFT + (i + 0.5) * slot for i in range(len(labels))], base + 17))
    parts.append("</svg>")
    return "".join(parts) + _legend(series)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, label: str, unit: str) -> str:
    """Values over time; a label may hold a second line after a newline (the year under the month)."""
    top, plot_h = 12, 170
    base = top + plot_h
    present = [v for s in series for v in s.values if v == v]  # NaN is a missing value
    marks = ticks(max(present, default=0), whole=False)
    peak = marks[-1]
    step = (RIGHT - LEFT - 4) / max(len(labels) - 1, 1)
    xs = [LEFT + 2 + i * step for i in range(len(labels))]
    parts = [_open(base + 40, label), _grid(marks, top, plot_h, f" {unit}")]
    for s in series:
        fill = colour(s.tone)
        points = [(xs[i], base - plot_h * v / peak, v) for i, v in enumerate(s.values) if v == v]
        for (x1, y1, _), (x2, y2, _) in itertools.pairwise(points):
            parts.append(
                f'<line x1="{x1:.2f}%" y1="{y1:.1f}" x2="{x2:.2f}%" y2="{y2:.1f}" style="stroke:{fill}" '
                f'stroke-width="2.5"/>'
            )
        for x, y, value in points:
            parts.append(
                f'<circle cx="{x:.2f}%" cy="{y:.1f}" r="4" style="fill:{fill}">'
                f"<title>{_e(f'{s.name}: {value:g} {unit}')}</title></circle>"
            )
    parts.append(_x_labels(labels, xs, base + 17))
    parts.append("</svg>")
    return "".join(parts) + _legend(series)


def bar_rows(labels: Sequence[str], series: Sequence[Series], *, label: str) -> str:
    """Horizontal bars, one group per label with the label on its own line above them, so long names
    and the value at the end of each bar read on a phone."""
    bar_h, pitch, label_h, gap = 12, 16, 18, 10
    peak = max((v for s in series for v in s.values), default=0) or 1
    widest = 60.0  # percent of the width: room after the longest bar for its value and name
    row_h = label_h + pitch * len(series) + gap
    parts = [_open(row_h * len(labels), label)]
    for i, name in enumerate(labels):
        y = i * row_h
        shown = name if len(name) <= 40 else name[:39] + "…"
        parts.append(f'<text x="0" y="{y + 13}" {TEXT} font-weight="bold">{_e(shown)}<title>{_e(name)}</title></text>')
        for k, s in enumerate(series):
            value = s.values[i]
            top = y + label_h + k * pitch
            width = widest * value / peak
            if value > 0:
                parts.append(
                    f'<rect x="0" y="{top}" width="{width:.2f}%" height="{bar_h}" style="fill:{colour(s.tone)}">'
                    f"<title>{_e(f'{name} · {s.name}: {value:g}')}</title></rect>"
                )
            parts.append(f'<text x="{width:.2f}%" dx="5" y="{top + 10}" {TEXT}>{value:g} {_e(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts) + _legend(series)


@dataclass(frozen=True, slots=True)
class GraphNode:
    key: str
    label: str
    href: str
    column: int


def _text_width(labels: Sequence[str], least: float) -> float:
    return math.ceil(max([least, *(len(text) * CHAR_PX + 16 for text in labels)]))


def link_graph(
    columns: Sequence[str],
    runbooks: Sequence[GraphNode],
    incidents: Sequence[GraphNode],
    edges: Sequence[tuple[str, str, str]],
    *,
    label: str,
) -> str:
    """Incidents along the top, runbooks in one column per failure class; `edges` are (from, to, kind);
    a node's `href` is a Markdown link target (a `.md` path). Markdown for an element with
    `markdown="span"` (md_in_html).

    Drawn at its natural size (text at 12 px, boxes as wide as their whole id); the page scrolls it
    sideways rather than shrinking it. The SVG draws only the lines: the boxes are Markdown links laid
    over it, so every engine rewrites and checks them like any other link, crawlers follow them, and
    Material's instant navigation handles them (it assigns `href` on every linked element, and an SVG
    `<a>`'s `href` is read-only: a TypeError on each page load)."""
    box_h, gap = 28, 8
    column_w = _text_width([n.label for n in runbooks] + list(columns), 160) + 20
    incident_w = _text_width([n.label for n in incidents], 140)
    width = 20 + column_w * max(len(columns), 1)
    per_row = max(1, int((width - 20) // (incident_w + 10)))
    incident_rows = (len(incidents) + per_row - 1) // per_row
    runbook_top = 44 + incident_rows * (box_h + gap) + 60
    tallest = max((sum(1 for r in runbooks if r.column == c) for c in range(len(columns))), default=0)
    height = runbook_top + tallest * (box_h + gap) + 20
    centre: dict[str, tuple[float, float, float]] = {}
    boxes = [_place("ob-graph__heading", 10, 12, width - 20, "Incidents")]
    for i, node in enumerate(incidents):
        x = 10 + (i % per_row) * (incident_w + 10)
        y = 40 + (i // per_row) * (box_h + gap)
        centre[node.key] = (x + incident_w / 2, y, y + box_h)
        boxes.append(_node(node, x, y, incident_w, box_h, "neutral"))
    boxes += [
        _place("ob-graph__heading", 10 + c * column_w, runbook_top - 28, column_w - 20, name)
        for c, name in enumerate(columns)
    ]
    rows = [0] * len(columns)
    for node in runbooks:
        x = 10 + node.column * column_w
        y = runbook_top + rows[node.column] * (box_h + gap)
        rows[node.column] += 1
        centre[node.key] = (x + (column_w - 20) / 2, y, y + box_h)
        boxes.append(_node(node, x, y, column_w - 20, box_h, class_tone(node.column)))
    lines = []
    for source, target, kind in edges:
        if source not in centre or target not in centre:
            continue
        (x1, _, bottom1), (x2, top2, _) = centre[source], centre[target]
        dash = ' stroke-dasharray="5 4"' if kind == "related" else ""
        lines.append(
            f'<path d="M{x1:.1f},{bottom1:.1f} C{x1:.1f},{bottom1 + 40:.1f} {x2:.1f},{top2 - 40:.1f} '
            f'{x2:.1f},{top2:.1f}" fill="none" stroke="currentColor" stroke-opacity=".45"{dash}/>'
        )
    return (
        f'<div class="ob-graph__canvas" role="group" aria-label="{_e(label)}" '
        f'style="width:{width:.0f}px;height:{height}px" markdown="span">'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height}" width="{width:.0f}" '
        f'height="{height}" aria-hidden="true">{"".join(lines)}</svg>{"".join(boxes)}</div>'
    )


def _place(css_class: str, x: float, y: float, w: float, content: str) -> str:
    return f'<span class="{css_class}" style="left:{x:.0f}px;top:{y:.0f}px;width:{w:.0f}px">{md(content)}</span>'


def _node(node: GraphNode, x: float, y: float, w: float, h: float, tone: str) -> str:
    style = f"left:{x:.0f}px;top:{y:.0f}px;width:{w:.0f}px;height:{h:.0f}px;--ob-tone:{colour(tone)}"
    return f'[{md(node.label)}](<{node.href}>){{: .ob-graph__node style="{style}" }}'
