"""The knowledge index on disk: per file of a knowledge base, its stamp, findings, summary and data.

Where it lives: in the knowledge base's folder of the user's cache (see `opsbook.index.location`), never inside
the repository. A copy committed to a repository is never read: nothing looks for an index there.

What it holds, in SQLite databases:

- `index.sqlite`: the tables of `SCHEMA`, what every command needs (each file's stamp and findings), about
  150 bytes per file. It is read whole into memory on every command and written back whole, atomically (a
  new file renamed into place), only when something changed. The file starts with an HMAC-SHA256 of the
  database, keyed with a secret kept in the cache folder (`key`, created on first use, readable by the
  user only), so a truncated, corrupt, flipped or foreign file (copied from another user or machine, or
  from an older format) fails the check and is rebuilt from the knowledge base; it is never trusted.
- `rows-<digest>.sqlite`: the tables of `ROWS_SCHEMA`, the records' rows (about 2 KB per record), read
  only by a command that queries them or changes a file (`load_rows`); a warm `check` with nothing
  changed, `stats`, `review` and `export` answer from `index.sqlite` alone. `index.sqlite` names it by the
  SHA-256 of its content, and it is used only when its content hashes to that name. A new one is written
  before the `index.sqlite` that names it; a command that saves an index whose rows file another command
  has since deleted writes it again; earlier rows files are deleted once they are a minute old (another
  command may be between writing its rows and its index). The file is opened with the index, so a command
  reads the rows of the index it opened even when another command has replaced both since.
- `documents.sqlite`: each record's validated data as JSON, addressed by the SHA-256 digest of that JSON.
  `index.sqlite` names each file's document by digest, and a document is used only when its text
  hashes to that digest.

Neither holds anything that can run: SQLite rows of text and numbers, read with the standard library's
`sqlite3` and `json`. The index is a cache: deleting the folder only costs one slow run.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from opsbook import __version__
from opsbook.index.location import index_folder
from opsbook.records.diagnostics import Diagnostic, Level
from opsbook.records.files import FileResult, Stamp, digest_of

if TYPE_CHECKING:
    from opsbook.records.summary import RecordSummary

FORMAT = 4
MAGIC = b"opsbook knowledge index\n"
MAC_BYTES = 32
EARLIER_ROWS_KEPT_NS = 60_000_000_000
"""How long a rows file no longer named by the index is kept (see the module docstring)."""

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- every input: records, opsbook.yml, catalog files, docs/ files. `checked_ns`: when the stamp was taken;
-- `readable` = 0 when the file could not be read as what it is (a record that failed to load or validate,
-- a configuration or catalog file with no valid data)
CREATE TABLE files(
    path TEXT PRIMARY KEY, role TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, checked_ns INTEGER NOT NULL,
    digest BLOB, diagnostics TEXT NOT NULL, document BLOB, readable INTEGER NOT NULL
) WITHOUT ROWID;
-- ids the catalog defines (workflows, failure classes), where each is written
CREATE TABLE catalog(path TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
    line INTEGER NOT NULL, col INTEGER NOT NULL, PRIMARY KEY(path, position)) WITHOUT ROWID;
CREATE INDEX catalog_by_id ON catalog(kind, id);
-- `# opsbook: ignore[code]` comments: findings of `code` located on lines first_line..last_line are not reported
CREATE TABLE suppressions(path TEXT NOT NULL, position INTEGER NOT NULL, code TEXT NOT NULL,
    first_line INTEGER NOT NULL, last_line INTEGER NOT NULL, PRIMARY KEY(path, position)) WITHOUT ROWID;
-- results computed from many rows (cross-record findings, the triage ranking index, the export), valid
-- while `inputs` is unchanged; the payload is kept with the documents, by digest
CREATE TABLE derived(name TEXT PRIMARY KEY, inputs TEXT NOT NULL, payload BLOB NOT NULL) WITHOUT ROWID;
"""
ROWS_SCHEMA = """
-- one row per record with a readable id; `valid` = 0 when the record failed validation
CREATE TABLE rows.records(
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, valid INTEGER NOT NULL,
    line INTEGER NOT NULL, col INTEGER NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
    visibility TEXT NOT NULL, owner TEXT, summary TEXT,
    last_reviewed INTEGER, reviewed_line INTEGER, reviewed_col INTEGER, review_interval_days INTEGER,
    needs_drills INTEGER NOT NULL, last_drill INTEGER,
    severity TEXT, in_metrics INTEGER NOT NULL, example INTEGER NOT NULL,
    started TEXT, resolved TEXT, started_day INTEGER,
    started_at REAL, detected_at REAL, acknowledged_at REAL, mitigated_at REAL, resolved_at REAL,
    public_summary TEXT, resolution TEXT
) WITHOUT ROWID;
CREATE INDEX rows.records_by_id ON records(kind, id);
CREATE TABLE rows.classes(path TEXT NOT NULL, position INTEGER NOT NULL, class TEXT NOT NULL,
    PRIMARY KEY(path, position)) WITHOUT ROWID;
CREATE TABLE rows.refs(path TEXT NOT NULL, position INTEGER NOT NULL, field TEXT NOT NULL,
    target_kind TEXT NOT NULL, target TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, detail TEXT,
    note TEXT, PRIMARY KEY(path, position)) WITHOUT ROWID;
CREATE INDEX rows.refs_by_target ON refs(target_kind, target);
CREATE TABLE rows.action_items(path TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL,
    title TEXT NOT NULL, type TEXT NOT NULL, owner TEXT, priority TEXT NOT NULL, status TEXT NOT NULL,
    opened INTEGER NOT NULL, due INTEGER, closed INTEGER, reason TEXT, link TEXT, line INTEGER NOT NULL,
    col INTEGER NOT NULL, PRIMARY KEY(path, position)) WITHOUT ROWID;
"""
FILE_TABLES = ("files", "catalog", "suppressions")
ROW_TABLES = ("records", "classes", "refs", "action_items")
"""Tables with rows per file: those of `SCHEMA`, and those of `ROWS_SCHEMA`."""


