"""The incident's side of a walk: timeline events and a `runbooks_used` entry, derived from the log.

One event for the start, one per answered step (with its approver, the command it ran, the exit code and
the first line of output), one for the end. The list only grows as the log grows, so the first N events
of a walk are always the same N: that is what lets a resumed walk add exactly the ones an incident lacks.
"""

from __future__ import annotations

import datetime as dt

from opsbook.features.walk.log import Record
from opsbook.features.walk.state import WalkState
from opsbook.features.walk.steps import WalkStep
from opsbook.records.models.incident import ActorKind, Helped, RunbookUse, TimelineEntry
from opsbook.records.secret_patterns import mask_secrets


def timeline_entries(state: WalkState) -> list[TimelineEntry]:
    start = state.start
    steps = {step.key: step for step in state.steps}
    entries = [_entry(state, start, f"Started walking runbook `{start['runbook']}`: {start['title']}")]
    last_run: dict[str, Record] = {}
    for record in state.records:
        if record["event"] == "run-end":
            last_run[record["step"]] = record
        elif record["event"] == "outcome":
            entries.append(_entry(state, record, _outcome_text(steps[record["step"]], record, last_run)))
        elif record["event"] == "end":
            entries.append(_entry(state, record, _end_text(state, record)))
    return entries


def runbook_use(state: WalkState) -> RunbookUse | None:
    """The `runbooks_used` entry of an ended walk."""
    end = state.ended
    if end is None:
        return None
    summary = f"Walked with `opsbook walk` ({state.walk_id}): {_tally(state)}."
    note = f"{_sentence(end['note'])} {summary}" if end["note"] else summary
    return RunbookUse(runbook=state.start["runbook"], helped=Helped(end["helped"]), note=note)


def _entry(state: WalkState, record: Record, event: str) -> TimelineEntry:
    at = dt.datetime.fromisoformat(record["time"]).replace(microsecond=0)
    return TimelineEntry(
        at=at,
        event=mask_secrets(event),  # a runbook's own text may hold what `opsbook check` flags as a secret
        actor=record["actor"],
        actor_kind=ActorKind(record["actor_kind"]),
        walk=state.walk_id,
    )


def _outcome_text(step: WalkStep, outcome: Record, last_run: dict[str, Record]) -> str:
    text = f"{step.title} {outcome['outcome']}"
    if outcome.get("approver"):
        text += f" (approved by {outcome['approver']} for {step.step.requires_approval or 'a sensitive step'})"
    text += f": {_sentence(_short(step.step.action, 160))}"
    run = last_run.get(step.key)
    if run is not None and step.step.command:
        text += f" Ran {_code(_short(step.step.command, 80))}: {exit_text(run)}"
        first = next((line.strip() for line in run["output"].splitlines() if line.strip()), "")
        text += f"; output: {_short(first, 100)}." if first else "."
    if outcome.get("note"):
        text += f" Note: {outcome['note']}"
    return text


def _end_text(state: WalkState, end: Record) -> str:
    text = f"Finished walking runbook `{state.start['runbook']}`: {_tally(state)}; it helped: {end['helped']}."
    return f"{text} Note: {end['note']}" if end["note"] else text


def exit_text(run: Record) -> str:
    """How a command ended, in words: `exit 0`, `timed out after 120 s`, `interrupted`."""
    if run["timed_out"]:
        return f"timed out after {run['seconds']:.0f} s"
    if run["interrupted"]:
        return "interrupted"
    code = run["exit_code"]
    return f"killed by signal {-code}" if code < 0 else f"exit {code}"


def _tally(state: WalkState) -> str:
    counts = state.counts()
    return ", ".join(f"{counts[name]} {name}" for name in ("done", "failed", "skipped"))


def _short(text: str, width: int) -> str:
    """The first line of `text`, cut at a word boundary to at most `width` characters (spacing kept)."""
    lines = text.strip().splitlines()
    first = lines[0].rstrip() if lines else ""
    if len(first) <= width and len(lines) <= 1:
        return first
    cut = first[: width - 2]
    if len(first) > width - 2 and " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + " …"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f'"{text}"'
