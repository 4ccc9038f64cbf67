"""The `opsbook` command: starts the pre-forked checker of `opsbook check`, then runs the Click CLI.

Importing Click and the command definitions takes about as long as a warm check's own work, so the
checker (see `opsbook.index.prefork`) is forked before that, from the bare command line. Every other command
goes straight to `opsbook.cli`.
"""

from __future__ import annotations

import os
import sys

OPTIONS_WITH_A_VALUE = ("--root", "-C")
"""The group's options that take the next word as their value (see `opsbook.cli.main`)."""


def subcommand(arguments: list[str]) -> str | None:
    """The command word of an `opsbook` command line: the first word that is neither an option nor the
    value of one."""
    value_next = False
    for argument in arguments:
        if value_next:
            value_next = False
        elif argument in OPTIONS_WITH_A_VALUE:
            value_next = True
        elif not argument.startswith("-"):
            return argument
    return None


def main() -> None:
    # pydantic looks through every installed package's metadata for validation plugins (tens of
    # milliseconds); the opsbook command uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    checking = subcommand(sys.argv[1:]) == "check"
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
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
