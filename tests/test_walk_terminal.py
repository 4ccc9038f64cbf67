"""`opsbook walk` in a real pseudo-terminal (pexpect): approval gates, kill -9 and resume, Ctrl-C, secrets,
80 columns, colour."""

from __future__ import annotations

import io
import re
import shutil
import signal
import time
from pathlib import Path

import pexpect
import pytest

from opsbook.checks.report import run_check
from opsbook.features.walk.screen import CONTINUATION_INDENT
from tests.walkfactory import (
    INCIDENT,
    INCIDENT_ID,
    LONG_COMMAND,
    answer,
    answers,
    fake_token,
    incident_walk_part,
    logs,
    records,
    spawn,
    walk_kb,
)

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the walk's tests run commands in bash")

CONVERSATION = [
    [("Outcome", "d"), ("Note", "")],  # before you start
    [("Outcome", "f"), ("Note", "no token line")],  # diagnosis 1
    [("Outcome", "d"), ("Note", "")],  # diagnosis 2
    [("Who approved it", "Maria Lopez"), ("approve exactly", "y"), ("Outcome", "d"), ("Note", "restarted")],
    [("Outcome", "s"), ("Note", "no URL yet")],  # verification
    [("help", "p"), ("better", "the health URL")],  # the end
]
FLAT = [(number, prompt, reply) for number, step in enumerate(CONVERSATION) for prompt, reply in step]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return walk_kb(tmp_path / "kb")


def interrupt(child: pexpect.spawn, at: str) -> int:
    """Ctrl-C at the next `at` prompt (earlier, it would discard answers not yet read); the exit status."""
    child.expect(at)
    child.sendintr()
    return finish(child)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else 128 + child.signalstatus)


