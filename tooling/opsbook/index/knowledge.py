"""One knowledge base as every command sees it: the stored index, brought up to date when opened.

Opening compares every file's stamp with the stored one and checks again only the files that changed
(see `needs_check`); unchanged files keep their stored findings, summaries and data. Commands then
query the index's tables through `connection` (see `opsbook.index.store.SCHEMA` and `ROWS_SCHEMA`) or
load records' full data from it. The records' rows are read from disk the first time `connection` is
used or a file changed; an answer that needs only the files' findings and kept results never reads them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar

from opsbook.index.prefork import Checker
from opsbook.index.root import CONFIG_FILE
from opsbook.index.scan import Input, scan, scan_paths
from opsbook.index.store import Store, Stored, rows_in
from opsbook.index.workers import check_all
from opsbook.records.diagnostics import Diagnostic
from opsbook.records.files import UNKNOWN, FileResult, FileTask, Role, Stamp, digest_of
from opsbook.support.progress import Progress

if TYPE_CHECKING:
    from pydantic import BaseModel

    from opsbook.records.models import Config, Incident, Runbook

Model = TypeVar("Model", bound="BaseModel")

RACY_NS = 2_000_000_000
"""A file changed this close before its stamp was taken may change again within the same clock tick
without its stamp changing (git's "racily clean" files): its content is compared until it is older."""
DEFAULT_MAX_BYTES = 1 << 20


class Resident(Protocol):
    def __call__(self, root: Path, jobs: int | None, progress: Progress | None) -> KnowledgeIndex | None: ...


class KnowledgeIndex:
    """The knowledge base at `root`, up to date as of `open`; `close` (or leaving a `with` block) keeps the
    index for the next command."""

    resident: ClassVar[Resident | None] = None
    """Set in a process that keeps one index open for many commands (`opsbook.daemon.server`): `open` asks it
    first, and it gives its index of `root`, brought up to date, or None for another knowledge base."""

    def __init__(self, root: Path, store: Store) -> None:
        self.root = root
        self.store = store
        self.rechecked = 0
        """How many files were checked again when the index was opened."""
        self.previous_ids: dict[str, tuple[str, str]] = {}
        """(kind, id) of the records that files checked again or removed held before this refresh."""
        self._config: Config | None = None
        self.links: set[str] = set()
        """Paths of the symbolic links among the files (from the last whole scan, kept up by targeted ones): a
        targeted refresh looks at them too, since their targets can change without any event on the link."""
        self.kept_open = False
        """True while a resident process owns the index: `close` leaves it open (the process saves it)."""

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        persistent: bool = True,
        jobs: int | None = None,
        progress: Progress | None = None,
        checker: Checker | None = None,
    ) -> KnowledgeIndex:
        """The index of `root`, with every changed file checked again. `persistent=False` neither reads nor
        writes the stored index (every file is checked). Takes charge of `checker` (see `check_all`)."""
        root = Path(os.path.abspath(root))
        if persistent and cls.resident is not None:
            kept = cls.resident(root, jobs, progress)
            if kept is not None:
                if checker is not None:
                    checker.cancel()
                return kept
        index = cls(root, Store.open(root, persistent=persistent))
        try:
            index._refresh(jobs, progress, checker)
        except BaseException:
            index.store.close()
            raise
        finally:
            if checker is not None:
                checker.cancel()
        return index

    @property
    def connection(self) -> sqlite3.Connection:
        """The index's tables, the records' rows (`ROWS_SCHEMA`) included (see `read_rows`)."""
        self.read_rows()
        return self.store.connection

    def read_rows(self) -> None:
        """Read the records' rows, if not done yet. Rows found missing or damaged on disk are made again: the
        index starts over and every file is checked again."""
        if not self.store.load_rows():
            self._config = None
            self._refresh(jobs=1, progress=None, checker=None)

    @property
    def file_tables(self) -> sqlite3.Connection:
        """The tables of `SCHEMA` alone (files, their findings, the catalog, suppressions), without reading the
        records' rows: for a query that needs nothing else (before the rows are read, a query of them fails)."""
        return self.store.connection

    def __enter__(self) -> KnowledgeIndex:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- bringing the index up to date ------------------------------------------------------------------

    def refresh(
        self, *, jobs: int | None = 1, progress: Progress | None = None, paths: Collection[str] | None = None
    ) -> set[str]:
        """Check again the files that changed since the index was opened or last refreshed (for a process that
        keeps the index open, such as the MCP server); the paths checked again or gone. `paths`: only these
        files may have changed (a folder watch saw them), so only they are looked at."""
        return self._refresh(jobs, progress, checker=None, only=paths)

    def _refresh(
        self, jobs: int | None, progress: Progress | None, checker: Checker | None, only: Collection[str] | None = None
    ) -> set[str]:
        changed = {CONFIG_FILE} if self._refresh_config() else set()
        settings = self.settings
        max_bytes = settings["limits"]["max_file_bytes"]
        if self.store.meta("max_file_bytes") != str(max_bytes):
            if not self.store.load_rows():
                return self._refresh(jobs, progress, checker)  # the index started over: every file is checked
            self.store.remove(self.store.paths(roles=("runbook", "incident")))
            self.store.set_meta("max_file_bytes", str(max_bytes))
            only = None
        targeted = (
            scan_paths(self.root, settings["paths"], {*only, *self.links}) if only is not None and not changed else None
        )
        now = time.time_ns()
        if targeted is not None:
            unsettled, absent = targeted
            self.links.difference_update([*absent, *(item.path for item in unsettled)])
            self.links.update(item.path for item in unsettled if item.linked)
            stored_absent = self.store.stored(absent)
            gone = [path for path in absent if path in stored_absent]
        else:
            everything = scan(self.root, settings["paths"])
            self.links = {item.path for item in everything if item.linked}
            inputs = [item for item in everything if item.role != "config"]
            # Most files are settled (their stamp is what it was when their content was last compared, and
            # older than a clock tick); comparing those as plain tuples keeps a warm run cheap.
            settled = self.store.settled(RACY_NS)
            unsettled = [item for item in inputs if item[:5] not in settled or item.unread is not None]
            if not unsettled and self.store.file_count() == len(inputs) + 1:
                gone = []  # every file present is stored, and as many files are stored as are present
            else:
                present = {item.path for item in inputs}
                present.add(CONFIG_FILE)
                gone = [path for path in self.store.paths() if path not in present]
        stored = self.store.stored([item.path for item in unsettled])
        tasks: list[FileTask] = []
        unread: list[FileResult] = []
        for item in unsettled:
            entry = stored.get(item.path)
            if item.unread is not None:
                if entry is None or entry.stamp != item.stamp or entry.digest is not None:
                    unread.append(FileResult(item.path, item.role, item.stamp, None, [item.unread]))
            elif needs_check(item, entry, now, self.store):
                tasks.append(FileTask(item.absolute, item.path, item.role, max_bytes, item.role != "incident"))
        if (gone or tasks or unread) and not self.store.load_rows():
            return self._refresh(jobs, progress, checker)  # the index started over: every file is checked
        self.previous_ids.update(self.store.record_ids([*gone, *(task.path for task in tasks)]))
        self.store.remove(gone)
        self.store.put(unread + check_all(tasks, jobs=jobs, progress=progress, checker=checker), now)
        self.rechecked += len(tasks)
        return changed | set(gone) | {task.path for task in tasks} | {result.path for result in unread}

    def _refresh_config(self) -> bool:
        """opsbook.yml first: where the other files are depends on it. Whether it was checked again."""
        path = self.root / CONFIG_FILE
        item = Input(CONFIG_FILE, "config", *_stamp_of(path), str(path))
        now = time.time_ns()
        entry = self.store.stored([CONFIG_FILE]).get(CONFIG_FILE)
        absent = item.stamp == UNKNOWN and not path.exists()
        if self.store.meta("settings") is not None and entry is not None:
            if absent and entry.stamp == UNKNOWN and entry.digest is None:
                return False
            if not absent and not needs_check(item, entry, now, self.store):
                return False
        from opsbook.records.check_file import check_file
        from opsbook.records.models import Config

        if absent:
            result = FileResult(CONFIG_FILE, "config", UNKNOWN, None, [])
        else:
            result = check_file(FileTask(item.absolute, CONFIG_FILE, "config", DEFAULT_MAX_BYTES))
            if any(d.code == "empty-file" for d in result.diagnostics):
                result.diagnostics = []
        self.store.load_rows()  # had they to start over, the index is now empty: the configuration is its first file
        self.store.put([result], now)
        self.store.set_meta("settings", result.document or Config().model_dump_json())
        self._config = None
        self.rechecked += 1
        return True

    # --- what commands read -----------------------------------------------------------------------------

    @property
    def settings(self) -> dict[str, Any]:
        """opsbook.yml as validated JSON, its defaults filled in (the defaults alone when it is invalid)."""
        text = self.store.meta("settings")
        assert text is not None
        settings: dict[str, Any] = json.loads(text)
        return settings

    def config(self) -> Config:
        if self._config is None:
            from opsbook.records.models import Config

            self._config = Config.model_validate(self.settings)
        return self._config

    def file_diagnostics(self) -> list[Diagnostic]:
        """Every file's own findings."""
        return list(self.store.diagnostics())

    def files_checked(self) -> int:
        (count,) = self.file_tables.execute(
            "SELECT count(*) FROM files WHERE role IN ('runbook', 'incident', 'catalog')"
        ).fetchone()
        return int(count)

    def documents(self, paths: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The full validated data of the files at `paths` that have it (valid records, the configuration
        and catalog files), by path. An incident's data is kept only once a command asks for it: checking
        ten thousand incidents needs none of it."""
        wanted = list(paths)
        digests = self._document_digests(wanted)
        texts = self.store.documents([digest for digest in digests.values() if digest is not None])
        missing = [path for path, digest in digests.items() if digest not in texts]
        if missing:
            self._recheck(missing)
            digests = self._document_digests(wanted)
            texts = self.store.documents([digest for digest in digests.values() if digest is not None])
        return {path: json.loads(texts[digest]) for path, digest in digests.items() if digest in texts}

    def _document_digests(self, paths: list[str]) -> dict[str, bytes | None]:
        """The document digest of each file at `paths` that has valid data (None: not kept yet)."""
        query = """SELECT f.path, f.document FROM files f LEFT JOIN records r ON r.path = f.path
                   WHERE f.path IN ({marks}) AND (r.valid OR (f.role IN ('config', 'catalog')
                         AND f.document IS NOT NULL))"""
        found: dict[str, bytes | None] = dict(rows_in(self.connection, query, paths))
        return {path: found[path] for path in paths if path in found}

    def _recheck(self, paths: list[str]) -> None:
        max_bytes = self.settings["limits"]["max_file_bytes"]
        roles: dict[str, Role] = dict(
            rows_in(self.connection, "SELECT path, role FROM files WHERE path IN ({marks})", paths)
        )
        tasks = [FileTask(str(self.root / path), path, roles[path], max_bytes) for path in paths]
        self.store.put(check_all(tasks, jobs=None, progress=None, checker=None), time.time_ns())

    def record_paths(self, kind: Literal["runbook", "incident"], *, where: str = "") -> list[str]:
        """Paths of the valid records of `kind`, by path; `where` narrows them with SQL over `records`."""
        query = f"SELECT path FROM records WHERE kind = ? AND valid {('AND ' + where) if where else ''} ORDER BY path"
        return [row[0] for row in self.connection.execute(query, (kind,))]

    def record_path(self, kind: Literal["runbook", "incident"], record_id: str) -> str | None:
        """Path of the record of `kind` with `record_id`, valid or not (the first by path if several)."""
        query = "SELECT path FROM records WHERE kind = ? AND id = ? ORDER BY path LIMIT 1"
        row = self.connection.execute(query, (kind, record_id)).fetchone()
        return str(row[0]) if row else None

    def runbooks(self, paths: Iterable[str] | None = None) -> dict[str, Runbook]:
        """Valid runbooks (all, or those at `paths`) by path."""
        from opsbook.records.models import Runbook

        return self._models(Runbook, self.record_paths("runbook") if paths is None else list(paths))

    def incidents(self, paths: Iterable[str] | None = None) -> dict[str, Incident]:
        """Valid incidents (all, or those at `paths`) by path."""
        from opsbook.records.models import Incident

        return self._models(Incident, self.record_paths("incident") if paths is None else list(paths))

    def _models(self, model: type[Model], paths: list[str]) -> dict[str, Model]:
        return {path: model.model_validate(data) for path, data in self.documents(paths).items()}

    def catalog_document(self, name: str) -> dict[str, Any] | None:
        """A catalog file's validated data as JSON, or None when it is absent or invalid."""
        path = f"{self.settings['paths']['catalog'].strip('/')}/{name}"
        return self.documents([path]).get(path)

    def catalog(self, name: str, model: type[Model]) -> Model | None:
        """A catalog file's validated data, or None when it is absent or invalid."""
        data = self.catalog_document(name)
        return model.model_validate(data) if data is not None else None

    @property
    def generation(self) -> str:
        """Changes whenever any file's findings or data change: a key for results derived from many rows."""
        return self.store.generation

    def derived(self, name: str, inputs: str, compute: Callable[[], str]) -> bytes:
        """A result computed from many rows (as UTF-8), kept until `inputs` (a digest of what it reads)
        changes. Bytes: most are JSON for `json.loads`, and the largest, the export, is printed as is."""
        stored = self.kept(name, inputs)
        if stored is not None:
            return stored
        payload = compute().encode()
        self.keep(name, inputs, payload)
        return payload

    def kept(self, name: str, inputs: str) -> bytes | None:
        """What `keep` stored under `name`, if it was stored for these `inputs`."""
        return self.store.derived(name, inputs)

    def keep(self, name: str, inputs: str, payload: bytes) -> None:
        """Store a result computed from `inputs` (see `derived`), for the next command."""
        self.store.set_derived(name, inputs, payload)

    def distrust(self) -> None:
        """After a refresh may have stopped part-way: undo a write left half made, and forget the settings and
        every derived result (one may describe rows as they were), for the next refresh to compute again."""
        self.store.abandon()
        self._config = None

    def close(self) -> None:
        """Keep what changed (see `Store.save`) and let go of the databases."""
        if self.kept_open:
            return
        self.store.save()
        self.store.close()


def needs_check(item: Input, entry: Stored | None, now_ns: int, store: Store) -> bool:
    """Whether a file must be checked again; a file whose stamp changed but not its content is restamped."""
    if entry is None or entry.role != item.role or item.stamp == UNKNOWN or entry.digest is None:
        return True
    stored_stamp = entry.stamp
    recent = entry.checked_ns - item.stamp.mtime_ns < RACY_NS
    if item.stamp == stored_stamp and not recent:
        return False
    try:
        with open(item.absolute, "rb") as handle:
            status = os.fstat(handle.fileno())  # before reading: a later write changes it
            content = handle.read(entry.size + 1)
    except OSError:
        return True
    if len(content) != entry.size or digest_of(content) != entry.digest:
        return True
    stamp = Stamp(status.st_size, status.st_mtime_ns, status.st_ctime_ns)
    if stamp != stored_stamp or now_ns - stamp.mtime_ns >= RACY_NS:
        store.restamp(item.path, stamp, now_ns)
    return False


def _stamp_of(path: Path) -> Stamp:
    try:
        status = os.stat(path)
    except OSError:
        return UNKNOWN
    return Stamp(status.st_size, status.st_mtime_ns, status.st_ctime_ns)
