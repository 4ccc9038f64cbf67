"""A warm `opsbook check`: the last run's answer, brought up to date.

When opsbook.yml, the catalog, the docs pages, the working directory and the date are as they were,
only record files can have changed. Unchanged files keep their findings and changed ones are checked
again. The cross-record checks then run again only for the records an edit can have affected: the
changed records, the records they link or used to link to, the records naming their ids, the other
holders of those ids, and, when an id appeared or disappeared, every record with a dangling link
(its did-you-mean suggestion may change). Nothing here imports pydantic or YAML unless a record file
changed; anything else that changed means a full run, which still reuses unchanged files' results.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from opsbook.index.cache import UNKNOWN, Cache, Entry, RunState, Scope
from opsbook.records.diagnostics import Diagnostic
from opsbook.records.summary import RecordFacts, Row, from_row, to_row
from opsbook.index.scan import (
    CATALOG_NAMES,
    CONFIG_FILE,
    PARALLEL_THRESHOLD,
    FileOutcome,
    FileTask,
    discover,
    docs_pages,
    key_of,
    outside_root,
    task_for,
)
from opsbook.checks.freshness import today
from opsbook.checks.cross_record import (
    ID,
    KIND,
    REF_KIND,
    REF_TARGET,
    REFS,
    LinkIndex,
    Node,
    build_graph,
    index_diagnostics,
    record_links,
)
from opsbook.index.prefork import Checker
from opsbook.support.progress import Progress

Answer = tuple[list[Diagnostic], int]
"""Every finding, and the number of files checked."""


def check_with_cache(root: Path, *, jobs: int | None, progress: Progress | None, checker: Checker | None) -> Answer:
    """`checker`, when given, is a pre-forked child for checking changed files; this function disposes of it."""
    try:
        cache = Cache.open(root)
        answer = _recheck(root, cache, jobs, progress, checker)
        if answer is None:
            if checker is not None:
                checker.cancel()
            answer = _full_check(root, cache, jobs, progress)
        cache.save()
    finally:
        if checker is not None:
            checker.cancel()
    return answer


def side_inputs(root: Path, catalog: str, docs: str) -> tuple[tuple[str, int, int], ...]:
    """Size and modification time of every input besides the record files."""
    paths = [root / CONFIG_FILE, *(root / catalog / name for name in CATALOG_NAMES), *docs_pages(root / docs)]
    stamps = []
    for path in paths:
        try:
            status = os.stat(path)
            stamps.append((str(path), status.st_size, status.st_mtime_ns))
        except OSError:
            stamps.append((str(path), -1, -1))
    return tuple(stamps)


def _full_check(root: Path, cache: Cache, jobs: int | None, progress: Progress | None) -> Answer:
    from opsbook.index.knowledge import load_knowledge_base

    kb = load_knowledge_base(root, keep_records=False, jobs=jobs, cache=cache, progress=progress)
    assert kb.link_context is not None
    paths = kb.config.paths
    max_bytes = kb.config.limits.max_file_bytes
    keys = tuple(key_of(found, max_bytes) for found in kb.found)
    for key, outcome in zip(keys, kb.outcomes, strict=True):
        cache.set_links(key, tuple(outcome.links))
    scope = Scope(
        runbooks=paths.runbooks,
        incidents=paths.incidents,
        catalog=paths.catalog,
        docs=paths.docs,
        max_bytes=max_bytes,
        workflow_ids=tuple(kb.workflow_ids),
        catalog_files=sum(1 for _ in kb.catalog_files()),
        context=kb.link_context,
    )
    cache.remember(
        RunState(
            cwd=os.getcwd(),
            inputs=side_inputs(root, paths.catalog, paths.docs),
            scope=scope,
            keys=keys,
            outside=frozenset(
                key for key, found in zip(keys, kb.found, strict=True) if found.is_link and outside_root(found, root)
            ),
            side=tuple(kb.diagnostics),
            overall=tuple(kb.index_diagnostics),
        )
    )
    return kb.all_diagnostics, kb.files_checked


def _recheck(
    root: Path, cache: Cache, jobs: int | None, progress: Progress | None, checker: Checker | None
) -> Answer | None:
    run = cache.run
    if run is None or run.cwd != os.getcwd() or run.scope.context.on != today():
        return None
    scope = run.scope
    if side_inputs(root, scope.catalog, scope.docs) != run.inputs:
        return None
    found_files = discover(root, scope.runbooks, scope.incidents)
    keys = tuple(key_of(found, scope.max_bytes) for found in found_files)
    entries: list[Entry | None] = []
    outside: dict[int, FileOutcome] = {}
    tasks: dict[int, FileTask] = {}
    for position, (key, found) in enumerate(zip(keys, found_files, strict=True)):
        entry = None
        outcome = outside_root(found, root) if found.is_link else None
        if outcome is not None:
            outside[position] = outcome
            cache.forget(key)
        else:
            entry = cache.lookup(key, found, scope.max_bytes)
            if entry is None:
                tasks[position] = task_for(found, scope.max_bytes, keep_record=False)
        entries.append(entry)
    if frozenset(keys[position] for position in outside) != run.outside:
        return None  # a record appeared or vanished without its file changing
    overall = run.overall
    if tasks or keys != run.keys:
        pending = list(tasks.values())
        received: list[FileOutcome] | None = [] if not pending else None
        if checker is not None and pending and len(pending) < PARALLEL_THRESHOLD:
            checker.send(pending)
            received = checker.receive(len(pending))
        if received is None:
            from opsbook.index.knowledge import check_files

            received = list(check_files(pending, jobs, progress))
        if keys != run.keys or not _moved_only(cache, run, keys, entries, tasks, received):
            if not cache.load_facts():
                return None
            overall = _update(cache, run, keys, entries, tasks, received)
        cache.remember(run._replace(keys=keys, overall=overall))
    findings = [d for o in outside.values() for d in o.diagnostics]
    findings += [d for entry in entries if entry is not None for d in (*entry.diagnostics, *entry.links)]
    return [*findings, *run.side, *overall], len(found_files) + scope.catalog_files


def _update(
    cache: Cache,
    run: RunState,
    keys: tuple[str, ...],
    entries: list[Entry | None],
    tasks: dict[int, FileTask],
    outcomes: Iterable[FileOutcome],
) -> tuple[Diagnostic, ...]:
    """Take in the changed files' outcomes, re-run the cross-record checks they can affect; return the new
    findings about the whole knowledge base.

    When the set of files is unchanged (an edit, not an addition or a removal), the link index is built
    from the old facts and then patched.
    """
    known = set(run.keys)
    gone = (known - set(keys)) | {keys[position] for position in tasks}
    before = [row for key in gone if key in cache.entries and (row := cache.link_row(key))]
    added = [position for position, key in enumerate(keys) if key not in known]
    rows = [
        cache.link_row(key) if entry is not None or position in tasks else None
        for position, (key, entry) in enumerate(zip(keys, entries, strict=True))
    ]
    fresh: dict[int, Row | None] = {}

    def load(position: int) -> RecordFacts:
        row = fresh[position] if position in fresh else cache.facts(keys[position])
        assert row is not None
        return from_row(row)

    same_files = keys == run.keys
    graph = build_graph(rows, run.scope.workflow_ids, load) if same_files else None
    by_path = {task.display: position for position, task in tasks.items()}
    for outcome in outcomes:
        position = by_path[outcome.path]
        entries[position] = cache.store(outcome) or Entry.of(UNKNOWN, None, outcome)
        row = to_row(outcome.facts) if outcome.facts is not None else None
        rows[position] = fresh[position] = row
        if graph is not None:
            graph.replace(position, row)
    if graph is None:
        graph = build_graph(rows, run.scope.workflow_ids, load)

    dangling = (position for position, entry in enumerate(entries) if _has_dangling(entry))
    for position in _affected(graph, sorted({*tasks, *added}), before, dangling):
        entry = entries[position]
        if entry is None or graph.records[position] is None:
            continue
        links = tuple(record_links(position, graph, run.scope.context))
        if entry.links != links:
            entries[position] = entry._replace(links=links)
            cache.set_links(keys[position], links)
    return tuple(index_diagnostics(graph, run.scope.context))


def _moved_only(
    cache: Cache,
    run: RunState,
    keys: tuple[str, ...],
    entries: list[Entry | None],
    tasks: dict[int, FileTask],
    outcomes: list[FileOutcome],
) -> bool:
    """Take in edits that leave everything the cross-record checks read unchanged but positions; False, with
    nothing taken in, if any edit does more.

    Such an edit changes no other record's findings, and moves this record's own to the new positions of
    the id, reference or action item they point to. The common case: fixing a typo in a summary.
    """
    by_path = {task.display: position for position, task in tasks.items()}
    moved: list[tuple[int, FileOutcome, tuple[Diagnostic, ...]]] = []
    for outcome in outcomes:
        position = by_path[outcome.path]
        old = cache.entries.get(keys[position])
        new = Entry.of(UNKNOWN, None, outcome)
        if old is None or old.semantics != new.semantics or any(d.path == old.path for d in run.overall):
            return False
        links = _moved(old, new.anchors)
        if links is None:
            return False
        moved.append((position, outcome, links))
    for position, outcome, links in moved:
        outcome.links = list(links)
        entries[position] = cache.store(outcome) or Entry.of(UNKNOWN, None, outcome)
    return True


def _moved(old: Entry, anchors: tuple[tuple[int, int], ...]) -> tuple[Diagnostic, ...] | None:
    if len(anchors) != len(old.anchors):
        return None
    where = {anchor: index for index, anchor in enumerate(old.anchors)}
    links = []
    for finding in old.links:
        index = where.get((finding.line, finding.col))
        if index is None:
            return None
        line, col = anchors[index]
        links.append(replace(finding, line=line, col=col))
    return tuple(links)


def _has_dangling(entry: Entry | None) -> bool:
    return entry is not None and any(d.code == "dangling-ref" for d in entry.links)


def _affected(graph: LinkIndex, changed: list[int], before: list[Row], dangling: Iterable[int]) -> set[int]:
    """Positions of the records whose cross-record findings an edit can have changed."""
    now = [row for position in changed if (row := graph.records[position]) is not None]
    ids_before = {(row[KIND], row[ID]) for row in before}
    ids_after = {(row[KIND], row[ID]) for row in now}
    affected = set(changed)
    targets: set[Node] = set()
    for row in [*before, *now]:
        targets.update(_targets(row))
    for node in ids_before | ids_after:
        affected.update(graph.holders(node))
        affected.update(position for position, _ in graph.incoming.get(node, []))
    for node in targets:
        affected.update(graph.holders(node))
    if ids_before != ids_after:
        affected.update(dangling)
    return affected


def _targets(row: Row) -> Iterable[Node]:
    return ((ref[REF_KIND], ref[REF_TARGET]) for ref in (row[REFS] if row else ()))
