"""Machine-readable exports: the knowledge base as JSON, and llms.txt / llms-full.txt for answer engines."""

from __future__ import annotations

import json
from typing import Any

from opsbook.records.models import Step
from opsbook.site.render.jsonld import absolute, page_url
from opsbook.site.render.text import description, plain
from opsbook.site.model import IncidentView, RunbookView, SiteModel
from opsbook.features.triage import TriageIndex


def _step(step: Step) -> dict[str, Any]:
    return step.model_dump(mode="json", exclude_defaults=True)


def _runbook(site: SiteModel, view: RunbookView) -> dict[str, Any]:
    record = view.runbook
    return {
        "id": record.id,
        "title": record.title,
        "failure_class": record.failure_class.value,
        "status": record.status.value,
        "url": page_url(view.path),
        "canonical_url": absolute(site, view.path) if site.site_url else None,
        "summary": record.summary,
        "symptoms": list(record.symptoms),
        "signatures": list(record.signatures),
        "keywords": list(record.keywords),
        "providers": list(record.applicability.providers),
        "diagnosis": [_step(s) for s in record.diagnosis],
        "mitigation": [_step(s) for s in record.mitigation],
        "verification": [_step(s) for s in record.verification],
        "last_reviewed": record.last_reviewed.isoformat(),
        "stale": view.freshness.stale,
        "drill": view.freshness.drill.value,
        "related": list(record.related),
    }


def _incident(view: IncidentView) -> dict[str, Any]:
    record = view.incident
    stamps = record.timestamps
    return {
        "id": record.id,
        "title": record.title,
        "severity": record.severity.value,
        "failure_classes": [str(c) for c in record.failure_classes],
        "status": record.status.value,
        "example": record.example,
        "started": stamps.started.isoformat(),
        "resolved": stamps.resolved.isoformat() if stamps.resolved else None,
        "url": page_url(view.path),
        "summary": record.summary,
        "runbooks_used": [use.model_dump(mode="json", exclude_none=True) for use in record.runbooks_used],
        "action_items": [
            {
                **follow_up.item.model_dump(mode="json", exclude_none=True),
                "deadline": follow_up.deadline.isoformat(),
                "overdue": follow_up.overdue,
            }
            for follow_up in view.follow_ups
        ],
    }


def knowledge_base(site: SiteModel) -> dict[str, Any]:
    runbooks = [_runbook(site, view) for view in site.runbooks.values()]
    return {
        "name": site.name,
        "generated_for": site.today.isoformat(),
        "public": site.public,
        "classes": [
            {"id": c.id, "title": c.title, "tagline": c.tagline, "url": page_url(c.path)} for c in site.classes
        ],
        "runbooks": runbooks,
        "incidents": [_incident(view) for view in site.incidents],
        "redacted_incidents": [
            {
                "started": r.started.isoformat(),
                "severity": r.severity.value,
                "failure_classes": list(r.failure_classes),
                "public_summary": r.public_summary,
            }
            for r in site.redacted
        ],
        "triage": TriageIndex.build(runbooks).export(),
    }


def knowledge_base_json(site: SiteModel) -> str:
    return json.dumps(knowledge_base(site), ensure_ascii=False, indent=1) + "\n"


def llms_txt(site: SiteModel, *, full: bool = False) -> str:
    """The llms.txt convention: an H1, a summary quote, then sections of Markdown links with notes."""
    lines = [
        f"# {site.name}",
        "",
        "> Incident runbooks and blameless postmortems for AI-agent systems, organised by the five recurring "
        "failure classes: auth & environment drift, session lifecycle, model fallback, stale deploys and tool "
        "policy. Each runbook is symptom-first, lists exact error signatures, and gives ordered diagnosis and "
        "mitigation steps with commands and approval gates.",
        "",
    ]
    for view in site.classes:
        lines.append(f"## {view.title}")
        lines.append("")
        lines.append(f"- [{view.title}]({absolute(site, view.path)}): {plain(view.tagline)}")
        for runbook_view in view.active_runbooks:
            record = runbook_view.runbook
            lines.append(f"- [{record.title}]({absolute(site, runbook_view.path)}): {description(record.summary)}")
            if full:
                lines.extend(_runbook_detail(runbook_view))
        lines.append("")
    lines.append("## Optional")
    lines.append("")
    lines.append(f"- [All incidents]({absolute(site, 'incidents/index.md')}): blameless postmortems, newest first")
    lines.append(f"- [Knowledge base as JSON]({absolute(site, 'api/knowledge-base.json')}): every runbook and incident")
    return "\n".join(lines) + "\n"


def _runbook_detail(view: RunbookView) -> list[str]:
    record = view.runbook
    lines = ["", f"  {plain(record.summary)}", "", "  Signatures: " + "; ".join(record.signatures)]
    for section, steps in (
        ("Diagnose", record.diagnosis),
        ("Mitigate", record.mitigation),
        ("Verify", record.verification),
    ):
        lines.append(f"  {section}:")
        for number, step in enumerate(steps, 1):
            text = f"  {number}. {plain(step.action)}"
            if step.command:
                text += f" Command: `{' '.join(step.command.split())}`"
            if step.requires_approval:
                text += f" (requires approval: {step.requires_approval})"
            lines.append(text)
    lines.append("")
    return lines
