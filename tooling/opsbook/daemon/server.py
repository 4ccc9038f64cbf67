"""The daemon: one knowledge base's index kept open (`opsbook.index.live`), and a Unix socket on which it runs
the commands `opsbook.daemon.client` hands it, one at a time, with the Click commands of `opsbook.cli`.

Each command runs as it would in its own process: in the caller's working folder, with the caller's
environment and umask, reading the caller's standard input if it reads any; its output goes back as it is
written (a progress line is drawn on the caller's terminal), then its exit code. `KnowledgeIndex.open` gives
it the resident index of this knowledge base, brought up to date from the folder watch; any other knowledge
base is opened as usual. The index is saved after the answer is sent, so the next process that runs without
the daemon starts warm too. A caller that goes away (Ctrl-C) stops its command where it is, as Ctrl-C stops a
command in its own process.

One daemon per knowledge base (a lock in its cache folder). It stops after `--idle-minutes` without a command,
on `opsbook daemon stop`, and when opsbook's own code changed (it answers "run it yourself", and the caller
does). A caller of another opsbook installation is told to run the command itself.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from opsbook.daemon.client import PACKAGE
from opsbook.daemon.wire import (
    ANSWER,
    GO,
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
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.index.live import LiveIndex
from opsbook.index.store import code_fingerprint
from opsbook.launch import exit_status
from opsbook.support.progress import Progress

RUNNING_CODE = code_fingerprint()
"""opsbook's code as this process imported it (a daemon that waited for the lock may start after an upgrade)."""
GO_SECONDS = 10.0
LOCK_WAIT_SECONDS = 30.0
"""How long a new daemon waits for the one before it to finish stopping."""
HANGUP = signal.SIGUSR1
"""Sent to the daemon's main thread, which runs the commands, when the running command's caller went away."""
HANGUP_EVENTS = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)


class CallerGone(BaseException):
    """Raised in the running command when its caller went away. A BaseException, so that no `except Exception`
    of the command catches it."""


class Daemon:
    def __init__(self, live: LiveIndex, idle_minutes: float) -> None:
        self.live = live
        self.idle_minutes = idle_minutes
        self.fingerprint = RUNNING_CODE
        self.answered = 0
        self.cancelled = 0
        self.last_command = time.monotonic()
        self.catching = False
        self.command = 0
        """The number of the command running, or of the last one."""
        self.running = False
        self.hung_up = 0
        """The number of the last command whose caller went away."""

    def catch_hangups(self) -> None:
        """Let a command stop when its caller goes away (see `_watch`). Only in the main thread."""
        signal.signal(HANGUP, self._caller_gone)
        self.catching = True

    def _caller_gone(self, *_: object) -> None:
        # Runs in the main thread, which alone changes `running` and `command`: a signal that comes late, or
        # from the watcher of a command that already ended, finds one of them changed and does nothing.
        if self.running and self.hung_up == self.command:
            raise CallerGone

    def _watch(self, connection: socket.socket, finished: threading.Event, command: int) -> None:
        """In a thread: tell the main thread if the caller hangs up before `command` finished."""
        poller = select.poll()
        poller.register(connection, HANGUP_EVENTS)
        while not finished.is_set():
            if poller.poll(100):
                self.hung_up = command
                signal.pthread_kill(threading.main_thread().ident or 0, HANGUP)
                return

    def resident(self, root: Path, jobs: int | None, progress: Progress | None) -> KnowledgeIndex | None:
        """This knowledge base's index, up to date (see `KnowledgeIndex.resident`), as a fresh opening has it."""
        if root != self.live.index.root:
            return None
        self.live.index.previous_ids.clear()  # what changed since the last command, not since the daemon started
        try:
            self.live.update(jobs=jobs, progress=progress)
        except BaseException:  # the watch's events are spent: look at every file next time
            self.live.distrust()
            raise
        return self.live.index

    def serve(self, listener: socket.socket) -> None:
        while True:
            idle = time.monotonic() - self.last_command
            if idle >= self.idle_minutes * 60:
                return
            listener.settimeout(self.idle_minutes * 60 - idle)  # `status` and `stop` are no commands
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                return
            with connection:
                stop = self._answer(connection)
            self.live.index.store.save()  # after the answer: the caller does not wait for the write
            if stop:
                return

    def _answer(self, connection: socket.socket) -> bool:
        """Answer one request; whether the daemon stops."""
        connection.settimeout(None)
        try:
            kind, payload = receive(connection)
            request = json.loads(payload) if kind == REQUEST else None
            if not isinstance(request, dict) or request.get("op") not in ("run", "status", "stop"):
                send(connection, REFUSED, json.dumps({"reason": "request"}).encode())
                return False
            if request.get("package") != PACKAGE:
                refusal = {"reason": "installation", "package": PACKAGE, "pid": os.getpid()}
                send(connection, REFUSED, json.dumps(refusal).encode())
                return False
            if code_fingerprint() != self.fingerprint:  # opsbook changed: stop, for a new daemon to run the new code
                send(connection, REFUSED, json.dumps({"reason": "code"}).encode())
                return True
            op = request["op"]
            if op in ("status", "stop"):
                send(connection, ANSWER, json.dumps(self.status()).encode())
                return bool(op == "stop")
            send(connection, STARTED, b"")
            connection.settimeout(GO_SECONDS)  # a caller sends GO at once; one that does not must not hold the daemon
            if receive(connection)[0] != GO:
                return False
            connection.settimeout(None)
            self.last_command = time.monotonic()
            try:
                code = self._run(request, connection)
            except CallerGone:
                # It may have stopped inside an update: look at every file next time and derive everything again.
                self.cancelled += 1
                self.live.distrust()
                return False
            self.answered += 1
            send(connection, ANSWER, json.dumps({"code": code}).encode())
        except Exception:  # the caller went away (Ctrl-C) or sent what no opsbook sends: the daemon goes on
            pass
        return False

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "root": str(self.live.index.root),
            "answered": self.answered,
            "cancelled": self.cancelled,
            "idle_minutes": self.idle_minutes,
        }

    def _run(self, request: dict[str, Any], connection: socket.socket) -> int:
        """Run the requested command, sending its output as it is written; its exit code."""
        from opsbook.cli import main

        encoding = str(request["encoding"])
        stdout = _Text(_Sink(connection, 1), encoding, "strict", tty=bool(request["stdout_tty"]))
        stderr = _Text(_Sink(connection, 2), encoding, "backslashreplace", tty=bool(request["stderr_tty"]))
        stdin = _Text(io.BufferedReader(_Stdin(connection)), encoding, "strict", tty=bool(request["stdin_tty"]))
        streams = sys.stdin, sys.stdout, sys.stderr
        environment = dict(os.environ)
        umask = os.umask(int(request["umask"]))
        self.command += 1
        finished = threading.Event()
        if self.catching:  # without the handler, the signal would end the daemon
            threading.Thread(target=self._watch, args=(connection, finished, self.command), daemon=True).start()
        try:
            os.environ.clear()
            os.environ.update(request["env"])
            time.tzset()
            os.chdir(request["cwd"])
            sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
            try:
                self.running = True
                if self.hung_up == self.command:  # before the command started: its signal found nothing to stop
                    raise CallerGone
                main(args=list(request["argv"]), prog_name=str(request["prog"]))
                code = 0
            except SystemExit as exit_:
                code = exit_status(exit_.code, stderr)
            except Exception as error:  # the CLI turns errors into exit 3; this is a last resort
                print(f"opsbook: internal error in the daemon: {type(error).__name__}: {error}", file=stderr)
                code = 3
            finally:
                self.running = False
        finally:
            finished.set()
            sys.stdin, sys.stdout, sys.stderr = streams
            os.umask(umask)
            os.environ.clear()
            os.environ.update(environment)
            time.tzset()
            os.chdir("/")
        return code


