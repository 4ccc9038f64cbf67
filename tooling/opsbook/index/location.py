"""Where opsbook keeps what it learns about a knowledge base: one folder per knowledge base in the user's
cache folder (`$OPSBOOK_INDEX_DIR`, else `$XDG_CACHE_HOME/opsbook`, else `~/.cache/opsbook`), never inside the
repository. Standard library only: the `opsbook` command looks here for a running daemon before importing
anything else.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FOLDER_VARIABLE = "OPSBOOK_INDEX_DIR"


def cache_folder() -> Path:
    explicit = os.environ.get(FOLDER_VARIABLE)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "opsbook"


def index_folder(root: Path) -> Path:
    """Where the index of the knowledge base at `root` is kept."""
    return cache_folder() / folder_name(root)


def folder_name(root: Path) -> str:
    """A folder name of the user's own for the knowledge base at `root`: its name and a digest of its path."""
    resolved = str(root.resolve())
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in Path(resolved).name)[:40] or "root"
    return f"{name}-{hashlib.blake2b(resolved.encode(), digest_size=8).hexdigest()}"
