"""`opsbook check`: every file's own findings and the cross-record findings, for the whole knowledge base or
for some of its files, under the rule control of `opsbook.checks.control`, and the exit code they give.

Findings are ordered by file; within a file its own problems come first and what they cause across
records after them (a class left uncovered by an invalid runbook follows that runbook's errors).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from opsbook.checks.control import RuleControl, controlled
from opsbook.checks.cross_record import Finding, cross_record_findings
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.index.prefork import Checker
from opsbook.index.root import CONFIG_FILE
from opsbook.index.store import decode_diagnostics
from opsbook.records.diagnostics import Diagnostic, Level, display_path
from opsbook.records.output import format_diagnostics
from opsbook.support.clock import today
from opsbook.support.progress import ProgressLine

MENTIONED_FOLDERS = ("runbooks", "incidents", "catalog", "docs")
"""The folders (opsbook.yml's `paths`) whose files messages and hints name."""


class NotInKnowledgeBase(ValueError):
    """A path given to `check` that is not one of the knowledge base's files."""


@dataclass(frozen=True, slots=True)
class CheckReport:
    diagnostics: list[Diagnostic]
    files_checked: int

    def failing(self, *, strict: bool) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error or (strict and d.level is Level.WARNING)]

    def render(self, output_format: str, *, color: bool = False, quiet: bool = False, strict: bool = False) -> str:
        """`quiet` shows only what makes the run fail, without the closing count."""
        shown = self.failing(strict=strict) if quiet else self.diagnostics
        return format_diagnostics(shown, output_format, checked=self.files_checked, color=color, summary=not quiet)

    def exit_code(self, *, strict: bool) -> int:
        return 1 if self.failing(strict=strict) else 0


