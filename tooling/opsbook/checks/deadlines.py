"""When an action item is due and whether it is late: its due date, or its priority's SLA counted from the
day it was opened. `check`, `actions`, `stats`, the review, the site and the MCP server read it here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

DEFAULT_SLA_DAYS = 90


class ActionState(NamedTuple):
    """One action item of a valid incident, with its deadline."""

    incident: str
    """The incident's id."""
    incident_path: str
    id: str
    title: str
    type: str
    owner: str | None
    priority: str
    status: str
    opened: dt.date
    due: dt.date | None
    closed: dt.date | None
    reason: str | None
    link: str | None
    deadline: dt.date
    overdue: bool
    line: int
    col: int

    @property
    def deadline_from(self) -> str:
        return "due" if self.due is not None else "sla"


def deadline(due: dt.date | None, opened: dt.date, priority: str, sla_days: Mapping[str, int]) -> dt.date:
    """The due date, or the priority's SLA counted from the day the item was opened."""
    return due if due is not None else opened + dt.timedelta(days=sla_days.get(priority, DEFAULT_SLA_DAYS))


def action_states(
    index: KnowledgeIndex,
    on: dt.date,
    *,
    incident_paths: list[str] | None = None,
    open_with_priority: list[str] | None = None,
) -> list[ActionState]:
    """Every action item of every valid incident, in file order; or only those of the incidents at
    `incident_paths`, or only the open ones of the priorities `open_with_priority`."""
    sla_days: dict[str, int] = index.settings["action_items"]["sla_days"]
    query = """SELECT r.id, a.path, a.id, a.title, a.type, a.owner, a.priority, a.status, a.opened, a.due, a.closed,
                      a.reason, a.link, a.line, a.col
               FROM action_items a JOIN records r ON r.path = a.path
               WHERE r.valid"""
    parameters: list[str] = []
    if incident_paths is not None:
        query += f" AND a.path IN ({','.join('?' * len(incident_paths))})"
        parameters = incident_paths
    if open_with_priority is not None:
        query += f" AND a.status = 'open' AND a.priority IN ({','.join('?' * len(open_with_priority))})"
        parameters = [*parameters, *open_with_priority]
    states = []
    for row in index.connection.execute(query + " ORDER BY a.path, a.position", parameters):
        incident, path, item, title, kind, owner, priority, status, opened, due, closed, reason, link, line, col = row
        opened_on = dt.date.fromordinal(opened)
        due_on = dt.date.fromordinal(due) if due is not None else None
        closed_on = dt.date.fromordinal(closed) if closed is not None else None
        when = deadline(due_on, opened_on, priority, sla_days)
        states.append(
            ActionState(
                incident,
                path,
                item,
                title,
                kind,
                owner,
                priority,
                status,
                opened_on,
                due_on,
                closed_on,
                reason,
                link,
                when,
                status == "open" and when < on,
                line,
                col,
            )
        )
    return states
