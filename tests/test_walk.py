"""`opsbook walk` with piped answers: gates, resume after crashes, the incident it writes, usage errors."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from opsbook.checks.report import run_check
from opsbook.site.tree import DocsTree
from tests.walkfactory import INCIDENT, INCIDENT_ID, incident_walk_part, logs, records, walk_kb

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the walk's tests run commands in bash")

# before, diagnosis 1 and 2, the gated mitigation (piped: only failed or skipped), verification, the end
ALL = "d\n\nf\nno token line\nd\n\ns\nnobody could approve\ns\n\np\nthe health URL\n"
HANDWRITTEN = """\
# yaml-language-server: $schema=../../schema/incident.schema.json
# Kept by the payments on-call rotation.
id: 2026-11-17-webhook-secret
title: "Webhook deliveries failed after deploy"   # the symptom, not the cause
visibility: public
status: draft
severity: SEV2
severity_rationale: 'Paid sign-ups were not fulfilled'
failure_classes: [auth-drift]
timestamps: {started: 2026-11-17T10:00:00Z, detected: 2026-11-17T10:20:00Z}
summary: >-
  The production webhook secret was set
  only for Preview.
impact:
  summary: "40 customers were not upgraded"   # a comment on a nested key
detection: {method: customer-report, description: Support ticket}
timeline:
# first what the deploy did
- at: 2026-11-17T10:00:00Z
  event: Deploy
  actor: vercel
  actor_kind: system
# then who noticed
- at: 2026-11-17T10:20:00Z
  event: "Ticket"
  actor: support
  actor_kind: person
