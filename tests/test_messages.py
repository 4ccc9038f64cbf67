"""Messages in one style, in the author's words: the field, what was expected, what was found, a hint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from opsbook.checks.report import run_check
from opsbook.records.models import Incident, Runbook
from opsbook.records.validate import validate_model
from opsbook.records.yaml_loader import load_bytes
from tests.kbfactory import dump, incident, make_kb, runbook, write


def problems(text: str, model: type = Incident) -> list:
    result = load_bytes(text.encode(), "r.yaml")
    assert result.document is not None
    _, diagnostics = validate_model(result.document, model, result.diagnostics)
    return result.diagnostics + diagnostics


def incident_with(old: str, new: str) -> str:
    text = dump(incident())
    assert old in text
    return text.replace(old, new)


def test_severity_outside_the_scale_says_which_end_is_which() -> None:
    [diagnostic] = problems(incident_with("severity: SEV2", "severity: SEV0"))
    assert diagnostic.message == ("severity: expected one of 'SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5', found 'SEV0'")
    assert diagnostic.hint == "SEV1 is the most severe level and SEV5 the mildest"


def test_severity_written_in_another_case_is_suggested() -> None:
    [diagnostic] = problems(incident_with("severity: SEV2", "severity: sev2"))
    assert diagnostic.message.endswith("found 'sev2' (did you mean 'SEV2'?)")


def test_yaml_boolean_where_a_word_is_expected_hints_at_quoting() -> None:
    [diagnostic] = problems(incident_with("helped: 'yes'", "helped: yes"))
    assert diagnostic.message == (
        "runbooks_used[0].helped: expected one of 'yes', 'partly', 'no', 'wrong-runbook', found yes (the boolean true)"
    )
    assert diagnostic.hint == 'YAML reads an unquoted yes as a boolean; quote it: helped: "yes"'


@pytest.mark.parametrize("written", ["2026-02-30", "2026/12/15", "15-12-2026", "next week", "20261215"])
def test_every_bad_date_gets_the_same_message_with_its_field(written: str) -> None:
    [diagnostic] = problems(incident_with("due: '2026-12-15'", f"due: {written}"))
    assert diagnostic.message.startswith("action_items[0].due: expected a date written YYYY-MM-DD, found ")
    assert diagnostic.hint == "write dates as YYYY-MM-DD, such as 2026-11-25"
    assert diagnostic.line == dump(incident()).splitlines().index("  due: '2026-12-15'") + 1


def test_a_date_that_does_not_exist_says_so() -> None:
    [diagnostic] = problems(incident_with("due: '2026-12-15'", "due: 2026-02-30"))
    assert diagnostic.message.endswith("found '2026-02-30' (no such day)")


def test_a_bad_timestamp_names_its_field_and_the_format() -> None:
    [diagnostic] = problems(incident_with("started: '2026-11-17T10:00:00Z'", "started: 2026/11/17 10:00"))
    assert diagnostic.message == "timestamps.started: expected a timestamp, found '2026/11/17 10:00'"
    assert diagnostic.hint and "2026-11-03T14:05:00Z" in diagnostic.hint


def test_a_number_where_text_is_expected_is_quoted_as_written() -> None:
    [diagnostic] = problems(dump(runbook("a", "fallback", signatures=[429, "x"])), Runbook)
    assert diagnostic.message == "signatures[0]: expected text, found 429"
    assert diagnostic.hint == 'quote it so YAML reads it as text: signatures: "429"'


def test_limits_say_what_was_expected_and_found() -> None:
    [low] = problems(dump(runbook("a", "fallback", review_interval_days=0)), Runbook)
    assert low.message == "review_interval_days: expected a number of at least 1, found 0"
    [empty] = problems(dump(runbook("a", "fallback", symptoms=[])), Runbook)
    assert empty.message == "symptoms: expected at least 1 item, found an empty list"
    [text] = problems(dump(runbook("a", "fallback", symptoms="slow")), Runbook)
    assert text.message == "symptoms: expected a list, found 'slow'"
    assert text.hint == "write a list, even of one item: symptoms: [slow]"


def test_ids_say_their_shape() -> None:
    [diagnostic] = problems(dump(runbook("Webhook_Secret", "auth-drift")), Runbook)
    assert diagnostic.message == (
        "id: expected lower-case words joined by hyphens, such as webhook-secret-rotated, found 'Webhook_Secret'"
    )


def test_review_date_in_the_future_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOOK_TODAY", "2026-11-25")
    kb = make_kb(tmp_path / "kb")
    path = write(
        kb / "runbooks/auth-drift/rb-auth-drift.yaml",
        runbook("rb-auth-drift", "auth-drift", related=["rb-session-lifecycle"], last_reviewed="2062-11-20"),
    )
    [diagnostic] = [d for d in run_check(kb, use_index=False).diagnostics if d.code == "future-date"]
    assert diagnostic.message == "last_reviewed: expected a date no later than today (2026-11-25), found 2062-11-20"
    assert path.read_text().splitlines()[diagnostic.line - 1] == "last_reviewed: '2062-11-20'"
    assert diagnostic.is_error


def test_review_dated_tomorrow_is_allowed_for_time_zones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOOK_TODAY", "2026-11-25")
    kb = make_kb(tmp_path / "kb")
    tomorrow = (dt.date(2026, 11, 25) + dt.timedelta(days=1)).isoformat()
    write(
        kb / "runbooks/auth-drift/rb-auth-drift.yaml",
        runbook("rb-auth-drift", "auth-drift", related=["rb-session-lifecycle"], last_reviewed=tomorrow),
    )
    assert [d for d in run_check(kb, use_index=False).diagnostics if d.code == "future-date"] == []


def test_counts_are_singular_and_plural(tmp_path: Path, cli: Callable[..., Result]) -> None:
    kb = make_kb(tmp_path / "kb")
    write(kb / "runbooks/fallback/lonely.yaml", runbook("lonely", "fallback", signatures=["/(/", "x"]))
    output = cli("check", "runbooks/fallback/lonely.yaml", cwd=kb).output
    assert output.splitlines()[-1] == "1 file checked: 1 error, 1 warning"


def test_paths_in_hints_are_relative_to_where_the_command_runs(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """A knowledge base in ops/, checked from the repository's root: the `git mv` in the hint works there."""
    repo = tmp_path / "repo"
    kb = make_kb(repo / "ops")
    write(kb / "runbooks/auth-drift/moved.yaml", runbook("moved", "fallback", related=["rb-fallback"]))
    [line, hint] = cli("check", "ops/runbooks/auth-drift/moved.yaml", cwd=repo).output.splitlines()[:2]
    assert line.endswith("a fallback runbook must live in ops/runbooks/fallback/, not in ops/runbooks/auth-drift/")
    assert hint == "    hint: move it: git mv ops/runbooks/auth-drift/moved.yaml ops/runbooks/fallback/moved.yaml"
    source = hint.split("git mv ")[1].split()[0]
    assert (repo / source).is_file()
    inside = cli("check", "runbooks/auth-drift/moved.yaml", cwd=kb).output
    assert "git mv runbooks/auth-drift/moved.yaml runbooks/fallback/moved.yaml" in inside
