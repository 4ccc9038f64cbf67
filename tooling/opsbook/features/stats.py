"""Counts and response times by class, severity, month and week (`opsbook stats`, the metrics page, the
weekly review). Duplicates and incidents excluded from metrics are never counted here."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from opsbook.checks.deadlines import ActionState, action_counts
from opsbook.checks.freshness import DrillState, runbook_freshness
from opsbook.features.durations import DURATIONS
from opsbook.features.rows import IncidentRow, incident_rows
from opsbook.support.periods import IsoWeek, percentile

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

FAILURE_CLASSES = ("auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy")


def counted(incidents: Iterable[IncidentRow]) -> list[IncidentRow]:
    return [i for i in incidents if i.in_metrics]


def summarise(incidents: Iterable[IncidentRow]) -> dict[str, Any]:
    """Count plus median and p90 (minutes) of each derived duration."""
    spans = [i.minutes for i in incidents]
    result: dict[str, Any] = {"count": len(spans)}
    for position, name in enumerate(DURATIONS):
        minutes = [value for span in spans if (value := span[position]) is not None]
        median, p90 = percentile(minutes, 0.5), percentile(minutes, 0.9)
        result[name] = {
            "median_minutes": None if median is None else round(median, 1),
            "p90_minutes": None if p90 is None else round(p90, 1),
            "samples": len(minutes),
        }
    return result


def in_weeks(incidents: Iterable[IncidentRow], last: IsoWeek, weeks: int) -> list[IncidentRow]:
    first = last.minus(weeks - 1)
    return [i for i in incidents if first.start <= i.started_on <= last.end]


def weekly_counts(
    incidents: Sequence[IncidentRow], last: IsoWeek, weeks: int
) -> tuple[list[IsoWeek], dict[str, list[int]]]:
    """Incidents per week per class, oldest week first."""
    labels = [last.minus(n) for n in range(weeks - 1, -1, -1)]
    per_class: dict[str, list[int]] = {c: [0] * weeks for c in FAILURE_CLASSES}
    index = {week: position for position, week in enumerate(labels)}
    for incident in counted(incidents):
        position = index.get(IsoWeek.of(incident.started_on))
        if position is None:
            continue
        for failure_class in incident.classes:
            if failure_class in per_class:
                per_class[failure_class][position] += 1
    return labels, per_class


class PeriodMeasure(NamedTuple):
    name: str
    current: float | None
    previous: float | None
    unit: str
    """Either "count" or "minutes"."""


class PeriodComparison(NamedTuple):
    current: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]
    measures: list[PeriodMeasure]


def compare_periods(
    incidents: Sequence[IncidentRow], action_items: Sequence[ActionState], on: dt.date, days: int = 30
) -> PeriodComparison:
    """The last `days` days up to `on` against the `days` days before them: incidents counted in metrics
    (by the day they started), their median response times, and action items opened and closed."""
    current = (on - dt.timedelta(days=days - 1), on)
    previous = (current[0] - dt.timedelta(days=days), current[0] - dt.timedelta(days=1))

    def started(window: tuple[dt.date, dt.date]) -> list[IncidentRow]:
        return [i for i in counted(incidents) if window[0] <= i.started_on <= window[1]]

    def measures(window: tuple[dt.date, dt.date]) -> list[float | None]:
        rows = started(window)
        first, last = window[0].toordinal(), window[1].toordinal()
        summary = summarise(rows)
        return [
            len(rows),
            sum(i.severity in ("SEV1", "SEV2") for i in rows),
            summary["TTM"]["median_minutes"],
            summary["TTR"]["median_minutes"],
            sum(first <= item.opened_day <= last for item in action_items),
            sum(item.closed_day is not None and first <= item.closed_day <= last for item in action_items),
        ]

    names = [
        ("Incidents", "count"),
        ("SEV1 and SEV2 incidents", "count"),
        ("Median time to mitigate", "minutes"),
        ("Median time to resolve", "minutes"),
        ("Action items opened", "count"),
        ("Action items closed", "count"),
    ]
    rows = zip(names, measures(current), measures(previous), strict=True)
    return PeriodComparison(
        current, previous, [PeriodMeasure(name, now, before, unit) for (name, unit), now, before in rows]
    )


def stats(
    index: KnowledgeIndex, on: dt.date, *, public: bool = False, leave_out: Collection[str] = ()
) -> dict[str, Any]:
    """Figures over the valid records (the public ones only, for a public site), leaving out those at
    `leave_out` (the ones `opsbook check` finds errors in). Kept in the index until a file changes or the
    day does."""
    inputs = json.dumps([index.generation, on.isoformat(), public, sorted(leave_out)])

    def compute() -> str:
        return json.dumps(_stats(index, on, public=public, leave_out=leave_out))

    figures: dict[str, Any] = json.loads(index.derived("stats-public" if public else "stats", inputs, compute))
    return figures


def _stats(index: KnowledgeIndex, on: dt.date, *, public: bool, leave_out: Collection[str]) -> dict[str, Any]:
    every = [row for row in incident_rows(index, public=public) if row.path not in leave_out]
    incidents = counted(every)
    by_class: dict[str, list[IncidentRow]] = defaultdict(list)
    by_severity: dict[str, list[IncidentRow]] = defaultdict(list)
    by_month: dict[str, list[IncidentRow]] = defaultdict(list)
    for incident in incidents:
        for failure_class in incident.classes:
            by_class[failure_class].append(incident)
        by_severity[incident.severity].append(incident)
        by_month[incident.started[:7]].append(incident)
    items = action_counts(index, on, public=public, leave_out=leave_out)
    runbooks = [
        r for r in runbook_freshness(index, on) if (not public or r.visibility == "public") and r.path not in leave_out
    ]
    drills = Counter(r.freshness.drill for r in runbooks)
    invalid = {
        row[0]
        for row in index.connection.execute(
            "SELECT path FROM files WHERE role IN ('runbook', 'incident') AND path NOT IN "
            "(SELECT path FROM records WHERE valid)"
        )
    }
    return {
        "as_of": on.isoformat(),
        "incidents": {
            "total": len(every),
            "in_metrics": len(incidents),
            "overall": summarise(incidents),
            "by_class": {key: summarise(group) for key, group in sorted(by_class.items())},
            "by_severity": {key: summarise(group) for key, group in sorted(by_severity.items())},
            "by_month": {key: summarise(group) for key, group in sorted(by_month.items())},
        },
        "action_items": {key: items[key] for key in ("open", "overdue", "done", "not_doing")},
        "runbooks": {
            "total": len(runbooks),
            "stale": sum(r.freshness.stale for r in runbooks),
            "never_drilled": drills.get(DrillState.NEVER, 0),
            "drill_overdue": drills.get(DrillState.OVERDUE, 0),
        },
        "left_out_invalid_files": len(invalid | set(leave_out)),
    }
