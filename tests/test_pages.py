"""Golden pages: a runbook and an incident that use every field render to the committed Markdown, the one
page every engine and the plugin build from. After an intended template change, rewrite the golden files
with `OPSBOOK_UPDATE_GOLDEN=1 pytest tests/test_pages.py` and review the diff like any other change."""

from __future__ import annotations

import os
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
