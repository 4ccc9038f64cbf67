"""The weekly incident review: what happened in one ISO week, what is late, what to decide.

Everything is computed "as of" the end of the reviewed week (or today, for the current week), so the
same week always produces the same document.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from opsbook.checks.freshness import DrillState
from opsbook.features.durations import FollowUp
from opsbook.index.knowledge import KnowledgeBase
from opsbook.records.models import ActionItemType, ActionStatus, Helped
from opsbook.records.models.catalog import Workflow
from opsbook.records.models.incident import RunbookUse
from opsbook.support.periods import IsoWeek
from opsbook.site.model import IncidentView, RunbookView, SiteModel, build_site_model
from opsbook.features.stats import in_weeks, summarise

UNHELPFUL = (Helped.NO, Helped.WRONG_RUNBOOK, Helped.PARTLY)
TEST_TYPES = (ActionItemType.ADD_P0_TEST, ActionItemType.ADD_REGRESSION_EVAL)


@dataclass(frozen=True, slots=True)
class RunbookFeedback:
    incident: IncidentView
    use: RunbookUse
    runbook: RunbookView | None


@dataclass(frozen=True, slots=True)
class WorkflowTouch:
    workflow: Workflow
    incidents: list[IncidentView]
    tests: list[FollowUp]

    @property
    def guarded(self) -> bool:
        return any(f.item.status is ActionStatus.DONE for f in self.tests)


@dataclass
class WeeklyReview:
    week: IsoWeek
    as_of: dt.date
    site: SiteModel
    incidents: list[IncidentView]
    excluded: list[IncidentView]
    trend: dict[str, dict[str, Any]]
    opened: list[FollowUp]
    closed: list[FollowUp]
    overdue_by_owner: dict[str, list[FollowUp]]
    feedback: list[RunbookFeedback]
    stale: list[RunbookView]
    undrilled: list[RunbookView]
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
            values = view.incident.failure_classes if key == "class" else [view.incident.severity.value]
            for value in values:
                counts[str(value)] += 1
        return dict(sorted(counts.items()))


def build_review(kb: KnowledgeBase, week: IsoWeek, *, today: dt.date, site_url: str | None = None) -> WeeklyReview:
    as_of = min(week.end, today)
    site = build_site_model(kb, public=False, today=as_of, site_url=site_url)
    in_week = [v for v in site.incidents if week.contains(v.incident.timestamps.started.date())]
    counted = [v for v in in_week if v.incident.in_metrics]
    everything = [v.incident for v in site.incidents if v.incident.in_metrics]
    follow_ups = [f for v in site.incidents for f in v.follow_ups]
    overdue: dict[str, list[FollowUp]] = defaultdict(list)
    for follow_up in sorted((f for f in follow_ups if f.overdue), key=lambda f: (f.deadline, f.item.priority.value)):
        overdue[follow_up.item.owner or "(no owner)"].append(follow_up)
    feedback = [
        RunbookFeedback(view, use, site.runbook(use.runbook))
        for view in in_week
        for use in view.incident.runbooks_used
        if use.helped in UNHELPFUL
    ]
    touches = []
    for workflow in site.workflows:
        hit = [v for v in in_week if workflow.id in v.incident.workflows]
        if hit:
            tests = [f for v in hit for f in v.follow_ups if f.item.type in TEST_TYPES]
            touches.append(WorkflowTouch(workflow, hit, tests))
    return WeeklyReview(
        week=week,
        as_of=as_of,
        site=site,
        incidents=counted,
        excluded=[v for v in in_week if not v.incident.in_metrics],
        trend={
            "this week": summarise(v.incident for v in counted),
            "last 4 weeks": summarise(in_weeks(everything, week, 4)),
            "last 12 weeks": summarise(in_weeks(everything, week, 12)),
        },
        opened=[f for f in follow_ups if week.contains(f.opened)],
        closed=[f for f in follow_ups if f.item.closed is not None and week.contains(f.item.closed)],
        overdue_by_owner=dict(sorted(overdue.items())),
        feedback=feedback,
        stale=[v for v in site.runbooks.values() if v.freshness.stale and v.runbook.status.value == "active"],
        undrilled=[v for v in site.runbooks.values() if v.freshness.drill in (DrillState.NEVER, DrillState.OVERDUE)],
        workflows=touches,
    )


def review_json(review: WeeklyReview) -> dict[str, Any]:
    def follow_up(f: FollowUp) -> dict[str, Any]:
        return {
            "incident": f.incident.id,
            "id": f.item.id,
            "title": f.item.title,
            "owner": f.item.owner,
            "priority": f.item.priority.value,
            "type": f.item.type.value,
            "status": f.item.status.value,
            "deadline": f.deadline.isoformat(),
            "overdue": f.overdue,
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
                "severity": v.incident.severity.value,
                "failure_classes": [str(c) for c in v.incident.failure_classes],
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
            "opened": [follow_up(f) for f in review.opened],
            "closed": [follow_up(f) for f in review.closed],
            "overdue_by_owner": {
                owner: [follow_up(f) for f in items] for owner, items in review.overdue_by_owner.items()
            },
        },
        "runbook_feedback": [
            {
                "incident": fb.incident.incident.id,
                "runbook": fb.use.runbook,
                "helped": fb.use.helped.value,
                "note": fb.use.note,
            }
            for fb in review.feedback
        ],
        "stale_runbooks": [{"id": v.runbook.id, "reasons": v.freshness.reasons} for v in review.stale],
        "fallback_drills_due": [
            {
                "id": v.runbook.id,
                "state": v.freshness.drill.value,
                "last_drill": v.runbook.last_drill.date.isoformat() if v.runbook.last_drill else None,
            }
            for v in review.undrilled
        ],
        "workflows_touched": [
            {
                "id": t.workflow.id,
                "p0": t.workflow.p0,
                "golden_path": t.workflow.golden_path,
                "incidents": [v.incident.id for v in t.incidents],
                "tests_or_evals": [follow_up(f) for f in t.tests],
                "guarded": t.guarded,
            }
            for t in review.workflows
        ],
    }
