"""A file checker started in a second process before it is known to be needed.

Importing the validator (pydantic, the models, YAML) takes longer than everything else `opsbook check`
does when one file changed. So `opsbook check` forks a child first thing (`opsbook.launch`); it does
those imports while the parent finds the changed files; the parent then hands it those files or, when
nothing changed, kills it. The child dies with its parent (Linux's parent-death signal, and end of
file on its pipe elsewhere), never writes to the terminal, and any failure in it only means the parent
checks the files itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from opsbook.records.files import FileResult, FileTask

PR_SET_PDEATHSIG = 1


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
        unsafe (other threads running)."""
        if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or _other_threads():
            return None
        tasks_in, tasks_out = os.pipe()
        results_in, results_out = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(tasks_out)
            os.close(results_in)
            _serve(parent, tasks_in, results_out)
        os.close(tasks_in)
        os.close(results_out)
        return cls(pid, tasks_out, results_in)

    def check(self, tasks: Sequence[FileTask]) -> list[FileResult] | None:
        """The child's results for `tasks`, or None if it failed."""
        import pickle

        descriptor, self.tasks_out = self.tasks_out, None
        results = None
        try:
            if descriptor is not None:
                with os.fdopen(descriptor, "wb") as stream:
                    pickle.dump(list(tasks), stream, protocol=pickle.HIGHEST_PROTOCOL)
            descriptor, self.results_in = self.results_in, None
            if descriptor is not None:
                with os.fdopen(descriptor, "rb") as stream:
                    data = stream.read()
                results = pickle.loads(data) if data else None
        except (OSError, pickle.UnpicklingError, EOFError):
            results = None
        finally:
            self._reap()
        return results if isinstance(results, list) and len(results) == len(tasks) else None

    def cancel(self) -> None:
        """Stop the child, unless it has already finished."""
        if self.finished:
            return
        for descriptor in (self.tasks_out, self.results_in):
            if descriptor is not None:
                os.close(descriptor)
        self.tasks_out = self.results_in = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        with contextlib.suppress(ChildProcessError):  # already reaped, or SIGCHLD is ignored
            os.waitpid(self.pid, 0)
        self.finished = True


def _other_threads() -> bool:
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies; elsewhere the closed pipe ends it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_early: Checker | None = None


def start_early() -> None:
    """Fork the checker now, for `take_early` to hand to `opsbook check` (see `opsbook.launch`)."""
    global _early
    _early = Checker.start()


def take_early() -> Checker | None:
    global _early
    checker, _early = _early, None
    return checker


def _serve(parent: int, tasks_in: int, results_out: int) -> NoReturn:
    """The child: import, wait for work, answer, and leave without running the parent's exit handlers."""
    code = 1
    try:
        die_with_parent(parent)
        import pickle

        quiet = os.open(os.devnull, os.O_WRONLY)  # never hold the parent's terminal or pipes open
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)

        from opsbook.records.check_file import check_file, warm_up

        warm_up()  # while the parent is still looking for changed files
        with os.fdopen(tasks_in, "rb") as stream:
            data = stream.read()
        if data:
            results = [check_file(task) for task in pickle.loads(data)]
            with os.fdopen(results_out, "wb") as stream:
                pickle.dump(results, stream, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)
