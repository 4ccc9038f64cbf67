"""Adding a walk's events to an incident file, keeping everything the file already says and how it says it.

ruamel.yaml's round trip keeps comments, key order, quoting, flow and block styles; the indentation it
writes is guessed from the file, so unchanged lines stay byte for byte. Each walk event carries the
walk's id (`walk:`), and the events of a walk only ever grow at the end, so counting the ones the file
already holds says which to add: writing is idempotent, and a resumed walk never adds an event twice.
The `runbooks_used` entry goes in with the walk's last event, in the same atomic write.

Before writing, the new text is read back with PyYAML (what `opsbook check` reads) and must equal the
old data plus the new entries, in the same key order; a file that changed while it was being read is
read again.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from pathlib import Path
from typing import Any

import yaml as pyyaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from opsbook.records.diagnostics import display_path
from opsbook.records.models.incident import Incident, RunbookUse, TimelineEntry
from opsbook.support.atomic import write_text

PLAIN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
"""Words that stay plain (`person`, `partly`, runbook ids); other strings are written double-quoted."""
YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
"""Plain words that YAML 1.1 (PyYAML, so `opsbook check`) would not read as strings."""
KEY_ONLY = re.compile(r"^( *)[^\s#\-][^#]*:[ \t]*(?:#.*)?$")
ATTEMPTS = 3


class IncidentWriteError(Exception):
    """The incident could not be updated; the message says where and why."""


def add_walk_events(path: Path, walk_id: str, entries: list[TimelineEntry], use: RunbookUse | None) -> int:
    """Append the `entries` of walk `walk_id` that the incident at `path` does not hold yet, and with the
    last of them `use` (given once the walk has ended). Returns how many events were added."""
    for _ in range(ATTEMPTS):
        source = _read(path)
        document = _RoundTrip(path, source)
        timeline = document.sequence("timeline")
        held = sum(1 for item in timeline if isinstance(item, dict) and item.get("walk") == walk_id)
        new = entries[held:]
        if not new:
            return 0
        added = {"timeline": _snippet(new)}
        if use is not None:
            added["runbooks_used"] = _snippet([use])
        for key, snippet in added.items():
            document.sequence(key).extend(document.yaml.load(snippet))
        text = document.dump()
        _check_only_added(path, source, text, added)
        if _read(path) != source:
            continue  # someone saved the file meanwhile: start again from their version
        try:
            write_text(path, text, force=True)
        except OSError as error:
            raise IncidentWriteError(f"{display_path(path)}: cannot be written ({error.strerror or error})") from None
        return len(new)
    raise IncidentWriteError(f"{display_path(path)}: the file kept changing while the walk wrote to it")


class _RoundTrip:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.yaml = YAML()
        self.yaml.preserve_quotes = True
        self.yaml.width = 4096  # never re-wrap a long line
        try:
            data, sequence, offset = load_yaml_guess_indent(source, yaml=self.yaml)
        except YAMLError as error:
            raise IncidentWriteError(_located(path, error)) from None
        if sequence is None or offset is None:
            sequence, offset = 4, 2  # no list yet: the style of opsbook's own records
        self.yaml.indent(mapping=_mapping_indent(source), sequence=sequence, offset=offset)
        if not isinstance(data, CommentedMap):
            raise IncidentWriteError(f"{display_path(path)}:1:1: the incident is not a mapping of fields")
        self.data = data

    def sequence(self, key: str) -> CommentedSeq:
        """The list under `key`, in block style; when absent, created after the last field that the model
        puts before it."""
        if key not in self.data:
            order = list(Incident.model_fields)
            earlier = set(order[: order.index(key)])
            position = max((n + 1 for n, name in enumerate(self.data) if name in earlier), default=0)
            self.data.insert(position, key, CommentedSeq())
        value = self.data[key]
        if not isinstance(value, CommentedSeq):
            raise IncidentWriteError(f"{display_path(self.path)}: `{key}` is not a list")
        if not value:
            value.fa.set_block_style()  # `runbooks_used: []` becomes a block list rather than [{...}]
        return value

    def dump(self) -> str:
        stream = io.StringIO()
        self.yaml.dump(self.data, stream)
        return stream.getvalue()


def _mapping_indent(source: str) -> int:
    """How far the file indents a nested mapping under its key (2 when it has none)."""
    lines = source.splitlines()
    for line, following in itertools.pairwise(lines):
        key = KEY_ONLY.match(line)
        stripped = following.lstrip(" ")
        if key and stripped and not stripped.startswith(("-", "#")):
            depth = len(following) - len(stripped) - len(key.group(1))
            if depth > 0:
                return depth
    return 2


def _snippet(models: list[TimelineEntry] | list[RunbookUse]) -> str:
    """The models as YAML list items in the style of the records: timestamps and words plain, other text
    double-quoted (as JSON, which YAML reads the same way)."""
    lines = []
    for model in models:
        for number, (key, value) in enumerate(_fields(model).items()):
            lines.append(f"{'- ' if number == 0 else '  '}{key}: {_scalar(key, value)}")
    return "\n".join(lines) + "\n"


def _fields(model: BaseModel) -> dict[str, Any]:
    fields: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return fields


def _scalar(key: str, value: Any) -> str:
    text = str(value)
    if key == "at" or (PLAIN.fullmatch(text) and text not in YAML11_WORDS):
        return text
    return json.dumps(text, ensure_ascii=False)


def _check_only_added(path: Path, before_text: str, after_text: str, added: dict[str, str]) -> None:
    """The new text must read, as `opsbook check` reads it, as the old data plus `added`, in the same order."""
    try:
        before = pyyaml.safe_load(before_text)
        after = pyyaml.safe_load(after_text)
        expected = dict(before)
        for key, snippet in added.items():
            expected[key] = [*(before.get(key) or []), *pyyaml.safe_load(snippet)]
    except pyyaml.YAMLError as error:
        raise IncidentWriteError(f"{display_path(path)}: cannot be read as YAML 1.1 ({error})") from None
    kept_order = [key for key in after if key in before] == list(before)
    if after != expected or not kept_order:
        raise IncidentWriteError(
            f"{display_path(path)}: adding the walk's events would change what the file already says; "
            "nothing was written"
        )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise IncidentWriteError(f"{display_path(path)}: not valid UTF-8") from None
    except OSError as error:
        raise IncidentWriteError(f"{display_path(path)}: cannot be read ({error.strerror})") from None


def _located(path: Path, error: YAMLError) -> str:
    if isinstance(error, MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{display_path(path)}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {error.problem}"
    return f"{display_path(path)}: invalid YAML: {error}"
