"""`opsbook check`: every file's own findings and the cross-record findings, for the whole knowledge base or
for some of its files, and the exit code they give."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from opsbook.checks.cross_record import Finding, cross_record_findings
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.index.prefork import Checker
from opsbook.records.diagnostics import Diagnostic, display_path, format_diagnostics
from opsbook.support.clock import today
from opsbook.support.progress import ProgressLine


class NotInKnowledgeBase(ValueError):
    """A path given to `check` that is not one of the knowledge base's files."""


@dataclass(frozen=True, slots=True)
class CheckReport:
    diagnostics: list[Diagnostic]
    files_checked: int

    def render(self, output_format: str) -> str:
        return format_diagnostics(self.diagnostics, output_format, checked=self.files_checked)

    def exit_code(self, *, strict: bool) -> int:
        failing = [d for d in self.diagnostics if d.is_error or strict]
        return 1 if failing else 0


def run_check(
    root: Path,
    files: list[Path] | None = None,
    *,
    jobs: int | None = None,
    use_index: bool = True,
    checker: Checker | None = None,
) -> CheckReport:
    """Check the knowledge base at `root`. With `files`, report their own findings and the cross-record
    findings that involve their records (a renamed id makes references to it elsewhere dangle)."""
    progress = ProgressLine("checking")
    try:
        index = KnowledgeIndex.open(root, persistent=use_index, jobs=jobs, progress=progress, checker=checker)
    finally:
        progress.close()
    try:
        findings = cross_record_findings(index, today())
        diagnostics = index.file_diagnostics() + [finding.diagnostic for finding in findings]
        checked = index.files_checked()
        if files is not None:
            diagnostics, checked = _about(index, files, diagnostics, findings), len(files)
    finally:
        index.close()
    return CheckReport([_shown(root, d) for d in diagnostics], checked)


def knowledge_base_diagnostics(index: KnowledgeIndex, on: dt.date) -> list[Diagnostic]:
    """Every finding in the knowledge base, with paths as the user sees them."""
    findings = index.file_diagnostics() + [finding.diagnostic for finding in cross_record_findings(index, on)]
    return [_shown(index.root, d) for d in findings]


class PublicBuildRefused(Exception):
    """A public build never runs while a likely secret is in the knowledge base, or a file it would publish
    could not be scanned (see `publication_blockers`)."""

    def __init__(self, findings: list[Diagnostic], what: str = "build") -> None:
        super().__init__(f"{len(findings)} likely secret(s) or unscanned file(s) found; a public {what} refuses to run")
        self.findings = findings


def publication_blockers(index: KnowledgeIndex, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """What a public build or export refuses to run over: every likely secret, and every file under docs/
    that could not be scanned (a site generator would publish it unread). `diagnostics` are the knowledge
    base's, as `knowledge_base_diagnostics` gives them."""
    unscanned = index.connection.execute("SELECT path FROM files WHERE role = 'docs' AND digest IS NULL")
    unscanned_paths = {display_path(index.root / path) for (path,) in unscanned}
    return [d for d in diagnostics if d.code == "secret" or d.path in unscanned_paths]


def _about(
    index: KnowledgeIndex, files: list[Path], diagnostics: list[Diagnostic], findings: list[Finding]
) -> list[Diagnostic]:
    known = {row[0] for row in index.connection.execute("SELECT path FROM files")}
    paths = set()
    for file in files:
        path = relative_path(index.root, file)
        if path is None or path not in known:
            raise NotInKnowledgeBase(
                f"{file} is not a file of the knowledge base at {display_path(index.root)}: records are "
                f"YAML files under {index.settings['paths']['runbooks']}/ and {index.settings['paths']['incidents']}/"
            )
        paths.add(path)
    subjects = {index.previous_ids[path] for path in paths if path in index.previous_ids}
    for path in paths:
        subjects.update(index.connection.execute("SELECT kind, id FROM records WHERE path = ?", (path,)))
        subjects.update(
            ("class", row[0]) for row in index.connection.execute("SELECT class FROM classes WHERE path = ?", (path,))
        )
    caused = {id(f.diagnostic) for f in findings if f.subjects & subjects}
    return [d for d in diagnostics if d.path in paths or id(d) in caused]


def relative_path(root: Path, file: Path) -> str | None:
    """`file` relative to `root` with `/`, or None when it is outside."""
    try:
        return Path(os.path.abspath(file)).relative_to(root).as_posix()
    except ValueError:
        try:
            return file.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            return None


def _shown(root: Path, diagnostic: Diagnostic) -> Diagnostic:
    """Findings name files relative to the root; the user sees them relative to the working directory."""
    return replace(diagnostic, path=display_path(root / diagnostic.path))
