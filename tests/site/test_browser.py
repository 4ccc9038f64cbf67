"""The built site in a real browser: search, navigation, the symptom box, incidents, mobile, offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.site.conftest import ROOT

pytestmark = pytest.mark.browser

SIGNATURE = "No signatures found matching the expected signature for payload"


def search(page: Page, text: str) -> None:
    page.goto("/")
    page.keyboard.press("/")
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(text, delay=15)


def test_pasting_a_signature_into_search_finds_its_runbook_first(page: Page) -> None:
    search(page, SIGNATURE)
    first = page.locator(".md-search-result__item .md-search-result__link").first
    expect(first).to_have_attribute(
        "href", re.compile(r"runbooks/auth-drift/webhook-secret-wrong-environment/"), timeout=15_000
    )
    first.click()
    expect(page).to_have_url(re.compile(r"/runbooks/auth-drift/webhook-secret-wrong-environment/"))
    expect(page.locator("h2#mitigate")).to_be_visible()
    expect(page.locator("h2#mitigate + ol > li").first).to_be_visible()


def test_home_to_class_to_runbook(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Fallback & failover").first.click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Fallback & failover"))
    page.locator("article").get_by_role("link", name=re.compile("^Retry storm")).first.click()
    expect(page).to_have_url(re.compile(r"/runbooks/fallback/retry-storm/"))
    expect(page.locator(".admonition.approval").first).to_contain_text("Approval required")


def ask(page: Page, text: str) -> None:
    page.locator("#ob-symptom").fill(text)
    page.get_by_role("button", name="Find runbooks").click()


def test_symptom_box_ranks_in_the_browser_and_links_to_the_runbook(page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/")
    ask(page, "Error: listen EADDRINUSE: address already in use :::3000")
    first = page.locator(".ob-triage__results li a").first
    expect(first).to_contain_text("port already in use")
    expect(page.locator(".ob-triage__verdict")).to_contain_text("Failure class: Stale deploy & caches")
    expect(page.locator(".ob-triage__verdict")).not_to_contain_text("stale-deploy")
    assert any(url.endswith("/api/triage.json") for url in requested)
    assert not any("knowledge-base.json" in url for url in requested)
    first.click()
    expect(page).to_have_url(re.compile(r"/runbooks/stale-deploy/stale-dev-server-port-in-use/"))


def test_symptom_box_lists_what_resolved_the_incidents_seen_before(page: Page) -> None:
    page.goto("/")
    ask(page, "litellm.AuthenticationError: Missing Anthropic API Key - fallback call failed")
    past = page.locator(".ob-triage__seen li").first
    expect(past).to_contain_text("2026-10-07 · SEV1")
    expect(past).to_contain_text("Resolved: Added ANTHROPIC_API_KEY")
    past.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/incidents/2026/2026-10-07-anthropic-fallback-key-missing-in-proxy/"))


def test_symptom_box_says_plainly_when_it_is_unsure(page: Page) -> None:
    page.goto("/")
    ask(page, "something changed after the deploy and the site looks different")
    expect(page.locator(".ob-triage__verdict--unsure")).to_contain_text("Unsure: maybe Stale deploy & caches")


def test_symptom_box_says_so_when_nothing_fits(page: Page) -> None:
    page.goto("/")
    ask(page, "The settings page is unreadable in dark mode")
    expect(page.locator(".ob-triage__verdict")).to_contain_text("No failure class")
    expect(page.locator(".ob-triage__results li")).to_have_count(0)


def test_incident_page_shows_its_overdue_action_item(page: Page) -> None:
    page.goto("/incidents/2026/2026-11-11-retry-storm-on-openai-429/")
    row = page.locator("tr", has_text="Give the summary worker its own LiteLLM virtual key")
    expect(row.locator(".ob-badge--overdue")).to_have_text("Overdue")
    expect(page.locator("h2#timeline")).to_be_visible()


def test_incidents_are_reached_from_index_pages_not_the_sidebar(page: Page) -> None:
    page.goto("/incidents/")
    expect(page.locator(".md-sidebar--primary")).not_to_contain_text("Retry storm hit OpenAI")
    page.locator("article").get_by_role("link", name="SEV1").click()
    expect(page.locator("article table")).to_contain_text("SEV1")


def test_metrics_charts_are_visible_with_text_alternatives(page: Page) -> None:
    page.goto("/metrics/")
    figures = page.locator("figure.ob-chart")
    expect(figures).to_have_count(4)
    for index in range(4):
        figure = figures.nth(index)
        expect(figure.locator("svg")).to_be_visible()
        expect(figure.locator("figcaption")).not_to_be_empty()
        assert figure.evaluate(
            "f => f.nextElementSibling.querySelector('table') !== null || f.nextElementSibling.tagName === 'TABLE'"
        )
    expect(page.locator("article table").first).to_contain_text("Total")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/runbooks/fallback/retry-storm/",
        "/incidents/2026/2026-11-11-retry-storm-on-openai-429/",
        "/metrics/",
        "/graph/",
    ],
)
def test_phone_viewport_has_no_horizontal_scroll_or_console_errors(browser: Browser, base_url: str, path: str) -> None:
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page, errors = context.new_page(), []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.goto(path).ok
    page.wait_for_load_state("networkidle")
    expect(page.locator("label.md-header__button[for='__drawer']")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0 and errors == []
    context.close()


def test_no_script_holds_back_the_first_paint(site_dir: Path) -> None:
    """Material's bundle and opsbook.js are deferred: they run once the page is parsed, in their order."""
    for page in ["index.html", "runbooks/fallback/retry-storm/index.html"]:
        scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", (site_dir / page).read_text(encoding="utf-8"))
        assert len(scripts) >= 2 and all(" defer" in tag for tag in scripts), scripts


