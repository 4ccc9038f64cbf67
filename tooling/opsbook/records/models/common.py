"""Enumerations and building blocks shared by every record type, each defined once."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from opsbook.records.ids import INCIDENT_ID, INCIDENT_ID_MAX_LENGTH, SLUG, SLUG_MAX_LENGTH

INTERNAL: JsonDict = {"x-visibility": "internal"}
"""Marks a field that a public build strips (see `opsbook.features.public`)."""


class FailureClass(StrEnum):
    AUTH_DRIFT = "auth-drift"
    SESSION_LIFECYCLE = "session-lifecycle"
    FALLBACK = "fallback"
    STALE_DEPLOY = "stale-deploy"
    TOOL_POLICY = "tool-policy"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Executor(StrEnum):
    HUMAN = "human"
    AGENT = "agent"
    EITHER = "either"


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class ActionItemType(StrEnum):
    PREVENT = "prevent"
    DETECT = "detect"
    MITIGATE = "mitigate"
    PROCESS = "process"
    RUNBOOK_UPDATE = "runbook-update"
    ADD_REGRESSION_EVAL = "add-regression-eval"
    ADD_P0_TEST = "add-p0-test"


class Record(BaseModel):
    """Base of every record and sub-record: unknown keys are errors, values are not coerced oddly."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, defer_build=True)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TITLE_LIMIT = 60
"""Longer titles are cut in search results and browser tabs: a record needs a `short_title` past this."""
PageTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_LIMIT)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    Field(description="A team, role or person, e.g. `web-platform` or `payments-lead`."),
]

RunbookId = Annotated[
    str,
    StringConstraints(pattern=f"^{SLUG}$", max_length=SLUG_MAX_LENGTH),
    Field(description="Lower-case words joined by hyphens; equals the file name without `.yaml`."),
]
IncidentId = Annotated[
    str,
    StringConstraints(pattern=f"^{INCIDENT_ID}$", max_length=INCIDENT_ID_MAX_LENGTH),
    Field(description="`YYYY-MM-DD-slug`, the start date and a short slug; equals the file name."),
]
Slug = Annotated[str, StringConstraints(pattern=f"^{SLUG}$", max_length=SLUG_MAX_LENGTH)]


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
        raise ValueError("must be an http:// or https:// address")
    return value


Url = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_http_url)]


class Reference(Record):
    title: ShortText = Field(description="What the link is, e.g. `Stripe: verify webhook signatures`.")
    url: Url


class Step(Record):
    """One ordered step of diagnosis, mitigation or verification."""

    action: Text = Field(
        description="What to do, as an instruction that starts with its verb; a condition goes after it."
    )
    command: Text | None = Field(
        None, description="The exact command to run, if there is one. Placeholders look like `<PID>`."
    )
    expected: Text | None = Field(None, description="What you should see when things are as assumed.")
    on_unexpected: Text | None = Field(None, description="What to do when you see something else.")
    rollback: Text | None = Field(None, description="How to undo this step if it changes something.")
    sensitive: bool = Field(
        False,
        description="The step deploys, rotates, purges, deletes, widens permissions, cancels work or "
        "touches money or customer data. A sensitive step must name `requires_approval`.",
    )
    requires_approval: Name | None = Field(
        None, description="Who approves this step before it runs (a role or person)."
    )
    executor: Executor = Field(Executor.EITHER, description="Who may carry the step out.")

    @property
    def needs_approval(self) -> bool:
        return self.sensitive or self.requires_approval is not None
