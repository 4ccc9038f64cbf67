"""Checks on one record that the schema alone cannot express, each pointing at its line."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import PurePath

from opsbook.records import regex_dialect
from opsbook.records.diagnostics import Diagnostic, Level
from opsbook.records.models import (
    TIMESTAMP_ORDER,
    ActionItem,
    ActionStatus,
    FailureClass,
    Incident,
    IncidentStatus,
    Runbook,
    RunbookStatus,
    Step,
)
from opsbook.records.models.common import TITLE_LIMIT
from opsbook.records.models.incident import Timestamps
from opsbook.records.parts import Parts
from opsbook.records.validate import dotted, located
from opsbook.records.yaml_loader import Document, strings

PLACEHOLDER = re.compile(r"<fill in:[^>]*>")

SENSITIVE_COMMAND = re.compile(
    r"""
    \b(?:vercel|netlify)\s+(?:deploy\b[^|;&\n]{0,200}--prod|promote|rollback|redeploy|env\s+(?:add|rm|update)
        |env:(?:set|unset|import)|cache\s+purge)
    | \bsupabase\s+secrets\s+(?:set|unset)
    | \bgh\s+(?:secret\s+(?:set|delete)|variable\s+(?:set|delete)|run\s+cancel|api\s+-X\s*(?:DELETE|PUT|PATCH))
    | \bstripe\s+[^|;&\n]{0,200}\b(?:create|update|delete|cancel|resend|roll)\b
    | purge_cache | \bpurge\b
    | -X\s*(?:DELETE|PUT|PATCH)\b | --request\s+(?:DELETE|PUT|PATCH)\b
    | \bkubectl\s+(?:delete|scale|rollout\s+(?:restart|undo)|apply)
    | \baws\s+[^|;&\n]{0,200}(?:delete-|put-secret-value|update-function-configuration|rotate-secret)
    | \b(?:drop|truncate)\s+table\b | \bdelete\s+from\b
    | \bgit\s+push\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def runbook_rules(document: Document, runbook: Runbook | None, file: PurePath) -> Iterator[Diagnostic]:
    """The runbook's own rules; for an invalid runbook (None), those its valid fields still allow."""
    parts = Parts(Runbook, document.data, runbook)
    yield from _id_matches_file(document, parts.get("id"), file)
    yield from _short_title(document, parts)
    failure_class: FailureClass | None = parts.get("failure_class")
    if failure_class is not None and file.parent.name != failure_class.value:
        target = _class_folder(file, failure_class.value)
        yield located(
            document,
            ("failure_class",),
            "class-folder",
            f"a {failure_class.value} runbook must live in {target.as_posix()}/, not in {file.parent.as_posix()}/",
            hint=f"move it: git mv {file.as_posix()} {(target / file.name).as_posix()}",
        )
    if parts.get("status") is RunbookStatus.DEPRECATED and parts.valid("replaced_by") and not parts.get("replaced_by"):
        yield located(
            document,
            ("status",),
            "deprecated-without-replacement",
            "a deprecated runbook must name its replacement in `replaced_by`",
        )
    for index, signature in enumerate(parts.get("signatures") or []):
        pattern, is_regex = regex_dialect.split_signature(signature)
        if not is_regex:
            continue
        try:
            with warnings.catch_warnings():  # "possible nested set": reported below as regex-dialect
                warnings.simplefilter("ignore", FutureWarning)
                re.compile(pattern, regex_dialect.FLAGS)
        except re.error as error:
            yield located(
                document, ("signatures", index), "bad-regex", f"signature {signature!r} does not compile: {error}"
            )
            continue
        problem = regex_dialect.dialect_problem(pattern)
        if problem:
            yield located(
                document,
                ("signatures", index),
                "regex-dialect",
                f"signature {signature!r} would match differently in the browser: {problem.message}",
                hint=problem.hint,
            )
    for section in ("diagnosis", "mitigation", "verification"):
        for index, step in parts.items(section, Step):
            yield from _step_rules(document, (section, index), step)
    yield from placeholders(document)


