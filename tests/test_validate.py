"""Model errors come back as diagnostics on the right line, with the words an author needs."""

from __future__ import annotations

from opsbook.records.models import Incident, Runbook
from opsbook.records.validate import dotted, validate_model
from opsbook.records.yaml_loader import load_bytes
from tests.kbfactory import dump, incident, runbook, variant


def check(data: dict | str, model: type = Runbook) -> list:
    raw = (data if isinstance(data, str) else dump(data)).encode()
    result = load_bytes(raw, "r.yaml")
    assert result.document is not None
    _, diagnostics = validate_model(result.document, model)
    return diagnostics


def test_valid_runbook_and_incident_pass() -> None:
    assert check(runbook("a", "fallback")) == []
    assert check(incident(), Incident) == []


def test_misspelt_field_is_unknown_key_with_did_you_mean_and_position() -> None:
    text = dump(runbook("a", "auth-drift")).replace("mitigation:", "mitigaton:")
    [diagnostic] = [d for d in check(text) if d.code == "unknown-key"]
    line = text.splitlines().index("mitigaton:") + 1
    assert (diagnostic.line, diagnostic.col) == (line, 1)
    assert "did you mean 'mitigation'" in diagnostic.message


def test_unknown_key_in_a_step_suggests_the_step_field() -> None:
    data = runbook("a", "auth-drift")
    data["diagnosis"][1] = {"action": "x", "expectd": "y"}
    [diagnostic] = check(data)
    assert diagnostic.code == "unknown-key"
    assert "diagnosis[1]" in diagnostic.message and "'expected'" in diagnostic.message


def test_missing_field_points_at_its_parent() -> None:
    data = runbook("a", "auth-drift")
    del data["summary"]
    [diagnostic] = check(data)
    assert diagnostic.code == "missing-key" and "'summary'" in diagnostic.message


def test_enum_typo_lists_allowed_values_and_suggests_one() -> None:
    [diagnostic] = check(variant(runbook("a", "fallback"), failure_class="fallbak"))
    assert diagnostic.code == "bad-value"
    assert "did you mean 'fallback'" in diagnostic.message and "'tool-policy'" in diagnostic.message


def test_number_where_text_is_expected_hints_at_quoting() -> None:
    data = runbook("a", "fallback", signatures=[429, "x"])
    [diagnostic] = check(data)
    assert diagnostic.code == "wrong-type" and diagnostic.hint and "quote" in diagnostic.hint


def test_timestamp_without_timezone_is_its_own_code() -> None:
    data = incident()
    data["timestamps"]["started"] = "2026-11-17T10:00:00"
    [diagnostic] = check(data, Incident)
    assert diagnostic.code == "naive-timestamp"


def test_union_of_class_or_other_reports_once() -> None:
    diagnostics = check(variant(incident(), failure_classes=["auth-drfit"]), Incident)
    assert [d.code for d in diagnostics] == ["bad-value"]
    assert "did you mean 'auth-drift'" in diagnostics[0].message


def test_javascript_urls_are_refused() -> None:
    data = runbook("a", "fallback", references=[{"title": "x", "url": "javascript:alert(1)"}])
    [diagnostic] = check(data)
    assert diagnostic.code == "bad-value" and "http" in diagnostic.message


def test_ids_with_path_separators_are_refused() -> None:
    [diagnostic] = check(variant(runbook("a", "fallback"), id="../etc/passwd"))
    assert diagnostic.code == "bad-value"


def test_dotted_paths() -> None:
    assert dotted(("mitigation", 2, "command")) == "mitigation[2].command"
    assert dotted(()) == ""
