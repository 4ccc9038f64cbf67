"""Every file of a knowledge base with its stamp: the records, opsbook.yml, the catalog and docs/.

Runs on every command, so it stays cheap for ten thousand files: `os.scandir` on open folder handles,
plain strings, no YAML and no pydantic. Folders are walked with an explicit stack, so no depth of
nesting can exhaust Python's recursion. What is not read is said, never skipped in silence: a symbolic
link out of the knowledge base, a link to a folder (not followed), a record named `.yml`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from opsbook.index.root import CONFIG_FILE
from opsbook.records.diagnostics import Diagnostic, Level
from opsbook.records.files import CATALOG_NAMES, UNKNOWN, Role, Stamp

RECORD_SUFFIX = ".yaml"


class Input(NamedTuple):
    """A file of the knowledge base as found; its first five fields are what the index compares."""

    path: str
    """Relative to the root, with `/`."""
    role: Role
    size: int
    mtime_ns: int
    ctime_ns: int
    absolute: str
    unread: Diagnostic | None = None
    """Why the file is never read (a link out of the knowledge base, a linked folder, a `.yml` record)."""

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.size, self.mtime_ns, self.ctime_ns)


def _input(path: str, absolute: str, role: Role, stamp: Stamp, unread: Diagnostic | None = None) -> Input:
    return Input(path, role, *stamp, absolute, unread)


def scan(root: Path, paths: dict[str, str]) -> list[Input]:
    """Every input under `root`, sorted by path. `paths` are the `paths` of opsbook.yml."""
    base = str(root)
    found = [_single(base, CONFIG_FILE, "config")]
    found.extend(
        _single(base, f"{paths['catalog'].strip('/')}/{name}", "catalog")
        for name in CATALOG_NAMES
        if os.path.isfile(os.path.join(base, paths["catalog"], name))
    )
    found.extend(_walk(base, paths["runbooks"], "runbook", RECORD_SUFFIX))
    found.extend(_walk(base, paths["incidents"], "incident", RECORD_SUFFIX))
    found.extend(_walk(base, paths["docs"], "docs", ""))
    return sorted(found)


def _single(base: str, path: str, role: Role) -> Input:
    absolute = os.path.join(base, path)
    return _input(path, absolute, role, _stamp(absolute))


def _stamp(absolute: str) -> Stamp:
    try:
        status = os.stat(absolute)
    except (OSError, RuntimeError, ValueError):
        return UNKNOWN
    return Stamp(status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _walk(base: str, folder: str, role: Role, suffix: str) -> list[Input]:
    """Files below `folder` ending in `suffix`; hidden files and folders are left out."""
    found: list[Input] = []
    stack = [folder.strip("/")]
    real_base = os.path.realpath(base)
    prefix = base + os.sep
    while stack:
        relative = stack.pop()
        try:
            handle = os.open(prefix + relative, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            with os.scandir(handle) as entries:
                for entry in entries:
                    name = entry.name
                    if name[0] == ".":
                        continue
                    path = relative + "/" + name
                    if entry.is_file(follow_symlinks=False):  # the common case first: one branch, one stat
                        if not name.endswith(suffix):
                            found.extend(_misnamed(base, path, role))
                            continue
                        try:
                            status = entry.stat(follow_symlinks=False)
                        except (OSError, ValueError):
                            found.append(_input(path, prefix + path, role, UNKNOWN))
                            continue
                        found.append(
                            Input(path, role, status.st_size, status.st_mtime_ns, status.st_ctime_ns, prefix + path)
                        )
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append(path)
                    elif entry.is_symlink() and os.path.isdir(prefix + path):
                        hint = "replace the link with the folder it points to"
                        found.append(_skipped(base, path, role, LINKED_FOLDER, hint))
                    elif not name.endswith(suffix):
                        found.extend(_misnamed(base, path, role))
                    elif entry.is_symlink():
                        found.append(_link(base, real_base, path, role))
                    else:  # a device, pipe or socket named like a record: reading it says so
                        found.append(_input(path, prefix + path, role, _stamp(prefix + path)))
        except OSError:
            continue
        finally:
            os.close(handle)
    return found


LINKED_FOLDER = "a symbolic link to a folder: opsbook does not follow it, so nothing in it is checked"
WRONG_SUFFIX = f"not read: record files end in {RECORD_SUFFIX}"


def _misnamed(base: str, path: str, role: Role) -> list[Input]:
    """A file not named like a record: said when it looks like one (a `.yml` record), else nothing."""
    if not path.lower().endswith((".yml", ".yaml")):
        return []
    renamed = path[: path.rindex(".")] + RECORD_SUFFIX
    return [_skipped(base, path, role, WRONG_SUFFIX, f"rename it: git mv {path} {renamed}")]


def _skipped(base: str, path: str, role: Role, message: str, hint: str) -> Input:
    absolute = os.path.join(base, path)
    warning = Diagnostic(path, 1, 1, "skipped", message, Level.WARNING, hint)
    return _input(path, absolute, role, _stamp(absolute), warning)


def _link(base: str, real_base: str, path: str, role: Role) -> Input:
    absolute = os.path.join(base, path)
    try:
        target = os.path.realpath(absolute, strict=False)
    except (OSError, RuntimeError):
        target = absolute  # a link loop: reading it reports the problem
    if target == real_base or target.startswith(real_base + os.sep):
        return _input(path, absolute, role, _stamp(absolute))
    outside = Diagnostic(path, 1, 1, "outside-root", f"links to {target}, outside {base}")
    return _input(path, absolute, role, _stamp(absolute), outside)
