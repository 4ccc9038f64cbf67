"""The small, cacheable projection of a record that cross-record checks and freshness need.

A warm `opsbook check` reads these from the cache instead of re-parsing YAML, so everything the graph,
freshness and follow-up rules look at must be here, with the positions their diagnostics point to.
They are named tuples because ten thousand of them are unpickled on every warm run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from opsbook.records.yaml_loader import Document
    from opsbook.records.models import Incident, Runbook

RecordKind = Literal["runbook", "incident"]
TargetKind = Literal["runbook", "incident", "workflow"]


class Ref(NamedTuple):
    field: str
    target: str
    target_kind: TargetKind
    line: int
    col: int


class ActionFacts(NamedTuple):
    id: str
    title: str
    owner: str | None
    priority: str
    status: str
    opened: dt.date
    due: dt.date | None
    closed: dt.date | None
    type: str
    line: int
    col: int


class RecordFacts(NamedTuple):
    kind: RecordKind
    id: str
    path: str
    line: int
    col: int
    title: str
    failure_classes: tuple[str, ...]
    status: str
    visibility: str
    refs: tuple[Ref, ...]
    # runbooks
    last_reviewed: dt.date | None = None
    review_interval_days: int | None = None
    needs_drills: bool = False
    last_drill: dt.date | None = None
    # incidents
    started: dt.datetime | None = None
    severity: str | None = None
    in_metrics: bool = True
    action_items: tuple[ActionFacts, ...] = ()
    valid: bool = True


def partial_facts(document: Document, kind: RecordKind) -> RecordFacts | None:
    """What an invalid record still tells: its id, so one typo does not also break every link to it."""
    data = document.data
    record_id = data.get("id")
    if not isinstance(record_id, str):
        return None
    classes = data.get("failure_classes") if kind == "incident" else [data.get("failure_class")]
    line, col = document.locate(("id",), value=True)
    return RecordFacts(
        kind=kind,
        id=record_id,
        path=document.path,
        line=line,
        col=col,
        title=str(data.get("title", record_id)),
        failure_classes=tuple(c for c in classes if isinstance(c, str)) if isinstance(classes, list) else (),
        status=str(data.get("status", "")),
        visibility=str(data.get("visibility", "")),
        refs=(),
        valid=False,
    )


def _refs(document: Document, specs: list[tuple[str, tuple[str | int, ...], str, TargetKind]]) -> tuple[Ref, ...]:
    refs = []
    for field, location, target, target_kind in specs:
        line, col = document.locate(location, value=True)
        refs.append(Ref(field, target, target_kind, line, col))
    return tuple(refs)


def runbook_facts(document: Document, runbook: Runbook) -> RecordFacts:
    specs: list[tuple[str, tuple[str | int, ...], str, TargetKind]] = [
        ("related", ("related", i), target, "runbook") for i, target in enumerate(runbook.related)
    ]
    if runbook.replaced_by:
        specs.append(("replaced_by", ("replaced_by",), runbook.replaced_by, "runbook"))
    specs += [("workflows", ("workflows", i), w, "workflow") for i, w in enumerate(runbook.workflows)]
    line, col = document.locate(("id",), value=True)
    last_drill = runbook.last_drill
    return RecordFacts(
        kind="runbook",
        id=runbook.id,
        path=document.path,
        line=line,
        col=col,
        title=runbook.title,
        failure_classes=(runbook.failure_class.value,),
        status=runbook.status.value,
        visibility=runbook.visibility.value,
        refs=_refs(document, specs),
        last_reviewed=runbook.last_reviewed,
        review_interval_days=runbook.review_interval_days,
        needs_drills=runbook.needs_drills,
        last_drill=last_drill.date if last_drill else None,
    )


def incident_facts(document: Document, incident: Incident) -> RecordFacts:
    specs: list[tuple[str, tuple[str | int, ...], str, TargetKind]] = [
        ("runbooks_used", ("runbooks_used", i, "runbook"), use.runbook, "runbook")
        for i, use in enumerate(incident.runbooks_used)
    ]
    specs += [
        ("related_incidents", ("related_incidents", i), target, "incident")
        for i, target in enumerate(incident.related_incidents)
    ]
    if incident.duplicate_of:
        specs.append(("duplicate_of", ("duplicate_of",), incident.duplicate_of, "incident"))
    specs += [("workflows", ("workflows", i), w, "workflow") for i, w in enumerate(incident.workflows)]
    detected = incident.timestamps.detected or incident.timestamps.started
    actions = []
    for index, item in enumerate(incident.action_items):
        line, col = document.locate(("action_items", index))
        actions.append(
            ActionFacts(
                id=item.id,
                title=item.title,
                owner=item.owner,
                priority=item.priority.value,
                status=item.status.value,
                opened=item.opened or detected.date(),
                due=item.due,
                closed=item.closed,
                type=item.type.value,
                line=line,
                col=col,
            )
        )
    line, col = document.locate(("id",), value=True)
    return RecordFacts(
        kind="incident",
        id=incident.id,
        path=document.path,
        line=line,
        col=col,
        title=incident.title,
        failure_classes=tuple(str(c) for c in incident.failure_classes),
        status=incident.status.value,
        visibility=incident.visibility.value,
        refs=_refs(document, specs),
        started=incident.timestamps.started,
        severity=incident.severity.value,
        in_metrics=incident.in_metrics,
        action_items=tuple(actions),
    )


Row = tuple[Any, ...]


def to_row(facts: RecordFacts) -> Row:
    """Plain nested tuples (dates as ordinals): unpickling these is several times faster than named tuples."""
    actions = tuple(
        (*item[:5], _day(item.opened), _day(item.due), _day(item.closed), *item[8:]) for item in facts.action_items
    )
    return (
        *facts[:9],
        tuple(tuple(ref) for ref in facts.refs),
        _day(facts.last_reviewed),
        facts.review_interval_days,
        facts.needs_drills,
        _day(facts.last_drill),
        facts.started.isoformat() if facts.started else None,
        facts.severity,
        facts.in_metrics,
        actions,
        facts.valid,
    )


def anchors(facts: RecordFacts) -> tuple[tuple[int, int], ...]:
    """Every position a cross-record finding about this record can point to: the id, each reference and
    each action item, in that order."""
    refs = ((ref.line, ref.col) for ref in facts.refs)
    items = ((item.line, item.col) for item in facts.action_items)
    return ((facts.line, facts.col), *refs, *items)


def without_positions(row: Row) -> Row:
    """Everything cross-record checks can read of a record except where it sits in its file: an edit that
    leaves this unchanged changes no other record's findings, and moves only this record's."""
    refs = tuple(ref[:3] for ref in row[9])
    items = tuple(item[:9] for item in row[17])
    return (*row[:3], *row[5:9], refs, *row[10:17], items, row[18])


def link_row(row: Row) -> Row:
    """The part of a row the link index reads, at the same positions (see `opsbook.checks.cross_record`): the title and
    visibility left out and references cut to field, target and target kind. A third of the size."""
    return (*row[:5], None, row[6], row[7], None, tuple(ref[:3] for ref in row[9]))


def from_row(row: Row) -> RecordFacts:
    actions = tuple(
        ActionFacts._make((*item[:5], _date(item[5]), _date(item[6]), _date(item[7]), *item[8:])) for item in row[17]
    )
    return RecordFacts._make(
        (
            *row[:9],
            tuple(Ref._make(ref) for ref in row[9]),
            _date(row[10]),
            row[11],
            row[12],
            _date(row[13]),
            dt.datetime.fromisoformat(row[14]) if row[14] else None,
            row[15],
            row[16],
            actions,
            row[18],
        )
    )


def _day(value: dt.date | None) -> int | None:
    return value.toordinal() if value is not None else None


def _date(value: int | None) -> dt.date | None:
    return dt.date.fromordinal(value) if value is not None else None
