"""The environment manifest (`catalog/environment.yaml`): every variable the system needs, per environment."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from opsbook.records.models.common import Name, Record, RunbookId, ShortText, Slug, Text

VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=120)]


class EnvironmentDef(Record):
    id: Slug = Field(description="e.g. `local`, `preview`, `production`.")
    description: Text
    project: ShortText | None = Field(
        None, description="The project or account deploys to this environment must target."
    )


class ValueFormat(Record):
    environments: list[Slug] = Field(min_length=1)
    pattern: ShortText = Field(description="A regular expression the value must match there, e.g. `^sk_live_`.")
    description: ShortText = Field(description="The rule in words, e.g. `live Stripe key`.")


class Variable(Record):
    name: VariableName
    description: Text
    required_in: list[Slug] = Field(description="Environments where it must be set.")
    optional_in: list[Slug] = Field(default_factory=list, description="Environments where it may be set.")
    server_only: bool = Field(description="Must never reach browser or mobile bundles.")
    account: ShortText | None = Field(None, description="Which provider project or account the value belongs to.")
    must_differ: bool = Field(False, description="Values must differ between environments (test vs live).")
    formats: list[ValueFormat] = Field(default_factory=list)
    owner: Name
    runbook: RunbookId | None = Field(None, description="The runbook to follow when it is wrong.")


class ProjectLink(Record):
    file: ShortText = Field(description="File holding the linked project, e.g. `.vercel/project.json`.")
    key: ShortText = Field("projectId", description="The JSON key inside that file.")
    expected: ShortText = Field(description="The project id production deploys must come from.")


class EnvManifest(Record):
    environments: list[EnvironmentDef] = Field(min_length=1)
    client_prefixes: list[ShortText] = Field(
        default_factory=lambda: ["NEXT_PUBLIC_", "VITE_", "PUBLIC_", "EXPO_PUBLIC_", "REACT_APP_"],
        description="Name prefixes that frameworks inline into client bundles.",
    )
    client_paths: list[ShortText] = Field(
        default_factory=lambda: ["components/**", "src/components/**", "app/**/*.client.*", "public/**"],
        description="Glob patterns of source files that run in the browser.",
    )
    ignore: list[ShortText] = Field(
        default_factory=lambda: ["VERCEL_*", "NEXT_RUNTIME", "NX_*", "TURBO_*", "NETLIFY*", "GITHUB_*"],
        description="Name patterns set by the platform, never reported as unknown or undeclared.",
    )
    project_link: ProjectLink | None = None
    variables: list[Variable] = Field(min_length=1)
