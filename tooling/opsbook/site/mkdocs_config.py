"""The few MkDocs settings the core needs (site_url), read from mkdocs.yml without importing MkDocs."""

from __future__ import annotations

from pathlib import Path

import yaml

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _TolerantLoader(_SafeLoader):
    """mkdocs.yml may hold tags such as `!ENV` or `!!python/name:`; they do not matter for site_url. (The C
    loader: `triage`, `export` and `review` read site_url on every call.)"""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def site_url(root: Path) -> str | None:
    path = root / "mkdocs.yml"
    try:
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError):
        return None
    value = config.get("site_url") if isinstance(config, dict) else None
    return value if isinstance(value, str) and value else None
