"""When a runbook stops being trustworthy, and when a fallback path needs a drill.

A runbook is stale when it is past its review interval, or when an incident that started after its last
review used it. A runbook that covers a fallback path (every fallback runbook, unless it says
otherwise) needs a drill within each review interval. `check`, the site, the review, `stats` and the
MCP server all read these states from here, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Container, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex


class DrillState(StrEnum):
    NOT_REQUIRED = "not-required"
    NEVER = "never-drilled"
    OVERDUE = "drill-overdue"
    CURRENT = "drilled"


class Freshness(NamedTuple):
    review_due: dt.date
    past_interval: bool
    used_after_review: tuple[str, ...]
    """Ids of the incidents that used the runbook after its last review, in order."""
    drill: DrillState
    last_drill: dt.date | None
    hidden_uses: int = 0
    """Incidents that used it after its last review but may not be named (see `shown_to`)."""

    @property
    def stale(self) -> bool:
        return self.past_interval or bool(self.used_after_review) or self.hidden_uses > 0

    @property
    def uses_after_review(self) -> int:
        return len(self.used_after_review) + self.hidden_uses

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.past_interval:
            reasons.append(f"review was due on {self.review_due.isoformat()}")
        if self.uses_after_review:
            hidden = self.hidden_uses
            unnamed = [f"{hidden} unpublished incident{'s' if hidden > 1 else ''}"] if hidden else []
            who = [*self.used_after_review, *unnamed]
            reasons.append("used after its last review by " + ", ".join(who))
        return reasons

    def shown_to(self, incident_ids: Container[str]) -> Freshness:
        """The same state for a reader who may see only `incident_ids` (a public build): the others are
        counted, never named."""
        named = tuple(i for i in self.used_after_review if i in incident_ids)
        hidden = self.hidden_uses + len(self.used_after_review) - len(named)
        return self._replace(used_after_review=named, hidden_uses=hidden)


class RunbookFreshness(NamedTuple):
    path: str
    id: str
    status: str
    visibility: str
    line: int
    col: int
    freshness: Freshness


def runbook_freshness(
    index: KnowledgeIndex, on: dt.date, *, ids: Sequence[str] | None = None
) -> list[RunbookFreshness]:
    """The freshness of every valid runbook (or of those with `ids`), by path."""
    marks = "" if ids is None else f"IN ({','.join('?' * len(ids))})"
    parameters = [] if ids is None else list(ids)
    runbooks = list(
        index.connection.execute(
            f"""SELECT path, id, status, visibility, line, col, last_reviewed, review_interval_days, needs_drills,
                       last_drill
                FROM records WHERE kind = 'runbook' AND valid {f"AND id {marks}" if marks else ""} ORDER BY path""",
            parameters,
        )
    )
    reviewed = {row[1]: row[6] for row in runbooks}
    used_after: defaultdict[str, set[str]] = defaultdict(set)
    for runbook_id, incident_id, started_day in index.connection.execute(
        f"""SELECT f.target, i.id, i.started_day FROM refs f JOIN records i ON i.path = f.path
                   JOIN records r ON r.kind = 'runbook' AND r.valid AND r.id = f.target
            WHERE f.field = 'runbooks_used' AND i.kind = 'incident' AND i.valid AND i.started_day > r.last_reviewed
                  AND i.started_day > (SELECT min(last_reviewed) FROM records WHERE kind = 'runbook' AND valid)
                  {f"AND f.target {marks}" if marks else ""}""",
        parameters,
    ):
        if runbook_id in reviewed and started_day > reviewed[runbook_id]:
            used_after[runbook_id].add(incident_id)
    states = []
    for path, runbook_id, status, visibility, line, col, last_reviewed, interval, needs_drills, drilled in runbooks:
        review_due = dt.date.fromordinal(last_reviewed + interval)
        last_drill = dt.date.fromordinal(drilled) if drilled is not None else None
        if not needs_drills:
            drill = DrillState.NOT_REQUIRED
        elif last_drill is None:
            drill = DrillState.NEVER
        elif last_drill + dt.timedelta(days=interval) < on:
            drill = DrillState.OVERDUE
        else:
            drill = DrillState.CURRENT
        later = tuple(sorted(used_after[runbook_id]))
        freshness = Freshness(review_due, review_due < on, later, drill, last_drill)
        states.append(RunbookFreshness(path, runbook_id, status, visibility, line, col, freshness))
    return states
