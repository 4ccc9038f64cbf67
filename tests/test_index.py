"""The knowledge index never changes an answer: every command reads the same through a stored index as
without one, whatever was edited, and a damaged, foreign or planted index is rebuilt, never trusted."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.checks.report import run_check
from opsbook.features.actions import follow_ups
from opsbook.features.answer import answer
from opsbook.features.export import knowledge_base, knowledge_base_json
from opsbook.features.stats import stats
from opsbook.features.triage import ranking_index
from opsbook.index import store as store_module
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.index.prefork import Checker
from opsbook.index.store import Store
from opsbook.records.files import FileTask
from opsbook.site.render.review import weekly_review
from opsbook.support.periods import IsoWeek
from tests.kbfactory import dump, incident, make_kb, runbook, write

ON = dt.date(2026, 11, 25)
FALLBACK = "runbooks/fallback/rb-fallback.yaml"
QUERIES = ["401 invalid_api_key only in production", "rb-fallback_error_code", "EADDRINUSE port 3000"]

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
        "rename-id",
        "move-file",
        "duplicate",
        "self-ref",
        "late-incident",
        "overdue",
        "config",
        "docs-secret",
        "catalog",
        "class-title",
        "shift",
        "helped",
        "drop-incident",
        "atomic-save",
        "hidden-file",
        "yml-name",
        "new-folder",
        "link-outside",
        "link-inside",
        "rename-folder",
    ]
)


def apply(kb: Path, edit: str, step: int) -> None:
    target = kb / FALLBACK
    if edit == "typo":
        text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"])).replace("owner:", "ownr:")
        write(target, text)
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
        write(target, target.read_text().replace("platform", "plotform", 1))
    elif edit == "rename-id":
        write(target, runbook("rb-fallbak", "fallback", related=["rb-auth-drift"]))
    elif edit == "move-file" and target.exists():
        target.rename(target.with_name("rb-fallback-moved.yaml"))
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
        write(kb / "opsbook.yml", f"name: test\naction_items:\n  strict_gate: {gate}\n  sla_days: {{P1: {step}}}\n")
    elif edit == "docs-secret":
        write(kb / "docs/notes.md", f"# Notes {step}\n\nOPENAI_API_KEY=sk-proj-{'Ab3x' * 12}\n")
    elif edit == "catalog":
        write(kb / "catalog/workflows.yaml", "workflows: [" if step % 2 else "workflows: []\n")
    elif edit == "class-title":  # the names triage gives the classes
        classes = (Path(__file__).resolve().parents[1] / "catalog/classes.yaml").read_text()
        write(kb / "catalog/classes.yaml", classes.replace('"Fallback & failover"', f'"Fallback, take {step}"'))
    elif edit == "shift" and target.exists():
        write(target, "# moved down\n" * (step % 3 + 1) + target.read_text())
    elif edit == "helped":
        write(
            kb / "incidents/2026/2026-11-17-webhook-secret.yaml",
            incident(runbooks_used=[{"runbook": "rb-fallback", "helped": "wrong-runbook", "note": f"n{step}"}]),
        )
    elif edit == "drop-incident":
        (kb / "incidents/2026/2026-11-17-webhook-secret.yaml").unlink(missing_ok=True)
    elif edit == "atomic-save":  # how editors and git write a file: a new file renamed over the old one
        temporary = write(
            target.with_name(".rb-fallback.yaml.tmp"), runbook("rb-fallback", "fallback", owner=f"o{step}")
        )
        temporary.replace(target)
    elif edit == "hidden-file":
        write(kb / "runbooks/fallback/.rb-fallback.yaml.swp", "id: [unclosed\n")
    elif edit == "yml-name":
        write(kb / "runbooks/fallback/rb-other.yml", runbook("rb-other", "fallback"))
    elif edit == "new-folder":
        write(
            kb / f"incidents/2025/q{step}/2025-11-0{step % 9 + 1}-older.yaml",
            incident(f"2025-11-0{step % 9 + 1}-older"),
        )
    elif edit == "link-inside":  # a link to a file in a folder the knowledge base does not read
        shared = write(kb / "shared/rb-shared.yaml", runbook("rb-shared", "fallback", owner=f"team-{step}"))
        link = kb / "runbooks/fallback/rb-shared.yaml"
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(shared)
    elif edit == "rename-folder":
        here = kb / "runbooks/fallback"
        if here.is_dir():  # away, under a name no earlier step used (a later edit may recreate the folder)
            here.rename(kb / f"runbooks/fallback-moved-{step}")
        else:
            moved = sorted(kb.glob("runbooks/fallback-moved-*"))
            if moved:
                moved[-1].rename(here)
    elif edit == "link-outside":
        outside = write(kb.parent / f"outside-{kb.name}.yaml", runbook("rb-outside", "fallback"))
        link = kb / "runbooks/fallback/rb-outside.yaml"
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(outside)


def everything(kb: Path, *, persistent: bool) -> dict[str, Any]:
    """What every command answers, from one opening of the index."""
    index = KnowledgeIndex.open(kb, persistent=persistent)
    try:
        ranking = ranking_index(index)
        return {
            "check": sorted(d.as_text() for d in run_check(kb, use_index=persistent).diagnostics),
            "triage": [answer(index, query, ranking=ranking).as_dict() for query in QUERIES],
            "actions": [item.as_json() for item in follow_ups(index, ON, include_closed=True)],
            "stats": stats(index, ON),
            "review": [
                weekly_review(
                    index, IsoWeek.parse("2026-W47"), output, on=ON, page="reviews/2026-W47.md", site_url=None
                )
                for output in ("json", "md")
            ],
            "export": knowledge_base(index, ON),
        }
    finally:
        index.close()


def cold(kb: Path) -> dict[str, Any]:
    return everything(kb, persistent=False)


def warm(kb: Path) -> dict[str, Any]:
    return everything(kb, persistent=True)


def rechecked(kb: Path) -> int:
    index = KnowledgeIndex.open(kb)
    index.close()
    return index.rechecked


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDITS, min_size=1, max_size=6))
def test_every_command_answers_the_same_warm_as_cold_after_any_edits(tmp_path_factory, edits: list[str]) -> None:
    kb = make_kb(tmp_path_factory.mktemp("kb"))
    warm(kb)
    for step, edit in enumerate(edits, 1):
        apply(kb, edit, step)
        assert warm(kb) == cold(kb), edits[:step]


def test_a_second_run_checks_nothing_again(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    assert rechecked(kb) == 7  # opsbook.yml, five runbooks, one incident
    time.sleep(0.01)
    assert rechecked(kb) == 0


def test_an_edit_checks_only_the_edited_file(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    rechecked(kb)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    assert rechecked(kb) == 1


def test_an_index_lives_outside_the_knowledge_base(tmp_path: Path, index_folder: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    rechecked(kb)
    assert sorted(p.name for p in kb.iterdir()) == ["incidents", "opsbook.yml", "runbooks"]
    assert any(index_folder.glob("kb-*/index.sqlite"))


def index_file(kb: Path) -> Path:
    return store_module.index_folder(kb) / "index.sqlite"


def documents_file(kb: Path) -> Path:
    return index_file(kb).with_name("documents.sqlite")


class Planted:
    """A pickle that leaves a file behind if anything ever unpickles it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "code from the index ran"))


