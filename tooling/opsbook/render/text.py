"""Record text → safe Markdown. Fields are data, never markup.

Authors may use `backtick code` in prose fields; everything else is shown literally: HTML is escaped,
Markdown punctuation is backslash-escaped so that `[x](javascript:...)`, `{: onclick=... }`, emphasis
and headings cannot form, and Jinja-looking braces stay text.
"""

from __future__ import annotations

import html
import json
import re

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]|])")
_LINE_START_MARKERS = re.compile(r"^(\s*)(?:([-+#=])|(\d+)([.)]))", re.MULTILINE)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{delimiter}"


def _escape_plain(text: str) -> str:
    """Escape what can form markup anywhere (HTML, emphasis, links, attributes, table cells) and the
    block markers that only matter at the start of a line (lists, headings)."""
    escaped = html.escape(text, quote=False)
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", escaped)
    return _LINE_START_MARKERS.sub(_escape_line_start, escaped)


def md(text: str | None) -> str:
    """Inline-safe Markdown for a prose field, keeping the author's backtick code spans."""
    if not text:
        return ""
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
    if not text:
        return ""
    return "\n\n".join(md(paragraph.strip()) for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip())


def code(text: str) -> str:
    """An inline code span that holds `text` literally, whatever backticks it contains."""
    text = text.replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def fence(text: str, language: str = "") -> str:
    """A fenced code block that holds `text` literally, whatever backticks it contains."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    marker = "`" * (longest + 1)
    return f"{marker}{language}\n{text.rstrip()}\n{marker}"


def attribute(text: str) -> str:
    """Text for an HTML attribute or element the theme inserts without escaping (titles, meta tags)."""
    return html.escape(" ".join(text.split()), quote=True)


def plain(text: str) -> str:
    """Prose without Markdown code marks, for descriptions, JSON-LD and llms.txt."""
    return " ".join(re.sub(r"`+([^`]*)`+", r"\1", text).split())


def description(text: str, limit: int = 160) -> str:
    """The first sentence (or as much as fits in `limit` characters, cut at a word)."""
    flat = plain(text)
    sentence = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def script_json(value: object) -> str:
    """JSON safe to place inside `<script type="application/ld+json">`."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def relative(from_page: str, to_page: str) -> str:
    """A Markdown link target from one docs-relative page path to another (both plain, no `..`).

    Called for every link on every page, so it avoids `posixpath.relpath`, which normalises and
    resolves against the working directory each time.
    """
    source = from_page.split("/")[:-1]
    target = to_page.split("/")
    common = 0
    while common < len(source) and common < len(target) - 1 and source[common] == target[common]:
        common += 1
    return "../" * (len(source) - common) + "/".join(target[common:])
