"""Jinja2 templates → Markdown pages for every part of the site: one template per page, each page with its
title, description and search boost in YAML front matter and its JSON-LD in a raw script block."""

from __future__ import annotations

import datetime as dt
import html
import posixpath
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any, NamedTuple

from jinja2 import Environment

from opsbook.features.durations import DURATIONS, format_minutes
from opsbook.features.stats import PeriodMeasure
from opsbook.records.models import Executor, Incident, Severity
from opsbook.records.models.catalog import Tool
from opsbook.site.model import (
    ClassView,
    IncidentView,
    RunbookView,
    SiteModel,
    class_page,
    runbook_page,
)
from opsbook.site.render import jsonld, llms
from opsbook.site.render.environment import base_environment, front_matter
from opsbook.site.render.llms import copy_path
from opsbook.site.render.text import (
    attribute,
    count,
    description,
    page_title,
    relative,
    script_json,
)
from opsbook.support.markdown_text import md

EXECUTORS = {Executor.HUMAN: "a person", Executor.AGENT: "an agent", Executor.EITHER: "a person or an agent"}


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _grant_cell(tool: Tool, where: str) -> str:
    grant = next((g for g in tool.grants if g.where == where), None)
    if grant is None:
        return "—"
    if not grant.available:
        return "no"
    return f"approval: {md(grant.approval)}" if grant.approval else "available"


def _stat_cell(summary: dict[str, Any], which: str) -> str:
    return format_minutes(summary[f"{which}_minutes"])


def period_change(measure: PeriodMeasure) -> str:
    """The change against the previous period with its sign and a word, so it never rests on colour."""
    if measure.current is None or measure.previous is None:
        return "— (nothing to compare)"
    change = measure.current - measure.previous
    if change == 0:
        return "±0 (same)"
    sign = "+" if change > 0 else "\u2212"  # the minus sign, which screen readers read as "minus"
    if measure.unit == "minutes":
        return f"{sign}{format_minutes(abs(change))} ({'slower' if change > 0 else 'faster'})"
    return f"{sign}{abs(change):g} ({'more' if change > 0 else 'fewer'})"


def _period_cell(measure: PeriodMeasure, value: float | None) -> str:
    return format_minutes(value) if measure.unit == "minutes" else f"{value:g}"


def _month_label(month: str, *, first: bool) -> str:
    """A month "2026-09" as "Sep", with the year on a second line under the first month and every January."""
    day = dt.date.fromisoformat(f"{month}-01")
    return f"{day:%b}\n{day.year}" if first or day.month == 1 else f"{day:%b}"


def _copy_link(page: str) -> str:
    """The paragraph that ends a record page: a link to its Markdown copy (see `opsbook.site.render.llms`)."""
    copy = posixpath.basename(copy_path(page))
    return f'\n\n[Markdown copy of this page]({copy}){{ .ob-md-copy type="text/markdown" }} for agents and scripts.\n'


class Rendered(NamedTuple):
    """One page of the docs tree: its docs-relative path, its Markdown and the date of its content. A page
    that lists others (an index, a class page) has no date of its own: its `lists` date it in the sitemap,
    by the newest of theirs."""

    page: str
    text: str
    lastmod: str | None
    lists: tuple[str, ...] = ()


def json_ld_block(value: object) -> str:
    """Structured data as a raw HTML block: every engine passes it through to the page untouched."""
    return f'<script type="application/ld+json">{script_json(value)}</script>\n'


def page_text(meta: dict[str, Any], body: str, jsonld: object) -> str:
    """A page: front matter, the body, and its JSON-LD last (Markdown readers see the content first)."""
    return (front_matter(meta) if meta else "") + body.rstrip() + "\n\n" + json_ld_block(jsonld)


