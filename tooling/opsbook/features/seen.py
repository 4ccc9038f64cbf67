"""Seen before: the past incidents to know of when triage points at a runbook.

For a runbook, the incidents that used it (newest first), then the incidents that used another runbook
sharing one of its signatures (the same error string seen under another runbook), each with its date,
severity, what resolved it and how the runbook did there. Read from the index: `refs` rows of field
`runbooks_used`, `records` rows, and the incident's document for its `resolution`.

`seen_before` answers for one runbook (the CLI, the MCP server); `seen_before_all` for every runbook at
once (the site's triage data); both run the same query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from opsbook.features.triage import TriageIndex, normalise_signature, ranking_index
from opsbook.features.urls import incident_page, page_url

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

LIMIT = 3


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
    """Other runbooks that helped in that incident."""

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
    `ranking` is the knowledge base's `ranking_index` when the caller holds it already."""
    ranking = ranking or ranking_index(index, public=public)
    return _seen(index, ranking, [runbook_id], limit, public).get(runbook_id, [])


def seen_before_all(index: KnowledgeIndex, limit: int = LIMIT, *, public: bool = False) -> dict[str, list[SeenBefore]]:
    """`seen_before` of every runbook that has any, by runbook id."""
    return _seen(index, ranking_index(index, public=public), None, limit, public)


def _seen(
    index: KnowledgeIndex, ranking: TriageIndex, runbook_ids: list[str] | None, limit: int, public: bool
) -> dict[str, list[SeenBefore]]:
    siblings = _signature_siblings(ranking)
    wanted = None if runbook_ids is None else {*runbook_ids, *(s for r in runbook_ids for s in siblings.get(r, ()))}
    uses = _uses(index, wanted, public)
    by_runbook: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
    for path, (_, runbooks) in uses.items():
        for runbook, helped, note in runbooks:
            by_runbook[runbook].append((path, helped, note))
    chosen: dict[str, list[tuple[str, str, str | None, str | None]]] = {}
    for runbook in runbook_ids if runbook_ids is not None else sorted({*by_runbook, *siblings}):
        picks = [(path, "runbook", helped, note) for path, helped, note in by_runbook.get(runbook, [])]
        seen = {path for path, *_ in picks}
        by_signature = {path for sibling in siblings.get(runbook, ()) for path, _, _ in by_runbook.get(sibling, [])}
        picks += [(path, "signature", None, None) for path in uses if path in by_signature - seen]
        if picks:
            chosen[runbook] = picks[:limit]
    documents = index.documents(sorted({path for picks in chosen.values() for path, *_ in picks}))
    result: dict[str, list[SeenBefore]] = {}
    for runbook, picks in chosen.items():
        result[runbook] = []
        for path, via, helped, note in picks:
            row, runbooks = uses[path]
            incident_id, title, started_day, severity = row
            result[runbook].append(
                SeenBefore(
                    incident_id,
                    title,
                    dt.date.fromordinal(started_day).isoformat(),
                    severity,
                    page_url(incident_page(incident_id)),
                    (documents.get(path) or {}).get("resolution"),
                    "runbook" if via == "runbook" else "signature",
                    helped,
                    note,
                    [r for r, h, _ in runbooks if h == "yes" and r != runbook],
                )
            )
    return result


def _uses(
    index: KnowledgeIndex, runbooks: Iterable[str] | None, public: bool
) -> dict[str, tuple[tuple[str, str, int, str], list[tuple[str, str | None, str | None]]]]:
    """Incidents that used any of `runbooks` (all, with None), newest first: their row and every runbook use."""
    where = ["u.field = 'runbooks_used'", "r.kind = 'incident'", "r.valid"]
    parameters: list[str] = []
    if public:
        where.append("r.visibility = 'public'")
    if runbooks is not None:
        wanted = sorted(set(runbooks))
        marks = ",".join("?" * len(wanted))
        where.append(f"u.path IN (SELECT path FROM refs WHERE field = 'runbooks_used' AND target IN ({marks}))")
        parameters += wanted
    query = f"""SELECT u.path, r.id, r.title, r.started_day, r.severity, u.target, u.detail, u.note
                FROM refs u JOIN records r ON r.path = u.path
                WHERE {" AND ".join(where)}
                ORDER BY r.started_at DESC, r.id DESC, u.position"""
    found: dict[str, tuple[tuple[str, str, int, str], list[tuple[str, str | None, str | None]]]] = {}
    for path, incident_id, title, started_day, severity, runbook, helped, note in index.connection.execute(
        query, parameters
    ):
        found.setdefault(path, ((incident_id, title, started_day, severity), []))[1].append((runbook, helped, note))
    return found


def _signature_siblings(ranking: TriageIndex) -> dict[str, set[str]]:
    """For each runbook, the other runbooks that list one of its signatures."""
    holders: dict[str, set[str]] = defaultdict(set)
    for document in ranking.documents:
        for signature in document["signatures"]:
            holders[normalise_signature(signature)].add(document["id"])
    siblings: dict[str, set[str]] = defaultdict(set)
    for ids in holders.values():
        for runbook in ids:
            siblings[runbook] |= ids - {runbook}
    return siblings
