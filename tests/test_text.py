"""Record text becomes Markdown that renders literally; links between pages are computed exactly."""

from __future__ import annotations

import posixpath

from hypothesis import given
from hypothesis import strategies as st

from opsbook.render.text import code, description, fence, md, relative


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
page = st.lists(segment, min_size=0, max_size=3).map(lambda parts: "/".join([*parts, "page.md"]))


@given(page, page)
def test_relative_links_match_posixpath(source: str, target: str) -> None:
    assert relative(source, target) == posixpath.relpath(target, posixpath.dirname(source) or ".")
