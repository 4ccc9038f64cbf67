"""A deterministic synthetic knowledge base for benchmarks: `generate(root, records, seed)`.

The tree looks like a real one: `opsbook.yml`, a small catalog (workflows, tools, class guides), ~10 %
runbooks of ~6 KB under `runbooks/<class>/` and ~90 % incidents of ~4 KB under `incidents/<year>/`.
Links are as dense as in the bundled examples: every incident uses 1-3 runbooks (popular runbooks are
used far more often than others), a quarter of incidents name 1-2 earlier related incidents, every
runbook names 2-4 related runbooks, and some records name golden-path workflows. Dates are laid out so
that, on `TODAY`, the good records raise no warnings about staleness, drills or overdue items.

`bad_files` of the record files are broken on purpose, one kind of mistake each (syntax, misspelt key,
bad enum value, timestamps out of order, dangling reference, ...); nothing links to them, so their errors
stay in their own files. The same `seed` gives a byte-identical tree.

    python scripts/kbgen.py DIR --records 1000 --seed 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from bisect import bisect_left
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # PyYAML without libyaml: same output, only slower
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

TODAY = dt.date(2026, 11, 25)
"""The day the tree is consistent for; run `opsbook` with OPSBOOK_TODAY set to it."""

CLASSES = ["auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy"]
RUNBOOK_SHARE = 0.10
FIRST_INCIDENT = dt.date(2019, 1, 1)
LAST_INCIDENT = dt.date(2026, 9, 30)  # before every runbook's last review: no "used after review"
FIRST_REVIEW = dt.date(2026, 10, 1)
LAST_REVIEW = dt.date(2026, 11, 20)
UTC = dt.UTC

BAD_KINDS = [
    "yaml-syntax",
    "unknown-key",
    "bad-value",
    "timestamp-order",
    "dangling-ref",
    "tab",
    "naive-timestamp",
    "missing-key",
    "duplicate-key",
    "id-mismatch",
]
"""One mistake per bad file, in this order (cycling when there are more bad files than kinds)."""

TEAMS = [
    "agent-runtime",
    "platform",
    "payments",
    "web-platform",
    "growth",
    "support-tools",
    "data-platform",
    "security",
    "mobile",
    "search",
    "billing",
    "identity",
]
APPROVERS = ["incident-commander", "platform-lead", "security-lead", "agent-runtime-lead", "payments-lead"]
WORKFLOWS = [
    ("chat-answer", "Web chat: a user asks, the agent answers"),
    ("weekly-digest", "Weekly digest e-mail built by a background agent"),
    ("checkout-upgrade", "Checkout: a paid upgrade reaches the account"),
    ("slack-triage", "Slack triage agent answers in the support channel"),
    ("doc-ingest", "Document ingestion and embedding refresh"),
    ("code-review-bot", "Pull-request review comments from the review agent"),
    ("voice-handoff", "Voice assistant hands the call to a person"),
    ("nightly-eval", "Nightly evaluation run against the golden set"),
]
ENVIRONMENTS = ["production", "preview", "staging", "local", "ci"]
PROVIDERS = [
    "openai",
    "anthropic",
    "azure-openai",
    "aws-bedrock",
    "vercel",
    "netlify",
    "stripe",
    "supabase",
    "upstash",
    "cloudflare",
    "slack",
    "github",
    "sentry",
    "datadog",
    "litellm",
]
RUNTIMES = [
    "nextjs",
    "litellm",
    "langgraph",
    "openai-python",
    "anthropic-sdk",
    "celery",
    "sqs",
    "fastapi",
    "claude-code",
    "vite",
    "expo",
    "temporal",
]
COMPONENTS = [
    "the webhook handler",
    "the chat route",
    "the LiteLLM proxy",
    "the summary worker",
    "the session store",
    "the embedding job",
    "the Slack bot",
    "the checkout API",
    "the preview deployment",
    "the CDN edge",
    "the service worker",
    "the approval queue",
    "the tool sandbox",
    "the CI runner",
    "the auth middleware",
    "the model router",
    "the cron scheduler",
    "the vector index",
    "the billing sync",
    "the review agent",
]
FAILURES = [
    "returned 401 for every request",
    "timed out after 60 seconds",
    "answered from the fallback model",
    "served a bundle from the previous release",
    "lost the conversation state",
    "retried the same call",
    "read a key scoped to Preview only",
    "ran without the tool it needed",
    "hit the tokens-per-minute limit",
    "dropped the approval click",
    "wrote to the wrong project",
    "returned a truncated answer",
    "kept an expired session alive",
    "skipped the signature check",
    "queued the job twice",
    "ignored the retry-after header",
    "exceeded the context window",
    "lost the system instructions",
]
CONTEXTS = [
    "after the deploy",
    "during the nightly batch",
    "when traffic doubled",
    "once the key was rotated",
    "after the cache purge",
    "during the provider outage",
    "while the migration ran",
    "after compaction",
    "for customers on the EU region",
    "in the preview environment",
    "for long conversations",
    "when the worker restarted",
    "after the SDK upgrade",
    "on the mobile client",
]
CONSEQUENCES = [
    "so users saw an error page",
    "and nobody was paged for twenty minutes",
    "so paid upgrades were not applied",
    "which doubled token spend",
    "so answers cited the wrong documents",
    "and the queue grew to 40,000 jobs",
    "so the agent and a person answered the same thread",
    "which hid the real error behind a timeout",
    "and the dashboard stayed green",
    "so the digest went out empty",
    "and support tickets tripled",
]
ADVICE = [
    "Check which environment the variable is set for before redeploying.",
    "Count upstream attempts per request id instead of guessing.",
    "Compare the deployed commit with the one the CDN serves.",
    "Confirm the session owner before resuming the thread.",
    "Pause the background worker first; it competes for the same rate limit.",
    "Read the provider status page, then the proxy logs, then the app logs.",
    "Verify the signature secret against the dashboard of the right account.",
    "Look for a second retry layer above the router.",
    "Make sure the fallback key exists in every environment the primary does.",
    "Rebuild without the cache when the output does not match the source.",
]
WORDS = [
    "webhook",
    "secret",
    "session",
    "fallback",
    "deploy",
    "token",
    "quota",
    "retry",
    "cache",
    "bundle",
    "approval",
    "sandbox",
    "scope",
    "preview",
    "router",
    "worker",
    "digest",
    "context",
    "prompt",
    "key",
    "stream",
    "handoff",
    "index",
    "embedding",
    "signature",
    "limit",
    "timeout",
    "upgrade",
    "thread",
    "cdn",
]
SYMPTOMS = [
    "The agent stops answering halfway through a reply",
    "Customers say the upgrade went through but the plan did not change",
    "Every request from Preview fails with 401 while production works",
    "The page shows the old layout after the release",
    "Answers suddenly cite documents from another workspace",
    "The bot posts the same message twice in the thread",
    "The approval button spins and nothing happens",
    "Chat latency jumps to half a minute for some users",
    "Background jobs finish but nothing reaches the user",
    "The agent forgets the instructions it was given an hour ago",
    "CI fails with 403 on a step that passed yesterday",
    "The fallback answers, but the UI cannot render its output",
]
SIGNATURES = [
    "HTTP/1.1 429 Too Many Requests",
    "Request failed with status code 401",
    "invalid_api_key",
    "ChunkLoadError: Loading chunk",
    "No signatures found matching the expected signature for payload",
    "context_length_exceeded",
    "FUNCTION_INVOCATION_TIMEOUT",
    "insufficient_quota",
    "Resource not accessible by integration",
    "Permission denied by sandbox policy",
    "session not found",
    "missing_scope",
    "APITimeoutError",
    "Error: ENOENT: no such file or directory",
    "upstream connect error or disconnect/reset before headers",
]
REGEX_SIGNATURES = [
    r"/HTTP 4\d\d/",
    r"/Retrying request to \S+ in \d+(\.\d+)? seconds/",
    r"/rate[_ ]limit[_ ]exceeded/",
    r"/LiteLLM Retried: \d+ times/",
    r"/Loading chunk \d+ failed/",
    r"/session [0-9a-f]{8} expired/",
]
SAFE_COMMANDS = [
    "grep -c 'status=401' <app-log>",
    "curl -s -o /dev/null -w '%{http_code}' https://<host>/api/health",
    "kubectl -n <namespace> get pods -o wide",
    "jq '.events[] | select(.reason != null) | .reason' <events-file> | sort | uniq -c",
    "vercel env ls production",
    "gh run list --workflow <workflow> --limit 5",
    "redis-cli -u $REDIS_URL TTL session:<id>",
    "psql $DATABASE_URL -c 'select count(*) from workflow_events where at > now() - interval 1 hour'",
    "curl -sI https://<host>/ | grep -i -E 'age|x-vercel-cache|etag'",
    "tail -n 200 <proxy-log> | grep -E 'fallback|cooldown'",
    "aws sqs get-queue-attributes --queue-url <queue-url> --attribute-names All",
    "stripe events list --limit 10",
]
SENSITIVE_COMMANDS = [
    "vercel deploy --prod",
    "kubectl -n <namespace> rollout restart deploy/<worker>",
    "gh secret set <NAME> --env production",
    "vercel env add <NAME> production",
    "kubectl -n <namespace> scale deploy/<worker> --replicas=0",
    "stripe webhook_endpoints update <endpoint-id> --enabled-events <events>",
]
REFERENCE_SITES = [
    ("Vercel: environment variables", "https://vercel.com/docs/projects/environment-variables"),
    ("OpenAI: rate limits", "https://platform.openai.com/docs/guides/rate-limits"),
    ("Stripe: verify webhook signatures", "https://docs.stripe.com/webhooks#verify-events"),
    ("Google SRE book: handling overload", "https://sre.google/sre-book/handling-overload/"),
    ("LiteLLM: reliability and fallbacks", "https://docs.litellm.ai/docs/proxy/reliability"),
    ("Anthropic: errors", "https://docs.anthropic.com/en/api/errors"),
    ("GitHub Actions: permissions for GITHUB_TOKEN", "https://docs.github.com/en/actions/security-guides"),
    ("MDN: Service Worker lifecycle", "https://developer.mozilla.org/en-US/docs/Web/API/Service_Worker_API"),
]
MODELS = [
    "openai/gpt-4.1",
    "openai/gpt-4.1-mini",
    "anthropic/claude-sonnet-4-5",
    "anthropic/claude-haiku-4-5",
    "azure/gpt-4o",
    "bedrock/claude-3-7-sonnet",
]
DETECTION = ["alert", "customer-report", "agent-self-report", "employee", "synthetic-check", "review"]
ACTION_TYPES = [
    "prevent",
    "detect",
    "mitigate",
    "process",
    "runbook-update",
    "add-regression-eval",
    "add-p0-test",
]


class _Text:
    """Plausible operations prose from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self) -> str:
        r = self.rng
        text = f"{r.choice(COMPONENTS)} {r.choice(FAILURES)} {r.choice(CONTEXTS)}"
        if r.random() < 0.6:
            text += f", {r.choice(CONSEQUENCES)}"
        if r.random() < 0.08:
            text += " — again"
        return text[0].upper() + text[1:] + "."

    def paragraph(self, sentences: int) -> str:
        parts = [self.sentence() for _ in range(sentences)]
        if self.rng.random() < 0.5:
            parts.append(self.rng.choice(ADVICE))
        return " ".join(parts)

    def instruction(self, sentences: int) -> str:
        """A step's action: a paragraph behind a verb, as `step-not-verb-first` wants (same draws as `paragraph`)."""
        text = self.paragraph(sentences)
        return "Find out why " + text[0].lower() + text[1:]

    def short(self, limit: int = 180) -> str:
        text = self.sentence().rstrip(".")
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    @staticmethod
    def titled(data: dict[str, Any]) -> dict[str, Any]:
        """A record with a `short_title` (cut at a word) when its title is past the 60 characters of `long-title`."""
        title = data["title"]
        if len(title) > 60:
            data["short_title"] = title[:59].rsplit(" ", 1)[0].rstrip(",;:(") + "…"
        return data

    def slug_words(self, count: int) -> list[str]:
        return self.rng.sample(WORDS, count)


