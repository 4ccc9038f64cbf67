"""Cross-record checks read one graph: references, cycles, coverage, freshness and follow-ups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opsbook.checks.report import run_check
from opsbook.records.summary import ActionFacts, RecordFacts
from opsbook.checks.freshness import DrillState, action_deadline, is_overdue, runbook_freshness
from tests.kbfactory import incident, make_kb, runbook, write


def found(root: Path, code: str) -> list:
    return [d for d in run_check(root, use_cache=False).diagnostics if d.code == code]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path)


def test_dangling_reference_suggests_the_close_id(kb: Path) -> None:
    write(
        kb / "incidents/2026/2026-11-17-webhook-secret.yaml",
        incident(runbooks_used=[{"runbook": "rb-auth-drfit", "helped": "yes"}]),
    )
    [diagnostic] = found(kb, "dangling-ref")
    assert "did you mean 'rb-auth-drift'" in diagnostic.message
    assert diagnostic.line > 1 and diagnostic.severity == "error"


def test_reference_to_unknown_workflow_is_dangling(kb: Path) -> None:
    write(
        kb / "runbooks/fallback/rb-fallback.yaml",
        runbook("rb-fallback", "fallback", related=["rb-auth-drift"], workflows=["checkout"]),
    )
    [diagnostic] = found(kb, "dangling-ref")
    assert "workflow 'checkout'" in diagnostic.message


def test_workflow_in_catalog_resolves(kb: Path) -> None:
    write(
        kb / "catalog/workflows.yaml",
        {
            "workflows": [
                {
                    "id": "checkout",
                    "title": "Checkout",
                    "description": "Pay",
                    "owner": "growth",
                    "events": {"success": "checkout.ok", "failure": "checkout.failed"},
                    "how_to_observe": "dashboard",
                }
            ]
        },
    )
    write(
        kb / "runbooks/fallback/rb-fallback.yaml",
        runbook("rb-fallback", "fallback", related=["rb-auth-drift"], workflows=["checkout"]),
    )
    assert found(kb, "dangling-ref") == []


def test_self_reference(kb: Path) -> None:
    write(kb / "runbooks/fallback/rb-fallback.yaml", runbook("rb-fallback", "fallback", related=["rb-fallback"]))
    assert len(found(kb, "self-ref")) == 1


def test_duplicate_ids_across_folders(kb: Path) -> None:
    write(
        kb / "runbooks/tool-policy/rb-fallback.yaml",
        runbook("rb-fallback", "tool-policy", related=["rb-auth-drift"]),
    )
    [diagnostic] = found(kb, "duplicate-id")
    assert "also used by" in diagnostic.message


def test_orphan_runbook_is_a_warning(kb: Path) -> None:
    write(kb / "runbooks/fallback/lonely.yaml", runbook("lonely", "fallback"))
    [diagnostic] = found(kb, "orphan-runbook")
    assert diagnostic.severity == "warning"


def test_deprecation_cycle(kb: Path) -> None:
    write(kb / "runbooks/fallback/a.yaml", runbook("a", "fallback", status="deprecated", replaced_by="b"))
    write(kb / "runbooks/fallback/b.yaml", runbook("b", "fallback", status="deprecated", replaced_by="a"))
    [diagnostic] = found(kb, "deprecation-cycle")
    assert "a -> b -> a" in diagnostic.message


def test_every_class_needs_an_active_runbook(kb: Path) -> None:
    write(
        kb / "runbooks/fallback/rb-fallback.yaml",
        runbook("rb-fallback", "fallback", status="draft", related=["rb-auth-drift"]),
    )
    [diagnostic] = found(kb, "class-uncovered")
    assert "'fallback'" in diagnostic.message and diagnostic.severity == "error"


def test_runbook_used_after_its_review_is_stale(kb: Path) -> None:
    write(
        kb / "runbooks/auth-drift/rb-auth-drift.yaml",
        runbook("rb-auth-drift", "auth-drift", related=["rb-session-lifecycle"], last_reviewed="2026-11-10"),
    )
    [diagnostic] = found(kb, "stale-runbook")
    assert "2026-11-17-webhook-secret" in diagnostic.message


def test_fallback_never_drilled(kb: Path) -> None:
    write(
        kb / "runbooks/fallback/rb-fallback.yaml",
        runbook("rb-fallback", "fallback", related=["rb-auth-drift"], drills=[]),
    )
    [diagnostic] = found(kb, "never-drilled")
    assert "never been drilled" in diagnostic.message


def test_only_gated_priorities_are_reported_overdue_by_check(kb: Path) -> None:
    record = incident()
    record["action_items"] = [
        {"id": "p0", "title": "t", "type": "prevent", "owner": "o", "priority": "P0", "due": "2026-11-20"},
        {"id": "p1", "title": "t", "type": "prevent", "owner": "o", "priority": "P1", "due": "2026-11-20"},
    ]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    [diagnostic] = found(kb, "overdue-action")
    assert "'p0'" in diagnostic.message
    report = run_check(kb, use_cache=False)
    assert (report.exit_code(strict=False), report.exit_code(strict=True)) == (0, 1)


def facts(**changes: object) -> RecordFacts:
    base = dict(
        kind="runbook",
        id="r",
        path="r.yaml",
        line=1,
        col=1,
        title="t",
        failure_classes=("fallback",),
        status="active",
        visibility="public",
        refs=(),
        last_reviewed=dt.date(2026, 8, 1),
        review_interval_days=90,
        needs_drills=True,
        last_drill=dt.date(2026, 8, 2),
    )
    base.update(changes)
    return RecordFacts(**base)  # type: ignore[arg-type]


def test_freshness_past_interval() -> None:
    result = runbook_freshness(facts(), [], dt.date(2026, 10, 31))
    assert result.past_interval and result.review_due == dt.date(2026, 10, 30)
    assert not runbook_freshness(facts(), [], dt.date(2026, 10, 30)).past_interval


def test_drill_states() -> None:
    on = dt.date(2026, 11, 25)
    assert runbook_freshness(facts(last_drill=None), [], on).drill is DrillState.NEVER
    assert runbook_freshness(facts(last_drill=dt.date(2026, 8, 1)), [], on).drill is DrillState.OVERDUE
    assert runbook_freshness(facts(last_drill=dt.date(2026, 11, 1)), [], on).drill is DrillState.CURRENT
    assert runbook_freshness(facts(needs_drills=False), [], on).drill is DrillState.NOT_REQUIRED


def action(**changes: object) -> ActionFacts:
    base = dict(
        id="a",
        title="t",
        owner="o",
        priority="P1",
        status="open",
        opened=dt.date(2026, 11, 1),
        due=None,
        closed=None,
        type="prevent",
        line=1,
        col=1,
    )
    base.update(changes)
    return ActionFacts(**base)  # type: ignore[arg-type]


def test_sla_applies_without_a_due_date() -> None:
    sla = {"P0": 7, "P1": 30}
    assert action_deadline(action(), sla) == dt.date(2026, 12, 1)
    assert not is_overdue(action(), sla, dt.date(2026, 12, 1))
    assert is_overdue(action(), sla, dt.date(2026, 12, 2))
    assert is_overdue(action(priority="P0"), sla, dt.date(2026, 11, 9))


def test_due_date_wins_and_done_is_never_overdue() -> None:
    sla = {"P1": 30}
    assert is_overdue(action(due=dt.date(2026, 11, 2)), sla, dt.date(2026, 11, 3))
    assert not is_overdue(action(due=dt.date(2026, 11, 2), status="done"), sla, dt.date(2027, 1, 1))
