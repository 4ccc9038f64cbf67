"""The committed JSON Schema files are exported from the models and never drift from them."""

from __future__ import annotations

import json
from pathlib import Path

from opsbook.records.schema import outdated, schema_documents

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_files_are_current() -> None:
    assert outdated(ROOT / "schema") == [], "run `opsbook schema` and commit the result"


def test_schema_check_command_detects_drift(tmp_path: Path, cli) -> None:
    assert cli("schema", "--out", str(tmp_path)).exit_code == 0
    assert cli("schema", "--out", str(tmp_path), "--check").exit_code == 0
    (tmp_path / "runbook.schema.json").write_text("{}")
    result = cli("schema", "--out", str(tmp_path), "--check")
    assert result.exit_code == 1 and "runbook.schema.json" in result.output


def test_runbook_schema_forbids_unknown_keys_and_marks_internal_fields() -> None:
    schema = json.loads(schema_documents()["runbook.schema.json"])
    assert schema["additionalProperties"] is False
    assert schema["properties"]["escalation"]["x-visibility"] == "internal"
    assert set(schema["properties"]["failure_class"]["$ref"].split("/")[-1:]) == {"FailureClass"}
