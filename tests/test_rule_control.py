"""Levels, selection and suppression comments, in detail (the overview is tests/test_check_compared.py)."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from opsbook.checks.report import PublicBuildRefused, run_check
from opsbook.records.suppressions import Suppression, find_suppressions
from opsbook.site.tree import DocsTree
from tests.kbfactory import dump, make_kb, runbook, write


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(make_kb(tmp_path / "kb"))
    return tmp_path / "kb"


def fake_token() -> str:
    """A GitHub-token-shaped value built at run time, so this file holds no key-shaped literal."""
    rng = random.Random(20)
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def codes_in(kb: Path, **options: object) -> list[str]:
    return [d.code for d in run_check(kb, use_index=False, **options).diagnostics]  # type: ignore[arg-type]


def test_unknown_code_in_the_configuration_is_located_at_its_key(kb: Path) -> None:
    write(kb / "opsbook.yml", "name: test\nchecks:\n  orphan-runbok: off\n")
    [diagnostic] = run_check(kb, use_index=False).diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.col) == ("opsbook.yml", 3, 3)
    assert diagnostic.message == "checks: 'orphan-runbok' is not a diagnostic code (did you mean 'orphan-runbook'?)"


def test_secret_scanning_cannot_be_turned_off(kb: Path) -> None:
    write(kb / "opsbook.yml", "name: test\nchecks:\n  placeholder: error\n  secret: off\n")
    [diagnostic] = run_check(kb, use_index=False).diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.code) == ("opsbook.yml", 4, "bad-value")
    assert "ignore[secret]" in diagnostic.message


def test_a_level_that_is_not_one_gets_a_suggestion(kb: Path) -> None:
    write(kb / "opsbook.yml", "checks:\n  placeholder: warn\n")
    [diagnostic] = run_check(kb, use_index=False).diagnostics
    assert diagnostic.message == (
        "checks.placeholder: expected one of 'error', 'warning', 'notice', 'off', found 'warn' "
        "(did you mean 'warning'?)"
    )


def test_select_names_a_code_the_configuration_turns_off(kb: Path) -> None:
    write(kb / "runbooks/fallback/lonely.yaml", runbook("lonely", "fallback"))
    write(kb / "opsbook.yml", "checks: {orphan-runbook: off}\n")
    assert codes_in(kb) == []
    assert codes_in(kb, select=["orphan-runbook"]) == ["orphan-runbook"]


def test_suppression_on_a_text_value_covers_its_lines(kb: Path) -> None:
    token = fake_token()
    text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"]))
    block = f"- action: Call the API\n  command: |\n    curl -H 'Authorization: token {token}' https://api.github.com\n"
    path = write(kb / "runbooks/fallback/rb-fallback.yaml", text.replace("verification:\n", "verification:\n" + block))
    assert codes_in(kb) == ["secret"]
    path.write_text(path.read_text().replace("command: |\n", "command: |  # opsbook: ignore[secret]\n"))
    assert codes_in(kb) == []


def test_the_same_words_inside_a_text_are_not_a_comment() -> None:
    text = (
        "command: \"echo '# opsbook: ignore[secret]'\"\n"
        "note: |\n  # opsbook: ignore[placeholder]\n"
        "ok: 1  # opsbook: ignore[orphan-runbook]\n"
    )
    suppressions, problems = find_suppressions(text, "r.yaml", yaml_comments=True)
    assert (suppressions, problems) == ([Suppression("orphan-runbook", 4, 4)], [])


def test_a_suppression_that_names_no_real_code_is_reported() -> None:
    text = "a: 1  # opsbook: ignore[secrte]\nb: 2  # opsbook: ignore\n"
    suppressions, problems = find_suppressions(text, "r.yaml", yaml_comments=True)
    assert suppressions == []
    assert [(d.line, d.code, d.level, d.message) for d in problems] == [
        (1, "suppression", "warning", "'secrte' is not a diagnostic code (did you mean 'secret'?)"),
        (2, "suppression", "warning", "`opsbook: ignore` names no code, so it suppresses nothing"),
    ]


def test_pages_under_docs_use_an_html_comment(kb: Path) -> None:
    token = fake_token()
    page = write(kb / "docs/setup.md", f"Use the token {token} here.\n")
    assert codes_in(kb) == ["secret"]
    page.write_text(f"Use the token {token} here. <!-- opsbook: ignore[secret] -->\n")
    assert codes_in(kb) == []


def test_suppressions_are_kept_in_the_index(kb: Path, cli: Callable[..., Result]) -> None:
    write(
        kb / "runbooks/fallback/lonely.yaml",
        dump(runbook("lonely", "fallback")) + "# opsbook: ignore-file[orphan-runbook]\n",
    )
    first = run_check(kb)
    second = run_check(kb)
    assert first.diagnostics == second.diagnostics == []


def test_the_public_build_honours_a_reviewed_secret(kb: Path) -> None:
    token = fake_token()
    text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"], keywords=[f"token {token}"]))
    path = write(kb / "runbooks/fallback/rb-fallback.yaml", text)
    with pytest.raises(PublicBuildRefused):
        DocsTree.open(kb, public=True)
    path.write_text(text.replace(token + "\n", token + "  # opsbook: ignore[secret]\n"))
    with DocsTree.open(kb, public=True) as tree:
        assert "runbooks/fallback/rb-fallback.md" in dict(tree.entries())


def test_export_public_honours_a_reviewed_secret(kb: Path, cli: Callable[..., Result]) -> None:
    token = fake_token()
    text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"], keywords=[f"token {token}"]))
    path = write(kb / "runbooks/fallback/rb-fallback.yaml", text)
    assert cli("export", "--public", cwd=kb).exit_code == 1
    path.write_text(text.replace(token + "\n", token + "  # opsbook: ignore[secret]\n"))
    assert cli("export", "--public", cwd=kb).exit_code == 0
