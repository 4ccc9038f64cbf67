from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opsbook.cli import main

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OPSBOOK_TODAY", "2026-11-25")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@pytest.fixture(autouse=True, scope="session")
def index_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test's knowledge indexes (and walk logs) go to temporary folders, never to the user's own."""
    folder = tmp_path_factory.mktemp("index")
    os.environ["OPSBOOK_INDEX_DIR"] = str(folder)
    os.environ["OPSBOOK_WALK_DIR"] = str(tmp_path_factory.mktemp("walks"))
    return folder


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the CLI in-process from a working directory: `cli("check", cwd=path)`."""

    def run(*args: str, cwd: Path | None = None, input: str | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return run
