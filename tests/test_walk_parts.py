"""The walk's parts on their own: the incident writer, the command runner, commands on screen, the log."""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from opsbook.features.walk.incident_file import IncidentWriteError, _check_only_added, add_walk_events
from opsbook.features.walk.log import WalkLog, WalkLogError, parse
from opsbook.features.walk.screen import CONTINUATION_INDENT, break_points, command_lines
from opsbook.features.walk.shell import EXCERPT_LINES, excerpt, run_command, visible, why_not_runnable
from opsbook.records.models.incident import RunbookUse, TimelineEntry
from tests.conftest import ROOT
from tests.walkfactory import fake_token

WALK = "20261125-101503-a3f2"
bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def entry(event: str, *, actor: str = "dana", minute: int = 15) -> TimelineEntry:
    at = dt.datetime(2026, 11, 25, 10, minute, tzinfo=dt.UTC)
    return TimelineEntry(at=at, event=event, actor=actor, actor_kind="person", walk=WALK)


ENTRIES = [entry("Started walking runbook `x`: a title"), entry('Verify 1 of 1 done: "quoted" # not a comment')]
USE = RunbookUse(runbook="rb-x", helped="yes", note="Walked.")


def only_added(before: str, after: str) -> bool:
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    return {tag for tag, *_ in matcher.get_opcodes()} <= {"equal", "insert"}


@pytest.mark.parametrize("bundled", sorted((ROOT / "incidents").rglob("*.yaml")), ids=lambda path: path.stem)
def test_every_bundled_incident_only_gains_lines(tmp_path: Path, bundled: Path) -> None:
    path = tmp_path / bundled.name
    before = bundled.read_text(encoding="utf-8")
    path.write_text(before, encoding="utf-8")
    assert add_walk_events(path, WALK, ENTRIES[:1], None) == 1
    assert add_walk_events(path, WALK, ENTRIES, USE) == 1
    assert add_walk_events(path, WALK, ENTRIES, USE) == 0, "idempotent"
    after = path.read_text(encoding="utf-8")
    assert only_added(before, after)
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    assert new["timeline"][: len(old["timeline"])] == old["timeline"]
    assert [item["event"] for item in new["timeline"][len(old["timeline"]) :]] == [e.event for e in ENTRIES]
    assert new["runbooks_used"] == [
        *old.get("runbooks_used", []),
        {"runbook": "rb-x", "helped": "yes", "note": "Walked."},
    ]


def test_a_file_indented_by_four_keeps_its_indentation(tmp_path: Path) -> None:
    text = (
        "id: x\nimpact:\n    summary: >-\n        many\n        lines\ntimeline:\n    -   at: 2026-11-17T10:00:00Z\n"
        "        event: Deploy\n        actor: vercel\n        actor_kind: system\nrunbooks_used: []\n"
    )
    path = tmp_path / "four.yaml"
    path.write_text(text)
    add_walk_events(path, WALK, ENTRIES, USE)
    after = path.read_text()
    assert only_added(text.replace("runbooks_used: []\n", ""), after)
    assert "\n    -   at: 2026-11-25T10:15:00Z\n        event: " in after
    assert "runbooks_used:\n    -   runbook: rb-x\n" in after  # an empty flow list becomes a block list


def test_words_yaml_1_1_reads_as_booleans_or_null_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "words.yaml"
    path.write_text("id: x\ntimeline: []\n")
    words = ["yes", "no", "on", "off", "null", "true", "y", "n"]
    add_walk_events(path, WALK, [entry(word, actor=word, minute=n) for n, word in enumerate(words)], None)
    timeline = yaml.safe_load(path.read_text())["timeline"]
    assert [(item["event"], item["actor"]) for item in timeline] == [(word, word) for word in words]