class Stored(NamedTuple):
    """What the index holds about one file's content."""

    role: str
    size: int
    mtime_ns: int
    ctime_ns: int
    checked_ns: int
    """When its stamp was taken."""
    digest: bytes | None

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.size, self.mtime_ns, self.ctime_ns)


def code_fingerprint() -> str:
    """Changes whenever opsbook's own code changes, so edited code never reuses old results."""
    package = Path(__file__).resolve().parents[1]
    stats = [entry.stat() for entry in package.rglob("*.py")]
    total = sum(s.st_size for s in stats)
    return f"{__version__}:{FORMAT}:{len(stats)}:{total}:{max(s.st_mtime_ns for s in stats)}"


class Store:
    """The index of one knowledge base, held in memory while a command runs."""

    def __init__(self, root: Path, folder: Path | None) -> None:
        self.root = root.resolve()
        self.folder = folder
        """Where the index is kept, or None when it is not kept (`--no-index`, or no writable cache folder)."""
        self.connection = sqlite3.connect(":memory:", isolation_level=None)
        self.dirty = False
        self._rows_file: int | None = None
        """The open rows image named by the index (see `load_rows`), until it is loaded."""
        self.rows_loaded = False
        self._rows_dirty = False
        self._documents: sqlite3.Connection | None = None
        self._key = b""

    @classmethod
    def open(cls, root: Path, *, persistent: bool = True) -> Store:
        """The stored index of `root`, or an empty one when there is none or it cannot be trusted."""
        folder = index_folder(root) if persistent else None
        store = cls(root, folder)
        for _ in range(2):  # again if another command replaced the index and its rows in between
            image = store._read_image() if store.folder is not None else None
            if image is None:
                break
            with contextlib.suppress(sqlite3.DatabaseError):
                store.connection.deserialize(image)
                if store._meta_matches():
                    store._rows_file = _open_private_file(store._rows_path(store.meta("rows")))
                    if store._rows_file is not None:
                        return store
        store._start_over()
        return store

    # --- the index image --------------------------------------------------------------------------------

    def _read_image(self) -> bytes | None:
        assert self.folder is not None
        try:
            self._key = _secret_key(self.folder.parent)
        except OSError:
            self.folder = None  # no usable cache folder: this run keeps nothing
            return None
        data = _read_private_file(self.folder / "index.sqlite")
        if data is None or not data.startswith(MAGIC) or len(data) < len(MAGIC) + MAC_BYTES:
            return None
        view = memoryview(data)
        mac, image = view[len(MAGIC) : len(MAGIC) + MAC_BYTES], view[len(MAGIC) + MAC_BYTES :]
        return bytes(image) if hmac.compare_digest(mac, self._mac(image)) else None

    def _rows_path(self, digest: str | None) -> Path:
        assert self.folder is not None
        return self.folder / f"rows-{digest}.sqlite"

    def load_rows(self) -> bool:
        """Bring the records' rows (`ROWS_SCHEMA`) into memory, for a query or a change. False when the rows
        image the index names is missing or damaged: the index then starts over, empty, and every file
        must be checked again."""
        if self.rows_loaded:
            return True
        image = _read_open_file(self._rows_file) if self._rows_file is not None else None
        self._rows_file = None
        if image is not None and hashlib.sha256(image).hexdigest() == self.meta("rows"):
            with contextlib.suppress(sqlite3.DatabaseError):
                self.connection.execute("ATTACH ':memory:' AS rows")
                self.connection.deserialize(image, name="rows")
                self.connection.execute("SELECT count(*) FROM rows.records").fetchone()
                self.rows_loaded = True
                return True
        self._start_over()
        return False

    def _mac(self, image: bytes | memoryview) -> bytes:
        return hmac.digest(self._key, image, "sha256")

    def _meta_matches(self) -> bool:
        rows = dict(self.connection.execute("SELECT key, value FROM meta"))
        return rows.get("fingerprint") == code_fingerprint() and rows.get("root") == str(self.root)

    def _start_over(self) -> None:
        """An empty index in place of whatever was read. Its generation goes on from the one before, so that
        nothing computed from the earlier index can be taken for a result of the new one."""
        try:
            earlier = int(self.generation)
        except (sqlite3.Error, ValueError):
            earlier = 0
        connection = sqlite3.connect(":memory:", isolation_level=None)
        connection.executescript(SCHEMA)
        connection.execute("ATTACH ':memory:' AS rows")
        connection.executescript(ROWS_SCHEMA)
        connection.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("fingerprint", code_fingerprint()), ("root", str(self.root)), ("generation", str(earlier + 1))],
        )
        self.connection, replaced = connection, self.connection
        replaced.close()
        self._close_rows_file()
        self.rows_loaded = True
        self.dirty = self._rows_dirty = True

    def _close_rows_file(self) -> None:
        if self._rows_file is not None:
            os.close(self._rows_file)
            self._rows_file = None

    def save(self) -> None:
        """Write the index back, atomically, if it changed; a read-only cache folder only costs speed."""
        if not self.dirty or self.folder is None:
            return
        self._collect_garbage()
        if not self._rows_dirty and not self._rows_path(self.meta("rows")).exists():
            self.load_rows()  # another command replaced the index and deleted these rows: they are written again
            self._rows_dirty = True
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if self._rows_dirty:
                rows = self.connection.serialize(name="rows")
                digest = hashlib.sha256(rows).hexdigest()
                _write_private_file(self._rows_path(digest), rows)
                self.set_meta("rows", digest)
            image = self.connection.serialize()
            _write_private_file(self.folder / "index.sqlite", MAGIC + self._mac(image) + image)
        except OSError:
            return
        if self._rows_dirty:
            self._delete_earlier_rows()
        self.dirty = self._rows_dirty = False

    def _delete_earlier_rows(self) -> None:
        assert self.folder is not None
        current = self._rows_path(self.meta("rows")).name
        now = time.time_ns()
        for earlier in self.folder.glob("rows-*.sqlite"):
            with contextlib.suppress(OSError):
                if earlier.name != current and now - earlier.stat().st_mtime_ns > EARLIER_ROWS_KEPT_NS:
                    earlier.unlink()

    def _keep_statistics(self, changed_files: int) -> None:
        """SQLite plans queries from table statistics (`ANALYZE`); without them a join over ten thousand
        records can take seconds. They are refreshed once a tenth of the files changed since."""
        (files,) = self.connection.execute("SELECT count(*) FROM files").fetchone()
        changed = int(self.meta("changed_since_analyze") or 0) + changed_files
        if changed * 10 >= files:
            self.connection.execute("ANALYZE")
            changed = 0
        self.set_meta("changed_since_analyze", str(changed))

    # --- settings and derived results ------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        if self.meta(key) != value:
            self.connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            self.dirty = True

    def derived(self, name: str, inputs: str) -> bytes | None:
        row = self.connection.execute("SELECT inputs, payload FROM derived WHERE name = ?", (name,)).fetchone()
        if row is None or row[0] != inputs:
            return None
        return self.documents([row[1]]).get(row[1])

    def set_derived(self, name: str, inputs: str, payload: bytes) -> None:
        digest = digest_of(payload)
        earlier = self.connection.execute("SELECT payload FROM derived WHERE name = ?", (name,)).fetchone()
        self._put_documents([(digest, payload)])
        self.connection.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)", (name, inputs, digest))
        self.dirty = True
        if earlier is not None and earlier[0] != digest:
            self._forget(earlier[0])

    def abandon(self) -> None:
        """Roll back a write left unfinished, and forget the settings and every derived result (their
        documents go with the next garbage collection)."""
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
        self._rows_dirty = self.rows_loaded  # the rows in memory may no longer be those on disk
        self.connection.execute("DELETE FROM derived")
        self.connection.execute("DELETE FROM meta WHERE key = 'settings'")
        self.dirty = True

    def _forget(self, digest: bytes) -> None:
        """Delete a replaced result's document unless something still refers to it. Derived results are
        large (an export is 19 MB at ten thousand records) and replaced after every change: left to the
        garbage count (`_collect_garbage`), a few hundred of them would take gigabytes."""
        referenced = self.connection.execute(
            "SELECT 1 FROM derived WHERE payload = ? UNION ALL SELECT 1 FROM files WHERE document = ? LIMIT 1",
            (digest, digest),
        ).fetchone()
        if referenced is not None:
            return
        try:
            connection = self._documents_connection()
            with connection:
                connection.execute("DELETE FROM documents WHERE digest = ?", (digest,))
        except sqlite3.Error:
            self._drop_documents()

    # --- files ------------------------------------------------------------------------------------------

    def stored(self, paths: list[str]) -> dict[str, Stored]:
        """What the index holds about the files at `paths` (those it has)."""
        query = "SELECT path, role, size, mtime_ns, ctime_ns, checked_ns, digest FROM files WHERE path IN ({marks})"
        return {row[0]: Stored._make(row[1:]) for row in rows_in(self.connection, query, paths)}

    def settled(self, racy_ns: int) -> set[tuple[str, str, int, int, int]]:
        """(path, role, size, mtime_ns, ctime_ns) of every file whose content was compared at least `racy_ns`
        after its last modification: while its stamp stays the same, so does its content."""
        query = """SELECT path, role, size, mtime_ns, ctime_ns FROM files
                   WHERE digest IS NOT NULL AND checked_ns - mtime_ns >= ?"""
        return set(self.connection.execute(query, (racy_ns,)))

    def file_count(self) -> int:
        (count,) = self.connection.execute("SELECT count(*) FROM files").fetchone()
        return int(count)

    def paths(self, roles: tuple[str, ...] | None = None) -> list[str]:
        """The paths of every file the index holds (of `roles` only, when given)."""
        if roles is None:
            return [row[0] for row in self.connection.execute("SELECT path FROM files")]
        marks = ",".join("?" * len(roles))
        return [row[0] for row in self.connection.execute(f"SELECT path FROM files WHERE role IN ({marks})", roles)]

    def record_ids(self, paths: list[str]) -> dict[str, tuple[str, str]]:
        """(kind, id) of the records stored for `paths` (the rows must be loaded)."""
        if not paths:
            return {}
        self._rows_needed()
        query = "SELECT path, kind, id FROM records WHERE path IN ({marks})"
        return {path: (kind, record_id) for path, kind, record_id in rows_in(self.connection, query, paths)}

    def restamp(self, path: str, stamp: Stamp, checked_ns: int) -> None:
        """The file changed its stamp but not its content."""
        self.connection.execute(
            "UPDATE files SET size = ?, mtime_ns = ?, ctime_ns = ?, checked_ns = ? WHERE path = ?",
            (*stamp, checked_ns, path),
        )
        self.dirty = True

    def remove(self, paths: Iterable[str]) -> None:
        """Forget the files at `paths` (the rows must be loaded)."""
        gone = [(path,) for path in paths]
        if not gone:
            return
        self._rows_needed()
        self._rows_dirty = True
        self.connection.execute("SAVEPOINT remove")  # all tables or none, inside `put`'s transaction or not
        try:
            for table in (*FILE_TABLES, *ROW_TABLES):
                self.connection.executemany(f"DELETE FROM {table} WHERE path = ?", gone)
        except BaseException:
            self.connection.execute("ROLLBACK TO remove")
            self.connection.execute("RELEASE remove")
            raise
        self.connection.execute("RELEASE remove")
        self._changed()

    def _rows_needed(self) -> None:
        if not self.rows_loaded:
            raise RuntimeError("the index's rows are not loaded (see Store.load_rows)")

    @property
    def generation(self) -> str:
        """Changes whenever a file's findings or data change; results derived from the tables key on it."""
        return self.meta("generation") or "0"

    def _changed(self) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(int(self.generation) + 1),)
        )
        self.dirty = True

    def put(self, results: list[FileResult], checked_ns: int) -> None:
        """Store each file's result in place of what was stored before (the rows must be loaded)."""
        if not results:
            return
        self._rows_needed()
        connection = self.connection
        try:
            connection.execute("BEGIN")
            documents = self._insert(results, checked_ns)
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        self._put_documents(documents)
        self._changed()
        self._keep_statistics(len(results))

    def _insert(self, results: list[FileResult], checked_ns: int) -> list[tuple[bytes, bytes]]:
        self.remove(result.path for result in results)
        rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in (*FILE_TABLES, *ROW_TABLES)}
        documents = []
        for result in results:
            document_digest = None
            if result.document is not None:
                document = result.document.encode()
                document_digest = digest_of(document)
                documents.append((document_digest, document))
            rows["files"].append(
                (
                    result.path,
                    result.role,
                    *result.stamp,
                    checked_ns,
                    result.digest,
                    encode_diagnostics(result.diagnostics),
                    document_digest,
                    _readable(result),
                )
            )
            if result.summary is not None:
                _summary_rows(rows, result.path, result.summary)
            rows["catalog"].extend((result.path, position, *entry) for position, entry in enumerate(result.defines))
            rows["suppressions"].extend(
                (result.path, position, *suppression) for position, suppression in enumerate(result.suppressions)
            )
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                self.connection.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
        return documents

    def diagnostics(self) -> Iterator[Diagnostic]:
        """Every file's own findings (cross-record findings are computed from the tables, see `opsbook.checks`)."""
        rows = self.connection.execute("SELECT path, diagnostics FROM files WHERE diagnostics != '[]' ORDER BY path")
        for path, encoded in rows:
            yield from decode_diagnostics(path, encoded)

    # --- documents --------------------------------------------------------------------------------------

    def _documents_connection(self) -> sqlite3.Connection:
        if self._documents is None:
            self._documents = _open_documents(self.folder)
        return self._documents

    def _put_documents(self, documents: list[tuple[bytes, bytes]]) -> None:
        if not documents:
            return
        try:
            connection = self._documents_connection()
            with connection:
                connection.executemany("INSERT OR IGNORE INTO documents VALUES (?, ?)", documents)
        except sqlite3.Error:
            self._drop_documents()

    def documents(self, digests: list[bytes]) -> dict[bytes, bytes]:
        """The documents (UTF-8) with these digests that are stored intact; missing or damaged ones are left
        out. Bytes, not text: they are checked as bytes, and JSON decoding and printing need no text."""
        found: dict[bytes, bytes] = {}
        try:
            connection = self._documents_connection()
            damaged = []
            for digest, data in rows_in(
                connection, "SELECT digest, CAST(json AS BLOB) FROM documents WHERE digest IN ({marks})", digests
            ):
                if isinstance(data, bytes) and digest_of(data) == digest:
                    found[digest] = data
                else:
                    damaged.append((digest,))
            if damaged:
                with connection:
                    connection.executemany("DELETE FROM documents WHERE digest = ?", damaged)
        except sqlite3.Error:
            self._drop_documents()
        return found

    def _drop_documents(self) -> None:
        """A documents database that SQLite cannot read is removed; the next run fills a new one."""
        if self._documents is not None:
            self._documents.close()
            self._documents = None
        if self.folder is not None:
            with contextlib.suppress(OSError):
                (self.folder / "documents.sqlite").unlink()

    def _collect_garbage(self) -> None:
        """Documents of earlier versions of files pile up; past twice the live ones, they are deleted."""
        if self._documents is None:
            return
        live = [
            row[0]
            for row in self.connection.execute(
                "SELECT document FROM files WHERE document IS NOT NULL UNION SELECT payload FROM derived"
            )
        ]
        with contextlib.suppress(sqlite3.Error):
            (total,) = self._documents.execute("SELECT count(*) FROM documents").fetchone()
            if total > 2 * len(live) + 100:
                with self._documents:
                    self._documents.execute("CREATE TEMP TABLE IF NOT EXISTS live(digest BLOB PRIMARY KEY)")
                    self._documents.execute("DELETE FROM live")
                    self._documents.executemany("INSERT OR IGNORE INTO live VALUES (?)", [(d,) for d in live])
                    self._documents.execute("DELETE FROM documents WHERE digest NOT IN (SELECT digest FROM live)")

    def close(self) -> None:
        self.connection.close()
        self._close_rows_file()
        if self._documents is not None:
            self._documents.close()


