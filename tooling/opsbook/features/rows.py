"""Valid records as the index's rows: what listings, statistics and exports need, without loading each
record's full data (which takes pydantic and ten thousand JSON documents)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from opsbook.checks.cross_record import FAILURE_CLASSES
from opsbook.features.durations import as_durations, minutes_sql

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex


class IncidentRow(NamedTuple):
    path: str
    id: str
    title: str
    severity: str
    classes: tuple[str, ...]
    status: str
    visibility: str
    example: bool
    in_metrics: bool
    summary: str
    public_summary: str | None
    started: str
    """As written, ISO 8601 with its offset."""
    resolved: str | None
    started_day: int
    minutes: tuple[float | None, ...]
    """TTD, TTA, TTM and TTR in minutes (see `opsbook.features.durations`)."""

    @property
    def started_on(self) -> dt.date:
        return dt.date.fromordinal(self.started_day)

    @property
    def durations(self) -> dict[str, dt.timedelta | None]:
        return as_durations(self.minutes)


class RunbookRow(NamedTuple):
    path: str
    id: str
    title: str
    failure_class: str
    status: str
    visibility: str
    owner: str
    summary: str


def _classes(index: KnowledgeIndex, where: str = "", parameters: Sequence[object] = ()) -> dict[str, tuple[str, ...]]:
    """The classes of the records `where` (SQL over `records r`) selects, or of every record."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    # From the selected records to their classes: SQLite would otherwise read every class row first.
    source = f"records r CROSS JOIN classes c ON c.path = r.path WHERE {where}" if where else "classes c"
    query = f"SELECT c.path, c.class FROM {source} ORDER BY c.path, c.position"
    for path, failure_class in index.connection.execute(query, parameters):
        found[path].append(failure_class)
    return {path: tuple(classes) for path, classes in found.items()}


def incident_rows(
    index: KnowledgeIndex, *, public: bool = False, started_between: tuple[dt.date, dt.date] | None = None
) -> list[IncidentRow]:
    """Valid incidents (only the public ones with `public`, only those started on the days `started_between`
    with both ends included), newest first."""
    where = "r.kind = 'incident' AND r.valid" + (" AND r.visibility = 'public'" if public else "")
    parameters: list[object] = []
    if started_between is not None:
        where += " AND r.started_day BETWEEN ? AND ?"
        parameters += [day.toordinal() for day in started_between]
    classes = _classes(index, where, parameters)
    query = f"""SELECT path, id, title, severity, status, visibility, example, in_metrics, summary, public_summary,
                       started, resolved, started_day, {minutes_sql()}
                FROM records r WHERE {where} ORDER BY started_at DESC, id DESC"""
    rows = []
    for row in index.connection.execute(query, parameters):
        path, record_id, title, severity, status, visibility, example, in_metrics, summary, public_summary = row[:10]
        started, resolved, started_day, *minutes = row[10:]
        rows.append(
            IncidentRow(
                path,
                record_id,
                title,
                severity,
                classes.get(path, ()),
                status,
                visibility,
                bool(example),
                bool(in_metrics),
                summary,
                public_summary,
                started,
                resolved,
                started_day,
                tuple(minutes),
            )
        )
    return rows


def runbook_rows(index: KnowledgeIndex, *, public: bool = False) -> list[RunbookRow]:
    """Valid runbooks (only the public ones with `public`), by path."""
    where = "r.kind = 'runbook' AND r.valid" + (" AND r.visibility = 'public'" if public else "")
    classes = _classes(index, where)
    return [
        RunbookRow(path, record_id, title, classes[path][0], status, visibility, owner, summary)
        for path, record_id, title, status, visibility, owner, summary in index.connection.execute(
            f"SELECT path, id, title, status, visibility, owner, summary FROM records r WHERE {where} ORDER BY path"
        )
    ]


class CatalogClass(NamedTuple):
    title: str
    tagline: str
    boundary: str
    """How the class is told apart from its neighbours (empty when the catalog does not say)."""


def class_guides(index: KnowledgeIndex) -> dict[str, CatalogClass]:
    """Each failure class as the class catalog describes it (the slug, readable, when it is absent)."""
    guides = index.catalog_document("classes.yaml") or {"classes": []}
    written = {
        guide["id"]: CatalogClass(guide["title"], guide["tagline"], guide["boundary"]) for guide in guides["classes"]
    }
    return {c: written.get(c) or CatalogClass(c.replace("-", " ").capitalize(), "", "") for c in FAILURE_CLASSES}


def class_titles(index: KnowledgeIndex) -> dict[str, str]:
    return {failure_class: guide.title for failure_class, guide in class_guides(index).items()}
