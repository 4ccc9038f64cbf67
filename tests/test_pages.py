"""Golden pages: a runbook and an incident that use every field render to the committed Markdown, the one
page every engine and the plugin build from. After an intended template change, rewrite the golden files
with `OPSBOOK_UPDATE_GOLDEN=1 pytest tests/test_pages.py` and review the diff like any other change."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from opsbook.site.tree import DocsTree
from tests.kbfactory import incident, make_kb, runbook, write

GOLDEN = Path(__file__).parent / "data" / "golden"
PAGES = {
    "runbook.md": "runbooks/fallback/rb-fallback.md",
    "incident.md": "incidents/2026/2026-11-17-webhook-secret.md",
}


def full_runbook() -> dict:
    record = runbook(
        "rb-fallback",
        "fallback",
        related=["rb-auth-drift"],
        title="Fallback never fires when the primary returns 429",
        escalation="Page #agent-runtime-oncall",
        applicability={
            "environments": ["production"],
            "providers": ["openai", "anthropic"],
            "runtimes": ["litellm"],
            "not_for": "A quota that is used up: see `quota-exhausted-not-retryable`",
        },
        prerequisites=["Read access to the router logs"],
        references=[{"title": "LiteLLM: fallbacks", "url": "https://docs.litellm.ai/docs/proxy/reliability?a=1&b=2"}],
    )
    record["mitigation"][1]["command"] = "kubectl rollout restart deploy/router ```\n# then watch it"
    record["mitigation"][1]["executor"] = "agent"
    return record


def full_incident() -> dict:
    return incident(
        incident_commander="dana",
        trigger="A deploy moved the secret",
        root_cause="The production variable was scoped to Preview",
        contributing_factors=["No P0 test on the webhook", "Alerts went to an archived channel"],
        went_well=["Support escalated within 20 minutes"],
        went_wrong=["Nobody owned the variable"],
        got_lucky=[],
        related_incidents=["2026-10-01-gone"],
        agent_context={
            "sessions": [
                {"session_id": "s-1", "state_seen": "idle", "decision": "respawned", "notes": "`/resume` failed"}
            ],
            "model_chain": {"primary": "openai/gpt-4.1", "fallbacks": ["anthropic/claude"], "reason": "429"},
            "environment": {"environment": "production", "project": "web", "missing": ["STRIPE_WEBHOOK_SECRET"]},
        },
        internal_links=[{"title": "Dashboard", "url": "https://grafana.example.org/d/x"}],
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = make_kb(tmp_path_factory.mktemp("golden"), incidents=[full_incident()])
    write(root / "runbooks/fallback/rb-fallback.yaml", full_runbook())
    with DocsTree.open(root, site_url="https://golden.example.org/") as tree:
        return {path: content for path, content in tree.entries() if isinstance(content, str)}


@pytest.mark.parametrize("golden", list(PAGES))
def test_record_page_matches_its_golden_page(pages: dict[str, str], golden: str) -> None:
    page = pages[PAGES[golden]]
    if os.environ.get("OPSBOOK_UPDATE_GOLDEN"):
        (GOLDEN / golden).write_text(page, encoding="utf-8")
    assert page == (GOLDEN / golden).read_text(encoding="utf-8")


def test_the_home_page_counts_open_follow_ups_in_words(pages: dict[str, str]) -> None:
    assert "1 open action item, 0 overdue." in pages["index.md"]


def test_a_workflow_lists_its_ten_newest_incidents_and_says_how_many_there_are(tmp_path: Path) -> None:
    """At thousands of incidents the whole list is a wall of links on a phone, and one search field past what
    Zensical accepts (it refused the 10,000-record tree on this page)."""

    def broke_on(day: int) -> dict:
        at = f"2026-11-{day:02d}T10:00:00Z"
        return incident(
            f"2026-11-{day:02d}-chat-broke",
            title=f"Chat broke on day {day}",
            workflows=["chat-answer"],
            timestamps={"started": at, "resolved": f"2026-11-{day:02d}T11:00:00Z"},
            timeline=[{"at": at, "event": "Deploy", "actor": "ci", "actor_kind": "system"}],
        )

    root = make_kb(tmp_path, incidents=[broke_on(day) for day in range(1, 13)])
    write(root / "catalog/workflows.yaml", (Path(__file__).parents[1] / "catalog/workflows.yaml").read_text())
    with DocsTree.open(root) as tree:
        page = dict(tree.entries())["operating/workflows.md"]
    assert isinstance(page, str)
    chat = page.split("{ #chat-answer }", 1)[1].split("\n## ", 1)[0]
    assert "(the newest 10 of 12; see [all incidents](../incidents/index.md))" in chat
    assert all(f"Chat broke on day {day}]" in chat for day in range(3, 13))
    assert "Chat broke on day 2]" not in chat and "Chat broke on day 1]" not in chat


ZENSICAL_FIELD_LIMIT = 16_384
"""Bytes of text Zensical accepts in one search field (one section of a page); past it, the build fails."""


def searchable_sections(page: str) -> list[tuple[str, int]]:
    """(heading, bytes of text) of each section of `page` that search indexes."""
    if page.startswith("---\n") and "\nsearch:\n  exclude: true\n" in page.split("\n---\n", 1)[0] + "\n":
        return []
    sections: list[tuple[str, int]] = []
    heading, size = "(top)", 0
    for line in page.splitlines():
        if line.startswith("#"):
            sections.append((heading, size))
            heading, size = line, 0
        elif "data-search-exclude" not in heading:
            size += len(re.sub(r"\]\([^)]*\)", "]", line).encode()) + 1
    sections.append((heading, size))
    return [(h, s) for h, s in sections if "data-search-exclude" not in h]


def test_no_searchable_section_grows_with_the_knowledge_base(tmp_path: Path) -> None:
    """A runbook used by hundreds of incidents (as at 10,000 records) lists them all, but outside search:
    Zensical refuses a search field past 16 KB, and the incidents are searchable on their own pages."""
    uses = [
        incident(
            f"2026-11-17-webhook-{number:03d}",
            runbooks_used=[{"runbook": "rb-auth-drift", "helped": "partly", "note": "Rotated the secret, then " * 4}],
        )
        for number in range(200)
    ]
    root = make_kb(tmp_path, incidents=uses)
    with DocsTree.open(root) as tree:
        pages = {path: text for path, text in tree.entries() if isinstance(text, str) and path.endswith(".md")}
    assert "webhook-199" in pages["runbooks/auth-drift/rb-auth-drift.md"]
    too_large = [
        (path, heading, size)
        for path, page in pages.items()
        for heading, size in searchable_sections(page)
        if size > ZENSICAL_FIELD_LIMIT
    ]
    assert too_large == []
