"""Each opsbook entry of docs/reference/check-compared.md, held by a test of the real command.

The table's first column names the feature; `ROWS` maps each one to the test below that holds it, and
the first test keeps the two in step.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from tests.conftest import ROOT
from tests.kbfactory import dump, make_kb, runbook, write

COMPARED = ROOT / "docs/reference/check-compared.md"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "kb")


def table_rows() -> dict[str, str]:
    """Feature → opsbook's entry, from the comparison table."""
    rows = {}
    for line in COMPARED.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in ("Feature", "---"):
            rows[cells[0]] = cells[1]
    return rows


def codes(result: Result) -> list[str]:
    return [d["code"] for d in json.loads(result.output)["diagnostics"]]


def with_dangling_ref_and_orphan(kb: Path) -> None:
    """rb-tool-policy refers to a runbook that does not exist (error) and a new runbook links nowhere
    (warning)."""
    write(
        kb / "runbooks/tool-policy/rb-tool-policy.yaml",
        runbook("rb-tool-policy", "tool-policy", related=["rb-auth-drift", "no-such-runbook"]),
    )
    write(kb / "runbooks/fallback/lonely.yaml", runbook("lonely", "fallback"))


# --- the rows ---------------------------------------------------------------------------------------


def test_rule_selection_for_one_run(kb: Path, cli: Callable[..., Result]) -> None:
    with_dangling_ref_and_orphan(kb)
    assert sorted(codes(cli("check", "--format", "json", cwd=kb))) == ["dangling-ref", "orphan-runbook"]
    assert codes(cli("check", "--format", "json", "--select", "dangling-ref", cwd=kb)) == ["dangling-ref"]
    assert codes(cli("check", "--format", "json", "--ignore", "dangling-ref,orphan-runbook", cwd=kb)) == []
    both = cli("check", "--format", "json", "--select", "orphan-runbook", "--select", "dangling-ref", cwd=kb)
    assert sorted(codes(both)) == ["dangling-ref", "orphan-runbook"]
    misspelt = cli("check", "--select", "danglingref", cwd=kb)
    assert misspelt.exit_code == 2 and "did you mean 'dangling-ref'?" in misspelt.output


def test_level_per_rule_in_the_configuration(kb: Path, cli: Callable[..., Result]) -> None:
    with_dangling_ref_and_orphan(kb)
    write(kb / "opsbook.yml", "checks:\n  orphan-runbook: error\n  dangling-ref: notice\n")
    found = {d["code"]: d["level"] for d in json.loads(cli("check", "--format", "json", cwd=kb).output)["diagnostics"]}
    assert found == {"orphan-runbook": "error", "dangling-ref": "notice"}
    write(kb / "opsbook.yml", "checks:\n  orphan-runbook: off\n  dangling-ref: notice\n")  # unquoted off
    result = cli("check", "--strict", cwd=kb)
    assert result.exit_code == 0, result.output
    assert "orphan-runbook" not in result.output and "notice[dangling-ref]" in result.output
    assert "0 errors, 0 warnings, 1 notice" in result.output


def test_ignore_on_one_line(kb: Path, cli: Callable[..., Result]) -> None:
    """The documented example, a reviewed false positive, suppressed on its line and nowhere else; and a
    finding across records, located at the reference."""
    [example] = [b for b in re.findall(r"```yaml\n(.*?)```", COMPARED.read_text(), re.DOTALL) if "ignore[" in b]
    data = runbook("rb-auth-drift", "auth-drift", related=["rb-session-lifecycle"])
    del data["verification"]
    path = write(kb / "runbooks/auth-drift/rb-auth-drift.yaml", dump(data) + example)
    assert codes(cli("check", "--format", "json", cwd=kb)) == []
    write(path, dump(data) + example.replace("# opsbook: ignore[sensitive-unflagged]", ""))
    assert codes(cli("check", "--format", "json", cwd=kb)) == ["sensitive-unflagged"]
    with_dangling_ref_and_orphan(kb)
    policy = kb / "runbooks/tool-policy/rb-tool-policy.yaml"
    policy.write_text(
        policy.read_text().replace("- no-such-runbook", "- no-such-runbook  # opsbook: ignore[dangling-ref]")
    )
    assert "dangling-ref" not in codes(cli("check", "--format", "json", cwd=kb))


