"""JSON Schema files exported from the pydantic models (never written by hand)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from opsbook.records.models import Config, Incident, Runbook
from opsbook.records.models.catalog import ClassCatalog, ToolCatalog, WorkflowCatalog
from opsbook.records.models.environment import EnvManifest

SCHEMAS: dict[str, type[BaseModel]] = {
    "runbook": Runbook,
    "incident": Incident,
    "config": Config,
    "workflows": WorkflowCatalog,
    "tools": ToolCatalog,
    "classes": ClassCatalog,
    "environment": EnvManifest,
}


def schema_documents() -> dict[str, str]:
    """File name → JSON text, deterministic, for every record type."""
    documents = {}
    for name, model in SCHEMAS.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{name}.schema.json",
            **model.model_json_schema(mode="validation"),
        }
        documents[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return documents


def outdated(folder: Path) -> list[str]:
    """Schema files under `folder` that are missing or differ from the models."""
    return [
        name
        for name, text in schema_documents().items()
        if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text
    ]
