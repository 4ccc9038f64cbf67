"""What the knowledge index keeps of each record besides its full data: the fields cross-record checks,
follow-ups, statistics and listings query, with the positions their findings point to.

A summary is plain data (it travels from worker processes by pickle) and becomes rows of the index's
tables (`opsbook.index.store`). An invalid record still has a summary when its id can be read, so one
typo does not also break every link to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from opsbook.records.models import Incident, Runbook
    from opsbook.records.yaml_loader import Document

RecordKind = Literal["runbook", "incident"]
TargetKind = Literal["runbook", "incident", "workflow"]
TIMESTAMP_NAMES = ("started", "detected", "acknowledged", "mitigated", "resolved")


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
    )


def _ref(document: Document, field: str, location: tuple[str | int, ...], target: str, kind: TargetKind) -> Ref:
    line, col = document.locate(location, value=True)
    return Ref(field, target, kind, line, col)


def runbook_summary(document: Document, runbook: Runbook) -> RecordSummary:
    refs = [_ref(document, "related", ("related", i), target, "runbook") for i, target in enumerate(runbook.related)]
    if runbook.replaced_by:
        refs.append(_ref(document, "replaced_by", ("replaced_by",), runbook.replaced_by, "runbook"))
    refs += [_ref(document, "workflows", ("workflows", i), w, "workflow") for i, w in enumerate(runbook.workflows)]
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
        refs=tuple(refs),
        last_reviewed=runbook.last_reviewed,
        review_interval_days=runbook.review_interval_days,
        needs_drills=runbook.needs_drills,
        last_drill=last_drill.date if last_drill else None,
    )


def incident_summary(document: Document, incident: Incident) -> RecordSummary:
    refs = []
    for index, use in enumerate(incident.runbooks_used):
        line, col = document.locate(("runbooks_used", index, "runbook"), value=True)
        refs.append(Ref("runbooks_used", use.runbook, "runbook", line, col, use.helped.value, use.note))
    refs += [
        _ref(document, "related_incidents", ("related_incidents", i), target, "incident")
        for i, target in enumerate(incident.related_incidents)
    ]
    if incident.duplicate_of:
        refs.append(_ref(document, "duplicate_of", ("duplicate_of",), incident.duplicate_of, "incident"))
    refs += [_ref(document, "workflows", ("workflows", i), w, "workflow") for i, w in enumerate(incident.workflows)]
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
        refs=tuple(refs),
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
