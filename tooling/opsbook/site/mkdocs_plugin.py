"""The MkDocs adapter: hands the rendered knowledge base to MkDocs. All logic lives in `opsbook.site.tree`."""

from __future__ import annotations

import gc
import logging
import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from markupsafe import Markup
from mkdocs.config import config_options
from mkdocs.config.base import Config as MkDocsConfigBase
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from opsbook.checks.report import PublicBuildRefused
from opsbook.index.root import CONFIG_FILE
from opsbook.records.check_file import read_config
from opsbook.site.mkdocs_skeletons import SkeletonConverter
from opsbook.site.pagemeta import handwritten_meta
from opsbook.site.render.pieces import SpliceError, splice
from opsbook.site.tree import SiteBundle, build_bundle, internal_only_pages, navigation

log = logging.getLogger("mkdocs.plugins.opsbook")
THEME_DIR = str(Path(__file__).parent / "theme")
SIDEBAR_DIR = str(Path(__file__).parent / "theme_sidebar")
FREEZE_EVERY = 500


class OpsbookPluginConfig(MkDocsConfigBase):
    public = config_options.Type(bool, default=False)
    root = config_options.Optional(config_options.Type(str))
    record_pages = config_options.Choice(("html", "markdown"), default="html")
    """`markdown` sends whole runbook and incident pages through Python-Markdown: same pages, slower."""


