"""One regex dialect: what `opsbook check` accepts, Python and the browser's RegExp run identically."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from opsbook.features.triage_cues import CUES
from opsbook.records.regex_dialect import FLAGS, canonical_text, dialect_problem, search
from tests.kbfactory import make_kb, runbook, write

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        (r"\Aopsbook", "use ^"),
        (r"failed\Z", "use $"),
        (r"(?P<code>\d+) error", "plain group"),
        (r"(?i)rate limit", "remove them"),
        (r"(?s)a.b", "remove them"),
        (r"retry++", "drop the second +"),
        (r"a{2}+b", "drop the second +"),
        (r"(?>atomic)", "plain group"),
        (r"x{,3}", "{0,n}"),
        (r"[]x]", "escape the bracket"),
        (r"[^]x]", "escape the bracket"),
        (r"[a[b]", "escape it"),
        (r"[a-z--q]", "escape it"),
        (r"(?#note)x", "remove the comment"),
        (r"(a)?(?(1)b|c)", "alternatives"),
        (r"\N{BULLET}", "\\uXXXX"),
        (r"\a", "\\x07"),
        (r"Überweisung fehlgeschlagen", "literal text"),
        (r"\u00c9chec", "literal text"),
        (r"caf\xe9", "literal text"),
    ],
)
def test_constructs_outside_the_shared_subset_are_named_with_a_fix(pattern: str, hint: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        re.compile(pattern, FLAGS)  # Python accepts every one of them
    problem = dialect_problem(pattern)
    assert problem is not None and hint in problem.hint, problem


ACCEPTED = [
    r"Rate limit reached for \S+ on (requests|tokens) per (min|day)",
    r"\b(token_revoked|token_expired)\b",
    r"^Error: listen EADDRINUSE",
    r"failed$",
    r"(?:a|b)+?c",
    r"(?<=port )\d{4}",
    r"(?<!no )signature",
    r"(?=x)x",
    r"[\]x]",
    r"x}+",
    r"\++",
    r"[A-Z][A-Z0-9_]*_API_KEY",
    r"caf. \u2014 \x41",
    r"a.b",
    r"\s+\w+\d\W",
    r'"needed":\s*"[a-z:._,-]+"',
]
TEXTS = [
    "Rate limit reached for gpt-4o on tokens per min",
    "error: TOKEN_EXPIRED\n",
    "Error: listen EADDRINUSE: address already in use :::3000",
    "it failed\n",
    "it failed\r\n\r\n",
    "aabbc then port 3000",
    "x} +++ a\rb a\u2028b a\u00a0b",
    "OPENAI_API_KEY is undefined",
    "ÉTÉ \u017f \u212a café — a",  # long s and Kelvin sign: case-fold to s and k in some engines
    "emoji 😀 before\tthe 12! and after",
    '{"ok":false,"error":"missing_scope","needed":"chat:write"}',
    "\ufeffBOM then a\x85b a\x1cb",
]


def test_every_accepted_pattern_matches_the_same_text_in_python_and_the_browser(site_script) -> None:
    for pattern in ACCEPTED:
        assert dialect_problem(pattern) is None, pattern
    browser = site_script(
        "return data[0].map(p => data[1].map(t => {"
        " const m = new RegExp(p, 'i').exec(api.canonical(t)); return m && [m.index, m[0]]; }));",
        [ACCEPTED, TEXTS],
    )
    for pattern, row in zip(ACCEPTED, browser, strict=True):
        python = []
        for text in TEXTS:
            found = search(pattern, canonical_text(text))
            python.append(found and [found.start(), found.group(0)])
        assert python == row, pattern


def test_every_triage_cue_is_in_the_shared_subset() -> None:
    for cue in CUES:
        re.compile(cue.pattern, FLAGS)
        assert dialect_problem(cue.pattern) is None, cue.name


def test_canonical_text_folds_what_the_two_engines_read_differently() -> None:
    assert canonical_text("a\r\nb\rc\u00a0d\u2028e\ufeff😀 \n\n") == "a\nb\nc d e \ufffd"


def test_check_reports_a_python_only_signature_at_its_line_with_a_hint(tmp_path: Path, cli) -> None:
    kb = make_kb(tmp_path)
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"], signatures=["ok", r"/\Arate limited/"])
    path = write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "rate limited" in text)
    result = cli("check", cwd=kb)
    assert result.exit_code == 1
    assert f"runbooks/fallback/rb-fallback.yaml:{line}:" in result.output
    assert (
        "error[regex-dialect] signature '/\\\\Arate limited/' would match differently in the browser" in result.output
    )
    assert "hint: use ^" in result.output
