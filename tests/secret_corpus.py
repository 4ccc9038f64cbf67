"""A corpus of realistic fake secrets and look-alikes, generated from a seed at run time.

`build(Gen(seed))` gives 49 `detect` items (random data in each provider's exact shape: lengths,
alphabets, checksums, ASN.1 and armor layouts) and 20 `allow` items (look-alikes that must stay quiet).
Nothing here is a real credential, and this file holds no key-shaped literal, so no secret scanner
(GitHub push protection included) mistakes the repository for a leak. The only fixed values are vendors'
published documentation examples in `allow`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import string
import struct
import uuid
import zlib
from typing import Any

LOWER, UPPER, DIGITS = string.ascii_lowercase, string.ascii_uppercase, string.digits
ALNUM = UPPER + LOWER + DIGITS
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # -- primitives ---------------------------------------------------------------------------------
    def s(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def bytes(self, n: int) -> bytes:
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def digits(self, n: int, first: str = "123456789") -> str:
        return self.rng.choice(first) + self.s(n - 1, DIGITS)

    def b64(self, n_bytes: int) -> str:
        return base64.b64encode(self.bytes(n_bytes)).decode()

    def b64url(self, n_bytes: int) -> str:
        return base64.urlsafe_b64encode(self.bytes(n_bytes)).decode().rstrip("=")

    def uuid4(self) -> str:
        return str(uuid.UUID(bytes=self.bytes(16), version=4))

    def password(self, n: int, punct: str = "!@#%^*-_+=.~", must: str = "") -> str:
        """A password with all four character classes (no quotes, spaces, backslash or $) that contains
        every character of `must` (e.g. '#', which some env-file parsers take for a comment)."""
        while True:
            chars = list(self.s(n - len(must), ALNUM + punct * 2))
            for c in must:
                chars.insert(self.rng.randrange(len(chars) + 1), c)
            value = "".join(chars)
            if all(any(c in cls for c in value) for cls in (LOWER, UPPER, DIGITS, punct)):
                return value

    def url_password(self, n: int) -> str:
        """A URL-safe password: unreserved characters plus a %-encoded punctuation mark or two."""
        chars = list(self.s(n, ALNUM + "-._~"))
        for _ in range(2):
            chars.insert(self.rng.randrange(len(chars)), self.rng.choice(["%21", "%23", "%2A", "%40", "%24"]))
        return "".join(chars)

    # -- checksummed tokens ---------------------------------------------------------------------------
    @staticmethod
    def base62(number: int, width: int = 6) -> str:
        out = ""
        while number:
            number, rest = divmod(number, 62)
            out = B62[rest] + out
        return out.rjust(width, "0")

    def crc_token(self, prefix: str) -> str:
        """GitHub classic / npm shape: prefix + 30 base62 + base62(CRC32) (6)."""
        body = self.s(30)
        return prefix + body + self.base62(binascii.crc32(body.encode()))

    # -- structured material ------------------------------------------------------------------------
    @staticmethod
    def der_len(n: int) -> bytes:
        if n < 0x80:
            return bytes([n])
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return bytes([0x80 | len(raw)]) + raw

    def der(self, tag: int, content: bytes) -> bytes:
        return bytes([tag]) + self.der_len(len(content)) + content

    def der_int(self, n_bytes: int) -> bytes:
        raw = bytearray(self.bytes(n_bytes))
        raw[0] |= 0x80  # full length ...
        raw[-1] |= 0x01  # ... and odd, like RSA factors
        return self.der(0x02, b"\x00" + bytes(raw))

    def rsa_pkcs1_der(self) -> bytes:
        """An RSA-2048 PKCS#1 RSAPrivateKey with the right ASN.1 shape and random (not valid) numbers."""
        body = (
            self.der(0x02, b"\x00")
            + self.der_int(256)
            + self.der(0x02, b"\x01\x00\x01")
            + self.der_int(256)
            + self.der_int(128)
            + self.der_int(128)
            + self.der_int(128)
            + self.der_int(128)
            + self.der_int(128)
        )
        return self.der(0x30, body)

    def pkcs8_der(self) -> bytes:
        algorithm = self.der(0x30, bytes.fromhex("06092a864886f70d0101010500"))  # rsaEncryption, NULL
        return self.der(0x30, self.der(0x02, b"\x00") + algorithm + self.der(0x04, self.rsa_pkcs1_der()))

    @staticmethod
    def wrap(b64: str, width: int) -> list[str]:
        return [b64[i : i + width] for i in range(0, len(b64), width)]

    def pem(self, label: str, der: bytes) -> str:
        lines = self.wrap(base64.b64encode(der).decode(), 64)
        return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])

    def openssh_ed25519(self, comment: str) -> str:
        def sshstr(b: bytes) -> bytes:
            return struct.pack(">I", len(b)) + b

        seed, pub = self.bytes(32), self.bytes(32)
        pub_blob = sshstr(b"ssh-ed25519") + sshstr(pub)
        check = self.bytes(4)
        private = check + check + sshstr(b"ssh-ed25519") + sshstr(pub) + sshstr(seed + pub) + sshstr(comment.encode())
        private += bytes(range(1, 1 + (-len(private) % 8)))
        blob = (
            b"openssh-key-v1\x00"
            + sshstr(b"none")
            + sshstr(b"none")
            + sshstr(b"")
            + struct.pack(">I", 1)
            + sshstr(pub_blob)
            + sshstr(private)
        )
        lines = self.wrap(base64.b64encode(blob).decode(), 70)
        return "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *lines, "-----END OPENSSH PRIVATE KEY-----"])

    @staticmethod
    def crc24(data: bytes) -> int:
        crc = 0xB704CE
        for byte in data:
            crc ^= byte << 16
            for _ in range(8):
                crc <<= 1
                if crc & 0x1000000:
                    crc ^= 0x1864CFB
        return crc & 0xFFFFFF

    def pgp_private_block(self) -> str:
        """Armored OpenPGP secret key (v4 EdDSA packet header + random material) with a real CRC-24."""
        created = struct.pack(">I", 1767225600 + self.rng.randrange(0, 20_000_000))
        eddsa_oid = bytes.fromhex("092b06010401da470f01")
        key_packet = (
            b"\x04" + created + b"\x16" + eddsa_oid + b"\x01\x07\x40" + self.bytes(32) + b"\x00" + self.bytes(34)
        )
        uid = b"opsbook release signing <release@opsbook.example>"
        packets = (
            b"\x94"
            + bytes([len(key_packet)])
            + key_packet
            + b"\xb4"
            + bytes([len(uid)])
            + uid
            + b"\x88\x99"
            + self.bytes(0x99)
            + b"\x9c\x5d"
            + self.bytes(0x5D)
            + b"\x88\x7e"
            + self.bytes(0x7E)
        )
        body = self.wrap(base64.b64encode(packets).decode(), 64)
        checksum = base64.b64encode(self.crc24(packets).to_bytes(3, "big")).decode()
        return "\n".join(
            ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *body, "=" + checksum, "-----END PGP PRIVATE KEY BLOCK-----"]
        )

    def jwt(self, header: dict, payload: dict, sig_bytes: int) -> str:
        def encode(part: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).decode().rstrip("=")

        return f"{encode(header)}.{encode(payload)}.{self.b64url(sig_bytes)}"

    def pypi_token(self) -> str:
        """A macaroon v2 in PyPI's shape: location pypi.org, a UUID identifier, one caveat, a signature."""

        def field(kind: int, data: bytes) -> bytes:
            return bytes([kind, len(data)]) + data

        caveat = json.dumps([1, ["opsbook"]], separators=(",", ":")).encode()
        caveat2 = json.dumps({"nbf": 1767225600, "exp": 1798761600}, separators=(",", ":")).encode()
        macaroon = (
            b"\x02"
            + field(1, b"pypi.org")
            + field(2, self.uuid4().encode())
            + b"\x00"
            + field(2, b'{"version":1,"permissions":"user"}')
            + b"\x00"
            + field(2, caveat)
            + b"\x00"
            + field(2, caveat2)
            + b"\x00"
            + b"\x00"
            + field(6, self.bytes(32))
        )
        return "pypi-" + base64.urlsafe_b64encode(macaroon).decode().rstrip("=")

    def png_data_uri(self) -> str:
        """A real 16x16 PNG (a coloured status dot) as a data: URI."""
        width = height = 16
        colour = bytes(self.rng.choice([(46, 160, 67), (210, 153, 34), (218, 54, 51)]))
        rows = b"".join(
            b"\x00"
            + b"".join(colour + bytes([255 if (x - 7.5) ** 2 + (y - 7.5) ** 2 < 49 else 0]) for x in range(width))
            for y in range(height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        png = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b"")
        )
        return "data:image/png;base64," + base64.b64encode(png).decode()


