"""Triage: pasted error text → failure class by name, runbooks and past incidents, with a confidence that is
calibrated on held-out texts; the browser answers exactly like the CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.features.answer import answer, answer_text
from opsbook.features.triage import EVIDENCE, OUTCOMES, TriageIndex, Verdict, Weights, evaluate, phrases, tokenize
from opsbook.features.triage_cues import CUES
from opsbook.index.knowledge import KnowledgeIndex

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "triage-eval.yaml"

RUNBOOKS = [
    {
        "id": "webhook-secret",
        "title": "Webhook signature verification fails in production",
        "status": "active",
        "failure_class": "auth-drift",
        "url": "runbooks/auth-drift/webhook-secret/",
        "signatures": ["No signatures found matching the expected signature for payload", r"/\Awhsec_/"],
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
CLASS_NAMES = {"fallback": "Fallback & failover", "stale-deploy": "Stale deploy & caches"}


@pytest.fixture(scope="module")
def index() -> TriageIndex:
    return TriageIndex.build(RUNBOOKS, CLASS_NAMES)


def test_tokeniser_keeps_identifiers_whole_and_split() -> None:
    assert tokenize("rate_limit_exceeded") == ["rate_limit_exceed", "rate", "limit", "exceed"]
    assert tokenize("ChunkLoadError") == ["chunkloaderror", "chunk", "load", "error"]
    assert tokenize("OPENAI_API_KEY is undefined") == ["openai_api_key", "openai", "api", "key", "undefin"]
    assert tokenize("HTTP 429 Too Many Requests") == ["http", "429", "many", "request"]


def test_phrases_are_adjacent_words_once_stop_words_are_gone() -> None:
    assert phrases("deployed but still old") == ["deploy old"]
    assert phrases("ChunkLoadError after the deploy") == ["chunk load", "load error", "error deploy"]


def test_exact_signature_wins_and_is_named_in_why(index: TriageIndex) -> None:
    verdict = index.triage(
        "Error: No signatures found matching the expected signature for payload. Are you passing the raw request body?"
    )
    assert verdict.matches[0].id == "webhook-secret"
    assert any(reason.startswith("signature: No signatures found") for reason in verdict.matches[0].why)


def test_regex_signature_matches(index: TriageIndex) -> None:
    verdict = index.triage("Rate limit reached for gpt-4o in organization org-1 on requests per min")
    assert verdict.matches[0].id == "rate-limited"
    assert any("signature: /Rate limit reached" in reason for reason in verdict.matches[0].why)


def test_a_signature_the_browser_would_read_differently_is_left_out(index: TriageIndex) -> None:
    [document] = [d for d in index.documents if d["id"] == "webhook-secret"]
    assert document["signatures"] == ["No signatures found matching the expected signature for payload"]


def test_unknown_is_the_share_of_specific_words_no_runbook_contains(index: TriageIndex) -> None:
    assert index.evidence("EADDRINUSE zebra quokka").unknown == pytest.approx(2 / 3)
    assert index.evidence("EADDRINUSE error failed").unknown == 0.0  # generic words do not count
    assert index.evidence("").unknown == 0.0


def test_words_no_runbook_knows_lean_the_answer_to_none(index: TriageIndex) -> None:
    def none_probability(weights: Weights) -> float:
        verdict = dataclasses.replace(index, weights=weights).triage("dev server zebra quokka")
        return dict((c, p) for c, _, p in verdict.classes)["none"]

    weights = index.weights
    assert none_probability(dataclasses.replace(weights, unknown=2.0)) > none_probability(
        dataclasses.replace(weights, unknown=0.0)
    )


def test_signature_beats_a_stronger_text_match(index: TriageIndex) -> None:
    text = "local dev server port old code lsof: rate_limit_exceeded"
    assert index.triage(text).matches[0].id == "rate-limited"


def test_deprecated_runbooks_are_not_suggested(index: TriageIndex) -> None:
    assert all(m.id != "old" for m in index.triage("rate_limit_exceeded").matches)


def test_answer_names_the_class_and_its_probability(index: TriageIndex) -> None:
    verdict = index.triage("Error: listen EADDRINUSE: address already in use :::3000")
    assert (verdict.failure_class, verdict.class_name) == ("stale-deploy", "Stale deploy & caches")
    assert verdict.matches[0].class_name == "Stale deploy & caches"
    assert verdict.classes[0][0] == "stale-deploy"
    assert sum(p for _, _, p in verdict.classes) == pytest.approx(1.0)
    assert verdict.confidence == verdict.classes[0][2]


def test_an_answer_below_the_threshold_is_marked_unsure(index: TriageIndex) -> None:
    text = "Error: listen EADDRINUSE: address already in use :::3000"
    strict = dataclasses.replace(index, weights=dataclasses.replace(index.weights, unsure_below=1.0))
    lenient = dataclasses.replace(index, weights=dataclasses.replace(index.weights, unsure_below=0.0))
    assert strict.triage(text).unsure and not lenient.triage(text).unsure


def test_runbooks_below_the_relevance_floor_are_left_out(index: TriageIndex) -> None:
    def with_floor(floor: float) -> TriageIndex:
        return dataclasses.replace(index, weights=dataclasses.replace(index.weights, relevance_floor=floor))

    text = "rate_limit_exceeded on the dev server"
    listed = with_floor(0.0).triage(text, top=5).matches
    assert len(listed) >= 2
    floor = (listed[0].relevance + listed[-1].relevance) / 2
    kept = with_floor(floor).triage(text, top=5).matches
    assert kept and len(kept) < len(listed) and all(m.relevance >= floor for m in kept)


def test_a_runbook_without_any_evidence_of_its_own_is_not_listed() -> None:
    throttled = {**RUNBOOKS[1], "id": "throttled", "title": "Provider throttles", "signatures": [], "keywords": []}
    throttled.update(symptoms=["requests queue up"], summary="Slow down.", providers=[])
    assert TriageIndex.build([throttled]).triage("failover never happened").matches == []


def test_json_shape(index: TriageIndex) -> None:
    data = index.triage("EADDRINUSE on 3000", top=2).as_dict()
    assert set(data) == {
        "query",
        "failure_class",
        "class_name",
        "confidence",
        "unsure",
        "classes",
        "matches",
        "seen_before",
    }
    assert sorted(c["id"] for c in data["classes"]) == sorted(OUTCOMES)
    assert 0.0 <= data["confidence"] <= 1.0 and len(data["matches"]) <= 2
    assert set(data["matches"][0]) == {"id", "title", "failure_class", "class_name", "relevance", "why", "url", "path"}


def test_evaluation_counts_every_measure(index: TriageIndex) -> None:
    result = evaluate(
        index,
        [
            {"text": "EADDRINUSE: address already in use", "expected": "stale-deploy", "runbook": "port-in-use"},
            {"text": "The settings page is unreadable in dark mode", "expected": "none"},
            {"text": "EADDRINUSE: address already in use", "expected": "fallback", "runbook": "rate-limited"},
        ],
    )
    assert (result["cases"], result["top1"], result["classed_top1"], result["unrelated_no_class"]) == (
        3,
        2 / 3,
        0.5,
        1.0,
    )
    assert result["runbook_top3"] == 0.5
    assert [m["expected"] for m in result["misses"]] == ["fallback"]


def test_export_round_trips(index: TriageIndex) -> None:
    again = TriageIndex.from_export(json.loads(json.dumps(index.export())))
    text = "rate_limit_exceeded after deploy"
    assert again.triage(text).as_dict() == index.triage(text).as_dict()


def test_the_learned_weights_cover_every_cue_and_outcome() -> None:
    data = json.loads((ROOT / "tooling/opsbook/features/triage_weights.json").read_text())
    weights = Weights.from_dict(data)
    assert set(weights.evidence) == set(EVIDENCE) and set(weights.bias) == set(OUTCOMES)
    assert {cue.name: set(cue.targets) for cue in CUES} == {name: set(per) for name, per in weights.cues.items()}
    assert 0 < weights.unsure_below < 1 and 0 <= weights.relevance_floor < 1
    assert weights.unknown > 0, "unknown words are evidence for none, not against it"
    assert "dev split" in data["trained"]["on"]


@pytest.mark.parametrize(
    "text",
    [
        "The settings page is unreadable in dark mode",
        "langchain 0.1 requires langchain-core<0.2, but you have langchain-core 0.2.10 which is incompatible",
        "psycopg2.OperationalError: could not connect to server: Connection refused",
    ],
)
def test_unrelated_text_gets_no_class(text: str) -> None:
    with KnowledgeIndex.open(ROOT) as knowledge:
        assert answer(knowledge, text).failure_class is None


@pytest.mark.parametrize(
    ("text", "runbook"),
    [
        (
            "⚡ Automatically switching from gemini-2.5-pro to gemini-2.5-flash for faster responses for the"
            " remainder of this session.",
            "primary-rate-limited-no-failover",
        ),
        (
            'Request Failed: 400 {"error":{"message":"prompt token count of 514673 exceeds the limit of 128000",'
            '"code":"model_max_prompt_tokens_exceeded"}}',
            "context-window-exceeded",
        ),
        ("TIP: Use 'cf restage' to ensure your env variable changes take effect", "env-change-not-live-until-redeploy"),
        (
            "[next-auth][warn][NEXTAUTH_URL] https://next-auth.js.org/warnings#nextauth_url",
            "variable-scoped-to-wrong-target",
        ),
        ("Failed to bind stream server: Operation not permitted", "sandbox-blocks-network-or-writes"),
    ],
)
def test_vendor_messages_lead_surely_to_their_bundled_runbook(text: str, runbook: str) -> None:
    """Messages the vendors' tools print (Gemini CLI, GitHub Copilot, Cloud Foundry, NextAuth.js, Codex)."""
    with KnowledgeIndex.open(ROOT) as knowledge:
        verdict = answer(knowledge, text)
    assert not verdict.unsure and verdict.matches[0].id == runbook, verdict.as_dict()


