"""The SVG drawn for the metrics page and the runbook graph, read as XML: round whole-number axes for
counts, text set in pixels with no viewBox to shrink it, overdue in the overdue badges' colour, and graph
boxes that carry whole ids behind plain `href` links."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown
import pytest

from opsbook.site.render.svg import (
    CHAR_PX,
    FONT_PX,
    GraphNode,
    Series,
    bar_rows,
    column_chart,
    line_chart,
    link_graph,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The chart's SVG element (a chart is followed by its HTML legend)."""
    return ET.fromstring(markup[: markup.index("</svg>") + len("</svg>")])


@pytest.mark.parametrize(
    ("peak", "expected"),
    [(0, [0, 1]), (1, [0, 1]), (3, [0, 1, 2, 3]), (6, [0, 2, 4, 6]), (12, [0, 5, 10, 15]), (101, [0, 50, 100, 150])],
)
def test_count_ticks_are_round_whole_numbers_reaching_the_peak(peak: int, expected: list[int]) -> None:
    assert ticks(peak, whole=True) == expected


def test_count_ticks_are_never_fractions() -> None:
    for peak in range(1, 300):
        marks = ticks(peak, whole=True)
        assert all(mark == int(mark) for mark in marks) and marks[-1] >= peak and len(marks) <= 6


def test_time_ticks_may_be_fractions_but_are_round() -> None:
    assert ticks(46.75, whole=False) == [0, 20, 40, 60]
    assert ticks(0.9, whole=False) == [0, 0.25, 0.5, 0.75, 1]


def test_column_chart_axis_is_labelled_with_whole_numbers() -> None:
    svg = parse(
        column_chart(
            ["W45", "W46", "W47"], [Series("a", [1, 0, 2], "class-0"), Series("b", [0, 1, 1], "class-1")], label="x"
        )
    )
    axis = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert axis == ["0", "1", "2", "3"]


def charts() -> list[str]:
    series = [Series("on time", [3, 1], "neutral"), Series("overdue", [1, 0], "overdue")]
    return [
        column_chart(["W46", "W47"], series, label="columns"),
        line_chart(["Sep\n2026", "Oct"], series, label="lines", unit="h"),
        bar_rows(["platform", "payments"], series, label="bars"),
    ]


@pytest.mark.parametrize("markup", charts(), ids=["column", "line", "bars"])
def test_chart_text_is_set_in_pixels_that_no_viewbox_scales(markup: str) -> None:
    svg = parse(markup)
    assert svg.get("viewBox") is None and svg.get("width") == "100%"
    sizes = {t.get("font-size") for t in svg.iter(f"{SVG}text")}
    assert sizes == {str(FONT_PX)} and FONT_PX >= 11


@pytest.mark.parametrize("markup", charts(), ids=["column", "line", "bars"])
def test_overdue_is_filled_with_the_overdue_badge_variable(markup: str) -> None:
    svg = parse(markup)
    overdue = [
        shape.get("style", "")
        for shape in svg.iter()
        if shape.tag in (f"{SVG}rect", f"{SVG}circle") and "overdue:" in (shape.findtext(f"{SVG}title") or "")
    ]
    assert overdue and all(style.startswith("fill:var(--ob-overdue,") for style in overdue)
    assert '<span class="ob-legend__swatch" style="background:var(--ob-overdue, #b00020)"></span>overdue' in markup


def test_graph_boxes_are_markdown_links_over_an_svg_of_lines_with_whole_ids() -> None:
    """Markdown links: every engine rewrites them to its URLs and checks them, as in any other page."""
    long_id = "provider-key-missing-in-production-after-a-rotation"
    incident_id = "2026-11-17-webhook-secret-test-mode"
    markup = link_graph(
        ["Auth drift", "Fallback"],
        [GraphNode(long_id, long_id, "runbooks/a.md", 0), GraphNode("rb-f", "rb-f", "runbooks/f.md", 1)],
        [GraphNode(incident_id, incident_id, "incidents/i.md", 0)],
        [(incident_id, long_id, "used"), (long_id, "rb-f", "related")],
        label="graph",
    )
    assert "xlink" not in markup
    html = markdown.markdown(f'<div markdown="1">{markup}</div>', extensions=["md_in_html", "attr_list"])
    canvas = ET.fromstring(html).find("div")
    assert canvas is not None
    svg = canvas.find(f"{SVG}svg")
    assert svg is not None and svg.get("aria-hidden") == "true" and svg.find(f".//{SVG}a") is None
    assert len(svg.findall(f"{SVG}path")) == 2
    links = canvas.findall("a")
    assert [(a.get("href"), a.text) for a in links] == [
        ("incidents/i.md", incident_id),
        ("runbooks/a.md", long_id),
        ("runbooks/f.md", "rb-f"),
    ]
    for a in links:
        width = float(re.search(r"width:(\d+)px", a.get("style", "")).group(1))  # type: ignore[union-attr]
        assert len(a.text or "") * CHAR_PX + 16 <= width