def _dump(data: dict[str, Any], schema: str) -> bytes:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return f"# yaml-language-server: $schema={schema}\n{body}".encode()


def _cumulative(count: int, skew: float = 0.9) -> list[float]:
    """Zipf-like weights: a few popular targets, a long tail."""
    return list(accumulate(1.0 / (rank + 1) ** skew for rank in range(count)))


def _pick(rng: random.Random, items: list[str], cumulative: list[float], count: int) -> list[str]:
    chosen: list[str] = []
    count = min(count, len(items))
    while len(chosen) < count:
        item = items[bisect_left(cumulative, rng.random() * cumulative[-1])]
        if item not in chosen:
            chosen.append(item)
    return chosen


def _date_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def _step(text: _Text, *, sensitive: bool = False) -> dict[str, Any]:
    r = text.rng
    step: dict[str, Any] = {"action": text.instruction(r.choice([1, 1, 2]))}
    if sensitive:
        step["command"] = r.choice(SENSITIVE_COMMANDS)
    elif r.random() < 0.8:
        step["command"] = r.choice(SAFE_COMMANDS)
    step["expected"] = text.paragraph(1)
    if r.random() < 0.4:
        step["on_unexpected"] = text.paragraph(1)
    if sensitive:
        step["rollback"] = text.short()
        step["sensitive"] = True
        step["requires_approval"] = r.choice(APPROVERS)
        step["executor"] = "human"
    elif r.random() < 0.3:
        step["executor"] = r.choice(["agent", "either"])
    return step