def rows_in(connection: sqlite3.Connection, query: str, keys: Sequence[Any]) -> Iterator[Any]:
    """The rows `query` gives for all of `keys`, asked a chunk at a time (SQLite caps the parameters of one
    statement): `{marks}` in `query` stands for one chunk's placeholders."""
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        yield from connection.execute(query.format(marks=",".join("?" * len(chunk))), chunk)


def _summary_rows(rows: dict[str, list[tuple[Any, ...]]], path: str, summary: RecordSummary) -> None:
    started_day = _ordinal(summary.started[:10]) if summary.started else None
    rows["records"].append(
        (
            path,
            summary.kind,
            summary.id,
            summary.valid,
            summary.line,
            summary.col,
            summary.title,
            summary.status,
            summary.visibility,
            summary.owner,
            summary.summary,
            _day(summary.last_reviewed),
            *(summary.reviewed_at or (None, None)),
            summary.review_interval_days,
            summary.needs_drills,
            _day(summary.last_drill),
            summary.severity,
            summary.in_metrics,
            summary.example,
            summary.started,
            summary.resolved,
            started_day,
            *(summary.times or (None,) * 5),
            summary.public_summary,
            summary.resolution,
        )
    )
    rows["classes"].extend((path, i, c) for i, c in enumerate(summary.classes))
    rows["refs"].extend(
        (path, i, ref.field, ref.target_kind, ref.target, ref.line, ref.col, ref.detail, ref.note)
        for i, ref in enumerate(summary.refs)
    )
    rows["action_items"].extend(
        (
            path,
            i,
            item.id,
            item.title,
            item.type,
            item.owner,
            item.priority,
            item.status,
            item.opened.toordinal(),
            _day(item.due),
            _day(item.closed),
            item.reason,
            item.link,
            item.line,
            item.col,
        )
        for i, item in enumerate(summary.action_items)
    )


