"""The weekly incident review: what happened in one ISO week, what is late, what to decide.

Everything is computed "as of" the end of the reviewed week (or today, for the current week), so the
same week always produces the same document.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opsbook.checks.deadlines import ActionState, action_states
from opsbook.checks.freshness import DrillState, Freshness, runbook_freshness
from opsbook.features.rows import IncidentRow, incident_rows, runbook_rows
from opsbook.features.stats import in_weeks, summarise
from opsbook.features.urls import incident_page, runbook_page
from opsbook.support.periods import IsoWeek

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

UNHELPFUL = ("no", "wrong-runbook", "partly")
TEST_TYPES = ("add-p0-test", "add-regression-eval")
TREND_WEEKS = 12


@dataclass(frozen=True, slots=True)
class ReviewIncident:
    incident: IncidentRow
    path: str
    """The incident's page."""
    durations: dict[str, dt.timedelta | None]


@dataclass(frozen=True, slots=True)
class RunbookState:
    id: str
    title: str
    owner: str
    path: str
    """The runbook's page."""
    freshness: Freshness


@dataclass(frozen=True, slots=True)
class RunbookFeedback:
    incident: ReviewIncident
    runbook_id: str
    helped: str
    note: str | None
    runbook: RunbookState | None


@dataclass(frozen=True, slots=True)
class WorkflowTouch:
    workflow: dict[str, Any]
    """The workflow as written in catalog/workflows.yaml."""
    incidents: list[ReviewIncident]
    tests: list[ActionState]

    @property
    def guarded(self) -> bool:
        return any(item.status == "done" for item in self.tests)


@dataclass
class WeeklyReview:
    week: IsoWeek
    as_of: dt.date
    incidents: list[ReviewIncident]
    excluded: list[ReviewIncident]
    trend: dict[str, dict[str, Any]]
    opened: list[ActionState]
    closed: list[ActionState]
    overdue_by_owner: dict[str, list[ActionState]]
    feedback: list[RunbookFeedback]
    stale: list[RunbookState]
    undrilled: list[RunbookState]
    workflows: list[WorkflowTouch]

    @property
    def quiet(self) -> bool:
        return not self.incidents and not self.excluded and not self.opened and not self.closed

    @property
    def overdue_count(self) -> int:
        return sum(len(items) for items in self.overdue_by_owner.values())

    def count_by(self, key: str) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for view in self.incidents:
            for value in view.incident.classes if key == "class" else (view.incident.severity,):
                counts[value] += 1
        return dict(sorted(counts.items()))


