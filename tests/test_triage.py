"""Triage: pasted error text → failure class and runbooks, with reasons; the browser ranks identically."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from opsbook.features.triage import TriageIndex, evaluate, tokenize

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tooling" / "opsbook" / "site" / "assets" / "opsbook.js"

RUNBOOKS = [
    {
        "id": "webhook-secret",
        "title": "Webhook signature verification fails in production",
        "status": "active",
        "failure_class": "auth-drift",
        "url": "runbooks/auth-drift/webhook-secret/",
        "signatures": ["No signatures found matching the expected signature for payload"],
        "symptoms": ["Stripe shows failed deliveries"],
        "keywords": ["whsec"],
        "summary": "Signing secret differs.",
        "providers": ["stripe"],
    },
    {
        "id": "rate-limited",
        "title": "Primary model returns 429 and the fallback never fires",
        "status": "active",
        "failure_class": "fallback",
        "url": "runbooks/fallback/rate-limited/",
        "signatures": ["rate_limit_exceeded", "/Rate limit reached for \\S+/"],
        "symptoms": ["requests fail with 429 during peaks"],
        "keywords": ["retry-after"],
        "summary": "The provider throttles requests; failover should take over.",
        "providers": ["openai"],
    },
    {
        "id": "port-in-use",
        "title": "Local dev server shows old code: port already in use",
        "status": "active",
        "failure_class": "stale-deploy",
        "url": "runbooks/stale-deploy/port-in-use/",
        "signatures": ["EADDRINUSE"],
        "symptoms": ["my change does not show up locally"],
        "keywords": ["lsof", "dev server"],
        "summary": "An old process still holds the port.",
        "providers": [],
    },
    {
        "id": "old",
        "title": "Old runbook",
        "status": "deprecated",
        "failure_class": "fallback",
        "signatures": ["rate_limit_exceeded"],
        "symptoms": [],
        "keywords": [],
        "summary": "",
        "providers": [],
    },
]


@pytest.fixture(scope="module")
def index() -> TriageIndex:
    return TriageIndex.build(RUNBOOKS)


def test_tokeniser_keeps_identifiers_whole_and_split() -> None:
    assert tokenize("rate_limit_exceeded") == ["rate_limit_exceed", "rate", "limit", "exceed"]
    assert tokenize("ChunkLoadError") == ["chunkloaderror", "chunk", "load", "error"]
    assert tokenize("OPENAI_API_KEY is undefined") == ["openai_api_key", "openai", "api", "key", "undefin"]
    assert tokenize("HTTP 429 Too Many Requests") == ["http", "429", "many", "request"]


def test_exact_signature_wins_and_is_named_in_why(index: TriageIndex) -> None:
    verdict = index.triage(
        "Error: No signatures found matching the expected signature for payload. Are you passing the raw request body?"
    )
    assert verdict.failure_class == "auth-drift"
    assert verdict.matches[0].id == "webhook-secret"
    assert any(reason.startswith("signature: No signatures found") for reason in verdict.matches[0].why)


def test_regex_signature_matches(index: TriageIndex) -> None:
    verdict = index.triage("Rate limit reached for gpt-4o in organization org-1 on requests per min")
    assert verdict.matches[0].id == "rate-limited"
    assert any("signature: /Rate limit reached" in reason for reason in verdict.matches[0].why)


def test_signature_beats_a_stronger_text_match(index: TriageIndex) -> None:
    text = "local dev server port old code lsof: rate_limit_exceeded"
    assert index.triage(text).matches[0].id == "rate-limited"


def test_deprecated_runbooks_are_not_suggested(index: TriageIndex) -> None:
    assert all(m.id != "old" for m in index.triage("rate_limit_exceeded").matches)


@pytest.mark.parametrize(
    "text",
    [
        "The settings page is unreadable in dark mode",
        "langchain 0.1 requires langchain-core<0.2, but you have langchain-core 0.2.10 which is incompatible",
        "Please add a button to export conversations as PDF",
    ],
)
def test_unrelated_text_gets_no_class(index: TriageIndex, text: str) -> None:
    assert index.triage(text).failure_class is None


def test_class_cue_without_any_runbook_term(index: TriageIndex) -> None:
    verdict = index.triage("Provider answered HTTP 429 Too Many Requests again")
    assert verdict.failure_class == "fallback"
    assert any("fallback cues" in reason for reason in verdict.matches[0].why)


def test_json_shape(index: TriageIndex) -> None:
    data = index.triage("EADDRINUSE on 3000", top=2).as_dict()
    assert set(data) == {"query", "failure_class", "confidence", "matches"}
    assert 0.0 <= data["confidence"] <= 1.0 and len(data["matches"]) <= 2
    assert set(data["matches"][0]) >= {"id", "title", "failure_class", "score", "why"}


def test_evaluation_counts_top1_and_top3(index: TriageIndex) -> None:
    result = evaluate(
        index,
        [
            {"text": "EADDRINUSE: address already in use", "expected": "stale-deploy"},
            {"text": "the theme has low contrast", "expected": "none"},
            {"text": "EADDRINUSE: address already in use", "expected": "fallback"},
        ],
    )
    assert (result["top1"], result["cases"]) == (2 / 3, 3)
    assert [m["expected"] for m in result["misses"]] == ["fallback"]


def test_export_round_trips(index: TriageIndex) -> None:
    again = TriageIndex.from_export(json.loads(json.dumps(index.export())))
    text = "rate_limit_exceeded after deploy"
    assert again.triage(text).as_dict() == index.triage(text).as_dict()


def test_cli_triage_json_and_stdin(cli) -> None:
    result = cli("triage", "--format", "json", "Error: listen EADDRINUSE: address already in use :::3000", cwd=ROOT)
    payload = json.loads(result.output)
    assert payload["failure_class"] == "stale-deploy"
    assert payload["matches"][0]["id"] == "stale-dev-server-port-in-use"
    from_stdin = cli("triage", "--format", "json", cwd=ROOT, input="429 rate_limit_exceeded, fallback never tried")
    assert json.loads(from_stdin.output)["failure_class"] == "fallback"


def test_cli_eval_prints_accuracy_and_misses(cli, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {text: 'Error: listen EADDRINUSE: address already in use', expected: stale-deploy}\n"
        "- {text: 'Error: listen EADDRINUSE: address already in use', expected: tool-policy}\n"
    )
    output = cli("triage", "--eval", str(cases), cwd=ROOT).output
    assert "2 cases: top-1 50.0%" in output and "miss: expected tool-policy, got stale-deploy" in output


def test_cli_eval_rejects_a_bad_file_with_a_located_error(cli, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("- {text: 'x', expected: not-a-class}\n")
    result = cli("triage", "--eval", str(cases), cwd=ROOT)
    assert result.exit_code == 1 and "cases.yaml:1:" in result.output and "bad-value" in result.output


@pytest.mark.parametrize(
    "dataset",
    [
        "tests/data/triage-holdout.yaml",
        "tests/data/triage-holdout-2.yaml",
        "../shared/eval/symptoms-dev.yaml",
    ],
)
def test_quality_bar_on_real_texts(cli, dataset: str) -> None:
    path = (ROOT / dataset).resolve()
    if not path.exists():
        pytest.fail(f"{path} is missing")
    result = json.loads(cli("triage", "--eval", str(path), "--format", "json", cwd=ROOT).output)
    assert result["top1"] >= 0.85 and result["top3"] >= 0.95, result["misses"]


def test_browser_script_ranks_exactly_like_python(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is needed to run the site's JavaScript"
    from opsbook.site.tree import DocsTree

    with DocsTree.open(ROOT) as tree:
        export = json.loads(tree.export)
    index = TriageIndex.from_export(export["triage"])
    import yaml

    queries = [case["text"] for case in yaml.safe_load((ROOT / "tests/data/triage-holdout.yaml").read_text())]
    queries += ["", "x", "OPENAI_API_KEY missing in production", "ChunkLoadError: Loading chunk 7 failed"]
    (tmp_path / "kb.json").write_text(json.dumps(export))
    (tmp_path / "q.json").write_text(json.dumps(queries))
    runner = tmp_path / "run.js"
    runner.write_text(
        "const fs = require('fs'); const api = require(process.argv[2]);\n"
        "const kb = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));\n"
        "const qs = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));\n"
        "console.log(JSON.stringify(qs.map(q => api.triage(kb.triage, q, 5))));\n"
    )
    result = subprocess.run(
        [node, str(runner), str(SCRIPT), str(tmp_path / "kb.json"), str(tmp_path / "q.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    browser = json.loads(result.stdout)
    for query, js in zip(queries, browser, strict=True):
        assert js == index.triage(query, top=5).as_dict(), query
