"""The check cache never changes an answer: warm runs equal cold runs, whatever was edited or broken."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.cache import BASE, CACHE_DIR, DELTA, Cache
from opsbook.check import run_check
from tests.kbfactory import dump, incident, make_kb, runbook, write

EDITS = st.sampled_from(["typo", "dangling", "fix", "touch", "delete", "new", "break-yaml", "same-size"])


def apply(kb: Path, edit: str, step: int) -> None:
    target = kb / "runbooks/fallback/rb-fallback.yaml"
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


def diagnostics(kb: Path, cached: bool) -> list[str]:
    return [d.as_text() for d in sorted(run_check(kb, use_cache=cached).diagnostics)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
    monkeypatch.setattr("opsbook.cache._code_fingerprint", lambda: "another version")
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
