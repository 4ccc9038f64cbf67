"""The light/dark toggle in a real browser: opsbook's partials render Material's toggle and apply it themselves,
before the first paint, instead of Material's start-up script (which forces a restyle of the whole page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.kbfactory import make_kb, write
from tests.site.conftest import LIGHT_AND_DARK, build_site, serve, site_config

pytestmark = pytest.mark.browser

AUTOMATIC_MODE = site_config(
    "Automatic",
    [
        {
            "media": "(prefers-color-scheme)",
            "toggle": {"icon": "material/brightness-auto", "name": "Switch to light mode"},
        },
        LIGHT_AND_DARK[0],
        {**LIGHT_AND_DARK[1], "toggle": {"icon": "material/weather-sunny", "name": "Switch to system preference"}},
    ],
)


def scheme_of(page: Page) -> str | None:
    return page.locator("body").get_attribute("data-md-color-scheme")


@pytest.mark.parametrize(("preference", "shown"), [("light", "default"), ("dark", "slate")])
def test_a_first_visit_follows_the_systems_colour_scheme(
    browser: Browser, base_url: str, preference: Literal["light", "dark"], shown: str
) -> None:
    context = browser.new_context(base_url=base_url, color_scheme=preference)
    page = context.new_page()
    page.goto("/runbooks/fallback/retry-storm/")
    assert scheme_of(page) == shown
    other = "Switch to light mode" if preference == "dark" else "Switch to dark mode"
    expect(page.locator("label.md-header__button:visible")).to_have_attribute("title", other)
    expect(page.locator("meta[name=theme-color]")).to_have_attribute("content", "rgb(64, 81, 181)")
    context.close()


def test_the_colour_toggle_switches_and_is_remembered_across_pages(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, color_scheme="light")
    page = context.new_page()
    page.goto("/")
    page.locator("label[title='Switch to dark mode']").click()
    assert scheme_of(page) == "slate"
    expect(page.locator("label[title='Switch to light mode']")).to_be_visible()
    page.goto("/incidents/2026/2026-11-11-retry-storm-on-openai-429/")
    assert scheme_of(page) == "slate"
    page.locator("label[title='Switch to light mode']").click()
    page.reload()
    assert scheme_of(page) == "default"
    context.close()


def test_the_toggle_is_not_handed_to_materials_start_up_script(page: Page) -> None:
    page.goto("/")
    assert page.locator("[data-md-component=palette]").count() == 0
    assert page.locator("form[data-opsbook-palette] input").count() == 2


@pytest.fixture(scope="module")
def automatic_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = make_kb(tmp_path_factory.mktemp("automatic"))
    write(root / "mkdocs.yml", AUTOMATIC_MODE)
    (root / "docs").mkdir()
    yield from serve(build_site(root, root / "site"))


def test_materials_automatic_mode_takes_the_systems_scheme_and_follows_it(browser: Browser, automatic_url: str) -> None:
    context = browser.new_context(base_url=automatic_url, color_scheme="dark")
    page = context.new_page()
    page.goto("/")
    assert scheme_of(page) == "slate"
    expect(page.locator("label.md-header__button:visible")).to_have_attribute("title", "Switch to light mode")
    page.emulate_media(color_scheme="light")
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "default")
    context.close()
