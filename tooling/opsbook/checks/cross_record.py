"""The knowledge base as a graph: records are nodes, references are edges.

One pass over the records builds the link index; the cross-record checks (duplicate ids, dangling and
self references, orphans, freshness, overdue follow-ups, deprecation cycles, class coverage) and the
site's backlinks all read that one index. Every check but the last two concerns one record, so a warm
`opsbook check` can re-run them for only the records an edit can have affected.
"""

from __future__ import annotations

import datetime as dt
import os
from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from opsbook.records.diagnostics import Diagnostic, Severity, did_you_mean, display_path
from opsbook.records.summary import RecordFacts, Row, from_row
from opsbook.checks.freshness import DrillState, is_overdue, runbook_freshness, today

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeBase

Node = tuple[str, str]
Linkable = Row
"""A record's facts (`RecordFacts` is a tuple), or the same facts as a cached row: both put kind, id,
path, line, col, title, classes, status and refs (field, target, target kind) at the same positions,
which is all the index reads, so a warm check builds it without rebuilding ten thousand named tuples."""

KIND, ID, PATH, LINE, COL, CLASSES, STATUS, REFS = 0, 1, 2, 3, 4, 6, 7, 9
REF_FIELD, REF_TARGET, REF_KIND = 0, 1, 2


class LinkContext(NamedTuple):
    """Everything besides the records that the cross-record checks depend on."""

    on: dt.date
    sla_days: Mapping[str, int]
    strict_gate: frozenset[str]
    failure_classes: tuple[str, ...]
    runbook_folder: str

    @classmethod
    def of(cls, kb: KnowledgeBase, on: dt.date | None = None) -> LinkContext:
        from opsbook.records.models import FailureClass

        settings = kb.config.action_items
        return cls(
            on=on or today(),
            sla_days={priority.value: days for priority, days in settings.sla_days.items()},
            strict_gate=frozenset(priority.value for priority in settings.strict_gate),
            failure_classes=tuple(c.value for c in FailureClass),
            runbook_folder=display_path(kb.root / kb.config.paths.runbooks),
        )


class LinkIndex:
    """Every record and every reference, built in one pass and patched in place after an edit.

    Records are addressed by position; a position may hold None (a file with no identifiable record),
    so that a warm check can use file positions, which an edit does not shift. Plain dictionaries keep
    `opsbook check` fast; networkx is loaded only to find cycles among deprecations, and only when a
    replaced runbook is itself replaced.
    """

    def __init__(self, records: list[Linkable | None], load: Callable[[int], RecordFacts] | None = None) -> None:
        self.records = records
        self.load = load
        """Where the full facts of a position come from when `records` holds only link rows."""
        self.first: dict[Node, int] = {}
        """Position of the first record holding each id (-1 for a workflow)."""
        self.shared: dict[Node, list[int]] = {}
        """Every holder of an id that more than one record holds, in order."""
        self.incoming: defaultdict[Node, list[tuple[int, str]]] = defaultdict(list)
        """(position, field) of each reference to a node, existing or not, self-references left out."""
        self._facts: dict[int, RecordFacts] = {}

    def __contains__(self, node: Node) -> bool:
        return node in self.first

    def ids(self, kind: str) -> list[str]:
        return [identifier for node_kind, identifier in self.first if node_kind == kind]

    def holders(self, node: Node) -> list[int]:
        position = self.first.get(node, -1)
        return self.shared.get(node) or ([position] if position >= 0 else [])

    def facts(self, position: int) -> RecordFacts:
        record = self.records[position]
        assert record is not None
        if isinstance(record, RecordFacts):
            return record
        if position not in self._facts:
            self._facts[position] = self.load(position) if self.load is not None else from_row(record)
        return self._facts[position]

    def rows(self) -> Iterator[Linkable]:
        return (record for record in self.records if record is not None)

    def replace(self, position: int, record: Linkable | None) -> None:
        """Put a record's new facts (or None) in place of its old ones."""
        old = self.records[position]
        if old is not None:
            self._forget(position, old)
        self.records[position] = record
        self._facts.pop(position, None)
        if record is not None:
            self._learn(position, record)

    def _learn(self, position: int, record: Linkable) -> None:
        node = (record[KIND], record[ID])
        if node in self.first:
            holders = self.shared.setdefault(node, [self.first[node]])
            insort(holders, position)
            self.first[node] = holders[0]
        else:
            self.first[node] = position
        incoming = self.incoming
        for ref in record[REFS]:
            target = (ref[REF_KIND], ref[REF_TARGET])
            if target != node:
                sources = incoming[target]
                if sources and sources[-1][0] > position:
                    insort(sources, (position, ref[REF_FIELD]))
                else:
                    sources.append((position, ref[REF_FIELD]))  # a full build adds positions in order

    def _forget(self, position: int, record: Linkable) -> None:
        node = (record[KIND], record[ID])
        holders = self.shared.get(node)
        if holders is None:
            del self.first[node]
        else:
            holders.remove(position)
            self.first[node] = holders[0]
            if len(holders) == 1:
                del self.shared[node]
        for ref in record[REFS]:
            target = (ref[REF_KIND], ref[REF_TARGET])
            if target != node:
                self.incoming[target].remove((position, ref[REF_FIELD]))