def _runbook(
    text: _Text, record_id: str, failure_class: str, related: list[str], replaced_by: str | None, status: str
) -> dict[str, Any]:
    r = text.rng
    data: dict[str, Any] = {
        "id": record_id,
        "title": f"{r.choice(SYMPTOMS)} ({record_id.rsplit('-', 1)[0].replace('-', ' ')})",
        "failure_class": failure_class,
        "status": status,
    }
    if replaced_by:
        data["replaced_by"] = replaced_by
    data["owner"] = r.choice(TEAMS)
    data["escalation"] = f"Page #{r.choice(TEAMS)}-oncall; if it persists, the {r.choice(APPROVERS)}"
    data["summary"] = text.paragraph(3)
    data["symptoms"] = r.sample(SYMPTOMS, r.randint(3, 5))
    data["signatures"] = r.sample(SIGNATURES, r.randint(2, 4)) + r.sample(REGEX_SIGNATURES, r.randint(1, 2))
    data["applicability"] = {
        "environments": r.sample(ENVIRONMENTS, r.randint(1, 3)),
        "providers": r.sample(PROVIDERS, r.randint(2, 4)),
        "runtimes": r.sample(RUNTIMES, r.randint(1, 4)),
        "not_for": text.paragraph(1),
    }
    data["prerequisites"] = [text.short() for _ in range(r.randint(2, 3))]
    data["diagnosis"] = [_step(text) for _ in range(r.randint(3, 4))]
    data["mitigation"] = [_step(text, sensitive=index == 0 or r.random() < 0.4) for index in range(r.randint(2, 3))]
    data["verification"] = [_step(text) for _ in range(2)]
    data["follow_up"] = [
        {
            "kind": r.choice(["test", "eval", "alert", "checklist", "dashboard", "doc", "process"]),
            "text": text.paragraph(1),
        }
        for _ in range(r.randint(2, 3))
    ]
    data["related"] = related
    data["references"] = [{"title": title, "url": url} for title, url in r.sample(REFERENCE_SITES, r.randint(2, 3))]
    if r.random() < 0.3:
        data["internal_links"] = [{"title": "Dashboard", "url": f"https://grafana.example.internal/d/{record_id}"}]
    data["keywords"] = r.sample(WORDS, r.randint(4, 8))
    data["last_reviewed"] = _date_between(r, FIRST_REVIEW, LAST_REVIEW)
    data["review_interval_days"] = 90
    if failure_class == "fallback":
        data["drills"] = [
            {
                "date": _date_between(r, dt.date(2026, 9, 1), LAST_REVIEW),
                "result": r.choice(["pass", "partial"]),
                "environment": "staging",
                "notes": text.paragraph(1),
            }
        ]
    if r.random() < 0.4:
        data["workflows"] = [w for w, _ in r.sample(WORKFLOWS, r.randint(1, 2))]
    data["visibility"] = "internal" if r.random() < 0.1 else "public"
    return text.titled(data)