def test_no_request_leaves_localhost(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url)
    page, outside = context.new_page(), []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None
        ),
    )
    for path in ["/", "/runbooks/fallback/retry-storm/", "/incidents/", "/metrics/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    search(page, "rate limit")
    page.wait_for_timeout(500)
    assert outside == []
    context.close()


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[Page]:
    """A phone at 390 x 844 CSS pixels, as the on-call engineer holds it at 3 a.m."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


TOKEN_BREAKS = """() => {
  /* Every place where a rendered line of code ends between two non-space characters. */
  const broken = [];
  for (const code of document.querySelectorAll(".md-typeset code")) {
    if (code.parentElement.closest("code")) continue;
    const chars = [];
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        chars.push({ c: node.data[i], top: rect ? rect.top : null, height: rect ? rect.height : 0 });
      }
    }
    const text = chars.map((x) => x.c).join("");
    for (let i = 1; i < chars.length; i++) {
      const [a, b] = [chars[i - 1], chars[i]];
      if (a.top === null || b.top === null || /\\s/.test(a.c) || /\\s/.test(b.c)) continue;
      if (b.top > a.top + a.height / 2) broken.push(text.slice(Math.max(0, i - 20), i) + "⏎" + text.slice(i, i + 10));
    }
  }
  return broken;
}"""


@pytest.mark.parametrize(
    "path",
    [
        "/runbooks/fallback/retry-storm/",
        "/runbooks/auth-drift/server-only-key-in-client-bundle/",
        "/incidents/2026/2026-11-11-retry-storm-on-openai-429/",
        "/operating/workflows/",
    ],
)
def test_no_line_of_a_command_or_inline_code_starts_or_ends_inside_a_token_on_a_phone(phone: Page, path: str) -> None:
    assert phone.goto(path).ok
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate(TOKEN_BREAKS) == []
    assert phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_a_command_wider_than_a_phone_scrolls_in_its_block_with_a_visible_cue(phone: Page) -> None:
    phone.goto("/runbooks/fallback/retry-storm/")
    phone.wait_for_load_state("networkidle")
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('.md-typeset pre > code')]
            .filter((c) => c.scrollWidth > c.clientWidth)
            .map((c) => [getComputedStyle(c).whiteSpace, getComputedStyle(c).backgroundImage, c.tabIndex])"""
    )
    assert wide, "a command of this runbook is wider than a phone"
    for white_space, background, tab_index in wide:
        assert white_space == "pre" and "radial-gradient" in background and tab_index == 0


RUNBOOK_PAGES = sorted(f"/runbooks/{file.parent.name}/{file.stem}/" for file in (ROOT / "runbooks").glob("*/*.yaml"))


@pytest.mark.parametrize("path", RUNBOOK_PAGES)
def test_a_runbook_on_a_phone_starts_with_action(phone: Page, path: str) -> None:
    phone.goto(path)
    for name in ("Diagnose", "Mitigate", "Verify"):
        link = phone.locator("article a.ob-jump", has_text=name)
        box = link.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844
    first_command = phone.locator("h2#diagnose + ol pre").first
    box = first_command.bounding_box()
    assert box is not None and box["y"] <= 1.5 * 844
    action = phone.locator("h2#diagnose + ol > li > p").first
    assert action.evaluate("p => Number(getComputedStyle(p).fontWeight)") < 600
    assert action.locator("strong").count() == 0


def test_the_jump_links_of_a_runbook_lead_to_their_sections(phone: Page) -> None:
    phone.goto("/runbooks/fallback/retry-storm/")
    for name, anchor in [("Mitigate", "mitigate"), ("Verify", "verify"), ("Diagnose", "diagnose")]:
        phone.locator("article a.ob-jump", has_text=name).click()
        expect(phone).to_have_url(re.compile(f"#{anchor}$"))
        expect(phone.locator(f"h2#{anchor}")).to_be_in_viewport()


def test_home_follow_ups_list_the_overdue_first_then_by_priority(page: Page) -> None:
    page.goto("/")
    rows = page.locator("h2#open-follow-ups ~ .ob-cards tbody tr")
    overdue = [rows.nth(i).locator(".ob-badge--overdue").count() == 1 for i in range(rows.count())]
    assert overdue[0] and overdue == sorted(overdue, reverse=True)
    priorities = [rows.nth(i).locator("td").nth(3).inner_text().split()[-1] for i in range(sum(overdue))]
    assert priorities == sorted(priorities)


