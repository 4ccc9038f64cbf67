"""Check one file of a knowledge base: read it once, parse, validate, apply the per-record rules, summarise.

The content is read from one open file, whose status gives the stamp and whose bytes give the digest,
so what the index stores about a file always describes the very bytes that were checked. Runs in worker
processes too; never raises for bad input.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import PurePosixPath

from pydantic import BaseModel, RootModel

from opsbook.records.diagnostics import Diagnostic
from opsbook.records.files import CATALOG_NAMES, UNKNOWN, FileResult, FileTask, Stamp, digest_of
from opsbook.records.models import Config, Incident, Runbook
from opsbook.records.models.catalog import ClassCatalog, ToolCatalog, WorkflowCatalog
from opsbook.records.models.environment import EnvManifest
from opsbook.records.rules import incident_rules, runbook_rules
from opsbook.records.secrets import scan_document, scan_text
from opsbook.records.summary import RecordSummary, incident_summary, partial_summary, runbook_summary
from opsbook.records.suppressions import find_suppressions
from opsbook.records.validate import validate_model
from opsbook.records.yaml_loader import Document, Limits, LoadResult, load_bytes

CATALOG_MODELS: dict[str, type[BaseModel]] = dict(
    zip(CATALOG_NAMES, (WorkflowCatalog, ToolCatalog, ClassCatalog, EnvManifest), strict=True)
)


def check_file(task: FileTask) -> FileResult:
    """Check one file of the knowledge base."""
    try:
        content, stamp = _read(task.absolute, task.max_bytes if task.role != "docs" else None)
    except _Unreadable as problem:
        finding = Diagnostic(task.path, 1, 1, problem.code, problem.message, hint=problem.hint)
        return FileResult(task.path, task.role, problem.stamp, None, [finding])
    return check_content(task, content, stamp)


def check_content(task: FileTask, content: bytes, stamp: Stamp = UNKNOWN) -> FileResult:
    """Check the bytes of the file `task` names, as read from it, and read its suppression comments."""
    result = _check_content(task, content, stamp)
    if b"opsbook:" in content:
        text = content.decode("utf-8", errors="replace")
        suppressions, problems = find_suppressions(text, task.path, yaml_comments=task.role != "docs")
        result.suppressions = tuple(suppressions)
        result.diagnostics.extend(problems)
    return result


def _check_content(task: FileTask, content: bytes, stamp: Stamp) -> FileResult:
    digest = digest_of(content)
    if task.role == "docs":
        return FileResult(task.path, task.role, stamp, digest, _scan_docs_page(content, task.path))
    model = _model_of(task)
    result = load_bytes(content, task.path, Limits(max_file_bytes=task.max_bytes), mapping=not _is_root_model(model))
    if result.document is not None:
        secrets = scan_document(result.document)
    else:
        secrets = scan_text(content.decode("utf-8", errors="replace"), task.path)
    if task.role in ("runbook", "incident"):
        diagnostics, summary, document = _check_record(result, task)
        return FileResult(task.path, task.role, stamp, digest, diagnostics + secrets, summary, document)
    if result.document is None:
        return FileResult(task.path, task.role, stamp, digest, result.diagnostics + secrets)
    record, errors = validate_model(result.document, model, result.diagnostics)
    diagnostics = result.diagnostics + errors + secrets
    document = record.model_dump_json() if record is not None else None
    defines = _defined_ids(result.document) if record is not None else ()
    return FileResult(task.path, task.role, stamp, digest, diagnostics, None, document, defines)


def _defined_ids(document: Document) -> tuple[tuple[str, str, int, int], ...]:
    """The workflows and failure classes a catalog file defines, with where each id is written."""
    found = []
    for key, kind in (("workflows", "workflow"), ("classes", "class")):
        entries = document.data.get(key) if isinstance(document.data, dict) else None
        for position, entry in enumerate(entries if isinstance(entries, list) else []):
            line, col = document.locate((key, position, "id"), value=True)
            found.append((kind, str(entry["id"]), line, col))
    return tuple(found)


def _check_record(result: LoadResult, task: FileTask) -> tuple[list[Diagnostic], RecordSummary | None, str | None]:
    document = result.document
    if document is None:
        return result.diagnostics, None, None
    relative = PurePosixPath(task.path)
    summary: RecordSummary | None
    record: Runbook | Incident | None
    if task.role == "runbook":
        runbook, errors = validate_model(document, Runbook, result.diagnostics)
        rules = list(runbook_rules(document, runbook, relative))
        summary = runbook_summary(document, runbook) if runbook else partial_summary(document, "runbook")
        record = runbook
    else:
        incident, errors = validate_model(document, Incident, result.diagnostics)
        rules = list(incident_rules(document, incident, relative))
        summary = incident_summary(document, incident) if incident else partial_summary(document, "incident")
        record = incident
    diagnostics = result.diagnostics + errors + rules
    document_json = record.model_dump_json() if record is not None and task.keep_document else None
    return diagnostics, summary, document_json


def _model_of(task: FileTask) -> type[BaseModel]:
    if task.role == "config":
        return Config
    if task.role == "catalog":
        return CATALOG_MODELS[PurePosixPath(task.path).name]
    return Runbook if task.role == "runbook" else Incident


def _is_root_model(model: type[BaseModel]) -> bool:
    return issubclass(model, RootModel)


def _scan_docs_page(content: bytes, path: str) -> list[Diagnostic]:
    """Everything under docs/ is published, so every file is scanned: text as text (UTF-16 by its byte-order
    mark), and a binary file (an image, a PDF) for the printable ASCII in it, where a pasted key would be."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return scan_text(content.decode("utf-16", errors="replace"), path)
    if b"\x00" not in content[:8192]:
        return scan_text(content.decode("utf-8", errors="replace"), path)
    return scan_text(_NOT_TEXT.sub(" ", content.decode("latin-1")), path)


