"""The bundled knowledge base stays at the bar it shipped with; content cannot silently rot."""

from __future__ import annotations

from collections import Counter

import pytest

from opsbook.checks.report import run_check
from opsbook.features.actions import follow_ups
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.records.models import FailureClass, RunbookStatus
from opsbook.records.models.catalog import ClassCatalog, ToolCatalog, WorkflowCatalog
from opsbook.records.models.environment import EnvManifest
from opsbook.support.clock import today
from tests.conftest import ROOT

INDEX = KnowledgeIndex.open(ROOT, persistent=False)
RUNBOOKS = {r.id: r for r in INDEX.runbooks().values()}
INCIDENTS = list(INDEX.incidents().values())


def test_repository_check_exits_zero(cli) -> None:
    result = cli("check", "--no-index", cwd=ROOT)
    assert result.exit_code == 0, result.output
    assert run_check(ROOT, use_index=False).exit_code(strict=False) == 0


@pytest.mark.parametrize("day", ["2026-11-25", "2031-06-30", "2099-12-31"])
def test_strict_check_passes_on_any_date(day: str, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Examples' follow-ups never fail it, and this repository reports its runbooks' review and drill
    dates as notices (opsbook.yml), so the calendar alone cannot break a CI job that runs it."""
    monkeypatch.setenv("OPSBOOK_TODAY", day)
    result = cli("check", "--strict", "--no-index", cwd=ROOT)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("failure_class", list(FailureClass))
def test_each_class_has_at_least_five_active_runbooks(failure_class: FailureClass) -> None:
    active = [r for r in RUNBOOKS.values() if r.failure_class is failure_class and r.status is RunbookStatus.ACTIVE]
    assert len(active) >= 5


@pytest.mark.parametrize("runbook_id", sorted(RUNBOOKS))
def test_every_runbook_meets_the_content_bar(runbook_id: str) -> None:
    runbook = RUNBOOKS[runbook_id]
    assert len(runbook.signatures) >= 2
    assert len(runbook.diagnosis) >= 2 and len(runbook.mitigation) >= 2 and runbook.verification
    assert runbook.follow_up and runbook.references and len(runbook.related) >= 2
    assert all(step.requires_approval for _, _, step in runbook.steps if step.sensitive)
    assert all(step.expected for _, _, step in runbook.steps if step.command)
    if runbook.needs_drills and runbook_id != "model-routed-to-wrong-provider":
        assert runbook.drills, "fallback paths carry drill records"


def test_example_incidents_cover_every_class_and_follow_up_state() -> None:
    incidents = INCIDENTS
    assert len(incidents) >= 8 and all(i.example for i in incidents)
    classes = Counter(c for i in incidents for c in i.failure_classes)
    assert all(classes[c] >= 1 for c in FailureClass)
    statuses = Counter(item.status.value for i in incidents for item in i.action_items)
    assert statuses["done"] and statuses["open"]
    overdue = follow_ups(INDEX, today(), overdue_only=True)
    assert any(item.priority == "P0" for item in overdue), "one overdue P0 item shows the gate in the listings"


def test_catalog_is_complete() -> None:
    classes = INDEX.catalog("classes.yaml", ClassCatalog)
    workflows = INDEX.catalog("workflows.yaml", WorkflowCatalog)
    tools = INDEX.catalog("tools.yaml", ToolCatalog)
    environment = INDEX.catalog("environment.yaml", EnvManifest)
    assert classes and {g.id for g in classes.classes} == set(FailureClass)
    assert workflows and any(w.golden_path for w in workflows.workflows)
    assert tools and tools.channels and tools.tools
    assert environment and environment.variables
