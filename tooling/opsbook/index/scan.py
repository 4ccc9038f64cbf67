"""Where a knowledge base's files are, and what checking one record file produced.

Kept free of pydantic and YAML so that a warm `opsbook check` can look at ten thousand files and
answer from its cache without importing either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from opsbook.records.diagnostics import Diagnostic, display_path

if TYPE_CHECKING:
    from opsbook.records.summary import RecordFacts, RecordKind
    from opsbook.records.models import Incident, Runbook

CONFIG_FILE = "opsbook.yml"
CACHE_DIR = ".opsbook-cache"
RECORD_SUFFIX = ".yaml"
PARALLEL_THRESHOLD = 400
"""From this many files on, checking them on a process pool beats checking them in one process."""
CATALOG_NAMES = ("workflows.yaml", "tools.yaml", "classes.yaml", "environment.yaml")


@dataclass(slots=True)
class FileOutcome:
    path: str
    diagnostics: list[Diagnostic]
    facts: RecordFacts | None = None
    record: Runbook | Incident | None = None
    links: list[Diagnostic] = field(default_factory=list)
    """Cross-record findings about this file (dangling links, staleness…), set once every file is read."""


class FileTask(NamedTuple):
    absolute: str
    display: str
    relative: str
    kind: RecordKind
    max_bytes: int
    keep_record: bool


class Found(NamedTuple):
    """A record file found on disk, with its size, modification and change times (-1 if it cannot be stat'ed).

    A named tuple: ten thousand are made on every run.
    """

    absolute: str
    display: str
    relative: str
    """Path below the record type's folder, e.g. `fallback/openai-429.yaml`."""
    kind: RecordKind
    is_link: bool
    size: int = -1
    mtime_ns: int = -1
    ctime_ns: int = -1


def find_root(start: Path) -> Path:
    """The knowledge base containing `start`.

    The nearest folder at or above `start` with `opsbook.yml`; failing that, the nearest with a
    `runbooks/` or `incidents/` folder; failing that, `start` itself.
    """
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    ancestors = (folder, *folder.parents)
    for candidate in ancestors:
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    for candidate in ancestors:
        if (candidate / "runbooks").is_dir() or (candidate / "incidents").is_dir():
            return candidate
    return folder


def discover(root: Path, runbooks: str, incidents: str) -> list[Found]:
    """Every record file under the runbook and incident folders, sorted for stable output.

    Plain strings and `os.scandir` keep this cheap for ten thousand files; paths are shown relative
    to the working directory when the knowledge base is below it.
    """
    shown_root = display_path(root)
    prefix = "" if shown_root == "." else shown_root.rstrip(os.sep) + os.sep
    found: list[Found] = []
    kinds: tuple[tuple[str, RecordKind], ...] = ((runbooks, "runbook"), (incidents, "incident"))
    for folder_name, kind in kinds:
        folder = os.path.join(root, folder_name).rstrip(os.sep)
        if not os.path.isdir(folder):
            continue
        found.extend(_walk(folder, "", prefix + folder_name.rstrip("/") + os.sep, kind))
    return found


def _walk(folder: str, relative: str, shown: str, kind: RecordKind) -> list[Found]:
    """Files are stat'ed relative to an open handle on their folder, which is a third cheaper than by path."""
    files: list[Found] = []
    folders: list[tuple[str, str]] = []
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return files
    try:
        with os.scandir(handle) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append((folder + os.sep + name, name))
            elif name.endswith(RECORD_SUFFIX):
                try:
                    status = os.stat(name, dir_fd=handle)
                    size, mtime_ns, ctime_ns = status.st_size, status.st_mtime_ns, status.st_ctime_ns
                except (OSError, RuntimeError):
                    size = mtime_ns = ctime_ns = -1
                path = relative + name
                absolute = folder + os.sep + name
                files.append(Found(absolute, shown + path, path, kind, entry.is_symlink(), size, mtime_ns, ctime_ns))
    except OSError:
        return files
    finally:
        os.close(handle)
    for path, name in folders:
        files.extend(_walk(path, f"{relative}{name}/", shown, kind))
    return files


def outside_root(found: Found, root: Path) -> FileOutcome | None:
    """The finding for a link that leaves the knowledge base, or None when the file may be read."""
    if not found.is_link:
        return None
    path = Path(found.absolute)
    try:
        target = path.resolve(strict=False)
        if target.is_relative_to(root.resolve()):
            return None
    except (OSError, RuntimeError):
        return None  # a link loop: reading it reports the problem
    finding = Diagnostic(found.display, 1, 1, "outside-root", f"links to {target}, outside {root}")
    return FileOutcome(found.display, [finding])


def key_of(file: FileTask | Found, max_bytes: int) -> str:
    """What a file's cached result is filed under; any change to these means checking the file again."""
    return f"{file.absolute}\0{file.relative}\0{file.kind}\0{max_bytes}"


def task_for(found: Found, max_bytes: int, *, keep_record: bool) -> FileTask:
    return FileTask(found.absolute, found.display, found.relative, found.kind, max_bytes, keep_record)


def docs_pages(folder: Path) -> list[Path]:
    """Hand-written pages, which are published too and so are scanned for credentials."""
    return sorted(folder.rglob("*.md")) if folder.is_dir() else []
