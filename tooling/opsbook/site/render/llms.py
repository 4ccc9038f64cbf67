"""For answer engines and agents: llms.txt and llms-full.txt (the site's runbooks and incidents as
Markdown links with notes), and the Markdown copy of each runbook and incident page.

A copy sits beside its page as `<page>.md.txt` (`runbooks/auth-drift/x.md` → `runbooks/auth-drift/x.md.txt`,
served at `/runbooks/auth-drift/x.md.txt`): every engine copies a `.txt` file as it is, where a `.md`
file would become a page. Its text is what the MCP server serves for the record
(`opsbook.features.record_markdown`), with links to the other records' copies.
"""

from __future__ import annotations

from typing import Literal

from opsbook.features.agent.answers import FollowUp
from opsbook.features.agent.safety import runbook_flags
from opsbook.features.record_markdown import Link, incident_markdown, runbook_markdown
from opsbook.features.urls import incident_page
from opsbook.records.models import Incident
from opsbook.site.model import IncidentView, RunbookView, SiteModel
from opsbook.site.render.jsonld import absolute
from opsbook.site.render.text import count, description, plain, url_relative
from opsbook.support.markdown_text import fence

COPY_SUFFIX = ".txt"


def copy_path(page: str) -> str:
    """Where the Markdown copy of the record page `page` is, in the docs tree and on the site."""
    return page + COPY_SUFFIX


def runbook_copy(site: SiteModel, view: RunbookView) -> str:
    shown_incidents = {incident.id for incident in site.incidents}
    flags = runbook_flags(view.runbook, view.freshness, shown_incidents)
    return runbook_markdown(view.runbook, flags, _copy_link(site, view.path))


def incident_copy(site: SiteModel, view: IncidentView, incident: Incident) -> str:
    link = _copy_link(site, view.path)
    follow_ups = [
        FollowUp.model_validate({**state.as_json(), "incident_uri": link("incident", state.incident)})
        for state in view.follow_ups
    ]
    return incident_markdown(incident, view.durations, follow_ups, link)


def _copy_link(site: SiteModel, page: str) -> Link:
    """Links from the copy of `page` to the copies of other records: absolute under the site's URL, else
    relative; a record the site does not show links to llms.txt."""
    incidents = {incident.id for incident in site.incidents}

    def link(kind: Literal["runbook", "incident"], record_id: str) -> str:
        runbook = site.runbooks.get(record_id) if kind == "runbook" else None
        if runbook is not None:
            target = copy_path(runbook.path)
        elif kind == "incident" and record_id in incidents:
            target = copy_path(incident_page(record_id))
        else:
            target = "llms.txt"
        return absolute(site, target) if site.site_url else url_relative(target, copy_path(page))

    return link


def llms_txt(site: SiteModel, *, full: bool = False) -> str:
    """The llms.txt convention: an H1, a summary quote, then sections of Markdown links with notes."""
    lines = [
        f"# {site.name}",
        "",
        "> Incident runbooks and blameless postmortems for AI-agent systems, organised by the five recurring "
        "failure classes: auth & environment drift, session lifecycle, model fallback, stale deploys and tool "
        "policy. Each runbook is symptom-first, lists exact error signatures, and gives ordered diagnosis and "
        "mitigation steps with commands and approval gates.",
        "",
    ]
    for view in site.classes:
        lines.append(f"## {view.title}")
        lines.append("")
        lines.append(f"- [{view.title}]({absolute(site, view.path)}): {plain(view.tagline)}")
        for runbook_view in view.active_runbooks:
            record = runbook_view.runbook
            lines.append(
                f"- [{record.title}]({absolute(site, runbook_view.path)}): {description(record.summary)} "
                f"([Markdown]({absolute(site, copy_path(runbook_view.path))}))"
            )
            if full:
                lines.extend(_runbook_detail(runbook_view))
        lines.append("")
    if site.incidents:
        lines += ["## Incidents", "", f"{count(len(site.incidents), 'blameless postmortem')}, newest first.", ""]
        for incident in site.incidents:
            lines.append(
                f"- [{incident.title}]({absolute(site, incident.path)}): {incident.severity.value}, started "
                f"{incident.started.date().isoformat()}, {', '.join(incident.classes)} "
                f"([Markdown]({absolute(site, copy_path(incident.path))}))"
            )
        lines.append("")
    lines.append("## Optional")
    lines.append("")
    lines.append(f"- [All incidents]({absolute(site, 'incidents/index.md')}): blameless postmortems, newest first")
    lines.append(f"- [Knowledge base as JSON]({absolute(site, 'api/knowledge-base.json')}): every runbook and incident")
    return "\n".join(lines) + "\n"


def _runbook_detail(view: RunbookView) -> list[str]:
    record = view.runbook
    lines = ["", f"  {plain(record.summary)}", "", "  Signatures: " + "; ".join(record.signatures)]
    for section, steps in (
        ("Diagnose", record.diagnosis),
        ("Mitigate", record.mitigation),
        ("Verify", record.verification),
    ):
        lines.append(f"  {section}:")
        for number, step in enumerate(steps, 1):
            text = f"  {number}. {plain(step.action)}"
            if step.requires_approval:
                text += f" (requires approval: {step.requires_approval})"
            lines.append(text)
            if step.command:
                block = fence(step.command.strip("\n"), "sh")
                lines += ["", *(f"     {line}" if line else "" for line in block.splitlines()), ""]
    lines.append("")
    return lines
