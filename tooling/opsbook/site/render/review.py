"""The weekly review document (`opsbook review`): Markdown with its metadata in the front matter."""

from __future__ import annotations

from typing import Any

from opsbook.features.durations import format_minutes
from opsbook.features.review import WeeklyReview
from opsbook.site.render import jsonld
from opsbook.site.render.environment import base_environment, front_matter
from opsbook.site.render.text import attribute, description


def _helped_phrase(helped: str) -> str:
    return {
        "partly": "it helped only partly",
        "no": "it did not help",
        "wrong-runbook": "it was the wrong runbook",
        "yes": "it helped",
    }[helped]


def _trend_cell(summary: dict[str, Any]) -> str:
    return f"{format_minutes(summary['median_minutes'])} / {format_minutes(summary['p90_minutes'])}"


def review_page(review: WeeklyReview, page: str, site_name: str, site_url: str | None) -> str:
    """A weekly review document: Markdown with its metadata in the front matter."""
    summary = (
        f"Weekly incident review for {review.week} ({review.week.start.isoformat()} to "
        f"{review.week.end.isoformat()}): incidents, response times, overdue follow-ups, stale runbooks."
    )
    trail = [(site_name, "index.md"), (f"Weekly review {review.week}", page)]
    meta = {
        "title": attribute(f"Weekly review {review.week}"),
        "description": attribute(description(summary)),
        "opsbook": {
            "lastmod": review.as_of.isoformat(),
            "review": str(review.week),
            "jsonld": {"@context": jsonld.CONTEXT, **jsonld.breadcrumbs(site_url, trail)},
        },
    }
    body = (
        base_environment()
        .get_template("review.md.j2")
        .render(page=page, r=review, minutes=_trend_cell, helped_phrase=_helped_phrase)
    )
    return front_matter(meta) + body.rstrip() + "\n"
