"""Large builds keep the garbage collector from rescanning what lives until the end, and always hand it
back as they found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import opsbook.site.tree
from opsbook.site.mkdocs_plugin import FREEZE_EVERY, OpsbookPlugin
from opsbook.site.tree import build_bundle

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    yield
    gc.enable()
    gc.unfreeze()


def test_the_bundle_is_built_without_collections_and_collected_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    load = opsbook.site.tree.build_site_model

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return load(*args, **kwargs)

    monkeypatch.setattr(opsbook.site.tree, "build_site_model", spy)
    build_bundle(ROOT)
    assert seen == [False] and gc.isenabled()


def test_a_failed_bundle_turns_the_collector_back_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk gone")

    monkeypatch.setattr(opsbook.site.tree, "build_site_model", fail)
    with pytest.raises(OSError):
        build_bundle(ROOT)
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    build_bundle(ROOT)
    assert not gc.isenabled()


@pytest.mark.parametrize("ending", ["post_build", "build_error"])
def test_pages_frozen_during_a_build_are_released_when_it_ends(ending: str) -> None:
    plugin = OpsbookPlugin()
    for _ in range(FREEZE_EVERY):
        plugin.on_post_page("<html></html>", page=None, config=None)  # type: ignore[arg-type]
    assert gc.get_freeze_count() > 0
    if ending == "post_build":
        plugin.on_post_build(config=None)  # type: ignore[arg-type]
    else:
        plugin.on_build_error(error=RuntimeError("boom"))
    assert gc.get_freeze_count() == 0
