"""A public build carries no internal record, no internal field and refuses to run over a secret."""

from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path

import pytest

from opsbook.checks.report import PublicBuildRefused
from opsbook.site.tree import DocsTree
from tests.kbfactory import incident, make_kb, runbook, write, write_internal_neighbour
from tests.site.conftest import build_site, mkdocs_build

CANARY_INCIDENT = "canary-internal-incident-5b1f"
CANARY_FIELD = "canary-internal-escalation-9d2e"
CANARY_SUMMARY = "Published summary of an internal event."
STALE_MAKER = "2026-11-23-canary-stale-maker"
"""An internal incident that used a public runbook after its last review: the runbook is stale in public
too, and nothing of the incident (id, title, date) may say why."""
STALE_MAKER_TITLE = "Quokka gateway meltdown after the canary rollout"
INTERNAL = [
    CANARY_INCIDENT,
    CANARY_FIELD,
    "2026-11-18-internal-thing",
    "2026-11-19-quiet-internal",
    STALE_MAKER,
    STALE_MAKER_TITLE,
    "2026-11-23",
    "internal-only",
]
"""Strings of records and fields a public build leaves out: none may appear in any file it writes."""
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
            incident(
                STALE_MAKER,
                title=STALE_MAKER_TITLE,
                visibility="internal",
                timestamps={
                    "started": "2026-11-23T10:00:00Z",
                    "detected": "2026-11-23T10:20:00Z",
                    "acknowledged": "2026-11-23T10:25:00Z",
                    "mitigated": "2026-11-23T11:00:00Z",
                    "resolved": "2026-11-23T12:00:00Z",
                },
                timeline=[{"at": "2026-11-23T10:00:00Z", "event": "Deploy", "actor": "ci", "actor_kind": "system"}],
            ),
        ],
    )
    write(
        root / "runbooks/auth-drift/old-public.yaml",
        runbook(
            "old-public", "auth-drift", status="deprecated", replaced_by="internal-only", related=["rb-auth-drift"]
        ),
    )
    write_internal_neighbour(root, canary=CANARY_FIELD, internal_title=f"Secret ops {CANARY_INCIDENT}")
    write(root / "mkdocs.yml", MKDOCS)
    write(root / "docs/reviews/2026-W47.md", f"# Weekly review 2026-W47\n\nWe talked about {CANARY_INCIDENT}.\n")
    return root


def readable(path: Path) -> str:
    """A file's text in every form a reader may meet it: as written, with HTML entities and JSON escapes
    undone (attributes, JSON-LD, JSON files, SVG), and unzipped."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    text = data.decode("utf-8", errors="replace")
    forms = [text, html.unescape(text)]
    if path.suffix == ".json":
        forms.append(json.dumps(json.loads(text), ensure_ascii=False))
    forms += [json.loads(f'"{block}"') for block in re.findall(r'"((?:[^"\\\n]|\\.)*)"', text) if "\\u" in block]
    return "\n".join(forms)


def all_text(folder: Path) -> str:
    return "\n".join(readable(p) for p in folder.rglob("*") if p.is_file())


def leaks(folder: Path) -> dict[str, list[str]]:
    """Each file of `folder` that holds an internal string, with the strings it holds (any case)."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            text = readable(path).lower()
            named = [canary for canary in INTERNAL if canary.lower() in text]
            if named:
                found[path.relative_to(folder).as_posix()] = named
    return found


def test_public_mkdocs_build_contains_no_internal_string(canary_kb: Path, tmp_path: Path) -> None:
    site = build_site(canary_kb, tmp_path / "site", public=True)
    assert leaks(site) == {}
    stale = (site / "runbooks/auth-drift/rb-auth-drift/index.html").read_text()
    assert "ob-badge--stale" in stale and "1 unpublished incident" in stale
    assert CANARY_SUMMARY in (site / "incidents/index.html").read_text()
    index = json.loads((site / "search/search_index.json").read_text())
    assert not any(CANARY_INCIDENT in doc["text"] or CANARY_INCIDENT in doc["title"] for doc in index["docs"])
    assert "internal-only" not in (site / "sitemap.xml").read_text()
    assert "internal-only" not in (site / "sitemap-opsbook.xml").read_text()


def test_public_cli_build_contains_no_internal_string(canary_kb: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "md"
    result = cli("build", "--public", "--out", str(out), cwd=canary_kb)
    assert result.exit_code == 0, result.output
    assert leaks(out) == {}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert {"llms.txt", "llms-full.txt", "api/knowledge-base.json", "api/triage.json"} <= written
    copies = sorted(p for p in written if p.endswith(".md.txt"))
    assert copies == [
        "incidents/2026/2026-11-17-webhook-secret.md.txt",
        "runbooks/auth-drift/old-public.md.txt",
        "runbooks/auth-drift/rb-auth-drift.md.txt",
        *(f"runbooks/{c}/rb-{c}.md.txt" for c in ("fallback", "session-lifecycle", "stale-deploy", "tool-policy")),
    ]
    stale = (out / "runbooks/auth-drift/rb-auth-drift.md.txt").read_text()
    assert "STALE: incidents used it after its last review: 1 incident that is not public" in stale
    assert "## Internal" not in stale


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


def test_public_build_refuses_to_publish_the_id_of_a_record_it_leaves_out(tmp_path: Path, cli) -> None:
    root = make_kb(
        tmp_path / "kb",
        incidents=[incident(), incident("2026-11-20-hidden-outage", title=STALE_MAKER_TITLE, visibility="internal")],
    )
    write(
        root / "runbooks/fallback/rb-fallback.yaml",
        runbook("rb-fallback", "fallback", related=["rb-auth-drift"], summary="Learned in 2026-11-20-hidden-outage."),
    )
    write(root / "docs/notes.md", '# Notes\n\n<a title="see 2026-11-20-hidden-outage">the write-up</a>\n')
    with pytest.raises(PublicBuildRefused) as refusal, DocsTree.open(root, public=True) as tree:
        for _ in tree.entries():
            pass
    finding = refusal.value.findings[0]
    assert finding.code == "names-unpublished" and finding.path == "incidents/2026/2026-11-20-hidden-outage.yaml"
    result = cli("build", "--public", "--out", str(tmp_path / "out"), cwd=root)
    assert result.exit_code == 1 and "names-unpublished" in result.output and "notes.md" in result.output
    assert not (tmp_path / "out").exists()
    runbook_path = root / "runbooks/fallback/rb-fallback.yaml"
    runbook_path.write_text(runbook_path.read_text().replace("2026-11-20-hidden-outage", "an internal outage"))
    (root / "docs/notes.md").write_text("# Notes\n\nNothing internal.\n")
    assert cli("build", "--public", "--out", str(tmp_path / "out"), cwd=root).exit_code == 0
