"""The CLI build and the MkDocs plugin hand MkDocs byte-identical Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import Files

from opsbook.site.mkdocs_plugin import OpsbookPlugin
from opsbook.support.atomic import BUILD_MARK

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def written(tmp_path: Path, cli) -> dict[str, bytes]:
    out = tmp_path / "cli"
    assert cli("build", "--out", str(out), cwd=ROOT).exit_code == 0
    files = (p for p in out.rglob("*") if p.is_file() and p.name != BUILD_MARK)  # the build's own mark
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


def generated(record_pages: str) -> dict[str, bytes]:
    config = load_config(str(ROOT / "mkdocs.yml"))
    plugin = config.plugins["opsbook"]
    assert isinstance(plugin, OpsbookPlugin)
    plugin.config.record_pages = record_pages
    config = config.plugins.on_config(config)
    files = config.plugins.on_files(Files([]), config=config)
    return {f.src_uri: f.content_bytes for f in files if f.generated_by == "opsbook"}


def front_matter(page: bytes) -> bytes:
    return page.split(b"\n---\n", 1)[0]


def test_plugin_and_cli_produce_identical_markdown(written: dict[str, bytes]) -> None:
    pages = generated("markdown")
    assert pages.keys() == written.keys()
    assert [name for name in pages if pages[name] != written[name]] == []
    assert sum(name.endswith(".md") for name in pages) > 50


def test_with_html_record_pages_only_their_bodies_differ(written: dict[str, bytes]) -> None:
    pages = generated("html")
    records = {name for name in pages if name.startswith(("runbooks/", "incidents/2"))}
    records -= {name for name in records if name.endswith("index.md")}
    assert pages.keys() == written.keys() and len(records) >= 40
    assert [name for name in pages if name not in records and pages[name] != written[name]] == []
    assert [name for name in records if front_matter(pages[name]) != front_matter(written[name])] == []
