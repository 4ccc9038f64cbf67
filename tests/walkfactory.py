"""A knowledge base made for walking, and ways to read what a walk left behind."""

from __future__ import annotations

import json
import os
import random
import re
import string
import sys
from pathlib import Path
from typing import Any

import pexpect
import yaml

from opsbook.features.walk.log import walks_folder
from tests.interrupts import as_a_shell_starts_it
from tests.kbfactory import make_kb, runbook, write

INCIDENT = "incidents/2026/2026-11-17-webhook-secret.yaml"
INCIDENT_ID = "2026-11-17-webhook-secret"
LONG_COMMAND = (
    "curl -s -o /dev/null -w '%{http_code}\\n' -H \"x-vercel-protection-bypass: $VERCEL_AUTOMATION_BYPASS_SECRET\" "
    "https://<deployment-url>/api/health"
)


def fake_token(seed: int = 23) -> str:
    """A Stripe-shaped live key that the secret scan finds, made here so no file holds one."""
    rng = random.Random(seed)
    return "sk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))


def walk_kb(root: Path) -> Path:
    """`make_kb` plus two runbooks to walk: `rb-tool-policy` (before you start, a command that prints
    $WALK_FAKE_TOKEN, a gated step, a long command with a placeholder) and `rb-session-lifecycle` (one
    slow command)."""
    make_kb(root)
    write(
        root / "runbooks/tool-policy/rb-tool-policy.yaml",
        runbook(
            "rb-tool-policy",
            "tool-policy",
            related=["rb-auth-drift"],
            prerequisites=["Shell access to the worker host"],
            diagnosis=[
                {
                    "action": "Print the worker's token line",
                    "command": "printf 'token=%s\\n' \"$WALK_FAKE_TOKEN\"",
                    "expected": "one token line",
                },
                {"action": "Check the environment", "expected": "it is the right one"},
            ],
            mitigation=[
                {
                    "action": "Restart the worker",
                    "command": "echo restarted",
                    "expected": "restarted",
                    "sensitive": True,
                    "requires_approval": "platform-lead",
                    "executor": "human",
                }
            ],
            verification=[{"action": "Call the health endpoint", "command": LONG_COMMAND, "expected": "200"}],
        ),
    )
    write(
        root / "runbooks/session-lifecycle/rb-session-lifecycle.yaml",
        runbook(
            "rb-session-lifecycle",
            "session-lifecycle",
            related=["rb-fallback"],
            diagnosis=[{"action": "Wait for the worker", "command": "sleep 3; echo waited", "expected": "waited"}],
            mitigation=[{"action": "Nothing to change", "expected": "nothing"}],
        ),
    )
    return root


def spawn(kb: Path, *args: str, **env: str) -> pexpect.spawn:
    """`opsbook walk ARGS` in a real pseudo-terminal of 80 columns."""
    environment = {**os.environ, "NO_COLOR": "1", "WALK_FAKE_TOKEN": fake_token(), **env}
    return pexpect.spawn(
        sys.executable,
        ["-m", "opsbook", "walk", *args],
        cwd=str(kb),
        env=environment,
        encoding="utf-8",
        dimensions=(24, 80),
        timeout=30,
        preexec_fn=as_a_shell_starts_it,
    )


def answer(child: pexpect.spawn, script: list[tuple[str, str]]) -> None:
    for prompt, reply in script:
        child.expect(prompt)
        child.sendline(reply)


def logs(kb: Path) -> list[Path]:
    folder = walks_folder(kb)
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def answers(path: Path) -> list[tuple[Any, ...]]:
    """What a walk decided, step by step: the part of its log that interruptions must not change."""
    kept = ("step", "outcome", "note", "approver", "command_sha256", "exit_code", "helped")
    return [
        (record["event"], *(record.get(key) for key in kept))
        for record in records(path)
        if record["event"] in ("start", "outcome", "end")
    ]


def incident_walk_part(kb: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The incident's walk events (time and walk id left out) and its runbooks_used."""
    data = yaml.safe_load((kb / INCIDENT).read_text(encoding="utf-8"))
    events = [
        {key: value for key, value in entry.items() if key not in ("at", "walk")}
        for entry in data["timeline"]
        if "walk" in entry
    ]
    uses = [{**use, "note": _without_walk_id(use.get("note"))} for use in data["runbooks_used"]]
    return events, uses


def _without_walk_id(note: str | None) -> str | None:
    return re.sub(r" \(\d{8}-\d{6}-[0-9a-f]{4}\)", "", note) if note else note
