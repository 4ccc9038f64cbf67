"""The CLI build and the MkDocs plugin hand MkDocs byte-identical Markdown."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import load_config
from mkdocs.structure.files import Files

from opsbook.mkdocs_plugin import OpsbookPlugin

ROOT = Path(__file__).resolve().parents[1]


def test_plugin_and_cli_produce_identical_markdown(tmp_path: Path, cli) -> None:
    out = tmp_path / "cli"
    assert cli("build", "--out", str(out), cwd=ROOT).exit_code == 0
    config = load_config(str(ROOT / "mkdocs.yml"))
    plugin = config.plugins["opsbook"]
    assert isinstance(plugin, OpsbookPlugin)
    config = config.plugins.on_config(config)
    files = config.plugins.on_files(Files([]), config=config)
    generated = {f.src_uri: f.content_bytes for f in files if f.generated_by == "opsbook"}
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert generated.keys() == written.keys()
    assert [name for name in generated if generated[name] != written[name]] == []
    assert sum(name.endswith(".md") for name in generated) > 50
