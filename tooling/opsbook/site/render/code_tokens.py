"""Inline code that wraps only at its spaces, decided when the page is built: a Python-Markdown extension,
so MkDocs, ProperDocs and Zensical all apply it (each takes it from `markdown_extensions`).

Browsers break code after a hyphen or a slash, so `stripe webhook_endpoints list --live` can show "list --"
on one line and "live" on the next, which reads as two commands. Each token of inline code becomes a
`<span class="ob-token">` that opsbook.css keeps on one line; the text, and so a copy, is unchanged. A token
too long for any column scrolls in its own box, which the keyboard can reach. Doing this in the browser
cost every page a rewrite of its DOM and a new style and layout pass on load (Lighthouse mobile: a
134-242 ms task).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE, AtomicString

LONG_TOKEN = 40
SPACES = re.compile(r"(\s+)")


def tokens_html(escaped: str) -> str:
    """The HTML-escaped text of a code span with each run of non-space characters in its own span."""
    parts = []
    for part in SPACES.split(escaped):
        if not part or part.isspace():
            parts.append(part)
        elif len(html.unescape(part)) > LONG_TOKEN:
            parts.append(f'<span class="ob-token ob-token--long" tabindex="0">{part}</span>')
        else:
            parts.append(f'<span class="ob-token">{part}</span>')
    return "".join(parts)


class CodeTokens(Treeprocessor):
    """Runs after the inline patterns: every `code` element left in the tree is inline code (fenced blocks
    are stashed whole; an indented block's `code` sits in a `pre`). Plain code spans only: highlighted
    inline code (`#!lang …`) carries a class and keeps its own markup."""

    def run(self, root: etree.Element) -> None:
        inside_pre = {id(code) for pre in root.iter("pre") for code in pre.iter("code")}
        for code in root.iter("code"):
            if id(code) in inside_pre or code.attrib or len(code) or not code.text:
                continue
            stashed = HTML_PLACEHOLDER_RE.fullmatch(code.text)
            if stashed:  # pymdownx.inlinehilite stores the escaped text in the stash
                index = int(stashed.group(1))
                escaped = self.md.htmlStash.rawHtmlBlocks[index]
                if not isinstance(escaped, str):
                    continue
                self.md.htmlStash.rawHtmlBlocks[index] = tokens_html(escaped)
            elif isinstance(code.text, AtomicString):  # Python-Markdown's own code spans: already escaped
                code.text = self.md.htmlStash.store(tokens_html(code.text))
            else:
                continue
            code.set("data-ob-tokens", "")


class CodeTokensExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(CodeTokens(md), "opsbook_code_tokens", 15)


def makeExtension(**kwargs: object) -> CodeTokensExtension:
    return CodeTokensExtension(**kwargs)
