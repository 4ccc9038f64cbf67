"""The shapes of the answers an agent gets: pydantic models, so each MCP tool publishes an output schema.

Records are carried as their own models (`Runbook`, `Incident`): one declaration per record type. Every
answer that names a runbook carries its `RunbookFlags`, so an agent never sees a step without knowing
whether the runbook is stale, a step needs approval or the path was never drilled. Text taken from
records is data: it never becomes part of an instruction to the agent.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from opsbook.records.models import Incident, Runbook

Section = Literal["diagnosis", "mitigation", "verification"]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GatedStep(Answer):
    """A step an agent must not carry out on its own."""

    section: Section
    number: int = Field(description="1-based position within its section.")
    action: str
    approver: str | None = Field(description="Who must approve the step before it runs; null: no approval.")
    sensitive: bool = Field(description="It deploys, rotates, purges, deletes, widens permissions or the like.")
    executor: Literal["human", "agent", "either"] = Field(description="Who may carry it out.")


class RunbookFlags(Answer):
    """What to know before presenting any step of a runbook as safe to run."""

    status: Literal["draft", "active", "deprecated"]
    replaced_by: str | None
    stale: bool = Field(description="Past its review interval, or used by an incident after its last review.")
    stale_reasons: list[str]
    last_reviewed: dt.date
    review_due: dt.date
    drill: Literal["not-required", "never-drilled", "drill-overdue", "drilled"] = Field(
        description="For a fallback path: whether it was exercised within its review interval."
    )
    last_drill: dt.date | None
    gated_steps: list[GatedStep] = Field(description="Steps that need approval or must be done by a person.")
    caution: list[str] = Field(description="The flags as sentences to pass on to the person being helped.")


class RunbookBrief(Answer):
    id: str
    title: str
    failure_class: str
    uri: str = Field(description="The runbook as Markdown: read it as an MCP resource.")
    page: str = Field(description="Its page on the knowledge base's site, relative to the site root.")
    flags: RunbookFlags


class TriageMatch(RunbookBrief):
    relevance: float = Field(description="How well the runbook fits the text, from 0 to 1.")
    why: list[str] = Field(description="The evidence: signatures matched, terms, class cues.")


class SeenBefore(Answer):
    """A past incident that used the first runbook, or another runbook with one of its signatures."""

    id: str
    title: str
    date: str
    severity: str
    url: str
    resolution: str | None = Field(description="What ended it, as the incident records it.")
    via: Literal["runbook", "signature"]
    helped: str | None = Field(description="How the runbook did there: yes, partly, no, wrong-runbook.")
    note: str | None
    helpful_runbooks: list[str]


class ClassProbability(Answer):
    id: str = Field(description="A failure class, or `none`: none of the five (an ordinary bug).")
    name: str
    probability: float
    boundary: str | None = Field(
        description="Only in an unsure answer, for its three most probable outcomes: what the class catalog says"
        " tells this class apart from its neighbours (for `none`: what an ordinary bug looks like); null when the"
        " catalog does not describe the class. Judge the error against these to decide."
    )


class TriageAnswer(Answer):
    failure_class: str | None = Field(description="null: the text matches none of the five failure classes.")
    class_name: str | None
    confidence: float = Field(description="The probability of the answer given (a class, or none of them).")
    unsure: bool = Field(
        description="Below the calibrated threshold: the class is a guess. Decide between the first three `classes`"
        " from the error and their `boundary`, and say that you did."
    )
    classes: list[ClassProbability] = Field(description="The five classes and `none`, most probable first.")
    matches: list[TriageMatch]
    seen_before: list[SeenBefore] = Field(description="What happened the last times the first runbook was needed.")


class RunbookAnswer(Answer):
    uri: str
    page: str
    flags: RunbookFlags
    runbook: Runbook = Field(description="The runbook record as written (internal fields empty on a public server).")


class SearchHit(Answer):
    kind: Literal["runbook", "incident"]
    id: str
    title: str
    failure_classes: list[str]
    status: str
    severity: str | None = Field(description="Incidents only.")
    started: dt.date | None = Field(description="Incidents only: the day it started.")
    excerpt: str = Field(description="Words around the match, from the record's text.")
    uri: str
    page: str
    flags: RunbookFlags | None = Field(description="Runbooks only.")


class SearchAnswer(Answer):
    hits: list[SearchHit] = Field(description="Best match first.")


class RunbookUseBrief(Answer):
    runbook: str
    helped: Literal["yes", "partly", "no", "wrong-runbook"]
    note: str | None
    uri: str
    stale: bool = Field(description="Whether that runbook is stale today.")


class Resolution(Answer):
    """What ended an incident, as its write-up tells."""

    mitigated: dt.datetime | None
    mitigated_by: str | None = Field(description="The timeline entry at or just before the mitigation time.")
    resolved: dt.datetime | None
    resolved_by: str | None = Field(description="The timeline entry at or just before the resolution time.")
    root_cause: str | None
    runbooks: list[RunbookUseBrief]


class IncidentBrief(Answer):
    id: str
    title: str
    started: dt.date
    severity: str
    status: str
    failure_classes: list[str]
    summary: str
    why: str = Field(description="Why it is listed: the runbook it used, or the words it shares.")
    uri: str
    page: str
    resolution: Resolution


class SimilarIncidentsAnswer(Answer):
    runbook: RunbookBrief | None = Field(description="The runbook asked about, or the one the text triages to.")
    incidents: list[IncidentBrief] = Field(description="Newest first for a runbook; best match first for a text.")


class FollowUp(Answer):
    incident: str
    incident_uri: str
    id: str
    title: str
    type: str
    owner: str | None
    priority: str
    status: str
    opened: dt.date
    due: dt.date | None
    closed: dt.date | None
    deadline: dt.date = Field(description="Its due date, or its priority's SLA counted from when it was opened.")
    deadline_from: Literal["due", "sla"]
    overdue: bool


class FollowUpsAnswer(Answer):
    as_of: dt.date
    total: int = Field(description="How many items match; `items` holds the first `limit` of them.")
    items: list[FollowUp] = Field(description="Overdue first, then by deadline.")


class IncidentAnswer(Answer):
    uri: str
    page: str
    durations_minutes: dict[str, float | None] = Field(description="TTD, TTA, TTM and TTR, from the timestamps.")
    follow_ups: list[FollowUp]
    runbooks: list[RunbookUseBrief]
    incident: Incident = Field(description="The incident record as written (internal fields empty on a public server).")


# --- the weekly review, as `opsbook review --format json` writes it ----------------------------------------


class ReviewIncident(Answer):
    id: str
    title: str
    severity: str
    failure_classes: list[str]
    durations_minutes: dict[str, float | None]


class ReviewFollowUp(Answer):
    incident: str
    id: str
    title: str
    owner: str | None
    priority: str
    type: str
    status: str
    deadline: dt.date
    overdue: bool


class ReviewActionItems(Answer):
    opened: list[ReviewFollowUp]
    closed: list[ReviewFollowUp]
    overdue_by_owner: dict[str, list[ReviewFollowUp]]


class ReviewFeedback(Answer):
    incident: str
    runbook: str
    helped: str
    note: str | None


class ReviewStale(Answer):
    id: str
    reasons: list[str]


class ReviewDrill(Answer):
    id: str
    state: str
    last_drill: dt.date | None


class ReviewWorkflow(Answer):
    id: str
    p0: str | None
    golden_path: bool
    incidents: list[str]
    tests_or_evals: list[ReviewFollowUp]
    guarded: bool


class DurationSummary(Answer):
    median_minutes: float | None
    p90_minutes: float | None
    samples: int


class TrendSummary(Answer):
    count: int
    TTD: DurationSummary
    TTA: DurationSummary
    TTM: DurationSummary
    TTR: DurationSummary


class WeeklyReviewAnswer(Answer):
    week: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    quiet: bool
    incidents: list[ReviewIncident]
    excluded_from_metrics: list[str]
    by_class: dict[str, int]
    by_severity: dict[str, int]
    trend: dict[str, TrendSummary]
    action_items: ReviewActionItems
    runbook_feedback: list[ReviewFeedback]
    stale_runbooks: list[ReviewStale]
    fallback_drills_due: list[ReviewDrill]
    workflows_touched: list[ReviewWorkflow]
