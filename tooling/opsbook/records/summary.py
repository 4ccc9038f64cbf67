"""What the knowledge index keeps of each record besides its full data: the fields cross-record checks,
follow-ups, statistics and listings query, with the positions their findings point to.

A summary is plain data (it travels from worker processes by pickle) and becomes rows of the index's
tables (`opsbook.index.store`). An invalid record still has a summary when its id can be read, so one
typo does not also break every link to it, and its well-formed references are still checked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from opsbook.records.ids import INCIDENT_ID, SLUG

if TYPE_CHECKING:
    from opsbook.records.models import Incident, Runbook
    from opsbook.records.yaml_loader import Document

RecordKind = Literal["runbook", "incident"]
TargetKind = Literal["runbook", "incident", "workflow"]
TIMESTAMP_NAMES = ("started", "detected", "acknowledged", "mitigated", "resolved")
HELPED = ("yes", "partly", "no", "wrong-runbook")
_ID_PATTERNS: dict[TargetKind, re.Pattern[str]] = {
    "runbook": re.compile(SLUG),
    "workflow": re.compile(SLUG),
    "incident": re.compile(INCIDENT_ID),
}


@dataclass(frozen=True, slots=True)
class Ref:
    """One reference from a record to another record or to a catalog workflow."""

    field: str
    target: str
    target_kind: TargetKind
    line: int
    col: int
    detail: str | None = None
    """For `runbooks_used`: whether the runbook helped."""
    note: str | None = None
    """For `runbooks_used`: what the responders said of it."""


@dataclass(frozen=True, slots=True)
class ActionItemSummary:
    id: str
    title: str
    type: str
    owner: str | None
    priority: str
    status: str
    opened: dt.date
    """The day it was opened: its own `opened`, or the day the incident was detected."""
    due: dt.date | None
    closed: dt.date | None
    reason: str | None
    link: str | None
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class RecordSummary:
    kind: RecordKind
    id: str
    valid: bool
    line: int
    col: int
    """Where the id is written."""
    title: str
    status: str
    visibility: str
    classes: tuple[str, ...]
    owner: str | None = None
    summary: str | None = None
    refs: tuple[Ref, ...] = ()
    # runbooks
    last_reviewed: dt.date | None = None
    reviewed_at: tuple[int, int] | None = None
    """Where `last_reviewed`'s value is written (line, col)."""
    review_interval_days: int | None = None
    needs_drills: bool = False
    last_drill: dt.date | None = None
    # incidents
    severity: str | None = None
    in_metrics: bool = True
    example: bool = False
    started: str | None = None
    resolved: str | None = None
    """Start and resolution as written (ISO 8601, with their offsets)."""
    times: tuple[float | None, ...] = ()
    """Each of `TIMESTAMP_NAMES` in seconds since the epoch, None where absent."""
    public_summary: str | None = None
    resolution: str | None = None
    """What ended the incident (shown where triage lists it as seen before)."""
    action_items: tuple[ActionItemSummary, ...] = ()


def partial_summary(document: Document, kind: RecordKind) -> RecordSummary | None:
    """What an invalid record still tells, or None when not even its id can be read."""
    data = document.data
    record_id = data.get("id")
    if not isinstance(record_id, str):
        return None
    classes = data.get("failure_classes") if kind == "incident" else [data.get("failure_class")]
    line, col = document.locate(("id",), value=True)
    return RecordSummary(
        kind=kind,
        id=record_id,
        valid=False,
        line=line,
        col=col,
        title=str(data.get("title", record_id)),
        status=str(data.get("status", "")),
        visibility=str(data.get("visibility", "")),
        classes=tuple(c for c in classes if isinstance(c, str)) if isinstance(classes, list) else (),
        refs=record_refs(document, kind),
    )


REF_FIELDS: dict[RecordKind, tuple[tuple[str, TargetKind], ...]] = {
    "runbook": (("related", "runbook"), ("replaced_by", "runbook"), ("workflows", "workflow")),
    "incident": (
        ("runbooks_used", "runbook"),
        ("related_incidents", "incident"),
        ("duplicate_of", "incident"),
        ("workflows", "workflow"),
    ),
}


def record_refs(document: Document, kind: RecordKind) -> tuple[Ref, ...]:
    """Every well-formed reference a record makes, read from the data as written (so an invalid record's
    references are checked too), in field order."""
    data = document.data
    refs = []
    for field, target_kind in REF_FIELDS[kind]:
        value = data.get(field)
        entries: list[tuple[tuple[str | int, ...], Any]] = (
            [((field, i), entry) for i, entry in enumerate(value)] if isinstance(value, list) else [((field,), value)]
        )
        for location, entry in entries:
            detail = note = None
            if field == "runbooks_used":
                if not isinstance(entry, dict):
                    continue
                helped, written = entry.get("helped"), entry.get("note")
                detail = helped if helped in HELPED else None
                note = written.strip() or None if isinstance(written, str) else None
                location, entry = (*location, "runbook"), entry.get("runbook")
            if isinstance(entry, str) and _ID_PATTERNS[target_kind].fullmatch(entry):
                line, col = document.locate(location, value=True)
                refs.append(Ref(field, entry, target_kind, line, col, detail, note))
    return tuple(refs)


def runbook_summary(document: Document, runbook: Runbook) -> RecordSummary:
    line, col = document.locate(("id",), value=True)
    last_drill = runbook.last_drill
    return RecordSummary(
        kind="runbook",
        id=runbook.id,
        valid=True,
        line=line,
        col=col,
        title=runbook.title,
        status=runbook.status.value,
        visibility=runbook.visibility.value,
        classes=(runbook.failure_class.value,),
        owner=runbook.owner,
        summary=runbook.summary,
        refs=record_refs(document, "runbook"),
        last_reviewed=runbook.last_reviewed,
        reviewed_at=document.locate(("last_reviewed",), value=True),
        review_interval_days=runbook.review_interval_days,
        needs_drills=runbook.needs_drills,
        last_drill=last_drill.date if last_drill else None,
    )


def incident_summary(document: Document, incident: Incident) -> RecordSummary:
    stamps = incident.timestamps
    items = []
    for index, item in enumerate(incident.action_items):
        line, col = document.locate(("action_items", index))
        items.append(
            ActionItemSummary(
                id=item.id,
                title=item.title,
                type=item.type.value,
                owner=item.owner,
                priority=item.priority.value,
                status=item.status.value,
                opened=incident.opened_on(item),
                due=item.due,
                closed=item.closed,
                reason=item.reason,
                link=item.link,
                line=line,
                col=col,
            )
        )
    line, col = document.locate(("id",), value=True)
    return RecordSummary(
        kind="incident",
        id=incident.id,
        valid=True,
        line=line,
        col=col,
        title=incident.title,
        status=incident.status.value,
        visibility=incident.visibility.value,
        classes=tuple(str(c) for c in incident.failure_classes),
        summary=incident.summary,
        refs=record_refs(document, "incident"),
        severity=incident.severity.value,
        in_metrics=incident.in_metrics,
        example=incident.example,
        started=stamps.started.isoformat(),
        resolved=stamps.resolved.isoformat() if stamps.resolved else None,
        times=tuple(
            value.timestamp() if (value := getattr(stamps, name)) is not None else None for name in TIMESTAMP_NAMES
        ),
        public_summary=incident.public_summary,
        resolution=incident.resolution,
        action_items=tuple(items),
    )
