"""The MCP server's full-text search is kept in the knowledge index: a server started again with nothing
changed loads it instead of indexing every record's text, and never answers from a search that misses an
edit."""

from __future__ import annotations

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


def test_an_edit_between_two_servers_is_searched_afresh(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    assert found(root, "quokka") == []
    rename_fallback(root, "Fallback quokka never exercised")
    assert found(root, "quokka") == ["rb-fallback"]


def _refuse(*_: Any) -> list[tuple[str, ...]]:
    raise AssertionError("the records' text was read to build the search again")
