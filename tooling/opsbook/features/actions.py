"""`opsbook actions`: open follow-ups across every incident, overdue first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING

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
    leave_out: Collection[str] = (),
) -> list[ActionState]:
    """Follow-ups of every valid incident, overdue first; none of the incidents at `leave_out`."""
    items = action_states(index, on, open_only=not include_closed)
    items = [item for item in items if item.incident_path not in leave_out]
    if overdue_only:
        items = [item for item in items if item.overdue]
    if owner is not None:
        items = [item for item in items if (item.owner or "").lower() == owner.lower()]
    return sorted(items, key=lambda item: (not item.overdue, item.deadline, item.priority, item.incident))
