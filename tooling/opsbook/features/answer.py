"""One triage answer, as the CLI and the MCP server give it: the verdict of `opsbook.features.triage` with
the past incidents of its first runbook (`opsbook.features.seen`).

`answer(index, text, top=3)` returns a `Verdict`; `Verdict.as_dict()` is the JSON shape, the same the
site's symptom box computes in the browser:

    {"query": str, "failure_class": str | None, "class_name": str | None, "confidence": float,
     "unsure": bool, "classes": [{"id": str, "name": str, "probability": float}, ...],  # all six, likeliest first
     "matches": [{"id", "title", "failure_class", "class_name", "relevance", "why": [str], "url", "path"}],
     "seen_before": [{"id", "title", "date", "severity", "url", "resolution", "via", "helped", "note",
                      "helpful_runbooks": [str]}]}
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from opsbook.features.seen import seen_before, seen_before_all
from opsbook.features.triage import TriageIndex, Verdict, ranking_index
from opsbook.features.triage_cues import NONE

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex


def answer(
    index: KnowledgeIndex, text: str, top: int = 3, *, public: bool = False, ranking: TriageIndex | None = None
) -> Verdict:
    """Triage `text` against the knowledge base's runbooks (only the public ones and public incidents with
    `public`) and list what happened the last times its first runbook was needed. `ranking` is the knowledge
    base's `ranking_index` when the caller holds it already (a server answering many questions)."""
    ranking = ranking or ranking_index(index, public=public)
    verdict = ranking.triage(text, top=top)
    if not verdict.matches:
        return verdict
    past = seen_before(index, verdict.matches[0].id, public=public, ranking=ranking)
    return dataclasses.replace(verdict, seen_before=[p.as_dict() for p in past])


def answer_text(verdict: Verdict, site_url: str | None = None) -> str:
    """The answer for a person at a terminal: the class by name and how sure, "unsure" said plainly, each
    runbook with its file and page, and what resolved the incidents that needed the first one."""
    lines = [_headline(verdict)]
    if verdict.matches:
        lines += ["", "Open:" if not verdict.unsure else "Runbooks to check:"]
    base = (site_url or "/").rstrip("/") + "/"
    for number, match in enumerate(verdict.matches, 1):
        lines.append(f"{number}. {match.title}  [{match.class_name}]")
        lines.append(f"   {match.path or match.id}" + (f"  ·  {base}{match.url}" if match.url else ""))
        lines.append(f"   why: {' · '.join(match.why)}")
    if verdict.seen_before:
        lines += ["", f"Seen before ({verdict.matches[0].id}):"]
        for past in verdict.seen_before:
            how = f"this runbook helped: {past['helped']}" if past["via"] == "runbook" else "same error, other runbook"
            if past["helpful_runbooks"]:
                how += f"; what helped: {', '.join(past['helpful_runbooks'])}"
            lines.append(f"- {past['date']} {past['severity']}  {past['title']}  ({how})")
            lines.append(
                f"    resolved: {past['resolution'] or 'not recorded; see the incident'}  ·  {base}{past['url']}"
            )
    return "\n".join(lines)


def _headline(verdict: Verdict) -> str:
    percent = f"{min(verdict.confidence, 0.99):.0%}"
    if verdict.failure_class and not verdict.unsure:
        return f"Failure class: {verdict.class_name} ({percent} sure)"
    if verdict.failure_class:
        others = [
            name if c != NONE else "none of them" for c, name, _ in verdict.classes[:3] if c != verdict.failure_class
        ]
        return (
            f"UNSURE: maybe {verdict.class_name} ({percent}), or {' or '.join(others)}. "
            "Compare the runbooks' symptoms with what you see before acting."
        )
    if not verdict.unsure:
        return (
            f"No failure class ({percent} sure): this looks like an ordinary bug, not auth drift, session "
            "lifecycle, fallback, stale deploy or tool policy."
        )
    closest = next(name for c, name, _ in verdict.classes if c != NONE)
    return f"UNSURE: probably none of the five failure classes ({percent}); the closest is {closest}."


def triage_data(index: KnowledgeIndex, *, public: bool = False) -> dict[str, Any]:
    """What the site's symptom box loads (`api/triage.json`): the ranking index and, per runbook, the past
    incidents `answer` would list for it, so the browser answers exactly like the CLI."""
    return {
        "ranking": ranking_index(index, public=public).export(),
        "seen_before": {
            runbook: [past.as_dict() for past in found]
            for runbook, found in seen_before_all(index, public=public).items()
        },
    }


def triage_json(index: KnowledgeIndex, *, public: bool = False) -> str:
    return json.dumps(triage_data(index, public=public), ensure_ascii=False, separators=(",", ":")) + "\n"
