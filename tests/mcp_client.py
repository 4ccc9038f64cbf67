"""Driving `opsbook mcp` in a real process with the MCP SDK's own client, over stdio or streamable HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import InitializeResult

Script = Callable[["Recorder"], Awaitable[None]]


def server_environment(**extra: str) -> dict[str, str]:
    """The test's environment (its index folder and pinned day), which the SDK would not pass on."""
    return {**os.environ, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def connect(
    transport: str, root: Path, *options: str, log: Path, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[ClientSession, InitializeResult]]:
    command = [sys.executable, "-m", "opsbook", "--root", str(root), "mcp", *options]
    environment = env or server_environment()
    with open(log, "a", encoding="utf-8") as errors:
        if transport == "stdio":
            parameters = StdioServerParameters(command=command[0], args=command[1:], env=environment)
            async with stdio_client(parameters, errlog=errors) as (read, write), ClientSession(read, write) as session:
                yield session, await session.initialize()
            return
        port = free_port()
        process = subprocess.Popen(
            [*command, "--transport", "http", "--port", str(port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            _wait_for_port(port, process)
            url = f"http://127.0.0.1:{port}/mcp"
            async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
                yield session, await session.initialize()
        finally:
            process.terminate()
            process.wait(timeout=20)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not listen within 60 s")


class Recorder:
    """Runs requests against one session and keeps each answer (or the protocol error) under a label."""

    def __init__(self, session: ClientSession, initialized: InitializeResult) -> None:
        self.session = session
        self.answers: dict[str, Any] = {"initialize": initialized}

    async def keep(self, label: str, request: Awaitable[Any]) -> Any:
        try:
            self.answers[label] = await request
        except MCPError as error:
            self.answers[label] = error
        return self.answers[label]

    async def call(self, label: str, tool: str, **arguments: Any) -> Any:
        return await self.keep(label, self.session.call_tool(tool, arguments))


def converse(transport: str, root: Path, script: Script, *options: str, log: Path) -> dict[str, Any]:
    """Start a server on `root`, run `script` against it, and return what it recorded."""

    async def main() -> dict[str, Any]:
        with anyio.fail_after(300):
            async with connect(transport, root, *options, log=log) as (session, initialized):
                recorder = Recorder(session, initialized)
                await script(recorder)
                return recorder.answers

    # pytest-playwright keeps a session-wide event loop running on the main thread once a
    # site test has run, so the client gets a thread (and a loop) of its own.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(anyio.run, main).result()
