"""Counts and response times by class, severity, month and week (`opsbook stats`, the metrics page, reviews).

Duplicates and incidents excluded from metrics are never counted here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from opsbook.checks.freshness import DrillState
from opsbook.features.durations import DURATIONS, durations
from opsbook.records.models import Incident
from opsbook.support.periods import IsoWeek, percentile
from opsbook.site.model import SiteModel


def counted(incidents: Iterable[Incident]) -> list[Incident]:
    return [i for i in incidents if i.in_metrics]


def summarise(incidents: Iterable[Incident]) -> dict[str, Any]:
    """Count plus median and p90 (minutes) of each derived duration."""
    incidents = list(incidents)
    result: dict[str, Any] = {"count": len(incidents)}
    for name in DURATIONS:
        minutes = [d.total_seconds() / 60 for i in incidents if (d := durations(i)[name]) is not None]
        median, p90 = percentile(minutes, 0.5), percentile(minutes, 0.9)
        result[name] = {
            "median_minutes": None if median is None else round(median, 1),
            "p90_minutes": None if p90 is None else round(p90, 1),
            "samples": len(minutes),
        }
    return result


def in_weeks(incidents: Iterable[Incident], last: IsoWeek, weeks: int) -> list[Incident]:
    first = last.minus(weeks - 1)
    return [i for i in incidents if first.start <= i.timestamps.started.date() <= last.end]


def weekly_counts(site: SiteModel, last: IsoWeek, weeks: int) -> tuple[list[IsoWeek], dict[str, list[int]]]:
    """Incidents per week per class, oldest week first."""
    labels = [last.minus(n) for n in range(weeks - 1, -1, -1)]
    per_class: dict[str, list[int]] = {c.id: [0] * weeks for c in site.classes}
    index = {week: position for position, week in enumerate(labels)}
    for incident in counted(v.incident for v in site.incidents):
        position = index.get(IsoWeek.of(incident.timestamps.started.date()))
        if position is None:
            continue
        for failure_class in incident.failure_classes:
            if failure_class in per_class:
                per_class[failure_class][position] += 1
    return labels, per_class


def stats(site: SiteModel) -> dict[str, Any]:
    incidents = counted(v.incident for v in site.incidents)
    by_class: dict[str, list[Incident]] = defaultdict(list)
    by_severity: dict[str, list[Incident]] = defaultdict(list)
    by_month: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        for failure_class in incident.failure_classes:
            by_class[str(failure_class)].append(incident)
        by_severity[incident.severity.value].append(incident)
        by_month[incident.timestamps.started.strftime("%Y-%m")].append(incident)
    follow_ups = [f for v in site.incidents for f in v.follow_ups]
    statuses = Counter(f.item.status.value for f in follow_ups)
    drills = Counter(v.freshness.drill.value for v in site.runbooks.values())
    return {
        "as_of": site.today.isoformat(),
        "incidents": {
            "total": len(site.incidents),
            "in_metrics": len(incidents),
            "overall": summarise(incidents),
            "by_class": {key: summarise(group) for key, group in sorted(by_class.items())},
            "by_severity": {key: summarise(group) for key, group in sorted(by_severity.items())},
            "by_month": {key: summarise(group) for key, group in sorted(by_month.items())},
        },
        "action_items": {
            "open": statuses.get("open", 0),
            "overdue": sum(f.overdue for f in follow_ups),
            "done": statuses.get("done", 0),
            "not_doing": statuses.get("not_doing", 0),
        },
        "runbooks": {
            "total": len(site.runbooks),
            "stale": sum(v.freshness.stale for v in site.runbooks.values()),
            "never_drilled": drills.get(DrillState.NEVER.value, 0),
            "drill_overdue": drills.get(DrillState.OVERDUE.value, 0),
        },
    }