def _short_title(document: Document, parts: Parts[Runbook] | Parts[Incident]) -> Iterator[Diagnostic]:
    title: str | None = parts.get("title")
    if title is not None and len(title) > TITLE_LIMIT and parts.valid("short_title") and not parts.get("short_title"):
        yield located(
            document,
            ("title",),
            "long-title",
            f"the title has {len(title)} characters: search results and browser tabs cut it after about {TITLE_LIMIT}",
            level=Level.WARNING,
            hint=f"add `short_title:` (at most {TITLE_LIMIT} characters, the symptom first); the page heading keeps "
            "the full title",
        )


NOT_A_VERB = frozenset(
    """
    if when whenever once after before while until unless since as because although though otherwise
    for in on at with without during from inside within over under per via by to
    the a an this that these those each every all any some no your our its their it there here
    only also then now first next finally
    """.split()
)
"""Words that can open an English sentence but never as the imperative verb of what to do: subordinating
conjunctions that put a condition first ("If the fallback answered 200, cluster…"), prepositions that put a
scope first ("For Lambda, publish…"), determiners and pronouns that start a noun phrase ("The billing owner
restores…"), and adverbs that delay the verb ("First, check…"). A closed list rather than a part-of-speech
tagger: every word on it is certain not to be the verb, so the check never flags a step that already starts
with one ("Clear", "Free", "Record" and "Open" are verbs and are not here); a noun lead outside the list
("Contract test in staging: …") goes unflagged. A first word that ends in a colon is a label ("Vercel:",
"LangGraph:"), which puts the verb after a heading, so it is flagged too."""


def _not_a_verb(action: str) -> str | None:
    """The lead word of `action` when it shows the step does not start with its verb."""
    first = next(iter(action.split()), "")
    if len(first) > 1 and first.endswith(":"):
        return first
    word = first.rstrip(",;.")
    return word if word.lower() in NOT_A_VERB else None


def _step_rules(document: Document, where: tuple[str, int], step: Step) -> Iterator[Diagnostic]:
    lead = _not_a_verb(step.action)
    if lead is not None:
        yield located(
            document,
            (*where, "action"),
            "step-not-verb-first",
            f"{dotted(where)}.action starts with {lead!r}, not with the verb of what to do",
            level=Level.WARNING,
            hint='start with the verb and move the condition after it: "Roll back the deploy when errors double", '
            'not "If errors double, roll back the deploy"; "Purge the Vercel cache", not "Vercel: purge the cache"',
        )
    if step.sensitive and not step.requires_approval:
        yield located(
            document,
            (*where, "sensitive"),
            "approval-missing",
            f"{dotted(where)} is marked sensitive but names no approver",
            hint="add `requires_approval: <role or person>`",
        )
    elif not step.needs_approval and step.command and SENSITIVE_COMMAND.search(step.command):
        yield located(
            document,
            (*where, "command"),
            "sensitive-unflagged",
            f"{dotted(where)} runs a command that changes shared state but names no approver",
            level=Level.WARNING,
            hint="add `sensitive: true` and `requires_approval: <role or person>`",
        )


def incident_rules(document: Document, incident: Incident | None, file: PurePath) -> Iterator[Diagnostic]:
    """The incident's own rules; for an invalid incident (None), those its valid fields still allow."""
    parts = Parts(Incident, document.data, incident)
    record_id: str | None = parts.get("id")
    yield from _id_matches_file(document, record_id, file)
    yield from _short_title(document, parts)
    if record_id is not None and file.parent.name != record_id[:4]:
        yield located(
            document,
            ("id",),
            "incident-folder",
            f"incident {record_id} must live in {_year_folder(file, record_id[:4]).as_posix()}/, "
            f"not in {file.parent.as_posix()}/",
        )
    timestamps: Timestamps | None = parts.get("timestamps")
    status: IncidentStatus | None = parts.get("status")
    if timestamps is not None:
        yield from _timestamps_in_order(document, timestamps)
        if status in (IncidentStatus.REVIEWED, IncidentStatus.CLOSED) and not timestamps.resolved:
            yield located(
                document,
                ("timestamps",),
                "missing-key",
                f"a {status.value} incident needs timestamps.resolved",
                value=False,
            )
    other = "other" in (parts.get("failure_classes") or [])
    if other and parts.valid("other_class_note") and not parts.get("other_class_note"):
        yield located(document, ("failure_classes",), "missing-key", "failure class `other` needs `other_class_note`")
    if parts.get("excluded_from_metrics") and parts.valid("exclusion_reason") and not parts.get("exclusion_reason"):
        yield located(
            document,
            ("excluded_from_metrics",),
            "missing-key",
            "excluded_from_metrics needs `exclusion_reason`",
        )
    yield from _action_item_rules(document, parts.items("action_items", ActionItem), example=parts.get("example"))
    yield from placeholders(document)


