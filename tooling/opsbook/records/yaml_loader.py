"""YAML files → plain data that remembers where every key and item came from.

PyYAML's C loader parses; a small constructor override records, per constructed container, the
1-based line and column of each key (and value) and catches duplicate keys, non-string keys, alias
expansion and nesting depth. Positions are kept per container and resolved lazily by key path, so a
clean file pays almost nothing for them. Every problem becomes a `Diagnostic`; nothing here raises
for bad input.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsbook.records.diagnostics import Diagnostic

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML built without libyaml: correct, but about 8x slower
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

FASTEST_LOADER = _BaseLoader
"""The fastest loader PyYAML has here: for reading tokens (`yaml.scan`), or as a base for other loaders."""

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_bytes: int = 1 << 20
    max_aliases: int = 100
    max_expanded_nodes: int = 100_000
    max_depth: int = 32


@dataclass(slots=True)
class _Marks:
    """Where a container's members start: for mappings key and value positions, for lists items."""

    keys: dict[Any, tuple[int, int, int, int]] | None = None
    items: list[Position] | None = None


@dataclass(slots=True)
class Document:
    path: str
    data: Any
    source: str = field(default="", repr=False)
    _marks: dict[int, _Marks] = field(default_factory=dict, repr=False)

    def locate(self, path: Sequence[str | int], *, value: bool = False) -> Position:
        """Line and column of the deepest part of `path` that exists (the key, or its value)."""
        position: Position = (1, 1)
        node: Any = self.data
        for part in path:
            marks = self._marks.get(id(node))
            if marks is None:
                break
            if marks.keys is not None and isinstance(node, dict) and part in marks.keys:
                key_line, key_col, value_line, value_col = marks.keys[part]
                position = (value_line, value_col) if value else (key_line, key_col)
                node = node[part]
            elif marks.items is not None and isinstance(part, int) and 0 <= part < len(marks.items):
                position = marks.items[part]
                node = node[part]
            else:
                break
        return position


@dataclass(slots=True)
class LoadResult:
    document: Document | None
    diagnostics: list[Diagnostic]


class _PositionLoader(_BaseLoader):
    """Safe loader that records positions and refuses what would surprise a record author."""

    def __init__(self, stream: bytes, limits: Limits) -> None:
        super().__init__(stream)
        self.limits = limits
        self.marks: dict[int, _Marks] = {}
        self.problems: list[tuple[int, int, str, str, str | None]] = []
        self.container_refs = 0
        self.container_nodes = 0
        self.depth: dict[int, int] = {}

    def _problem(self, mark: yaml.Mark, code: str, message: str, hint: str | None = None) -> None:
        self.problems.append((mark.line + 1, mark.column + 1, code, message, hint))

    def _note_child(self, parent: yaml.Node, child: yaml.CollectionNode) -> None:
        """Count container references (to detect aliases) and track nesting depth."""
        self.container_refs += 1
        depth = self.depth.get(id(parent), 1) + 1
        if depth > self.depth.get(id(child), 0):
            self.depth[id(child)] = depth
        if depth == self.limits.max_depth + 1:
            self._problem(child.start_mark, "too-deep", f"nesting deeper than {self.limits.max_depth} levels")

    def construct_located_mapping(self, node: yaml.Node) -> Iterator[dict[Any, Any]]:
        data: dict[Any, Any] = {}
        self.container_nodes += 1
        yield data
        if not isinstance(node, yaml.MappingNode):
            self._problem(node.start_mark, "bad-value", f"a {node.tag} tag needs a mapping")
            return
        explicit = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)
        merged = len(node.value) - explicit
        keys: dict[Any, tuple[int, int, int, int]] = {}
        explicit_keys: set[str] = set()
        for position, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=False)
            if not isinstance(key, str):
                written = key_node.value if isinstance(key_node, yaml.ScalarNode) else type(key).__name__
                self._problem(
                    key_node.start_mark,
                    "non-string-key",
                    f"key {written!r} is read as {type(key).__name__}, not as a string",
                    "quote the key, e.g. 'on': or '2026':",
                )
                continue
            start, value_start = key_node.start_mark, value_node.start_mark
            if key in explicit_keys:
                first_line = keys[key][0]
                self._problem(
                    start,
                    "duplicate-key",
                    f"duplicate key {key!r} (first on line {first_line}, again on line {start.line + 1})",
                    "remove one of them; YAML would silently keep only the last",
                )
                continue
            if position >= merged:
                explicit_keys.add(key)
            if isinstance(value_node, yaml.CollectionNode):
                self._note_child(node, value_node)
            keys[key] = (start.line + 1, start.column + 1, value_start.line + 1, value_start.column + 1)
            data[key] = self.construct_object(value_node, deep=False)
        self.marks[id(data)] = _Marks(keys=keys)

    def construct_located_sequence(self, node: yaml.Node) -> Iterator[list[Any]]:
        data: list[Any] = []
        self.container_nodes += 1
        yield data
        if not isinstance(node, yaml.SequenceNode):
            self._problem(node.start_mark, "bad-value", f"a {node.tag} tag needs a list")
            return
        items: list[Position] = []
        for child in node.value:
            if isinstance(child, yaml.CollectionNode):
                self._note_child(node, child)
            items.append((child.start_mark.line + 1, child.start_mark.column + 1))
            data.append(self.construct_object(child, deep=False))
        self.marks[id(data)] = _Marks(items=items)

    def construct_undefined(self, node: yaml.Node) -> None:  # type: ignore[override]
        self._problem(
            node.start_mark,
            "yaml-tag",
            f"the tag {node.tag!r} is not allowed",
            "records hold plain data: strings, numbers, dates, lists and mappings",
        )
        return None


