"""The benchmark's knowledge-base generator: deterministic by seed, and clean apart from its bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scripts import load_script

RECORDS = 60

kbgen = load_script("kbgen")


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOOK_TODAY", kbgen.TODAY.isoformat())


def test_same_seed_gives_a_byte_identical_tree(tmp_path: Path) -> None:
    first = kbgen.generate(tmp_path / "a", RECORDS, seed=7)
    second = kbgen.generate(tmp_path / "b", RECORDS, seed=7)
    assert first == second
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_another_seed_gives_another_tree(tmp_path: Path) -> None:
    kbgen.generate(tmp_path / "a", RECORDS, seed=7)
    kbgen.generate(tmp_path / "b", RECORDS, seed=8)
    assert tree(tmp_path / "a") != tree(tmp_path / "b")


def test_counts_match_the_files_written(tmp_path: Path) -> None:
    counts = kbgen.generate(tmp_path, RECORDS, seed=7)
    files = tree(tmp_path)
    runbooks = [p for p in files if p.startswith("runbooks/")]
    incidents = [p for p in files if p.startswith("incidents/")]
    assert counts["records"] == RECORDS == len(runbooks) + len(incidents)
    assert (counts["runbooks"], counts["incidents"]) == (len(runbooks), len(incidents))
    assert counts["bad_files"] == len(counts["bad_paths"]) == 5
    assert set(counts["bad_paths"]) <= set(files)
    assert 0.05 <= len(runbooks) / RECORDS <= 0.15


@pytest.mark.parametrize("bad_files", [5, len(kbgen.BAD_KINDS)])
def test_only_the_bad_files_have_errors(tmp_path: Path, cli, bad_files: int) -> None:
    counts = kbgen.generate(tmp_path, RECORDS, seed=7, bad_files=bad_files)
    bad = set(counts["bad_paths"])
    assert len(bad) == bad_files

    result = cli("check", "--format", "json", "--no-index", cwd=tmp_path)
    report = json.loads(result.output)
    assert result.exit_code == 1
    error_files = {d["path"] for d in report["diagnostics"] if d["level"] == "error"}
    assert error_files == bad
    codes = {d["path"]: d["code"] for d in report["diagnostics"] if d["level"] == "error"}
    assert codes == counts["bad_paths"]

    for path in bad:
        (tmp_path / path).unlink()
    result = cli("check", "--strict", "--format", "json", "--no-index", cwd=tmp_path)
    report = json.loads(result.output)
    assert (report["errors"], report["warnings"]) == (0, 0), report["diagnostics"]
    assert result.exit_code == 0