def test_ignore_for_a_whole_file(kb: Path, cli: Callable[..., Result]) -> None:
    assert cli("new", "runbook", "--class", "fallback", "--id", "draft-one", cwd=kb).exit_code == 0
    path = kb / "runbooks/fallback/draft-one.yaml"
    assert "placeholder" in codes(cli("check", "--format", "json", cwd=kb))
    path.write_text(path.read_text() + "# opsbook: ignore-file[placeholder]\n")
    assert "placeholder" not in codes(cli("check", "--format", "json", cwd=kb))


def test_problems_that_keep_a_file_from_being_read(kb: Path, cli: Callable[..., Result]) -> None:
    text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"]))
    write(
        kb / "runbooks/fallback/rb-fallback.yaml",
        text.replace("mitigation:", "mitigaton:  # opsbook: ignore[unknown-key]"),
    )
    write(kb / "opsbook.yml", "checks:\n  unknown-key: 'off'\n")
    result = cli("check", "--format", "json", "--ignore", "unknown-key", cwd=kb)
    assert result.exit_code == 1
    assert "unknown-key" in codes(result)


def test_output_formats(kb: Path, cli: Callable[..., Result]) -> None:
    with_dangling_ref_and_orphan(kb)
    text = cli("check", "--format", "text", cwd=kb).output
    assert re.search(r"^runbooks/tool-policy/rb-tool-policy.yaml:\d+:\d+: error\[dangling-ref\] ", text, re.M)
    assert set(json.loads(cli("check", "--format", "json", cwd=kb).output)) >= {"errors", "warnings", "diagnostics"}
    assert cli("check", "--format", "github", cwd=kb).output.startswith("::")
    assert json.loads(cli("check", "--format", "sarif", cwd=kb).output)["version"] == "2.1.0"


def test_github_annotations(kb: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    with_dangling_ref_and_orphan(kb)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert cli("check", cwd=kb).output.startswith("runbooks/")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    lines = cli("check", cwd=kb).output.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::warning", "::error"]
    assert "file=runbooks/tool-policy/rb-tool-policy.yaml,line=" in lines[1]


SARIF_SUBSET: dict[str, Any] = {
    # The parts of the SARIF 2.1.0 schema (docs.oasis-open.org/sarif/sarif/v2.1.0) opsbook writes: every
    # object it emits, with the properties the standard defines for it and the ones it requires.
    "type": "object",
    "required": ["version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "message": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {"text": {"type": "string", "minLength": 1}},
        },
        "run": {
            "type": "object",
            "required": ["tool"],
            "additionalProperties": False,
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "additionalProperties": False,
                    "properties": {"driver": {"$ref": "#/$defs/driver"}},
                },
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
        },
        "driver": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "informationUri": {"type": "string", "format": "uri"},
                "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
            },
        },
        "rule": {
            "type": "object",
            "required": ["id"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": {"$ref": "#/$defs/message"},
            },
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "additionalProperties": False,
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/$defs/message"},
                "locations": {"type": "array", "items": {"$ref": "#/$defs/location"}},
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"uri": {"type": "string", "format": "uri-reference"}},
                        },
                        "region": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "startLine": {"type": "integer", "minimum": 1},
                                "startColumn": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
                }
            },
        },
    },
}