def _incident(
    text: _Text, record_id: str, started_on: dt.date, classes: list[str], used: list[str], related: list[str]
) -> dict[str, Any]:
    r = text.rng
    started = dt.datetime.combine(started_on, dt.time(r.randint(0, 22), r.randrange(0, 60, 5)), UTC)
    detected = started + dt.timedelta(minutes=r.randint(2, 90))
    acknowledged = detected + dt.timedelta(minutes=r.randint(1, 20))
    mitigated = acknowledged + dt.timedelta(minutes=r.randint(10, 240))
    resolved = mitigated + dt.timedelta(hours=r.randint(1, 48))
    data: dict[str, Any] = {
        "id": record_id,
        "title": text.short(190),
        "status": r.choice(["reviewed", "reviewed", "reviewed", "closed", "in_review"]),
        "severity": r.choice(["SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4"]),
        "severity_rationale": text.paragraph(1),
        "failure_classes": classes,
        "timestamps": {
            "started": started,
            "detected": detected,
            "acknowledged": acknowledged,
            "mitigated": mitigated,
            "resolved": resolved,
        },
        "summary": text.paragraph(3),
        "impact": {
            "summary": text.paragraph(1),
            "users_affected": r.randint(1, 5000),
            "requests_failed": r.randint(10, 90000),
            "slo_breached": r.random() < 0.4,
        },
        "trigger": text.short(),
        "contributing_factors": [text.short() for _ in range(r.randint(1, 3))],
        "root_cause": text.paragraph(1),
        "detection": {
            "method": r.choice(DETECTION),
            "description": text.short(),
            "should_have_been": text.short(),
        },
    }
    timeline = []
    moments = sorted(started + (resolved - started) * r.random() for _ in range(r.randint(2, 4)))
    for at in [started, *moments, resolved]:
        timeline.append(
            {
                "at": at.replace(second=0, microsecond=0),
                "event": text.short(),
                "actor": r.choice([*TEAMS, "triage-agent", "litellm-proxy", "vercel"]),
                "actor_kind": r.choice(["person", "agent", "system"]),
            }
        )
    timeline.sort(key=lambda entry: entry["at"])
    data["timeline"] = timeline
    if r.random() < 0.5:
        primary, fallback = r.sample(MODELS, 2)
        data["agent_context"] = {
            "model_chain": {
                "primary": primary,
                "fallbacks": [fallback],
                "fired": fallback,
                "reason": text.short(),
            },
            "sessions": [
                {
                    "session_id": f"{r.choice(WORDS)}/{r.randrange(16**8):08x}",
                    "runtime": r.choice(RUNTIMES),
                    "state_seen": r.choice(["active", "idle", "compacted", "expired"]),
                    "decision": r.choice(["resumed", "respawned", "none"]),
                }
            ],
        }
    data["went_well"] = [text.short() for _ in range(r.randint(1, 2))]
    data["went_wrong"] = [text.short() for _ in range(r.randint(1, 2))]
    data["got_lucky"] = [text.short()]
    data["runbooks_used"] = [
        {"runbook": runbook, "helped": r.choice(["yes", "yes", "partly", "no"]), "note": text.short()}
        for runbook in used
    ]
    items = []
    for index in range(r.randint(1, 3)):
        opened = detected.date()
        item: dict[str, Any] = {
            "id": f"{'-'.join(text.slug_words(2))}-{index + 1}",
            "title": text.short(),
            "type": r.choice(ACTION_TYPES),
            "owner": r.choice(TEAMS),
            "priority": r.choice(["P0", "P1", "P1", "P2", "P3"]),
            "opened": opened,
            "due": opened + dt.timedelta(days=r.randint(7, 60)),
        }
        if item["due"] < TODAY - dt.timedelta(days=30) or r.random() < 0.5:
            item["status"] = "done"
            item["closed"] = min(item["due"], TODAY)
        elif item["due"] < TODAY:
            item["status"] = "not_doing"
            item["reason"] = text.short()
        items.append(item)
    data["action_items"] = items
    if r.random() < 0.3:
        data["workflows"] = [w for w, _ in r.sample(WORKFLOWS, r.randint(1, 2))]
    if related:
        data["related_incidents"] = related
    if r.random() < 0.2:
        data["incident_commander"] = r.choice(TEAMS) + "-lead"
    data["last_updated"] = min(resolved.date() + dt.timedelta(days=r.randint(1, 14)), TODAY)
    if r.random() < 0.3:
        data["visibility"] = "internal"
        data["public_summary"] = text.paragraph(1)
    else:
        data["visibility"] = "public"
    return text.titled(data)


