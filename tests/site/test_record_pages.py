"""Record pages built by MkDocs through the plugin: every section is in the table of contents with its
anchor, and links to those anchors from hand-written pages are checked by a strict build."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.kbfactory import incident, make_kb, write
from tests.site.conftest import build_site, mkdocs_build
from tests.site.test_public_build import MKDOCS

STRICT_ANCHORS = MKDOCS + "validation:\n  links:\n    anchors: warn\n"
INCIDENT = "2026-11-17-webhook-secret"
RUNBOOK_SECTIONS = ["symptoms", "error-signatures", "diagnose", "mitigate", "verify", "follow-up", "drills"]
INCIDENT_SECTIONS = ["summary", "impact", "response-times", "detection", "timeline", "runbooks-used", "action-items"]


def kb_with_notes(root: Path, anchor: str) -> Path:
    make_kb(root, incidents=[incident(went_well=["Support escalated"])])
    write(root / "mkdocs.yml", STRICT_ANCHORS)
    write(
        root / "docs/notes.md",
        f"# Notes\n\nSee [the action items](incidents/2026/{INCIDENT}.md#{anchor}), "
        "[the mitigation](runbooks/fallback/rb-fallback.md#mitigate).\n",
    )
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = kb_with_notes(tmp_path_factory.mktemp("anchors"), "action-items")
    return build_site(root, root / "site")


def toc_links(page: str) -> list[str]:
    toc = page.split('<nav class="md-nav md-nav--secondary"', 1)[1].split('<div class="md-content"', 1)[0]
    return re.findall(r'href="#([^"]+)"', toc)


@pytest.mark.parametrize(
    ("page", "sections"),
    [("runbooks/fallback/rb-fallback", RUNBOOK_SECTIONS), (f"incidents/2026/{INCIDENT}", INCIDENT_SECTIONS)],
)
def test_every_section_is_in_the_table_of_contents_with_its_anchor(site: Path, page: str, sections: list[str]) -> None:
    html = (site / page / "index.html").read_text(encoding="utf-8")
    links = toc_links(html)
    assert [section for section in sections if section not in links] == []
    for section in sections:
        assert re.search(rf'<h2[^>]* id="{section}"', html), section


def test_hand_written_links_to_sections_resolve(site: Path) -> None:
    notes = (site / "notes/index.html").read_text(encoding="utf-8")
    assert f'href="../incidents/2026/{INCIDENT}/#action-items"' in notes
    assert 'href="../runbooks/fallback/rb-fallback/#mitigate"' in notes


def test_a_link_to_a_missing_section_fails_the_strict_build(tmp_path: Path) -> None:
    root = kb_with_notes(tmp_path, "no-such-section")
    result = mkdocs_build(root, root / "site")
    assert result.returncode == 1 and "does not contain an anchor '#no-such-section'" in result.stderr