class OpsbookPlugin(BasePlugin[OpsbookPluginConfig]):
    root: Path = Path()
    bundle: SiteBundle | None = None
    page_meta: dict[str, dict[str, Any]] = {}
    site_name: str = ""
    site_url: str | None = None
    public: bool = False
    internal_folder: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.sidebars: dict[tuple[str, int], Markup] = {}
        self.bodies: dict[str, str] = {}
        """HTML bodies of record pages, each dropped once spliced (at 10k pages they hold ~150 MB)."""
        self.spliced: set[str] = set()
        self.page_events = 0
        self.skeletons = SkeletonConverter()
        self.pages_in_nav: set[int] = set()
        self.above_nav: set[str] = set()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = self.root = Path(self.config.root or Path(config.config_file_path).parent)
        self.public = self.config.public or os.environ.get("OPSBOOK_PUBLIC", "") not in ("", "0", "false")
        try:
            self.bundle = build_bundle(
                root,
                public=self.public,
                site_url=config.site_url,
                record_html=self.config.record_pages == "html",
                directory_urls=config.use_directory_urls,
            )
        except PublicBuildRefused as refused:
            for finding in refused.findings:
                log.error(finding.as_text())
            raise PluginError(str(refused)) from None
        self.internal_folder = internal_only_pages(root, read_config(root)) if self.public else None
        for diagnostic in self.bundle.diagnostics:
            (log.warning if diagnostic.is_error else log.info)(diagnostic.as_text())
        custom_dir_count = 1 if config.theme.custom_dir else 0
        config.theme.dirs[custom_dir_count:custom_dir_count] = [THEME_DIR, SIDEBAR_DIR]
        config.extra_css.append("assets/opsbook/opsbook.css")
        config.extra_javascript.append("assets/opsbook/opsbook.js")
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.bundle is not None
        if self.internal_folder:
            for file in [f for f in files if f.src_uri.startswith(self.internal_folder)]:
                files.remove(file)
        handwritten = [f.src_uri for f in files.documentation_pages()]
        for path, content in {**self.bundle.pages, **self.bundle.files}.items():
            existing = files.get_file_from_path(path)
            if existing is not None:
                if path.endswith(".md"):
                    log.info(f"opsbook: docs/{path} is hand-written; the generated page is not used")
                    self.bundle.bodies.pop(path, None)
                    continue
                files.remove(existing)
            files.append(File.generated(config, path, content=content))
        if config.nav is None:
            config.nav = navigation(self.bundle, handwritten)
        # MkDocs holds the pages now; keep only what later events need (at 10k pages the rest is ~400 MB).
        self.page_meta = self.bundle.page_meta
        self.bodies = self.bundle.bodies
        self.site_name, self.site_url = self.bundle.site.name, self.bundle.site.site_url
        self.bundle = None
        return files

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.pages_in_nav = {id(page) for page in nav.pages}
        self.above_nav = {page.url[: end + 1] for page in nav.pages for end in _slashes(page.url)}
        self.sidebars = {}
        self.skeletons = SkeletonConverter()
        return nav

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        """Let our sidebar template reach the theme's own (`opsbook-theme/…`) and cache it per folder."""
        theme_dirs = config.theme.dirs[config.theme.dirs.index(SIDEBAR_DIR) + 1 :]
        theme_loader = FileSystemLoader(theme_dirs)
        if env.loader is not None:
            env.loader = ChoiceLoader([env.loader, PrefixLoader({"opsbook-theme": theme_loader})])
        env.globals["opsbook_sidebar"] = self._sidebar
        return env

    def _sidebar(self, page: Page | None, render: Callable[[], str]) -> Markup:
        """Links in the sidebar are relative to the page's URL, so pages in one folder at one depth share it;
        pages in the navigation (marked active) and pages with navigation pages below them do not."""
        if page is None or id(page) in self.pages_in_nav or page.url in self.above_nav:
            return Markup(render())
        key = (posixpath.dirname(page.url.rstrip("/")), page.url.count("/"))
        if key not in self.sidebars:
            self.sidebars[key] = Markup(render())
        return self.sidebars[key]

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        generated = self.page_meta.get(page.file.src_uri)
        if generated is not None:
            page.meta["opsbook"] = generated
        opsbook_meta: dict[str, Any] = page.meta.get("opsbook") or {}
        if generated is None:
            source = Path(page.file.abs_src_path) if page.file.abs_src_path else None
            page.meta.update(
                handwritten_meta(page.file.src_uri, source, markdown, page.meta, self.site_name, self.site_url)
            )
            opsbook_meta = page.meta.get("opsbook") or {}
        page.update_date = opsbook_meta.get("lastmod", "")
        if page.file.src_uri in self.bodies:
            return self.skeletons.markdown(page, markdown)
        if page.file.src_uri in self.spliced:
            raise PluginError(f"opsbook: {page.file.src_uri} was rendered twice; use `record_pages: markdown`")
        return markdown

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        self._keep_out_of_garbage_collection()
        body = self.bodies.pop(page.file.src_uri, None)
        if body is None:
            return html
        self.spliced.add(page.file.src_uri)
        try:
            return splice(body, self.skeletons.pieces(page, html, config))
        except SpliceError as error:
            raise PluginError(
                f"opsbook: {page.file.src_uri}: {error}: a Markdown extension or another plugin changed the "
                "page's headings; `record_pages: markdown` in the opsbook plugin's options avoids this"
            ) from None

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        self._keep_out_of_garbage_collection()
        return output

    def _keep_out_of_garbage_collection(self) -> None:
        """Pages, their contents and their search entries live until the build ends; frozen, full garbage
        collections stop scanning them again and again. (At 10,000 pages the collector took 8 % of the
        build; with this and `build.collected_once`, 3 %.)"""
        self.page_events += 1
        if self.page_events % FREEZE_EVERY == 0:
            gc.freeze()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        gc.unfreeze()

    def on_build_error(self, *, error: Exception) -> None:
        gc.unfreeze()  # `mkdocs serve` goes on after a failed build: nothing of it may stay pinned

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Callable[[], None]) -> None:
        """`mkdocs serve` rebuilds when a record, the catalog or opsbook.yml changes, not only docs/."""
        paths = read_config(self.root).paths
        for watched in (paths.runbooks, paths.incidents, paths.catalog, CONFIG_FILE):
            if (self.root / watched).exists():
                server.watch(str(self.root / watched))


def _slashes(url: str) -> list[int]:
    return [index for index, character in enumerate(url) if character == "/"]
