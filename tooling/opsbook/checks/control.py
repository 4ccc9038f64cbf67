"""Rule control, the way ruff and yamllint do it: which findings a report shows, and at which level.

Three sources, applied to every finding, per file and across records alike:

- the `checks:` table of opsbook.yml gives a code another level (error, warning, notice) or turns it off;
- `--select` / `--ignore` choose codes for one run; a code named in `--select` is shown even when the
  configuration turns it off (at its own level);
- `# opsbook: ignore[code]` comments suppress the findings of `code` on their line, and
  `# opsbook: ignore-file[code]` in the whole file (`opsbook.records.suppressions`).

What keeps a file from being read as a record (a YAML or schema error in a file that fails to load or
validate) is always reported as an error: hiding it would silently drop the record from every listing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from opsbook.records.diagnostics import CODES, SCHEMA_CODES, Diagnostic, Level, did_you_mean

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex


class UnknownCode(ValueError):
    """A code given to `--select` or `--ignore` that does not exist."""


@dataclass(frozen=True, slots=True)
class RuleControl:
    levels: Mapping[str, str] = field(default_factory=dict)
    """From opsbook.yml's `checks:`: code → error, warning, notice or off."""
    select: frozenset[str] | None = None
    """Only these codes (None: every code)."""
    ignore: frozenset[str] = frozenset()

    @classmethod
    def of(cls, index: KnowledgeIndex, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> RuleControl:
        """The knowledge base's levels with this run's selection (codes, or comma-separated lists of them)."""
        chosen, left_out = parse_codes(select), parse_codes(ignore)
        return cls(dict(index.settings.get("checks", {})), frozenset(chosen) if chosen else None, frozenset(left_out))

    def level(self, diagnostic: Diagnostic) -> Level | None:
        """The level the finding is reported at, or None when it is not reported."""
        code = diagnostic.code
        if code in self.ignore or (self.select is not None and code not in self.select):
            return None
        configured = self.levels.get(code)
        if configured is None or (configured == "off" and self.select is not None):
            return diagnostic.level
        return None if configured == "off" else Level(configured)


def parse_codes(values: Iterable[str]) -> list[str]:
    """`["secret,placeholder", "orphan-runbook"]` → the three codes; raises UnknownCode for a misspelt one."""
    codes = [code.strip() for value in values for code in value.split(",") if code.strip()]
    for code in codes:
        if code not in CODES:
            raise UnknownCode(f"{code!r} is not a diagnostic code{did_you_mean(code, CODES)}")
    return codes


def controlled(index: KnowledgeIndex, diagnostics: Iterable[Diagnostic], control: RuleControl) -> list[Diagnostic]:
    """The findings `control` and the files' suppression comments leave, at their levels (paths relative
    to the root, as the index holds them)."""
    suppressed = _suppressions(index)
    unreadable = _unreadable_files(index)
    kept = []
    for diagnostic in diagnostics:
        if diagnostic.is_error and diagnostic.code in SCHEMA_CODES and diagnostic.path in unreadable:
            kept.append(diagnostic)
            continue
        level = control.level(diagnostic)
        if level is None or _is_suppressed(diagnostic, suppressed.get(diagnostic.path, ())):
            continue
        kept.append(diagnostic if level is diagnostic.level else replace(diagnostic, level=level))
    return kept


def _suppressions(index: KnowledgeIndex) -> dict[str, list[tuple[str, int, int]]]:
    found: defaultdict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for path, code, first, last in index.file_tables.execute(
        "SELECT path, code, first_line, last_line FROM suppressions"
    ):
        found[path].append((code, first, last))
    return found


def _is_suppressed(diagnostic: Diagnostic, suppressions: Iterable[tuple[str, int, int]]) -> bool:
    return any(code == diagnostic.code and first <= diagnostic.line <= last for code, first, last in suppressions)


def _unreadable_files(index: KnowledgeIndex) -> set[str]:
    """Files that could not be read as what they are: records that failed to load or validate, and a
    configuration or catalog file with no valid data."""
    rows = index.file_tables.execute("SELECT path FROM files WHERE diagnostics != '[]' AND NOT readable")
    return {row[0] for row in rows}
