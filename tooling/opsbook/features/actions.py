"""`opsbook actions` and `opsbook stats`: the knowledge base's follow-ups and figures, as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsbook.checks.freshness import today
from opsbook.index.knowledge import load_knowledge_base
from opsbook.site.model import build_site_model
from opsbook.features.stats import stats


def list_follow_ups(
    root: Path, *, overdue_only: bool = False, owner: str | None = None, include_closed: bool = False
) -> list[dict[str, Any]]:
    site = build_site_model(load_knowledge_base(root), public=False, today=today(), site_url=None)
    items = [f for view in site.incidents for f in view.follow_ups]
    if not include_closed:
        items = [f for f in items if f.item.status.value == "open"]
    if overdue_only:
        items = [f for f in items if f.overdue]
    if owner is not None:
        items = [f for f in items if (f.item.owner or "").lower() == owner.lower()]
    items.sort(key=lambda f: (not f.overdue, f.deadline, f.item.priority.value, f.incident.id))
    return [
        {
            "incident": f.incident.id,
            "id": f.item.id,
            "title": f.item.title,
            "type": f.item.type.value,
            "owner": f.item.owner,
            "priority": f.item.priority.value,
            "status": f.item.status.value,
            "opened": f.opened.isoformat(),
            "due": f.item.due.isoformat() if f.item.due else None,
            "deadline": f.deadline.isoformat(),
            "deadline_from": "due" if f.item.due else "sla",
            "overdue": f.overdue,
        }
        for f in items
    ]


def knowledge_stats(root: Path) -> dict[str, Any]:
    return stats(build_site_model(load_knowledge_base(root), public=False, today=today(), site_url=None))
