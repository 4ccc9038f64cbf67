"""A knowledge index kept open by a long-running process sees every edit made before it is asked, and looks at
the files only when something changed."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from opsbook.index.live import LiveIndex
from opsbook.index.watch import ChangeWatch
from tests.kbfactory import incident, make_kb, runbook, write

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="inotify is Linux's")
RUNBOOK = "runbooks/auth-drift/rb-auth-drift.yaml"


@pytest.fixture
def live(tmp_path: Path) -> LiveIndex:
    opened = LiveIndex.open(make_kb(tmp_path / "kb"))
    assert opened.watch.active
    yield opened
    opened.close()


def counted_refreshes(live: LiveIndex, monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    calls: list[set[str]] = []
    refresh = live.index.refresh

    def spy(**options: Any) -> set[str]:
        calls.append(refresh(**options))
        return calls[-1]

    monkeypatch.setattr(live.index, "refresh", spy)
    return calls


def title(live: LiveIndex, path: str) -> str:
    return live.index.runbooks([path])[path].title


def test_an_edit_is_seen_by_the_very_next_update(live: LiveIndex) -> None:
    file = live.index.root / RUNBOOK
    file.write_text(re.sub(r"(?m)^title: .*$", "title: Edited", file.read_text()), encoding="utf-8")
    assert live.update() == {RUNBOOK}
    assert title(live, RUNBOOK) == "Edited"


def test_nothing_changed_means_no_look_at_the_files(live: LiveIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted_refreshes(live, monkeypatch)
    assert live.update() == set() and live.update() == set()
    assert calls == []


def test_files_in_a_new_folder_are_seen_now_and_later(live: LiveIndex) -> None:
    folder = live.index.root / "runbooks/new-class"
    write(folder / "first.yaml", runbook("first", "tool-policy"))
    assert live.update() == {"runbooks/new-class/first.yaml"}
    write(folder / "second.yaml", runbook("second", "tool-policy"))
    assert "runbooks/new-class/second.yaml" in live.update()


def test_a_removed_file_is_gone_from_the_index(live: LiveIndex) -> None:
    (live.index.root / RUNBOOK).unlink()
    assert live.update() == {RUNBOOK}
    assert RUNBOOK not in live.index.record_paths("runbook")


def test_a_changed_configuration_moves_the_watches(live: LiveIndex) -> None:
    root = live.index.root
    (root / "runbooks").rename(root / "playbooks")
    (root / "opsbook.yml").write_text("name: test\npaths:\n  runbooks: playbooks\n", encoding="utf-8")
    assert RUNBOOK in live.update()
    moved = "playbooks/auth-drift/rb-auth-drift.yaml"
    file = root / moved
    file.write_text(re.sub(r"(?m)^title: .*$", "title: Moved and edited", file.read_text()), encoding="utf-8")
    live.update()
    assert title(live, moved) == "Moved and edited"


def test_without_inotify_every_update_looks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = LiveIndex.open(make_kb(tmp_path / "kb"))
    live.watch.close()
    live.watch = ChangeWatch(None)
    calls = counted_refreshes(live, monkeypatch)
    live.update()
    live.update()
    assert len(calls) == 2
    live.close()


def forbid_the_whole_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    def whole_scan(*_: object) -> None:
        raise AssertionError("every file was looked at for one edited file")

    monkeypatch.setattr("opsbook.index.knowledge.scan", whole_scan)


def test_an_edited_file_is_the_only_one_looked_at(live: LiveIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_the_whole_scan(monkeypatch)
    write(live.index.root / RUNBOOK, runbook("rb-auth-drift", "auth-drift", title="Keys missing in production"))
    assert live.update() == {RUNBOOK}
    assert title(live, RUNBOOK) == "Keys missing in production"


def test_a_new_folder_is_watched_once_it_was_seen(live: LiveIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    added = "runbooks/auth-drift/more/rb-more.yaml"
    write(live.index.root / added, runbook("rb-more", "auth-drift"))
    assert added in live.update()
    live.update()  # the look at every file that the new folder's watch asks for
    forbid_the_whole_scan(monkeypatch)
    write(live.index.root / added, runbook("rb-more", "auth-drift", title="Seen through the new folder's watch"))
    assert live.update() == {added}
    assert title(live, added) == "Seen through the new folder's watch"


def test_a_folder_renamed_and_renamed_back_is_watched_under_its_name(live: LiveIndex) -> None:
    root = live.index.root
    (root / "runbooks/auth-drift").rename(root / "runbooks/auth")
    live.update()
    (root / "runbooks/auth").rename(root / "runbooks/auth-drift")
    live.update()
    live.update()
    write(root / RUNBOOK, runbook("rb-auth-drift", "auth-drift", title="After the round trip"))
    assert live.update() == {RUNBOOK}
    assert title(live, RUNBOOK) == "After the round trip"


def test_a_folder_made_for_a_nested_setting_is_seen(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    write(kb / "opsbook.yml", "name: test\npaths:\n  incidents: ops/incidents\n")
    (kb / "ops").mkdir()
    live = LiveIndex.open(kb)
    try:
        live.update()  # the look at every file that moving the watches to opsbook.yml's folders asks for
        assert live.update() == set()
        write(kb / "ops/incidents/2026/2026-11-17-webhook-secret.yaml", incident())
        assert "ops/incidents/2026/2026-11-17-webhook-secret.yaml" in live.update()
    finally:
        live.close()


def test_an_edit_of_a_linked_file_is_seen_through_the_link(live: LiveIndex) -> None:
    root = live.index.root
    target = write(root / "shared/rb-shared.yaml", runbook("rb-shared", "auth-drift"))
    (root / "runbooks/auth-drift/rb-shared.yaml").symlink_to(target)
    live.update()
    write(target, runbook("rb-shared", "auth-drift", title="Edited where the link points"))
    live.update()
    assert title(live, "runbooks/auth-drift/rb-shared.yaml") == "Edited where the link points"
