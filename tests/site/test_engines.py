"""The tree `opsbook build --out` writes builds without the opsbook plugin under MkDocs + Material, Zensical
and ProperDocs, with the configuration docs/reference/site-engines.md gives: every record page is there
with its title, its JSON-LD, its approval gates before their commands, its commands intact, and no link
anywhere in the site is broken."""

from __future__ import annotations

import html
import json
import os
import posixpath
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from tests.site.conftest import ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ENGINES: dict[str, Callable[[Path, Path], list[str]]] = {
    "mkdocs": lambda config, out: [str(BIN / "mkdocs"), "build", "--strict", "-f", str(config), "-d", str(out)],
    "properdocs": lambda config, out: [str(BIN / "properdocs"), "build", "--strict", "-f", str(config), "-d", str(out)],
    # Zensical takes its output folder from the configuration only.
    "zensical": lambda config, out: [str(BIN / "zensical"), "build", "--strict", "--clean", "-f", str(config)],
}


def documented_config() -> dict:
    page = (ROOT / "docs/reference/site-engines.md").read_text(encoding="utf-8")
    return yaml.safe_load(re.findall(r"```yaml\n(.*?)```", page, flags=re.DOTALL)[0])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled knowledge base written as a docs tree, beside the documented configuration."""
    project = tmp_path_factory.mktemp("tree")
    env = {**os.environ, "OPSBOOK_TODAY": "2026-11-25"}
    command = [str(BIN / "opsbook"), "build", "--out", str(project / "docs")]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture(scope="module", params=list(ENGINES))
def site(request: pytest.FixtureRequest, project: Path) -> Path:
    engine = request.param
    out = project / f"site-{engine}"
    config = project / f"{engine}.yml"
    config.write_text(yaml.safe_dump({**documented_config(), "site_dir": out.name}), encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(ENGINES[engine](config, out), cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{engine} failed:\n{result.stdout}{result.stderr}"
    return out


class Dom(HTMLParser):
    """Just enough of a DOM: elements with attributes, children and text, and every id."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict = {"tag": "", "attrs": {}, "children": [], "text": ""}
        self.stack = [self.root]
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": {k: v or "" for k, v in attrs}, "children": [], "text": ""}
        self.stack[-1]["children"].append(element)
        if "id" in element["attrs"]:
            self.ids.add(element["attrs"]["id"])
        for name in ("href", "src"):
            if name in element["attrs"] and not (tag == "link" and element["attrs"].get("rel") == "canonical"):
                self.links.append(element["attrs"][name])
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth]["tag"] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element["text"] += data


def find(element: dict, match: Callable[[dict], bool]) -> list[dict]:
    found = [element] if match(element) else []
    for child in element["children"]:
        found += find(child, match)
    return found


def classes(element: dict) -> set[str]:
    return set(element["attrs"].get("class", "").split())


def records(kind: str) -> list[dict]:
    return [yaml.safe_load(path.read_text()) for path in sorted((ROOT / kind).rglob("*.yaml"))]


def page_of(site: Path, record: dict) -> Path:
    if "failure_class" in record:
        return site / "runbooks" / record["failure_class"] / record["id"] / "index.html"
    return site / "incidents" / record["id"][:4] / record["id"] / "index.html"


def json_ld_types(dom: Dom) -> dict[str, dict]:
    types = {}
    for script in find(dom.root, lambda e: e["tag"] == "script" and e["attrs"].get("type") == "application/ld+json"):
        data = json.loads(script["text"])
        for node in data.get("@graph", [data]):
            types[node["@type"]] = node
    return types


def heading(dom: Dom) -> str:
    h1 = find(dom.root, lambda e: e["tag"] == "h1")[0]
    return " ".join(h1["text"].replace("¶", "").split())


@pytest.mark.parametrize("kind", ["runbooks", "incidents"])
def test_every_record_page_has_its_title_and_json_ld(site: Path, kind: str) -> None:
    expected_type = "TechArticle" if kind == "runbooks" else "Article"
    for record in records(kind):
        dom = Dom(page_of(site, record).read_text(encoding="utf-8"))
        title = " ".join(record["title"].split())
        assert heading(dom) == title, record["id"]
        short = " ".join((record.get("short_title") or record["title"]).split())
        assert find(dom.root, lambda e: e["tag"] == "title")[0]["text"].startswith(html.escape(short, quote=False))
        assert json_ld_types(dom)[expected_type]["headline"] == title, record["id"]


