"""Valid records and knowledge bases written to temp dirs, for tests to break one thing at a time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

CLASSES = ["auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy"]
TODAY = "2026-11-25"


def runbook(record_id: str, failure_class: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record_id,
        "title": f"Symptom of {record_id}",
        "failure_class": failure_class,
        "status": "active",
        "owner": "platform",
        "summary": f"What to do when {record_id} happens. Use it when the signature below appears.",
        "symptoms": ["The agent stops answering"],
        "signatures": [f"{record_id}_error_code", "/HTTP 4\\d\\d/"],
        "diagnosis": [
            {"action": "Look at the logs", "command": "grep -c error app.log", "expected": "a count"},
            {"action": "Check the environment", "expected": "it is the right one"},
        ],
        "mitigation": [
            {"action": "Restart the worker", "command": "systemctl restart worker", "expected": "active"},
            {
                "action": "Rotate the key",
                "sensitive": True,
                "requires_approval": "security",
                "executor": "human",
                "rollback": "restore the previous key",
            },
        ],
        "verification": [{"action": "Send a request", "expected": "HTTP 200"}],
        "follow_up": [{"kind": "test", "text": "Add a P0 test"}],
        "related": [],
        "last_reviewed": "2026-11-20",
        "review_interval_days": 90,
        "visibility": "public",
    }
    if failure_class == "fallback":
        data["drills"] = [{"date": "2026-11-01", "result": "pass", "environment": "staging"}]
    data.update(overrides)
    return data


def incident(record_id: str = "2026-11-17-webhook-secret", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record_id,
        "title": "Webhook deliveries failed after deploy",
        "example": True,
        "status": "reviewed",
        "severity": "SEV2",
        "severity_rationale": "Paid sign-ups were not fulfilled for two hours",
        "failure_classes": ["auth-drift"],
        "timestamps": {
            "started": "2026-11-17T10:00:00Z",
            "detected": "2026-11-17T10:20:00Z",
            "acknowledged": "2026-11-17T10:25:00Z",
            "mitigated": "2026-11-17T11:00:00Z",
            "resolved": "2026-11-17T12:00:00Z",
        },
        "summary": "The production webhook secret was set only for Preview.",
        "impact": {"summary": "40 customers were not upgraded", "users_affected": 40},
        "detection": {"method": "customer-report", "description": "Support ticket"},
        "timeline": [
            {"at": "2026-11-17T10:00:00Z", "event": "Deploy", "actor": "vercel", "actor_kind": "system"},
            {"at": "2026-11-17T10:20:00Z", "event": "Ticket", "actor": "support", "actor_kind": "person"},
        ],
        "runbooks_used": [{"runbook": "rb-auth-drift", "helped": "yes"}],
        "action_items": [
            {
                "id": "add-p0-test",
                "title": "P0 test for the webhook",
                "type": "add-p0-test",
                "owner": "payments",
                "priority": "P1",
                "due": "2026-12-15",
            }
        ],
        "visibility": "public",
    }
    data.update(overrides)
    return data


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else dump(data), encoding="utf-8")
    return path


def make_kb(root: Path, *, incidents: list[dict[str, Any]] | None = None) -> Path:
    """A clean knowledge base: one active, linked runbook per class and one incident."""
    write(root / "opsbook.yml", "name: test\n")
    ids = [f"rb-{name}" for name in CLASSES]
    for index, failure_class in enumerate(CLASSES):
        neighbour = ids[(index + 1) % len(ids)]
        write(
            root / "runbooks" / failure_class / f"{ids[index]}.yaml",
            runbook(ids[index], failure_class, related=[neighbour]),
        )
    for record in incidents if incidents is not None else [incident()]:
        write(root / "incidents" / record["id"][:4] / f"{record['id']}.yaml", record)
    return root


def variant(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(data)
    result.update(changes)
    return result


def write_internal_neighbour(root: Path, *, canary: str, internal_title: str, **internal_overrides: Any) -> None:
    """The public runbook `rb-auth-drift` with internal fields that carry `canary`, and next to it a runbook
    `internal-only` that it names as related: what a public build or a public server must never show."""
    write(
        root / "runbooks/auth-drift/rb-auth-drift.yaml",
        runbook(
            "rb-auth-drift",
            "auth-drift",
            related=["rb-session-lifecycle", "internal-only"],
            escalation=f"page {canary}",
            internal_links=[{"title": f"dashboard {canary}", "url": "https://grafana.internal.example/d"}],
        ),
    )
    write(
        root / "runbooks/auth-drift/internal-only.yaml",
        runbook(
            "internal-only",
            "auth-drift",
            visibility="internal",
            title=internal_title,
            related=["rb-auth-drift"],
            **internal_overrides,
        ),
    )
