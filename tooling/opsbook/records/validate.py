"""Model validation with every pydantic error mapped back to the file, line and column it came from."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from opsbook.records.diagnostics import Diagnostic, Level, did_you_mean
from opsbook.records.yaml_loader import Document

Model = TypeVar("Model", bound=BaseModel)

_UNION_TAG = re.compile(r"[\[\]]")


def validate_model(
    document: Document, model: type[Model], already: Sequence[Diagnostic] = ()
) -> tuple[Model | None, list[Diagnostic]]:
    """Validate against `model`; findings at a place the loader `already` reported are not repeated."""
    try:
        return model.model_validate(document.data), []
    except ValidationError as error:
        reported = {(d.line, d.col) for d in already}
        found = _diagnostics_from(error, document, model)
        return None, [d for d in found if (d.line, d.col) not in reported]


def _diagnostics_from(error: ValidationError, document: Document, model: type[BaseModel]) -> list[Diagnostic]:
    grouped: dict[tuple[str | int, ...], list[dict[str, Any]]] = {}
    for item in error.errors(include_url=False):
        location = _real_location(item["loc"], document.data)
        grouped.setdefault(location, []).append(dict(item))
    misspelt = _missing_explained_by_typos(grouped, model, document.data)
    return [
        _one_diagnostic(location, items, document, model)
        for location, items in grouped.items()
        if location not in misspelt
    ]


def _real_location(location: Sequence[str | int], data: Any) -> tuple[str | int, ...]:
    """Drop pydantic's union-member tags (`str-enum[FailureClass]`) but keep the author's own keys, even
    keys that contain brackets: a part is a key when the data has it at that point."""
    kept: list[str | int] = []
    node = data
    for part in location:
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if present:
            kept.append(part)
            node = node[part]
        elif not (isinstance(part, str) and _UNION_TAG.search(part)):
            kept.append(part)
            node = None
    return tuple(kept)


def _missing_explained_by_typos(
    grouped: dict[tuple[str | int, ...], list[dict[str, Any]]], model: type[BaseModel], data: Any
) -> set[tuple[str | int, ...]]:
    """`mitigaton:` makes both an unknown key and a missing `mitigation`; report only the typo."""
    explained = set()
    for location, items in grouped.items():
        if items[0]["type"] != "extra_forbidden":
            continue
        parent = location[:-1]
        close = difflib.get_close_matches(str(location[-1]), field_names(model, parent, data), n=1, cutoff=0.6)
        missing = (*parent, close[0]) if close else None
        if missing in grouped and grouped[missing][0]["type"] == "missing":
            explained.add(missing)
    return explained


def _one_diagnostic(
    location: tuple[str | int, ...], items: list[dict[str, Any]], document: Document, model: type[BaseModel]
) -> Diagnostic:
    first = items[0]
    kind: str = first["type"]
    where = dotted(location)
    if kind == "extra_forbidden":
        line, col = document.locate(location)
        key = str(location[-1])
        known = field_names(model, location[:-1], document.data)
        suggestion = did_you_mean(key, known)
        return Diagnostic(
            document.path,
            line,
            col,
            "unknown-key",
            f"{key!r} is not a field of {_owner_name(model, location)}{suggestion}",
            hint=None if suggestion else f"known fields: {', '.join(sorted(known))}" if known else None,
        )
    if kind == "missing":
        line, col = document.locate(location[:-1])
        parent = dotted(location[:-1]) or "the record"
        return Diagnostic(
            document.path,
            line,
            col,
            "missing-key",
            f"{parent} is missing the required field {location[-1]!r}",
        )
    line, col = document.locate(location, value=True)
    value = _value_at(document.data, location)
    if kind in ("enum", "literal_error"):
        allowed = _allowed_values(items)
        suggestion = did_you_mean(str(value), allowed)
        return Diagnostic(
            document.path,
            line,
            col,
            "bad-value",
            f"{where}: {value!r} is not one of {', '.join(repr(a) for a in allowed)}{suggestion}",
        )
    if kind == "timezone_aware":
        return Diagnostic(
            document.path,
            line,
            col,
            "naive-timestamp",
            f"{where}: timestamp has no timezone",
            hint="write it as 2026-11-03T14:05:00Z or with an offset such as +01:00",
        )
    if kind.endswith("_type") or kind in ("model_type", "model_attributes_type", "dict_type", "list_type"):
        quoted_hint = (
            "quote the value so YAML reads it as text"
            if kind == "string_type" and isinstance(value, int | float | bool)
            else None
        )
        return Diagnostic(
            document.path,
            line,
            col,
            "wrong-type",
            f"{where}: {_clean(first['msg'])}, got {_type_name(value)}",
            hint=quoted_hint,
        )
    return Diagnostic(document.path, line, col, "bad-value", f"{where}: {_clean(first['msg'])}")


def _clean(message: str) -> str:
    message = message.removeprefix("Value error, ")
    message = re.sub(r" after validation, not \d+", "", message)
    return message[:1].lower() + message[1:]


def _allowed_values(items: Iterable[dict[str, Any]]) -> list[str]:
    allowed: list[str] = []
    for item in items:
        expected = (item.get("ctx") or {}).get("expected", "")
        allowed.extend(re.findall(r"'([^']*)'", str(expected)))
    return list(dict.fromkeys(allowed))


def _type_name(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", int: "a number"}
    return names.get(type(value), type(value).__name__ if value is not None else "nothing (null)")


def _value_at(data: Any, location: Sequence[str | int]) -> Any:
    node = data
    for part in location:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _owner_name(model: type[BaseModel], location: tuple[str | int, ...]) -> str:
    parent = dotted(location[:-1])
    name = model.__name__.lower()
    return parent if parent else f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def dotted(location: Sequence[str | int]) -> str:
    """`("mitigation", 2, "command")` → `mitigation[2].command`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def field_names(model: type[BaseModel], location: Sequence[str | int], data: Any) -> list[str]:
    """The field names valid at `location` inside `model` (following nested models and lists)."""
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = _nested_model(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _nested_model(annotation: Any) -> Any:
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        for inner in getattr(candidate, "__args__", ()):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def located(
    document: Document,
    location: Sequence[str | int],
    code: str,
    message: str,
    *,
    value: bool = True,
    level: Level = Level.ERROR,
    hint: str | None = None,
) -> Diagnostic:
    line, col = document.locate(location, value=value)
    return Diagnostic(document.path, line, col, code, message, level=level, hint=hint)
