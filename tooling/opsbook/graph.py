"""The knowledge base as a graph: records are nodes, references are edges.

One pass over the record facts builds the link index; the checks (dangling and self references,
duplicate ids, orphans, deprecation cycles, class coverage, freshness, overdue follow-ups) and the
site's backlinks all read that one index.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opsbook.diagnostics import Diagnostic, Severity, display_path
from opsbook.facts import RecordFacts
from opsbook.freshness import DrillState, is_overdue, runbook_freshness, today
from opsbook.models import FailureClass, Priority
from opsbook.validate import did_you_mean

if TYPE_CHECKING:
    from opsbook.knowledge import KnowledgeBase

Node = tuple[str, str]


@dataclass
class LinkIndex:
    """Every record and every resolved reference, built in one pass over the facts.

    Plain dictionaries keep `opsbook check` fast when the cache has done the parsing; networkx is
    loaded only to find cycles among deprecations, and only when a runbook is replaced at all.
    """

    nodes: dict[Node, RecordFacts | None] = field(default_factory=dict)
    outgoing: dict[Node, list[tuple[Node, str]]] = field(default_factory=lambda: defaultdict(list))
    incoming: dict[Node, list[tuple[Node, str]]] = field(default_factory=lambda: defaultdict(list))

    def __contains__(self, node: Node) -> bool:
        return node in self.nodes

    def ids(self, kind: str) -> list[str]:
        return [identifier for node_kind, identifier in self.nodes if node_kind == kind]


def build_graph(facts: list[RecordFacts], workflow_ids: set[str] | frozenset[str] = frozenset()) -> LinkIndex:
    graph = LinkIndex()
    for record in facts:
        graph.nodes.setdefault((record.kind, record.id), record)
    for workflow in workflow_ids:
        graph.nodes[("workflow", workflow)] = None
    for record in facts:
        source = (record.kind, record.id)
        for ref in record.refs:
            target = (ref.target_kind, ref.target)
            if target in graph.nodes and target != source:
                graph.outgoing[source].append((target, ref.field))
                graph.incoming[target].append((source, ref.field))
    return graph


def incidents_using(graph: LinkIndex, runbook_id: str) -> list[RecordFacts]:
    found: dict[Node, RecordFacts] = {}
    for source, field_name in graph.incoming.get(("runbook", runbook_id), []):
        facts = graph.nodes.get(source)
        if source[0] == "incident" and field_name == "runbooks_used" and facts is not None:
            found[source] = facts
    return list(found.values())


def graph_diagnostics(kb: KnowledgeBase, on: dt.date | None = None) -> list[Diagnostic]:
    on = on or today()
    facts = kb.facts
    graph = kb.links
    diagnostics = list(_duplicate_ids(facts))
    diagnostics += _references(facts, graph)
    diagnostics += _deprecation_cycles(facts)
    diagnostics += _orphans(facts, graph)
    diagnostics += _class_coverage(facts, kb)
    diagnostics += _freshness(facts, graph, on)
    diagnostics += _overdue(facts, kb.config.action_items.sla_days, kb.config.action_items.strict_gate, on)
    return diagnostics


def _duplicate_ids(facts: list[RecordFacts]) -> Iterator[Diagnostic]:
    first: dict[tuple[str, str], RecordFacts] = {}
    for record in facts:
        key = (record.kind, record.id)
        if key in first:
            yield Diagnostic(
                record.path,
                record.line,
                record.col,
                "duplicate-id",
                f"{record.kind} id {record.id!r} is also used by {first[key].path}",
            )
        else:
            first[key] = record


def _references(facts: list[RecordFacts], graph: LinkIndex) -> Iterator[Diagnostic]:
    known = {kind: graph.ids(kind) for kind in ("runbook", "incident", "workflow")}
    for record in facts:
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
                    f"{did_you_mean(ref.target, known[ref.target_kind])}",
                )


def _deprecation_cycles(facts: list[RecordFacts]) -> Iterator[Diagnostic]:
    edges = [
        (record.id, ref.target)
        for record in facts
        if record.kind == "runbook"
        for ref in record.refs
        if ref.field == "replaced_by"
    ]
    replaced = dict(edges)
    if not any(target in replaced for target in replaced.values()):
        return  # a cycle needs a replacement that is itself replaced
    import networkx as nx

    graph = nx.DiGraph(edges)
    by_id = {record.id: record for record in facts if record.kind == "runbook"}
    for cycle in nx.simple_cycles(graph):
        if len(cycle) < 2:
            continue
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        record = by_id[cycle[0]]
        yield Diagnostic(
            record.path,
            record.line,
            record.col,
            "deprecation-cycle",
            "runbooks replace each other in a cycle: " + " -> ".join([*cycle, cycle[0]]),
        )


def _orphans(facts: list[RecordFacts], graph: LinkIndex) -> Iterator[Diagnostic]:
    for record in facts:
        node = ("runbook", record.id)
        if record.kind != "runbook" or record.status == "deprecated" or not record.valid:
            continue
        links_out = any(ref.target_kind != "workflow" for ref in record.refs)
        if not links_out and not graph.incoming.get(node):
            yield Diagnostic(
                record.path,
                record.line,
                record.col,
                "orphan-runbook",
                f"runbook {record.id!r} links to nothing and nothing links to it",
                severity=Severity.WARNING,
                hint="add `related:` runbooks so responders can move between neighbouring failures",
            )


def _class_coverage(facts: list[RecordFacts], kb: KnowledgeBase) -> Iterator[Diagnostic]:
    covered = {
        record.failure_classes[0]
        for record in facts
        if record.kind == "runbook" and record.status == "active" and record.failure_classes
    }
    folder = kb.root / kb.config.paths.runbooks
    for failure_class in FailureClass:
        if failure_class.value not in covered:
            yield Diagnostic(
                display_path(folder / failure_class.value),
                1,
                1,
                "class-uncovered",
                f"failure class {failure_class.value!r} has no active runbook",
                hint=f"opsbook new runbook --class {failure_class.value} --id <id>",
            )


def _freshness(facts: list[RecordFacts], graph: LinkIndex, on: dt.date) -> Iterator[Diagnostic]:
    for record in facts:
        if record.kind != "runbook" or record.status != "active" or not record.valid:
            continue
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
    facts: list[RecordFacts], sla_days: Mapping[Priority, int], gated: list[Priority], on: dt.date
) -> Iterator[Diagnostic]:
    """Only gated priorities are reported here; `opsbook actions --overdue` lists every overdue item."""
    sla = {priority.value: days for priority, days in sla_days.items()}
    gate = {priority.value for priority in gated}
    for record in facts:
        for item in record.action_items:
            if item.priority in gate and is_overdue(item, sla, on):
                yield Diagnostic(
                    record.path,
                    item.line,
                    item.col,
                    "overdue-action",
                    f"{item.priority} action item {item.id!r} ({item.owner or 'no owner'}) is overdue",
                    severity=Severity.WARNING,
                    hint="close it, or move its due date with a reason the weekly review agrees to",
                )