def test_invalid_yaml_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntimeline: [unclosed\n")
    with pytest.raises(IncidentWriteError, match=r"bad\.yaml:3:1: invalid YAML"):
        add_walk_events(path, WALK, ENTRIES, None)
    assert path.read_text() == "id: x\ntimeline: [unclosed\n"


def test_a_failed_write_is_reported_and_leaves_the_file_alone(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "full.yaml"
    path.write_text("id: x\ntimeline: []\n")

    def disk_full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("opsbook.features.walk.incident_file.write_text", disk_full)
    with pytest.raises(IncidentWriteError, match=r"full\.yaml: cannot be written \(No space left on device\)"):
        add_walk_events(path, WALK, ENTRIES, None)
    assert path.read_text() == "id: x\ntimeline: []\n"


def test_a_write_that_would_change_existing_data_is_refused() -> None:
    before = "id: x\ncount: 010\ntimeline: []\n"
    after = "id: x\ncount: 10\ntimeline:\n- at: 2026-11-25T10:15:00Z\n"  # YAML 1.1 read 010 as 8
    with pytest.raises(IncidentWriteError, match="would change what the file already says"):
        _check_only_added(Path("x.yaml"), before, after, {"timeline": "- at: 2026-11-25T10:15:00Z\n"})


@bash
def test_a_command_past_its_timeout_is_stopped_with_what_it_started(tmp_path: Path) -> None:
    marker = tmp_path / "late"
    result = run_command(f"(sleep 1; touch {marker}) & echo started; sleep 30", 0.5)
    assert result.timed_out and result.exit_code < 0 and result.output == "started"
    time.sleep(1.5)
    assert not marker.exists(), "the background job went down with the command"


@bash
def test_long_output_is_cut_to_whole_lines_from_its_start_and_end() -> None:
    result = run_command("seq 1 300000; echo done >&2", 10)
    lines = result.output.splitlines()
    assert len(lines) == EXCERPT_LINES + 1 and lines[0] == "1" and lines[-1] == "done"
    assert re.fullmatch(r"… \(lines left out: the command printed \d+ bytes\) …", lines[EXCERPT_LINES // 2])
    assert result.output_bytes > 1_000_000 and result.exit_code == 0


def test_the_excerpt_masks_secrets_and_shows_control_characters() -> None:
    token = fake_token()
    raw = f"\x1b[31mred\x1b[0m\nprogress 10%\rprogress 100%\ntoken={token}\nbell\x07\n".encode()
    shown = excerpt(raw, b"", len(raw)).splitlines()
    assert shown == ["red", "progress 100%", f"token=sk_live_… ({len(token)} characters)", "bell\\x07"]


def test_a_secret_cut_at_the_edge_of_the_kept_output_is_never_shown() -> None:
    token = fake_token()
    head = b"first line\ntoken=" + token[:12].encode()  # the rest fell between head and tail
    tail = token[20:].encode() + b"\nlast line\n"
    shown = excerpt(head, tail, len(head) + len(tail) + 100_000)
    assert shown.splitlines()[0] == "first line" and shown.splitlines()[-1] == "last line"
    assert token[8:12] not in shown and token[20:] not in shown


def test_commands_with_placeholders_or_hidden_characters_are_not_run() -> None:
    assert "<deployment-url>" in (why_not_runnable("curl https://<deployment-url>/health") or "")
    assert "control or invisible" in (why_not_runnable("echo safe\u202e;rm -rf x") or "")
    assert visible("a\u202eb\x1b") == "a\\u202eb\\x1b"
    assert why_not_runnable("grep -c error app.log 2>/dev/null") is None


def runbook_commands() -> list[str]:
    commands = []
    for path in sorted((ROOT / "runbooks").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section in ("diagnosis", "mitigation", "verification"):
            commands += [step["command"] for step in data[section] if step.get("command")]
    # placeholders such as <PID> would parse as redirections; words keep the shell's view the same
    return [re.sub(r"<([A-Za-z][\w.:/-]*)>", r"PH_\1", command) for command in commands]


def parsed_by_bash(texts: list[str], folder: Path) -> list[str | None]:
    """How bash reads each text as a function body (`declare -f`), or None where it cannot. Nothing is run:
    defining a function does not run its body; and the shell is restricted, with no PATH, in case a text
    closes the function early."""
    script = (
        'while IFS= read -r -d "" text; do if eval "f() {\n$text\n}"; then declare -f f; '
        'else echo "(not shell)"; fi; printf "\\0"; unset -f f; done'
    )
    source = folder / "texts"
    source.write_bytes(b"".join(text.encode() + b"\0" for text in texts))
    with source.open("rb") as stdin:
        result = subprocess.run(
            [shutil.which("bash") or "bash", "--norc", "-r", "-c", script],
            stdin=stdin,
            capture_output=True,
            env={"PATH": str(folder)},
        )
    readings = result.stdout.decode().split("\0")[:-1]
    assert len(readings) == len(texts), result.stderr
    return [None if reading == "(not shell)\n" else reading for reading in readings]


@bash
@pytest.mark.parametrize("width", [80, 40])
def test_every_bundled_command_on_screen_is_the_same_command_to_bash(tmp_path: Path, width: int) -> None:
    commands = runbook_commands()
    shown = ["\n".join(command_lines(command, width)) for command in commands]
    expected, seen = parsed_by_bash(commands, tmp_path), parsed_by_bash(shown, tmp_path)
    shell = [index for index, reading in enumerate(expected) if reading is not None]
    assert len(shell) > 250  # the rest are browser-console snippets and chat commands
    assert [shown[i] for i in shell if seen[i] != expected[i]] == []
    assert sum(text.count("\\\n" + CONTINUATION_INDENT) for text in shown) > 100, "long lines were broken"


def test_commands_break_only_between_shell_words() -> None:
    assert command_lines("echo 'a b c d e f g h'", 12) == ["echo \\", "    'a b c d e f g h'"]
    assert break_points('x "$(echo "a b")" y # c d') == [2, 18, 20]  # nothing inside quotes or the comment
    assert command_lines("cat <<EOF\nlong long long long line\nEOF", 10)[1] == "long long long long line"
    assert command_lines("short", 80) == ["short"]
    assert command_lines("a \\\nb", 3) == ["a \\", "b"]  # no break before a line's own continuation


def test_a_torn_last_record_is_left_out_and_a_damaged_one_refused(tmp_path: Path) -> None:
    complete = b'{"seq":1,"event":"start"}\n{"seq":2,"event":"outcome"}\n'
    records, length = parse(tmp_path / "w.jsonl", complete + b'{"seq":3,"ev')
    assert [r["seq"] for r in records] == [1, 2] and length == len(complete)
    with pytest.raises(WalkLogError, match=r"w\.jsonl:2: damaged record"):
        parse(tmp_path / "w.jsonl", b'{"seq":1,"event":"start"}\n{"seq":3,"event":"x"}\n')


def test_a_walk_log_is_private_and_appended_to_durably(tmp_path: Path) -> None:
    log = WalkLog.create(tmp_path / "walks", WALK)
    log.append("start", actor="dana")
    log.append("outcome", step="before")
    log.close()
    assert (log.path.stat().st_mode & 0o777) == 0o600 and ((tmp_path / "walks").stat().st_mode & 0o777) == 0o700
    reopened, torn = WalkLog.open(log.path)
    assert torn == 0 and [r["event"] for r in reopened.records] == ["start", "outcome"]
    with pytest.raises(WalkLogError, match="running in another opsbook process"):
        WalkLog.open(log.path)
    reopened.close()
    with pytest.raises(FileExistsError):
        WalkLog.create(tmp_path / "walks", WALK)
