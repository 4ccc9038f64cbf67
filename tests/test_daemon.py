"""`opsbook daemon`: while it runs, the read commands are answered by it, with exactly the output, errors and exit
code the command gives in its own process; edits made just before a command are in its answer; a daemon that
is killed, idle or stopped leaves every command working."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.daemon.client import PACKAGE
from opsbook.daemon.server import HANGUP, Daemon, _Sink
from opsbook.daemon.wire import ANSWER, GO, OUTPUT, REFUSED, REQUEST, STARTED, receive, send, socket_path
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.index.live import LiveIndex
from tests.interrupts import as_a_shell_starts_it
from tests.kbfactory import incident, make_kb, runbook, write
from tests.test_index import EDITS, apply, cold, everything

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the daemon's folder watch is Linux's inotify")
OPSBOOK = str(Path(sys.executable).with_name("opsbook"))
FALLBACK = "runbooks/fallback/rb-fallback.yaml"


class Run(NamedTuple):
    code: int
    out: str
    err: str


def opsbook(*args: str, cwd: Path, stdin: str | None = None, daemon: bool = True, timeout: float = 120) -> Run:
    env = {**os.environ, "OPSBOOK_DAEMON": "on" if daemon else "off"}
    result = subprocess.run(
        [OPSBOOK, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def answered(kb: Path) -> int:
    status = opsbook("daemon", "status", cwd=kb)
    assert status.code == 0, status
    return int(status.out.split(": ")[1].split(" ")[0])


def daemon_pid(kb: Path) -> int:
    status = opsbook("daemon", "status", cwd=kb)
    return int(status.out.split("(pid ")[1].split(")")[0])


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[Path]:
    root = make_kb(tmp_path / "kb")
    yield root
    status = opsbook("daemon", "status", cwd=root)
    if status.code == 0:
        pid = daemon_pid(root)
        opsbook("daemon", "stop", cwd=root)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def started(kb: Path, *options: str) -> Path:
    result = opsbook("daemon", "start", *options, cwd=kb)
    assert result.code == 0, result
    assert "running (pid" in result.out
    return kb


READ_COMMANDS = [
    ("check",),
    ("check", "--format", "json"),
    ("check", "runbooks/fallback/rb-fallback.yaml", "--quiet"),
    ("check", "no-such-file.yaml"),
    ("check", "--select", "no-such-code"),
    ("triage", "openai.RateLimitError: Error code: 429, and the fallback model was never called"),
    ("triage", "--format", "json", "Webhook signature verification failed in production"),
    ("actions", "--overdue"),
    ("stats", "--format", "json"),
    ("review", "--week", "2026-W47", "--format", "json"),
    ("export",),
    ("check", "--help"),
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_command_answered_by_the_daemon_prints_and_exits_as_it_does_alone(kb: Path, command: tuple[str, ...]) -> None:
    write(kb / "incidents/2026/2026-11-20-broken.yaml", "id: 2026-11-20-broken\ntitle: [unclosed\n")
    alone = opsbook(*command, cwd=kb, daemon=False)
    started(kb)
    before = answered(kb)
    assert opsbook(*command, cwd=kb) == alone
    assert answered(kb) == before + 1


def test_a_command_run_from_a_subfolder_shows_the_same_paths(kb: Path) -> None:
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    started(kb)
    folder = kb / "incidents" / "2026"
    assert opsbook("check", cwd=folder) == opsbook("check", cwd=folder, daemon=False)
    assert "rb-nowhere" in opsbook("check", cwd=folder).out


def test_triage_reads_the_text_from_standard_input_through_the_daemon(kb: Path) -> None:
    text = "Error: STRIPE_WEBHOOK_SECRET is not set in production, it was only added for Preview\n"
    alone = opsbook("triage", "--format", "json", cwd=kb, stdin=text, daemon=False)
    started(kb)
    through = opsbook("triage", "--format", "json", cwd=kb, stdin=text)
    assert through == alone
    assert json.loads(through.out)["query"] == text


def test_an_edit_made_just_before_a_command_is_in_its_answer(kb: Path) -> None:
    started(kb)
    assert opsbook("check", cwd=kb).code == 0
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    broken = opsbook("check", cwd=kb)
    assert broken.code == 1 and "rb-nowhere" in broken.out
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-auth-drift"]))
    assert opsbook("check", cwd=kb).code == 0
    write(
        kb / "incidents/2026/2026-11-21-new.yaml",
        incident("2026-11-21-new", runbooks_used=[{"runbook": "rb-missing", "helped": "yes"}]),
    )
    added = opsbook("check", cwd=kb)
    assert added == opsbook("check", cwd=kb, daemon=False)
    assert "rb-missing" in added.out
    (kb / "incidents/2026/2026-11-21-new.yaml").unlink()
    assert opsbook("check", cwd=kb).code == 0


def test_a_file_of_another_knowledge_base_is_checked_there(kb: Path, tmp_path: Path) -> None:
    other = make_kb(tmp_path / "other")
    write(other / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-elsewhere"]))
    started(kb)
    command = ("check", str(other / FALLBACK))
    assert opsbook(*command, cwd=kb) == opsbook(*command, cwd=kb, daemon=False)
    assert "rb-elsewhere" in opsbook(*command, cwd=kb).out


def test_commands_still_work_after_the_daemon_is_killed_and_it_can_start_again(kb: Path) -> None:
    started(kb)
    os.kill(daemon_pid(kb), signal.SIGKILL)
    time.sleep(0.2)
    assert opsbook("check", cwd=kb) == opsbook("check", cwd=kb, daemon=False)
    assert opsbook("daemon", "status", cwd=kb).code == 1
    started(kb)
    assert answered(kb) == 0
    assert opsbook("check", cwd=kb).code == 0
    assert answered(kb) == 1


def test_daemon_stop_stops_it(kb: Path) -> None:
    started(kb)
    assert opsbook("daemon", "stop", cwd=kb).out.startswith("stopped the daemon of")
    assert opsbook("daemon", "status", cwd=kb).out.startswith("no daemon runs for")
    assert not socket_path(kb.resolve()).exists()


def test_starting_a_running_daemon_keeps_it(kb: Path) -> None:
    started(kb)
    pid = daemon_pid(kb)
    started(kb)
    assert daemon_pid(kb) == pid


def test_an_idle_daemon_stops_by_itself(kb: Path) -> None:
    started(kb, "--idle-minutes", "0.02")
    deadline = time.monotonic() + 30
    while opsbook("daemon", "status", cwd=kb).code == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert opsbook("daemon", "status", cwd=kb).code == 1
    assert opsbook("check", cwd=kb).code == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDITS, min_size=1, max_size=6))
def test_the_daemons_index_answers_every_command_as_a_cold_run_after_any_edits(
    tmp_path_factory: pytest.TempPathFactory, edits: list[str]
) -> None:
    kb = make_kb(tmp_path_factory.mktemp("kb"))
    live = LiveIndex.open(kb)
    live.index.kept_open = True
    KnowledgeIndex.resident = Daemon(live, idle_minutes=1).resident
    try:
        for step, edit in enumerate(edits, 1):
            apply(kb, edit, step)
            assert everything(kb, persistent=True) == cold(kb), edits[:step]
    finally:
        KnowledgeIndex.resident = None
        live.index.kept_open = False
        live.close()


def answer_to(kb: Path, request: object, *, fingerprint: str | None = None) -> tuple[bytes, bool]:
    """The first frame a daemon of `kb` sends for `request`, and whether it stops after it."""
    live = LiveIndex.open(kb)
    try:
        daemon = Daemon(live, idle_minutes=1)
        if fingerprint is not None:
            daemon.fingerprint = fingerprint
        ours, theirs = socket.socketpair()
        with ours, theirs:
            send(ours, REQUEST, json.dumps(request).encode())
            send(ours, GO, b"")  # as a caller does on STARTED
            stops = daemon._answer(theirs)
            return receive(ours)[0], stops
    finally:
        live.close()


RUN_REQUEST = {
    "op": "run",
    "argv": ["review", "--week", "2026-W47"],
    "prog": "opsbook",
    "umask": 0o022,
    "stdin_tty": False,
    "stdout_tty": False,
    "stderr_tty": False,
    "encoding": "utf-8",
    "package": PACKAGE,
}
"""A request as the client sends it, less the caller's folder and environment."""


