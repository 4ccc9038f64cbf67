"""Every file of a knowledge base with its stamp: the records, opsbook.yml, the catalog and docs/.

Runs on every command, so it stays cheap for ten thousand files: `os.scandir` on open folder handles,
plain strings, no YAML and no pydantic. Folders are walked with an explicit stack, so no depth of
nesting can exhaust Python's recursion. What is not read is said, never skipped in silence: a symbolic
link out of the knowledge base, a link to a folder (not followed), a record named `.yml`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from opsbook.index.root import CONFIG_FILE
from opsbook.records.diagnostics import Diagnostic, Level
from opsbook.records.files import CATALOG_NAMES, UNKNOWN, Role, Stamp

RECORD_SUFFIX = ".yaml"
WALKED: tuple[tuple[str, Role, str], ...] = (
    ("runbooks", "runbook", RECORD_SUFFIX),
    ("incidents", "incident", RECORD_SUFFIX),
    ("docs", "docs", ""),
)
"""The folders `scan` walks: which setting of `paths`, the role of their files, the ending a file must have."""


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
    linked: bool = False
    """A symbolic link: its stamp is its target's, which can change without any event on the link."""

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.size, self.mtime_ns, self.ctime_ns)


def _input(
    path: str, absolute: str, role: Role, stamp: Stamp, unread: Diagnostic | None = None, *, linked: bool = False
) -> Input:
    return Input(path, role, *stamp, absolute, unread, linked)


def scan(root: Path, paths: dict[str, str]) -> list[Input]:
    """Every input under `root`, sorted by path. `paths` are the `paths` of opsbook.yml."""
    base = str(root)
    found = [_single(base, CONFIG_FILE, "config")]
    found.extend(
        _single(base, path, "catalog") for path in _catalog_paths(paths) if os.path.isfile(os.path.join(base, path))
    )
    for key, role, suffix in WALKED:
        found.extend(_walk(base, paths[key], role, suffix))
    return sorted(found)


def _catalog_paths(paths: dict[str, str]) -> list[str]:
    return [f"{paths['catalog'].strip('/')}/{name}" for name in CATALOG_NAMES]


def _single(base: str, path: str, role: Role) -> Input:
    absolute = os.path.join(base, path)
    return _input(path, absolute, role, _stamp(absolute), linked=os.path.islink(absolute))


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
                    if entry.is_file(follow_symlinks=False) and name.endswith(suffix):  # the common case first
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
                    else:
                        found.extend(_not_a_record_file(base, real_base, path, role, suffix, entry.is_symlink()))
        except OSError:
            continue
        finally:
            os.close(handle)
    return found


def _not_a_record_file(base: str, real_base: str, path: str, role: Role, suffix: str, link: bool) -> list[Input]:
    """What the scan makes of an entry that is neither a folder nor a regular file named like a record."""
    absolute = os.path.join(base, path)
    if link and os.path.isdir(absolute):
        return [_skipped(base, path, role, LINKED_FOLDER, "replace the link with the folder it points to")]
    if not path.endswith(suffix):
        return _misnamed(base, path, role)
    if link:
        return [_link(base, real_base, path, role)]
    return [_input(path, absolute, role, _stamp(absolute))]  # a device, pipe or socket: reading it says so


def scan_paths(root: Path, paths: dict[str, str], changed: Iterable[str]) -> tuple[list[Input], list[str]] | None:
    """What `scan` would find at the paths `changed` (relative, with `/`: files a folder watch saw change), and
    which of them it would not find (removed, renamed away, no longer a file); None when one of them takes the
    whole scan (a folder, opsbook.yml, one of the knowledge base's folders or a folder above one, a path under
    two of them)."""
    base = str(root)
    real_base = os.path.realpath(base)
    folders = [(paths[key].strip("/"), role, suffix) for key, role, suffix in WALKED]
    owned = [folder for folder, _, _ in folders] + [paths["catalog"].strip("/")]
    if any(part in ("", ".", "..") for folder in owned for part in folder.split("/")):
        return None
    catalog = set(_catalog_paths(paths))
    found: list[Input] = []
    absent: list[str] = []
    for path in changed:
        if path == CONFIG_FILE or any(folder == path or folder.startswith(path + "/") for folder in owned):
            return None
        homes = [(role, suffix) for folder, role, suffix in folders if _below(path, folder)]
        if path in catalog:
            homes.append(("catalog", ""))
        if len(homes) > 1:
            return None
        if not homes:
            continue
        role, suffix = homes[0]
        absolute = os.path.join(base, path)
        try:
            status = os.lstat(absolute)
        except (OSError, ValueError):
            absent.append(path)
            continue
        if stat.S_ISDIR(status.st_mode):
            return None
        if role == "catalog":
            entries = [_single(base, path, role)] if os.path.isfile(absolute) else []  # as `scan` takes them
        elif stat.S_ISREG(status.st_mode) and path.endswith(suffix):
            entries = [Input(path, role, status.st_size, status.st_mtime_ns, status.st_ctime_ns, absolute)]
        else:
            entries = _not_a_record_file(base, real_base, path, role, suffix, stat.S_ISLNK(status.st_mode))
        found.extend(entries)
        if not entries:
            absent.append(path)
    return sorted(found), absent


def _below(path: str, folder: str) -> bool:
    """Whether `path` is inside `folder` and no part of it below `folder` is hidden (as `scan` leaves those out)."""
    if not path.startswith(folder + "/"):
        return False
    return not any(part.startswith(".") for part in path[len(folder) + 1 :].split("/"))


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
        return _input(path, absolute, role, _stamp(absolute), linked=True)
    outside = Diagnostic(path, 1, 1, "outside-root", f"links to {target}, outside {base}")
    return _input(path, absolute, role, _stamp(absolute), outside, linked=True)
