"""Inline suppressions: `# opsbook: ignore[code, …]` on a line and `# opsbook: ignore-file[code, …]` anywhere.

A line comment covers the findings located on its line; when a multi-line text value starts on that line
(`command: |  # opsbook: ignore[secret]`), it covers the lines of that value too. A file comment covers
the file. Only real YAML comments count: the same words inside a quoted or block text are text. Pages
under docs/ (Markdown, HTML) write the same words as an HTML comment, `<!-- opsbook: ignore[secret] -->`.

The suppressions travel with the file's result into the knowledge index, and `opsbook check` applies them
to every finding located in the file, the ones across records included (`opsbook.checks.control`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import yaml

from opsbook.records.diagnostics import CODES, Diagnostic, Level, did_you_mean
from opsbook.records.yaml_loader import FASTEST_LOADER, source_lines

YAML_MARKER = re.compile(r"#\s*opsbook:\s*(ignore-file|ignore)\b(\[[^\]\n]*\])?")
PAGE_MARKER = re.compile(r"<!--\s*opsbook:\s*(ignore-file|ignore)\b(\[[^\]\n]*\])?\s*-->")


class Suppression(NamedTuple):
    code: str
    first_line: int
    last_line: int
    """The lines whose findings of `code` are suppressed, 1-based and inclusive."""


def find_suppressions(text: str, path: str, *, yaml_comments: bool) -> tuple[list[Suppression], list[Diagnostic]]:
    """The suppressions a file declares, and a warning for each comment that names no code or an unknown one."""
    if "opsbook:" not in text:
        return [], []
    marker = YAML_MARKER if yaml_comments else PAGE_MARKER
    lines = source_lines(text)
    values = _text_values(text) if yaml_comments else []
    suppressions: list[Suppression] = []
    problems: list[Diagnostic] = []
    for number, line in enumerate(lines, 1):
        for match in marker.finditer(line):
            column = match.start() + 1
            if any(value.holds(number, column) for value in values):
                continue
            scope, bracket = match.group(1), match.group(2)
            if scope == "ignore-file":
                first, last = 1, len(lines)
            else:
                first = number
                last = max([number, *(value.last_line for value in values if value.first_line == number)])
            for code, problem in _codes(bracket, scope):
                if problem is None:
                    suppressions.append(Suppression(code, first, last))
                else:
                    message, hint = problem
                    problems.append(Diagnostic(path, number, column, "suppression", message, Level.WARNING, hint))
    return suppressions, problems


def _codes(bracket: str | None, scope: str) -> Iterator[tuple[str, tuple[str, str] | None]]:
    names = [name.strip() for name in (bracket or "").strip("[]").split(",") if name.strip()]
    if not names:
        yield (
            "",
            (
                f"`opsbook: {scope}` names no code, so it suppresses nothing",
                f"name the codes it is for, e.g. `# opsbook: {scope}[secret]`",
            ),
        )
    for name in names:
        if name in CODES:
            yield name, None
        else:
            yield (
                name,
                (
                    f"{name!r} is not a diagnostic code{did_you_mean(name, CODES)}",
                    "the codes are listed on the site under Reference → Diagnostic codes",
                ),
            )


class _TextValue(NamedTuple):
    """Where a scalar (a key or a value) is written, 1-based; a block scalar's text starts on the next line."""

    first_line: int
    first_col: int
    last_line: int
    end_col: int
    block: bool

    def holds(self, line: int, col: int) -> bool:
        if self.block and line == self.first_line:
            return False  # `key: |  # comment`: after the block indicator is a comment
        return (self.first_line, self.first_col) <= (line, col) < (self.last_line, self.end_col)


def _text_values(text: str) -> list[_TextValue]:
    values: list[_TextValue] = []
    try:
        for token in yaml.scan(text, Loader=FASTEST_LOADER):
            if isinstance(token, yaml.ScalarToken):
                start, end = token.start_mark, token.end_mark
                block = token.style in ("|", ">")
                if block and end.column == 0:  # a block scalar ends at the start of the line after its text
                    last_line, end_col = end.line, 1 << 30
                else:
                    last_line, end_col = end.line + 1, end.column + 1
                values.append(_TextValue(start.line + 1, start.column + 1, last_line, end_col, block))
    except yaml.YAMLError:
        pass  # the file's syntax error is reported on its own; the values read before it still count
    return values