@pytest.mark.parametrize("damage", ["pickle", "truncated", "flipped-byte", "empty", "directory", "wrong-magic"])
def test_a_damaged_index_is_rebuilt_and_never_trusted(tmp_path: Path, damage: str) -> None:
    kb = make_kb(tmp_path / "kb")
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    expected = cold(kb)
    warm(kb)
    path = index_file(kb)
    marker = tmp_path / "ran"
    data = path.read_bytes()
    if damage == "pickle":
        path.write_bytes(pickle.dumps(Planted(marker)))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped-byte":
        flipped = bytearray(data)
        flipped[len(data) - 300] ^= 0x01
        path.write_bytes(bytes(flipped))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "directory":
        path.unlink()
        path.mkdir()
    else:
        path.write_bytes(b"SQLite format 3\x00" + data[16:])
    assert warm(kb) == expected
    assert not marker.exists()
    if damage != "directory":
        assert rechecked(kb) == 0, "rebuilt once, warm again on the next run"


def rows_file(kb: Path) -> Path:
    (found,) = index_file(kb).parent.glob("rows-*.sqlite")
    return found


def rows_rechecked(kb: Path) -> int:
    """How many files an opening of the index checks again, once it has read the records' rows."""
    index = KnowledgeIndex.open(kb)
    index.connection.execute("SELECT count(*) FROM records").fetchone()
    index.close()
    return index.rechecked