def test_an_uninterrupted_walk_writes_an_incident_that_passes_check(kb: Path) -> None:
    child = spawn(kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana")
    answer(child, [pair for step in CONVERSATION for pair in step])
    assert finish(child) == 0
    events, uses = incident_walk_part(kb)
    assert [event["event"].split(":")[0] for event in events] == [
        "Started walking runbook `rb-tool-policy`",
        "Before you start done",
        "Diagnose 1 of 2 failed",
        "Diagnose 2 of 2 done",
        "Mitigate 1 of 1 done (approved by Maria Lopez for platform-lead)",
        "Verify 1 of 1 skipped",
        "Finished walking runbook `rb-tool-policy`",
    ]
    assert {event["actor"] for event in events} == {"dana"}
    assert uses[-1]["runbook"] == "rb-tool-policy" and uses[-1]["helped"] == "partly"
    assert [d for d in run_check(kb, use_index=False).diagnostics if d.is_error] == []


def test_kill_9_at_several_points_then_resume_gives_the_same_log_and_incident(kb: Path, tmp_path: Path) -> None:
    reference = walk_kb(tmp_path / "reference")
    child = spawn(reference, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana")
    answer(child, [(prompt, reply) for _, prompt, reply in FLAT])
    assert finish(child) == 0

    kills = [0, 3, 7, 9, 12, 13]  # first question, a note, before an approval is confirmed, after it, the end
    child = spawn(kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana")
    position = 0
    for kill in [*kills, None]:
        stop = len(FLAT) if kill is None else kill
        answer(child, [(prompt, reply) for _, prompt, reply in FLAT[position:stop]])
        if kill is None:
            assert finish(child) == 0
            break
        child.expect(FLAT[kill][1])
        (log,) = logs(kb)
        before = log.read_bytes()
        child.kill(signal.SIGKILL)
        child.close(force=True)
        child = spawn(kb, "--resume")
        step = FLAT[kill][0]
        position = next(index for index, (number, _, _) in enumerate(FLAT) if number == step)
        child.expect("Resuming at" if step < len(CONVERSATION) - 1 else "End of the runbook")
        assert log.read_bytes().startswith(before), "a resume never changes what the log already holds"

    (log,), (expected,) = logs(kb), logs(reference)
    assert answers(log) == answers(expected)
    assert incident_walk_part(kb) == incident_walk_part(reference)
    events = [record["event"] for record in records(log)]
    assert events.count("resume") == len(kills) and events.count("outcome") == len(CONVERSATION) - 1
    assert [d for d in run_check(kb, use_index=False).diagnostics if d.is_error] == []


def test_a_gated_step_cannot_be_done_or_run_without_an_approver(kb: Path) -> None:
    child = spawn(kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana", "--run")
    answer(child, [("Outcome", "d"), ("Note", ""), ("Run it now", "n"), ("Outcome", "d"), ("Note", "")])
    answer(child, [("Outcome", "d"), ("Note", "")])
    answer(child, [("Who approved it", "Dana")])
    child.expect("Nobody approves their own step")
    answer(child, [("Running it needs an approval. Who approved it", "Maria"), ("approve exactly", "n")])
    child.expect("Not run: the step needs an approval first")
    answer(child, [("Outcome", "d"), ("Done needs an approval. Who approved it", "")])
    child.expect("Not done without an approval")
    answer(child, [("Outcome", "s"), ("Note", "nobody to approve"), ("Outcome", "s"), ("Note", "")])
    assert interrupt(child, "help") == 130
    (log,) = logs(kb)
    gated = [r for r in records(log) if r.get("step") == "mitigation-1"]
    assert [r["event"] for r in gated] == ["outcome"]
    assert gated[0]["outcome"] == "skipped" and gated[0]["approver"] is None


def test_an_approved_gated_step_runs_and_records_its_approver(kb: Path) -> None:
    child = spawn(kb, "rb-tool-policy", "--actor", "dana", "--run")
    answer(child, [("Outcome", "d"), ("Note", ""), ("Run it now", "n"), ("Outcome", "d"), ("Note", "")])
    answer(child, [("Outcome", "d"), ("Note", ""), ("Who approved it", "Maria"), ("approve exactly", "y")])
    answer(child, [("Run it now", "y"), ("Outcome", "d"), ("Note", "")])
    assert interrupt(child, "Outcome") == 130
    gated = [r for r in records(logs(kb)[0]) if r.get("step") == "mitigation-1"]
    assert [r["event"] for r in gated] == ["approval", "run-start", "run-end", "outcome"]
    assert gated[0]["approver"] == gated[-1]["approver"] == "Maria"
    assert gated[0]["command_sha256"] == gated[2]["command_sha256"] == gated[-1]["command_sha256"]
    assert gated[2]["exit_code"] == 0 and gated[2]["output"] == "restarted"


def test_a_secret_the_command_prints_is_masked_on_screen_in_the_log_and_in_the_incident(kb: Path) -> None:
    token = fake_token()
    child = spawn(kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana", "--run")
    screen = io.StringIO()
    child.logfile_read = screen
    answer(child, [("Outcome", "d"), ("Note", ""), ("Run it now", "y")])
    child.expect("Outcome")
    shown = screen.getvalue()
    assert "token=sk_live_" in shown and token not in shown
    child.sendline("d")
    answer(child, [("Note", f"it printed {token} in clear")])
    answer(child, [*CONVERSATION[2], *CONVERSATION[3][:2], ("Run it now", "n"), *CONVERSATION[3][2:]])
    answer(child, CONVERSATION[4] + CONVERSATION[5])
    assert finish(child) == 0
    (log,) = logs(kb)
    run = next(r for r in records(log) if r["event"] == "run-end")
    assert run["output"].startswith("token=sk_live_") and token not in log.read_text()
    incident = (kb / INCIDENT).read_text()
    assert "output: token=sk_live_" in incident and token not in incident
    typed = f"it printed {token} in clear"  # the terminal echoes what the operator types
    assert token[len("sk_live_") :] not in screen.getvalue().replace(typed, "") + log.read_text() + incident


def test_ctrl_c_saves_the_walk_and_the_incident_and_exits_cleanly(kb: Path, cli) -> None:
    child = spawn(kb, "rb-tool-policy", "--incident", INCIDENT_ID, "--actor", "dana")
    answer(child, CONVERSATION[0])
    child.expect("Outcome")
    child.sendintr()
    child.expect("Saved. Continue with: opsbook walk --resume")
    assert finish(child) == 130
    (log,) = logs(kb)
    assert records(log)[-2]["event"] == "pause" and records(log)[-2]["reason"] == "interrupted"
    events, _ = incident_walk_part(kb)
    assert len(events) == 2  # the start and the first answer are already in the incident
    piped = "f\n\nd\n\ns\nnobody approved it\ns\n\ny\n\n"
    assert cli("walk", "--resume", cwd=kb, input=piped).exit_code == 0
    events, _ = incident_walk_part(kb)
    assert len(events) == 7


def test_a_command_cut_off_by_kill_9_is_reported_and_never_run_again_unasked(kb: Path) -> None:
    child = spawn(kb, "rb-session-lifecycle", "--actor", "dana", "--run")
    answer(child, [("Run it now", "y")])
    (log,) = logs(kb)
    deadline = time.monotonic() + 10
    while "run-start" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.kill(signal.SIGKILL)
    child.close(force=True)
    child = spawn(kb, "--resume")
    child.expect("This command was started at")
    child.expect("result was recorded")
    answer(child, [("Run it again\\? \\[y/N\\]", ""), ("Outcome", "f"), ("Note", "")])
    assert interrupt(child, "Outcome") == 130
    events = [r["event"] for r in records(log)]
    assert events.count("run-start") == 1 and "run-end" not in events


def test_a_walk_that_is_running_cannot_be_resumed_elsewhere(kb: Path, cli) -> None:
    child = spawn(kb, "rb-tool-policy", "--actor", "dana")
    child.expect("Outcome")
    result = cli("walk", "--resume", cwd=kb, input="")
    assert result.exit_code == 1 and "is running in another opsbook process" in result.output
    child.sendintr()
    assert finish(child) == 130


def test_the_walk_fits_80_columns_and_shows_commands_exactly(kb: Path) -> None:
    child = spawn(kb, "rb-tool-policy", "--actor", "dana")
    screen = io.StringIO()
    child.logfile_read = screen
    answer(child, [pair for step in CONVERSATION[:4] for pair in step])
    assert interrupt(child, "Outcome") == 130
    lines = screen.getvalue().replace("\r\n", "\n").split("\n")
    assert [line for line in lines if len(line) > 80 and " " in line.strip()] == []  # one long word may wrap
    start = lines.index("curl -s -o /dev/null -w '%{http_code}\\n' -H \\")
    shown = lines[start : start + 3]
    assert all(line.startswith(CONTINUATION_INDENT) for line in shown[1:])
    assert "".join(line.removeprefix(CONTINUATION_INDENT).removesuffix("\\") for line in shown) == LONG_COMMAND


@pytest.mark.parametrize("no_color", [True, False])
def test_colour_only_on_a_terminal_and_never_with_no_color(kb: Path, cli, no_color: bool) -> None:
    child = spawn(kb, "rb-tool-policy", "--actor", "dana", NO_COLOR="1" if no_color else "")
    screen = io.StringIO()
    child.logfile_read = screen
    assert interrupt(child, "Outcome") == 130
    assert ("\x1b[" in screen.getvalue()) is not no_color
    piped = cli("walk", "--resume", cwd=kb, input="d\n")
    assert "\x1b[" not in piped.output and re.search(r"== Before you start =+\n", piped.output)