def indent(block: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line if line else line for line in block.splitlines())


def build(g: Gen) -> dict[str, list[dict[str, str]]]:
    detect: list[dict[str, str]] = []

    def d(fmt: str, context: str, secret: str, text: str) -> None:
        assert secret in text, fmt
        detect.append(
            {"id": f"d{len(detect) + 1:02d}", "format": fmt, "context": context, "secret": secret, "text": text}
        )

    # --- AI providers --------------------------------------------------------------------------------
    k = "sk-proj-" + g.s(74, B64URL) + "T3BlbkFJ" + g.s(74, B64URL)
    d(
        "openai-project-key",
        "yaml",
        k,
        f"mitigation:\n  - step: Point the gateway at the fallback OpenAI project\n"
        f"    command: kubectl -n llm set env deploy/gateway OPENAI_API_KEY={k}\n",
    )
    k = "sk-ant-api03-" + g.s(93, B64URL) + "AA"
    d(
        "anthropic-api-key",
        "env",
        k,
        f"# .env.production (llm-router)\nANTHROPIC_API_KEY={k}\nANTHROPIC_MAX_RETRIES=4\n",
    )
    k = "sk-ant-admin01-" + g.s(93, B64URL) + "AA"
    d(
        "anthropic-admin-key",
        "shell",
        k,
        f'curl -s https://api.anthropic.com/v1/organizations/api_keys \\\n  -H "x-api-key: {k}" \\\n'
        f"  -H \"anthropic-version: 2023-06-01\" | jq '.data[] | {{name, status}}'\n",
    )
    # --- payments ------------------------------------------------------------------------------------
    k = "sk_live_51" + g.s(97)
    d(
        "stripe-live-secret-key",
        "yaml",
        k,
        f"payments:\n  provider: stripe\n  secret_key: {k}\n  webhook_tolerance_seconds: 300\n",
    )
    k = "rk_live_51" + g.s(97)
    d(
        "stripe-restricted-key",
        "markdown",
        k,
        f"The refund job runs with the restricted key `{k}` (scopes: refunds:write, charges:read) "
        f"so it cannot create charges.\n",
    )
    k = "whsec_" + g.s(32)
    d("stripe-webhook-secret", "env", k, f"STRIPE_WEBHOOK_SECRET={k}\nSTRIPE_WEBHOOK_PATH=/hooks/stripe\n")
    k = "shpat_" + g.s(32, HEX)
    d(
        "shopify-admin-token",
        "yaml",
        k,
        f"shopify:\n  shop: acme-ops.myshopify.com\n  admin_api_token: {k}\n  api_version: 2026-01\n",
    )
    # --- cloud ---------------------------------------------------------------------------------------
    k = "AKIA" + g.s(16, UPPER + "234567")
    d(
        "aws-access-key-id",
        "markdown",
        k,
        f"| IAM user | Access key id | Created |\n|---|---|---|\n| ci-deployer | {k} | 2026-03-02 |\n",
    )
    k = g.s(40, ALNUM + "/+")
    d(
        "aws-secret-access-key",
        "shell",
        k,
        f'export AWS_DEFAULT_REGION=eu-west-1\nexport AWS_SECRET_ACCESS_KEY="{k}"\naws sts get-caller-identity\n',
    )
    k = "AIza" + g.s(35, B64URL)
    d(
        "google-api-key",
        "markdown",
        k,
        f"The status page map uses the browser key `{k}` (restricted to the "
        f"`status.example.com/*` referrer in the Cloud console).\n",
    )
    k = "GOCSPX-" + g.s(28, B64URL)
    d(
        "google-oauth-client-secret",
        "yaml",
        k,
        f"oauth:\n  google:\n    client_id: {g.digits(12)}-{g.s(32, LOWER + DIGITS)}.apps.googleusercontent.com\n"
        f"    client_secret: {k}\n",
    )
    pem = g.pem("PRIVATE KEY", g.pkcs8_der())
    escaped = pem.replace("\n", "\\n") + "\\n"
    project = "opsbook-prod-" + g.s(6, LOWER + DIGITS)
    sa = json.dumps(
        {
            "type": "service_account",
            "project_id": project,
            "private_key_id": g.s(40, HEX),
            "private_key": "@@KEY@@",
            "client_email": f"incident-bot@{project}.iam.gserviceaccount.com",
            "client_id": g.digits(21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        },
        indent=2,
    ).replace("@@KEY@@", escaped)
    d(
        "gcp-service-account-private-key",
        "markdown",
        escaped,
        f"Paste the key file into the secret store, not here. The file looked like this:\n\n```json\n{sa}\n```\n",
    )
    k = g.b64(64)
    d(
        "azure-storage-connection-string",
        "env",
        k,
        f'AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=opsbookarchive;'
        f'AccountKey={k};EndpointSuffix=core.windows.net"\n',
    )
    # --- code hosting / packages ---------------------------------------------------------------------
    k = g.crc_token("ghp_")
    d(
        "github-classic-pat",
        "shell",
        k,
        f"export GH_TOKEN={k}\ngh release download v2.4.1 -R acme/ops-agent -p '*.tar.gz'\n",
    )
    k = "github_pat_11" + g.s(20, UPPER + DIGITS) + "_" + g.s(59)
    d("github-fine-grained-pat", "yaml", k, f"sync:\n  github:\n    repo: acme/runbooks\n    token: {k}\n")
    k = "glpat-" + g.s(20, B64URL)
    d(
        "gitlab-pat",
        "shell",
        k,
        f'curl --header "PRIVATE-TOKEN: {k}" \\\n  "https://gitlab.example.com/api/v4/projects/42/pipelines?status=failed"\n',
    )
    k = g.crc_token("npm_")
    d("npm-token", "env", k, f"# .npmrc used by the release job\n//registry.npmjs.org/:_authToken={k}\n")
    k = g.pypi_token()
    d(
        "pypi-token",
        "markdown",
        k,
        f"Publishing from a laptop needs `~/.pypirc`:\n\n```ini\n[pypi]\nusername = __token__\npassword = {k}\n```\n",
    )
    # --- chat / notifications ------------------------------------------------------------------------
    team, app_id = "T" + g.s(10, UPPER + DIGITS), g.digits(13)
    k = f"xoxb-{g.digits(12)}-{app_id}-{g.s(24)}"
    d("slack-bot-token", "yaml", k, f'notify:\n  slack:\n    channel: "#inc-payments"\n    bot_token: {k}\n')
    k = f"xapp-1-A{g.s(10, UPPER + DIGITS)}-{g.digits(13)}-{g.s(64, HEX)}"
    d("slack-app-token", "env", k, f"SLACK_APP_TOKEN={k}\nSLACK_SOCKET_MODE=true\n")
    k = f"https://hooks.slack.com/services/{team}/B{g.s(10, UPPER + DIGITS)}/{g.s(24)}"
    d("slack-webhook-url", "yaml", k, f"alerting:\n  sinks:\n    - type: slack\n      webhook_url: {k}\n")
    bot_id = g.digits(19, "1")
    k = base64.urlsafe_b64encode(bot_id.encode()).decode().rstrip("=") + "." + g.s(6, B64URL) + "." + g.s(38, B64URL)
    d("discord-bot-token", "env", k, f"DISCORD_BOT_TOKEN={k}\nDISCORD_GUILD_ID={g.digits(19, '1')}\n")
    k = f"https://discord.com/api/webhooks/{g.digits(19, '1')}/{g.s(68, B64URL)}"
    d(
        "discord-webhook-url",
        "markdown",
        k,
        f"When the drill ends, post the summary to #ops-drills with the webhook\n<{k}>.\n",
    )
    k = f"{g.digits(10, '5678')}:AA{g.s(33, B64URL)}"
    d(
        "telegram-bot-token",
        "shell",
        k,
        f'curl -s "https://api.telegram.org/bot{k}/sendMessage" \\\n'
        f'  -d chat_id=-100{g.digits(10)} -d text="payments: failover complete"\n',
    )
    k = "SK" + g.s(32, HEX)
    d("twilio-api-key", "env", k, f"TWILIO_ACCOUNT_SID=AC{g.s(32, HEX)}\nTWILIO_API_KEY={k}\n")
    k = g.s(32, HEX)
    d(
        "twilio-auth-token",
        "yaml",
        k,
        f'sms:\n  provider: twilio\n  account_sid: AC{g.s(32, HEX)}\n  auth_token: {k}\n  from: "+15005550006"\n',
    )
    k = f"SG.{g.s(22, B64URL)}.{g.s(43, B64URL)}"
    d("sendgrid-api-key", "yaml", k, f"email:\n  provider: sendgrid\n  api_key: {k}\n  from: noreply@example.com\n")
    k = f"{g.s(32, HEX)}-{g.s(8, HEX)}-{g.s(8, HEX)}"
    d("mailgun-api-key", "env", k, f"MAILGUN_DOMAIN=mg.example.com\nMAILGUN_API_KEY={k}\n")
    # --- platforms -----------------------------------------------------------------------------------
    k = f"sb_secret_{g.s(22, B64URL)}_{g.s(8)}"
    d("supabase-secret-key", "env", k, f"SUPABASE_URL=https://{g.s(20, LOWER)}.supabase.co\nSUPABASE_SECRET_KEY={k}\n")
    ref = g.s(20, LOWER)
    k = g.jwt(
        {"alg": "HS256", "typ": "JWT"},
        {"iss": "supabase", "ref": ref, "role": "service_role", "iat": 1767225600, "exp": 2082758400},
        32,
    )
    d("supabase-service-role-jwt", "yaml", k, f"supabase:\n  url: https://{ref}.supabase.co\n  service_role_key: {k}\n")
    k = g.s(24)
    d("vercel-token", "shell", k, f"vercel deploy --prod --token {k} --scope acme-ops --yes\n")
    k = "nfp_" + g.s(36)
    d("netlify-token", "shell", k, f"netlify deploy --prod --dir site --auth {k} --site {g.uuid4()}\n")
    k = "hf_" + g.s(34, UPPER + LOWER)
    d(
        "huggingface-token",
        "shell",
        k,
        f"huggingface-cli login --token {k}\nhuggingface-cli download acme/triage-model\n",
    )
    k = g.s(32, HEX)
    d("datadog-api-key", "yaml", k, f"datadog:\n  site: datadoghq.eu\n  api_key: {k}\n  tags: [team:payments]\n")
    k = "lin_api_" + g.s(40)
    d(
        "linear-api-key",
        "shell",
        k,
        f'curl -s https://api.linear.app/graphql -H "Content-Type: application/json" \\\n'
        f'  -H "Authorization: {k}" \\\n  -d \'{{"query": "{{ issues(first: 5) {{ nodes {{ identifier }} }} }}"}}\'\n',
    )
    k = "gsk_" + g.s(52)
    d("groq-api-key", "env", k, f"LLM_FALLBACK_PROVIDER=groq\nGROQ_API_KEY={k}\n")
    k = "xai-" + g.s(80)
    d("xai-api-key", "env", k, f"XAI_API_KEY={k}\n")
    # --- tokens and keys in general --------------------------------------------------------------------
    now = 1775000000
    k = g.jwt(
        {"alg": "RS256", "kid": g.s(40, HEX), "typ": "JWT"},
        {
            "iss": "https://auth.example.com/",
            "sub": "svc-incident-bot",
            "aud": "https://api.example.com",
            "iat": now,
            "exp": now + 86400 * 30,
            "scope": "incidents:write runbooks:read",
        },
        256,
    )
    d(
        "jwt-bearer-token",
        "shell",
        k,
        f'curl -X POST https://api.example.com/v1/incidents/INC-2291/ack \\\n  -H "Authorization: Bearer {k}"\n',
    )
    k = g.pem("RSA PRIVATE KEY", g.rsa_pkcs1_der())
    d(
        "rsa-private-key",
        "markdown",
        k,
        f"The bastion key that was in the wiki (rotated 2026-04-11):\n\n```\n{k}\n```\n",
    )
    k = g.openssh_ed25519("deploy@bastion-eu1")
    d(
        "openssh-private-key",
        "yaml",
        indent(k, 4),
        f"deploy:\n  host: bastion-eu1.internal\n  user: deploy\n  ssh_private_key: |\n{indent(k, 4)}\n",
    )
    k = g.pgp_private_block()
    d("pgp-private-key-block", "markdown", k, f"## Release signing key (export)\n\n```\n{k}\n```\n")
    # --- URLs with credentials -------------------------------------------------------------------------
    pw = g.url_password(20)
    k = f"postgres://app_rw:{pw}@db-primary.prod.internal:5432/opsbook?sslmode=require"
    d("postgres-url-credentials", "yaml", pw, f"database:\n  url: {k}\n  pool_size: 20\n")
    pw = g.url_password(18)
    k = f"mysql://billing:{pw}@10.20.4.17:3306/billing"
    d("mysql-url-credentials", "env", pw, f"DATABASE_URL={k}\n")
    pw = g.s(24)
    cluster = f"cluster0.{g.s(5, LOWER + DIGITS)}.mongodb.net"
    k = f"mongodb+srv://svc-reporting:{pw}@{cluster}/reports?retryWrites=true&w=majority"
    d("mongodb-srv-url-credentials", "yaml", pw, f'reporting:\n  mongo_uri: "{k}"\n')
    pw = g.s(32)
    k = f"rediss://default:{pw}@eu1-sharp-gecko-{g.digits(5)}.upstash.io:6379"
    d("rediss-url-credentials", "env", pw, f"REDIS_URL={k}\n")
    pw = g.s(20)
    k = f"https://deploy-bot:{pw}@git.internal.example.com/platform/runbooks.git"
    d("https-url-credentials", "shell", pw, f"git clone {k} /srv/runbooks\n")
    # --- assignments ---------------------------------------------------------------------------------
    k = g.password(16, must="@!#")
    d("db-password-punctuation", "env", k, f"DB_HOST=db-primary.prod.internal\nDB_USER=opsbook\nDB_PASSWORD={k}\n")
    k = g.s(64, HEX)
    d("session-secret-hex", "env", k, f"SESSION_SECRET={k}\nSESSION_TTL=8h\n")
    k = g.b64url(32)
    d(
        "generic-token-assignment",
        "yaml",
        k,
        f"integrations:\n  pagerduty_bridge:\n    url: https://bridge.internal.example.com/v1/events\n"
        f'    shared_token: "{k}"\n',
    )

    allow: list[dict[str, str]] = []

    def a(kind: str, context: str, text: str, why: str) -> None:
        allow.append(
            {"id": f"a{len(allow) + 1:02d}", "kind": kind, "context": context, "text": text, "why_allowed": why}
        )

    a(
        "gcp-secret-manager-path",
        "yaml",
        f"secrets:\n  stripe_secret_ref: projects/{g.digits(12)}/secrets/stripe-live-secret-key/versions/latest\n",
        "A Secret Manager resource name: it says where the key lives, it is not the key. The name ends in "
        "_ref and the value is a projects/N/secrets/NAME/versions/V path.",
    )
    a(
        "uuid-idempotency-token",
        "yaml",
        f"replay:\n  endpoint: POST /v1/refunds\n  idempotency_token: {g.uuid4()}\n",
        "Idempotency keys are client-chosen V4 UUIDs that only de-duplicate retries (Stripe documents them "
        "as such); knowing one grants nothing.",
    )
    a(
        "git-sha-named-token",
        "yaml",
        f"remediation:\n  summary: Stop logging bearer tokens in the gateway\n  token_fix_commit: {g.s(40, HEX)}\n",
        "A 40-hex git commit id. The key contains 'token' but ends in _commit.",
    )
    a(
        "stripe-docs-test-key",
        "markdown",
        "```shell\ncurl https://api.stripe.com/v1/charges \\\n  -u sk_test_4eC39HqLyjWDarjtT1zdp7dc: \\\n"
        "  -d amount=2000 -d currency=usd -d source=tok_visa\n```\n",
        "Stripe's published sample test key from the earlier generation of its API docs (today's "
        "docs.stripe.com/api/authentication shows sk_test_BQokikJOvBiI2HlWgH4olfQ2). A shared sample "
        "key: Stripe tells readers not to send personal data with it. Allow-list by exact value only.",
    )
    a(
        "jwt-io-sample-token",
        "markdown",
        "Decode it on jwt.io; the sample there is\n`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwi"
        "bmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`.\n",
        "The jwt.io debugger's default token (sub 1234567890, John Doe), signed with the published "
        "secret 'your-256-bit-secret'.",
    )
    a(
        "placeholder-openai-key",
        "env",
        "OPENAI_API_KEY=sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n",
        "A placeholder: right prefix, no entropy, no T3BlbkFJ marker.",
    )
    a(
        "shell-variable-reference",
        "shell",
        'curl https://api.openai.com/v1/models \\\n  -H "Authorization: Bearer $OPENAI_API_KEY"\n',
        "Names the variable that holds the key.",
    )
    a(
        "github-actions-secret-reference",
        "yaml",
        "env:\n  STRIPE_KEY: ${{ secrets.STRIPE_KEY }}\n"
        "  STRIPE_WEBHOOK_SECRET: ${{ secrets.STRIPE_WEBHOOK_SECRET }}\n",
        "A GitHub Actions expression resolved at run time.",
    )
    a(
        "python-environ-reference",
        "markdown",
        '```python\nimport os, stripe\nstripe.api_key = os.environ["STRIPE_SECRET_KEY"]\n```\n',
        "Code that reads the key from the environment.",
    )
    a(
        "postgres-doc-placeholder",
        "markdown",
        "For local work set `DATABASE_URL=postgres://user:password@localhost:5432/opsbook_dev`.\n",
        "Decision: allow. Both user and password are the literal words 'user' and 'password' on "
        "localhost - the shape every Postgres doc uses. A real-looking password on localhost would still fire.",
    )
    a(
        "sentry-dsn",
        "yaml",
        f"sentry:\n  dsn: https://{g.s(32, HEX)}@o{g.digits(7)}.ingest.us.sentry.io/{g.digits(16)}\n"
        "  traces_sample_rate: 0.1\n",
        "Decision: allow. Sentry documents DSNs as safe to keep public (they only allow sending events). "
        "A legacy DSN with ':secret@' is still flagged by the URL-credentials rule.",
    )
    a(
        "sha256-checksum",
        "yaml",
        "artifacts:\n  - url: https://releases.example.com/opsbook-0.4.2.tar.gz\n"
        f"    sha256: {hashlib.sha256(g.bytes(64)).hexdigest()}\n",
        "A published digest of a public artifact.",
    )
    a(
        "base64-image-data-uri",
        "markdown",
        f"Status: ![healthy]({g.png_data_uri()})\n",
        "An inline PNG: high-entropy base64 with no credential keyword or prefix.",
    )
    a(
        "css-module-class-hash",
        "markdown",
        f'<span class="IncidentBadge_severity__{g.s(20, ALNUM)} SecretField_masked__{g.s(5, ALNUM)}">P1</span>\n',
        "Build-time CSS-module class hashes in pasted HTML; 'Secret' is a component name, not an assignment.",
    )
    a(
        "npm-integrity-hash",
        "markdown",
        f'```json\n"node_modules/yaml": {{\n  "version": "2.8.1",\n  "integrity": "sha512-{g.b64(64)}"\n}}\n```\n',
        "Subresource-integrity digest from a lockfile.",
    )
    a(
        "supabase-publishable-key",
        "env",
        f"NEXT_PUBLIC_SUPABASE_URL=https://{g.s(20, LOWER)}.supabase.co\n"
        f"NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY=sb_publishable_{g.s(22, B64URL)}_{g.s(8)}\n",
        "Public by design: Supabase says publishable keys are safe to expose online (RLS applies).",
    )
    a(
        "aws-docs-example-keys",
        "markdown",
        "```ini\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n```\n",
        "The example pair from the AWS CLI user guide; both end in EXAMPLE / EXAMPLEKEY.",
    )
    a(
        "stripe-publishable-key",
        "markdown",
        f"```html\n<script>const stripe = Stripe('pk_live_51{g.s(97)}');</script>\n```\n",
        "Publishable keys are meant for browser code (Stripe.js); they cannot read data or move money.",
    )
    a(
        "csp-nonce",
        "markdown",
        f"```nginx\nadd_header Content-Security-Policy \"script-src 'self' 'nonce-{g.b64(18)}'\" always;\n```\n",
        "A per-response CSP nonce copied from a captured header: random, single-use, and public in every page.",
    )
    a(
        "kubernetes-secret-name",
        "yaml",
        "env:\n  - name: STRIPE_SECRET_KEY\n    valueFrom:\n      secretKeyRef:\n"
        "        name: payments-stripe-live-secret-v3\n        key: api-key\n"
        "volumes:\n  - name: tls\n    secret:\n      secretName: opsbook-prod-tls-2026-rotated\n",
        "Kubernetes Secret object names and keys; the values live in the cluster.",
    )

    assert len(detect) == 49 and len(allow) == 20, (len(detect), len(allow))
    return {"detect": detect, "allow": allow}


CORPUS_RULES = {
    "openai-project-key": "openai-api-key",
    "anthropic-api-key": "anthropic-api-key",
    "anthropic-admin-key": "anthropic-api-key",
    "stripe-live-secret-key": "stripe-secret-key",
    "stripe-restricted-key": "stripe-secret-key",
    "stripe-webhook-secret": "stripe-webhook-secret",
    "shopify-admin-token": "shopify-token",
    "aws-access-key-id": "aws-access-key-id",
    "aws-secret-access-key": "aws-secret-access-key",
    "google-api-key": "gcp-api-key",
    "google-oauth-client-secret": "google-oauth-client-secret",
    "gcp-service-account-private-key": "gcp-service-account-key",
    "azure-storage-connection-string": "azure-storage-key",
    "github-classic-pat": "github-token",
    "github-fine-grained-pat": "github-fine-grained-pat",
    "gitlab-pat": "gitlab-pat",
    "npm-token": "npm-token",
    "pypi-token": "pypi-token",
    "slack-bot-token": "slack-token",
    "slack-app-token": "slack-app-token",
    "slack-webhook-url": "slack-webhook-url",
    "discord-bot-token": "discord-bot-token",
    "discord-webhook-url": "discord-webhook-url",
    "telegram-bot-token": "telegram-bot-token",
    "twilio-api-key": "twilio-api-key",
    "twilio-auth-token": "twilio-auth-token",
    "sendgrid-api-key": "sendgrid-api-key",
    "mailgun-api-key": "mailgun-api-key",
    "supabase-secret-key": "supabase-secret-key",
    "supabase-service-role-jwt": "jwt",
    "vercel-token": "vercel-token-classic",
    "netlify-token": "netlify-token",
    "huggingface-token": "huggingface-token",
    "datadog-api-key": "datadog-api-key",
    "linear-api-key": "linear-api-key",
    "groq-api-key": "groq-api-key",
    "xai-api-key": "xai-api-key",
    "jwt-bearer-token": "jwt",
    "rsa-private-key": "private-key",
    "openssh-private-key": "private-key",
    "pgp-private-key-block": "private-key",
    "postgres-url-credentials": "url-credentials",
    "mysql-url-credentials": "url-credentials",
    "mongodb-srv-url-credentials": "url-credentials",
    "rediss-url-credentials": "url-credentials",
    "https-url-credentials": "url-credentials",
    "db-password-punctuation": "generic-assignment",
    "session-secret-hex": "generic-assignment",
    "generic-token-assignment": "generic-assignment",
}
"""Which rule must find each format of the corpus."""


def rule_examples(g: Gen) -> dict[str, list[str]]:
    """For every rule of the scanner, texts holding a fake secret it must find: the corpus's, and more."""
    examples: dict[str, list[str]] = {}
    for item in build(g)["detect"]:
        examples.setdefault(CORPUS_RULES[item["format"]], []).append(item["text"])
    more = {
        "openai-api-key": [f"OPENAI_API_KEY=sk-{g.s(20)}T3BlbkFJ{g.s(20)}"],
        "openai-api-key-unmarked": [f"key: sk-svcacct-{g.s(64, B64URL)}"],
        "anthropic-api-key-unmarked": [f"x-api-key: sk-ant-api03-{g.s(60, B64URL)}"],
        "sk-api-key": [f"DEEPSEEK_API_KEY=sk-{g.s(32, HEX)}", f"OPENROUTER_API_KEY=sk-or-v1-{g.s(64, HEX)}"],
        "replicate-api-token": [f"REPLICATE_API_TOKEN=r8_{g.s(37)}"],
        "huggingface-token": [f"HF_ORG_TOKEN=api_org_{g.s(34, LOWER)}"],
        "perplexity-api-key": [f"PPLX_KEY=pplx-{g.s(48)}"],
        "pinecone-api-key": [f"PINECONE_API_KEY=pcsk_{g.s(6)}_{g.s(63)}"],
        "mistral-api-key": [f"MISTRAL_API_KEY={g.s(32)}"],
        "cohere-api-key": [f"COHERE_API_KEY={g.s(40)}"],
        "supabase-access-token": [f"SUPABASE_ACCESS_TOKEN=sbp_{g.s(40, HEX)}"],
        "vercel-token": [f"VERCEL_TOKEN=vcp_{g.s(40)}"],
        "sentry-auth-token": [f"SENTRY_AUTH_TOKEN=sntryu_{g.s(64, HEX)}"],
        "notion-token": [f"NOTION_TOKEN=ntn_{g.digits(11)}{g.s(35)}"],
        "notion-legacy-token": [f"notion:\n  integration: secret_{g.s(43)}"],
        "private-key-header": ["Someone pasted -----BEGIN RSA PRIVATE KEY----- and the first line of the key."],
        "authorization-header": [f"curl -H 'Authorization: Bearer {g.b64url(30)}' https://api.example.com/v1/me"],
        "cli-flag-secret": [f"ops-cli deploy --api-key {g.b64url(24)} --region eu-west-1"],
        "slack-token": [f"SLACK_USER_TOKEN=xoxp-{g.digits(12)}-{g.digits(12)}-{g.digits(13)}-{g.s(32, HEX)}"],
        "url-credentials": [f"BROKER_URL=amqp://celery:{g.s(20)}@rabbitmq.internal:5672/prod"],
        "gitlab-pat": [f"token: glpat-{g.s(40, B64URL)}.01.{g.s(9, LOWER + DIGITS)}"],
        "mailgun-api-key": [f"MAILGUN_KEY=key-{g.s(32, HEX)}"],
        "azure-storage-key": [
            f"Endpoint=sb://ops.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={g.b64(32)}"
        ],
        "generic-assignment": [f"//registry.npmjs.org/:_authToken={g.uuid4()}", f"data:\n  password: {g.b64(18)}"],
    }
    for rule, texts in more.items():
        examples.setdefault(rule, []).extend(texts)
    return examples


def look_alikes(g: Gen) -> dict[str, str]:
    """Texts that look like secrets and are not (or are published on purpose): none may be reported."""
    found = {item["kind"]: item["text"] for item in build(g)["allow"]}
    found.update(
        {
            "slack-bot-token-placeholder": "SLACK_BOT_TOKEN=xoxb-your-bot-token",
            "slack-webhook-placeholder": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "private-key-placeholder": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
            "ssh-public-key": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{g.s(43, ALNUM + '+/')} ops@bastion",
            "git-ssh-url": "git clone git@github.com:acme/runbooks.git",
            "postgres-default-credentials": "DATABASE_URL=postgres://postgres:postgres@localhost:5432/postgres",
            "redis-url-without-password": "REDIS_URL=redis://localhost:6379/0",
            "max-tokens-setting": "max_tokens: 4096",
            "password-policy-setting": "password_min_length: 12",
            "token-endpoint-url": "token_url: https://oauth2.googleapis.com/token",
            "firebase-sdk-example-key": "apiKey: AIzaSyabcdefghijklmnopqrstuvwxyz1234567",
            "bearer-placeholder": 'curl -H "Authorization: Bearer <token>" https://api.example.com',
            "environment-interpolation": "session_secret: ${SESSION_SECRET}",
            "commit-id": f"commit: {g.s(40, HEX)}",
            "secret-name": "secret_name: payments-stripe-webhook-secret-v2",
            "aws-secrets-manager-arn": (
                "aws secretsmanager get-secret-value --secret-id "
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/stripe-AbCdEf"
            ),
            "vault-reference": "api_key: vault:secret/data/payments#stripe_key",
            "1password-reference": "STRIPE_KEY=op://Production/Stripe/secret_key",
            "code-that-fetches-a-token": "token = get_token(client_id, scope='incidents')",
            "ansible-variable": "password: '{{ vault_db_password }}'",
            "command-substitution": "export GITHUB_TOKEN=$(gh auth token)",
            "twilio-account-sid": f"TWILIO_ACCOUNT_SID=AC{g.s(32, HEX)}",
            "stripe-docs-sample-key-in-code": "stripe.api_key = 'sk_test_BQokikJOvBiI2HlWgH4olfQ2'",
            "supabase-local-secret-key": "SUPABASE_SERVICE_ROLE_KEY=sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
            "hugging-face-package-names": (
                "pip install hf_transfer && python -c 'from huggingface_hub import hf_hub_download'"
            ),
            "telegram-docs-example-token": "Bot API example token: 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
            "kubernetes-secret-placeholder": "data:\n  password: cGFzc3dvcmQ=",
            "supabase-anon-key": "SUPABASE_ANON_KEY="
            + g.jwt({"alg": "HS256", "typ": "JWT"}, {"iss": "supabase", "ref": g.s(20, LOWER), "role": "anon"}, 32),
            "key-prefix-in-prose": "Set STRIPE_SECRET_KEY to a key that starts with sk_live_ in production",
            "openai-placeholder-in-prose": "the key looks like sk-...",
            "azure-openai-docs-variable": "api_key: os.environ/ANTHROPIC_API_KEY",
            "token-usage-query": "jq '{tokens: .usage.input_tokens, max_tokens: .model_info.max_input_tokens}'",
            "digest-of-a-secret": 'printf %s "$STRIPE_WEBHOOK_SECRET" | sha256sum | cut -c1-12',
        }
    )
    return found