def test_a_command_whose_caller_gave_up_waiting_is_not_run(kb: Path) -> None:
    """A caller that waited past BUSY_SECONDS runs the command itself and closes the connection: the daemon,
    reaching it later, must not run it a second time (a review or an export would be written twice)."""
    before = sorted(kb.rglob("*"))
    request = {**RUN_REQUEST, "cwd": str(kb), "env": dict(os.environ)}
    live = LiveIndex.open(kb)
    try:
        daemon = Daemon(live, idle_minutes=1)
        ours, theirs = socket.socketpair()
        send(ours, REQUEST, json.dumps(request).encode())
        ours.close()
        with theirs:
            assert daemon._answer(theirs) is False
        assert daemon.answered == 0
    finally:
        live.close()
    assert sorted(kb.rglob("*")) == before


@pytest.mark.parametrize("hang_up_after", [0.0, 0.3], ids=["before the command starts", "while it runs"])
def test_a_command_whose_caller_hangs_up_stops_where_it_is(
    kb: Path, monkeypatch: pytest.MonkeyPatch, hang_up_after: float
) -> None:
    """Ctrl-C on the caller closes its connection: the command stops in the daemon, as it would in the caller's
    own process, and the next update looks at every file (the command may have stopped inside one)."""
    steps: list[str] = []
    caller_errors: list[BaseException] = []

    def slow_command(args: list[str], prog_name: str) -> None:
        for _ in range(100):  # ten seconds at most; the caller hangs up well before
            steps.append("working")
            time.sleep(0.1)
        steps.append("finished")

    monkeypatch.setattr("opsbook.cli.main", slow_command)
    request = {**RUN_REQUEST, "cwd": str(kb), "env": dict(os.environ)}
    live = LiveIndex.open(kb)
    handler = signal.getsignal(HANGUP)
    try:
        daemon = Daemon(live, idle_minutes=1)
        daemon.catch_hangups()
        ours, theirs = socket.socketpair()

        def caller() -> None:
            try:
                send(ours, REQUEST, json.dumps(request).encode())
                assert receive(ours)[0] == STARTED
                send(ours, GO, b"")
                time.sleep(hang_up_after)
            except BaseException as error:
                caller_errors.append(error)
            finally:
                ours.close()

        thread = threading.Thread(target=caller)
        thread.start()
        with theirs:
            assert daemon._answer(theirs) is False
        thread.join()
        assert not caller_errors
        assert "finished" not in steps
        assert (daemon.answered, daemon.cancelled) == (0, 1)
        assert live.look_at_everything
    finally:
        signal.signal(HANGUP, handler)
        live.close()


