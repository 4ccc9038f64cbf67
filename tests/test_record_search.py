"""The MCP server's full-text search is kept in the knowledge index: a server started again loads it and
takes in only the files that changed since, instead of indexing every record's text, and never answers from
a search that misses an edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opsbook.features.agent import search as search_module
from opsbook.features.agent.desk import KnowledgeDesk
from tests.kbfactory import make_kb, runbook, write

EDITED = "runbooks/fallback/rb-fallback.yaml"


def found(root: Path, query: str) -> list[str]:
    desk = KnowledgeDesk.open(root, public=False)
    try:
        return [hit.id for hit in desk.search(query, None, None, 10).hits]
    finally:
        desk.close()


def rename_fallback(root: Path, title: str) -> None:
    write(root / EDITED, runbook("rb-fallback", "fallback", title=title, related=["rb-stale-deploy"]))


def test_a_server_started_again_with_nothing_changed_answers_from_the_kept_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_kb(tmp_path)
    first = found(root, "rb-fallback")
    assert "rb-fallback" in first
    monkeypatch.setattr(search_module, "_runbook_rows", _refuse)
    monkeypatch.setattr(search_module, "_incident_rows", _refuse)
    assert found(root, "rb-fallback") == first


def test_the_kept_search_holds_edits_made_while_the_server_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_kb(tmp_path)
    desk = KnowledgeDesk.open(root, public=False)
    try:
        assert desk.search("quokka", None, None, 10).hits == []
        rename_fallback(root, "Fallback quokka never exercised")
        assert [hit.id for hit in desk.search("quokka", None, None, 10).hits] == ["rb-fallback"]
    finally:
        desk.close()
    monkeypatch.setattr(search_module, "_runbook_rows", _refuse)
    monkeypatch.setattr(search_module, "_incident_rows", _refuse)
    assert found(root, "quokka") == ["rb-fallback"]


def test_a_server_started_after_edits_takes_in_only_the_files_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_kb(tmp_path)
    assert found(root, "quokka") == [] and "rb-session-lifecycle" in found(root, "rb-session-lifecycle")
    rename_fallback(root, "Fallback quokka never exercised")
    (root / "runbooks/session-lifecycle/rb-session-lifecycle.yaml").unlink()
    for name in ("_runbook_rows", "_incident_rows"):
        monkeypatch.setattr(search_module, name, _only_some(getattr(search_module, name)))
    assert found(root, "quokka") == ["rb-fallback"]
    assert "rb-session-lifecycle" not in found(root, "rb-session-lifecycle")


def _only_some(rows: Callable[[Any, list[str] | None], list[tuple[str, ...]]]) -> Callable[..., Any]:
    def some(index: Any, paths: list[str] | None) -> list[tuple[str, ...]]:
        if paths is None:
            raise AssertionError("every record's text was read to build the search again")
        return rows(index, paths)

    return some


def _refuse(*_: Any) -> list[tuple[str, ...]]:
    raise AssertionError("the records' text was read to build the search again")
