"""Credential formats: where the secrets in a text are, and the text with each one masked.

Imports nothing from opsbook, so the lowest layer can mask with it: every `Diagnostic` masks its message
and hint on construction, whatever its code and output format.

Each rule captures the secret in the group `secret`; a group `public` is the part that may be shown (the
scheme, user and host of a URL), otherwise the first `shown` characters are (a prefix that names the
format, `sk_live_`). A match starts where one of the rule's lower-case `keywords` occurs (or just before it,
over the characters `lead` allows), so each regex is tried only there: searching every position of every
text with fifty regexes would cost thirty times more. Sources
and the published examples below are in docs/reference/secret-formats.md; regexes transcribed from the
gitleaks default rule set turn its trailing delimiter group into a look-ahead (`END`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ahocorasick_rs import AhoCorasick

END = r"(?![A-Za-z0-9_-])"
"""The secret ends here: no further token character."""
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ASSIGN = r"[\"']?[ \t]*(?::=|=>|=|:)[ \t]*[\"']?"
"""`=`, `:`, `:=` or `=>` between a key name and its value, with optional quotes."""

Check = Callable[[re.Match[str]], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    pattern: str
    keywords: tuple[str, ...]
    """Lower-case text a match starts with (after `lead` characters); without `anchored`, text it needs."""
    shown: int = 0
    """How many leading characters of the secret name its format and may be printed."""
    min_entropy: float = 0.0
    """Minimum Shannon entropy (bits per character) of the secret after what may be shown."""
    public: bool = False
    """A format meant to be published (Stripe `pk_live_`): a match silences other rules on its span."""
    check: Check | None = None
    """A further test of the match (a decoding, the key name it is assigned to); False drops it."""
    literal: bool = False
    """Placeholder words (`example`, `xxxx`) do not make this match a placeholder (private key blocks)."""
    lead: frozenset[str] = frozenset()
    """Characters a match may start with before its keyword (the `DB_` of `DB_PASSWORD`)."""
    anchored: bool = True
    """Try the regex only where a keyword occurs; otherwise search the whole text when one occurs in it."""

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """Rules are compiled when first used: importing this module (every command that reports anything does)
    stays cheap, and masking a short message compiles none."""
    return re.compile(pattern)


@dataclass(frozen=True, slots=True)
class Secret:
    rule: Rule
    start: int
    end: int
    shown: str

    @property
    def masked(self) -> str:
        """What may be printed instead of the secret: its public prefix and its length, never its tail."""
        return f"{self.shown}… ({self.end - self.start} characters)"


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


# --- checks of a match ------------------------------------------------------------------------------------


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _discord_token(match: re.Match[str]) -> bool:
    """The first part of a Discord bot token is the bot's user id (a 17-20 digit snowflake) in base64."""
    try:
        user_id = _b64url(match.group("secret").split(".")[0]).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return user_id.isdigit() and 17 <= len(user_id) <= 20


def _jwt_claims(token: str) -> dict[str, object] | None:
    try:
        header, payload = (json.loads(_b64url(part)) for part in token.split(".")[:2])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(header, dict) and isinstance(payload, dict) else None


def _supabase_anon_key(match: re.Match[str]) -> bool:
    """A legacy Supabase anon key (role anon): publishable by design, like `sb_publishable_`."""
    claims = _jwt_claims(match.group("secret")) or {}
    return claims.get("role") == "anon" and "supabase" in str(claims.get("iss", ""))


def _pem_body(match: re.Match[str]) -> bool:
    """At least 64 base64 characters between the markers: `-----BEGIN PRIVATE KEY-----\\n...` in docs is not a key."""
    inner = re.sub(r"-----(?:BEGIN|END)[^-]*-----", "", match.group("secret")).replace("\\n", "\n")
    return len(re.findall(r"[A-Za-z0-9+/=]", inner)) >= 64


