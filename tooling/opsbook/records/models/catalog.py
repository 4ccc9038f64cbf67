"""Catalog records in `catalog/`: golden-path workflows, and tools and channels as separate facts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from opsbook.records.models.common import FailureClass, Name, Record, ShortText, Slug, Text


class WorkflowEvents(Record):
    success: ShortText = Field(description="Event emitted when the workflow completes.")
    failure: ShortText = Field(description="Event emitted when it fails, with the reason.")
    delivery: ShortText | None = Field(
        None, description="Event emitted when the output reaches the user (message posted, webhook acked)."
    )


class Workflow(Record):
    id: Slug
    title: ShortText
    description: Text
    owner: Name
    golden_path: bool = Field(False, description="Part of the one supported path that must stay healthy.")
    p0: Literal["revenue", "trust"] | None = Field(
        None, description="Whether this is a revenue or trust path whose tests run first."
    )
    events: WorkflowEvents
    how_to_observe: Text = Field(description="Where the events can be seen (dashboard, query, log search).")
    p0_tests: list[ShortText] = Field(default_factory=list, description="Tests that guard this workflow.")
    evals: list[ShortText] = Field(default_factory=list, description="Agent evals that guard this workflow.")


class WorkflowCatalog(Record):
    workflows: list[Workflow] = Field(min_length=1)


class Channel(Record):
    """What a channel can carry, independent of any tool."""

    id: Slug
    title: ShortText
    streaming: bool
    buttons: bool = Field(description="Interactive buttons or approvals inside the channel.")
    file_upload: bool
    threads: bool
    max_message_chars: PositiveInt | None = None
    notes: Text | None = None


class ToolGrant(Record):
    """Whether a tool may run in one environment or channel, and who must approve it there."""

    where: Slug = Field(description="An environment (`local`, `ci`, `production`) or a channel id.")
    available: bool
    approval: Name | None = Field(None, description="Who approves each use here; empty when none is needed.")
    policy: Text = Field(description="The rule that grants or denies it (settings file, scope, policy).")


class Tool(Record):
    id: Slug
    title: ShortText
    description: Text
    grants: list[ToolGrant] = Field(min_length=1)


class ToolCatalog(Record):
    channels: list[Channel] = Field(default_factory=list)
    tools: list[Tool] = Field(default_factory=list)


class ClassGuide(Record):
    """How a failure class is explained on its page."""

    id: FailureClass
    title: ShortText = Field(description="Human title, e.g. `Auth & environment drift`.")
    tagline: ShortText = Field(description="One line for the home page.")
    description: Text = Field(description="What the class is and how it shows up.")
    boundary: Text = Field(description="What looks like this class but is not, and where it goes instead.")
    practices: list[Text] = Field(min_length=1, description="How to operate around it, as rules.")


class ClassCatalog(Record):
    classes: list[ClassGuide] = Field(min_length=1)
