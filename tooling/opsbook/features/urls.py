"""Where each page of the site is, as docs-relative Markdown paths and as URLs. The site writes its pages
there; the JSON export, triage answers and the MCP server link to them."""

from __future__ import annotations


def runbook_page(failure_class: str, runbook_id: str) -> str:
    return f"runbooks/{failure_class}/{runbook_id}.md"


def incident_page(incident_id: str) -> str:
    return f"incidents/{incident_id[:4]}/{incident_id}.md"


def class_page(failure_class: str) -> str:
    return f"classes/{failure_class}.md"


def page_url(page: str) -> str:
    """Site-relative URL of a docs page with directory URLs: `runbooks/a/b.md` → `runbooks/a/b/`; any
    other file (`api/knowledge-base.json`) is served where it is."""
    if not page.endswith(".md"):
        return page
    stem = page[: -len(".md")]
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def absolute_url(site_url: str | None, page: str) -> str:
    """The page's address under `site_url` (site-relative from `/` when there is none)."""
    return (site_url or "/").rstrip("/") + "/" + page_url(page)
