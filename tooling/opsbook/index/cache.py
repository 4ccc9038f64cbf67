"""A content cache for `opsbook check`: unchanged files are not parsed again.

An entry is reused when the file's size and modification and change times are unchanged, or, when only
the times changed, when its BLAKE2 digest is unchanged. The key also holds the tool version and the
settings that change per-file results, so an upgrade or a config change means a cold run. Next to the
entries the cache keeps the last run's answer (`RunState`), which `opsbook.index.incremental` brings up to
date. A missing, unreadable or corrupt cache is simply ignored. It holds the records' facts (what the
YAML files already say) and findings, and is git-ignored.
"""

from __future__ import annotations

import gc
import os
import pickle
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from opsbook import __version__
from opsbook.records.diagnostics import Diagnostic
from opsbook.records.summary import RecordFacts, Row, anchors, from_row, link_row, to_row, without_positions
from opsbook.index.scan import CACHE_DIR, FileOutcome, Found
from opsbook.checks.cross_record import LinkContext

FORMAT = 6
BASE = f"check-{FORMAT}-{__version__}.pickle"
DELTA = f"check-{FORMAT}-{__version__}.delta.pickle"
DELTA_LIMIT = 500

Stamp = tuple[int, int, int]
"""Size, modification time and change time of a file; (-1, -1, -1) when unknown."""
UNKNOWN: Stamp = (-1, -1, -1)

StoredFacts = tuple[Row, bytes] | None
"""A file's link row, for building the link index, and all its facts pickled, unpickled only when needed."""


class Entry(NamedTuple):
    """One file's result, stored as a plain tuple: ten thousand of these are read on every warm run."""

    size: int
    mtime_ns: int
    ctime_ns: int
    digest: bytes | None
    path: str
    diagnostics: tuple[Diagnostic, ...]
    links: tuple[Diagnostic, ...]
    """The file's cross-record findings as of the last run."""
    anchors: tuple[tuple[int, int], ...]
    """Where those findings can point (see `opsbook.records.summary.anchors`)."""
    semantics: bytes | None
    """Digest of the record's facts without positions (see `opsbook.records.summary.without_positions`)."""

    @classmethod
    def of(cls, stamp: Stamp, digest: bytes | None, outcome: FileOutcome) -> Entry:
        facts = outcome.facts
        return cls(
            *stamp,
            digest,
            outcome.path,
            tuple(outcome.diagnostics),
            tuple(outcome.links),
            anchors(facts) if facts is not None else (),
            _semantics(facts),
        )


class Scope(NamedTuple):
    """The settings a warm run needs without reading opsbook.yml and the catalog again."""

    runbooks: str
    incidents: str
    catalog: str
    docs: str
    max_bytes: int
    workflow_ids: tuple[str, ...]
    catalog_files: int
    context: LinkContext


class RunState(NamedTuple):
    """The last run's answer and everything it depended on besides the record files themselves."""

    cwd: str
    inputs: tuple[tuple[str, int, int], ...]
    """Size and modification time of opsbook.yml, the catalog files and the docs pages (-1 if absent)."""
    scope: Scope
    keys: tuple[str, ...]
    """Cache keys of the record files, in order."""
    outside: frozenset[str]
    """Keys of the files that link outside the knowledge base (and so hold no record)."""
    side: tuple[Diagnostic, ...]
    """Findings in opsbook.yml, the catalog and the docs pages."""
    overall: tuple[Diagnostic, ...]
    """Findings about the knowledge base as a whole (class coverage, deprecation cycles)."""


