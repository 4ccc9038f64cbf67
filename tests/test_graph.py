"""Cross-record checks read one graph: references, cycles, coverage, freshness and follow-ups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opsbook.checks.deadlines import ActionState, action_states
from opsbook.checks.freshness import DrillState, Freshness, runbook_freshness
from opsbook.checks.report import run_check
from opsbook.index.knowledge import KnowledgeIndex
from tests.kbfactory import incident, make_kb, runbook, write


def found(root: Path, code: str) -> list:
    return [d for d in run_check(root, use_index=False).diagnostics if d.code == code]


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
    assert diagnostic.line > 1 and diagnostic.level == "error"


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
    assert diagnostic.level == "warning"


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
    assert "'fallback'" in diagnostic.message and diagnostic.level == "error"


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


OVERDUE_ITEMS = [
    {"id": "p0", "title": "t", "type": "prevent", "owner": "o", "priority": "P0", "due": "2026-11-20"},
    {"id": "p1", "title": "t", "type": "prevent", "owner": "o", "priority": "P1", "due": "2026-11-20"},
]


def test_only_gated_priorities_are_reported_overdue_by_check(kb: Path) -> None:
    record = incident(example=False, action_items=OVERDUE_ITEMS)
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    [diagnostic] = found(kb, "overdue-action")
    assert "'p0'" in diagnostic.message
    report = run_check(kb, use_index=False)
    assert (report.exit_code(strict=False), report.exit_code(strict=True)) == (0, 1)


def test_an_example_incidents_overdue_follow_up_never_fails_strict(kb: Path) -> None:
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", incident(example=True, action_items=OVERDUE_ITEMS))
    assert found(kb, "overdue-action") == []
    assert run_check(kb, use_index=False).exit_code(strict=True) == 0


def freshness_of(kb: Path, on: dt.date, **changes: object) -> Freshness:
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"], last_reviewed="2026-08-01")
    record.update(changes)
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    index = KnowledgeIndex.open(kb)
    [state] = [s for s in runbook_freshness(index, on) if s.id == "rb-fallback"]
    return state.freshness


def test_freshness_past_interval(kb: Path) -> None:
    result = freshness_of(kb, dt.date(2026, 10, 31))
    assert result.past_interval and result.review_due == dt.date(2026, 10, 30)
    assert not freshness_of(kb, dt.date(2026, 10, 30)).past_interval


@pytest.mark.parametrize(
    ("drills", "drill_required", "state"),
    [
        ([], None, DrillState.NEVER),
        ([{"date": "2026-08-01", "result": "pass", "environment": "staging"}], None, DrillState.OVERDUE),
        ([{"date": "2026-11-01", "result": "pass", "environment": "staging"}], None, DrillState.CURRENT),
        ([], False, DrillState.NOT_REQUIRED),
    ],
)
def test_drill_states(kb: Path, drills: list, drill_required: bool | None, state: DrillState) -> None:
    changes: dict[str, object] = {"drills": drills}
    if drill_required is not None:
        changes["drill_required"] = drill_required
    assert freshness_of(kb, dt.date(2026, 11, 25), **changes).drill is state


def states(kb: Path, on: dt.date, **item: object) -> list[ActionState]:
    record = incident()
    record["action_items"] = [{"id": "a", "title": "t", "type": "prevent", "owner": "o", "priority": "P1", **item}]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    return action_states(KnowledgeIndex.open(kb), on)


def test_sla_applies_without_a_due_date(kb: Path) -> None:
    [item] = states(kb, dt.date(2026, 12, 1), opened="2026-11-01")
    assert item.deadline == dt.date(2026, 12, 1) and item.deadline_from == "sla" and not item.overdue
    assert states(kb, dt.date(2026, 12, 2), opened="2026-11-01")[0].overdue
    assert states(kb, dt.date(2026, 11, 9), opened="2026-11-01", priority="P0")[0].overdue


def test_an_item_without_opened_counts_from_detection(kb: Path) -> None:
    [item] = states(kb, dt.date(2026, 11, 25))
    assert item.opened == dt.date(2026, 11, 17)


def test_due_date_wins_and_done_is_never_overdue(kb: Path) -> None:
    assert states(kb, dt.date(2026, 11, 3), due="2026-11-02")[0].overdue
    done = states(kb, dt.date(2027, 1, 1), due="2026-11-02", status="done", closed="2026-11-02")
    assert not done[0].overdue


def test_a_priority_without_an_sla_gets_the_default(kb: Path) -> None:
    write(kb / "opsbook.yml", "name: test\naction_items:\n  sla_days: {P0: 7}\n")
    [item] = states(kb, dt.date(2026, 11, 25), opened="2026-11-01")
    assert item.deadline == dt.date(2027, 1, 30)