action_items: []   # none yet
"""


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return walk_kb(tmp_path / "kb")


def walk(cli, kb: Path, *args: str, answers: str = ALL):
    return cli("walk", *args, cwd=kb, input=answers)


def test_piped_answers_never_pass_an_approval_gate(cli, kb: Path) -> None:
    result = walk(cli, kb, "rb-tool-policy", "--actor", "dana", answers="d\n\n" * 30)  # `yes d | opsbook walk`
    assert result.exit_code == 1
    assert "An approval is entered by a person at an interactive terminal" in result.output
    assert "Not done without an approval" in result.output
    (log,) = logs(kb)
    events = [(r["event"], r.get("step")) for r in records(log)]
    assert ("approval", "mitigation-1") not in events and ("outcome", "mitigation-1") not in events
    assert records(log)[-1]["event"] == "pause" and records(log)[-1]["next_step"] == "mitigation-1"


def test_piped_run_confirmation_runs_an_ungated_command_but_never_a_gated_one(cli, kb: Path) -> None:
    answers = "d\n\ny\nd\n\nd\n\ns\n\ns\n\ny\n\n"
    result = walk(cli, kb, "rb-tool-policy", "--actor", "dana", "--run", answers=answers)
    assert result.exit_code == 0, result.output
    assert "Not run: the step needs an approval first" in result.output
    assert "Not run: it holds the placeholder <deployment-url>" in result.output
    runs = [r["step"] for r in records(logs(kb)[0]) if r["event"] == "run-end"]
    assert runs == ["diagnosis-1"]


def test_the_walk_writes_the_incident_which_passes_check(cli, kb: Path) -> None:
    result = walk(cli, kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana")
    assert result.exit_code == 0, result.output
    assert f"Added 7 timeline events and a runbooks_used entry to {INCIDENT}" in result.output
    events, uses = incident_walk_part(kb)
    assert events[3]["event"] == "Diagnose 2 of 2 done: Check the environment."
    assert events[4]["event"] == "Mitigate 1 of 1 skipped: Restart the worker. Note: nobody could approve"
    assert uses[-1] == {
        "runbook": "rb-tool-policy",
        "helped": "partly",
        "note": "the health URL. Walked with `opsbook walk`: 2 done, 1 failed, 2 skipped.",
    }
    assert [d for d in run_check(kb, use_index=False).diagnostics if d.is_error] == []


def test_comments_key_order_and_styles_of_the_incident_survive(cli, kb: Path) -> None:
    (kb / INCIDENT).write_text(HANDWRITTEN, encoding="utf-8")
    assert walk(cli, kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana").exit_code == 0
    after = (kb / INCIDENT).read_text(encoding="utf-8")
    changes = difflib.SequenceMatcher(None, HANDWRITTEN.splitlines(), after.splitlines(), autojunk=False)
    assert {tag for tag, *_ in changes.get_opcodes()} == {"equal", "insert"}, "only lines added"
    added = after.splitlines()[HANDWRITTEN.splitlines().index("  actor_kind: person") + 1]
    assert added.startswith("- at: ")  # the file's own list style
    assert "\nrunbooks_used:\n- runbook: rb-tool-policy\n" in after  # inserted before action_items
    assert [d for d in run_check(kb, use_index=False).diagnostics if d.is_error] == []


def test_new_incident_is_created_first_and_passes_check(cli, kb: Path) -> None:
    result = walk(cli, kb, "rb-tool-policy", "--new-incident", "Worker token leaks", "--actor", "dana")
    assert result.exit_code == 0, result.output
    path = kb / "incidents/2026/2026-11-25-worker-token-leaks.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["failure_classes"] == ["tool-policy"]
    assert len([entry for entry in data["timeline"] if "walk" in entry]) == 7
    assert data["runbooks_used"][0]["runbook"] == "rb-tool-policy"
    assert [d for d in run_check(kb, use_index=False).diagnostics if d.is_error] == []


def test_an_agent_cannot_carry_out_a_step_for_humans(cli, kb: Path) -> None:
    answers = "d\n\nd\n\nd\n\nd\ns\nleft for a human\ns\n\ny\n\n"
    result = walk(cli, kb, "rb-tool-policy", "--actor", "triage-bot", "--actor-kind", "agent", answers=answers)
    assert result.exit_code == 0
    assert "A human carries out this step (executor: human)" in result.output
    gated = next(r for r in records(logs(kb)[0]) if r.get("step") == "mitigation-1")
    assert gated["outcome"] == "skipped" and gated["actor_kind"] == "agent"


def test_a_crash_after_the_incident_write_adds_nothing_twice(cli, kb: Path) -> None:
    assert walk(cli, kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana").exit_code == 0
    (log,) = logs(kb)
    written = (kb / INCIDENT).read_text()
    lines = log.read_text().splitlines(keepends=True)
    assert json.loads(lines[-1])["event"] == "recorded"
    log.write_text("".join(lines[:-1]))  # killed between the incident's write and the log's record of it
    result = cli("walk", "--resume", cwd=kb, input="")
    assert result.exit_code == 0 and "already holds the walk's timeline events" in result.output
    assert (kb / INCIDENT).read_text() == written
    assert records(log)[-1]["event"] == "recorded" and records(log)[-1]["added"] == 0
    assert "nothing to do" in cli("walk", "--resume", log.stem, cwd=kb, input="").output


def test_a_crash_before_the_incident_write_is_caught_up_on_resume(cli, kb: Path) -> None:
    before = (kb / INCIDENT).read_text()
    assert walk(cli, kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana").exit_code == 0
    written = (kb / INCIDENT).read_text()
    (log,) = logs(kb)
    (kb / INCIDENT).write_text(before)  # killed after the last answer, before the incident was written
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-1]))
    assert cli("walk", "--resume", cwd=kb, input="").exit_code == 0
    assert (kb / INCIDENT).read_text() == written


def test_a_half_written_last_record_is_dropped_on_resume(cli, kb: Path) -> None:
    assert walk(cli, kb, "rb-tool-policy", "--actor", "dana", answers="d\n\n").exit_code == 1
    (log,) = logs(kb)
    complete = log.read_bytes()
    with log.open("ab") as handle:
        handle.write(b'{"seq":4,"time":"2026-11-25T10')
    result = cli("walk", "--resume", cwd=kb, input="f\n")
    assert "Dropped 30 bytes of a record that the interruption left half written" in result.output
    assert log.read_bytes().startswith(complete)
    assert records(log)[len(complete.splitlines())]["discarded_bytes"] == 30


def test_a_damaged_log_is_refused_with_its_line(cli, kb: Path) -> None:
    walk(cli, kb, "rb-tool-policy", "--actor", "dana", answers="d\n\n")
    (log,) = logs(kb)
    lines = log.read_text().splitlines(keepends=True)
    log.write_text(lines[0] + "not json\n" + "".join(lines[2:]))
    result = cli("walk", "--resume", log.stem, cwd=kb, input="")
    assert result.exit_code == 1 and f"{log}:2: damaged record" in result.output


def test_a_broken_incident_keeps_the_walk_and_resume_writes_it_once_fixed(cli, kb: Path) -> None:
    assert walk(cli, kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana", answers="d\n\n").exit_code == 1
    good = (kb / INCIDENT).read_text()
    (kb / INCIDENT).write_text(good + "timeline: [unclosed\n")  # someone's edit in progress
    result = cli("walk", "--resume", cwd=kb, input=ALL.split("\n", 2)[2])
    assert result.exit_code == 1
    assert f"opsbook walk: {INCIDENT}:" in result.output and "invalid YAML" in result.output
    (kb / INCIDENT).write_text(good)
    assert cli("walk", "--resume", cwd=kb, input="").exit_code == 0
    assert len(incident_walk_part(kb)[0]) == 7


def test_resume_takes_the_last_unfinished_walk_or_the_one_named(cli, kb: Path) -> None:
    walk(cli, kb, "rb-tool-policy", "--actor", "dana", answers="d\n\n")
    walk(cli, kb, "rb-session-lifecycle", "--actor", "dana", answers="")
    first = next(log for log in logs(kb) if records(log)[0]["runbook"] == "rb-tool-policy")
    assert "Runbook rb-session-lifecycle" in cli("walk", "--resume", cwd=kb, input="").output
    assert "Runbook rb-tool-policy" in cli("walk", "--resume", first.stem, cwd=kb, input="").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rb-tool-polcy"], "no runbook 'rb-tool-polcy' (did you mean 'rb-tool-policy'?)"),
        (["rb-tool-policy", "--incident", "2026-01-01-nope"], "no incident '2026-01-01-nope'"),
        (["rb-tool-policy", "--incident", INCIDENT_ID, "--new-incident", "x"], "not both"),
        (["rb-tool-policy", "--resume"], "--resume continues the walk as it began"),
        (["--resume", "--timeout", "5"], "--resume continues the walk as it began"),
        (["--resume"], "no unfinished walk in this knowledge base"),
        (["--resume", "../../etc"], "is not a walk id"),
        ([], "give the RUNBOOK_ID to walk, or --resume"),
    ],
)
def test_usage_errors_exit_2_with_one_line(cli, kb: Path, args: list[str], message: str) -> None:
    result = cli("walk", *args, cwd=kb, input="")
    assert result.exit_code == 2 and message in result.output


def test_the_incident_page_marks_the_events_a_walk_recorded(cli, kb: Path) -> None:
    assert walk(cli, kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana").exit_code == 0
    page = f"incidents/2026/{INCIDENT_ID}.md"
    badge = 'class="ob-badge ob-badge--walk" title="Recorded by opsbook walk '
    with DocsTree.open(kb) as tree:
        markdown = dict(tree.entries())[page]
    assert markdown.count(badge) == 7
    assert "| Deploy |" in markdown and markdown.split("| Deploy |")[0].count(badge) == 0