def test_sarif_for_code_scanning(kb: Path, cli: Callable[..., Result]) -> None:
    import jsonschema

    with_dangling_ref_and_orphan(kb)
    write(kb / "opsbook.yml", "checks:\n  orphan-runbook: notice\n")
    log = json.loads(cli("check", "--format", "sarif", cwd=kb).output)
    jsonschema.Draft202012Validator(SARIF_SUBSET, format_checker=jsonschema.FormatChecker()).validate(log)
    [run] = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert {(r["ruleId"], rules[r["ruleIndex"]], r["level"]) for r in run["results"]} == {
        ("dangling-ref", "dangling-ref", "error"),
        ("orphan-runbook", "orphan-runbook", "note"),
    }
    [dangling] = [r for r in run["results"] if r["ruleId"] == "dangling-ref"]
    location = dangling["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "runbooks/tool-policy/rb-tool-policy.yaml"
    line = (
        (kb / "runbooks/tool-policy/rb-tool-policy.yaml").read_text().splitlines()[location["region"]["startLine"] - 1]
    )
    assert "no-such-runbook" in line


def run_on_a_terminal(kb: Path, **environment: str) -> str:
    """`opsbook check` with its output on a pseudo-terminal, as a person at a shell sees it."""
    leader, follower = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "GITHUB_ACTIONS")}
    child = subprocess.Popen(
        [sys.executable, "-m", "opsbook", "check", "--no-index"],
        cwd=kb,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**env, **environment},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once the child exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert child.wait(timeout=60) == 1
    return b"".join(chunks).decode()


def test_colour(kb: Path) -> None:
    with_dangling_ref_and_orphan(kb)
    coloured = run_on_a_terminal(kb)
    assert "\x1b[1;31merror[dangling-ref]\x1b[0m" in coloured and "\x1b[1;33mwarning[orphan-runbook]" in coloured
    plain = run_on_a_terminal(kb, NO_COLOR="1")
    assert "\x1b[" not in plain and "error[dangling-ref]" in plain
    piped = subprocess.run(
        [sys.executable, "-m", "opsbook", "check", "--no-index"], cwd=kb, capture_output=True, text=True
    )
    assert "\x1b[" not in piped.stdout and "error[dangling-ref]" in piped.stdout


def test_errors_only(kb: Path, cli: Callable[..., Result]) -> None:
    with_dangling_ref_and_orphan(kb)
    quiet = cli("check", "--quiet", cwd=kb).output
    assert "error[dangling-ref]" in quiet and "orphan-runbook" not in quiet and "checked" not in quiet
    strict = cli("check", "--quiet", "--strict", cwd=kb).output
    assert "warning[orphan-runbook]" in strict
    write(
        kb / "runbooks/tool-policy/rb-tool-policy.yaml",
        runbook("rb-tool-policy", "tool-policy", related=["rb-auth-drift"]),
    )
    clean = cli("check", "--quiet", cwd=kb)
    assert clean.exit_code == 0 and clean.output == ""


def test_exit_codes(kb: Path, cli: Callable[..., Result]) -> None:
    text = cli("check", "--help").output
    for code, meaning in (("0", "no errors"), ("1", "problems found"), ("2", "usage error"), ("3", "internal error")):
        assert re.search(rf"^\s+{code}\s+{meaning}", text, re.M), text
    assert cli("check", cwd=kb).exit_code == 0
    with_dangling_ref_and_orphan(kb)
    assert cli("check", cwd=kb).exit_code == 1
    assert cli("check", "--ignore", "dangling-ref", cwd=kb).exit_code == 0
    assert cli("check", "--ignore", "dangling-ref", "--strict", cwd=kb).exit_code == 1
    assert cli("check", "--ignore", "no-such-code", cwd=kb).exit_code == 2


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True, capture_output=True
    )


def pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=300
    )


def local_hooks() -> list[dict[str, Any]]:
    """This repository's hook definitions, run from the opsbook being tested rather than from a fresh
    virtualenv that pre-commit would install from the network (the `entry` keeps its arguments)."""
    from pre_commit.all_languages import languages

    language = "unsupported" if "unsupported" in languages else "system"
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    command = f"{sys.executable} -m opsbook"
    return [{**hook, "language": language, "entry": hook["entry"].replace("opsbook", command, 1)} for hook in hooks]