def _catalog(text: _Text) -> dict[str, dict[str, Any]]:
    r = text.rng
    workflows = {
        "workflows": [
            {
                "id": workflow_id,
                "title": title,
                "description": text.paragraph(3),
                "owner": r.choice(TEAMS),
                "golden_path": index < 4,
                **({"p0": r.choice(["revenue", "trust"])} if index < 4 else {}),
                "events": {"success": f"{workflow_id}.succeeded", "failure": f"{workflow_id}.failed"},
                "how_to_observe": text.paragraph(2),
                "p0_tests": [f"tests/p0/test_{workflow_id.replace('-', '_')}.py"],
            }
            for index, (workflow_id, title) in enumerate(WORKFLOWS)
        ]
    }
    classes = {
        "classes": [
            {
                "id": failure_class,
                "title": failure_class.replace("-", " ").capitalize(),
                "tagline": text.short(150),
                "description": text.paragraph(3),
                "boundary": text.paragraph(2),
                "practices": [text.paragraph(1) for _ in range(3)],
            }
            for failure_class in CLASSES
        ]
    }
    tools = {
        "channels": [
            {
                "id": "web-chat",
                "title": "Web chat",
                "streaming": True,
                "buttons": True,
                "file_upload": True,
                "threads": False,
            },
            {
                "id": "slack",
                "title": "Slack",
                "streaming": False,
                "buttons": True,
                "file_upload": True,
                "threads": True,
                "max_message_chars": 40000,
            },
        ],
        "tools": [
            {
                "id": tool,
                "title": tool.replace("-", " ").capitalize(),
                "description": text.paragraph(1),
                "grants": [
                    {
                        "where": where,
                        "available": where != "production" or tool != "shell",
                        "policy": text.short(),
                        **({"approval": "platform-lead"} if where == "production" else {}),
                    }
                    for where in ("local", "ci", "production", "slack")
                ],
            }
            for tool in ("shell", "web-search", "file-write", "deploy", "ticket-create")
        ],
    }
    return {"workflows": workflows, "classes": classes, "tools": tools}


