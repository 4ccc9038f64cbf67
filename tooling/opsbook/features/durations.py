"""Incident arithmetic: derived durations (never typed by hand) and follow-up status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from opsbook.checks.freshness import deadline
from opsbook.records.models import ActionItem, ActionStatus, Incident

DURATIONS = {
    "TTD": ("started", "detected", "time to detect: started → detected"),
    "TTA": ("detected", "acknowledged", "time to acknowledge: detected → acknowledged"),
    "TTM": ("started", "mitigated", "time to mitigate: started → mitigated"),
    "TTR": ("started", "resolved", "time to resolve: started → resolved"),
}


def durations(incident: Incident) -> dict[str, dt.timedelta | None]:
    """TTD/TTA/TTM/TTR from the timestamps; None when a timestamp is missing or out of order."""
    result: dict[str, dt.timedelta | None] = {}
    for name, (start_field, end_field, _) in DURATIONS.items():
        start = getattr(incident.timestamps, start_field)
        end = getattr(incident.timestamps, end_field)
        result[name] = end - start if start is not None and end is not None and end >= start else None
    return result


def format_duration(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


@dataclass(frozen=True, slots=True)
class FollowUp:
    incident: Incident
    item: ActionItem
    opened: dt.date
    deadline: dt.date
    overdue: bool


def follow_ups(incident: Incident, sla_days: Mapping[str, int], on: dt.date) -> list[FollowUp]:
    """The incident's action items with their deadline (due date or priority SLA) and overdue flag."""
    detected = (incident.timestamps.detected or incident.timestamps.started).date()
    result = []
    for item in incident.action_items:
        opened = item.opened or detected
        due = deadline(item.due, opened, item.priority.value, sla_days)
        result.append(FollowUp(incident, item, opened, due, item.status is ActionStatus.OPEN and due < on))
    return result