def test_cli_triage_json_and_stdin(cli) -> None:
    result = cli("triage", "--format", "json", "Error: listen EADDRINUSE: address already in use :::3000", cwd=ROOT)
    payload = json.loads(result.output)
    assert (payload["failure_class"], payload["class_name"]) == ("stale-deploy", "Stale deploy & caches")
    first = payload["matches"][0]
    assert first["id"] == "stale-dev-server-port-in-use"
    assert first["path"] == "runbooks/stale-deploy/stale-dev-server-port-in-use.yaml"
    assert first["url"] == "runbooks/stale-deploy/stale-dev-server-port-in-use/"
    from_stdin = cli("triage", "--format", "json", cwd=ROOT, input="429 rate_limit_exceeded, fallback never tried")
    assert json.loads(from_stdin.output)["failure_class"] == "fallback"


def test_cli_text_names_the_class_the_file_the_page_and_what_resolved_it_last_time(cli) -> None:
    output = cli(
        "triage", "litellm.AuthenticationError: Missing Anthropic API Key - fallback call failed", cwd=ROOT
    ).output
    assert output.startswith("Failure class: Fallback & failover (")
    assert "runbooks/fallback/fallback-missing-credentials.yaml" in output
    assert "https://opsbook.example.org/runbooks/fallback/fallback-missing-credentials/" in output
    assert "Seen before (fallback-missing-credentials):" in output
    assert "2026-10-07 SEV1" in output and "resolved: Added `ANTHROPIC_API_KEY`" in output


