"""A record's fields as the per-record rules read them, whether or not the whole record is valid.

For a valid record they are its attributes. For a record that fails validation each field is validated on
its own, and so is each item of a list of sub-records, so a typo in one field never hides the findings
that need only the others (a bad `severity` does not hide an action item without an owner).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

Model = TypeVar("Model", bound=BaseModel)
Item = TypeVar("Item", bound=BaseModel)

_INVALID = object()


class Parts(Generic[Model]):
    def __init__(self, model: type[Model], data: Any, record: Model | None) -> None:
        self.model = model
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.record = record
        self._values: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The field's validated value (its default when absent); None when it is invalid or missing."""
        value = self._value(name)
        return None if value is _INVALID else value

    def valid(self, name: str) -> bool:
        """Whether the field validated, or is absent and has a default."""
        return self._value(name) is not _INVALID

    def items(self, name: str, item: type[Item]) -> list[tuple[int, Item]]:
        """The items of a list field that are valid `item`s, with their positions in the list."""
        if self.record is not None:
            return list(enumerate(getattr(self.record, name)))
        raw = self.data.get(name)
        found = []
        for position, entry in enumerate(raw if isinstance(raw, list) else []):
            try:
                found.append((position, item.model_validate(entry)))
            except ValidationError:
                continue
        return found

    def _value(self, name: str) -> Any:
        if self.record is not None:
            return getattr(self.record, name)
        if name not in self._values:
            self._values[name] = self._validated(name)
        return self._values[name]

    def _validated(self, name: str) -> Any:
        field = self.model.model_fields[name]
        if name not in self.data:
            return _INVALID if field.is_required() else field.get_default(call_default_factory=True)
        try:
            return _adapter(self.model, name).validate_python(self.data[name])
        except ValidationError:
            return _INVALID


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    return TypeAdapter(model.model_fields[name].rebuild_annotation())
