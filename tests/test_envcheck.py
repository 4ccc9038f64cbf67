"""`opsbook env check`: each finding with a failing and a passing case; values never reach any output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import Result

from opsbook.features.env.listing import parse

FIXTURE = Path(__file__).resolve().parent / "data" / "envapp"
UNIQUE = "sk-canary-value-7f3e9a1c2b"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(FIXTURE, target)
    return target


def run(cli, app: Path, *args: str) -> tuple[int, list[dict]]:
    result = cli("env", "check", "--manifest", "environment.yaml", "--format", "json", *args, cwd=app)
    return result.exit_code, json.loads(result.output)["diagnostics"]


def in_every_format(cli, app: Path, *args: str) -> list[Result]:
    """`env check` of the manifest with `args`, in text, JSON and GitHub output."""
    command = ("env", "check", "--manifest", "environment.yaml", *args, "--format")
    return [cli(*command, output_format, cwd=app) for output_format in ("text", "json", "github")]


def codes(diagnostics: list[dict], code: str) -> list[dict]:
    return [d for d in diagnostics if d["code"] == code]


def write_env(app: Path, name: str, text: str) -> str:
    (app / name).write_text(text)
    return name


GOOD_PRODUCTION = (
    "OPENAI_API_KEY=sk-prod-0002\nSTRIPE_SECRET_KEY=sk_live_prod_0002\nSTRIPE_WEBHOOK_SECRET=whsec_prod\n"
    "SUPABASE_SERVICE_ROLE_KEY=service-prod\nNEXT_PUBLIC_SUPABASE_URL=https://prod.example\n"
)


def test_fixture_app_shows_every_kind_of_drift(cli, app: Path) -> None:
    exit_code, found = run(
        cli, app, "--env", "preview=.env.preview", "--env", "production=.env.production", "--src", "src"
    )
    assert exit_code == 1
    messages = " | ".join(d["message"] for d in found)
    assert "OPENAI_API_KEY is set in preview but missing in production" in messages
    assert "STRIPE_WEBHOOK_SECRET is set in preview but missing in production" in messages
    assert "STRIPE_SECRET_KEY in production is not a live Stripe secret key" in messages
    assert any(d["path"].endswith("Credits.tsx") and d["code"] == "env-client-exposed" for d in found)
    assert codes(found, "env-project")


def test_clean_environment_passes(cli, app: Path) -> None:
    write_env(app, ".env.production", GOOD_PRODUCTION)
    exit_code, found = run(cli, app, "--env", "production=.env.production", "--project", "prj_fixture_prod")
    assert (exit_code, found) == (0, [])


def test_missing_everywhere_points_at_the_manifest(cli, app: Path) -> None:
    write_env(app, "prod.env", GOOD_PRODUCTION.replace("OPENAI_API_KEY=sk-prod-0002\n", ""))
    _, found = run(cli, app, "--env", "production=prod.env", "--project", "prj_fixture_prod")
    [missing] = codes(found, "env-missing")
    assert missing["path"] == "environment.yaml" and missing["line"] == 8
    assert "provider-key-missing-in-production" in missing["hint"]


def test_empty_value_counts_as_missing(cli, app: Path) -> None:
    write_env(app, "prod.env", GOOD_PRODUCTION.replace("STRIPE_WEBHOOK_SECRET=whsec_prod", "STRIPE_WEBHOOK_SECRET="))
    _, found = run(cli, app, "--env", "production=prod.env", "--project", "prj_fixture_prod")
    [empty] = codes(found, "env-missing")
    assert empty["path"] == "prod.env" and empty["line"] == 3 and "empty" in empty["message"]


def test_unknown_variable_is_a_warning_and_platform_names_are_ignored(cli, app: Path) -> None:
    write_env(app, "prod.env", GOOD_PRODUCTION + "LEGACY_FLAG=1\nVERCEL_URL=x.vercel.app\n")
    exit_code, found = run(cli, app, "--env", "production=prod.env", "--project", "prj_fixture_prod")
    [unknown] = codes(found, "env-unknown")
    assert exit_code == 0 and unknown["level"] == "warning" and "LEGACY_FLAG" in unknown["message"]


def test_values_that_must_differ_are_compared_by_digest(cli, app: Path) -> None:
    write_env(app, "prod.env", GOOD_PRODUCTION)
    write_env(app, "prev.env", GOOD_PRODUCTION.replace("sk_live_prod_0002", "sk_test_prev_0001"))
    _, found = run(
        cli, app, "--env", "preview=prev.env", "--env", "production=prod.env", "--project", "prj_fixture_prod"
    )
    names = sorted(d["message"].split()[0] for d in codes(found, "env-must-differ"))
    assert names == ["OPENAI_API_KEY", "STRIPE_WEBHOOK_SECRET"]


def test_format_mismatch_test_key_in_production(cli, app: Path) -> None:
    write_env(app, "prod.env", GOOD_PRODUCTION.replace("sk_live_prod_0002", "sk_test_prod_0002"))
    _, found = run(cli, app, "--env", "production=prod.env", "--project", "prj_fixture_prod")
    [mismatch] = codes(found, "env-format")
    assert mismatch["line"] == 2 and "^sk_live_" in mismatch["message"]


def test_names_only_listing_checks_presence_but_not_values(cli, app: Path) -> None:
    write_env(
        app,
        "names.txt",
        "OPENAI_API_KEY\nSTRIPE_SECRET_KEY\nSUPABASE_SERVICE_ROLE_KEY\nNEXT_PUBLIC_SUPABASE_URL\n",
    )
    _, found = run(cli, app, "--env", "production=names.txt", "--project", "prj_fixture_prod")
    assert [d["code"] for d in found] == ["env-missing"]


def test_process_environment(cli, app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for line in GOOD_PRODUCTION.splitlines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    exit_code, found = run(cli, app, "--env", "production=-", "--project", "prj_fixture_prod")
    assert exit_code == 0 and found == []


def test_server_only_name_read_in_a_use_client_file(cli, app: Path) -> None:
    (app / "src/components/Panel.tsx").write_text("'use client'\nconst k = process.env.SUPABASE_SERVICE_ROLE_KEY;\n")
    _, found = run(cli, app, "--src", "src", "--project", "prj_fixture_prod")
    panel = [d for d in codes(found, "env-client-exposed") if d["path"].endswith("Panel.tsx")]
    assert [(d["line"], d["col"]) for d in panel] == [(2, 11)]


def test_server_only_name_in_server_code_is_fine(cli, app: Path) -> None:
    (app / "src/components/Credits.tsx").unlink()
    (app / "src/lib/server.ts").write_text("export const k = process.env.SUPABASE_SERVICE_ROLE_KEY;\n")
    exit_code, found = run(cli, app, "--src", "src", "--project", "prj_fixture_prod")
    assert (exit_code, found) == (0, [])


@pytest.mark.parametrize(
    "line",
    [
        "const a = process.env.MISSING_ONE;",
        "const a = process.env['MISSING_ONE'];",
        "const a = import.meta.env.MISSING_ONE;",
        "a = os.environ['MISSING_ONE']",
        "a = os.environ.get('MISSING_ONE')",
        'a = os.getenv("MISSING_ONE")',
        "const a = Deno.env.get('MISSING_ONE');",
    ],
)
def test_every_reference_style_is_found(cli, app: Path, line: str) -> None:
    shutil.rmtree(app / "src")
    (app / "src").mkdir()
    (app / "src/code.ts").write_text(line + "\n")
    _, found = run(cli, app, "--src", "src", "--project", "prj_fixture_prod")
    assert [d["message"].split()[0] for d in codes(found, "env-undeclared-use")] == ["MISSING_ONE"]


def test_linked_project_read_from_the_link_file(cli, app: Path) -> None:
    _, found = run(cli, app)
    [project] = codes(found, "env-project")
    assert project["path"] == ".vercel/project.json" and "prj_fixture_staging" in project["message"]
    (app / ".vercel/project.json").write_text('{"projectId": "prj_fixture_prod"}')
    assert codes(run(cli, app)[1], "env-project") == []


def test_unknown_environment_is_a_usage_error(cli, app: Path) -> None:
    result = cli("env", "check", "--manifest", "environment.yaml", "--env", "prod=.env.production", cwd=app)
    assert result.exit_code == 2 and "did you mean 'production'" in result.output


def test_values_never_appear_in_any_output(cli, app: Path) -> None:
    write_env(
        app,
        "prod.env",
        f"OPENAI_API_KEY={UNIQUE}\nSTRIPE_SECRET_KEY={UNIQUE}\nNEXT_PUBLIC_OPENAI_API_KEY={UNIQUE}\nEXTRA={UNIQUE}\n",
    )
    write_env(app, "prev.env", f"OPENAI_API_KEY={UNIQUE}\n")
    for result in in_every_format(
        cli, app, "--env", "production=prod.env", "--env", "preview=prev.env", "--src", "src"
    ):
        assert result.exit_code == 1 and UNIQUE not in result.output
    assert not list(app.rglob(".opsbook-cache"))


class TestDotenvParsing:
    def test_quotes_export_comments_and_crlf(self) -> None:
        listing = parse("# c\r\nexport A=\"x y\" # note\r\nB='lit $x'\r\nC=plain # trailing\r\n\r\nD=\n", "f")
        assert {n: e.line for n, e in listing.entries.items()} == {"A": 2, "B": 3, "C": 4, "D": 6}
        assert listing.entries["D"].empty and not listing.entries["C"].empty

    def test_multiline_double_quoted_value(self) -> None:
        listing = parse('KEY="-----BEGIN\nline two\n-----END"\nNEXT=1\n', "f")
        assert listing.entries["NEXT"].line == 4 and listing.entries["KEY"].line == 1

    def test_values_are_kept_only_as_digests(self) -> None:
        entry = parse(f"A={UNIQUE}\n", "f", ("^sk-",)).entries["A"]
        assert UNIQUE not in repr(entry) and entry.value_matches == frozenset({"^sk-"})

    def test_a_quote_left_open_is_reported_by_its_line_alone(self) -> None:
        listing = parse("A=1\nBQ7='zx9value\n", "f")
        [(line, message)] = listing.problems
        assert line == 2 and "zx9value" not in message and "BQ7" not in message and list(listing.entries) == ["A"]

    def test_multiline_single_quoted_value_as_dotenv_defines_it(self) -> None:
        listing = parse("KEY='-----BEGIN\nline two\n-----END'\nNEXT=1\n", "f", ("^-----BEGIN\nline two\n",))
        assert listing.problems == () and list(listing.entries) == ["KEY", "NEXT"]
        assert listing.entries["KEY"].value_matches == frozenset({"^-----BEGIN\nline two\n"})
        assert listing.entries["NEXT"].line == 4

    @pytest.mark.parametrize(
        ("line", "value"),
        [
            ('A="a\\\\nb"', "a\\nb"),
            ('A="a\\nb"', "a\nb"),
            ('A="a\\tb"', "a\tb"),
            ("A='a\\nb'", "a\\nb"),
            ("A=a b # c", "a b"),
        ],
    )
    def test_escapes_decode_as_python_dotenv_decodes_them(self, line: str, value: str) -> None:
        pattern = "^" + re.escape(value) + "$"
        assert parse(line + "\n", "f", (pattern,)).entries["A"].value_matches == frozenset({pattern})

    def test_lines_that_are_not_names_are_never_read_as_names(self) -> None:
        pasted = "ghp_" + "x7Kq2mZ9vR4tW8yB3nL6pD1sF5hJ0cG2aE4i"
        listing = parse(f"A=1\n{pasted}\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAz8Yb2Nq+r7Tx/1\nB=2\n", "f")
        assert list(listing.entries) == ["A", "B"]
        assert [line for line, _ in listing.problems] == [2, 3, 4]

    def test_plain_list_of_names(self) -> None:
        listing = parse("A\nB\n", "f")
        assert [e.digest for e in listing.entries.values()] == [None, None]


def test_key_material_in_an_env_file_never_reaches_any_output(cli, app: Path) -> None:
    """A private key in a single-quoted multi-line value (valid dotenv) and a token pasted on a line of its
    own: neither is printed, in text, JSON or GitHub output."""
    body = ["MIIEowIBAAKCAQEAz8Yb2Nq" + "Rr7TxKp1mWc3Vd9" * 3, "Hq2Lf5Jn8Bv4Xs7Zk0" * 3]
    pem = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"])
    token = "sk_" + "live_" + "Q8w3Zr7TpK2mXv9LbN4cYd6H"
    text = GOOD_PRODUCTION + f"SIGNING_KEY='{pem}'\n{token}\n{body[0]}\n"
    write_env(app, "prod.env", text)
    pasted_lines = [len(text.splitlines()) - 1, len(text.splitlines())]  # the last two
    for result in in_every_format(cli, app, "--env", "production=prod.env"):
        assert not any(secret in result.output for secret in (*body, token, token[8:]))
    _, found = run(cli, app, "--env", "production=prod.env")
    unknown = [d["message"].split()[0] for d in codes(found, "env-unknown")]
    assert unknown == ["SIGNING_KEY"]
    assert sorted(d["line"] for d in codes(found, "bad-value")) == pasted_lines
