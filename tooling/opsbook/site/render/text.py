"""Record text → safe Markdown. Fields are data, never markup.

Authors may use `backtick code` in prose fields; everything else is shown literally: HTML is escaped,
Markdown punctuation is backslash-escaped so that `[x](javascript:...)`, `{: onclick=... }`, emphasis
and headings cannot form, and Jinja-looking braces stay text.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]|])")
_LINE_START_MARKERS = re.compile(r"^(\s*)(?:([-+#!])|(\d+)([.)]))", re.MULTILINE)
_LINE_START_QUESTION = re.compile(r"^(\s*)\?", re.MULTILINE)
"""`??? title` opens a pymdownx.details block, and `\\?` is no Markdown escape: the entity keeps it text."""


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
    """Prose on Markdown's line ends (a lone carriage return would end a table row), without space at
    either end (four leading spaces would make a code block)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def md(text: str | None) -> str:
    """Inline-safe Markdown for a prose field on one line, keeping the author's backtick code spans."""
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
    return " ".join("".join(parts).split("\n"))


def md_block(text: str | None) -> str:
    """Like `md`, but paragraphs (blank-line separated) are kept as paragraphs."""
    return "\n\n".join(md(paragraph) for paragraph in _paragraphs(text))


def _paragraphs(text: str | None) -> list[str]:
    return [paragraph.strip() for paragraph in re.split(r"\n\s*\n", _clean(text or "")) if paragraph.strip()]


def code(text: str) -> str:
    """An inline code span that holds `text` literally, whatever backticks it contains."""
    text = " ".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
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


def quote_url(value: str) -> str:
    """A link target with every character outside the URL syntax percent-encoded."""
    return urllib.parse.quote(value, safe=":/?#[]@!$&'()*+,;=%-._~")


def file_url(page: str, directory_urls: bool = True) -> str:
    """The site-relative URL MkDocs gives a docs page: `runbooks/a/b.md` → `runbooks/a/b/` (or `….html`)."""
    parent, _, name = page.rpartition("/")
    stem = name.removesuffix(".md")
    if stem == "index" and directory_urls:
        return f"{parent}/" if parent else "./"
    if not directory_urls:
        return f"{parent}/{stem}.html" if parent else f"{stem}.html"
    return f"{parent}/{stem}/" if parent else f"{stem}/"


def url_relative(url: str, from_url: str) -> str:
    """`url` relative to the page at `from_url`, as MkDocs writes links (`mkdocs.utils.get_relative_url`).

    Called for every link on every page, so it avoids `posixpath.relpath`, which normalises and resolves
    against the working directory each time.
    """
    folder, _, last = from_url.rpartition("/")
    source = [part for part in (folder if "." in last else from_url).split("/") if part not in ("", ".")]
    target = [part for part in url.split("/") if part not in ("", ".")]
    common = 0
    while common < len(source) and common < len(target) and source[common] == target[common]:
        common += 1
    joined = "/".join([".."] * (len(source) - common) + target[common:]) or "."
    return joined + "/" if url.endswith("/") else joined


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
    """A Markdown link target from one docs-relative page path to another (both plain, no `..`)."""
    return url_relative(to_page, from_page)
