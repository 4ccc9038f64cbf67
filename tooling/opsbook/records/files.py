"""The files of a knowledge base as the checker sees them: what to check and what checking one gives.

Free of YAML and pydantic, so that a command with nothing to check never imports either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from opsbook.records.diagnostics import Diagnostic
    from opsbook.records.summary import RecordSummary
    from opsbook.records.suppressions import Suppression

Role = Literal["runbook", "incident", "config", "catalog", "docs"]
CATALOG_NAMES = ("workflows.yaml", "tools.yaml", "classes.yaml", "environment.yaml")


class Stamp(NamedTuple):
    """Size, modification and change time of a file; all -1 when it cannot be read."""

    size: int
    mtime_ns: int
    ctime_ns: int


UNKNOWN = Stamp(-1, -1, -1)


class FileTask(NamedTuple):
    absolute: str
    path: str
    """Relative to the knowledge base's root, with `/`: how findings name the file."""
    role: Role
    max_bytes: int
    keep_document: bool = True
    """Whether to keep the validated data (see `FileResult.document`)."""


@dataclass(slots=True)
class FileResult:
    path: str
    role: Role
    stamp: Stamp
    digest: bytes | None
    """Of the bytes that were checked; None when the file could not be read."""
    diagnostics: list[Diagnostic]
    summary: RecordSummary | None = None
    document: str | None = field(default=None, repr=False)
    """The validated data as JSON, for the commands that need all of a record (when the task asked)."""
    defines: tuple[tuple[str, str, int, int], ...] = ()
    """For a catalog file: (kind, id, line, col) of each workflow or failure class it defines."""
    suppressions: tuple[Suppression, ...] = ()
    """The `# opsbook: ignore[...]` comments of the file (see `opsbook.records.suppressions`)."""


def digest_of(content: bytes) -> bytes:
    """What identifies content in the index. SHA-256 (first 16 bytes): processors compute it in hardware,
    twice as fast as BLAKE2 here, which shows on a 20 MB export read back from the index."""
    return hashlib.sha256(content).digest()[:16]
