"""GEO/SEO: every page has clean metadata and valid JSON-LD dated from its record; sitemap, robots, llms.txt."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from opsbook.support.markdown_text import md
from tests.site.conftest import ROOT

SITE_URL = "https://opsbook.example.org/"


class Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.jsonld: list[str] = []
        self.title = ""
        self._in: str | None = None
        self._head_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("name" in values or "property" in values):
            self.meta[values.get("name") or values["property"]] = values.get("content", "")
        elif tag == "link" and "rel" in values:
            self.links[values["rel"]] = values.get("href", "")
        elif tag == "script" and values.get("type") == "application/ld+json":
            self._in = "jsonld"
            self.jsonld.append("")
        elif tag == "title" and not self._head_done:
            self._in = "title"

    def handle_endtag(self, tag: str) -> None:
        self._in = None
        if tag == "head":
            self._head_done = True

    def handle_data(self, data: str) -> None:
        if self._in == "jsonld":
            self.jsonld[-1] += data
        elif self._in == "title":
            self.title += data


def pages(site: Path) -> dict[str, Head]:
    found = {}
    for path in sorted(site.rglob("index.html")):
        head = Head()
        head.feed(path.read_text(encoding="utf-8"))
        found[path.parent.relative_to(site).as_posix()] = head
    return found


@pytest.fixture(scope="module")
def heads(site_dir: Path) -> dict[str, Head]:
    return pages(site_dir)


def graph_types(head: Head) -> dict[str, dict]:
    types: dict[str, dict] = {}
    for text in head.jsonld:
        data = json.loads(text)
        for node in data.get("@graph", [data]):
            types[node["@type"]] = node
    return types


def runbook_dates() -> dict[str, str]:
    dates = {}
    for path in (ROOT / "runbooks").rglob("*.yaml"):
        record = yaml.safe_load(path.read_text())
        dates[f"runbooks/{record['failure_class']}/{record['id']}"] = str(record["last_reviewed"])
    return dates


def test_every_page_has_a_short_unique_plain_description(heads: dict[str, Head]) -> None:
    descriptions = {}
    for page, head in heads.items():
        description = head.meta.get("description", "")
        assert description, page
        assert len(description) <= 160, (page, description)
        assert "<" not in description and "`" not in description, page
        assert description not in descriptions, (page, descriptions.get(description))
        descriptions[description] = page


def test_canonical_open_graph_and_twitter_tags(heads: dict[str, Head]) -> None:
    for page, head in heads.items():
        canonical = SITE_URL + (page + "/" if page != "." else "")
        assert head.links.get("canonical") == canonical, page
        assert head.meta.get("og:url") == canonical, page
        assert head.meta.get("og:title") and head.meta.get("og:description"), page
        assert head.meta.get("twitter:card") == "summary", page
        assert head.title.strip().endswith("opsbook"), page


def test_every_page_has_valid_json_ld_with_breadcrumbs(heads: dict[str, Head]) -> None:
    for page, head in heads.items():
        types = graph_types(head)
        crumbs = types["BreadcrumbList"]["itemListElement"]
        assert crumbs[0]["item"] == SITE_URL and all(c["item"].startswith(SITE_URL) for c in crumbs), page


def test_runbook_pages_are_tech_articles_with_howto_steps(heads: dict[str, Head]) -> None:
    dates = runbook_dates()
    assert len(dates) >= 25
    for page, date in dates.items():
        types = graph_types(heads[page])
        assert types["TechArticle"]["dateModified"] == date, page
        assert types["TechArticle"]["headline"] and len(types["TechArticle"]["description"]) <= 160
        steps = types["HowTo"]["step"]
        assert len(steps) >= 2 and all(s["@type"] == "HowToStep" and s["text"] for s in steps), page
        assert [s["position"] for s in steps] == list(range(1, len(steps) + 1))


def test_class_pages_are_faq_pages(heads: dict[str, Head]) -> None:
    for failure_class in ["auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy"]:
        faq = graph_types(heads[f"classes/{failure_class}"])["FAQPage"]
        assert len(faq["mainEntity"]) >= 5
        for question in faq["mainEntity"]:
            assert question["@type"] == "Question" and question["acceptedAnswer"]["text"]
            assert SITE_URL + "runbooks/" in question["acceptedAnswer"]["text"]


def test_incident_pages_are_articles_and_home_is_a_website(heads: dict[str, Head]) -> None:
    article = graph_types(heads["incidents/2026/2026-11-11-retry-storm-on-openai-429"])["Article"]
    assert article["datePublished"] == "2026-11-11"
    assert graph_types(heads["."])["WebSite"]["url"] == SITE_URL


def sitemap_dates(site_dir: Path) -> dict[str | None, str | None]:
    """Each URL of the dated sitemap → its lastmod."""
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(site_dir / "sitemap-opsbook.xml").getroot()
    return {
        url.findtext("s:loc", namespaces=namespace): url.findtext("s:lastmod", namespaces=namespace)
        for url in root.findall("s:url", namespace)
    }


def test_sitemap_lastmod_comes_from_records_not_the_build(site_dir: Path) -> None:
    lastmod = sitemap_dates(site_dir)
    for page, date in runbook_dates().items():
        assert lastmod[SITE_URL + page + "/"] == date, page
    assert lastmod[SITE_URL + "incidents/2026/2026-11-11-retry-storm-on-openai-429/"] is not None


def test_robots_txt_points_at_the_sitemap(site_dir: Path) -> None:
    robots = (site_dir / "robots.txt").read_text()
    assert "User-agent: *" in robots and f"Sitemap: {SITE_URL}sitemap-opsbook.xml" in robots


def test_llms_txt_lists_classes_and_runbooks_as_markdown_links(site_dir: Path) -> None:
    text = (site_dir / "llms.txt").read_text()
    lines = text.splitlines()
    assert lines[0] == "# opsbook" and lines[2].startswith("> ")
    links = re.findall(r"^- \[[^\]]+\]\((https://[^)]+)\): .+$", text, flags=re.MULTILINE)
    assert sum("/runbooks/" in link for link in links) >= 25
    assert sum("/classes/" in link for link in links) == 5
    full = (site_dir / "llms-full.txt").read_text()
    assert len(full) > len(text) and "Mitigate:" in full


def test_knowledge_base_json_export_shape(site_dir: Path) -> None:
    data = json.loads((site_dir / "api/knowledge-base.json").read_text())
    runbook_keys = {
        "id",
        "title",
        "failure_class",
        "status",
        "url",
        "summary",
        "symptoms",
        "signatures",
        "diagnosis",
        "mitigation",
        "verification",
        "last_reviewed",
        "stale",
    }
    incident_keys = {
        "id",
        "title",
        "severity",
        "failure_classes",
        "status",
        "started",
        "resolved",
        "url",
        "action_items",
    }
    assert all(runbook_keys <= set(r) for r in data["runbooks"])
    assert all(incident_keys <= set(i) for i in data["incidents"])
    assert all((site_dir / r["url"] / "index.html").is_file() for r in data["runbooks"])


def bundled_runbooks() -> list[dict]:
    return [yaml.safe_load(path.read_text()) for path in sorted((ROOT / "runbooks").rglob("*.yaml"))]


def multi_line(commands: list[str | None]) -> list[str]:
    return [command.strip("\n") for command in commands if command and "\n" in command.strip("\n")]


def test_llms_full_keeps_every_multi_line_command_with_its_line_breaks(site_dir: Path) -> None:
    full = (site_dir / "llms-full.txt").read_text()
    blocks = {
        "\n".join(line.removeprefix("     ") for line in block.split("\n"))
        for block in re.findall(r"^ {5}```sh\n(.*?)\n {5}```$", full, flags=re.MULTILINE | re.DOTALL)
    }
    checked = 0
    for record in bundled_runbooks():
        if record["status"] != "active":
            continue
        steps = record["diagnosis"] + record["mitigation"] + record["verification"]
        for command in multi_line([step.get("command") for step in steps]):
            assert command in blocks, (record["id"], command)
            checked += 1
    assert checked >= 80


def test_howto_steps_keep_every_multi_line_command_with_its_line_breaks(heads: dict[str, Head]) -> None:
    checked = 0
    for record in bundled_runbooks():
        steps = graph_types(heads[f"runbooks/{record['failure_class']}/{record['id']}"])["HowTo"]["step"]
        for step, command in zip(steps, [s.get("command") for s in record["mitigation"]], strict=True):
            if command and "\n" in command.strip("\n"):
                assert command.strip() in step["text"], (record["id"], command)
                checked += 1
    assert checked >= 20


def test_every_link_of_the_llms_files_resolves_in_the_built_site(site_dir: Path) -> None:
    for name in ("llms.txt", "llms-full.txt"):
        links = re.findall(r"\]\((https://[^)\s]+)\)", (site_dir / name).read_text())
        assert len(links) >= 30, name
        for link in links:
            assert link.startswith(SITE_URL), link
            path = site_dir / link.removeprefix(SITE_URL)
            assert (path / "index.html").is_file() if link.endswith("/") else path.is_file(), (name, link)


def incident_rows(html_text: str) -> int:
    return len(re.findall(r'<td><a href="[^"]*20\d\d/20\d\d-[^"]+/">', html_text))


def test_no_incident_index_page_is_empty_and_every_link_to_one_resolves(site_dir: Path) -> None:
    index_pages = [p for folder in ("by-class", "by-severity") for p in (site_dir / "incidents" / folder).iterdir()]
    assert index_pages and not (site_dir / "incidents/by-severity/sev5").exists()
    for page in index_pages:
        assert incident_rows((page / "index.html").read_text()) >= 1, page
    listing = (site_dir / "incidents/index.html").read_text()
    targets = re.findall(r'href="(by-(?:class|severity)/[^"]+/)"', listing)
    assert len(targets) == len(index_pages)
    assert all((site_dir / "incidents" / target / "index.html").is_file() for target in targets)


PLURAL_NOUNS = r"(?:incidents|runbooks|postmortems|items|steps|weeks|days|pages|reviews)"


def test_counts_of_one_are_singular_on_every_page(site_dir: Path) -> None:
    wrong = {}
    for path in site_dir.rglob("*.html"):
        text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
        found = re.findall(rf"(?<![\d.,])\b1 (?:overdue |open )?(?:action )?{PLURAL_NOUNS}\b", text)
        if found:
            wrong[path.relative_to(site_dir).as_posix()] = found
    assert wrong == {}


def test_every_sitemap_entry_has_a_lastmod_and_list_pages_date_from_what_they_list(site_dir: Path) -> None:
    lastmod = sitemap_dates(site_dir)
    assert len(lastmod) >= 80 and all(re.fullmatch(r"\d{4}-\d\d-\d\d", d or "") for d in lastmod.values())
    incidents = [d for url, d in lastmod.items() if re.search(r"/incidents/20\d\d/.+/$", url)]
    assert lastmod[SITE_URL + "incidents/"] == max(incidents)
    runbooks = [d for url, d in lastmod.items() if "/runbooks/fallback/" in url]
    assert lastmod[SITE_URL + "classes/fallback/"] >= max(runbooks)


def test_every_page_has_the_default_og_image_as_an_absolute_url(site_dir: Path, heads: dict[str, Head]) -> None:
    image = site_dir / "assets/opsbook/og-image.png"
    header = image.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")) == (1200, 630)
    for page, head in heads.items():
        assert head.meta.get("og:image") == SITE_URL + "assets/opsbook/og-image.png", page
        assert head.meta.get("twitter:image") == SITE_URL + "assets/opsbook/og-image.png", page


def record_pages() -> list[tuple[str, dict]]:
    """(page folder, record) of every bundled runbook and incident."""
    found = [(f"runbooks/{r['failure_class']}/{r['id']}", r) for r in bundled_runbooks()]
    for path in sorted((ROOT / "incidents").rglob("*.yaml")):
        record = yaml.safe_load(path.read_text())
        found.append((f"incidents/{record['id'][:4]}/{record['id']}", record))
    return found


def test_every_record_page_links_its_markdown_copy_which_llms_txt_lists(site_dir: Path) -> None:
    listed = set(re.findall(r"\]\((https://[^)\s]+\.md\.txt)\)", (site_dir / "llms.txt").read_text()))
    pages = record_pages()
    assert len(pages) >= 40
    for page, record in pages:
        copy = site_dir / f"{page}.md.txt"
        text = copy.read_text(encoding="utf-8")
        assert text.startswith(f"# {md(record['title'])}\n") and f"`{record['id']}`" in text, page
        hrefs = re.findall(r'<a [^>]*href="([^"]+\.md\.txt)"', (site_dir / page / "index.html").read_text())
        assert [(site_dir / page / href).resolve() for href in hrefs] == [copy.resolve()], page
        assert SITE_URL + f"{page}.md.txt" in listed, page
    assert len(listed) == len(pages)


def test_markdown_copies_keep_commands_and_the_safety_context(site_dir: Path) -> None:
    for page, record in record_pages():
        if "diagnosis" not in record:
            continue
        text = (site_dir / f"{page}.md.txt").read_text(encoding="utf-8")
        assert "## Before you run any step" in text.split("## Summary")[0], page
        for step in record["diagnosis"] + record["mitigation"] + record["verification"]:
            if step.get("command"):
                assert "```sh\n" + step["command"].strip("\n") + "\n```" in text, (page, step["command"])


def test_every_html_title_fits_in_60_characters_and_record_headings_keep_the_full_title(
    site_dir: Path, heads: dict[str, Head]
) -> None:
    long = {page: head.title.strip() for page, head in heads.items() if len(html.unescape(head.title.strip())) > 60}
    assert long == {}
    for page, record in record_pages():
        assert record.get("short_title") or len(record["title"]) <= 50, page
        text = (site_dir / page / "index.html").read_text(encoding="utf-8")
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, flags=re.DOTALL)
        assert heading, page
        assert html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).strip(" ¶\n") == record["title"], page
        assert heads[page].title.strip() == (record.get("short_title") or record["title"]) + " - opsbook"


def test_a_class_page_keeps_its_runbook_list_out_of_the_search_index(site_dir: Path) -> None:
    """Each runbook is found on its own page; the list would be one field that grows with the knowledge base
    (Zensical refuses to build once a field passes its search index limit, as it did at 10,000 records)."""
    index = json.loads((site_dir / "search/search_index.json").read_text())
    locations = {doc["location"] for doc in index["docs"]}
    assert "classes/fallback/" in locations and "classes/fallback/#runbooks" not in locations
