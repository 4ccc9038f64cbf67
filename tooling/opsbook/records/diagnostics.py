"""Located problems (`path:line:col: error[code] message`), one by one as text and GitHub annotations.

Every problem opsbook finds in user input becomes a `Diagnostic`; nothing below the CLI raises for bad
input. Codes are stable: they are documented in `CODES` and on the site, and tools may match on them.
Messages and hints name files and folders relative to the knowledge base's root; `opsbook check` shows
them relative to the working directory (see `opsbook.checks.report`).
A diagnostic masks anything in its message and hint that looks like a credential when it is made, so no
code and no output format can print one; text and GitHub output show control and bidirectional
characters (in file names, in quoted values) as escapes rather than let them act on the terminal or page.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from opsbook.records.secret_patterns import mask_secrets


class Level(StrEnum):
    ERROR = "error"
    """Always fails `check`."""
    WARNING = "warning"
    """Fails `check --strict`."""
    NOTICE = "notice"
    """Reported, never fails (a level a team gives a check in opsbook.yml)."""


CODES: dict[str, str] = {
    # reading and parsing
    "unreadable": "The file could not be read (permissions, a directory, a broken link).",
    "outside-root": "A symbolic link points outside the knowledge base; it is not followed.",
    "skipped": "A file or folder that is not read: a symbolic link to a folder (not followed), or a record "
    "named .yml instead of .yaml.",
    "too-large": "The file is larger than the configured limit (limits.max_file_bytes).",
    "encoding": "The file is not valid UTF-8.",
    "yaml-syntax": "The YAML could not be parsed.",
    "tab": "A tab character is used for indentation; YAML allows only spaces.",
    "yaml-tag": "A YAML tag asks for an object to be constructed; only plain data is accepted.",
    "duplicate-key": "A key appears twice in the same mapping; YAML would silently keep the last.",
    "non-string-key": "A mapping key is not a string (YAML 1.1 reads yes/no/on/off as booleans).",
    "alias-bomb": "Aliases expand to more nodes than allowed, or refer to themselves.",
    "too-deep": "Nesting is deeper than any record needs.",
    "empty-file": "The file holds no document (empty or only comments).",
    "not-a-mapping": "The top level of a record must be a mapping of field names to values.",
    "multiple-documents": "A record file must hold exactly one YAML document.",
    # fields
    "unknown-key": "A key that the record type does not define.",
    "missing-key": "A required field is missing.",
    "wrong-type": "A value has the wrong type.",
    "bad-value": "A value is outside what the field allows (enum, pattern, range, format).",
    "naive-timestamp": "A timestamp has no timezone; write it with Z or an offset.",
    "bad-regex": "A /regex/ signature does not compile.",
    "future-date": "A date that records the past (last_reviewed) lies in the future.",
    "regex-dialect": "A /regex/ signature uses syntax Python and JavaScript read differently (\\A, \\Z, (?P<name>…), "
    "inline flags, possessive or atomic groups…), so triage would differ between the CLI and the site.",
    # record semantics
    "id-mismatch": "A record's id differs from its file name.",
    "class-folder": "A runbook sits in a folder other than its failure class.",
    "incident-folder": "An incident sits in a folder other than the year of its id.",
    "duplicate-id": "Two records share one id.",
    "timestamp-order": "Incident timestamps are not in the order started <= detected <= acknowledged "
    "<= mitigated <= resolved.",
    "approval-missing": "A sensitive step does not name who approves it.",
    "sensitive-unflagged": "A step whose command looks sensitive (deploys, purges, rotates, deletes) has no approver.",
    "action-item-owner": "An action item that is not done has no owner or no due date.",
    "deprecated-without-replacement": "A deprecated runbook does not name its replacement.",
    "long-title": "A record's title is longer than 60 characters and it has no `short_title` for search results "
    "and browser tabs.",
    "step-not-verb-first": "A step's action opens with a condition, a scope, a noun phrase or a label (If, When, "
    "For, In, The, `Vercel:`…) instead of the verb of what to do.",
    "placeholder": "Scaffolded placeholder text (<...>) is still in the record.",
    "secret": "A value looks like a real credential.",
    "names-unpublished": "A public build would publish the id of a record it leaves out (an internal incident or "
    "runbook) in one of its files; it refuses to run.",
    # graph
    "dangling-ref": "A reference points at a record that does not exist.",
    "self-ref": "A record refers to itself.",
    "orphan-runbook": "A runbook that no record links to and that links nowhere.",
    "deprecation-cycle": "Runbooks replace each other in a cycle.",
    "class-uncovered": "A failure class has no active runbook.",
    "overdue-action": "An action item is past its due date (or its priority's SLA).",
    "never-drilled": "A fallback path has no drill on record, or none within its review interval.",
    "stale-runbook": "A runbook is past its review interval, or an incident used it after its last review.",
    # configuration and environment
    "config": "The opsbook configuration is invalid.",
    "suppression": "An `# opsbook: ignore[...]` comment names no code, or a code that does not exist.",
    "env-missing": "A variable required in an environment is absent there.",
    "env-only-in": "A variable is present in some environments but absent where the manifest needs it.",
    "env-unknown": "A variable is not declared in the environment manifest.",
    "env-must-differ": "Values that must differ between environments are identical.",
    "env-format": "A value does not match the format the manifest expects in that environment.",
    "env-client-exposed": "A server-only variable is reachable from client code.",
    "env-undeclared-use": "Source code reads a variable the manifest does not declare.",
    "env-project": "The linked project or account is not the one the manifest expects.",
}

SCHEMA_CODES = frozenset(
    [
        *("unreadable", "outside-root", "too-large", "encoding", "yaml-syntax", "tab", "yaml-tag"),
        *("duplicate-key", "non-string-key", "alias-bomb", "too-deep", "empty-file", "not-a-mapping"),
        *("multiple-documents", "unknown-key", "missing-key", "wrong-type", "bad-value", "naive-timestamp"),
    ]
)
"""Codes of the problems that keep a file from being read as a record: in a file that fails to load or
validate, their errors are always reported (no level, selection or suppression hides them)."""


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    message: str
    level: Level = Level.ERROR
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"undocumented diagnostic code {self.code!r}")
        object.__setattr__(self, "message", mask_secrets(self.message))
        if self.hint:
            object.__setattr__(self, "hint", mask_secrets(self.hint))

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def as_text(self, *, color: bool = False) -> str:
        where = _paint(f"{printable(self.path)}:{self.line}:{self.col}:", "1", color)
        level = _paint(f"{self.level}[{self.code}]", LEVEL_COLORS[self.level], color)
        head = f"{where} {level} {printable(self.message)}"
        return f"{head}\n    {_paint('hint:', '2', color)} {printable(self.hint)}" if self.hint else head

    def as_github(self) -> str:
        command = str(self.level)
        message = f"[{self.code}] {self.message}" + (f" (hint: {self.hint})" if self.hint else "")
        return (
            f"::{command} file={_github_escape_property(printable(self.path))},line={self.line},col={self.col},"
            f"title={self.code}::{_github_escape_data(printable(message))}"
        )

    def as_dict(self) -> dict[str, object]:
        return {key: str(value) if key == "level" else value for key, value in asdict(self).items()}


LEVEL_COLORS = {Level.ERROR: "1;31", Level.WARNING: "1;33", Level.NOTICE: "1;36"}


def _paint(text: str, sgr: str, color: bool) -> str:
    """`text` in an ANSI colour (`sgr` is the Select Graphic Rendition code) when `color` is on."""
    return f"\x1b[{sgr}m{text}\x1b[0m" if color else text


def printable(text: str) -> str:
    """`text` with every character that is not printable (newlines, ESC, DEL, C1 controls, bidirectional
    overrides such as U+202E, other invisible formatting) written as its Python escape: `\\n`, `\\x1b`, `\\u202e`."""
    if text.isprintable():
        return text
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)


def _github_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_escape_property(text: str) -> str:
    return _github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def plural(count: int, noun: str) -> str:
    """`1 file`, `2 files`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when it is below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A suggestion for a misspelt or shortened name (`mitigaton` → `mitigation`, `prod` → `production`)."""
    import difflib

    options = list(candidates)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close and len(word) >= 3:
        close = sorted(option for option in options if option.startswith(word))[:1]
    return f" (did you mean {close[0]!r}?)" if close else ""
