"""schema.org JSON-LD for each kind of page, dated from the records (never from the build)."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from opsbook.features.urls import absolute_url, page_url
from opsbook.site.render.text import description, plain

if TYPE_CHECKING:
    from opsbook.records.models import Incident
    from opsbook.site.model import ClassView, IncidentView, RunbookView, SiteModel

CONTEXT = "https://schema.org"


def absolute(site: SiteModel, page: str) -> str:
    return absolute_url(site.site_url, page)


def breadcrumbs(site_url: str | None, trail: list[tuple[str, str]]) -> dict[str, Any]:
    """`trail` is [(name, docs-relative page)] from the home page down to the current page."""
    base = (site_url or "/").rstrip("/") + "/"
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": base + page_url(page)}
            for position, (name, page) in enumerate(trail, 1)
        ],
    }


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _graph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, "@graph": list(nodes)}


def _publisher(site: SiteModel) -> dict[str, Any]:
    return {"@type": "Organization", "name": site.name}


def home(site: SiteModel) -> dict[str, Any]:
    website = {
        "@type": "WebSite",
        "name": site.name,
        "url": absolute(site, "index.md"),
        "description": "Runbooks and blameless postmortems for the five recurring failure classes of AI-agent systems.",
        "publisher": _publisher(site),
    }
    return _graph(website, _publisher(site), breadcrumbs(site.site_url, [(site.name, "index.md")]))


def runbook(site: SiteModel, view: RunbookView) -> dict[str, Any]:
    record = view.runbook
    url = absolute(site, view.path)
    class_view = next(c for c in site.classes if c.id == record.failure_class.value)
    dates = {"dateModified": record.last_reviewed.isoformat()}
    article = {
        "@type": "TechArticle",
        "@id": url + "#article",
        "headline": record.title,
        "description": description(record.summary),
        "url": url,
        **dates,
        "author": {"@type": "Organization", "name": record.owner},
        "publisher": _publisher(site),
        "about": class_view.title,
        "keywords": ", ".join(
            dict.fromkeys([record.failure_class.value, *record.keywords, *record.applicability.providers])
        ),
        "proficiencyLevel": "Expert",
    }
    howto = {
        "@type": "HowTo",
        "@id": url + "#mitigation",
        "name": f"Mitigate: {record.title}",
        "description": description(record.summary),
        **dates,
        "step": [
            {
                "@type": "HowToStep",
                "position": position,
                "name": description(step.action, 110),
                "text": "\n".join(
                    part
                    for part in (
                        _sentence(plain(step.action)),
                        f"Run:\n{step.command.strip()}" if step.command else "",
                        _sentence(f"You should see: {plain(step.expected)}") if step.expected else "",
                        f"Requires approval from {step.requires_approval or 'a named approver'}."
                        if step.needs_approval
                        else "",
                    )
                    if part
                ),
                "url": f"{url}#mitigate",
            }
            for position, step in enumerate(record.mitigation, 1)
        ],
    }
    trail = [(site.name, "index.md"), (class_view.title, class_view.path), (record.title, view.path)]
    return _graph(article, howto, breadcrumbs(site.site_url, trail))


def class_page(site: SiteModel, view: ClassView) -> dict[str, Any]:
    questions = [
        {
            "@type": "Question",
            "name": plain(runbook_view.runbook.symptoms[0]),
            "acceptedAnswer": {
                "@type": "Answer",
                "text": f"{description(runbook_view.runbook.summary, 300)} Runbook: {runbook_view.runbook.title} "
                f"({absolute(site, runbook_view.path)}).",
            },
        }
        for runbook_view in view.active_runbooks
    ]
    faq = {"@type": "FAQPage", "name": view.title, "url": absolute(site, view.path), "mainEntity": questions}
    modified = max((r.runbook.last_reviewed for r in view.runbooks), default=None)
    if modified:
        faq["dateModified"] = modified.isoformat()
    trail = [(site.name, "index.md"), (view.title, view.path)]
    return _graph(faq, breadcrumbs(site.site_url, trail))


def incident(site: SiteModel, view: IncidentView, record: Incident) -> dict[str, Any]:
    url = absolute(site, view.path)
    article = {
        "@type": "Article",
        "headline": record.title,
        "description": description(record.public_summary or record.summary),
        "url": url,
        "datePublished": record.timestamps.started.date().isoformat(),
        "dateModified": record.updated_on.isoformat(),
        "publisher": _publisher(site),
        "articleSection": "Postmortem",
        "about": [str(c) for c in record.failure_classes],
    }
    year = record.id[:4]
    trail = [
        (site.name, "index.md"),
        ("Incidents", "incidents/index.md"),
        (year, posixpath.join("incidents", year, "index.md")),
        (record.title, view.path),
    ]
    return _graph(article, breadcrumbs(site.site_url, trail))
