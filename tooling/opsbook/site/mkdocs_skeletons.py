"""Converting record-page skeletons (`opsbook.site.render.pieces`) through MkDocs, once per shape.

Incident skeletons differ only in their title: the headings after it come in a handful of shapes. The
first page of each shape is converted whole. Later pages of that shape send only their title through
Markdown and reuse the converted headings after it, their table of contents and their anchor ids. A
title whose id could have renamed one of those headings (`summary` → `summary_1`) is converted whole
again, so every page is exactly what converting its whole skeleton gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, get_toc

from opsbook.site.render.pieces import SEPARATOR, converted_pieces

_TITLE_END = f"\n\n{SEPARATOR}\n\n"
_ID = re.compile(r'\sid="([^"]*)"')


@dataclass(frozen=True)
class _Shape:
    pieces: list[str]
    sections: list[AnchorLink]
    ids: frozenset[str]
    """Every id in the pieces: the table of contents may leave some headings out (`toc_depth`)."""


class SkeletonConverter:
    def __init__(self) -> None:
        self.shapes: dict[str, _Shape] = {}
        self.pending: dict[str, tuple[str, str | None]] = {}
        """Per page between its two events: the skeleton after the title, and the title when only it was sent."""

    def markdown(self, page: Page, skeleton: str) -> str:
        """What MkDocs converts for the page: its title alone when the rest has been converted before."""
        title, separator, rest = skeleton.partition(_TITLE_END)
        if not separator or "```" in rest:
            return skeleton  # code blocks make every runbook's skeleton unique: nothing to share
        title_only = rest in self.shapes
        self.pending[page.file.src_uri] = (rest, title if title_only else None)
        return title + _TITLE_END if title_only else skeleton

    def pieces(self, page: Page, converted: str, config: MkDocsConfig) -> list[str]:
        """The page's converted pieces, in skeleton order; sets the page's table of contents and anchors."""
        rest, sent_title = self.pending.pop(page.file.src_uri, (None, None))
        title = page.toc.items[0] if page.toc.items and page.toc.items[0].level == 1 else None
        if rest is not None and sent_title is not None:
            shape = self.shapes[rest]
            if title is None or _could_rename(title.id, shape.ids):
                return self._convert_whole(page, sent_title + _TITLE_END + rest, config)
            title.children = [_copy(section) for section in shape.sections]
            page.present_anchor_ids = (page.present_anchor_ids or set()) | shape.ids
            title_piece, after_last = converted_pieces(converted)
            return [title_piece, *shape.pieces, after_last]
        pieces = converted_pieces(converted)
        if rest is not None and title is not None:
            ids = frozenset(_ids_in(pieces[1:-1]))
            if not _could_rename(title.id, ids):
                self.shapes[rest] = _Shape(pieces[1:-1], [_copy(section) for section in title.children], ids)
        return pieces

    def _convert_whole(self, page: Page, skeleton: str, config: MkDocsConfig) -> list[str]:
        """As `Page.render` converts: the page's own extensions; headings and code hold no links to rewrite."""
        converter = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
        converted = converter.convert(skeleton)
        page.toc = get_toc(getattr(converter, "toc_tokens", []))
        page.present_anchor_ids = (page.present_anchor_ids or set()) | set(_ids_in([converted]))
        return converted_pieces(converted)


def _ids_in(pieces: list[str]) -> list[str]:
    return [found for piece in pieces for found in _ID.findall(piece)]


def _copy(link: AnchorLink) -> AnchorLink:
    """Each page gets its own table of contents, as if converted on its own."""
    copied = AnchorLink(link.title, link.id, link.level)
    copied.children = [_copy(child) for child in link.children]
    return copied


def _could_rename(title_id: str, ids: frozenset[str]) -> bool:
    """Whether a heading after the title may have got another id because the title took this one: the
    toc extension makes an id unique by appending `_1`, `_2`… to it."""
    return any(other == title_id or other.startswith(title_id + "_") for other in ids)
