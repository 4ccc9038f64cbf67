"""Record text → safe Markdown or HTML. Fields are data, never markup.

Authors may use `backtick code` in prose fields; everything else is shown literally: HTML is escaped,
Markdown punctuation is backslash-escaped so that `[x](javascript:...)`, `{: onclick=... }`, emphasis
and headings cannot form, and Jinja-looking braces stay text. The `html_*` functions give the HTML that
Python-Markdown makes of the corresponding Markdown, for pages rendered without it.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Callable

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]|])")
_LINE_START_MARKERS = re.compile(r"^(\s*)(?:([-+#!])|(\d+)([.)]))", re.MULTILINE)
_LINE_START_QUESTION = re.compile(r"^(\s*)\?", re.MULTILINE)
"""`??? title` opens a pymdownx.details block, and `\\?` is no Markdown escape: the entity keeps it text."""
_MARKDOWN_DROPS = str.maketrans({"\x02": None, "\x03": None})
"""Python-Markdown deletes these two (its placeholder delimiters); both outputs do too."""


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{delimiter}"


def _escape_plain(text: str) -> str:
    """Escape what can form markup anywhere (HTML, emphasis, links, attributes, table cells) and the
    block markers that only matter at the start of a line (lists, headings, admonitions, details)."""
    escaped = _escape_html(text)
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", escaped)
    return _LINE_START_MARKERS.sub(_escape_line_start, escaped)


def _escape_html(text: str) -> str:
    """What Python-Markdown shows of `_escape_plain(text)`: the backslash escapes are gone."""
    return _LINE_START_QUESTION.sub(r"\1&#63;", html.escape(text, quote=False))


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
    return _inline(text, _escape_plain, code) if text else ""


def _inline(text: str, plain: Callable[[str], str], code_span: Callable[[str], str]) -> str:
    """`text` with its code spans through `code_span` and the rest through `plain`, on one line."""
    text = _clean(text)
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(plain(text[position : match.start()]))
        parts.append(code_span(match.group(2)))
        position = match.end()
    parts.append(plain(text[position:]))
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


def html_inline(text: str | None) -> str:
    """The HTML of `md(text)`: escaped text, and code spans as `<code>`."""
    return _inline(text, _escape_html, html_code) if text else ""


def html_block(text: str | None) -> str:
    """The HTML of `md_block(text)`: one `<p>` per paragraph."""
    return "\n".join(f"<p>{html_inline(paragraph)}</p>" for paragraph in _paragraphs(text))


def html_code(text: str) -> str:
    """The HTML of `code(text)`: Python-Markdown strips the padding `code` may add."""
    return "<code>" + html.escape(_one_line(text).strip(), quote=False) + "</code>"


def quote_url(value: str) -> str:
    """A link target with every character outside the URL syntax percent-encoded."""
    return urllib.parse.quote(value, safe=":/?#[]@!$&'()*+,;=%-._~")


_BARE_AMPERSAND = re.compile(r"&(?!(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);)", re.IGNORECASE)


def html_url(url: str) -> str:
    """An already-quoted URL as an `href` value, as Python-Markdown's serializer writes attributes: an
    ampersand that already starts an entity is left alone."""
    escaped = _BARE_AMPERSAND.sub("&amp;", url).replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace('"', "&quot;").replace("\n", "&#10;")


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
