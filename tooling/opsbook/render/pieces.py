"""Record pages written as HTML, with only their headings and code blocks left to Python-Markdown.

Converting a whole incident or runbook page with Python-Markdown is most of the cost of a site build.
Their HTML is simple and fully determined by the record, so the MkDocs plugin renders it directly. The
headings and code blocks still go through Markdown as a short "skeleton" page: that keeps MkDocs' table
of contents, heading ids, permalinks and the user's highlighting settings exactly as configured. After
conversion, `splice` puts each converted piece back where the HTML body left a marker for it.
"""

from __future__ import annotations

MARKER = "<!--opsbook:piece-->"
"""Where a piece goes in the HTML body. Record text can never produce it: `<` is always escaped."""

SEPARATOR = "<!--opsbook:next-->"
"""Between pieces in the skeleton. Python-Markdown passes an HTML comment on its own line through as is."""


class Pieces:
    """Collects the Markdown pieces of one page while its HTML template renders."""

    def __init__(self) -> None:
        self.markdown: list[str] = []

    def heading(self, level: int, text: str, exclude: bool = False) -> str:
        """A heading from Markdown-safe text; `exclude` keeps its section out of the search index."""
        attributes = " { data-search-exclude }" if exclude else ""
        return self.block(f"{'#' * level} {text}{attributes}")

    def block(self, markdown: str) -> str:
        self.markdown.append(markdown)
        return MARKER

    def skeleton(self) -> str:
        return f"\n\n{SEPARATOR}\n\n".join(self.markdown) + "\n"


class SpliceError(ValueError):
    """The converted skeleton does not hold one piece per marker."""


def converted_pieces(converted_skeleton: str) -> list[str]:
    return [piece.strip("\n") for piece in converted_skeleton.split(SEPARATOR)]


def splice(body: str, pieces: list[str]) -> str:
    """The page's HTML: `body` with each marker replaced by its converted piece, in order."""
    slots = body.split(MARKER)
    if len(slots) != len(pieces) + 1:
        raise SpliceError(f"{len(slots) - 1} markers in the page but {len(pieces)} converted pieces")
    parts = [slots[0]]
    for piece, after in zip(pieces, slots[1:], strict=True):
        parts.append(piece)
        parts.append(after)
    return "".join(parts)
