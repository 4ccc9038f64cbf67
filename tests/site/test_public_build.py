"""A public build carries no internal record, no internal field and refuses to run over a secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsbook.checks.report import PublicBuildRefused
from opsbook.site.tree import DocsTree
from tests.kbfactory import incident, make_kb, runbook, write
from tests.site.conftest import build_site, mkdocs_build

CANARY_INCIDENT = "canary-internal-incident-5b1f"
CANARY_FIELD = "canary-internal-escalation-9d2e"
CANARY_SUMMARY = "Published summary of an internal event."
MKDOCS = """site_name: Canary
site_url: https://canary.example.org/
theme: {name: material, font: false}
plugins: [search, opsbook]
markdown_extensions: [admonition, attr_list, md_in_html, tables, toc, pymdownx.details, pymdownx.superfences]
"""


@pytest.fixture(scope="module")
def canary_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_kb(
        tmp_path_factory.mktemp("canary"),
        incidents=[
            incident(),
            incident(
                "2026-11-18-internal-thing",
                title=f"Internal {CANARY_INCIDENT}",
                visibility="internal",
                summary=f"Details {CANARY_INCIDENT}",
                public_summary=CANARY_SUMMARY,
                incident_commander=f"ic {CANARY_INCIDENT}",
            ),
            incident(
                "2026-11-19-quiet-internal",
                title="Second internal",
                visibility="internal",
                summary=f"No public summary {CANARY_INCIDENT}",
            ),
        ],
    )
    write(
        root / "runbooks/auth-drift/rb-auth-drift.yaml",
        runbook(
            "rb-auth-drift",
            "auth-drift",
            related=["rb-session-lifecycle", "internal-only"],
            escalation=f"page {CANARY_FIELD}",
            internal_links=[{"title": CANARY_FIELD, "url": "https://wiki.internal.example/x"}],
        ),
    )
    write(
        root / "runbooks/auth-drift/internal-only.yaml",
        runbook(
            "internal-only",
            "auth-drift",
            visibility="internal",
            title=f"Secret ops {CANARY_INCIDENT}",
            related=["rb-auth-drift"],
        ),
    )
    write(root / "mkdocs.yml", MKDOCS)
    write(root / "docs/reviews/2026-W47.md", f"# Weekly review 2026-W47\n\nWe talked about {CANARY_INCIDENT}.\n")
    return root


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


def test_public_mkdocs_build_contains_no_internal_string(canary_kb: Path, tmp_path: Path) -> None:
    site = build_site(canary_kb, tmp_path / "site", public=True)
    text = all_text(site)
    assert CANARY_INCIDENT not in text and CANARY_FIELD not in text
    assert CANARY_SUMMARY in (site / "incidents/index.html").read_text()
    index = json.loads((site / "search/search_index.json").read_text())
    assert not any(CANARY_INCIDENT in doc["text"] or CANARY_INCIDENT in doc["title"] for doc in index["docs"])
    assert "internal-only" not in (site / "sitemap.xml").read_text()
    assert "internal-only" not in (site / "sitemap-opsbook.xml").read_text()


def test_public_cli_build_contains_no_internal_string(canary_kb: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "md"
    result = cli("build", "--public", "--out", str(out), cwd=canary_kb)
    assert result.exit_code == 0, result.output
    text = all_text(out)
    assert CANARY_INCIDENT not in text and CANARY_FIELD not in text


def test_full_build_keeps_internal_records(canary_kb: Path) -> None:
    with DocsTree.open(canary_kb) as tree:
        files = dict(tree.entries())
    assert CANARY_FIELD in str(files["runbooks/auth-drift/rb-auth-drift.md"])
    assert "incidents/2026/2026-11-18-internal-thing.md" in files


def test_public_build_refuses_to_run_over_a_secret(canary_kb: Path, tmp_path: Path, cli) -> None:
    root = tmp_path / "kb"
    make_kb(root)
    key = "sk_" + "live_" + "Q8w3Zr7TpK2mXv9LbN4cYd6H"
    write(
        root / "runbooks/fallback/rb-fallback.yaml",
        runbook("rb-fallback", "fallback", related=["rb-auth-drift"], summary=f"Use {key} here."),
    )
    with pytest.raises(PublicBuildRefused) as refused:
        DocsTree.open(root, public=True)
    assert [d.code for d in refused.value.findings] == ["secret"]
    result = cli("build", "--public", "--out", str(tmp_path / "out"), cwd=root)
    assert result.exit_code == 1 and "refuses" in result.output and key not in result.output
    assert not (tmp_path / "out").exists()


def test_public_mkdocs_build_refuses_to_run_over_a_secret(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb")
    key = "sk_" + "live_" + "Q8w3Zr7TpK2mXv9LbN4cYd6H"
    write(
        root / "runbooks/fallback/rb-fallback.yaml",
        runbook("rb-fallback", "fallback", related=["rb-auth-drift"], summary=f"Use {key} here."),
    )
    write(root / "mkdocs.yml", MKDOCS)
    (root / "docs").mkdir()
    result = mkdocs_build(root, root / "site", public=True)
    assert result.returncode == 1 and "refuses to run" in result.stderr and key not in result.stderr
    assert "rb-fallback.yaml" in result.stderr and not (root / "site" / "index.html").exists()


def stripe_key() -> str:
    return "sk_" + "live_51" + "Q8w3Zr7TpK2mXv9LbN4cYd6HaJ5sE1uR0oP7iW3qT"


def refused(root: Path, tmp_path: Path, cli) -> list[str]:
    """Paths a public build and a public export refuse over, once each builds nothing."""
    with pytest.raises(PublicBuildRefused) as refusal:
        DocsTree.open(root, public=True)
    out = tmp_path / "public"
    built = cli("build", "--public", "--out", str(out), cwd=root)
    exported = cli("export", "--public", "--out", str(tmp_path / "kb.json"), cwd=root)
    for result in (built, exported):
        assert result.exit_code == 1 and "refuses" in result.output and stripe_key() not in result.output
    assert not out.exists() and not (tmp_path / "kb.json").exists()
    return sorted(Path(d.path).name for d in refusal.value.findings)


@pytest.mark.parametrize(
    "summary",
    [
        '"Use \\x73' + stripe_key()[1:] + ' here."',
        '"Use ' + stripe_key()[:20] + "\\\n  " + stripe_key()[20:] + ' here."',
    ],
    ids=["escape", "line-continuation"],
)
def test_a_key_hidden_by_yaml_escapes_stops_the_public_build(tmp_path: Path, cli, summary: str) -> None:
    root = make_kb(tmp_path / "kb")
    path = write(
        root / "runbooks/fallback/rb-fallback.yaml", runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    )
    path.write_text(path.read_text().replace("summary: ", f"summary: {summary} #", 1))
    assert refused(root, tmp_path, cli) == ["rb-fallback.yaml"]


def test_a_key_in_any_file_under_docs_stops_the_public_build(tmp_path: Path, cli) -> None:
    root = make_kb(tmp_path / "kb")
    write(root / "docs/env.example", f"STRIPE_SECRET_KEY={stripe_key()}\n")
    write(root / "docs/assets/config.json", json.dumps({"key": stripe_key()}))
    assert refused(root, tmp_path, cli) == ["config.json", "env.example"]


def test_a_docs_file_that_cannot_be_scanned_stops_the_public_build(tmp_path: Path, cli) -> None:
    root = make_kb(tmp_path / "kb")
    outside = tmp_path / "outside"
    write(outside / "credentials.md", f"key = {stripe_key()}\n")
    (root / "docs").mkdir()
    (root / "docs/linked").symlink_to(outside, target_is_directory=True)
    (root / "docs/leak.md").symlink_to(outside / "credentials.md")
    assert refused(root, tmp_path, cli) == ["leak.md", "linked"]


def test_public_mkdocs_build_refuses_over_a_key_in_a_docs_asset(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb")
    write(root / "mkdocs.yml", MKDOCS)
    write(root / "docs/index.md", "# Home\n")
    write(root / "docs/assets/config.json", json.dumps({"key": stripe_key()}))
    result = mkdocs_build(root, tmp_path / "site", public=True, strict=False)
    assert result.returncode == 1 and "refuses" in result.stderr and "config.json" in result.stderr
    assert stripe_key() not in result.stdout + result.stderr
    assert not (tmp_path / "site/assets/config.json").exists()


def test_public_build_into_an_earlier_full_build_leaves_no_internal_page(canary_kb: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "md"
    assert cli("build", "--out", str(out), cwd=canary_kb).exit_code == 0
    assert CANARY_INCIDENT in all_text(out)
    assert cli("build", "--public", "--out", str(out), "--force", cwd=canary_kb).exit_code == 0
    assert CANARY_INCIDENT not in all_text(out) and CANARY_FIELD not in all_text(out)
    assert not (out / "incidents/2026/2026-11-18-internal-thing.md").exists()
