"""Likely credentials are errors with their line, and the value is never printed; look-alikes pass."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from opsbook.checks.report import run_check
from opsbook.records.secrets import scan_text
from tests.kbfactory import make_kb, runbook, write

RANDOM = random.Random(1234)


def token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """Random key material built at run time, so this file holds no key-shaped literal."""
    return "".join(RANDOM.choice(alphabet) for _ in range(length))


FAKE_SECRETS = {
    "openai": "sk-" + "proj-" + token(48),
    "anthropic": "sk-" + "ant-api03-" + token(40),
    "stripe live": "sk_" + "live_" + token(24),
    "stripe restricted": "rk_" + "test_" + token(24),
    "stripe webhook": "whsec_" + token(32),
    "aws": "AKIA" + token(16, string.ascii_uppercase + string.digits),
    "github": "ghp_" + token(36),
    "slack": "xoxb-" + token(12, string.digits) + "-" + token(24),
    "jwt": "eyJ" + token(20) + ".eyJ" + token(30) + "." + token(30),
    "pem": "-----BEGIN " + "RSA PRIVATE KEY-----",
    "assigned": "SESSION_SECRET=" + token(32),
}

LOOK_ALIKES = [
    "Set STRIPE_SECRET_KEY to a key that starts with sk_live_ in production",
    'curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com/v1/models',
    "export OPENAI_API_KEY=sk-<your key>",
    "the key looks like sk-...",
    "AWS documents AKIAIOSFODNN7EXAMPLE as its example key id",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is a placeholder",
    "api_key: os.environ/ANTHROPIC_API_KEY",
    "jq '{tokens: .usage.input_tokens, max_tokens: .model_info.max_input_tokens}'",
    "STRIPE_WEBHOOK_SECRET=${{ secrets.STRIPE_WEBHOOK_SECRET }}",
    'printf %s "$STRIPE_WEBHOOK_SECRET" | sha256sum | cut -c1-12',
    "whsec_ secrets are per endpoint",
]


@pytest.mark.parametrize("kind", FAKE_SECRETS)
def test_realistic_fake_keys_are_found_and_masked(kind: str) -> None:
    secret = FAKE_SECRETS[kind]
    text = f"first line\n  command: echo {secret} done\n"
    [diagnostic] = scan_text(text, "r.yaml")
    assert (diagnostic.code, diagnostic.line) == ("secret", 2)
    assert diagnostic.col == text.splitlines()[1].index(secret[:3]) + 1 or kind == "assigned"
    assert secret not in diagnostic.message and secret[-6:] not in diagnostic.message


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_do_not_fire(text: str) -> None:
    assert scan_text(text, "r.yaml") == []


def test_check_reports_a_secret_in_any_field_with_its_line(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    secret = FAKE_SECRETS["stripe live"]
    record = runbook("rb-fallback", "fallback", related=["rb-auth-drift"])
    record["mitigation"][0]["command"] = f"stripe refunds create --api-key {secret}"
    path = write(kb / "runbooks/fallback/rb-fallback.yaml", record)
    [diagnostic] = [d for d in run_check(kb, use_index=False).diagnostics if d.code == "secret"]
    assert diagnostic.line == next(n for n, line in enumerate(path.read_text().splitlines(), 1) if secret in line)
    assert secret not in diagnostic.as_text()


def test_secret_in_hand_written_docs_is_reported(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    write(kb / "docs/notes.md", f"# Notes\n\nOur key is {FAKE_SECRETS['openai']}\n")
    [diagnostic] = [d for d in run_check(kb, use_index=False).diagnostics if d.code == "secret"]
    assert diagnostic.path.endswith("docs/notes.md") and diagnostic.line == 3


def test_bundled_knowledge_base_holds_no_secrets() -> None:
    root = Path(__file__).resolve().parents[1]
    assert [d for d in run_check(root, use_index=False).diagnostics if d.code == "secret"] == []
