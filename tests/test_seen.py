"""Seen before: for the runbook triage points at, the past incidents that needed it, with what resolved them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsbook.features.answer import answer, triage_data
from opsbook.features.seen import seen_before, seen_before_all
from opsbook.index.knowledge import KnowledgeIndex
from tests.kbfactory import CLASSES, incident, make_kb, runbook, write

ROOT = Path(__file__).resolve().parents[1]
RUNBOOKS = [f"rb-{failure_class}" for failure_class in CLASSES]


def used(record_id: str, day: str, *uses: tuple[str, str], **overrides: object) -> dict[str, object]:
    stamps = {
        "started": f"{day}T10:00:00Z",
        "detected": f"{day}T10:10:00Z",
        "acknowledged": f"{day}T10:20:00Z",
        "mitigated": f"{day}T11:00:00Z",
        "resolved": f"{day}T12:00:00Z",
    }
    timeline = [{"at": f"{day}T10:00:00Z", "event": "Deploy", "actor": "vercel", "actor_kind": "system"}]
    return incident(
        record_id,
        timestamps=stamps,
        timeline=timeline,
        runbooks_used=[{"runbook": r, "helped": helped, "note": f"{r} {helped}"} for r, helped in uses],
        **overrides,
    )


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = make_kb(
        tmp_path,
        incidents=[
            used("2026-09-01-first", "2026-09-01", ("rb-fallback", "yes"), resolution="Added the fallback key."),
            used("2026-10-01-second", "2026-10-01", ("rb-fallback", "partly"), ("rb-auth-drift", "yes")),
            used("2026-11-01-third", "2026-11-01", ("rb-fallback", "wrong-runbook"), severity="SEV1"),
            used("2026-11-10-fourth", "2026-11-10", ("rb-fallback", "no"), visibility="internal"),
            used("2026-11-12-other", "2026-11-12", ("rb-session-lifecycle", "yes")),
        ],
    )
    for failure_class, record_id in zip(CLASSES, RUNBOOKS, strict=True):  # each with a signature of its own
        write(
            root / "runbooks" / failure_class / f"{record_id}.yaml",
            runbook(
                record_id,
                failure_class,
                related=[next(r for r in RUNBOOKS if r != record_id)],
                signatures=[f"{record_id}_error_code"],
            ),
        )
    return root


def test_lists_the_newest_incidents_that_used_the_runbook_with_date_severity_and_resolution(kb: Path) -> None:
    with KnowledgeIndex.open(kb) as index:
        found = seen_before(index, "rb-fallback")
    assert [s.id for s in found] == ["2026-11-10-fourth", "2026-11-01-third", "2026-10-01-second"]
    third = found[1]
    assert (third.date, third.severity, third.helped, third.via) == ("2026-11-01", "SEV1", "wrong-runbook", "runbook")
    assert third.url == "incidents/2026/2026-11-01-third/"
    assert found[2].helpful_runbooks == ["rb-auth-drift"] and found[2].note == "rb-fallback partly"


def test_resolution_comes_from_the_incident_and_is_none_when_not_recorded(kb: Path) -> None:
    with KnowledgeIndex.open(kb) as index:
        found = seen_before(index, "rb-fallback", limit=10)
    resolutions = {s.id: s.resolution for s in found}
    assert resolutions["2026-09-01-first"] == "Added the fallback key."
    assert resolutions["2026-11-01-third"] is None


def test_public_lists_only_public_incidents(kb: Path) -> None:
    with KnowledgeIndex.open(kb) as index:
        assert "2026-11-10-fourth" not in [s.id for s in seen_before(index, "rb-fallback", public=True)]


def test_public_names_only_public_runbooks_as_what_helped(kb: Path) -> None:
    path = kb / "runbooks/auth-drift/rb-auth-drift.yaml"
    path.write_text(path.read_text().replace("visibility: public", "visibility: internal"))
    with KnowledgeIndex.open(kb) as index:
        second = next(s for s in seen_before(index, "rb-fallback", public=True) if s.id == "2026-10-01-second")
        assert second.helpful_runbooks == []
        second = next(s for s in seen_before(index, "rb-fallback") if s.id == "2026-10-01-second")
        assert second.helpful_runbooks == ["rb-auth-drift"]


def test_an_incident_that_used_a_runbook_with_the_same_signature_is_listed_after_direct_uses(kb: Path) -> None:
    write(
        kb / "runbooks/session-lifecycle/rb-session-lifecycle.yaml",
        runbook("rb-session-lifecycle", "session-lifecycle", related=["rb-tool-policy"], signatures=["shared_code"]),
    )
    write(
        kb / "runbooks/stale-deploy/rb-stale-deploy.yaml",
        runbook("rb-stale-deploy", "stale-deploy", related=["rb-tool-policy"], signatures=["Shared_Code", "own"]),
    )
    with KnowledgeIndex.open(kb) as index:
        [linked] = seen_before(index, "rb-stale-deploy")
    assert (linked.id, linked.via, linked.helped) == ("2026-11-12-other", "signature", None)


def test_unknown_runbook_and_runbook_never_used_give_nothing(kb: Path) -> None:
    with KnowledgeIndex.open(kb) as index:
        assert seen_before(index, "no-such-runbook") == []
        assert seen_before(index, "rb-tool-policy") == []


def test_all_at_once_equals_one_at_a_time(kb: Path) -> None:
    with KnowledgeIndex.open(kb) as index:
        everything = seen_before_all(index)
        assert everything
        for runbook_id, found in everything.items():
            assert found == seen_before(index, runbook_id)


def test_an_answer_carries_the_seen_before_of_its_first_runbook() -> None:
    with KnowledgeIndex.open(ROOT) as index:
        verdict = answer(index, "litellm.AuthenticationError: Missing Anthropic API Key - fallback failed")
    assert verdict.matches[0].id == "fallback-missing-credentials"
    [past] = verdict.seen_before
    assert past["id"] == "2026-10-07-anthropic-fallback-key-missing-in-proxy"
    assert past["helped"] == "yes" and past["severity"] == "SEV1" and "ANTHROPIC_API_KEY" in past["resolution"]


def test_the_site_data_holds_each_runbooks_seen_before() -> None:
    with KnowledgeIndex.open(ROOT) as index:
        data = json.loads(json.dumps(triage_data(index, public=True)))
        expected = {k: [s.as_dict() for s in v] for k, v in seen_before_all(index, public=True).items()}
    assert data["seen_before"] == expected
    assert "2026-11-18-agent-and-human-answer-same-thread" not in json.dumps(data)  # an internal incident
