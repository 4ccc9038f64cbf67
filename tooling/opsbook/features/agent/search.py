"""Full-text search over a knowledge base's valid records: SQLite's FTS5, in memory, ranked by BM25.

Why FTS5: it ships with Python's `sqlite3` (no new dependency), ranks with BM25 and per-column weights,
stems English (the `porter` tokenizer), answers in a few milliseconds at ten thousand records, and a
changed record is one delete and one insert. The text searched: a runbook's id, title, summary,
symptoms, signatures, keywords, providers and step actions; an incident's id, title and summary (the
index keeps incidents' other fields only on demand).

The search database itself is kept in the knowledge index (`keep`, as a SQLite image of about 14 MB at ten
thousand records) with the digest of each record file it holds, so a server starts by loading it and
taking in only the files whose digest differs, instead of reading every record's text and indexing it
again (about 0.1 s of reading, then 0.35 s of indexing).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

_WORD = re.compile(r"\w+")
KEPT_AS, KEPT_FORMAT = "search", "2"
"""The search is kept in the index under this name, for this layout of its tables."""
TITLE_WEIGHT, BODY_WEIGHT = 4.0, 1.0
MAX_UPDATE = 500
"""More changed files than this (a branch switch) rebuild the whole search."""


class Hit(NamedTuple):
    path: str
    kind: str
    excerpt: str


class RecordSearch:
    def __init__(self, image: bytes | None = None) -> None:
        # Used by one thread at a time: the builder (see `build`), then the caller.
        self.connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._builder: threading.Thread | None = None
        self.changed = image is None
        """Whether it holds records the index does not keep yet (see `keep`)."""
        if image is not None:
            self.connection.deserialize(image)
            return
        self.connection.execute(
            """CREATE VIRTUAL TABLE search USING fts5(
                   path UNINDEXED, kind UNINDEXED, visibility UNINDEXED, classes UNINDEXED, title, body,
                   tokenize = 'porter unicode61 remove_diacritics 2')"""
        )
        # the digest of each record file as the search holds it: what changed since is what differs
        self.connection.execute("CREATE TABLE sources(path TEXT PRIMARY KEY, digest BLOB) WITHOUT ROWID")

    @classmethod
    def build(cls, index: KnowledgeIndex, *, background: bool = False) -> RecordSearch:
        """The search over every valid record: the one the index keeps, brought up to date with the files
        that changed since it was kept, or a new one. With `background`, a new one's text is read from the
        index now and indexed on another thread (SQLite releases the interpreter while it tokenizes: that
        is time a server spends importing the MCP SDK meanwhile); the first use waits for it."""
        kept = index.kept(KEPT_AS, KEPT_FORMAT)
        if kept is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                search = cls(kept)
                held = dict(search.connection.execute("SELECT path, digest FROM sources"))
                current = _sources(index, None)
                changed = {path for path in held.keys() | current.keys() if held.get(path) != current.get(path)}
                if changed:
                    search.update(index, changed)
                return search
        search = cls()
        rows = _runbook_rows(index, None) + _incident_rows(index, None)
        sources = list(_sources(index, None).items())
        if background:
            search._builder = threading.Thread(target=search._insert, args=(rows, sources), name="opsbook-search")
            search._builder.start()
        else:
            search._insert(rows, sources)
        return search

    def wait(self) -> None:
        """Until the background build (if any) is done."""
        if self._builder is not None:
            self._builder.join()
            self._builder = None

    def keep(self, index: KnowledgeIndex) -> None:
        """Store the search in the index for the next server, if it changed since it was kept."""
        if self.changed:
            self.wait()
            index.keep(KEPT_AS, KEPT_FORMAT, self.connection.serialize())
            self.changed = False

    def update(self, index: KnowledgeIndex, paths: set[str]) -> None:
        """Take in the records at `paths` as they are now (changed, added or gone)."""
        self.wait()
        self.changed = True
        wanted = sorted(paths) if len(paths) <= MAX_UPDATE else None
        self.connection.execute("BEGIN")
        if wanted is None:
            self.connection.execute("DELETE FROM search")
            self.connection.execute("DELETE FROM sources")
        else:
            self.connection.executemany("DELETE FROM search WHERE path = ?", [(p,) for p in wanted])
            self.connection.executemany("DELETE FROM sources WHERE path = ?", [(p,) for p in wanted])
        self.connection.execute("COMMIT")
        rows = _runbook_rows(index, wanted) + _incident_rows(index, wanted)
        self._insert(rows, list(_sources(index, wanted).items()))

    def _insert(self, rows: list[tuple[str, ...]], sources: list[tuple[str, bytes | None]]) -> None:
        self.connection.execute("BEGIN")
        self.connection.executemany("INSERT INTO search VALUES (?, ?, ?, ?, ?, ?)", rows)
        self.connection.executemany("INSERT INTO sources VALUES (?, ?)", sources)
        self.connection.execute("COMMIT")

    def search(self, query: str, *, kind: str | None, failure_class: str | None, public: bool, limit: int) -> list[Hit]:
        """The best `limit` records for `query` (any of its words; more and rarer words rank higher)."""
        self.wait()
        words = list(dict.fromkeys(_WORD.findall(query.lower())))
        if not words:
            return []
        match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words[:64])
        conditions, parameters = ["search MATCH ?"], [match]
        if kind is not None:
            conditions.append("kind = ?")
            parameters.append(kind)
        if failure_class is not None:
            conditions.append("classes LIKE ?")
            parameters.append(f"% {failure_class} %")
        if public:
            conditions.append("visibility = 'public'")
        rank = f"bm25(search, 0, 0, 0, 0, {TITLE_WEIGHT}, {BODY_WEIGHT})"
        rows = self.connection.execute(
            f"""SELECT path, kind, snippet(search, 5, '', '', '…', 24) FROM search
                WHERE {" AND ".join(conditions)} ORDER BY {rank} LIMIT ?""",
            [*parameters, limit],
        )
        return [Hit(*row) for row in rows]


def _sources(index: KnowledgeIndex, paths: list[str] | None) -> dict[str, bytes | None]:
    """The content digest of every runbook and incident file (or of those at `paths`), valid or not."""
    return dict(
        index.connection.execute(
            f"SELECT path, digest FROM files WHERE role IN ('runbook', 'incident') {_among('path', paths)}",
            paths or [],
        )
    )


def _runbook_rows(index: KnowledgeIndex, paths: list[str] | None) -> list[tuple[str, ...]]:
    documents = index.connection.execute(
        f"""SELECT f.path, f.document FROM files f JOIN records r ON r.path = f.path
            WHERE r.kind = 'runbook' AND r.valid {_among("f.path", paths)} ORDER BY f.path""",
        paths or [],
    ).fetchall()
    visibility = dict(index.connection.execute("SELECT path, visibility FROM records WHERE kind = 'runbook'"))
    texts = _runbook_texts(index, [path for path, _ in documents])
    return [
        (path, "runbook", visibility[path], f" {failure_class} ", title, body)
        for path, (failure_class, title, body) in texts.items()
    ]


def _runbook_texts(index: KnowledgeIndex, paths: list[str]) -> dict[str, tuple[str, str, str]]:
    texts = {}
    for path, record in index.documents(paths).items():
        steps = [step["action"] for section in ("diagnosis", "mitigation", "verification") for step in record[section]]
        body: list[Any] = [
            record["summary"],
            *record["symptoms"],
            *record["signatures"],
            *record["keywords"],
            *record["applicability"]["providers"],
            *steps,
        ]
        texts[path] = (record["failure_class"], f"{record['id']} {record['title']}", "\n".join(body))
    return texts


def _incident_rows(index: KnowledgeIndex, paths: list[str] | None) -> list[tuple[str, ...]]:
    classes: dict[str, list[str]] = {}
    for path, failure_class in index.connection.execute(
        f"SELECT path, class FROM classes WHERE 1 {_among('path', paths)} ORDER BY path, position", paths or []
    ):
        classes.setdefault(path, []).append(failure_class)
    rows = index.connection.execute(
        f"""SELECT path, visibility, id, title, summary FROM records
            WHERE kind = 'incident' AND valid {_among("path", paths)}""",
        paths or [],
    )
    return [
        (path, "incident", visibility, f" {' '.join(classes.get(path, []))} ", f"{record_id} {title}", summary or "")
        for path, visibility, record_id, title, summary in rows
    ]


def _among(column: str, paths: list[str] | None) -> str:
    return "" if paths is None else f"AND {column} IN ({','.join('?' * len(paths))})"
