"""Atomic, non-clobbering writes: nothing a person wrote is replaced unless they pass --force."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class WouldOverwrite(FileExistsError):
    """The target exists and the caller did not ask to replace it."""


class CannotWrite(OSError):
    """The target cannot be written (permissions, a read-only or special file system): for the user to fix."""


def write_text(path: Path, content: str, *, force: bool = False) -> None:
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


def _write_text(path: Path, content: str, force: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not force and path.exists():
        raise WouldOverwrite(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(content)
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


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
