"""Seen before: the past incidents to know of when triage points at a runbook.

For a runbook, the incidents that used it (newest first), then the incidents that used another runbook
sharing one of its signatures (the same error string seen under another runbook; a signature listed by more
than three runbooks does not count), each with its date,
severity, what resolved it and how the runbook did there. Read from the index alone: `refs` rows of field
`runbooks_used` and `records` rows (which keep each incident's `resolution`).

`seen_before` answers for one runbook (the CLI, the MCP server); `seen_before_all` for every runbook (the
site's triage data), one runbook at a time through the same query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from opsbook.features.triage import TriageIndex, normalise_signature, ranking_index
from opsbook.features.urls import incident_page, page_url

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

LIMIT = 3
SPECIFIC = 3
"""A signature listed by more runbooks than this names a family of failures rather than one error, and does
not link incidents."""


@dataclass(frozen=True, slots=True)
class SeenBefore:
    id: str
    title: str
    date: str
    """The day it started, ISO 8601."""
    severity: str
    url: str
    """Site-relative page URL."""
    resolution: str | None
    """What ended it, as the incident records it (None when it does not say)."""
    via: Literal["runbook", "signature"]
    """Linked because it used the runbook, or used another runbook with one of its signatures."""
    helped: str | None
    """How the runbook did there (yes, partly, no, wrong-runbook); None when linked by signature."""
    note: str | None
    """What the responders said of the runbook."""
    helpful_runbooks: list[str]
    """Other runbooks that helped in that incident (among those the reader may see: valid ones, and only
    public ones in a public answer)."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def seen_before(
    index: KnowledgeIndex,
    runbook_id: str,
    limit: int = LIMIT,
    *,
    public: bool = False,
    ranking: TriageIndex | None = None,
) -> list[SeenBefore]:
    """Up to `limit` past incidents for `runbook_id`: those that used it, newest first, then those that used a
    runbook sharing one of its signatures. Only public incidents with `public`. Unknown ids give [].
    `ranking` is the knowledge base's `ranking_index` when the caller holds it already: it must be that of the
    index as it is now, for the same `public`, since the answer is kept.

    The answer is kept in the index until any record changes, so that a triage with nothing changed does not
    read the records' rows."""

    def compute() -> str:
        found = _seen(index, runbook_id, set(), limit, public)
        if len(found) < limit:  # not enough: look for the same signatures under other runbooks
            siblings = _signature_siblings(ranking or ranking_index(index, public=public), [runbook_id])[runbook_id]
            found = _seen(index, runbook_id, siblings, limit, public) if siblings else found
        return json.dumps([past.as_dict() for past in found])

    name = f"seen-before:{'public' if public else 'all'}:{limit}:{runbook_id}"
    return [SeenBefore(**past) for past in json.loads(index.derived(name, index.generation, compute))]


def seen_before_all(index: KnowledgeIndex, limit: int = LIMIT, *, public: bool = False) -> dict[str, list[SeenBefore]]:
    """`seen_before` of every runbook that has any, by runbook id."""
    ranking = ranking_index(index, public=public)
    siblings = _signature_siblings(ranking, [d["id"] for d in ranking.documents])
    found = {runbook: _seen(index, runbook, others, limit, public) for runbook, others in siblings.items()}
    return {runbook: past for runbook, past in found.items() if past}


def _seen(index: KnowledgeIndex, runbook_id: str, siblings: set[str], limit: int, public: bool) -> list[SeenBefore]:
    targets = sorted({runbook_id, *siblings})
    marks = ",".join("?" * len(targets))
    picked = [
        path
        for (path,) in index.connection.execute(
            f"""SELECT r.path FROM refs u JOIN records r ON r.path = u.path
                WHERE u.target_kind = 'runbook' AND u.target IN ({marks}) AND u.field = 'runbooks_used'
                      AND r.kind = 'incident' AND r.valid
                      {"AND r.visibility = 'public'" if public else ""}
                GROUP BY r.path
                ORDER BY MAX(u.target = ?) DESC, r.started_at DESC, r.id DESC
                LIMIT ?""",
            [*targets, runbook_id, limit],
        )
    ]
    if not picked:
        return []
    rows: dict[str, tuple[str, str, int, str, str | None]] = {}
    uses: dict[str, list[tuple[str, str | None, str | None, bool]]] = defaultdict(list)
    for (
        path,
        incident_id,
        title,
        started_day,
        severity,
        resolution,
        runbook,
        helped,
        note,
        shown,
    ) in index.connection.execute(
        f"""SELECT u.path, r.id, r.title, r.started_day, r.severity, r.resolution, u.target, u.detail, u.note,
                       EXISTS(SELECT 1 FROM records b WHERE b.kind = 'runbook' AND b.id = u.target AND b.valid
                              {"AND b.visibility = 'public'" if public else ""})
                FROM refs u JOIN records r ON r.path = u.path
                WHERE u.field = 'runbooks_used' AND u.path IN ({",".join("?" * len(picked))})
                ORDER BY u.path, u.position""",
        picked,
    ):
        rows[path] = (incident_id, title, started_day, severity, resolution)
        uses[path].append((runbook, helped, note, bool(shown)))
    found = []
    for path in picked:
        incident_id, title, started_day, severity, resolution = rows[path]
        own = next(((helped, note) for r, helped, note, _ in uses[path] if r == runbook_id), None)
        found.append(
            SeenBefore(
                incident_id,
                title,
                dt.date.fromordinal(started_day).isoformat(),
                severity,
                page_url(incident_page(incident_id)),
                resolution,
                "runbook" if own else "signature",
                own[0] if own else None,
                own[1] if own else None,
                [r for r, helped, _, shown in uses[path] if helped == "yes" and r != runbook_id and shown],
            )
        )
    return found


def _signature_siblings(ranking: TriageIndex, runbook_ids: Iterable[str]) -> dict[str, set[str]]:
    """For each of `runbook_ids`, the other runbooks that list one of its signatures."""
    holders: dict[str, set[str]] = defaultdict(set)
    listed: dict[str, list[str]] = {}
    for document in ranking.documents:
        shared = [
            s for s, share in zip(document["signatures"], document["shares"], strict=True) if 1 < share <= SPECIFIC
        ]
        listed[document["id"]] = keys = [normalise_signature(signature) for signature in shared]
        for key in keys:
            holders[key].add(document["id"])
    return {
        runbook: {other for key in listed.get(runbook, []) for other in holders[key]} - {runbook}
        for runbook in runbook_ids
    }
