"""Examples in the README are real: the runbook shown there validates."""

from __future__ import annotations

import re
from pathlib import PurePath

from opsbook.records.models import Runbook
from opsbook.records.rules import runbook_rules
from opsbook.records.validate import validate_model
from opsbook.records.yaml_loader import load_bytes
from tests.conftest import ROOT


def test_readme_runbook_example_is_valid() -> None:
    example = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)[0]
    result = load_bytes(example.encode(), "README.md")
    assert result.document is not None and result.diagnostics == []
    record, errors = validate_model(result.document, Runbook)
    assert errors == [] and record is not None
    path = PurePath(f"runbooks/{record.failure_class.value}/{record.id}.yaml")
    assert list(runbook_rules(result.document, record, path)) == []
