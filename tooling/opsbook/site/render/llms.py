"""llms.txt and llms-full.txt for answer engines: the site's runbooks as Markdown links with notes."""

from __future__ import annotations

from opsbook.site.model import RunbookView, SiteModel
from opsbook.site.render.jsonld import absolute
from opsbook.site.render.text import description, plain
from opsbook.support.markdown_text import fence


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
            lines.append(f"- [{record.title}]({absolute(site, runbook_view.path)}): {description(record.summary)}")
            if full:
                lines.extend(_runbook_detail(runbook_view))
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
