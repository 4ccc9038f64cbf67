"""Record models (pydantic v2). One declaration per record type; JSON Schema is exported from these."""

from opsbook.records.models.common import (
    ActionItemType,
    Executor,
    FailureClass,
    Priority,
    Reference,
    Step,
    Visibility,
)
from opsbook.records.models.config import Config
from opsbook.records.models.incident import (
    TIMESTAMP_ORDER,
    ActionItem,
    ActionStatus,
    Helped,
    Incident,
    IncidentStatus,
    Severity,
)
from opsbook.records.models.runbook import Runbook, RunbookStatus

__all__ = [
    "TIMESTAMP_ORDER",
    "ActionItem",
    "ActionItemType",
    "ActionStatus",
    "Config",
    "Executor",
    "FailureClass",
    "Helped",
    "Incident",
    "IncidentStatus",
    "Priority",
    "Reference",
    "Runbook",
    "RunbookStatus",
    "Severity",
    "Step",
    "Visibility",
]
