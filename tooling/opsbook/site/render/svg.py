"""Static SVG drawn at build time: the runbook graph and the metrics charts. No JavaScript, no fonts,
colours from the theme's CSS variables so light and dark schemes both read."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

PALETTE = ["#3f51b5", "#00897b", "#c2185b", "#ef6c00", "#6d4c41", "#546e7a"]
TEXT = 'fill="currentColor" font-family="sans-serif"'


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _open(width: int, height: int, label: str, *, interactive: bool = False) -> str:
    """Charts are hidden from assistive technology (the caption and the table carry the data); the graph
    holds links, so it stays a labelled group."""
    access = f'role="group" aria-label="{_e(label)}"' if interactive else 'aria-hidden="true"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {access}><title>{_e(label)}</title>'
    )


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float]


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, label: str, stacked: bool = True) -> str:
    """Stacked (or grouped) vertical bars, one group per label, with a legend."""
    width, height, left, bottom, top = 720, 300, 48, 56, 16
    plot_w, plot_h = width - left - 16, height - top - bottom
    totals = [
        sum(s.values[i] for s in series) if stacked else max((s.values[i] for s in series), default=0)
        for i in range(len(labels))
    ]
    peak = max(totals, default=0) or 1
    slot = plot_w / max(len(labels), 1)
    parts = [_open(width, height, label), _axis(left, top, plot_w, plot_h, peak)]
    for i, name in enumerate(labels):
        x0 = left + i * slot + slot * 0.15
        bar_w = slot * 0.7 / (1 if stacked else max(len(series), 1))
        base = 0.0
        for k, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            bar_h = plot_h * value / peak
            x = x0 if stacked else x0 + k * bar_w
            y = top + plot_h - bar_h - (plot_h * base / peak if stacked else 0)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{_e(f"{name} · {s.name}: {value:g}")}</title></rect>'
            )
            if stacked:
                base += value
        parts.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="middle" {TEXT}>{_e(name)}</text>'
        )
    parts.append(_legend([s.name for s in series], left, height - 22))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, label: str, unit: str) -> str:
    width, height, left, bottom, top = 720, 280, 56, 56, 16
    plot_w, plot_h = width - left - 16, height - top - bottom
    peak = max((v for s in series for v in s.values), default=0) or 1
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_open(width, height, label), _axis(left, top, plot_w, plot_h, peak, unit)]
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [
            (left + i * step, top + plot_h - plot_h * v / peak)
            for i, v in enumerate(s.values)
            if v == v  # not NaN
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), value in zip(points, [v for v in s.values if v == v], strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{_e(f'{s.name}: {value:g} {unit}')}</title></circle>"
            )
    for i, name in enumerate(labels):
        parts.append(
            f'<text x="{left + i * step:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle" '
            f"{TEXT}>{_e(name)}</text>"
        )
    parts.append(_legend([s.name for s in series], left, height - 22))
    parts.append("</svg>")
    return "".join(parts)


def _axis(left: int, top: int, plot_w: float, plot_h: float, peak: float, unit: str = "") -> str:
    lines = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="currentColor" '
        f'stroke-opacity=".5"/>'
    ]
    for fraction in (0.5, 1.0):
        y = top + plot_h - plot_h * fraction
        lines.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="currentColor" '
            f'stroke-opacity=".15"/><text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f"{TEXT}>{peak * fraction:g}{(' ' + unit) if unit else ''}</text>"
        )
    return "".join(lines)


def _legend(names: Sequence[str], x: int, y: int) -> str:
    parts = []
    offset = 0
    for k, name in enumerate(names):
        parts.append(
            f'<rect x="{x + offset}" y="{y}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + offset + 14}" y="{y + 9}" font-size="11" {TEXT}>{_e(name)}</text>'
        )
        offset += 24 + 7 * len(name)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class GraphNode:
    key: str
    label: str
    href: str
    column: int


def link_graph(
    columns: Sequence[str],
    runbooks: Sequence[GraphNode],
    incidents: Sequence[GraphNode],
    edges: Sequence[tuple[str, str, str]],
    *,
    label: str,
) -> str:
    """Incidents along the top, runbooks in one column per failure class; `edges` are (from, to, kind)."""
    column_w, box_h, gap = 230, 26, 8
    width = 20 + column_w * len(columns)
    per_row = max(1, (width - 20) // 150)
    incident_rows = (len(incidents) + per_row - 1) // per_row
    runbook_top = 60 + incident_rows * (box_h + gap) + 60
    tallest = max((sum(1 for r in runbooks if r.column == c) for c in range(len(columns))), default=0)
    height = runbook_top + tallest * (box_h + gap) + 20
    centre: dict[str, tuple[float, float, float]] = {}
    boxes: list[str] = []
    for i, node in enumerate(incidents):
        x = 10 + (i % per_row) * 150
        y = 40 + (i // per_row) * (box_h + gap)
        centre[node.key] = (x + 70, y, y + box_h)
        boxes.append(_box(node, x, y, 140, box_h, "#78909c"))
    rows = [0] * len(columns)
    for node in runbooks:
        x = 10 + node.column * column_w
        y = runbook_top + rows[node.column] * (box_h + gap)
        rows[node.column] += 1
        centre[node.key] = (x + (column_w - 20) / 2, y, y + box_h)
        boxes.append(_box(node, x, y, column_w - 20, box_h, PALETTE[node.column % len(PALETTE)]))
    lines = []
    for source, target, kind in edges:
        if source not in centre or target not in centre:
            continue
        (x1, _, bottom1), (x2, top2, _) = centre[source], centre[target]
        dash = ' stroke-dasharray="4 3"' if kind == "related" else ""
        lines.append(
            f'<path d="M{x1:.1f},{bottom1:.1f} C{x1:.1f},{bottom1 + 40:.1f} {x2:.1f},{top2 - 40:.1f} '
            f'{x2:.1f},{top2:.1f}" fill="none" stroke="currentColor" stroke-opacity=".35"{dash}/>'
        )
    headers = "".join(
        f'<text x="{10 + c * column_w}" y="{runbook_top - 12}" font-size="12" font-weight="bold" {TEXT}>'
        f"{_e(name)}</text>"
        for c, name in enumerate(columns)
    )
    top_header = f'<text x="10" y="28" font-size="12" font-weight="bold" {TEXT}>Incidents</text>'
    return (
        _open(width, height, label, interactive=True)
        + top_header
        + headers
        + "".join(lines)
        + "".join(boxes)
        + "</svg>"
    )


def _box(node: GraphNode, x: float, y: float, w: float, h: float, colour: str) -> str:
    text = node.label if len(node.label) <= int(w / 6.2) else node.label[: int(w / 6.2) - 1] + "…"
    return (
        f'<a xlink:href="{_e(node.href)}"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h}" rx="4" '
        f'fill="{colour}" fill-opacity=".14" stroke="{colour}"/><text x="{x + 6:.1f}" y="{y + 17:.1f}" '
        f'font-size="11" {TEXT}>{_e(text)}</text><title>{_e(node.label)}</title></a>'
    )
