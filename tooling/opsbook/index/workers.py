"""Checking the files that changed: in the pre-forked checker when there are a few, on a process pool when
there are many (a cold run), in this process otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

from opsbook.index.prefork import Checker, die_with_parent
from opsbook.records.files import FileResult, FileTask
from opsbook.support.progress import Progress

PARALLEL_THRESHOLD = 400
"""From this many files on, a process pool beats checking them in one process."""


def check_all(
    tasks: Sequence[FileTask], *, jobs: int | None, progress: Progress | None, checker: Checker | None
) -> list[FileResult]:
    """Each task's result, in order. Takes charge of `checker`: it is used or stopped."""
    if checker is not None:
        if tasks and len(tasks) < PARALLEL_THRESHOLD:
            results = checker.check(tasks)
            if results is not None:
                return results
        checker.cancel()
    if not tasks:
        return []
    from opsbook.records.check_file import check_file, warm_up

    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(tasks) < PARALLEL_THRESHOLD:
        return list(_counted(map(check_file, tasks), len(tasks), progress))
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    warm_up()  # once here, inherited by every worker
    chunk = max(16, len(tasks) // (workers * 8))
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("fork"), initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        return list(_counted(pool.map(check_file, tasks, chunksize=chunk), len(tasks), progress))


def _counted(results: Iterable[FileResult], total: int, progress: Progress | None) -> Iterator[FileResult]:
    for done, result in enumerate(results, 1):
        if progress is not None:
            progress(done, total)
        yield result