PLACEHOLDER = (
    r"(?i)x{6,}|\*{4,}|0{8,}|(?<![A-Za-z0-9])\.{3}(?![A-Za-z0-9])|…|<[^>]*>|\byour[_-]|changeme|change_me"
    r"|redacted|dummy|placeholder|example|\$\{|\{\{|^\$[A-Za-z_]"
)
"""Values that stand for a secret in documentation: `sk-...`, `<key>`, `xxxxxx`, `${TOKEN}`, `your-token`."""
PLACEHOLDER_PASSWORDS = frozenset(
    "password passw0rd pass passwd pwd secret changeme change_me example test testing admin root guest pw "
    "mypassword yourpassword s3cret".split()
)
"""Passwords that documentation writes: `postgres://user:password@localhost`."""
LOOPBACK = r"(?i)^(?:localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0|host\.docker\.internal)(?::\d+)?$"
NON_SECRET_KEY = (
    r"(?i)(?:^|[_.-])(?:name|names|ref|refs|path|file|url|uri|endpoint|id|ids|arn|length|len|size|type"
    r"|kind|count|max|min|limit|ttl|expiry|expires|expires_at|header|field|env|var|prefix|hint|policy"
    r"|commit|sha|sha1|sha256|hash|digest|checksum|fingerprint|version|format|usage|rotation|owner)$"
    r"|(?<=[a-z])(?:Name|Ref|Path|File|Url|Id|Arn|Length|Type|Commit|Sha|Hash)$"
    r"|idempoten|nonce|csrf|xsrf|request[_-]?id|correlation|trace|max_tokens|max_output_tokens"
    r"|tokens?_(?:used|count|limit)|tokenizer|secretkeyref|secretref|secret_?manager|secretsmanager"
)
"""Key names that describe a secret rather than hold one: `secretName`, `token_fix_commit`, `idempotency_token`."""
REFERENCE = (
    r"^(?:\$|%\(|\{\{|@[A-Za-z_]+@$|os\.environ|os\.getenv|getenv|process\.env|import\.meta|env\.|ENV\[|secrets\."
    r"|vars\.|vault:|op://|sm://|gcp-sm://|awssm://|arn:aws:|projects/[^/]+/secrets/|secret/data/|kv/|ssm:)"
)
"""Values that say where a secret is kept: `$VAR`, `${{ secrets.X }}`, `os.environ[...]`, `projects/N/secrets/...`."""
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_CHARACTER_CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")


def _decoded_text(value: str) -> str | None:
    """What a base64 value decodes to, when that is printable ASCII (a Kubernetes Secret's `data:`)."""
    if len(value) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if text.isprintable() else None


def _is_placeholder_word(value: str) -> bool:
    return value.lower() in PLACEHOLDER_PASSWORDS or _compiled(PLACEHOLDER).search(value) is not None