def build_graph(
    records: Sequence[Linkable | None],
    workflow_ids: Sequence[str] = (),
    load: Callable[[int], RecordFacts] | None = None,
) -> LinkIndex:
    graph = LinkIndex(list(records), load=load)
    for position, record in enumerate(graph.records):
        if record is not None:
            graph._learn(position, record)
    for workflow in workflow_ids:
        graph.first[("workflow", workflow)] = -1
    return graph


def incidents_using(graph: LinkIndex, runbook_id: str) -> list[RecordFacts]:
    users = []
    for position, field_name in graph.incoming.get(("runbook", runbook_id), []):
        record = graph.records[position]
        if field_name == "runbooks_used" and record is not None and record[KIND] == "incident":
            users.append(graph.facts(position))
    return users


def graph_diagnostics(kb: KnowledgeBase, context: LinkContext | None = None) -> list[Diagnostic]:
    """Set every outcome's cross-record findings; return the findings about the whole knowledge base."""
    context = context or LinkContext.of(kb)
    graph = kb.links
    position = 0
    for outcome in kb.outcomes:
        if outcome.facts is not None:
            outcome.links = record_links(position, graph, context)
            position += 1
    return index_diagnostics(graph, context)


def record_links(position: int, graph: LinkIndex, context: LinkContext) -> list[Diagnostic]:
    """The cross-record findings about one record: they change only when a record it touches changes."""
    record = graph.facts(position)
    found = list(_duplicate_id(position, record, graph))
    found += _references(record, graph)
    if record.kind == "runbook":
        found += _orphan(record, graph)
        found += _freshness(record, graph, context.on)
    found += _overdue(record, context.sla_days, context.strict_gate, context.on)
    return found


def index_diagnostics(graph: LinkIndex, context: LinkContext) -> list[Diagnostic]:
    records = list(graph.rows())
    return [*_deprecation_cycles(records), *_class_coverage(records, context)]


def _duplicate_id(position: int, record: RecordFacts, graph: LinkIndex) -> Iterator[Diagnostic]:
    first = graph.first[(record.kind, record.id)]
    if first != position:
        yield Diagnostic(
            record.path,
            record.line,
            record.col,
            "duplicate-id",
            f"{record.kind} id {record.id!r} is also used by {graph.facts(first).path}",
        )


def _references(record: RecordFacts, graph: LinkIndex) -> Iterator[Diagnostic]:
    for ref in record.refs:
        if ref.target_kind == record.kind and ref.target == record.id:
            yield Diagnostic(
                record.path,
                ref.line,
                ref.col,
                "self-ref",
                f"{ref.field} refers to this {record.kind} itself",
            )
        elif (ref.target_kind, ref.target) not in graph:
            where = "catalog/workflows.yaml" if ref.target_kind == "workflow" else f"any {ref.target_kind}"
            yield Diagnostic(
                record.path,
                ref.line,
                ref.col,
                "dangling-ref",
                f"{ref.field}: {ref.target_kind} {ref.target!r} does not exist in {where}"
                f"{did_you_mean(ref.target, graph.ids(ref.target_kind))}",
            )


