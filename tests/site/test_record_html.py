"""Runbook and incident pages rendered straight to HTML are byte for byte the pages Python-Markdown makes
of their Markdown (`record_pages: markdown`), search index included."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.site.render.pieces import MARKER, SpliceError, splice
from tests.kbfactory import incident, make_kb, runbook, write
from tests.site.conftest import ROOT, build_site
from tests.site.test_markup_safety import HOSTILE

EDGE_MKDOCS = """site_name: Edges
site_url: https://edges.example.org/
use_directory_urls: {directory_urls}
theme: {{name: material, font: false}}
plugins:
  - search
  - opsbook{options}
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - tables
  - toc:
      permalink: true{toc}
  - pymdownx.details
  - pymdownx.superfences
  - pymdownx.highlight
  - pymdownx.inlinehilite{extra}
validation:
  anchors: warn
"""
MARKDOWN_MODE = "\n      record_pages: markdown"
SAME_SHAPE = [f"2026-11-0{day}-same-shape" for day in range(1, 6)]
CONFIGURATIONS = {
    "directory-urls": {"directory_urls": "true"},
    "file-urls": {"directory_urls": "false"},
    # headings below h2 left out of the table of contents; every page ends with an appended snippet
    "toc-depth-and-appended-snippet": {
        "toc": "\n      toc_depth: 2",
        "extra": "\n  - pymdownx.snippets:\n      base_path: [snippets]\n      auto_append: [footer.md]",
    },
}


def edge_kb(root: Path, configuration: dict[str, str], options: str = "") -> Path:
    incidents = [incident(record_id, title=f"Same shape number {n}") for n, record_id in enumerate(SAME_SHAPE)]
    incidents += [
        incident("2026-11-10-title-takes-an-id", title="Summary"),
        incident("2026-11-11-title-takes-a-suffix", title="Impact_1"),
        incident("2026-11-12-title-takes-an-h3-id", title="Went well"),
        incident(
            "2026-11-13-hostile",
            title="Hostile <b>title</b> `#!bash code` {{ 7*7 }}",
            summary=" ".join(HOSTILE) + "\n\nSecond\tparagraph with `a | b` and &amp; and = at the end\r\n\r\n"
            "!!! note not an admonition\n\n??? not a details block",
            went_wrong=[*HOSTILE, "= starts with equals", "1. looks like a list", "!!! warning", "??? x"],
            trigger="A `` ` `` backtick and ```triple``` ones",
            contributing_factors=["Under_scores and *stars*", "A [link](https://example.org)"],
            root_cause="Line one\nline two",
            related_incidents=[SAME_SHAPE[0]],
            internal_links=[{"title": "Dashboard & logs", "url": "https://grafana.example.org/d/x?a=1&b=<2>&amp;c"}],
            duplicate_of=SAME_SHAPE[1],
        ),
        incident(
            "2026-11-14-agent-context",
            timeline=[
                *incident()["timeline"],
                {
                    "at": "2026-11-17T10:30:00Z",
                    "event": "Mitigate 1 of 2 done",
                    "actor": "dana",
                    "actor_kind": "person",
                    "walk": "20261117-103000-a3f2",
                },
            ],
            excluded_from_metrics=True,
            exclusion_reason="A drill, not an incident",
            agent_context={
                "sessions": [{"session_id": "s-1", "state_seen": "idle", "decision": "respawned"}],
                "model_chain": {"primary": "openai/gpt-4.1", "fallbacks": ["anthropic/claude"], "reason": "429"},
                "environment": {"environment": "production", "project": "web", "missing": ["A_KEY", "B_KEY"]},
            },
        ),
    ]
    root = make_kb(root, incidents=incidents)
    record = runbook(
        "rb-fallback",
        "fallback",
        related=["rb-auth-drift"],
        title="Fallback `#!py x` <script>x</script>",
        symptoms=[*HOSTILE, "!!! danger"],
        signatures=HOSTILE[:3],
        drills=[],
    )
    record["mitigation"][0]["command"] = "echo '</code></pre><script>alert(3)</script>' ```\n# a comment"
    record["mitigation"][1]["requires_approval"] = 'lead" <img src=x onerror=alert(4)> *who*'
    write(root / "runbooks/fallback/rb-fallback.yaml", record)
    settings = {"directory_urls": "true", "toc": "", "extra": "", **configuration}
    write(root / "mkdocs.yml", EDGE_MKDOCS.format(options=options, **settings))
    write(root / "snippets/footer.md", "Appended to every page by pymdownx.snippets.\n")
    write(
        root / "docs/notes.md",
        f"# Notes\n\nSee [the action items](incidents/2026/{SAME_SHAPE[3]}.md#action-items), "
        f"[what went lucky](incidents/2026/{SAME_SHAPE[2]}.md#got-lucky) and "
        "[the timeline](incidents/2026/2026-11-10-title-takes-an-id.md#timeline).\n",
    )
    write(root / "docs/runbooks/auth-drift/rb-auth-drift.md", "# Our own page\n\nWritten by hand.\n")
    return root


@pytest.fixture(scope="module")
def edge_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = edge_kb(tmp_path_factory.mktemp("edges"), CONFIGURATIONS["directory-urls"])
    return build_site(root, root / "site")


def page_text(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


def files_of(site: Path) -> dict[str, bytes]:
    return {path.relative_to(site).as_posix(): path.read_bytes() for path in site.rglob("*") if path.is_file()}


def assert_same_sites(html_mode: Path, markdown_mode: Path) -> None:
    ours, theirs = files_of(html_mode), files_of(markdown_mode)
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []


def test_bundled_site_is_identical_to_converting_whole_pages(site_dir: Path, tmp_path: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("  - opsbook\n", f"  - opsbook:\n      root: {ROOT}{MARKDOWN_MODE}\n", 1)
    (tmp_path / "mkdocs.yml").write_text(f"docs_dir: {ROOT / 'docs'}\n{config}", encoding="utf-8")
    whole_pages = build_site(tmp_path, tmp_path / "site")
    assert len(list(site_dir.glob("incidents/*/*/index.html"))) >= 10
    assert_same_sites(site_dir, whole_pages)


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_edge_cases_are_identical_to_converting_whole_pages(tmp_path: Path, name: str) -> None:
    html_mode = edge_kb(tmp_path / "html", CONFIGURATIONS[name])
    markdown_mode = edge_kb(tmp_path / "markdown", CONFIGURATIONS[name], ":" + MARKDOWN_MODE)
    assert_same_sites(build_site(html_mode, html_mode / "site"), build_site(markdown_mode, markdown_mode / "site"))


def test_an_appended_snippet_ends_the_page(tmp_path: Path) -> None:
    root = edge_kb(tmp_path, CONFIGURATIONS["toc-depth-and-appended-snippet"])
    page = page_text(build_site(root, root / "site"), f"incidents/2026/{SAME_SHAPE[4]}")
    article = page.split("</article>", 1)[0]
    assert article.count("Appended to every page") == 1
    assert article.rindex("Appended to every page") > article.rindex('id="action-items"')


def test_links_to_missing_incidents_stay_text_in_both_modes(tmp_path: Path) -> None:
    sites = []
    for mode, options in (("html", ""), ("markdown", ":" + MARKDOWN_MODE)):
        root = edge_kb(tmp_path / mode, CONFIGURATIONS["directory-urls"], options)
        broken = incident(
            "2026-11-20-broken-links", related_incidents=["2026-01-01-gone"], duplicate_of="2026-01-02-gone"
        )
        write(root / "incidents/2026/2026-11-20-broken-links.yaml", broken)
        sites.append(build_site(root, root / "site", strict=False))  # `dangling-ref` is a warning
    assert_same_sites(*sites)
    page = page_text(sites[0], "incidents/2026/2026-11-20-broken-links")
    assert "<code>2026-01-01-gone</code>" in page and "<code>2026-01-02-gone</code>" in page
    assert "gone/" not in page and "gone.md" not in page


def test_record_text_never_becomes_markup_on_either_path(tmp_path: Path) -> None:
    root = edge_kb(tmp_path, CONFIGURATIONS["directory-urls"], ":" + MARKDOWN_MODE)
    site = build_site(root, root / "site")
    runbook_page = page_text(site, "runbooks/fallback/rb-fallback")
    assert "<img" not in runbook_page and "&lt;img src=x onerror=alert(4)&gt; *who*" in runbook_page
    incident_page = page_text(site, "incidents/2026/2026-11-13-hostile")
    assert "<details" not in incident_page and "<li>!!! warning</li>" in incident_page
    assert "<p>!!! note not an admonition</p>" in incident_page
    assert "<p>&#63;?? not a details block</p>" in incident_page


def test_a_title_that_takes_a_section_id_renames_that_section(edge_site: Path) -> None:
    page = page_text(edge_site, "incidents/2026/2026-11-10-title-takes-an-id")
    assert '<h1 id="summary">Summary' in page and '<h2 id="summary_1">Summary' in page
    page = page_text(edge_site, "incidents/2026/2026-11-11-title-takes-a-suffix")
    assert '<h1 id="impact_1">' in page and '<h2 id="impact">Impact' in page
    page = page_text(edge_site, "incidents/2026/2026-11-12-title-takes-an-h3-id")
    assert '<h1 id="went-well">' in page and '<h3 data-search-exclude id="went-well_1">Went well' in page


def test_pages_of_one_shape_keep_their_own_title_and_every_section(edge_site: Path) -> None:
    for number, incident_id in enumerate(SAME_SHAPE):
        page = page_text(edge_site, f"incidents/2026/{incident_id}")
        assert f'<h1 id="same-shape-number-{number}">Same shape number {number}' in page
        assert '<h2 id="summary">Summary' in page and 'href="#action-items"' in page


def test_a_hand_written_page_replaces_the_generated_record_page(edge_site: Path) -> None:
    page = page_text(edge_site, "runbooks/auth-drift/rb-auth-drift")
    assert "Written by hand." in page and "Error signatures" not in page


def test_splice_refuses_a_page_whose_pieces_do_not_match_its_markers() -> None:
    assert splice(f"<p>a</p>{MARKER}<p>b</p>", ["<h2>x</h2>", ""]) == "<p>a</p><h2>x</h2><p>b</p>"
    assert splice(f"<p>a</p>{MARKER}", ["<h2>x</h2>", "<p>end</p>"]) == "<p>a</p><h2>x</h2>\n<p>end</p>"
    with pytest.raises(SpliceError):
        splice(f"<p>a</p>{MARKER}<p>b</p>{MARKER}", ["<h2>x</h2>", ""])