def test_pre_commit(tmp_path: Path) -> None:
    """The hooks as pre-commit runs them on a knowledge base in a subfolder (the layout `opsbook init ops`
    suggests): only record files are passed, and each finds its knowledge base."""
    repo = tmp_path / "repo"
    make_kb(repo / "ops")
    write(repo / "README.md", "# a project\n")
    write(repo / ".pre-commit-config.yaml", dump({"repos": [{"repo": "local", "hooks": local_hooks()}]}))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    clean = pre_commit(repo, "run", "--all-files", "--hook-stage", "pre-commit", "opsbook-check")
    assert clean.returncode == 0 and "opsbook check" in clean.stdout and "Passed" in clean.stdout, clean.stdout
    broken = repo / "ops/runbooks/fallback/rb-fallback.yaml"
    broken.write_text(broken.read_text().replace("status: active", "status: actve"))
    git(repo, "add", "-A")
    failed = pre_commit(repo, "run", "--files", "README.md", str(broken.relative_to(repo)))
    assert failed.returncode == 1, failed.stdout
    assert "ops/runbooks/fallback/rb-fallback.yaml:4:9: error[bad-value] status: expected one of" in failed.stdout
    assert "1 file checked" in failed.stdout
    readme_only = pre_commit(repo, "run", "--files", "README.md")
    assert readme_only.returncode == 0 and "(no files to check)Skipped" in readme_only.stdout


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"^( *)```{language}\n(.*?)^\1```", (ROOT / "README.md").read_text(), re.M | re.DOTALL)


def test_ci(tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's pre-commit snippet is a valid pre-commit configuration of this repository's hooks, and
    its GitHub Actions workflow runs commands that annotate a pull request."""
    from pre_commit.clientlib import load_config

    snippets = [textwrap_dedent(indent, block) for indent, block in readme_blocks("yaml")]
    [config] = [yaml.safe_load(s) for s in snippets if "repos:" in s]
    [workflow] = [yaml.safe_load(s) for s in snippets if "jobs:" in s]
    config_file = write(tmp_path / ".pre-commit-config.yaml", dump(config))
    load_config(str(config_file))  # raises on an invalid configuration
    defined = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {hook["id"] for repo in config["repos"] for hook in repo["hooks"]} <= defined
    assert workflow[True if True in workflow else "on"]["pull_request"] is None
    commands = [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    [check] = [command for command in commands if command.startswith("opsbook check")]
    repo = tmp_path / "repo"
    make_kb(repo / "ops")
    broken = repo / "ops/runbooks/fallback/rb-fallback.yaml"
    broken.write_text(broken.read_text().replace("status: active", "status: actve"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli(*check.split()[1:], cwd=repo)
    assert result.exit_code == 1
    assert result.output.startswith(
        "::error file=ops/runbooks/fallback/rb-fallback.yaml,line=4,col=9,title=bad-value::"
    )


def textwrap_dedent(indent: str, block: str) -> str:
    return "\n".join(line.removeprefix(indent) for line in block.splitlines())


ROWS: dict[str, Callable[..., None]] = {
    "Rule selection for one run": test_rule_selection_for_one_run,
    "Level per rule in the configuration": test_level_per_rule_in_the_configuration,
    "Ignore on one line": test_ignore_on_one_line,
    "Ignore for a whole file": test_ignore_for_a_whole_file,
    "Problems that keep a file from being read": test_problems_that_keep_a_file_from_being_read,
    "Output formats": test_output_formats,
    "GitHub annotations": test_github_annotations,
    "SARIF for code scanning": test_sarif_for_code_scanning,
    "Colour": test_colour,
    "Errors only": test_errors_only,
    "Exit codes": test_exit_codes,
    "pre-commit": test_pre_commit,
    "CI": test_ci,
}


def test_every_row_of_the_comparison_has_a_test() -> None:
    assert list(table_rows()) == list(ROWS)
