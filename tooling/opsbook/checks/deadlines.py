"""When an action item is due and whether it is late: its due date, or its priority's SLA counted from the
day it was opened. `check`, `actions`, `stats`, the review, the site and the MCP server read it here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

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

    def as_json(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "id": self.id,
            "title": self.title,
            "type": self.type,
            "owner": self.owner,
            "priority": self.priority,
            "status": self.status,
            "opened": self.opened.isoformat(),
            "due": self.due.isoformat() if self.due else None,
            "closed": self.closed.isoformat() if self.closed else None,
            "deadline": self.deadline.isoformat(),
            "deadline_from": self.deadline_from,
            "overdue": self.overdue,
        }


def action_states(
    index: KnowledgeIndex,
    on: dt.date,
    *,
    incident_paths: list[str] | None = None,
    open_with_priority: list[str] | None = None,
    open_only: bool = False,
    overdue_only: bool = False,
    opened_or_closed: tuple[dt.date, dt.date] | None = None,
) -> list[ActionState]:
    """Every action item of every valid incident, in file order; or only those of the incidents at
    `incident_paths`, only the open ones (`open_only`), only the open ones of the priorities
    `open_with_priority`, only the overdue ones, or only those opened or closed between the two days of
    `opened_or_closed`."""
    deadline = _deadline_sql(index)
    query = f"""SELECT r.id, a.path, a.id, a.title, a.type, a.owner, a.priority, a.status, a.opened, a.due,
                       a.closed, a.reason, a.link, {deadline}, a.status = 'open' AND {deadline} < ?, a.line, a.col
                FROM action_items a JOIN records r ON r.path = a.path
                WHERE r.valid"""
    parameters: list[object] = [on.toordinal()]
    if incident_paths is not None:
        query += f" AND a.path IN ({','.join('?' * len(incident_paths))})"
        parameters.extend(incident_paths)
    if open_only:
        query += " AND a.status = 'open'"
    if open_with_priority is not None:
        query += f" AND a.status = 'open' AND a.priority IN ({','.join('?' * len(open_with_priority))})"
        parameters.extend(open_with_priority)
    if overdue_only:
        query += f" AND a.status = 'open' AND {deadline} < ?"
        parameters.append(on.toordinal())
    if opened_or_closed is not None:
        first, last = (day.toordinal() for day in opened_or_closed)
        query += " AND (a.opened BETWEEN ? AND ? OR a.closed BETWEEN ? AND ?)"
        parameters.extend([first, last, first, last])
    rows = index.connection.execute(query + " ORDER BY a.path, a.position", parameters)
    return [ActionState._make(row) for row in rows]


def action_counts(
    index: KnowledgeIndex, on: dt.date, *, public: bool = False, leave_out: Collection[str] = ()
) -> dict[str, int]:
    """How many action items of valid incidents (public ones with `public`, none of those at `leave_out`)
    are in each status, and how many are overdue."""
    deadline = _deadline_sql(index)
    left_out = list(leave_out)
    query = f"""SELECT a.status, count(*), sum(a.status = 'open' AND {deadline} < ?)
                FROM action_items a JOIN records r ON r.path = a.path
                WHERE r.valid {"AND r.visibility = 'public'" if public else ""}
                  AND a.path NOT IN ({",".join("?" * len(left_out))}) GROUP BY a.status"""
    counts = {"open": 0, "done": 0, "not_doing": 0, "overdue": 0}
    for status, count, overdue in index.connection.execute(query, (on.toordinal(), *left_out)):
        counts[status] = count
        counts["overdue"] += overdue
    return counts


def _deadline_sql(index: KnowledgeIndex) -> str:
    """SQL over `action_items a`: the due date, or the priority's SLA counted from the day it was opened."""
    sla_days: dict[str, int] = index.settings["action_items"]["sla_days"]
    sla = " ".join(f"WHEN {_quoted(priority)} THEN {int(days)}" for priority, days in sla_days.items())
    return f"coalesce(a.due, a.opened + CASE a.priority {sla} ELSE {DEFAULT_SLA_DAYS} END)"


def _quoted(text: str) -> str:
    """A SQL string literal (priorities come from a validated configuration: P0 to P3)."""
    return "'" + text.replace("'", "''") + "'"


def by_urgency(items: Iterable[ActionState]) -> list[ActionState]:
    """Action items as the on-call reads them: overdue first, then by priority (P0 first), then by deadline."""
    return sorted(items, key=lambda f: (not f.overdue, f.priority, f.deadline_day))
