"""The few MkDocs settings the core needs (site_url), read from mkdocs.yml without importing MkDocs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from opsbook.records.yaml_loader import FASTEST_LOADER


class _TolerantLoader(FASTEST_LOADER):
    """mkdocs.yml may hold tags such as `!ENV` or `!!python/name:`; they do not matter for the settings read
    here. (The C loader when there is one: `triage`, `export` and `review` read site_url on every call.)"""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def mkdocs_settings(path: Path) -> dict[str, Any]:
    """The settings of the mkdocs.yml at `path`, tags left unread; empty when it is missing or unreadable."""
    try:
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def site_url(root: Path) -> str | None:
    value = mkdocs_settings(root / "mkdocs.yml").get("site_url")
    return value if isinstance(value, str) and value else None
