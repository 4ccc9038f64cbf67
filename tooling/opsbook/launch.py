"""The `opsbook` command: starts the pre-forked checker of `opsbook check`, then runs the Click CLI.

Importing Click and the command definitions takes about as long as a warm check's own work, so the
checker (see `opsbook.index.prefork`) is forked before that, from the bare command line. Every other command
goes straight to `opsbook.cli`.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    # pydantic looks through every installed package's metadata for validation plugins (tens of
    # milliseconds); the opsbook command uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    words = [argument for argument in sys.argv[1:] if not argument.startswith("-")]
    checking = words[:1] == ["check"]
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
