"""One entry for the site: load → validate → graph → render into a set of files.

Both adapters call `build_bundle`: the CLI writes the files to a folder, the MkDocs plugin hands them to
MkDocs as generated files. Same input, same bytes.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from opsbook.checks.report import PublicBuildRefused, knowledge_base_diagnostics, publication_blockers
from opsbook.features.answer import triage_json
from opsbook.features.export import knowledge_base_json
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.records.diagnostics import Diagnostic
from opsbook.records.models import Config
from opsbook.site.model import SiteModel, build_site_model
from opsbook.site.render.llms import llms_txt
from opsbook.site.render.pages import PageRenderer
from opsbook.site.render.text import attribute
from opsbook.support.atomic import write_folder
from opsbook.support.clock import today
from opsbook.support.periods import IsoWeek
from opsbook.support.progress import Progress

ASSETS = ("opsbook.css", "opsbook.js")
OPERATING_ORDER = [
    "golden-path",
    "environment-checklist",
    "approval-gates",
    "tool-capabilities",
    "workflows",
    "p0-tests",
    "severity-levels",
    "weekly-review",
]

NavItem = dict[str, Any] | str


@dataclass
class SiteBundle:
    pages: dict[str, str]
    files: dict[str, str]
    site: SiteModel
    diagnostics: list[Diagnostic] = field(default_factory=list)
    page_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per page: JSON-LD and the content date, attached by the MkDocs plugin (not in the Markdown)."""
    sidebar_runbook_limit: int = 150
    bodies: dict[str, str] = field(default_factory=dict)
    """Per record page, with `record_html`: its HTML, to splice with its converted skeleton page."""


def build_bundle(
    root: Path,
    *,
    public: bool = False,
    site_url: str | None = None,
    on: dt.date | None = None,
    progress: Progress | None = None,
    record_html: bool = False,
    directory_urls: bool = True,
) -> SiteBundle:
    """`record_html` gives runbook and incident pages as HTML bodies plus Markdown skeletons
    (`opsbook.site.render.pieces`), for the MkDocs plugin; otherwise every page is complete Markdown."""
    with collected_once():
        return _build_bundle(root, public, site_url, on, progress, record_html, directory_urls)


