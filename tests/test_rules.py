"""Record rules beyond the schema: each with a failing and a passing case, through `opsbook check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.checks.report import run_check
from tests.kbfactory import incident, make_kb, runbook, write


def diagnostics_for(root: Path, code: str) -> list:
    return [d for d in run_check(root, use_index=False).diagnostics if d.code == code]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path)


def test_clean_knowledge_base_has_no_diagnostics(kb: Path) -> None:
    report = run_check(kb, use_index=False)
    assert report.diagnostics == []
    assert report.exit_code(strict=True) == 0


def test_id_must_equal_file_name(kb: Path) -> None:
    write(kb / "runbooks/fallback/other-name.yaml", runbook("rb-x", "fallback", related=["rb-fallback"]))
    [diagnostic] = diagnostics_for(kb, "id-mismatch")
    assert diagnostic.path.endswith("other-name.yaml") and diagnostic.line == 1


def test_runbook_folder_must_be_its_class(kb: Path) -> None:
    write(kb / "runbooks/fallback/rb-x.yaml", runbook("rb-x", "auth-drift", related=["rb-fallback"]))
    [diagnostic] = diagnostics_for(kb, "class-folder")
    assert "runbooks/auth-drift/" in diagnostic.message


def test_incident_folder_must_be_its_year(kb: Path) -> None:
    write(kb / "incidents/2025/2026-11-17-webhook-secret.yaml", incident())
    assert len(diagnostics_for(kb, "incident-folder")) == 1


def test_timestamps_must_be_in_order(kb: Path) -> None:
    record = incident()
    record["timestamps"]["mitigated"] = "2026-11-17T10:10:00Z"
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    [diagnostic] = diagnostics_for(kb, "timestamp-order")
    assert "mitigated" in diagnostic.message and "acknowledged" in diagnostic.message


def test_reviewed_incident_needs_resolved_time(kb: Path) -> None:
    record = incident()
    del record["timestamps"]["resolved"]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    assert len(diagnostics_for(kb, "missing-key")) == 1


def test_sensitive_step_must_name_approver(kb: Path) -> None:
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    del record["mitigation"][1]["requires_approval"]
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    [diagnostic] = diagnostics_for(kb, "approval-missing")
    assert "mitigation[1]" in diagnostic.message


def test_production_deploy_command_without_approver_is_a_warning(kb: Path) -> None:
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    record["mitigation"][0]["command"] = "vercel deploy --prod --force"
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    [diagnostic] = diagnostics_for(kb, "sensitive-unflagged")
    assert diagnostic.level == "warning"
    assert run_check(kb, use_index=False).exit_code(strict=False) == 0
    assert run_check(kb, use_index=False).exit_code(strict=True) == 1


def test_read_only_commands_are_not_flagged(kb: Path) -> None:
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    record["diagnosis"][0]["command"] = "vercel env ls production && curl -sI https://example.com/"
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    assert diagnostics_for(kb, "sensitive-unflagged") == []


def test_open_action_item_needs_owner(kb: Path) -> None:
    record = incident()
    del record["action_items"][0]["owner"]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    [diagnostic] = diagnostics_for(kb, "action-item-owner")
    assert diagnostic.level == "error"


def test_open_action_item_without_due_date_is_a_warning(kb: Path) -> None:
    record = incident(example=False)
    del record["action_items"][0]["due"]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    [diagnostic] = diagnostics_for(kb, "action-item-owner")
    assert diagnostic.level == "warning" and "P1 SLA" in diagnostic.message


def test_an_example_incidents_follow_up_needs_no_due_date(kb: Path) -> None:
    record = incident(example=True)
    del record["action_items"][0]["due"]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    assert diagnostics_for(kb, "action-item-owner") == []


def test_done_action_item_needs_no_owner_but_a_closed_date(kb: Path) -> None:
    record = incident()
    record["action_items"][0].update(status="done", closed="2026-11-20")
    del record["action_items"][0]["owner"]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    assert run_check(kb, use_index=False).diagnostics == []
    del record["action_items"][0]["closed"]
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    assert len(diagnostics_for(kb, "missing-key")) == 1


def test_not_doing_needs_a_reason(kb: Path) -> None:
    record = incident()
    record["action_items"][0].update(status="not_doing", closed="2026-11-20")
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    assert len(diagnostics_for(kb, "missing-key")) == 1


def test_action_item_ids_are_unique_within_an_incident(kb: Path) -> None:
    record = incident()
    record["action_items"].append(dict(record["action_items"][0]))
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", record)
    assert len(diagnostics_for(kb, "duplicate-id")) == 1


def test_deprecated_runbook_needs_replacement(kb: Path) -> None:
    write(
        kb / "runbooks/fallback/old.yaml",
        runbook("old", "fallback", status="deprecated", related=["rb-fallback"]),
    )
    assert len(diagnostics_for(kb, "deprecated-without-replacement")) == 1


def test_regex_signature_must_compile(kb: Path) -> None:
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"], signatures=["ok", "/unclosed(/"])
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    [diagnostic] = diagnostics_for(kb, "bad-regex")
    assert diagnostic.line > 1


def test_placeholders_are_warnings_that_strict_rejects(kb: Path) -> None:
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"], summary="<fill in: the summary>")
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    [diagnostic] = diagnostics_for(kb, "placeholder")
    assert diagnostic.level == "warning"
    report = run_check(kb, use_index=False)
    assert (report.exit_code(strict=False), report.exit_code(strict=True)) == (0, 1)


def test_other_class_needs_a_note(kb: Path) -> None:
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", incident(failure_classes=["other"]))
    assert len(diagnostics_for(kb, "missing-key")) == 1


def test_a_title_past_60_characters_needs_a_short_title(kb: Path) -> None:
    long_title = "Agent stuck waiting for a human approval that never arrives in Slack"
    path = write(
        kb / "runbooks/fallback/rb-x.yaml", runbook("rb-x", "fallback", title=long_title, related=["rb-fallback"])
    )
    [diagnostic] = diagnostics_for(kb, "long-title")
    assert diagnostic.level.value == "warning" and diagnostic.line == 2 and "short_title" in (diagnostic.hint or "")
    write(
        path,
        runbook("rb-x", "fallback", title=long_title, short_title="Agent waits for approval", related=["rb-fallback"]),
    )
    assert diagnostics_for(kb, "long-title") == []
    write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", incident(title=long_title))
    [diagnostic] = diagnostics_for(kb, "long-title")
    assert diagnostic.path.endswith("2026-11-17-webhook-secret.yaml")


def write_first_mitigation(kb: Path, action: str) -> Path:
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    record["mitigation"][0]["action"] = action
    return write(kb / "runbooks/fallback/rb-fallback.yaml", record)


def test_a_step_that_opens_with_a_condition_is_a_warning_at_its_action(kb: Path) -> None:
    path = write_first_mitigation(kb, "If the worker is stuck, restart it")
    [diagnostic] = diagnostics_for(kb, "step-not-verb-first")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "If the worker is stuck" in text)
    col = path.read_text().splitlines()[line - 1].index("If the worker") + 1
    assert (diagnostic.line, diagnostic.col, diagnostic.level) == (line, col, "warning")
    assert "mitigation[0].action starts with 'If'" in diagnostic.message


def test_the_hint_shows_the_verb_first_rewrite(kb: Path) -> None:
    write_first_mitigation(kb, "When the worker is stuck, restart it")
    [diagnostic] = diagnostics_for(kb, "step-not-verb-first")
    assert '"Roll back the deploy when errors double", not "If errors double, roll back' in (diagnostic.hint or "")


@pytest.mark.parametrize(
    "action",
    ["For Lambda, publish a version", "In staging, restart the worker", "The billing owner restores the budget"],
)
def test_a_scope_or_a_noun_phrase_before_the_verb_is_flagged(kb: Path, action: str) -> None:
    write_first_mitigation(kb, action)
    [diagnostic] = diagnostics_for(kb, "step-not-verb-first")
    assert f"starts with {action.split()[0].rstrip(',')!r}" in diagnostic.message


def test_a_label_before_a_colon_is_flagged(kb: Path) -> None:
    write_first_mitigation(kb, "Vercel: redeploy without the build cache")
    [diagnostic] = diagnostics_for(kb, "step-not-verb-first")
    assert "starts with 'Vercel:'" in diagnostic.message


@pytest.mark.parametrize(
    "action",
    ["Clear the cache when the origin is new", "Record the drill", "Free the port", "Open the dashboard: read it"],
)
def test_a_step_that_starts_with_its_verb_is_not_flagged(kb: Path, action: str) -> None:
    write_first_mitigation(kb, action)
    assert diagnostics_for(kb, "step-not-verb-first") == []


def test_a_team_can_turn_the_verb_first_check_off(kb: Path) -> None:
    write_first_mitigation(kb, "If the worker is stuck, restart it")
    assert len(diagnostics_for(kb, "step-not-verb-first")) == 1
    write(kb / "opsbook.yml", "checks: {step-not-verb-first: off}\n")
    assert diagnostics_for(kb, "step-not-verb-first") == []


def test_a_comment_on_the_action_line_suppresses_the_verb_first_check(kb: Path) -> None:
    path = write_first_mitigation(kb, "If the worker is stuck, restart it")
    assert len(diagnostics_for(kb, "step-not-verb-first")) == 1
    comment = "  # opsbook: ignore[step-not-verb-first]"
    path.write_text(path.read_text().replace("stuck, restart it\n", "stuck, restart it" + comment + "\n"))
    assert diagnostics_for(kb, "step-not-verb-first") == []