class PageRenderer:
    """Renders one site model into `Rendered` pages, one at a time."""

    def __init__(
        self,
        site: SiteModel,
        handwritten: frozenset[str] = frozenset(),
        *,
        reviews: list[tuple[str, str]] | None = None,
    ) -> None:
        """`handwritten` pages exist in the docs folder (generated pages link to them only then);
        `reviews` are (week, page) of the review documents, newest first."""
        self.site = site
        self.handwritten = handwritten
        self.reviews = reviews or []

    @cached_property
    def environment(self) -> Environment:
        environment = base_environment()
        site = self.site
        incident_ids = {view.id for view in site.incidents}
        environment.globals.update(
            site=site,
            class_ids=[c.id for c in site.classes],
            class_title=lambda class_id: next((c.title for c in site.classes if c.id == class_id), class_id),
            class_path=class_page,
            runbook_path=runbook_page,
            runbook_path_by_id=self._runbook_path_by_id,
            has_runbook=lambda runbook_id: runbook_id in site.runbooks,
            has_incident=lambda incident_id: incident_id in incident_ids,
            has_page=lambda page: page in self.handwritten,
            executor_label=lambda executor: EXECUTORS[executor],
            stale_reasons=self._stale_reasons,
            duration_definition=lambda name: DURATIONS[name][2],
        )
        return environment

    def _runbook_path_by_id(self, runbook_id: str) -> str:
        view = self.site.runbooks.get(runbook_id)
        return view.path if view else "index.md"

    def _stale_reasons(self, view: RunbookView) -> str:
        reasons = []
        if view.freshness.past_interval:
            reasons.append(f"its review was due on {view.freshness.review_due.isoformat()}")
        if view.freshness.uses_after_review:
            reasons.append(f"{count(view.freshness.uses_after_review, 'incident')} used it after its last review")
        return "; ".join(reasons).capitalize()

    def _page(
        self,
        template: str,
        page: str,
        meta: dict[str, Any],
        *,
        lists: tuple[str, ...] = (),
        after: str = "",
        **values: Any,
    ) -> list[Rendered]:
        """`after`: Markdown added at the end of the body."""
        body = self.environment.get_template(template).render(page=page, view=values.pop("view", None), **values)
        return [self._finish(page, meta, body.rstrip() + after, lists)]

    def _finish(self, page: str, meta: dict[str, Any], body: str, lists: tuple[str, ...] = ()) -> Rendered:
        """The page with its front matter; JSON-LD from `meta["opsbook"]`, or at least a BreadcrumbList."""
        meta = dict(meta)
        ours = meta.pop("opsbook", {})
        lastmod = ours.get("lastmod")
        if lastmod:
            meta["opsbook"] = {"lastmod": lastmod}
        jsonld = ours.get("jsonld") or self._breadcrumbs(page, html.unescape(meta["title"]))
        return Rendered(page, page_text(meta, body, jsonld), lastmod, lists)

    def _record_pages(self) -> tuple[str, ...]:
        return (*(v.path for v in self.site.runbooks.values()), *(v.path for v in self.site.incidents))

    def _breadcrumbs(self, page: str, title: str) -> dict[str, Any]:
        trail = [(self.site.name, "index.md")]
        if page.startswith("incidents/") and page != "incidents/index.md":
            trail.append(("Incidents", "incidents/index.md"))
        trail.append((title, page))
        return {"@context": jsonld.CONTEXT, **jsonld.breadcrumbs(self.site.site_url, trail)}

    def _meta(self, title: str, summary: str, tags: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        """Front matter. Material inserts the title, the description and each tag into pages, its tags index
        and its search results without escaping them, so every one of them goes through `attribute`."""
        meta = {
            "title": attribute(page_title(title, self.site.name)),
            "description": attribute(description(summary)),
            **extra,
        }
        return meta if tags is None else {**meta, "tags": [attribute(tag) for tag in tags]}

    def home(self) -> list[Rendered]:
        site = self.site
        recent = sorted(site.runbooks.values(), key=lambda v: (v.runbook.last_reviewed, v.runbook.id), reverse=True)
        follow_ups = site.open_follow_ups
        summary = (
            f"Runbooks and blameless postmortems for the five ways AI-agent systems fail: auth drift, session "
            f"lifecycle, fallback, stale deploys and tool policy. {count(len(site.runbooks), 'runbook')}."
        )
        meta = self._meta(site.name, summary, hide=["navigation"], opsbook={"jsonld": jsonld.home(site)})
        return self._page(
            "home.md.j2",
            "index.md",
            meta,
            lists=self._record_pages(),
            recent_runbooks=recent[:8],
            follow_ups=follow_ups,
            overdue_count=sum(f.overdue for f in follow_ups),
        )

    def class_page(self, view: ClassView) -> list[Rendered]:
        summary = view.guide.description if view.guide else f"Runbooks for {view.title}."
        meta = self._meta(
            view.title,
            summary,
            tags=[view.id],
            opsbook={"jsonld": jsonld.class_page(self.site, view)},
        )
        listed = (*(r.path for r in view.runbooks), *(i.path for i in view.incidents))
        return self._page("class.md.j2", view.path, meta, view=view, lists=listed)

    def runbook(self, view: RunbookView) -> list[Rendered]:
        runbook = view.runbook
        meta = self._meta(
            runbook.short_title or runbook.title,
            runbook.summary,
            tags=[runbook.failure_class.value, *runbook.applicability.providers],
            search={"boost": 2},
            opsbook={"jsonld": jsonld.runbook(self.site, view), "lastmod": runbook.last_reviewed.isoformat()},
        )
        page = self._page("runbook.md.j2", view.path, meta, view=view, after=_copy_link(view.path))
        return [*page, Rendered(copy_path(view.path), llms.runbook_copy(self.site, view), None)]

    def incident(self, view: IncidentView, incident: Incident) -> list[Rendered]:
        meta = self._meta(
            incident.short_title or incident.title,
            incident.summary,
            search={"boost": 0.5},
            opsbook={"jsonld": jsonld.incident(self.site, view, incident), "lastmod": incident.updated_on.isoformat()},
        )
        page = self._page("incident.md.j2", view.path, meta, view=view, i=incident, after=_copy_link(view.path))
        return [*page, Rendered(copy_path(view.path), llms.incident_copy(self.site, view, incident), None)]

    def incident_indexes(self) -> list[Rendered]:
        site = self.site
        years = sorted(
            {v.id[:4] for v in site.incidents} | {str(r.started.year) for r in site.redacted},
            reverse=True,
        )
        severities = [s.value for s in Severity if any(v.severity is s for v in site.incidents)]
        classes = [c for c in site.classes if c.incidents]
        pages: list[Rendered] = []
        total = len(site.incidents)

        def index(page: str, heading: str, intro: str, views: list[IncidentView], **extra: Any) -> None:
            meta = self._meta(heading, intro, search={"exclude": True})
            pages.extend(
                self._page(
                    "incidents_index.md.j2",
                    page,
                    meta,
                    heading=heading,
                    intro=intro,
                    views=views,
                    years=years,
                    severities=severities,
                    incident_classes=classes,
                    show_navigation=extra.get("navigation", False),
                    redacted=extra.get("redacted", []),
                    lists=tuple(v.path for v in extra.get("listed", views)),
                )
            )

        index(
            "incidents/index.md",
            "Incidents",
            f"{count(total, 'postmortem')}, newest first. The 25 most recent are listed here; use the year, class "
            "and severity pages for the rest."
            if total > 25
            else f"{count(total, 'postmortem')}, newest first.",
            site.incidents[:25],
            navigation=True,
            redacted=site.redacted,
            listed=site.incidents,
        )
        for year in years:
            views = [v for v in site.incidents if v.id.startswith(year)]
            index(
                f"incidents/{year}/index.md",
                f"Incidents in {year}",
                f"{count(len(views), 'incident')} started in {year}.",
                views,
                redacted=[r for r in site.redacted if str(r.started.year) == year],
            )
        for view in classes:
            index(
                f"incidents/by-class/{view.id}.md",
                f"{view.title} incidents",
                f"{count(len(view.incidents), 'incident')} involved {view.title.lower()}.",
                view.incidents,
            )
        for severity in severities:
            views = [v for v in site.incidents if v.severity.value == severity]
            index(
                f"incidents/by-severity/{severity.lower()}.md",
                f"{severity} incidents",
                f"{count(len(views), 'incident')} {'was' if len(views) == 1 else 'were'} rated {severity}.",
                views,
            )
        return pages

    def tool_capabilities(self) -> list[Rendered]:
        if not self.site.tools and not self.site.channels:
            return []
        places = list(dict.fromkeys(g.where for t in self.site.tools for g in t.grants))
        summary = (
            "Which agent tools are available in each environment and channel, which need approval, and "
            "what each channel can carry: streaming, buttons, file upload, message limits."
        )
        return self._page(
            "tool_capabilities.md.j2",
            "operating/tool-capabilities.md",
            self._meta("Tool capability matrix", summary),
            places=places,
            grant_cell=_grant_cell,
            yes_no=_yes_no,
        )

    def workflows(self) -> list[Rendered]:
        site = self.site
        if not site.workflows:
            return []
        summary = (
            "The core workflows of the golden path, with the success, failure and delivery events each "
            "emits and the P0 tests and evals that guard them."
        )
        return self._page(
            "workflows.md.j2",
            "operating/workflows.md",
            self._meta("Core workflows and their events", summary),
            yes_no=_yes_no,
            runbooks_for_workflow=lambda wid: [v for v in site.runbooks.values() if wid in v.runbook.workflows],
            incidents_for_workflow=lambda wid: [v for v in site.incidents if wid in v.workflows],
        )

    def environment_checklist(self) -> list[Rendered]:
        manifest = self.site.environment
        if manifest is None:
            return []
        summary = (
            "Every environment variable the system needs in local, preview and production, which are "
            "server-only, and the checks to run before each production deploy."
        )
        return self._page(
            "environment_checklist.md.j2",
            "operating/environment-checklist.md",
            self._meta("Environment checklist", summary),
            env=manifest,
        )

    def reference(self) -> list[Rendered]:
        from opsbook.records.diagnostics import CODES
        from opsbook.records.field_reference import field_rows
        from opsbook.records.models import Config, Incident, Runbook
        from opsbook.records.models.catalog import ClassCatalog, ToolCatalog, WorkflowCatalog
        from opsbook.records.models.environment import EnvManifest

        pages = self._page(
            "diagnostics.md.j2",
            "reference/diagnostics.md",
            self._meta(
                "Diagnostic codes",
                "Every code opsbook check reports, what it means, and the exit codes.",
                search={"boost": 0.2},
            ),
            codes=CODES,
        )
        sections = [
            ("Runbook: runbooks/<class>/<id>.yaml", field_rows(Runbook)),
            ("Incident: incidents/<year>/<id>.yaml", field_rows(Incident)),
            ("Golden-path workflows: catalog/workflows.yaml", field_rows(WorkflowCatalog)),
            ("Tools and channels: catalog/tools.yaml", field_rows(ToolCatalog)),
            ("Failure classes: catalog/classes.yaml", field_rows(ClassCatalog)),
            ("Environment manifest: catalog/environment.yaml", field_rows(EnvManifest)),
            ("Configuration: opsbook.yml", field_rows(Config)),
        ]
        summary = (
            "Every field of opsbook runbooks, incidents, catalogs and configuration, generated from the "
            "models that validate them."
        )
        pages.extend(
            self._page(
                "record_format.md.j2",
                "reference/record-format.md",
                self._meta("Record format", summary, search={"boost": 0.2}),
                sections=sections,
            )
        )
        return pages

    def graph(self) -> list[Rendered]:
        from opsbook.site.render.svg import GraphNode, link_graph

        site, page = self.site, "graph.md"
        limit = 40
        column = {c.id: index for index, c in enumerate(site.classes)}
        runbook_nodes = [
            GraphNode(v.runbook.id, v.runbook.id, relative(page, v.path), column[v.runbook.failure_class.value])
            for c in site.classes
            for v in c.runbooks
        ]
        shown = site.incidents[:limit]
        incident_nodes = [GraphNode(v.id, v.id, relative(page, v.path), 0) for v in shown]
        edges = [(v.id, use.runbook, "used") for v in shown for use in v.uses]
        edges += [(v.runbook.id, other.id, "related") for v in site.runbooks.values() for other in v.related]
        drawing = link_graph(
            [c.title for c in site.classes],
            runbook_nodes,
            incident_nodes,
            edges,
            label="Runbooks by failure class and the incidents that used them",
        )
        summary = (
            "How opsbook runbooks link to each other and which incidents used which runbooks, as a drawing and as text."
        )
        return self._page(
            "graph.md.j2",
            page,
            self._meta("Runbook graph", summary, search={"exclude": True}),
            lists=(*(v.path for v in site.runbooks.values()), *(v.path for v in shown)),
            drawing=drawing,
            incidents_shown=len(shown),
            incidents_total=len(site.incidents),
        )

    def tags(self) -> list[Rendered]:
        summary = "Runbooks and failure-class pages grouped by failure class and by provider."
        body = "# Tags\n\nRunbooks grouped by failure class and provider.\n\n<!-- material/tags -->\n"
        runbooks = tuple(v.path for v in self.site.runbooks.values())
        return [self._finish("tags.md", self._meta("Tags", summary, search={"exclude": True}), body, runbooks)]

    def reviews_index(self) -> list[Rendered]:
        summary = "Weekly incident review documents across Build, Growth and QA, newest first."
        return self._page(
            "reviews_index.md.j2",
            "reviews/index.md",
            self._meta("Weekly reviews", summary),
            lists=tuple(page for _, page in self.reviews),
            reviews=self.reviews,
            public=self.site.public,
        )

    def metrics(self) -> list[Rendered]:
        from opsbook.features.stats import compare_periods, weekly_counts
        from opsbook.site.render.svg import Series, bar_rows, class_tone, column_chart, line_chart
        from opsbook.support.periods import IsoWeek

        site = self.site
        summary_stats = site.stats
        last = IsoWeek.last_complete(site.today)
        weeks, per_class = weekly_counts(site.incident_rows, last, 12)
        position = {c.id: index for index, c in enumerate(site.classes)}
        weekly_svg = column_chart(
            [f"W{w.week:02d}" for w in weeks],
            [Series(c, v, class_tone(position.get(c, k))) for k, (c, v) in enumerate(per_class.items())],
            label="Incidents per week by failure class",
        )
        months = dict(list(summary_stats["incidents"]["by_month"].items())[-12:])
        hours = {key: [(s["TTR"][key] or 0) / 60 for s in months.values()] for key in ("median_minutes", "p90_minutes")}
        ttr_svg = line_chart(
            [_month_label(month, first=index == 0) for index, month in enumerate(months)],
            [Series("median", hours["median_minutes"], "class-0"), Series("p90", hours["p90_minutes"], "class-2")],
            label="Time to resolve by month",
            unit="h",
        )
        owners: dict[str, list[int]] = {}
        for follow_up in site.open_follow_ups:
            counts = owners.setdefault(follow_up.owner or "(no owner)", [0, 0])
            counts[1 if follow_up.overdue else 0] += 1
        owners = dict(sorted(owners.items()))
        actions_svg = bar_rows(
            list(owners),
            [
                Series("on time", [c[0] for c in owners.values()], "neutral"),
                Series("overdue", [c[1] for c in owners.values()], "overdue"),
            ],
            label="Open and overdue action items by owner",
        )
        freshness = {
            c.id: [
                sum(not r.freshness.stale for r in c.active_runbooks),
                sum(r.freshness.stale for r in c.active_runbooks),
                sum(r.freshness.drill.value in ("never-drilled", "drill-overdue") for r in c.active_runbooks),
            ]
            for c in site.classes
        }
        freshness_svg = bar_rows(
            [c.title for c in site.classes],
            [
                Series(name, [freshness[c.id][k] for c in site.classes], tone)
                for k, (name, tone) in enumerate([("fresh", "fresh"), ("stale", "stale"), ("drill missing", "warn")])
            ],
            label="Runbook freshness by class",
        )
        totals = [sum(values[i] for values in per_class.values()) for i in range(len(weeks))]
        comparison = compare_periods(
            site.incident_rows, [f for view in site.incidents for f in view.follow_ups], site.today
        )
        summary = (
            "Incidents per week by class, time to resolve, open and overdue action items, and runbook "
            "freshness, with the numbers as tables and the change against the previous 30 days."
        )
        return self._page(
            "metrics.md.j2",
            "metrics.md",
            self._meta("Metrics", summary, search={"exclude": True}),
            lists=self._record_pages(),
            stats=summary_stats,
            weeks=[str(w) for w in weeks],
            per_class=per_class,
            week_totals=totals,
            weekly_svg=weekly_svg,
            ttr_svg=ttr_svg,
            chart_months=len(months),
            actions_svg=actions_svg,
            owners=owners,
            freshness=freshness,
            freshness_svg=freshness_svg,
            comparison=comparison,
            change=period_change,
            period_value=_period_cell,
            minutes=_stat_cell,
        )

    def pages(self) -> Iterator[Rendered]:
        """Every page, one at a time: a caller that writes each away never holds them all."""
        producers: list[Callable[[], list[Rendered]]] = [
            self.home,
            self.incident_indexes,
            self.tool_capabilities,
            self.workflows,
            self.environment_checklist,
            self.reference,
            self.graph,
            self.tags,
            self.metrics,
            self.reviews_index,
        ]
        for produce in producers:
            yield from produce()
        for view in self.site.classes:
            yield from self.class_page(view)
        for runbook_view in self.site.runbooks.values():
            yield from self.runbook(runbook_view)
        for incident_view, incident in self.site.full_incidents():
            yield from self.incident(incident_view, incident)
