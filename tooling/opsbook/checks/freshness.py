"""When a runbook stops being trustworthy, when a fallback needs a drill, when a follow-up is late.

Pure functions over record facts and an explicit `today`, shared by `check`, `review` and the site so
that all three always agree.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import NamedTuple

from opsbook.records.summary import ActionFacts, RecordFacts


def today() -> dt.date:
    """The current date, or `OPSBOOK_TODAY` (YYYY-MM-DD) for reproducible output."""
    pinned = os.environ.get("OPSBOOK_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


class DrillState(StrEnum):
    NOT_REQUIRED = "not-required"
    NEVER = "never-drilled"
    OVERDUE = "drill-overdue"
    CURRENT = "drilled"


class Freshness(NamedTuple):
    review_due: dt.date
    past_interval: bool
    used_after_review: tuple[str, ...]
    drill: DrillState

    @property
    def stale(self) -> bool:
        return self.past_interval or bool(self.used_after_review)

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.past_interval:
            reasons.append(f"review was due on {self.review_due.isoformat()}")
        if self.used_after_review:
            reasons.append("used after its last review by " + ", ".join(self.used_after_review))
        return reasons


def runbook_freshness(runbook: RecordFacts, users: Iterable[RecordFacts], on: dt.date) -> Freshness:
    """`users` are the incidents that list this runbook in `runbooks_used`."""
    assert runbook.last_reviewed is not None and runbook.review_interval_days is not None
    interval = dt.timedelta(days=runbook.review_interval_days)
    review_due = runbook.last_reviewed + interval
    later = tuple(
        sorted(
            incident.id
            for incident in users
            if incident.started is not None and incident.started.date() > runbook.last_reviewed
        )
    )
    if not runbook.needs_drills:
        drill = DrillState.NOT_REQUIRED
    elif runbook.last_drill is None:
        drill = DrillState.NEVER
    elif runbook.last_drill + interval < on:
        drill = DrillState.OVERDUE
    else:
        drill = DrillState.CURRENT
    return Freshness(review_due, review_due < on, later, drill)


def deadline(due: dt.date | None, opened: dt.date, priority: str, sla_days: Mapping[str, int]) -> dt.date:
    """The due date, or the priority's SLA counted from the day the item was opened."""
    return due if due is not None else opened + dt.timedelta(days=sla_days.get(priority, 90))


def action_deadline(item: ActionFacts, sla_days: Mapping[str, int]) -> dt.date:
    return deadline(item.due, item.opened, item.priority, sla_days)


def is_overdue(item: ActionFacts, sla_days: Mapping[str, int], on: dt.date) -> bool:
    return item.status == "open" and action_deadline(item, sla_days) < on
