"""The runbook record: one failure, symptom first, with ordered steps an on-call person can follow."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from opsbook.records.models.common import (
    INTERNAL,
    FailureClass,
    Name,
    PageTitle,
    Record,
    Reference,
    RunbookId,
    ShortText,
    Slug,
    Step,
    Text,
    Visibility,
)


class RunbookStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    DEPRECATED = "deprecated"


class DrillResult(StrEnum):
    PASS = "pass"
    PARTIAL = "partial"
    FAIL = "fail"


class FollowUpKind(StrEnum):
    TEST = "test"
    EVAL = "eval"
    ALERT = "alert"
    CHECKLIST = "checklist"
    DASHBOARD = "dashboard"
    DOC = "doc"
    PROCESS = "process"


class Applicability(Record):
    environments: list[ShortText] = Field(
        default_factory=list, description="Where it applies, e.g. `production`, `preview`, `local`."
    )
    providers: list[ShortText] = Field(
        default_factory=list, description="Vendors and services involved, e.g. `stripe`, `vercel`."
    )
    runtimes: list[ShortText] = Field(
        default_factory=list, description="Frameworks, SDKs or agent runtimes, e.g. `nextjs`, `litellm`."
    )
    not_for: Text | None = Field(None, description="Look-alike situations this runbook does not cover.")


class Drill(Record):
    date: dt.date = Field(description="When the path was exercised on purpose.")
    result: DrillResult
    environment: ShortText = Field(description="Where it was exercised, e.g. `staging`.")
    notes: Text | None = None


class FollowUp(Record):
    kind: FollowUpKind
    text: Text = Field(description="The prevention to file after using the runbook.")


class Runbook(Record):
    """A runbook lives in `runbooks/<failure_class>/<id>.yaml`."""

    id: RunbookId
    title: ShortText = Field(description="States the symptom, e.g. `Stripe webhook 400 after deploy`.")
    short_title: PageTitle | None = Field(
        None,
        description="At most 60 characters, for search results, browser tabs and the sidebar when `title` is "
        "longer; the page heading keeps `title`.",
    )
    failure_class: FailureClass
    status: RunbookStatus
    replaced_by: RunbookId | None = Field(None, description="The runbook that replaces a deprecated one.")
    owner: Name = Field(description="The team or person who keeps this runbook true.")
    escalation: Text | None = Field(
        None, description="Who to page when the runbook does not work.", json_schema_extra=INTERNAL
    )
    summary: Text = Field(
        description="One paragraph: what this is and when to use it. Its first sentence becomes the page's description."
    )
    symptoms: list[Text] = Field(min_length=1, description="What a person sees, in their own words.")
    signatures: list[ShortText] = Field(
        min_length=1,
        description="Exact error strings, HTTP codes or log lines that identify the failure. Matched "
        "case-insensitively as substrings; write `/.../` for a regular expression.",
    )
    applicability: Applicability = Field(default_factory=Applicability)
    prerequisites: list[Text] = Field(default_factory=list, description="Access and tools needed first.")
    diagnosis: list[Step] = Field(min_length=1)
    mitigation: list[Step] = Field(min_length=1)
    verification: list[Step] = Field(
        min_length=1, description="How to prove it is fixed, cache-aware and per environment."
    )
    follow_up: list[FollowUp] = Field(default_factory=list)
    related: list[RunbookId] = Field(default_factory=list, description="Ids of related runbooks.")
    references: list[Reference] = Field(default_factory=list, description="Public vendor documentation.")
    internal_links: list[Reference] = Field(
        default_factory=list, description="Dashboards, tickets, chat channels.", json_schema_extra=INTERNAL
    )
    keywords: list[ShortText] = Field(default_factory=list, description="Extra search terms.")
    last_reviewed: dt.date
    review_interval_days: int = Field(90, ge=1, le=730)
    drill_required: bool | None = Field(
        None,
        description="Whether this runbook covers a fallback path that must be drilled. Defaults to "
        "true for the fallback class.",
    )
    drills: list[Drill] = Field(default_factory=list, description="Times the path was exercised.")
    workflows: list[Slug] = Field(
        default_factory=list, description="Ids of golden-path workflows (catalog) this runbook protects."
    )
    visibility: Visibility = Visibility.PUBLIC

    @property
    def needs_drills(self) -> bool:
        if self.drill_required is not None:
            return self.drill_required
        return self.failure_class is FailureClass.FALLBACK

    @property
    def last_drill(self) -> Drill | None:
        return max(self.drills, key=lambda drill: drill.date, default=None)

    @property
    def steps(self) -> list[tuple[str, int, Step]]:
        return [
            (section, index, step)
            for section in ("diagnosis", "mitigation", "verification")
            for index, step in enumerate(getattr(self, section))
        ]
