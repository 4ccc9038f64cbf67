"""Text fields are data: script tags, javascript: links, raw HTML and Jinja syntax are shown literally,
in every string field of every record type, on every page, in the tags and in search results."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from enum import Enum
from html.parser import HTMLParser
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from pydantic import AfterValidator, BaseModel

from opsbook.checks.report import run_check
from opsbook.records.check_file import CATALOG_MODELS
from opsbook.records.models import Incident, Runbook
from tests.kbfactory import incident, make_kb, runbook, write
from tests.site.conftest import build_site, serve
from tests.site.test_public_build import MKDOCS

HOSTILE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    "{{ config.site_name }} {% if true %}jinja{% endif %}",
    '{: onclick="alert(1)" }',
    '<a href="javascript:alert(2)">link</a>',
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_kb(
        tmp_path_factory.mktemp("hostile"),
        incidents=[incident(summary=" ".join(HOSTILE), title="Hostile <b>title</b> {{ 7*7 }}", went_wrong=HOSTILE)],
    )
    record = runbook(
        "rb-fallback",
        "fallback",
        related=["rb-auth-drift"],
        title="Fallback <script>x</script>",
        summary="Summary " + " ".join(HOSTILE),
        symptoms=HOSTILE,
        signatures=HOSTILE[:3],
    )
    record["mitigation"][0]["command"] = "echo '</code></pre><script>alert(3)</script>' ```"
    record["mitigation"][1]["requires_approval"] = 'lead" onmouseover="alert(4)'
    write(root / "runbooks/fallback/rb-fallback.yaml", record)
    write(root / "mkdocs.yml", MKDOCS)
    (root / "docs").mkdir()
    return build_site(root, root / "site")


class Elements(HTMLParser):
    """Every element and attribute the browser would actually create."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


@pytest.mark.parametrize(
    "page",
    ["runbooks/fallback/rb-fallback/index.html", "incidents/2026/2026-11-17-webhook-secret/index.html"],
)
def test_no_field_becomes_markup(site: Path, page: str) -> None:
    html = (site / page).read_text()
    article = html.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]
    parser = Elements()
    parser.feed(article)
    json_ld = [attrs for tag, attrs in parser.tags if tag == "script" and attrs == {"type": "application/ld+json"}]
    assert len(json_ld) == 1, "the page's own structured data, and nothing a field made"
    assert [tag for tag, attrs in parser.tags if tag in ("script", "img", "iframe", "b") and attrs not in json_ld] == []
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not attrs.get("href", "").lower().startswith("javascript:"), (tag, attrs)
    assert "{{ config.site_name }}" in article


def test_hostile_text_is_visible_literally(site: Path) -> None:
    body = (site / "runbooks/fallback/rb-fallback/index.html").read_text()
    assert "&lt;script&gt;alert(" in body
    assert "[click me](javascript:alert(1))" in body
    assert "Fallback &lt;script&gt;x&lt;/script&gt;" in body


def test_metadata_attributes_cannot_be_broken_out_of(site: Path) -> None:
    page = (site / "runbooks/fallback/rb-fallback/index.html").read_text()
    assert "<script>x" not in page.split("</head>", 1)[0]
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, flags=re.DOTALL)
    assert found and all("<" not in json_ld for json_ld in found)


# --- a script payload in every string field of every record type, loaded in a real browser ------------------

HOSTILE_MKDOCS = """site_name: Hostile
site_url: https://hostile.example.org/
theme:
  name: material
  font: false
  features: [navigation.instant, search.highlight, search.suggest]
plugins: [search, tags, opsbook]
markdown_extensions: [admonition, attr_list, md_in_html, tables, toc, pymdownx.details, pymdownx.superfences]
"""
ID_CANDIDATES = ("hostile", "HOSTILE_VAR", "2026-11-17-hostile")
"""Values for fields whose pattern no payload can match (ids, variable names)."""


