"""Likely credentials: every documented format is found and masked, look-alikes are left alone, YAML is
scanned as written and as decoded, and no diagnostic of any code prints a key in any output format.

Fake keys are built at run time (tests/secret_corpus.py), so this repository holds no key-shaped literal.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsbook.checks.report import run_check
from opsbook.records.diagnostics import Diagnostic
from opsbook.records.secret_patterns import RULES, _candidate_starts, find_secrets, mask_secrets
from opsbook.records.secrets import scan_text
from tests.kbfactory import make_kb, runbook, write
from tests.secret_corpus import Gen, build, look_alikes, rule_examples

ROOT = Path(__file__).resolve().parents[1]
DOCS_PAGE = ROOT / "docs/reference/secret-formats.md"


def documented(heading: str, column: int) -> list[str]:
    """The code-quoted values in one column of the table under `heading` in the docs page."""
    section = DOCS_PAGE.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ")][1:]
    return [re.fullmatch(r"\s*`([^`]+)`\s*", row[column]).group(1) for row in rows]  # type: ignore[union-attr]


def stripe_key(seed: int = 7) -> str:
    return "sk_" + "live_51" + Gen(seed).s(40)


def covers(text: str, secret: str) -> bool:
    start = text.index(secret)
    return any(s.start < start + len(secret) and start < s.end for s in find_secrets(text))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_at_least_47_of_49_fakes_found_and_at_most_1_of_20_look_alikes_reported(seed: int) -> None:
    corpus = build(Gen(seed))
    found = [item["format"] for item in corpus["detect"] if covers(item["text"], item["secret"])]
    false_alarms = [item["kind"] for item in corpus["allow"] if find_secrets(item["text"])]
    assert (len(corpus["detect"]), len(corpus["allow"])) == (49, 20)
    assert len(found) >= 47, sorted({item["format"] for item in corpus["detect"]} - set(found))
    assert len(false_alarms) <= 1, false_alarms


def test_the_docs_page_lists_every_rule_that_reports() -> None:
    assert sorted(documented("Formats detected", 1)) == sorted(rule.id for rule in RULES if not rule.public)


@pytest.mark.parametrize("rule", documented("Formats detected", 1))
def test_each_documented_format_is_found_by_its_rule(rule: str) -> None:
    for seed in (1, 2):
        for text in rule_examples(Gen(seed))[rule]:
            assert rule in [secret.rule.id for secret in find_secrets(text)], text


def test_the_docs_page_lists_every_tested_look_alike() -> None:
    assert sorted(documented("Look-alikes tolerated", 1)) == sorted(look_alikes(Gen(1)))


@pytest.mark.parametrize("case", documented("Look-alikes tolerated", 1))
def test_each_documented_look_alike_is_not_reported(case: str) -> None:
    for seed in (1, 2):
        assert find_secrets(look_alikes(Gen(seed))[case]) == []


def test_masking_shows_a_prefix_and_the_length_never_the_end() -> None:
    for item in build(Gen(3))["detect"]:
        masked = mask_secrets(item["text"])
        tail = item["secret"].strip()[-6:]
        assert tail not in masked, item["format"]
        assert find_secrets(masked) == [], item["format"]
        assert mask_secrets(masked) == masked
    key = stripe_key()
    assert mask_secrets(f"status: {key} here") == f"status: sk_live_… ({len(key)} characters) here"


def test_a_diagnostic_masks_its_message_and_hint_whatever_its_code() -> None:
    key = stripe_key()
    diagnostic = Diagnostic("r.yaml", 3, 9, "bad-value", f"status: {key!r} is not one of 'draft'", hint=f"not {key}")
    for output in (diagnostic.as_text(), diagnostic.as_github(), json.dumps(diagnostic.as_dict())):
        assert key not in output and key[:-4] not in output
    assert "sk_live_…" in diagnostic.message and "sk_live_…" in (diagnostic.hint or "")


def test_a_secret_is_reported_at_its_line_and_column() -> None:
    key = stripe_key()
    text = f"first line\n  command: stripe refunds create --api-key {key} done\n"
    [diagnostic] = scan_text(text, "r.yaml")
    assert (diagnostic.code, diagnostic.line, diagnostic.col) == ("secret", 2, text.splitlines()[1].index(key) + 1)
    assert "Stripe secret key" in diagnostic.message and key not in diagnostic.as_text()


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "kb")


def secret_findings(kb: Path) -> list[Diagnostic]:
    return [d for d in run_check(kb, use_index=False).diagnostics if d.code == "secret"]


def line_of(path: Path, needle: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_a_key_written_with_a_yaml_escape_is_found_at_its_value(kb: Path) -> None:
    key = stripe_key()
    escaped = "\\x73" + key[1:]
    path = write(
        kb / "runbooks/fallback/rb-fallback.yaml", runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    )
    path.write_text(path.read_text().replace("summary: ", f'summary: "Use {escaped} here." #', 1))
    [finding] = secret_findings(kb)
    assert finding.line == line_of(path, escaped) and finding.col == len("summary: ") + 1
    assert "Stripe secret key" in finding.message


def test_a_key_split_by_a_line_continuation_gives_one_finding(kb: Path) -> None:
    key = stripe_key()
    path = write(
        kb / "runbooks/fallback/rb-fallback.yaml", runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    )
    split = f'"Use {key[:20]}\\\n  {key[20:]} here." #'
    path.write_text(path.read_text().replace("summary: ", f"summary: {split}", 1))
    findings = secret_findings(kb)
    assert len(findings) == 1 and findings[0].line == line_of(path, key[:20])


def test_a_key_in_a_record_that_fails_validation_is_still_reported(kb: Path) -> None:
    key = stripe_key()
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"], status=key)
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    report = run_check(kb, use_index=False)
    assert {"bad-value", "secret"} <= {d.code for d in report.diagnostics}
    assert key not in report.render("text")


def test_a_key_in_a_file_yaml_cannot_parse_is_still_reported(kb: Path) -> None:
    key = stripe_key()
    write(kb / "runbooks/fallback/broken.yaml", f"id: broken\nsummary: [unclosed {key}\n")
    codes = {d.code for d in run_check(kb, use_index=False).diagnostics if d.path.endswith("broken.yaml")}
    assert codes == {"yaml-syntax", "secret"}


def test_every_diagnostic_that_quotes_a_key_masks_it_in_every_format(kb: Path, cli) -> None:
    key = stripe_key()
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"], visibility=key)
    record[key] = "an unknown field named after a key"
    write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    write(kb / "runbooks/tool-policy/rb-tool-policy.yaml", runbook("rb-tool-policy", key, related=["rb-fallback"]))
    regex = runbook("rb-auth-drift", "auth-drift", related=["rb-fallback"], signatures=[f"/({key}/"])
    write(kb / "runbooks/auth-drift/rb-auth-drift.yaml", regex)
    for output_format in ("text", "json", "github"):
        result = cli("check", "--format", output_format, cwd=kb)
        assert result.exit_code == 1 and key not in result.output and key[8:] not in result.output
        assert "sk_live_…" in result.output
    codes = {d.code for d in run_check(kb, use_index=False).diagnostics}
    assert {"bad-value", "unknown-key", "bad-regex", "secret"} <= codes


def test_every_file_under_docs_is_scanned_not_only_markdown(kb: Path) -> None:
    key = stripe_key()
    write(kb / "docs/notes.md", f"# Notes\n\nOur key is {key}\n")
    write(kb / "docs/env.example", f"STRIPE_SECRET_KEY={key}\n")
    write(kb / "docs/assets/config.json", json.dumps({"stripe": {"key": key}}))
    (kb / "docs/assets/utf16.txt").write_bytes(codecs.BOM_UTF16_LE + f"key {key}\n".encode("utf-16-le"))
    found = sorted((Path(d.path).name, d.line) for d in secret_findings(kb))
    assert found == [("config.json", 1), ("env.example", 1), ("notes.md", 3), ("utf16.txt", 1)]


def test_a_binary_file_under_docs_is_scanned_for_the_text_in_it(kb: Path) -> None:
    key = stripe_key()
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    (kb / "docs/assets").mkdir(parents=True)
    (kb / "docs/assets/clean.png").write_bytes(png)
    (kb / "docs/assets/leaky.png").write_bytes(png + b"tEXtComment\x00" + key.encode() + b"\x00" + png)
    [finding] = secret_findings(kb)
    assert finding.path.endswith("leaky.png") and key not in finding.as_text()


def test_the_bundled_knowledge_base_holds_no_secrets() -> None:
    assert [d for d in run_check(ROOT, use_index=False).diagnostics if d.code == "secret"] == []


def candidates_by_plain_search(text: str) -> dict[int, set[int]]:
    """Where each rule may match, found the slow, obvious way: every keyword looked for on its own."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(character.lower() if character.isascii() else character for character in text)
    candidates: dict[int, set[int]] = {}
    for index, rule in enumerate(RULES):
        for keyword in rule.keywords:
            position = lowered.find(keyword)
            while position >= 0:
                start = position
                while start > max(0, position - 100) and text[start - 1] in rule.lead:
                    start -= 1
                candidates.setdefault(index, set()).add(start)
                position = lowered.find(keyword, position + 1)
    return candidates


KEYWORD_SOUP = sorted(
    {keyword for rule in RULES for keyword in rule.keywords} | {"İ", "\u212a", "\ud800", "K", "_", "-", " ", "\n"}
)


@given(st.lists(st.sampled_from(KEYWORD_SOUP) | st.text(max_size=3), max_size=60).map("".join))
@settings(max_examples=400, deadline=None)
def test_the_keyword_search_finds_every_occurrence_a_plain_search_finds(text: str) -> None:
    """Overlapping keywords (`--` in `-----`), keywords shared by rules, case, `İ` (two characters when lowered)
    and lone surrogates (a mis-decoded byte) included."""
    assert _candidate_starts(text) == candidates_by_plain_search(text)
