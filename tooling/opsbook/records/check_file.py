"""Check one record file: parse, validate, apply the per-record rules, and take its facts.

Kept apart from `opsbook.index.knowledge` so that a process checking a few changed files (a pool worker, or
the pre-forked checker of a warm run) imports no more than it needs.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from opsbook.records.summary import RecordKind, incident_facts, partial_facts, runbook_facts
from opsbook.index.scan import FileOutcome, FileTask
from opsbook.records.yaml_loader import Limits, LoadResult, load_file
from opsbook.records.models import Incident, Runbook
from opsbook.records.rules import incident_rules, runbook_rules
from opsbook.records.validate import validate_model


def check_record_file(task: FileTask) -> FileOutcome:
    """Parse, validate and rule-check one record file. Runs in worker processes; never raises for input."""
    result = load_file(Path(task.absolute), task.display, Limits(max_file_bytes=task.max_bytes))
    return check_parsed(result, task.display, task.kind, PurePath(task.relative), keep_record=task.keep_record)


def check_parsed(
    result: LoadResult, display: str, kind: RecordKind, relative: PurePath, *, keep_record: bool = False
) -> FileOutcome:
    """Validate and rule-check a parsed record file; `relative` is its path below the record type's folder."""
    document = result.document
    if document is None:
        return FileOutcome(display, result.diagnostics)
    record: Runbook | Incident | None
    if kind == "runbook":
        record, errors = validate_model(document, Runbook, result.diagnostics)
    else:
        record, errors = validate_model(document, Incident, result.diagnostics)
    diagnostics = result.diagnostics + errors
    if record is None:
        return FileOutcome(display, diagnostics, partial_facts(document, kind))
    if isinstance(record, Runbook):
        diagnostics.extend(runbook_rules(document, record, relative))
        facts = runbook_facts(document, record)
    else:
        diagnostics.extend(incident_rules(document, record, relative))
        facts = incident_facts(document, record)
    return FileOutcome(display, diagnostics, facts, record if keep_record else None)


def warm_up() -> None:
    """Build the record validators now rather than on the first file (pydantic defers them until used)."""
    Runbook.model_rebuild()
    Incident.model_rebuild()
