"""Environment listings → names, line numbers and value digests. Values never leave this module.

Reads dotenv files as python-dotenv parses them (`KEY=value`, `export`, quotes, escapes, `#` comments,
multi-line quoted values, CRLF), `KEY=value` listings printed by hosting CLIs, plain lists of names, and
the process environment. Only a SHA-256 digest of each value is kept, so nothing downstream can print a
value; a line that is not an assignment to a valid variable name is reported by its number alone, since
its text may be part of a key.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from dotenv.parser import parse_stream

from opsbook.records.secret_patterns import find_secrets

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NAME_ON_ITS_OWN = re.compile(r"[A-Za-z_][A-Za-z0-9]{0,23}(?:_+[A-Za-z0-9]{1,24})*_*")
"""A line holding only a name: words of at most 24 characters joined by `_`, and not a credential. A
longer run is more likely a pasted token or a line of a key than a name, and names are printed."""


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
    for binding in parse_stream(io.StringIO(text)):
        written = binding.original.string
        line = binding.original.line + written[: len(written) - len(written.lstrip())].count("\n")
        if binding.error:
            problems.append((line, "this line is not a NAME=value assignment or a variable name (a quote left open?)"))
        elif binding.key is None:
            continue  # a comment or a blank line
        elif not _is_name(binding.key, alone=binding.value is None):
            problems.append((line, "this line is not a NAME=value assignment or a variable name"))
        else:
            entries[binding.key] = _entry(binding.key, line, binding.value, patterns)
    return Listing(source, entries, tuple(problems))


def _is_name(text: str, *, alone: bool) -> bool:
    if alone:
        return NAME_ON_ITS_OWN.fullmatch(text) is not None and not find_secrets(text)
    return VARIABLE_NAME.fullmatch(text) is not None


def from_environment(environ: Mapping[str, str], source: str, patterns: tuple[str, ...] = ()) -> Listing:
    return Listing(source, {name: _entry(name, 1, value, patterns) for name, value in sorted(environ.items())})


def read(path: str, patterns: tuple[str, ...] = ()) -> Listing:
    """`-` reads the process environment; anything else is a file."""
    if path == "-":
        return from_environment(os.environ, "(process environment)", patterns)
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse(handle.read(), path, patterns)
