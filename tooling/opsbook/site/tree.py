"""The knowledge base → an engine-neutral docs tree: Markdown pages (generated and hand-written), assets,
data files, a sitemap dated from the records, robots.txt and the llms files.

`DocsTree.open` reads the knowledge base (use the tree as a context manager: incident pages read their
records from the index as they are rendered); `entries` renders one file at a time and `write_tree` puts
each in a folder as it comes. `opsbook build --out` writes that folder for MkDocs, Zensical or ProperDocs
to build without any plugin; the MkDocs plugin writes the same folder to scratch space and hands MkDocs
its files. Which engine features the tree relies on: docs/reference/site-engines.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from opsbook.checks.report import PublicBuildRefused, knowledge_base_diagnostics, publication_blockers
from opsbook.features.answer import triage_json
from opsbook.features.export import knowledge_base_json
from opsbook.features.urls import absolute_url
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.records.diagnostics import Diagnostic
from opsbook.records.models import Config
from opsbook.site.model import SiteModel, build_site_model
from opsbook.site.pagemeta import handwritten_page
from opsbook.site.render.llms import llms_txt
from opsbook.site.render.pages import PageRenderer
from opsbook.site.render.text import attribute
from opsbook.support.atomic import write_folder
from opsbook.support.clock import today
from opsbook.support.periods import IsoWeek
from opsbook.support.progress import Progress

ASSETS = ("opsbook.css", "opsbook.js", "og-image.png")
ASSET_FOLDER = Path(__file__).parent / "assets"
SITEMAP = "sitemap-opsbook.xml"
"""Not `sitemap.xml`: MkDocs, Zensical and ProperDocs all write their own under that name, over ours."""
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
RECORD_FOLDERS = ("runbooks/", "incidents/", "classes/")
"""Pages the navigation reaches through the Runbooks and Incidents sections."""

NavItem = dict[str, Any] | str
Entry = tuple[str, str | bytes | Path]
"""A file of the tree: its docs-relative path and its text (or UTF-8 bytes), or the hand-written file to copy."""


@dataclass
class DocsTree:
    root: Path
    config: Config
    site: SiteModel
    export: bytes
    triage: str
    """`api/triage.json`: what the site's symptom box ranks with."""
    diagnostics: list[Diagnostic]
    index: KnowledgeIndex
    replaced: list[str] = field(default_factory=list)
    """Generated pages left out because a hand-written page of the same path replaces them."""

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        public: bool = False,
        site_url: str | None = None,
        on: dt.date | None = None,
        progress: Progress | None = None,
    ) -> DocsTree:
        """Read the knowledge base; a public build over a likely secret (or another publication blocker)
        raises `PublicBuildRefused`."""
        day = on or today()
        index = KnowledgeIndex.open(root, progress=progress)
        try:
            diagnostics = knowledge_base_diagnostics(index, day)
            blockers = publication_blockers(index, diagnostics) if public else []
            if blockers:
                raise PublicBuildRefused(blockers)
            export = knowledge_base_json(index, day, public=public, site_url=site_url)
            triage = triage_json(index, public=public)
            site = build_site_model(index, public=public, today=day, site_url=site_url)
        except BaseException:
            index.close()
            raise
        return cls(root, index.config(), site, export, triage, diagnostics, index)

    def __enter__(self) -> DocsTree:
        return self

    def __exit__(self, *_: object) -> None:
        self.index.close()

    def handwritten(self) -> dict[str, Path]:
        """Every file of the docs folder as the index found it (dot files left out, as engines do), minus
        the review documents in a public build."""
        internal = internal_only_pages(self.root, self.config) if self.site.public else None
        prefix = self.config.paths.docs.strip("/") + "/"
        rows = self.index.connection.execute("SELECT path FROM files WHERE role = 'docs' ORDER BY path")
        found = {}
        for (path,) in rows:
            relative = path.removeprefix(prefix)
            source = self.root / path
            if source.is_file() and (internal is None or not relative.startswith(internal)):
                found[relative] = source
        return found

    def entries(self) -> Iterator[Entry]:
        """Every file of the tree, rendered as it is asked for; hand-written pages win over generated ones.
        A public tree raises `PublicBuildRefused` on the first file that names a record it leaves out."""
        if not self.site.public:
            yield from self._entries()
            return
        unpublished = Unpublished.of(self.index, self.site)
        for relative, content in self._entries():
            named = unpublished.named_in(content)
            if named:
                raise PublicBuildRefused([unpublished.finding(name, relative) for name in named])
            yield relative, content

    def _entries(self) -> Iterator[Entry]:
        handwritten = self.handwritten()
        pages = frozenset(p for p in handwritten if p.endswith(".md"))
        dated: dict[str, str | None] = {}
        lists: dict[str, tuple[str, ...]] = {}
        self.replaced = []
        for relative, source in handwritten.items():
            if relative in pages:
                rendered = handwritten_page(relative, source, self.site.name, self.site.site_url)
                dated[relative] = rendered.lastmod
                yield relative, rendered.text
            else:
                yield relative, source
        reviews = [] if self.site.public else review_documents(self.root, self.config)
        renderer = PageRenderer(self.site, pages, reviews=reviews)
        for rendered in renderer.pages():
            if rendered.page in handwritten:
                self.replaced.append(rendered.page)
                continue
            if rendered.page.endswith(".md"):
                dated[rendered.page] = rendered.lastmod
            if rendered.lists:
                lists[rendered.page] = rendered.lists
            yield rendered.page, rendered.text
        for name in ASSETS:
            yield f"assets/opsbook/{name}", ASSET_FOLDER / name
        yield "api/knowledge-base.json", self.export
        yield "api/triage.json", self.triage
        yield "llms.txt", llms_txt(self.site)
        yield "llms-full.txt", llms_txt(self.site, full=True)
        yield "robots.txt", robots_txt(self.site.site_url)
        if self.site.site_url:
            yield SITEMAP, sitemap_xml(self.site.site_url, content_dates(dated, lists))

    def navigation(self, pages: Iterable[str]) -> list[NavItem]:
        """The sidebar for the tree's `pages`: runbooks grouped by class, index pages for incidents (never
        every incident: that keeps a build linear in the number of records), the other pages by folder."""
        site = self.site
        sections: dict[str, list[str]] = {}
        for page in sorted(p for p in pages if p.endswith(".md")):
            if page in ("index.md", "tags.md") or page.startswith(RECORD_FOLDERS):
                continue
            sections.setdefault(page.split("/")[0] if "/" in page else "", []).append(page)

        def ordered(folder: str) -> list[NavItem]:
            rank = {name: position for position, name in enumerate(OPERATING_ORDER)}
            pages = sorted(sections.pop(folder, []), key=lambda p: (rank.get(Path(p).stem, len(rank)), p))
            return list(pages)

        listed = len(site.runbooks) <= self.config.site.sidebar_runbook_limit
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
        reviews = sections.pop("reviews", [])
        if reviews:
            index = [p for p in reviews if p == "reviews/index.md"]
            nav.append({"Reviews": [*index, *sorted((p for p in reviews if p not in index), reverse=True)]})
        if "operating" in sections:
            nav.append({"Operating": ordered("operating")})
        nav.extend(sections.pop("", []))
        for folder in sorted(sections):
            nav.append({attribute(folder.replace("-", " ").capitalize()): ordered(folder)})
        return nav


