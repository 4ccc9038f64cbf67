"""Ctrl-C as a terminal delivers it, for the tests that send it to a command."""

from __future__ import annotations

import signal


def as_a_shell_starts_it() -> None:
    """Ctrl-C reaches the command as it does from a login shell, whatever the test process inherited or set:
    an ignored or blocked SIGINT would carry over to the child (a suite started with `&` by a shell without
    job control runs with SIGINT ignored). Pass as `preexec_fn`."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
