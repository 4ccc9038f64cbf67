"""The MCP rows of `make bench`: the MCP SDK's own client driving `opsbook mcp` over stdio, as an agent would.

Measured on a knowledge base whose index is present: the start (process spawned → `initialize` answered,
i.e. the index open and the ranking index read; the first start after a change also builds the full-text
search, which the server keeps in the index when it exits, and the later ones load it), then on one
running server each tool called `CALLS` times with varied, realistic arguments (latency as the client
sees it, the JSON-RPC round trip and the client's output-schema check included), one call right after a
file was edited (the server re-stats and re-checks before answering), and the server's peak RSS.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CALLS = 30
STARTS = 3
ERRORS = [
    "openai.RateLimitError: Error code: 429 - rate_limit_exceeded, and the fallback model was never tried",
    "No signatures found matching the expected signature for payload",
    "ChunkLoadError: Loading chunk 532 failed.",
    "Error: listen EADDRINUSE: address already in use :::3000",
    "Permission to use Bash has been denied because Claude Code is running in don't ask mode.",
    "An API error occurred: missing_scope",
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens.",
    "Webhook signature verification failed in production but works in preview",
]
QUERIES = ["rate limit fallback", "webhook secret", "stale cache after deploy", "session expired", "permission denied"]


def measure(
    command: list[str], root: Path, env: dict[str, str], log: Path, weeks: list[str], bad: set[str]
) -> dict[str, Any]:
    """Start times, per-tool latencies (seconds), the first call after an edit, and errors seen. `bad`: the
    files broken on purpose (relative paths), whose records no call asks for."""
    import anyio

    return anyio.run(_measure, command, root, env, log, weeks, bad)


async def _measure(
    command: list[str], root: Path, env: dict[str, str], log: Path, weeks: list[str], bad: set[str]
) -> dict[str, Any]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    parameters = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(root))
    starts: list[float] = []
    latencies: dict[str, list[float]] = {}
    errors: list[str] = []
    after_edit = None
    with open(log, "a", encoding="utf-8") as errlog:
        for attempt in range(STARTS):
            began = time.perf_counter()
            async with stdio_client(parameters, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                starts.append(time.perf_counter() - began)
                if attempt < STARTS - 1:
                    continue
                for name, arguments in _calls(root, weeks, bad):
                    began = time.perf_counter()
                    result = await session.call_tool(name, arguments)
                    latencies.setdefault(name, []).append(time.perf_counter() - began)
                    if result.is_error:
                        errors.append(f"{name} {arguments}: {result.content[0].text[:200]}")  # type: ignore[union-attr]
                after_edit = await _after_edit(root, session, bad)
    return {"start_s": starts, "tools": latencies, "after_edit_s": after_edit, "errors": errors}


def _calls(root: Path, weeks: list[str], bad: set[str]) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(7)
    runbooks, incidents = _ids(root, "runbooks", bad), _ids(root, "incidents", bad)
    pick: Callable[[list[str]], str] = rng.choice
    plan: dict[str, Callable[[int], dict[str, Any]]] = {
        "triage": lambda n: {"text": ERRORS[n % len(ERRORS)]},
        "get_runbook": lambda n: {"id": pick(runbooks)},
        "search": lambda n: {"query": QUERIES[n % len(QUERIES)], **({"kind": "incident"} if n % 3 == 1 else {})},
        "similar_incidents": lambda n: {"runbook_id": pick(runbooks)} if n % 2 else {"text": ERRORS[n % len(ERRORS)]},
        "get_incident": lambda n: {"id": pick(incidents)},
        "follow_ups": lambda n: {"overdue": n % 2 == 0},
        "weekly_review": lambda n: {"week": weeks[n % len(weeks)]},
    }
    return [(name, make(n)) for n in range(CALLS) for name, make in plan.items()]


def _ids(root: Path, folder: str, bad: set[str]) -> list[str]:
    files = sorted((root / folder).rglob("*.yaml"))
    return [path.stem for path in files if path.relative_to(root).as_posix() not in bad]


async def _after_edit(root: Path, session: Any, bad: set[str]) -> float:
    """The latency of the first call after a runbook file changed on disk (then the file is put back)."""
    files = sorted((root / "runbooks").rglob("*.yaml"))
    path = next(p for p in files if p.relative_to(root).as_posix() not in bad)
    original = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^title: .*$", "title: Edited during the benchmark", original, count=1), "utf-8")
    try:
        began = time.perf_counter()
        result = await session.call_tool("get_runbook", {"id": path.stem})
        seconds = time.perf_counter() - began
        assert result.structured_content["runbook"]["title"] == "Edited during the benchmark", "edit not seen"
    finally:
        path.write_text(original, encoding="utf-8")
    await session.call_tool("get_runbook", {"id": path.stem})
    return seconds
