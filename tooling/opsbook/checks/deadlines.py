"""When an action item is due and whether it is late: its due date, or its priority's SLA counted from the
day it was opened. `check`, `actions`, `stats`, the review, the site and the MCP server read it here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

DEFAULT_SLA_DAYS = 90
"""For a priority opsbook.yml gives no SLA."""


class ActionState(NamedTuple):
    """One action item of a valid incident, with its deadline. Days are ordinals (`date.toordinal`):
    ten thousand incidents hold tens of thousands of items, and most uses only count them."""

    incident: str
    """The incident's id."""
    incident_path: str
    id: str
    title: str
    type: str
    owner: str | None
    priority: str
    status: str
    opened_day: int
    due_day: int | None
    closed_day: int | None
    reason: str | None
    link: str | None
    deadline_day: int
    overdue: bool
    line: int
    col: int

    @property
    def opened(self) -> dt.date:
        return dt.date.fromordinal(self.opened_day)

    @property
    def due(self) -> dt.date | None:
        return dt.date.fromordinal(self.due_day) if self.due_day is not None else None

    @property
    def closed(self) -> dt.date | None:
        return dt.date.fromordinal(self.closed_day) if self.closed_day is not None else None

    @property
    def deadline(self) -> dt.date:
        return dt.date.fromordinal(self.deadline_day)

    @property
    def deadline_from(self) -> str:
        return "due" if self.due_day is not None else "sla"


def action_states(
    index: KnowledgeIndex,
    on: dt.date,
    *,
    incident_paths: list[str] | None = None,
    open_with_priority: list[str] | None = None,
    open_only: bool = False,
    where: str = "",
    parameters: Sequence[object] = (),
) -> list[ActionState]:
    """Every action item of every valid incident, in file order; or only those of the incidents at
    `incident_paths`, only the open ones (`open_only`), only the open ones of the priorities
    `open_with_priority`, or only those `where` selects (SQL over `action_items a`, with `parameters`)."""
    sla_days: dict[str, int] = index.settings["action_items"]["sla_days"]
    sla = " ".join(f"WHEN {_quoted(priority)} THEN {int(days)}" for priority, days in sla_days.items())
    deadline = f"coalesce(a.due, a.opened + CASE a.priority {sla} ELSE {DEFAULT_SLA_DAYS} END)"
    query = f"""SELECT r.id, a.path, a.id, a.title, a.type, a.owner, a.priority, a.status, a.opened, a.due,
                       a.closed, a.reason, a.link, {deadline}, a.status = 'open' AND {deadline} < ?, a.line, a.col
                FROM action_items a JOIN records r ON r.path = a.path
                WHERE r.valid"""
    parameters_: list[object] = [on.toordinal()]
    if incident_paths is not None:
        query += f" AND a.path IN ({','.join('?' * len(incident_paths))})"
        parameters_.extend(incident_paths)
    if open_only:
        query += " AND a.status = 'open'"
    if where:
        query += f" AND ({where})"
        parameters_.extend(parameters)
    if open_with_priority is not None:
        query += f" AND a.status = 'open' AND a.priority IN ({','.join('?' * len(open_with_priority))})"
        parameters_.extend(open_with_priority)
    rows = index.connection.execute(query + " ORDER BY a.path, a.position", parameters_)
    return [ActionState._make(row) for row in rows]


def _quoted(text: str) -> str:
    """A SQL string literal (priorities come from a validated configuration: P0 to P3)."""
    return "'" + text.replace("'", "''") + "'"