def write_tree(tree: DocsTree, out: Path, *, force: bool = False) -> list[str]:
    """Write every file of `tree` under `out` as it is rendered; returns their docs-relative paths. See
    `write_folder`: `out` is replaced whole, and only an earlier build of it, with `force`."""
    return write_folder(out, tree.entries(), force=force)


@dataclass(frozen=True)
class ScratchTree:
    """What `write_scratch_tree` wrote, for the MkDocs plugin."""

    written: list[str]
    nav: list[NavItem]
    replaced: list[str]
    diagnostics: list[Diagnostic]
    docs: str
    """The knowledge base's docs folder, as configured."""
    internal_folder: str | None
    """In a public build, the docs-relative folder the engine must leave out (see `internal_only_pages`)."""


def write_scratch_tree(root: Path, out: Path, *, public: bool, site_url: str | None) -> ScratchTree | list[Diagnostic]:
    """Write the tree to a fresh folder; the likely secrets instead when a public build refuses to run.
    The plugin calls this in a child process: reading ten thousand records leaves the heap larger than
    MkDocs' own pages need, and a process that ends gives all of it back."""
    try:
        with DocsTree.open(root, public=public, site_url=site_url) as tree:
            written = write_tree(tree, out)
            internal = internal_only_pages(root, tree.config) if public else None
            nav = tree.navigation(written)
            return ScratchTree(written, nav, tree.replaced, tree.diagnostics, tree.config.paths.docs, internal)
    except PublicBuildRefused as refused:
        return refused.findings


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


