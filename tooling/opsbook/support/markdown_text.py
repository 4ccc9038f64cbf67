"""Record text → Markdown that renders literally. Fields are data, never markup.

Authors may use `backtick code` in prose fields; everything else is shown literally: HTML is escaped,
Markdown punctuation is backslash-escaped so that `[x](javascript:...)`, `{: onclick=... }`, emphasis
and headings cannot form, and Jinja-looking braces stay text. The site and the Markdown copies of
records agents read (`opsbook.features.record_markdown`) both escape through here.
"""

from __future__ import annotations

import html
import re

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]|])")
_LINE_START_MARKERS = re.compile(r"^(\s*)(?:([-+#!])|(\d+)([.)]))", re.MULTILINE)
_LINE_START_QUESTION = re.compile(r"^(\s*)\?", re.MULTILINE)
"""`??? title` opens a pymdownx.details block, and `\\?` is no Markdown escape: the entity keeps it text."""
_MARKDOWN_DROPS = str.maketrans({"\x02": None, "\x03": None})
"""Python-Markdown deletes these two (its placeholder delimiters), so the text loses them too."""


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{delimiter}"


def _escape_plain(text: str) -> str:
    """Escape what can form markup anywhere (HTML, emphasis, links, attributes, table cells) and the
    block markers that only matter at the start of a line (lists, headings, admonitions, details)."""
    escaped = _LINE_START_QUESTION.sub(r"\1&#63;", html.escape(text, quote=False))
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", escaped)
    return _LINE_START_MARKERS.sub(_escape_line_start, escaped)


def _clean(text: str) -> str:
    """Prose as Python-Markdown will see it: see `_normalise`, and no space at either end (it strips that)."""
    return _normalise(text).strip()


def _normalise(text: str) -> str:
    """Line ends as Python-Markdown normalises them, and tabs as spaces (it would expand them by column,
    which differs between the Markdown and the text)."""
    return text.translate(_MARKDOWN_DROPS).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def _one_line(text: str) -> str:
    """The text of a code span: a span never breaks the line."""
    return _normalise(text).replace("\n", " ")


def md(text: str | None) -> str:
    """Inline-safe Markdown for a prose field, keeping the author's backtick code spans."""
    if not text:
        return ""
    text = _clean(text)
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_escape_plain(text[position : match.start()]))
        parts.append(code(match.group(2)))
        position = match.end()
    parts.append(_escape_plain(text[position:]))
    return " ".join("".join(parts).split("\n")) if "\n" in text else "".join(parts)


def md_block(text: str | None) -> str:
    """Like `md`, but paragraphs (blank-line separated) are kept as paragraphs."""
    return "\n\n".join(md(paragraph) for paragraph in _paragraphs(text))


def _paragraphs(text: str | None) -> list[str]:
    return [paragraph.strip() for paragraph in re.split(r"\n\s*\n", _clean(text or "")) if paragraph.strip()]


def code(text: str) -> str:
    """An inline code span that holds `text` literally, whatever backticks it contains."""
    text = _one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # A leading `#!` or `:::` would make pymdownx.inlinehilite highlight the span as that language.
    padding = " " if text.startswith(("`", "#!", ":::")) or text.endswith("`") or longest else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def fence(text: str, language: str = "") -> str:
    """A fenced code block that holds `text` literally, whatever backticks it contains."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    marker = "`" * (longest + 1)
    return f"{marker}{language}\n{text.rstrip()}\n{marker}"