def _reported(construct: Any) -> Any:
    """Wrap a scalar constructor so a value PyYAML cannot build (`2026-02-30`, `!!int x`) stays the text
    it was written as: validation then reports it against its field, in that field's words."""

    def build(loader: _PositionLoader, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except CONSTRUCTION_ERRORS:
            return str(node.value)

    return build


for _kind in ("int", "float", "bool", "timestamp", "null", "binary"):
    _tag = f"tag:yaml.org,2002:{_kind}"
    _PositionLoader.add_constructor(_tag, _reported(_PositionLoader.yaml_constructors[_tag]))
_PositionLoader.add_constructor("tag:yaml.org,2002:map", _PositionLoader.construct_located_mapping)
_PositionLoader.add_constructor("tag:yaml.org,2002:seq", _PositionLoader.construct_located_sequence)
_PositionLoader.add_constructor(None, _PositionLoader.construct_undefined)


CONSTRUCTION_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
_FATAL_CODES = frozenset({"alias-bomb", "too-deep", "yaml-tag"})


def load_file(path: Path, display: str, limits: Limits = Limits(), *, mapping: bool = True) -> LoadResult:
    """Read and parse one record file; every problem comes back as a located diagnostic."""

    def fail(code: str, message: str, hint: str | None = None) -> LoadResult:
        return _failure(display, code, message, hint=hint)

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return fail("unreadable", "is not a regular file (a directory, device or pipe)")
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_file_bytes + 1)
    except RuntimeError:
        return fail("unreadable", "symbolic link loop")
    except OSError as error:
        return fail("unreadable", f"cannot read the file: {error.strerror or error}")
    if len(raw) > limits.max_file_bytes:
        size = os.path.getsize(path) if path.exists() else len(raw)
        return fail(
            "too-large",
            f"file is {size:,} bytes; the limit is {limits.max_file_bytes:,}",
            hint="split the record, or raise limits.max_file_bytes in opsbook.yml",
        )
    return load_bytes(raw, display, limits, mapping=mapping)


