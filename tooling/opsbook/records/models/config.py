"""`opsbook.yml`: where the knowledge base lives and the few policies a team sets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, JsonValue, PositiveInt, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from opsbook.records.diagnostics import CODES, did_you_mean
from opsbook.records.models.common import Priority, Record, ShortText


def _known_code(code: str) -> str:
    if code not in CODES:
        message = f"'{code}' is not a diagnostic code{did_you_mean(code, CODES)}"
        raise PydanticCustomError("unknown_code", message.replace("{", "{{").replace("}", "}}"))
    return code


def _off_when_false(value: Any) -> Any:
    """YAML 1.1 reads an unquoted `off` as false: both mean off."""
    return "off" if value is False else value


def _secrets_stay_on(levels: dict[str, str]) -> dict[str, str]:
    if levels.get("secret") == "off":
        problem = PydanticCustomError(
            "secret_off",
            "secret scanning cannot be turned off: mark each reviewed false positive with "
            "`# opsbook: ignore[secret]` on its line",
        )
        raise ValidationError.from_exception_data(
            "checks", [InitErrorDetails(type=problem, loc=("secret",), input="off")]
        )
    return levels


DiagnosticCode = Annotated[str, AfterValidator(_known_code)]
CODE_NAMES: list[JsonValue] = [code for code in sorted(CODES)]
CheckLevel = Annotated[Literal["error", "warning", "notice", "off"], BeforeValidator(_off_when_false)]


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
    checks: Annotated[dict[DiagnosticCode, CheckLevel], AfterValidator(_secrets_stay_on)] = Field(
        default_factory=dict,
        description="The level of a diagnostic code, by code: `error` (fails `check`), `warning` (fails "
        "`check --strict`), `notice` (reported, never fails) or `off` (not reported). Problems that keep a "
        "file from being read keep their level, and secret scanning cannot be turned off.",
        json_schema_extra={"propertyNames": {"enum": CODE_NAMES}},
    )
    paths: Paths = Field(default_factory=Paths)
    action_items: ActionItemPolicy = Field(default_factory=ActionItemPolicy)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    site: SiteSettings = Field(default_factory=SiteSettings)