@pytest.mark.parametrize("damage", ["pickle", "truncated", "flipped-byte", "missing", "symlink", "other-rows"])
def test_damaged_rows_are_rebuilt_and_never_trusted(tmp_path: Path, damage: str) -> None:
    kb = make_kb(tmp_path / "kb")
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    other = make_kb(tmp_path / "other")
    expected = cold(kb)
    warm(kb)
    warm(other)
    path = rows_file(kb)
    marker = tmp_path / "ran"
    data = path.read_bytes()
    if damage == "pickle":
        path.write_bytes(pickle.dumps(Planted(marker)))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped-byte":
        flipped = bytearray(data)
        flipped[len(data) - 300] ^= 0x01
        path.write_bytes(bytes(flipped))
    elif damage == "missing":
        path.unlink()
    elif damage == "symlink":
        path.unlink()
        path.symlink_to(rows_file(other))
    else:
        path.write_bytes(rows_file(other).read_bytes())
    assert warm(kb) == expected
    assert not marker.exists()
    assert rows_rechecked(kb) == 0, "rebuilt once, warm again on the next run"


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["stats"],
        ["review", "--week", "2026-W47", "--format", "json"],
        ["export"],
        ["triage", "openai.RateLimitError: 429 and the fallback model was never tried"],
    ],
)
def test_an_answer_kept_in_the_index_reads_no_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, command: list[str]
) -> None:
    """With nothing changed, these commands answer from the files' findings and the results kept in the
    index: the records' rows (most of the index) are not read."""
    kb = make_kb(tmp_path)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    write(kb / "incidents/2026/broken.yaml", "id: [unclosed\n")
    fallback_used = incident("2026-11-18-fallback", runbooks_used=[{"runbook": "rb-fallback", "helped": "yes"}])
    write(kb / "incidents/2026/2026-11-18-fallback.yaml", fallback_used)
    monkeypatch.setenv("OPSBOOK_TODAY", ON.isoformat())
    first = cli(*command, cwd=kb)
    if command == ["check"]:
        assert "dangling-ref" in first.output and "yaml-syntax" in first.output
    if command[0] == "triage":
        assert "Seen before (rb-fallback)" in first.output
    loaded = []
    real_load_rows = Store.load_rows

    def load_rows(store: Store) -> bool:
        loaded.append(store.rows_loaded)
        return real_load_rows(store)

    monkeypatch.setattr(Store, "load_rows", load_rows)
    again = cli(*command, cwd=kb)
    assert (again.exit_code, again.output) == (first.exit_code, first.output)
    assert False not in loaded, "the rows were read"


def test_a_command_reads_the_rows_of_the_index_it_opened(tmp_path: Path) -> None:
    """Another command may replace the index and its rows in the meantime: the rows read are those of the
    index opened, not a mix."""
    kb = make_kb(tmp_path)
    warm(kb)
    first = KnowledgeIndex.open(kb)
    earlier = rows_file(kb)
    write(kb / FALLBACK, runbook("rb-fallback-renamed", "fallback"))
    assert rechecked(kb) == 1
    earlier.unlink()  # as a later command deletes it once it is a minute old
    ids = {row[0] for row in first.connection.execute("SELECT id FROM records WHERE kind = 'runbook'")}
    first.close()
    assert "rb-fallback" in ids and "rb-fallback-renamed" not in ids
    assert first.rechecked == 0


