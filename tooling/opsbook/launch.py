"""The `opsbook` command: hands the command to the knowledge base's daemon when one runs, else starts the
pre-forked checker of `opsbook check`, then runs the Click CLI.

Importing Click and the command definitions takes about as long as a warm check's own work, so both happen
before that, from the bare command line: the daemon (see `opsbook.daemon`) is asked first, and the checker
(see `opsbook.index.prefork`) is forked when the check runs here. Every other command goes straight to
`opsbook.cli`.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

OPTIONS_WITH_A_VALUE = ("--root", "-C")
"""The group's options that take the next word as their value (see `opsbook.cli.main`)."""
FORWARDED = frozenset({"check", "triage", "actions", "stats", "review", "export"})
"""Commands that read the knowledge base and answer on the terminal: a running daemon answers them."""


def command_line(arguments: list[str]) -> tuple[str | None, str | None]:
    """The command word of an `opsbook` command line (the first word that is neither an option nor the value
    of one), and the value of `--root` / `-C` if it comes before it."""
    root_next = False
    root: str | None = None
    for argument in arguments:
        if root_next:
            root, root_next = argument, False
        elif argument in OPTIONS_WITH_A_VALUE:
            root_next = True
        elif argument.startswith("--root="):
            root = argument.removeprefix("--root=")
        elif not argument.startswith("-"):
            return argument, root
    return None, root


def main() -> None:
    # pydantic looks through every installed package's metadata for validation plugins (tens of
    # milliseconds); the opsbook command uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    command, root = command_line(sys.argv[1:])
    if command in FORWARDED:
        from opsbook.daemon.client import forward

        program = os.path.basename(sys.argv[0])
        try:
            answered = forward(sys.argv[1:], root, "python -m opsbook" if program == "__main__.py" else program)
        except KeyboardInterrupt:
            print("opsbook: interrupted", file=sys.stderr)
            os._exit(130)
        if answered is not None:
            os._exit(answered)
    checking = command == "check"
    if checking and "--no-index" not in sys.argv:
        from opsbook.index.prefork import start_early

        start_early()
    from opsbook.cli import main as cli

    if not checking:
        cli()
        return
    try:
        cli()
        code: object = 0
    except SystemExit as exit_:
        code = exit_.code
    from opsbook.index.prefork import take_early

    unused = take_early()  # a usage error or --help never reached the check
    if unused is not None:
        unused.cancel()
    # Everything is written; freeing ten thousand cached entries one by one would only delay the exit
    # (mypy ends the same way).
    status = exit_status(code, sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def exit_status(code: object, stderr: TextIO) -> int:
    """What a process ends with for `sys.exit(code)` (a message is printed to `stderr` and ends it with 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=stderr)
    return 1