def test_after_a_distrusted_update_every_file_is_looked_at(kb: Path) -> None:
    """Events the watch reported to an update that stopped part-way are not lost, and a write it left half made
    is undone: the next update scans every file."""
    live = LiveIndex.open(kb)
    live.index.kept_open = True
    KnowledgeIndex.resident = Daemon(live, idle_minutes=1).resident
    try:
        write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
        assert live.watch.changes()  # taken by an update that then stopped
        live.index.connection.execute("BEGIN")
        live.index.connection.execute("DELETE FROM records")  # a write it stopped in
        live.distrust()
        assert everything(kb, persistent=True) == cold(kb)
    finally:
        KnowledgeIndex.resident = None
        live.index.kept_open = False
        live.close()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the files are checked by a process pool from two cores on")
def test_ctrl_c_on_a_command_the_daemon_runs_stops_it_before_it_writes(kb: Path) -> None:
    for number in range(3000):
        write(kb / f"incidents/2025/2025-01-01-load-{number}.yaml", incident(f"2025-01-01-load-{number}"))
    started(kb)
    pid = daemon_pid(kb)
    for number in range(3000):  # every file changed: the next command waits for seconds while they are checked
        path = kb / f"incidents/2025/2025-01-01-load-{number}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    review = subprocess.Popen(
        [OPSBOOK, "review", "--week", "2026-W47"],
        cwd=kb,
        env={**os.environ, "OPSBOOK_DAEMON": "on"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=as_a_shell_starts_it,
    )
    deadline = time.monotonic() + 60
    while not children(pid):  # the daemon's process pool: it is checking the files for the review
        assert review.poll() is None and time.monotonic() < deadline, "the daemon never took the review"
        time.sleep(0.02)
    review.send_signal(signal.SIGINT)
    review.communicate(timeout=60)
    assert review.returncode == 130
    status = opsbook("daemon", "status", cwd=kb).out  # the daemon answers it once it is done with the review
    assert not list(kb.rglob("2026-W47.md"))
    assert "1 cancelled" in status
    assert opsbook("check", "--format", "json", cwd=kb) == opsbook("check", "--format", "json", cwd=kb, daemon=False)


def test_a_daemon_whose_code_changed_refuses_and_stops(kb: Path) -> None:
    request = {"op": "run", "argv": ["check"], "package": PACKAGE}
    assert answer_to(kb, request, fingerprint="opsbook as it was when the daemon started") == (REFUSED, True)