def _break(kind: str, data: dict[str, Any], schema: str) -> bytes:
    """Serialise `data` with one mistake of `kind`."""
    if kind == "bad-value":
        data["severity"] = "SEV9"
    elif kind == "timestamp-order":
        stamps = data["timestamps"]
        stamps["detected"] = stamps["started"] - dt.timedelta(hours=2)
    elif kind == "dangling-ref":
        data["runbooks_used"].append({"runbook": "no-such-runbook-anywhere", "helped": "no"})
    elif kind == "naive-timestamp":
        data["timestamps"]["started"] = data["timestamps"]["started"].replace(tzinfo=None)
    elif kind == "missing-key":
        del data["summary"]
    elif kind == "id-mismatch":
        data["id"] = data["id"] + "-renamed"
    text = _dump(data, schema).decode()
    if kind == "yaml-syntax":
        text = text.replace("\nsummary:", "\nsummary: [unclosed\nsummary_:", 1)
    elif kind == "unknown-key":
        text = text.replace("\nmitigation:", "\nmitigaton:", 1)
    elif kind == "tab":
        text = text.replace("\n  started:", "\n\tstarted:", 1)
    elif kind == "duplicate-key":
        text = text.replace("\nseverity:", "\nseverity: SEV4\nseverity:", 1)
    return text.encode()


