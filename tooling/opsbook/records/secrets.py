"""Likely credentials in records and docs as `secret` diagnostics: each at its line, the value never printed.

A YAML file is scanned twice over: as written (comments, keys and values alike) and, where an escape
(`"\\x73k_live_…"`) or a line continuation could hide a key from the text, as YAML decodes its strings,
which is what a page or an export would publish. One secret gives one finding.
"""

from __future__ import annotations

from opsbook.records.diagnostics import Diagnostic
from opsbook.records.secret_patterns import Secret, find_secrets
from opsbook.records.yaml_loader import Document, strings

HINT = "remove it and rotate it now; write a placeholder such as <key> or $VARIABLE_NAME instead"


def scan_text(text: str, display: str) -> list[Diagnostic]:
    """A diagnostic for every likely secret in `text`, located by line and column."""
    return [_finding(display, *_line_col(text, secret.start), secret) for secret in find_secrets(text)]


def scan_document(document: Document) -> list[Diagnostic]:
    """The secrets in a parsed YAML file: in its text, and in the strings it decodes to."""
    found = find_secrets(document.source)
    diagnostics = [_finding(document.path, *_line_col(document.source, s.start), s) for s in found]
    if "\\" not in document.source:
        return diagnostics  # without a backslash no string decodes to other characters than it is written with
    seen = [document.source[s.start : s.end] for s in found]
    for location, text, is_key in strings(document.data):
        if text in document.source or all(word in document.source for word in text.split()):
            continue  # written as it reads (a block scalar only loses its indentation): the text scan saw it
        context = text if is_key or not location or not isinstance(location[-1], str) else f"{location[-1]}: {text}"
        for secret in find_secrets(context):
            value = context[secret.start : secret.end]
            if any(value in other or other in value for other in seen):
                continue
            seen.append(value)
            line, col = document.locate(location, value=not is_key)
            diagnostics.append(_finding(document.path, line, col, secret))
    return diagnostics


def _finding(display: str, line: int, col: int, secret: Secret) -> Diagnostic:
    message = f"this looks like a real {secret.rule.title}: {secret.masked}"
    return Diagnostic(display, line, col, "secret", message, hint=HINT)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
