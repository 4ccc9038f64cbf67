"""The weekly review document (`opsbook review`): Markdown with its metadata in the front matter."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from opsbook.features.durations import format_minutes
from opsbook.site.render import jsonld
from opsbook.site.render.text import attribute, description

if TYPE_CHECKING:
    from opsbook.features.review import WeeklyReview
    from opsbook.index.knowledge import KnowledgeIndex
    from opsbook.support.periods import IsoWeek


def weekly_review(
    index: KnowledgeIndex,
    week: IsoWeek,
    output_format: str,
    *,
    on: dt.date,
    page: str,
    site_url: str | None,
    leave_out: Collection[str] = (),
) -> tuple[str, bool]:
    """The review of `week` as a Markdown document (`output_format` "md", to be kept at `page` of the docs) or
    as JSON ("json"), and whether the week was quiet. Kept in the index until a file changes or the day
    does: a review is asked for again and again in the meeting it is prepared for."""

    def compute() -> str:
        from opsbook.features.review import build_review, review_json

        review = build_review(index, week, today=on, leave_out=leave_out)
        if output_format == "json":
            text = json.dumps(review_json(review), indent=2, ensure_ascii=False) + "\n"
        else:
            text = review_page(review, page, index.settings["name"], site_url)
        return json.dumps({"text": text, "quiet": review.quiet})

    inputs = json.dumps([index.generation, str(week), output_format, on.isoformat(), page, site_url, sorted(leave_out)])
    kept = json.loads(index.derived(f"review-{output_format}", inputs, compute))
    return kept["text"], kept["quiet"]


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
    # Jinja is imported here, when a review is rendered, not when `weekly_review` reads one back from the index.
    from opsbook.site.render.environment import base_environment, front_matter

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
