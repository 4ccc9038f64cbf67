"""The MkDocs adapter: writes the docs tree `opsbook build --out` writes (`opsbook.site.tree`) to scratch
space, hands MkDocs its files, and rebuilds when a record changes. All logic lives in the tree.

Memory is the one MkDocs-specific concern. The tree is written in a child process, so that the heap left
by reading the knowledge base goes back to the system before MkDocs reads its pages; and MkDocs keeps
every page's Markdown and HTML until the build ends, though it needs neither once the page is written,
so the plugin lets each go as soon as MkDocs is done with it. (10,000 records, peak RSS: plain MkDocs of
the same tree 671 MB; the plugin with the releases 515 MB, and with the child process 495 MB.)
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from pathlib import Path

from mkdocs.config import config_options
from mkdocs.config.base import Config as MkDocsConfigBase
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from opsbook.checks.report import PublicBuildRefused
from opsbook.index.root import CONFIG_FILE
from opsbook.records.check_file import read_config
from opsbook.site.tree import ScratchTree, write_scratch_tree

log = logging.getLogger("mkdocs.plugins.opsbook")
THEME_DIR = str(Path(__file__).parent / "theme")
CODE_TOKENS = "opsbook.site.render.code_tokens"


class OpsbookPluginConfig(MkDocsConfigBase):
    public = config_options.Type(bool, default=False)
    root = config_options.Optional(config_options.Type(str))


class OpsbookPlugin(BasePlugin[OpsbookPluginConfig]):
    root: Path = Path()
    scratch: Path | None = None
    written: list[str] = []
    internal_folder: str | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = self.root = Path(self.config.root or Path(config.config_file_path).parent)
        public = self.config.public or os.environ.get("OPSBOOK_PUBLIC", "") not in ("", "0", "false")
        self._remove_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix="opsbook-site-"))
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
            tree = child.submit(
                partial(
                    write_scratch_tree,
                    root,
                    self.scratch,
                    public=public,
                    site_url=config.site_url,
                )
            ).result()
        if not isinstance(tree, ScratchTree):
            for finding in tree:
                log.error(finding.as_text())
            raise PluginError(str(PublicBuildRefused(tree)))
        for diagnostic in tree.diagnostics:
            (log.warning if diagnostic.is_error else log.info)(diagnostic.as_text())
        for page in tree.replaced:
            log.info(f"opsbook: {tree.docs}/{page} is hand-written; the generated page is not used")
        self.written = tree.written
        self.internal_folder = tree.internal_folder
        if config.nav is None:
            config.nav = tree.nav
        custom_dir_count = 1 if config.theme.custom_dir else 0
        config.theme.dirs.insert(custom_dir_count, THEME_DIR)
        config.extra_css.append("assets/opsbook/opsbook.css")
        config.extra_javascript.append("assets/opsbook/opsbook.js")
        if CODE_TOKENS not in config.markdown_extensions:
            config.markdown_extensions.append(CODE_TOKENS)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """The tree's files replace the docs folder's (it holds the hand-written pages too, with their
        structured data); in a public build the review documents go."""
        assert self.scratch is not None
        if self.internal_folder:
            for file in [f for f in files if f.src_uri.startswith(self.internal_folder)]:
                files.remove(file)
        for relative in self.written:
            existing = files.get_file_from_path(relative)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, relative, abs_src_path=str(self.scratch / relative)))
        return files

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """The Markdown is converted: MkDocs converts every page before it writes any, so each page's
        source would otherwise live until the end."""
        page.markdown = None
        return html

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """The page is rendered and the search index has its text: its HTML is not needed again."""
        page.content = None
        return output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._remove_scratch()

    def on_build_error(self, *, error: Exception) -> None:
        self._remove_scratch()

    def on_shutdown(self) -> None:
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Callable[[], None]) -> None:
        """`mkdocs serve` rebuilds when a record, the catalog or opsbook.yml changes, not only docs/."""
        paths = read_config(self.root).paths
        for watched in (paths.runbooks, paths.incidents, paths.catalog, CONFIG_FILE):
            if (self.root / watched).exists():
                server.watch(str(self.root / watched))
