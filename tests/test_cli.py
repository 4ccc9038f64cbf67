"""The command line: output formats, exit codes, and no tracebacks for anything a user can do."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.kbfactory import dump, make_kb, runbook, write


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "kb")


def break_one_runbook(kb: Path) -> Path:
    """A misspelt key in a runbook of a class that has a second, valid runbook (so no class is uncovered)."""
    write(kb / "runbooks/fallback/rb-fallback-2.yaml", runbook("rb-fallback-2", "fallback", related=["rb-fallback"]))
    text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"]))
    return write(kb / "runbooks/fallback/rb-fallback.yaml", text.replace("mitigation:", "mitigaton:"))


def test_clean_knowledge_base_exits_zero(kb: Path, cli) -> None:
    result = cli("check", cwd=kb)
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_misspelt_key_is_reported_with_line_col_and_suggestion(kb: Path, cli) -> None:
    path = break_one_runbook(kb)
    line = path.read_text().splitlines().index("mitigaton:") + 1
    result = cli("check", cwd=kb)
    assert result.exit_code == 1
    assert (
        f"runbooks/fallback/rb-fallback.yaml:{line}:1: error[unknown-key] 'mitigaton' is not a field of a "
        "runbook (did you mean 'mitigation'?)" in result.output
    )


def test_one_bad_file_does_not_stop_the_others(kb: Path, cli) -> None:
    write(kb / "runbooks/fallback/broken.yaml", "id: [unclosed\n")
    write(
        kb / "runbooks/tool-policy/rb-tool-policy.yaml",
        runbook("rb-tool-policy", "tool-policy", related=["rb-auth-drift"], signatures=["/(/"]),
    )
    output = cli("check", cwd=kb).output
    assert "broken.yaml:2:1: error[yaml-syntax]" in output
    assert "rb-tool-policy.yaml" in output and "bad-regex" in output


def test_json_format_is_an_object_with_all_fields(kb: Path, cli) -> None:
    break_one_runbook(kb)
    result = cli("check", "--format", "json", cwd=kb)
    payload = json.loads(result.output)
    assert payload["errors"] == 1 and payload["files_checked"] == 7
    [diagnostic] = payload["diagnostics"]
    assert set(diagnostic) == {"path", "line", "col", "code", "level", "message", "hint"}
    assert diagnostic["level"] == "error" and diagnostic["code"] == "unknown-key"


def test_github_format_lines_are_workflow_commands(kb: Path, cli) -> None:
    break_one_runbook(kb)
    output = cli("check", "--format", "github", cwd=kb).output.strip()
    assert re.fullmatch(r"::error file=[^,]+,line=\d+,col=\d+,title=unknown-key::\[unknown-key\] .+", output)


def test_check_of_one_file_reports_only_that_file(kb: Path, cli) -> None:
    break_one_runbook(kb)
    write(kb / "runbooks/fallback/broken.yaml", "id: [unclosed\n")
    output = cli("check", "runbooks/fallback/broken.yaml", cwd=kb).output
    assert "broken.yaml" in output and "rb-fallback.yaml" not in output


def test_usage_error_exits_two(kb: Path, cli) -> None:
    assert cli("check", "--format", "xml", cwd=kb).exit_code == 2
    assert cli("check", "no/such/path", cwd=kb).exit_code == 2


def test_internal_error_exits_three_with_one_line_and_debug_hint(kb: Path, cli, monkeypatch) -> None:
    import opsbook.checks.report

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(opsbook.checks.report, "run_check", explode)
    result = cli("check", cwd=kb)
    assert result.exit_code == 3
    assert "internal error: RuntimeError: boom" in result.output and "--debug" in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(kb: Path, cli, monkeypatch) -> None:
    import opsbook.checks.report

    monkeypatch.setattr(opsbook.checks.report, "run_check", lambda *a, **k: 1 / 0)
    result = cli("--debug", "check", cwd=kb)
    assert result.exit_code == 3 and "Traceback" in result.output


def test_console_script_runs_without_traceback_on_bad_input(kb: Path) -> None:
    write(kb / "runbooks/fallback/bad.yaml", b"\xff\xfe not utf-8".decode("latin-1"))
    (kb / "runbooks/fallback/bad.yaml").write_bytes(b"id: \xff\n")
    result = subprocess.run(
        [sys.executable, "-m", "opsbook", "check"],
        cwd=kb,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "bad.yaml:1:5: error[encoding]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_version(cli) -> None:
    assert cli("--version").output.startswith("opsbook, version ")


def test_export_to_a_path_that_cannot_be_written_is_a_user_error(kb: Path, cli) -> None:
    result = cli("export", "--out", "/proc/opsbook-export.json", cwd=kb)
    assert result.exit_code == 1 and "cannot write /proc/opsbook-export.json" in result.output
    assert "internal error" not in result.output


def built_pages(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.md")}


def test_build_force_replaces_the_whole_earlier_build(kb: Path, cli) -> None:
    out = kb / "build/docs"
    assert cli("build", "--out", str(out), cwd=kb).exit_code == 0
    assert "runbooks/fallback/rb-fallback.md" in built_pages(out)
    (kb / "runbooks/fallback/rb-fallback.yaml").unlink()
    (out / "stale-extra.md").write_text("left over from somewhere\n")
    result = cli("build", "--out", str(out), "--force", cwd=kb)
    assert result.exit_code in (0, 1), result.output
    pages = built_pages(out)
    assert "runbooks/fallback/rb-fallback.md" not in pages and "stale-extra.md" not in pages
    assert "runbooks/auth-drift/rb-auth-drift.md" in pages
    assert sorted(p.name for p in out.parent.iterdir()) == ["docs"]


def test_build_force_never_replaces_a_folder_it_did_not_write(kb: Path, cli) -> None:
    mine = kb / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine\n")
    result = cli("build", "--out", str(mine), "--force", cwd=kb)
    assert result.exit_code == 1 and "did not write" in result.output
    assert [p.name for p in mine.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("name", ["new\nline.yaml", "rtl\u202eevil.yaml", "esc\x1b[31mred.yaml", "del\x7f.yaml"])
def test_file_names_are_printed_escaped_in_text_and_github_output(kb: Path, cli, name: str) -> None:
    (kb / "runbooks/fallback" / name).write_text("id: [unclosed\n")
    for output_format in ("text", "github"):
        output = cli("check", "--format", output_format, cwd=kb).output
        assert not any(c in output for c in "\x1b\u202e\x7f\r"), repr(output)
        [line] = [line for line in output.splitlines() if "yaml-syntax" in line]
        assert repr(name)[1:-1] in line.replace("%3A", ":")
    [entry] = [d for d in json.loads(cli("check", "--format", "json", cwd=kb).output)["diagnostics"]]
    assert entry["path"] == f"runbooks/fallback/{name}"


def test_linked_folders_and_yml_records_are_reported_not_skipped(kb: Path, tmp_path: Path, cli) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere / "rb-elsewhere.yaml", runbook("rb-elsewhere", "fallback"))
    (kb / "runbooks/linked").symlink_to(elsewhere, target_is_directory=True)
    write(kb / "incidents/2026/2026-11-20-typo.yml", "id: 2026-11-20-typo\n")
    result = cli("check", "--format", "json", cwd=kb)
    found = {(d["path"], d["code"], d["level"]) for d in json.loads(result.output)["diagnostics"]}
    assert found == {
        ("runbooks/linked", "skipped", "warning"),
        ("incidents/2026/2026-11-20-typo.yml", "skipped", "warning"),
    }
    assert result.exit_code == 0 and cli("check", "--strict", cwd=kb).exit_code == 1


@pytest.fixture
def nested() -> Iterator[Callable[[Path, int], Path]]:
    """Makes `folder`/d/…/d, `depth` levels down, and removes it after the test: os.makedirs and pytest's
    own clean-up (shutil.rmtree) recurse once per level and fail on such a tree."""
    tops: list[Path] = []

    def make(folder: Path, depth: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        tops.append(folder / "d")
        for _ in range(depth):
            folder = folder / "d"
            folder.mkdir()
        return folder

    yield make
    for top in tops:
        levels = [top]
        while (levels[-1] / "d").is_dir():
            levels.append(levels[-1] / "d")
        for folder in reversed(levels):
            for entry in folder.iterdir():
                entry.unlink()
            folder.rmdir()


def test_a_thousand_nested_folders_are_checked_and_built(kb: Path, cli, nested) -> None:
    deep_record = nested(kb / "runbooks/fallback", 1000) / "rb-deep.yaml"
    write(deep_record, runbook("rb-deep", "fallback", related=["rb-auth-drift"]))
    deep_page = nested(kb / "docs", 1000) / "deep.md"
    deep_page.write_text("# Deep\n\nUses sk_" + "live_" + "Q8w3Zr7TpK2mXv9LbN4cYd6H\n")
    result = cli("check", "--format", "json", cwd=kb)
    found = {(d["path"].rsplit("/", 1)[-1], d["code"]) for d in json.loads(result.output)["diagnostics"]}
    assert result.exit_code == 1 and found == {("rb-deep.yaml", "class-folder"), ("deep.md", "secret")}
    assert cli("build", "--out", str(kb / "out"), cwd=kb).exit_code == 1
    nested(kb / "out", 0)  # the tree holds a copy of the deep page: removed with the others
    assert (kb / "out/runbooks/auth-drift/rb-auth-drift.md").is_file()
    public = cli("build", "--public", "--out", str(kb / "public"), cwd=kb)
    assert public.exit_code == 1 and "refuses" in public.output


def test_env_check_reads_source_a_thousand_folders_deep(tmp_path: Path, cli, nested) -> None:
    manifest = Path(__file__).resolve().parent / "data/envapp/environment.yaml"
    (nested(tmp_path / "src", 1000) / "deep.ts").write_text("const key = process.env.UNDECLARED_DEEP;\n")
    result = cli("env", "check", "--manifest", str(manifest), "--src", str(tmp_path / "src"), cwd=tmp_path)
    assert result.exit_code == 1 and "UNDECLARED_DEEP is read here but not declared" in result.output