class Cache:
    """A base file with every entry, and a small delta file with the entries changed since.

    Each file holds two pickles: the entries and the last run's state first, then the files' facts
    (plain tuples, see `opsbook.records.summary.to_row`), which are read only when a record changed. Saving after
    a one-file edit writes only the delta; the base is rewritten once the delta grows past
    `DELTA_LIMIT` entries. Both files carry the code fingerprint and are replaced atomically; a delta
    also carries the generation of the base it extends, so one run's delta is never read on top of
    another run's base.
    """

    def __init__(self, folder: Path, fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.generation = b""
        self.entries: dict[str, Entry] = {}
        self.changed: dict[str, Entry] = {}
        self.run: RunState | None = None
        self.dirty = False
        self._facts: dict[str, StoredFacts] | None = None
        self._changed_facts: dict[str, StoredFacts] = {}
        self._facts_sections: dict[str, int] = {}
        self._rewrite_base = False
        self._pending: dict[str, tuple[str, Stamp, bytes | None]] = {}

    @classmethod
    def open(cls, root: Path) -> Cache:
        cache = cls(root / CACHE_DIR, _code_fingerprint())
        base = cache._read(BASE)
        if base is not None:
            cache.entries = base
            cache.changed = cache._read(DELTA) or {}
            cache.entries.update(cache.changed)
        return cache

    def _read(self, name: str) -> dict[str, Entry] | None:
        """The entries of one file; None if it is missing, foreign or corrupt (a cold run, never an error)."""
        try:
            with open(self.folder / name, "rb") as handle, _collector_paused():
                fingerprint, generation, rows, run = pickle.load(handle)
                offset = handle.tell()
            if fingerprint != self.fingerprint or not isinstance(rows, dict) or not isinstance(run, RunState | None):
                return None
            if name == DELTA and generation != self.generation:
                return None  # written on top of a base another run has replaced since
            entries = {key: Entry(*row) for key, row in rows.items()}
        except Exception:
            return None
        self.generation = generation
        self.run = run or self.run
        self._facts_sections[name] = offset
        return entries

    def load_facts(self) -> bool:
        """Read the stored facts; False (and no entries left) if they cannot be read."""
        if self._facts is None:
            self._facts = {}
            for name in (BASE, DELTA):
                stored = self._read_facts(name)
                if stored is None:
                    self.entries, self.changed, self.run, self._facts = {}, {}, None, {}
                    self._rewrite_base = True
                    return False
                self._facts.update(stored)
            self._facts.update(self._changed_facts)
        return True

    def _read_facts(self, name: str) -> dict[str, StoredFacts] | None:
        if name not in self._facts_sections:
            return {}
        try:
            with open(self.folder / name, "rb") as handle, _collector_paused():
                handle.seek(self._facts_sections[name])
                stored = pickle.load(handle)
        except Exception:
            return None
        return stored if isinstance(stored, dict) else None

    def link_row(self, key: str) -> Row | None:
        """What the link index needs of a file's facts (see `opsbook.records.summary.link_row`); `load_facts` first."""
        assert self._facts is not None, "load_facts() first"
        stored = self._facts.get(key)
        return stored[0] if stored else None

    def facts(self, key: str) -> Row | None:
        """All the facts stored for a file; `load_facts` first."""
        assert self._facts is not None, "load_facts() first"
        stored = self._facts.get(key)
        return pickle.loads(stored[1]) if stored else None

    def outcome(self, key: str, entry: Entry) -> FileOutcome:
        row = self.facts(key)
        facts = from_row(row) if row else None
        return FileOutcome(entry.path, list(entry.diagnostics), facts, links=list(entry.links))

    def lookup(self, key: str, file: Found, max_bytes: int) -> Entry | None:
        """The stored result for a file under `key` (see `key_of`), if the file has not changed since."""
        if file.size < 0:  # checked as unreadable, and kept with a stamp no later run can match
            self._pending[file.display] = (key, UNKNOWN, None)
            return None
        entry = self.entries.get(key)
        if entry is not None and entry.path == file.display:
            if entry.size == file.size and entry.mtime_ns == file.mtime_ns and entry.ctime_ns == file.ctime_ns:
                return entry
            # A new file is read once, by the parser; its digest is taken the first time its times change.
            digest = _digest(file.absolute, max_bytes)
            if digest is not None and entry.digest == digest:
                entry = entry._replace(size=file.size, mtime_ns=file.mtime_ns, ctime_ns=file.ctime_ns)
                self._put(key, entry)
                return entry
        else:
            digest = None
        self._pending[file.display] = (key, (file.size, file.mtime_ns, file.ctime_ns), digest)
        return None

    def forget(self, key: str) -> None:
        """Drop a file's entry, so that its next run checks it as a new file."""
        if key in self.entries and self.entries[key].size >= 0:
            self._put(key, Entry(*UNKNOWN, None, "", (), (), (), None))
            self._set_facts(key, None)

    def store(self, outcome: FileOutcome) -> Entry | None:
        """Keep the outcome of a file that `lookup` did not find; the new entry, or None if it is not kept."""
        pending = self._pending.pop(outcome.path, None)
        if pending is None:
            return None
        key, stamp, digest = pending
        entry = Entry.of(stamp, digest, outcome)
        self._put(key, entry)
        row = to_row(outcome.facts) if outcome.facts is not None else None
        self._set_facts(key, (link_row(row), pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)) if row else None)
        return entry

    def _set_facts(self, key: str, stored: StoredFacts) -> None:
        self._changed_facts[key] = stored
        if self._facts is not None:
            self._facts[key] = stored

    def set_links(self, key: str, links: tuple[Diagnostic, ...]) -> None:
        entry = self.entries.get(key)
        if entry is not None and entry.links != links:
            self._put(key, entry._replace(links=links))

    def remember(self, run: RunState) -> None:
        if run != self.run:
            self.run = run
            self.dirty = True

    def _put(self, key: str, entry: Entry) -> None:
        self.entries[key] = entry
        self.changed[key] = entry
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            small = len(self.changed) <= DELTA_LIMIT and not self._rewrite_base and (self.folder / BASE).exists()
            delta_facts = self._read_facts(DELTA) if small else None
            if delta_facts is not None:
                self._write(DELTA, self.changed, delta_facts | self._changed_facts)
            else:
                self._write_base()
        except OSError:
            return  # a read-only checkout still checks, only more slowly
        self.dirty = False

    def _write_base(self) -> None:
        """Everything in one new generation, without the files that are gone or hold nothing."""
        self.load_facts()
        facts = self._facts or {}
        kept = set(self.run.keys) if self.run is not None else set(self.entries)
        entries = {key: entry for key, entry in self.entries.items() if key in kept and entry.size >= 0}
        self.generation = os.urandom(8)
        self._write(BASE, entries, {key: facts.get(key) for key in entries})
        (self.folder / DELTA).unlink(missing_ok=True)
        self.changed = {}
        self._rewrite_base = False

    def _write(self, name: str, entries: dict[str, Entry], facts: dict[str, StoredFacts]) -> None:
        temporary = self.folder / f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            with open(temporary, "wb") as stream:
                rows = {key: tuple(entry) for key, entry in entries.items()}
                header = (self.fingerprint, self.generation, rows, self.run)
                pickle.dump(header, stream, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(facts, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.folder / name)
        finally:
            temporary.unlink(missing_ok=True)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Unpickling ten thousand tuples triggers the cyclic garbage collector over and over, for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _code_fingerprint() -> str:
    """Changes whenever opsbook's own code changes, so an edited checker never reuses old results."""
    package = Path(__file__).parents[1]
    stats = [entry.stat() for entry in package.rglob("*.py")]
    return f"{len(stats)}:{sum(s.st_size for s in stats)}:{max(s.st_mtime_ns for s in stats)}"


def _semantics(facts: RecordFacts | None) -> bytes | None:
    if facts is None:
        return None
    import hashlib

    return hashlib.blake2b(repr(without_positions(to_row(facts))).encode(), digest_size=16).digest()


def _digest(path: str, limit: int) -> bytes | None:
    """BLAKE2 of a regular file no larger than `limit`; None for anything the loader would refuse."""
    import hashlib

    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).digest()
    except (OSError, RuntimeError):
        return None
