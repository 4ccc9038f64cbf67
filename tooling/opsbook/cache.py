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
from typing import NamedTuple

from opsbook import __version__
from opsbook.diagnostics import Diagnostic
from opsbook.facts import Row, from_row, to_row
from opsbook.knowledge import FileOutcome, FileTask

CACHE_DIR = ".opsbook-cache"
FORMAT = 4
BASE = f"check-{FORMAT}-{__version__}.pickle"
DELTA = f"check-{FORMAT}-{__version__}.delta.pickle"
DELTA_LIMIT = 500


class _Entry(NamedTuple):
    """One file's result. Stored as a plain tuple with plain-tuple facts: ten thousand of these are read on
    every warm run, and plain tuples unpickle several times faster than dataclasses or named tuples."""

    size: int
    mtime_ns: int
    digest: bytes | None
    path: str
    diagnostics: tuple[Diagnostic, ...]
    facts: Row | None

    @classmethod
    def of(cls, size: int, mtime_ns: int, digest: bytes | None, outcome: FileOutcome) -> _Entry:
        facts = to_row(outcome.facts) if outcome.facts is not None else None
        return cls(size, mtime_ns, digest, outcome.path, tuple(outcome.diagnostics), facts)

    def outcome(self) -> FileOutcome:
        return FileOutcome(self.path, list(self.diagnostics), from_row(self.facts) if self.facts else None)


@dataclass(slots=True)
class Cache:
    """A base file with every entry, and a small delta file with the entries changed since.

    Saving after a one-file edit writes only the delta; the base is rewritten once the delta grows
    past `DELTA_LIMIT` entries. Both files carry the code fingerprint and are replaced atomically.
    """

    folder: Path
    fingerprint: str
    entries: dict[str, _Entry] = field(default_factory=dict)
    changed: dict[str, _Entry] = field(default_factory=dict)
    _pending: dict[str, tuple[str, int, int, bytes | None]] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, root: Path) -> Cache:
        folder = root / CACHE_DIR
        cache = cls(folder, _code_fingerprint())
        cache.entries = cache._read(BASE)
        if cache.entries:
            cache.changed = cache._read(DELTA)
            cache.entries.update(cache.changed)
        return cache

    def _read(self, name: str) -> dict[str, _Entry]:
        try:
            with open(self.folder / name, "rb") as handle:
                fingerprint, rows = pickle.load(handle)
            if fingerprint != self.fingerprint or not isinstance(rows, dict):
                return {}
            return {key: _Entry(*row) for key, row in rows.items()}
        except Exception:  # a corrupt or foreign cache is only a cold run, never an error
            return {}

    def lookup(self, task: FileTask) -> FileOutcome | None:
        key = _key(task)
        try:
            status = os.stat(task.absolute)
        except (OSError, RuntimeError):
            return None
        entry = self.entries.get(key)
        if entry is not None and entry.size == status.st_size and entry.mtime_ns == status.st_mtime_ns:
            return entry.outcome() if entry.path == task.display else None
        # A new file is read once, by the parser; its digest is taken the first time its time changes.
        digest = _digest(task.absolute, task.max_bytes) if entry is not None else None
        if entry is not None and digest is not None and entry.digest == digest and entry.path == task.display:
            self._put(key, entry._replace(size=status.st_size, mtime_ns=status.st_mtime_ns))
            return entry.outcome()
        self._pending[task.display] = (key, status.st_size, status.st_mtime_ns, digest)
        return None

    def store(self, outcome: FileOutcome) -> None:
        pending = self._pending.pop(outcome.path, None)
        if pending is None:
            return
        key, size, mtime_ns, digest = pending
        self._put(key, _Entry.of(size, mtime_ns, digest, outcome))

    def _put(self, key: str, entry: _Entry) -> None:
        self.entries[key] = entry
        self.changed[key] = entry
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / ".gitignore").write_text("*\n", encoding="utf-8")
            if len(self.changed) <= DELTA_LIMIT and (self.folder / BASE).exists():
                self._write(DELTA, self.changed)
            else:
                self._write(BASE, self.entries)
                (self.folder / DELTA).unlink(missing_ok=True)
                self.changed = {}
        except OSError:
            return  # a read-only checkout still checks, only more slowly
        self.dirty = False

    def _write(self, name: str, entries: dict[str, _Entry]) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            rows = {key: tuple(entry) for key, entry in entries.items()}
            pickle.dump((self.fingerprint, rows), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.folder / name)


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
