"""Layering: a lower layer never imports a higher one, and only the MkDocs adapter imports mkdocs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tooling" / "opsbook"

# rank of each module; a module may import modules of the same or a lower rank only
LAYERS: dict[str, int] = {
    "opsbook": 0,
    "opsbook.__main__": 10,
    "opsbook.diagnostics": 0,
    "opsbook.fsio": 0,
    "opsbook.progress": 0,
    "opsbook.loader": 1,
    "opsbook.models": 2,
    "opsbook.validate": 3,
    "opsbook.facts": 4,
    "opsbook.secretscan": 1,
    "opsbook.rules": 4,
    "opsbook.freshness": 4,
    "opsbook.schema": 4,
    "opsbook.incidents": 4,
    "opsbook.triage": 4,
    "opsbook.fieldsdoc": 4,
    "opsbook.knowledge": 5,
    "opsbook.graph": 5,
    "opsbook.files": 1,
    "opsbook.cache": 5,
    "opsbook.incremental": 5,
    "opsbook.prefork": 5,
    "opsbook.recordcheck": 4,
    "opsbook.check": 6,
    "opsbook.scaffold": 6,
    "opsbook.envcheck": 6,
    "opsbook.dotenv": 1,
    "opsbook.visibility": 6,
    "opsbook.sitemodel": 6,
    "opsbook.render": 7,
    "opsbook.review": 7,
    "opsbook.stats": 7,
    "opsbook.followups": 7,
    "opsbook.periods": 0,
    "opsbook.pagemeta": 8,
    "opsbook.siteconfig": 1,
    "opsbook.build": 8,
    "opsbook.cli": 9,
    "opsbook.launch": 10,
    "opsbook.mkdocs_plugin": 9,
    "opsbook.mkdocs_skeletons": 9,
}
MKDOCS_ADAPTER = {"opsbook.mkdocs_plugin", "opsbook.mkdocs_skeletons"}


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def layer(name: str) -> int:
    for candidate in (name, name.rsplit(".", 1)[0]):
        if candidate in LAYERS:
            return LAYERS[candidate]
    raise KeyError(name)


def imports(name: str) -> set[str]:
    path = PACKAGE.parent / Path(*name.split("."))
    source = (path / "__init__.py") if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(source.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", module_names())
def test_every_module_imports_and_has_a_layer(name: str) -> None:
    importlib.import_module(name)
    layer(name)


@pytest.mark.parametrize("name", module_names())
def test_no_module_imports_a_higher_layer(name: str) -> None:
    own = layer(name)
    higher = [m for m in imports(name) if m.startswith("opsbook") and layer(m) > own]
    assert higher == [], f"{name} (layer {own}) imports {higher}"


@pytest.mark.parametrize("name", module_names())
def test_only_the_mkdocs_adapter_imports_mkdocs(name: str) -> None:
    uses_mkdocs = any(m == "mkdocs" or m.startswith(("mkdocs.", "material")) for m in imports(name))
    assert uses_mkdocs == (name in MKDOCS_ADAPTER)
