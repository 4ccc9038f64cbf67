"""A record checker started in a second process before it is known to be needed.

Importing the validator (pydantic, the models, YAML) takes longer than everything else a warm
`opsbook check` does. So when a warm run is likely, the check forks a child that does those imports
while the parent looks for changed files; the parent then either hands it the changed files or, when
nothing changed, kills it. The child never writes to the terminal; any failure in it only means the
parent checks the files itself.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from opsbook.index.scan import FileOutcome, FileTask


class Checker:
    """The parent's handle on the child. (A plain class: this module is imported before anything else.)"""

    def __init__(self, pid: int, tasks_out: int, results_in: int) -> None:
        self.pid = pid
        self.tasks_out: int | None = tasks_out
        self.results_in: int | None = results_in
        self.finished = False

    @classmethod
    def start(cls) -> Checker | None:
        """A child importing the checker, or None where forking cannot win time (one core, no fork) or is
        unsafe (other threads running, as when `run_check` is called from a threaded program)."""
        if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or _other_threads():
            return None
        tasks_in, tasks_out = os.pipe()
        results_in, results_out = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(tasks_out)
            os.close(results_in)
            _serve(tasks_in, results_out)
        os.close(tasks_in)
        os.close(results_out)
        return cls(pid, tasks_out, results_in)

    def send(self, tasks: Sequence[FileTask]) -> None:
        """Hand the child its files; it starts on them as soon as its imports are done."""
        import pickle

        descriptor, self.tasks_out = self.tasks_out, None
        if descriptor is None:
            return
        try:
            with os.fdopen(descriptor, "wb") as stream:
                pickle.dump(list(tasks), stream, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:
            pass  # the child is gone; `receive` reports it

    def receive(self, expected: int) -> list[FileOutcome] | None:
        """The child's outcomes for the files sent, or None if it failed."""
        import pickle

        descriptor, self.results_in = self.results_in, None
        outcomes = None
        try:
            if descriptor is not None:
                with os.fdopen(descriptor, "rb") as stream:
                    data = stream.read()
                outcomes = pickle.loads(data) if data else None
        except (OSError, pickle.UnpicklingError, EOFError):
            outcomes = None
        finally:
            self._reap()
        return outcomes if isinstance(outcomes, list) and len(outcomes) == expected else None

    def cancel(self) -> None:
        """Stop the child, unless it has already finished."""
        if self.finished:
            return
        for descriptor in (self.tasks_out, self.results_in):
            if descriptor is not None:
                os.close(descriptor)
        self.tasks_out = self.results_in = None
        import contextlib

        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        import contextlib

        with contextlib.suppress(ChildProcessError):  # already reaped, or SIGCHLD is ignored
            os.waitpid(self.pid, 0)
        self.finished = True


def _other_threads() -> bool:
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


_early: Checker | None = None


def start_early() -> None:
    """Fork the checker now, for `take_early` to hand to `opsbook check` (see `opsbook.launch`)."""
    global _early
    _early = Checker.start()


def take_early() -> Checker | None:
    global _early
    checker, _early = _early, None
    return checker


def _serve(tasks_in: int, results_out: int) -> NoReturn:
    """The child: import, wait for work, answer, and leave without running the parent's exit handlers."""
    code = 1
    try:
        import pickle

        quiet = os.open(os.devnull, os.O_WRONLY)  # never hold the parent's terminal or pipes open
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)

        from opsbook.records.check_file import check_record_file, warm_up

        warm_up()  # while the parent is still looking for changed files
        with os.fdopen(tasks_in, "rb") as stream:
            data = stream.read()
        if data:
            outcomes = [check_record_file(task) for task in pickle.loads(data)]
            with os.fdopen(results_out, "wb") as stream:
                pickle.dump(outcomes, stream, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)
