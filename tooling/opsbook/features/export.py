"""The knowledge base as one JSON object: what `opsbook export` prints and the site publishes at
`api/knowledge-base.json`, read from the index (the full data of runbooks only; incidents from rows)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from opsbook.checks.deadlines import action_states
from opsbook.checks.freshness import runbook_freshness
from opsbook.features.rows import class_guides, incident_rows, runbook_rows
from opsbook.features.urls import absolute_url, class_page, incident_page, page_url, runbook_page

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex


def _step(step: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in step.items() if value is not None}


def knowledge_base(
    index: KnowledgeIndex, on: dt.date, *, public: bool = False, site_url: str | None = None
) -> dict[str, Any]:
    runbook_list = runbook_rows(index, public=public)
    visible_runbooks = {r.id for r in runbook_list}
    documents = index.documents(r.path for r in runbook_list)
    freshness = {r.path: r.freshness for r in runbook_freshness(index, on)}
    runbooks = []
    for row in runbook_list:
        record = documents.get(row.path)
        if record is None:
            continue  # changed into an invalid record while this ran
        page = runbook_page(row.failure_class, row.id)
        runbooks.append(
            {
                "id": row.id,
                "title": row.title,
                "failure_class": row.failure_class,
                "status": row.status,
                "url": page_url(page),
                "canonical_url": absolute_url(site_url, page) if site_url else None,
                "summary": record["summary"],
                "symptoms": record["symptoms"],
                "signatures": record["signatures"],
                "keywords": record["keywords"],
                "providers": record["applicability"]["providers"],
                "diagnosis": [_step(s) for s in record["diagnosis"]],
                "mitigation": [_step(s) for s in record["mitigation"]],
                "verification": [_step(s) for s in record["verification"]],
                "last_reviewed": record["last_reviewed"],
                "stale": freshness[row.path].stale,
                "drill": freshness[row.path].drill.value,
                "related": [x for x in record["related"] if x in visible_runbooks],
            }
        )
    incidents = incident_rows(index, public=public)
    visible_incidents = {i.path for i in incidents}
    uses: dict[str, list[dict[str, Any]]] = {}
    for path, runbook, helped in index.connection.execute(
        "SELECT path, target, detail FROM refs WHERE field = 'runbooks_used' ORDER BY path, position"
    ):
        if path in visible_incidents and runbook in visible_runbooks:
            uses.setdefault(path, []).append({"runbook": runbook, "helped": helped})
    items: dict[str, list[dict[str, Any]]] = {}
    for item in action_states(index, on):
        if item.incident_path in visible_incidents:
            items.setdefault(item.incident_path, []).append(item.as_json())
    redacted = (
        [] if not public else [i for i in incident_rows(index) if i.visibility == "internal" and i.public_summary]
    )
    classes = class_guides(index)
    return {
        "name": index.settings["name"],
        "generated_for": on.isoformat(),
        "public": public,
        "classes": [
            {"id": c, "title": guide.title, "tagline": guide.tagline, "url": page_url(class_page(c))}
            for c, guide in classes.items()
        ],
        "runbooks": runbooks,
        "incidents": [
            {
                "id": i.id,
                "title": i.title,
                "severity": i.severity,
                "failure_classes": list(i.classes),
                "status": i.status,
                "example": i.example,
                "started": i.started,
                "resolved": i.resolved,
                "url": page_url(incident_page(i.id)),
                "summary": i.summary,
                "runbooks_used": uses.get(i.path, []),
                "action_items": items.get(i.path, []),
            }
            for i in incidents
        ],
        "redacted_incidents": [
            {
                "started": r.started_on.isoformat(),
                "severity": r.severity,
                "failure_classes": list(r.classes),
                "public_summary": r.public_summary,
            }
            for r in redacted
        ],
    }


def knowledge_base_json(
    index: KnowledgeIndex, on: dt.date, *, public: bool = False, site_url: str | None = None
) -> bytes:
    """`knowledge_base` as JSON (UTF-8), kept in the index until a file changes or the day does."""

    def compute() -> str:
        data = knowledge_base(index, on, public=public, site_url=site_url)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"

    inputs = json.dumps([index.generation, on.isoformat(), site_url])
    return index.derived("export-public" if public else "export", inputs, compute)
