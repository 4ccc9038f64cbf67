"""The MkDocs plugin is a thin adapter: it hands MkDocs exactly the files `opsbook build --out` writes,
and those replace the docs folder's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import Files, get_files

from opsbook.site.mkdocs_plugin import OpsbookPlugin
from opsbook.support.atomic import BUILD_MARK
from tests.kbfactory import make_kb, write
from tests.site.conftest import mkdocs_build
from tests.site.test_public_build import MKDOCS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def written(tmp_path: Path, cli) -> dict[str, bytes]:
    out = tmp_path / "cli"
    assert cli("build", "--out", str(out), cwd=ROOT).exit_code == 0
    files = (p for p in out.rglob("*") if p.is_file() and p.name != BUILD_MARK)  # the build's own mark
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


def plugin_files() -> tuple[Files, OpsbookPlugin]:
    config = load_config(str(ROOT / "mkdocs.yml"))
    plugin = config.plugins["opsbook"]
    assert isinstance(plugin, OpsbookPlugin)
    config = config.plugins.on_config(config)
    return config.plugins.on_files(get_files(config), config=config), plugin


def test_plugin_hands_mkdocs_the_files_the_cli_writes(written: dict[str, bytes]) -> None:
    files, plugin = plugin_files()
    try:
        handed = {f.src_uri: f.content_bytes for f in files if f.generated_by == "opsbook"}
    finally:
        plugin.on_post_build(config=None)  # type: ignore[arg-type]
    assert handed.keys() == written.keys()
    assert [name for name in handed if handed[name] != written[name]] == []
    assert sum(name.endswith(".md") for name in handed) > 50


def test_hand_written_pages_reach_mkdocs_only_through_the_tree(written: dict[str, bytes]) -> None:
    files, plugin = plugin_files()
    plugin.on_post_build(config=None)  # type: ignore[arg-type]
    golden_path = files.get_file_from_path("operating/golden-path.md")
    assert golden_path is not None and golden_path.generated_by == "opsbook"
    assert "operating/golden-path.md" in written
    assert plugin.scratch is None, "the scratch tree is removed when the build ends"


RELEASE_CHECK = """
import json

STATE = {}


def on_files(files, config):
    STATE["files"] = files
    return files


def on_post_build(config):
    pages = [f.page for f in STATE["files"].documentation_pages()]
    kept = [p.file.src_uri for p in pages if p.markdown is not None or p.content is not None]
    with open(config["extra"]["report"], "w") as report:
        json.dump({"pages": len(pages), "kept": kept}, report)
"""


def test_pages_are_released_once_written_and_still_searchable(tmp_path: Path) -> None:
    """MkDocs keeps every page's Markdown and HTML to the end of a build; the plugin lets them go once the
    page is written, and the search index still has their text. (A hook, run after the plugin, looks.)"""
    root = make_kb(tmp_path / "kb")
    write(root / "hooks.py", RELEASE_CHECK)
    (root / "docs").mkdir()
    report = tmp_path / "report.json"
    write(root / "mkdocs.yml", MKDOCS + f"hooks: [hooks.py]\nextra:\n  report: {report}\n")
    result = mkdocs_build(root, root / "site")
    assert result.returncode == 0, result.stderr
    released = json.loads(report.read_text())
    assert released["pages"] > 20 and released["kept"] == []
    index = json.loads((root / "site/search/search_index.json").read_text())
    assert any("What to do when rb-fallback happens" in doc["text"] for doc in index["docs"])
