"""Check one record file: parse, validate, apply the per-record rules, and take its facts.

Kept apart from `opsbook.knowledge` so that a process checking a few changed files (a pool worker, or
the pre-forked checker of a warm run) imports no more than it needs.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from opsbook.diagnostics import Diagnostic
from opsbook.facts import incident_facts, partial_facts, runbook_facts
from opsbook.files import FileOutcome, FileTask
from opsbook.loader import Document, Limits, load_file
from opsbook.models import Incident, Runbook
from opsbook.rules import incident_rules, runbook_rules
from opsbook.validate import validate_model


def check_record_file(task: FileTask) -> FileOutcome:
    """Parse, validate and rule-check one record file. Runs in worker processes; never raises for input."""
    result = load_file(Path(task.absolute), task.display, Limits(max_file_bytes=task.max_bytes))
    document = result.document
    if document is None:
        return FileOutcome(task.display, result.diagnostics)
    relative = PurePath(task.relative)
    if task.kind == "runbook":
        return _finish(task, result.diagnostics, document, Runbook, relative)
    return _finish(task, result.diagnostics, document, Incident, relative)


def _finish(
    task: FileTask,
    diagnostics: list[Diagnostic],
    document: Document,
    model: type[Runbook] | type[Incident],
    relative: PurePath,
) -> FileOutcome:
    record, errors = validate_model(document, model, diagnostics)
    diagnostics = diagnostics + errors
    if record is None:
        return FileOutcome(task.display, diagnostics, partial_facts(document, task.kind))
    if isinstance(record, Runbook):
        diagnostics.extend(runbook_rules(document, record, relative))
        facts = runbook_facts(document, record)
    else:
        diagnostics.extend(incident_rules(document, record, relative))
        facts = incident_facts(document, record)
    return FileOutcome(task.display, diagnostics, facts, record if task.keep_record else None)


def warm_up() -> None:
    """Build the record validators now rather than on the first file (pydantic defers them until used)."""
    Runbook.model_rebuild()
    Incident.model_rebuild()