def _readable(result: FileResult) -> bool:
    if result.role in ("runbook", "incident"):
        return result.summary is not None and result.summary.valid
    if result.role in ("config", "catalog"):
        return result.document is not None
    return True


def _day(value: Any) -> int | None:
    return value.toordinal() if value is not None else None


def _ordinal(text: str) -> int:
    import datetime as dt

    return dt.date.fromisoformat(text).toordinal()


def encode_diagnostics(diagnostics: list[Diagnostic]) -> str:
    return json.dumps(
        [[d.line, d.col, d.code, d.message, d.level.value, d.hint] for d in diagnostics], ensure_ascii=False
    )


def decode_diagnostics(path: str, encoded: str) -> Iterator[Diagnostic]:
    for line, col, code, message, level, hint in json.loads(encoded):
        yield Diagnostic(path, line, col, code, message, Level(level), hint)


def _secret_key(folder: Path) -> bytes:
    """The user's index key, created on first use; raises OSError when the cache folder is unusable."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "key"
    key = _read_private_file(path)
    if key is not None and len(key) == 32:
        return key
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    _write_private_file(path, os.urandom(32))
    key = _read_private_file(path)
    if key is None or len(key) != 32:
        raise OSError(f"cannot keep an index key in {folder}")
    return key


def _read_private_file(path: Path) -> bytes | None:
    """A regular file of this user's, read without following a symbolic link; None for anything else."""
    return _read_open_file(_open_private_file(path))


def _open_private_file(path: Path) -> int | None:
    """A descriptor of a regular file of this user's, opened without following a symbolic link; None for
    anything else."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
    except OSError:
        status = None
    if status is None or not stat.S_ISREG(status.st_mode) or status.st_uid != os.getuid():
        os.close(descriptor)
        return None
    return descriptor


def _read_open_file(descriptor: int | None) -> bytes | None:
    """The whole content of an open file, which is closed; None when it cannot be read."""
    if descriptor is None:
        return None
    try:
        with os.fdopen(descriptor, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _write_private_file(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _open_documents(folder: Path | None) -> sqlite3.Connection:
    if folder is None:
        connection = sqlite3.connect(":memory:")
    else:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / "documents.sqlite"
        if path.is_symlink() or (path.exists() and not path.is_file()):
            path.unlink()
        connection = sqlite3.connect(path, timeout=10)
        # A cache whose rows are checked against their digests on every read: a write cut short by a crash
        # costs a document (or the file, see `_drop_documents`), never a wrong answer, so no fsync per write.
        connection.execute("PRAGMA synchronous = OFF")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS documents(digest BLOB PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID"
    )
    connection.commit()
    return connection
