"""The `opsbook` entry point forks the checker early only for `check`, wherever the global options put it."""

from __future__ import annotations

import pytest

from opsbook.launch import subcommand


@pytest.mark.parametrize(
    ("arguments", "command"),
    [
        (["check"], "check"),
        (["check", "--format", "json"], "check"),
        (["--root", "kb", "check"], "check"),
        (["-C", "check", "triage"], "triage"),
        (["--root=kb", "check"], "check"),
        (["--debug", "-C", "kb", "stats"], "stats"),
        (["--root", "check"], None),
        (["--help"], None),
        ([], None),
    ],
)
def test_the_command_word_is_found_after_the_global_options(arguments: list[str], command: str | None) -> None:
    assert subcommand(arguments) == command
