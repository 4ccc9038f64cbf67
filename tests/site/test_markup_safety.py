"""Text fields are data: script tags, javascript: links, raw HTML and Jinja syntax are shown literally."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.kbfactory import incident, make_kb, runbook, write
from tests.site.conftest import build_site
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
