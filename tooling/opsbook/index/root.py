"""Finding the knowledge base a command works on, the same way for every command.

In order: an explicit folder (`--root DIR` / `-C DIR`), then `OPSBOOK_ROOT`, then the nearest folder at
or above the starting point that holds `opsbook.yml`, then the nearest that holds a `runbooks/` or
`incidents/` folder (a knowledge base without configuration uses the defaults), the way git finds
its repository.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_FILE = "opsbook.yml"
ROOT_VARIABLE = "OPSBOOK_ROOT"
MARKER_FOLDERS = ("runbooks", "incidents")


class NoKnowledgeBase(Exception):
    """No knowledge base where one was looked for; the message says where and what."""


def is_knowledge_base(folder: Path) -> bool:
    return (folder / CONFIG_FILE).is_file() or any((folder / name).is_dir() for name in MARKER_FOLDERS)


def find_root(explicit: Path | None = None, start: Path | None = None) -> Path:
    """The root of the knowledge base to work on (see the module's description)."""
    given = explicit if explicit is not None else _from_environment()
    if given is not None:
        folder = given.resolve()
        if not is_knowledge_base(folder):
            source = "--root" if explicit is not None else ROOT_VARIABLE
            raise NoKnowledgeBase(
                f"{given} ({source}) is not a knowledge base: it has no {CONFIG_FILE}, runbooks/ or incidents/"
            )
        return folder
    begin = (start or Path.cwd()).resolve()
    folder = begin if begin.is_dir() else begin.parent
    ancestors = (folder, *folder.parents)
    for candidate in ancestors:
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    for candidate in ancestors:
        if any((candidate / name).is_dir() for name in MARKER_FOLDERS):
            return candidate
    raise NoKnowledgeBase(
        f"no knowledge base in {folder} or any folder above it: looked for {CONFIG_FILE}, runbooks/ or "
        f"incidents/; pass --root DIR or set {ROOT_VARIABLE}, or start one with `opsbook init DIR`"
    )


def _from_environment() -> Path | None:
    value = os.environ.get(ROOT_VARIABLE, "")
    return Path(value) if value else None