_ID_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_BETWEEN_IDS = bytes(byte if byte in _ID_BYTES else 0x20 for byte in range(256))
"""Record ids are slugs: with every other byte made a space, a word of a file is one whole id or none
(`bytes.translate` and `split` do this at C speed, several times faster than a regular expression)."""


@dataclass(frozen=True)
class Unpublished:
    """The ids of the records a public tree leaves out, to find in any file of the tree: its text,
    attributes, URLs, JSON and SVG alike. An incident's id carries its date and topic.

    Titles are not searched: a redacted incident's public summary or a public runbook's symptom may
    rightly share the words of an internal title. They, and dates, stay out of public files because the
    public site model holds no unpublished record (`opsbook.site.model`); the canary test checks both."""

    places: dict[bytes, tuple[str, int, int]]
    """Id (UTF-8) → the record's path, line and column."""

    @classmethod
    def of(cls, index: KnowledgeIndex, site: SiteModel) -> Unpublished:
        """Ids without a hyphen are left out: a one-word id is also an ordinary word of prose."""
        shown = set(site.runbooks) | {view.id for view in site.incidents}
        rows = index.connection.execute(
            """SELECT id, path, line, col FROM records
               WHERE kind IN ('runbook', 'incident') AND visibility != 'public'"""
        )
        return cls({i.encode(): (path, line, col) for i, path, line, col in rows if i not in shown and "-" in i})

    def named_in(self, content: str | bytes | Path) -> list[str]:
        """The ids of unpublished records that `content` holds."""
        if not self.places:
            return []
        if isinstance(content, Path):
            data = content.read_bytes()
        else:
            data = content.encode() if isinstance(content, str) else content
        return sorted(i.decode() for i in self.places.keys() & set(data.translate(_BETWEEN_IDS).split()))

    def finding(self, record_id: str, output: str) -> Diagnostic:
        return Diagnostic(
            *self.places[record_id.encode()],
            "names-unpublished",
            f"the public build would publish the id {record_id!r} of a record it leaves out, in {output}",
            hint="remove the mention from the public record or page it comes from, or publish this record "
            "(visibility: public)",
        )


def robots_txt(site_url: str | None) -> str:
    sitemap = f"Sitemap: {site_url.rstrip('/')}/{SITEMAP}\n" if site_url else ""
    return f"User-agent: *\nAllow: /\n{sitemap}"


def content_dates(dated: dict[str, str | None], lists: dict[str, tuple[str, ...]]) -> dict[str, str | None]:
    """The date of every page's content, never the build date: a record's review or update date, a
    hand-written page's last commit; a page that lists others, the newest of theirs; any other generated
    page (reference, catalogs), the newest date of the whole site."""
    dates = dict(dated)
    for page, listed in lists.items():
        dates[page] = max((d for d in (dated.get(p) for p in listed) if d), default=None)
    newest = max((d for d in dates.values() if d), default=None)
    return {page: date or newest for page, date in dates.items()}


def sitemap_xml(site_url: str, pages: dict[str, str | None]) -> str:
    """Every page with the date of its content (see `content_dates`)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page, lastmod in sorted(pages.items()):
        date = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{escape(absolute_url(site_url, page))}</loc>{date}</url>")
    return "\n".join([*lines, "</urlset>"]) + "\n"
