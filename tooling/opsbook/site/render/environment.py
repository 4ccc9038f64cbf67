"""The Jinja environment of the site's Markdown templates, with the filters and helpers that need no site,
and the YAML front matter every page starts with. Light on purpose: `opsbook review` renders through it
without importing the site model or the record models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from opsbook.checks.deadlines import by_urgency
from opsbook.features.durations import format_duration
from opsbook.features.urls import incident_page as incident_page_by_id
from opsbook.site.render.text import attribute, count, description, quote_url, relative
from opsbook.support.markdown_text import code, fence, md, md_block


def _admonition_title(value: str) -> str:
    return " ".join(value.replace('"', "'").split())


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def front_matter(values: dict[str, Any]) -> str:
    text = yaml.dump(values, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    return "---\n" + text + "---\n\n"


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def base_environment() -> Environment:
    """The templates with the filters and helpers that need no site: enough for a weekly review. Blank
    lines and indentation are meaningful in Markdown, so the templates control every one."""
    environment = Environment(
        loader=PackageLoader("opsbook.site", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters.update(
        md=md,
        md_block=md_block,
        code=code,
        fence=fence,
        attr=attribute,
        url=quote_url,
        duration=format_duration,
        utc=_utc,
        admonition_title=_admonition_title,
        first_sentence=lambda text: description(text, 300),
        by_urgency=by_urgency,
    )
    environment.globals.update(link=relative, incident_path_by_id=incident_page_by_id, count=count)
    return environment