def build_review(
    index: KnowledgeIndex, week: IsoWeek, *, today: dt.date, leave_out: Collection[str] = ()
) -> WeeklyReview:
    """The review of `week`, leaving out the records at `leave_out` (the ones `opsbook check` finds errors in)."""
    as_of = min(week.end, today)
    twelve_weeks = (week.minus(11).start, week.end)
    window = [row for row in incident_rows(index, started_between=twelve_weeks) if row.path not in leave_out]
    in_week = [
        ReviewIncident(row, incident_page(row.id), row.durations) for row in window if week.contains(row.started_on)
    ]
    overdue: dict[str, list[ActionState]] = defaultdict(list)
    late = [item for item in action_states(index, as_of, overdue_only=True) if item.incident_path not in leave_out]
    for item in sorted(late, key=lambda i: (i.deadline_day, i.priority)):
        overdue[item.owner or "(no owner)"].append(item)
    active = [
        item
        for item in action_states(index, as_of, opened_or_closed=(week.start, week.end))
        if item.incident_path not in leave_out
    ]
    runbooks = {row.path: row for row in runbook_rows(index) if row.path not in leave_out}
    states = {
        state.id: RunbookState(
            state.id,
            runbooks[state.path].title,
            runbooks[state.path].owner,
            runbook_page(runbooks[state.path].failure_class, state.id),
            state.freshness,
        )
        for state in runbook_freshness(index, as_of)
        if state.path in runbooks
    }
    by_path = {view.incident.path: view for view in in_week}
    marks = ",".join("?" * len(by_path))
    feedback = [
        RunbookFeedback(by_path[path], runbook, helped, note, states.get(runbook))
        for path, runbook, helped, note in index.connection.execute(
            f"""SELECT path, target, detail, note FROM refs
                WHERE field = 'runbooks_used' AND path IN ({marks}) ORDER BY path, position""",
            list(by_path),
        )
        if helped in UNHELPFUL
    ]
    touched: defaultdict[str, list[ReviewIncident]] = defaultdict(list)
    for path, workflow in index.connection.execute(
        f"""SELECT path, target FROM refs
            WHERE field = 'workflows' AND target_kind = 'workflow' AND path IN ({marks}) ORDER BY path, position""",
        list(by_path),
    ):
        touched[workflow].append(by_path[path])
    catalog = index.catalog_document("workflows.yaml") or {"workflows": []}
    touches = [
        WorkflowTouch(
            workflow,
            hit,
            [
                item
                for item in action_states(index, as_of, incident_paths=[v.incident.path for v in hit])
                if item.type in TEST_TYPES
            ],
        )
        for workflow in catalog["workflows"]
        if (hit := touched.get(workflow["id"]))
    ]
    counted = [row for row in window if row.in_metrics]
    in_week_counted = [v for v in in_week if v.incident.in_metrics]
    active_ids = {row.id for row in runbooks.values() if row.status == "active"}
    return WeeklyReview(
        week=week,
        as_of=as_of,
        incidents=in_week_counted,
        excluded=[v for v in in_week if not v.incident.in_metrics],
        trend={
            "this week": summarise(v.incident for v in in_week_counted),
            "last 4 weeks": summarise(in_weeks(counted, week, 4)),
            "last 12 weeks": summarise(in_weeks(counted, week, TREND_WEEKS)),
        },
        opened=[i for i in active if week.contains(i.opened)],
        closed=[i for i in active if i.closed is not None and week.contains(i.closed)],
        overdue_by_owner=dict(sorted(overdue.items())),
        feedback=feedback,
        stale=[s for s in states.values() if s.freshness.stale and s.id in active_ids],
        undrilled=[s for s in states.values() if s.freshness.drill in (DrillState.NEVER, DrillState.OVERDUE)],
        workflows=touches,
    )


def review_json(review: WeeklyReview) -> dict[str, Any]:
    def follow_up(item: ActionState) -> dict[str, Any]:
        return {
            "incident": item.incident,
            "id": item.id,
            "title": item.title,
            "owner": item.owner,
            "priority": item.priority,
            "type": item.type,
            "status": item.status,
            "deadline": item.deadline.isoformat(),
            "overdue": item.overdue,
        }

    return {
        "week": str(review.week),
        "start": review.week.start.isoformat(),
        "end": review.week.end.isoformat(),
        "as_of": review.as_of.isoformat(),
        "quiet": review.quiet,
        "incidents": [
            {
                "id": v.incident.id,
                "title": v.incident.title,
                "severity": v.incident.severity,
                "failure_classes": list(v.incident.classes),
                "durations_minutes": {
                    name: None if value is None else round(value.total_seconds() / 60, 1)
                    for name, value in v.durations.items()
                },
            }
            for v in review.incidents
        ],
        "excluded_from_metrics": [v.incident.id for v in review.excluded],
        "by_class": review.count_by("class"),
        "by_severity": review.count_by("severity"),
        "trend": review.trend,
        "action_items": {
            "opened": [follow_up(i) for i in review.opened],
            "closed": [follow_up(i) for i in review.closed],
            "overdue_by_owner": {
                owner: [follow_up(i) for i in items] for owner, items in review.overdue_by_owner.items()
            },
        },
        "runbook_feedback": [
            {"incident": fb.incident.incident.id, "runbook": fb.runbook_id, "helped": fb.helped, "note": fb.note}
            for fb in review.feedback
        ],
        "stale_runbooks": [{"id": s.id, "reasons": s.freshness.reasons} for s in review.stale],
        "fallback_drills_due": [
            {
                "id": s.id,
                "state": s.freshness.drill.value,
                "last_drill": s.freshness.last_drill.isoformat() if s.freshness.last_drill else None,
            }
            for s in review.undrilled
        ],
        "workflows_touched": [
            {
                "id": t.workflow["id"],
                "p0": t.workflow["p0"],
                "golden_path": t.workflow["golden_path"],
                "incidents": [v.incident.id for v in t.incidents],
                "tests_or_evals": [follow_up(i) for i in t.tests],
                "guarded": t.guarded,
            }
            for t in review.workflows
        ],
    }
