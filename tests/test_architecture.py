"""The package's layers: each subpackage imports only itself and the layers below it, there are no import
cycles (imports inside functions count), and only the MkDocs adapter imports MkDocs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tooling" / "opsbook"

LAYERS: dict[str, int] = {
    "opsbook": 0,
    "opsbook.support": 0,
    "opsbook.records": 1,
    "opsbook.index": 2,
    "opsbook.checks": 3,
    "opsbook.features": 4,
    "opsbook.site": 5,
    "opsbook.cli": 6,
    "opsbook.launch": 6,
    "opsbook.mcp": 6,
    "opsbook.daemon": 6,
    "opsbook.__main__": 6,
}
"""A module may import modules of its own layer or a lower one."""
MKDOCS_ADAPTER = {"opsbook.site.mkdocs_plugin"}


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def layer(name: str) -> int:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in LAYERS:
            return LAYERS[candidate]
    raise KeyError(name)


def _source(name: str) -> Path:
    path = PACKAGE.parent / Path(*name.split("."))
    return (path / "__init__.py") if path.is_dir() else path.with_suffix(".py")


def imports(name: str) -> set[str]:
    """Every module `name` imports, at any depth of its code, `if TYPE_CHECKING:` blocks included."""
    tree = ast.parse(_source(name).read_text())
    package = name if _source(name).name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if _is_module(f"{base}.{alias.name}"))
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def own_imports(name: str) -> set[str]:
    return {m for m in imports(name) if m == "opsbook" or m.startswith("opsbook.")}


@pytest.mark.parametrize("name", module_names())
def test_every_module_imports_and_has_a_layer(name: str) -> None:
    importlib.import_module(name)
    layer(name)


@pytest.mark.parametrize("name", module_names())
def test_no_module_imports_a_higher_layer(name: str) -> None:
    own = layer(name)
    higher = sorted(m for m in own_imports(name) if layer(m) > own)
    assert higher == [], f"{name} (layer {own}) imports {higher}"


def test_there_are_no_import_cycles() -> None:
    graph = nx.DiGraph()
    for name in module_names():
        graph.add_node(name)
        for imported in own_imports(name):
            if imported != name and _is_module(imported) and not name.startswith(imported + "."):
                graph.add_edge(name, imported)
    cycles = [cycle for cycle in nx.simple_cycles(graph) if len(cycle) > 1]
    assert cycles == []


@pytest.mark.parametrize("name", module_names())
def test_only_the_mkdocs_adapter_imports_mkdocs(name: str) -> None:
    uses_mkdocs = any(m == "mkdocs" or m.startswith(("mkdocs.", "material")) for m in imports(name))
    assert uses_mkdocs == (name in MKDOCS_ADAPTER)