def load_bytes(raw: bytes, display: str, limits: Limits = Limits(), *, mapping: bool = True) -> LoadResult:
    """Parse one YAML document. Records must be mappings; `mapping=False` also accepts a top-level list."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, col = _line_col(raw, error.start)
        message = f"byte 0x{raw[error.start]:02x} is not valid UTF-8"
        return _failure(display, "encoding", message, line, col, hint="save the file as UTF-8")
    if "\x00" in text:
        line, col = _line_col(raw, raw.index(b"\x00"))
        return _failure(display, "encoding", "the file contains a NUL byte", line, col)

    loader = _PositionLoader(raw, limits)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        return _syntax_failure(error, display, text)
    except yaml.YAMLError as error:
        return _failure(display, "yaml-syntax", str(error).splitlines()[0])
    except CONSTRUCTION_ERRORS as error:
        return _failure(display, "bad-value", f"a value cannot be read: {error}"[:300])
    except RecursionError:
        return _failure(display, "too-deep", "nesting is too deep to read")
    finally:
        loader.dispose()

    diagnostics = [
        Diagnostic(display, line, col, code, message, hint=hint) for line, col, code, message, hint in loader.problems
    ]
    if loader.container_refs + 1 > loader.container_nodes:
        diagnostics.extend(_alias_diagnostics(data, display, limits))
    if any(d.code in _FATAL_CODES for d in diagnostics):
        return LoadResult(None, diagnostics)
    if data is None:
        diagnostics.append(
            Diagnostic(display, 1, 1, "empty-file", "the file holds no record", hint="start from `opsbook new`")
        )
        return LoadResult(None, diagnostics)
    if not isinstance(data, dict) and not (not mapping and isinstance(data, list)):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
        diagnostics.append(
            Diagnostic(
                display,
                1,
                1,
                "not-a-mapping",
                f"the top level is {kind}; a record is a mapping of fields",
                hint="write `id: ...`, `title: ...` at the top level",
            )
        )
        return LoadResult(None, diagnostics)
    return LoadResult(Document(display, data, text, loader.marks), diagnostics)


def _alias_diagnostics(data: Any, display: str, limits: Limits) -> list[Diagnostic]:
    """Aliases share containers; refuse when expanding them would explode or never end."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    shared_visits = 0

    def expanded(node: Any) -> int:
        nonlocal shared_visits
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in sizes:
            shared_visits += 1
            return sizes[key]
        if key in in_progress:
            raise _RecursiveAlias
        in_progress.add(key)
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += expanded(child)
            if total > limits.max_expanded_nodes:
                break
        in_progress.discard(key)
        sizes[key] = total
        return total

    def bomb(message: str) -> list[Diagnostic]:
        return [Diagnostic(display, 1, 1, "alias-bomb", message, hint="write the values out instead of aliasing")]

    try:
        total = expanded(data)
    except _RecursiveAlias:
        return bomb("an alias refers to a collection that contains it")
    if total > limits.max_expanded_nodes:
        return bomb(f"aliases expand to more than {limits.max_expanded_nodes:,} nodes")
    if shared_visits > limits.max_aliases:
        return bomb(f"{shared_visits} alias uses; at most {limits.max_aliases} are allowed")
    return []


def _failure(display: str, code: str, message: str, line: int = 1, col: int = 1, hint: str | None = None) -> LoadResult:
    return LoadResult(None, [Diagnostic(display, line, col, code, message, hint=hint)])


class _RecursiveAlias(Exception):
    pass


def _syntax_failure(error: yaml.MarkedYAMLError, display: str, text: str) -> LoadResult:
    problem = (error.problem or error.context or "invalid YAML").strip()
    opened_at = error.context_mark if "end of stream" in problem and error.context_mark else None
    mark = opened_at or error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if opened_at is not None and error.context:
        problem = f"{problem} {error.context.strip()} that starts here"
    code, hint = "yaml-syntax", None
    lines = source_lines(text)
    offending = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in offending[:col]:
        code, problem = "tab", "a tab character is used where YAML expects spaces"
        hint = "indent with spaces; YAML does not allow tabs for indentation"
    elif "expected a single document" in problem or "but found another document" in problem:
        code, hint = "multiple-documents", "remove the second `---` document"
    elif "found undefined alias" in problem:
        hint = "define the anchor (&name) before using the alias (*name)"
    elif "mapping values are not allowed" in problem:
        hint = "quote values that contain ': ' (a colon followed by a space)"
    return LoadResult(None, [Diagnostic(display, line, col, code, problem, hint=hint)])


def source_lines(text: str) -> list[str]:
    """The lines of a YAML source as YAML counts them (its line numbers index this list from 1)."""
    return _LINE_BREAK.split(text)


def _line_col(raw: bytes, offset: int) -> Position:
    line = raw.count(b"\n", 0, offset) + 1
    line_start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, col


def strings(node: Any, location: KeyPath = ()) -> Iterator[tuple[KeyPath, str, bool]]:
    """Every string in parsed YAML with its key path: values, and mapping keys (`True`)."""
    if isinstance(node, str):
        yield location, node, False
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str):
                yield (*location, key), key, True
            yield from strings(value, (*location, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, (*location, index))
