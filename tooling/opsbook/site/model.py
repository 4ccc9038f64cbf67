"""Everything the site shows, read once from the knowledge index (public or full view)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from opsbook.checks.deadlines import ActionState, action_states
from opsbook.checks.freshness import Freshness, runbook_freshness
from opsbook.features import urls
from opsbook.features.public import RedactedIncident, public_incidents, public_runbooks
from opsbook.features.rows import IncidentRow, incident_rows
from opsbook.features.stats import stats
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.records.models import FailureClass, Incident, Runbook, RunbookStatus
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
from opsbook.records.models.incident import RunbookUse


def runbook_page(runbook: Runbook) -> str:
    return urls.runbook_page(runbook.failure_class.value, runbook.id)


def incident_page(incident: Incident) -> str:
    return urls.incident_page(incident.id)


class_page = urls.class_page


@dataclass
class RunbookView:
    runbook: Runbook
    path: str
    freshness: Freshness
    used_by: list[tuple[Incident, RunbookUse]] = field(default_factory=list)
    related: list[Runbook] = field(default_factory=list)
    linked_from: list[Runbook] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)


@dataclass
class IncidentView:
    incident: Incident
    path: str
    durations: dict[str, dt.timedelta | None]
    follow_ups: list[ActionState]
    runbooks: dict[str, Runbook]

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

    @property
    def open_follow_ups(self) -> list[ActionState]:
        items = [f for view in self.incidents for f in view.follow_ups if f.status == "open"]
        return sorted(items, key=lambda f: (not f.overdue, f.deadline, f.priority))

    def runbook(self, runbook_id: str) -> RunbookView | None:
        return self.runbooks.get(runbook_id)


def build_site_model(index: KnowledgeIndex, *, public: bool, today: dt.date, site_url: str | None) -> SiteModel:
    runbook_by_path = index.runbooks()
    runbook_paths = {runbook.id: path for path, runbook in runbook_by_path.items()}
    runbooks = sorted(runbook_by_path.values(), key=lambda r: (r.failure_class.value, r.title.lower()))
    incident_by_path = index.incidents()
    path_of_incident = {incident.id: path for path, incident in incident_by_path.items()}
    incidents = sorted(incident_by_path.values(), key=lambda i: i.timestamps.started, reverse=True)
    redacted: list[RedactedIncident] = []
    if public:
        runbooks = public_runbooks(runbooks)
        incidents, redacted = public_incidents(incidents, {r.id for r in runbooks})
    freshness = {state.path: state.freshness for state in runbook_freshness(index, today)}
    runbook_by_id = {r.id: r for r in runbooks}
    workflow_catalog = index.catalog("workflows.yaml", WorkflowCatalog)
    workflows = workflow_catalog.workflows if workflow_catalog else []
    workflow_by_id = {w.id: w for w in workflows}
    follow_ups: defaultdict[str, list[ActionState]] = defaultdict(list)
    for state in action_states(index, today):
        follow_ups[state.incident_path].append(state)

    linked_from: dict[str, list[Runbook]] = defaultdict(list)
    for runbook in runbooks:
        for target in runbook.related:
            linked_from[target].append(runbook)
    used_by: dict[str, list[tuple[Incident, RunbookUse]]] = defaultdict(list)
    for incident in incidents:
        for use in incident.runbooks_used:
            used_by[use.runbook].append((incident, use))

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

    rows = incident_rows(index, public=public)
    spans = {row.path: row.durations for row in rows}
    incident_views = [
        IncidentView(
            incident,
            incident_page(incident),
            spans[path_of_incident[incident.id]],
            follow_ups[path_of_incident[incident.id]],
            {u.runbook: runbook_by_id[u.runbook] for u in incident.runbooks_used if u.runbook in runbook_by_id},
        )
        for incident in incidents
    ]
    class_catalog = index.catalog("classes.yaml", ClassCatalog)
    guides = {g.id.value: g for g in class_catalog.classes} if class_catalog else {}
    classes = [
        ClassView(
            c.value,
            guides.get(c.value),
            class_page(c.value),
            [v for v in views.values() if v.runbook.failure_class is c],
            [v for v in incident_views if c.value in v.incident.failure_classes],
        )
        for c in FailureClass
    ]
    tools = index.catalog("tools.yaml", ToolCatalog)
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
    )
