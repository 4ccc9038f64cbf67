"""A look at some files of a knowledge base (what a folder watch reports) finds there exactly what the scan of
every file finds: the same roles, stamps, warnings and links, whatever the names, kinds and places of the files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.index.scan import scan, scan_paths
from opsbook.records.models import Config

PATHS = Config().paths.model_dump()
FOLDERS = [
    "runbooks/a",
    "runbooks/a/deeper",
    "runbooks/.hidden",
    "incidents/2026",
    "docs",
    "docs/.git",
    "catalog",
    "shared",
    "",
]
NAMES = ["x.yaml", "y.yml", ".z.yaml", "notes.md", "classes.yaml", "workflows.yaml", "README"]
KINDS = ["file", "link-inside", "link-outside", "link-folder", "dangling-link"]
entries = st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(NAMES), st.sampled_from(KINDS)), max_size=12)


def build(root: Path, outside: Path, chosen: list[tuple[str, str, str]]) -> list[str]:
    """The files (anything but folders) made, relative to `root`."""
    (root / "shared").mkdir(parents=True, exist_ok=True)
    (root / "shared/target.yaml").write_text("id: target\n")
    outside.write_text("id: outside\n")
    made = {"shared/target.yaml"}
    for folder, name, kind in chosen:
        path = root / folder / name
        if path.exists() or path.is_symlink():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            path.write_text(f"id: {name}\n")
        elif kind == "link-inside":
            path.symlink_to(root / "shared/target.yaml")
        elif kind == "link-outside":
            path.symlink_to(outside)
        elif kind == "link-folder":
            path.symlink_to(root / "shared", target_is_directory=True)
        else:
            path.symlink_to(root / "no-such-file.yaml")
        made.add(path.relative_to(root).as_posix())
    return sorted(made)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=entries)
def test_a_look_at_the_files_finds_what_the_whole_scan_finds(
    tmp_path_factory: pytest.TempPathFactory, chosen: list[tuple[str, str, str]]
) -> None:
    base = tmp_path_factory.mktemp("scan")
    root = base / "kb"
    files = build(root, base / "outside.yaml", chosen)
    looked = scan_paths(root, PATHS, files)
    assert looked is not None
    found, absent = looked
    whole = [item for item in scan(root, PATHS) if item.role != "config"]
    assert found == whole
    assert set(absent) == {path for path in files if has_a_home(path)} - {item.path for item in whole}


def has_a_home(path: str) -> bool:
    """Whether `path` is where the knowledge base keeps files: in its folders and not hidden, or a catalog file."""
    top, *below = path.split("/")
    in_a_folder = top in ("runbooks", "incidents", "docs") and not any(part.startswith(".") for part in below)
    return in_a_folder or path in {
        f"catalog/{name}" for name in ("workflows.yaml", "tools.yaml", "classes.yaml", "environment.yaml")
    }


def test_a_folder_or_the_configuration_takes_the_whole_scan(tmp_path: Path) -> None:
    (tmp_path / "runbooks/a").mkdir(parents=True)
    assert scan_paths(tmp_path, PATHS, ["runbooks/a"]) is None
    assert scan_paths(tmp_path, PATHS, ["opsbook.yml"]) is None
    assert scan_paths(tmp_path, PATHS, ["runbooks"]) is None
    (tmp_path / "shared").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "shared", target_is_directory=True)
    assert scan_paths(tmp_path, {**PATHS, "runbooks": "linked"}, ["linked"]) is None
    assert scan_paths(tmp_path, {**PATHS, "incidents": "ops/incidents"}, ["ops"]) is None
