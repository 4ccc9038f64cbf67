"""A YAML file outside the knowledge base's folders (an environment manifest given on the command line, a
triage evaluation set) read into a model, with every problem located."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, RootModel

from opsbook.records.diagnostics import Diagnostic, display_path
from opsbook.records.secrets import scan_document
from opsbook.records.validate import validate_model
from opsbook.records.yaml_loader import Document, Limits, load_file

Model = TypeVar("Model", bound=BaseModel)


def load_located(
    path: Path, model: type[Model], limits: Limits = Limits()
) -> tuple[Model | None, Document | None, list[Diagnostic]]:
    """The model, the parsed document (to locate later findings) and the findings."""
    result = load_file(path, display_path(path), limits, mapping=not issubclass(model, RootModel))
    if result.document is None:
        return None, None, result.diagnostics
    record, errors = validate_model(result.document, model, result.diagnostics)
    secrets = scan_document(result.document)
    return record, result.document, result.diagnostics + errors + secrets


def load_model_file(path: Path, model: type[Model]) -> tuple[Model | None, list[Diagnostic]]:
    record, _, diagnostics = load_located(path, model)
    return record, diagnostics