@contextmanager
def collected_once() -> Iterator[None]:
    """No garbage collection while the bundle grows, one at the end: with 10,000 records the collector
    would otherwise scan the growing heap again and again (a sixth of the time)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def _build_bundle(
    root: Path,
    public: bool,
    site_url: str | None,
    on: dt.date | None,
    progress: Progress | None,
    record_html: bool,
    directory_urls: bool,
) -> SiteBundle:
    index = KnowledgeIndex.open(root, progress=progress)
    day = on or today()
    try:
        diagnostics = knowledge_base_diagnostics(index, day)
        blockers = publication_blockers(index, diagnostics) if public else []
        if blockers:
            raise PublicBuildRefused(blockers)
        config = index.config()
        site = build_site_model(index, public=public, today=day, site_url=site_url)
        export = knowledge_base_json(index, day, public=public, site_url=site_url)
        handwritten = handwritten_pages(index, config)
        triage = triage_json(index, public=public)
    finally:
        index.close()
    renderer = PageRenderer(site, handwritten, record_html=record_html, directory_urls=directory_urls)
    pages = renderer.all_pages()
    pages.update(renderer.reviews_index([] if public else review_documents(root, config)))
    sidebar_limit = config.site.sidebar_runbook_limit
    files = {f"assets/opsbook/{name}": _asset(name) for name in ASSETS}
    files["api/knowledge-base.json"] = export
    files["api/triage.json"] = triage
    files["llms.txt"] = llms_txt(site)
    files["llms-full.txt"] = llms_txt(site, full=True)
    files["robots.txt"] = robots_txt(site_url)
    return SiteBundle(pages, files, site, diagnostics, renderer.page_meta, sidebar_limit, renderer.bodies)


def handwritten_pages(index: KnowledgeIndex, config: Config) -> frozenset[str]:
    """The Markdown pages under docs/, docs-relative, as the index found them (any depth of folders)."""
    prefix = config.paths.docs.strip("/") + "/"
    rows = index.connection.execute("SELECT path FROM files WHERE role = 'docs'")
    return frozenset(path[len(prefix) :] for (path,) in rows if path.startswith(prefix) and path.endswith(".md"))


def internal_only_pages(root: Path, config: Config) -> str | None:
    """The docs-relative folder of review documents: internal by nature, left out of public builds."""
    reviews, docs = (root / config.paths.reviews).resolve(), (root / config.paths.docs).resolve()
    return reviews.relative_to(docs).as_posix() + "/" if reviews.is_relative_to(docs) else None


def review_documents(root: Path, config: Config) -> list[tuple[str, str]]:
    """(week, docs-relative page) of every review document, newest first."""
    folder = root / config.paths.reviews
    docs = root / config.paths.docs
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.md"):
        try:
            week = IsoWeek.parse(path.stem)
        except ValueError:
            continue
        found.append((week, path.relative_to(docs).as_posix() if path.is_relative_to(docs) else path.name))
    return [(str(week), page) for week, page in sorted(found, reverse=True)]


def robots_txt(site_url: str | None) -> str:
    sitemap = f"Sitemap: {site_url.rstrip('/')}/sitemap.xml\n" if site_url else ""
    return f"User-agent: *\nAllow: /\n{sitemap}"


def _asset(name: str) -> str:
    return resources.files("opsbook.site").joinpath("assets", name).read_text(encoding="utf-8")


def write_bundle(bundle: SiteBundle, out: Path, *, force: bool = False) -> list[Path]:
    """The docs tree in `out`, replacing (with `force`) an earlier build whole: see `write_folder`."""
    return write_folder(out, {**bundle.pages, **bundle.files}, force=force)


def navigation(bundle: SiteBundle, handwritten: list[str]) -> list[NavItem]:
    """The sidebar: runbooks grouped by class, index pages for incidents, hand-written docs by folder.

    Incident pages stay out of the sidebar (they are reached from the index pages), which keeps the
    MkDocs build linear in the number of records. Material writes section titles into every page without
    escaping them, so they go through `attribute` like every other title.
    """
    site = bundle.site
    generated = set(bundle.pages)
    sections: dict[str, list[NavItem]] = {}
    for page in sorted(handwritten):
        folder = page.split("/")[0] if "/" in page else ""
        if page == "index.md" or page in generated or page.startswith("incidents/"):
            continue
        sections.setdefault(folder, []).append(page)
    for page in sorted(generated):
        folder = page.split("/")[0]
        if folder in ("operating", "reference", "reviews") or page in ("metrics.md", "graph.md", "tags.md"):
            sections.setdefault(folder if "/" in page else "", []).append(page)

    def ordered(folder: str) -> list[NavItem]:
        pages = sections.pop(folder, [])
        rank = {name: position for position, name in enumerate(OPERATING_ORDER)}
        return sorted(pages, key=lambda p: (rank.get(Path(str(p)).stem, len(rank)), str(p)))

    reviews = sections.pop("reviews", [])
    review_index = [p for p in reviews if p == "reviews/index.md"]
    review_docs = sorted((p for p in reviews if p != "reviews/index.md"), key=str, reverse=True)
    listed = len(site.runbooks) <= bundle.sidebar_runbook_limit
    nav: list[NavItem] = [
        {"Home": "index.md"},
        {
            "Runbooks": [
                {attribute(view.title): [view.path, *[runbook.path for runbook in view.runbooks]]}
                if listed
                else view.path
                for view in site.classes
            ]
        },
        {"Incidents": ["incidents/index.md"]},
    ]
    if review_index or review_docs:
        nav.append({"Reviews": [*review_index, *review_docs]})
    if "operating" in sections:
        nav.append({"Operating": ordered("operating")})
    top = sections.pop("", [])
    nav.extend(p for p in top if p not in ("tags.md",))
    for folder in sorted(sections):
        nav.append({attribute(folder.replace("-", " ").capitalize()): ordered(folder)})
    return nav
