"""Where a walk stands, read from its log: the steps it began with, the answers so far, whether it ended.

The log is the only state a walk has, so a walk resumed after a crash continues exactly where the log
says: at the first step without an answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from opsbook.features.walk.log import Record, WalkLogError
from opsbook.features.walk.steps import WalkStep, walk_steps

OUTCOMES = ("done", "failed", "skipped")


@dataclass(frozen=True)
class WalkState:
    """A view over a log's records (the same list the log appends to)."""

    records: list[Record]

    @classmethod
    def of(cls, records: list[Record], path: Path) -> WalkState:
        if not records or records[0]["event"] != "start":
            raise WalkLogError(f"{path}:1: the log does not begin with the walk's start")
        return cls(records)

    @property
    def start(self) -> Record:
        return self.records[0]

    @property
    def walk_id(self) -> str:
        return str(self.start["walk"])

    @cached_property
    def steps(self) -> list[WalkStep]:
        return walk_steps(self.start["steps"])

    def outcome(self, key: str) -> Record | None:
        return next((r for r in self.records if r["event"] == "outcome" and r["step"] == key), None)

    def runs(self, key: str) -> list[Record]:
        """The step's `run-start` and `run-end` records, in order."""
        return [r for r in self.records if r["event"] in ("run-start", "run-end") and r["step"] == key]

    @property
    def next_step(self) -> WalkStep | None:
        answered = {r["step"] for r in self.records if r["event"] == "outcome"}
        return next((step for step in self.steps if step.key not in answered), None)

    @property
    def ended(self) -> Record | None:
        return next((r for r in self.records if r["event"] == "end"), None)

    @property
    def complete(self) -> bool:
        """Ended, and its incident (if any) holds everything the walk recorded."""
        if self.ended is None:
            return False
        if self.start["incident"] is None:
            return True
        return any(r["event"] == "recorded" and r["final"] for r in self.records)

    def counts(self) -> Counter[str]:
        return Counter(r["outcome"] for r in self.records if r["event"] == "outcome")