def run_check(
    root: Path,
    files: list[Path] | None = None,
    *,
    jobs: int | None = None,
    use_index: bool = True,
    checker: Checker | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> CheckReport:
    """Check the knowledge base at `root`. With `files`, report their own findings and the cross-record
    findings that involve their records (a renamed id makes references to it elsewhere dangle). `select`
    and `ignore` are codes (or comma-separated lists of them) for this run."""
    progress = ProgressLine("checking")
    try:
        index = KnowledgeIndex.open(root, persistent=use_index, jobs=jobs, progress=progress, checker=checker)
    finally:
        progress.close()
    try:
        findings = cross_record_findings(index, today())
        own = index.file_diagnostics()
        across = [finding.diagnostic for finding in findings]
        checked = index.files_checked()
        if files is not None:
            own, across = _about(index, files, own, findings)
            checked = len(files)
        diagnostics = _reported(index, own, across, RuleControl.of(index, select, ignore))
        shown = [_shown(index, d) for d in diagnostics]
    finally:
        index.close()
    return CheckReport(shown, checked)


def knowledge_base_diagnostics(index: KnowledgeIndex, on: dt.date) -> list[Diagnostic]:
    """Every finding `opsbook check` reports for the knowledge base (opsbook.yml's levels and the files'
    suppressions applied), with paths as the user sees them."""
    return [_shown(index, d) for d in reported(index, on)]


def reported(index: KnowledgeIndex, on: dt.date) -> list[Diagnostic]:
    """What `opsbook check` reports, with paths relative to the root."""
    across = [finding.diagnostic for finding in cross_record_findings(index, on)]
    return _reported(index, index.file_diagnostics(), across, RuleControl.of(index))


def failing_records(index: KnowledgeIndex, on: dt.date) -> set[str]:
    """Paths of the records `opsbook check` reports an error in: invalid ones, and valid ones with an
    error such as timestamps out of order or a dangling reference. Figures leave them out."""
    records = {
        row[0] for row in index.file_tables.execute("SELECT path FROM files WHERE role IN ('runbook', 'incident')")
    }
    return {d.path for d in reported(index, on) if d.is_error and d.path in records}


def config_errors(index: KnowledgeIndex) -> list[Diagnostic]:
    """The errors of opsbook.yml, with paths as the user sees them (commands that rely on its settings stop
    on them rather than carry on with the defaults)."""
    row = index.file_tables.execute("SELECT diagnostics FROM files WHERE path = ?", (CONFIG_FILE,)).fetchone()
    found = decode_diagnostics(CONFIG_FILE, row[0]) if row is not None else []
    return [_shown(index, d) for d in found if d.is_error]


def _reported(
    index: KnowledgeIndex, own: list[Diagnostic], across: list[Diagnostic], control: RuleControl
) -> list[Diagnostic]:
    ordered = [(d, 0) for d in controlled(index, own, control)] + [(d, 1) for d in controlled(index, across, control)]
    ordered.sort(key=lambda pair: (pair[0].path, pair[1], pair[0]))
    return [diagnostic for diagnostic, _ in ordered]


class PublicBuildRefused(Exception):
    """A public build never runs while a likely secret is in the knowledge base, a file it would publish
    could not be scanned (see `publication_blockers`), or a file it writes names a record it leaves out
    (see `opsbook.site.tree`)."""

    def __init__(self, findings: list[Diagnostic], what: str = "build") -> None:
        super().__init__(
            f"{len(findings)} likely secret(s), unscanned file(s) or unpublished record(s) named in public output "
            f"found; a public {what} refuses to run"
        )
        self.findings = findings


def publication_blockers(index: KnowledgeIndex, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """What a public build or export refuses to run over: every likely secret, and every file under docs/
    that could not be scanned (a site generator would publish it unread). `diagnostics` are the knowledge
    base's, as `knowledge_base_diagnostics` gives them."""
    unscanned = index.file_tables.execute("SELECT path FROM files WHERE role = 'docs' AND digest IS NULL")
    unscanned_paths = {display_path(index.root / path) for (path,) in unscanned}
    return [d for d in diagnostics if d.code == "secret" or d.path in unscanned_paths]


def _about(
    index: KnowledgeIndex, files: list[Path], own: list[Diagnostic], findings: list[Finding]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    known = {row[0] for row in index.file_tables.execute("SELECT path FROM files")}
    paths = set()
    for file in files:
        path = relative_path(index.root, file)
        if path is None or path not in known:
            raise NotInKnowledgeBase(
                f"{file} is not a file of the knowledge base at {display_path(index.root)}: records are "
                f"*.yaml files under {index.settings['paths']['runbooks']}/ and "
                f"{index.settings['paths']['incidents']}/"
            )
        paths.add(path)
    subjects = {index.previous_ids[path] for path in paths if path in index.previous_ids}
    for path in paths:
        subjects.update(index.connection.execute("SELECT kind, id FROM records WHERE path = ?", (path,)))
        subjects.update(
            ("class", row[0]) for row in index.connection.execute("SELECT class FROM classes WHERE path = ?", (path,))
        )
    across = [f.diagnostic for f in findings if f.diagnostic.path in paths or f.subjects & subjects]
    return [d for d in own if d.path in paths], across


def relative_path(root: Path, file: Path) -> str | None:
    """`file` relative to `root` with `/`, or None when it is outside."""
    try:
        return Path(os.path.abspath(file)).relative_to(root).as_posix()
    except ValueError:
        try:
            return file.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            return None


def _shown(index: KnowledgeIndex, diagnostic: Diagnostic) -> Diagnostic:
    """Findings name files relative to the root; the user sees them relative to the working directory, in
    the location and in the paths the message and hint mention (`git mv runbooks/a.yaml …`)."""
    root = index.root
    path = display_path(root / diagnostic.path)
    if display_path(root) == ".":
        return replace(diagnostic, path=path)
    folders = "|".join(re.escape(index.settings["paths"][name].strip("/")) for name in MENTIONED_FOLDERS)
    token = r"[^\s,;:'\"()`]*[^\s,;:'\"()`.]"
    mention = re.compile(rf"(?<![\w./'\"-])((?:{folders})/(?:{token})?|{re.escape(CONFIG_FILE)})")

    def relocated(text: str) -> str:
        def shown(match: re.Match[str]) -> str:
            written = match.group(1)
            return display_path(root / written) + ("/" if written.endswith("/") else "")

        return mention.sub(shown, text)

    hint = relocated(diagnostic.hint) if diagnostic.hint else None
    return replace(diagnostic, path=path, message=relocated(diagnostic.message), hint=hint)
