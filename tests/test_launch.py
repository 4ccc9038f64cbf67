"""The `opsbook` entry point finds the command word and the `--root` value wherever the global options put them:
it hands the command to a daemon, or forks the checker early only for `check`."""

from __future__ import annotations

import pytest

from opsbook.launch import command_line


@pytest.mark.parametrize(
    ("arguments", "command", "root"),
    [
        (["check"], "check", None),
        (["check", "--format", "json"], "check", None),
        (["--root", "kb", "check"], "check", "kb"),
        (["-C", "check", "triage"], "triage", "check"),
        (["--root=kb", "check"], "check", "kb"),
        (["--debug", "-C", "kb", "stats"], "stats", "kb"),
        (["--root", "check"], None, "check"),
        (["check", "--root", "kb"], "check", None),
        (["--help"], None, None),
        ([], None, None),
    ],
)
def test_the_command_word_and_root_are_found_after_the_global_options(
    arguments: list[str], command: str | None, root: str | None
) -> None:
    assert command_line(arguments) == (command, root)
