"""Record text becomes Markdown that renders literally, or the HTML that Markdown would make; links between
pages are computed exactly as MkDocs writes them."""

from __future__ import annotations

import posixpath

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st
from mkdocs.structure.files import File

from opsbook.site.render.text import description, file_url, html_url, quote_url, relative, url_relative
from opsbook.support.markdown_text import code, fence, html_block, html_inline, md, md_block


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


# Python-Markdown as the site configures it: what `md` text becomes, `html_inline` must write directly.
SITE_EXTENSIONS = ["admonition", "attr_list", "md_in_html", "tables", "toc", "pymdownx.details", "pymdownx.superfences"]
_MARKDOWN = markdown.Markdown(extensions=[*SITE_EXTENSIONS, "pymdownx.highlight", "pymdownx.inlinehilite"])
FIELD_PIECES = [*"ab `*_[]()<>&\"'{}|#-+=.!?\\:;/\n\r\t\x02\x0c\u2028\xa01~ "]
FIELD_PIECES += ["&amp;", "http://x.y", "```", "#!bash ", ":::py ", "!!! ", "??? ", "=== ", "/// "]
field_text = (
    st.lists(st.sampled_from(FIELD_PIECES), min_size=1, max_size=25)
    .map(lambda parts: "".join(parts).strip())  # as the models store text
    .filter(md)  # not only characters Markdown drops
)


def _converted(markdown_text: str) -> str:
    _MARKDOWN.reset()
    return _MARKDOWN.convert(markdown_text)


@settings(max_examples=300, deadline=None)
@given(field_text)
def test_html_of_a_field_is_what_markdown_makes_of_it(text: str) -> None:
    assert _converted(md(text)) == f"<p>{html_inline(text)}</p>"
    assert _converted(f"- {md(text)}") == f"<ul>\n<li>{html_inline(text)}</li>\n</ul>"
    cell = "<table>\n<thead>\n<tr>\n<th>A</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>{}</td>\n</tr>\n</tbody>\n</table>"
    assert _converted(f"| A |\n|---|\n| {md(text)} |") == cell.format(html_inline(text))


@settings(max_examples=150, deadline=None)
@given(st.lists(field_text, min_size=1, max_size=3).map("\n\n".join))
def test_html_of_paragraphs_is_what_markdown_makes_of_them(text: str) -> None:
    assert _converted(f"x\n\n{md_block(text)}") == f"<p>x</p>\n{html_block(text)}"


def test_a_code_span_that_looks_like_a_language_tag_stays_code() -> None:
    assert _converted(md("run `#!bash ls` now")) == "<p>run <code>#!bash ls</code> now</p>"
    assert html_inline("run `#!bash ls` now") == "run <code>#!bash ls</code> now"


@given(st.lists(st.sampled_from([*"ab&;#x1?=<>\"' %/()[]é\\", "&amp;", "&#38;", "&copy;", "&x"]), max_size=15))
def test_a_link_target_is_written_as_markdown_writes_it(tail: list[str]) -> None:
    url = quote_url("https://example.org/" + "".join(tail))
    assert _converted(f"[link](<{url}>)") == f'<p><a href="{html_url(url)}">link</a></p>'


@given(page, page, st.booleans())
def test_links_between_pages_are_the_urls_mkdocs_writes(source: str, target: str, directory_urls: bool) -> None:
    def file(path: str) -> File:
        return File(path, "/docs", "/site", use_directory_urls=directory_urls)

    mkdocs_url = file(target).url_relative_to(file(source))
    assert url_relative(file_url(target, directory_urls), file_url(source, directory_urls)) == mkdocs_url
