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

SEPARATOR = "OPSBOOKNEXTPIECE"
"""Between pieces in the skeleton: a paragraph of one word, which no extension rewrites (an HTML comment
would not survive `pymdownx.striphtml`)."""

CONVERTED_SEPARATOR = f"<p>{SEPARATOR}</p>"


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
        """The pieces, each followed by a separator: what another plugin appends to the page lands after
        the last one, and `splice` puts it at the end of the page."""
        return "".join(f"{piece}\n\n{SEPARATOR}\n\n" for piece in self.markdown)


class SpliceError(ValueError):
    """The converted skeleton does not hold one piece per marker."""


def converted_pieces(converted_skeleton: str) -> list[str]:
    """The converted pieces, and last whatever followed the last separator (usually nothing)."""
    return [piece.strip("\n") for piece in converted_skeleton.split(CONVERTED_SEPARATOR)]


def splice(body: str, pieces: list[str]) -> str:
    """The page's HTML: `body` with each marker replaced by its converted piece, in order, and the
    trailing piece at the end."""
    slots = body.split(MARKER)
    if len(slots) != len(pieces):
        raise SpliceError(f"{len(slots) - 1} markers in the page but {len(pieces) - 1} converted pieces")
    parts = [slots[0]]
    for piece, after in zip(pieces[:-1], slots[1:], strict=True):
        parts.append(piece)
        parts.append(after)
    if pieces[-1]:
        parts.append("\n" + pieces[-1])
    return "".join(parts)
