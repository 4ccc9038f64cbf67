"""`opsbook.yml`: where the knowledge base lives and the few policies a team sets."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from opsbook.records.models.common import Priority, Record, ShortText


class Paths(Record):
    runbooks: ShortText = "runbooks"
    incidents: ShortText = "incidents"
    catalog: ShortText = Field("catalog", description="Workflows, tools, channels, environment manifest.")
    docs: ShortText = "docs"
    reviews: ShortText = Field("docs/reviews", description="Where `opsbook review` writes.")


class ActionItemPolicy(Record):
    sla_days: dict[Priority, PositiveInt] = Field(
        default_factory=lambda: {Priority.P0: 7, Priority.P1: 30, Priority.P2: 90, Priority.P3: 180},
        description="Days after opening that an item without a due date becomes overdue.",
    )
    strict_gate: list[Priority] = Field(
        default_factory=lambda: [Priority.P0],
        description="Priorities whose overdue items make `opsbook check --strict` fail.",
    )


class LimitsConfig(Record):
    max_file_bytes: PositiveInt = Field(1 << 20, description="Larger record files are refused.")


class SiteSettings(Record):
    sidebar_runbook_limit: PositiveInt = Field(
        150,
        description="Up to this many runbooks are listed in the sidebar; beyond it the sidebar lists the "
        "failure-class pages only, which list their runbooks. Every sidebar entry is rendered on every "
        "page, so a long sidebar makes the site build grow with pages times runbooks.",
    )


class Config(Record):
    name: ShortText = "opsbook"
    paths: Paths = Field(default_factory=Paths)
    action_items: ActionItemPolicy = Field(default_factory=ActionItemPolicy)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    site: SiteSettings = Field(default_factory=SiteSettings)