def generate(root: Path, records: int, seed: int = 7, bad_files: int = 5) -> dict[str, Any]:
    """Write a knowledge base of `records` record files (of which `bad_files` are broken) under `root`.

    Returns counts: records, runbooks, incidents, bad_files, links, bytes, plus `bad_paths` (the broken
    files, relative to `root`, with the mistake each holds).
    """
    if bad_files < 0 or records < len(CLASSES) * 2 + bad_files:
        raise ValueError(f"need at least {len(CLASSES) * 2 + bad_files} records for {bad_files} bad files")
    rng = random.Random(seed)
    text = _Text(rng)
    root.mkdir(parents=True, exist_ok=True)
    written: dict[str, bytes] = {"opsbook.yml": b"name: synthetic-kb\n"}
    for name, data in _catalog(text).items():
        written[f"catalog/{name}.yaml"] = _dump(data, f"../schema/{name}.schema.json")

    bad_kinds = [BAD_KINDS[index % len(BAD_KINDS)] for index in range(bad_files)]
    bad_runbooks = sum(1 for kind in bad_kinds if kind == "unknown-key")
    runbook_count = max(len(CLASSES), round(records * RUNBOOK_SHARE) - bad_runbooks)
    incident_count = records - runbook_count - bad_files

    # runbooks: ids first, so that related links can point anywhere
    runbook_ids: list[str] = []
    runbook_class: dict[str, str] = {}
    for index in range(runbook_count):
        failure_class = CLASSES[index % len(CLASSES)]
        record_id = f"{'-'.join(text.slug_words(rng.randint(2, 3)))}-{index + 1:05d}"
        runbook_ids.append(record_id)
        runbook_class[record_id] = failure_class
    by_class = {c: [rid for rid in runbook_ids if runbook_class[rid] == c] for c in CLASSES}
    active_by_class = {c: ids[: max(1, len(ids) - len(ids) // 12)] for c, ids in by_class.items()}
    weights = {c: _cumulative(len(ids)) for c, ids in by_class.items()}
    all_weights = _cumulative(len(runbook_ids), skew=0.5)
    links = 0
    for record_id in runbook_ids:
        failure_class = runbook_class[record_id]
        active = record_id in active_by_class[failure_class]
        status = "active" if active else "deprecated"
        replaced_by = None if active else rng.choice(active_by_class[failure_class])
        others = [rid for rid in _pick(rng, runbook_ids, all_weights, rng.randint(3, 5)) if rid != record_id]
        related = others[: rng.randint(2, 4)]
        links += len(related) + (replaced_by is not None)
        data = _runbook(text, record_id, failure_class, related, replaced_by, status)
        written[f"runbooks/{failure_class}/{record_id}.yaml"] = _dump(data, "../../schema/runbook.schema.json")

    # incidents: in date order, so related incidents are earlier ones
    span = (LAST_INCIDENT - FIRST_INCIDENT).days
    days = sorted(rng.randint(0, span) for _ in range(incident_count + bad_files))
    incident_ids: list[str] = []
    bad_slots = set(rng.sample(range(len(days)), bad_files))
    bad_paths: dict[str, str] = {}
    for index, offset in enumerate(days):
        started_on = FIRST_INCIDENT + dt.timedelta(days=offset)
        record_id = f"{started_on.isoformat()}-{'-'.join(text.slug_words(rng.randint(2, 4)))}-{index + 1}"
        classes = [rng.choice(CLASSES)]
        if rng.random() < 0.15:
            classes.append(rng.choice([c for c in CLASSES if c != classes[0]]))
        used = _pick(rng, by_class[classes[0]], weights[classes[0]], rng.choices([1, 2, 3], [5, 4, 2])[0])
        related = []
        if incident_ids and rng.random() < 0.25:
            recent = incident_ids[-200:]
            related = rng.sample(recent, min(len(recent), rng.randint(1, 2)))
        data = _incident(text, record_id, started_on, classes, used, related)
        path = f"incidents/{record_id[:4]}/{record_id}.yaml"
        schema = "../../schema/incident.schema.json"
        if index in bad_slots:
            kind = bad_kinds[len(bad_paths)]
            if kind == "unknown-key":  # a runbook with a misspelt key, in its class folder
                failure_class = CLASSES[len(bad_paths) % len(CLASSES)]
                runbook_id = f"{'-'.join(text.slug_words(2))}-bad-{len(bad_paths) + 1}"
                data = _runbook(text, runbook_id, failure_class, [runbook_ids[0]], None, "active")
                path = f"runbooks/{failure_class}/{runbook_id}.yaml"
                schema = "../../schema/runbook.schema.json"
            written[path] = _break(kind, data, schema)
            bad_paths[path] = kind
            continue
        links += len(used) + len(related) + len(data.get("workflows", []))
        incident_ids.append(record_id)
        written[path] = _dump(data, schema)

    for relative, content in written.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    record_paths = [p for p in written if p.startswith(("runbooks/", "incidents/"))]
    runbook_files = sum(1 for p in record_paths if p.startswith("runbooks/"))
    record_bytes = sum(len(written[p]) for p in record_paths)
    return {
        "records": len(record_paths),
        "runbooks": runbook_files,
        "incidents": len(record_paths) - runbook_files,
        "bad_files": len(bad_paths),
        "links": links,
        "bytes": record_bytes,
        "runbook_bytes_mean": round(
            sum(len(written[p]) for p in record_paths if p.startswith("runbooks/")) / max(runbook_files, 1)
        ),
        "incident_bytes_mean": round(
            sum(len(written[p]) for p in record_paths if p.startswith("incidents/"))
            / max(len(record_paths) - runbook_files, 1)
        ),
        "bad_paths": dict(sorted(bad_paths.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-files", type=int, default=5)
    args = parser.parse_args()
    counts = generate(args.root, args.records, seed=args.seed, bad_files=args.bad_files)
    print(counts)


if __name__ == "__main__":
    main()
