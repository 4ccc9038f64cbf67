"""The steps of a walk in the order a runbook is followed: before you start, diagnose, mitigate, verify.

A walk keeps a snapshot of the runbook's steps in its log, so a resumed walk shows exactly the steps the
walk began with, even when the runbook has changed since.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from opsbook.records.models import Runbook, Step

SECTIONS = (("diagnosis", "Diagnose"), ("mitigation", "Mitigate"), ("verification", "Verify"))
BEFORE = "before"


@dataclass(frozen=True, slots=True)
class WalkStep:
    key: str
    """Stable within a walk: `before`, `diagnosis-1`, `mitigation-2`, …"""
    title: str
    """How the screen and the timeline name it: `Before you start`, `Mitigate 2 of 3`."""
    step: Step
    checklist: tuple[str, ...] = ()
    """The runbook's prerequisites, for the `before` step."""

    @property
    def command_sha256(self) -> str | None:
        return command_digest(self.step.command) if self.step.command else None


def command_digest(command: str) -> str:
    return hashlib.sha256(command.encode("utf-8")).hexdigest()


def snapshot(runbook: Runbook) -> dict[str, Any]:
    """What the log keeps of the runbook: its prerequisites and steps, as JSON."""
    sections = {
        name: [step.model_dump(mode="json", exclude_defaults=True) for step in getattr(runbook, name)]
        for name, _ in SECTIONS
    }
    return {"prerequisites": list(runbook.prerequisites), **sections}


def walk_steps(kept: dict[str, Any]) -> list[WalkStep]:
    """The steps of a snapshot, in walking order."""
    steps: list[WalkStep] = []
    if kept["prerequisites"]:
        action = Step(action="Make sure you have everything this runbook needs.")
        steps.append(WalkStep(BEFORE, "Before you start", action, tuple(kept["prerequisites"])))
    for name, label in SECTIONS:
        section = [Step.model_validate(data) for data in kept[name]]
        for number, step in enumerate(section, 1):
            steps.append(WalkStep(f"{name}-{number}", f"{label} {number} of {len(section)}", step))
    return steps
