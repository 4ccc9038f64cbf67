"""The incident record: a blameless postmortem with the agent context AI-agent failures need."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt, StringConstraints

from opsbook.records.models.common import (
    INTERNAL,
    ActionItemType,
    FailureClass,
    IncidentId,
    Name,
    PageTitle,
    Priority,
    Record,
    Reference,
    RunbookId,
    ShortText,
    Slug,
    Text,
    Url,
    Visibility,
)


class IncidentStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"
    CLOSED = "closed"


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"
    SEV5 = "SEV5"


class ActorKind(StrEnum):
    PERSON = "person"
    AGENT = "agent"
    SYSTEM = "system"


class DetectionMethod(StrEnum):
    ALERT = "alert"
    CUSTOMER_REPORT = "customer-report"
    AGENT_SELF_REPORT = "agent-self-report"
    EMPLOYEE = "employee"
    SYNTHETIC_CHECK = "synthetic-check"
    REVIEW = "review"
    OTHER = "other"


class SessionState(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"
    COMPACTED = "compacted"
    EXPIRED = "expired"
    LOST = "lost"
    CONTESTED = "contested"


class SessionDecision(StrEnum):
    RESUMED = "resumed"
    RESPAWNED = "respawned"
    FORKED = "forked"
    NONE = "none"


class ApprovalState(StrEnum):
    NOT_REQUIRED = "not-required"
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    TIMED_OUT = "timed-out"


class Helped(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    WRONG_RUNBOOK = "wrong-runbook"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_DOING = "not_doing"


TIMESTAMP_ORDER = ("started", "detected", "acknowledged", "mitigated", "resolved")


class Timestamps(Record):
    started: AwareDatetime = Field(description="When the failure began (best estimate).")
    detected: AwareDatetime | None = Field(None, description="When anyone or anything noticed.")
    acknowledged: AwareDatetime | None = Field(None, description="When a responder took ownership.")
    mitigated: AwareDatetime | None = Field(None, description="When users stopped being affected.")
    resolved: AwareDatetime | None = Field(None, description="When the underlying cause was fixed.")


class Impact(Record):
    summary: Text = Field(description="Who and what was affected, in numbers where possible.")
    users_affected: NonNegativeInt | None = None
    requests_failed: NonNegativeInt | None = None
    revenue_usd: NonNegativeFloat | None = Field(None, description="Revenue lost or at risk, in USD.")
    slo_breached: bool | None = None


class Detection(Record):
    method: DetectionMethod
    description: Text
    should_have_been: Text | None = Field(None, description="How it should have been detected.")


WalkId = Annotated[
    str,
    StringConstraints(pattern=r"^\d{8}-\d{6}-[0-9a-f]{4}$"),
    Field(description="A walk's id: its UTC start time and four hex digits, e.g. `20261125-101503-a3f2`."),
]


class TimelineEntry(Record):
    at: AwareDatetime
    event: Text
    actor: Name
    actor_kind: ActorKind
    link: Url | None = None
    walk: WalkId | None = Field(
        None,
        description="Set by `opsbook walk`: the walk that recorded this event. Its audit log holds the "
        "commands, exit codes, approvers and output.",
    )


class SessionContext(Record):
    session_id: ShortText
    runtime: ShortText | None = Field(None, description="e.g. `claude-code`, `openai-responses`, `langgraph`.")
    owner: Name | None = Field(None, description="Who owned the session or thread.")
    state_seen: SessionState
    decision: SessionDecision = Field(description="Whether the session was resumed, respawned or forked.")
    notes: Text | None = None


class ModelChain(Record):
    primary: ShortText = Field(description="Provider and model, e.g. `openai/gpt-4.1`.")
    fallbacks: list[ShortText] = Field(default_factory=list, description="Configured fallbacks, in order.")
    fired: ShortText | None = Field(None, description="The fallback that actually answered, if any.")
    reason: Text | None = Field(None, description="Why the primary did not answer.")
    output_shape_differences: list[Text] = Field(default_factory=list)


class ToolPolicySnapshot(Record):
    tool: ShortText
    channel: ShortText | None = None
    policy: Text = Field(description="The policy or permission mode in effect.")
    approval: ApprovalState
    notes: Text | None = None


class EnvironmentFingerprint(Record):
    environment: ShortText
    project: ShortText | None = Field(None, description="Project, account or context the deploy used.")
    expected_project: ShortText | None = None
    missing: list[ShortText] = Field(default_factory=list, description="Variable names expected but absent.")
    unexpected: list[ShortText] = Field(default_factory=list, description="Names present but not expected.")
    notes: Text | None = None


class AgentContext(Record):
    sessions: list[SessionContext] = Field(default_factory=list)
    model_chain: ModelChain | None = None
    tool_policy: list[ToolPolicySnapshot] = Field(default_factory=list)
    environment: EnvironmentFingerprint | None = Field(None, json_schema_extra=INTERNAL)


class RunbookUse(Record):
    runbook: RunbookId
    helped: Helped
    note: Text | None = None


class ActionItem(Record):
    id: Slug = Field(description="Unique within the incident, e.g. `add-webhook-p0-test`.")
    title: ShortText
    type: ActionItemType
    owner: Name | None = None
    priority: Priority
    opened: dt.date | None = Field(None, description="Defaults to the day the incident was detected.")
    due: dt.date | None = None
    status: ActionStatus = ActionStatus.OPEN
    closed: dt.date | None = Field(None, description="When it was done or dropped.")
    reason: Text | None = Field(None, description="Why it is `not_doing`.")
    link: Url | None = None


class Incident(Record):
    """An incident lives in `incidents/<YYYY>/<id>.yaml`."""

    id: IncidentId
    title: ShortText
    short_title: PageTitle | None = Field(
        None,
        description="At most 60 characters, for search results, browser tabs and the sidebar when `title` is "
        "longer; the page heading keeps `title`.",
    )
    example: bool = Field(False, description="A worked example that ships with opsbook, not a real event.")
    status: IncidentStatus
    severity: Severity
    severity_rationale: Text
    failure_classes: list[FailureClass | Literal["other"]] = Field(min_length=1)
    other_class_note: Text | None = Field(None, description="What `other` means here.")
    duplicate_of: IncidentId | None = None
    excluded_from_metrics: bool = False
    exclusion_reason: Text | None = None
    timestamps: Timestamps
    summary: Text
    impact: Impact
    trigger: Text | None = None
    contributing_factors: list[Text] = Field(default_factory=list)
    root_cause: Text | None = None
    resolution: Text | None = Field(
        None,
        description="What ended it: the fix or mitigation that worked, in a sentence or two. Triage shows it when "
        "this incident is listed as seen before.",
    )
    detection: Detection
    timeline: list[TimelineEntry] = Field(min_length=1)
    agent_context: AgentContext | None = None
    went_well: list[Text] = Field(default_factory=list)
    went_wrong: list[Text] = Field(default_factory=list)
    got_lucky: list[Text] = Field(default_factory=list)
    runbooks_used: list[RunbookUse] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    workflows: list[Slug] = Field(
        default_factory=list, description="Ids of golden-path workflows (catalog) the incident broke."
    )
    related_incidents: list[IncidentId] = Field(default_factory=list)
    incident_commander: Name | None = Field(None, json_schema_extra=INTERNAL)
    internal_links: list[Reference] = Field(default_factory=list, json_schema_extra=INTERNAL)
    last_updated: dt.date | None = Field(None, description="When the write-up last changed.")
    visibility: Visibility = Visibility.INTERNAL
    public_summary: Text | None = Field(None, description="The redacted summary an internal incident may publish.")

    @property
    def in_metrics(self) -> bool:
        return not self.excluded_from_metrics and self.duplicate_of is None

    def opened_on(self, item: ActionItem) -> dt.date:
        """The day an action item was opened: its own `opened`, or the day the incident was detected."""
        return item.opened or (self.timestamps.detected or self.timestamps.started).date()

    @property
    def updated_on(self) -> dt.date:
        if self.last_updated:
            return self.last_updated
        latest = self.timestamps.resolved or self.timestamps.mitigated or self.timestamps.started
        return latest.date()