def _assigned_secret(match: re.Match[str]) -> bool:
    """Does `key = value` hold a real-looking secret? The key name and the value's strength decide."""
    key, value = match.group("key"), match.group("secret")
    if _compiled(NON_SECRET_KEY).search(key) or _compiled(REFERENCE).match(value) or _is_placeholder_word(value):
        return False
    if re.match(r"^[a-z][a-z0-9+.-]*://", value) or re.fullmatch(r"(?i)true|false|null|none|yes|no", value):
        return False  # URLs are judged by the url-credentials rule
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*\(.*|[A-Za-z_][A-Za-z0-9_]*\[.*", value):
        return False  # code that fetches the secret: get_token(...), config["key"]
    decoded = _decoded_text(value)
    if decoded is not None and _is_placeholder_word(decoded):
        return False  # base64 of `password` in a Kubernetes Secret
    if re.search(r"(?i)passw|pwd|passphrase", key):
        classes = sum(re.search(pattern, value) is not None for pattern in _CHARACTER_CLASSES)
        return classes >= 3 or entropy(value) >= 3.5
    if _compiled(UUID).match(value):
        return True  # legacy npm, Heroku and Pinecone keys are UUIDs; the key name says this one is a key
    is_hex = re.fullmatch(r"[0-9a-fA-F]+", value) is not None
    return (
        len(value) >= 16
        and entropy(value) >= (3.0 if is_hex else 3.5)
        and re.search(r"\d", value) is not None
        and re.search(r"[A-Za-z]", value) is not None
    )


def _url_password(match: re.Match[str]) -> bool:
    """A URL's password, unless it is a placeholder or the user's own name on a loopback host."""
    user, password, host = match.group("user"), match.group("secret"), match.group("host")
    if _is_placeholder_word(password) or _compiled(REFERENCE).match(password):
        return False
    if re.fullmatch(r"[x*.]+|\d{1,5}", password, re.I):
        return False
    return not (user and user == password and _compiled(LOOPBACK).match(host))


def _rule(
    rule_id: str,
    title: str,
    pattern: str,
    keywords: tuple[str, ...],
    *,
    shown: int = 0,
    min_entropy: float = 3.0,
    public: bool = False,
    check: Check | None = None,
    literal: bool = False,
    lead: str = "",
    anchored: bool = True,
) -> Rule:
    return Rule(
        rule_id, title, pattern, keywords, shown, min_entropy, public, check, literal, frozenset(lead), anchored
    )


RULES: tuple[Rule, ...] = (
    # --- formats that are public by design: they claim their span first -----------------------------------
    _rule(
        "stripe-publishable-key",
        "Stripe publishable key",
        r"\b(?P<secret>pk_(?:live|test)_[A-Za-z0-9]{10,247})" + END,
        ("pk_",),
        public=True,
    ),
    _rule(
        "supabase-publishable-key",
        "Supabase publishable key",
        r"\b(?P<secret>sb_publishable_[A-Za-z0-9_-]{20,})" + END,
        ("sb",),
        public=True,
    ),
    _rule(
        "supabase-anon-key",
        "Supabase anon key",
        r"(?<![A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
        ("eyj",),
        public=True,
        check=_supabase_anon_key,
    ),
    _rule(
        "sentry-dsn",
        "Sentry DSN",
        r"(?P<secret>https://[0-9a-f]{32}@[A-Za-z0-9.-]*sentry\.io/\d+)",
        ("://",),
        public=True,
        lead=LETTERS,
    ),
    # --- AI providers --------------------------------------------------------------------------------------
    _rule(
        "openai-api-key",
        "OpenAI API key",
        r"\b(?P<secret>sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ"
        r"(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})" + END,
        ("sk",),
        shown=8,
    ),
    _rule(
        "openai-api-key-unmarked",
        "OpenAI API key",
        r"\b(?P<secret>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,})" + END,
        ("sk",),
        shown=8,
        min_entropy=4.0,
    ),
    _rule(
        "anthropic-api-key",
        "Anthropic API key",
        r"\b(?P<secret>sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA)" + END,
        ("sk",),
        shown=7,
    ),
    _rule(
        "anthropic-api-key-unmarked",
        "Anthropic API key",
        r"\b(?P<secret>sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,})" + END,
        ("sk",),
        shown=7,
        min_entropy=3.5,
    ),
    _rule(
        "sk-api-key",
        "sk- API key (DeepSeek, OpenRouter, LiteLLM)",
        r"\b(?P<secret>sk-(?!ant-|proj-|svcacct-|admin-)(?:or-v1-)?[A-Za-z0-9][A-Za-z0-9_-]{19,})" + END,
        ("sk",),
        shown=3,
        check=lambda match: re.search(r"\d", match.group("secret")[3:]) is not None,
    ),
    _rule(
        "groq-api-key",
        "Groq API key",
        r"\b(?P<secret>gsk_[A-Za-z0-9]{52})\b",
        ("sk",),
        shown=4,
        min_entropy=3.5,
        lead="g",
    ),
    _rule("xai-api-key", "xAI API key", r"\b(?P<secret>xai-[A-Za-z0-9_]{80})\b", ("xai-",), shown=4, min_entropy=3.5),
    _rule(
        "replicate-api-token",
        "Replicate API token",
        r"\b(?P<secret>r8_[A-Za-z0-9_-]{37})" + END,
        ("r8_",),
        shown=3,
        min_entropy=3.5,
    ),
    _rule(
        "huggingface-token",
        "Hugging Face token",
        r"\b(?P<secret>(?:hf_|api_org_)[A-Za-z]{34})" + END,
        ("hf_", "api_org_"),
        shown=3,
    ),
    _rule(
        "perplexity-api-key",
        "Perplexity API key",
        r"\b(?P<secret>pplx-[A-Za-z0-9]{48})\b",
        ("pplx-",),
        shown=5,
        min_entropy=4.0,
    ),
    _rule(
        "pinecone-api-key",
        "Pinecone API key",
        r"\b(?P<secret>pcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63})\b",
        ("sk",),
        shown=5,
        min_entropy=3.5,
        lead="pc",
    ),
    _rule(
        "mistral-api-key",
        "Mistral API key",
        r"(?i:mistral)[\w.-]{0,30}?" + ASSIGN + r"(?P<secret>[A-Za-z0-9]{32})\b",
        ("mistral",),
        shown=0,
        min_entropy=3.5,
    ),
    _rule(
        "cohere-api-key",
        "Cohere API key",
        r"(?i:cohere|co_api_key)[\w.-]{0,30}?" + ASSIGN + r"(?P<secret>[A-Za-z0-9]{40})\b",
        ("cohere", "co_api_key"),
        shown=0,
        min_entropy=4.0,
    ),
    # --- payments ----------------------------------------------------------------------------------------
    _rule(
        "stripe-secret-key",
        "Stripe secret key",
        r"\b(?P<secret>(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,247})" + END,
        ("sk", "rk_"),
        shown=8,
    ),
    _rule(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        r"\b(?P<secret>whsec_[A-Za-z0-9+/=_-]{24,})",
        ("whsec_",),
        shown=6,
        min_entropy=3.5,
    ),
    _rule(
        "shopify-token",
        "Shopify access token",
        r"\b(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        ("shp",),
        shown=6,
    ),
    # --- cloud -------------------------------------------------------------------------------------------
    _rule(
        "aws-access-key-id",
        "AWS access key id",
        r"\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        ("akia", "asia", "abia", "acca", "a3t"),
        shown=4,
    ),
    _rule(
        "aws-secret-access-key",
        "AWS secret access key",
        r"(?i:secret[_.-]?access[_.-]?key)" + ASSIGN + r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ("secret",),
        shown=0,
        min_entropy=4.0,
    ),
    _rule(
        "gcp-api-key",
        "Google API key",
        r"\b(?P<secret>AIza[0-9A-Za-z_-]{35})" + END,
        ("aiza",),
        shown=4,
        min_entropy=4.0,
    ),
    _rule(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        r"\b(?P<secret>GOCSPX-[A-Za-z0-9_-]{28})" + END,
        ("gocspx-",),
        shown=7,
        min_entropy=3.5,
    ),
    _rule(
        "gcp-service-account-key",
        "Google service-account private key",
        r"private_key\"\s*:\s*\"(?P<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\n|[^\"]){64,}?"
        r"-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)\"",
        ("key",),
        shown=0,
        min_entropy=0.0,
        check=_pem_body,
        literal=True,
        lead=LETTERS + "_",
    ),
    _rule(
        "azure-storage-key",
        "Azure storage account key",
        r"(?i:AccountKey|SharedAccessKey)\s*=\s*(?P<secret>[A-Za-z0-9+/]{43,86}={0,2})(?![A-Za-z0-9+/=])",
        ("key",),
        shown=0,
        min_entropy=4.0,
        lead=LETTERS,
    ),
    # --- code hosting and packages -------------------------------------------------------------------------
    _rule("github-token", "GitHub token", r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{36})\b", ("gh",), shown=4),
    _rule(
        "github-fine-grained-pat",
        "GitHub fine-grained token",
        r"\b(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        ("github_pat_",),
        shown=11,
    ),
    _rule(
        "gitlab-pat",
        "GitLab access token",
        r"\b(?P<secret>glpat-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)" + END,
        ("glpat-",),
        shown=6,
    ),
    _rule("npm-token", "npm access token", r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b", ("npm_",), shown=4),
    _rule(
        "pypi-token",
        "PyPI upload token",
        r"(?P<secret>pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,1000})",
        ("pypi-age",),
        shown=5,
    ),
    # --- chat and notifications ----------------------------------------------------------------------------
    _rule(
        "slack-token",
        "Slack token",
        r"\b(?P<secret>xox(?:e\.xox[bp]|[abposre])-[0-9A-Za-z-]{10,250})",
        ("xox",),
        shown=5,
    ),
    _rule(
        "slack-app-token",
        "Slack app-level token",
        r"\b(?P<secret>xapp-\d-[A-Z0-9]+-\d+-[A-Za-z0-9]+)\b",
        ("xapp-",),
        shown=5,
    ),
    _rule(
        "slack-webhook-url",
        "Slack webhook URL",
        r"(?P<secret>(?P<public>https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9+/]{43,56})",
        ("://",),
        lead=LETTERS,
    ),
    _rule(
        "discord-bot-token",
        "Discord bot token",
        r"(?<![A-Za-z0-9_-])(?P<secret>[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})" + END,
        ("discord",),
        shown=0,
        min_entropy=0.0,
        check=_discord_token,
        anchored=False,
    ),
    _rule(
        "discord-webhook-url",
        "Discord webhook URL",
        r"(?P<secret>(?P<public>https://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/)"
        r"\d{17,20}/[A-Za-z0-9_-]{60,80})",
        ("://",),
        lead=LETTERS,
    ),
    _rule(
        "telegram-bot-token",
        "Telegram bot token",
        r"(?<![0-9])(?P<secret>\d{5,16}:AA[A-Za-z0-9_-]{33})" + END,
        (":aa",),
        shown=0,
        min_entropy=3.5,
        lead=DIGITS,
    ),
    _rule("twilio-api-key", "Twilio API key", r"\b(?P<secret>SK[0-9a-fA-F]{32})\b", ("sk",), shown=2),
    _rule(
        "twilio-auth-token",
        "Twilio auth token",
        r"(?is:twilio.{0,200}?auth[_-]?token)" + ASSIGN + r"(?P<secret>[0-9a-f]{32})\b",
        ("twilio",),
    ),
    _rule(
        "sendgrid-api-key",
        "SendGrid API key",
        r"\b(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})" + END,
        ("sg.",),
        shown=3,
    ),
    _rule(
        "mailgun-api-key",
        "Mailgun API key",
        r"\b(?P<secret>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}|key-[0-9a-f]{32})\b",
        ("mailgun",),
        anchored=False,
    ),
    # --- platforms ---------------------------------------------------------------------------------------
    _rule(
        "supabase-secret-key",
        "Supabase secret key",
        r"\b(?P<secret>sb_secret_[A-Za-z0-9_-]{20,})" + END,
        ("sb",),
        shown=10,
        min_entropy=3.5,
    ),
    _rule("supabase-access-token", "Supabase access token", r"\b(?P<secret>sbp_[a-f0-9]{40})\b", ("sb",), shown=4),
    _rule(
        "jwt",
        "JSON Web Token",
        r"(?<![A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
        ("eyj",),
        shown=3,
    ),
    _rule(
        "vercel-token",
        "Vercel token",
        r"\b(?P<secret>vc[pikar]_[A-Za-z0-9]{20,60})\b",
        ("vc",),
        shown=4,
        min_entropy=3.5,
    ),
    _rule(
        "vercel-token-classic",
        "Vercel token",
        r"(?:--token[= ][ \t]*|VERCEL_(?:API_)?TOKEN" + ASSIGN + r")[\"']?(?P<secret>[A-Za-z0-9]{24})\b",
        ("--", "vercel_"),
        shown=0,
        min_entropy=3.5,
    ),
    _rule(
        "netlify-token",
        "Netlify access token",
        r"\b(?P<secret>nfp_[A-Za-z0-9_]{36})\b",
        ("nfp_",),
        shown=4,
        min_entropy=3.5,
    ),
    _rule(
        "datadog-api-key",
        "Datadog API key",
        r"(?is:(?:datadog|\bdd_).{0,80}?(?:api|app(?:lication)?)[_-]?key)"
        + ASSIGN
        + r"(?P<secret>[a-f0-9]{32}(?:[a-f0-9]{8})?)\b",
        ("datadog", "dd_"),
    ),
    _rule(
        "sentry-auth-token",
        "Sentry auth token",
        r"\b(?P<secret>sntry[su]_[A-Za-z0-9+/=_]{64,})",
        ("sntry",),
        shown=7,
        min_entropy=3.5,
    ),
    _rule("linear-api-key", "Linear API key", r"\b(?P<secret>lin_api_[A-Za-z0-9]{40})\b", ("lin_api_",), shown=8),
    _rule(
        "notion-token", "Notion integration token", r"\b(?P<secret>ntn_[0-9]{11}[A-Za-z0-9]{35})\b", ("ntn_",), shown=4
    ),
    _rule(
        "notion-legacy-token",
        "Notion integration token",
        r"(?is:notion.{0,120}?)\b(?P<secret>secret_[A-Za-z0-9]{43})\b",
        ("notion",),
        shown=7,
    ),
    # --- private keys -------------------------------------------------------------------------------------
    _rule(
        "private-key",
        "private key",
        r"(?P<secret>-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{64,}?"
        r"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)",
        ("-----begin",),
        shown=0,
        min_entropy=0.0,
        check=_pem_body,
        literal=True,
    ),
    _rule(
        "private-key-header",
        "private key",
        r"(?P<secret>-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)(?![\s\S]{0,8000}?-----END)",
        ("-----begin",),
        shown=0,
        min_entropy=0.0,
        literal=True,
    ),
    # --- credentials in context ------------------------------------------------------------------------
    _rule(
        "url-credentials",
        "password in a URL",
        r"(?<![A-Za-z0-9+.-])(?P<public>(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql"
        r"|sqlserver|clickhouse|cockroachdb|nats|https?|ftps?|sftp|ldaps?|smtps?)://(?P<user>[^:@/\s\"'<>]*):)"
        r"(?P<secret>[^@/\s\"'<>]{3,128})@(?P<host>[A-Za-z0-9_.\[\]:%-]+)",
        ("://",),
        shown=0,
        min_entropy=0.0,
        check=_url_password,
        lead=LETTERS + DIGITS + "+.-",
    ),
    _rule(
        "authorization-header",
        "credential in an Authorization header",
        r"(?i:authorization)[\"']?[ \t]*[:=][ \t]*[\"']?(?i:bearer|token|basic)[ \t]+"
        r"(?P<secret>[A-Za-z0-9._~+/=-]{16,})",
        ("authorization",),
        shown=0,
        min_entropy=3.5,
    ),
    _rule(
        "cli-flag-secret",
        "secret passed as a command-line flag",
        r"(?<![\w-])--(?:token|auth|auth-token|api-key|apikey|access-token|password|secret)(?:=|[ \t]+)[\"']?"
        r"(?P<secret>(?![$<{%])[A-Za-z0-9_\-.~+/=]{16,})",
        ("--",),
        shown=0,
        min_entropy=3.5,
    ),
    _rule(
        "generic-assignment",
        "secret assigned to a key, password or token",
        r"(?i)(?<![A-Za-z0-9_.@-])(?P<key>[A-Za-z0-9_.-]*?(?:passw(?:or)?d|passwd|pwd|passphrase|secret|token"
        r"|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|credentials?)[A-Za-z0-9_.-]*)"
        + ASSIGN
        + r"(?P<secret>[^\s\"'`,;]{8,200})",
        ("pass", "pwd", "secret", "token", "key", "credential"),
        shown=0,
        min_entropy=0.0,
        check=_assigned_secret,
        lead=LETTERS + DIGITS + "_.-",
    ),
)
"""Specific formats first: where two rules match the same characters, the first one names the finding."""

PUBLISHED_EXAMPLES = frozenset(
    {
        # AWS CLI user guide (docs.aws.amazon.com/cli/latest/userguide/cli-configure-quickstart.html)
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        # Stripe API reference sample test keys (docs.stripe.com/api/authentication, and the earlier docs)
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        # jwt.io debugger's default token (HS256, secret `your-256-bit-secret`)
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2Mj"
        "M5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        # Supabase CLI local-stack defaults (supabase/cli, pkg/config/apikeys.go)
        "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cC"
        "I6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU",
        # Firebase SDK example API keys (allow-listed by gitleaks' gcp-api-key rule)
        "AIzaSyabcdefghijklmnopqrstuvwxyz1234567",
        "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
        "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM",
        "AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
        "AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0",
        "AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
        "AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c",
        "AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
        "AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY",
        "AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
        "AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ",
        "AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
        "AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU",
        "AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw",
        "AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE",
        "AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
        # Telegram Bot API documentation (core.telegram.org/bots/api, "Authorizing your bot")
        "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
        # Azurite storage emulator's well-known key (learn.microsoft.com/azure/storage/common/storage-connect-azurite)
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    }
)
"""Key-shaped values that vendors publish in their documentation, allowed by exact value (never as a pattern:
`sk_test_.*` would hide real test keys)."""
_SHORTEST = 16
"""No rule matches a shorter text: `Diagnostic` masks thousands of short messages."""
_LONGEST_LEAD = 100


def _rules_by_keyword() -> tuple[tuple[str, tuple[int, ...]], ...]:
    by_keyword: dict[str, list[int]] = {}
    for index, rule in enumerate(RULES):
        for keyword in rule.keywords:
            by_keyword.setdefault(keyword, []).append(index)
    return tuple((keyword, tuple(indexes)) for keyword, indexes in by_keyword.items())


_RULES_BY_KEYWORD = _rules_by_keyword()
_KEYWORD_SEARCH = AhoCorasick([keyword for keyword, _ in _RULES_BY_KEYWORD])
"""Finds every occurrence of every keyword in one pass over a text, however many rules share one (`sk`
serves seven): searching for the 53 keywords one by one took six times longer, a fifth of checking a record."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def find_secrets(text: str) -> list[Secret]:
    """The secrets in `text`, in order, one per span: formats published by design are never reported, and
    where rules overlap, the most specific one (the first in `RULES`) names the finding."""
    if len(text) < _SHORTEST:
        return []
    candidates = _candidate_starts(text)
    taken: list[tuple[int, int]] = []
    found: list[Secret] = []
    for index in sorted(candidates):
        rule = RULES[index]
        for match in _matches(rule, text, candidates[index]):
            start, end = match.span("secret")
            if any(s < end and start < e for s, e in taken) or not _qualifies(rule, match):
                continue
            taken.append((start, end))
            if not rule.public:
                found.append(Secret(rule, start, end, _shown(rule, match)))
    return sorted(found, key=lambda secret: secret.start)


def _candidate_starts(text: str) -> dict[int, set[int]]:
    """For each rule (by index) whose keyword occurs, where a match may start: at the keyword, or before it
    over the rule's `lead` characters."""
    lowered = text.lower()
    if len(lowered) != len(text):  # `İ` lowers to two characters; keywords are ASCII
        lowered = "".join(character.lower() if character.isascii() else character for character in text)
    try:
        found = _KEYWORD_SEARCH.find_matches_as_indexes(lowered, overlapping=True)
    except UnicodeEncodeError:  # the search reads UTF-8, which a lone surrogate (a mis-decoded byte) has none of
        found = _KEYWORD_SEARCH.find_matches_as_indexes(_SURROGATE.sub("\ufffd", lowered), overlapping=True)
    candidates: dict[int, set[int]] = {}
    for keyword, position, _ in found:
        for index in _RULES_BY_KEYWORD[keyword][1]:
            lead, start = RULES[index].lead, position
            limit = max(0, position - _LONGEST_LEAD)
            while start > limit and text[start - 1] in lead:
                start -= 1
            candidates.setdefault(index, set()).add(start)
    return candidates


def _matches(rule: Rule, text: str, starts: set[int]) -> Iterator[re.Match[str]]:
    if not rule.anchored:
        yield from rule.regex.finditer(text)
        return
    for start in sorted(starts):
        match = rule.regex.match(text, start)
        if match is not None:
            yield match


def _qualifies(rule: Rule, match: re.Match[str]) -> bool:
    secret = match.group("secret")
    if secret in PUBLISHED_EXAMPLES or (rule.check is not None and not rule.check(match)):
        return False
    if rule.public or rule.literal:
        return True
    return _compiled(PLACEHOLDER).search(secret) is None and entropy(secret[rule.shown :]) >= rule.min_entropy


def _shown(rule: Rule, match: re.Match[str]) -> str:
    if "public" in rule.regex.groupindex and match.group("public"):
        return match.group("public")
    return match.group("secret")[: rule.shown]


def mask_secrets(text: str) -> str:
    """`text` with every secret in it replaced by its masked form (`sk_live_… (107 characters)`)."""
    secrets = find_secrets(text)
    if not secrets:
        return text
    parts: list[str] = []
    position = 0
    for secret in secrets:
        parts.append(text[position : secret.start])
        parts.append(secret.masked)
        position = secret.end
    parts.append(text[position:])
    return "".join(parts)
