"""Links, URLs and short plain-text forms of record text for the site's pages, metadata and llms files.
Escaping record text into Markdown is `opsbook.support.markdown_text`."""

from __future__ import annotations

import html
import json
import re
import urllib.parse


def quote_url(value: str) -> str:
    """A link target with every character outside the URL syntax percent-encoded."""
    return urllib.parse.quote(value, safe=":/?#[]@!$&'()*+,;=%-._~")


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


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`1 incident`, `2 incidents`, `0 incidents`."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


TITLE_LIMIT = 60
"""Search results and browser tabs cut a title past about 60 characters."""


def page_title(title: str, site_name: str) -> str:
    """The title for a page's front matter, cut at a word so that the HTML title the theme writes,
    `{title} - {site name}`, stays within `TITLE_LIMIT`; the page's heading keeps the whole title."""
    budget = max(TITLE_LIMIT - len(" - ") - len(site_name), 24)
    flat = " ".join(title.split())
    if len(flat) <= budget:
        return flat
    return flat[: budget - 1].rsplit(" ", 1)[0].rstrip(",;:(\u2013\u2014-") + "…"


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
