"""An opt-in resident process that keeps one knowledge base's index in memory between commands.

`opsbook daemon start` runs `server` in the background; from then on the `opsbook` command (`opsbook.launch`)
hands `check`, `triage`, `actions`, `stats`, `review` and `export` to it through `client`, and the server runs
them with the same Click commands, over an index that its folder watch keeps current. When no daemon answers,
the command runs in its own process as usual; the output is the same either way.
"""
