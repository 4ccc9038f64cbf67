"""Likely credentials in records and docs. Findings point at the exact line and never print the value."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from opsbook.records.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class SecretPattern:
    name: str
    regex: re.Pattern[str]
    prefix: int
    """How many leading characters are a public prefix that may be shown (`sk_live_`)."""
    hints: tuple[str, ...]
    """Substrings one of which must occur (in lower case when the pattern ignores case) before the
    pattern is worth running: a plain substring test is far cheaper than a regex search."""
    anchored: bool = False
    """Matches start at a hint, so the regex is tried only there (the common words need this)."""

    def matches(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        haystack = lowered if self.regex.flags & re.IGNORECASE else text
        if not any(hint in haystack for hint in self.hints):
            return
        if not self.anchored:
            yield from self.regex.finditer(text)
            return
        for hint in self.hints:
            position = haystack.find(hint)
            while position >= 0:
                found = self.regex.match(text, position)
                if found:
                    yield found
                position = haystack.find(hint, position + 1)


PATTERNS = [
    SecretPattern("Anthropic API key", re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{20,}"), 7, ("sk-ant-",)),
    SecretPattern("OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), 3, ("sk-",)),
    SecretPattern("Stripe secret key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"), 8, ("sk_", "rk_")),
    SecretPattern("Stripe webhook signing secret", re.compile(r"\bwhsec_[A-Za-z0-9+/=]{20,}"), 6, ("whsec_",)),
    SecretPattern("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), 4, ("AKIA", "ASIA")),
    SecretPattern(
        "GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
        4,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    SecretPattern("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 5, ("xox",)),
    SecretPattern("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), 4, ("AIza",)),
    SecretPattern(
        "JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        3,
        ("eyJ",),
    ),
    SecretPattern("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"), 0, ("PRIVATE KEY-----",)),
    SecretPattern(
        "high-entropy value of a secret-like name",
        re.compile(
            r"(?:secret|token|passw(?:or)?d|api_?key|private_?key|access_?key)[A-Za-z0-9_]*[\"']?[ \t]*[:=][ \t]*"
            r"[\"']?(?P<value>[A-Za-z0-9+/_.=-]{20,})",
            re.IGNORECASE,
        ),
        0,
        (
            "secret",
            "token",
            "passw",
            "api_key",
            "apikey",
            "private_key",
            "privatekey",
            "access_key",
            "accesskey",
        ),
        anchored=True,
    ),
]

GENERIC = PATTERNS[-1]
_REFERENCE = re.compile(r"^(?:os\.environ|process\.env|import\.meta|env\.|secrets\.|vars\.|\.)")
"""Values that name where a secret comes from (`os.environ/KEY`, `secrets.TOKEN`) rather than holding it."""
_PLACEHOLDER = re.compile(
    r"example|x{4,}|X{4,}|\.\.\.|your[_-]|changeme|redacted|dummy|fake|placeholder|<|\$\{?", re.IGNORECASE
)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    offset: int
    masked: str


def find_secrets(text: str) -> Iterator[Finding]:
    lowered = text.lower()
    seen: set[int] = set()
    for pattern in PATTERNS:
        for match in pattern.matches(text, lowered):
            value = match.group("value") if "value" in pattern.regex.groupindex else match.group(0)
            start = match.start("value") if "value" in pattern.regex.groupindex else match.start()
            if start in seen or _looks_like_placeholder(value, pattern):
                continue
            seen.add(start)
            shown = value[: pattern.prefix]
            yield Finding(pattern.name, start, f"{shown}… ({len(value)} characters)")


def _looks_like_placeholder(value: str, pattern: SecretPattern) -> bool:
    if pattern.name == "private key":
        return False
    if _PLACEHOLDER.search(value):
        return True
    if pattern is GENERIC and (
        _REFERENCE.match(value) or not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value))
    ):
        return True
    body = value[pattern.prefix :]
    threshold = 3.5 if pattern.prefix == 0 else 3.0
    return entropy(body) < threshold


def scan_text(text: str, display: str) -> list[Diagnostic]:
    """Diagnostics for every likely secret in `text`, located by line and column."""
    diagnostics = []
    for finding in find_secrets(text):
        line = text.count("\n", 0, finding.offset) + 1
        col = finding.offset - (text.rfind("\n", 0, finding.offset) + 1) + 1
        diagnostics.append(
            Diagnostic(
                display,
                line,
                col,
                "secret",
                f"this looks like a real {finding.kind}: {finding.masked}",
                hint="remove it and rotate it now; write a placeholder such as <key> or $VARIABLE_NAME instead",
            )
        )
    return diagnostics
