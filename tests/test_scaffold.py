"""`opsbook new` and `opsbook init`: templates that pass check, atomic writes, nothing overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from opsbook.checks.report import run_check
from tests.kbfactory import make_kb


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "kb")


def test_new_runbook_passes_check_and_strict_reports_placeholders(kb: Path, cli) -> None:
    result = cli("new", "runbook", "--class", "fallback", "--id", "openai-429-no-fallback", cwd=kb)
    assert result.exit_code == 0, result.output
    path = kb / "runbooks/fallback/openai-429-no-fallback.yaml"
    assert path.read_text().startswith("# yaml-language-server: $schema=../../schema/runbook.schema.json")
    report = run_check(kb, use_index=False)
    assert [d for d in report.diagnostics if d.is_error] == []
    assert {d.code for d in report.diagnostics} >= {"placeholder"}
    assert report.exit_code(strict=False) == 0 and report.exit_code(strict=True) == 1


def test_new_incident_passes_check(kb: Path, cli) -> None:
    result = cli(
        "new",
        "incident",
        "--title",
        "Webhook 400s after deploy!",
        "--class",
        "auth-drift",
        "--date",
        "2026-11-03",
        cwd=kb,
    )
    assert result.exit_code == 0, result.output
    path = kb / "incidents/2026/2026-11-03-webhook-400s-after-deploy.yaml"
    assert path.is_file()
    errors = [d for d in run_check(kb, use_index=False).diagnostics if d.is_error]
    assert errors == []


@pytest.mark.parametrize(
    ("title", "file"),
    [
        ("Café outage", "2026-11-03-cafe-outage.yaml"),
        ("Сбой оплаты после деплоя", "2026-11-03-sboi-oplaty-posle-deploia.yaml"),
        ("Ölfeld: 401 on the fallback — again", "2026-11-03-olfeld-401-on-the-fallback-again.yaml"),
    ],
)
def test_incident_ids_keep_the_words_of_any_title(kb: Path, cli, title: str, file: str) -> None:
    result = cli("new", "incident", "--title", title, "--date", "2026-11-03", cwd=kb)
    assert result.exit_code == 0, result.output
    assert (kb / "incidents/2026" / file).is_file()
    assert [d for d in run_check(kb, use_index=False).diagnostics if d.is_error] == []


def test_a_long_title_is_cut_at_a_word(kb: Path, cli) -> None:
    title = "Fallback model answered in another JSON shape and the citation parser rejected every reply for hours"
    assert cli("new", "incident", "--title", title, "--date", "2026-11-03", cwd=kb).exit_code == 0
    [path] = (kb / "incidents/2026").glob("2026-11-03-fallback-*.yaml")
    assert path.stem == "2026-11-03-fallback-model-answered-in-another-json-shape-and-the"


def test_a_title_without_letters_or_digits_is_a_usage_error(kb: Path, cli) -> None:
    result = cli("new", "incident", "--title", "!!! ???", cwd=kb)
    assert result.exit_code == 2 and "needs at least one letter or digit" in result.output


def test_new_never_overwrites_without_force(kb: Path, cli) -> None:
    target = kb / "runbooks/fallback/rb-fallback.yaml"
    before = target.read_text()
    result = cli("new", "runbook", "--class", "fallback", "--id", "rb-fallback", cwd=kb)
    assert result.exit_code == 1 and "already exists; pass --force" in result.output
    assert target.read_text() == before
    assert cli("new", "runbook", "--class", "fallback", "--id", "rb-fallback", "--force", cwd=kb).exit_code == 0
    assert target.read_text() != before


def test_bad_id_and_bad_date_are_usage_errors(kb: Path, cli) -> None:
    assert cli("new", "runbook", "--class", "fallback", "--id", "../escape", cwd=kb).exit_code == 2
    assert cli("new", "incident", "--title", "x", "--date", "2026-13-01", cwd=kb).exit_code == 2
    assert not list(kb.rglob("*escape*"))


def test_concurrent_new_with_the_same_id_leaves_one_file_and_one_error(kb: Path) -> None:
    command = [sys.executable, "-m", "opsbook", "new", "runbook", "--class", "tool-policy", "--id", "race"]

    def attempt(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=kb, capture_output=True, text=True, stdin=subprocess.DEVNULL)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert sorted(r.returncode for r in results) == [0, 1, 1, 1, 1, 1]
    assert all("already exists" in r.stderr for r in results if r.returncode)
    folder = kb / "runbooks/tool-policy"
    assert sorted(p.name for p in folder.iterdir()) == ["race.yaml", "rb-tool-policy.yaml"]


def test_written_files_are_readable_by_others(kb: Path, cli) -> None:
    cli("new", "runbook", "--class", "fallback", "--id", "mode-check", cwd=kb)
    mode = os.stat(kb / "runbooks/fallback/mode-check.yaml").st_mode & 0o777
    assert mode & 0o044 == 0o044


def test_init_refuses_a_non_empty_folder(tmp_path: Path, cli) -> None:
    target = tmp_path / "kb"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = cli("init", str(target), cwd=tmp_path)
    assert result.exit_code == 1 and "not empty" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_init_force_keeps_unrelated_files(tmp_path: Path, cli) -> None:
    target = tmp_path / "kb"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert cli("init", str(target), "--force", cwd=tmp_path).exit_code == 0
    assert (target / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_init_then_check_then_mkdocs_build(tmp_path: Path, cli) -> None:
    target = tmp_path / "kb"
    assert cli("init", str(target), "--name", "Acme", cwd=tmp_path).exit_code == 0
    assert run_check(target, use_index=False).diagnostics == []
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=target,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert build.returncode == 0, build.stderr
    assert (tmp_path / "site/runbooks/fallback/primary-rate-limited-no-failover/index.html").is_file()


def errors_in(kb: Path) -> list[str]:
    return [d.as_text() for d in run_check(kb, use_index=False).diagnostics if d.is_error]


def test_new_incident_with_the_default_class_passes_check(kb: Path, cli) -> None:
    assert cli("new", "incident", "--title", "Something odd", "--date", "2026-11-03", cwd=kb).exit_code == 0
    text = (kb / "incidents/2026/2026-11-03-something-odd.yaml").read_text()
    assert "failure_classes: [other]" in text and "other_class_note:" in text
    assert errors_in(kb) == []


def test_a_title_with_control_characters_writes_yaml_that_reads_back(kb: Path, cli) -> None:
    title = "Queue \x7f stalled \x85 after \x9b deploy \x1b[31m"
    assert cli("new", "incident", "--title", title, "--date", "2026-11-03", cwd=kb).exit_code == 0
    [path] = (kb / "incidents/2026").glob("2026-11-03-queue-*.yaml")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["title"] == title
    assert errors_in(kb) == []
    owner = "team\x7f\x9b"
    assert cli("new", "runbook", "--class", "fallback", "--id", "odd-owner", "--owner", owner, cwd=kb).exit_code == 0
    assert yaml.safe_load((kb / "runbooks/fallback/odd-owner.yaml").read_text())["owner"] == owner


def make_unwritable(folder: Path) -> None:
    """A folder no file can be created in, for root too: root ignores permissions but not sysfs."""
    if os.geteuid() == 0:
        folder.symlink_to("/sys/kernel", target_is_directory=True)
    else:
        folder.mkdir()
        folder.chmod(0o555)


def test_new_into_a_folder_that_cannot_be_written_is_a_user_error(kb: Path, cli) -> None:
    make_unwritable(kb / "incidents/2025")
    result = cli("new", "incident", "--title", "Nowhere to go", "--date", "2025-06-01", cwd=kb)
    assert result.exit_code == 1 and "cannot write" in result.output and "internal error" not in result.output
    assert "incidents/2025/2025-06-01-nowhere-to-go.yaml" in result.output
