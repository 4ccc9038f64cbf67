"""`opsbook check`: load the knowledge base in check mode and decide the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsbook.records.diagnostics import Diagnostic, display_path, format_diagnostics
from opsbook.index.scan import CACHE_DIR, find_root
from opsbook.support.progress import ProgressLine


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
    root = find_root(path)
    progress = ProgressLine("checking")
    try:
        if use_cache:
            from opsbook.index.prefork import Checker, take_early

            # Forked as early as possible: the child's imports are the longest step of a warm run.
            checker = take_early()
            if jobs == 1 or not (root / CACHE_DIR).is_dir():
                if checker is not None:
                    checker.cancel()
                checker = None
            elif checker is None:
                checker = Checker.start()
            from opsbook.index.incremental import check_with_cache

            diagnostics, files_checked = check_with_cache(root, jobs=jobs, progress=progress, checker=checker)
        else:
            from opsbook.index.knowledge import load_knowledge_base

            kb = load_knowledge_base(root, keep_records=False, jobs=jobs, progress=progress)
            diagnostics, files_checked = kb.all_diagnostics, kb.files_checked
    finally:
        progress.close()
    if path.is_file():
        only = display_path(path.resolve())
        return CheckReport([d for d in diagnostics if d.path == only], 1)
    return CheckReport(diagnostics, files_checked)