_NOT_TEXT = re.compile(r"[^\n\t\x20-\x7e]")
"""Bytes of a binary file that are not printable ASCII, blanked so that lines and columns stay byte offsets."""


class _Unreadable(Exception):
    def __init__(self, stamp: Stamp, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.stamp, self.code, self.message, self.hint = stamp, code, message, hint


def _read(path: str, limit: int | None) -> tuple[bytes, Stamp]:
    """The file's bytes and the stamp of the very file they were read from."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except RuntimeError:
        raise _Unreadable(UNKNOWN, "unreadable", "symbolic link loop") from None
    except OSError as error:
        raise _Unreadable(UNKNOWN, "unreadable", f"cannot read the file: {error.strerror or error}") from None
    try:
        status = os.fstat(descriptor)
        stamp = Stamp(status.st_size, status.st_mtime_ns, status.st_ctime_ns)
        if not stat.S_ISREG(status.st_mode):
            raise _Unreadable(stamp, "unreadable", "is not a regular file (a directory, device or pipe)")
        if limit is not None and status.st_size > limit:
            raise _Unreadable(
                stamp,
                "too-large",
                f"file is {status.st_size:,} bytes; the limit is {limit:,}",
                hint="split the record, or raise limits.max_file_bytes in opsbook.yml",
            )
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            content = handle.read() if limit is None else handle.read(limit + 1)
    except OSError as error:
        raise _Unreadable(UNKNOWN, "unreadable", f"cannot read the file: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    if limit is not None and len(content) > limit:
        raise _Unreadable(
            stamp,
            "too-large",
            f"file is over {limit:,} bytes, the limit",
            hint="split the record, or raise limits.max_file_bytes in opsbook.yml",
        )
    return content, stamp


def read_config(root: str | os.PathLike[str]) -> Config:
    """The configuration in `root`/opsbook.yml, or the defaults when it is absent or invalid (`check` says why)."""
    path = os.path.join(root, "opsbook.yml")
    if not os.path.isfile(path):
        return Config()
    result = check_file(FileTask(path, "opsbook.yml", "config", 1 << 20))
    return Config.model_validate_json(result.document) if result.document else Config()


def warm_up() -> None:
    """Build the record validators now rather than on the first file (pydantic defers them until used)."""
    Runbook.model_rebuild()
    Incident.model_rebuild()