def test_earlier_rows_files_are_deleted_once_they_are_a_minute_old(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    warm(kb)
    earlier = rows_file(kb)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    rows_rechecked(kb)
    assert earlier.exists(), "another command may still be about to name it"
    a_minute_ago = time.time() - 61
    os.utime(earlier, (a_minute_ago, a_minute_ago))
    write(kb / FALLBACK, runbook("rb-fallback", "fallback"))
    rows_rechecked(kb)
    assert not earlier.exists()
    assert len(list(index_file(kb).parent.glob("rows-*.sqlite"))) == 2


def test_an_index_saved_after_another_command_deleted_its_rows_writes_them_again(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    warm(kb)
    first = KnowledgeIndex.open(kb)
    for path in index_file(kb).parent.glob("rows-*.sqlite"):
        path.unlink()
    first.keep("a result", "its inputs", b"a payload")  # a change to the index, none to the rows
    first.close()
    assert rows_rechecked(kb) == 0


def test_an_index_replaced_while_it_is_opened_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between reading index.sqlite and opening the rows it names, another command may have replaced both."""
    kb = make_kb(tmp_path)
    warm(kb)
    real_open = store_module._open_private_file
    refused = []

    def gone_the_first_time(path: Path) -> int | None:
        if path.name.startswith("rows-") and not refused:
            refused.append(path)
            return None
        return real_open(path)

    monkeypatch.setattr(store_module, "_open_private_file", gone_the_first_time)
    assert rows_rechecked(kb) == 0 and refused


def test_a_removal_stopped_part_way_leaves_every_table_as_it_was(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    warm(kb)
    index = KnowledgeIndex.open(kb)
    connection = index.connection

    def held() -> tuple[Any, ...]:
        return tuple(
            connection.execute(f"SELECT count(*) FROM {table} WHERE path = ?", (FALLBACK,)).fetchone()[0]
            for table in ("files", "records", "classes", "refs")
        )

    before = held()
    assert before[0] == before[1] == 1
    connection.execute("CREATE TEMP TRIGGER stop BEFORE DELETE ON refs BEGIN SELECT RAISE(ABORT, 'stopped'); END")
    with pytest.raises(sqlite3.DatabaseError, match="stopped"):
        index.store.remove([FALLBACK])
    assert held() == before
    index.close()


def test_a_flipped_byte_in_a_stored_document_is_detected(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    expected = cold(kb)
    warm(kb)
    path = documents_file(kb)
    data = bytearray(path.read_bytes())
    position = data.find(b"What to do when rb-fallback happens")
    assert position > 0
    data[position + 4] ^= 0x20
    path.write_bytes(bytes(data))
    assert warm(kb) == expected


def test_a_planted_documents_database_runs_no_code(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    expected = cold(kb)
    warm(kb)
    marker = tmp_path / "ran"
    documents_file(kb).write_bytes(pickle.dumps(Planted(marker)))
    assert warm(kb) == expected and not marker.exists()


def test_an_index_from_other_code_is_rebuilt_then_warm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(tmp_path / "kb")
    rechecked(kb)
    monkeypatch.setattr(store_module, "code_fingerprint", lambda: "an older opsbook")
    assert rechecked(kb) > 0
    assert rechecked(kb) == 0


def test_an_index_copied_from_another_user_fails_its_check(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    expected = cold(kb)
    warm(kb)
    key = Path(os.environ["OPSBOOK_INDEX_DIR"]) / "key"
    original = key.read_bytes()
    key.write_bytes(os.urandom(32))
    try:
        assert rechecked(kb) > 0
        assert warm(kb) == expected
    finally:
        key.write_bytes(original)


def test_a_symlink_in_place_of_the_index_is_neither_followed_nor_overwritten(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    warm(kb)
    path = index_file(kb)
    victim = write(tmp_path / "victim.txt", "do not touch\n")
    path.unlink()
    path.symlink_to(victim)
    assert warm(kb) == cold(kb)
    assert victim.read_text() == "do not touch\n" and not path.is_symlink()


def test_an_index_committed_to_the_repository_is_never_read(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    marker = tmp_path / "ran"
    for name in (".opsbook-cache", ".opsbook-index"):
        folder = kb / name
        folder.mkdir()
        for file in ("index.sqlite", "documents.sqlite", "check-6-0.1.0.pickle"):
            (folder / file).write_bytes(pickle.dumps(Planted(marker)))
    assert warm(kb) == cold(kb) and not marker.exists()


def test_files_that_no_longer_exist_leave_the_index(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    warm(kb)
    (kb / FALLBACK).unlink()
    index = KnowledgeIndex.open(kb)
    paths = {row[0] for row in index.connection.execute("SELECT path FROM files")}
    assert FALLBACK not in paths and "rb-fallback" not in {
        r[0] for r in index.connection.execute("SELECT id FROM records")
    }


def test_an_unwritable_cache_folder_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(tmp_path / "kb")
    blocked = write(tmp_path / "not-a-folder", "a file where the cache folder should be")
    monkeypatch.setenv("OPSBOOK_INDEX_DIR", str(blocked / "opsbook"))
    assert warm(kb) == cold(kb)


def test_a_new_day_reruns_the_date_dependent_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(tmp_path)
    warm(kb)
    monkeypatch.setenv("OPSBOOK_TODAY", "2027-06-01")
    report = run_check(kb)
    assert any(d.code == "stale-runbook" for d in report.diagnostics)
    assert sorted(report.diagnostics) == sorted(run_check(kb, use_index=False).diagnostics)


def test_figures_kept_in_the_index_are_figured_again_on_a_new_day(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    later = ON + dt.timedelta(days=1)
    week = IsoWeek.parse("2026-W48")
    with KnowledgeIndex.open(kb) as index:
        stats(index, ON)
        weekly_review(index, week, "json", on=ON, page="reviews/2026-W48.md", site_url=None)
    with KnowledgeIndex.open(kb) as index:
        assert stats(index, later)["as_of"] == later.isoformat()
        text, _ = weekly_review(index, week, "json", on=later, page="reviews/2026-W48.md", site_url=None)
        assert json.loads(text)["as_of"] == later.isoformat()


def test_a_replaced_result_leaves_no_copy_behind(tmp_path: Path) -> None:
    """Exports and other results kept in the index are replaced after every change; the earlier one goes."""
    kb = make_kb(tmp_path)
    for day in range(4):
        with KnowledgeIndex.open(kb) as index:
            knowledge_base_json(index, ON + dt.timedelta(days=day))
    with sqlite3.connect(documents_file(kb)) as documents:
        kept = [text for (text,) in documents.execute("SELECT CAST(json AS BLOB) FROM documents")]
    assert sum(b'"generated_for"' in text for text in kept) == 1


# --- races and stale stamps ---------------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_file_edited_while_check_reads_it_then_restored_is_answered_as_cold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """The stamp, digest and findings a run stores always describe the same bytes: a secret planted just
    before or just after the file is read, then removed again, never leaves a warm answer that differs."""
    import opsbook.records.check_file as check_file

    kb = make_kb(tmp_path)
    target = kb / FALLBACK
    original, before = target.read_bytes(), target.stat()
    planted = original.replace(b"platform", b"sk_live_" + b"Zq81mXv3Lr7Tn2Wb5Yc9Hd4K")
    real_read = check_file._read

    def read_while_edited(path: str, limit: int | None) -> Any:
        if path.endswith(FALLBACK) and moment == "before":
            Path(path).write_bytes(planted)
        content = real_read(path, limit)
        if path.endswith(FALLBACK) and moment == "after":
            Path(path).write_bytes(planted)
        return content

    monkeypatch.setattr(check_file, "_read", read_while_edited)
    run_check(kb)
    monkeypatch.undo()
    target.write_bytes(original)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # restored as `cp -p` would
    answer = sorted(run_check(kb).diagnostics)
    assert answer == sorted(run_check(kb, use_index=False).diagnostics)
    assert not any(d.code == "secret" for d in answer)


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        ("docs/notes.md", "# Notes\n\nno key here, padding padding.\n", "# Notes\n\nOPENAI_API_KEY=sk-proj-Ab3xQ9\n"),
        ("catalog/workflows.yaml", "workflows: []\n#---------------\n", "workflows: [\n#----------------\n"),
        ("opsbook.yml", "name: test\n#xxxxxxxxxxxxxxxxxxxxxxxxxx\n", "name: test\nlimits: {max_file_bytes: 9}\n"),
    ],
)
def test_a_same_size_edit_that_keeps_the_old_mtime_is_noticed(
    tmp_path: Path, path: str, before: str, after: str
) -> None:
    assert len(before) == len(after)
    kb = make_kb(tmp_path)
    target = write(kb / path, before)
    old = target.stat()
    time.sleep(0.01)
    warm(kb)
    target.write_text(after)
    os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))  # as cp -p, rsync -a and unzip do
    assert target.stat().st_mtime_ns == old.st_mtime_ns and target.stat().st_size == old.st_size
    assert warm(kb) == cold(kb)


def test_a_corrupt_index_leaves_a_small_knowledge_base_warm_on_the_run_after(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    rechecked(kb)
    index_file(kb).write_bytes(b"garbage")
    assert rechecked(kb) > 0
    assert rechecked(kb) == 0


def opsbook(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("opsbook")), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


def processes_marked(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if f"OPSBOOK_TEST_MARKER={marker}".encode() in environment and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find stray processes")
@pytest.mark.parametrize("after", [0.05, 0.15, 0.3, 0.6])
def test_killing_a_check_leaves_no_process_behind(tmp_path: Path, after: float) -> None:
    kb = make_kb(tmp_path / "kb")
    for number in range(450):  # enough for a process pool
        record_id = f"2026-10-{number % 28 + 1:02d}-case-{number}"
        write(kb / "incidents/2026" / f"{record_id}.yaml", incident(record_id))
    marker = uuid.uuid4().hex
    environment = {"OPSBOOK_TEST_MARKER": marker}
    for round_ in range(2):  # a cold run (process pool), then a warm one with a changed file (pre-forked checker)
        if round_:
            assert opsbook("check", cwd=kb, env=environment).wait(timeout=300) in (0, 1)
            write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
        process = opsbook("check", cwd=kb, env=environment)
        time.sleep(after)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while processes_marked(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_marked(marker) == [], f"round {round_}"


# --- the pre-forked checker ---------------------------------------------------------------------------


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
    rechecked(kb)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    script = """
import os
from pathlib import Path
from opsbook.checks.report import run_check
from opsbook.index import prefork
prefork._serve = lambda parent, tasks, results: os._exit(1)
checker = prefork.Checker.start()
assert checker is not None
warm = sorted(d.as_text() for d in run_check(Path("."), checker=checker).diagnostics)
assert checker.finished
assert warm == sorted(d.as_text() for d in run_check(Path("."), use_index=False).diagnostics)
print(warm)
"""
    assert "dangling-ref" in in_fresh_interpreter(script, kb)


def test_the_pre_forked_checker_checks_the_files_it_is_given(tmp_path: Path) -> None:
    make_kb(tmp_path)
    task = FileTask(str(tmp_path / FALLBACK), FALLBACK, "runbook", 1 << 20)
    script = f"""
from opsbook.index.prefork import Checker
from opsbook.records.files import FileTask
checker = Checker.start()
assert checker is not None
[result] = checker.check([FileTask(*{tuple(task)!r})])
print(result.path, result.summary.id, checker.finished)
"""
    assert in_fresh_interpreter(script, tmp_path) == f"{FALLBACK} rb-fallback True"


def test_no_checker_is_forked_while_other_threads_run() -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert Checker.start() is None
    finally:
        release.set()
        worker.join()


@pytest.mark.parametrize(
    "script",
    [
        "from opsbook.checks.report import run_check; run_check(Path('.'))",
        "from opsbook.features.triage import ranking_index; from opsbook.index.knowledge import KnowledgeIndex; "
        "ranking_index(KnowledgeIndex.open(Path('.'))).triage('401 in production')",
        "from opsbook.features.actions import follow_ups; from opsbook.index.knowledge import KnowledgeIndex; "
        "import datetime; follow_ups(KnowledgeIndex.open(Path('.')), datetime.date(2026, 11, 25))",
    ],
)
def test_an_unchanged_knowledge_base_is_answered_without_yaml_or_pydantic(tmp_path: Path, script: str) -> None:
    kb = make_kb(tmp_path)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    warm(kb)
    time.sleep(0.01)
    check = (
        f"import sys; from pathlib import Path; {script}; "
        "loaded = [m for m in ('pydantic', 'yaml') if m in sys.modules]; assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", check], check=True, cwd=kb, timeout=120)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the checker is forked from two cores on")
def test_the_forked_checkers_results_are_read_without_importing_pydantic(tmp_path: Path) -> None:
    """The checker process imports the validator so that `opsbook check` with one file changed need not: its
    results (diagnostics and a record's summary) must unpickle in a process without pydantic."""
    kb = make_kb(tmp_path)
    warm(kb)
    write(kb / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    script = (
        "import sys; from pathlib import Path; from opsbook.index.prefork import start_early, take_early; "
        "start_early(); checker = take_early(); assert checker is not None; "
        "from opsbook.checks.report import run_check; report = run_check(Path('.'), checker=checker); "
        "assert 'rb-nowhere' in str(report.diagnostics), report.diagnostics; "
        "assert 'pydantic' not in sys.modules, 'imported pydantic'"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=kb, timeout=120)


# --- finding the knowledge base -------------------------------------------------------------------------


def test_commands_find_the_knowledge_base_from_a_subfolder(tmp_path: Path, cli) -> None:
    kb = make_kb(tmp_path / "kb")
    result = cli("check", cwd=kb / "runbooks" / "fallback")
    assert result.exit_code == 0 and "6 files checked" in result.output


@pytest.mark.parametrize(
    "command", [["check"], ["triage", "401"], ["actions"], ["stats"], ["review"], ["export"], ["build"]]
)
def test_outside_any_knowledge_base_every_command_exits_2_saying_what_it_looked_for(
    tmp_path: Path, cli, command: list[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli(*command, cwd=empty)
    assert result.exit_code == 2
    assert "no knowledge base" in result.output and "opsbook.yml" in result.output


def test_root_option_and_environment_variable(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = make_kb(tmp_path / "kb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert cli("--root", str(kb), "check", cwd=elsewhere).exit_code == 0
    assert cli("-C", str(kb), "stats", cwd=elsewhere).exit_code == 0
    monkeypatch.setenv("OPSBOOK_ROOT", str(kb))
    assert cli("check", cwd=elsewhere).exit_code == 0
    monkeypatch.setenv("OPSBOOK_ROOT", str(elsewhere))
    result = cli("check", cwd=elsewhere)
    assert result.exit_code == 2 and "OPSBOOK_ROOT" in result.output


def test_check_of_several_files_reports_them_and_what_they_cause(tmp_path: Path, cli) -> None:
    kb = make_kb(tmp_path / "kb")
    cli("check", cwd=kb)
    write(kb / FALLBACK, runbook("rb-fallbak", "fallback", related=["rb-auth-drift"]))
    write(
        kb / "runbooks/auth-drift/rb-auth-drift.yaml",
        dump(runbook("rb-auth-drift", "auth-drift")).replace("owner:", "ownr:"),
    )
    result = cli("check", FALLBACK, "runbooks/auth-drift/rb-auth-drift.yaml", cwd=kb)
    assert result.exit_code == 1
    assert "rb-fallback.yaml" in result.output and "id-mismatch" in result.output
    assert "rb-auth-drift.yaml" in result.output and "unknown-key" in result.output
    # the renamed id leaves a dangling reference in another runbook, caused by this edit
    assert "runbooks/session-lifecycle/rb-session-lifecycle.yaml" in result.output and "dangling-ref" in result.output
    assert "2 files checked" in result.output


def test_check_of_a_file_that_is_not_a_record_is_a_usage_error(tmp_path: Path, cli) -> None:
    kb = make_kb(tmp_path / "kb")
    notes = write(kb / "notes.txt", "hello\n")
    result = cli("check", str(notes), cwd=kb)
    assert result.exit_code == 2 and "is not a file of the knowledge base" in result.output


def test_pre_commit_style_paths_find_a_knowledge_base_in_a_subfolder(tmp_path: Path, cli) -> None:
    repository = tmp_path / "repo"
    make_kb(repository / "ops")
    write(repository / "ops" / FALLBACK, runbook("rb-fallback", "fallback", related=["rb-nowhere"]))
    result = cli("check", f"ops/{FALLBACK}", cwd=repository)
    assert result.exit_code == 1 and "dangling-ref" in result.output


def test_the_index_reports_what_it_holds(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    index = KnowledgeIndex.open(kb)
    tables = {
        row[0]
        for schema in ("main", "rows")
        for row in index.connection.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")
    }
    assert {"files", "records", "refs", "action_items", "classes", "catalog", "derived", "meta"} <= tables
    assert json.loads(index.store.meta("settings") or "{}")["name"] == "test"
    assert isinstance(Store.open(kb).connection, type(index.connection))
    shutil.rmtree(index_file(kb).parent)
    assert rechecked(kb) > 0
