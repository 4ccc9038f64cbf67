"""Findings as a SARIF 2.1.0 log, the format code-scanning services read (GitHub's `upload-sarif` action).

One run of one tool: each code that occurs is a rule (described by its `CODES` entry) and each finding a
result with its level, message, hint and location. Paths are the ones findings carry: relative to the
working directory, which in CI is the repository's root. Columns count characters (`unicodeCodePoints`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from opsbook import __version__
from opsbook.records.diagnostics import CODES, Diagnostic, Level

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/opsbook/opsbook"
SARIF_LEVELS = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTICE: "note"}


def sarif_log(diagnostics: Sequence[Diagnostic]) -> str:
    codes = sorted({d.code for d in diagnostics})
    rule_index = {code: position for position, code in enumerate(codes)}
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "opsbook",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(code) for code in codes],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, rule_index[d.code]) for d in diagnostics],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def _rule(code: str) -> dict[str, Any]:
    return {
        "id": code,
        "name": "".join(word.capitalize() for word in code.split("-")),
        "shortDescription": {"text": CODES[code]},
    }


def _result(diagnostic: Diagnostic, rule_index: int) -> dict[str, Any]:
    text = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    return {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": SARIF_LEVELS[diagnostic.level],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(diagnostic.path.replace("\\", "/"))},
                    "region": {"startLine": diagnostic.line, "startColumn": diagnostic.col},
                }
            }
        ],
    }