def _action_item_rules(
    document: Document, items: list[tuple[int, ActionItem]], *, example: bool | None
) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {}
    for index, item in items:
        where = ("action_items", index)
        if item.id in seen:
            yield located(
                document,
                (*where, "id"),
                "duplicate-id",
                f"action item id {item.id!r} is already used by action_items[{seen[item.id]}]",
            )
        seen.setdefault(item.id, index)
        if item.status is ActionStatus.OPEN and item.owner is None:
            yield located(
                document,
                where,
                "action-item-owner",
                f"open action item {item.id!r} has no owner",
                value=False,
                hint="every open follow-up needs someone who owns it",
            )
        if item.status is ActionStatus.OPEN and item.due is None:
            if not example:  # an example's follow-ups are examples: no deadline to agree
                yield located(
                    document,
                    where,
                    "action-item-owner",
                    f"open action item {item.id!r} has no due date; its {item.priority.value} SLA applies instead",
                    value=False,
                    level=Level.WARNING,
                    hint="agree a due date in the weekly review",
                )
        elif item.status is ActionStatus.NOT_DOING and not item.reason:
            yield located(
                document,
                (*where, "status"),
                "missing-key",
                f"action item {item.id!r} is not_doing without a reason",
            )
        elif item.status is ActionStatus.DONE and item.closed is None:
            yield located(
                document,
                (*where, "status"),
                "missing-key",
                f"done action item {item.id!r} needs `closed: <date>`",
            )


def _class_folder(file: PurePath, failure_class: str) -> PurePath:
    """Where a runbook of `failure_class` belongs, next to the folder `file` is in (`file` is relative to
    the knowledge base's root)."""
    in_a_class_folder = file.parent.name in {c.value for c in FailureClass}
    return (file.parent.parent if in_a_class_folder else file.parent) / failure_class


def _year_folder(file: PurePath, year: str) -> PurePath:
    in_a_year_folder = re.fullmatch(r"\d{4}", file.parent.name) is not None
    return (file.parent.parent if in_a_year_folder else file.parent) / year


def _id_matches_file(document: Document, record_id: str | None, file: PurePath) -> Iterator[Diagnostic]:
    if record_id is not None and record_id != file.stem:
        yield located(
            document,
            ("id",),
            "id-mismatch",
            f"id {record_id!r} differs from the file name {file.name!r}",
            hint=f"rename the file to {record_id}.yaml or set id: {file.stem}",
        )


def _timestamps_in_order(document: Document, timestamps: Timestamps) -> Iterator[Diagnostic]:
    previous_name, previous = None, None
    for name in TIMESTAMP_ORDER:
        value = getattr(timestamps, name)
        if value is None:
            continue
        if previous is not None and value < previous:
            yield located(
                document,
                ("timestamps", name),
                "timestamp-order",
                f"timestamps.{name} ({value.isoformat()}) is before timestamps.{previous_name} "
                f"({previous.isoformat()})",
                hint="order: started <= detected <= acknowledged <= mitigated <= resolved",
            )
        previous_name, previous = name, value


def placeholders(document: Document) -> Iterator[Diagnostic]:
    if "<fill in:" not in document.source:
        return
    for location, text, is_key in strings(document.data):
        match = None if is_key else PLACEHOLDER.search(text)
        if match:
            yield located(
                document,
                location,
                "placeholder",
                f"{dotted(location)} still holds the placeholder {match.group(0)!r}",
                level=Level.WARNING,
            )
