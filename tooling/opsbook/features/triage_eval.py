"""Triage evaluation files: a YAML list of `{text, expected}` cases (`opsbook triage --eval`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    expected: Literal["auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy", "none"]
    source: str | None = None
    note: str | None = None


class EvalSet(RootModel[list[EvalCase]]):
    """A triage evaluation file: a YAML list of `{text, expected}` (expected is a class or `none`)."""
