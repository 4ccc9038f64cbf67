"""`opsbook check`: load the knowledge base in check mode and decide the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsbook.diagnostics import Diagnostic, display_path, format_diagnostics
from opsbook.knowledge import find_root, load_knowledge_base
from opsbook.progress import ProgressLine


@dataclass(frozen=True, slots=True)
class CheckReport:
    diagnostics: list[Diagnostic]
    files_checked: int

    def render(self, output_format: str) -> str:
        return format_diagnostics(self.diagnostics, output_format, checked=self.files_checked)

    def exit_code(self, *, strict: bool) -> int:
        failing = [d for d in self.diagnostics if d.is_error or strict]
        return 1 if failing else 0


def run_check(path: Path, *, jobs: int | None = None, use_cache: bool = True) -> CheckReport:
    """Check the knowledge base containing `path`; a file path narrows the report to that file."""
    from opsbook.cache import Cache

    root = find_root(path)
    cache = Cache.open(root) if use_cache else None
    progress = ProgressLine("checking")
    try:
        kb = load_knowledge_base(root, keep_records=False, jobs=jobs, cache=cache, progress=progress)
    finally:
        progress.close()
    diagnostics = kb.all_diagnostics
    if path.is_file():
        only = display_path(path.resolve())
        diagnostics = [d for d in diagnostics if d.path == only]
        return CheckReport(diagnostics, 1)
    return CheckReport(diagnostics, kb.files_checked)
