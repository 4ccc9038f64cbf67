"""Triage evaluation files: a YAML list of `{text, expected}` cases (`opsbook triage --eval`), optionally with
the runbook that fits and the split (dev or test) the case belongs to."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    expected: Literal["auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy", "none"]
    runbook: str | None = Field(None, description="The runbook id that fits, where one does.")
    split: Literal["dev", "test"] | None = Field(None, description="Tune on dev; never on test.")
    source: str | None = None
    note: str | None = None


class EvalSet(RootModel[list[EvalCase]]):
    """A triage evaluation file: a YAML list of `{text, expected}` (expected is a class or `none`)."""
