"""Metric charts and the runbook graph in a real browser, on a phone (390x844) and on the screen of the
weekly review (1366x900), light and dark: text at 11 px or more as rendered, no sideways page scroll,
whole-number count axes, overdue in the colour of the overdue badges, the change against the previous
30 days, and graph links a crawler follows."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.kbfactory import incident, make_kb, runbook, write
from tests.site.conftest import LIGHT_AND_DARK, build_site, serve, site_config

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
LONG_ID = "provider-key-missing-in-production-after-a-rotation"
OWNER = "payments-and-billing-platform-team"
MKDOCS = site_config("Charts", LIGHT_AND_DARK)


def timed(record_id: str, severity: str, minutes: dict[str, int], **overrides: object) -> dict[str, object]:
    """An incident started at 10:00 on the day of its id, its other timestamps `minutes` after that."""
    day = record_id[:10]
    stamps = {"started": f"{day}T10:00:00Z"}
    for name, offset in minutes.items():
        stamps[name] = f"{day}T{10 + offset // 60:02d}:{offset % 60:02d}:00Z"
    return incident(record_id, severity=severity, timestamps=stamps, **overrides)


def item(item_id: str, **fields: object) -> dict[str, object]:
    return {"id": item_id, "title": f"Do {item_id}", "type": "add-p0-test", "owner": OWNER, "priority": "P1", **fields}


# Today is 2026-11-25 (conftest's OPSBOOK_TODAY): the last 30 days are 2026-10-27 to 2026-11-25, the 30
# before them 2026-09-27 to 2026-10-26. Three incidents in the first (all in week 47, so the weekly axis
# tops at 3), one in the second, one before both.
STAGES = {"detected": 5, "acknowledged": 6}
INCIDENTS = [
    timed(
        "2026-11-17-webhook-secret",
        "SEV2",
        {**STAGES, "mitigated": 60, "resolved": 120},
        action_items=[item("open-on-time", due="2026-12-15"), item("late-one", due="2026-11-20")],
    ),
    timed("2026-11-18-second", "SEV1", {**STAGES, "mitigated": 30, "resolved": 60}, action_items=[item("b")]),
    timed("2026-11-19-third", "SEV3", {**STAGES, "mitigated": 90, "resolved": 180}, action_items=[item("c")]),
    timed(
        "2026-10-05-before",
        "SEV3",
        {**STAGES, "mitigated": 20, "resolved": 30},
        action_items=[item("done-one", status="done", closed="2026-10-20")],
    ),
    timed("2026-08-03-long-ago", "SEV3", {**STAGES, "mitigated": 20, "resolved": 30}, action_items=[]),
]
COMPARISON = [
    ["Incidents", "3", "1", "+2 (more)"],
    ["SEV1 and SEV2 incidents", "2", "0", "+2 (more)"],
    ["Median time to mitigate", "1 h 00 min", "20 min", "+40 min (slower)"],
    ["Median time to resolve", "2 h 00 min", "30 min", "+1 h 30 min (slower)"],
    ["Action items opened", "4", "1", "+3 (more)"],
    ["Action items closed", "0", "1", "\u22121 (fewer)"],
]


@pytest.fixture(scope="module")
def chart_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_kb(tmp_path_factory.mktemp("charts"), incidents=INCIDENTS)
    write(
        root / "runbooks/auth-drift" / f"{LONG_ID}.yaml",
        runbook(LONG_ID, "auth-drift", related=["rb-auth-drift", "rb-fallback"]),
    )
    write(root / "mkdocs.yml", MKDOCS)
    (root / "docs").mkdir()
    return build_site(root, root / "site")


@pytest.fixture(scope="module")
def chart_url(chart_site: Path) -> Iterator[str]:
    yield from serve(chart_site)


def open_page(browser: Browser, url: str, path: str, viewport: dict[str, int], scheme: str = "light") -> Page:
    """The page loaded without a console error or an uncaught exception."""
    context: BrowserContext = browser.new_context(base_url=url, viewport=viewport, color_scheme=scheme)  # type: ignore[arg-type]
    page, errors = context.new_page(), []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.goto(path).ok
    page.wait_for_load_state("networkidle")
    assert errors == []
    return page


RENDERED_TEXT = """() => [...document.querySelectorAll(
    'article svg text, article .ob-legend li, article .ob-graph__node, article .ob-graph__heading')]
  .filter(t => t.getClientRects().length > 0)
  .map(t => {
    const size = parseFloat(getComputedStyle(t).fontSize);
    const m = t.getScreenCTM ? t.getScreenCTM() : null;
    return [t.textContent, size * (m ? Math.hypot(m.a, m.b) : 1)];
  })"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["/metrics/", "/graph/"])
def test_chart_and_graph_text_is_at_least_11_px_and_the_page_does_not_scroll_sideways(
    browser: Browser, chart_url: str, path: str, viewport: dict[str, int]
) -> None:
    page = open_page(browser, chart_url, path, viewport)
    sizes = page.evaluate(RENDERED_TEXT)
    assert len(sizes) > 10
    small = [(text, size) for text, size in sizes if size < 11]
    assert small == []
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.context.close()


