"""Metadata for hand-written docs pages: a description from their first paragraph, a content date, a
breadcrumb. Generated pages get theirs from the bundle."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from opsbook.site.render.jsonld import breadcrumbs
from opsbook.site.render.text import attribute, description

_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`]|<[^>]+>")


def first_paragraph(markdown: str) -> str:
    """The first paragraph of prose, without headings, lists, admonitions, tables or code."""
    body = re.sub(r"^---\n.*?\n---\n", "", markdown, flags=re.DOTALL)
    for block in re.split(r"\n\s*\n", body):
        text = block.strip()
        if not text or text[0] in "#>-*|!`<:[" or re.match(r"^\d+[.)]\s", text) or text.startswith("    "):
            continue
        return " ".join(_MARKUP.sub(r"\1", text).split())
    return ""


def _title(markdown: str, meta: Mapping[str, Any], fallback: str) -> str:
    match = re.search(r"^#\s+(.+)$", markdown, flags=re.MULTILINE)
    return str(meta.get("title") or (match.group(1).strip() if match else fallback))


def content_date(path: Path) -> str:
    """The date the file was last committed (YYYY-MM-DD), or "" when git cannot tell."""
    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%cs", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def handwritten_meta(
    page: str, source: Path | None, markdown: str, meta: Mapping[str, Any], site_name: str, site_url: str | None
) -> dict[str, Any]:
    title = _title(markdown, meta, Path(page).stem.replace("-", " ").capitalize())
    updates: dict[str, Any] = {}
    if "description" not in meta:
        paragraph = first_paragraph(markdown)
        if paragraph:
            updates["description"] = attribute(description(paragraph))
    opsbook_meta = dict(meta.get("opsbook") or {})
    opsbook_meta.setdefault(
        "jsonld",
        {
            "@context": "https://schema.org",
            **breadcrumbs(site_url, [(site_name, "index.md"), (title, page)]),
        },
    )
    if "lastmod" not in opsbook_meta and source is not None:
        date = content_date(source)
        if date:
            opsbook_meta["lastmod"] = date
    updates["opsbook"] = opsbook_meta
    return updates
