"""The check cache never changes an answer: warm runs equal cold runs, whatever was edited or broken."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.index.cache import BASE, DELTA, Cache
from opsbook.checks.report import run_check
from opsbook.index.scan import CACHE_DIR
from opsbook.index.prefork import Checker
from tests.kbfactory import dump, incident, make_kb, runbook, write

EDITS = st.sampled_from(
    [
        "typo",
        "dangling",
        "fix",
        "touch",
        "delete",
        "new",
        "break-yaml",
        "same-size",
        "rename",
        "duplicate",
        "self-ref",
        "late-incident",
        "overdue",
        "config",
        "docs-secret",
        "catalog",
        "shift",
        "shift-incident",
    ]
)
FALLBACK = "runbooks/fallback/rb-fallback.yaml"


def apply(kb: Path, edit: str, step: int) -> None:
    target = kb / FALLBACK
    if edit == "typo":
        write(
            target,
            dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"])).replace("owner:", "ownr:"),
        )
    elif edit == "dangling":
        write(target, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    elif edit == "fix":
        write(target, runbook("rb-fallback", "fallback", related=["rb-auth-drift"]))
    elif edit == "touch" and target.exists():
        os.utime(target, ns=(step * 1_000_000_000, step * 1_000_000_000))
    elif edit == "delete":
        target.unlink(missing_ok=True)
    elif edit == "new":
        write(
            kb / f"incidents/2026/2026-11-2{step % 8}-extra.yaml",
            incident(f"2026-11-2{step % 8}-extra", runbooks_used=[{"runbook": "rb-fallback", "helped": "no"}]),
        )
    elif edit == "break-yaml":
        write(target, "id: [unclosed\n")
    elif edit == "same-size" and target.exists():
        text = target.read_text()
        write(target, text.replace("platform", "plotform", 1))
    elif edit == "rename":
        write(target, runbook("rb-fallbak", "fallback", related=["rb-auth-drift"]))
    elif edit == "duplicate":
        write(kb / "runbooks/fallback/a-copy.yaml", runbook("rb-fallback", "fallback", status="deprecated"))
    elif edit == "self-ref":
        write(target, runbook("rb-fallback", "fallback", related=["rb-fallback"]))
    elif edit == "late-incident":
        late = incident(
            "2026-11-23-late",
            timestamps={"started": "2026-11-23T10:00:00Z", "resolved": "2026-11-23T12:00:00Z"},
            runbooks_used=[{"runbook": "rb-fallback", "helped": "partly"}],
        )
        write(kb / "incidents/2026/2026-11-23-late.yaml", late)
    elif edit == "overdue":
        items = [{"id": "p0-fix", "title": "Fix it", "type": "prevent", "priority": "P0", "due": "2026-11-01"}]
        write(kb / "incidents/2026/2026-11-17-webhook-secret.yaml", incident(action_items=items))
    elif edit == "config":
        gate = "[P0, P1]" if step % 2 else "[P0]"
        write(kb / "opsbook.yml", f"name: test\naction_items:\n  strict_gate: {gate}\n")
    elif edit == "docs-secret":
        write(kb / "docs/notes.md", f"# Notes {step}\n\nOPENAI_API_KEY=sk-proj-{'Ab3x' * 12}\n")
    elif edit == "shift" and target.exists():
        write(target, "# moved down\n" * (step % 3 + 1) + target.read_text())
    elif edit == "shift-incident":
        path = kb / "incidents/2026/2026-11-17-webhook-secret.yaml"
        write(path, "# moved down\n" + path.read_text())
    elif edit == "catalog":
        write(kb / "catalog/workflows.yaml", "workflows: [" if step % 2 else "workflows: []\n")


def diagnostics(kb: Path, cached: bool) -> list[str]:
    return [d.as_text() for d in sorted(run_check(kb, use_cache=cached).diagnostics)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDITS, min_size=1, max_size=6))
def test_warm_runs_equal_cold_runs_after_any_edits(tmp_path_factory, edits: list[str]) -> None:
    kb = make_kb(tmp_path_factory.mktemp("kb"))
    diagnostics(kb, cached=True)
    for step, edit in enumerate(edits, 1):
        apply(kb, edit, step)
        assert diagnostics(kb, cached=True) == diagnostics(kb, cached=False), edits[:step]


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    expected = diagnostics(kb, cached=False)
    diagnostics(kb, cached=True)
    (kb / CACHE_DIR / BASE).write_bytes(b"\x80\x04 not a pickle")
    (kb / CACHE_DIR / DELTA).write_bytes(b"garbage")
    assert diagnostics(kb, cached=True) == expected


def test_cache_from_other_code_is_ignored(tmp_path: Path, monkeypatch) -> None:
    kb = make_kb(tmp_path)
    diagnostics(kb, cached=True)
    write(kb / "runbooks/fallback/rb-fallback.yaml", "id: [\n")
    monkeypatch.setattr("opsbook.index.cache._code_fingerprint", lambda: "another version")
    assert Cache.open(kb).entries == {}


def test_small_changes_write_only_the_delta(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    diagnostics(kb, cached=True)
    base = kb / CACHE_DIR / BASE
    before = base.stat().st_mtime_ns
    write(kb / "runbooks/fallback/rb-fallback.yaml", runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    diagnostics(kb, cached=True)
    assert base.stat().st_mtime_ns == before and (kb / CACHE_DIR / DELTA).exists()
    assert len(Cache.open(kb).changed) == 1


def test_unreadable_cache_folder_still_checks(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    (kb / CACHE_DIR).write_text("a file where the folder should be")
    assert diagnostics(kb, cached=True) == diagnostics(kb, cached=False)


def test_a_new_day_reruns_the_date_dependent_checks(tmp_path: Path, monkeypatch) -> None:
    kb = make_kb(tmp_path)
    diagnostics(kb, cached=True)
    monkeypatch.setenv("OPSBOOK_TODAY", "2027-06-01")
    warm = diagnostics(kb, cached=True)
    assert warm == diagnostics(kb, cached=False)
    assert any("stale-runbook" in line for line in warm)


def in_fresh_interpreter(script: str, cwd: Path) -> str:
    """Run `script` in a new, single-threaded Python: the checker is never forked from a threaded process,
    and earlier tests (the browser ones) leave threads in this one."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: no checker is forked")
    result = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_failed_pre_forked_checker_only_means_checking_in_process(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    in_fresh_interpreter("from pathlib import Path; from opsbook.checks.report import run_check; run_check(Path('.'))", kb)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    script = """
import os
from pathlib import Path
from opsbook import check, prefork
prefork._serve = lambda tasks, results: os._exit(1)
checker = prefork.Checker.start()
assert checker is not None
prefork.Checker.start = classmethod(lambda cls: checker)
warm = sorted(d.as_text() for d in check.run_check(Path(".")).diagnostics)
assert checker.finished
assert warm == sorted(d.as_text() for d in check.run_check(Path("."), use_cache=False).diagnostics)
print(warm)
"""
    assert "dangling-ref" in in_fresh_interpreter(script, kb)


def test_an_unchanged_knowledge_base_is_answered_without_the_validator(tmp_path: Path, monkeypatch) -> None:
    kb = make_kb(tmp_path)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    monkeypatch.chdir(kb)
    diagnostics(kb, cached=True)
    script = (
        "import sys; from pathlib import Path; from opsbook.checks.report import run_check; "
        f"report = run_check(Path({str(kb)!r})); "
        "assert any(d.code == 'dangling-ref' for d in report.diagnostics); "
        "loaded = [m for m in ('pydantic', 'yaml') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=kb)


def test_the_pre_forked_checker_checks_the_files_it_is_given(tmp_path: Path) -> None:
    make_kb(tmp_path)
    script = f"""
from opsbook.index.scan import FileTask
from opsbook.index.prefork import Checker
checker = Checker.start()
assert checker is not None
checker.send([FileTask("{FALLBACK}", "{FALLBACK}", "fallback/rb-fallback.yaml", "runbook", 1 << 20, False)])
outcomes = checker.receive(1)
print(outcomes[0].path, outcomes[0].facts.id, checker.finished)
"""
    assert in_fresh_interpreter(script, tmp_path) == f"{FALLBACK} rb-fallback True"


def test_a_record_whose_link_leaves_the_knowledge_base_disappears_from_warm_runs(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    outside = write(tmp_path / "elsewhere" / "rb-fallback.yaml", runbook("rb-fallback", "fallback"))
    target = kb / FALLBACK
    inside = target.with_name("real.yaml.txt")
    target.rename(inside)
    target.symlink_to(inside)
    assert diagnostics(kb, cached=True) == diagnostics(kb, cached=False)
    target.unlink()
    target.symlink_to(outside)
    warm = diagnostics(kb, cached=True)
    assert warm == diagnostics(kb, cached=False)
    assert any("outside-root" in line for line in warm) and any("dangling-ref" in line for line in warm)
    target.unlink()
    target.symlink_to(inside)
    assert diagnostics(kb, cached=True) == diagnostics(kb, cached=False)


def test_a_file_that_cannot_be_read_for_one_run_is_checked_again_when_it_comes_back(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    target = kb / FALLBACK
    stored = target.with_name("stored.yaml.txt")
    target.rename(stored)
    target.symlink_to(stored)
    diagnostics(kb, cached=True)
    stored.rename(tmp_path / "away")
    assert diagnostics(kb, cached=True) == diagnostics(kb, cached=False)
    (tmp_path / "away").rename(stored)
    assert diagnostics(kb, cached=True) == diagnostics(kb, cached=False)
    assert not any("dangling-ref" in line for line in diagnostics(kb, cached=True))


def test_a_delta_written_on_top_of_a_replaced_base_is_ignored(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    diagnostics(kb, cached=True)
    slow, fast = Cache.open(kb), Cache.open(kb)
    fast.dirty = True
    fast._rewrite_base = True
    fast.save()
    key = next(iter(slow.entries))
    slow.set_links(key, ())
    slow._put(key, slow.entries[key]._replace(path="from the slow run"))
    slow.save()
    assert (kb / CACHE_DIR / DELTA).exists()
    assert Cache.open(kb).changed == {}


def test_a_new_working_directory_is_remembered_after_one_run(tmp_path: Path, monkeypatch) -> None:
    kb = make_kb(tmp_path / "kb")
    monkeypatch.chdir(tmp_path)
    diagnostics(kb, cached=True)
    assert all(entry.path.startswith("kb/") for entry in Cache.open(kb).entries.values())
    monkeypatch.chdir(kb)
    diagnostics(kb, cached=True)
    diagnostics(kb, cached=True)
    paths = [entry.path for entry in Cache.open(kb).entries.values()]
    assert paths and not any(path.startswith("kb/") for path in paths)


def test_no_checker_is_forked_while_other_threads_run() -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert Checker.start() is None
    finally:
        release.set()
        worker.join()
