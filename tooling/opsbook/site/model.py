"""Everything the site shows, read once from the knowledge index (public or full view).

Incidents are kept as their index rows: lists, indexes and runbook pages need only those. Each incident
page loads its whole record a batch at a time (`SiteModel.full_incidents`): ten thousand incident models
at once would be most of a large site build's memory.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opsbook.checks.deadlines import ActionState, action_states, by_urgency
from opsbook.checks.freshness import Freshness, runbook_freshness
from opsbook.features import urls
from opsbook.features.public import RedactedIncident, public_incident, public_runbooks
from opsbook.features.rows import IncidentRow, incident_rows
from opsbook.features.stats import stats
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.records.models import FailureClass, Incident, Runbook, RunbookStatus, Severity
from opsbook.records.models.catalog import (
    Channel,
    ClassCatalog,
    ClassGuide,
    Tool,
    ToolCatalog,
    Workflow,
    WorkflowCatalog,
)
from opsbook.records.models.environment import EnvManifest
from opsbook.records.models.incident import Helped, IncidentStatus, RunbookUse

INCIDENT_BATCH = 500


def runbook_page(runbook: Runbook) -> str:
    return urls.runbook_page(runbook.failure_class.value, runbook.id)


class_page = urls.class_page


@dataclass
class RunbookView:
    runbook: Runbook
    path: str
    freshness: Freshness
    used_by: list[tuple[IncidentView, RunbookUse]] = field(default_factory=list)
    related: list[Runbook] = field(default_factory=list)
    linked_from: list[Runbook] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)


@dataclass
class IncidentView:
    """An incident as every page but its own shows it, from its index row."""

    row: IncidentRow
    path: str
    follow_ups: list[ActionState]
    uses: list[RunbookUse]
    """Runbooks it used, among those the site shows."""
    workflows: list[str]

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def title(self) -> str:
        return self.row.title

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.row.started)

    @property
    def severity(self) -> Severity:
        return Severity(self.row.severity)

    @property
    def status(self) -> IncidentStatus:
        return IncidentStatus(self.row.status)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.row.classes

    @property
    def durations(self) -> dict[str, dt.timedelta | None]:
        return self.row.durations

    @property
    def overdue(self) -> list[ActionState]:
        return [f for f in self.follow_ups if f.overdue]


@dataclass
class ClassView:
    id: str
    guide: ClassGuide | None
    path: str
    runbooks: list[RunbookView]
    incidents: list[IncidentView]

    @property
    def title(self) -> str:
        return self.guide.title if self.guide else self.id.replace("-", " ").capitalize()

    @property
    def tagline(self) -> str:
        return self.guide.tagline if self.guide else ""

    @property
    def active_runbooks(self) -> list[RunbookView]:
        return [r for r in self.runbooks if r.runbook.status is RunbookStatus.ACTIVE]


@dataclass
class SiteModel:
    name: str
    public: bool
    today: dt.date
    site_url: str | None
    classes: list[ClassView]
    runbooks: dict[str, RunbookView]
    incidents: list[IncidentView]
    redacted: list[RedactedIncident]
    workflows: list[Workflow]
    tools: list[Tool]
    channels: list[Channel]
    environment: EnvManifest | None
    stats: dict[str, Any]
    """`opsbook stats` of what the site shows."""
    incident_rows: list[IncidentRow]
    load_incidents: Callable[[list[str]], dict[str, Incident]]
    """Whole incident records by index path, as the site shows them; reads the index, so only while it is
    open."""

    @property
    def open_follow_ups(self) -> list[ActionState]:
        return by_urgency(f for view in self.incidents for f in view.follow_ups if f.status == "open")

    def runbook(self, runbook_id: str) -> RunbookView | None:
        return self.runbooks.get(runbook_id)

    def full_incidents(self) -> Iterator[tuple[IncidentView, Incident]]:
        """Every incident with its whole record, newest first, loaded a batch at a time."""
        for start in range(0, len(self.incidents), INCIDENT_BATCH):
            batch = self.incidents[start : start + INCIDENT_BATCH]
            records = self.load_incidents([view.row.path for view in batch])
            for view in batch:
                yield view, records[view.row.path]


def build_site_model(index: KnowledgeIndex, *, public: bool, today: dt.date, site_url: str | None) -> SiteModel:
    runbook_by_path = index.runbooks()
    runbook_paths = {runbook.id: path for path, runbook in runbook_by_path.items()}
    runbooks = sorted(runbook_by_path.values(), key=lambda r: (r.failure_class.value, r.title.lower()))
    rows = incident_rows(index, public=public)
    redacted: list[RedactedIncident] = []
    if public:
        runbooks = public_runbooks(runbooks)
        redacted = [
            RedactedIncident(row.started_on, Severity(row.severity), row.classes, row.public_summary)
            for row in incident_rows(index)
            if row.visibility == "internal" and row.public_summary
        ]
    shown_incidents = {row.id for row in rows}
    freshness = {state.path: state.freshness for state in runbook_freshness(index, today)}
    if public:
        freshness = {path: state.shown_to(shown_incidents) for path, state in freshness.items()}
    runbook_by_id = {r.id: r for r in runbooks}
    workflow_catalog = index.catalog("workflows.yaml", WorkflowCatalog)
    workflows = workflow_catalog.workflows if workflow_catalog else []
    workflow_by_id = {w.id: w for w in workflows}
    follow_ups: defaultdict[str, list[ActionState]] = defaultdict(list)
    for state in action_states(index, today):
        follow_ups[state.incident_path].append(state)
    uses, incident_workflows = _incident_links(index, set(runbook_by_id))

    incident_views = [
        IncidentView(
            row, urls.incident_page(row.id), follow_ups[row.path], uses[row.path], incident_workflows[row.path]
        )
        for row in rows
    ]
    linked_from: dict[str, list[Runbook]] = defaultdict(list)
    for runbook in runbooks:
        for target in runbook.related:
            linked_from[target].append(runbook)
    used_by: dict[str, list[tuple[IncidentView, RunbookUse]]] = defaultdict(list)
    for view in incident_views:
        for use in view.uses:
            used_by[use.runbook].append((view, use))

    views: dict[str, RunbookView] = {}
    for runbook in runbooks:
        views[runbook.id] = RunbookView(
            runbook,
            runbook_page(runbook),
            freshness[runbook_paths[runbook.id]],
            used_by[runbook.id],
            [runbook_by_id[x] for x in runbook.related if x in runbook_by_id],
            [r for r in linked_from[runbook.id] if r.id not in runbook.related],
            [workflow_by_id[w] for w in runbook.workflows if w in workflow_by_id],
        )

    class_catalog = index.catalog("classes.yaml", ClassCatalog)
    guides = {g.id.value: g for g in class_catalog.classes} if class_catalog else {}
    classes = [
        ClassView(
            c.value,
            guides.get(c.value),
            class_page(c.value),
            [v for v in views.values() if v.runbook.failure_class is c],
            [v for v in incident_views if c.value in v.classes],
        )
        for c in FailureClass
    ]
    tools = index.catalog("tools.yaml", ToolCatalog)

    def load_incidents(paths: list[str]) -> dict[str, Incident]:
        records = index.incidents(paths)
        if not public:
            return records
        return {path: public_incident(record, set(runbook_by_id), shown_incidents) for path, record in records.items()}

    return SiteModel(
        name=index.config().name,
        public=public,
        today=today,
        site_url=site_url,
        classes=classes,
        runbooks=views,
        incidents=incident_views,
        redacted=redacted,
        workflows=workflows,
        tools=tools.tools if tools else [],
        channels=tools.channels if tools else [],
        environment=index.catalog("environment.yaml", EnvManifest),
        stats=stats(index, today, public=public),
        incident_rows=rows,
        load_incidents=load_incidents,
    )


def _incident_links(
    index: KnowledgeIndex, runbook_ids: set[str]
) -> tuple[defaultdict[str, list[RunbookUse]], defaultdict[str, list[str]]]:
    """Per incident path: the runbooks it used (among `runbook_ids`) and the workflows it names."""
    uses: defaultdict[str, list[RunbookUse]] = defaultdict(list)
    workflows: defaultdict[str, list[str]] = defaultdict(list)
    query = """SELECT refs.path, refs.field, refs.target, refs.detail, refs.note FROM refs
               JOIN records ON records.path = refs.path
               WHERE records.kind = 'incident' AND records.valid AND refs.field IN ('runbooks_used', 'workflows')
               ORDER BY refs.path, refs.position"""
    for path, kind, target, helped, note in index.connection.execute(query):
        if kind == "workflows":
            workflows[path].append(target)
        elif target in runbook_ids:
            uses[path].append(RunbookUse.model_construct(runbook=target, helped=Helped(helped), note=note))
    return uses, workflows
