"""Running a step's command: in a shell, with a timeout, its output masked and cut to an excerpt.

The command runs in its own session (so a timeout or Ctrl-C stops it and everything it started), with
an empty standard input (it cannot read the operator's answers) and its output and errors merged. Only
the first and last 16 KiB of output are kept in memory; the excerpt is made of whole lines (a secret cut
in half at a buffer's edge is never shown), control characters are made visible, and secrets are masked
before anything is cut to its final size.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

from opsbook.records.secret_patterns import mask_secrets

HEAD_BYTES = TAIL_BYTES = 16 * 1024
EXCERPT_LINES = 40
LINE_CHARS = 240
GRACE_SECONDS = 2.0
PLACEHOLDER = re.compile(r"<[A-Za-z][\w.:/-]*(?: [\w.:/-]+)*>")
"""A runbook placeholder such as `<deployment-url>` or `<PID>` (see the record format)."""
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class CommandResult:
    exit_code: int
    """The shell's exit status; negative: killed by that signal."""
    timed_out: bool
    interrupted: bool
    seconds: float
    output: str
    """Masked excerpt of standard output and error, whole lines only."""
    output_bytes: int


def shell() -> str:
    return shutil.which("bash") or "/bin/sh"


def visible(text: str) -> str:
    """`text` with control and direction-changing characters shown as escapes, so what the terminal shows
    is what the text holds."""
    return _CONTROL.sub(lambda match: match.group(0).encode("unicode_escape").decode("ascii"), text)


def why_not_runnable(command: str) -> str | None:
    """Why a command must not be run as written, or None."""
    placeholder = PLACEHOLDER.search(command)
    if placeholder:
        return f"it holds the placeholder {placeholder.group(0)}; run it yourself with the real value"
    if visible(command) != command:
        return "it holds control or invisible characters (shown escaped above); check it and run it yourself"
    return None


def run_command(command: str, timeout: float) -> CommandResult:
    started = time.monotonic()
    process = subprocess.Popen(
        [shell(), "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    head, tail = bytearray(), bytearray()
    total = 0
    timed_out = interrupted = False
    deadline = started + timeout
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if not selector.select(remaining):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                total += len(chunk)
                room = HEAD_BYTES - len(head)
                head += chunk[:room]
                tail = (tail + chunk[room:])[-TAIL_BYTES:] if len(chunk) > room else tail
        if not timed_out:
            process.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        timed_out = True
    except KeyboardInterrupt:
        interrupted = True
    finally:
        process.stdout.close()
        if timed_out or interrupted or process.poll() is None:
            _stop(process)  # also whatever it left running in the background
    return CommandResult(
        process.returncode,
        timed_out,
        interrupted,
        round(time.monotonic() - started, 3),
        excerpt(bytes(head), bytes(tail), total),
        total,
    )


def excerpt(head: bytes, tail: bytes, total: int) -> str:
    """The output to show and keep: whole lines, masked, at most EXCERPT_LINES of LINE_CHARS each."""
    cut = total > len(head) + len(tail)
    if cut:  # whole lines only at the edges of what was kept
        first, last = _lines(head[: head.rfind(b"\n") + 1]), _lines(tail[tail.find(b"\n") + 1 :])
    else:
        first = last = _lines(head + tail)
    half = EXCERPT_LINES // 2
    if cut or len(first) > EXCERPT_LINES:
        lines = [*first[:half], f"… (lines left out: the command printed {total} bytes) …", *last[-half:]]
    else:
        lines = first
    return "\n".join(line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…" for line in lines)


def _lines(data: bytes) -> list[str]:
    text = _ANSI.sub("", data.decode("utf-8", errors="replace"))
    shown = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]  # after a carriage return: what a terminal shows
    if shown and not shown[-1]:
        shown.pop()
    return [visible(line) for line in mask_secrets("\n".join(shown)).split("\n")] if shown else []


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the command and everything it started: SIGTERM to its session, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, GRACE_SECONDS), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
