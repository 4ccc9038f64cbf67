"""What in a knowledge base may have changed since the last look, without looking at every file.

A process that keeps the index open (the MCP server, the daemon) must answer from the files as they are now,
but re-stating ten thousand files costs about 0.05 s, a large part of a whole answer. On Linux the kernel
tells instead: an inotify watch on every folder the index reads. Its events are queued by the time a
write returns, and `changes` reads that queue without waiting, so an edit made before a call is always
seen by that call: no event, no look at the files; events on files, a look at those files only; anything
else (a folder created or moved, a lost event), a look at every file. Where inotify is missing (macOS,
Windows) or runs out of watches, every call re-stats every file: slower, never stale.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any


class ChangeWatch:
    """Folder watches over a knowledge base; `changes()` says what may have changed since the last call."""

    def __init__(self, inotify: Any) -> None:
        self._inotify = inotify
        self._watched: dict[str, int] = {}
        """Watch descriptor of each watched folder."""
        self._pending = True

    @classmethod
    def start(cls, root: Path, paths: dict[str, str]) -> ChangeWatch:
        """Watches on `root` and on every folder under the `paths` of opsbook.yml, set up before the index
        looks at the files; a watch that cannot start makes every call look at every file."""
        try:
            from inotify_simple import INotify
        except (ImportError, OSError, AttributeError):
            return cls(None)
        try:
            watch = cls(INotify())
        except OSError:
            return cls(None)
        watch.follow(root, paths)
        watch._pending = False  # the index's first look at the files comes after these watches
        return watch

    @property
    def active(self) -> bool:
        return self._inotify is not None

    def changes(self) -> set[str] | None:
        """The files that may have changed since the last call (absolute paths; empty: nothing changed), or None
        when anything may have: a folder was created, moved or removed, watches were added since, the kernel's
        event queue overflowed, or there is no inotify."""
        if self._inotify is None:
            return None
        pending, self._pending = self._pending, False
        try:
            events = self._inotify.read(timeout=0)
        except OSError:
            self._stop()
            return None
        from inotify_simple import flags

        gone = {event.wd for event in events if event.mask & flags.IGNORED}  # the folder was removed
        if gone:
            self._watched = {folder: wd for folder, wd in self._watched.items() if wd not in gone}
        everything = flags.ISDIR | flags.IGNORED | flags.Q_OVERFLOW | flags.DELETE_SELF | flags.MOVE_SELF
        if pending or any(event.mask & everything for event in events):
            return None
        folders = {wd: folder for folder, wd in self._watched.items()}
        changed = set()
        for event in events:
            folder = folders.get(event.wd)
            if folder is None or not event.name:
                return None
            changed.add(os.path.join(folder, event.name))
        return changed

    def follow(self, root: Path, paths: dict[str, str]) -> None:
        """Watch `root`, the folders between it and the knowledge base's folders, and every folder below those,
        as they are now: a folder added, moved or renamed since the last call gets its watch under its present
        name, and the watches of folders no longer there are dropped. A folder added now may have received files
        before its watch existed, so the next `changes()` asks for a look at every file."""
        if self._inotify is None:
            return
        folders = [str(root)]
        for name in ("runbooks", "incidents", "catalog", "docs"):
            parts = paths[name].strip("/").split("/")
            folders.extend(os.path.join(root, *parts[:end]) for end in range(1, len(parts)))
            folders.extend(_folders_below(os.path.join(root, *parts)))
        from inotify_simple import flags

        mask = (
            flags.MODIFY
            | flags.ATTRIB
            | flags.CLOSE_WRITE
            | flags.MOVED_FROM
            | flags.MOVED_TO
            | flags.CREATE
            | flags.DELETE
            | flags.DELETE_SELF
            | flags.MOVE_SELF
        )
        watched: dict[str, int] = {}
        for folder in dict.fromkeys(folders):
            try:
                watched[folder] = self._inotify.add_watch(folder, mask)  # the same descriptor for a watched folder
            except FileNotFoundError:
                continue  # removed meanwhile (or not made yet): the event on its parent asks for a full look
            except OSError:  # out of watches (fs.inotify.max_user_watches) or not allowed
                self._stop()
                return
            if self._watched.get(folder) != watched[folder]:
                self._pending = True
        for descriptor in set(self._watched.values()) - set(watched.values()):
            with contextlib.suppress(OSError):
                self._inotify.rm_watch(descriptor)
        self._watched = watched

    def _stop(self) -> None:
        with contextlib.suppress(OSError):
            self._inotify.close()
        self._inotify = None

    def close(self) -> None:
        if self._inotify is not None:
            self._stop()


def _folders_below(top: str) -> list[str]:
    """`top` and every folder below it, hidden ones and symbolic links left out (as the scan does)."""
    found = []
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                children = [e.path for e in entries if e.name[0] != "." and e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        found.append(folder)
        stack.extend(children)
    return found
