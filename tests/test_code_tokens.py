"""Inline code is built with each token in its own span, so a phone never breaks `list --live` after the
hyphen; the text, code blocks and highlighted inline code are left as they were."""

from __future__ import annotations

import re

import markdown
import yaml

from tests.conftest import ROOT

EXTENSIONS = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["markdown_extensions"] + [
    "opsbook.site.render.code_tokens"
]


def render(text: str, extensions: list | None = None) -> str:
    names = [e if isinstance(e, str) else next(iter(e)) for e in (EXTENSIONS if extensions is None else extensions)]
    configs = {next(iter(e)): next(iter(e.values())) for e in EXTENSIONS if isinstance(e, dict)}
    return markdown.markdown(text, extensions=names, extension_configs={k: v for k, v in configs.items() if k in names})


def test_each_token_of_inline_code_is_its_own_span_and_the_text_is_unchanged() -> None:
    html = render("Run `stripe webhook_endpoints list --live` now.")
    assert (
        '<code data-ob-tokens=""><span class="ob-token">stripe</span> <span class="ob-token">webhook_endpoints</span> '
        '<span class="ob-token">list</span> <span class="ob-token">--live</span></code>'
    ) in html


def test_markup_characters_stay_escaped_inside_the_tokens() -> None:
    html = render("Compare `a<b && c>d`.")
    assert '<span class="ob-token">a&lt;b</span> <span class="ob-token">&amp;&amp;</span>' in html


def test_a_token_longer_than_a_column_scrolls_in_a_box_the_keyboard_reaches() -> None:
    token = "https://api.example.org/v1/webhook_endpoints/we_123/secret"
    html = render(f"Open `{token}`.")
    assert f'<span class="ob-token ob-token--long" tabindex="0">{token}</span>' in html


def test_command_blocks_and_highlighted_inline_code_keep_their_own_markup() -> None:
    html = render("Steps:\n\n```bash\nvercel env rm KEY production --yes\n```\n\nand `#!python x = 1`.")
    assert "ob-token" not in html
    assert re.search(r"<pre>.*vercel.*--yes", html, flags=re.DOTALL)


def test_plain_python_markdown_code_spans_are_wrapped_too() -> None:
    html = render("Run `opsbook check --strict`.", ["opsbook.site.render.code_tokens"])
    assert '<span class="ob-token">--strict</span></code>' in html
