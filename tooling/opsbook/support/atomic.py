"""Atomic, non-clobbering writes: nothing a person wrote is replaced unless they pass --force."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

BUILD_MARK = ".opsbook-build"
"""Marks a folder `write_folder` wrote, so that only such a folder is ever replaced."""


class WouldOverwrite(FileExistsError):
    """The target exists and the caller did not ask to replace it."""


class CannotWrite(OSError):
    """The target cannot be written (permissions, a read-only or special file system): for the user to fix."""


class NotWrittenByOpsbook(FileExistsError):
    """`write_folder` was asked to replace a folder that holds files it did not write."""


def write_text(path: Path, content: str | bytes, *, force: bool = False) -> None:
    """Write `content` to `path` atomically.

    The text goes to a temporary file in the same folder first, so a crash never leaves half a file.
    Without `force` the temporary file is hard-linked into place, which fails if the target exists, even
    when another process creates it at the same moment; with `force` it replaces the target.
    """
    try:
        _write_text(path, content, force)
    except (WouldOverwrite, CannotWrite):
        raise
    except OSError as error:
        raise CannotWrite(f"cannot write {path}: {error.strerror or error}") from error


def _write_text(path: Path, content: str | bytes, force: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not force and path.exists():
        raise WouldOverwrite(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode() if isinstance(content, str) else content)
            stream.flush()
            os.fsync(stream.fileno())
        if force:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise WouldOverwrite(path) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_folder(folder: Path, files: Iterable[tuple[str, str | bytes | Path]], *, force: bool = False) -> list[str]:
    """Make `folder` hold exactly `files` (relative path → its text or bytes, or a file to copy), written as they
    come, and return their relative paths.

    The files are written to a new folder beside it, which then takes its place: `folder` is never half
    written, and nothing of an earlier build survives in it. A non-empty `folder` is replaced only with
    `force`, and only when an earlier call wrote it (it holds `BUILD_MARK`), so a mistyped `--out` never
    deletes someone's files.
    """
    if folder.exists() and not folder.is_dir():
        raise NotWrittenByOpsbook(folder)
    existing = folder.is_dir() and any(folder.iterdir())
    if existing and not force:
        raise WouldOverwrite(folder)
    if existing and not (folder / BUILD_MARK).is_file():
        raise NotWrittenByOpsbook(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".new", dir=folder.parent))
    except OSError as error:
        raise CannotWrite(f"cannot write {folder}: {error.strerror or error}") from error
    written = []
    try:
        os.chmod(staging, 0o777 & ~_umask())
        for relative, content in files:
            _write_file(staging / relative, content)
            written.append(relative)
        _write_file(staging / BUILD_MARK, "Written by `opsbook build`; the next build replaces this whole folder.\n")
        _swap(staging, folder)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise CannotWrite(f"cannot write {folder}: {error.strerror or error}") from error
        raise
    return written


def _write_file(path: Path, content: str | bytes | Path) -> None:
    """`content` (text, bytes, or a file to copy) at a path inside a staging folder, its folders made first."""
    _make_folders(path.parent)
    if isinstance(content, Path):
        shutil.copyfile(content, path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="\n")


def _make_folders(folder: Path) -> None:
    """`folder` and its missing parents, one level at a time: `Path.mkdir(parents=True)` recurses once per
    level and a docs folder may be nested a thousand deep."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for level in reversed(missing):
        level.mkdir(exist_ok=True)


def _swap(new: Path, folder: Path) -> None:
    """Put `new` where `folder` is; the earlier folder is removed once the new one is in place."""
    if not folder.exists():
        os.rename(new, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
    os.rename(folder, old / folder.name)
    os.rename(new, folder)
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
