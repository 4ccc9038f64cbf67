"""`opsbook actions`: open follow-ups across every incident, overdue first."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from opsbook.checks.deadlines import ActionState, action_states

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex


def follow_ups(
    index: KnowledgeIndex,
    on: dt.date,
    *,
    overdue_only: bool = False,
    owner: str | None = None,
    include_closed: bool = False,
) -> list[ActionState]:
    items = action_states(index, on, open_only=not include_closed)
    if overdue_only:
        items = [item for item in items if item.overdue]
    if owner is not None:
        items = [item for item in items if (item.owner or "").lower() == owner.lower()]
    return sorted(items, key=lambda item: (not item.overdue, item.deadline, item.priority, item.incident))


def as_json(item: ActionState) -> dict[str, Any]:
    return {
        "incident": item.incident,
        "id": item.id,
        "title": item.title,
        "type": item.type,
        "owner": item.owner,
        "priority": item.priority,
        "status": item.status,
        "opened": item.opened.isoformat(),
        "due": item.due.isoformat() if item.due else None,
        "deadline": item.deadline.isoformat(),
        "deadline_from": item.deadline_from,
        "overdue": item.overdue,
    }
