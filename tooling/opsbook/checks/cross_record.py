"""Checks across records, run over the knowledge index's tables on every command that checks.

Duplicate ids, dangling and self references, orphan runbooks, staleness and missing drills, review dates
in the future, overdue follow-ups of gated priorities (examples' follow-ups are examples: never overdue),
runbooks that replace each other in a cycle, and failure classes with no active runbook. They are queries
over a few tables (`opsbook.index.store.SCHEMA`), so running all of them on ten thousand records takes
milliseconds and no bookkeeping of what an edit can affect is needed: every run computes them afresh
from the current index.

Each finding carries `subjects`, the records it is about, so that `opsbook check FILE` can report the
findings an edit of FILE causes in other files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import astuple
from typing import TYPE_CHECKING, NamedTuple

from opsbook.checks.deadlines import action_states
from opsbook.checks.freshness import DrillState, runbook_freshness
from opsbook.index.root import CONFIG_FILE
from opsbook.records.diagnostics import Diagnostic, Level, did_you_mean

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

FAILURE_CLASSES = ("auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy")

Subject = tuple[str, str]
"""A record or catalog entry a finding is about: (kind, id)."""


class Finding(NamedTuple):
    diagnostic: Diagnostic
    subjects: frozenset[Subject]


def cross_record_findings(index: KnowledgeIndex, on: dt.date) -> list[Finding]:
    """Every cross-record finding; kept in the index until a file changes or the day does."""
    stored = index.derived(
        "cross-record", f"{index.generation}:{on.isoformat()}", lambda: _encode(_findings(index, on))
    )
    return _decode(stored)


def _encode(findings: list[Finding]) -> str:
    return json.dumps(
        [[*astuple(f.diagnostic), sorted(f.subjects)] for f in findings],
        ensure_ascii=False,
    )


def _decode(text: bytes) -> list[Finding]:
    return [
        Finding(Diagnostic(path, line, col, code, message, Level(level), hint), frozenset(map(tuple, subjects)))
        for path, line, col, code, message, level, hint, subjects in json.loads(text)
    ]


def _findings(index: KnowledgeIndex, on: dt.date) -> list[Finding]:
    return [
        *_duplicate_ids(index),
        *_references(index),
        *_orphans(index),
        *_freshness(index, on),
        *_future_reviews(index, on),
        *_overdue(index, on),
        *_deprecation_cycles(index),
        *_class_coverage(index),
    ]


def _finding(
    path: str,
    line: int,
    col: int,
    code: str,
    message: str,
    subjects: set[Subject],
    level: Level = Level.ERROR,
    hint: str | None = None,
) -> Finding:
    return Finding(Diagnostic(path, line, col, code, message, level, hint), frozenset(subjects))


def _duplicate_ids(index: KnowledgeIndex) -> Iterator[Finding]:
    for path, line, col, kind, record_id, first in index.connection.execute(
        """SELECT r.path, r.line, r.col, r.kind, r.id,
                  (SELECT min(o.path) FROM records o WHERE o.kind = r.kind AND o.id = r.id)
           FROM records r
           WHERE EXISTS (SELECT 1 FROM records o WHERE o.kind = r.kind AND o.id = r.id AND o.path < r.path)"""
    ):
        yield _finding(
            path, line, col, "duplicate-id", f"{kind} id {record_id!r} is also used by {first}", {(kind, record_id)}
        )


def _references(index: KnowledgeIndex) -> Iterator[Finding]:
    ids: dict[str, list[str]] = {}
    for path, line, col, field, target_kind, target, kind, record_id in index.connection.execute(
        """SELECT f.path, f.line, f.col, f.field, f.target_kind, f.target, r.kind, r.id
           FROM refs f JOIN records r ON r.path = f.path
           WHERE (f.target_kind = r.kind AND f.target = r.id)
              OR (NOT EXISTS (SELECT 1 FROM records t WHERE t.kind = f.target_kind AND t.id = f.target)
                  AND NOT EXISTS (SELECT 1 FROM catalog c WHERE c.kind = f.target_kind AND c.id = f.target))"""
    ):
        subjects = {(kind, record_id), (target_kind, target)}
        if target_kind == kind and target == record_id:
            yield _finding(path, line, col, "self-ref", f"{field} refers to this {kind} itself", subjects)
            continue
        if target_kind not in ids:
            table = "catalog" if target_kind == "workflow" else "records"
            ids[target_kind] = [
                row[0]
                for row in index.connection.execute(f"SELECT DISTINCT id FROM {table} WHERE kind = ?", (target_kind,))
            ]
        catalog = index.settings["paths"]["catalog"].strip("/")
        where = f"{catalog}/workflows.yaml" if target_kind == "workflow" else f"any {target_kind}"
        yield _finding(
            path,
            line,
            col,
            "dangling-ref",
            f"{field}: {target_kind} {target!r} does not exist in {where}{did_you_mean(target, ids[target_kind])}",
            subjects,
        )


def _orphans(index: KnowledgeIndex) -> Iterator[Finding]:
    for path, line, col, record_id in index.connection.execute(
        """SELECT r.path, r.line, r.col, r.id FROM records r
           WHERE r.kind = 'runbook' AND r.valid AND r.status != 'deprecated'
             AND NOT EXISTS (SELECT 1 FROM refs f WHERE f.path = r.path AND f.target_kind != 'workflow')
             AND NOT EXISTS (SELECT 1 FROM refs f JOIN records s ON s.path = f.path
                             WHERE f.target_kind = 'runbook' AND f.target = r.id
                               AND NOT (s.kind = 'runbook' AND s.id = r.id))"""
    ):
        yield _finding(
            path,
            line,
            col,
            "orphan-runbook",
            f"runbook {record_id!r} links to nothing and nothing links to it",
            {("runbook", record_id)},
            Level.WARNING,
            "add `related:` runbooks so responders can move between neighbouring failures",
        )


def _freshness(index: KnowledgeIndex, on: dt.date) -> Iterator[Finding]:
    for runbook in runbook_freshness(index, on):
        if runbook.status != "active":
            continue
        freshness = runbook.freshness
        subjects = {("runbook", runbook.id), *(("incident", i) for i in freshness.used_after_review)}
        if freshness.stale:
            yield _finding(
                runbook.path,
                runbook.line,
                runbook.col,
                "stale-runbook",
                f"runbook {runbook.id!r} is stale: {'; '.join(freshness.reasons)}",
                subjects,
                Level.WARNING,
                "review it, then set last_reviewed to today",
            )
        if freshness.drill in (DrillState.NEVER, DrillState.OVERDUE):
            last = freshness.last_drill.isoformat() if freshness.last_drill else "?"
            detail = "has never been drilled" if freshness.drill is DrillState.NEVER else f"was last drilled on {last}"
            yield _finding(
                runbook.path,
                runbook.line,
                runbook.col,
                "never-drilled",
                f"fallback path {runbook.id!r} {detail}",
                {("runbook", runbook.id)},
                Level.WARNING,
                "a fallback never exercised is a wish: drill it and add the result under `drills:`",
            )


def _future_reviews(index: KnowledgeIndex, on: dt.date) -> Iterator[Finding]:
    """A review date after tomorrow (a day of slack for time zones) is a typo that would hide staleness."""
    for path, line, col, record_id, reviewed in index.connection.execute(
        """SELECT path, reviewed_line, reviewed_col, id, last_reviewed FROM records
           WHERE kind = 'runbook' AND valid AND last_reviewed > ?""",
        (on.toordinal() + 1,),
    ):
        yield _finding(
            path,
            line,
            col,
            "future-date",
            f"last_reviewed: expected a date no later than today ({on.isoformat()}), found "
            f"{dt.date.fromordinal(reviewed).isoformat()}",
            {("runbook", record_id)},
            hint="set it to the day the runbook was last reviewed",
        )


def _overdue(index: KnowledgeIndex, on: dt.date) -> Iterator[Finding]:
    """Only gated priorities are reported here; `opsbook actions --overdue` lists every overdue item."""
    gate = list(index.settings["action_items"]["strict_gate"])
    examples = {row[0] for row in index.connection.execute("SELECT path FROM records WHERE example")}
    for item in action_states(index, on, open_with_priority=gate):
        if item.overdue and item.incident_path not in examples:
            yield _finding(
                item.incident_path,
                item.line,
                item.col,
                "overdue-action",
                f"{item.priority} action item {item.id!r} ({item.owner or 'no owner'}) is overdue",
                {("incident", item.incident)},
                Level.WARNING,
                "close it, or move its due date with a reason the weekly review agrees to",
            )


def _deprecation_cycles(index: KnowledgeIndex) -> Iterator[Finding]:
    edges = list(
        index.connection.execute(
            """SELECT r.id, f.target FROM refs f JOIN records r ON r.path = f.path
               WHERE f.field = 'replaced_by' AND r.kind = 'runbook'"""
        )
    )
    replaced = dict(edges)
    if not any(target in replaced for target in replaced.values()):
        return  # a cycle needs a replacement that is itself replaced
    import networkx as nx

    places = {
        record_id: (path, line, col)
        for path, line, col, record_id in index.connection.execute(
            "SELECT path, line, col, id FROM records WHERE kind = 'runbook' ORDER BY path DESC"
        )
    }
    for cycle in nx.simple_cycles(nx.DiGraph(edges)):
        if len(cycle) < 2:
            continue
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        path, line, col = places[cycle[0]]
        yield _finding(
            path,
            line,
            col,
            "deprecation-cycle",
            "runbooks replace each other in a cycle: " + " -> ".join([*cycle, cycle[0]]),
            {("runbook", record_id) for record_id in cycle},
        )


def _class_coverage(index: KnowledgeIndex) -> Iterator[Finding]:
    """The classes a team uses (those of catalog/classes.yaml, else all five) each need an active runbook.
    A class left uncovered by an invalid runbook is reported at that runbook, after its own problems."""
    covered = {
        row[0]
        for row in index.connection.execute(
            """SELECT c.class FROM classes c JOIN records r ON r.path = c.path
               WHERE r.kind = 'runbook' AND r.status = 'active' AND r.valid"""
        )
    }
    catalog = f"{index.settings['paths']['catalog'].strip('/')}/classes.yaml"
    listed = index.connection.execute("SELECT document IS NOT NULL FROM files WHERE path = ?", (catalog,)).fetchone()
    if listed is not None and not listed[0]:
        return  # the catalog's own errors are reported; which classes it means cannot be known
    if listed is not None:
        required = list(
            index.connection.execute(
                "SELECT id, path, line, col FROM catalog WHERE path = ? AND kind = 'class' ORDER BY position",
                (catalog,),
            )
        )
    else:
        required = [(failure_class, CONFIG_FILE, 1, 1) for failure_class in FAILURE_CLASSES]
    for failure_class, path, line, col in required:
        if failure_class in covered:
            continue
        subjects: set[Subject] = {("class", failure_class)}
        broken = index.connection.execute(
            """SELECT r.path, r.line, r.col, r.id FROM records r JOIN classes c ON c.path = r.path
               WHERE r.kind = 'runbook' AND NOT r.valid AND c.class = ? AND r.status NOT IN ('draft', 'deprecated')
               ORDER BY r.path LIMIT 1""",
            (failure_class,),
        ).fetchone()
        new = f"opsbook new runbook --class {failure_class} --id <id>"
        if broken is not None:
            path, line, col, runbook = broken
            subjects.add(("runbook", runbook))
            message = (
                f"failure class {failure_class!r} has no active runbook: {runbook!r} would cover it but is invalid"
            )
            hint = "fix the problems reported above in this file"
        elif listed is not None:
            message = f"failure class {failure_class!r} has no active runbook"
            hint = f"add one ({new}), or remove the class from {catalog} if your team does not meet it"
        else:
            message = f"failure class {failure_class!r} has no active runbook"
            hint = f"add one ({new}), or list only the classes your team meets in {catalog}"
        yield _finding(path, line, col, "class-uncovered", message, subjects, hint=hint)
