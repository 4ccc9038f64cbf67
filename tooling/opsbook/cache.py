"""A content cache for `opsbook check`: unchanged files are not parsed again.

An entry is reused when the file's size and modification time are unchanged, or, when only the time
changed, when its BLAKE2 digest is unchanged. The key also holds the tool version and the settings that
change per-file results, so an upgrade or a config change means a cold run. A missing, unreadable or
corrupt cache is simply ignored; it never holds values beyond what diagnostics already print.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from opsbook import __version__
from opsbook.knowledge import FileOutcome, FileTask

CACHE_DIR = ".opsbook-cache"
FORMAT = 1


@dataclass(slots=True)
class _Entry:
    size: int
    mtime_ns: int
    digest: bytes
    outcome: FileOutcome


@dataclass(slots=True)
class Cache:
    path: Path
    fingerprint: str
    entries: dict[str, _Entry] = field(default_factory=dict)
    _pending: dict[str, tuple[str, int, int, bytes]] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, root: Path) -> Cache:
        path = root / CACHE_DIR / f"check-{FORMAT}-{__version__}.pickle"
        fingerprint = _code_fingerprint()
        try:
            with open(path, "rb") as handle:
                stored_fingerprint, entries = pickle.load(handle)
            if stored_fingerprint != fingerprint or not isinstance(entries, dict):
                entries = {}
        except Exception:  # a corrupt or foreign cache is only a cold run, never an error
            entries = {}
        return cls(path, fingerprint, entries)

    def lookup(self, task: FileTask) -> FileOutcome | None:
        key = _key(task)
        try:
            status = os.stat(task.absolute)
        except (OSError, RuntimeError):
            return None
        entry = self.entries.get(key)
        if entry is not None and entry.size == status.st_size and entry.mtime_ns == status.st_mtime_ns:
            return entry.outcome if entry.outcome.path == task.display else None
        digest = _digest(task.absolute, task.max_bytes)
        if entry is not None and digest is not None and entry.digest == digest and entry.outcome.path == task.display:
            self.entries[key] = _Entry(status.st_size, status.st_mtime_ns, digest, entry.outcome)
            self.dirty = True
            return entry.outcome
        if digest is not None:
            self._pending[task.display] = (key, status.st_size, status.st_mtime_ns, digest)
        return None

    def store(self, outcome: FileOutcome) -> None:
        pending = self._pending.pop(outcome.path, None)
        if pending is None:
            return
        key, size, mtime_ns, digest = pending
        self.entries[key] = _Entry(size, mtime_ns, digest, outcome)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            (self.path.parent / ".gitignore").write_text("*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "wb") as stream:
                pickle.dump((self.fingerprint, self.entries), stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
        except OSError:
            return  # a read-only checkout still checks, only more slowly
        self.dirty = False


def _code_fingerprint() -> str:
    """Changes whenever opsbook's own code changes, so an edited checker never reuses old results."""
    package = Path(__file__).parent
    stats = [entry.stat() for entry in package.rglob("*.py")]
    return f"{len(stats)}:{sum(s.st_size for s in stats)}:{max(s.st_mtime_ns for s in stats)}"


def _key(task: FileTask) -> str:
    return f"{task.absolute}\0{task.relative}\0{task.kind}\0{task.max_bytes}"


def _digest(path: str, limit: int) -> bytes | None:
    """BLAKE2 of a regular file no larger than `limit`; None for anything the loader would refuse."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).digest()
    except (OSError, RuntimeError):
        return None
