"""What a public build may show: internal records dropped, internal fields emptied.

Fields are marked internal once, in the models (`json_schema_extra=INTERNAL`); this module walks the
models generically, so a new internal field is stripped without touching this code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

from opsbook.records.models import Incident, Runbook, Severity, Visibility
from opsbook.records.models.common import INTERNAL

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class RedactedIncident:
    """An internal incident in a public build: only what its `public_summary` allows."""

    started: dt.date
    severity: Severity
    failure_classes: tuple[str, ...]
    public_summary: str


@cache
def internal_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, field in model.model_fields.items() if field.json_schema_extra == INTERNAL)


def strip_internal(record: Model) -> Model:
    """A copy of `record` with every internal field (at any depth) reset to its default."""
    update: dict[str, Any] = {}
    model = type(record)
    for name, field in model.model_fields.items():
        value = getattr(record, name)
        if name in internal_fields(model):
            update[name] = field.get_default(call_default_factory=True)
        elif isinstance(value, BaseModel):
            update[name] = strip_internal(value)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            update[name] = [strip_internal(item) for item in value]
    return record.model_copy(update=update)


def public_runbooks(runbooks: list[Runbook]) -> list[Runbook]:
    visible = [r for r in runbooks if r.visibility is Visibility.PUBLIC]
    ids = {r.id for r in visible}
    return [public_runbook(r, ids) for r in visible]


def public_runbook(runbook: Runbook, runbook_ids: set[str]) -> Runbook:
    """A public runbook as published: internal fields emptied, links only to the public `runbook_ids`."""
    return strip_internal(runbook).model_copy(
        update={
            "related": [x for x in runbook.related if x in runbook_ids],
            "replaced_by": runbook.replaced_by if runbook.replaced_by in runbook_ids else None,
        }
    )


def public_incident(incident: Incident, runbook_ids: set[str], incident_ids: set[str]) -> Incident:
    """A public incident as published: internal fields emptied, links only to public records."""
    return strip_internal(incident).model_copy(
        update={
            "runbooks_used": [u for u in incident.runbooks_used if u.runbook in runbook_ids],
            "related_incidents": [x for x in incident.related_incidents if x in incident_ids],
            "duplicate_of": incident.duplicate_of if incident.duplicate_of in incident_ids else None,
        }
    )