@pytest.mark.parametrize(
    ("path", "table"),
    [("/", "h2#open-follow-ups ~ .ob-cards"), ("/incidents/2026/2026-11-11-retry-storm-on-openai-429/", ".ob-cards")],
)
def test_every_column_of_the_follow_ups_is_on_a_phone_screen_labelled(phone: Page, path: str, table: str) -> None:
    phone.goto(path)
    cells = phone.locator(f"{table} tbody td")
    assert cells.count() > 10
    boxes = cells.evaluate_all(
        "cells => cells.map(c => { const r = c.getBoundingClientRect(); return [r.left, r.right, r.width] })"
    )
    assert all(left >= 0 and right <= 390 and width > 0 for left, right, width in boxes)
    expect(phone.locator(f"{table} tbody tr").first.get_by_text("Owner:")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_the_incident_overdue_badge_leads_to_its_action_item(phone: Page) -> None:
    phone.goto("/incidents/2026/2026-11-11-retry-storm-on-openai-429/")
    phone.get_by_role("link", name="1 overdue action item").click()
    expect(phone).to_have_url(re.compile("#action-isolate-background-job-budget$"))
    item = phone.locator("tr", has=phone.locator("#action-isolate-background-job-budget"))
    expect(item).to_be_in_viewport()
    expect(item).to_contain_text("Give the summary worker its own LiteLLM virtual key")


def test_an_overdue_badge_on_the_home_page_leads_to_its_action_item(page: Page) -> None:
    page.goto("/")
    page.locator("h2#open-follow-ups ~ .ob-cards a.ob-badge--overdue").first.click()
    expect(page).to_have_url(
        re.compile(r"/incidents/2026/2026-11-11-retry-storm-on-openai-429/#action-isolate-background-job-budget$")
    )
    expect(page.locator("#action-isolate-background-job-budget")).to_be_attached()


def test_symptom_box_lists_weaker_matches_apart_from_the_strong_one(page: Page) -> None:
    page.goto("/")
    ask(page, "tool call denied permission")
    strong = page.locator(".ob-triage__strong li")
    expect(strong).to_have_count(1)
    expect(strong.first).to_contain_text("denied by permission mode")
    expect(page.locator(".ob-triage__weak-heading")).to_contain_text("Weaker matches")
    expect(page.locator(".ob-triage__weak li")).to_have_count(2)


def test_symptom_box_keeps_matches_of_similar_relevance_together(page: Page) -> None:
    page.goto("/")
    ask(page, "the agent lost its session after restart")
    expect(page.locator(".ob-triage__strong li")).to_have_count(3)
    expect(page.locator(".ob-triage__weak li")).to_have_count(0)


def test_without_javascript_the_symptom_box_explains_itself(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    note = page.locator(".ob-triage__nojs")
    expect(note).to_be_visible()
    expect(note).to_contain_text("needs JavaScript")
    expect(note).not_to_contain_text("search box")
    page.get_by_role("button", name="Find runbooks").click()
    expect(page).to_have_url(re.compile("#the-five-failure-classes$"))
    expect(page.locator("h2#the-five-failure-classes + ul a").first).to_be_visible()
    context.close()


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def wcag_aa_violations(page: Page) -> list[str]:
    """What axe-core (the engine of Lighthouse's accessibility audit) finds against WCAG 2.1 AA."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make test` (it runs `npm ci`)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
            .then((r) => r.violations.map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.failureSummary)))"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "path", ["/", "/runbooks/fallback/retry-storm/", "/incidents/2026/2026-11-11-retry-storm-on-openai-429/"]
)
def test_pages_meet_wcag_aa_on_a_phone_in_both_schemes(
    browser: Browser, base_url: str, path: str, scheme: Literal["light", "dark"]
) -> None:
    """The phone layout (jump buttons, action-item cards, whole tokens) in light and dark."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme=scheme
    )
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert wcag_aa_violations(page) == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_results_meet_wcag_aa_on_a_phone(
    browser: Browser, base_url: str, scheme: Literal["light", "dark"]
) -> None:
    """Material's overlay, as opened by a shared search link: contrast of its metadata, tags and highlighted
    terms, and code no smaller than 12 px."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        color_scheme=scheme,
    )
    page = context.new_page()
    page.goto("/?q=retry_after+rate+limit")
    expect(page.locator(".md-search-result__item").first).to_be_visible(timeout=15_000)
    expect(page.locator(".md-search-result mark").first).to_be_visible()
    assert wcag_aa_violations(page) == []
    sizes = page.locator(".md-search-result code").evaluate_all(
        "codes => codes.map((c) => parseFloat(getComputedStyle(c).fontSize))"
    )
    assert sizes and min(sizes) >= 12
    context.close()


def test_without_javascript_long_code_does_not_widen_a_phone_page(browser: Browser, base_url: str) -> None:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/runbooks/auth-drift/server-only-key-in-client-bundle/")
    rights = page.locator("article :not(pre) > code").evaluate_all(
        "codes => codes.map((c) => c.getBoundingClientRect().right)"
    )
    assert rights and max(rights) <= 390
    context.close()