def test_a_command_of_another_opsbook_installation_is_refused_and_the_daemon_goes_on(kb: Path) -> None:
    request = {"op": "run", "argv": ["check"], "package": "/elsewhere/site-packages/opsbook"}
    assert answer_to(kb, request) == (REFUSED, False)


@pytest.mark.parametrize("request_", [[1, 2], "check", {"op": "run", "package": PACKAGE}], ids=repr)
def test_a_request_no_opsbook_sends_does_not_stop_the_daemon(kb: Path, request_: object) -> None:
    kind, stops = answer_to(kb, request_)
    assert not stops
    assert kind in (REFUSED, b"S")
    assert answer_to(kb, {"op": "status", "package": PACKAGE})[0] == ANSWER


def test_a_busy_daemon_does_not_hold_a_command_up(kb: Path) -> None:
    """A daemon that does not take the command (busy with a command that waits for its input) leaves it to run
    itself after a short wait."""
    path = socket_path(kb.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as busy:
        busy.bind(str(path))
        busy.listen(4)
        assert opsbook("check", cwd=kb, timeout=30) == opsbook("check", cwd=kb, daemon=False)
    path.unlink()


def test_output_and_errors_keep_the_order_they_were_written_in(kb: Path) -> None:
    write(kb / "incidents/2026/2026-11-20-broken.yaml", "id: 2026-11-20-broken\ntitle: [unclosed\n")
    command = [OPSBOOK, "stats"]

    def merged(daemon: bool) -> bytes:
        env = {**os.environ, "OPSBOOK_DAEMON": "on" if daemon else "off"}
        result = subprocess.run(
            command, cwd=kb, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        return result.stdout

    alone = merged(daemon=False)
    started(kb)
    assert merged(daemon=True) == alone
    assert alone.index(b"opsbook: left out 1 record") < alone.index(b"incidents: 1 counted")


def test_a_renamed_id_is_reported_for_the_file_once_as_in_its_own_process(kb: Path, tmp_path: Path) -> None:
    """`check FILE` reports the references a renamed id leaves dangling on the run that sees the rename; the
    daemon remembers renames per command, not since it started."""

    def dangling(root: Path, *, daemon: bool) -> list[bool]:
        """Whether each of two `check FILE` runs after the rename reports the incident's dangling reference."""
        uses = incident("2026-11-21-uses", runbooks_used=[{"runbook": "rb-fallback", "helped": "yes"}])
        write(root / "incidents/2026/2026-11-21-uses.yaml", uses)
        if daemon:
            started(root)
        opsbook("check", cwd=root, daemon=daemon)
        write(root / FALLBACK, runbook("rb-fallback-renamed", "fallback", related=["rb-auth-drift"]))
        runs = [opsbook("check", FALLBACK, cwd=root, daemon=daemon).out for _ in range(2)]
        return ["2026-11-21-uses.yaml" in out and "dangling-ref" in out for out in runs]

    alone = dangling(make_kb(tmp_path / "alone"), daemon=False)
    assert alone == [True, False]
    assert dangling(kb, daemon=True) == alone


def test_a_socket_path_too_long_for_the_system_is_a_clear_error(kb: Path, tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    result = subprocess.run(
        [OPSBOOK, "daemon", "start"],
        cwd=kb,
        env={**os.environ, "OPSBOOK_INDEX_DIR": str(deep)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "too long" in result.stderr and "OPSBOOK_INDEX_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_daemon_is_asked_outside_a_knowledge_base(tmp_path: Path) -> None:
    result = opsbook("check", cwd=tmp_path)
    assert result.code == 2
    assert "no knowledge base" in result.err


def test_the_progress_line_is_drawn_on_the_callers_terminal_while_the_daemon_checks(kb: Path, tmp_path: Path) -> None:
    for number in range(3000):
        write(kb / f"incidents/2025/2025-01-01-load-{number}.yaml", incident(f"2025-01-01-load-{number}"))
    started(kb)
    for number in range(3000):  # every file changed: checking them in one process takes seconds
        path = kb / f"incidents/2025/2025-01-01-load-{number}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    terminal, its_side = pty.openpty()
    with open(tmp_path / "out", "wb") as out:
        check = subprocess.Popen(
            [OPSBOOK, "check", "--jobs", "1"],
            cwd=kb,
            env={**os.environ, "OPSBOOK_DAEMON": "on"},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=its_side,
        )
        os.close(its_side)
        drawn = b""
        drawn_before_the_end = False
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not select.select([terminal], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the terminal closes with the command
                break
            if not chunk:
                break
            drawn += chunk
            drawn_before_the_end = drawn_before_the_end or (b"checking: " in drawn and check.poll() is None)
        os.close(terminal)
        check.wait(timeout=120)
    assert b"checking: " in drawn and b"/3" in drawn, drawn[-300:]
    assert drawn_before_the_end, "the progress line came only with the answer"
    assert (tmp_path / "out").read_text() == opsbook("check", cwd=kb, daemon=False).out
    assert answered(kb) == 1


def test_a_reader_that_goes_away_leaves_the_daemons_command_to_finish(kb: Path) -> None:
    """`opsbook export | head` through the daemon: the command exits 1 as it does alone when its reader is gone,
    and the daemon's command is not cancelled (its index stays trusted)."""
    started(kb)
    read_end, write_end = os.pipe()
    os.close(read_end)
    export = subprocess.run(
        [OPSBOOK, "export"],
        cwd=kb,
        env={**os.environ, "OPSBOOK_DAEMON": "on"},
        stdin=subprocess.DEVNULL,
        stdout=write_end,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    os.close(write_end)
    assert export.returncode == 1
    assert answered(kb) == 1
    assert "cancelled" not in opsbook("daemon", "status", cwd=kb).out


def test_a_daemon_that_stops_while_answering_is_not_run_again_here(kb: Path) -> None:
    """Once part of the answer is printed, running the command again here would print it twice: the command says
    what happened and exits 3."""
    path = socket_path(kb.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(1)

        def answer_then_die() -> None:
            connection, _ = listener.accept()
            with connection:
                receive(connection)
                send(connection, STARTED, b"")
                receive(connection)
                send(connection, OUTPUT, b"\x01first line of the answer\n")

        thread = threading.Thread(target=answer_then_die)
        thread.start()
        result = opsbook("check", cwd=kb, timeout=30)
        thread.join()
    path.unlink()
    assert result.code == 3
    assert result.out == "first line of the answer\n"
    assert "the daemon stopped while answering" in result.err


def test_a_command_whose_reader_went_away_still_takes_the_whole_answer(kb: Path) -> None:
    """The daemon's side of `opsbook export | head`: once the reader is gone, the command still reads every piece
    of the answer (dropping it), so the daemon's command finishes rather than being cancelled."""
    path = socket_path(kb.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    sent: list[str] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(1)

        def answer_at_length() -> None:
            connection, _ = listener.accept()
            with connection:
                receive(connection)
                send(connection, STARTED, b"")
                receive(connection)
                try:
                    for _ in range(200):  # 13 MB: far more than the socket holds
                        send(connection, OUTPUT, b"\x01" + b"x" * 65536)
                    send(connection, ANSWER, json.dumps({"code": 0}).encode())
                    sent.append("everything")
                except OSError as error:
                    sent.append(repr(error))

        thread = threading.Thread(target=answer_at_length)
        thread.start()
        read_end, write_end = os.pipe()
        os.close(read_end)
        command = subprocess.run(
            [OPSBOOK, "export"],
            cwd=kb,
            env={**os.environ, "OPSBOOK_DAEMON": "on"},
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        os.close(write_end)
        thread.join()
    path.unlink()
    assert command.returncode == 1
    assert sent == ["everything"]


def test_a_failed_update_makes_the_daemon_look_at_every_file_next_time(
    kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watch's events are spent when an update fails (a pool worker killed, say): the next command must not
    answer from an index that never took them in."""
    live = LiveIndex.open(kb)
    try:
        daemon = Daemon(live, idle_minutes=1)

        def fails(**_: object) -> set[str]:
            raise RuntimeError("a pool worker was killed")

        monkeypatch.setattr(live, "update", fails)
        with pytest.raises(RuntimeError):
            daemon.resident(kb.resolve(), None, None)
        assert live.look_at_everything
    finally:
        live.close()


def test_output_of_a_process_the_command_forked_does_not_reach_the_caller() -> None:
    ours, theirs = socket.socketpair()
    sink = _Sink(theirs, 1)
    child = os.fork()
    if child == 0:
        try:
            sink.write(b"from a pool worker\n")
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    sink.write(b"from the command\n")
    theirs.close()
    with ours:
        assert receive(ours) == (OUTPUT, b"\x01from the command\n")
        with pytest.raises(ConnectionError):
            receive(ours)
