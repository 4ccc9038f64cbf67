"""Secrets out of text before it is shown or stored.

Stand-in for `opsbook.records.secret_patterns.mask_secrets` (issue 18), which replaces this module: the
walk imports `mask_secrets` from here only. It masks what `find_secrets` finds, from the start of each
finding to the end of its token, keeping the public prefix the finding shows (`sk_live_`).
"""

from __future__ import annotations

import re

from opsbook.records.secrets import find_secrets

_TOKEN_END = re.compile(r"[^\s\"'`]*")


def mask_secrets(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for finding in sorted(find_secrets(text), key=lambda found: found.offset):
        if finding.offset < position:
            continue
        match = _TOKEN_END.match(text, finding.offset)
        end = max(match.end() if match else finding.offset, finding.offset + 1)
        shown = finding.masked.split("…", 1)[0]
        pieces += [text[position : finding.offset], f"{shown}…[masked]"]
        position = end
    return "".join(pieces) + text[position:]