class _Sink(io.RawIOBase):
    """Standard output (1) or standard error (2) of the running command, sent to its caller as it is written. A
    caller that can no longer be written to went away: the command stops as it would on Ctrl-C."""

    def __init__(self, connection: socket.socket, number: int) -> None:
        self.connection = connection
        self.prefix = bytes([number])
        self.daemon = os.getpid()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if os.getpid() != self.daemon:  # a pool worker forked by the command: its output goes to the daemon's log
            if sys.__stderr__ is not None:
                sys.__stderr__.buffer.write(bytes(data))
            return len(data)
        try:
            send(self.connection, OUTPUT, self.prefix + bytes(data))
        except OSError:
            raise CallerGone from None
        return len(data)


class _Text(io.TextIOWrapper):
    """A text stream that says whether the caller's stream is a terminal (colour, prompts)."""

    def __init__(self, buffer: Any, encoding: str, errors: str, *, tty: bool) -> None:
        super().__init__(buffer, encoding=encoding, errors=errors, write_through=True)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


class _Stdin(io.RawIOBase):
    """The caller's standard input, asked for the first time a command reads it."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.data: memoryview | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.data is None:
            send(self.connection, WANT_STDIN, b"")
            kind, payload = receive(self.connection)
            if kind != STDIN:
                raise ConnectionError("the caller did not send its input")
            self.data = memoryview(payload)
        count = min(len(buffer), len(self.data))
        buffer[:count] = self.data[:count]
        self.data = self.data[count:]
        return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opsbook.daemon.server")
    parser.add_argument("root", type=Path)
    parser.add_argument("--idle-minutes", type=float, default=60.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.chdir("/")
    root = args.root.resolve()
    path = socket_path(root)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.parent / "daemon.lock", "a") as lock:
        # One daemon per knowledge base: a second one waits here while the first finishes stopping (a start right
        # after opsbook was upgraded), and gives up if the first goes on running.
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    print(f"opsbook daemon: another daemon runs for {root}", file=sys.stderr)
                    return 1
                time.sleep(0.1)
        live = LiveIndex.open(root)
        try:
            live.index.kept_open = True
            live.index.store.save()
            path.unlink(missing_ok=True)  # left by a daemon that was killed
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(str(path))
                listener.listen(16)
                daemon = Daemon(live, args.idle_minutes)
                daemon.catch_hangups()
                KnowledgeIndex.resident = daemon.resident
                try:
                    daemon.serve(listener)
                finally:
                    KnowledgeIndex.resident = None
                    with contextlib.suppress(OSError):
                        path.unlink()
        finally:
            live.index.kept_open = False
            live.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
