"""Model validation with every pydantic error mapped back to the file, line and column it came from.

Messages share one shape, in the author's words rather than pydantic's: the field, what was expected,
what was found, and a hint when there is a usual cause (YAML 1.1 reading `yes` as a boolean, a date
not written YYYY-MM-DD, the direction of the severity scale).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from opsbook.records.diagnostics import Diagnostic, Level, did_you_mean
from opsbook.records.ids import INCIDENT_ID, SLUG
from opsbook.records.models.common import Priority
from opsbook.records.models.incident import Severity
from opsbook.records.yaml_loader import Document, source_lines

Model = TypeVar("Model", bound=BaseModel)
Location = tuple[str | int, ...]

_UNION_TAG = re.compile(r"[\[\]]")
_YAML11_BOOLEAN = re.compile(r"(?i)(yes|no|on|off|true|false)(?![\w-])")
_SCALES: dict[tuple[str, ...], str] = {
    tuple(level.value for level in Severity): "SEV1 is the most severe level and SEV5 the mildest",
    tuple(priority.value for priority in Priority): "P0 is the most urgent priority and P3 the least",
}
_PATTERNS = {
    f"^{SLUG}$": "lower-case words joined by hyphens, such as webhook-secret-rotated",
    f"^{INCIDENT_ID}$": "the start date and a slug, such as 2026-11-03-webhook-400s",
}
DATE_HINT = "write dates as YYYY-MM-DD, such as 2026-11-25"
TIMESTAMP_HINT = "write timestamps as 2026-11-03T14:05:00Z, or with an offset such as +01:00"


def validate_model(
    document: Document, model: type[Model], already: Sequence[Diagnostic] = ()
) -> tuple[Model | None, list[Diagnostic]]:
    """Validate against `model`; findings at a place the loader `already` reported are not repeated.

    A misspelt key (`mitigaton:`) is reported once, and what it holds is still validated as the field
    it was meant to be, so a typo never hides the problems inside it."""
    try:
        return model.model_validate(document.data), []
    except ValidationError as error:
        reported = {(d.line, d.col) for d in already}
        found = _diagnostics_from(error, document, model, document.data, {})
        found += _inside_misspelt_keys(error, document, model)
        return None, [d for d in found if (d.line, d.col) not in reported]


def _diagnostics_from(
    error: ValidationError,
    document: Document,
    model: type[BaseModel],
    data: Any,
    renamed: dict[Location, str],
    under: Sequence[Location] = (),
) -> list[Diagnostic]:
    """Diagnostics for the errors of validating `data` (the document's data, with the keys `renamed`
    corrected); with `under`, only for the errors below those locations."""
    grouped: dict[Location, list[dict[str, Any]]] = {}
    for item in error.errors(include_url=False):
        location = _real_location(item["loc"], data)
        if under and not any(location[: len(prefix)] == prefix for prefix in under):
            continue
        grouped.setdefault(location, []).append(dict(item))
    misspelt = _missing_explained_by_typos(grouped, model, data)
    return [
        _one_diagnostic(_as_written(location, renamed), items, document, model, fields_at=location[:-1])
        for location, items in grouped.items()
        if location not in misspelt
    ]


def _inside_misspelt_keys(error: ValidationError, document: Document, model: type[BaseModel]) -> list[Diagnostic]:
    """Validate again with each misspelt key read as the field it is close to, and keep what is found
    inside those keys (up to a few levels of typos inside typos)."""
    found: list[Diagnostic] = []
    data: Any = document.data
    renamed: dict[Location, str] = {}
    for _ in range(4):
        corrections = _typo_corrections(error, model, data)
        if not corrections:
            break
        for parent, written, meant in corrections:
            data = _with_key_renamed(data, parent, written, meant)
            renamed[(*parent, meant)] = written
        try:
            model.model_validate(data)
            break
        except ValidationError as again:
            under = [(*parent, meant) for parent, _, meant in corrections]
            found += _diagnostics_from(again, document, model, data, renamed, under)
            error = again
    return found


def _typo_corrections(error: ValidationError, model: type[BaseModel], data: Any) -> list[tuple[Location, str, str]]:
    corrections = []
    for item in error.errors(include_url=False):
        if item["type"] != "extra_forbidden":
            continue
        location = _real_location(item["loc"], data)
        parent, written = location[:-1], str(location[-1])
        siblings = _value_at(data, parent)
        close = difflib.get_close_matches(written, field_names(model, parent, data), n=1, cutoff=0.6)
        if close and isinstance(siblings, dict) and close[0] not in siblings:
            corrections.append((parent, written, close[0]))
    return corrections


def _with_key_renamed(data: Any, parent: Location, written: str, meant: str) -> Any:
    if not parent:
        return {(meant if key == written else key): value for key, value in data.items()}
    head, rest = parent[0], parent[1:]
    copy: Any = list(data) if isinstance(data, list) else dict(data)
    copy[head] = _with_key_renamed(data[head], rest, written, meant)
    return copy


def _as_written(location: Location, renamed: dict[Location, str]) -> Location:
    """A location in the corrected data, with the corrected keys spelt as the author wrote them."""
    return tuple(renamed.get(location[: position + 1], part) for position, part in enumerate(location))


def _real_location(location: Sequence[str | int], data: Any) -> Location:
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
    grouped: dict[Location, list[dict[str, Any]]], model: type[BaseModel], data: Any
) -> set[Location]:
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
    location: Location, items: list[dict[str, Any]], document: Document, model: type[BaseModel], fields_at: Location
) -> Diagnostic:
    """`fields_at` is where the fields of an unknown key's parent are looked up: the parent's location with
    misspelt keys corrected."""
    first = items[0]
    kind: str = first["type"]
    where = dotted(location)
    path = document.path
    if first["loc"] and first["loc"][-1] == "[key]":
        line, col = document.locate(location)
        return Diagnostic(path, line, col, "bad-value", f"{dotted(location[:-1])}: {_clean(first['msg'])}")
    if kind == "extra_forbidden":
        line, col = document.locate(location)
        key = str(location[-1])
        known = field_names(model, fields_at, document.data)
        suggestion = did_you_mean(key, known)
        return Diagnostic(
            path,
            line,
            col,
            "unknown-key",
            f"{key!r} is not a field of {_owner_name(model, location)}{suggestion}",
            hint=None if suggestion else f"known fields: {', '.join(sorted(known))}" if known else None,
        )
    if kind == "missing":
        line, col = document.locate(location[:-1])
        parent = dotted(location[:-1]) or "the record"
        return Diagnostic(path, line, col, "missing-key", f"{parent} is missing the required field {location[-1]!r}")
    line, col = document.locate(location, value=True)
    value = _value_at(document.data, location)
    written = _written(document, line, col)
    found = _found(value, written)
    key = next((str(part) for part in reversed(location) if isinstance(part, str)), "value")
    ctx: dict[str, Any] = first.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        allowed = _allowed_values(items)
        scale = _SCALES.get(tuple(allowed))
        quote = _quote_hint(key, value, written) if written and written.lower() in allowed else None
        guess = _same_but_case(value, allowed) or ("" if scale else did_you_mean(str(value), allowed))
        suggestion = "" if quote else guess
        expected = f"one of {', '.join(repr(a) for a in allowed)}" if len(allowed) > 1 else repr(allowed[0])
        message = f"{where}: expected {expected}, found {found}{suggestion}"
        return Diagnostic(path, line, col, "bad-value", message, hint=quote or scale)
    if kind == "timezone_aware":
        message = f"{where}: expected a timestamp with a timezone, found {found}"
        return Diagnostic(path, line, col, "naive-timestamp", message, hint=TIMESTAMP_HINT)
    if kind.startswith(("date_", "datetime_")):
        timestamp = kind.startswith("datetime_")
        found += " (no such day)" if "outside expected range" in str(ctx.get("error", "")) else ""
        expected = "a timestamp" if timestamp else "a date written YYYY-MM-DD"
        advice = TIMESTAMP_HINT if timestamp else DATE_HINT
        code = "wrong-type" if kind.endswith("_type") else "bad-value"
        return Diagnostic(path, line, col, code, f"{where}: expected {expected}, found {found}", hint=advice)
    if kind in _EXPECTED:
        code = "wrong-type" if kind.endswith("_type") else "bad-value"
        hint = _quote_hint(key, value, written) if kind == "string_type" else _list_hint(kind, key, value)
        return Diagnostic(path, line, col, code, f"{where}: expected {_EXPECTED[kind]}, found {found}", hint=hint)
    bound = _bound(kind, ctx, value)
    if bound is not None:
        return Diagnostic(path, line, col, "bad-value", f"{where}: expected {bound}, found {found}")
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        expected = _PATTERNS.get(pattern, f"text matching {pattern}")
        return Diagnostic(path, line, col, "bad-value", f"{where}: expected {expected}, found {found}")
    if kind == "value_error":
        return Diagnostic(path, line, col, "bad-value", f"{where}: {_clean(first['msg'])}, found {found}")
    return Diagnostic(path, line, col, "bad-value", f"{where}: {_clean(first['msg'])}")


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
}


def _bound(kind: str, ctx: dict[str, Any], value: Any) -> str | None:
    """What a range or length limit expects."""
    if kind == "greater_than_equal":
        return f"a number of at least {ctx['ge']}"
    if kind == "greater_than":
        return f"a number above {ctx['gt']}"
    if kind == "less_than_equal":
        return f"a number of at most {ctx['le']}"
    if kind == "less_than":
        return f"a number below {ctx['lt']}"
    if kind == "string_too_short":
        return "some text" if ctx.get("min_length") == 1 else f"at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"at most {ctx['max_length']} characters (this is {len(str(value))})"
    if kind == "too_short":
        count = ctx["min_length"]
        return f"at least {count} item{'s' if count != 1 else ''}"
    if kind == "too_long":
        count = ctx["max_length"]
        return f"at most {count} item{'s' if count != 1 else ''}"
    return None


def _found(value: Any, written: str | None) -> str:
    """The value as the author wrote it, or what YAML made of it."""
    if isinstance(value, bool):
        return f"{written or str(value).lower()} (the boolean {str(value).lower()})"
    if isinstance(value, dt.date):
        return f"{written or value.isoformat()} (a date)"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...") if value.strip() else "an empty value"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}" if value else "an empty list"
    return _type_name(value)


def _written(document: Document, line: int, col: int) -> str | None:
    """The plain word written at `line`:`col` of the source (for values YAML turned into booleans or dates)."""
    lines = source_lines(document.source)
    if not 0 < line <= len(lines):
        return None
    match = re.match(r"[^\s,\[\]{}#'\"]+", lines[line - 1][col - 1 :])
    return match.group(0) if match else None


def _quote_hint(key: str, value: Any, written: str | None) -> str | None:
    """YAML 1.1 reads an unquoted yes/no/on/off as a boolean, 2026-11-03 as a date and 429 as a number."""
    if not written:
        return None
    if isinstance(value, bool):
        if not _YAML11_BOOLEAN.fullmatch(written):
            return None
        return f'YAML reads an unquoted {written} as a boolean; quote it: {key}: "{written}"'
    if isinstance(value, dt.date | int | float):
        return f'quote it so YAML reads it as text: {key}: "{written}"'
    return None


def _list_hint(kind: str, key: str, value: Any) -> str | None:
    if kind == "list_type" and isinstance(value, str | int | float):
        return f"write a list, even of one item: {key}: [{value}]"
    return None


def _same_but_case(value: Any, allowed: Iterable[str]) -> str:
    """`sev2` → SEV2, `Wrong runbook` → wrong-runbook."""
    normal = re.sub(r"[\s_-]+", "", str(value)).lower()
    for option in allowed:
        if re.sub(r"[\s_-]+", "", option).lower() == normal:
            return f" (did you mean {option!r}?)"
    return ""


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
    names = {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__ if value is not None else "nothing (null)")


def _value_at(data: Any, location: Sequence[str | int]) -> Any:
    node = data
    for part in location:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _owner_name(model: type[BaseModel], location: Location) -> str:
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
