"""Hand-written docs pages as the tree carries them: a description from their first paragraph, a content
date from git, and JSON-LD (their own from `opsbook.jsonld` in the front matter, or a breadcrumb)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from opsbook.site.render.jsonld import CONTEXT, breadcrumbs
from opsbook.site.render.pages import Rendered, page_text
from opsbook.site.render.text import attribute, description, page_title

_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`]|<[^>]+>")
_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)
"""As MkDocs, Zensical and ProperDocs find it."""


def first_paragraph(markdown: str) -> str:
    """The first paragraph of prose, without headings, lists, admonitions, tables or code."""
    for block in re.split(r"\n\s*\n", markdown):
        text = block.strip()
        if not text or text[0] in "#>-*|!`<:[" or re.match(r"^\d+[.)]\s", text) or text.startswith("    "):
            continue
        return " ".join(_MARKUP.sub(r"\1", text).split())
    return ""


def _title(markdown: str, meta: dict[str, Any], fallback: str) -> str:
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


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(front matter, body); None when the page has front matter that is not a YAML mapping."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None, text
    return (meta if isinstance(meta, dict) else None), text[match.end() :]


def handwritten_page(page: str, source: Path, site_name: str, site_url: str | None) -> Rendered:
    """The page with a description and content date added to its front matter and its JSON-LD appended.
    A page whose front matter cannot be read is left as written: the engine reports it."""
    text = source.read_text(encoding="utf-8")
    meta, body = split_front_matter(text)
    if meta is None:
        return Rendered(page, text, None)
    meta = dict(meta)
    ours = dict(meta.pop("opsbook", None) or {})
    if "description" not in meta:
        paragraph = first_paragraph(body)
        if paragraph:
            meta["description"] = attribute(description(paragraph))
    lastmod = str(ours.get("lastmod") or content_date(source)) or None
    if lastmod:
        meta["opsbook"] = {**{k: v for k, v in ours.items() if k != "jsonld"}, "lastmod": lastmod}
    title = _title(body, meta, Path(page).stem.replace("-", " ").capitalize())
    if page_title(title, site_name) != title:
        meta["title"] = attribute(page_title(title, site_name))
    trail = [(site_name, "index.md"), (title, page)]
    jsonld = ours.get("jsonld") or {"@context": CONTEXT, **breadcrumbs(site_url, trail)}
    return Rendered(page, page_text(meta, body, jsonld), lastmod)