def test_count_axis_is_labelled_with_whole_numbers_only(browser: Browser, chart_url: str) -> None:
    page = open_page(browser, chart_url, "/metrics/", PHONE)
    weekly = page.locator("figure.ob-chart svg", has=page.locator("title", has_text="Incidents per week"))
    axis = weekly.locator("text[text-anchor='end']").all_text_contents()
    assert axis == ["0", "1", "2", "3"]
    page.context.close()


def test_narrow_chart_labels_every_other_week_without_overlap(browser: Browser, chart_url: str) -> None:
    page = open_page(browser, chart_url, "/metrics/", PHONE)
    weekly = page.locator("figure.ob-chart svg", has=page.locator("title", has_text="Incidents per week"))
    boxes = weekly.evaluate(
        """svg => [...svg.querySelectorAll("text[text-anchor='middle']")]
             .filter(t => t.getClientRects().length > 0)
             .map(t => [t.textContent, t.getBoundingClientRect().left, t.getBoundingClientRect().right])"""
    )
    assert boxes[-1][0] == "W47" and len(boxes) == 6
    for (_, _, left_end), (_, right_start, _) in itertools.pairwise(boxes):
        assert left_end < right_start
    page.context.close()


def rgb(css: str) -> tuple[float, ...]:
    return tuple(float(n) for n in re.findall(r"[\d.]+", css)[:3])


def luminance(colour: tuple[float, ...]) -> float:
    linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_overdue_is_drawn_in_the_colour_of_the_overdue_badges(browser: Browser, chart_url: str, scheme: str) -> None:
    page = open_page(browser, chart_url, "/incidents/2026/2026-11-17-webhook-secret/", DESKTOP, scheme)
    badge = page.locator(".ob-badge--overdue").first.evaluate("b => getComputedStyle(b).color")
    page.goto("/metrics/")
    background = page.evaluate("getComputedStyle(document.querySelector('.md-main')).backgroundColor")
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page_colour = rgb(background if "rgba(0, 0, 0, 0)" not in background else body)
    overdue = page.locator("svg rect", has=page.locator("title", has_text=re.compile(r"overdue: \d")))
    assert overdue.count() == 1
    fill = overdue.evaluate("r => getComputedStyle(r).fill")
    assert rgb(fill) == rgb(badge)
    assert contrast(rgb(fill), page_colour) >= 4.5
    for series in page.locator("figure.ob-chart svg rect").all():
        assert contrast(rgb(series.evaluate("r => getComputedStyle(r).fill")), page_colour) >= 3
    page.context.close()


def test_metrics_page_compares_the_last_30_days_with_the_30_before(browser: Browser, chart_url: str) -> None:
    page = open_page(browser, chart_url, "/metrics/", PHONE)
    table = page.locator("h2#last-30-days-against-the-30-before ~ .md-typeset__scrollwrap table").first
    header = table.locator("th").all_text_contents()
    assert header == ["Measure", "2026-10-27 to 2026-11-25", "2026-09-27 to 2026-10-26", "Change"]
    rows = [row.locator("td").all_text_contents() for row in table.locator("tbody tr").all()]
    assert rows == COMPARISON
    page.context.close()


def test_graph_links_are_plain_href_links_with_whole_ids(browser: Browser, chart_url: str, chart_site: Path) -> None:
    html = (chart_site / "graph/index.html").read_text()
    assert "xlink" not in html
    page = open_page(browser, chart_url, "/graph/", PHONE)
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.ob-graph a')].map(a => ({
             href: a.getAttribute('href'), text: a.textContent, inSvg: a.closest('svg') !== null,
             fits: a.scrollWidth <= a.clientWidth }))"""
    )
    assert {box["text"] for box in boxes} >= {LONG_ID, "rb-fallback", "2026-11-17-webhook-secret"}
    for box in boxes:
        assert box["href"] and not box["inSvg"] and box["fits"], box
    assert f'href="../runbooks/auth-drift/{LONG_ID}/"' in html  # in the HTML a crawler reads
    page.locator(".ob-graph a", has_text=LONG_ID).click()
    page.wait_for_url(f"**/runbooks/auth-drift/{LONG_ID}/")
    page.context.close()


def exactly(text: str) -> re.Pattern[str]:
    """Matches an element whose whole text is `text` (the site's script splits inline code into spans)."""
    return re.compile(f"^{re.escape(text)}$")


def test_graph_scrolls_inside_its_figure_and_lists_links_by_class_on_a_phone(browser: Browser, chart_url: str) -> None:
    page = open_page(browser, chart_url, "/graph/", PHONE)
    scroller = page.locator(".ob-graph__scroll")
    assert scroller.evaluate("s => s.scrollWidth > s.clientWidth")
    assert scroller.get_attribute("tabindex") == "0" and scroller.get_attribute("aria-label")
    entry = page.locator("h3#auth-drift + ul > li", has=page.locator("code", has_text=exactly(LONG_ID)))
    assert entry.locator("a").first.get_attribute("href") == f"../runbooks/auth-drift/{LONG_ID}/"
    assert entry.locator("li", has_text="Related:").locator("a").all_text_contents() == ["rb-auth-drift", "rb-fallback"]
    used = page.locator("h3#auth-drift + ul > li", has=page.locator("code", has_text=exactly("rb-auth-drift")))
    assert "2026-11-17-webhook-secret (yes)" in used.locator("li", has_text="Used by:").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.context.close()
