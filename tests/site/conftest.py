"""A built site served on 127.0.0.1 and Debian's Chromium for Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


LIGHT_AND_DARK = [
    {
        "media": "(prefers-color-scheme: light)",
        "scheme": "default",
        "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"},
    },
    {
        "media": "(prefers-color-scheme: dark)",
        "scheme": "slate",
        "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"},
    },
]


def site_config(name: str, palette: list[dict[str, object]]) -> str:
    """The mkdocs.yml of a small test site built with the opsbook plugin, in the given light/dark palette."""
    return yaml.safe_dump(
        {
            "site_name": name,
            "site_url": f"https://{name.lower()}.example.org/",
            "theme": {"name": "material", "font": False, "palette": palette},
            "plugins": ["search", "opsbook"],
            "markdown_extensions": [
                "admonition",
                "attr_list",
                "md_in_html",
                "tables",
                "toc",
                "pymdownx.details",
                "pymdownx.superfences",
            ],
        },
        sort_keys=False,
    )


def mkdocs_build(
    config_dir: Path, out: Path, *, public: bool = False, strict: bool = True
) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "OPSBOOK_TODAY": "2026-11-25"}
    if public:
        env["OPSBOOK_PUBLIC"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *(["--strict"] if strict else []), "-d", str(out)],
        cwd=config_dir,
        env=env,
        capture_output=True,
        text=True,
    )


def build_site(config_dir: Path, out: Path, *, public: bool = False, strict: bool = True) -> Path:
    result = mkdocs_build(config_dir, out, public=public, strict=strict)
    if result.returncode:
        pytest.fail(f"mkdocs build failed:\n{result.stdout}{result.stderr}")
    return out


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(ROOT, tmp_path_factory.mktemp("site"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(folder: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("http.server did not start")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    """Overrides pytest-playwright's base_url so `page.goto("/runbooks/...")` works."""
    yield from serve(site_dir)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
