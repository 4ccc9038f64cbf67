"""Everything the site shows, derived once from a loaded knowledge base (public or full view)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from opsbook.records.summary import RecordFacts
from opsbook.checks.freshness import Freshness, runbook_freshness
from opsbook.checks.cross_record import incidents_using
from opsbook.features.durations import FollowUp, durations, follow_ups
from opsbook.index.knowledge import KnowledgeBase
from opsbook.records.models import FailureClass, Incident, Runbook, RunbookStatus
from opsbook.records.models.catalog import Channel, ClassGuide, Tool, Workflow
from opsbook.records.models.environment import EnvManifest
from opsbook.records.models.incident import RunbookUse
from opsbook.features.public import RedactedIncident, public_incidents, public_runbooks


def runbook_page(runbook: Runbook) -> str:
    return f"runbooks/{runbook.failure_class.value}/{runbook.id}.md"


def incident_page(incident: Incident) -> str:
    return f"incidents/{incident.id[:4]}/{incident.id}.md"


def class_page(failure_class: str) -> str:
    return f"classes/{failure_class}.md"


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
    follow_ups: list[FollowUp]
    runbooks: dict[str, Runbook]

    @property
    def overdue(self) -> list[FollowUp]:
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
    sla_days: dict[str, int]

    @property
    def open_follow_ups(self) -> list[FollowUp]:
        items = [f for view in self.incidents for f in view.follow_ups if f.item.status.value == "open"]
        return sorted(items, key=lambda f: (not f.overdue, f.deadline, f.item.priority.value))

    def runbook(self, runbook_id: str) -> RunbookView | None:
        return self.runbooks.get(runbook_id)


def build_site_model(kb: KnowledgeBase, *, public: bool, today: dt.date, site_url: str | None) -> SiteModel:
    runbooks = sorted(kb.runbooks.values(), key=lambda r: (r.failure_class.value, r.title.lower()))
    incidents = sorted(kb.incidents.values(), key=lambda i: i.timestamps.started, reverse=True)
    redacted: list[RedactedIncident] = []
    if public:
        runbooks = public_runbooks(runbooks)
        incidents, redacted = public_incidents(incidents, {r.id for r in runbooks})
    visible_ids = {("runbook", r.id) for r in runbooks} | {("incident", i.id) for i in incidents}
    facts = [f for f in kb.facts if f.valid]
    facts_by_id: dict[str, RecordFacts] = {f.id: f for f in facts if f.kind == "runbook"}
    graph = kb.links
    incident_by_id = {i.id: i for i in incidents}
    runbook_by_id = {r.id: r for r in runbooks}
    workflows = kb.workflows.workflows if kb.workflows else []
    workflow_by_id = {w.id: w for w in workflows}
    sla = {priority.value: days for priority, days in kb.config.action_items.sla_days.items()}

    linked_from: dict[str, list[Runbook]] = defaultdict(list)
    for runbook in runbooks:
        for target in runbook.related:
            linked_from[target].append(runbook)

    views: dict[str, RunbookView] = {}
    for runbook in runbooks:
        users = incidents_using(graph, runbook.id)
        freshness = runbook_freshness(facts_by_id[runbook.id], users, today)
        used_by = [
            (incident_by_id[user.id], use)
            for user in sorted(users, key=lambda f: f.started or dt.datetime.min, reverse=True)
            if ("incident", user.id) in visible_ids
            for use in incident_by_id[user.id].runbooks_used
            if use.runbook == runbook.id
        ]
        views[runbook.id] = RunbookView(
            runbook,
            runbook_page(runbook),
            freshness,
            used_by,
            [runbook_by_id[x] for x in runbook.related if x in runbook_by_id],
            [r for r in linked_from[runbook.id] if r.id not in runbook.related],
            [workflow_by_id[w] for w in runbook.workflows if w in workflow_by_id],
        )

    incident_views = [
        IncidentView(
            incident,
            incident_page(incident),
            durations(incident),
            follow_ups(incident, sla, today),
            {u.runbook: runbook_by_id[u.runbook] for u in incident.runbooks_used if u.runbook in runbook_by_id},
        )
        for incident in incidents
    ]
    guides = {g.id.value: g for g in kb.classes.classes} if kb.classes else {}
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
    return SiteModel(
        name=kb.config.name,
        public=public,
        today=today,
        site_url=site_url,
        classes=classes,
        runbooks=views,
        incidents=incident_views,
        redacted=redacted,
        workflows=workflows,
        tools=kb.tools.tools if kb.tools else [],
        channels=kb.tools.channels if kb.tools else [],
        environment=kb.environment,
        sla_days=sla,
    )
