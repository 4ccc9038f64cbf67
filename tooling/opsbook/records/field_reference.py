"""A readable field reference, generated from the models (the same ones the schema is exported from)."""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from opsbook.records.models.common import INTERNAL


@dataclass(frozen=True, slots=True)
class FieldRow:
    path: str
    type: str
    required: bool
    description: str
    internal: bool


def field_rows(model: type[BaseModel], prefix: str = "") -> list[FieldRow]:
    rows: list[FieldRow] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        rows.append(
            FieldRow(
                path,
                type_name(annotation),
                info.is_required(),
                info.description or _metadata_description(info.metadata) or "",
                info.json_schema_extra == INTERNAL,
            )
        )
        nested, is_list = _nested(annotation)
        if nested is not None:
            rows.extend(field_rows(nested, f"{path}[]." if is_list else f"{path}."))
    return rows


def _metadata_description(metadata: list[Any]) -> str:
    return next((m.description for m in metadata if getattr(m, "description", None)), "")


def _nested(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    origin = typing.get_origin(annotation)
    if origin is list:
        inner, _ = _nested(typing.get_args(annotation)[0])
        return inner, True
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found, is_list = _nested(arg)
            if found is not None:
                return found, is_list
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"mapping of {type_name(args[0])} to {type_name(args[1])}"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
        if issubclass(annotation, BaseModel):
            return "mapping (below)"
        if annotation is dt.datetime:
            return "timestamp with timezone"
    plain_names: dict[Any, str] = {
        str: "text",
        int: "whole number",
        float: "number",
        bool: "true or false",
        dt.date: "date",
    }
    return plain_names.get(annotation, getattr(annotation, "__name__", str(annotation)))
