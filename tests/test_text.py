"""Record text becomes Markdown that renders literally; links between pages are computed exactly as MkDocs
writes them."""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st
from mkdocs.structure.files import File

from opsbook.site.render.text import description, quote_url, relative, url_relative
from opsbook.support.markdown_text import code, fence, md, md_block


def test_markup_in_prose_is_escaped_but_code_spans_survive() -> None:
    assert md("Run `vercel env ls` then <b>stop</b>") == "Run `vercel env ls` then &lt;b&gt;stop&lt;/b&gt;"
    assert md("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert md("{{ config }} *bold* _em_ a|b") == "\\{\\{ config \\}\\} \\*bold\\* \\_em\\_ a\\|b"


def test_block_markers_are_escaped_only_at_the_start() -> None:
    assert md("- not a list") == "\\- not a list"
    assert md("1. not a list") == "1\\. not a list"
    assert md("# not a heading") == "\\# not a heading"
    assert md("service-role key, step 1. done") == "service-role key, step 1. done"


def test_code_and_fences_hold_any_backticks() -> None:
    assert code("a`b") == "`` a`b ``"
    assert fence("echo ```", "bash") == "````bash\necho ```\n````"


def test_description_is_the_first_sentence_within_the_limit() -> None:
    assert description("First `thing`. Second.") == "First thing."
    long = "word " * 60
    cut = description(long)
    assert len(cut) <= 160 and cut.endswith("…")


segment = st.sampled_from(["runbooks", "incidents", "2026", "auth-drift", "a", "b", "reviews"])
page = st.tuples(st.lists(segment, min_size=0, max_size=3), st.sampled_from(["page.md", "index.md"])).map(
    lambda parts: "/".join([*parts[0], parts[1]])
)


@given(page, page)
def test_relative_links_match_posixpath(source: str, target: str) -> None:
    assert relative(source, target) == posixpath.relpath(target, posixpath.dirname(source) or ".")


# Python-Markdown as the site configures it: whatever a field holds, its Markdown shows the text itself.
SITE_EXTENSIONS = ["admonition", "attr_list", "md_in_html", "tables", "toc", "pymdownx.details", "pymdownx.superfences"]
_MARKDOWN = markdown.Markdown(extensions=[*SITE_EXTENSIONS, "pymdownx.highlight", "pymdownx.inlinehilite"])
FIELD_PIECES = [*"ab `*_[]()<>&\"'{}|#-+=.!?\\:;/\n\r\t\x0c\u2028\xa01~ "]
FIELD_PIECES += ["&amp;", "http://x.y", "```", "#!bash ", ":::py ", "!!! ", "??? ", "=== ", "/// "]
FIELD_PIECES += ["<script>", "{: .x }"]
field_text = (
    st.lists(st.sampled_from(FIELD_PIECES), min_size=1, max_size=25)
    .map(lambda parts: "".join(parts).strip())  # as the models store text
    .filter(lambda text: text.strip())
)
_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)


class Shown(HTMLParser):
    """The elements Markdown made and the text a reader sees."""

    def __init__(self, converted: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(converted)

    @property
    def tags(self) -> list[str]:
        return [tag for tag, _ in self.elements]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


def _shown(markdown_text: str) -> Shown:
    _MARKDOWN.reset()
    return Shown(_MARKDOWN.convert(markdown_text))


def _as_read(text: str) -> str:
    """What a reader should see: the text, with code spans shown without their backticks."""
    return " ".join(_SPAN.sub(lambda m: " ".join(m.group(2).split()), text).split())


@settings(max_examples=300, deadline=None)
@given(field_text)
def test_a_field_shows_its_text_and_forms_no_markup(text: str) -> None:
    for wrapper, container in (("{}", ["p"]), ("- {}", ["ul", "li"]), ("| A |\n|---|\n| {} |", None)):
        shown = _shown(wrapper.format(md(text)))
        if container is None:  # a table: only its own structure
            assert [t for t in shown.tags if t not in ("table", "thead", "tbody", "tr", "th", "td", "code")] == []
            shown.text = shown.text.replace("A", "", 1)
        else:
            assert [t for t in shown.tags if t != "code"] == container
        assert " ".join(shown.text.split()) == _as_read(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(field_text, min_size=1, max_size=3))
def test_paragraphs_stay_paragraphs(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    blocks = [b for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")) if b.strip()]
    shown = _shown(md_block(text))
    assert [t for t in shown.tags if t != "code"] == ["p"] * len(blocks)


def test_a_code_span_that_looks_like_a_language_tag_stays_code() -> None:
    _MARKDOWN.reset()
    assert _MARKDOWN.convert(md("run `#!bash ls` now")) == "<p>run <code>#!bash ls</code> now</p>"


@given(st.lists(st.sampled_from([*"ab&;#x1?=<>\"' %/()[]é\\", "&amp;", "&#38;", "&copy;", "&x"]), max_size=15))
def test_a_link_target_stays_one_link_to_where_it_points(tail: list[str]) -> None:
    shown = _shown(f"[link](<{quote_url('https://example.org/' + ''.join(tail))}>)")
    assert shown.tags == ["p", "a"] and shown.text == "link"
    assert str(shown.elements[1][1]["href"]).startswith("https://example.org/")


@given(page, page, st.booleans())
def test_links_between_pages_are_the_urls_mkdocs_writes(source: str, target: str, directory_urls: bool) -> None:
    def file(path: str) -> File:
        return File(path, "/docs", "/site", use_directory_urls=directory_urls)

    mkdocs_url = file(target).url_relative_to(file(source))
    assert url_relative(file(target).url, file(source).url) == mkdocs_url
