"""The `opsbook` command's side of the daemon: hand a command to the daemon of its knowledge base, and start,
stop or ask about that daemon. Imported before Click: standard library and `opsbook.index.root` only, until a
daemon has to be started."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import opsbook
from opsbook.daemon.wire import (
    ANSWER,
    GO,
    MAX_SOCKET_PATH,
    OUTPUT,
    REFUSED,
    REQUEST,
    STARTED,
    STDIN,
    WANT_STDIN,
    receive,
    send,
    socket_path,
)
from opsbook.index.root import NoKnowledgeBase, find_root

SWITCH = "OPSBOOK_DAEMON"
"""`OPSBOOK_DAEMON=off` runs every command in its own process even when a daemon is running."""
BUSY_SECONDS = 2.0
"""How long a command waits for a daemon that is busy with another one before it runs itself."""
START_TIMEOUT = 900.0
"""Seconds `start` waits for a new daemon's first index (a cold check of a large knowledge base)."""
PACKAGE = str(Path(opsbook.__file__).resolve().parent)
"""Which opsbook this is: a daemon of another installation (another version, pre-commit's copy) refuses."""


class DaemonError(Exception):
    """The daemon cannot be started here; the message says why and what to do."""


def forward(arguments: list[str], root_option: str | None, prog: str) -> int | None:
    """Run the command line `arguments` in the daemon of its knowledge base, writing its output here as it
    comes, and return its exit code; None when no daemon took it (the caller runs the command itself)."""
    if os.environ.get(SWITCH) == "off" or not hasattr(socket, "AF_UNIX"):
        return None
    try:
        root = find_root(Path(root_option) if root_option else None)
        request = _request(arguments, prog)
        connection = _connect(root)
    except (NoKnowledgeBase, OSError, ValueError):
        return None
    consumed: bytes | None = None
    answer: bytes | None = None
    output = _Output()
    with connection:
        try:
            send(connection, REQUEST, json.dumps(request).encode())
            connection.settimeout(BUSY_SECONDS)
            kind, payload = receive(connection)
            connection.settimeout(None)
            if kind == STARTED:
                send(connection, GO, b"")
            while kind in (STARTED, WANT_STDIN, OUTPUT):
                if kind == WANT_STDIN and consumed is None:
                    consumed = sys.stdin.buffer.read() if sys.stdin is not None else b""
                    send(connection, STDIN, consumed)
                elif kind == OUTPUT:
                    output.write(payload)
                kind, payload = receive(connection)
                if kind == ANSWER:
                    answer = payload
        except (OSError, ValueError):
            pass
    if answer is not None:
        return 1 if output.failed else int(json.loads(answer)["code"])
    if output.started:  # part of the answer is out: running the command again here would repeat it
        print(
            "opsbook: the daemon stopped while answering; run the command again "
            f"({SWITCH}=off runs it without the daemon)",
            file=sys.stderr,
        )
        return 3
    if consumed is not None:  # the command runs here after all, on the input already read
        encoding = getattr(sys.stdin, "encoding", None) or "utf-8"
        sys.stdin = io.TextIOWrapper(io.BytesIO(consumed), encoding=encoding)
    return None


def _request(arguments: list[str], prog: str) -> dict[str, Any]:
    environment = dict(os.environ)
    if _isatty(sys.stdout) and "COLUMNS" not in environment:  # help text wraps to the caller's terminal
        columns, lines = os.get_terminal_size(sys.stdout.fileno())
        environment.update(COLUMNS=str(columns), LINES=str(lines))
    umask = os.umask(0o022)
    os.umask(umask)
    return {
        "op": "run",
        "argv": arguments,
        "prog": prog,
        "cwd": os.getcwd(),
        "env": environment,
        "umask": umask,
        "stdin_tty": _isatty(sys.stdin),
        "stdout_tty": _isatty(sys.stdout),
        "stderr_tty": _isatty(sys.stderr),
        "encoding": getattr(sys.stdout, "encoding", None) or "utf-8",
        "package": PACKAGE,
    }


class _Output:
    """The command's output written here, piece by piece as the daemon sends it. When it cannot be written (the
    reader went away: `opsbook export | head`), the rest is read and dropped, and the command ends with 1, as a
    command whose reader went away does; the daemon's command itself finishes as usual."""

    def __init__(self) -> None:
        self.started = False
        self.failed = False

    def write(self, piece: bytes) -> None:
        self.started = True
        if self.failed:
            return
        stream = sys.stdout.buffer if piece[:1] == b"\x01" else sys.stderr.buffer
        try:
            stream.write(piece[1:])
            stream.flush()
        except OSError:
            self.failed = True


def ask(root: Path, op: str) -> dict[str, Any] | None:
    """The daemon's answer to `status` or `stop`, or None when no daemon answers for `root` (or one whose code
    changed, which stops on being asked). Raises DaemonError when the daemon is another installation's."""
    try:
        with _connect(root) as connection:
            send(connection, REQUEST, json.dumps({"op": op, "package": PACKAGE}).encode())
            kind, payload = receive(connection)
        answer: dict[str, Any] = json.loads(payload) if payload else {}
    except (OSError, ValueError):
        return None
    if kind == REFUSED and answer.get("reason") == "installation":
        raise DaemonError(
            f"the daemon of {root} (pid {answer.get('pid')}) is another opsbook installation's "
            f"({answer.get('package')}); stop it with that installation's `opsbook daemon stop`"
        )
    return answer if kind == ANSWER and answer else None


def start(root: Path, idle_minutes: float) -> dict[str, Any]:
    """Start the daemon of `root` in the background (or find it running) and wait until it answers; its
    status. Raises DaemonError."""
    import subprocess

    path = socket_path(root)
    if not hasattr(socket, "AF_UNIX"):
        raise DaemonError("this system has no Unix sockets; commands run in their own process")
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise DaemonError(
            f"the daemon's socket path would be too long ({path}); set OPSBOOK_INDEX_DIR to a shorter folder"
        )
    running = ask(root, "status")
    if running is not None:
        return running
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        log = open(path.parent / "daemon.log", "ab")  # noqa: SIM115 (the daemon writes to it)
    except OSError as error:
        raise DaemonError(f"cannot use the cache folder {path.parent}: {error.strerror}") from None
    with log:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsbook.daemon.server", str(root), "--idle-minutes", str(idle_minutes)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd="/",
            start_new_session=True,  # not stopped by the terminal's Ctrl-C or hang-up
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        status = ask(root, "status")
        if status is not None:
            return status
        if process.poll() is not None:
            raise DaemonError(f"the daemon stopped while starting; see {path.parent / 'daemon.log'}")
        time.sleep(0.05)
    process.kill()
    raise DaemonError(f"the daemon did not answer within {START_TIMEOUT:.0f} s; see {path.parent / 'daemon.log'}")


def _connect(root: Path) -> socket.socket:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(socket_path(root)))
    except BaseException:
        connection.close()
        raise
    return connection


def _isatty(stream: Any) -> bool:
    try:
        return stream is not None and bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