def verdict(**changes: Any) -> Verdict:
    base = Verdict(
        "x", "fallback", "Fallback & failover", 0.55, True,
        [("fallback", "Fallback & failover", 0.55), ("none", "None of the five classes", 0.3),
         ("auth-drift", "Auth & environment drift", 0.15)],
        [],
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def test_text_says_unsure_plainly_and_names_the_alternatives() -> None:
    headline = answer_text(verdict()).splitlines()[0]
    assert headline.startswith("UNSURE: maybe Fallback & failover (55%), or none of them or Auth & environment drift")
    assert answer_text(verdict(unsure=False)).startswith("Failure class: Fallback & failover (55% sure)")


def test_text_for_no_class_says_so_and_how_sure() -> None:
    confident = verdict(failure_class=None, class_name=None, confidence=0.9, unsure=False)
    assert answer_text(confident).startswith("No failure class (90% sure)")
    unsure = verdict(failure_class=None, class_name=None, confidence=0.5)
    assert answer_text(unsure).startswith("UNSURE: probably none of the five failure classes (50%)")


def test_cli_eval_prints_accuracy_calibration_and_misses(cli, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {text: 'Error: listen EADDRINUSE: address already in use', expected: stale-deploy, split: dev}\n"
        "- {text: 'Error: listen EADDRINUSE: address already in use', expected: tool-policy, split: test}\n"
    )
    output = cli("triage", "--eval", str(cases), cwd=ROOT).output
    assert "2 cases: top-1 50.0%" in output and "confident answers: 2, right 50.0%" in output
    assert "miss: expected tool-policy, got stale-deploy" in output
    assert "1 cases: top-1 100.0%" in cli("triage", "--eval", str(cases), "--split", "dev", cwd=ROOT).output


def test_cli_eval_rejects_a_bad_file_with_a_located_error(cli, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("- {text: 'x', expected: not-a-class}\n")
    result = cli("triage", "--eval", str(cases), cwd=ROOT)
    assert result.exit_code == 1 and "cases.yaml:1:" in result.output and "bad-value" in result.output


def evaluation(cli, dataset: Path, split: str | None = None) -> dict[str, Any]:
    if not dataset.exists():
        pytest.fail(f"{dataset} is missing")
    arguments = ["triage", "--eval", str(dataset), "--format", "json", *(["--split", split] if split else [])]
    return json.loads(cli(*arguments, cwd=ROOT).output)


# Issue 21 asks, on held-out texts, for top-1 0.90, top-3 0.97, unrelated given no class 0.90, the runbook in the
# top 3 0.95 and 0.95 right above the unsure threshold. Not reached (docs/reference/how-triage-works.md gives the
# figures); the gates keep what is reached from slipping back.
GATES = {"top1": 0.88, "top3": 0.94, "unrelated_no_class": 0.85, "runbook_top3": 0.93, "confident_right": 0.96}
"""On the test split of tests/data/triage-eval.yaml, measured too often to be held out still."""
FRESH_GATES = {"top1": 0.72, "top3": 0.87, "unrelated_no_class": 0.71, "runbook_top3": 0.77, "confident_right": 0.90}
"""On tests/data/triage-fresh.yaml, held out: what the weights trained before it existed reached at first contact."""
FRESH = ROOT / "tests" / "data" / "triage-fresh.yaml"


def test_the_first_test_split_stays_at_or_above_its_gates(cli) -> None:
    result = evaluation(cli, EVAL, "test")
    reached = {measure: result[measure] for measure in GATES}
    assert all(reached[m] >= GATES[m] for m in GATES), reached


def test_the_fresh_held_out_texts_stay_at_or_above_their_gates(cli) -> None:
    """Texts never used to tune or train: tests/data/triage-fresh.yaml."""
    result = evaluation(cli, FRESH)
    reached = {measure: result[measure] for measure in FRESH_GATES}
    assert all(reached[m] >= FRESH_GATES[m] for m in FRESH_GATES), reached


@pytest.mark.parametrize(
    "dataset",
    ["tests/data/triage-holdout.yaml", "tests/data/triage-holdout-2.yaml", "../shared/eval/symptoms-dev.yaml"],
)
def test_quality_bar_on_the_earlier_sets_of_real_texts(cli, dataset: str) -> None:
    result = evaluation(cli, (ROOT / dataset).resolve())
    assert result["top1"] >= 0.85 and result["top3"] >= 0.95, result["misses"]


EDGE_CASES = [
    "",
    "x",
    "OPENAI_API_KEY missing in production\n",
    "ChunkLoadError: Loading chunk 7 failed\r\n",
    "a\u00a0b\u2028c 😀 constructor __proto__ toString hasOwnProperty",
    "Rate limit reached for gpt-4o\ufeff on tokens per min",
]


def test_browser_script_answers_exactly_like_python(site_script) -> None:
    from opsbook.site.tree import DocsTree

    with DocsTree.open(ROOT) as tree:
        data = json.loads(tree.triage)
    queries = [case["text"] for case in yaml.safe_load(EVAL.read_text())] + EDGE_CASES
    queries += [case["text"] for case in yaml.safe_load((ROOT / "tests/data/triage-holdout.yaml").read_text())]
    browser = site_script(
        "return data.queries.map(q => api.answer(data.triage, q, 5));", {"triage": data, "queries": queries}
    )
    with KnowledgeIndex.open(ROOT) as knowledge:
        for query, js in zip(queries, browser, strict=True):
            assert js == answer(knowledge, query, top=5).as_dict(), query
