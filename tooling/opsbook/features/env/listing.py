"""Environment listings → names, line numbers and value digests. Values never leave this module.

Reads dotenv files (`KEY=value`, `export KEY=value`, quotes, `#` comments, multi-line double-quoted
values, CRLF), `KEY=value` listings printed by hosting CLIs, plain lists of names, and the process
environment. Only a SHA-256 digest of each value is kept, so nothing downstream can print a value.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_NAME_ONLY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$")


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    line: int
    digest: str | None
    """SHA-256 of the value; None when the listing holds names only."""
    empty: bool = False
    value_matches: frozenset[str] = frozenset()
    """The format patterns (from the manifest) this value matched, computed while the value was in hand."""


@dataclass(frozen=True, slots=True)
class Listing:
    source: str
    entries: dict[str, Entry]
    problems: tuple[tuple[int, str], ...] = ()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _entry(name: str, line: int, value: str | None, patterns: tuple[str, ...]) -> Entry:
    if value is None:
        return Entry(name, line, None)
    matches = frozenset(p for p in patterns if re.search(p, value))
    return Entry(name, line, _digest(value), value == "", matches)


def parse(text: str, source: str, patterns: tuple[str, ...] = ()) -> Listing:
    """Parse a dotenv file, a KEY=VALUE listing or a list of names; the last assignment of a name wins."""
    entries: dict[str, Entry] = {}
    problems: list[tuple[int, str]] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    number = 0
    while number < len(lines):
        raw = lines[number]
        number += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assignment = _ASSIGNMENT.match(raw)
        if assignment:
            name, rest = assignment.group(1), assignment.group(2)
            start = number
            value, consumed = _value(rest, lines, number)
            number += consumed
            if value is None:
                problems.append((start, f"{name}: unterminated quoted value"))
                value = rest
            entries[name] = _entry(name, start, value, patterns)
            continue
        only_name = _NAME_ONLY.match(raw)
        if only_name:
            entries[only_name.group(1)] = _entry(only_name.group(1), number, None, patterns)
        else:
            problems.append((number, "not a KEY=VALUE line or a variable name"))
    return Listing(source, entries, tuple(problems))


def _value(rest: str, lines: list[str], next_index: int) -> tuple[str | None, int]:
    """The value after `=`, and how many further lines it consumed (for multi-line quoted values)."""
    rest = rest.strip()
    if rest[:1] in ('"', "'"):
        quote = rest[0]
        body = rest[1:]
        consumed = 0
        collected = []
        while True:
            end = _closing_quote(body, quote)
            if end >= 0:
                collected.append(body[:end])
                value = "\n".join(collected)
                return (_unescape(value) if quote == '"' else value), consumed
            collected.append(body)
            if next_index + consumed >= len(lines) or quote == "'":
                return None, consumed
            body = lines[next_index + consumed]
            consumed += 1
    return re.split(r"\s+#", rest, maxsplit=1)[0].strip(), 0


def _closing_quote(text: str, quote: str) -> int:
    escaped = False
    for position, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return position
    return -1


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


def from_environment(environ: Mapping[str, str], source: str, patterns: tuple[str, ...] = ()) -> Listing:
    return Listing(source, {name: _entry(name, 1, value, patterns) for name, value in sorted(environ.items())})


def read(path: str, patterns: tuple[str, ...] = ()) -> Listing:
    """`-` reads the process environment; anything else is a file."""
    if path == "-":
        return from_environment(os.environ, "(process environment)", patterns)
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse(handle.read(), path, patterns)