def steps_in(dom: Dom, section: str) -> list[dict]:
    """The list items of the numbered list that follows the section's heading."""
    article = find(dom.root, lambda e: e["tag"] == "article")[0]
    after = False
    for element in article["children"]:
        if element["tag"] == "h2":
            after = element["attrs"].get("id") == section
        elif after and element["tag"] == "ol":
            return [child for child in element["children"] if child["tag"] == "li"]
    raise AssertionError(f"no numbered list after #{section}")


def test_approval_gates_come_before_their_commands_and_commands_are_intact(site: Path) -> None:
    gated_commands = 0
    for record in records("runbooks"):
        dom = Dom(page_of(site, record).read_text(encoding="utf-8"))
        for section, key in (("diagnose", "diagnosis"), ("mitigate", "mitigation"), ("verify", "verification")):
            items = steps_in(dom, section)
            assert len(items) == len(record[key]), (record["id"], section)
            for step, item in zip(record[key], items, strict=True):
                order = [
                    "gate" if "approval" in classes(child) else "command"
                    for child in item["children"]
                    if "approval" in classes(child) or find(child, lambda e: e["tag"] == "pre")
                ]
                gated = bool(step.get("requires_approval") or step.get("sensitive"))
                expected = (["gate"] if gated else []) + (["command"] if step.get("command") else [])
                assert order == expected, (record["id"], section, step["action"])
                if step.get("command"):
                    code = find(find(item, lambda e: e["tag"] == "pre")[0], lambda e: e["tag"] == "code")[0]
                    assert code["text"].strip("\n") == step["command"].rstrip("\n"), (record["id"], step["action"])
                    gated_commands += gated
    assert gated_commands >= 5, "the bundled runbooks must exercise gates on steps with commands"


def test_inline_code_arrives_with_its_tokens_wrapped(site: Path) -> None:
    """The browser does no per-element work on inline code: every engine builds each token into its span."""
    wrapped = 0
    for record in records("runbooks") + records("incidents"):
        dom = Dom(page_of(site, record).read_text(encoding="utf-8"))
        article = find(dom.root, lambda e: e["tag"] == "article")[0]
        inside_pre = {id(c) for pre in find(article, lambda e: e["tag"] == "pre") for c in find(pre, lambda e: True)}
        inline = [c for c in find(article, lambda e: e["tag"] == "code") if id(c) not in inside_pre and not classes(c)]
        for code in inline:
            assert "data-ob-tokens" in code["attrs"], (record["id"], code["text"])
            tokens = [span["text"] for span in code["children"] if "ob-token" in classes(span)]
            assert tokens == code["text"].split(), (record["id"], code["text"])
            wrapped += 1
    assert wrapped > 100, "the bundled records must exercise inline code"


def test_no_link_in_the_site_is_broken(site: Path) -> None:
    pages = {path: Dom(path.read_text(encoding="utf-8")) for path in site.rglob("*.html")}
    broken = []
    for path, dom in pages.items():
        for link in dom.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            base = site if parts.path.startswith("/") else path.parent  # site_url's path is /
            target = Path(posixpath.normpath(base / unquote(parts.path.lstrip("/")))) if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(site)} → {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else Dom(target.read_text(encoding="utf-8")).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)} → {link} (no such anchor)")
    assert broken == []
    assert len(pages) > 80


def test_the_tree_carries_its_dated_sitemap_robots_and_llms_files(site: Path) -> None:
    assert "Sitemap: https://opsbook.example.org/sitemap-opsbook.xml" in (site / "robots.txt").read_text()
    sitemap = (site / "sitemap-opsbook.xml").read_text()
    assert "<loc>https://opsbook.example.org/runbooks/fallback/retry-storm/</loc><lastmod>" in sitemap
    assert (site / "llms.txt").read_text().startswith("# opsbook")
    copy = site / "runbooks/fallback/retry-storm.md.txt"
    assert copy.read_bytes() == (site.parent / "docs/runbooks/fallback/retry-storm.md.txt").read_bytes()
    assert json.loads((site / "api/knowledge-base.json").read_text())["runbooks"]
