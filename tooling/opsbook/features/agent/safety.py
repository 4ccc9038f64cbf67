"""A runbook's safety context as an agent receives it: staleness, drills, status and the steps it must not
run on its own, as flags and as sentences to pass on.

Freshness is computed in one place (`opsbook.checks.freshness`); this module only says it. On a public
server the reasons never name an incident that is not public.
"""

from __future__ import annotations

from collections.abc import Container

from opsbook.checks.freshness import DrillState, Freshness
from opsbook.features.agent.answers import GatedStep, RunbookFlags
from opsbook.records.models import Executor, Runbook, RunbookStatus

SECTION_NAMES = {"diagnosis": "Diagnose", "mitigation": "Mitigate", "verification": "Verify"}


def runbook_flags(runbook: Runbook, freshness: Freshness, shown_incidents: Container[str]) -> RunbookFlags:
    """`shown_incidents`: the incident ids the answer may name."""
    reasons = []
    if freshness.past_interval:
        reasons.append(f"its review was due on {freshness.review_due.isoformat()}")
    shown = freshness.shown_to(shown_incidents)
    if shown.uses_after_review:
        hidden = shown.hidden_uses
        unnamed = [f"{hidden} incident{'s that are' if hidden != 1 else ' that is'} not public"] if hidden else []
        reasons.append("incidents used it after its last review: " + ", ".join([*shown.used_after_review, *unnamed]))
    gated = [
        GatedStep(
            section=section,
            number=number + 1,
            action=step.action,
            approver=step.requires_approval,
            sensitive=step.sensitive,
            executor=step.executor.value,
        )
        for section, number, step in runbook.steps
        if step.needs_approval or step.executor is Executor.HUMAN
    ]
    return RunbookFlags(
        status=runbook.status.value,
        replaced_by=runbook.replaced_by,
        stale=freshness.stale,
        stale_reasons=reasons,
        last_reviewed=runbook.last_reviewed,
        review_due=freshness.review_due,
        drill=freshness.drill.value,
        last_drill=freshness.last_drill,
        gated_steps=gated,
        caution=_caution(runbook, freshness, reasons, gated),
    )


def _caution(runbook: Runbook, freshness: Freshness, reasons: list[str], gated: list[GatedStep]) -> list[str]:
    said = []
    if runbook.status is RunbookStatus.DEPRECATED:
        instead = f": use {runbook.replaced_by} instead" if runbook.replaced_by else ""
        said.append(f"Deprecated{instead}.")
    elif runbook.status is RunbookStatus.DRAFT:
        said.append("Draft: not yet reviewed for use.")
    if freshness.stale:
        said.append(
            f"STALE: {'; '.join(reasons)}. Its steps may be out of date: check each one against what you see "
            f"before relying on it, and tell {runbook.owner} what differed."
        )
    if freshness.drill is DrillState.NEVER:
        said.append("The fallback path it covers has never been drilled: it may not work when needed.")
    elif freshness.drill is DrillState.OVERDUE and freshness.last_drill is not None:
        said.append(
            f"The fallback path it covers was last drilled on {freshness.last_drill.isoformat()}, longer ago "
            "than its review interval."
        )
    approvals = [g for g in gated if g.approver is not None or g.sensitive]
    if approvals:
        steps = ", ".join(f"{_where(g)} ({g.approver or 'an approver'})" for g in approvals)
        one = len(approvals) == 1
        said.append(
            f"{len(approvals)} step{' needs' if one else 's need'} approval before running: {steps}. Do not run "
            f"{'it' if one else 'them'}, or present {'it' if one else 'them'} as safe to run, without that approval."
        )
    people = [g for g in gated if g.executor == "human"]
    if people:
        said.append("A person, not an agent, carries out " + ", ".join(_where(g) for g in people) + ".")
    if not said:
        said.append("Current: reviewed within its interval, and no step needs approval.")
    return said


def _where(step: GatedStep) -> str:
    return f"{SECTION_NAMES[step.section]} {step.number}"
