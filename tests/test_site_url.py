"""site_url, the one MkDocs setting the core reads (for links in triage, export and review output)."""

from __future__ import annotations

from pathlib import Path

from opsbook.site.mkdocs_config import site_url


def test_site_url_is_read_past_tags_only_mkdocs_understands(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: !ENV [SITE_NAME, 'Ops']\n"
        "site_url: https://ops.example.org/\n"
        "markdown_extensions:\n"
        "  - pymdownx.superfences:\n"
        "      custom_fences:\n"
        "        - name: mermaid\n"
        "          format: !!python/name:pymdownx.superfences.fence_code_format\n",
        encoding="utf-8",
    )
    assert site_url(tmp_path) == "https://ops.example.org/"


def test_no_site_url_without_a_readable_mkdocs_yml(tmp_path: Path) -> None:
    assert site_url(tmp_path) is None
    (tmp_path / "mkdocs.yml").write_text("site_url: [unclosed\n", encoding="utf-8")
    assert site_url(tmp_path) is None
    (tmp_path / "mkdocs.yml").write_text("site_url: ''\n", encoding="utf-8")
    assert site_url(tmp_path) is None
