"""The daemon: one knowledge base's index kept open (`opsbook.index.live`), and a Unix socket on which it runs
the commands `opsbook.daemon.client` hands it, one at a time, with the Click commands of `opsbook.cli`.

Each command runs as it would in its own process: in the caller's working folder, with the caller's
environment, reading the caller's standard input if it reads any, and its output goes back whole with its exit
code. `KnowledgeIndex.open` gives it the resident index of this knowledge base, brought up to date from the
folder watch; any other knowledge base is opened as usual. The index is saved after the answer is sent, so the
next process that runs without the daemon starts warm too.

The daemon stops after `--idle-minutes` without a command, on `opsbook daemon stop`, and when opsbook's own
code changed (it answers "run it yourself", and the caller does).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from opsbook.daemon.wire import ANSWER, REFUSED, REQUEST, STDIN, WANT_STDIN, receive, send, socket_path
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.index.live import LiveIndex
from opsbook.index.store import code_fingerprint
from opsbook.support.progress import Progress


class Daemon:
    def __init__(self, live: LiveIndex, idle_minutes: float) -> None:
        self.live = live
        self.idle_minutes = idle_minutes
        self.fingerprint = code_fingerprint()
        self.answered = 0
        self.since = time.time()
        self.last_command = time.monotonic()

    def resident(self, root: Path, jobs: int | None, progress: Progress | None) -> KnowledgeIndex | None:
        """This knowledge base's index, up to date (see `KnowledgeIndex.resident`)."""
        if root != self.live.index.root:
            return None
        self.live.update(jobs=jobs, progress=progress)
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
            request: dict[str, Any] = json.loads(payload) if kind == REQUEST else {}
            op = str(request.get("op"))
            if op in ("status", "stop"):
                send(connection, ANSWER, json.dumps(self.status()).encode())
                return op == "stop"
            if op != "run" or code_fingerprint() != self.fingerprint:
                send(connection, REFUSED, b"")
                return op == "run"  # old code: stop, and let the next `daemon start` run the new one
            self.last_command = time.monotonic()
            code, out, err = self._run(request, connection)
            self.answered += 1
            head = json.dumps({"code": code, "out": len(out)}).encode()
            send(connection, ANSWER, head + b"\n" + out + err)
        except (OSError, ValueError):
            pass  # the caller went away (Ctrl-C) or sent nonsense: nothing to answer
        return False

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "root": str(self.live.index.root),
            "answered": self.answered,
            "since": self.since,
            "idle_minutes": self.idle_minutes,
        }

    def _run(self, request: dict[str, Any], connection: socket.socket) -> tuple[int, bytes, bytes]:
        from opsbook.cli import main

        out, err = io.BytesIO(), io.BytesIO()
        encoding = str(request.get("encoding") or "utf-8")
        streams = sys.stdin, sys.stdout, sys.stderr
        environment = dict(os.environ)
        stdout = _Text(out, encoding, "strict", tty=bool(request["stdout_tty"]))
        stderr = _Text(err, encoding, "backslashreplace", tty=False)
        try:
            os.environ.clear()
            os.environ.update(request["env"])
            time.tzset()
            os.chdir(request["cwd"])
            sys.stdin = _Text(io.BufferedReader(_Stdin(connection)), encoding, "strict", tty=bool(request["stdin_tty"]))
            sys.stdout, sys.stderr = stdout, stderr
            try:
                main(args=list(request["argv"]), prog_name=str(request["prog"]))
                code = 0
            except SystemExit as exit_:
                code = _exit_code(exit_.code, stderr)
            except Exception as error:
                print(f"opsbook: internal error in the daemon: {type(error).__name__}: {error}", file=stderr)
                code = 3
        finally:
            with contextlib.suppress(ValueError):
                stdout.flush()
                stderr.flush()
            sys.stdin, sys.stdout, sys.stderr = streams
            os.environ.clear()
            os.environ.update(environment)
            time.tzset()
            os.chdir("/")
        return code, out.getvalue(), err.getvalue()


def _exit_code(code: object, stderr: io.TextIOBase) -> int:
    """What the process would exit with, as `sys.exit` does it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=stderr)
    return 1


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


def _listen(path: Path) -> socket.socket | None:
    """The daemon's socket, or None when another daemon already answers on it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with probe:
        try:
            probe.connect(str(path))
        except OSError:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # left by a daemon that was killed
        else:
            listener.close()
            return None
    listener.bind(str(path))
    listener.listen(16)
    return listener


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opsbook.daemon.server")
    parser.add_argument("root", type=Path)
    parser.add_argument("--idle-minutes", type=float, default=60.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.chdir("/")
    root = args.root.resolve()
    live = LiveIndex.open(root)
    live.index.kept_open = True
    live.index.store.save()
    daemon = Daemon(live, args.idle_minutes)
    path = socket_path(root)
    listener = _listen(path)
    if listener is None:
        return 0
    KnowledgeIndex.resident = daemon.resident
    try:
        with listener:
            daemon.serve(listener)
    finally:
        KnowledgeIndex.resident = None
        with contextlib.suppress(OSError):
            path.unlink()
        live.index.kept_open = False
        live.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
