from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


SITE_SCRIPT = ROOT / "tooling" / "opsbook" / "site" / "assets" / "opsbook.js"


@pytest.fixture
def site_script(tmp_path: Path) -> Callable[[str, Any], Any]:
    """Run the site's opsbook.js under Node: `site_script("return data.map(api.canonical);", data)` evaluates
    the function body with `api` (the script's exports) and `data` (JSON-copied) and returns its result."""
    node = shutil.which("node")
    assert node, "node is needed to run the site's JavaScript"

    def run(body: str, data: Any) -> Any:
        (tmp_path / "data.json").write_text(json.dumps(data))
        runner = tmp_path / "run.js"
        runner.write_text(
            "const fs = require('fs'); const api = require(process.argv[2]);\n"
            "const data = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));\n"
            f"console.log(JSON.stringify((function (api, data) {{ {body} }})(api, data)));\n"
        )
        command = [node, str(runner), str(SITE_SCRIPT), str(tmp_path / "data.json")]
        return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

    return run
