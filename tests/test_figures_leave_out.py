"""`actions`, `stats` and `review` compute figures only from records `opsbook check` accepts: they stop on an
invalid opsbook.yml, and leave out the records check finds errors in, saying how many."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opsbook.cli import main
from tests.kbfactory import incident, make_kb, write

OUT_OF_ORDER = {
    "started": "2026-11-17T10:00:00Z",
    "detected": "2026-11-17T09:00:00Z",
    "resolved": "2026-11-17T12:00:00Z",
}


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two incidents: one clean, one whose timestamps are out of order (valid YAML and schema, but an
    error for check, and negative durations for the figures)."""
    root = make_kb(tmp_path / "kb", incidents=[incident(example=False)])
    broken = incident("2026-11-18-order", example=False, timestamps=OUT_OF_ORDER)
    broken["action_items"][0]["id"] = "broken-item"
    write(root / "incidents/2026/2026-11-18-order.yaml", broken)
    monkeypatch.chdir(root)
    return root


def run(*args: str) -> Result:
    """The command with its standard error apart, as a shell sees it."""
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # Click 8.1
    except TypeError:
        runner = CliRunner()  # Click 8.2 keeps standard error apart by itself
    return runner.invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", [["stats"], ["actions"], ["review", "--week", "2026-W47", "--format", "json"]])
def test_an_invalid_configuration_stops_with_a_located_error(kb: Path, command: list[str]) -> None:
    write(kb / "opsbook.yml", "name: test\naction_items:\n  sla_days: {P0: seven}\n")
    result = run(*command)
    assert result.exit_code == 1
    assert "opsbook.yml:3:" in result.stderr and "error[bad-value] action_items.sla_days.P0" in result.stderr
    assert result.stdout == ""


def test_stats_leave_out_an_incident_that_fails_check(kb: Path) -> None:
    result = run("stats", "--format", "json")
    figures = json.loads(result.stdout)
    assert figures["incidents"]["total"] == 1 and figures["left_out_invalid_files"] == 1
    assert figures["incidents"]["overall"]["TTD"]["median_minutes"] == 20.0
    assert result.stderr == (
        "opsbook: left out 1 record with errors in `opsbook check` (incidents/2026/2026-11-18-order.yaml); "
        "run it to see why\n"
    )


def test_actions_leave_out_the_follow_ups_of_an_incident_that_fails_check(kb: Path) -> None:
    result = run("actions", "--format", "json")
    assert [item["incident"] for item in json.loads(result.stdout)] == ["2026-11-17-webhook-secret"]
    assert "left out 1 record with errors in `opsbook check`" in result.stderr


def test_review_leaves_out_an_incident_that_fails_check(kb: Path) -> None:
    result = run("review", "--week", "2026-W47", "--format", "json")
    review = json.loads(result.stdout)
    assert [entry["id"] for entry in review["incidents"]] == ["2026-11-17-webhook-secret"]
    assert "left out" in result.stderr


def test_nothing_is_said_when_nothing_is_left_out(kb: Path, cli: Callable[..., Result]) -> None:
    (kb / "incidents/2026/2026-11-18-order.yaml").unlink()
    result = run("stats")
    assert result.exit_code == 0 and result.stderr == ""
