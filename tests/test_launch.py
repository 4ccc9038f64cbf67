"""The `opsbook` command as installed: the early-forked checker never changes an answer or an exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.kbfactory import make_kb, runbook, write

OPSBOOK = str(Path(sys.executable).with_name("opsbook"))


def opsbook(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPSBOOK, *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
    )


def test_a_warm_check_with_a_changed_file_matches_a_check_without_cache(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    assert opsbook("check", cwd=kb).returncode == 0
    write(kb / "runbooks/fallback/rb-fallback.yaml", runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    warm = opsbook("check", cwd=kb)
    assert warm.returncode == 1 and "dangling-ref" in warm.stdout
    assert warm.stdout == opsbook("check", "--no-index", cwd=kb).stdout


def test_a_global_option_before_check_still_checks(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    opsbook("check", cwd=kb)
    result = opsbook("--debug", "check", "--format", "json", cwd=kb)
    assert result.returncode == 0 and '"errors": 0' in result.stdout


def test_a_usage_error_after_the_early_fork_is_still_a_usage_error(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    opsbook("check", cwd=kb)
    result = opsbook("check", "--no-such-option", cwd=kb)
    assert result.returncode == 2 and "No such option" in result.stderr
    assert opsbook("check", "--help", cwd=kb).returncode == 0
