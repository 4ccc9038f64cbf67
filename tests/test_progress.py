"""Progress: one self-overwriting line on a terminal for long work, nothing when output is piped."""

from __future__ import annotations

import io

from opsbook.support.progress import ProgressLine


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    line = ProgressLine("checking", stream, delay=0)
    line(5, 10)
    line.close()
    assert stream.getvalue() == ""


def test_draws_a_single_line_on_a_terminal_after_the_delay() -> None:
    stream = Terminal()
    line = ProgressLine("checking", stream, delay=0)
    line(1, 4)
    line(4, 4)
    line.close()
    assert stream.getvalue().startswith("\rchecking: 1/4 (25%)")
    assert "\rchecking: 4/4 (100%)" in stream.getvalue() and stream.getvalue().endswith("\r\x1b[K")


def test_quick_work_draws_nothing() -> None:
    stream = Terminal()
    line = ProgressLine("checking", stream, delay=60)
    line(4, 4)
    line.close()
    assert stream.getvalue() == ""