class Payloads:
    """One numbered payload per string field; a dialog's message says which field leaked."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def number(self, path: str) -> int:
        if path not in self.fields:
            self.fields.append(path)
        return self.fields.index(path)

    def text(self, path: str, limit: int | None = None) -> str:
        """The payload; within `limit` characters, its shorter form (the field's `max_length`)."""
        n = self.number(path)
        payload = f"\"'><img src=x onerror=alert('F{n}')><svg onload=alert('F{n}')>{{{{7*7}}}}"
        return payload if limit is None or len(payload) <= limit else f"'><img src=x onerror=alert('F{n}')>{{{{7*7}}}}"

    def url(self, path: str) -> str:
        n = self.number(path)
        return f"https://example.org/{n}\"><img/src=x/onerror=alert('F{n}')>"


def shape(annotation: Any, metadata: Sequence[Any] = ()) -> tuple[str, Any]:
    """What a model field holds: text (with its maximum length), url, id (a pattern), model, list, or other
    (enums, dates, numbers)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return shape(base, [*metadata, *extra])
    if origin in (Union, UnionType):
        return shape(next(arg for arg in get_args(annotation) if arg is not type(None)), metadata)
    if origin is list:
        return "list", get_args(annotation)[0]
    if annotation is str:
        if any(isinstance(item, AfterValidator) for item in metadata):
            return "url", None
        pattern = next((item.pattern for item in metadata if getattr(item, "pattern", None)), None)
        limit = next((item.max_length for item in metadata if getattr(item, "max_length", None)), None)
        return ("id", pattern) if pattern else ("text", limit)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    return "other", annotation


def valid(kind: str, detail: Any) -> Any:
    """A value for a required field that is not free text."""
    if kind == "id":
        return next(candidate for candidate in ID_CANDIDATES if re.fullmatch(detail, candidate))
    if isinstance(detail, type) and issubclass(detail, Enum):
        return next(iter(detail)).value
    if get_origin(detail) is Literal:
        return get_args(detail)[0]
    return {bool: False, int: 1, dt.date: "2026-11-01", dt.datetime: "2026-11-17T10:00:00Z"}[detail]


def hostile(model: type[BaseModel], base: dict[str, Any], prefix: str, payloads: Payloads) -> dict[str, Any]:
    """`base` (valid data for `model`) with a payload in every free-text field at any depth, optional ones
    included; required fields that are not text get a valid value."""
    data = dict(base)
    for name, info in model.model_fields.items():
        kind, detail = shape(info.annotation, info.metadata)
        path = f"{prefix}.{name}"
        if kind == "text":
            data[name] = payloads.text(path, detail)
        elif kind == "url":
            data[name] = payloads.url(path)
        elif kind == "model":
            data[name] = hostile(detail, data.get(name) or {}, path, payloads)
        elif kind == "list":
            item_kind, item_detail = shape(detail)
            if item_kind in ("text", "url"):
                data[name] = [getattr(payloads, item_kind)(path)]
            elif item_kind == "model":
                data[name] = [hostile(item_detail, item, path, payloads) for item in data.get(name) or [{}]]
            elif name not in data and info.is_required():
                data[name] = [valid(item_kind, item_detail)]
        elif name not in data and info.is_required():
            data[name] = valid(kind, detail)
    return data


@pytest.fixture(scope="module")
def hostile_kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Payloads]:
    payloads = Payloads()
    record = hostile(Incident, incident(), "incident", payloads)
    root = make_kb(tmp_path_factory.mktemp("hostile-every-field"), incidents=[record])
    write(
        root / "runbooks/fallback/rb-fallback.yaml",
        hostile(Runbook, runbook("rb-fallback", "fallback"), "runbook", payloads),
    )
    for name, model in CATALOG_MODELS.items():
        write(root / "catalog" / name, hostile(model, {}, name.removesuffix(".yaml"), payloads))
    write(root / "opsbook.yml", {"name": payloads.text("config.name")})
    write(root / "mkdocs.yml", HOSTILE_MKDOCS)
    (root / "docs").mkdir()
    return root, payloads


@pytest.fixture(scope="module")
def hostile_site(hostile_kb: tuple[Path, Payloads]) -> Path:
    root, _ = hostile_kb
    return build_site(root, root / "site")


def test_every_string_field_of_every_record_type_holds_a_payload_and_still_validates(
    hostile_kb: tuple[Path, Payloads],
) -> None:
    root, payloads = hostile_kb
    assert [d.as_text() for d in run_check(root, use_index=False).diagnostics if d.is_error] == []
    prefixes = {field.split(".")[0] for field in payloads.fields}
    assert prefixes == {"runbook", "incident", "config", *(name.removesuffix(".yaml") for name in CATALOG_MODELS)}
    assert len(payloads.fields) > 100


def test_every_tag_is_escaped_in_the_page_the_tags_index_and_the_search_index(hostile_site: Path) -> None:
    page = (hostile_site / "runbooks/fallback/rb-fallback/index.html").read_text()
    tags = (hostile_site / "tags/index.html").read_text()
    for html in (page, tags):
        assert "<img src=x" not in html and "<svg onload" not in html
        assert "&lt;img src=x onerror=alert(" in html
    index = json.loads((hostile_site / "search/search_index.json").read_text())
    tagged = [doc for doc in index["docs"] if doc.get("tags")]
    assert tagged and not any("<img" in tag for doc in tagged for tag in doc["tags"])


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of its own: pytest-playwright's would build and serve the bundled site for its base URL."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    opened: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


@pytest.mark.browser
def test_no_payload_runs_on_any_page_in_the_search_results_or_the_symptom_box(
    hostile_site: Path, hostile_kb: tuple[Path, Payloads], page: Page, dialogs: list[str]
) -> None:
    _, payloads = hostile_kb

    def leaked() -> list[str]:
        return sorted({payloads.fields[int(n)] for n in re.findall(r"\bF(\d+)\b", " ".join(dialogs))})

    pages = sorted(p.relative_to(hostile_site).parent.as_posix() for p in hostile_site.rglob("index.html"))
    assert len(pages) > 20
    for served in serve(hostile_site):
        for path in pages:
            page.goto(served + ("" if path == "." else path + "/"))
            page.wait_for_load_state("load")
        assert dialogs == [], leaked()
        page.goto(served)
        page.keyboard.press("/")
        page.locator("input.md-search__input").press_sequentially("onerror alert", delay=15)
        expect(page.locator(".md-search-result__item").first).to_be_visible(timeout=15_000)
        page.wait_for_timeout(500)
        page.locator("input.md-search__input").press("Enter")
        page.wait_for_load_state("load")
        assert dialogs == [], leaked()
        page.goto(served)
        page.locator("#ob-symptom").fill("onerror alert img svg")
        page.get_by_role("button", name="Find runbooks").click()
        expect(page.locator(".ob-triage__results li").first).to_be_visible()
        page.wait_for_timeout(500)
        assert dialogs == [], leaked()