def _deprecation_cycles(records: Sequence[Linkable]) -> Iterator[Diagnostic]:
    edges = [
        (record[ID], ref[REF_TARGET])
        for record in records
        if record[KIND] == "runbook"
        for ref in record[REFS]
        if ref[REF_FIELD] == "replaced_by"
    ]
    replaced = dict(edges)
    if not any(target in replaced for target in replaced.values()):
        return  # a cycle needs a replacement that is itself replaced
    import networkx as nx

    graph = nx.DiGraph(edges)
    by_id = {record[ID]: record for record in records if record[KIND] == "runbook"}
    for cycle in nx.simple_cycles(graph):
        if len(cycle) < 2:
            continue
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        record = by_id[cycle[0]]
        yield Diagnostic(
            record[PATH],
            record[LINE],
            record[COL],
            "deprecation-cycle",
            "runbooks replace each other in a cycle: " + " -> ".join([*cycle, cycle[0]]),
        )


def _class_coverage(records: Sequence[Linkable], context: LinkContext) -> Iterator[Diagnostic]:
    covered = {
        record[CLASSES][0]
        for record in records
        if record[KIND] == "runbook" and record[STATUS] == "active" and record[CLASSES]
    }
    for failure_class in context.failure_classes:
        if failure_class not in covered:
            yield Diagnostic(
                os.path.join(context.runbook_folder, failure_class),
                1,
                1,
                "class-uncovered",
                f"failure class {failure_class!r} has no active runbook",
                hint=f"opsbook new runbook --class {failure_class} --id <id>",
            )


def _orphan(record: RecordFacts, graph: LinkIndex) -> Iterator[Diagnostic]:
    if record.status == "deprecated" or not record.valid:
        return
    links_out = any(ref.target_kind != "workflow" for ref in record.refs)
    if not links_out and not graph.incoming.get(("runbook", record.id)):
        yield Diagnostic(
            record.path,
            record.line,
            record.col,
            "orphan-runbook",
            f"runbook {record.id!r} links to nothing and nothing links to it",
            severity=Severity.WARNING,
            hint="add `related:` runbooks so responders can move between neighbouring failures",
        )


def _freshness(record: RecordFacts, graph: LinkIndex, on: dt.date) -> Iterator[Diagnostic]:
    if record.status != "active" or not record.valid:
        return
    freshness = runbook_freshness(record, incidents_using(graph, record.id), on)
    if freshness.stale:
        yield Diagnostic(
            record.path,
            record.line,
            record.col,
            "stale-runbook",
            f"runbook {record.id!r} is stale: {'; '.join(freshness.reasons)}",
            severity=Severity.WARNING,
            hint="review it, then set last_reviewed to today",
        )
    if freshness.drill in (DrillState.NEVER, DrillState.OVERDUE):
        detail = (
            "has never been drilled"
            if freshness.drill is DrillState.NEVER
            else "was last drilled on " + (record.last_drill.isoformat() if record.last_drill else "?")
        )
        yield Diagnostic(
            record.path,
            record.line,
            record.col,
            "never-drilled",
            f"fallback path {record.id!r} {detail}",
            severity=Severity.WARNING,
            hint="a fallback never exercised is a wish: drill it and add the result under `drills:`",
        )


def _overdue(
    record: RecordFacts, sla_days: Mapping[str, int], gate: frozenset[str], on: dt.date
) -> Iterator[Diagnostic]:
    """Only gated priorities are reported here; `opsbook actions --overdue` lists every overdue item."""
    for item in record.action_items:
        if item.priority in gate and is_overdue(item, sla_days, on):
            yield Diagnostic(
                record.path,
                item.line,
                item.col,
                "overdue-action",
                f"{item.priority} action item {item.id!r} ({item.owner or 'no owner'}) is overdue",
                severity=Severity.WARNING,
                hint="close it, or move its due date with a reason the weekly review agrees to",
            )
