"""A list of findings as a whole report: text for a terminal, JSON, GitHub workflow commands or SARIF."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.records.diagnostics import Diagnostic, Level, plural
from opsbook.records.sarif import sarif_log


def format_diagnostics(
    diagnostics: Iterable[Diagnostic], output_format: str, *, checked: int, color: bool = False, summary: bool = True
) -> str:
    """Render diagnostics, in the order given, for the terminal (`color`: with ANSI colours; `summary`: with
    the closing count), for machines (JSON, SARIF) or as GitHub workflow commands."""
    shown = list(diagnostics)
    counts = {level: sum(d.level is level for d in shown) for level in Level}
    if output_format == "json":
        import json

        return json.dumps(
            {
                "files_checked": checked,
                "errors": counts[Level.ERROR],
                "warnings": counts[Level.WARNING],
                "notices": counts[Level.NOTICE],
                "diagnostics": [d.as_dict() for d in shown],
            },
            indent=2,
            ensure_ascii=False,
        )
    if output_format == "sarif":
        return sarif_log(shown)
    if output_format == "github":
        return "\n".join(d.as_github() for d in shown)
    lines = [d.as_text(color=color) for d in shown]
    if summary:
        tally = f"{plural(counts[Level.ERROR], 'error')}, {plural(counts[Level.WARNING], 'warning')}"
        if counts[Level.NOTICE]:
            tally += f", {plural(counts[Level.NOTICE], 'notice')}"
        lines.append(f"{plural(checked, 'file')} checked: {tally}")
    return "\n".join(lines)
