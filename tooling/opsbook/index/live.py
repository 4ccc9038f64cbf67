"""One knowledge index kept open by a long-running process (the MCP server, the daemon), current before every use.

Opening the index scans every file; a process that answers many questions keeps it open instead and
brings it up to date only when the folder watch (`opsbook.index.watch`) saw something change, looking at
the files it names.
"""

from __future__ import annotations

import os
from pathlib import Path

from opsbook.index.knowledge import KnowledgeIndex
from opsbook.index.root import CONFIG_FILE
from opsbook.index.watch import ChangeWatch
from opsbook.support.progress import Progress


class LiveIndex:
    def __init__(self, index: KnowledgeIndex, watch: ChangeWatch) -> None:
        self.index = index
        self.watch = watch
        self.look_at_everything = False
        """Set by `distrust`: the next update scans every file, whatever the watch saw."""

    @classmethod
    def open(cls, root: Path) -> LiveIndex:
        """The index of `root`, up to date, with its folders watched. The watches on the usual folders start
        before the index looks at the files, so no edit slips between the two; folders that opsbook.yml
        moves elsewhere are watched after, and the first `update` looks at the files again for them."""
        from opsbook.records.models import Config

        root = Path(os.path.abspath(root))
        watch = ChangeWatch.start(root, Config().paths.model_dump())
        index = KnowledgeIndex.open(root)
        index.read_rows()  # now: rows found damaged later would rebuild the index unseen by `update`
        watch.follow(index.root, index.settings["paths"])
        return cls(index, watch)

    def update(self, *, jobs: int | None = 1, progress: Progress | None = None) -> set[str]:
        """Check again what changed since the last call; the paths of the files checked again or gone."""
        changes = self.watch.changes()
        if self.look_at_everything:
            changes, self.look_at_everything = None, False
        if changes is None:
            changed = self.index.refresh(jobs=jobs, progress=progress)
        elif changes or self.index.links:  # a link's target may have changed without an event
            prefix = str(self.index.root) + os.sep
            paths = {path.removeprefix(prefix).replace(os.sep, "/") for path in changes}
            changed = self.index.refresh(jobs=jobs, progress=progress, paths=paths)
        else:
            return set()
        if changes is None or CONFIG_FILE in changed:  # folders may have been added, or moved by opsbook.yml
            self.watch.follow(self.index.root, self.index.settings["paths"])
        return changed

    def distrust(self) -> None:
        """After an update may have stopped part-way (a command cancelled inside it): the changes the watch
        reported may not all be stored. So the next update looks at every file (see `KnowledgeIndex.distrust`
        for the rest)."""
        self.look_at_everything = True
        self.index.distrust()

    def close(self) -> None:
        """Stop watching and keep the index for the next command."""
        self.watch.close()
        self.index.close()
